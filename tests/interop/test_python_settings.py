"""The settings templates of paramiko, AsyncSSH, Twisted Conch and net-ssh do what fix advice says, on the wire.

Each ``[implementation.settings.*]`` template of paramiko.toml, asyncssh.toml,
twisted-conch.toml and net-ssh.toml is rendered with names the library implements
but does not offer by default (taken from the profile: supported minus the
defaults), put into a few lines of a user's program for every lab version, and run
against the recording listener (a client) or probed (a server): the KEXINIT it
sends must hold the defaults, in their order, with the new names after them. A
category whose supported set equals its defaults in a version has nothing to add
there and is not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import Profile, get_profile
from sshdoctor.lab.ports import free_port, wait_for_banner
from sshdoctor.model import Category, Proposal, Target
from sshdoctor.wire.probe import probe
from tests.interop.families import python as family
from tests.interop.families import ruby as ruby_family
from tests.interop.harness import REQUIRE_LAB, LabClient, lab_keys
from tests.interop.lab import record_kexinit

HERE = family.HERE

# A client program around a template: the template and its names come in as literals and are rendered at run
# time, when the recording listener's port (argv) is known; Python templates run with top-level await allowed.
PY_RENDER = """\
import ast, sys
TEMPLATE, NAMES = {template!r}, {names!r}
host, port = sys.argv[1], int(sys.argv[2])
SOURCE = TEMPLATE.format_map({{"names": ",".join(NAMES), "quoted": ", ".join(f'"{{n}}"' for n in NAMES),
                               "squoted": ", ".join(f"'{{n}}'" for n in NAMES), "host": host, "port": port}})
CODE = compile(SOURCE, "<template>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
"""
CLIENT_PROGRAMS = {
    "paramiko": PY_RENDER + """\
import paramiko
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
exec(CODE)
if "client.connect(" not in SOURCE:
    try:
        client.connect(host, port=port, username="sshdoctor", password="x", timeout=10, allow_agent=False,
                       look_for_keys=False)
    except Exception:
        pass
""",
    "asyncssh": PY_RENDER + """\
import asyncio, asyncssh
async def main():
    try:
        coro = eval(CODE, {{"asyncssh": asyncssh}})
        if coro is not None:
            await coro
    except Exception:
        pass
asyncio.run(main())
""",
    "twisted-conch": PY_RENDER + """\
import runpy
from twisted.conch.ssh.transport import SSHClientTransport
exec(CODE)
sys.argv = ["twisted_client.py", host, str(port)]
runpy.run_path({harness!r}, run_name="__main__")
""",
    "net-ssh": """\
require 'net/ssh'
options = {{ port: Integer(ARGV[1]), non_interactive: true, verify_host_key: :never, timeout: 10 }}
{lines}
begin
  Net::SSH.start(ARGV[0], 'sshdoctor', **options)
rescue Exception
end
""",
}

# A server program around a template, rendered beforehand (the probed port is chosen first); argv: PORT KEYDIR.
SERVER_PROGRAMS = {
    "asyncssh": """\
import ast, asyncio, sys, asyncssh
keys = [sys.argv[2] + "/ssh_host_" + k + "_key" for k in ("ed25519", "ecdsa", "rsa")]
CODE = compile({lines!r}, "<template>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
async def main():
    await eval(CODE, {{"asyncssh": asyncssh, "keys": keys}})
    print("listening", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
""",
    "twisted-conch": """\
import runpy, sys
from twisted.conch.ssh.transport import SSHServerTransport
{lines}
sys.argv = ["twisted_server.py", *sys.argv[1:]]
runpy.run_path({harness!r}, run_name="__main__")
""",
}

# Names in a release's supported set that this side cannot use, so no fix advice may add them there: Twisted's
# client has no ML-KEM (the server has), and its server refuses group exchange without a moduli file.
UNUSABLE = {
    ("twisted-conch", "client", "kex"): {"mlkem768x25519-sha256"},
    ("twisted-conch", "server", "kex"): {"diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1"},
}

# Templates that name no algorithm (paramiko's compression switch) and what they turn on.
FIXED = {("paramiko", "compression"): ["zlib@openssh.com", "zlib"]}


@dataclass(frozen=True)
class Case:
    client: LabClient
    role: str
    category: str

    @property
    def id(self) -> str:
        return f"{self.client.id}-{self.role}-{self.category}"


def _profile(client: LabClient) -> Profile:
    assert client.profile is not None
    prof = get_profile(client.profile)
    assert prof is not None, client.profile
    return prof


def _names(prof: Profile, role: str, category: str) -> list[str]:
    """Names the release implements but does not offer on this side by default (at most two)."""
    if (prof.implementation, category) in FIXED:
        return FIXED[(prof.implementation, category)]
    side = getattr(prof, role)
    cat = Category(category)
    defaults = set(side.lists.get(cat, ())) if side is not None else set()
    unusable = UNUSABLE.get((prof.implementation, role, category), set())
    usable = [n for n in prof.supported.lists.get(cat, ()) if n not in defaults and n not in unusable]
    if role == "server" and category == "hostkey":
        return []  # a server's host key algorithms come from its keys, not from a list
    return usable[:2]


def _cases() -> list[Case]:
    out = []
    for client in (*family.clients(), *ruby_family.clients()):
        prof = _profile(client)
        for role, programs in (("client", CLIENT_PROGRAMS), ("server", SERVER_PROGRAMS)):
            if prof.implementation not in programs:
                continue
            for category in prof.settings.get(role, {}):
                if category in {c.value for c in Category} and _names(prof, role, category):
                    out.append(Case(client, role, category))
    return out


def _render(template: str, names: list[str], port: int) -> str:
    return template.format_map({"names": ",".join(names), "quoted": ", ".join(f'"{n}"' for n in names),
                                "squoted": ", ".join(f"'{n}'" for n in names), "host": "127.0.0.1",
                                "port": str(port)})


def _require(client: LabClient) -> None:
    if client.installed():
        return
    if REQUIRE_LAB:
        pytest.fail(f"{client.id} is not installed but SSHDOCTOR_REQUIRE_LAB is set (interop/install makes it)")
    pytest.skip(f"{client.id} is not installed (interop/install makes it)")


def _lists(proposal: Proposal, category: str) -> list[list[str]]:
    slots = {"kex": ("kex",), "hostkey": ("hostkey",), "cipher": ("cipher_c2s", "cipher_s2c"),
             "mac": ("mac_c2s", "mac_s2c"), "compression": ("compression_c2s", "compression_s2c")}[category]
    return [list(getattr(proposal, s)) for s in slots]


def _check(case: Case, prof: Profile, seen: Proposal, names: list[str]) -> None:
    """Every list of the category: the defaults in their order, the names after the last real default."""
    side = getattr(prof, case.role)
    defaults = list(side.lists[Category(case.category)])
    pseudo = list(side.pseudo) if case.category == "kex" else []
    for got in _lists(seen, case.category):
        assert all(n in got for n in names), f"{case.id}: {names} not offered: {got}"
        if (prof.implementation, case.category) in FIXED:
            assert set(defaults) <= set(got), f"{case.id}: the defaults are gone: {got}"
            continue
        assert [n for n in got if n not in names] == defaults + pseudo, f"{case.id}: the defaults changed: {got}"
        last = max(got.index(n) for n in defaults)
        assert all(got.index(n) > last for n in names), f"{case.id}: the names are not after the defaults: {got}"


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_settings_template_adds_on_the_wire(case: Case, tmp_path: Path) -> None:
    client = case.client
    _require(client)
    prof = _profile(client)
    names = _names(prof, case.role, case.category)
    template = prof.settings[case.role][case.category]
    impl = prof.implementation
    if case.role == "client":
        program = CLIENT_PROGRAMS[impl].format(template=template, names=names, harness=str(HERE / "twisted_client.py"),
                                               lines=_render(template, names, 0))
        script = tmp_path / ("tpl.rb" if impl == "net-ssh" else "tpl.py")
        script.write_text(program)
        runner = LabClient(client.impl, client.version, (client.argv[0], str(script)), profile=client.profile,
                           reported_by=client.reported_by, variant=client.variant, env=client.env)
        hello = record_kexinit(runner, tmp_path)
        assert hello.proposal is not None, hello.error
        _check(case, prof, hello.proposal, names)
        return
    keys = lab_keys(tmp_path / "keys")
    port = free_port()
    program = SERVER_PROGRAMS[impl].format(lines=_render(template, names, port), harness=str(HERE / "twisted_server.py"))
    script = tmp_path / "tpl_server.py"
    script.write_text(program)
    with _server([client.argv[0], str(script), str(port), str(keys)]):
        wait_for_banner("127.0.0.1", port, timeout=60)
        seen = asyncio.run(probe(Target("127.0.0.1", port), timeout=15)).proposal
    _check(case, prof, seen, names)


@contextlib.contextmanager
def _server(argv: list[str]) -> Iterator[None]:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=dict(os.environ))
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
