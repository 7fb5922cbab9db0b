"""Run sshdoctor as a person does: in a pseudo-terminal of a given width, and read
back what they would see and copy (colours removed, every line whole)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass

INDENT = "    "
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][AB0-9]")


@dataclass(frozen=True)
class Screen:
    """What a command printed in the terminal, and its exit status."""

    code: int
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def block(self, text: str) -> str:
        """The lines of ``text`` as the terminal shows them: each one must be a whole line of the
        screen, at the copy indent, consecutive, never folded or cut. Returns them as a user copies them."""
        want = text.rstrip("\n").split("\n")
        shown = [ln.rstrip() for ln in self.lines]
        for start in range(len(shown) - len(want) + 1):
            if all(shown[start + k] == (INDENT + w).rstrip() for k, w in enumerate(want)):
                return "\n".join(s[len(INDENT):] for s in shown[start:start + len(want)]) + "\n"
        raise AssertionError(f"not printed whole, at the copy indent:\n{text}\n--- screen ---\n{self.text}")


def run_in_pty(argv: Sequence[str], columns: int, *, env: dict[str, str] | None = None, timeout: float = 240) -> Screen:
    """Run ``python -m sshdoctor ARGV`` with stdout and stderr on a ``columns``-wide terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    for key in ("COLUMNS", "LINES", "NO_COLOR"):
        full_env.pop(key, None)
    proc = subprocess.Popen([sys.executable, "-m", "sshdoctor", *argv], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=full_env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{argv} did not finish within {timeout:g} s")
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if data:
                chunks.append(data)
                continue
        if proc.poll() is not None and not ready:
            break
        if ready:
            break
    proc.wait()
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "")
    return Screen(proc.returncode, _ANSI.sub("", text))
