"""``compat``: who can talk to whom. Endpoints are catalog profiles, live hosts
or the local ssh; the result is the negotiation each way and the narrowest
fix on either side, or the matrix of many client profiles against one server.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from sshdoctor.catalog.identify import profile_of
from sshdoctor.catalog.profiles import Profile, all_profiles, get_profile
from sshdoctor.catalog.software import identify
from sshdoctor.host.examine import DEFAULT_CLIENT, ClientSpec
from sshdoctor.local.capture import capture_proposal
from sshdoctor.local.clientmodel import client_model
from sshdoctor.local.effective import effective
from sshdoctor.local.errors import SshMissing
from sshdoctor.model import Banner, Category, ClientModel, Outcome, Proposal, Target, parse_target
from sshdoctor.negotiate.matrix import NegotiationMatrix, negotiate_matrix
from sshdoctor.remedy.plan import ClientPlan, plan_client_fix
from sshdoctor.remedy.render import ssh_options
from sshdoctor.remedy.serverfix import ServerPlan, plan_server_fix
from sshdoctor.wire.probe import probe

LOCAL = "local"
# Name ssh is run for when the local client faces a profile, not a host:
# the user's Host * settings apply, no host-specific block does.
_PROFILE_HOST = "sshdoctor-compat.invalid"


class CompatUsageError(ValueError):
    """An endpoint that cannot play the role asked of it, or names nothing known."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One side of a comparison: what it sends as a client and as a server.

    ``name`` is what the JSON contract prints (a profile id, ``host:port``,
    ``local``); ``detail`` is for people. ``implementation`` is a profile
    family id (``openssh``, ``putty``, ``cisco-ios``…) or None when unknown,
    used to word fixes in that software's own terms.
    """

    name: str
    kind: str
    detail: str
    client: ClientModel | None = None
    server: Proposal | None = None
    server_supported: dict[Category, tuple[str, ...]] | None = None
    implementation: str | None = None
    profile: Profile | None = None
    banner: Banner | None = None
    target: Target | None = None
    notes: tuple[str, ...] = ()


def find_profile(spec: str) -> tuple[Profile, str | None] | None:
    """The profile a name means, and a note when it is not that profile's own id.

    ``openssh-7.4``, ``OpenSSH_7.4p1`` and ``openssh 7.4`` are exact, and so
    are distribution builds (``debian-12``, ``rhel-9-legacy``; ``rocky-9``
    is ``rhel-9``). A release the catalog lacks (``cisco-ios-15.2``,
    ``paramiko-3.4.1``) falls back to the newest profiled release at or
    below it; the software version a client sends (``libssh2_1.10.0``,
    ``SSH-2.0-Go``, ``OpenSSH_8.9p1 Ubuntu-3ubuntu0.10``) means that
    implementation's (or distribution's) nearest profile, and the note says
    which. A known implementation with no release at or below raises;
    anything else returns None (it may be a host name). The mapping itself
    is :func:`sshdoctor.catalog.identify.resolve`.
    """
    # Imported here so that this function stays the only part of the module
    # that knows the catalog's identification rules.
    from sshdoctor.catalog.identify import NoProfileAtOrBelow, is_identification, resolve

    exact = get_profile(spec)
    if exact is not None and not is_identification(spec):
        return exact, None
    try:
        found = resolve(spec)
    except NoProfileAtOrBelow as err:
        raise CompatUsageError(str(err)) from None
    return (found.profile, found.note) if found is not None else None


def profile_client_model(prof: Profile) -> ClientModel:
    """A profile's client as the planner sees it: default lists, the supported set."""
    assert prof.client is not None
    lists = {c: prof.client.lists.get(c, ()) for c in Category}
    return ClientModel(
        label=prof.label,
        proposal=prof.client.proposal(),
        effective=lists,
        defaults=dict(lists),
        supported={c: prof.supported.lists.get(c, ()) for c in Category},
    )


def profile_endpoint(prof: Profile, note: str | None = None) -> Endpoint:
    return Endpoint(
        name=prof.id,
        kind="profile",
        detail=prof.label,
        client=profile_client_model(prof) if prof.client is not None else None,
        server=prof.server.proposal() if prof.server is not None else None,
        server_supported={c: prof.supported.lists.get(c, ()) for c in Category},
        implementation=prof.implementation,
        profile=prof,
        notes=(note,) if note else (),
    )


def _host_name(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _resolve_target(spec: str, client: ClientSpec) -> Target:
    """Where ssh would connect for ``spec`` (``ssh -G``: aliases, HostName, Port)."""
    host, explicit = parse_target(spec)
    try:
        eff = effective(host, port=explicit, config_file=client.config_file, options=list(client.options))
    except SshMissing:
        return Target(host, explicit or 22)
    return Target(eff.hostname, eff.port, alias=host if eff.hostname != host else None)


async def host_endpoint(spec: str, *, timeout: float, client: ClientSpec = DEFAULT_CLIENT) -> Endpoint:
    """Probe a live host (resolved as ssh resolves it) for its server offer."""
    target = await asyncio.to_thread(_resolve_target, spec, client)
    result = await probe(target, timeout=timeout)
    software = identify(result.banner)
    prof = profile_of(result.banner)
    notes: list[str] = []
    if prof is not None:
        notes.append(f"{software.label} identified from the banner; server-side fixes use the supported set of {prof.id}")
    else:
        notes.append(f"{software.label}: no catalog profile, so server-side fixes assume it supports what the client asks")
    return Endpoint(
        name=_host_name(target.alias or target.host, target.port),
        kind="host",
        detail=f"{software.label} at {_host_name(result.address, target.port)}",
        server=result.proposal,
        server_supported=dict(prof.supported.lists) if prof is not None else None,
        implementation=software.product if software.product != "unknown" else None,
        profile=prof,
        banner=result.banner,
        target=target,
        notes=tuple(notes),
    )


def _ident_for(server: Endpoint) -> str:
    """The identification string the local ssh should see: the host's real one,
    or one in the profile's software's own format (ssh applies per-version quirks)."""
    if server.banner is not None:
        return server.banner.raw
    prof = server.profile
    software = "sshdoctor_profile"
    if prof is not None and prof.banner_patterns:
        software = prof.banner_patterns[0].replace("*", prof.version, 1).replace("*", "").replace("?", "0")
    return f"SSH-2.0-{software}"


async def local_endpoint(server: Endpoint, *, timeout: float, client: ClientSpec = DEFAULT_CLIENT) -> Endpoint:
    """The local ssh as a client of ``server``: the KEXINIT it really sends there."""
    target = server.target
    host = (target.alias or target.host) if target is not None else _PROFILE_HOST
    port = target.port if target is not None else None
    options = list(client.options)
    eff = await asyncio.to_thread(effective, host, port=port, config_file=client.config_file, options=options)
    ident, proposal = await capture_proposal(
        host, _ident_for(server), port=port, config_file=client.config_file, options=options, timeout=timeout
    )
    model = client_model(eff, proposal)
    return Endpoint(
        name=LOCAL,
        kind="local",
        detail=f"{ident.removeprefix('SSH-2.0-')} (your ssh, as it would connect to {server.name})",
        client=model,
        implementation="openssh",
    )


async def resolve_endpoint(spec: str, *, timeout: float, client: ClientSpec = DEFAULT_CLIENT) -> Endpoint:
    """A profile or a live host (``local`` needs its server; see :func:`local_endpoint`)."""
    found = find_profile(spec)
    if found is not None:
        return profile_endpoint(*found)
    return await host_endpoint(spec, timeout=timeout, client=client)


# ---------------------------------------------------------------- one pair


@dataclass(frozen=True, slots=True)
class Direction:
    """One client against one server: the outcome and a fix on each side."""

    client: Endpoint
    server: Endpoint
    outcome: Outcome
    client_plan: ClientPlan | None = None
    server_plan: ServerPlan | None = None

    def as_dict(self) -> dict[str, object]:
        """The contract's ``compat`` document (plus additive fields)."""
        negotiation = self.outcome.as_dict()
        doc: dict[str, object] = {"client": self.client.name, "server": self.server.name}
        doc.update({k: v for k, v in negotiation.items() if k != "client"})
        doc["client_detail"] = self.client.detail
        doc["server_detail"] = self.server.detail
        doc["per_slot"] = {slot.value: pick for slot, pick in self.outcome.picks.items()}
        doc["implicit_mac"] = [s.value for s in self.outcome.implicit_mac]
        doc["fix"] = {"client": _client_fix_dict(self.client_plan), "server": _server_fix_dict(self.server_plan)}
        return doc


def _client_fix_dict(plan: ClientPlan | None) -> dict[str, object] | None:
    if plan is None or not plan.needed:
        return None
    return {
        "changes": [c.as_dict() for c in plan.changes],
        "ssh_options": ssh_options(plan.changes),
        "works": plan.works,
        "unfixable": [c.value for c in plan.unfixable],
    }


def _server_fix_dict(plan: ServerPlan | None) -> dict[str, object] | None:
    if plan is None or not plan.needed:
        return None
    return {
        "changes": [c.as_dict() for c in plan.changes],
        "sshd_config": "".join(f"{c.directive} {c.option_value()}\n" for c in plan.changes),
        "works": plan.works,
        "unfixable": [c.value for c in plan.unfixable],
        "supported_known": plan.supported_known,
    }


def compare(client: Endpoint, server: Endpoint) -> Direction:
    """Negotiate ``client`` against ``server`` and plan the fix on each side."""
    assert client.client is not None and server.server is not None
    model = client.client
    # The client planner negotiates first; its "before" is the reported outcome.
    plan = plan_client_fix(server.server, model)
    client_plan = plan if plan.needed else None
    server_plan = (
        plan_server_fix(model.proposal, server.server, server.server_supported, client_label=client.name)
        if plan.needed else None
    )
    reported = Outcome(
        picks=plan.before.picks,
        failed_slots=plan.before.failed_slots,
        implicit_mac=plan.before.implicit_mac,
        client=client.name,
        server=server.name,
    )
    return Direction(client=client, server=server, outcome=reported, client_plan=client_plan, server_plan=server_plan)


@dataclass(frozen=True, slots=True)
class CompatReport:
    """A compared with B: A as client first, then B as client where both can."""

    forward: Direction
    reverse: Direction | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.forward.outcome.ok

    def as_dict(self) -> dict[str, object]:
        doc = self.forward.as_dict()
        doc["reverse"] = self.reverse.as_dict() if self.reverse is not None else None
        doc["notes"] = list(self.notes)
        return doc


def _role_error(endpoint: Endpoint, role: str) -> CompatUsageError:
    if endpoint.kind == "local":
        why = "'local' is your ssh client; it can only be the client (the first argument)"
    elif endpoint.kind == "host":
        why = f"{endpoint.name} is a live server; it can only be the server (the second argument)"
    else:
        has = "server" if role == "client" else "client"
        why = f"{endpoint.name} has only a {has} side in the catalog; it cannot be the {role}"
    return CompatUsageError(why)


async def compat(a: str, b: str, *, timeout: float = 5.0, client: ClientSpec = DEFAULT_CLIENT) -> CompatReport:
    """Compare A (client) with B (server), and B with A where both have both roles."""
    if b.strip().lower() == LOCAL:
        raise _role_error(Endpoint(name=LOCAL, kind="local", detail=""), "server")
    if a.strip().lower() == LOCAL:
        server = await resolve_endpoint(b, timeout=timeout, client=client)
        if server.server is None:
            raise _role_error(server, "server")
        first = await local_endpoint(server, timeout=timeout, client=client)
    else:
        found = find_profile(a)
        if found is None:
            # Not a profile: a host, which cannot be a client (say so without probing it).
            raise CompatUsageError(
                f"{a!r} is not a client profile or 'local': a live host can only be the server (the second "
                "argument); sshdoctor compat --list shows the profiles"
            )
        first = profile_endpoint(*found)
        server = await resolve_endpoint(b, timeout=timeout, client=client)
    if first.client is None:
        raise _role_error(first, "client")
    if server.server is None:
        raise _role_error(server, "server")
    forward = compare(first, server)
    reverse = compare(server, first) if server.client is not None and first.server is not None else None
    notes = tuple(dict.fromkeys((*first.notes, *server.notes)))
    return CompatReport(forward=forward, reverse=reverse, notes=notes)


# ---------------------------------------------------------------- one server, many clients


def select_clients(spec: str) -> list[Profile]:
    """Client-capable profiles named by ``all`` or a comma list of ids, globs
    (``openssh-*``) and implementation names (``putty``), oldest first."""
    capable = [p for p in all_profiles().values() if p.client is not None]
    chosen: dict[str, Profile] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if item.lower() == "all":
            matched = capable
        elif any(ch in item for ch in "*?["):
            matched = [p for p in capable if fnmatch.fnmatchcase(p.id, item.lower())]
        elif any(p.implementation == item.lower() for p in capable):
            matched = [p for p in capable if p.implementation == item.lower()]
        else:
            found = find_profile(item)
            if found is None:
                raise CompatUsageError(f"no client profile matches {item!r} (sshdoctor compat --list shows them)")
            if found[0].client is None:
                raise CompatUsageError(f"{found[0].id} has no client side in the catalog")
            matched = [found[0]]
        if not matched:
            raise CompatUsageError(f"no client profile matches {item!r} (sshdoctor compat --list shows them)")
        for prof in matched:
            chosen[prof.id] = prof
    if not chosen:
        raise CompatUsageError("--clients names no profile")
    return sorted(chosen.values(), key=lambda p: (p.implementation, p.version_key()))


@dataclass(frozen=True, slots=True)
class MatrixReport:
    """Many client profiles against one server, in one vectorised negotiation."""

    server: Endpoint
    clients: tuple[Profile, ...]
    matrix: NegotiationMatrix
    plans: dict[str, ClientPlan] = field(default_factory=dict)

    def outcome(self, index: int) -> Outcome:
        return self.matrix.outcome(0, index)

    @property
    def ok_count(self) -> int:
        return int(self.matrix.ok.sum())

    def client_dict(self, index: int) -> dict[str, object]:
        prof = self.clients[index]
        outcome = self.outcome(index)
        doc: dict[str, object] = {"client": prof.id, "implementation": prof.implementation, "version": prof.version}
        doc.update({k: v for k, v in outcome.as_dict().items() if k != "client"})
        doc["fix"] = _client_fix_dict(self.plans.get(prof.id))
        return doc

    def as_dict(self) -> dict[str, object]:
        assert self.server.server is not None
        return {
            "server": self.server.name,
            "server_detail": self.server.detail,
            "banner": self.server.banner.raw if self.server.banner is not None else None,
            "offer": self.server.server.offer_dict(),
            "clients": [self.client_dict(i) for i in range(len(self.clients))],
            "summary": {"clients": len(self.clients), "ok": self.ok_count, "failing": len(self.clients) - self.ok_count},
            "notes": list(self.server.notes),
        }


async def client_matrix(
    server_spec: str, clients_spec: str, *, timeout: float = 5.0, client: ClientSpec = DEFAULT_CLIENT
) -> MatrixReport:
    """Which of the named client profiles can connect to ``server_spec`` today."""
    profiles = select_clients(clients_spec)
    if server_spec.strip().lower() == LOCAL:
        raise _role_error(Endpoint(name=LOCAL, kind="local", detail=""), "server")
    server = await resolve_endpoint(server_spec, timeout=timeout, client=client)
    if server.server is None:
        raise _role_error(server, "server")
    return matrix_for(server, profiles)


def matrix_for(server: Endpoint, profiles: Sequence[Profile]) -> MatrixReport:
    """The matrix of ``profiles`` against an already resolved server, with client fixes."""
    assert server.server is not None
    models = [profile_client_model(p) for p in profiles]
    matrix = negotiate_matrix(
        [server.server], [m.proposal for m in models],
        server_labels=(server.name,), client_labels=tuple(p.id for p in profiles),
    )
    plans = {
        prof.id: plan_client_fix(server.server, model)
        for i, (prof, model) in enumerate(zip(profiles, models, strict=True))
        if not bool(matrix.ok[0, i])
    }
    return MatrixReport(server=server, clients=tuple(profiles), matrix=matrix, plans=plans)


__all__ = [
    "LOCAL",
    "CompatReport",
    "CompatUsageError",
    "Direction",
    "Endpoint",
    "MatrixReport",
    "client_matrix",
    "compat",
    "find_profile",
    "select_clients",
]
