"""Capture Go x/crypto/ssh negotiation failures from the lab into tests/corpus/go/.

Run from the repository root after interop/go/install.sh:

    PYTHONPATH=. .venv/bin/python interop/go/capture.py [NAME ...]

Client side: the lab's Go client of several x/crypto versions against a server
(OpenSSH sshd, or AsyncSSH in-process) that offers nothing that Go enables by
default in one category. Server side: the lab's Go server against a client
(OpenSSH ssh, or AsyncSSH) that offers nothing the Go server has in one
category; what is kept is the server's log line of the NewServerConn error.
What the other side offered (the fixture's ``their_offer``) is read from its
real KEXINIT, not from the message. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncssh
from tests.interop.families.go import BIN, VERSIONS
from tests.interop.harness import lab_keys

from sshdoctor.lab.asyncssh_server import AsyncsshServer
from sshdoctor.lab.ports import free_port, wait_for_banner
from sshdoctor.lab.sshd import Sshd
from sshdoctor.model import Target
from sshdoctor.wire.probe import probe

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpus" / "go"
KEYS = lab_keys(Path(tempfile.gettempdir()) / "sshdoctor-go-corpus-keys")

# Slot of each category whose failure Go reports first (findAgreedAlgorithms checks c2s first).
SLOT = {"kex": "kex", "hostkey": "hostkey", "cipher": "cipher_c2s", "mac": "mac_c2s", "compression": "compression_c2s"}
# curve25519 under both names: x/crypto before v0.1.0 knows only the @libssh.org one.
MODERN = {"kex": ["curve25519-sha256", "curve25519-sha256@libssh.org"], "hostkey": ["ssh-ed25519"],
          "cipher": ["aes128-ctr"], "mac": ["hmac-sha2-256"]}


class Ed448Server(AsyncsshServer):
    """An AsyncSSH server whose only host key is Ed448, which no x/crypto version implements."""

    def _host_keys(self) -> list[Any]:
        return [asyncssh.generate_private_key("ssh-ed448")]


Starter = Callable[[], contextlib.AbstractContextManager[tuple[int, str]]]


def sshd(**lists: str) -> Starter:
    @contextlib.contextmanager
    def start() -> Iterator[tuple[int, str]]:
        with Sshd(key_dir=KEYS, **lists) as server:  # type: ignore[arg-type]
            yield server.port, f"OpenSSH sshd ({', '.join(f'{k}={v}' for k, v in lists.items())})"
    return start


def asyncssh_server(cls: type[AsyncsshServer] = AsyncsshServer, **lists: list[str]) -> Starter:
    @contextlib.contextmanager
    def start() -> Iterator[tuple[int, str]]:
        merged = {**MODERN, **lists}
        with cls(**merged) as server:  # type: ignore[arg-type]
            wait_for_banner("127.0.0.1", server.port, timeout=10)
            yield server.port, f"AsyncSSH {asyncssh.__version__} server ({', '.join(f'{k}={v}' for k, v in lists.items())})"
    return start


# name -> (category, server); each is run with every client version listed for it.
CLIENT_SCENARIOS: dict[str, tuple[str, Starter]] = {
    "kex": ("kex", sshd(kex="diffie-hellman-group1-sha1,diffie-hellman-group-exchange-sha1")),
    "hostkey": ("hostkey", asyncssh_server(Ed448Server, hostkey=["ssh-ed448"])),
    "cipher": ("cipher", sshd(ciphers="aes256-cbc,aes192-cbc")),
    "mac": ("mac", sshd(ciphers="aes128-ctr", macs="hmac-md5,umac-64@openssh.com")),
    "compression": ("compression", asyncssh_server(compression=["zlib@openssh.com"])),
    # Versions before v0.1.0 know RSA host keys only as ssh-rsa (SHA-1).
    "hostkey-rsa-sha2": ("hostkey", sshd(host_key_algorithms="rsa-sha2-512,rsa-sha2-256")),
    # v0.59.0 dropped DSA.
    "hostkey-dss": ("hostkey", asyncssh_server(hostkey=["ssh-dss"])),
    # Before v0.1.0 the MAC is negotiated even under an AEAD cipher.
    "mac-under-aead": ("mac", sshd(ciphers="chacha20-poly1305@openssh.com", macs="umac-128@openssh.com")),
}
OLD, DEBIAN, V17, V45, NEWEST = (v for v, _, _ in (VERSIONS[0], VERSIONS[1], VERSIONS[2], VERSIONS[5], VERSIONS[6]))
CLIENT_RUNS: dict[str, tuple[str, ...]] = {
    "kex": (OLD, DEBIAN, V17, V45, NEWEST),
    "hostkey": (OLD, DEBIAN, V17, V45, NEWEST),
    "cipher": (OLD, DEBIAN, V17, V45, NEWEST),
    "mac": (OLD, DEBIAN, V45, NEWEST),
    "compression": (OLD, V17, V45, NEWEST),
    "hostkey-rsa-sha2": (OLD,),
    "hostkey-dss": (NEWEST,),
    "mac-under-aead": (OLD,),
}

# name -> (category, client argv after "ssh" or an AsyncSSH client's options)
SERVER_SCENARIOS: dict[str, tuple[str, list[str] | dict[str, list[str]]]] = {
    "server-kex": ("kex", ["-o", "KexAlgorithms=diffie-hellman-group1-sha1,diffie-hellman-group-exchange-sha1"]),
    "server-hostkey": ("hostkey", ["-o", "HostKeyAlgorithms=ssh-dss,ecdsa-sha2-nistp521"]),
    "server-cipher": ("cipher", ["-c", "aes256-cbc,aes192-cbc"]),
    "server-mac": ("mac", ["-c", "aes128-ctr", "-m", "hmac-md5,umac-64@openssh.com"]),
    "server-compression": ("compression", {"compression_algs": ["zlib@openssh.com"]}),
}
SERVER_RUNS: tuple[str, ...] = (OLD, DEBIAN, V45, NEWEST)


def suffix_of(version: str) -> str:
    return next(s for v, s, _ in VERSIONS if v == version)


def short(version: str) -> str:
    return "v" + (version.split("-")[0] + "-2020" if version.startswith("0.0.0-") else version)


def real_offer(port: int, slot: str) -> list[str]:
    result = asyncio.run(probe(Target("127.0.0.1", port), timeout=15))
    return list(result.proposal.offer_dict()[slot])


def write(name: str, *, command: str, program: str, text: str, expect: dict[str, Any], note: str | None = None) -> None:
    CORPUS.mkdir(parents=True, exist_ok=True)
    lines = [f"# command: {command}", f"# program: {program}", "# source: captured from the real program on 127.0.0.1"]
    if note:
        lines.append(f"# note: {note}")
    lines.append(f"# expect: {json.dumps(expect, sort_keys=True)}")
    (CORPUS / f"{name}.txt").write_text("\n".join(lines) + "\n--- output ---\n" + text)
    print(f"wrote go/{name}.txt")


def program_of(version: str) -> str:
    if version == DEBIAN:
        return "golang.org/x/crypto 0.4.0 ssh (Debian 12 golang-golang-x-crypto-dev 1:0.4.0-1), built with Go 1.26"
    return f"golang.org/x/crypto v{version} ssh (Go module proxy), built with Go 1.26"


def capture_client(name: str, wanted: set[str]) -> None:
    category, starter = CLIENT_SCENARIOS[name]
    runs = [v for v in CLIENT_RUNS[name] if not wanted or name in wanted or f"client-{name}-{short(v)}" in wanted]
    if not runs:
        return
    with starter() as (port, server):
        offer = real_offer(port, SLOT[category])
        for version in runs:
            binary = BIN / f"sshdoctor-go-{suffix_of(version)}"
            out = subprocess.run([str(binary), "client", "127.0.0.1", str(port)], capture_output=True, text=True,
                                 timeout=60)
            doc = json.loads(out.stdout.strip().splitlines()[-1])
            error = doc["error"] or ""
            words = {"kex": "key exchange", "hostkey": "host key", "cipher": "cipher", "mac": "MAC",
                     "compression": "compression"}[category]
            if f"no common algorithm for {words}" not in error and not re.search(f"for [a-z ]+ {words};", error):
                print(f"skip {name} {version}: {error}", file=sys.stderr)
                continue
            expect: dict[str, Any] = {"kind": "no-common-algorithm", "category": category, "reported_by": "go",
                                      "side": "client", "their_offer": offer}
            if category in ("cipher", "mac", "compression"):
                expect["direction"] = "c2s"
            write(f"client-{name}-{short(version)}",
                  command=f"a Go program calling ssh.Dial with a default ssh.ClientConfig, against {server}",
                  program=program_of(version) + "; the text is err.Error() of ssh.NewClientConn",
                  text=error + "\n", expect=expect)


async def _asyncssh_client(port: int, options: dict[str, list[str]]) -> None:
    with contextlib.suppress(Exception):
        conn = await asyncio.wait_for(asyncssh.connect("127.0.0.1", port, known_hosts=None, username="sshdoctor",
                                                       password="wrong", client_keys=None, **options), 10)
        conn.close()


def capture_server(name: str, version: str) -> None:
    category, client = SERVER_SCENARIOS[name]
    binary = BIN / f"sshdoctor-go-{suffix_of(version)}"
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([str(binary), "server", str(port), str(KEYS)], stdout=subprocess.DEVNULL,
                                    stderr=log, stdin=subprocess.DEVNULL)
        try:
            wait_for_banner("127.0.0.1", port, timeout=20)
            if isinstance(client, list):
                argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", *client,
                        "-p", str(port), "sshdoctor@127.0.0.1", "true"]
                what = f"ssh {' '.join(client)}"
                subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
                their = _openssh_client_offer(client, category)
            else:
                what = f"an AsyncSSH {asyncssh.__version__} client ({client})"
                asyncio.run(_asyncssh_client(port, client))
                their = list(client["compression_algs"])
            deadline = time.monotonic() + 5
            text = ""
            while time.monotonic() < deadline:
                text = log_path.read_text(errors="replace")
                if "no common algorithm" in text:
                    break
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(5)
    line = next((ln for ln in text.splitlines() if "no common algorithm" in ln), None)
    if line is None:
        print(f"skip {name} {version}: {text[-300:]}", file=sys.stderr)
        return
    # The harness's log line puts the peer address before the error text; the port differs on every run.
    line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:50022", line)
    expect: dict[str, Any] = {"kind": "no-common-algorithm", "category": category, "reported_by": "go",
                              "side": "server", "their_offer": their}
    if category in ("cipher", "mac", "compression"):
        expect["direction"] = "c2s"
    write(f"{name}-{short(version)}",
          command=f"a Go server calling ssh.NewServerConn with a default ssh.ServerConfig (Ed25519, ECDSA P-256 and "
                  f"RSA host keys), logging the error; the client: {what}",
          program=program_of(version) + "; the text after the address is err.Error() of ssh.NewServerConn",
          text=line + "\n", expect=expect)


def _openssh_client_offer(client: list[str], category: str) -> list[str]:
    """What ``ssh`` with these options puts in its KEXINIT for the category (ssh -G and the pseudo names)."""
    argv = ["ssh", "-F", "/dev/null", "-G", *client, "-p", "22", "sshdoctor@127.0.0.1"]
    conf = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    key = {"kex": "kexalgorithms", "hostkey": "hostkeyalgorithms", "cipher": "ciphers", "mac": "macs"}[category]
    value = next(ln.split(" ", 1)[1] for ln in conf.splitlines() if ln.startswith(key + " "))
    names = value.split(",")
    if category == "kex":
        names += ["ext-info-c", "kex-strict-c-v00@openssh.com"]
    return names


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for name in CLIENT_SCENARIOS:
        capture_client(name, wanted)
    for name in SERVER_SCENARIOS:
        for version in SERVER_RUNS:
            if not wanted or name in wanted or f"{name}-{short(version)}" in wanted:
                capture_server(name, version)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
