"""Host keys from real key exchanges, one per host-key algorithm a server offers.

A KEXINIT only names algorithms; the key itself (its type, size and
fingerprint) is only sent inside a key exchange. This module runs one
complete key exchange with AsyncSSH per offered host-key algorithm, keeps
the key the server signed with, and disconnects before authentication.
Sizes and fingerprints are computed from the key's wire encoding, the way
``ssh-keygen -lf`` computes them, not taken from AsyncSSH.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sshdoctor.catalog import algorithm, is_pseudo
from sshdoctor.model import Category, Proposal, Slot
from sshdoctor.wire.errors import ProtocolError
from sshdoctor.wire.packet import Reader

DEFAULT_CONCURRENCY = 3
CLIENT_VERSION = "sshdoctor_audit"

# Curve sizes of the ECDSA identifiers that can appear in an ecdsa key blob.
_CURVE_BITS = {"nistp256": 256, "nistp384": 384, "nistp521": 521, "1.3.132.0.10": 256}
_FIXED_BITS = {"ssh-ed25519": ("ed25519", 256), "ssh-ed448": ("ed448", 456)}


@dataclass(frozen=True, slots=True)
class HostKey:
    """The key a server proved possession of for one host-key algorithm.

    ``fingerprint_sha256`` is ``SHA256:`` plus unpadded base64, exactly as
    ``ssh-keygen -lf`` prints it; ``public_key`` is the key's wire blob
    (the base64 field of a known_hosts line). On failure ``error`` says why
    and the key fields are None.
    """

    algorithm: str
    key_type: str | None = None
    bits: int | None = None
    fingerprint_sha256: str | None = None
    public_key: bytes | None = None
    certificate: bool = False
    error: str | None = None

    @property
    def known_hosts_entry(self) -> str | None:
        """``<key type> <base64>`` as in a known_hosts line, when the key is known."""
        if self.public_key is None:
            return None
        try:
            name = Reader(self.public_key, "public key").string("key type").decode("ascii", "replace")
        except ProtocolError:
            return None
        return f"{name} {base64.b64encode(self.public_key).decode()}"


def fingerprint_sha256(blob: bytes) -> str:
    """``SHA256:…`` of a public key blob, as ``ssh-keygen -l`` shows it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def key_size(blob: bytes) -> tuple[str, int]:
    """The key type (``rsa``, ``dsa``, ``ecdsa``, ``ed25519``, ``ed448``) and its size in bits.

    Sizes follow ``ssh-keygen -l``: the RSA modulus, the DSA prime, the
    ECDSA curve, and the fixed sizes of the Edwards curves.
    """
    r = Reader(blob, "public key")
    name = r.string("key type").decode("ascii", "replace")
    if name in _FIXED_BITS:
        return _FIXED_BITS[name]
    if name == "ssh-rsa":
        r.string("e")
        return "rsa", _mpint_bits(r.string("n"))
    if name == "ssh-dss":
        return "dsa", _mpint_bits(r.string("p"))
    if name.startswith("ecdsa-sha2-"):
        curve = r.string("curve").decode("ascii", "replace")
        if curve not in _CURVE_BITS:
            raise ProtocolError(f"unknown ECDSA curve {curve!r}")
        return "ecdsa", _CURVE_BITS[curve]
    raise ProtocolError(f"unsupported public key type {name!r}")


def _mpint_bits(value: bytes) -> int:
    return int.from_bytes(value, "big").bit_length()


def _supported() -> dict[Category, set[str]]:
    """Everything the installed AsyncSSH can negotiate, per category."""
    from asyncssh.compression import get_compression_algs
    from asyncssh.encryption import get_encryption_algs
    from asyncssh.kex import get_kex_algs
    from asyncssh.mac import get_mac_algs
    from asyncssh.public_key import get_certificate_algs, get_public_key_algs

    def names(algs: Iterable[bytes]) -> set[str]:
        return {a.decode("ascii") for a in algs}

    return {
        # GSS-API key exchange needs Kerberos credentials and sends no host key.
        Category.KEX: {n for n in names(get_kex_algs()) if not n.startswith("gss-")},
        Category.HOSTKEY: names(get_public_key_algs()) | names(get_certificate_algs()),
        Category.CIPHER: names(get_encryption_algs()),
        Category.MAC: names(get_mac_algs()),
        Category.COMPRESSION: names(get_compression_algs()),
    }


def _common(offer: Proposal, slots: Sequence[Slot], supported: set[str]) -> list[str]:
    """The server's names in these slots that AsyncSSH supports, in the server's order."""
    out: list[str] = []
    for slot in slots:
        for name in offer.get(slot):
            if name in supported and name not in out and not is_pseudo(name):
                out.append(name)
    return out


def _key_blob(key: Any) -> tuple[bytes, bool]:
    """The wire blob of the server's key; for a certificate, of the key it certifies."""
    subject = getattr(key, "key", None)
    if subject is not None and hasattr(subject, "public_data"):
        return bytes(subject.public_data), True
    return bytes(key.public_data), False


async def fetch_one(
    host: str, port: int, hostkey_alg: str, offer: Proposal, *, timeout: float
) -> HostKey:
    """Complete one key exchange restricted to ``hostkey_alg`` and return the key used."""
    import asyncssh

    supported = _supported()
    if hostkey_alg not in supported[Category.HOSTKEY]:
        return HostKey(algorithm=hostkey_alg, error="AsyncSSH cannot verify this host-key algorithm; key not fetched")
    kex_algs = _common(offer, (Slot.KEX,), supported[Category.KEX])
    lists = {
        "encryption_algs": _common(offer, (Slot.CIPHER_C2S, Slot.CIPHER_S2C), supported[Category.CIPHER]),
        "mac_algs": _common(offer, (Slot.MAC_C2S, Slot.MAC_S2C), supported[Category.MAC]),
        "compression_algs": _common(offer, (Slot.COMPRESSION_C2S, Slot.COMPRESSION_S2C), supported[Category.COMPRESSION]),
    }
    missing = [key.split("_")[0] for key, names in {"kex_algs": kex_algs, **lists}.items() if not names]
    if missing:
        return HostKey(algorithm=hostkey_alg, error=f"AsyncSSH supports none of the server's {', '.join(missing)} algorithms")
    try:
        options = asyncssh.SSHClientConnectionOptions(
            client_keys=None,
            agent_path=None,
            username="sshdoctor",
            client_version=CLIENT_VERSION,
            connect_timeout=timeout,
            login_timeout=timeout,
            **lists,
        )
        with warnings.catch_warnings():
            # Legacy servers need finite-field DH, which cryptography warns about.
            warnings.simplefilter("ignore")
            async with asyncio.timeout(timeout):
                # get_server_host_key() overrides these two options with its own arguments.
                key = await asyncssh.get_server_host_key(
                    host, port, config=None, options=options, kex_algs=kex_algs, server_host_key_algs=[hostkey_alg]
                )
    except TimeoutError:
        return HostKey(algorithm=hostkey_alg, error=f"key exchange did not finish within {timeout:g} s")
    except (OSError, asyncssh.Error, ValueError) as exc:
        return HostKey(algorithm=hostkey_alg, error=_error_text(exc))
    if key is None:
        return HostKey(algorithm=hostkey_alg, error="the key exchange completed without a host key")
    blob, is_cert = _key_blob(key)
    # AsyncSSH may hand back the certified key itself; the algorithm still says a certificate was used.
    is_cert = is_cert or algorithm(Category.HOSTKEY, hostkey_alg).certificate
    try:
        key_type, bits = key_size(blob)
    except ProtocolError as exc:
        return HostKey(algorithm=hostkey_alg, fingerprint_sha256=fingerprint_sha256(blob), public_key=blob,
                       certificate=is_cert, error=exc.message)
    return HostKey(
        algorithm=hostkey_alg,
        key_type=key_type,
        bits=bits,
        fingerprint_sha256=fingerprint_sha256(blob),
        public_key=blob,
        certificate=is_cert,
    )


def _error_text(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return f"key exchange failed: {reason}"


async def fetch_host_keys(
    host: str,
    port: int,
    offer: Proposal,
    *,
    timeout: float = 5.0,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[HostKey]:
    """One key exchange per host-key algorithm in ``offer``, in the server's order.

    Runs at most ``concurrency`` exchanges at a time (servers limit
    unauthenticated connections per source); each is bounded by
    ``timeout``. A failure is recorded in that algorithm's result, never raised.
    """
    # Failures are returned as values; AsyncSSH's own log lines about them would only be noise.
    logging.getLogger("asyncssh").setLevel(logging.CRITICAL)
    gate = asyncio.Semaphore(max(1, concurrency))
    algs = list(dict.fromkeys(offer.hostkey))

    async def one(name: str) -> HostKey:
        async with gate:
            return await fetch_one(host, port, name, offer, timeout=timeout)

    tasks = [asyncio.ensure_future(one(name)) for name in algs]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
