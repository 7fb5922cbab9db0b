"""The ProxyCommand of the portable capture: run by the local ssh as
``python -S -I proxyrelay.py PORT %h %p``.

It connects to sshdoctor on 127.0.0.1:PORT, first reports the host and port
ssh resolved, then copies ssh's stdin to the socket and the socket to ssh's
stdout. Threads rather than select(), because Windows cannot select on
pipes. Standard library only, started with -S -I, so it costs ssh as little
start-up time as Python allows.
"""

import contextlib
import os
import socket
import sys
import threading


def _copy_in(sock: socket.socket) -> None:
    fd = sys.stdin.fileno()
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            sock.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


def main() -> None:
    port, host, ssh_port = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.settimeout(None)
    sock.sendall(f"{host} {ssh_port}\n".encode("utf-8", "surrogateescape"))
    threading.Thread(target=_copy_in, args=(sock,), daemon=True).start()
    out = sys.stdout.fileno()
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            os.write(out, data)
    except OSError:
        pass


if __name__ == "__main__":
    main()
