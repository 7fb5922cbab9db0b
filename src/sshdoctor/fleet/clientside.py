"""The local client's side of a fleet scan, without one ssh run per host.

Running the real ssh for every host (``ssh -G`` and a capture of its
KEXINIT) costs milliseconds of CPU each: fine for ``probe``, too slow for a
fleet. The KEXINIT depends on three things only: the configuration that
applies to the host, the server's identification string (ssh's
compatibility quirks) and, for the host-key list, known_hosts. So:

- a host to which no Host/Match block of the user's configuration (other
  than ``Host *`` and the like) can apply is in the *default context*: one
  ``ssh -G`` for the whole scan tells its port and lists; other hosts get
  their own ``ssh -G``, and share a context with every host whose lists
  come out the same;
- the KEXINIT is captured from the real ssh once per (context,
  identification string), with known_hosts switched off;
- the known_hosts order is then applied per host by
  :func:`sshdoctor.local.knownhosts.order_hostkeyalgs`, a port of ssh's own.

When the local configuration reader is not available every host is taken
to be in the default context; ``exact`` mode runs the full per-host
examination instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.host.examine import ClientSpec
from sshdoctor.local.capture import ClientCapture
from sshdoctor.local.clientmodel import compiled_defaults
from sshdoctor.local.effective import Effective, effective
from sshdoctor.local.errors import LocalError, SshMissing
from sshdoctor.local.knownhosts import KnownHosts, hostfile_name, load_files, order_hostkeyalgs
from sshdoctor.local.sshbin import supported, version
from sshdoctor.model import Category, ClientModel, Proposal, Slot, Target
from sshdoctor.wire.result import DEFAULT_IDENT

# Names that no configuration is expected to mention; two of them show
# which ssh -G values depend on the host name (%h tokens and the like).
SENTINELS = ("sshdoctor-scan-a.invalid", "sshdoctor-scan-b.invalid")
# What ssh -G prints that shapes the KEXINIT, apart from known_hosts.
_KEX_KEYS = (
    "kexalgorithms",
    "hostkeyalgorithms",
    "ciphers",
    "macs",
    "compression",
    "gssapikeyexchange",
    "gssapikexalgorithms",
)
# While the baseline is captured, known_hosts must not reorder anything.
_NO_KNOWN_HOSTS = ("UserKnownHostsFile=/dev/null", "GlobalKnownHostsFile=/dev/null", "KnownHostsCommand=none")
GENERIC_BANNER = "SSH-2.0-OpenSSH_9.9"
_LISTED = tuple(Category)


@dataclass(frozen=True, slots=True)
class Context:
    """A set of hosts for which the local ssh builds the same KEXINIT
    (known_hosts order aside)."""

    key: tuple[str, ...]
    effective: Effective
    order: bool
    known_hosts: tuple[str, ...]
    hostkey_alias: str | None

    @property
    def hostkey_algorithms(self) -> tuple[str, ...]:
        return self.effective.algorithms(Category.HOSTKEY)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A target as ssh would reach it, and the client context it falls in."""

    spec: TargetSpec
    target: Target
    host_arg: str
    explicit_port: int | None
    context: Context | None
    exact: bool = False


def _option_value(options: tuple[str, ...], key: str) -> str | None:
    for opt in options:
        name, sep, value = opt.replace("=", " ", 1).partition(" ")
        if sep and name.lower() == key:
            return value.strip()
    return None


def _kex_key(eff: Effective, order: bool) -> tuple[str, ...]:
    return (*(f"{k}={eff.get(k) or ''}" for k in _KEX_KEYS), f"order={order}")


def _known_hosts_files(eff: Effective) -> tuple[str, ...]:
    files: list[str] = []
    for key in ("userknownhostsfile", "globalknownhostsfile"):
        for value in eff.raw.get(key, []):
            files += value.split()
    return tuple(files)


class _ConfigView:
    """Which parts of the user's configuration could apply to a host name."""

    def __init__(self, client: ClientSpec) -> None:
        self.trees: list[Any] = []
        self.chains: list[Any] = []
        self.available = False
        try:
            from sshdoctor.local.sshconfig import load_tree
            from sshdoctor.local.sshconfig.matching import entry_unconditional
        except ImportError:  # pragma: no cover - the reader ships with sshdoctor
            return
        import os

        if client.config_file:
            paths = [(client.config_file, True)]
        else:
            paths = [(os.path.join(os.path.expanduser("~"), ".ssh", "config"), True), ("/etc/ssh/ssh_config", False)]
        seen: set[tuple[tuple[str, int], ...]] = set()
        for path, user in paths:
            if client.config_file != "/dev/null" and os.path.exists(path):
                try:
                    tree = load_tree(path, user_config=user)
                except (LocalError, ValueError) as exc:
                    raise LocalError(f"cannot read {path}: {exc}") from None
                self.trees.append(tree)
        for tree in self.trees:
            for entry in tree.entries:
                if entry_unconditional(entry):
                    continue
                ident = tuple((ctx.doc.path, ctx.section.start) for ctx in entry.chain)
                if ident not in seen:
                    seen.add(ident)
                    self.chains.append(entry)
        self.available = True

    def conditional_applies(self, host: str) -> bool:
        """Whether any block other than the unconditional ones may apply to ``host``."""
        from sshdoctor.local.sshconfig.matching import HostQuery, entry_applies

        query = HostQuery(alias=host)
        return any(entry_applies(entry, query).possible for entry in self.chains)

    def hostkey_algorithms_raw(self, host: str, hostname: str, options: tuple[str, ...]) -> tuple[bool, str | None]:
        """(certain, value) of the first HostKeyAlgorithms line ssh would take."""
        value = _option_value(options, "hostkeyalgorithms")
        if value is not None:
            return True, value
        if not self.available:
            return False, None
        from sshdoctor.local.sshconfig.matching import Applies, HostQuery, entry_applies

        query = HostQuery(alias=host, hostname=hostname)
        for tree in self.trees:
            for entry in tree.entries:
                if entry.directive.key != "hostkeyalgorithms":
                    continue
                applies = entry_applies(entry, query)
                if applies is Applies.YES:
                    values = entry.directive.values
                    return True, values[0] if values else None
                if applies is Applies.MAYBE:
                    return False, None
        return True, None


class ClientSide:
    """The local ssh for a whole scan: contexts, captured proposals, client models."""

    def __init__(self, client: ClientSpec, *, exact: bool = False) -> None:
        self.client = client
        self.exact = exact
        self.available = False
        self.note: str | None = None
        self.ident = DEFAULT_IDENT
        self.default: Context | None = None
        self.default_port = 22
        self.captures = 0
        self._config: _ConfigView | None = None
        self._contexts: dict[tuple[str, ...], Context] = {}
        self._baselines: dict[tuple[str, tuple[str, ...]], asyncio.Future[Proposal | None]] = {}
        self._models: dict[tuple[str, ...], tuple[dict[Category, tuple[str, ...]], dict[Category, tuple[str, ...]]]] = {}
        self._label = "local ssh"
        self._known: dict[tuple[str, ...], tuple[float, KnownHosts]] = {}
        self._spare: ClientCapture | None = None

    # ---- set-up --------------------------------------------------------

    def start(self) -> None:
        """Find the local ssh and read the configuration (blocking: run in a thread).

        A missing ssh is not an error (the scan still probes, without
        predictions); a configuration ssh rejects raises SshConfigError.
        """
        try:
            self._label = version().label
            with ThreadPoolExecutor(len(SENTINELS)) as pool:
                sentinel = list(pool.map(
                    lambda name: effective(name, config_file=self.client.config_file, options=list(self.client.options)),
                    SENTINELS,
                ))
        except SshMissing as exc:
            self.note = exc.message
            return
        except LocalError as exc:
            if exc.kind == "ssh-config-error":
                raise
            self.note = exc.message
            return
        self.available = True
        self._config = _ConfigView(self.client)
        first, second = sentinel
        self.default_port = first.port
        differing = {k for k in set(first.raw) | set(second.raw) if first.raw.get(k) != second.raw.get(k)} - {"host"}
        host_dependent = first.hostname != SENTINELS[0] or differing - {"hostname"}
        if not host_dependent and not any(self._config.conditional_applies(name) for name in SENTINELS):
            certain, raw = self._config.hostkey_algorithms_raw(SENTINELS[0], SENTINELS[0], self.client.options)
            if certain and first.get("knownhostscommand") in (None, "none"):
                self.default = self._context(first, raw)

    async def prepare(self) -> None:
        """:meth:`start` and :meth:`fetch_ident`, side by side."""
        fetching = asyncio.ensure_future(self.fetch_ident())
        try:
            await asyncio.to_thread(self.start)
        finally:
            await fetching  # settled either way, so no ssh is left behind a failed start
        if not self.available:
            self.ident = DEFAULT_IDENT
        if self.default is None or self.exact:
            await self.close()

    async def fetch_ident(self) -> str:
        """The local ssh's identification string, presented to every server probed.

        That ssh is kept waiting for a server's identification: it is the default context's
        (known_hosts off, as baselines are captured), so the first baseline capture takes it
        instead of starting another ssh (:meth:`close` ends it if unused).
        """
        cap = ClientCapture(SENTINELS[0], config_file=self.client.config_file,
                            options=[*_NO_KNOWN_HOSTS, *self.client.options], timeout=10.0)
        try:
            self.ident = await cap.start()
        except LocalError:
            await cap.close()  # start() tells why ssh is unusable; probes then present a generic ident
            return self.ident
        except BaseException:
            await cap.close()
            raise
        self._spare = cap
        return self.ident

    async def close(self) -> None:
        """End the ssh kept by :meth:`fetch_ident`, if no capture took it."""
        spare, self._spare = self._spare, None
        if spare is not None:
            with contextlib.suppress(Exception):
                await spare.close()

    def _context(self, eff: Effective, raw_hostkeys: str | None) -> Context:
        order = raw_hostkeys is None or raw_hostkeys[:1] in ("+", "-")
        key = _kex_key(eff, order)
        ctx = self._contexts.get(key)
        if ctx is None:
            ctx = Context(key, eff, order, _known_hosts_files(eff), eff.get("hostkeyalias"))
            self._contexts[key] = ctx
        return ctx

    # ---- per host --------------------------------------------------------

    def resolve_fast(self, spec: TargetSpec) -> Resolved | None:
        """The resolution of a default-context host, or None when it needs ``ssh -G``."""
        if not self.available:
            return Resolved(spec, Target(spec.host, spec.port or 22, alias=spec.label), spec.host, spec.port, None)
        if self.exact or self.default is None or self._config is None:
            return None
        if self._config.chains and self._config.conditional_applies(spec.host):
            return None
        port = spec.port or self.default_port
        return Resolved(spec, Target(spec.host, port, alias=spec.label), spec.host, spec.port, self.default)

    def resolve_slow(self, spec: TargetSpec) -> Resolved:
        """``ssh -G`` for one host (blocking: run in a thread)."""
        eff = effective(spec.host, port=spec.port, config_file=self.client.config_file, options=list(self.client.options))
        alias = spec.label or (spec.host if eff.hostname != spec.host else None)
        target = Target(eff.hostname, eff.port, alias=alias)
        exact = self.exact
        raw: str | None = None
        if not exact and self._config is not None:
            certain, raw = self._config.hostkey_algorithms_raw(spec.host, eff.hostname, self.client.options)
            exact = not certain or eff.get("knownhostscommand") not in (None, "none")
        return Resolved(spec, target, spec.host, spec.port, self._context(eff, raw), exact)

    def resolve(self, spec: TargetSpec) -> Resolved:
        return self.resolve_fast(spec) or self.resolve_slow(spec)

    async def proposal(self, resolved: Resolved, banner: str | None) -> Proposal | None:
        """The KEXINIT the local ssh would send to this host, or None without a local ssh."""
        ctx = resolved.context
        if ctx is None:
            return None
        ident = banner or GENERIC_BANNER
        if resolved.exact:
            return await self._capture(resolved, ident, known_hosts=True)
        key = (ident, ctx.key)
        future = self._baselines.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._baselines[key] = future
            try:
                future.set_result(await self._capture(resolved, ident, known_hosts=False))
            except LocalError as exc:
                self.note = exc.message
                # As examine does: the configured lists, without ssh's own quirks.
                future.set_result(ctx.effective.proposal())
            except BaseException:
                del self._baselines[key]
                future.cancel()
                raise
        base = future.result() if future.done() else await asyncio.shield(future)
        if base is None or not ctx.order:
            return base
        return self.ordered(base, resolved)

    def ordered(self, base: Proposal, resolved: Resolved) -> Proposal:
        """``base`` with the host-key list in the order known_hosts gives this host."""
        ctx = resolved.context
        assert ctx is not None
        known = self._known_hosts(ctx.known_hosts)
        name = hostfile_name(resolved.target.host, resolved.target.port, ctx.hostkey_alias)
        entries = known.entries_for(name)
        if not entries:
            return base
        allowed = set(base.hostkey)  # compat filtering only ever removes names
        ordered = [a for a in order_hostkeyalgs(ctx.hostkey_algorithms, entries) if a in allowed]
        return base.with_slot(Slot.HOSTKEY, ordered)

    def _known_hosts(self, files: tuple[str, ...]) -> KnownHosts:
        # Parsed once and re-checked at most once a second (a stat per file),
        # not for every host.
        now = time.monotonic()
        cached = self._known.get(files)
        if cached is None or now - cached[0] > 1.0:
            cached = (now, load_files(files))
            self._known[files] = cached
        return cached[1]

    async def _capture(self, resolved: Resolved, ident: str, *, known_hosts: bool) -> Proposal:
        self.captures += 1
        spare = self._spare
        if spare is not None and not known_hosts and resolved.context is self.default:
            self._spare = None
            try:
                return await spare.proposal(ident)
            except LocalError:
                pass  # it may have stopped waiting (a ConnectTimeout of the user's): a fresh ssh below
            finally:
                with contextlib.suppress(Exception):
                    await spare.close()
        options = list(self.client.options) if known_hosts else [*_NO_KNOWN_HOSTS, *self.client.options]
        cap = ClientCapture(resolved.host_arg, port=resolved.explicit_port, config_file=self.client.config_file,
                            options=options, timeout=10.0)
        try:
            await cap.start()
            return await cap.proposal(ident)
        finally:
            with contextlib.suppress(Exception):
                await cap.close()

    def label_text(self) -> str:
        """The local client, for headings: ``OpenSSH_9.2p1 (local ssh)``."""
        return f"{self._label} (local ssh)"

    def label(self, resolved: Resolved) -> str:
        return f"{self._label} (local ssh, effective config for {resolved.host_arg})"

    def model(self, resolved: Resolved, proposal: Proposal) -> ClientModel | None:
        """What the local ssh can do for this host (for planning a fix)."""
        ctx = resolved.context
        if ctx is None:
            return None
        lists = self._models.get(ctx.key)
        if lists is None:
            eff = {cat: ctx.effective.algorithms(cat) for cat in _LISTED}
            sup = {cat: supported(cat) for cat in _LISTED}
            lists = (eff, sup)
            self._models[ctx.key] = lists
        return ClientModel(label=self.label(resolved), proposal=proposal, effective=lists[0],
                           defaults=compiled_defaults(), supported=lists[1])
