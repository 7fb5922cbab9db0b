"""The interop lab's vocabulary: real client and server programs of every
implementation, as the family modules under ``tests/interop/families`` list
them, and how to run one (the contract is in ``interop/README.md``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sshdoctor.lab.ports import free_port, wait_for_banner
from sshdoctor.model import Slot

ROOT = Path(__file__).resolve().parents[2]
PREFIX = Path(os.environ.get("SSHDOCTOR_LAB_PREFIX")
              or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sshdoctor-lab")
REQUIRE_LAB = bool(os.environ.get("SSHDOCTOR_REQUIRE_LAB"))
CONNECT_TIMEOUT = 20.0

SLOTS = tuple(s.value for s in Slot)


def prefix(family: str) -> Path:
    """Where a family's installer put its programs."""
    return PREFIX / family


@dataclass(frozen=True)
class ClientRun:
    """What one connection attempt of a real client ended with."""

    ok: bool
    chosen: dict[str, str | None] | None
    error: str | None
    stderr: str = ""
    ident: str | None = None
    raw: str = ""


@dataclass(frozen=True)
class LabClient:
    """A client program of one implementation and version (and runtime variant).

    ``argv`` is the harness command; ``HOST PORT [PORT …]`` is appended.
    ``profile`` is the catalog profile its KEXINIT must equal. ``batch``
    says the harness takes several ports in one run (for slow-starting
    runtimes). ``parse`` turns (stdout, stderr, returncode) into one
    ``ClientRun`` per port when the program does not speak the JSON lines of
    the contract itself (``ssh -v``, ``dbclient``, ``plink``).
    """

    impl: str
    version: str
    argv: tuple[str, ...]
    profile: str | None
    reported_by: str
    variant: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    batch: bool = False
    parse: Callable[[str, str, int, int], list[ClientRun]] | None = None
    needs: tuple[str, ...] = ()
    quirks: tuple[str, ...] = ()
    # Runs non-interactively (plink -batch): what it would ask about, it refuses (negotiate.refusal).
    batch_mode: bool = False

    @property
    def id(self) -> str:
        return f"{self.impl}-{self.version}" + (f"-{self.variant}" if self.variant else "")

    def installed(self) -> bool:
        return all(Path(p).exists() for p in (self.argv[0], *self.needs))


@dataclass(frozen=True)
class LabServer:
    """A server program, or a lab server class started in-process (``starter``)."""

    impl: str
    version: str
    profile: str | None
    argv: tuple[str, ...] = ()
    variant: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    starter: Callable[[Path], contextlib.AbstractContextManager[Running]] | None = None
    keys: tuple[str, ...] = ("ed25519", "ecdsa", "rsa")
    needs: tuple[str, ...] = ()
    quirks: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.impl}-{self.version}" + (f"-{self.variant}" if self.variant else "")

    def installed(self) -> bool:
        if self.starter is not None:
            return all(Path(p).exists() for p in self.needs)
        return all(Path(p).exists() for p in (self.argv[0], *self.needs))

    def start(self, key_dir: Path) -> contextlib.AbstractContextManager[Running]:
        if self.starter is not None:
            return self.starter(key_dir)
        return _run_server(self, key_dir)


@dataclass
class Running:
    """A server that is listening: where, what it said, and how to read its log."""

    host: str
    port: int
    banner: str
    log: Callable[[], str] = lambda: ""
    chosen: Callable[[], list[dict[str, Any]]] = list


def lab_keys(key_dir: Path) -> Path:
    """The lab's host keys in OpenSSH format, plus PKCS#8 PEM copies (``*.pem``)."""
    from sshdoctor.lab.keys import host_key

    for kind in ("ed25519", "ecdsa", "rsa"):
        key = host_key(key_dir, kind)
        pem = key_dir / f"{key.name}.pem"
        if not pem.exists():
            tmp = key_dir / f"{key.name}.tmp"
            tmp.write_bytes(key.read_bytes())
            tmp.chmod(0o600)
            subprocess.run(["ssh-keygen", "-q", "-p", "-N", "", "-m", "PKCS8", "-f", str(tmp)],
                           check=True, capture_output=True, stdin=subprocess.DEVNULL)
            tmp.rename(pem)
        # Some libraries want the RSA key as PKCS#1 ("BEGIN RSA PRIVATE KEY").
        if kind == "rsa" and not (key_dir / "ssh_host_rsa_key.pkcs1").exists():
            tmp = key_dir / "rsa.tmp"
            tmp.write_bytes(key.read_bytes())
            tmp.chmod(0o600)
            subprocess.run(["ssh-keygen", "-q", "-p", "-N", "", "-m", "PEM", "-f", str(tmp)],
                           check=True, capture_output=True, stdin=subprocess.DEVNULL)
            tmp.rename(key_dir / "ssh_host_rsa_key.pkcs1")
    return key_dir


@contextlib.contextmanager
def _run_server(server: LabServer, key_dir: Path) -> Iterator[Running]:
    lab_keys(key_dir)
    port = free_port()
    log_path = key_dir / f"server-{server.id}-{port}.log"
    out_path = key_dir / f"server-{server.id}-{port}.out"
    with open(log_path, "wb") as log, open(out_path, "wb") as out:
        proc = subprocess.Popen([*server.argv, str(port), str(key_dir)], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=log, env={**os.environ, **server.env}, start_new_session=True)
    try:
        try:
            banner = wait_for_banner("127.0.0.1", port, timeout=60)
        except TimeoutError as exc:
            raise RuntimeError(f"{server.id} did not start: {log_path.read_text(errors='replace')[-800:]}") from exc

        def chosen() -> list[dict[str, Any]]:
            rows = []
            for line in out_path.read_text(errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    doc = json.loads(line)
                    if isinstance(doc, dict) and "chosen" in doc:
                        rows.append(doc)
            return rows

        yield Running("127.0.0.1", port, banner, log=lambda: log_path.read_text(errors="replace"), chosen=chosen)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def parse_json_lines(stdout: str, stderr: str, returncode: int, count: int) -> list[ClientRun]:
    """The contract's output: one JSON line per port (other stdout lines are ignored)."""
    runs: list[ClientRun] = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if not isinstance(doc, dict) or "ok" not in doc:
            continue
        chosen = doc.get("chosen")
        runs.append(ClientRun(ok=bool(doc["ok"]),
                              chosen={k: v for k, v in chosen.items() if k in SLOTS} if isinstance(chosen, dict) else None,
                              error=doc.get("error"), stderr=stderr, ident=doc.get("ident"), raw=line))
    if len(runs) != count:
        raise AssertionError(f"the harness printed {len(runs)} result lines for {count} ports "
                             f"(exit {returncode}; stderr: {stderr[-1500:]}; stdout: {stdout[-500:]})")
    return runs


def run_client(client: LabClient, host: str, ports: Sequence[int], *, home: Path | None = None) -> list[ClientRun]:
    """Run the client once per port (once in all for a batch harness)."""
    env = {**os.environ, **client.env}
    if home is not None:
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    parse = client.parse or parse_json_lines
    groups = [list(ports)] if client.batch else [[p] for p in ports]
    runs: list[ClientRun] = []
    for group in groups:
        argv = [*client.argv, host, *map(str, group)]
        budget = CONNECT_TIMEOUT * len(group) + 30
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL,
                                  env=env, timeout=budget)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{client.id} did not finish within {budget:g} s") from exc
        runs += parse(proc.stdout, proc.stderr, proc.returncode, len(group))
    return runs


def wait_port_free(port: int, timeout: float = 5.0) -> None:
    """Wait until nothing listens on a loopback port any more."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)
