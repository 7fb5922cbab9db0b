"""Debian 12's own programs: OpenSSH ssh and sshd, Dropbear, PuTTY's plink.

sshd also stands in for the servers people configure: the same binary with
algorithm lists from modern to legacy-only, each a server of its own here.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from sshdoctor.lab.dropbear import Dropbear, dropbear_path
from sshdoctor.lab.sshd import Sshd, sshd_path
from tests.interop.harness import ROOT, ClientRun, LabClient, LabServer, Running

HERE = ROOT / "interop" / "core"

_KEX = re.compile(r"debug1: kex: algorithm: (\S+)")
_HOSTKEY = re.compile(r"debug1: kex: host key algorithm: (\S+)")
_DIR = re.compile(r"debug1: kex: (server->client|client->server) cipher: (\S+) MAC: (\S+) compression: (\S+)")


def parse_ssh(stdout: str, stderr: str, rc: int, count: int) -> list[ClientRun]:
    """ok and every chosen algorithm from ``ssh -vv`` (kex_choose_conf's debug lines)."""
    chosen: dict[str, str | None] = {}
    if m := _KEX.search(stderr):
        chosen["kex"] = m[1]
    if m := _HOSTKEY.search(stderr):
        chosen["hostkey"] = m[1]
    for m in _DIR.finditer(stderr):
        d = "s2c" if m[1] == "server->client" else "c2s"
        chosen[f"cipher_{d}"] = m[2]
        chosen[f"mac_{d}"] = None if m[3] == "<implicit>" else m[3]
        chosen[f"compression_{d}"] = m[4]
    ok = "SSH2_MSG_NEWKEYS received" in stderr
    errors = [ln for ln in stderr.splitlines() if ln and not ln.startswith("debug") and "Warning: Permanently" not in ln]
    return [ClientRun(ok=ok, chosen=chosen if ok else None, error=errors[-1] if errors else None, stderr=stderr)]


def parse_plain(stdout: str, stderr: str, rc: int, count: int) -> list[ClientRun]:
    """Programs that do not say what they chose: ok from their words, the relay confirms."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    low = stderr.lower()
    ok = any(w in low for w in ("permission denied", "no supported authentication", "authentication failed",
                                "no auth methods", "access denied", "disconnected: no supported", "exhausted available"))
    err = next((ln for ln in reversed(lines) if "rror" in ln or "FATAL" in ln or "agree" in ln or "No matching" in ln),
               lines[-1] if lines else None)
    return [ClientRun(ok=ok, chosen=None, error=err, stderr=stderr)]


def clients() -> list[LabClient]:
    out = []
    if shutil.which("ssh"):
        out.append(LabClient("openssh", "9.2", (str(HERE / "ssh-client"),), profile="debian-12",
                             reported_by="openssh-client", variant="debian12", parse=parse_ssh))
    out.append(LabClient("dropbear", "2022.83", (str(HERE / "dbclient-client"),), profile="debian-12-dropbear",
                         reported_by="dropbear-client", variant="debian12", parse=parse_plain,
                         needs=("/usr/bin/dbclient",)))
    out.append(LabClient("putty", "0.78", (str(HERE / "plink-client"),), profile="debian-12-putty", reported_by="putty",
                         variant="debian12", parse=parse_plain, needs=("/usr/bin/plink",), batch_mode=True))
    return out


def _sshd(**lists: str) -> object:
    @contextlib.contextmanager
    def start(key_dir: Path) -> Iterator[Running]:
        with Sshd(key_dir=key_dir, **lists) as server:  # type: ignore[arg-type]
            assert server.banner is not None
            log = server.log
            yield Running(server.host, server.port, server.banner, log=lambda: log.read_text(errors="replace"))
    return start


def _dropbear_public_keys(key_dir: Path) -> None:
    """Dropbear's own host keys as OpenSSH public keys next to the lab's, for clients that pin keys."""
    for key in key_dir.glob("dropbear_*_host_key"):
        pub = key.with_name(key.name + ".pub")
        if pub.exists():
            continue
        out = subprocess.run(["dropbearkey", "-y", "-f", str(key)], capture_output=True, text=True, timeout=30)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith(("ssh-", "ecdsa-"))), None)
        if line:
            pub.write_text(line + "\n")


@contextlib.contextmanager
def _dropbear(key_dir: Path) -> Iterator[Running]:
    with Dropbear(key_dir=key_dir) as server:
        assert server.banner is not None
        _dropbear_public_keys(key_dir)
        log = server.log
        yield Running(server.host, server.port, server.banner, log=lambda: log.read_text(errors="replace"))


# Server configurations people run, modern to legacy-only (sshd_config values).
SSHD_VARIANTS: dict[str, dict[str, object]] = {
    # Stock sshd loads its default keys in this order (rsa, ecdsa, ed25519), which orders its offer.
    "default": {"host_keys": ("rsa", "ecdsa", "ed25519")},
    "modern-only": {"kex": "curve25519-sha256,curve25519-sha256@libssh.org", "ciphers": "chacha20-poly1305@openssh.com",
                    "host_key_algorithms": "ssh-ed25519"},
    "fips-like": {"kex": "ecdh-sha2-nistp256,ecdh-sha2-nistp384,diffie-hellman-group14-sha256",
                  "ciphers": "aes256-gcm@openssh.com,aes128-ctr", "macs": "hmac-sha2-256,hmac-sha2-512",
                  "host_key_algorithms": "ecdsa-sha2-nistp256,rsa-sha2-256"},
    "group14-sha1": {"kex": "diffie-hellman-group14-sha1", "ciphers": "aes128-ctr,aes256-ctr",
                     "macs": "hmac-sha1", "host_key_algorithms": "ssh-rsa"},
    # A device that only speaks the 1024-bit group: below PuTTY's warn line.
    "group1-only": {"kex": "diffie-hellman-group1-sha1", "ciphers": "aes128-ctr", "macs": "hmac-sha2-256"},
    "legacy-only": {"kex": "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1", "ciphers": "aes128-cbc,3des-cbc",
                    "macs": "hmac-sha1,hmac-md5", "host_key_algorithms": "ssh-rsa"},
    "cbc-etm": {"kex": "diffie-hellman-group-exchange-sha256", "ciphers": "aes256-cbc,aes128-cbc",
                "macs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
                "host_key_algorithms": "rsa-sha2-512,rsa-sha2-256"},
}


def servers() -> list[LabServer]:
    needs = (sshd_path() or "/usr/sbin/sshd",)
    out = [LabServer("openssh", "9.2", "debian-12" if name == "default" else None, variant=f"debian12-{name}",
                     starter=_sshd(**lists), needs=needs)  # type: ignore[arg-type]
           for name, lists in SSHD_VARIANTS.items()]
    out.append(LabServer("dropbear", "2022.83", "debian-12-dropbear", variant="debian12", starter=_dropbear,
                         needs=(dropbear_path() or "/usr/sbin/dropbear",)))
    return out
