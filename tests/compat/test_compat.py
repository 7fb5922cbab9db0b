"""``compat`` between catalog profiles: names, roles, the contract, the fixes. No network."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from sshdoctor.catalog.profiles import all_profiles, distribution_profiles, get_profile
from sshdoctor.host.compat import CompatUsageError, find_profile, profile_client_model, select_clients
from sshdoctor.model import Category, Proposal, Slot
from sshdoctor.negotiate import negotiate
from sshdoctor.remedy.serverfix import plan_server_fix

CONTRACT = {"client", "server", "ok", "chosen", "first_failure", "failures"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sshdoctor", "compat", *args],
                          capture_output=True, text=True, timeout=120)


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = run(*args, "--json")
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("spelling", ["openssh-7.4", "OpenSSH_7.4p1", "openssh 7.4", "OPENSSH-7.4"])
def test_loose_spellings_name_the_same_profile(spelling: str) -> None:
    found = find_profile(spelling)
    assert found is not None and found[0].id == "openssh-7.4" and found[1] is None


def test_unprofiled_release_falls_back_to_the_nearest_earlier_one_with_a_note() -> None:
    found = find_profile("cisco-ios-15.2")
    assert found is not None
    prof, note = found
    assert prof.id == "cisco-ios-15"
    assert note is not None and "15.2" in note and "cisco-ios-15" in note


def test_a_major_line_means_its_newest_profiled_release() -> None:
    found = find_profile("cisco-iosxe-17")  # only 17.11 is profiled
    assert found is not None and found[0].id == "cisco-iosxe-17.11" and found[1] is not None
    # Trailing zeros name the same release, without a note.
    assert find_profile("openssh-9") == (get_profile("openssh-9.0"), None)
    assert find_profile("openssh-9.2.0") == (get_profile("openssh-9.2"), None)


def test_too_old_a_release_is_a_usage_error_and_other_names_are_hosts() -> None:
    with pytest.raises(CompatUsageError, match="oldest"):
        find_profile("openssh-4.0")
    assert find_profile("build-server-2") is None
    assert find_profile("example.org") is None


def test_client_selection_globs_implementations_and_all() -> None:
    every = select_clients("all")
    assert {p.id for p in every} == {p.id for p in all_profiles().values() if p.client is not None}
    assert all(p.id.startswith("openssh-8.") for p in select_clients("openssh-8.*"))
    assert [p.id for p in select_clients("openssh-7.4,openssh-7.4")] == ["openssh-7.4"]
    assert {p.implementation for p in select_clients("openssh")} == {"openssh"}
    with pytest.raises(CompatUsageError):
        select_clients("nosuch-*")
    with pytest.raises(CompatUsageError, match="no client side"):
        select_clients("cisco-ios-15")


# ------------------------------------------------------------------ server-side planner


SUPPORTED_92 = {c: get_profile("openssh-9.2").supported.lists[c] for c in Category}  # type: ignore[union-attr]


def test_server_fix_adds_the_strongest_client_algorithm_the_server_supports() -> None:
    client = profile_client_model(get_profile("openssh-9.2")).proposal  # type: ignore[arg-type]
    server = Proposal.symmetric(["diffie-hellman-group14-sha1"], ["ssh-rsa"], ["aes128-cbc"], ["hmac-md5"])
    plan = plan_server_fix(client, server, SUPPORTED_92)
    assert plan.needed and plan.works and not plan.unfixable
    added = {c.directive: c.add for c in plan.changes}
    assert set(added) == {"KexAlgorithms", "HostKeyAlgorithms", "Ciphers"}, "an AEAD cipher makes a MAC change needless"
    for directive, names in added.items():
        category = next(c for c in Category if c.directive == directive)
        assert len(names) == 1 and names[0] in client.get(Slot.KEX if category is Category.KEX else
                                                           Slot.HOSTKEY if category is Category.HOSTKEY else Slot.CIPHER_C2S)
    assert plan.after.picks[Slot.MAC_C2S] is None and Slot.MAC_C2S in plan.after.implicit_mac


def test_server_fix_reports_what_the_release_cannot_enable() -> None:
    client = profile_client_model(get_profile("openssh-9.2")).proposal  # type: ignore[arg-type]
    ios = get_profile("cisco-ios-12.2")
    assert ios is not None and ios.server is not None
    plan = plan_server_fix(client, ios.server.proposal(), ios.supported.lists)
    assert not plan.works
    assert Category.KEX in plan.unfixable
    unknown = plan_server_fix(client, ios.server.proposal(), None)
    assert unknown.works and not unknown.supported_known


def test_server_fix_needs_nothing_when_negotiation_works() -> None:
    prof = get_profile("openssh-9.2")
    assert prof is not None and prof.client is not None and prof.server is not None
    plan = plan_server_fix(prof.client.proposal(), prof.server.proposal(), prof.supported.lists)
    assert not plan.needed and plan.changes == ()


# ------------------------------------------------------------------ the command, profiles only


def test_compat_json_is_the_contract_and_agrees_with_negotiate() -> None:
    code, doc = run_json("openssh-9.2", "cisco-ios-15")
    assert set(doc) >= CONTRACT
    assert doc["client"] == "openssh-9.2" and doc["server"] == "cisco-ios-15"
    assert set(doc["chosen"]) == {s.value for s in Slot}
    client, server = get_profile("openssh-9.2"), get_profile("cisco-ios-15")
    assert client is not None and client.client is not None and server is not None and server.server is not None
    want = negotiate(client.client.proposal(), server.server.proposal())
    assert doc["ok"] is want.ok is False and code == 1
    assert doc["first_failure"] == want.first_failure
    assert doc["failures"] == [c.value for c in want.failures]
    assert doc["reverse"] is None  # a device has no client side
    fix = doc["fix"]["client"]
    assert fix["works"] is True
    # The client-side fix, applied to the profile's lists, must make negotiation succeed.
    adds = {c["directive"]: c["add"] for c in fix["changes"]}
    fixed = client.client.proposal()
    for slot in Slot:
        directive = slot.category.directive
        if directive in adds:
            fixed = fixed.with_slot(slot, [*fixed.get(slot), *adds[directive]])
    assert negotiate(fixed, server.server.proposal()).ok
    assert fix["ssh_options"] == [x for d, names in adds.items() for x in ("-o", f"{d}=+{','.join(names)}")]


def test_compat_shows_both_directions_when_both_have_both_roles() -> None:
    code, doc = run_json("openssh-10.0", "openssh-6.5")
    assert code == (0 if doc["ok"] else 1)
    reverse = doc["reverse"]
    assert reverse is not None and reverse["client"] == "openssh-6.5" and reverse["server"] == "openssh-10.0"
    a, b = get_profile("openssh-6.5"), get_profile("openssh-10.0")
    assert a is not None and a.client is not None and b is not None and b.server is not None
    assert reverse["ok"] == negotiate(a.client.proposal(), b.server.proposal()).ok


def test_matrix_json_agrees_with_pairwise_compat() -> None:
    code, doc = run_json("cisco-iosxe-16", "--clients", "openssh-*")
    clients = doc["clients"]
    assert doc["summary"]["clients"] == len(clients) == len(select_clients("openssh-*"))
    assert doc["summary"]["ok"] == sum(1 for c in clients if c["ok"])
    assert code == (0 if doc["summary"]["failing"] == 0 else 1)
    assert 0 < doc["summary"]["ok"] < len(clients), "IOS XE 16 should split the OpenSSH releases"
    for entry in clients[:: max(1, len(clients) // 6)]:
        _, pair = run_json(entry["client"], "cisco-iosxe-16")
        for key in ("ok", "chosen", "first_failure", "failures"):
            assert entry[key] == pair[key], (entry["client"], key)


def test_human_output_names_the_failure_and_the_fix() -> None:
    proc = run("openssh-9.2", "cisco-ios-15")
    assert proc.returncode == 1
    assert "no matching key exchange method" in proc.stdout
    assert "-o KexAlgorithms=+" in proc.stdout
    assert "fix on the server" in proc.stdout


@pytest.mark.parametrize("args", [
    (),
    ("openssh-7.4",),
    ("openssh-7.4", "local"),
    ("cisco-ios-15", "openssh-7.4"),
    ("127.0.0.1:22", "openssh-7.4"),
    ("openssh-4.0", "openssh-7.4"),
    ("openssh-7.4", "openssh-7.4", "--clients", "all"),
    ("openssh-7.4", "--clients", "nosuch*"),
    ("openssh-7.4", "bad host"),
])
def test_bad_arguments_are_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sshdoctor: ") and "Traceback" not in proc.stderr


def test_list_names_every_profile() -> None:
    code, doc = run_json("--list")
    assert code == 0
    assert {p["id"] for p in doc["profiles"]} == set(all_profiles()) | set(distribution_profiles())
    rhel = next(p for p in doc["profiles"] if p["id"] == "rhel-9")
    assert rhel["base"].startswith("openssh-") and rhel["distribution"]


def test_list_text_shows_distribution_builds() -> None:
    proc = run("--list")
    assert proc.returncode == 0, proc.stderr
    for pid in ("rhel-9-legacy", "debian-12", "ubuntu-24.04", "alpine-3.21"):
        assert pid in proc.stdout, pid
    assert "rocky" in proc.stdout  # the alias a Rocky user types is named
