"""The contract's client for libssh through PyPI's ssh-python (interop/README.md): HOST PORT [PORT ...].

Run with the venv's python (ssh-python bundles its own libssh). One Session
per port with libssh's defaults: user "sshdoctor", the host key never checked
(ssh-python, like libssh, leaves that to the caller), only the "none"
authentication tried.

libssh reads ~/.ssh/config (and /etc/ssh/ssh_config) when it connects and
orders its host key list by ~/.ssh/known_hosts: this harness leaves that
default alone, so it must run with an empty HOME (the interop tests pass one).

One JSON line per port: ok (connect returned), chosen (get_kex_algo,
get_cipher_in/out, get_hmac_in/out), error (the exception as a traceback's
last line shows it: "ssh.exceptions.SSHError: (-1, b'kex error : ...')").
"""

from __future__ import annotations

import contextlib
import json
import sys

from ssh import options
from ssh.session import Session


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _mac(value: object) -> str | None:
    # An AEAD cipher makes the MAC implicit; libssh names it "aead-poly1305" / "aead-gcm".
    name = _text(value)
    return None if name is None or name.startswith("aead-") else name


def _error(exc: BaseException) -> str:
    # As a traceback's last line shows it: ssh-python's exceptions carry (code, message bytes).
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return f"{name}: {exc}" if str(exc) else name


def one(host: str, port: int) -> dict[str, object]:
    """Connect once and say what happened."""
    session = Session()
    session.options_set(options.HOST, host)
    session.options_set_port(port)
    session.options_set(options.USER, "sshdoctor")
    session.options_set(options.TIMEOUT, "10")
    doc: dict[str, object] = {"ok": False, "chosen": None, "error": None, "ident": None}
    try:
        session.connect()
    except Exception as exc:  # the library's own exception is the result
        doc["error"] = _error(exc)
        doc["ident"] = _ident(session)
        return doc
    doc["ok"] = True
    doc["ident"] = _ident(session)
    doc["chosen"] = {"kex": _text(session.get_kex_algo()), "cipher_c2s": _text(session.get_cipher_out()),
                     "cipher_s2c": _text(session.get_cipher_in()), "mac_c2s": _mac(session.get_hmac_out()),
                     "mac_s2c": _mac(session.get_hmac_in())}
    try:
        rc = session.userauth_none()
        doc["error"] = f"userauth_none returned {rc}: {_text(session.get_error())}"
    except Exception as exc:
        doc["error"] = _error(exc)
    with contextlib.suppress(Exception):  # a server that already hung up
        session.disconnect()
    return doc


def _ident(session: Session) -> str | None:
    try:
        return _text(session.get_serverbanner())
    except Exception:
        return None


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(f"usage: {argv[0]} HOST PORT [PORT ...]", file=sys.stderr)
        return 2
    for port in argv[2:]:
        print(json.dumps(one(argv[1], int(port))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
