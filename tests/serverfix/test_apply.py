"""``fix --server --apply`` against real sshd configurations, then a fresh sshd from the edited files.

After every successful apply: the files pass ``sshd -t``, a new sshd
started from them lets the plain local ssh in (key exchange done,
authentication reached) with no client change, and a client limited to
the old algorithms still gets in.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from sshdoctor.local.sshd import check_config
from tests.serverfix.conftest import OLD_CLIENT, RESTRICTIVE, Server

FixJson = Callable[..., tuple[int, dict[str, object]]]


def assert_serves(server: Server, old_client: list[str]) -> None:
    """A fresh sshd from the edited files: the plain ssh and the old client both get in."""
    assert check_config(server.main).ok
    server.stop()
    server.start()
    plain = server.ssh()
    assert plain.ok, plain.log[-1500:]
    old = server.ssh(*old_client)
    assert old.ok, old.log[-1500:]


def assert_locked_out_today(server: Server, old_client: list[str]) -> None:
    server.start()
    assert not server.ssh().ok, "the plain ssh already gets in: the scenario tests nothing"
    assert server.ssh(*old_client).ok


def line_of(path: Path, keyword: str) -> str:
    return next(line.strip() for line in path.read_text().splitlines() if line.strip().startswith(keyword + " "))


def test_main_file(server: Server, fix_json: FixJson) -> None:
    server.write("# production sshd_config\n" + "\n".join([*RESTRICTIVE, *server.base_lines()]) + "\n")
    os.chmod(server.main, 0o640)
    os.chown(server.main, 0, 65534)
    original = server.main.read_bytes()
    assert_locked_out_today(server, OLD_CLIENT)
    pid_before = (server.root / "sshd.pid").read_bytes()

    # The production sshd keeps running on its port while the trial runs beside it.
    code, doc = fix_json(server.main, apply=True)
    assert code == 0, doc
    assert doc["applied"] is True
    assert (server.root / "sshd.pid").read_bytes() == pid_before, "the trial touched the production pid file"
    kex = line_of(server.main, "KexAlgorithms")
    assert kex.endswith(",diffie-hellman-group14-sha1") and kex != "KexAlgorithms diffie-hellman-group14-sha1"
    assert line_of(server.main, "HostKeyAlgorithms") == "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256,ssh-rsa"
    st = server.main.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == (0, 65534)
    [written] = doc["written"]  # type: ignore[misc]
    assert Path(written["backup"]).read_bytes() == original
    assert not (server.dropins / "00-sshdoctor.conf").exists()
    # Only the three winning lines changed, in place.
    old_lines, new_lines = original.decode().splitlines(), server.main.read_text().splitlines()
    assert len(old_lines) == len(new_lines)
    assert [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b] == [1, 2, 3]
    assert doc["reload"]["ran"] is False  # type: ignore[index]
    assert_serves(server, OLD_CLIENT)
    # Run again: nothing left to do, nothing written.
    edited = server.main.read_bytes()
    code, again = fix_json(server.main, apply=True)
    assert code == 0 and again["changes"] == [] and server.main.read_bytes() == edited


def test_debian_dropin_included_at_top(server: Server, fix_json: FixJson) -> None:
    server.write(f"Include {server.dropins}/*.conf\n\n" + "\n".join(server.base_lines()) +
                 "\nSubsystem sftp internal-sftp\n")
    legacy = server.write("# switch management needs these\n" + "\n".join(RESTRICTIVE) + "\n",
                          server.dropins / "10-legacy.conf")
    server.write("X11Forwarding no\n", server.dropins / "20-other.conf")
    main_before = server.main.read_bytes()
    assert_locked_out_today(server, OLD_CLIENT)

    code, doc = fix_json(server.main, apply=True)
    assert code == 0, doc
    assert server.main.read_bytes() == main_before, "the main file does not win: it must not change"
    assert line_of(legacy, "HostKeyAlgorithms") == "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256,ssh-rsa"
    files = {c["file"] for c in doc["changes"]}  # type: ignore[union-attr, index]
    assert files == {str(legacy)}
    assert not (server.dropins / "00-sshdoctor.conf").exists()
    assert_serves(server, OLD_CLIENT)


def test_hostkeyalgorithms_restriction_with_rsa_key(server: Server, fix_json: FixJson) -> None:
    server.write("\n".join(["HostKeyAlgorithms ssh-rsa", *server.base_lines(("rsa",))]) + "\n")
    old = ["HostKeyAlgorithms=ssh-rsa"]
    assert_locked_out_today(server, old)
    code, doc = fix_json(server.main, apply=True)
    assert code == 0, doc
    changes = doc["changes"]
    assert [c["directive"] for c in changes] == ["HostKeyAlgorithms"]  # type: ignore[union-attr, index]
    assert line_of(server.main, "HostKeyAlgorithms") == "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256,ssh-rsa"
    # The key it has is enough: no key generated, no HostKey line.
    assert not [a for a in doc["actions"] if "ssh-keygen" in a["text"]]  # type: ignore[union-attr, index]
    assert sorted(p.name for p in server.root.glob("ssh_host_*_key")) == ["ssh_host_rsa_key"]
    assert_serves(server, old)


def test_restrictions_then_match_blocks_and_a_missing_key_type(server: Server, fix_json: FixJson) -> None:
    # Only a DSA key: no modern client can use it, so a key must be made, and its HostKey
    # line must land in the global part, not at the end (inside the last Match block).
    lines = ["KexAlgorithms diffie-hellman-group14-sha1", "HostKeyAlgorithms ssh-dss", "Ciphers aes128-cbc",
             "MACs hmac-sha1", *server.base_lines(("dsa",))]
    server.write("\n".join(lines) + "\n\nMatch User nobody\n    X11Forwarding no\n"
                 "Match Address 10.0.0.0/8\n    PermitRootLogin no\n")
    old = ["KexAlgorithms=diffie-hellman-group14-sha1", "HostKeyAlgorithms=ssh-dss", "Ciphers=aes128-cbc",
           "MACs=hmac-sha1"]
    assert_locked_out_today(server, old)
    code, doc = fix_json(server.main, apply=True)
    assert code == 0, doc
    new_key = server.root / "ssh_host_ed25519_key"
    assert new_key.exists() and (server.root / "ssh_host_ed25519_key.pub").exists()
    text = server.main.read_text()
    assert f"HostKey {new_key}" in text
    assert text.index(f"HostKey {new_key}") < text.index("Match User nobody")
    assert line_of(server.main, "HostKeyAlgorithms") == "HostKeyAlgorithms ssh-ed25519,ssh-dss"
    assert doc["effective"]["for_connection"]["conditions"].endswith("host=localhost,addr=127.0.0.1")  # type: ignore[index]
    assert any("Match block" in n for n in doc["notes"])  # type: ignore[union-attr]
    kinds = [a["kind"] for a in doc["actions"]]  # type: ignore[union-attr, index]
    assert kinds[0] == "command" and "ssh-keygen" in doc["actions"][0]["text"]  # type: ignore[index]
    assert "sshd_config" in kinds
    assert_serves(server, old)


def test_crlf_and_comments_are_kept(server: Server, fix_json: FixJson) -> None:
    body = ("# Managed by hand\n# do not remove the legacy algorithms: the PDU needs them\n"
            "KexAlgorithms diffie-hellman-group14-sha1   # for the PDU\n"
            "HostKeyAlgorithms ssh-rsa\n\n# ciphers\nCiphers aes128-cbc\nMACs hmac-sha1\n"
            + "\n".join(server.base_lines()) + "\n")
    server.write(body, newline="\r\n")
    original = server.main.read_bytes()
    assert_locked_out_today(server, OLD_CLIENT)
    code, doc = fix_json(server.main, apply=True)
    assert code == 0, doc
    data = server.main.read_bytes()
    assert data.count(b"\r\n") == original.count(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode()
    assert "# do not remove the legacy algorithms: the PDU needs them\r\n" in text
    kex = next(line for line in text.split("\r\n") if line.startswith("KexAlgorithms"))
    assert kex.endswith(",diffie-hellman-group14-sha1   # for the PDU")
    assert_serves(server, OLD_CLIENT)


def test_crypto_policy_back_end(server: Server, fix_json: FixJson) -> None:
    # RHEL 9 / Fedora: the lists come from the crypto policy's back-end, included by 50-redhat.conf.
    policy = server.write("Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr\n"
                          "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com\n"
                          "KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256\n"
                          "HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256\n",
                          server.root / "crypto-policies" / "back-ends" / "opensshserver.config")
    server.write(f"Include {policy}\nSyslogFacility AUTHPRIV\n", server.dropins / "50-redhat.conf")
    server.write(f"Include {server.dropins}/*.conf\n" + "\n".join(server.base_lines(("rsa", "ed25519"))) + "\n")
    policy_before = policy.read_bytes()
    log = ("Dec  2 10:00:00 web1 sshd[812]: Unable to negotiate with 10.1.2.3 port 50022: no matching key exchange "
           "method found. Their offer: diffie-hellman-group14-sha1,diffie-hellman-group1-sha1 [preauth]\n"
           "Dec  2 10:00:09 web1 sshd[815]: Unable to negotiate with 10.1.2.3 port 50023: no matching host key "
           "type found. Their offer: ssh-rsa [preauth]\n")
    old = ["KexAlgorithms=diffie-hellman-group14-sha1", "HostKeyAlgorithms=ssh-rsa"]
    server.start()
    assert not server.ssh(*old).ok
    code, doc = fix_json(server.main, apply=True, client_offer=log)
    assert code == 0, doc
    assert policy.read_bytes() == policy_before, "update-crypto-policies owns that file"
    dropin = server.dropins / "00-sshdoctor.conf"
    assert dropin.exists()
    text = dropin.read_text()
    assert "KexAlgorithms diffie-hellman-group14-sha1,curve25519-sha256,ecdh-sha2-nistp256\n" in text
    assert "HostKeyAlgorithms ssh-rsa,ssh-ed25519,rsa-sha2-512,rsa-sha2-256\n" in text
    assert stat.S_IMODE(dropin.stat().st_mode) == 0o600
    alternatives = [a for a in doc["actions"] if a.get("alternative")]  # type: ignore[union-attr]
    assert [a["argv"] for a in alternatives] == [["update-crypto-policies", "--set", "DEFAULT:SHA1"]]
    assert any("crypto policy" in n for n in doc["notes"])  # type: ignore[union-attr]
    assert_serves(server, old)


def test_nothing_to_do(server: Server, fix_json: FixJson) -> None:
    server.write("\n".join(server.base_lines(("rsa", "ed25519"))) + "\n")
    before = server.snapshot()
    code, doc = fix_json(server.main, apply=True)
    assert code == 0
    assert doc["changes"] == [] and doc["actions"] == [] and doc["applied"] is False
    assert server.snapshot() == before
