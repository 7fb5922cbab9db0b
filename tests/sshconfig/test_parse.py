"""Round trip and tokenising of ssh_config / sshd_config, checked against the real ssh."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sshdoctor.local.sshconfig import ConfigParseError, load_tree, parse_text
from sshdoctor.local.sshconfig.document import decode, encode
from sshdoctor.local.sshconfig.lexer import tokenize
from tests.sshconfig.conftest import write

CONFIGS: dict[str, bytes] = {
    "plain": b"Host web\n    HostName web.example.com\n    User alice\n\nHost *\n    ServerAliveInterval 30\n",
    "comments and blanks": b"# top comment\n\n  # indented comment\nHost a # trailing\n\tUser bob\t# tab and comment\n\n\n",
    "crlf": b"Host legacy\r\n    HostName 10.0.0.7\r\n    KexAlgorithms +diffie-hellman-group14-sha1\r\n",
    "mixed endings": b"Host a\r\n  User x\n  Port 2222\r\n",
    "key=value": b"Host=a\nUser=bob\nCiphers = aes128-ctr\nPort =2222\nMACs= hmac-sha2-256\n",
    "tabs": b"Host\ta\tb\n\tUser\tcarol\n",
    "quoted": b'Host "my host"\n    HostName "10.0.0.1"\n    IdentityFile "~/.ssh/key with spaces"\n'
    b"    ProxyCommand ssh -W '%h:%p' jump\n",
    "include": b"Include ~/.ssh/config.d/*\nInclude /etc/ssh/extra.conf other.conf\n\nHost *\n  Include more\n",
    "match exec": b'Match host *.corp exec "test -f /tmp/on-vpn"\n    ProxyJump bastion\nMatch all\n    User me\n',
    "match variety": b"Match canonical final host a,b !originalhost c user u localuser l\n  Port 1\n"
    b"Match !exec true\n  Port 2\nMatch tagged t\n  Port 3\nMatch localnetwork 10.0.0.0/8\n  Port 4\n",
    "no final newline": b"Host a\n    User bob",
    "no final newline crlf": b"Host a\r\n    User bob",
    "latin1 comment": b"# caf\xe9 configuration\nHost a\n  User b\n",
    "utf8 bom": b"\xef\xbb\xbf# bom\nHost a\n",
    "trailing whitespace": b"Host a   \n  User b \t \n   \n",
    "empty": b"",
    "only newline": b"\n",
    "form feed": b"Host a\f\n  User b\n",
    "escapes": b'Host a\n  LocalCommand echo \\"hi\\" a\\ b\n',
    "big": b"".join(b"Host h%d\n  HostName 10.0.%d.%d\n  Port %d\n\n" % (i, i // 250, i % 250, 1000 + i) for i in range(2000)),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_unchanged_parse_gives_back_the_exact_bytes(name: str) -> None:
    data = CONFIGS[name]
    doc = parse_text(decode(data), path=name)
    assert encode(doc.text()) == data
    assert doc.data() == data
    assert [line.number for line in doc.lines] == list(range(1, len(doc.lines) + 1))


def test_line_endings_are_kept_per_line() -> None:
    doc = parse_text(decode(CONFIGS["mixed endings"]))
    assert [line.ending for line in doc.lines] == ["\r\n", "\n", "\r\n"]
    assert parse_text(decode(CONFIGS["crlf"])).newline == "\r\n"
    assert parse_text("").newline == "\n"


def test_sections() -> None:
    doc = parse_text(decode(CONFIGS["comments and blanks"]))
    kinds = [(s.kind, s.patterns) for s in doc.sections]
    assert kinds == [("global", ()), ("host", ("a",))]
    doc = parse_text(decode(CONFIGS["match exec"]))
    assert [s.kind for s in doc.sections] == ["global", "match", "match"]
    exec_criteria = doc.sections[1].criteria
    assert [(c.name, c.argument) for c in exec_criteria] == [("host", "*.corp"), ("exec", "test -f /tmp/on-vpn")]


@pytest.mark.parametrize(
    ("line", "keyword", "values"),
    [
        ("Ciphers aes128-ctr", "Ciphers", ("aes128-ctr",)),
        ("Ciphers=aes128-ctr", "Ciphers", ("aes128-ctr",)),
        ("  Ciphers = +aes128-ctr", "Ciphers", ("+aes128-ctr",)),
        ("\tHost a b # c", "Host", ("a", "b")),
        ('IdentityFile "a b"', "IdentityFile", ("a b",)),
        ("IdentityFile 'a b'", "IdentityFile", ("a b",)),
        ("IdentityFile a\\ b", "IdentityFile", ("a b",)),
        ('SetEnv A="x y"', "SetEnv", ("A=x y",)),
        ("Host a#b", "Host", ("a#b",)),
    ],
)
def test_tokenize(line: str, keyword: str, values: tuple[str, ...]) -> None:
    directive = tokenize(line)
    assert directive is not None
    assert directive.keyword == keyword
    assert directive.values == values


def test_comment_and_blank_lines_have_no_directive() -> None:
    assert tokenize("# Host a") is None
    assert tokenize("   ") is None
    assert tokenize("") is None
    assert tokenize("\t# x") is None


def test_argument_spans_point_into_the_line() -> None:
    line = '  KexAlgorithms "+a,b"  # keep'
    directive = tokenize(line)
    assert directive is not None
    arg = directive.args[0]
    assert line[arg.start : arg.end] == '"+a,b"'
    assert arg.quoted(line)
    assert directive.comment_start == line.index("#")


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('User "john doe"', "user", "john doe"),
        ("HostName=a\\ b", "hostname", "a b"),
        ("User = carol", "user", "carol"),
        ("\tUser\t'd e'", "user", "d e"),
    ],
)
def test_values_agree_with_real_ssh(tmp_path: Path, ssh_g: Callable[..., dict[str, str]], line: str, key: str,
                                    expected: str) -> None:
    path = write(tmp_path / "cfg", line + "\n")
    directive = tokenize(line)
    assert directive is not None and directive.values == (expected,)
    assert ssh_g(path, "x")[key] == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Host\n", "no argument after keyword"),
        ("Host a\n  HostName \"unterminated\n", "unterminated quote"),
        ('Host ""\n', "empty argument"),
        ("Match\n", "no argument"),
        ("Match bogus x\n", "unknown Match criterion"),
        ("Match host\n", "needs an argument"),
        ("Match all host a\n", "cannot be combined"),
        ("Host a\n\x00\x01\x02garbage\n", "control character"),
        ("Host a\n  User b\x1b[31m\n", "control character"),
    ],
)
def test_what_ssh_rejects_does_not_parse(text: str, problem: str) -> None:
    with pytest.raises(ConfigParseError) as info:
        parse_text(text, path="cfg")
    assert problem in info.value.message
    assert info.value.exit_code == 5


def test_rejected_lines_are_rejected_by_real_ssh_too(tmp_path: Path) -> None:
    import shutil
    import subprocess

    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("no ssh")
    for text in ("Host\n", 'User "open\n', "Match bogus x\n", "Match host\n", "Match all host a\n"):
        path = write(tmp_path / "bad", text)
        out = subprocess.run([ssh, "-G", "-F", str(path), "x"], capture_output=True, text=True, check=False)
        assert out.returncode != 0, text


def test_match_key_equals_value_form_parses() -> None:
    doc = parse_text("Match host=a,b user=x\n  Port 1\n")
    assert [(c.name, c.argument) for c in doc.sections[1].criteria] == [("host", "a,b"), ("user", "x")]


def test_sshd_flavour_knows_server_criteria() -> None:
    doc = parse_text("Match Address 10.0.0.0/8 User bob\n  PasswordAuthentication no\n", flavour="sshd")
    assert [c.name for c in doc.sections[1].criteria] == ["address", "user"]
    with pytest.raises(ConfigParseError):
        parse_text("Match exec true\n", flavour="sshd")
    # "Host" is no section header in sshd_config
    assert [s.kind for s in parse_text("Host a\n", flavour="sshd").sections] == ["global"]


def test_includes_are_followed_in_order(tmp_path: Path, isolated_home: Path) -> None:
    ssh_dir = isolated_home / ".ssh"
    (ssh_dir / "config.d").mkdir(parents=True)
    write(ssh_dir / "config.d" / "b.conf", "Host b\n  User bee\n")
    write(ssh_dir / "config.d" / "a.conf", "Host a\n  User ay\n")
    write(tmp_path / "abs.conf", "Ciphers +aes128-cbc\n")
    main = write(tmp_path / "config", f"Include config.d/*.conf\nHost *\n  Include {tmp_path}/abs.conf\n")
    tree = load_tree(main)
    where = [(Path(e.doc.path).name, e.line.number) for e in tree.entries]
    assert where == [("config", 1), ("a.conf", 1), ("a.conf", 2), ("b.conf", 1), ("b.conf", 2),
                     ("config", 2), ("config", 3), ("abs.conf", 1)]
    ciphers = tree.entries[-1]
    assert [c.section.kind for c in ciphers.chain] == ["host", "global"]
    assert ciphers.top_index == 2


def test_include_loop_is_refused(tmp_path: Path) -> None:
    a = write(tmp_path / "a", f"Include {tmp_path}/b\n")
    write(tmp_path / "b", f"Include {tmp_path}/a\n")
    with pytest.raises(ConfigParseError, match="nested Includes"):
        load_tree(a)


def test_system_file_may_not_include_from_home(tmp_path: Path) -> None:
    path = write(tmp_path / "ssh_config", "Include ~/x\n")
    with pytest.raises(ConfigParseError, match="may not start with ~"):
        load_tree(path, user_config=False)


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "config"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(ConfigParseError, match="too large"):
        load_tree(path)
