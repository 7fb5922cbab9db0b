"""Free loopback ports and waiting for a server to speak."""

from __future__ import annotations

import socket
import time


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just had free (a server started next will almost surely get it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_banner(host: str, port: int, timeout: float = 10.0) -> str:
    """Block until something on host:port sends an SSH identification line."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0) as s:
                data = b""
                while b"\n" not in data:
                    chunk = s.recv(256)
                    if not chunk:
                        break
                    data += chunk
                if data.startswith(b"SSH-"):
                    return data.split(b"\n")[0].decode("ascii", "replace").strip()
        except OSError as exc:
            last = exc
        time.sleep(0.02)
    raise TimeoutError(f"no SSH banner on {host}:{port} within {timeout} s ({last})")
