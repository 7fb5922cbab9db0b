"""The server-side change that makes a client workaround unnecessary, as Actions.

sshd_config is not ssh_config: the first value sshd obtains wins, and a
drop-in directory included at the top of the file (Debian 12, Ubuntu 22.04+,
RHEL 9, Fedora) wins over the main file. So a bare ``KexAlgorithms +x``
appended to a file that already has a KexAlgorithms line does nothing, and
replacing that line with a ``+`` form silently drops the legacy algorithms
other clients still need. The advice is therefore always the full resulting
line: the strongest algorithm the client can use first, then what the server
offers today, in place of the line that sets it now (or in a drop-in that is
read first).

From a probe alone the server's files are unknown; comparing its offer with
its release's default server lists tells whether a category is restricted
explicitly, and whether a missing host-key algorithm is a restriction
(``HostKeyAlgorithms ssh-rsa`` with an RSA key) or a missing key type.
``sshdoctor fix --server`` run on the server makes the same change in the
right file and proves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sshdoctor.catalog import is_pseudo
from sshdoctor.catalog.identify import profile_of
from sshdoctor.catalog.profiles import Profile, all_profiles, profile_for_software
from sshdoctor.catalog.software import Software
from sshdoctor.model import Action, ActionKind, Banner, Category, Proposal
from sshdoctor.remedy.actions import device_commands, setting, shell_command, sshd_lines
from sshdoctor.remedy.risk import risk_of
from sshdoctor.remedy.strength import strength_key

# Cisco IOS / IOS-XE keywords of "ip ssh server algorithm <kind> ..." (the command replaces the whole list).
_CISCO_KIND = {Category.KEX: "kex", Category.HOSTKEY: "hostkey", Category.CIPHER: "encryption", Category.MAC: "mac"}
# Distributions whose sshd_config starts with "Include /etc/ssh/sshd_config.d/*.conf".
_DROP_IN_DISTROS = ("Debian", "Ubuntu", "Raspbian")
DROP_IN = "/etc/ssh/sshd_config.d/10-sshdoctor.conf"
RSA_SHA2 = ("rsa-sha2-512", "rsa-sha2-256")
KEYGEN = {"ssh-ed25519": ("ed25519", []), "ecdsa-sha2-nistp256": ("ecdsa", ["-b", "256"])}


def first_version_supporting(implementation: str, category: Category, name: str) -> Profile | None:
    """The oldest release of an implementation whose supported set has ``name``."""
    releases = sorted(
        (p for p in all_profiles().values() if p.implementation == implementation),
        key=lambda p: p.version_key(),
    )
    for prof in releases:
        if name in prof.supported.lists.get(category, ()):
            return prof
    return None


def _earliest(implementation: str, category: Category, names: Sequence[str]) -> Profile | None:
    """The oldest release that supports at least one of ``names``."""
    found = [p for n in names if (p := first_version_supporting(implementation, category, n)) is not None]
    return min(found, key=lambda p: p.version_key(), default=None)


def _offered(offer: Proposal, category: Category) -> list[str]:
    names: list[str] = []
    for slot in category.slots:
        names += [n for n in offer.get(slot) if n not in names and not is_pseudo(n)]
    return names


def _placement(software: Software, directive: str) -> tuple[str, str, tuple[str, ...]]:
    """(file, where in it, notes) for a directive on this server."""
    if software.distro and software.distro.split()[0] in _DROP_IN_DISTROS:
        return (DROP_IN, f"a new drop-in: {software.distro}'s sshd_config reads /etc/ssh/sshd_config.d/*.conf first, "
                         f"so it wins over any {directive} line further down",
                (f"If another file in /etc/ssh/sshd_config.d sets {directive} and sorts before this one, change the "
                 "line there instead.",))
    return ("/etc/ssh/sshd_config", f"in place of the {directive} line that is there now (sshd takes the first "
                                    "value it reads), above any Match block; if sshd_config starts with an Include of "
                                    "sshd_config.d, in a drop-in there instead",
            ("On RHEL, Rocky, Alma and Fedora the lists come from the system crypto policy "
             "(/etc/crypto-policies/back-ends/opensshserver.config): use update-crypto-policies, or a drop-in "
             "that sorts before 50-redhat.conf.",) if directive != "HostKey" else ())


def _reload_notes() -> tuple[str, ...]:
    return ("Check before reloading: sudo sshd -t (keep your current session open until a new login works), then: "
            "sudo systemctl reload ssh (or sshd).",
            "On the server itself, sshdoctor fix --server finds the line that wins, changes it and proves the result "
            "on a trial sshd before anything is replaced.")


def _openssh_actions(software: Software, prof: Profile, offer: Proposal, category: Category,
                     wanted: Sequence[str]) -> list[Action]:
    """Full sshd_config lines (and a host key where one is missing) for one category."""
    current = _offered(offer, category)
    default = list(prof.server.lists.get(category, ())) if prof.server else []
    possible = [n for n in wanted if n in prof.supported.lists.get(category, ())]
    if category is Category.HOSTKEY:
        has_rsa = any(n in ("ssh-rsa", *RSA_SHA2) for n in current)
        sha2 = [n for n in RSA_SHA2 if n in possible]
        if has_rsa and sha2:
            # The key is there; HostKeyAlgorithms keeps sshd from signing with SHA-2.
            line = f"HostKeyAlgorithms {','.join(dict.fromkeys([*sha2, *current]))}"
            file, where, notes = _placement(software, "HostKeyAlgorithms")
            return [sshd_lines([line], f"on the server: let sshd sign with {sha2[0]} using the RSA key it has", file=file,
                               placement=where, risk=risk_of(category, sha2[0]),
                               notes=(f"{prof.label} has an RSA host key but offers only {', '.join(current)}: "
                                      "a HostKeyAlgorithms line restricts it (removing that line works too).",
                                      *notes, *_reload_notes()))]
        keyed = [n for n in possible if n in KEYGEN]
        if not keyed:
            return []
        name = keyed[0]
        kind, bits = KEYGEN[name]
        path = f"/etc/ssh/ssh_host_{kind}_key"
        out = [shell_command(" ".join(["sudo", "ssh-keygen", "-q", "-t", kind, *bits, "-N", "''", "-f", path]),
                             f"on the server: make the {kind} host key it lacks", side="server")]
        lines = [f"HostKey {path}"]
        restricted = bool(default) and set(current) != {n for n in default if n in current}
        if restricted or set(current) - set(default):
            lines.append(f"HostKeyAlgorithms {','.join(dict.fromkeys([name, *current]))}")
        file, where, notes = _placement(software, "HostKey")
        out.append(sshd_lines(lines, f"then load it (and offer {name})", file=file, placement=where,
                              risk=risk_of(category, name),
                              notes=("With no HostKey line at all, sshd loads the default key files by itself; once "
                                     "there is one, every key needs its own line.", *notes, *_reload_notes())))
        return out
    if not possible:
        return []
    best = possible[0]
    line = f"{category.directive} {','.join(dict.fromkeys([best, *current]))}"
    file, where, notes = _placement(software, category.directive)
    restricted = bool(default) and set(current) != set(default)
    why = (f"{prof.label} offers {len(current)} of its default {category.value} algorithms: a {category.directive} "
           "line restricts it." if restricted else f"{prof.label} offers its default {category.value} list.")
    return [sshd_lines([line], f"on the server: offer {best} first, keeping what it offers today", file=file,
                       placement=where, risk=risk_of(category, best),
                       notes=(why, "The other names stay so the clients that connect today still can.", *notes,
                              *_reload_notes()))]


def _combined(actions: list[Action]) -> list[Action]:
    """One sshd_config action for every category (each alone may fix one category and fail on the next),
    after the commands that must run first (a host key to make)."""
    lines = [a for a in actions if a.kind is ActionKind.SSHD_CONFIG]
    if len(lines) < 2:
        return actions
    commands = [a for a in actions if a.kind is ActionKind.COMMAND]
    others = [a for a in actions if a.kind not in (ActionKind.SSHD_CONFIG, ActionKind.COMMAND)]
    text = "".join(a.text for a in lines)
    notes = tuple(dict.fromkeys(n for a in lines for n in a.notes))
    risk = " ".join(dict.fromkeys(a.risk for a in lines if a.risk))
    first = lines[0]
    merged = sshd_lines(text.rstrip("\n").split("\n"), "on the server: offer a current algorithm in every failing "
                        "category, keeping what it offers today", file=first.file or "/etc/ssh/sshd_config",
                        placement=first.placement or "", risk=risk or None, notes=notes)
    return [*commands, merged, *others]


def server_side_actions(software: Software, offer: Proposal, failing: Sequence[Category],
                        client_defaults: Mapping[Category, Sequence[str]], banner: Banner | None = None) -> list[Action]:
    """What the server's administrator can change so the client needs no workaround, strongest first.

    ``client_defaults`` are the lists the client proposes without any
    change; the server should offer the strongest of them that its release
    supports. A release that supports none gets the first release that does.
    """
    actions: list[Action] = []
    prof = profile_of(banner) if banner is not None else profile_for_software(software.product, software.version)
    if software.product.startswith("cisco"):
        # Cisco banners carry the SSH server's own version (1.25), not the
        # IOS release: take the newest profiled release for the command set.
        releases = [p for p in all_profiles().values() if p.implementation.startswith("cisco-ios")]
        prof = max(releases, key=lambda p: p.version_key(), default=None)
    cisco_lines: list[str] = []
    for category in failing:
        if category is Category.COMPRESSION:
            continue
        wanted = sorted(client_defaults.get(category, ()), key=lambda n: strength_key(category, n))
        if prof is not None:
            possible = [n for n in wanted if n in prof.supported.lists.get(category, ())]
            if possible:
                if software.product == "openssh":
                    actions += _openssh_actions(software, prof, offer, category, wanted)
                elif software.product.startswith("cisco") and category in _CISCO_KIND:
                    names = list(dict.fromkeys([possible[0], *_offered(offer, category)]))
                    cisco_lines.append(f"ip ssh server algorithm {_CISCO_KIND[category]} {' '.join(names)}")
                elif software.product == "dropbear":
                    actions.append(Action.note(f"Dropbear {software.version}: its algorithms are chosen when it is "
                                               "built", f"{prof.label} supports {possible[0]}, but only a build with it "
                                               "enabled (localoptions.h) offers it.", side="server"))
                else:
                    act = setting(prof, "server", {category: possible[:1]}, risk=risk_of(category, possible[0]))
                    actions.append(act or Action.note(f"on the server ({prof.label}): enable {possible[0]} for "
                                                      f"{category.directive}", side="server"))
                continue
            target = _earliest(prof.implementation, category, wanted)
            if target is not None:
                actions.append(Action.note(f"upgrade the server to {target.label} or later",
                                           f"{prof.label} cannot use any {category.value} algorithm your ssh proposes "
                                           "by default.", side="server"))
                continue
        known_impl = any(p.implementation == software.product for p in all_profiles().values())
        if known_impl and prof is None:
            target = _earliest(software.product, category, wanted)
            if target is not None:
                actions.append(Action.note(f"upgrade the server to {target.label} or later",
                                           f"{software.label} is older than any release sshdoctor knows; {target.label} "
                                           f"has a {category.value} algorithm your ssh proposes by default.",
                                           side="server"))
                continue
        if wanted:
            actions.append(Action.note(f"enable a modern {category.value} algorithm on the server, e.g. {wanted[0]}, or "
                                       "upgrade it", side="server"))
    actions = _combined(actions)
    if cisco_lines:
        actions.insert(0, device_commands(["configure terminal", *cisco_lines, "end"],
                                          "on the device: offer a current algorithm too (each command replaces the "
                                          "whole list, so the current names are kept)", platform="cisco-ios",
                                          notes=("Then: write memory.",)))
    return actions
