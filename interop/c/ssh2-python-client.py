"""The contract's client for libssh2 through PyPI's ssh2-python (interop/README.md): HOST PORT [PORT ...].

Run with the venv's python (ssh2-python bundles its own libssh2). One Session
per port with libssh2's defaults (no method_pref): handshake on a socket of
our own, the host key never checked (libssh2 leaves that to the caller),
then the "none" authentication (userauth_list) as user "sshdoctor".

One JSON line per port: ok (handshake returned), chosen (Session.methods for
all eight slots), error (the exception as a traceback's last line shows it,
then libssh2's own last_error text in brackets when the exception's text is
empty), ident (null: ssh2-python does not expose the server's banner).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys

from ssh2 import session as s2
from ssh2.session import Session

SLOTS = (("kex", s2.LIBSSH2_METHOD_KEX), ("hostkey", s2.LIBSSH2_METHOD_HOSTKEY),
         ("cipher_c2s", s2.LIBSSH2_METHOD_CRYPT_CS), ("cipher_s2c", s2.LIBSSH2_METHOD_CRYPT_SC),
         ("mac_c2s", s2.LIBSSH2_METHOD_MAC_CS), ("mac_s2c", s2.LIBSSH2_METHOD_MAC_SC),
         ("compression_c2s", s2.LIBSSH2_METHOD_COMP_CS), ("compression_s2c", s2.LIBSSH2_METHOD_COMP_SC))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _error(exc: BaseException, session: Session) -> str:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    text = f"{name}: {exc}" if str(exc) else name
    try:
        last = _text(session.last_error())
        code = session.last_errno()
    except Exception:  # no session state to ask
        last, code = None, None
    if last:
        text += f" [libssh2 error {code}: {last}]"
    return text


def _chosen(session: Session) -> dict[str, str | None]:
    chosen = {slot: _text(session.methods(method)) for slot, method in SLOTS}
    for d in ("c2s", "s2c"):
        # AES-GCM names a made-up MAC ("INTEGRATED-AES-GCM"); chacha20-poly1305 still negotiates an unused HMAC.
        mac, cipher = chosen[f"mac_{d}"], chosen[f"cipher_{d}"]
        if mac is None or mac.startswith("INTEGRATED") or cipher == "chacha20-poly1305@openssh.com":
            chosen[f"mac_{d}"] = None
    return chosen


def one(host: str, port: int) -> dict[str, object]:
    """Connect once and say what happened."""
    doc: dict[str, object] = {"ok": False, "chosen": None, "error": None, "ident": None}
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as exc:
        doc["error"] = f"{type(exc).__name__}: {exc}"
        return doc
    session = Session()
    session.set_timeout(10000)
    with sock:
        try:
            session.handshake(sock)
        except Exception as exc:  # the library's own exception is the result
            doc["error"] = _error(exc, session)
            return doc
        doc["ok"] = True
        doc["chosen"] = _chosen(session)
        try:
            methods = session.userauth_list("sshdoctor")
            doc["error"] = f"authentication methods that can continue: {_text(methods)}"
        except Exception as exc:
            doc["error"] = _error(exc, session)
        with contextlib.suppress(Exception):  # a server that already hung up
            session.disconnect()
    return doc


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(f"usage: {argv[0]} HOST PORT [PORT ...]", file=sys.stderr)
        return 2
    for port in argv[2:]:
        print(json.dumps(one(argv[1], int(port))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
