"""Capture the JVM libraries' negotiation failures as corpus fixtures (tests/corpus/<impl>/*.txt).

Run from the repository root after interop/jvm/install.sh:  .venv/bin/python interop/jvm/capture.py [NAME ...]

Each scenario starts a lab server that offers, in one category, nothing the library supports
(an OpenSSH sshd with that list set, an AsyncSSH server, or the MINA server harness), runs the
library's lab harness against it (or OpenSSH's ssh against the MINA server, for MINA's server-side
log) and writes what the program printed under a header: the command, the program, and what a
correct diagnosis holds, with the peer's offer as the server really sent it. Nothing leaves
127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.interop.harness import lab_keys, prefix  # noqa: E402

from sshdoctor.lab.asyncssh_server import AsyncsshServer  # noqa: E402
from sshdoctor.lab.ports import free_port, wait_for_banner  # noqa: E402
from sshdoctor.lab.sshd import Sshd  # noqa: E402
from sshdoctor.model import Slot, Target  # noqa: E402
from sshdoctor.wire.probe import probe  # noqa: E402

BIN = prefix("jvm") / "bin"
CORPUS = ROOT / "tests" / "corpus"
KEYS = Path(tempfile.gettempdir()) / "sshdoctor-jvm-capture-keys"
PROGRAMS = {
    "jsch": "JSch 0.1.55 (Debian 12 libjsch-java 0.1.55-1, identifies as JSCH-0.1.54) on OpenJDK 17",
    "jsch-mwiede": "JSch, mwiede fork, com.github.mwiede:jsch:{v} (Maven Central) on OpenJDK 17",
    "mina-sshd": "Apache MINA SSHD org.apache.sshd:sshd-core:{v} (Maven Central) on OpenJDK 17, slf4j-simple logging",
    "sshj": "sshj com.hierynomus:sshj:{v} (Maven Central) on OpenJDK 17, slf4j-simple logging",
    "trilead-ssh2": "trilead-ssh2 com.trilead:trilead-ssh2:{v} (Maven Central) on OpenJDK 17",
}
SLOT_OF = {"kex": Slot.KEX, "hostkey": Slot.HOSTKEY, "cipher": Slot.CIPHER_C2S, "mac": Slot.MAC_C2S,
           "compression": Slot.COMPRESSION_C2S}


@dataclass
class Scenario:
    name: str            # fixture file: tests/corpus/<impl>/<name>.txt
    impl: str
    version: str
    category: str | None  # what the message names (None: it names no category)
    server: str          # "sshd", "asyncssh" or "mina" (then an OpenSSH client connects)
    lists: dict[str, str] = field(default_factory=dict)
    ssh_options: tuple[str, ...] = ()  # for the OpenSSH client against the MINA server
    offer: bool = True   # whether the message carries the peer's list

    @property
    def client_bin(self) -> Path:
        return BIN / f"{self.impl}-{self.version}{'-java17' if self.impl == 'jsch-mwiede' else ''}-client"


# What each library cannot do with OpenSSH's names: sntrup761 kex (none of them has it without Bouncy Castle),
# umac MACs (none), chacha20 (JSch without Bouncy Castle, trilead, sshj before 0.32), 3des-cbc (not in MINA's defaults).
SCENARIOS = [
    Scenario("jsch-0155-kex", "jsch", "0.1.55", None, "sshd", {"kex": "sntrup761x25519-sha512@openssh.com"}, offer=False),
    Scenario("jsch-0155-hostkey", "jsch", "0.1.55", None, "sshd", {"host_key_algorithms": "ssh-ed25519"}, offer=False),
    Scenario("jsch-2288-kex", "jsch-mwiede", "2.28.8", "kex", "sshd", {"kex": "sntrup761x25519-sha512@openssh.com"}),
    Scenario("jsch-2288-hostkey", "jsch-mwiede", "2.28.8", "hostkey", "sshd", {"host_key_algorithms": "ssh-rsa"}),
    Scenario("jsch-2288-cipher", "jsch-mwiede", "2.28.8", "cipher", "sshd", {"ciphers": "chacha20-poly1305@openssh.com"}),
    Scenario("jsch-2288-mac", "jsch-mwiede", "2.28.8", "mac", "sshd",
             {"ciphers": "aes128-ctr", "macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com"}),
    Scenario("jsch-0226-mac-with-gcm", "jsch-mwiede", "0.2.26", "mac", "sshd",
             {"ciphers": "aes128-gcm@openssh.com", "macs": "umac-128-etm@openssh.com"}),
    Scenario("jsch-2288-compression", "jsch-mwiede", "2.28.8", "compression", "asyncssh", {"compression": "zlib@openssh.com"}),
    Scenario("mina-2200-kex", "mina-sshd", "2.20.0", "kex", "sshd", {"kex": "sntrup761x25519-sha512@openssh.com"}),
    Scenario("mina-2200-hostkey", "mina-sshd", "2.20.0", "hostkey", "sshd", {"host_key_algorithms": "ssh-ed25519"}),
    Scenario("mina-2200-cipher", "mina-sshd", "2.20.0", "cipher", "sshd", {"ciphers": "3des-cbc"}),
    Scenario("mina-2200-mac", "mina-sshd", "2.20.0", "mac", "sshd",
             {"ciphers": "aes128-ctr", "macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com"}),
    Scenario("mina-2120-mac-with-gcm", "mina-sshd", "2.12.0", "mac", "sshd",
             {"ciphers": "aes128-gcm@openssh.com", "macs": "umac-128-etm@openssh.com"}),
    Scenario("mina-2200-compression", "mina-sshd", "2.20.0", "compression", "asyncssh", {"compression": "zlib@openssh.com"}),
    Scenario("mina-2200-server-kex", "mina-sshd", "2.20.0", "kex", "mina",
             ssh_options=("-oKexAlgorithms=diffie-hellman-group1-sha1",)),
    Scenario("mina-2200-server-hostkey", "mina-sshd", "2.20.0", "hostkey", "mina",
             ssh_options=("-oHostKeyAlgorithms=ssh-ed25519",)),
    Scenario("mina-2200-server-cipher", "mina-sshd", "2.20.0", "cipher", "mina", ssh_options=("-c", "aes128-cbc")),
    Scenario("mina-2200-server-mac", "mina-sshd", "2.20.0", "mac", "mina", ssh_options=("-c", "aes128-ctr", "-m", "hmac-md5")),
    Scenario("sshj-0400-kex", "sshj", "0.40.0", "kex", "sshd", {"kex": "sntrup761x25519-sha512@openssh.com"}),
    Scenario("sshj-0400-mac", "sshj", "0.40.0", "mac", "sshd",
             {"ciphers": "aes128-ctr", "macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com"}),
    Scenario("sshj-0400-compression", "sshj", "0.40.0", "compression", "asyncssh", {"compression": "zlib@openssh.com"}),
    Scenario("sshj-0310-kex", "sshj", "0.31.0", "kex", "sshd", {"kex": "sntrup761x25519-sha512@openssh.com"}),
    Scenario("sshj-0310-cipher", "sshj", "0.31.0", "cipher", "sshd", {"ciphers": "chacha20-poly1305@openssh.com"}),
    Scenario("sshj-0310-mac", "sshj", "0.31.0", "mac", "sshd",
             {"ciphers": "aes128-ctr", "macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com"}),
    Scenario("trilead-222-kex", "trilead-ssh2", "1.0.0-build222", None, "sshd", {}, offer=False),
    Scenario("trilead-222-cipher", "trilead-ssh2", "1.0.0-build222", None, "sshd",
             {"kex": "diffie-hellman-group14-sha1", "host_key_algorithms": "ssh-rsa", "ciphers": "chacha20-poly1305@openssh.com"},
             offer=False),
]


@contextlib.contextmanager
def _server(sc: Scenario) -> Iterator[int]:
    if sc.server == "sshd":
        with Sshd(key_dir=KEYS, **sc.lists) as sshd:  # type: ignore[arg-type]
            yield sshd.port
    elif sc.server == "asyncssh":
        # AsyncSSH offers what is asked and nothing else; its other lists are modern, so only this category fails.
        kwargs = {"kex": ["curve25519-sha256", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256"],
                  "hostkey": ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256"],
                  "cipher": ["aes128-ctr", "aes128-gcm@openssh.com"], "mac": ["hmac-sha2-256", "hmac-sha2-256-etm@openssh.com"],
                  "compression": [sc.lists["compression"]]}
        with AsyncsshServer(**kwargs) as server:  # type: ignore[arg-type]
            yield server.port
    else:
        raise ValueError(sc.server)


def _offer(port: int, category: str | None) -> list[str] | None:
    if category is None:
        return None
    result = asyncio.run(probe(Target("127.0.0.1", port), timeout=15))
    return list(result.proposal.get(SLOT_OF[category]))


def _client_run(sc: Scenario) -> tuple[str, str, list[str] | None]:
    with _server(sc) as port:
        offer = _offer(port, sc.category) if sc.offer else None
        argv = [str(sc.client_bin), "127.0.0.1", str(port)]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "HOME": tempfile.mkdtemp()})
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("{"))
    error = json.loads(line)["error"]
    if error and error not in proc.stderr:
        return _shown(sc.client_bin) + " 127.0.0.1 PORT", error + "\n" + proc.stderr, offer
    return _shown(sc.client_bin) + " 127.0.0.1 PORT", proc.stderr, offer


def _shown(path: Path) -> str:
    """A lab program as the fixture names it (where interop/install puts it, not this machine's path)."""
    return f"$SSHDOCTOR_LAB_PREFIX/jvm/bin/{path.name}"


def _mina_server_run(sc: Scenario) -> tuple[str, str, list[str] | None]:
    lab_keys(KEYS)
    port = free_port()
    server = BIN / f"mina-sshd-{sc.version}-server"
    log = Path(tempfile.mkdtemp()) / "mina.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(server), str(port), str(KEYS)], stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_banner("127.0.0.1", port, timeout=60)
        argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", *sc.ssh_options,
                "-p", str(port), "sshdoctor@127.0.0.1", "true"]
        ssh = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        # ssh's own line names the client's list as "Their offer"; the MINA log holds the server's side.
        offer = [o.strip() for o in m.group(1).split(",")] if (m := re.search(r"Their offer: (\S+)", ssh.stderr)) else None
        time.sleep(1.0)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)
    text = "\n".join(ln for ln in log.read_text(errors="replace").splitlines()
                     if "FileKeyPairProvider" not in ln and "IoServiceFactoryFactory" not in ln) + "\n"
    client_list = re.search(r"\(client: ([^/)]*) / server:", text)
    offer = [o for o in client_list.group(1).split(",") if o] if client_list else offer
    return f"{_shown(server)} PORT KEYDIR; then: " + " ".join("PORT" if a.isdigit() else a for a in argv), text, offer


def capture(sc: Scenario) -> Path:
    command, text, offer = _mina_server_run(sc) if sc.server == "mina" else _client_run(sc)
    side = "server" if sc.server == "mina" else "client"
    expect: dict[str, object] = {"kind": "no-common-algorithm", "category": sc.category, "reported_by": sc.impl,
                                 "side": side}
    if sc.offer and offer is not None and sc.impl == "mina-sshd" and side == "client":
        # MINA takes the strict-kex marker out of the peer's list before it prints it.
        offer = [n for n in offer if not n.startswith("kex-strict-")]
    if sc.offer:
        expect["their_offer"] = offer
    if sc.server == "mina":
        what = f"OpenSSH 9.2 ssh {' '.join(sc.ssh_options)} against the MINA server harness (SshServer.setUpDefaultServer)"
    elif sc.server == "asyncssh":
        what = ("the lab harness (default settings) against an AsyncSSH server offering compression "
                f"{sc.lists['compression']} only")
    else:
        what = "the lab harness (default settings) against OpenSSH 9.2 sshd with " + (
            ", ".join(f"{k}={v}" for k, v in sc.lists.items()) or "its default lists")
    header = [
        f"# command: {command}  ({what})",
        f"# program: {PROGRAMS[sc.impl].format(v=sc.version)}",
        "# source: captured from the real program on 127.0.0.1",
        f"# expect: {json.dumps(expect)}",
    ]
    # The fork's fixtures sit with the original's: tests/corpus/jsch holds every JSch text.
    out = CORPUS / ("jsch" if sc.impl == "jsch-mwiede" else sc.impl) / f"{sc.name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(header) + "\n--- output ---\n" + text, encoding="utf-8")
    return out


def main(names: list[str]) -> int:
    lab_keys(KEYS)
    for sc in SCENARIOS:
        if names and sc.name not in names:
            continue
        print(capture(sc).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
