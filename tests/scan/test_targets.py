"""Target sources: files, CIDR, ssh_config aliases, known_hosts, Ansible, merging, streaming."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pytest

from sshdoctor.fleet.ansible import expand_range, parse_yaml_mapping, read_inventory
from sshdoctor.fleet.dedupe import Deduper
from sshdoctor.fleet.targets import (
    TargetError,
    TargetSpec,
    ansible_targets,
    check_arguments,
    from_arguments,
    from_file,
    known_hosts_targets,
    ssh_config_aliases,
    unique,
)


def _pairs(specs: list[TargetSpec]) -> list[tuple[str, int | None]]:
    return [(s.host, s.port) for s in specs]


def test_file_lines_comments_ports_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "targets"
    path.write_text("# fleet\nsw1\n  sw2:2222  # core\n\n[fe80::1]:830\nuser@10.0.0.9\nbad:port:99999x\nhost:0\n"
                    "not a target!\n!!!\nsw3 sw4\n")
    specs = list(from_file(str(path), port=None, limit=10))
    assert _pairs(specs[:4]) == [("sw1", None), ("sw2", 2222), ("fe80::1", 830), ("10.0.0.9", None)]
    bad = [s for s in specs if s.error]
    assert [s.source for s in bad] == [f"{path}:{n}" for n in (7, 8, 9, 10)]
    assert "invalid port" in (bad[1].error or "")
    # A line of prose is one invalid entry, never a host called "not"; nothing invalid reaches a resolver.
    assert bad[2].host == "not a target!" and "not a host name" in (bad[2].error or "")
    assert _pairs(specs[-2:]) == [("sw3", None), ("sw4", None)]


def test_an_existing_file_given_as_a_target_is_a_targets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hosts.txt").write_text("sw1\nsw2:2200\n")
    monkeypatch.chdir(tmp_path)
    check_arguments(["hosts.txt"], port=None, limit=10)
    assert _pairs(list(from_arguments(["hosts.txt", "sw9"], port=None, limit=10))) == [
        ("sw1", None), ("sw2", 2200), ("sw9", None)]


def test_default_port_applies_to_targets_without_one() -> None:
    assert _pairs(list(from_arguments(["a", "b:23"], port=2200, limit=10))) == [("a", 2200), ("b", 23)]


def test_cidr_expands_hosts_and_respects_the_cap() -> None:
    specs = list(from_arguments(["127.0.0.0/29:2222"], port=None, limit=100))
    # Every address, network and broadcast included, as nmap counts a range (a /30 is four).
    assert _pairs(specs) == [(f"127.0.0.{i}", 2222) for i in range(8)]
    assert len(list(from_arguments(["10.0.0.0/30"], port=None, limit=100))) == 4
    assert len(list(from_arguments(["127.0.0.5/32"], port=None, limit=1))) == 1
    with pytest.raises(TargetError, match="raise it with --max-cidr"):
        check_arguments(["10.0.0.0/16"], port=None, limit=1024)
    with pytest.raises(TargetError, match="invalid address range"):
        check_arguments(["10.0.0.0/33"], port=None, limit=1024)


def test_duplicates_merged_in_order_and_on_disk_past_the_limit() -> None:
    specs = [TargetSpec("A", 22), TargetSpec("b"), TargetSpec("a", 22), TargetSpec("b"), TargetSpec("b", 22)]
    assert _pairs(list(unique(specs))) == [("A", 22), ("b", None), ("b", 22)]
    seen = Deduper(memory_limit=100)
    fresh = [seen.add(f"h{i % 500}") for i in range(2000)]
    assert sum(fresh) == 500 and fresh[:500] == [True] * 500
    assert seen.on_disk
    seen.close()


def test_a_long_target_file_is_streamed_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "million"
    with path.open("w") as fh:
        for i in range(1_000_000):
            fh.write(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:22\n")
    tracemalloc.start()
    count, last = 0, None
    for spec in itertools.islice(unique(from_file(str(path), port=None, limit=10)), 20_000):
        count, last = count + 1, spec
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20_000 and last is not None and last.host == "10.0.78.31"
    # The file is ~18 MB as text; the first 20,000 targets must not pull it in.
    assert peak < 8_000_000, peak


def test_ssh_config_aliases_follow_includes_and_skip_patterns(tmp_path: Path) -> None:
    (tmp_path / "more.conf").write_text("Host db1 db-*\n    HostName 10.0.0.5\n")
    config = tmp_path / "config"
    config.write_text(f"Include {tmp_path}/more.conf\nHost sw1 sw2 !sw3 *.lab\n    Port 830\nHost *\n    User x\n")
    assert [s.host for s in ssh_config_aliases(str(config))] == ["db1", "sw1", "sw2"]
    with pytest.raises(TargetError):
        list(ssh_config_aliases(str(tmp_path / "missing")))


def test_known_hosts_unhashed_entries_with_ports(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(
        "sw1,10.0.0.1 ssh-ed25519 AAAA\n"
        "[sw2]:2222 ssh-rsa AAAA\n"
        "|1|abc=|def= ssh-rsa AAAA\n"
        "@cert-authority *.lab ssh-rsa AAAA\n"
        "*.example.com,!x.example.com ssh-rsa AAAA\n"
        "# comment\n"
    )
    assert _pairs(list(known_hosts_targets(str(path)))) == [("sw1", None), ("10.0.0.1", None), ("sw2", 2222)]


INI = """
mail.example.com
[web]
web[01:03].example.com ansible_port=2201
proxy.example.com:2222
[db]
db1 ansible_host=10.0.0.7
db2 ansible_ssh_host=10.0.0.8 ansible_ssh_port=2299
[db:vars]
ansible_port=5022
[prod:children]
db
[prod:vars]
ansible_port=9999
ansible_user=admin
"""

YAML = """
---
all:
  vars:
    ansible_port: 2200   # everyone
  hosts:
    mail.example.com:
  children:
    web:
      hosts:
        web[a:b].example.com:
          ansible_port: "2201"
    db:
      vars:
        ansible_port: 5022
      hosts:
        db1:
          ansible_host: 10.0.0.7
"""


def test_ansible_ini_ranges_and_variables() -> None:
    hosts = read_inventory(INI)
    assert hosts == [
        ("mail.example.com", "mail.example.com", None),
        ("web01.example.com", "web01.example.com", 2201),
        ("web02.example.com", "web02.example.com", 2201),
        ("web03.example.com", "web03.example.com", 2201),
        ("proxy.example.com", "proxy.example.com", 2222),
        ("db1", "10.0.0.7", 5022),  # the child group's value beats its parent's
        ("db2", "10.0.0.8", 2299),
    ]


def test_ansible_yaml_inventory(tmp_path: Path) -> None:
    hosts = read_inventory(YAML)
    assert hosts == [
        ("mail.example.com", "mail.example.com", 2200),
        ("weba.example.com", "weba.example.com", 2201),
        ("webb.example.com", "webb.example.com", 2201),
        ("db1", "10.0.0.7", 5022),
    ]
    path = tmp_path / "inventory.yml"
    path.write_text(YAML)
    specs = list(ansible_targets(str(path)))
    assert specs[-1] == TargetSpec("10.0.0.7", 5022, f"ansible:{path}", label="db1")


def test_yaml_reader_agrees_with_pyyaml() -> None:
    yaml = pytest.importorskip("yaml")
    # PyYAML types the scalars; this reader keeps them as text.
    assert _normalise(yaml.safe_load(YAML)) == parse_yaml_mapping(YAML)


def _normalise(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    return None if value is None else str(value)


def test_yaml_reader_refuses_what_it_does_not_understand() -> None:
    with pytest.raises(ValueError, match="only mappings"):
        parse_yaml_mapping("all:\n  hosts:\n    - a\n")
    with pytest.raises(ValueError):
        read_inventory("[web]\nhost ansible_port=notaport\n")
    assert expand_range("sw[08:10]") == ["sw08", "sw09", "sw10"]
    assert expand_range("r[1:5:2]") == ["r1", "r3", "r5"]
