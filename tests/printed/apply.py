"""What a user does with printed advice: paste a block into a file where it says, run a command."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from sshdoctor.lab.ports import free_port, wait_for_banner
from sshdoctor.lab.sshd import sshd_path


def paste_ssh_block(config: Path, block: str, placement: str | None) -> None:
    """Insert ``block`` into ``config`` where ``placement`` says ("at line N"), else before the first ``Host *``."""
    lines = config.read_text().splitlines(keepends=True)
    m = re.search(r"before line (\d+)", placement or "")
    if m:
        at = int(m[1]) - 1
    elif "at the end" in (placement or ""):
        at = len(lines)
    else:
        at = next((i for i, ln in enumerate(lines) if ln.strip().lower() in ("host *", "match all")), len(lines))
    text = block if block.endswith("\n") else block + "\n"
    config.write_text("".join(lines[:at]) + text + "".join(lines[at:]))


def put_sshd_lines(config: Path, block: str) -> None:
    """sshd_config lines "in place of the line that sets it now": replace each directive's line, or put the
    line at the top of the file (before any Match block, where it wins)."""
    lines = config.read_text().splitlines()
    top: list[str] = []
    for new in block.strip("\n").split("\n"):
        key = new.split()[0].lower()
        for i, old in enumerate(lines):
            if old.split() and old.split()[0].lower() == key and key != "hostkey":
                lines[i] = new
                break
        else:
            top.append(new)
    config.write_text("\n".join([*top, *lines]) + "\n")


def sshd_accepts(config: Path) -> tuple[bool, str]:
    sshd = sshd_path()
    assert sshd is not None
    out = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True, timeout=30)
    return out.returncode == 0, out.stderr


def sshd_effective(config: Path) -> dict[str, str]:
    sshd = sshd_path()
    assert sshd is not None
    out = subprocess.run([sshd, "-T", "-f", str(config)], capture_output=True, text=True, timeout=30, check=True)
    return {k: v for k, _, v in (line.partition(" ") for line in out.stdout.splitlines())}


def trial_sshd(config: Path) -> tuple[subprocess.Popen[bytes], int]:
    """An sshd from ``config`` on a spare loopback port (its own Port/ListenAddress lines taken out)."""
    sshd = sshd_path()
    assert sshd is not None
    port = free_port()
    text = "\n".join(ln for ln in config.read_text().splitlines()
                     if not ln.strip().lower().startswith(("port ", "listenaddress ", "pidfile ")))
    trial = config.with_name(config.name + ".trial")
    trial.write_text(f"ListenAddress 127.0.0.1\nPort {port}\nPidFile none\n{text}\n")
    proc = subprocess.Popen([sshd, "-D", "-f", str(trial), "-E", str(trial) + ".log"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_banner("127.0.0.1", port, timeout=10)
    return proc, port


def run_printed(text: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A printed command line, run as a POSIX shell would run it (pipes and quotes as printed)."""
    return subprocess.run(["sh", "-c", text], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def reached_auth(stderr: str) -> bool:
    """The real ssh got through key exchange: the server asked who it is."""
    return "Permission denied" in stderr or "Authenticated" in stderr


def argv_of(text: str) -> list[str]:
    return shlex.split(text)
