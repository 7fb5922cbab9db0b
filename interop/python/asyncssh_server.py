"""Lab server harness for AsyncSSH: ``python asyncssh_server.py PORT KEYDIR``.

``asyncssh.listen()`` with the default algorithm options and the lab's
Ed25519, ECDSA P-256 and RSA host keys (OpenSSH format); public-key
authentication only, and no key is accepted. AsyncSSH's log (debug level 2)
goes to stderr; one ``{"chosen": ...}`` line per connection to stdout, written
when authentication begins (which is after NEWKEYS), or ``null`` when the
connection ends before that.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import asyncssh

AEAD = {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}


class KexNames(logging.Handler):
    """The chosen key exchange per connection, from the log ("[conn=N] ... Key exchange alg: NAME")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.by_conn: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        m = re.search(r"\[conn=(\d+)\].*Key exchange alg: (?:b')?([^\s']+)", record.getMessage())
        if m:
            self.by_conn[m[1]] = m[2]


KEX = KexNames()


class RefuseAll(asyncssh.SSHServer):
    reported = False

    def connection_made(self, conn: Any) -> None:
        self.conn = conn

    def connection_lost(self, exc: Exception | None) -> None:
        # One line per connection, also for a failed one, so no reader mistakes an earlier line for it.
        if not self.reported:
            self.reported = True
            print(json.dumps({"chosen": None}), flush=True)

    def begin_auth(self, username: str) -> bool:
        if self.reported:
            return True
        self.reported = True
        conn = self.conn
        info = conn.get_extra_info
        c2s, s2c = info("recv_cipher"), info("send_cipher")
        key = conn.get_server_host_key()
        sig = getattr(key, "sig_algorithm", None) if key is not None else None
        # the connection's logger carries its "conn=N" context, the same that prefixes its log lines
        number = re.search(r"conn=(\d+)", str(getattr(conn.logger, "_context", "")))
        chosen = {
            "kex": KEX.by_conn.get(number[1]) if number else None,
            "hostkey": sig.decode() if isinstance(sig, bytes) else sig,
            "cipher_c2s": c2s,
            "cipher_s2c": s2c,
            "mac_c2s": None if c2s in AEAD else info("recv_mac"),
            "mac_s2c": None if s2c in AEAD else info("send_mac"),
            "compression_c2s": info("recv_compression"),
            "compression_s2c": info("send_compression"),
        }
        print(json.dumps({"chosen": chosen}), flush=True)
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: Any) -> bool:
        return False


async def amain(port: int, key_dir: Path) -> None:
    keys = [str(key_dir / f"ssh_host_{kind}_key") for kind in ("ed25519", "ecdsa", "rsa")]
    await asyncssh.listen("127.0.0.1", port, server_host_keys=keys, server_factory=RefuseAll, login_timeout=10)
    print("listening", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: asyncssh_server.py PORT KEYDIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s:%(name)s:%(message)s")
    logging.getLogger("asyncssh").addHandler(KEX)
    asyncssh.set_debug_level(2)
    asyncio.run(amain(int(argv[0]), Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
