"""Hardening applied to a real sshd: the named real clients still connect, the weak algorithms are gone."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from sshdoctor.audit.harden import HardenPlan, KeptClient, plan_hardening
from sshdoctor.audit.verdicts import offered
from sshdoctor.catalog.profiles import all_profiles, get_profile
from sshdoctor.cli.audit_sshd import check_with_sshd, same_build_defaults
from sshdoctor.lab.sshd import Sshd
from sshdoctor.model import Banner, Category, Proposal, Slot, Target
from sshdoctor.wire.probe import probe
from tests.audit.clients import (
    PARAMIKO,
    asyncssh_script,
    kex_completed,
    plink_argv,
    python_argv,
    record,
    run,
    ssh_argv,
)
from tests.audit.conftest import LEGACY_SSHD, run_cli
from tests.conftest import need

# A real AsyncSSH client restricted to what an old device's SSH stack speaks.
LEGACY_CLIENT = asyncssh_script(
    kex_algs=["diffie-hellman-group14-sha1"],
    server_host_key_algs=["ssh-rsa"],
    encryption_algs=["aes128-cbc"],
    mac_algs=["hmac-sha1"],
)
DEFAULT_ASYNCSSH = asyncssh_script()


def client_argv(name: str, port: int, *, tmp: Path) -> list[str]:
    if name == "ssh":
        return ssh_argv(port, tmp / f"known_hosts_{port}")
    if name == "plink":
        return plink_argv(port)
    if name == "paramiko":
        return python_argv(PARAMIKO, port)
    if name == "asyncssh":
        return python_argv(DEFAULT_ASYNCSSH, port)
    return python_argv(LEGACY_CLIENT, port)


CLIENTS = ("ssh", "plink", "paramiko", "asyncssh", "legacy-asyncssh")
PSEUDO = {"ext-info-s", "kex-strict-s-v00@openssh.com"}


def probe_offer(port: int) -> tuple[Banner, Proposal]:
    result = asyncio.run(probe(Target("127.0.0.1", port)))
    return result.banner, result.proposal


def hardened_sshd(sshd: Callable[..., Sshd], plan: HardenPlan) -> Sshd:
    """The legacy lab sshd's settings with the plan's lines in place of its algorithm lines."""
    values = {c.category: c.value for c in plan.changes if c.form in ("remove", "append", "list")}
    unchanged = {c.category for c in plan.changes if c.form == "unchanged"}

    def pick(cat: Category, legacy: str) -> str | None:
        return legacy if cat in unchanged else values.get(cat)

    return sshd(
        kex=pick(Category.KEX, LEGACY_SSHD["kex"]),
        ciphers=pick(Category.CIPHER, LEGACY_SSHD["ciphers"]),
        macs=pick(Category.MAC, LEGACY_SSHD["macs"]),
        host_key_algorithms=pick(Category.HOSTKEY, LEGACY_SSHD["host_key_algorithms"]),
        host_keys=LEGACY_SSHD["host_keys"],
    )


def test_hardened_sshd_keeps_every_named_real_client(sshd: Callable[..., Sshd], tmp_path: Path) -> None:
    need(shutil.which("plink"), "plink (putty-tools)")
    legacy = sshd(**LEGACY_SSHD)
    banner, offer = probe_offer(legacy.port)
    build = same_build_defaults(banner)
    assert build is not None, "the lab sshd is the local sshd: its sshd -T defaults must be used"
    recorded = {name: record(partial(client_argv, name, tmp=tmp_path)) for name in CLIENTS if name != "ssh"}
    ssh_profile = get_profile("openssh-9.2")
    assert ssh_profile is not None and ssh_profile.client is not None
    kept = [KeptClient("openssh-9.2", ssh_profile.client.proposal())]
    kept += [KeptClient(name, proposal) for name, proposal in recorded.items()]
    plan = plan_hardening(offer, kept, build)
    assert plan.ok and not plan.already_failing, plan.notes

    # What the legacy client needs stays; everything else weak goes.
    kept_weak = {name: who for c in plan.changes for name, who in c.kept_weak.items()}
    assert kept_weak == {"diffie-hellman-group14-sha1": ("legacy-asyncssh",), "ssh-rsa": ("legacy-asyncssh",),
                         "aes128-cbc": ("legacy-asyncssh",), "hmac-sha1": ("legacy-asyncssh",)}
    removed = plan.removed()
    assert {"diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"} <= set(removed["kex"])
    assert {"3des-cbc", "aes256-cbc"} <= set(removed["cipher"])
    assert {"hmac-md5", "hmac-sha1-96", "umac-64@openssh.com"} <= set(removed["mac"])
    assert removed["hostkey"] == ["ssh-dss"]
    # Modifiers where they express the set; a full list only for key exchange, which must both lose a
    # default (group14-sha256) and keep a non-default (group14-sha1).
    forms = {c.category: c.form for c in plan.changes}
    assert forms == {Category.KEX: "list", Category.HOSTKEY: "append", Category.CIPHER: "append", Category.MAC: "remove"}

    check = check_with_sshd(plan, same_build=True)
    assert check.valid and check.matches_prediction, check.message

    hardened = hardened_sshd(sshd, plan)
    _banner, after = probe_offer(hardened.port)
    for category in (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC):
        now = set(offered(after, category))
        assert not now & set(removed.get(category.value, [])), category
        assert now == set(offered(plan.hardened, category)), category

    for name in CLIENTS:
        output = run(client_argv(name, hardened.port, tmp=tmp_path))
        assert kex_completed(name, output), f"{name} no longer completes key exchange:\n{output[-1500:]}"


def test_without_naming_the_legacy_client_it_is_cut_off(sshd: Callable[..., Sshd], tmp_path: Path) -> None:
    """The control: the same hardening minus the legacy client really does lock it out."""
    legacy = sshd(**LEGACY_SSHD)
    output = run(client_argv("legacy-asyncssh", legacy.port, tmp=tmp_path))
    assert kex_completed("legacy-asyncssh", output), output
    banner, offer = probe_offer(legacy.port)
    plan = plan_hardening(offer, [], same_build_defaults(banner))
    hardened = hardened_sshd(sshd, plan)
    output = run(client_argv("legacy-asyncssh", hardened.port, tmp=tmp_path))
    assert not kex_completed("legacy-asyncssh", output)


def keepable_profiles() -> list[str]:
    """Client profiles of the programs installed here, when the catalog has them."""
    wanted = ["openssh-7.4", "openssh-9.2"]
    for impl, version in (("putty", "0.78"), ("paramiko", None), ("asyncssh", None)):
        candidates = sorted((p for p in all_profiles().values() if p.implementation == impl and p.client is not None),
                            key=lambda p: p.version_key())
        exact = [p for p in candidates if version is None or p.version == version]
        if exact:
            wanted.append(exact[-1].id)
    return wanted


def test_cli_harden_proves_and_checks(legacy_sshd: Sshd, sshd: Callable[..., Sshd], tmp_path: Path) -> None:
    need(shutil.which("plink"), "plink (putty-tools)")
    keep = keepable_profiles()
    rc, out, err = run_cli("audit", legacy_sshd.target, "-F", "/dev/null", "--json", "--harden",
                           "--keep", ",".join([*keep, "local"]))
    assert rc == 0, err
    doc = json.loads(out)
    harden = doc["harden"]
    assert harden["ok"] and not harden["cut_off"] and not harden["already_failing"]
    assert harden["keep"] == [*keep, "local"]
    assert [c["client"] for c in harden["clients"]][-1].startswith("local (OpenSSH_")
    assert all(c["after"]["ok"] for c in harden["clients"])
    check = harden["sshd_check"]
    assert check["valid"] and check["matches_prediction"], check
    assert "the local sshd: same build" in harden["build"]
    lines = harden["sshd_config"]
    assert any(line.startswith("KexAlgorithms -") for line in lines)
    assert any("delete its HostKey line" in note for note in harden["notes"])  # the DSA key
    rc, text, _ = run_cli("audit", legacy_sshd.target, "-F", "/dev/null", "--harden", "--keep", "openssh-7.4")
    assert rc == 0 and "sshd_config" in text and "proof" in text and "sshd -t accepts" in text

    # Apply the printed lines to a real sshd: the installed programs whose profiles were kept still connect.
    written = {c["category"]: c["value"] for c in harden["changes"] if c["form"] in ("remove", "append", "list")}
    unchanged = {c["category"] for c in harden["changes"] if c["form"] == "unchanged"}

    def pick(cat: str, legacy: str) -> str | None:
        return legacy if cat in unchanged else written.get(cat)

    hardened = sshd(kex=pick("kex", LEGACY_SSHD["kex"]), ciphers=pick("cipher", LEGACY_SSHD["ciphers"]),
                    macs=pick("mac", LEGACY_SSHD["macs"]), host_keys=LEGACY_SSHD["host_keys"],
                    host_key_algorithms=pick("hostkey", LEGACY_SSHD["host_key_algorithms"]))
    _banner, after = probe_offer(hardened.port)
    for cat, names in harden["offer_after"].items():
        assert set(after.get(Slot(cat))) - PSEUDO == set(names) - PSEUDO, cat
    programs = {"openssh-9.2": "ssh", "putty": "plink", "paramiko": "paramiko", "asyncssh": "asyncssh"}
    for prefix, program in programs.items():
        if any(k.startswith(prefix) for k in keep):
            output = run(client_argv(program, hardened.port, tmp=tmp_path))
            assert kex_completed(program, output), f"{program}:\n{output[-1500:]}"


@pytest.mark.parametrize("version", ["7.4", "9.2"])
def test_cli_exit_24_when_a_named_client_cannot_connect_even_now(sshd: Callable[..., Sshd], version: str) -> None:
    # A server with only strong algorithms: OpenSSH 5.9's client shares no key exchange with it.
    server = sshd(kex="sntrup761x25519-sha512@openssh.com,curve25519-sha256", ciphers="aes256-gcm@openssh.com",
                  macs="hmac-sha2-512-etm@openssh.com", host_key_algorithms="ssh-ed25519", host_keys=("ed25519",))
    rc, out, err = run_cli("audit", server.target, "-F", "/dev/null", "--json", "--harden",
                           "--keep", f"openssh-{version},openssh-5.9")
    assert rc == 24, err
    assert json.loads(out)["harden"]["already_failing"] == ["openssh-5.9"]
