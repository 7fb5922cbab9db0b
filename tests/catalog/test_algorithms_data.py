"""Checks of the algorithm catalog data file ``catalog/data/algorithms.toml``.

The static tests read the file with ``tomllib`` only and check the schema the
catalog loader relies on: required keys, allowed values, source references,
aliases and naming rules.

The live test ties the catalog to reality: every name that the local OpenSSH
client lists with ``ssh -Q`` must be in the catalog under the matching
category.  It skips when ``ssh`` is not installed.  Nothing here opens a
network connection.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parents[2] / "src/sshdoctor/catalog/data/algorithms.toml"

CATEGORIES = {"kex", "hostkey", "cipher", "mac", "compression"}
RATINGS = {"strong", "acceptable", "weak", "broken", "info"}
REQUIRED = {"name": str, "category": str, "rating": str, "reasons": list, "sources": list}
OPTIONAL = {
    "aead": bool,
    "etm": bool,
    "cbc": bool,
    "block_bits": int,
    "key_bits": int,
    "group_bits": int,
    "post_quantum": bool,
    "pseudo": bool,
    "key_type": str,
    "certificate": bool,
    "same_as": str,
    "standard": bool,
    "notes": str,
}
# Optional keys that only make sense in one category.
ONLY_IN = {
    "aead": {"cipher"},
    "cbc": {"cipher"},
    "block_bits": {"cipher"},
    "etm": {"mac"},
    "group_bits": {"kex"},
    "post_quantum": {"kex"},
    "pseudo": {"kex"},
    "key_type": {"hostkey"},
    "certificate": {"hostkey"},
}
# Names that the SSH specifications genuinely define in more than one category:
# "none" is a cipher, a MAC and a compression method (RFC 4253), and RFC 5647
# requires the AES-GCM names to be negotiated as both cipher and MAC.
MULTI_CATEGORY = {
    "none": {"cipher", "mac", "compression"},
    "AEAD_AES_128_GCM": {"cipher", "mac"},
    "AEAD_AES_256_GCM": {"cipher", "mac"},
}
# `ssh -Q` query -> catalog category.
QUERIES = {"kex": "kex", "key-sig": "hostkey", "cipher": "cipher", "mac": "mac", "compression": "compression"}


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    with DATA.open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def algorithms(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    algs = catalog.get("algorithm")
    assert isinstance(algs, list) and algs, "no [[algorithm]] entries"
    return algs


def by_category(algorithms: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for alg in algorithms:
        table[alg["category"]][alg["name"]] = alg
    return table


def test_top_level_tables(catalog: dict[str, Any]) -> None:
    assert set(catalog) == {"sources", "algorithm"}


def test_sources_have_title_and_url(catalog: dict[str, Any]) -> None:
    sources = catalog["sources"]
    assert sources
    for sid, src in sources.items():
        assert set(src) == {"title", "url"}, sid
        assert isinstance(src["title"], str) and src["title"].strip(), sid
        assert isinstance(src["url"], str) and re.match(r"https?://\S+$", src["url"]), sid


def test_every_source_is_used(catalog: dict[str, Any], algorithms: list[dict[str, Any]]) -> None:
    used = {sid for alg in algorithms for sid in alg["sources"]}
    assert set(catalog["sources"]) - used == set()


def test_entry_keys_and_types(algorithms: list[dict[str, Any]]) -> None:
    for alg in algorithms:
        where = f"{alg.get('category')}/{alg.get('name')}"
        for key, typ in REQUIRED.items():
            assert isinstance(alg.get(key), typ), f"{where}: {key} missing or not {typ.__name__}"
        unknown = set(alg) - set(REQUIRED) - set(OPTIONAL)
        assert not unknown, f"{where}: unknown keys {unknown}"
        for key, typ in OPTIONAL.items():
            if key in alg:
                value = alg[key]
                assert isinstance(value, typ) and not (typ is int and isinstance(value, bool)), f"{where}: {key}"
        assert alg["category"] in CATEGORIES, where
        assert alg["rating"] in RATINGS, where
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.@_+=/-]*", alg["name"]), where
        assert all(isinstance(r, str) and r.strip() for r in alg["reasons"]), where
        assert alg["sources"] and all(isinstance(s, str) for s in alg["sources"]), where
        assert len(set(alg["sources"])) == len(alg["sources"]), f"{where}: duplicate source"
        if "notes" in alg:
            assert alg["notes"].strip(), where


def test_optional_keys_fit_the_category(algorithms: list[dict[str, Any]]) -> None:
    for alg in algorithms:
        for key, cats in ONLY_IN.items():
            if key in alg:
                assert alg["category"] in cats, f"{alg['category']}/{alg['name']}: {key}"
        for flag in ("aead", "etm", "cbc", "post_quantum", "pseudo", "certificate"):
            if flag in alg:
                assert alg[flag] is True, f"{alg['name']}: write {flag} only when true"
        if "block_bits" in alg:
            assert alg["block_bits"] == 64, alg["name"]
        for key in ("key_bits", "group_bits"):
            if key in alg:
                assert alg[key] > 0, alg["name"]


def test_hostkeys_have_a_key_type(algorithms: list[dict[str, Any]]) -> None:
    for alg in algorithms:
        if alg["category"] == "hostkey":
            assert alg.get("key_type"), alg["name"]
        if alg.get("certificate"):
            assert "-cert-" in alg["name"], alg["name"]


def test_source_references_exist(catalog: dict[str, Any], algorithms: list[dict[str, Any]]) -> None:
    known = set(catalog["sources"])
    for alg in algorithms:
        missing = [s for s in alg["sources"] if s not in known]
        assert not missing, f"{alg['category']}/{alg['name']}: unknown sources {missing}"


def test_names_unique_per_category(algorithms: list[dict[str, Any]]) -> None:
    counts = Counter((alg["category"], alg["name"]) for alg in algorithms)
    assert [key for key, n in counts.items() if n > 1] == []


def test_names_in_several_categories_are_deliberate(algorithms: list[dict[str, Any]]) -> None:
    categories: dict[str, set[str]] = defaultdict(set)
    for alg in algorithms:
        categories[alg["name"]].add(alg["category"])
    shared = {name: cats for name, cats in categories.items() if len(cats) > 1}
    assert shared == MULTI_CATEGORY


def test_reasons_justify_every_non_strong_rating(algorithms: list[dict[str, Any]]) -> None:
    for alg in algorithms:
        if alg["rating"] != "strong":
            assert alg["reasons"], f"{alg['category']}/{alg['name']} is {alg['rating']} without a reason"


def test_pseudo_algorithms_are_info(algorithms: list[dict[str, Any]]) -> None:
    for alg in algorithms:
        assert bool(alg.get("pseudo")) == (alg["rating"] == "info"), alg["name"]
    pseudo = {alg["name"] for alg in algorithms if alg.get("pseudo")}
    assert {
        "ext-info-c",
        "ext-info-s",
        "kex-strict-c-v00@openssh.com",
        "kex-strict-s-v00@openssh.com",
        "kexguess2@matt.ucc.asn.au",
    } <= pseudo


def test_same_as_targets_exist(algorithms: list[dict[str, Any]]) -> None:
    table = by_category(algorithms)
    for alg in algorithms:
        if "same_as" not in alg:
            continue
        target = table[alg["category"]].get(alg["same_as"])
        assert target is not None, f"{alg['name']}: same_as {alg['same_as']} not in {alg['category']}"
        assert "same_as" not in target, f"{alg['name']}: alias of an alias"
        assert target["name"] != alg["name"]


def test_flags_match_names(algorithms: list[dict[str, Any]]) -> None:
    for alg in algorithms:
        name = alg["name"]
        if alg["category"] == "mac":
            assert bool(alg.get("etm")) == ("-etm@" in name), name
        if alg["category"] == "cipher" and re.search(r"-cbc(@|$)", name):
            assert alg.get("cbc"), name
        if alg["category"] == "hostkey":
            assert bool(alg.get("certificate")) == bool(re.search(r"-cert-v0[01]@openssh\.com$", name)), name
        if name.startswith(("sntrup", "mlkem")):
            assert alg.get("post_quantum"), name
        if "@" in name:
            assert alg.get("standard") is not True, f"{name}: @-names are never IETF names"


def test_spot_ratings(algorithms: list[dict[str, Any]]) -> None:
    table = by_category(algorithms)
    expected = {
        ("kex", "diffie-hellman-group1-sha1"): "broken",
        ("kex", "diffie-hellman-group14-sha1"): "weak",
        ("kex", "curve25519-sha256"): "strong",
        ("kex", "mlkem768x25519-sha256"): "strong",
        ("hostkey", "ssh-rsa"): "weak",
        ("hostkey", "ssh-dss"): "broken",  # 1024-bit DSA: audit fails it, a fix never prefers it
        ("hostkey", "rsa-sha2-512"): "strong",
        ("cipher", "aes128-cbc"): "weak",
        ("cipher", "3des-cbc"): "broken",
        ("cipher", "arcfour"): "broken",
        ("cipher", "chacha20-poly1305@openssh.com"): "strong",
        ("mac", "hmac-md5"): "broken",
        ("mac", "hmac-sha2-256-etm@openssh.com"): "strong",
        ("compression", "zlib"): "acceptable",
    }
    for (category, name), rating in expected.items():
        assert table[category][name]["rating"] == rating, name


def test_aead_ciphers(algorithms: list[dict[str, Any]]) -> None:
    table = by_category(algorithms)
    for name in ("chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "AEAD_AES_128_GCM"):
        assert table["cipher"][name].get("aead") is True, name


def _ssh_query(ssh: str, query: str) -> list[str]:
    proc = subprocess.run([ssh, "-Q", query], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        pytest.skip(f"ssh -Q {query} not supported: {proc.stderr.strip()}")
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def test_local_ssh_names_are_catalogued(algorithms: list[dict[str, Any]]) -> None:
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("ssh not on PATH")
    table = by_category(algorithms)
    missing = []
    for query, category in QUERIES.items():
        for name in _ssh_query(ssh, query):
            if name not in table[category]:
                missing.append(f"{category}: {name} (ssh -Q {query})")
    assert missing == []


def test_local_gss_kex_prefixes_are_catalogued(algorithms: list[dict[str, Any]]) -> None:
    """Debian's GSSAPI patch lists gss-* prefixes with ``ssh -Q kex-gss``."""
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("ssh not on PATH")
    names = _ssh_query(ssh, "kex-gss")
    kex = by_category(algorithms)["kex"]
    assert [n for n in names if n not in kex] == []
