"""Reading the ssh inside a user's command (pure), and writing the file that command's ssh reads."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sshdoctor.local.wrapped import parse_ansible, parse_wrapped


def test_ssh_options_are_the_commands_own() -> None:
    w = parse_wrapped(["ssh", "-F", "/tmp/c", "-p", "2202", "-l", "root", "-i", "k", "-J", "jump", "-o", "A=b",
                       "sw1", "uptime"])
    assert w is not None
    inv = w.ssh
    assert (inv.destination, inv.user, inv.port, inv.config_file) == ("sw1", "root", 2202, "/tmp/c")
    assert inv.identity == ("k",) and inv.jump == "jump" and inv.options == ("A=b",) and inv.remote == ("uptime",)
    assert w.with_fix(["Ciphers=+aes128-cbc"])[:3] == ["ssh", "-o", "Ciphers=+aes128-cbc"]


def test_scp_sftp_rsync_git_ansible() -> None:
    scp = parse_wrapped(["scp", "-P", "2222", "f", "admin@sw2:/tmp/f"])
    assert scp is not None and (scp.ssh.destination, scp.ssh.user, scp.ssh.port) == ("sw2", "admin", 2222)
    rsync = parse_wrapped(["rsync", "-a", "-e", "ssh -p 2200 -F /c", "src/", "sw3:/dst/"])
    assert rsync is not None and (rsync.ssh.port, rsync.ssh.config_file) == (2200, "/c")
    fixed = rsync.with_fix(["KexAlgorithms=+x"])
    assert fixed[fixed.index("-e") + 1] == "ssh -o KexAlgorithms=+x -p 2200 -F /c"
    env = {"GIT_SSH_COMMAND": "ssh -F /g -i key"}
    git = parse_wrapped(["git", "ls-remote", "ssh://git@sw4:2022/repo.git"], env)
    assert git is not None and (git.ssh.destination, git.ssh.user, git.ssh.port, git.ssh.config_file) == (
        "sw4", "git", 2022, "/g")
    assert git.with_fix(["MACs=+hmac-md5"], env)[:2] == ["env", "GIT_SSH_COMMAND=ssh -o MACs=+hmac-md5 -F /g -i key"]
    ans = parse_ansible(["ansible", "all", "-m", "ping", "--ssh-common-args", "-F /a"], {}, "sw5")
    assert ans.ssh.config_file == "/a"
    assert ans.with_fix(["Ciphers=+aes128-cbc"])[-1] == "--ssh-common-args=-F /a -o Ciphers=+aes128-cbc"


def test_run_writes_the_file_the_commands_ssh_reads(sshd: Callable[..., Any], tmp_path: Path) -> None:
    server = sshd(kex=["diffie-hellman-group14-sha1"])
    cfg = tmp_path / "my_config"
    cfg.write_text(f"Host *\n    UserKnownHostsFile {tmp_path}/kh\n    GlobalKnownHostsFile /dev/null\n"
                   "    StrictHostKeyChecking accept-new\n    BatchMode yes\n")
    cfg.chmod(0o600)
    cmd = ["ssh", "-F", str(cfg), "-p", str(server.port), "nobody@127.0.0.1", "true"]
    proc = subprocess.run([sys.executable, "-m", "sshdoctor", "run", "--json", "--apply", "--", *cmd],
                          capture_output=True, text=True, timeout=180, env=os.environ.copy())
    doc = json.loads(proc.stdout)
    assert doc["applied"]["path"] == str(cfg) and "diffie-hellman-group14-sha1" in cfg.read_text()
    mine = doc["actions"][0]
    assert mine["argv"] == ["ssh", "-o", "KexAlgorithms=+diffie-hellman-group14-sha1", *cmd[1:]]
    assert shlex.split(mine["text"]) == mine["argv"]
    # The key exchange now completes (the login itself is refused: nobody has a key there).
    assert doc["rerun"]["exit_code"] == 255 and proc.returncode == 255
    assert "Permission denied" in proc.stderr
