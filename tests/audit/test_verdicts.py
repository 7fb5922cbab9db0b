"""Pure audit logic: severities, Terrapin, host-key verdicts, grades, policies, client identification."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sshdoctor.audit.client import audit_client, identify_client, order_findings
from sshdoctor.audit.grade import grade
from sshdoctor.audit.hostkeys import judge_key
from sshdoctor.audit.policy import PolicyError, builtin, evaluate, policy_from_dict
from sshdoctor.audit.server import audit_server
from sshdoctor.audit.terrapin import assess
from sshdoctor.audit.verdicts import Severity, algorithm_findings, severity_of
from sshdoctor.catalog import algorithm
from sshdoctor.catalog.profiles import get_profile
from sshdoctor.model import Banner, Category, Proposal, Target
from sshdoctor.wire.hostkeys import HostKey, fingerprint_sha256, key_size

STRONG = Proposal.symmetric(
    kex=["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "kex-strict-s-v00@openssh.com"],
    hostkey=["ssh-ed25519"],
    cipher=["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr"],
    mac=["hmac-sha2-256-etm@openssh.com"],
)
BANNER = Banner.parse("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")


def with_lists(base: Proposal, **lists: list[str]) -> Proposal:
    data = {k: list(v) for k, v in base.offer_dict().items()}
    for cat, names in lists.items():
        for key in data:
            if key.split("_")[0] == cat:
                data[key] = names
    return Proposal.from_offer_dict(data)


@pytest.mark.parametrize(
    ("category", "name", "expected"),
    [
        (Category.KEX, "diffie-hellman-group1-sha1", Severity.FAIL),
        (Category.KEX, "diffie-hellman-group14-sha1", Severity.WARN),
        (Category.KEX, "diffie-hellman-group14-sha256", Severity.WARN),  # acceptable but 112-bit
        (Category.KEX, "diffie-hellman-group16-sha512", Severity.INFO),
        (Category.KEX, "curve25519-sha256", Severity.INFO),
        (Category.KEX, "ecdh-sha2-nistp256", Severity.INFO),
        (Category.HOSTKEY, "ssh-rsa", Severity.WARN),
        (Category.HOSTKEY, "rsa-sha2-512", Severity.INFO),
        (Category.CIPHER, "3des-cbc", Severity.FAIL),
        (Category.CIPHER, "aes128-cbc", Severity.WARN),
        (Category.CIPHER, "aes128-ctr", Severity.INFO),
        (Category.MAC, "umac-64-etm@openssh.com", Severity.WARN),  # acceptable but a 64-bit tag
        (Category.MAC, "hmac-sha2-256-96", Severity.WARN),
        (Category.MAC, "hmac-sha2-256", Severity.INFO),
        (Category.MAC, "hmac-md5", Severity.FAIL),
        (Category.KEX, "made-up@example.com", Severity.INFO),
    ],
)
def test_severity_mapping(category: Category, name: str, expected: Severity) -> None:
    assert severity_of(algorithm(category, name)) is expected


def test_every_offered_name_gets_a_finding_with_a_reason() -> None:
    offer = with_lists(STRONG, mac=["hmac-sha2-256-etm@openssh.com", "made-up@example.com"])
    findings = algorithm_findings(offer)
    names = [(f.category, f.algorithm) for f in findings]
    assert (Category.KEX, "kex-strict-s-v00@openssh.com") in names
    assert len(names) == len(set(names)) == 3 + 1 + 3 + 2 + 1
    kinds = {f.algorithm: f.kind for f in findings}
    assert kinds["kex-strict-s-v00@openssh.com"] == "signal"
    assert kinds["made-up@example.com"] == "unknown-algorithm"
    assert all(f.reason for f in findings)


def test_direction_only_names_are_marked() -> None:
    offer = Proposal.from_offer_dict({**STRONG.offer_dict(), "cipher_c2s": ["aes128-ctr", "aes128-cbc"]})
    by_name = {f.algorithm: f for f in algorithm_findings(offer)}
    assert by_name["aes128-cbc"].extra["direction"] == "c2s"
    assert "direction" not in by_name["aes128-ctr"].extra


@pytest.mark.parametrize(
    ("ciphers", "macs", "kex_extra", "vulnerable", "chacha", "cbc_etm"),
    [
        (["chacha20-poly1305@openssh.com"], ["hmac-sha2-256"], [], True, True, False),
        (["chacha20-poly1305@openssh.com"], ["hmac-sha2-256"], ["kex-strict-s-v00@openssh.com"], False, True, False),
        (["aes128-cbc"], ["hmac-sha2-256-etm@openssh.com"], [], True, False, True),
        (["aes128-cbc"], ["hmac-sha2-256"], [], False, False, False),  # CBC without EtM
        (["aes128-ctr"], ["hmac-sha2-256-etm@openssh.com"], [], False, False, False),  # EtM without CBC
        (["aes256-gcm@openssh.com"], ["hmac-sha2-256-etm@openssh.com"], [], False, False, False),
        # The client's strict-kex marker does not protect a server.
        (["chacha20-poly1305@openssh.com"], ["hmac-sha2-256"], ["kex-strict-c-v00@openssh.com"], True, True, False),
    ],
)
def test_terrapin(ciphers: list[str], macs: list[str], kex_extra: list[str], vulnerable: bool, chacha: bool,
                  cbc_etm: bool) -> None:
    offer = Proposal.symmetric(["curve25519-sha256", *kex_extra], ["ssh-ed25519"], ciphers, macs)
    status = assess(offer)
    assert (status.vulnerable, status.chacha20, status.cbc_etm) == (vulnerable, chacha, cbc_etm)
    report = audit_server(Target("h"), BANNER, offer)
    terrapin = [f for f in report.findings if f.kind == "terrapin"]
    if vulnerable:
        assert terrapin[0].severity == "warn" and terrapin[0].cve == "CVE-2023-48795"
        assert report.grade.letter in ("C", "D", "F")
    elif chacha or cbc_etm:
        assert terrapin[0].severity == "info"
    else:
        assert not terrapin


def test_client_side_terrapin_uses_the_client_marker() -> None:
    client = Proposal.symmetric(["curve25519-sha256", "kex-strict-c-v00@openssh.com"], ["ssh-ed25519"],
                                ["chacha20-poly1305@openssh.com"], ["hmac-sha2-256"])
    assert not assess(client, "client").vulnerable
    assert assess(client, "server").vulnerable


def key(algorithm_name: str, key_type: str, bits: int) -> HostKey:
    return HostKey(algorithm=algorithm_name, key_type=key_type, bits=bits, fingerprint_sha256="SHA256:x")


@pytest.mark.parametrize(
    ("hostkey", "expected"),
    [
        (key("rsa-sha2-512", "rsa", 1024), Severity.FAIL),
        (key("rsa-sha2-512", "rsa", 2047), Severity.FAIL),
        (key("rsa-sha2-512", "rsa", 2048), Severity.WARN),
        (key("rsa-sha2-512", "rsa", 3072), Severity.INFO),
        (key("ssh-dss", "dsa", 1024), Severity.FAIL),
        (key("ssh-ed25519", "ed25519", 256), Severity.INFO),
        (key("ecdsa-sha2-nistp384", "ecdsa", 384), Severity.INFO),
        (HostKey(algorithm="ssh-rsa", error="timed out"), Severity.INFO),
    ],
)
def test_host_key_verdicts(hostkey: HostKey, expected: Severity) -> None:
    assert judge_key(hostkey).severity is expected


def test_key_blob_parsing_matches_the_wire_format() -> None:
    def string(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    rsa = string(b"ssh-rsa") + string(b"\x01\x00\x01") + string(b"\x00" + b"\xff" * 256)
    assert key_size(rsa) == ("rsa", 2048)
    ecdsa = string(b"ecdsa-sha2-nistp384") + string(b"nistp384") + string(b"\x04" + b"\x01" * 96)
    assert key_size(ecdsa) == ("ecdsa", 384)
    assert key_size(string(b"ssh-ed25519") + string(b"\x00" * 32)) == ("ed25519", 256)
    assert fingerprint_sha256(b"abc").startswith("SHA256:") and not fingerprint_sha256(b"abc").endswith("=")


def grade_of(offer: Proposal, keys: list[HostKey] | None = None) -> str:
    return audit_server(Target("h"), BANNER, offer, keys or []).grade.letter


def test_grades() -> None:
    assert grade_of(STRONG) == "A"
    # An RSA 2048 key alone makes it B.
    assert grade_of(STRONG, [key("ssh-ed25519", "ed25519", 256), key("rsa-sha2-512", "rsa", 2048)]) == "B"
    # No post-quantum key exchange: B.
    assert grade_of(with_lists(STRONG, kex=["curve25519-sha256", "kex-strict-s-v00@openssh.com"])) == "B"
    # A broken algorithm next to good ones: D.
    assert grade_of(with_lists(STRONG, kex=["curve25519-sha256", "diffie-hellman-group1-sha1"])) == "D"
    # Nothing but broken key exchange: F.
    assert grade_of(with_lists(STRONG, kex=["diffie-hellman-group1-sha1"])) == "F"
    # A DSA host key is a fail: D; the only host key being DSA: F.
    assert grade_of(STRONG, [key("ssh-ed25519", "ed25519", 256), key("ssh-dss", "dsa", 1024)]) == "D"
    assert grade_of(with_lists(STRONG, hostkey=["ssh-dss"]), [key("ssh-dss", "dsa", 1024)]) == "F"
    # Only weak MACs: C, unless every cipher is AEAD (then the MAC list is never used).
    assert grade_of(with_lists(STRONG, mac=["hmac-sha1"])) == "C"
    assert grade_of(with_lists(STRONG, cipher=["aes256-gcm@openssh.com"], mac=["hmac-sha1"])) == "B"
    # Terrapin exposure caps at C.
    assert grade_of(with_lists(STRONG, kex=["sntrup761x25519-sha512@openssh.com"])) == "C"


def test_default_openssh_servers() -> None:
    def server_grade(version: str) -> tuple[str, set[str | None], bool]:
        prof = get_profile(f"openssh-{version}")
        assert prof is not None and prof.server is not None
        report = audit_server(Target("h"), BANNER, prof.server.proposal())
        return report.grade.letter, {f.algorithm for f in report.flagged()}, report.terrapin.vulnerable

    # Upstream 9.2 sends no strict-kex marker and offers chacha20: exposed to Terrapin, so C.
    letter, flagged, vulnerable = server_grade("9.2")
    assert (letter, vulnerable) == ("C", True)
    assert {"diffie-hellman-group14-sha256", "hmac-sha1", "umac-64@openssh.com"} <= flagged
    # 9.6 added strict key exchange: the same weak MACs keep it at B.
    letter, flagged, vulnerable = server_grade("9.6")
    assert (letter, vulnerable) == ("B", False)
    assert "hmac-sha1" in flagged


def test_grade_reasons_name_the_culprits() -> None:
    result = grade(with_lists(STRONG, cipher=["aes128-ctr", "3des-cbc"]),
                   algorithm_findings(with_lists(STRONG, cipher=["aes128-ctr", "3des-cbc"])), assess(STRONG))
    assert result.letter == "D" and "3des-cbc" in result.reasons[0]


def test_builtin_policies() -> None:
    modern, intermediate = builtin("modern"), builtin("intermediate")
    assert modern.post_quantum and modern.terrapin_safe and modern.min_key_bits["rsa"] == 3072
    assert intermediate.min_key_bits["rsa"] == 2048 and not intermediate.post_quantum
    report = audit_server(Target("h"), BANNER, STRONG, [key("ssh-ed25519", "ed25519", 256)])
    ok = evaluate(modern, STRONG, report.host_keys, report.terrapin, report.grade)
    assert ok.passed, ok.violations
    weak = with_lists(STRONG, mac=["hmac-sha2-256", "hmac-sha1"], kex=["curve25519-sha256"])
    report = audit_server(Target("h"), BANNER, weak, [key("rsa-sha2-512", "rsa", 2048)])
    result = evaluate(modern, weak, report.host_keys, report.terrapin, report.grade)
    rules = sorted({v.rule for v in result.violations})
    assert rules == ["allow", "host_keys", "post_quantum", "terrapin_safe"]
    assert {v.algorithm for v in result.violations if v.rule == "allow"} == {"hmac-sha2-256", "hmac-sha1"}
    inter = evaluate(intermediate, weak, report.host_keys, report.terrapin, report.grade)
    assert {v.algorithm for v in inter.violations if v.rule == "allow"} == {"hmac-sha1"}


def test_policy_file_schema_is_checked() -> None:
    good = policy_from_dict({"policy": {"id": "mine"}, "allow": {"cipher": ["aes*-ctr"]}, "rules": {"min_grade": "B"}})
    assert good.allows(Category.CIPHER, "aes256-ctr") and not good.allows(Category.CIPHER, "aes256-cbc")
    assert good.allows(Category.KEX, "anything")
    cases: list[dict[str, Any]] = [
        {"allowed": {}},
        {"allow": {"ciphers": ["x"]}},
        {"allow": {"cipher": "aes128-ctr"}},
        {"rules": {"min_grade": "E"}},
        {"rules": {"terrapin": True}},
        {"host_keys": {"min_bits": {"rsa": "big"}}},
    ]
    for bad in cases:
        with pytest.raises(PolicyError):
            policy_from_dict(bad)


def test_min_grade_rule() -> None:
    policy = policy_from_dict({"rules": {"min_grade": "A"}})
    report = audit_server(Target("h"), BANNER, STRONG, [key("rsa-sha2-512", "rsa", 2048)], policy=policy)
    assert report.policy is not None and [v.rule for v in report.policy.violations] == ["min_grade"]


@pytest.mark.parametrize("version", ["7.4", "8.8", "9.2"])
def test_openssh_clients_are_identified_by_proposal_and_banner(version: str) -> None:
    prof = get_profile(f"openssh-{version}")
    assert prof is not None and prof.client is not None
    banner = Banner.parse(f"SSH-2.0-OpenSSH_{version}p1 Ubuntu-1")
    best = identify_client(banner, prof.client.proposal())[0]
    assert best.profile.id == prof.id and best.version_match and best.banner_pattern and best.confident
    assert best.proposal_similarity == pytest.approx(1.0)


def test_identification_without_banner_relies_on_the_proposal() -> None:
    prof = get_profile("openssh-7.4")
    assert prof is not None and prof.client is not None
    best = identify_client(None, prof.client.proposal())[0]
    # Several releases share 7.4's client lists; the proposal alone picks one of them, exactly.
    assert best.proposal_similarity == pytest.approx(1.0) and not best.banner_pattern
    assert best.profile.client is not None and best.profile.client.proposal() == prof.client.proposal()


def test_weak_algorithms_listed_first_are_reported() -> None:
    client = Proposal.symmetric(["curve25519-sha256"], ["ssh-ed25519"], ["aes128-cbc", "aes128-ctr"],
                                ["hmac-sha1", "hmac-md5", "hmac-sha2-256-etm@openssh.com"])
    found = order_findings(client)
    assert [(f.category, f.algorithm) for f in found] == [(Category.CIPHER, "aes128-cbc"), (Category.MAC, "hmac-sha1")]
    assert found[1].extra["weak_before_sound"] == ["hmac-sha1", "hmac-md5"]
    tidy = Proposal.symmetric(["curve25519-sha256"], ["ssh-ed25519"], ["aes128-ctr", "aes128-cbc"], ["hmac-sha2-256"])
    assert order_findings(tidy) == []


def test_client_audit_document() -> None:
    client = Proposal.symmetric(["curve25519-sha256", "ext-info-c"], ["ssh-ed25519"], ["chacha20-poly1305@openssh.com"],
                                ["hmac-sha2-256"])
    audit = audit_client("127.0.0.1:5", Banner.parse("SSH-2.0-Weird_1.0"), client)
    doc = json.loads(json.dumps(audit.as_dict()))
    assert doc["terrapin"]["vulnerable"] is True  # no kex-strict-c marker
    assert {f["kind"] for f in doc["findings"]} >= {"algorithm", "terrapin", "no-post-quantum-kex"}


def policy_server(name: str) -> Proposal:
    """A server offering every catalog algorithm a policy allows (no certificates), with the usual host keys."""
    from sshdoctor.catalog import all_algorithms
    from sshdoctor.negotiate.listmod import match_pattern

    policy = builtin(name)

    def allowed(cat: Category) -> list[str]:
        return [a.name for a in all_algorithms() if a.category is cat and not a.certificate
                and any(match_pattern(a.name, p) for p in policy.allow[cat])]

    return Proposal.symmetric([*allowed(Category.KEX), "kex-strict-s-v00@openssh.com"],
                              ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"],
                              allowed(Category.CIPHER), allowed(Category.MAC))


@pytest.mark.parametrize(("policy", "oldest"), [("modern", "6.2"), ("intermediate", "5.9")])
def test_policy_client_ranges_stated_in_the_docs(policy: str, oldest: str) -> None:
    from sshdoctor.catalog.profiles import all_profiles
    from sshdoctor.negotiate import negotiate

    server = policy_server(policy)
    assert evaluate(builtin(policy), server, [], assess(server), grade(server, [], assess(server))).passed
    limit = tuple(int(x) for x in oldest.split("."))
    for prof in all_profiles().values():
        if prof.implementation != "openssh" or prof.client is None:
            continue
        ok = negotiate(prof.client.proposal(), server).ok
        assert ok is (prof.version_key() >= limit), prof.id
