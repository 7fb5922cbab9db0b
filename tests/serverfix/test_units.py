"""The parts of ``fix --server`` that need no running server: placement, the trial copy,
the init system, client offers from logs, the plan for a server on sshd's default keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sshdoctor.host.serverplan import ServerState, clients_from_log, model_offer, plan_fix, read_client_offer
from sshdoctor.host.trial import TrialClient, trial_top
from sshdoctor.local.errors import LocalError
from sshdoctor.local.sshconfig.loader import load_tree
from sshdoctor.local.sshconfig.sshdcopy import TRIAL_STRIP, copy_config_set
from sshdoctor.local.sshconfig.sshdplace import ServerLine, place_lines
from sshdoctor.local.sshd import HostKeyFile, SshdDump, SshdInfo, dump, reload_command
from sshdoctor.model import Category, Proposal
from tests.serverfix.conftest import Server

FixJson = Callable[..., tuple[int, dict[str, object]]]


def tree(path: Path):  # type: ignore[no-untyped-def]
    return load_tree(path, flavour="sshd", user_config=False)


def test_replace_keeps_indentation_equals_and_comment(tmp_path: Path) -> None:
    main = tmp_path / "sshd_config"
    main.write_text("Port 22\n  KexAlgorithms=diffie-hellman-group14-sha1   # legacy\nKexAlgorithms ignored\n")
    plan = place_lines(tree(main), [ServerLine("KexAlgorithms", "curve25519-sha256,diffie-hellman-group14-sha1")])
    [edit] = plan.edits
    assert edit.text.splitlines()[1] == "  KexAlgorithms=curve25519-sha256,diffie-hellman-group14-sha1   # legacy"
    assert edit.text.splitlines()[2] == "KexAlgorithms ignored", "only the first line wins; the rest stays"
    [hunk] = edit.hunks
    assert (hunk.op, hunk.line, hunk.old) == ("replace", 2, ("  KexAlgorithms=diffie-hellman-group14-sha1   # legacy",))


def test_new_line_goes_to_a_dropin_that_sorts_first(tmp_path: Path) -> None:
    dropins = tmp_path / "sshd_config.d"
    dropins.mkdir()
    (dropins / "50-cloud-init.conf").write_text("PasswordAuthentication yes\n")
    main = tmp_path / "sshd_config"
    main.write_text(f"Include {dropins}/*.conf\nPort 22\n")
    plan = place_lines(tree(main), [ServerLine("Ciphers", "aes128-ctr")], header=["by sshdoctor"])
    [edit] = plan.edits
    assert edit.path == str(dropins / "00-sshdoctor.conf") and edit.original is None
    assert edit.text == "# by sshdoctor\nCiphers aes128-ctr\n"


def test_dropin_that_cannot_sort_first_falls_back_to_the_main_file(tmp_path: Path) -> None:
    dropins = tmp_path / "sshd_config.d"
    dropins.mkdir()
    (dropins / "00-aaa.conf").write_text("X11Forwarding no\n")
    main = tmp_path / "sshd_config"
    main.write_text(f"Include {dropins}/*.conf\nPort 22\n# per-user\nMatch User bob\n  X11Forwarding yes\n")
    [edit] = place_lines(tree(main), [ServerLine("MACs", "hmac-sha2-256")]).edits
    assert edit.path == str(main)
    assert edit.text.splitlines()[:4] == [f"Include {dropins}/*.conf", "Port 22", "MACs hmac-sha2-256", "# per-user"]


def test_generated_winner_gets_a_line_read_before_its_include(tmp_path: Path) -> None:
    policy = tmp_path / "crypto-policies" / "back-ends" / "opensshserver.config"
    policy.parent.mkdir(parents=True)
    policy.write_text("KexAlgorithms curve25519-sha256\n")
    main = tmp_path / "sshd_config"
    main.write_text(f"Port 22\nInclude {policy}\n")
    plan = place_lines(tree(main), [ServerLine("KexAlgorithms", "diffie-hellman-group14-sha1,curve25519-sha256")])
    [edit] = plan.edits
    assert edit.path == str(main)
    assert edit.text.splitlines() == ["Port 22", "KexAlgorithms diffie-hellman-group14-sha1,curve25519-sha256",
                                      f"Include {policy}"]
    assert plan.placed[0].generated and "update-crypto-policies" in plan.notes[0]


def test_append_keeps_a_missing_final_newline(tmp_path: Path) -> None:
    main = tmp_path / "sshd_config"
    main.write_bytes(b"Port 22\r\nUsePAM no")
    [edit] = place_lines(tree(main), [ServerLine("HostKey", "/k")]).edits
    assert edit.text == "Port 22\r\nUsePAM no\r\nHostKey /k"


def test_trial_copy_rewrites_includes_strips_listeners_and_counts_new_dropins(server: Server) -> None:
    dropins = server.dropins
    server.write(f"Include {dropins}/*.conf\n" + "\n".join(server.base_lines()) + "\nListenAddress 0.0.0.0\n")
    server.write("Port 2022\nCiphers aes128-ctr\n", dropins / "20-b.conf")
    new = str(dropins / "10-new.conf")
    copies = copy_config_set(server.main, server.root / "copy", texts={new: "Ciphers aes256-ctr\n"},
                             strip=TRIAL_STRIP, top=trial_top(40022))
    text = copies.main.read_text()
    include = next(line for line in text.splitlines() if line.startswith("Include "))
    assert include.split()[1:] == [str(copies.copies[new]), str(copies.copies[str(dropins / "20-b.conf")])]
    effective = dump(copies.main)
    assert effective.all("listenaddress") == ("127.0.0.1:40022",)
    assert effective.first("pidfile") == "none"
    assert effective.first("ciphers") == "aes256-ctr", "the new drop-in sorts before 20-b.conf"
    assert not (dropins / "10-new.conf").exists()


def test_reload_command_per_init_system(tmp_path: Path) -> None:
    def root(*files: str) -> Path:
        base = tmp_path / str(len(list(tmp_path.iterdir())))
        for name in files:
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            if name.endswith("/"):
                (base / name).mkdir(exist_ok=True)
            else:
                (base / name).write_text("")
        base.mkdir(exist_ok=True)
        return base

    debian = root("run/systemd/system/", "lib/systemd/system/ssh.service", "etc/init.d/ssh")
    assert reload_command(root=debian).argv == ("systemctl", "reload", "ssh")
    rhel = root("run/systemd/system/", "usr/lib/systemd/system/sshd.service")
    assert reload_command(root=rhel).argv == ("systemctl", "reload", "sshd")
    alpine = root("run/openrc/", "etc/init.d/sshd")
    assert reload_command(root=alpine).argv == ("rc-service", "sshd", "reload")
    sysv = root("etc/init.d/ssh", "lib/systemd/system/ssh.service")  # systemd installed, not running
    assert reload_command(root=sysv).argv == ("service", "ssh", "reload")
    pid = tmp_path / "sshd.pid"
    pid.write_text("4242\n")
    bare = root()
    assert reload_command(root=bare, pidfile=str(pid)).argv == ("kill", "-HUP", "4242")
    assert reload_command(root=bare, pidfile="none").argv == ()


UNABLE = ("Dec  2 10:00:00 gw sshd[1]: Unable to negotiate with 10.9.9.9 port 4000: no matching key exchange method "
          "found. Their offer: diffie-hellman-group1-sha1 [preauth]\n"
          "Dec  2 10:00:01 gw sshd[2]: Unable to negotiate with 10.9.9.9 port 4001: no matching cipher found. "
          "Their offer: aes128-cbc,3des-cbc [preauth]\n"
          "Dec  2 10:00:02 gw sshd[3]: Unable to negotiate with 10.7.7.7 port 4002: no matching MAC found. "
          "Their offer: hmac-md5 [preauth]\n")


def test_client_offers_from_unable_to_negotiate_lines(tmp_path: Path) -> None:
    clients = clients_from_log(UNABLE)
    assert [c.name for c in clients] == ["client 10.9.9.9 from the log (kex, cipher known)",
                                         "client 10.7.7.7 from the log (mac known)"]
    first = clients[0]
    assert first.partial == ("kex", "cipher") and first.proposal.kex == ("diffie-hellman-group1-sha1",)
    assert first.proposal.cipher_c2s == ("aes128-cbc", "3des-cbc")
    log = tmp_path / "auth.log"
    log.write_text(UNABLE)
    assert read_client_offer(str(log)) == clients
    with pytest.raises(LocalError):
        read_client_offer("no offer in this text")


def test_client_offer_from_a_real_sshd_debug_log(server: Server, fix_json: FixJson) -> None:
    # sshd at DEBUG2 logs the client's whole KEXINIT: that client is kept, in every category.
    lines = [line for line in server.base_lines() if not line.startswith("LogLevel")]
    server.write("\n".join(["LogLevel DEBUG2", "KexAlgorithms diffie-hellman-group14-sha1",
                            "HostKeyAlgorithms ssh-rsa", *lines]) + "\n")
    server.start()
    assert server.ssh("KexAlgorithms=diffie-hellman-group14-sha1", "HostKeyAlgorithms=ssh-rsa",
                      "Ciphers=aes128-ctr").ok
    server.stop()
    [log] = list(server.root.glob("sshd-*.log"))
    [client] = read_client_offer(str(log))
    assert client.partial == () and client.proposal.cipher_c2s == ("aes128-ctr",)
    code, doc = fix_json(server.main, apply=True, client_offer=str(log), keep="openssh-7.4")
    assert code == 0, doc
    names = {c["client"]: c for c in doc["proof"]["clients"]}  # type: ignore[index]
    assert names["client from the log (full KEXINIT)"]["ok"] is True
    assert names["openssh-7.4 client"]["ok"] is True


def test_unknown_profile_is_an_error(server: Server, fix_json: FixJson) -> None:
    server.write("\n".join(server.base_lines()) + "\n")
    code, doc = fix_json(server.main, for_="no-such-client-9")
    assert code == 3 and "no-such-client-9" in str(doc["error"])


def test_plan_on_sshd_default_keys_names_them_all(tmp_path: Path) -> None:
    # No HostKey line: sshd loads its default set. One new HostKey line would replace that
    # set, so the plan names every default key that exists as well as the new one.
    dsa = tmp_path / "ssh_host_dsa_key"
    dsa.write_text("")
    missing = tmp_path / "ssh_host_ecdsa_key"
    main = tmp_path / "sshd_config"
    main.write_text("HostKeyAlgorithms ssh-dss\n")
    dumped = SshdDump({"kexalgorithms": ("curve25519-sha256",), "hostkeyalgorithms": ("ssh-dss",),
                       "ciphers": ("aes128-ctr",), "macs": ("hmac-sha2-256",),
                       "hostkey": (str(missing), str(dsa))})
    keys = (HostKeyFile(str(missing), None), HostKeyFile(str(dsa), "ssh-dss"))
    state = ServerState(str(main), SshdInfo("/usr/sbin/sshd", None), tree(main), dumped, keys,
                        model_offer(dumped, keys))
    client = TrialClient("modern", Proposal.symmetric(["curve25519-sha256"], ["ssh-ed25519", "rsa-sha2-512"],
                                                      ["aes128-ctr"], ["hmac-sha2-256"]), "serve")
    plan = plan_fix(state, [client], None)
    [key] = plan.keys
    assert (key.key_type, key.path, key.generate) == ("ssh-ed25519", str(tmp_path / "ssh_host_ed25519_key"), True)
    assert plan.host_key_lines == (f"HostKey {dsa}", f"HostKey {key.path}")
    [change] = plan.changes
    assert change.category is Category.HOSTKEY and change.line().text == "HostKeyAlgorithms ssh-ed25519,ssh-dss"
    assert not plan.unfixable
