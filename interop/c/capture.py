"""Capture libssh, libssh2 and tinysshd negotiation failures from the lab into tests/corpus/.

Run from the repository root after interop/c/install.sh:

    PYTHONPATH=. .venv/bin/python interop/c/capture.py [NAME ...]

Client side: the lab's libssh and libssh2 clients (Debian's builds with our C
harnesses, and ssh-python / ssh2-python) against a server (OpenSSH sshd, or
AsyncSSH in-process) that offers nothing the client has in one category; the
text kept is the error the harness reports (ssh_get_error, the Python
exception, libssh2_session_last_error). Server side: tinysshd against OpenSSH's
ssh restricted to what tinysshd lacks in one category; the text kept is
tinysshd's log of that connection. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.interop.families import c
from tests.interop.harness import ROOT, LabClient, lab_keys, run_client

from sshdoctor.lab.asyncssh_server import AsyncsshServer
from sshdoctor.lab.sshd import Sshd

CORPUS = ROOT / "tests" / "corpus"
KEYS = lab_keys(Path(tempfile.mkdtemp(prefix="sshdoctor-c-capture-")))
SOURCE = "captured from the real program on 127.0.0.1"
MODERN = {"kex": ["curve25519-sha256"], "hostkey": ["ssh-ed25519"], "cipher": ["aes128-ctr"], "mac": ["hmac-sha2-256"]}


def write(folder: str, name: str, *, command: str, program: str, text: str, expect: list[dict[str, Any]],
          note: str | None = None) -> None:
    path = CORPUS / folder / f"{name}.txt"
    path.parent.mkdir(exist_ok=True)
    head = [f"# command: {command}", f"# program: {program}", f"# source: {SOURCE}"]
    if note:
        head.append(f"# note: {note}")
    head += [f"# expect: {json.dumps(e, sort_keys=True)}" for e in expect]
    path.write_text("\n".join(head) + "\n--- output ---\n" + text.rstrip("\n") + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def client(cid: str) -> LabClient:
    return next(x for x in c.clients() if x.id == cid)


@contextlib.contextmanager
def sshd(**lists: str) -> Iterator[tuple[int, str]]:
    with Sshd(key_dir=KEYS, **lists) as server:  # type: ignore[arg-type]
        yield server.port, "OpenSSH sshd (" + ", ".join(f"{k}={v}" for k, v in lists.items()) + ")"


@contextlib.contextmanager
def asyncssh_server(**lists: list[str]) -> Iterator[tuple[int, str]]:
    with AsyncsshServer(**{**MODERN, **lists}) as server:  # type: ignore[arg-type]
        shown = ", ".join(f"{k}={','.join(v)}" for k, v in {**MODERN, **lists}.items())
        yield server.port, f"an AsyncSSH server ({shown})"


def error_of(cid: str, port: int) -> str:
    home = Path(tempfile.mkdtemp(prefix="sshdoctor-home-"))
    (home / ".ssh").mkdir()
    run = run_client(client(cid), "127.0.0.1", [port], home=home)[0]
    assert not run.ok and run.error, (cid, run)
    return run.error


def offers(text: str) -> tuple[list[str], list[str]]:
    """libssh's message: the server's and the client's list."""
    server = text.split("server [", 1)[1].split("]", 1)[0]
    ours = text.split("client [", 1)[1].split("]", 1)[0]
    return [n for n in server.split(",") if n], [n for n in ours.split(",") if n]


LIBSSH_CASES: dict[str, tuple[Callable[[], contextlib.AbstractContextManager[tuple[int, str]]], str, str | None]] = {
    "kex": (lambda: sshd(kex="diffie-hellman-group14-sha1,diffie-hellman-group1-sha1"), "kex", None),
    "hostkey": (lambda: sshd(host_key_algorithms="ssh-rsa"), "hostkey", None),
    "cipher": (lambda: sshd(ciphers="aes128-cbc,3des-cbc"), "cipher", "c2s"),
    "mac": (lambda: sshd(ciphers="aes128-ctr", macs="hmac-sha1,hmac-md5"), "mac", "c2s"),
    "compression": (lambda: asyncssh_server(compression=["zlib"]), "compression", "c2s"),
}

PROGRAMS = {
    "libssh-0.10.6-debian12": ("libssh", "libssh 0.10.6 (Debian 12 libssh-4 0.10.6-0+deb12u3), our C client "
                               "(interop/c/libssh-client.c); the text is ssh_get_error after ssh_connect",
                               "a C program: ssh_new, ssh_options_set HOST/PORT/USER, ssh_connect"),
    "libssh-0.10.4-ssh-python-1.0.0": ("libssh", "libssh 0.10.4 as bundled by PyPI ssh-python 1.0.0; the text is the "
                                       "exception as a traceback's last line shows it",
                                       "ssh.session.Session().connect() (ssh-python 1.0.0)"),
    "libssh-0.11.3-ssh-python-1.2.0.post1": ("libssh", "libssh 0.11.3 as bundled by PyPI ssh-python 1.2.0.post1; the "
                                             "text is the exception as a traceback's last line shows it",
                                             "ssh.session.Session().connect() (ssh-python 1.2.0.post1)"),
}


def libssh(cid: str, short: str, cases: list[str]) -> None:
    folder, program, command = PROGRAMS[cid]
    for case in cases:
        start, category, direction = LIBSSH_CASES[case]
        with start() as (port, server):
            text = error_of(cid, port)
        theirs, _ = offers(text)
        want: dict[str, Any] = {"kind": "no-common-algorithm", "category": category, "reported_by": "libssh",
                                "side": "client", "their_offer": theirs}
        if direction:
            want["direction"] = direction
        write(folder, f"libssh-{short}-{case}", command=f"{command}, against {server}", program=program, text=text,
              expect=[want])


def libssh2() -> None:
    cases = {
        "libssh2-1.10.0-debian12": (
            "libssh2-1100-cipher", lambda: sshd(ciphers="aes256-gcm@openssh.com,chacha20-poly1305@openssh.com"),
            "a C program: libssh2_session_handshake on a connected socket, then libssh2_session_last_error",
            "libssh2 1.10.0 (Debian 12 libssh2-1 1.10.0-3+deb12u1), our C client (interop/c/libssh2-client.c); the "
            "text is the error code's name, the code and libssh2_session_last_error's message"),
        "libssh2-1.11.1-ssh2-python-1.2.0.post1": (
            "libssh2-1111-kex", lambda: sshd(kex="sntrup761x25519-sha512@openssh.com"),
            "ssh2.session.Session().handshake(sock) (ssh2-python 1.2.0.post1)",
            "libssh2 1.11.1 as bundled by PyPI ssh2-python 1.2.0.post1; the text is the exception (which has no "
            "message) followed by Session.last_error() in brackets, as our harness prints them"),
    }
    for cid, (name, start, command, program) in cases.items():
        with start() as (port, server):
            text = error_of(cid, port)
        write("libssh2", name, command=f"{command}, against {server}", program=program, text=text,
              note="libssh2 names no category: every negotiation failure is LIBSSH2_ERROR_KEX_FAILURE (-5)",
              expect=[{"kind": "no-common-algorithm", "category": None, "reported_by": "libssh2", "side": "client"}])


def tinysshd() -> None:
    cases = {
        "kex": (["-o", "KexAlgorithms=ecdh-sha2-nistp256,diffie-hellman-group14-sha256"], "kex"),
        "hostkey": (["-o", "HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256"], "hostkey"),
        "cipher": (["-c", "aes128-ctr,aes256-gcm@openssh.com"], "cipher"),
    }
    server = next(s for s in c.servers() if s.impl == "tinyssh")
    for case, (options, category) in cases.items():
        with server.start(KEYS) as running:
            argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", *options, "-p", str(running.port), "sshdoctor@127.0.0.1",
                    "true"]
            subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
            time.sleep(0.5)
            log = running.log()
        # The log also holds the connection that waited for the banner: keep the one ssh made.
        failed = next(ln for ln in log.splitlines() if " not available " in ln)
        cid = failed.split(":")[1].strip()
        lines = [ln for ln in log.splitlines() if ln.startswith(f"tinysshd: {cid}: ")]
        offer = next(ln for ln in lines if " not available " in ln).split(" not available ", 1)[1].split(" {")[0]
        shown = " ".join(shlex.quote(a) for a in options)
        write("tinyssh", f"tinysshd-20230101-{case}",
              command=f"tinysshd -vv KEYDIR (started per connection by interop/c/tinysshd-server), "
                      f"against OpenSSH ssh {shown}",
              program="tinysshd 20230101 (Debian 12 tinysshd 20230101-1); the text is its log (stderr) of the "
                      "connection at debug level",
              text="\n".join(lines),
              expect=[{"kind": "no-common-algorithm", "category": category, "reported_by": "tinyssh",
                       "side": "server", "their_offer": offer.split(",")}])


def main(names: list[str]) -> int:
    jobs: dict[str, Callable[[], None]] = {
        "libssh-0106": lambda: libssh("libssh-0.10.6-debian12", "0106", list(LIBSSH_CASES)),
        "libssh-0104": lambda: libssh("libssh-0.10.4-ssh-python-1.0.0", "0104-python", ["mac"]),
        "libssh-0113": lambda: libssh("libssh-0.11.3-ssh-python-1.2.0.post1", "0113-python", ["hostkey", "kex"]),
        "libssh2": libssh2,
        "tinysshd": tinysshd,
    }
    for name in names or list(jobs):
        jobs[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
