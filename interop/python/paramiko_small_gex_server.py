"""Lab server with a group exchange too small for modern clients: ``python paramiko_small_gex_server.py KEX PORT KEYDIR``.

paramiko in server mode offering only the key exchanges in KEX (comma-separated), with a moduli
file that holds one 1024-bit safe prime (RFC 2409's second Oakley group). When no prime in the file
is in the range a client asks for, paramiko sends the closest one it has, as old moduli files and
appliances set to 1024-bit Diffie-Hellman do; OpenSSH 7.2 and later then refuse it ("DH GEX group
out of range"). Every authentication is refused.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
from pathlib import Path

import paramiko

OAKLEY_2 = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B"
    "302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE6"
    "49286651ECE65381FFFFFFFFFFFFFFFF"
)


def serve(conn: socket.socket, key: paramiko.PKey, kex: list[str]) -> None:
    disabled = [k for k in paramiko.Transport._preferred_kex if k not in kex]
    transport = paramiko.Transport(conn, disabled_algorithms={"kex": disabled})
    transport.add_server_key(key)
    try:
        transport.start_server(server=paramiko.ServerInterface())
        transport.accept(5)
    except Exception as exc:  # the client reports what went wrong
        print(f"sshdoctor-harness: {exc}", file=sys.stderr, flush=True)
    finally:
        transport.close()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: paramiko_small_gex_server.py KEX PORT KEYDIR", file=sys.stderr)
        return 2
    kex, port, key_dir = argv[0].split(","), int(argv[1]), Path(argv[2])
    moduli = Path(tempfile.mkdtemp(prefix="sshdoctor-moduli-")) / "moduli"
    moduli.write_text(f"20260101000000 2 6 100 1023 2 {OAKLEY_2}\n")
    if not paramiko.Transport.load_server_moduli(str(moduli)):
        print("sshdoctor-harness: the moduli file did not load", file=sys.stderr)
        return 1
    key = paramiko.RSAKey.from_private_key_file(str(key_dir / "ssh_host_rsa_key.pkcs1"))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    print("listening", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, key, kex), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
