"""Capture Erlang/OTP ssh negotiation failures from the lab into tests/corpus/erlang-ssh/.

Run from the repository root after interop/erlang/install.sh:

    PYTHONPATH=. .venv/bin/python interop/erlang/capture.py [client|server ...]

Client side: the lab's ssh:connect harness against a server (OpenSSH sshd, or
AsyncSSH in-process) that offers nothing the ssh application enables by
default in one category; the text kept is what the caller got back
({error,"Key exchange failed"}) followed by the ssh application's report on
stderr. Server side: the lab's ssh:daemon harness against a client (OpenSSH
ssh, or an AsyncSSH client) restricted to what the daemon lacks in one
category; the text kept is the daemon's report. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncssh
from tests.interop.families import erlang
from tests.interop.harness import ROOT, lab_keys, run_client

from sshdoctor.lab.asyncssh_server import AsyncsshServer
from sshdoctor.lab.sshd import Sshd

CORPUS = ROOT / "tests" / "corpus" / "erlang-ssh"
KEYS = lab_keys(Path(tempfile.mkdtemp(prefix="sshdoctor-erlang-capture-")))
MODERN = {"kex": ["curve25519-sha256"], "hostkey": ["ssh-ed25519"], "cipher": ["aes128-ctr"], "mac": ["hmac-sha2-256"]}
PROGRAM = "Erlang/OTP 25 ssh 4.15.2 (Debian 12 erlang-ssh 1:25.2.3+dfsg-1+deb12u4)"


def write(name: str, *, command: str, program: str, text: str, expect: list[dict[str, Any]],
          note: str | None = None) -> None:
    CORPUS.mkdir(exist_ok=True)
    head = [f"# command: {command}", f"# program: {program}", "# source: captured from the real program on 127.0.0.1"]
    if note:
        head.append(f"# note: {note}")
    head += [f"# expect: {json.dumps(e, sort_keys=True)}" for e in expect]
    (CORPUS / f"{name}.txt").write_text("\n".join(head) + "\n--- output ---\n" + text.rstrip("\n") + "\n")
    print(f"wrote tests/corpus/erlang-ssh/{name}.txt")


@contextlib.contextmanager
def sshd(**lists: str) -> Iterator[tuple[int, str]]:
    with Sshd(key_dir=KEYS, **lists) as server:  # type: ignore[arg-type]
        yield server.port, "OpenSSH sshd (" + ", ".join(f"{k}={v}" for k, v in lists.items()) + ")"


@contextlib.contextmanager
def asyncssh_server(**lists: list[str]) -> Iterator[tuple[int, str]]:
    with AsyncsshServer(**{**MODERN, **lists}) as server:  # type: ignore[arg-type]
        shown = ", ".join(f"{k}={','.join(v)}" for k, v in {**MODERN, **lists}.items())
        yield server.port, f"an AsyncSSH server ({shown})"


CLIENT_CASES: dict[str, tuple[Callable[[], contextlib.AbstractContextManager[tuple[int, str]]], str, str | None]] = {
    "kex": (lambda: sshd(kex="diffie-hellman-group14-sha1,diffie-hellman-group1-sha1"), "kex", None),
    "hostkey": (lambda: sshd(host_key_algorithms="ssh-rsa"), "hostkey", None),
    "cipher": (lambda: asyncssh_server(cipher=["blowfish-cbc", "arcfour256"]), "cipher", None),
    "mac": (lambda: sshd(ciphers="aes128-ctr", macs="hmac-md5,hmac-sha1-96"), "mac", None),
    "compression": (lambda: asyncssh_server(compression=["zlib"]), "compression", None),
    # Both the cipher and the MAC fail: verify_algorithm checks the MACs first.
    "cipher-and-mac": (lambda: asyncssh_server(cipher=["blowfish-cbc"], mac=["hmac-md5"]), "mac",
                       "the server has no cipher and no MAC in common with the client; the ssh application checks "
                       "MACs before ciphers (ssh_transport:verify_algorithm) and reports the MAC"),
}


def clients() -> None:
    lab = erlang.clients()[0]
    for case, (start, category, note) in CLIENT_CASES.items():
        home = Path(tempfile.mkdtemp(prefix="sshdoctor-home-"))
        with start() as (port, server):
            run = run_client(lab, "127.0.0.1", [port], home=home)[0]
        assert not run.ok and run.error, run
        report = run.stderr.strip()
        write(f"client-{case}-4.15.2",
              command=f"ssh:connect(\"127.0.0.1\", Port, [{{user, \"sshdoctor\"}}, {{silently_accept_hosts, ...}}, ...]) "
                      f"with the default algorithms (interop/erlang/sshdoctor_erl_client.erl), against {server}",
              program=f"{PROGRAM}; the first line is what ssh:connect returned (printed with ~p), the rest the "
                      "ssh application's report on stderr",
              text=f"{run.error}\n{report}", note=note,
              expect=[{"kind": "no-common-algorithm", "category": category, "reported_by": "erlang-ssh",
                       "side": "client"}])


def openssh(port: int, options: list[str]) -> None:
    argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", *options, "-p", str(port), "sshdoctor@127.0.0.1", "true"]
    subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)


def asyncssh_client(port: int, **algs: list[str]) -> None:
    async def go() -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncssh.connect("127.0.0.1", port, username="sshdoctor", known_hosts=None,
                                                    config=[], **algs), 15)
    asyncio.run(go())


SERVER_CASES: dict[str, tuple[str, Callable[[int], None], str]] = {
    "kex": ("OpenSSH ssh -o KexAlgorithms=diffie-hellman-group14-sha1",
            lambda p: openssh(p, ["-o", "KexAlgorithms=diffie-hellman-group14-sha1"]), "kex"),
    "hostkey": ("OpenSSH ssh -o HostKeyAlgorithms=ssh-rsa",
                lambda p: openssh(p, ["-o", "HostKeyAlgorithms=ssh-rsa"]), "hostkey"),
    "cipher": ("an AsyncSSH client (encryption_algs=['blowfish-cbc'])",
               lambda p: asyncssh_client(p, encryption_algs=["blowfish-cbc"]), "cipher"),
    "mac": ("OpenSSH ssh -c aes128-ctr -m hmac-md5", lambda p: openssh(p, ["-c", "aes128-ctr", "-m", "hmac-md5"]), "mac"),
    "compression": ("an AsyncSSH client (compression_algs=['zlib'])",
                    lambda p: asyncssh_client(p, compression_algs=["zlib"]), "compression"),
}


def servers() -> None:
    lab = erlang.servers()[0]
    for case, (who, connect, category) in SERVER_CASES.items():
        with lab.start(KEYS) as running:
            before = len(running.log())
            connect(running.port)
            time.sleep(1.0)
            log = running.log()[before:]
        assert "Key exchange failed" in log, log
        shown = " ".join(shlex.quote(w) for w in who.split())
        write(f"server-{case}-4.15.2",
              command=f"ssh:daemon(Port, [{{system_dir, KeyDir}}, ...]) with the default algorithms "
                      f"(interop/erlang/sshdoctor_erl_server.erl), against {shown}",
              program=f"{PROGRAM}; the text is the ssh application's report on the daemon's stderr",
              text=log.strip(),
              expect=[{"kind": "no-common-algorithm", "category": category, "reported_by": "erlang-ssh",
                       "side": "server"}])


def debug() -> None:
    """ssh:connect from an erl one-liner with the logger at debug level: the report then has both lists."""
    with sshd(kex="diffie-hellman-group14-sha1") as (port, server):
        expr = (f'logger:set_primary_config(level, debug), application:ensure_all_started(ssh), '
                f'R = ssh:connect("127.0.0.1", {port}, [{{user,"sshdoctor"}}, {{password,"wrong"}}, '
                f'{{silently_accept_hosts,true}}, {{save_accepted_host,false}}, {{user_interaction,false}}, '
                f'{{user_dir,"{tempfile.mkdtemp()}"}}]), io:format("~p~n", [R]), halt().')
        out = subprocess.run(["erl", "-noshell", "-eval", expr], capture_output=True, text=True, timeout=60)
    text = out.stdout
    # Keep from the report before the failure on: the start-up progress reports say nothing about it.
    text = text[text.index("=INFO REPORT"):] if "=INFO REPORT" in text else text
    write("client-kex-debug-4.15.2",
          command=f"erl -noshell -eval 'logger:set_primary_config(level, debug), ..., ssh:connect(\"127.0.0.1\", Port, "
                  f"[...])' with the default algorithms, against {server}",
          program=f"{PROGRAM}; the text is erl's output (the logger's default handler and io:format) from the first "
                  "info report on",
          text=text,
          expect=[{"kind": "no-common-algorithm", "category": "kex", "reported_by": "erlang-ssh", "side": "client",
                   "their_offer": ["diffie-hellman-group14-sha1", "kex-strict-s-v00@openssh.com"]}])


def main(names: list[str]) -> int:
    jobs = {"client": clients, "server": servers, "debug": debug}
    for name in names or list(jobs):
        jobs[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
