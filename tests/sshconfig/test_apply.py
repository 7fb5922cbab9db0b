"""apply_host_block / apply_group_block, checked with the real ``ssh -G -F FILE HOST``."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sshdoctor.local.sshconfig import (
    ConfigParseError,
    PlacementConflict,
    apply_group_block,
    apply_host_block,
    atomic,
    effective_after,
    missing_after,
)
from sshdoctor.model import Change
from tests.sshconfig.conftest import write

SshG = Callable[..., dict[str, str]]

KEX = Change("KexAlgorithms", ("diffie-hellman-group14-sha1",))
CBC = Change("Ciphers", ("aes128-cbc",))
MD5 = Change("MACs", ("hmac-md5",))
RSA = Change("HostKeyAlgorithms", ("ssh-rsa",))
FIX = [KEX, CBC, MD5, RSA]


def in_effect(values: dict[str, str], changes: list[Change]) -> bool:
    for change in changes:
        listed = values[change.directive.lower()].split(",")
        if not all(name in listed for name in change.add):
            return False
    return True


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def check_fix(path: Path, ssh_g: SshG, host: str, others: dict[str, dict[str, str]], changes: list[Change]) -> None:
    """The fix is in effect for ``host``; every other host's settings are as before."""
    assert in_effect(ssh_g(path, host), changes)
    for other, before in others.items():
        assert ssh_g(path, other) == before, other


def apply_and_check(path: Path, ssh_g: SshG, host: str = "legacy", others: tuple[str, ...] = ("web", "other.example"),
                    changes: list[Change] | None = None, **kwargs: object) -> str:
    changes = changes or FIX
    before = {o: ssh_g(path, o) for o in others}
    assert not in_effect(ssh_g(path, host), changes)
    result = apply_host_block(path, host, changes, **kwargs)  # type: ignore[arg-type]
    assert result.changed and result.written
    assert result.backup is not None and result.backup.exists()
    check_fix(path, ssh_g, host, before, changes)
    text = path.read_text()
    # A second apply changes nothing.
    again = apply_host_block(path, host, changes, **kwargs)  # type: ignore[arg-type]
    assert (again.changed, again.written, again.action) == (False, False, "unchanged")
    assert path.read_text() == text
    return text


def test_block_goes_before_host_star_and_keeps_its_lists(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", (
        "# personal config\n"
        "ServerAliveInterval 30\n\n"
        "Host web\n    HostName web.example.com\n\n"
        "# defaults for everything\n"
        "Host *\n"
        "    Ciphers aes256-gcm@openssh.com,aes128-ctr\n"
        "    KexAlgorithms curve25519-sha256\n"
        "    IdentitiesOnly yes\n"
    ))
    text = apply_and_check(path, ssh_g, hostname="10.0.0.7", comment="legacy switch (sshdoctor)")
    assert text.index("Host legacy") < text.index("# defaults for everything") < text.index("Host *")
    assert "    HostName 10.0.0.7\n" in text
    legacy = ssh_g(path, "legacy")
    # The user's Host * restriction still holds for this host, plus exactly the fix.
    assert legacy["ciphers"] == "aes256-gcm@openssh.com,aes128-ctr,aes128-cbc"
    assert legacy["kexalgorithms"] == "curve25519-sha256,diffie-hellman-group14-sha1"
    assert legacy["identitiesonly"] == "yes"
    assert legacy["hostname"] == "10.0.0.7"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_block_goes_before_match_all(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", (
        "Host web\n  User w\n\n"
        "Match all\n  MACs hmac-sha2-512-etm@openssh.com\n  Ciphers aes256-ctr\n"
    ))
    text = apply_and_check(path, ssh_g)
    assert text.index("Host legacy") < text.index("Match all")
    assert ssh_g(path, "legacy")["macs"] == "hmac-sha2-512-etm@openssh.com,hmac-md5"


def test_block_goes_before_match_host_exec(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", (
        "Host web\n  User w\n\n"
        'Match host legacy,*.corp exec "true"\n  KexAlgorithms curve25519-sha256\n\n'
        "Host *\n  User someone\n"
    ))
    text = apply_and_check(path, ssh_g)
    assert text.index("Host legacy") < text.index("Match host")
    # the Match block depended on a command: it is not carried over, only noted
    assert ssh_g(path, "legacy")["kexalgorithms"].endswith(",diffie-hellman-group14-sha1")


def test_match_block_that_cannot_match_is_left_in_front(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Match originalhost web\n  Ciphers aes256-ctr\n\nHost *\n  User u\n")
    text = apply_and_check(path, ssh_g, changes=[CBC])
    assert text.index("Match originalhost web") < text.index("Host legacy") < text.index("Host *")


def test_file_without_blocks_gets_the_block_appended(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Host web\n  User w\n")
    text = apply_and_check(path, ssh_g)
    assert text.startswith("Host web\n  User w\n\nHost legacy\n")
    assert "  KexAlgorithms +diffie-hellman-group14-sha1\n" in text  # the file's own indentation


def test_crlf_file_stays_crlf(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", b"Host web\r\n    User w\r\n\r\nHost *\r\n    Ciphers aes256-ctr\r\n")
    apply_and_check(path, ssh_g)
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert b"Host legacy\r\n" in data


def test_missing_final_newline_is_kept(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Host web\n  User w")
    apply_and_check(path, ssh_g, changes=[KEX])
    assert not path.read_bytes().endswith(b"\n")


def test_comments_and_formatting_are_kept(tmp_path: Path, ssh_g: SshG) -> None:
    original = (
        "# ~/.ssh/config\n"
        "\t# indented comment\n"
        "Host web   # the web server\n"
        "\tHostName=web.example.com\n"
        '\tIdentityFile "~/.ssh/key with spaces"\n'
        "\n"
        "Host *\n"
        "\tForwardAgent no\n"
    )
    path = write(tmp_path / "config", original)
    result = apply_host_block(path, "legacy", FIX)
    # Only lines were added: the original's lines are all there, unchanged and in order.
    changed = [line for line in result.diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed and all(line.startswith("+") for line in changed)
    text = path.read_text()
    kept = iter(text.splitlines(keepends=True))
    assert all(any(line == other for other in kept) for line in original.splitlines(keepends=True))
    assert text.index("Host legacy") < text.index("Host *") and text.index("Host web") < text.index("Host legacy")
    assert "\tKexAlgorithms +diffie-hellman-group14-sha1\n" in text  # the file's tab indentation


def test_merge_into_existing_block(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", (
        "Host legacy\n"
        "    HostName 10.0.0.7   # the switch\n"
        "    KexAlgorithms=+diffie-hellman-group1-sha1\n"
        '    Ciphers "aes128-ctr,aes256-ctr"\n'
        "    User admin\n"
        "\n"
        "Host *\n"
        "    MACs hmac-sha2-256\n"
    ))
    text = apply_and_check(path, ssh_g)
    assert "    KexAlgorithms=+diffie-hellman-group1-sha1,diffie-hellman-group14-sha1\n" in text
    assert '    Ciphers "aes128-ctr,aes256-ctr,aes128-cbc"\n' in text
    assert "    MACs +hmac-md5\n" in text
    assert "    User admin\n    MACs +hmac-md5\n    HostKeyAlgorithms +ssh-rsa\n\nHost *" in text
    assert text.count("Host legacy") == 1
    assert ssh_g(path, "legacy")["ciphers"] == "aes128-ctr,aes256-ctr,aes128-cbc"


def test_names_already_present_are_not_repeated(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Host legacy\n  HostKeyAlgorithms +ssh-rsa*\n  Ciphers +aes128-cbc\n")
    result = apply_host_block(path, "legacy", [RSA, CBC])
    assert not result.changed
    assert path.read_text() == "Host legacy\n  HostKeyAlgorithms +ssh-rsa*\n  Ciphers +aes128-cbc\n"


def test_existing_block_after_host_star_gets_a_block_in_front(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", (
        "Host *\n    Ciphers aes256-ctr\n\n"
        "Host legacy\n    HostName 10.0.0.7\n    Ciphers +aes192-ctr\n"
    ))
    text = apply_and_check(path, ssh_g, changes=[CBC], hostname="10.0.0.7")
    assert text.index("Host legacy") < text.index("Host *")
    assert text.count("HostName 10.0.0.7") == 1  # not repeated: the old block sets it
    # what was in effect (Host * list) plus the fix
    assert ssh_g(path, "legacy")["ciphers"] == "aes256-ctr,aes128-cbc"


def test_minus_list_is_rewritten_as_the_list_it_gave(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Host legacy\n  Ciphers -*cbc,chacha20-poly1305@openssh.com\n")
    before = ssh_g(path, "legacy")["ciphers"].split(",")
    result = apply_host_block(path, "legacy", [CBC])
    assert result.changed and any("explicit list" in n for n in result.notes)
    assert ssh_g(path, "legacy")["ciphers"].split(",") == [*before, "aes128-cbc"]


def test_global_line_setting_the_directive_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "# top\nKexAlgorithms curve25519-sha256\n\nHost web\n  User w\n")
    before = snapshot(path)
    with pytest.raises(PlacementConflict) as info:
        apply_host_block(path, "legacy", [KEX])
    assert info.value.line == 2 and info.value.exit_code == 7
    assert "for every host before any Host block" in info.value.message
    assert snapshot(path) == before
    assert siblings(path) == ["config"]


def test_global_include_setting_the_directive_is_refused(tmp_path: Path) -> None:
    inc = write(tmp_path / "defaults.conf", "Host *\n  Ciphers aes256-ctr\n")
    path = write(tmp_path / "config", f"Include {inc}\n\nHost web\n  User w\n")
    before = snapshot(path)
    with pytest.raises(PlacementConflict) as info:
        apply_host_block(path, "legacy", [CBC])
    assert info.value.path == str(inc) and info.value.line == 2
    assert snapshot(path) == before


def test_include_inside_a_block_is_handled(tmp_path: Path, ssh_g: SshG, isolated_home: Path) -> None:
    ssh_dir = isolated_home / ".ssh"
    ssh_dir.mkdir()
    write(ssh_dir / "common.conf", "Ciphers aes256-ctr\nMACs hmac-sha2-512\n")
    path = write(tmp_path / "config", "Host web\n  User w\n\nHost *\n  Include common.conf\n")
    text = apply_and_check(path, ssh_g)
    assert text.index("Host legacy") < text.index("Host *")
    assert ssh_g(path, "legacy")["macs"] == "hmac-sha2-512,hmac-md5"


def test_unparseable_files_are_refused_and_untouched(tmp_path: Path) -> None:
    cases: dict[str, bytes] = {
        "no pattern": b"Host web\n  User w\nHost\n  User x\n",
        "open quote": b'Host web\n  IdentityFile "~/.ssh/id\n',
        "garbage": bytes(range(256)) * 4,
        "match": b"Match nonsense\n",
    }
    for name, data in cases.items():
        path = write(tmp_path / name, data)
        with pytest.raises(ConfigParseError) as info:
            apply_host_block(path, "legacy", FIX)
        assert info.value.exit_code == 5
        assert "\n" not in info.value.message
        assert path.read_bytes() == data, name
    big = tmp_path / "big"
    with open(big, "wb") as fh:
        fh.write(b"Host a\n")
        fh.truncate(50 * 1024 * 1024)
    mtime = big.stat().st_mtime_ns
    with pytest.raises(ConfigParseError, match="too large"):
        apply_host_block(big, "legacy", FIX)
    assert big.stat().st_mtime_ns == mtime and big.stat().st_size == 50 * 1024 * 1024
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*cases, "big"])


def test_crash_between_backup_and_rename_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = "Host web\n  User w\n\nHost *\n  Ciphers aes256-ctr\n"
    path = write(tmp_path / "config", original)

    def crash(tmp: Path) -> None:
        assert tmp.exists() and tmp.parent == path.parent
        raise KeyboardInterrupt("injected crash")

    monkeypatch.setattr(atomic, "_between_backup_and_replace", crash)
    with pytest.raises(KeyboardInterrupt):
        apply_host_block(path, "legacy", FIX)
    assert path.read_text() == original
    names = siblings(path)
    assert [n for n in names if n.endswith(".tmp")] == []
    backups = [n for n in names if n.startswith("config.sshdoctor-") and n.endswith(".bak")]
    assert len(backups) == 1 and (tmp_path / backups[0]).read_text() == original


def test_hard_crash_in_another_process_leaves_the_original(tmp_path: Path) -> None:
    original = "Host *\n  KexAlgorithms curve25519-sha256\n"
    path = write(tmp_path / "config", original)
    script = (
        "import os, sys\n"
        "from sshdoctor.local.sshconfig import atomic, apply_host_block\n"
        "from sshdoctor.model import Change\n"
        "atomic._between_backup_and_replace = lambda tmp: os._exit(9)\n"
        "apply_host_block(sys.argv[1], 'legacy', [Change('KexAlgorithms', ('diffie-hellman-group14-sha1',))])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[2] / "src"),
                                                                      os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 9, out.stderr
    assert path.read_text() == original
    # the abandoned temporary file holds the complete new content, never the original's place
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and "Host legacy" in leftovers[0].read_text()


def test_mode_and_symlink_are_kept(tmp_path: Path, ssh_g: SshG) -> None:
    real = write(tmp_path / "dotfiles-config", "Host web\n  User w\n", mode=0o640)
    link = tmp_path / "config"
    link.symlink_to(real)
    apply_host_block(link, "legacy", [KEX])
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert "Host legacy" in real.read_text()
    assert in_effect(ssh_g(link, "legacy"), [KEX])


def test_new_file_and_ssh_dir_are_created_private(isolated_home: Path, ssh_g: SshG) -> None:
    result = apply_host_block(None, "legacy", [KEX, CBC], hostname="192.0.2.10", port=2222)
    path = isolated_home / ".ssh" / "config"
    assert result.action == "created" and result.path == path and result.backup is None
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = ssh_g(path, "legacy")
    assert (values["hostname"], values["port"]) == ("192.0.2.10", "2222")
    assert in_effect(values, [KEX, CBC])


def test_dry_run_returns_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host *\n  User u\n")
    before = snapshot(path)
    result = apply_host_block(path, "legacy", [KEX], dry_run=True)
    assert result.changed and not result.written and result.backup is None
    assert "+Host legacy" in result.diff and "+  KexAlgorithms +diffie-hellman-group14-sha1" in result.diff
    assert snapshot(path) == before and siblings(path) == ["config"]


def test_backup_is_not_picked_up_by_an_include_glob(tmp_path: Path, ssh_g: SshG) -> None:
    confd = tmp_path / "conf.d"
    confd.mkdir()
    part = write(confd / "legacy.conf", "Host web\n  User w\n")
    result = apply_host_block(part, "legacy", [KEX], include_base=str(tmp_path))
    assert result.backup is not None
    # written next to the file, but not where "Include conf.d/*" would read it
    main = write(tmp_path / "config", f"Include {confd}/*\n")
    assert result.backup.name.startswith("legacy.conf.sshdoctor-")
    assert in_effect(ssh_g(main, "legacy"), [KEX])


def test_effective_after_and_missing_after(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host web\n  User w\n")
    assert missing_after(effective_after(path, "legacy"), [KEX]) == {"KexAlgorithms": ["diffie-hellman-group14-sha1"]}
    apply_host_block(path, "legacy", [KEX])
    assert missing_after(effective_after(path, "legacy"), [KEX]) == {}


def test_group_block_with_a_pattern(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Host web\n  User w\n\nHost *\n  Ciphers aes256-ctr\n")
    before = ssh_g(path, "web")
    result = apply_group_block(path, "legacy-*", ["legacy-1", "legacy-2"], [KEX, CBC])
    text = path.read_text()
    assert result.changed and "Host legacy-*\n" in text and text.index("Host legacy-*") < text.index("Host *")
    for host in ("legacy-1", "legacy-2", "legacy-new"):
        assert in_effect(ssh_g(path, host), [KEX, CBC])
    assert ssh_g(path, "web") == before
    assert not apply_group_block(path, "legacy-*", ["legacy-1", "legacy-2"], [KEX, CBC]).changed
    with pytest.raises(ValueError, match="does not match"):
        apply_group_block(path, "legacy-*", ["sw-core"], [KEX])


def test_group_block_as_a_host_list(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", "Host *\n  User u\n")
    apply_group_block(path, None, ["sw-core", "fw1", "ups.lan"], [MD5])
    assert path.read_text().startswith("Host sw-core fw1 ups.lan\n")
    for host in ("sw-core", "fw1", "ups.lan"):
        assert in_effect(ssh_g(path, host), [MD5])
    assert "hmac-md5" not in ssh_g(path, "other").get("macs", "").split(",")


def test_group_hosts_with_different_lists_need_separate_blocks(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host a\n  Ciphers aes256-ctr\nHost b\n  Ciphers aes128-ctr\n")
    with pytest.raises(PlacementConflict, match="different lines"):
        apply_group_block(path, None, ["a", "b"], [CBC])


def test_only_additions_to_algorithm_lists(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "")
    with pytest.raises(ValueError):
        apply_host_block(path, "legacy", [Change("Ciphers", remove=("aes128-ctr",))])
    with pytest.raises(ValueError):
        apply_host_block(path, "legacy", [Change("User", ("x",))])


def test_run_dependent_block_in_front_keeps_the_hosts_own_list(tmp_path: Path, ssh_g: SshG) -> None:
    path = write(tmp_path / "config", (
        'Match exec "false"\n    Ciphers aes256-ctr\n\n'
        "Host legacy\n    Ciphers +aes192-cbc\n"
    ))
    result = apply_host_block(path, "legacy", [CBC])
    assert any("may also set Ciphers" in note for note in result.notes)
    text = path.read_text()
    assert text.index("Host legacy") < text.index("Match exec")
    assert ssh_g(path, "legacy")["ciphers"].endswith(",aes192-cbc,aes128-cbc")
    assert not apply_host_block(path, "legacy", [CBC]).changed


def test_everything_at_once(tmp_path: Path, ssh_g: SshG, isolated_home: Path) -> None:
    """Comments, CRLF, Key=Value, an Include inside Host *, Match exec, Match all and
    an existing block for the host that sits after Host *."""
    ssh_dir = isolated_home / ".ssh"
    (ssh_dir / "config.d").mkdir(parents=True)
    policy = b"# org policy\r\nKexAlgorithms curve25519-sha256,diffie-hellman-group16-sha512\r\n"
    write(ssh_dir / "config.d" / "hardening.conf", policy)
    original = (
        b"# ~/.ssh/config\r\n"
        b"AddKeysToAgent yes\r\n"
        b"\r\n"
        b"Host web web.example.com   # production\r\n"
        b"\tHostName=web.example.com\r\n"
        b"\tUser deploy\r\n"
        b"\r\n"
        b'Match host *.corp exec "true"\r\n'
        b"\tProxyJump bastion.corp\r\n"
        b"\r\n"
        b"# company defaults\r\n"
        b"Host *\r\n"
        b"\tInclude config.d/*.conf\r\n"
        b"\tServerAliveInterval 30\r\n"
        b"\r\n"
        b"Host legacy\r\n"
        b"\tHostName 10.0.0.7\r\n"
        b"\tHostKeyAlgorithms +ssh-rsa\r\n"
        b"\r\n"
        b"Match all\r\n"
        b"\tCiphers aes256-gcm@openssh.com,aes256-ctr\r\n"
    )
    path = write(tmp_path / "config", original)
    others = ("web", "db.corp", "other.example")
    before = {o: ssh_g(path, o) for o in others}
    legacy_before = ssh_g(path, "legacy")
    changes = [KEX, CBC, MD5]
    result = apply_host_block(path, "legacy", changes, hostname="10.0.0.7", comment="sshdoctor fix for legacy")
    assert result.action == "inserted" and result.written
    check_fix(path, ssh_g, "legacy", before, changes)
    legacy = ssh_g(path, "legacy")
    assert legacy["kexalgorithms"] == "curve25519-sha256,diffie-hellman-group16-sha512,diffie-hellman-group14-sha1"
    assert legacy["ciphers"] == "aes256-gcm@openssh.com,aes256-ctr,aes128-cbc"
    assert legacy["hostkeyalgorithms"] == legacy_before["hostkeyalgorithms"]  # the old block still applies
    assert legacy["hostname"] == "10.0.0.7"
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.index(b"Host legacy\r\n") < data.index(b"# company defaults")
    assert data.index(b"Match host *.corp") < data.index(b"Host legacy\r\n")  # cannot match "legacy"
    assert not apply_host_block(path, "legacy", changes, hostname="10.0.0.7").changed
    assert result.backup is not None and result.backup.read_bytes() == original


@pytest.mark.parametrize(
    ("pattern", "change", "hostname"),
    [
        ("legacy\n    ProxyCommand sh -c evil", KEX, None),
        ("two words", KEX, None),
        ("legacy", Change("Ciphers", ("aes128-cbc\nProxyCommand evil",)), None),
        ("legacy", Change("Ciphers", ("aes128-cbc,3des-cbc",)), None),
        ("legacy", KEX, "10.0.0.7 # x"),
    ],
)
def test_nothing_can_inject_a_line(tmp_path: Path, pattern: str, change: Change, hostname: str | None) -> None:
    path = write(tmp_path / "config", "Host *\n  User u\n")
    with pytest.raises(ValueError, match="cannot be written"):
        apply_host_block(path, pattern, [change], hostname=hostname)
    assert path.read_text() == "Host *\n  User u\n"
