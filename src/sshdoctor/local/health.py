"""Local causes of SSH trouble: file ownership and modes, identity files, the agent."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sshdoctor.local.paths import expand_user


@dataclass(frozen=True, slots=True)
class Problem:
    """One local problem with the command that fixes it."""

    kind: str
    path: str | None
    message: str
    fix: str | None = None


def config_permissions(path: str) -> Problem | None:
    """OpenSSH's rule for the user's config (readconf.c secure_permissions()):
    owned by the user or root, and not writable by group or others."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    uid = os.getuid()
    bad_owner = st.st_uid not in (0, uid)
    bad_mode = bool(st.st_mode & 0o022)
    if not (bad_owner or bad_mode):
        return None
    fixes = []
    if bad_owner:
        fixes.append(f"sudo chown {uid} {path}")
    fixes.append(f"chmod 600 {path}")
    why = "owned by another user" if bad_owner else f"writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return Problem(
        kind="bad-permissions",
        path=path,
        message=f"Bad owner or permissions on {path}: {why}; ssh refuses to read it",
        fix=" && ".join(fixes),
    )


_KEY_HEADERS = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----",
    b"-----BEGIN RSA PRIVATE KEY-----",
    b"-----BEGIN DSA PRIVATE KEY-----",
    b"-----BEGIN EC PRIVATE KEY-----",
    b"-----BEGIN PRIVATE KEY-----",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----",
    b"PuTTY-User-Key-File-",
)


def identity_file(path: str) -> Problem | None:
    """A private key ssh would refuse: too open, unreadable, or not a key it can load."""
    p = Path(expand_user(path))
    if not p.exists():
        return None
    try:
        st = p.stat()
        head = p.open("rb").read(64).lstrip()
    except OSError as exc:
        return Problem("unreadable-key", str(p), f"cannot read {p}: {exc.strerror}")
    if st.st_mode & 0o077 and st.st_uid == os.getuid():
        return Problem(
            kind="key-permissions",
            path=str(p),
            message=f"UNPROTECTED PRIVATE KEY FILE {p} (mode {stat.S_IMODE(st.st_mode):o}); ssh ignores it",
            fix=f"chmod 600 {p}",
        )
    if head.startswith(b"PuTTY-User-Key-File-"):
        return Problem(
            kind="invalid-key-format",
            path=str(p),
            message=f"{p} is a PuTTY .ppk key; OpenSSH cannot load it (Load key: invalid format)",
            fix=f"puttygen {p} -O private-openssh -o {p}.openssh",
        )
    if not head.startswith(_KEY_HEADERS):
        return Problem(
            kind="invalid-key-format",
            path=str(p),
            message=f"{p} does not look like a private key (Load key: invalid format)",
            fix=f"ssh-keygen -l -f {p}  # to see what it is; regenerate or re-export it",
        )
    return None


def agent() -> Problem | None:
    """An SSH_AUTH_SOCK that points nowhere or does not answer."""
    sock = os.environ.get("SSH_AUTH_SOCK")
    if not sock:
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(sock)
            # SSH2_AGENTC_REQUEST_IDENTITIES; any well-formed reply will do.
            s.sendall(b"\x00\x00\x00\x01\x0b")
            if len(s.recv(5)) < 5:
                raise OSError("no answer")
    except OSError as exc:
        return Problem(
            kind="agent-unreachable",
            path=sock,
            message=f"SSH_AUTH_SOCK={sock} does not answer ({exc.strerror or exc}): "
            "Error connecting to agent / Could not open a connection to your authentication agent",
            fix='eval "$(ssh-agent -s)" && ssh-add',
        )
    return None


def key_types(paths: list[str]) -> list[str]:
    """The key types (``ssh-keygen -l``) of the identity files that exist."""
    found = []
    for path in paths:
        p = Path(expand_user(path))
        pub = p.with_name(p.name + ".pub")
        target = pub if pub.exists() else p
        if not target.exists():
            continue
        try:
            out = subprocess.run(["ssh-keygen", "-l", "-f", str(target)], capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip():
            found.append(out.stdout.strip().rsplit("(", 1)[-1].rstrip(")"))
    return found
