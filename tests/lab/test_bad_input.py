"""Every kind of bad peer ends in one clear line and a distinct exit code, in time."""

from __future__ import annotations

import http.server
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from sshdoctor.lab.ports import free_port
from sshdoctor.model import Proposal
from sshdoctor.wire import kexinit, packet
from tests.lab.hostile import HostileServer

TIMEOUT = 1.5


def run_probe(target: str, *extra: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "sshdoctor", "probe", "--timeout", str(TIMEOUT), *extra, target],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SSHDOCTOR_DEBUG": ""},
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def assert_one_clean_line(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("sshdoctor: ")
    assert "Traceback" not in stderr
    assert "\x1b" not in stderr


def read_ident(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(1024)
        if not chunk:
            return
        data += chunk


def drain(conn: socket.socket) -> None:
    conn.settimeout(0.3)
    try:
        while conn.recv(65536):
            pass
    except TimeoutError:
        pass


def kexinit_packet(prop: Proposal) -> bytes:
    return packet.build_packet(kexinit.encode(prop))


def serve_then_hang(payload: bytes) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(payload)
        read_ident(conn)
        time.sleep(TIMEOUT + 1)

    return handler


CASES: dict[str, tuple[Callable[[socket.socket], None], int, str]] = {
    # Reads the client's identification first, so its close is a FIN, not a reset.
    "closes-at-once": (read_ident, 14, "before it sent an identification string"),
    "sends-nothing": (lambda conn: time.sleep(TIMEOUT + 1), 16, "no SSH identification string"),
    "ssh1-only": (serve_then_hang(b"SSH-1.5-1.2.27\r\n"), 18, "SSH protocol 1.5"),
    "absurd-length": (serve_then_hang(b"SSH-2.0-Evil\r\n\xff\xff\xff\xf0" + b"\0" * 64), 19, "bad packet length"),
    "tiny-length": (serve_then_hang(b"SSH-2.0-Evil\r\n\x00\x00\x00\x01\x00"), 19, "bad packet length"),
    "truncated-kexinit": (
        serve_then_hang(
            b"SSH-2.0-Evil\r\n"
            + packet.build_packet(kexinit.encode(Proposal.symmetric(["curve25519-sha256"], ["x"], ["y"], ["z"]))[:30])
        ),
        19,
        "KEXINIT truncated",
    ),
    "binary-garbage": (serve_then_hang(b"\x00\x01\x02\xff garbage\r\n"), 17, "invalid characters"),
    "disconnects": (
        serve_then_hang(b"SSH-2.0-Evil\r\n" + packet.build_packet(packet.disconnect_payload(2, "go away"))),
        20,
        "go away",
    ),
    "closes-after-banner": (
        # Reads what the client sends before closing, so the close is a FIN, not a reset.
        lambda conn: (conn.sendall(b"SSH-2.0-Evil\r\n"), read_ident(conn), drain(conn)),
        23,
        "closed the connection after",
    ),
    "http-speaks-first": (serve_then_hang(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n"), 17, "HTTP"),
    "banner-then-hang": (serve_then_hang(b"SSH-2.0-Evil_1.0\r\n"), 22, "SSH-2.0-Evil_1.0"),
    "resets-before-banner": (
        lambda conn: (conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)), read_ident(conn)),
        15,
        "connection reset by",
    ),
    "resets-after-banner": (
        lambda conn: (
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)),
            conn.sendall(b"SSH-2.0-Evil\r\n"),
            read_ident(conn),
            time.sleep(0.2),
        ),
        15,
        "connection reset",
    ),
}


def test_a_banner_without_kexinit_is_in_the_json() -> None:
    with HostileServer(serve_then_hang(b"SSH-2.0-Evil_1.0\r\n")) as server:
        rc, out, err, _ = run_probe(f"127.0.0.1:{server.port}", "--json")
    assert rc == 22, err
    doc = json.loads(out)
    assert doc["banner"] == "SSH-2.0-Evil_1.0" and doc["offer"] is None and doc["error_kind"] == "kexinit-timeout"


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_server(case: str) -> None:
    handler, code, text = CASES[case]
    with HostileServer(handler) as server:
        rc, _out, err, elapsed = run_probe(f"127.0.0.1:{server.port}")
    assert rc == code, err
    assert text in err
    assert_one_clean_line(err)
    assert elapsed < TIMEOUT + 4


def test_endless_pre_banner_lines_fast() -> None:
    def flood(conn: socket.socket) -> None:
        for i in range(5000):
            conn.sendall(b"%d tarpit line\r\n" % i)

    with HostileServer(flood) as server:
        rc, _out, err, elapsed = run_probe(f"127.0.0.1:{server.port}")
    assert rc == 21, err
    assert_one_clean_line(err)
    assert elapsed < TIMEOUT + 4


def test_slow_tarpit_times_out() -> None:
    def endlessh(conn: socket.socket) -> None:
        for i in range(100):
            conn.sendall(b"%x\r\n" % (i * 7919))
            time.sleep(0.2)

    with HostileServer(endlessh) as server:
        rc, _out, err, elapsed = run_probe(f"127.0.0.1:{server.port}")
    assert rc == 21, err
    assert "tarpit" in err and "DNS" not in err
    assert_one_clean_line(err)
    assert elapsed < TIMEOUT + 4


def test_http_server_is_not_ssh() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        rc, _out, err, _ = run_probe(f"127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
    assert rc == 17, err
    assert "not an SSH server (it looks like HTTP)" in err
    assert_one_clean_line(err)


def test_closed_port_is_refused() -> None:
    rc, _out, err, _ = run_probe(f"127.0.0.1:{free_port()}")
    assert rc == 11
    assert "connection refused" in err
    assert_one_clean_line(err)


def test_unresolvable_name() -> None:
    rc, _out, err, _ = run_probe("no-such-host.invalid")
    assert rc == 10
    assert "could not resolve" in err
    assert_one_clean_line(err)


def test_escape_sequences_never_reach_the_terminal() -> None:
    evil = "\x1b[2J\x1b]0;pwned\x07"
    offer = Proposal.symmetric(
        kex=[f"curve25519-sha256{evil}"], hostkey=["ssh-ed25519"], cipher=["aes128-ctr"], mac=["hmac-sha2-256"]
    )
    banner = f"SSH-2.0-Evil{evil}\u202eRTL\r\n".encode()

    with HostileServer(serve_then_hang(banner + kexinit_packet(offer))) as server:
        rc, out, err, _ = run_probe(f"127.0.0.1:{server.port}")
        rc_json, out_json, _err, _ = run_probe(f"127.0.0.1:{server.port}", "--json")
    assert rc == 1, err  # the evil kex name matches nothing
    for text in (out, err, out_json):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in out
    assert rc_json == 1
    assert "\\u001b[2J" in out_json  # exact, JSON-escaped


def test_hostile_kexinit_flood_of_ignore_messages() -> None:
    ignore = packet.build_packet(bytes([packet.MSG_IGNORE]) + struct.pack(">I", 0))
    with HostileServer(serve_then_hang(b"SSH-2.0-Evil\r\n" + ignore * 200)) as server:
        rc, _out, err, _ = run_probe(f"127.0.0.1:{server.port}")
    assert rc == 19
    assert "before KEXINIT" in err
    assert_one_clean_line(err)


def _asyncio_probe(port: int) -> tuple[int, str, float]:
    """The scan's probe (asyncio) against the same server: its exit code and message."""
    import asyncio

    from sshdoctor.model import Target
    from sshdoctor.wire.errors import ProbeError
    from sshdoctor.wire.probe import probe

    started = time.monotonic()
    try:
        asyncio.run(probe(Target("127.0.0.1", port), timeout=TIMEOUT))
    except ProbeError as exc:
        return exc.exit_code, exc.message, time.monotonic() - started
    return 0, "", time.monotonic() - started


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_server_scan_probe_agrees(case: str) -> None:
    """A scan judges a bad peer exactly as `sshdoctor probe` does (both follow wire.scan's rules)."""
    handler, code, text = CASES[case]
    with HostileServer(handler) as server:
        rc, message, elapsed = _asyncio_probe(server.port)
    assert rc == code, message
    assert text in message
    assert elapsed < TIMEOUT + 4


def test_tarpits_in_a_scan_probe() -> None:
    def flood(conn: socket.socket) -> None:
        for i in range(5000):
            conn.sendall(b"%d tarpit line\r\n" % i)

    def endlessh(conn: socket.socket) -> None:
        for i in range(100):
            conn.sendall(b"%x\r\n" % (i * 7919))
            time.sleep(0.2)

    for handler in (flood, endlessh):
        with HostileServer(handler) as server:
            rc, message, elapsed = _asyncio_probe(server.port)
        assert rc == 21 and "tarpit" in message, message
        assert elapsed < TIMEOUT + 4
