"""Lab client harness for paramiko (every release from 2.7 on): ``python paramiko_client.py HOST PORT [PORT ...]``.

A default ``paramiko.Transport`` (nothing configured) connects to each port in
turn, accepts whatever host key the server shows, tries the ``none``
authentication as user ``sshdoctor`` and prints one JSON line per port (see
interop/README.md). paramiko's own DEBUG log goes to stderr, one section per
port after a ``sshdoctor-harness: port N`` marker, because that log is what a
paramiko user pastes and what ``sshdoctor explain`` reads.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from typing import Any

import paramiko

TIMEOUT = 10.0


class Recorder(logging.Handler):
    """Keeps paramiko's log messages of one connection: the agreed kex name is only said there."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def error_text(exc: BaseException) -> str:
    """The exception as a traceback's last line shows it: ``module.Class: text``."""
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    text = str(exc)
    return f"{name}: {text}" if text else name


def chosen_of(transport: Any, messages: list[str]) -> dict[str, str | None]:
    """What this Transport agreed on, from its attributes and (for the kex name) its log."""
    chosen: dict[str, str | None] = {}
    for message in messages:
        # 2.x says "Kex agreed: NAME", 3.0 and later "Kex: NAME"
        m = re.match(r"Kex(?: agreed)?: (\S+)$", message)
        if m:
            chosen["kex"] = m[1]
    chosen["hostkey"] = getattr(transport, "host_key_type", None)
    chosen["cipher_c2s"] = getattr(transport, "local_cipher", None)
    chosen["cipher_s2c"] = getattr(transport, "remote_cipher", None)
    info = getattr(transport, "_cipher_info", {})
    for slot, cipher, mac in (("mac_c2s", chosen["cipher_c2s"], "local_mac"), ("mac_s2c", chosen["cipher_s2c"], "remote_mac")):
        aead = bool(info.get(cipher, {}).get("is_aead"))
        chosen[slot] = None if aead else getattr(transport, mac, None)
    chosen["compression_c2s"] = getattr(transport, "local_compression", None)
    chosen["compression_s2c"] = getattr(transport, "remote_compression", None)
    return chosen


def connect(host: str, port: int) -> dict[str, Any]:
    recorder = Recorder()
    logging.getLogger("paramiko").addHandler(recorder)
    result: dict[str, Any] = {"ok": False, "chosen": None, "error": None, "ident": None}
    transport = None
    try:
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
        transport = paramiko.Transport(sock)
        transport.banner_timeout = TIMEOUT
        transport.handshake_timeout = TIMEOUT
        transport.start_client(timeout=TIMEOUT)
        # start_client returns once NEWKEYS went both ways: the server's host key was received and checked.
        result["ok"] = transport.get_remote_server_key() is not None
        result["chosen"] = chosen_of(transport, recorder.messages)
        try:
            transport.auth_none("sshdoctor")
            result["error"] = "the server accepted the none authentication"
        except Exception as exc:
            result["error"] = error_text(exc)
    except Exception as exc:
        result["error"] = error_text(exc)
    finally:
        if transport is not None:
            result["ident"] = getattr(transport, "remote_version", None) or None
            transport.close()
        logging.getLogger("paramiko").removeHandler(recorder)
    return result


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: paramiko_client.py HOST PORT [PORT ...]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s:%(name)s:%(message)s")
    host = argv[0]
    for port in argv[1:]:
        print(f"sshdoctor-harness: port {port}", file=sys.stderr, flush=True)
        print(json.dumps(connect(host, int(port))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
