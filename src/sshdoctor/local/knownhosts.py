"""known_hosts, read as the OpenSSH client reads it, and the host-key
algorithm order it derives from it.

When HostKeyAlgorithms is not set (or only changed with ``+``/``-``), ssh
moves the algorithms for which it already knows a key of that host to the
front of its proposal (``order_hostkeyalgs()`` in sshconnect2.c, OpenSSH
6.5 and later). The rest of the KEXINIT does not depend on the host, so a
fleet scan captures the local proposal once and applies this order per
host; the functions here are pure apart from reading the files.

Matching follows hostfile.c of OpenSSH 9.2: optional ``@cert-authority`` /
``@revoked`` marker, comma-separated patterns with ``*``, ``?`` and ``!``
(case-insensitive) or one hashed ``|1|salt|hmac`` name, keys parsed from
their blob (a line whose key does not parse is ignored), and the name looked
up is ``host`` on port 22, ``[host]:port`` otherwise, or the HostKeyAlias.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sshdoctor.negotiate.listmod import match_pattern
from sshdoctor.wire.address import ip_family

CA_MARKER = "cert-authority"
REVOKE_MARKER = "revoked"
_CERT_SUFFIX = "-cert-v01@openssh.com"
# sshkey.h: SSH_RSA_MINIMUM_MODULUS_SIZE; smaller RSA keys do not load.
_RSA_MIN_BITS = 1024
_CURVES = {"nistp256": 256, "nistp384": 384, "nistp521": 521}
_POINT_BYTES = {256: 65, 384: 97, 521: 133}

# Key type (as sshkey_type_plain() yields it) of every key or signature
# algorithm name OpenSSH knows, and the curve for the ECDSA ones.
_PLAIN: dict[str, tuple[str, int | None]] = {
    "ssh-ed25519": ("ed25519", None),
    "sk-ssh-ed25519@openssh.com": ("ed25519-sk", None),
    "ssh-rsa": ("rsa", None),
    "rsa-sha2-256": ("rsa", None),
    "rsa-sha2-512": ("rsa", None),
    "ssh-dss": ("dsa", None),
    "ecdsa-sha2-nistp256": ("ecdsa", 256),
    "ecdsa-sha2-nistp384": ("ecdsa", 384),
    "ecdsa-sha2-nistp521": ("ecdsa", 521),
    "sk-ecdsa-sha2-nistp256@openssh.com": ("ecdsa-sk", 256),
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": ("ecdsa-sk", 256),
}
# Certificate algorithm names whose plain name is not simply the prefix.
_CERT_BASE = {"sk-ssh-ed25519": "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256": "sk-ecdsa-sha2-nistp256@openssh.com"}


def algorithm_key_type(name: str) -> tuple[str, int | None, bool] | None:
    """(plain key type, ECDSA curve bits or None, is a certificate) for an
    algorithm name; None for a name OpenSSH does not know."""
    cert = name.endswith(_CERT_SUFFIX)
    base = name[: -len(_CERT_SUFFIX)] if cert else name
    if cert:
        base = _CERT_BASE.get(base, base)
    found = _PLAIN.get(base)
    if found is None:
        return None
    return found[0], found[1], cert


@dataclass(frozen=True, slots=True)
class HostKeyLine:
    """One usable known_hosts line.

    ``key_type`` is the plain type of the key in the blob (``rsa``,
    ``ecdsa`` …, or the certificate type name for a certificate), ``curve``
    the ECDSA curve bits, ``blob`` the decoded key (what revocation
    compares). ``seq`` orders lines across files as ssh reads them.
    """

    marker: str | None
    names: str
    key_type: str
    curve: int | None
    blob: bytes
    path: str = ""
    line: int = 0
    seq: int = 0

    @property
    def hashed(self) -> bool:
        return self.names.startswith("|")


class _Blob:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def string(self) -> bytes:
        if self.pos + 4 > len(self.data):
            raise ValueError("truncated")
        n = int.from_bytes(self.data[self.pos : self.pos + 4], "big")
        start = self.pos + 4
        if start + n > len(self.data):
            raise ValueError("truncated")
        self.pos = start + n
        return self.data[start : self.pos]

    def done(self) -> bool:
        return self.pos == len(self.data)


def _mpint_bits(value: bytes) -> int:
    return int.from_bytes(value, "big").bit_length()


def _blob_type(blob: bytes) -> tuple[str, int | None]:
    """The key type in a public-key blob and its curve; ValueError if it
    would not load (sshkey_from_blob: structure, no trailing bytes, RSA size)."""
    r = _Blob(blob)
    name = r.string().decode("ascii")
    if name.endswith(_CERT_SUFFIX):
        # A certificate as a plain known_hosts key never matches a plain
        # type lookup; keep its name so it is never mistaken for one.
        return name, None
    if name == "ssh-rsa":
        _e, n = r.string(), r.string()
        if _mpint_bits(n) < _RSA_MIN_BITS:
            raise ValueError("RSA key too small")
        kind, curve = "rsa", None
    elif name == "ssh-dss":
        for _ in range(4):
            r.string()
        kind, curve = "dsa", None
    elif name == "ssh-ed25519":
        if len(r.string()) != 32:
            raise ValueError("bad ed25519 key")
        kind, curve = "ed25519", None
    elif name == "sk-ssh-ed25519@openssh.com":
        if len(r.string()) != 32:
            raise ValueError("bad ed25519 key")
        r.string()  # application
        kind, curve = "ed25519-sk", None
    elif name.startswith("ecdsa-sha2-") or name == "sk-ecdsa-sha2-nistp256@openssh.com":
        curve_name = r.string().decode("ascii")
        bits = _CURVES.get(curve_name)
        expected = name.removeprefix("sk-").removesuffix("@openssh.com")
        if bits is None or expected != f"ecdsa-sha2-{curve_name}":
            raise ValueError("curve mismatch")
        point = r.string()
        if len(point) != _POINT_BYTES[bits] or point[:1] != b"\x04":
            raise ValueError("bad EC point")
        if name.startswith("sk-"):
            r.string()
            kind, curve = "ecdsa-sk", bits
        else:
            kind, curve = "ecdsa", bits
    else:
        raise ValueError(f"unknown key type {name}")
    if not r.done():
        raise ValueError("trailing data")
    return kind, curve


def _split_marker(text: str) -> tuple[str | None, str] | None:
    """check_markers(): one optional @marker; None for a line ssh rejects."""
    marker: str | None = None
    while text.startswith("@"):
        if marker is not None:
            return None
        # OpenSSH looks for a space first, then a tab, anywhere in the line.
        end = text.find(" ")
        if end < 0:
            end = text.find("\t")
        if end < 0 or end <= 1 or end >= 32:
            return None
        word = text[1:end]
        if word not in (CA_MARKER, REVOKE_MARKER):
            return None
        marker = word
        text = text[end:].lstrip(" \t")
    return marker, text


def _parse_key(text: str) -> tuple[str, int | None, bytes] | None:
    """sshkey_read(): ``type base64 [comment]`` whose blob matches the type."""
    text = text.lstrip(" \t")
    end = _token_end(text)
    if end == len(text):
        return None
    type_name = text[:end]
    claimed = _PLAIN.get(type_name)
    cert = type_name.endswith(_CERT_SUFFIX)
    if claimed is None and not cert:
        return None
    rest = text[end:].lstrip(" \t")
    if not rest:
        return None
    # b64_pton() skips white space such as a CR left by a CRLF file.
    b64 = re.sub(r"[\r\n\v\f]", "", rest[: _token_end(rest)])
    try:
        blob = base64.b64decode(b64, validate=True)
        kind, curve = _blob_type(blob)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if cert:
        if not kind.endswith(_CERT_SUFFIX):
            return None
    elif claimed is None or claimed[0] != kind or (claimed[1] is not None and claimed[1] != curve):
        return None
    return kind, curve, blob


def _token_end(text: str) -> int:
    for i, ch in enumerate(text):
        if ch in " \t":
            return i
    return len(text)


def parse_known_hosts(text: str, path: str = "", first_seq: int = 0) -> list[HostKeyLine]:
    """The lines of a known_hosts file that can ever take part in a lookup.

    Comments, blank lines, bad markers and keys that do not parse are left
    out, exactly the lines ssh skips.
    """
    out: list[HostKeyLine] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        body = raw.lstrip(" \t")
        if not body or body.startswith("#"):
            continue
        split = _split_marker(body)
        if split is None:
            continue
        marker, body = split
        end = _token_end(body)
        names = body[:end]
        parsed = _parse_key(body[end:])
        if parsed is None or not names:
            continue
        if names.startswith("|") and _hash_parts(names) is None:
            continue
        kind, curve, blob = parsed
        out.append(HostKeyLine(marker, names, kind, curve, blob, path, number, first_seq + len(out)))
    return out


@lru_cache(maxsize=65536)
def _hash_parts(names: str) -> tuple[bytes, bytes] | None:
    """(salt, hmac) of a ``|1|salt|hash`` name; None if ssh would reject it."""
    if not names.startswith("|1|"):
        return None
    salt_b64, sep, hash_b64 = names[3:].partition("|")
    if not sep or not salt_b64 or len(salt_b64) > 1024:
        return None
    try:
        salt = base64.b64decode(salt_b64, validate=True)
    except (ValueError, binascii.Error):
        return None
    if len(salt) != 20:
        return None
    try:
        digest = base64.b64decode(hash_b64, validate=True)
    except (ValueError, binascii.Error):
        digest = b""
    # ssh compares the whole re-encoded string; a name whose hash part is
    # not the canonical encoding of 20 bytes can never match.
    if base64.b64encode(digest).decode() != hash_b64:
        return salt, b""
    return salt, digest


def hash_name(name: str, salt: bytes) -> str:
    """The ``|1|salt|hash`` form ssh writes with HashKnownHosts (for tests and tools)."""
    digest = hmac.digest(salt, name.encode(), hashlib.sha1)
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _pattern_list_matches(name: str, patterns: str) -> bool:
    """match_hostname(): both sides lower-cased; a matching ``!`` pattern wins."""
    positive = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if negated:
            pattern = pattern[1:]
        if len(pattern) >= 1023:
            return False  # OpenSSH gives up on the whole list
        if match_pattern(name, pattern.lower()):
            if negated:
                return False
            positive = True
    return positive


def line_matches(line: HostKeyLine, name: str) -> bool:
    """Whether a known_hosts line is for ``name`` (as :func:`hostfile_name` builds it)."""
    if line.hashed:
        parts = _hash_parts(line.names)
        if parts is None or not parts[1]:
            return False
        return hmac.compare_digest(hmac.digest(parts[0], name.encode(), hashlib.sha1), parts[1])
    return _pattern_list_matches(name.lower(), line.names)


def is_address(host: str) -> bool:
    return ip_family(host) is not None


def hostfile_name(host: str, port: int, alias: str | None = None) -> str:
    """The name ssh looks up: the HostKeyAlias, ``host`` on port 22, else ``[host]:port``.

    Names are lower-cased as ssh does; addresses are left as they are.
    """
    if alias:
        return alias.lower()
    if not is_address(host):
        host = host.lower()
    return host if port in (0, 22) else f"[{host}]:{port}"


@dataclass
class KnownHosts:
    """Every usable line of some known_hosts files, indexed for fast lookups.

    Plain names without wildcards go into a dictionary; lines with patterns
    or hashes are tried one by one (a hashed name costs one HMAC-SHA1).
    """

    lines: list[HostKeyLine] = field(default_factory=list)
    _exact: dict[str, list[HostKeyLine]] = field(default_factory=dict)
    _scan: list[HostKeyLine] = field(default_factory=list)

    @classmethod
    def from_lines(cls, lines: Iterable[HostKeyLine]) -> KnownHosts:
        kh = cls()
        for line in lines:
            kh.lines.append(line)
            if line.hashed or any(c in line.names for c in "*?!"):
                kh._scan.append(line)
            else:
                for name in {n.lower() for n in line.names.split(",")}:
                    kh._exact.setdefault(name, []).append(line)
        return kh

    def entries_for(self, name: str) -> list[HostKeyLine]:
        """The lines that apply to ``name``, in the order ssh loads them."""
        found = list(self._exact.get(name.lower(), ()))
        found += [line for line in self._scan if line_matches(line, name)]
        found.sort(key=lambda line: line.seq)
        return found


def load_files(paths: Sequence[str]) -> KnownHosts:
    """The known_hosts files in the order ssh reads them (user files, then
    system files); missing or unreadable files count as empty."""
    lines: list[HostKeyLine] = []
    for path in paths:
        lines += _read_cached(path, *_stamp(path), first_seq=len(lines))
    return KnownHosts.from_lines(lines)


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _read_cached(path: str, mtime: int, size: int, first_seq: int) -> list[HostKeyLine]:
    if size < 0:
        return []
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
    except OSError:
        return []
    return parse_known_hosts(text, path, first_seq)


def _lookup_by_type(entries: Sequence[HostKeyLine], key_type: str, curve: int | None) -> bool:
    """lookup_key_in_hostkeys_by_type(): the first unmarked key of the type,
    unless that very key is also listed as @revoked."""
    for entry in entries:
        if entry.marker is not None or entry.key_type != key_type:
            continue
        if curve is not None and key_type == "ecdsa" and entry.curve != curve:
            continue
        return not any(e.marker == REVOKE_MARKER and e.blob == entry.blob for e in entries)
    return False


def order_hostkeyalgs(algorithms: Sequence[str], entries: Sequence[HostKeyLine]) -> list[str]:
    """OpenSSH's order_hostkeyalgs() over the lines that apply to the host.

    ``algorithms`` is the assembled HostKeyAlgorithms list. If a key of the
    first algorithm's type is known, the list stays as it is; otherwise the
    algorithms with a known key (every certificate algorithm when a
    ``@cert-authority`` line applies) move to the front, each part keeping
    its order.
    """
    if not algorithms:
        return []
    best = algorithm_key_type(algorithms[0])
    if best is not None and _lookup_by_type(entries, best[0], best[1]):
        return list(algorithms)
    have_ca = any(e.marker == CA_MARKER for e in entries)
    first: list[str] = []
    last: list[str] = []
    for alg in algorithms:
        info = algorithm_key_type(alg)
        if info is None:
            last.append(alg)
            continue
        plain, curve, cert = info
        if (cert and have_ca) or _lookup_by_type(entries, plain, curve):
            first.append(alg)
        else:
            last.append(alg)
    return first + last
