"""What the server is and what it should become, for ``fix --server``.

Reading: what the real sshd makes of its configuration (``sshd -T``, and
``-C`` for one connection when Match blocks exist), which line of which
file sets each list, which host keys it loads, the offer that follows.
Clients: catalog profiles, the local ssh's own KEXINIT, offers pasted from
a server log. Planning (pure): the fewest names to add to the server's
lists so every client it must serve negotiates, a host key when a client
can use none of the loaded ones, each change as the full resulting line.
"""

from __future__ import annotations

import contextlib
import fnmatch
import getpass
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sshdoctor.catalog import algorithm, is_pseudo
from sshdoctor.catalog.profiles import Profile, all_profiles, get_profile
from sshdoctor.host.trial import TrialClient, fill_partial
from sshdoctor.local.errors import LocalError
from sshdoctor.local.sshconfig.loader import ConfigTree, load_tree
from sshdoctor.local.sshconfig.sshdplace import ServerLine, global_entry, is_generated, winning_entry
from sshdoctor.local.sshd import (
    DEFAULT_CONFIG,
    KEY_ALGORITHMS,
    KEYGEN_ARGS,
    HostKeyFile,
    SshdDump,
    SshdInfo,
    conditions_arg,
    dump,
    host_keys,
    sshd_info,
)
from sshdoctor.local.sshd import key_type as type_of
from sshdoctor.model import Category, Outcome, Proposal, Slot
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.serverfix import plan_server_fix
from sshdoctor.remedy.strength import strength_key

LISTS = {
    Category.KEX: "KexAlgorithms",
    Category.HOSTKEY: "HostKeyAlgorithms",
    Category.CIPHER: "Ciphers",
    Category.MAC: "MACs",
}
_DUMP_KEY = {cat: name.lower() for cat, name in LISTS.items()}
_ALGORITHM = re.compile(r"[A-Za-z0-9@._+-]+\Z")
_RSA_SHA2 = ("rsa-sha2-512", "rsa-sha2-256")
# Which key type signs each host-key algorithm sshdoctor may add a key for.
_KEY_FOR = {alg: kt for kt, algs in KEY_ALGORITHMS.items() for alg in algs}



# ---------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class ServerState:
    """The server's configuration as sshd reads it, and the offer it makes from it."""

    config: str
    sshd: SshdInfo
    tree: ConfigTree
    dumped: SshdDump
    keys: tuple[HostKeyFile, ...]
    offer: Proposal
    # sshd -T -C for one connection (the proof's: this user from 127.0.0.1) when Match blocks exist.
    for_connection: SshdDump | None = None

    @property
    def match_blocks(self) -> list[str]:
        return [f"{d.path}:{s.start + 1}" for d in self.tree.documents for s in d.sections if s.kind == "match"]

    def match_note(self) -> str | None:
        """Match blocks apply per connection; say what that means for the lists."""
        if self.for_connection is None:
            return None
        differ = [name for cat, name in LISTS.items()
                  if self.for_connection.names(_DUMP_KEY[cat]) != self.dumped.names(_DUMP_KEY[cat])]
        if differ:
            return (f"with Match blocks, {', '.join(differ)} differ for a connection ({self.for_connection.conditions})"
                    " from the global lists")
        return (f"{len(self.match_blocks)} Match block(s) apply per connection; sshd takes the algorithm lists only "
                f"outside them, so sshd -T -C {self.for_connection.conditions} shows the same lists")

    @property
    def signable(self) -> set[str]:
        return {a for k in self.keys for a in k.algorithms}

    def winner(self, category: Category) -> str | None:
        entry = winning_entry(self.tree, LISTS[category].lower())
        return entry.where if entry else None

    def crypto_policy(self) -> str | None:
        """The crypto-policies back-end the configuration includes (RHEL, Fedora), if any."""
        return next((d.path for d in self.tree.documents if is_generated(d.path)), None)

    def explicit_host_keys(self) -> bool:
        return any(e.directive.key == "hostkey" and global_entry(e) for e in self.tree.entries)

    def as_dict(self) -> dict[str, object]:
        """The ``effective`` object of the JSON document."""
        winners: dict[str, object] = {}
        for name in LISTS.values():
            entry = winning_entry(self.tree, name.lower())
            winners[name] = None if entry is None else {
                "file": entry.doc.path, "line": entry.line.number, "text": entry.line.text.strip(),
                "generated": is_generated(entry.doc.path)}
        match: dict[str, object] | None = None
        if self.for_connection is not None:
            match = {"conditions": self.for_connection.conditions,
                     "lists": {name: list(self.for_connection.names(_DUMP_KEY[cat])) for cat, name in LISTS.items()}}
        return {
            "sshd": self.sshd.binary,
            "identity": self.sshd.identity,
            "lists": {name: list(self.dumped.names(_DUMP_KEY[cat])) for cat, name in LISTS.items()},
            "host_keys": [k.as_dict() for k in self.keys],
            "offer": self.offer.offer_dict(),
            "winning_lines": winners,
            "files": [d.path for d in self.tree.documents],
            "match_blocks": self.match_blocks,
            "for_connection": match,
            "crypto_policy": self.crypto_policy(),
        }


def model_offer(dumped: SshdDump, keys: Sequence[HostKeyFile]) -> Proposal:
    """The KEXINIT sshd sends with this configuration: its lists, host-key algorithms
    only where a loaded key can sign them (certificates are not modelled)."""
    signable = {a for k in keys for a in k.algorithms}
    compression = ("none",) if dumped.first("compression") == "no" else ("none", "zlib@openssh.com")
    return Proposal.symmetric(
        kex=dumped.names("kexalgorithms"),
        hostkey=tuple(a for a in dumped.names("hostkeyalgorithms") if a in signable),
        cipher=dumped.names("ciphers"),
        mac=dumped.names("macs"),
        compression=compression,
    )


def read_server(config: str | None = None, *, sshd: str | None = None) -> ServerState:
    """Read the configuration at ``config`` (default /etc/ssh/sshd_config) as the real sshd does."""
    path = config or DEFAULT_CONFIG
    info = sshd_info(sshd)
    tree = load_tree(path, flavour="sshd", user_config=False)
    dumped = dump(path, sshd=info.binary)
    keys = host_keys(dumped)
    per: SshdDump | None = None
    if any(s.kind == "match" for d in tree.documents for s in d.sections):
        with contextlib.suppress(LocalError):  # e.g. Match Group for a user the system cannot look up
            per = dump(path, sshd=info.binary, conditions=conditions_arg(getpass.getuser(), "localhost", "127.0.0.1"))
    return ServerState(path, info, tree, dumped, keys, model_offer(dumped, keys), per)


# ---------------------------------------------------------------- clients


def current_openssh() -> Profile:
    """The newest OpenSSH release in the catalog: the client most people will upgrade to."""
    releases = [p for p in all_profiles().values() if p.implementation == "openssh" and p.client is not None]
    return max(releases, key=lambda p: p.version_key())


def profile_clients(ids: Iterable[str], role: str) -> list[TrialClient]:
    """Clients from catalog profile ids (``openssh-7.4,putty-0.76``); unknown ids raise LocalError."""
    out: list[TrialClient] = []
    for pid in ids:
        profile = get_profile(pid)
        if profile is None or profile.client is None:
            raise LocalError(f"no client profile {pid!r} (sshdoctor compat --list shows them)")
        out.append(TrialClient(f"{profile.id} client", profile.client.proposal(), role))
    return out


async def local_client(ident: str | None, *, timeout: float = 5.0) -> TrialClient:
    """The local ssh's own KEXINIT, recorded as it would face this server."""
    from sshdoctor.local.capture import capture_proposal

    server_ident = f"SSH-2.0-{ident or 'OpenSSH_9.9'}"
    client_ident, proposal = await capture_proposal("127.0.0.1", server_ident, timeout=timeout)
    software = client_ident.removeprefix("SSH-2.0-")
    return TrialClient(f"local ssh ({software})", proposal, "serve")


def clients_from_log(text: str) -> list[TrialClient]:
    """Clients in a pasted server log: a full KEXINIT from ``sshd -d`` debug output,
    or the "Their offer" of ``Unable to negotiate`` lines (one client per address,
    known only in the categories named)."""
    from sshdoctor.diagnose.engine import explain_text
    from sshdoctor.diagnose.vlog import VlogReader

    reader = VlogReader()
    for line in text.splitlines():
        reader.feed(line.strip())
    if "client" in reader.proposals:
        return [TrialClient("client from the log (full KEXINIT)", reader.proposals["client"], "keep")]
    by_host: dict[str, dict[Category, tuple[str, ...]]] = {}
    for finding in explain_text(text):
        if finding.reported_by != "openssh-server" or finding.category is None or not finding.their_offer:
            continue
        by_host.setdefault(finding.host or "?", {})[finding.category] = finding.their_offer
    out: list[TrialClient] = []
    for host, lists in by_host.items():
        proposal = Proposal.symmetric(kex=lists.get(Category.KEX, ()), hostkey=lists.get(Category.HOSTKEY, ()),
                                      cipher=lists.get(Category.CIPHER, ()), mac=lists.get(Category.MAC, ()),
                                      compression=lists.get(Category.COMPRESSION, ()))
        known = tuple(c.value for c in lists)
        out.append(TrialClient(f"client {host} from the log ({', '.join(known)} known)", proposal, "keep", known))
    return out


def read_client_offer(arg: str) -> list[TrialClient]:
    """``--client-offer``: the text itself, or a file holding it (``-`` is not read here)."""
    text = arg
    if "\n" not in arg and os.path.isfile(arg):
        try:
            with open(arg, encoding="utf-8", errors="replace") as fh:
                text = fh.read(4 * 1024 * 1024)
        except OSError as exc:
            raise LocalError(f"cannot read {arg}: {exc.strerror}") from None
    clients = clients_from_log(text)
    if not clients:
        raise LocalError("--client-offer: no client offer found (paste sshd's 'Unable to negotiate … Their offer: …' "
                         "line, or its debug2 'peer client KEXINIT proposal' block)")
    return clients


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class ListChange:
    """One list directive: the names added, for whom, and the full resulting value."""

    category: Category
    add: tuple[str, ...]
    before: tuple[str, ...]
    clients: tuple[str, ...]

    @property
    def directive(self) -> str:
        return LISTS[self.category]

    @property
    def value(self) -> str:
        # The new names first: the line reads strongest first; the server's order does not decide anything.
        return ",".join([*self.add, *(n for n in self.before if n not in self.add)])

    def line(self) -> ServerLine:
        return ServerLine(self.directive, self.value)

    def as_dict(self) -> dict[str, object]:
        return {"directive": self.directive, "add": list(self.add), "before": list(self.before),
                "line": self.line().text, "for": list(self.clients)}


@dataclass(frozen=True, slots=True)
class NewHostKey:
    """A host key the server needs: its type and file (``generate`` False: the file exists, unused)."""

    key_type: str
    path: str
    generate: bool
    clients: tuple[str, ...] = ()

    def argv(self) -> tuple[str, ...]:
        args, _ = KEYGEN_ARGS[self.key_type]
        return ("ssh-keygen", "-q", *args, "-N", "", "-C", "", "-f", self.path)

    def as_dict(self) -> dict[str, object]:
        return {"directive": "HostKey", "type": self.key_type, "path": self.path, "generate": self.generate,
                "for": list(self.clients)}


@dataclass(frozen=True, slots=True)
class ClientVerdict:
    """A client's negotiation with the server today and after the planned change."""

    client: TrialClient
    before: Outcome
    after: Outcome

    def as_dict(self) -> dict[str, object]:
        return {"client": self.client.name, "role": self.client.role, "partial": list(self.client.partial),
                "before": self.before.as_dict(), "after": self.after.as_dict()}


@dataclass(frozen=True, slots=True)
class FixPlan:
    """The list additions and host keys, and what they do for every client."""

    changes: tuple[ListChange, ...]
    keys: tuple[NewHostKey, ...]
    host_key_lines: tuple[str, ...]
    verdicts: tuple[ClientVerdict, ...]
    notes: tuple[str, ...] = ()

    @property
    def needed(self) -> bool:
        return bool(self.changes or self.keys)

    @property
    def unfixable(self) -> list[str]:
        """Clients that must connect but still would not."""
        return [v.client.name for v in self.verdicts if not v.after.ok and (v.client.role == "serve" or v.before.ok
                                                                            or v.client.partial)]

    def lines(self) -> list[ServerLine]:
        return [c.line() for c in self.changes] + [ServerLine.parse(t) for t in self.host_key_lines]


def _hostkey_names(proposal: Proposal, supported: Mapping[Category, Sequence[str]] | None) -> list[str]:
    allowed = None if supported is None else set(supported.get(Category.HOSTKEY, ()))
    return [n for n in proposal.hostkey if not is_pseudo(n) and not algorithm(Category.HOSTKEY, n).certificate
            and (allowed is None or n in allowed)]


def _strongest(names: Iterable[str]) -> str:
    return min(names, key=lambda n: strength_key(Category.HOSTKEY, n))


@dataclass(slots=True)
class _Work:
    offer: Proposal
    configured_hk: list[str]
    signable: set[str]
    adds: dict[Category, list[str]] = field(default_factory=dict)
    users: dict[Category, list[str]] = field(default_factory=dict)
    keys: list[NewHostKey] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, category: Category, names: Iterable[str], who: str) -> None:
        current = self.configured_hk if category is Category.HOSTKEY else list(self.offer.get(category.slots[0]))
        added = self.adds.setdefault(category, [])
        for name in names:
            if not _ALGORITHM.match(name):
                # A name from a pasted log that no sshd could take; sshd -t would refuse the line anyway.
                self.notes.append(f"{name!r} is not an algorithm name; not added")
                continue
            if name not in current and name not in added:
                added.append(name)
        if who not in self.users.setdefault(category, []):
            self.users[category].append(who)
        self._refresh()

    def _refresh(self) -> None:
        hk = [*self.adds.get(Category.HOSTKEY, []), *self.configured_hk]
        offer = self.offer.with_slot(Slot.HOSTKEY, [a for a in hk if a in self.signable])
        for category in (Category.KEX, Category.CIPHER, Category.MAC):
            added = self.adds.get(category, [])
            for slot in category.slots:
                offer = offer.with_slot(slot, [*added, *(n for n in self.offer.get(slot) if n not in added)])
        self.offer = offer


def _key_path(state: ServerState, key_type: str) -> tuple[str, bool]:
    """Where a new key of ``key_type`` goes: next to the loaded keys, sshd's usual name."""
    _, name = KEYGEN_ARGS[key_type]
    loaded = [k.path for k in state.keys if k.key_type]
    directory = os.path.dirname(loaded[0]) if loaded else os.path.dirname(os.path.abspath(state.config))
    path = os.path.join(directory, name)
    if os.path.exists(path):
        if path not in loaded and type_of(path) == key_type:
            return path, False  # the key is there, sshd just does not load it
        path = os.path.join(directory, name.replace("_key", "_sshdoctor_key"))
    return path, not os.path.exists(path)


def _fix_hostkey(state: ServerState, work: _Work, client: TrialClient, proposal: Proposal,
                 supported: Mapping[Category, Sequence[str]] | None) -> None:
    """A HostKeyAlgorithms restriction (a loaded key could sign what the client wants) or a missing key type."""
    names = _hostkey_names(proposal, supported)
    usable = [n for n in names if n in work.signable]
    if usable:
        best = _strongest(usable)
        # One RSA key signs both SHA-2 forms: enable the pair, as OpenSSH's own default does.
        picks = [n for n in _RSA_SHA2 if n in usable or n in names] if best in _RSA_SHA2 else [best]
        work.add(Category.HOSTKEY, picks or [best], client.name)
        return
    makeable = [n for n in names if _KEY_FOR.get(n) in KEYGEN_ARGS]
    if not makeable:
        work.notes.append(f"{client.name} proposes no host-key algorithm sshdoctor can make a key for")
        return
    # A new key: Ed25519 where the client takes it (small, fast, no parameters to get wrong), then ECDSA, then RSA.
    key_type = next(kt for kt in KEYGEN_ARGS if any(_KEY_FOR[n] == kt for n in makeable))
    best = next(n for n in makeable if _KEY_FOR[n] == key_type)
    path, generate = _key_path(state, key_type)
    work.keys.append(NewHostKey(key_type, path, generate, (client.name,)))
    work.signable |= set(KEY_ALGORITHMS[key_type])
    wanted = [n for n in _RSA_SHA2 if n in names] if key_type == "ssh-rsa" else [best]
    work.add(Category.HOSTKEY, [n for n in wanted if n not in work.configured_hk], client.name)
    if not work.adds.get(Category.HOSTKEY):
        work.adds.pop(Category.HOSTKEY, None)


def plan_fix(
    state: ServerState,
    clients: Sequence[TrialClient],
    supported: Mapping[Category, Sequence[str]] | None,
) -> FixPlan:
    """The smallest change that lets every ``serve`` client (and every partial one from a
    log) in, keeping every client that connects today. Pure: nothing is run."""
    work = _Work(state.offer, list(state.dumped.names("hostkeyalgorithms")), set(state.signable))
    for client in clients:
        must = client.role == "serve" or bool(client.partial)
        proposal = fill_partial(client, work.offer)
        outcome = negotiate(proposal, work.offer)
        if outcome.ok or not must:
            continue
        if Category.HOSTKEY in outcome.failures:
            _fix_hostkey(state, work, client, proposal, supported)
        plan = plan_server_fix(proposal, work.offer, supported, client_label=client.name)
        for change in plan.changes:
            category = Category.from_directive(change.directive)
            # Host keys were settled above: a name no loaded key can sign would not be offered.
            if category is not None and category in LISTS and category is not Category.HOSTKEY:
                work.add(category, change.add, client.name)
    changes = tuple(
        ListChange(cat, tuple(work.adds[cat]), tuple(state.dumped.names(_DUMP_KEY[cat])), tuple(work.users[cat]))
        for cat in LISTS if work.adds.get(cat)
    )
    verdicts = tuple(ClientVerdict(c, negotiate(fill_partial(c, state.offer), state.offer, client_label=c.name),
                                   negotiate(fill_partial(c, work.offer), work.offer, client_label=c.name))
                     for c in clients)
    lines: list[str] = []
    if work.keys:
        if not state.explicit_host_keys():
            # No HostKey line means sshd's default set; one line would replace that set, so name them all.
            lines += [f"HostKey {k.path}" for k in state.keys if k.key_type]
        lines += [f"HostKey {k.path}" for k in work.keys]
    notes = list(work.notes)
    policy = state.crypto_policy()
    if policy and changes:
        notes.append(f"the algorithm lists come from the crypto policy ({policy}, included through "
                     f"{_includer(state, policy)}); update-crypto-policies rewrites that file")
    return FixPlan(changes, tuple(work.keys), tuple(lines), verdicts, tuple(notes))


def _includer(state: ServerState, path: str) -> str:
    """``file:line`` of the Include that brings ``path`` in."""
    for entry in state.tree.entries:
        if entry.directive.key != "include":
            continue
        patterns = [p if os.path.isabs(p) else os.path.join("/etc/ssh", p) for p in entry.directive.values]
        if any(fnmatch.fnmatchcase(path, p) for p in patterns):
            return entry.where
    return state.config


def supported_lists(state: ServerState) -> dict[Category, tuple[str, ...]] | None:
    """What this sshd build can enable: ``ssh -Q`` when the local ssh is the same build, else unknown."""
    from sshdoctor.local.sshbin import supported, version

    try:
        ssh = version().label
    except LocalError:
        return None
    if state.sshd.identity is None or ssh != state.sshd.identity:
        return None
    try:
        return {cat: supported(cat) for cat in LISTS}
    except LocalError:
        return None
