"""``sshdoctor lint``: every check on a real file, through the CLI, with its exit code.

Where lint says ``fail`` because ssh or sshd would reject the file, the real
programs are asked too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sshdoctor.audit.configlint import suggest_form
from tests.conftest import LoginUser
from tests.sshconfig.conftest import write

SRC = str(Path(__file__).parents[2] / "src")


def lint(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "sshdoctor", "lint", *args], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    return out.returncode, out.stdout, out.stderr


def lint_json(path: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = lint("--json", *extra, str(path))
    document = json.loads(out)
    assert isinstance(document["findings"], list), err
    return code, document["findings"]


def codes(findings: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(f["line"], f["severity"], f["code"]) for f in findings]


def ssh_accepts(path: Path) -> bool:
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("no ssh")
    return subprocess.run([ssh, "-G", "-F", str(path), "x"], capture_output=True, check=False).returncode == 0


def sshd_accepts(path: Path) -> bool:
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
    if sshd is None:
        pytest.skip("no sshd")
    out = subprocess.run([sshd, "-t", "-f", str(path)], capture_output=True, text=True, check=False)
    return "not allowed" not in out.stderr and "Bad configuration option" not in out.stderr and \
        "Bad SSH2" not in out.stderr


def test_clean_file_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path / "config", (
        "Host legacy\n"
        "    HostName 10.0.0.7\n"
        "    KexAlgorithms +diffie-hellman-group14-sha1\n"
        "    HostKeyAlgorithms +ssh-rsa\n\n"
        "Host *\n    ServerAliveInterval 30\n"
    ))
    code, out, err = lint(str(path))
    assert (code, out) == (0, ""), err
    assert lint_json(path) == (0, [])


def test_json_findings_have_file_line_severity_code_message(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host *\n    HostKeyAlgorithms +ssh-rsa\n")
    code, findings = lint_json(path)
    assert code == 1
    assert findings[0]["file"] == str(path)
    assert {"file", "line", "severity", "code", "message"} <= set(findings[0])


def test_text_output_is_one_line_per_finding(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host *\n    HostKeyAlgorithms +ssh-rsa\n    Ciphers +3des-cbc\n")
    code, out, _ = lint(str(path))
    lines = out.splitlines()
    assert code == 6 and len(lines) == 2
    assert lines[0].startswith(f"{path}:2: warn: ssh-rsa is weak")
    assert lines[1].startswith(f"{path}:3: fail: 3des-cbc is broken")
    assert "\x1b[" not in out  # no colour when not a terminal


def test_unknown_algorithm_with_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host legacy\n    KexAlgorithms +diffie-hellman-group14-sha256,curve25519-sha265\n")
    code, findings = lint_json(path)
    assert code == 6
    assert codes(findings) == [(2, "fail", "unknown-algorithm")]
    assert findings[0]["suggestion"] == "curve25519-sha256"
    assert "did you mean curve25519-sha256?" in findings[0]["message"]
    assert not ssh_accepts(path)


def test_removing_an_unknown_name_is_only_advice(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host legacy\n    Ciphers -arcfour,aes128-cbc\n")
    code, findings = lint_json(path)
    assert code == 0 and codes(findings) == [(2, "info", "unsupported-algorithm")]
    assert ssh_accepts(path)


def test_algorithm_the_local_openssh_does_not_support(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host old-router\n    Ciphers +arcfour\n")
    code, findings = lint_json(path)
    assert code == 6 and codes(findings) == [(2, "fail", "unsupported-algorithm")]
    assert "not supported by OpenSSH_" in findings[0]["message"]
    assert not ssh_accepts(path)


def test_wildcard_where_ssh_does_not_take_one(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host a\n    Ciphers +aes*-cbc\nHost b\n    HostKeyAlgorithms +ssh-rsa*\n")
    code, findings = lint_json(path)
    assert code == 6 and codes(findings) == [(2, "fail", "bad-wildcard")]
    assert not ssh_accepts(path)
    assert ssh_accepts(write(tmp_path / "ok", "Host b\n    HostKeyAlgorithms +ssh-rsa*\n"))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Host *\n    HostKeyAlgorithms +ssh-rsa\n", 2),
        ("Match all\n    KexAlgorithms +diffie-hellman-group14-sha1\n", 2),
        ("HostKeyAlgorithms +ssh-rsa\nHost a\n  User b\n", 1),
    ],
)
def test_weak_algorithm_for_all_hosts_warns(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path / "config", text)
    code, findings = lint_json(path)
    assert code == 1
    assert codes(findings) == [(line, "warn", "weak-for-all-hosts")]
    assert "weak (" in findings[0]["message"]


def test_broken_algorithm_for_all_hosts_fails(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host *\n    KexAlgorithms +diffie-hellman-group1-sha1\n    MACs +hmac-md5\n")
    code, findings = lint_json(path)
    assert code == 6
    assert codes(findings) == [(2, "fail", "weak-for-all-hosts"), (3, "fail", "weak-for-all-hosts")]
    assert findings[0]["algorithm"] == "diffie-hellman-group1-sha1"


def test_weak_algorithm_in_an_include_is_reported_where_it_is(tmp_path: Path) -> None:
    inc = write(tmp_path / "common.conf", "# shared\nCiphers +aes128-cbc\n")
    path = write(tmp_path / "config", f"Include {inc}\nHost a\n  User b\n")
    code, findings = lint_json(path)
    assert code == 1
    assert [(f["file"], f["line"], f["code"]) for f in findings] == [(str(inc), 2, "weak-for-all-hosts")]


def test_replacement_list_that_drops_modern_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host legacy\n    Ciphers aes128-ctr,aes256-ctr\n")
    code, findings = lint_json(path)
    assert code == 1 and codes(findings) == [(2, "warn", "replacement-list")]
    message = findings[0]["message"]
    assert "chacha20-poly1305@openssh.com" in message and "later OpenSSH" in message
    suggestion = findings[0]["suggestion"]
    assert suggestion.startswith("-") and "chacha20-poly1305@openssh.com" in suggestion
    # the suggestion gives the same list, checked with the real ssh
    same = write(tmp_path / "same", f"Host legacy\n    Ciphers {suggestion}\n")
    assert ssh_accepts(same)
    g = subprocess.run(["ssh", "-G", "-F", str(same), "legacy"], capture_output=True, text=True, check=True).stdout
    assert "ciphers aes128-ctr,aes256-ctr\n" in g


def test_replacement_list_that_only_adds_gets_the_plus_form(tmp_path: Path) -> None:
    defaults = subprocess.run(["ssh", "-G", "-F", "/dev/null", "x"], capture_output=True, text=True, check=True).stdout
    ciphers = next(line.split(" ", 1)[1] for line in defaults.splitlines() if line.startswith("ciphers "))
    path = write(tmp_path / "config", f"Host legacy\n    Ciphers {ciphers},aes128-cbc\n")
    code, findings = lint_json(path)
    assert code == 0 and codes(findings) == [(2, "info", "replacement-list")]
    assert findings[0]["suggestion"] == "+aes128-cbc"


def test_suggest_form_is_exact_or_says_so() -> None:
    defaults = ["a", "b", "c"]
    assert suggest_form(["a", "c"], defaults, defaults) == ("-b", True)
    assert suggest_form(["a", "b", "c", "x"], defaults, [*defaults, "x"]) == ("+x", True)
    assert suggest_form(["x", "a", "b", "c"], defaults, [*defaults, "x"]) == ("^x", True)
    assert suggest_form(["c", "a"], defaults, defaults) == ("-b", False)
    assert suggest_form(["a", "x"], defaults, [*defaults, "x"]) == (None, False)
    assert suggest_form(defaults, defaults, defaults) == ("", True)


def test_directive_shadowed_by_an_earlier_block(tmp_path: Path) -> None:
    path = write(tmp_path / "config", (
        "Host *\n    KexAlgorithms curve25519-sha256\n\n"
        "Host legacy\n    KexAlgorithms +diffie-hellman-group14-sha1\n\n"
        "Host legacy-*\n    MACs +hmac-sha1\n"
        "Host legacy-7\n    MACs +hmac-md5\n"
    ))
    code, findings = lint_json(path)
    assert code == 1
    shadowed = [(f["line"], f["code"]) for f in findings if f["code"] == "shadowed"]
    assert shadowed == [(5, "shadowed"), (10, "shadowed")]
    assert "config:2" in findings[[f["line"] for f in findings].index(5)]["message"]
    g = subprocess.run(["ssh", "-G", "-F", str(path), "legacy"], capture_output=True, text=True, check=True).stdout
    assert "kexalgorithms curve25519-sha256\n" in g  # the real ssh agrees: line 5 is dead


def test_unknown_keyword_and_ignore_unknown(tmp_path: Path) -> None:
    path = write(tmp_path / "config", "Host a\n    Cipers aes128-ctr\n")
    code, findings = lint_json(path)
    assert code == 6 and codes(findings) == [(2, "fail", "unknown-keyword")]
    assert findings[0]["suggestion"] == "Ciphers"
    assert not ssh_accepts(path)
    ok = write(tmp_path / "ok", "IgnoreUnknown UseKeychain,Frobnicate\nUseKeychain yes\nFrobnicate 3\n")
    code, findings = lint_json(ok)
    assert code == 0 and codes(findings) == [(3, "info", "unknown-keyword")]
    assert ssh_accepts(ok)
    mac = write(tmp_path / "mac", "Host *\n  UseKeychain yes\n")
    code, findings = lint_json(mac)
    # macOS's keyword: this ssh (Linux) rejects the line, so lint calls it a failure, not a warning.
    assert code == 6 and codes(findings) == [(2, "fail", "vendor-keyword")]
    assert "rejects it" in findings[0]["message"] and not ssh_accepts(mac)


def test_obsolete_client_keywords(tmp_path: Path) -> None:
    path = write(tmp_path / "config", (
        "Host legacy\n"
        "    PubkeyAcceptedKeyTypes +ssh-rsa\n"
        "    Protocol 2\n"
        "    RSAAuthentication no\n"
        "    ChallengeResponseAuthentication no\n"
    ))
    code, findings = lint_json(path)
    assert code == 1
    assert codes(findings) == [(2, "info", "obsolete-keyword"), (3, "warn", "obsolete-keyword"),
                               (4, "warn", "obsolete-keyword"), (5, "info", "obsolete-keyword")]
    assert findings[0]["suggestion"] == "PubkeyAcceptedAlgorithms"
    assert "8.5" in findings[0]["message"]


def test_sshd_config(tmp_path: Path) -> None:
    path = write(tmp_path / "sshd_config", (
        "Port 22\n"
        "Protocol 2\n"
        "UsePrivilegeSeparation sandbox\n"
        "KexAlgorithms +diffie-hellman-group14-sha1\n"
        "Subsystem sftp internal-sftp\n"
        "Match User legacy\n"
        "    PubkeyAcceptedAlgorithms +ssh-rsa\n"
    ))
    code, findings = lint_json(path)
    assert code == 1
    assert codes(findings) == [(2, "warn", "obsolete-keyword"), (3, "warn", "obsolete-keyword"),
                               (4, "warn", "weak-for-all-hosts")]
    assert "7.5" in findings[1]["message"]
    assert "every client" in findings[2]["message"]


def test_sshd_algorithm_directive_in_match_block(tmp_path: Path) -> None:
    text = "PasswordAuthentication no\nMatch Address 10.0.0.0/8\n    Ciphers +aes128-cbc\n"
    path = write(tmp_path / "server.conf", text)
    code, findings = lint_json(path, "--sshd")
    assert code == 6 and (3, "fail", "not-allowed-in-match") in codes(findings)
    assert not sshd_accepts(path)


def test_flavour_is_detected_from_content(tmp_path: Path) -> None:
    path = write(tmp_path / "server.conf", "PermitRootLogin no\nUsePrivilegeSeparation yes\n")
    code, out, _ = lint("--json", str(path))
    assert json.loads(out)["kind"] == "sshd_config"
    assert code == 1


def test_file_that_does_not_parse_exits_5(tmp_path: Path) -> None:
    path = write(tmp_path / "config", 'Host a\n  IdentityFile "open\n')
    code, out, err = lint(str(path))
    assert code == 5 and out == ""
    assert err.startswith("sshdoctor: ") and "line 2" in err and "unterminated quote" in err
    code, out, _ = lint("--json", str(path))
    assert code == 5 and "unterminated quote" in json.loads(out)["error"]


def _lint_as(user: LoginUser, home_env: Path) -> tuple[int, str, str]:
    python, env = user.python()
    out = user.run([*python, "-m", "sshdoctor", "lint"], env={**env, "HOME": str(home_env), "SSHDOCTOR_NO_CACHE": "1"})
    return out.returncode, out.stdout, out.stderr


def test_default_file_missing_is_nothing_to_check(login_user: LoginUser, tmp_path: Path) -> None:
    code, out, err = _lint_as(login_user, tmp_path)
    assert (code, out) == (0, "") and "nothing to check" in err


def test_default_file_is_the_users_config_as_ssh_finds_it(login_user: LoginUser, isolated_home: Path) -> None:
    # ssh takes ~ from the password database, not $HOME (sudo -E, containers): so does lint.
    (isolated_home / ".ssh").mkdir(exist_ok=True)
    write(isolated_home / ".ssh" / "config", "Host *\n  Ciphers aes128-ctr\n")
    cfg = write(login_user.home / ".ssh" / "config", "Host *\n  Ciphers +3des-cbc\n")
    os.chmod(cfg, 0o644)
    code, out, _ = _lint_as(login_user, isolated_home)
    assert code == 6 and str(cfg) + ":2: fail" in out
    assert str(isolated_home) not in out


def test_missing_file_argument_is_a_usage_error(tmp_path: Path) -> None:
    code, _, _ = lint(str(tmp_path / "nope"))
    assert code == 2


def test_sshd_include_and_first_value_wins(tmp_path: Path) -> None:
    confd = tmp_path / "sshd_config.d"
    confd.mkdir()
    inc = write(confd / "10-legacy.conf", "Ciphers +3des-cbc\n")
    path = write(tmp_path / "sshd_config", f"Include {confd}/*.conf\nCiphers aes256-ctr\nKbdInteractiveAuthentication no\n")
    code, findings = lint_json(path, "--sshd")
    assert code == 6
    located = [(Path(f["file"]).name, f["line"], f["code"]) for f in findings]
    assert (inc.name, 1, "weak-for-all-hosts") in located
    assert ("sshd_config", 2, "shadowed") in located
