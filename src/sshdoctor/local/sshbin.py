"""The local OpenSSH client: where it is, its version, what it supports (``ssh -Q``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from sshdoctor.catalog.cache import cached_json, file_identity
from sshdoctor.local.errors import LocalError, SshMissing
from sshdoctor.model import Category

QUERY_FOR = {
    Category.KEX: "kex",
    Category.HOSTKEY: "key-sig",
    Category.CIPHER: "cipher",
    Category.MAC: "mac",
    Category.COMPRESSION: "compression",
}


@dataclass(frozen=True, slots=True)
class SshVersion:
    """The local client's version as ``ssh -V`` prints it."""

    text: str
    major: int
    minor: int
    portable: str

    @property
    def label(self) -> str:
        return self.text.split(",")[0]

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)


def ssh_path() -> str:
    """The ssh binary: $SSHDOCTOR_SSH, else ``ssh`` on PATH."""
    override = os.environ.get("SSHDOCTOR_SSH")
    found = override or shutil.which("ssh")
    if not found or not os.access(found, os.X_OK):
        raise SshMissing(
            "no OpenSSH client found: install it (Debian/Ubuntu: apt-get install openssh-client) "
            "or point SSHDOCTOR_SSH at it"
        )
    return found


def run_ssh(args: list[str], *, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """Run the local ssh with arguments, stdin closed, output captured."""
    try:
        return subprocess.run(
            [ssh_path(), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LocalError(f"ssh {' '.join(args[:2])} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise SshMissing(f"cannot run ssh: {exc.strerror}") from None


@cache
def version() -> SshVersion:
    """Parse ``ssh -V``; raises LocalError if it is not OpenSSH."""
    out = run_ssh(["-V"])
    text = (out.stderr or out.stdout).strip().splitlines()[0] if (out.stderr or out.stdout) else ""
    m = re.match(r"OpenSSH_(\d+)\.(\d+)(p\d+)?", text)
    if not m:
        raise LocalError(f"the local ssh is not OpenSSH ({text[:80]!r}); sshdoctor needs the OpenSSH client")
    return SshVersion(text=text, major=int(m[1]), minor=int(m[2]), portable=m[3] or "")


def _query(kind: str) -> list[str]:
    out = run_ssh(["-Q", kind])
    if out.returncode != 0:
        raise LocalError(f"ssh -Q {kind} failed: {out.stderr.strip()[:200]}")
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


@cache
def _all_supported() -> dict[str, list[str]]:
    # Five ssh runs cost more than the rest of a probe; the answers only
    # change when the binary does, so they are cached by its identity.
    path = ssh_path()
    result: dict[str, list[str]] = cached_json(
        "ssh-Q", file_identity(path), lambda: {kind: _query(kind) for kind in QUERY_FOR.values()}
    )
    return result


def supported(category: Category) -> tuple[str, ...]:
    """What ``ssh -Q`` lists for a category, in its order."""
    return tuple(_all_supported()[QUERY_FOR[category]])
