"""Regenerate the captured fixtures of this corpus from real programs on 127.0.0.1.

Run from the repository root:  python tests/corpus/capture.py [NAME ...]

Each scenario starts a lab server (OpenSSH sshd, Dropbear, or an AsyncSSH
server in-process), runs a real client against it (ssh, dbclient, plink,
paramiko, AsyncSSH, git), and writes what the client (or server) printed to
``tests/corpus/<family>/<name>.txt`` under a header with the exact command,
the program's version and what a correct diagnosis must contain. Fixtures
whose header says ``source:`` were written from the program's source, not
captured, and are not touched here. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parents[1] / "src"))

from sshdoctor.lab.asyncssh_server import AsyncsshServer  # noqa: E402
from sshdoctor.lab.keys import dropbear_key  # noqa: E402
from sshdoctor.lab.ports import free_port, wait_for_banner  # noqa: E402
from sshdoctor.lab.sshd import Sshd  # noqa: E402

KEYS = Path(tempfile.gettempdir()) / "sshdoctor-corpus-keys"
STRICT = "kex-strict-s-v00@openssh.com"


def version_of(argv: list[str]) -> str:
    out = subprocess.run(argv, capture_output=True, text=True)
    return (out.stdout + out.stderr).strip().splitlines()[0]


def ssh_version() -> str:
    return version_of(["ssh", "-V"])


def write(family: str, name: str, *, command: str, program: str, text: str, expect: list[dict[str, Any]],
          note: str | None = None) -> None:
    folder = ROOT / family
    folder.mkdir(exist_ok=True)
    lines = [f"# command: {command}", f"# program: {program}", "# source: captured from the real program on 127.0.0.1"]
    if note:
        lines.append(f"# note: {note}")
    lines += [f"# expect: {json.dumps(e, sort_keys=True)}" for e in expect]
    body = "\n".join(lines) + "\n--- output ---\n" + text
    (folder / f"{name}.txt").write_text(body)
    print(f"wrote {family}/{name}.txt")


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout,
                          env={**os.environ, **(env or {})})


def ssh_cmd(port: int, *extra: str, host: str = "127.0.0.1", known: str = "/dev/null") -> list[str]:
    return ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known}",
            "-o", "StrictHostKeyChecking=no", *extra, "-p", str(port), host, "true"]


def shown(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


# --- OpenSSH client --------------------------------------------------------------------------

def openssh_negotiation() -> None:
    cases = {
        "kex": ({"kex": ["diffie-hellman-group1-sha1"]}, "kex", ["diffie-hellman-group1-sha1", STRICT]),
        "hostkey": ({"host_key_algorithms": ["ssh-rsa"]}, "hostkey", ["ssh-rsa"]),
        "cipher": ({"ciphers": ["aes128-cbc", "3des-cbc"]}, "cipher", ["aes128-cbc", "3des-cbc"]),
        "mac": ({"macs": ["hmac-md5", "hmac-sha1-96"], "ciphers": ["aes128-ctr"]}, "mac",
                ["hmac-md5", "hmac-sha1-96"]),
    }
    for name, (config, category, offer) in cases.items():
        with Sshd(key_dir=KEYS, **config) as server:  # type: ignore[arg-type]
            argv = ssh_cmd(server.port)
            out = run(argv)
            write("openssh", f"no-matching-{name}", command=shown(argv), program=ssh_version(), text=out.stderr,
                  note=f"sshd configured with {config}",
                  expect=[{"kind": "no-common-algorithm", "category": category, "their_offer": offer,
                           "reported_by": "openssh-client", "host": "127.0.0.1", "port": server.port}])
            time.sleep(0.3)
            log = [line for line in server.log.read_text().splitlines() if "Unable to negotiate" in line]
            if name == "kex":
                # Same failure seen by sshd: there the offer is the client's.
                client = run(ssh_cmd(server.port, "-o", "KexAlgorithms=diffie-hellman-group14-sha1"))
                del client
                time.sleep(0.3)
                log = [line for line in server.log.read_text().splitlines() if "Unable to negotiate" in line]
                last = log[-1]
                write("openssh-server", "sshd-E-no-matching-kex", command=f"sshd -E LOG (lab) ; client: "
                      f"{shown(ssh_cmd(server.port, '-o', 'KexAlgorithms=diffie-hellman-group14-sha1'))}",
                      program=ssh_version().replace("OpenSSH", "sshd OpenSSH"), text=last + "\n",
                      expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "openssh-server",
                               "host": "127.0.0.1",
                               "their_offer": ["diffie-hellman-group14-sha1", "ext-info-c",
                                               "kex-strict-c-v00@openssh.com"]}])


def openssh_vvv() -> None:
    config = {"kex": ["diffie-hellman-group1-sha1"], "host_key_algorithms": ["ssh-rsa"], "ciphers": ["aes128-cbc"],
              "macs": ["hmac-md5"]}
    with Sshd(key_dir=KEYS, **config) as server:  # type: ignore[arg-type]
        argv = ssh_cmd(server.port, "-vvv", host="localhost")
        out = run(argv)
        expect = [
            {"kind": "no-common-algorithm", "category": "kex", "their_offer": ["diffie-hellman-group1-sha1", STRICT],
             "reported_by": "openssh-client", "host": "127.0.0.1", "port": server.port},
            {"kind": "no-common-algorithm", "category": "hostkey", "their_offer": ["ssh-rsa"],
             "reported_by": "openssh-client", "host": "127.0.0.1", "port": server.port},
            {"kind": "no-common-algorithm", "category": "cipher", "their_offer": ["aes128-cbc"],
             "reported_by": "openssh-client", "host": "127.0.0.1", "port": server.port},
            {"kind": "no-common-algorithm", "category": "mac", "their_offer": ["hmac-md5"],
             "reported_by": "openssh-client", "host": "127.0.0.1", "port": server.port},
        ]
        write("openssh", "vvv-every-category", command=shown(argv), program=ssh_version(), text=out.stderr,
              note=f"sshd configured with {config}; ssh stops at kex, the replay names all four", expect=expect)


def _listener(handler: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def loop() -> None:
        conn, _ = srv.accept()
        try:
            handler(conn)
        finally:
            conn.close()
            srv.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return port, t


def _close_after_read(conn: socket.socket) -> None:
    conn.recv(256)  # read ssh's banner first: closing with unread data would send a reset, not a FIN


def _reset(conn: socket.socket) -> None:
    conn.recv(256)  # let ssh send its banner and wait for ours, then reset: no race with connect()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _not_ssh(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 400 Bad\x00\r\n")
    time.sleep(1)


def _garbage_after_banner(conn: socket.socket) -> None:
    conn.sendall(b"SSH-2.0-Lab\r\n")
    conn.recv(4096)
    conn.sendall(b"\xff\xff\xff\xf0" + b"\x00" * 64)
    time.sleep(2)


def openssh_transport() -> None:
    cases: dict[str, tuple[Callable[[socket.socket], None], str, list[str]]] = {
        "banner-closed": (_close_after_read, "banner-exchange-closed", []),
        "banner-reset": (_reset, "connection-reset", []),
        "banner-invalid": (_not_ssh, "invalid-banner", []),
        "banner-timeout": (lambda c: time.sleep(4), "banner-timeout", ["-o", "ConnectTimeout=1"]),
        "bad-packet-length": (_garbage_after_banner, "bad-packet-length", []),
    }
    for name, (handler, kind, extra) in cases.items():
        port, thread = _listener(handler)
        argv = ssh_cmd(port, *extra)
        out = run(argv)
        thread.join(6)
        write("openssh", name, command=shown(argv), program=ssh_version(), text=out.stderr,
              note="a socket on 127.0.0.1 standing in for a misbehaving server (tests/corpus/capture.py)",
              expect=[{"kind": kind, "reported_by": "openssh-client", "host": "127.0.0.1", "port": port}])


# --- neighbours ------------------------------------------------------------------------------

def neighbours() -> None:
    v = ssh_version()
    port = free_port()
    argv = ssh_cmd(port)
    write("neighbours", "connection-refused", command=shown(argv), program=v, text=run(argv).stderr,
          expect=[{"kind": "connection-refused", "reported_by": "openssh-client", "host": "127.0.0.1", "port": port}])
    with tempfile.TemporaryDirectory() as tmp, Sshd(key_dir=KEYS) as server:
        t = Path(tmp)
        argv = ssh_cmd(server.port, "-o", "PubkeyAuthentication=no")
        write("neighbours", "permission-denied", command=shown(argv), program=v, text=run(argv).stderr,
              expect=[{"kind": "permission-denied", "reported_by": "openssh-client", "host": "127.0.0.1"}])
        known = t / "known_hosts"
        known.write_text("")
        argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known}",
                "-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null", "-p", str(server.port),
                "127.0.0.1", "true"]
        write("neighbours", "host-key-verification-failed", command=shown(argv), program=v, text=run(argv).stderr,
              expect=[{"kind": "host-key-verification-failed", "reported_by": "openssh-client", "host": "127.0.0.1",
                       "port": server.port}])
        other = t / "other_key"
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", str(other)], check=True)
        pub = (t / "other_key.pub").read_text().split()
        known.write_text(f"[127.0.0.1]:{server.port} {pub[0]} {pub[1]}\n")
        write("neighbours", "host-key-changed", command=shown(argv), program=v, text=run(argv).stderr,
              note="known_hosts holds a different ed25519 key for the server",
              expect=[{"kind": "host-key-changed", "reported_by": "openssh-client", "host": "127.0.0.1",
                       "port": server.port}])
        badkey = t / "id_broken"
        badkey.write_text("this is not a key\n")
        badkey.chmod(0o600)
        argv = ssh_cmd(server.port, "-i", str(badkey), "-o", "IdentitiesOnly=yes")
        write("neighbours", "invalid-key-format", command=shown(argv), program=v, text=run(argv).stderr,
              expect=[{"kind": "invalid-key-format", "reported_by": "openssh-client"}])
        argv = ssh_cmd(server.port, "-o", "ProxyCommand=false")
        write("neighbours", "proxy-closed", command=shown(argv), program=v, text=run(argv).stderr,
              expect=[{"kind": "proxy-closed", "reported_by": "openssh-client"}])
    keys = []
    with tempfile.TemporaryDirectory() as tmp, Sshd(key_dir=KEYS, extra={"MaxAuthTries": "2"}) as server:
        for i in range(4):
            path = Path(tmp) / f"k{i}"
            subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", str(path)], check=True)
            keys += ["-i", str(path)]
        argv = ssh_cmd(server.port, "-o", "IdentitiesOnly=yes", *keys)
        write("neighbours", "too-many-auth-failures", command=shown(argv), program=v, text=run(argv).stderr,
              note="sshd with MaxAuthTries 2, four keys offered",
              expect=[{"kind": "too-many-auth-failures", "reported_by": "openssh-client", "host": "127.0.0.1",
                       "port": server.port}])
    argv = ["ssh-add", "-l"]
    out = run(argv, env={"SSH_AUTH_SOCK": "/nonexistent/agent.sock"})
    write("neighbours", "agent-missing-socket", command="SSH_AUTH_SOCK=/nonexistent/agent.sock ssh-add -l",
          program=v, text=out.stderr, expect=[{"kind": "agent-unreachable", "reported_by": "openssh-client"}])
    env = {k: val for k, val in os.environ.items() if k != "SSH_AUTH_SOCK"}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    write("neighbours", "agent-unset", command="env -u SSH_AUTH_SOCK ssh-add -l", program=v, text=out.stderr,
          expect=[{"kind": "agent-unreachable", "reported_by": "openssh-client"}])


def pubkey_not_accepted() -> None:
    with tempfile.TemporaryDirectory() as tmp, Sshd(key_dir=KEYS) as s:
        key = Path(tmp) / "id_rsa"
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "rsa", "-b", "2048", "-f", str(key)], check=True)
        argv = ssh_cmd(s.port, "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "PubkeyAcceptedAlgorithms=ssh-rsa")
        run(argv)
        time.sleep(0.3)
        lines = [line for line in s.log.read_text().splitlines()
                 if "Connection from" in line or "not in PubkeyAccepted" in line]
        write("openssh-server", "sshd-E-pubkey-not-accepted", command=f"sshd -E LOG (lab, defaults); client: {shown(argv)}",
              program=ssh_version(), text="\n".join(lines) + "\n",
              expect=[{"kind": "pubkey-algorithm-not-accepted", "reported_by": "openssh-server", "host": "127.0.0.1",
                       "their_offer": ["ssh-rsa"]}])


def sshd_banner_lines() -> None:
    with Sshd(key_dir=KEYS) as s:
        with socket.create_connection(("127.0.0.1", s.port)) as c:
            c.recv(100)
        with socket.create_connection(("127.0.0.1", s.port)) as c:
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            c.recv(100)
            time.sleep(0.3)
        time.sleep(0.5)
        lines = [line for line in s.log.read_text().splitlines()
                 if "identification" in line or "invalid format" in line or "Connection from" in line]
        write("openssh-server", "sshd-E-banner", command="sshd -E LOG (lab); a TCP connect+close, then an HTTP request",
              program=ssh_version(), text="\n".join(lines) + "\n",
              expect=[{"kind": "banner-exchange-closed", "reported_by": "openssh-server", "host": "127.0.0.1"},
                      {"kind": "invalid-banner", "reported_by": "openssh-server", "host": "127.0.0.1"}])


# --- Dropbear --------------------------------------------------------------------------------

def dropbear() -> None:
    v = version_of(["dbclient", "-V"])
    with Sshd(key_dir=KEYS, kex=["diffie-hellman-group1-sha1"]) as s:
        argv = ["dbclient", "-y", "-p", str(s.port), "127.0.0.1", "true"]
        write("dropbear", "dbclient-no-matching-kex", command=shown(argv), program=v, text=run(argv).stderr,
              expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "dropbear-client",
                       "host": "127.0.0.1", "port": s.port, "their_offer": None}])
    with Sshd(key_dir=KEYS, ciphers=["aes256-gcm@openssh.com"]) as s:
        argv = ["dbclient", "-y", "-p", str(s.port), "127.0.0.1", "true"]
        write("dropbear", "dbclient-no-matching-cipher", command=shown(argv), program=v, text=run(argv).stderr,
              expect=[{"kind": "no-common-algorithm", "category": "cipher", "reported_by": "dropbear-client",
                       "host": "127.0.0.1", "port": s.port}])
    port = free_port()
    key = dropbear_key(KEYS, "ed25519")
    proc = subprocess.Popen(["dropbear", "-F", "-E", "-p", f"127.0.0.1:{port}", "-r", str(key)],
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for_banner("127.0.0.1", port)
        run(ssh_cmd(port, "-o", "KexAlgorithms=diffie-hellman-group-exchange-sha256"))
        run(ssh_cmd(port, "-o", "Ciphers=aes128-gcm@openssh.com"))
        time.sleep(0.5)
    finally:
        proc.terminate()
        err = proc.communicate(timeout=10)[1]
    lines = [line for line in err.splitlines() if "No matching" in line or "Child connection" in line]
    write("dropbear", "dropbear-server-log", command=f"dropbear -F -E -p 127.0.0.1:{port} -r KEY; clients: ssh -o "
          "KexAlgorithms=diffie-hellman-group-exchange-sha256, then ssh -o Ciphers=aes128-gcm@openssh.com",
          program=v, text="\n".join(lines) + "\n",
          expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "dropbear-server",
                   "host": "127.0.0.1"},
                  {"kind": "no-common-algorithm", "category": "cipher", "reported_by": "dropbear-server",
                   "host": "127.0.0.1"}])


# --- PuTTY -----------------------------------------------------------------------------------

def putty() -> None:
    v = version_of(["plink", "-V"])
    with AsyncsshServer(kex=["ecdh-sha2-1.3.132.0.10"], hostkey=["ssh-ed25519"], cipher=["aes128-ctr"],
                        mac=["hmac-sha2-256"]) as a:
        argv = ["plink", "-batch", "-P", str(a.port), "127.0.0.1", "true"]
        write("putty", "plink-no-common-kex", command=shown(argv), program=v + " (Debian putty-tools 0.78)",
              text=run(argv).stderr, note="AsyncSSH server offering only ecdh-sha2-1.3.132.0.10 (secp256k1)",
              expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "putty",
                       "their_offer": ["ecdh-sha2-1.3.132.0.10", "ext-info-s", "kex-strict-s-v00@openssh.com"]}])
    with AsyncsshServer(kex=["curve25519-sha256"], hostkey=["ssh-ed25519"], cipher=["aes128-ctr"],
                        mac=["umac-64@openssh.com"]) as a:
        argv = ["plink", "-batch", "-P", str(a.port), "127.0.0.1", "true"]
        write("putty", "plink-no-common-mac", command=shown(argv), program=v + " (Debian putty-tools 0.78)",
              text=run(argv).stderr, note="AsyncSSH server offering only umac-64@openssh.com",
              expect=[{"kind": "no-common-algorithm", "category": "mac", "reported_by": "putty",
                       "their_offer": ["umac-64@openssh.com"]}])
    with Sshd(key_dir=KEYS, kex=["diffie-hellman-group1-sha1"]) as s:
        argv = ["plink", "-batch", "-P", str(s.port), "127.0.0.1", "true"]
        write("putty", "plink-weak-kex-batch", command=shown(argv), program=v + " (Debian putty-tools 0.78)",
              text=run(argv).stderr,
              expect=[{"kind": "weak-algorithm-refused", "category": "kex", "reported_by": "putty",
                       "their_offer": ["diffie-hellman-group1-sha1"]}])


# --- libraries -------------------------------------------------------------------------------

_PARAMIKO = """
import paramiko, sys
c = paramiko.SSHClient(); c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
c.connect("127.0.0.1", port=int(sys.argv[1]), username="x", password="y", look_for_keys=False, allow_agent=False,
          disabled_algorithms={sys.argv[2]: sys.argv[3].split(",")})
"""

_ASYNCSSH = """
import asyncio, asyncssh, sys
async def main():
    await asyncssh.connect("127.0.0.1", port=int(sys.argv[1]), known_hosts=None, username="x",
                           mac_algs=sys.argv[2].split(","))
asyncio.run(main())
"""


def libraries() -> None:
    import asyncssh
    import paramiko

    with Sshd(key_dir=KEYS, kex=["diffie-hellman-group1-sha1"]) as s:
        argv = [sys.executable, "-c", _PARAMIKO, str(s.port), "kex", "diffie-hellman-group1-sha1"]
        out = run(argv)
        write("paramiko", "paramiko-no-kex", command="python -c PARAMIKO_CONNECT " + " ".join(argv[3:]),
              program=f"paramiko {paramiko.__version__}", text=out.stderr,
              note="paramiko client with diffie-hellman-group1-sha1 disabled, sshd offering only that",
              expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "paramiko",
                       "their_offer": None}])
    with Sshd(key_dir=KEYS, macs=["hmac-md5"], ciphers=["aes128-ctr"]) as s:
        argv = [sys.executable, "-c", _PARAMIKO, str(s.port), "macs", "hmac-md5"]
        out = run(argv)
        write("paramiko", "paramiko-no-macs", command="python -c PARAMIKO_CONNECT " + " ".join(argv[3:]),
              program=f"paramiko {paramiko.__version__}", text=out.stderr,
              expect=[{"kind": "no-common-algorithm", "category": "mac", "reported_by": "paramiko",
                       "their_offer": None}])
        argv = [sys.executable, "-c", _ASYNCSSH, str(s.port), "hmac-sha2-256"]
        out = run(argv)
        write("asyncssh", "asyncssh-no-mac", command="python -c ASYNCSSH_CONNECT " + " ".join(argv[3:]),
              program=f"AsyncSSH {asyncssh.__version__}", text=out.stderr,
              expect=[{"kind": "no-common-algorithm", "category": "mac", "reported_by": "asyncssh",
                       "their_offer": ["hmac-md5"]}])


# --- git -------------------------------------------------------------------------------------

def git() -> None:
    with Sshd(key_dir=KEYS, host_key_algorithms=["ssh-rsa"]) as s:
        argv = ["git", "ls-remote", f"ssh://git@127.0.0.1:{s.port}/srv/repo.git"]
        env = {"GIT_SSH_COMMAND": "ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=/dev/null"}
        out = run(argv, env=env)
        write("git", "git-ls-remote-hostkey", command=f"GIT_SSH_COMMAND={shlex.quote(env['GIT_SSH_COMMAND'])} "
              + shown(argv), program=version_of(["git", "--version"]) + "; " + ssh_version(), text=out.stderr,
              expect=[{"kind": "no-common-algorithm", "category": "hostkey", "reported_by": "openssh-client",
                       "host": "127.0.0.1", "port": s.port, "their_offer": ["ssh-rsa"], "via": "git"}])


SCENARIOS: dict[str, Callable[[], None]] = {
    "openssh": openssh_negotiation,
    "vvv": openssh_vvv,
    "transport": openssh_transport,
    "neighbours": neighbours,
    "signature": pubkey_not_accepted,
    "sshd-banner": sshd_banner_lines,
    "dropbear": dropbear,
    "putty": putty,
    "libraries": libraries,
    "git": git,
}


def main(names: list[str]) -> None:
    KEYS.mkdir(exist_ok=True)
    for name in names or list(SCENARIOS):
        SCENARIOS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
