"""The KEXINIT the probe itself sends."""

from __future__ import annotations

from functools import cache

from sshdoctor.model import Category, Proposal

MAX_NAMES = 40


@cache
def probe_proposal() -> Proposal:
    """A broad proposal (every real algorithm in the catalog, safest first).

    The probe never completes key exchange, so this only has to be a KEXINIT
    that no server rejects on sight.
    """
    from sshdoctor.catalog import all_algorithms  # the catalog loads when the first probe needs it

    by_cat: dict[Category, list[str]] = {c: [] for c in Category}
    for algo in sorted(all_algorithms(), key=lambda a: a.rating.rank):
        # Certificates, GSS-API prefixes and aliases add length, not answers;
        # Dropbear drops a peer that proposes more than 50 names in a list.
        if algo.pseudo or algo.certificate or algo.name.startswith("gss-") or algo.same_as:
            continue
        if len(by_cat[algo.category]) < MAX_NAMES:
            by_cat[algo.category].append(algo.name)
    # Keep the proposal valid even with a sparse catalog.
    fallback = {
        Category.KEX: ["curve25519-sha256", "diffie-hellman-group14-sha256", "diffie-hellman-group1-sha1"],
        Category.HOSTKEY: ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"],
        Category.CIPHER: ["aes128-ctr", "aes128-cbc", "3des-cbc"],
        Category.MAC: ["hmac-sha2-256", "hmac-sha1", "hmac-md5"],
        Category.COMPRESSION: ["none", "zlib@openssh.com", "zlib"],
    }
    for cat, names in fallback.items():
        for name in names:
            if name not in by_cat[cat]:
                by_cat[cat].append(name)
    return Proposal.symmetric(
        kex=by_cat[Category.KEX],
        hostkey=by_cat[Category.HOSTKEY],
        cipher=by_cat[Category.CIPHER],
        mac=by_cat[Category.MAC],
        compression=by_cat[Category.COMPRESSION],
    )


@cache
def _probe_payload_tail() -> bytes:
    from sshdoctor.wire import kexinit

    return kexinit.encode(probe_proposal())[17:]


def probe_kexinit_payload() -> bytes:
    """The probe's KEXINIT payload: encoded once, with a fresh cookie each time (a scan sends thousands)."""
    import os

    from sshdoctor.wire.packet import MSG_KEXINIT

    return bytes([MSG_KEXINIT]) + os.urandom(16) + _probe_payload_tail()
