"""The hardening planner on its own: lists, modifiers, kept algorithms, proofs."""

from __future__ import annotations

import pytest

from sshdoctor.audit.harden import (
    KeptClient,
    ServerBuild,
    build_from_profile,
    drop_rule,
    plan_hardening,
    weak_or_worse,
)
from sshdoctor.catalog.profiles import get_profile
from sshdoctor.model import Category, Proposal, Slot
from sshdoctor.negotiate import negotiate
from sshdoctor.negotiate.listmod import apply_modifier


def profile_build(version: str = "9.2") -> ServerBuild:
    prof = get_profile(f"openssh-{version}")
    assert prof is not None
    build = build_from_profile(prof)
    assert build is not None
    return build


def client(version: str) -> KeptClient:
    prof = get_profile(f"openssh-{version}")
    assert prof is not None and prof.client is not None
    return KeptClient(prof.id, prof.client.proposal())


def legacy_server(build: ServerBuild, extra: dict[Category, list[str]], keys: tuple[str, ...] = ("rsa", "ed25519")) -> Proposal:
    """What an OpenSSH server with ``+extra`` lists and these host keys offers."""
    lists = {cat: list(build.defaults[cat]) + extra.get(cat, []) for cat in build.defaults}
    key_of = {"rsa-sha2-512": "rsa", "rsa-sha2-256": "rsa", "ssh-rsa": "rsa", "ssh-ed25519": "ed25519",
              "ecdsa-sha2-nistp256": "ecdsa", "ssh-dss": "dsa"}
    hostkeys = [n for n in lists[Category.HOSTKEY] if key_of.get(n) in keys]
    return Proposal.symmetric(lists[Category.KEX], hostkeys, lists[Category.CIPHER], lists[Category.MAC],
                              ["none", "zlib@openssh.com"])


def test_removes_weak_defaults_with_minus_lines() -> None:
    build = profile_build()
    offer = legacy_server(build, {})
    plan = plan_hardening(offer, [client("9.2"), client("7.4")], build)
    by_cat = {c.category: c for c in plan.changes}
    assert by_cat[Category.KEX].line() == "KexAlgorithms -diffie-hellman-group14-sha256"
    mac = by_cat[Category.MAC]
    assert mac.form == "remove" and set(mac.removed) == {
        "umac-64-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com", "hmac-sha1"}
    assert by_cat[Category.CIPHER].form == "unchanged" and by_cat[Category.CIPHER].line() is None
    assert plan.ok and not plan.cut_off
    # The lines, evaluated the way OpenSSH evaluates them, give exactly the hardened offer.
    value = mac.value
    assert value is not None
    assert apply_modifier(value, build.defaults[Category.MAC], build.supported[Category.MAC]) == list(plan.hardened.mac_c2s)


def test_appended_legacy_algorithms_come_out_with_the_original_line_gone() -> None:
    build = profile_build()
    offer = legacy_server(build, {Category.KEX: ["diffie-hellman-group1-sha1"], Category.CIPHER: ["3des-cbc"],
                                  Category.HOSTKEY: ["ssh-rsa", "ssh-dss"]}, keys=("rsa", "ed25519", "dsa"))
    plan = plan_hardening(offer, [client("9.2")], build)
    by_cat = {c.category: c for c in plan.changes}
    # Nothing weak left in the defaults for ciphers and host keys: the default itself is the answer.
    assert by_cat[Category.CIPHER].form == "default" and by_cat[Category.CIPHER].removed == ("3des-cbc",)
    assert by_cat[Category.HOSTKEY].form == "default" and set(by_cat[Category.HOSTKEY].removed) == {"ssh-rsa", "ssh-dss"}
    assert "3des-cbc" not in plan.hardened.cipher_c2s and "ssh-rsa" not in plan.hardened.hostkey


def test_a_named_legacy_client_keeps_exactly_what_it_needs() -> None:
    build = profile_build()
    offer = legacy_server(build, {Category.KEX: ["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"],
                                  Category.HOSTKEY: ["ssh-rsa", "ssh-dss"], Category.MAC: ["hmac-md5"]},
                          keys=("rsa", "ed25519", "dsa"))
    old_device = KeptClient("old-device", Proposal.symmetric(
        ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"], ["ssh-rsa"], ["aes128-ctr"], ["hmac-sha1", "hmac-md5"]))
    plan = plan_hardening(offer, [client("9.2"), old_device], build)
    by_cat = {c.category: c for c in plan.changes}
    # The strongest of what it can use is kept, nothing else weak.
    assert plan.hardened.kex.count("diffie-hellman-group14-sha1") == 1
    assert "diffie-hellman-group1-sha1" not in plan.hardened.kex
    assert "ssh-rsa" in plan.hardened.hostkey
    assert "hmac-sha1" in plan.hardened.mac_c2s and "hmac-md5" not in plan.hardened.mac_c2s
    assert by_cat[Category.KEX].kept_weak == {"diffie-hellman-group14-sha1": ("old-device",)}
    assert by_cat[Category.HOSTKEY].line() == "HostKeyAlgorithms +ssh-rsa"
    assert "ssh-dss" not in plan.hardened.hostkey
    assert plan.ok
    for proof in plan.proofs:
        assert proof.after.ok
    assert negotiate(old_device.proposal, plan.hardened).picks[Slot.KEX] == "diffie-hellman-group14-sha1"


def test_old_openssh_without_minus_gets_full_lists() -> None:
    build = profile_build("7.4")
    offer = legacy_server(build, {})
    plan = plan_hardening(offer, [client("7.4")], build)
    for change in plan.changes:
        assert change.form in ("unchanged", "default", "append", "list")
        if change.value is not None:
            assert not change.value.startswith("-")
    kex = {c.category: c for c in plan.changes}[Category.KEX]
    assert kex.form == "list" and "diffie-hellman-group14-sha1" not in (kex.value or "")


def test_non_openssh_server_gets_a_remove_list_only() -> None:
    offer = Proposal.symmetric(["curve25519-sha256", "diffie-hellman-group14-sha1"], ["ssh-ed25519", "ssh-rsa"],
                               ["aes128-ctr"], ["hmac-sha2-256", "hmac-sha1"])
    plan = plan_hardening(offer, [client("9.2")], None, server_label="Dropbear 2022.83")
    assert plan.config_lines() == []
    assert plan.removed() == {"kex": ["diffie-hellman-group14-sha1"], "hostkey": ["ssh-rsa"], "mac": ["hmac-sha1"]}
    assert any("Dropbear 2022.83" in n for n in plan.notes)


def test_a_category_with_only_weak_algorithms_is_never_emptied() -> None:
    build = profile_build()
    offer = Proposal.symmetric(["diffie-hellman-group14-sha1"], ["ssh-ed25519"], ["aes128-ctr"],
                               ["hmac-sha2-256-etm@openssh.com"])
    plan = plan_hardening(offer, [], build)
    kex = {c.category: c for c in plan.changes}[Category.KEX]
    assert kex.result and "diffie-hellman-group14-sha1" not in kex.result  # the sound defaults come back
    assert any("every kex algorithm" in n for n in plan.notes)
    unknown = plan_hardening(offer, [], None)
    assert list(unknown.hardened.kex) == ["diffie-hellman-group14-sha1"]


def test_clients_that_fail_today_are_reported_not_hidden() -> None:
    build = profile_build()
    offer = legacy_server(build, {})
    ancient = KeptClient("ancient", Proposal.symmetric(["diffie-hellman-group1-sha1"], ["ssh-dss"], ["3des-cbc"], ["hmac-md5"]))
    plan = plan_hardening(offer, [ancient], build)
    assert plan.already_failing == ["ancient"] and not plan.cut_off
    assert any("cannot connect" in n for n in plan.notes)


@pytest.mark.parametrize("exposed", [True, False])
def test_chacha20_is_dropped_only_where_terrapin_is_not_mitigated(exposed: bool) -> None:
    build = profile_build()
    offer = legacy_server(build, {})
    plan = plan_hardening(offer, [client("9.2")], build, drop=drop_rule(terrapin_exposed=exposed))
    assert ("chacha20-poly1305@openssh.com" in plan.hardened.cipher_c2s) is not exposed
    assert plan.ok


def test_policy_allow_list_drives_the_drop_rule() -> None:
    build = profile_build()
    offer = legacy_server(build, {})
    only_etm = drop_rule(allowed=lambda cat, name: cat is not Category.MAC or name.endswith("-etm@openssh.com"))
    plan = plan_hardening(offer, [client("9.2")], build, drop=only_etm)
    assert all(m.endswith("-etm@openssh.com") for m in plan.hardened.mac_c2s)
    assert weak_or_worse(Category.MAC, "hmac-sha1") and not weak_or_worse(Category.MAC, "hmac-sha2-256")


def test_an_rsa_only_legacy_server_signs_with_sha2_rather_than_keeping_ssh_rsa() -> None:
    """HostKeyAlgorithms ssh-rsa with an RSA key: OpenSSH 7.4 speaks rsa-sha2, so ssh-rsa is not 'needed' by it."""
    build = profile_build()
    offer = Proposal.symmetric(["diffie-hellman-group14-sha1"], ["ssh-rsa"], ["aes128-cbc"], ["hmac-sha1"])
    plan = plan_hardening(offer, [client("7.4"), client("9.2")], build, server_label="legacy sshd")
    by_cat = {c.category: c for c in plan.changes}
    hostkey = by_cat[Category.HOSTKEY]
    assert hostkey.line() == "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256"
    assert "ssh-rsa" not in plan.hardened.hostkey and not hostkey.kept_weak
    # Every category had only weak names: the notes say what is offered instead, and never "kept" a strong one.
    assert not any("kept curve25519" in n for n in plan.notes)
    assert any("offers curve25519-sha256" in n or "curve25519-sha256," in n for n in plan.notes)
    assert plan.ok and all(p.after.ok for p in plan.proofs)
    assert negotiate(client("7.4").proposal, plan.hardened).picks[Slot.HOSTKEY] == "rsa-sha2-512"
