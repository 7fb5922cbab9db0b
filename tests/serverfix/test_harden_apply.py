"""``audit --harden --apply``: the hardening written through fix --server's apply-and-prove path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.serverfix.conftest import Server


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sshdoctor", "audit", *args], capture_output=True, text=True,
                          timeout=240, env={**os.environ, "SSHDOCTOR_DEBUG": ""})


def test_harden_apply_keeps_the_named_client_and_locks_nobody_out(server: Server) -> None:
    # A legacy-leaning server: weak algorithms appended to the defaults, one RSA and one Ed25519 key.
    server.write("\n".join([*server.base_lines(("rsa", "ed25519")),
                            "KexAlgorithms +diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
                            "Ciphers +aes128-cbc,3des-cbc", "MACs +hmac-md5", "HostKeyAlgorithms +ssh-rsa"]) + "\n")
    server.start()
    proc = audit(f"127.0.0.1:{server.port}", "--harden", "--keep", "openssh-7.4", "--apply",
                 "--sshd-config", str(server.main), "--json")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    applied = doc["harden"]["applied"]
    assert applied["applied"] is True and applied["proof"]["ok"] is True, applied
    text = server.main.read_text()
    for weak in ("diffie-hellman-group1-sha1", "3des-cbc", "hmac-md5"):
        assert weak not in text.split("Port")[0] + "".join(line for line in text.splitlines()
                                                           if line.startswith(("KexAlgorithms", "Ciphers", "MACs")))
    server.stop()
    server.start()
    # The plain local ssh still gets in, and so does a client limited to what OpenSSH 7.4 speaks.
    assert server.ssh().ok
    assert server.ssh("KexAlgorithms=curve25519-sha256", "Ciphers=aes128-ctr", "MACs=hmac-sha2-256").ok


def test_harden_apply_refuses_what_would_lock_out_a_kept_client(server: Server) -> None:
    server.write("\n".join([*server.base_lines(("rsa",)), "KexAlgorithms diffie-hellman-group14-sha1",
                            "HostKeyAlgorithms ssh-rsa", "Ciphers aes128-cbc", "MACs hmac-sha1"]) + "\n")
    before = server.main.read_bytes()
    server.start()
    # OpenSSH 5.9 speaks none of the sound algorithms: hardening keeps what it needs, or refuses.
    proc = audit(f"127.0.0.1:{server.port}", "--harden", "--keep", "openssh-5.9", "--apply",
                 "--sshd-config", str(server.main), "--json")
    doc = json.loads(proc.stdout)
    applied = doc["harden"]["applied"]
    if applied["applied"]:
        server.stop()
        server.start()
        # Kept: the real ssh limited to OpenSSH 5.9's default lists (those this ssh still has) still gets in.
        assert server.ssh(*as_client("openssh-5.9")).ok
        assert "HostKeyAlgorithms" in server.main.read_text() and "ssh-rsa" in server.main.read_text()
    else:
        assert server.main.read_bytes() == before and proc.returncode != 0


def as_client(profile_id: str) -> list[str]:
    """``-o`` options that make the local ssh propose what a profiled client proposes (what it can)."""
    from sshdoctor.catalog.profiles import get_profile
    from sshdoctor.local.sshbin import supported
    from sshdoctor.model import Category

    prof = get_profile(profile_id)
    assert prof is not None and prof.client is not None
    out = []
    for category in (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC):
        names = [n for n in prof.client.lists[category] if n in supported(category)]
        out.append(f"{category.directive}={','.join(names)}")
    return out
