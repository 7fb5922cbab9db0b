"""Lab server harness for paramiko: ``python paramiko_server.py PORT KEYDIR``.

A ``paramiko.Transport`` in server mode per connection, with paramiko's
default algorithm lists and the lab's host keys: RSA from the PKCS#1 copy
(every release reads that), ECDSA P-256 and Ed25519 from the OpenSSH files
where the release can load them; every authentication is refused.

From 2.9 on the server advertises the group-exchange methods whether or not a
moduli file was loaded, and without one it refuses them when a client picks
one (the client's next packet is then "Expecting packet from (30,), got 34").
So from 2.9 on this harness loads /etc/ssh/moduli, as paramiko's own
demo_server.py does: the KEXINIT stays the default one and the server then
does what it advertises. Before 2.9 paramiko leaves group exchange out of its
KEXINIT without moduli, and the harness keeps that default. paramiko's DEBUG log goes to
stderr; one ``{"chosen": ...}`` line per connection to stdout (``null`` when
the key exchange did not finish).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import paramiko

TIMEOUT = 10.0
_lock = threading.Lock()


def host_keys(key_dir: Path) -> list[Any]:
    """The lab keys this release can load, Ed25519 first as paramiko's own preference has it."""
    keys: list[Any] = []
    loaders = [
        ("Ed25519Key", key_dir / "ssh_host_ed25519_key"),
        ("ECDSAKey", key_dir / "ssh_host_ecdsa_key"),
        ("RSAKey", key_dir / "ssh_host_rsa_key.pkcs1"),
    ]
    for cls_name, path in loaders:
        cls = getattr(paramiko, cls_name, None)
        if cls is None:
            print(f"sshdoctor-harness: this paramiko has no {cls_name}", file=sys.stderr, flush=True)
            continue
        try:
            keys.append(cls.from_private_key_file(str(path)))
        except Exception as exc:
            print(f"sshdoctor-harness: {cls_name} cannot load {path.name}: {exc}", file=sys.stderr, flush=True)
    return keys


class RefuseAll(paramiko.ServerInterface):
    """Public-key authentication only, and no key is ever accepted."""

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_none(self, username: str) -> int:
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: Any) -> int:
        return paramiko.AUTH_FAILED


class Recorder(logging.Handler):
    """The agreed kex name is only in paramiko's log ("Kex agreed: X" in 2.x, "Kex: X" later)."""

    def __init__(self, transport_logger: str) -> None:
        super().__init__(logging.DEBUG)
        self.name_of_logger = transport_logger
        self.kex: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.name != self.name_of_logger:
            return
        m = re.match(r"Kex(?: agreed)?: (\S+)$", record.getMessage())
        if m:
            self.kex = m[1]


def chosen_of(transport: Any, kex: str | None) -> dict[str, str | None]:
    """In server mode paramiko's "local" direction is server-to-client."""
    info = getattr(transport, "_cipher_info", {})
    c2s, s2c = getattr(transport, "remote_cipher", None), getattr(transport, "local_cipher", None)
    return {
        "kex": kex,
        "hostkey": getattr(transport, "host_key_type", None),
        "cipher_c2s": c2s,
        "cipher_s2c": s2c,
        "mac_c2s": None if info.get(c2s, {}).get("is_aead") else getattr(transport, "remote_mac", None),
        "mac_s2c": None if info.get(s2c, {}).get("is_aead") else getattr(transport, "local_mac", None),
        "compression_c2s": getattr(transport, "remote_compression", None),
        "compression_s2c": getattr(transport, "local_compression", None),
    }


def serve(conn: socket.socket, keys: list[Any], number: int) -> None:
    transport = paramiko.Transport(conn)
    transport.banner_timeout = TIMEOUT
    transport.handshake_timeout = TIMEOUT
    # A logger of its own per connection, so that the kex name read from the log is this connection's.
    transport.set_log_channel(f"paramiko.transport.{number}")
    recorder = Recorder(transport.get_log_channel())
    logging.getLogger(transport.get_log_channel()).addHandler(recorder)
    try:
        for key in keys:
            transport.add_server_key(key)
        try:
            transport.start_server(server=RefuseAll())
        except Exception as exc:  # paramiko logged it; the client reports it
            print(f"sshdoctor-harness: key exchange failed: {exc}", file=sys.stderr, flush=True)
            # One line per connection, also for a failed one, so no reader mistakes an earlier line for it.
            with _lock:
                print(json.dumps({"chosen": None}), flush=True)
            return
        with _lock:
            print(json.dumps({"chosen": chosen_of(transport, recorder.kex)}), flush=True)
        # Let the client try (and fail) authentication before hanging up.
        channel = transport.accept(TIMEOUT)
        if channel is not None:
            channel.close()
    finally:
        logging.getLogger(transport.get_log_channel()).removeHandler(recorder)
        transport.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: paramiko_server.py PORT KEYDIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s:%(name)s:%(message)s")
    port, key_dir = int(argv[0]), Path(argv[1])
    keys = host_keys(key_dir)
    release = tuple(int(x) for x in re.findall(r"\d+", paramiko.__version__)[:2])
    if release >= (2, 9):
        loaded = paramiko.Transport.load_server_moduli()
        print(f"sshdoctor-harness: moduli {'loaded' if loaded else 'NOT loaded'}", file=sys.stderr, flush=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    print("listening", flush=True)
    number = 0
    while True:
        conn, _ = listener.accept()
        number += 1
        threading.Thread(target=serve, args=(conn, keys, number), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
