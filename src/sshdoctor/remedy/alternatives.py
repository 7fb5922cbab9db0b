"""What can still work when the local ssh cannot speak any algorithm a server offers."""

from __future__ import annotations

from collections.abc import Iterable

from sshdoctor.catalog.profiles import all_profiles
from sshdoctor.model import Category

_CLIENT_HINTS = {
    "paramiko": "paramiko (pass disabled_algorithms={} and make sure the algorithm is in Transport's preferred lists)",
    "putty": "PuTTY/plink (its legacy algorithms sit below the 'warn below here' line; move them up in the SSH settings)",
    "asyncssh": "AsyncSSH (name the algorithm explicitly in kex_algs / encryption_algs / mac_algs / server_host_key_algs)",
    "dropbear": "Dropbear's dbclient",
    "jsch-mwiede": "JSch (mwiede fork; set the session config key for that category)",
    "go": "Go x/crypto/ssh (list it in ssh.Config / HostKeyAlgorithms)",
}


def other_clients(category: Category, offer: Iterable[str]) -> list[str]:
    """Client implementations whose newest profiled release supports one of ``offer``."""
    offered = set(offer)
    newest: dict[str, tuple[tuple[int, ...], str, list[str]]] = {}
    for prof in all_profiles().values():
        if prof.client is None:
            continue
        usable = sorted(offered & set(prof.supported.lists.get(category, ())))
        key = prof.version_key()
        if prof.implementation not in newest or key > newest[prof.implementation][0]:
            newest[prof.implementation] = (key, prof.label, usable)
    out = []
    for impl, (_key, label, usable) in sorted(newest.items()):
        if usable:
            hint = _CLIENT_HINTS.get(impl, label)
            out.append(f"{label} supports {', '.join(usable)}: {hint}")
    return out


def newest_openssh_with(category: Category, offer: Iterable[str]) -> str | None:
    """The newest OpenSSH release whose supported set still has one of ``offer``."""
    offered = set(offer)
    releases = [p for p in all_profiles().values() if p.implementation == "openssh"
                and offered & set(p.supported.lists.get(category, ()))]
    if not releases:
        return None
    return max(releases, key=lambda p: p.version_key()).label


def alternatives(category: Category, offer: Iterable[str], device_hint: str | None = None) -> list[str]:
    """Ranked ways forward when no local change can help."""
    offer = list(offer)
    items = other_clients(category, offer)
    last = newest_openssh_with(category, offer)
    # Not ssh -J: with ProxyJump the local ssh still negotiates with the target end to end.
    if last is not None:
        items.append(f"run ssh ON a machine whose ssh is {last} or older (the last OpenSSH that has it), for example a "
                     "jump host you log in to first; ssh -J would not help, since the local ssh still negotiates "
                     "with the target itself")
    else:
        items.append("no OpenSSH release sshdoctor knows supports it: use one of the clients above, on this machine "
                     "or on one you log in to first")
    items.append(device_hint or "upgrade the server or device so it offers a current algorithm")
    return items
