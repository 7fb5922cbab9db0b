"""Lab client harness for AsyncSSH: ``python asyncssh_client.py HOST PORT [PORT ...]``.

``asyncssh.connect()`` with the default algorithm options connects to each
port in turn as user ``sshdoctor`` (no keys, no agent, no password; any host
key accepted: ``known_hosts=None``, which leaves the default host key list as
it is) and prints one JSON line per port (see interop/README.md). AsyncSSH's
own log (debug level 2, where it lists both offers and names the chosen key
exchange) goes to stderr after a ``sshdoctor-harness: port N`` marker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from typing import Any

import asyncssh

TIMEOUT = 10.0
# The ciphers that carry their own integrity: the MAC slot is implicit with them.
AEAD = {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}


class Recorder(logging.Handler):
    """AsyncSSH names the chosen key exchange only in its log ("Key exchange alg: NAME")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kex: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        m = re.search(r"Key exchange alg: (?:b')?([^\s']+)", record.getMessage())
        if m:
            self.kex = m[1]


def error_text(exc: BaseException) -> str:
    """The exception as a traceback's last line shows it: ``module.Class: text``."""
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    text = str(exc)
    return f"{name}: {text}" if text else name


def chosen_of(conn: Any, kex: str | None) -> dict[str, str | None]:
    info = conn.get_extra_info
    c2s, s2c = info("send_cipher"), info("recv_cipher")
    return {
        "kex": kex,
        "cipher_c2s": c2s,
        "cipher_s2c": s2c,
        "mac_c2s": None if c2s in AEAD else info("send_mac"),
        "mac_s2c": None if s2c in AEAD else info("recv_mac"),
        "compression_c2s": info("send_compression"),
        "compression_s2c": info("recv_compression"),
    }


class Client(asyncssh.SSHClient):
    """Remembers the connection once its key exchange is done (auth_banner or auth starts after NEWKEYS)."""

    def __init__(self, box: dict[str, Any]) -> None:
        self.box = box

    def connection_made(self, conn: Any) -> None:
        self.box["conn"] = conn

    def auth_completed(self) -> None:
        self.box["auth"] = True


async def connect(host: str, port: int, recorder: Recorder) -> dict[str, Any]:
    result: dict[str, Any] = {"ok": False, "chosen": None, "error": None, "ident": None}
    box: dict[str, Any] = {}
    recorder.kex = None
    try:
        conn = await asyncio.wait_for(
            asyncssh.connect(host, port, username="sshdoctor", known_hosts=None, client_keys=(), agent_path=None,
                             password=None, kbdint_auth=False, client_factory=lambda: Client(box)),
            TIMEOUT)
        result["error"] = "the server accepted the connection without authentication"
        conn.close()
    except Exception as exc:
        result["error"] = error_text(exc) if not isinstance(exc, asyncio.TimeoutError) else "timed out"
    conn = box.get("conn")
    if conn is not None:
        result["ident"] = conn.get_extra_info("server_version")
        # send_cipher is set once NEWKEYS was sent with the server's host key checked
        if conn.get_extra_info("send_cipher") is not None:
            result["ok"] = True
            result["chosen"] = chosen_of(conn, recorder.kex)
    return result


async def amain(host: str, ports: list[int]) -> None:
    recorder = Recorder()
    logging.getLogger("asyncssh").addHandler(recorder)
    for port in ports:
        print(f"sshdoctor-harness: port {port}", file=sys.stderr, flush=True)
        print(json.dumps(await connect(host, port, recorder)), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: asyncssh_client.py HOST PORT [PORT ...]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s:%(name)s:%(message)s")
    asyncssh.set_debug_level(2)
    asyncio.run(amain(argv[0], [int(p) for p in argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
