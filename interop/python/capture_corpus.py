"""Capture the explain corpus of paramiko, AsyncSSH, Twisted Conch and net-ssh from the lab's real programs.

Run from the repository root after ``interop/install python ruby``:

    .venv/bin/python interop/python/capture_corpus.py [NAME-PREFIX ...]

Each scenario starts a lab server that offers nothing the library supports in one category (an
OpenSSH sshd with a narrowed list, an in-process AsyncSSH server, or a socket that claims SSH 1.5),
runs a small user program of the library against it, exactly as a user would write it (DEBUG
logging on, the exception left uncaught), and writes what it printed to
``tests/corpus/<dir>/<name>.txt`` with the header tests/diagnose/corpus.py reads. Server-side
scenarios run the lab's server harness and an OpenSSH client offering what the library lacks,
and keep the server's log. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from sshdoctor.lab.asyncssh_server import AsyncsshServer  # noqa: E402
from sshdoctor.lab.ports import free_port, wait_for_banner  # noqa: E402
from sshdoctor.lab.sshd import Sshd  # noqa: E402

PREFIX = Path(os.environ.get("SSHDOCTOR_LAB_PREFIX")
              or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sshdoctor-lab")
CORPUS = ROOT / "tests" / "corpus"
KEYS = Path(tempfile.gettempdir()) / "sshdoctor-interop-corpus-keys"
HERE = Path(__file__).resolve().parent

PARAMIKO = """\
import logging, sys, paramiko
logging.basicConfig(level=logging.DEBUG)
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
t.start_client(timeout=10)
"""

ASYNCSSH = """\
import asyncio, logging, sys, asyncssh
logging.basicConfig(level=logging.DEBUG)
asyncssh.set_debug_level(2)
async def main():
    async with asyncssh.connect("127.0.0.1", int(sys.argv[1]), known_hosts=None, username="sshdoctor") as conn:
        pass
asyncio.run(main())
"""

# A paramiko server as most code writes it: no load_server_moduli() (argv: PORT KEYDIR).
PARAMIKO_SERVER_NO_MODULI = """\
import logging, socket, sys, paramiko
logging.basicConfig(level=logging.DEBUG)
listener = socket.socket()
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(1)
print("listening", flush=True)
conn, _ = listener.accept()
t = paramiko.Transport(conn)
t.add_server_key(paramiko.RSAKey.from_private_key_file(sys.argv[2] + "/ssh_host_rsa_key.pkcs1"))
t.start_server(server=paramiko.ServerInterface())
"""

NETSSH = """\
require 'net/ssh'
Net::SSH.start('127.0.0.1', 'sshdoctor', port: Integer(ARGV[0]), non_interactive: true, verify_host_key: :never)
"""


def python(venv: str) -> str:
    return str(PREFIX / "python" / venv / "bin" / "python")


def write(folder: str, name: str, *, command: str, program: str, text: str, expect: list[dict[str, Any]],
          note: str | None = None) -> None:
    lines = [f"# command: {command}", f"# program: {program}", "# source: captured from the real program on 127.0.0.1"]
    if note:
        lines.append(f"# note: {note}")
    lines += [f"# expect: {json.dumps(e, sort_keys=True)}" for e in expect]
    path = CORPUS / folder / f"{name}.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n--- output ---\n" + text)
    print(f"wrote {path.relative_to(ROOT)}")


def run(argv: list[str], port: int, timeout: float = 40) -> str:
    home = Path(tempfile.mkdtemp(prefix="sshdoctor-corpus-home-"))
    env = {**os.environ, "HOME": str(home)}
    env.pop("SSH_AUTH_SOCK", None)
    proc = subprocess.run([*argv, str(port)], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=timeout, env=env)
    return proc.stderr + proc.stdout


@contextlib.contextmanager
def sshd(**lists: Any) -> Iterator[int]:
    with Sshd(key_dir=KEYS, **lists) as server:
        yield server.port


@contextlib.contextmanager
def asyncssh_server(**lists: Any) -> Iterator[int]:
    with AsyncsshServer(**lists) as server:
        yield server.port


@contextlib.contextmanager
def ssh1_server() -> Iterator[int]:
    """A listener that answers with an SSH 1.5 identification and hangs up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    conn.sendall(b"SSH-1.5-OpenSSH_3.9p1\r\n")
                    time.sleep(0.5)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield port
    finally:
        listener.close()


@contextlib.contextmanager
def harness_server(argv: list[str]) -> Iterator[tuple[int, Path]]:
    """A lab server harness on a free port; yields the port and its log file."""
    sys.path.insert(0, str(ROOT))
    from tests.interop.harness import lab_keys

    lab_keys(KEYS)
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="sshdoctor-corpus-server-", suffix=".log")[1])
    with open(log, "wb") as err:
        proc = subprocess.Popen([*argv, str(port), str(KEYS)], stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_banner("127.0.0.1", port, timeout=30)
        yield port, log
    finally:
        proc.terminate()
        proc.wait(10)


def ssh_client(port: int, *options: str) -> None:
    subprocess.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "StrictHostKeyChecking=no", *options, "-p", str(port), "sshdoctor@127.0.0.1", "true"],
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=30)


def dbclient(port: int) -> None:
    """Debian's Dropbear client, which sends a guessed key exchange packet after its KEXINIT."""
    home = Path(tempfile.mkdtemp(prefix="sshdoctor-corpus-home-"))
    subprocess.run(["dbclient", "-y", "-y", "-T", "-l", "sshdoctor", "-p", str(port), "127.0.0.1", "true"],
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=30, env={**os.environ, "HOME": str(home)})


def expect(category: str | None, reported_by: str, their_offer: list[str] | None, side: str = "client") -> dict[str, Any]:
    return {"kind": "no-common-algorithm", "category": category, "reported_by": reported_by,
            "their_offer": their_offer, "side": side}


SNTRUP = "sntrup761x25519-sha512@openssh.com"
STRICT_S = "kex-strict-s-v00@openssh.com"
GEX_FIRST = "diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256"
COMPRESSION_ONLY = {"kex": ["ecdh-sha2-nistp256"], "hostkey": ["ssh-ed25519"], "cipher": ["aes128-ctr"],
                    "mac": ["hmac-sha2-256"], "compression": ["zlib@openssh.com"], "version": "OpenSSH_9.2"}


def paramiko_scenarios() -> dict[str, Callable[[], None]]:
    out: dict[str, Callable[[], None]] = {}
    for version in ("2.7.2", "5.1.0"):
        def client(name: str, server: Any, what: str, offer: list[str] | None, category: str,
                   version: str = version, note: str | None = None) -> Callable[[], None]:
            def go() -> None:
                with server as port:
                    text = run([python(f"paramiko-{version}"), "-c", PARAMIKO], port)
                write("paramiko", f"paramiko-{version}-{name}", command=f"python -c PARAMIKO_CONNECT {port}",
                      program=f"paramiko {version}", text=text, note=note or what,
                      expect=[expect(category, "paramiko", offer)])
            return go

        out[f"paramiko-{version}-no-kex"] = client(
            "no-kex", sshd(kex=SNTRUP), f"sshd offering only {SNTRUP}", [SNTRUP, STRICT_S], "kex")
        if version == "2.7.2":
            out[f"paramiko-{version}-no-hostkey"] = client(
                "no-hostkey", sshd(host_key_algorithms=["rsa-sha2-512", "rsa-sha2-256"]),
                "sshd offering only rsa-sha2-512,rsa-sha2-256 (2.7 knows only ssh-rsa for RSA keys)",
                ["rsa-sha2-512", "rsa-sha2-256"], "hostkey")
        else:
            out[f"paramiko-{version}-no-hostkey"] = client(
                "no-hostkey", sshd(host_key_algorithms=["ssh-dss"]), "sshd offering only ssh-dss (gone in paramiko 4.0)",
                ["ssh-dss"], "hostkey")
        out[f"paramiko-{version}-no-cipher"] = client(
            "no-cipher", sshd(ciphers=["chacha20-poly1305@openssh.com"]), "sshd offering only chacha20-poly1305",
            ["chacha20-poly1305@openssh.com"], "cipher")
        out[f"paramiko-{version}-no-mac"] = client(
            "no-mac", sshd(ciphers=["aes128-ctr"], macs=["umac-64@openssh.com"]), "sshd offering only umac-64",
            ["umac-64@openssh.com"], "mac")
        out[f"paramiko-{version}-no-compression"] = client(
            "no-compression", asyncssh_server(**COMPRESSION_ONLY),
            "an AsyncSSH server offering only zlib@openssh.com compression", ["zlib@openssh.com"], "compression")

        def old_version(version: str = version) -> None:
            with ssh1_server() as port:
                text = run([python(f"paramiko-{version}"), "-c", PARAMIKO], port)
            write("paramiko", f"paramiko-{version}-ssh1-server", command=f"python -c PARAMIKO_CONNECT {port}",
                  program=f"paramiko {version}", text=text, note="a listener answering SSH-1.5-OpenSSH_3.9p1",
                  expect=[{"kind": "protocol-version-mismatch", "reported_by": "paramiko"}])
        out[f"paramiko-{version}-ssh1-server"] = old_version

    def server_side() -> None:
        with harness_server([python("paramiko-5.1.0"), str(HERE / "paramiko_server.py")]) as (port, log):
            ssh_client(port, "-o", f"KexAlgorithms={SNTRUP}")
            time.sleep(1)
            text = log.read_text()
        write("paramiko", "paramiko-5.1.0-server-no-kex", command=f"ssh -o KexAlgorithms={SNTRUP} -p {port} (server log)",
              program="paramiko 5.1.0 (server)", text=text, note="the lab's paramiko server harness log",
              expect=[expect("kex", "paramiko", [SNTRUP, "ext-info-c", "kex-strict-c-v00@openssh.com"], "server")])
    out["paramiko-5.1.0-server-no-kex"] = server_side

    def gex_without_moduli() -> None:
        port = free_port()
        sys.path.insert(0, str(ROOT))
        from tests.interop.harness import lab_keys

        lab_keys(KEYS)
        log = Path(tempfile.mkstemp(prefix="sshdoctor-corpus-server-", suffix=".log")[1])
        with open(log, "wb") as err:
            proc = subprocess.Popen([python("paramiko-4.0.0"), "-c", PARAMIKO_SERVER_NO_MODULI, str(port), str(KEYS)],
                                    stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        try:
            assert proc.stdout is not None
            proc.stdout.readline()
            ssh_client(port, "-o", f"KexAlgorithms={GEX_FIRST}")
            proc.wait(15)
        finally:
            proc.kill()
            proc.wait()
        write("paramiko", "paramiko-4.0.0-server-gex-without-moduli",
              command=f"python -c PARAMIKO_SERVER_NO_MODULI {port}; ssh -o KexAlgorithms={GEX_FIRST} -p {port}",
              program="paramiko 4.0.0 (server)", text=log.read_text(),
              note="a paramiko server without load_server_moduli(): it advertises group exchange and then refuses it",
              expect=[{"kind": "protocol-error", "reported_by": "paramiko", "category": "kex",
                       "cause": "group exchange advertised without moduli"}])
    out["paramiko-4.0.0-server-gex-without-moduli"] = gex_without_moduli

    def small_gex(verbose: bool) -> Callable[[], None]:
        def go() -> None:
            kex = "diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1"
            flags = ["-v"] if verbose else []
            with harness_server([python("paramiko-4.0.0"), str(HERE / "paramiko_small_gex_server.py"), kex]) as (port, _log):
                argv = ["ssh", *flags, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=/dev/null",
                        "-o", "StrictHostKeyChecking=no", "-p", str(port), "127.0.0.1", "true"]
                proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
            version = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
            found: dict[str, Any] = {"kind": "dh-gex-group-too-small", "category": "kex", "reported_by": "openssh-client",
                                     "host": "127.0.0.1", "port": port}
            if verbose:
                found["algorithm"] = "diffie-hellman-group-exchange-sha256"
            write("openssh", "dh-gex-group-too-small" + ("-verbose" if verbose else ""), command=" ".join(argv),
                  program=version, text=proc.stderr,
                  note="paramiko 4.0.0 (interop/python/paramiko_small_gex_server.py) sends a 1024-bit group-exchange prime",
                  expect=[found])
        return go

    out["openssh-small-gex"] = small_gex(False)
    out["openssh-small-gex-verbose"] = small_gex(True)

    def guessed_kex() -> None:
        with harness_server([python("paramiko-5.1.0"), str(HERE / "paramiko_server.py")]) as (port, log):
            dbclient(port)
            time.sleep(1)
            text = log.read_text()
        write("paramiko", "paramiko-5.1.0-server-dbclient-guess", command=f"dbclient -y -y -T -p {port} 127.0.0.1 (server log)",
              program="paramiko 5.1.0 (server)", text=text,
              note="Dropbear 2022.83's dbclient guesses curve25519-sha256; paramiko does not skip the wrong guess",
              expect=[{"kind": "protocol-error", "reported_by": "paramiko", "category": "kex",
                       "cause": "guessed kex packet not ignored"}])
    out["paramiko-5.1.0-server-dbclient-guess"] = guessed_kex
    return out


def asyncssh_scenarios() -> dict[str, Callable[[], None]]:
    out: dict[str, Callable[[], None]] = {}
    for version in ("2.13.0", "2.24.1"):
        def client(name: str, server: Any, what: str, offer: list[str] | None, category: str | None,
                   version: str = version, kind: str = "no-common-algorithm") -> Callable[[], None]:
            def go() -> None:
                with server as port:
                    text = run([python(f"asyncssh-{version}"), "-c", ASYNCSSH], port)
                want = expect(category, "asyncssh", offer) if kind == "no-common-algorithm" else {
                    "kind": kind, "reported_by": "asyncssh"}
                write("asyncssh", f"asyncssh-{version}-{name}", command=f"python -c ASYNCSSH_CONNECT {port}",
                      program=f"AsyncSSH {version}", text=text, note=what, expect=[want])
            return go

        out[f"asyncssh-{version}-no-kex"] = client(
            "no-kex", sshd(kex=SNTRUP), f"sshd offering only {SNTRUP} (AsyncSSH has it only with liboqs)",
            [SNTRUP, STRICT_S], "kex")
        out[f"asyncssh-{version}-no-cipher"] = client(
            "no-cipher", sshd(ciphers=["aes128-cbc"]), "sshd offering only aes128-cbc", ["aes128-cbc"], "cipher")
        out[f"asyncssh-{version}-no-compression"] = client(
            "no-compression", asyncssh_server(**{**COMPRESSION_ONLY, "compression": ["zlib"]}),
            "an AsyncSSH server offering only zlib compression", ["zlib"], "compression")

    def server_side() -> None:
        with harness_server([python("asyncssh-2.24.1"), str(HERE / "asyncssh_server.py")]) as (port, log):
            ssh_client(port, "-o", f"KexAlgorithms={SNTRUP}")
            time.sleep(1)
            text = log.read_text()
        write("asyncssh", "asyncssh-2.24.1-server-no-kex", command=f"ssh -o KexAlgorithms={SNTRUP} -p {port} (server log)",
              program="AsyncSSH 2.24.1 (server)", text=text, note="the lab's AsyncSSH server harness log",
              expect=[expect("kex", "asyncssh", [SNTRUP, "ext-info-c", "kex-strict-c-v00@openssh.com"], "server")])
    out["asyncssh-2.24.1-server-no-kex"] = server_side

    def server_side_hostkey() -> None:
        with harness_server([python("asyncssh-2.24.1"), str(HERE / "asyncssh_server.py")]) as (port, log):
            ssh_client(port, "-o", "HostKeyAlgorithms=ssh-dss")
            time.sleep(1)
            text = log.read_text()
        write("asyncssh", "asyncssh-2.24.1-server-no-hostkey", command=f"ssh -o HostKeyAlgorithms=ssh-dss -p {port} (server log)",
              program="AsyncSSH 2.24.1 (server)", text=text,
              note="the lab's AsyncSSH server harness (Ed25519, ECDSA and RSA keys) and a client asking for ssh-dss",
              expect=[expect("hostkey", "asyncssh", ["ssh-dss"], "server")])
    out["asyncssh-2.24.1-server-no-hostkey"] = server_side_hostkey

    def guessed_kex() -> None:
        with harness_server([python("asyncssh-2.24.1"), str(HERE / "asyncssh_server.py")]) as (port, log):
            dbclient(port)
            time.sleep(1)
            text = log.read_text()
        write("asyncssh", "asyncssh-2.24.1-server-dbclient-guess", command=f"dbclient -y -y -T -p {port} 127.0.0.1 (server log)",
              program="AsyncSSH 2.24.1 (server)", text=text,
              note="Dropbear 2022.83's dbclient guesses curve25519-sha256, AsyncSSH 2.24.1 prefers ML-KEM",
              expect=[{"kind": "protocol-error", "reported_by": "asyncssh", "category": "kex",
                       "cause": "guessed kex packet kept"}])
    out["asyncssh-2.24.1-server-dbclient-guess"] = guessed_kex
    return out


def twisted_scenarios() -> dict[str, Callable[[], None]]:
    out: dict[str, Callable[[], None]] = {}
    for version in ("22.4.0", "26.10.0"):
        def client(version: str = version) -> None:
            with sshd(kex=SNTRUP) as port:
                text = run([python(f"twisted-{version}"), str(HERE / "twisted_client.py"), "127.0.0.1"], port)
            write("twisted-conch", f"twisted-{version}-no-kex", command=f"python twisted_client.py 127.0.0.1 {port}",
                  program=f"Twisted Conch {version}", text=text,
                  note=f"the lab's Twisted client harness against sshd offering only {SNTRUP}",
                  expect=[expect(None, "twisted-conch", None)])
        out[f"twisted-{version}-no-kex"] = client

    def server_side() -> None:
        with harness_server([python("twisted-26.10.0"), str(HERE / "twisted_server.py")]) as (port, log):
            ssh_client(port, "-o", f"KexAlgorithms={SNTRUP}")
            time.sleep(1)
            text = log.read_text()
        write("twisted-conch", "twisted-26.10.0-server-no-kex",
              command=f"ssh -o KexAlgorithms={SNTRUP} -p {port} (server log)", program="Twisted Conch 26.10.0 (server)",
              text=text, note="the lab's Twisted server harness log", expect=[expect(None, "twisted-conch", None, "server")])
    out["twisted-26.10.0-server-no-kex"] = server_side
    return out


def netssh_scenarios() -> dict[str, Callable[[], None]]:
    out: dict[str, Callable[[], None]] = {}
    cases = {
        "no-kex": (sshd(kex=SNTRUP), "kex", [SNTRUP, STRICT_S], f"sshd offering only {SNTRUP}"),
        "no-hostkey": (sshd(host_key_algorithms=["ssh-dss"]), "hostkey", ["ssh-dss"], "sshd offering only ssh-dss"),
        "no-cipher": (sshd(ciphers=["chacha20-poly1305@openssh.com"]), "cipher", ["chacha20-poly1305@openssh.com"],
                      "sshd offering only chacha20-poly1305"),
        "no-mac": (sshd(ciphers=["aes128-ctr"], macs=["umac-64@openssh.com"]), "mac", ["umac-64@openssh.com"],
                   "sshd offering only umac-64"),
    }
    for name, (server, category, offer, what) in cases.items():
        def go(name: str = name, server: Any = server, category: str = category, offer: list[str] = offer,
               what: str = what) -> None:
            with server as port:
                text = run(["/usr/bin/ruby", "-e", NETSSH], port)
            write("net-ssh", f"net-ssh-7.0.1-{name}", command=f"ruby -e NETSSH_START {port}",
                  program="Ruby net-ssh 7.0.1 (Debian 12, no x25519 gem)", text=text, note=what,
                  expect=[expect(category, "net-ssh", offer)])
        out[f"net-ssh-7.0.1-{name}"] = go
    return out


def main(argv: list[str]) -> int:
    scenarios = {**paramiko_scenarios(), **asyncssh_scenarios(), **twisted_scenarios(), **netssh_scenarios()}
    for name, scenario in scenarios.items():
        if argv and not any(name.startswith(a) for a in argv):
            continue
        scenario()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
