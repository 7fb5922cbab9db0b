"""``sshdoctor demo``: the whole story on a built-in legacy server, no setup needed."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Any

import click

from sshdoctor.cli.common import guarded, run_async


def _ssh(args: list[str], port: int, tmp: str) -> subprocess.CompletedProcess[str]:
    from sshdoctor.local.sshbin import ssh_path

    cmd = [ssh_path(), *args, "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={tmp}/known_hosts",
           "-o", "StrictHostKeyChecking=accept-new", "-p", str(port), "demo@127.0.0.1", "true"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


@click.command()
@click.option("--keep", is_flag=True, help="Leave the legacy server running until Enter is pressed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with every step's result.")
def demo(keep: bool, as_json: bool) -> None:
    """Start a legacy SSH server on 127.0.0.1 (old key exchange, ssh-rsa host key,
    CBC ciphers, like an old switch), show your ssh failing against it, then
    what sshdoctor makes of it."""
    from rich.rule import Rule

    from sshdoctor.host.examine import examine
    from sshdoctor.host.fix import fix_host
    from sshdoctor.lab.asyncssh_server import AsyncsshServer
    from sshdoctor.report.terminal import console

    out = console(stderr=as_json)
    doc: dict[str, Any] = {}
    server = guarded(lambda: AsyncsshServer(version="OpenSSH_5.3 sshdoctor-demo", pseudo=False).start())
    try:
        doc["server"] = server.target
        if not as_json:
            out.print(Rule(f"1. a legacy server is listening on {server.target}"))
            out.print(f"$ ssh -p {server.port} demo@127.0.0.1")
        with tempfile.TemporaryDirectory() as tmp:
            res = _ssh([], server.port, tmp)
        failure = res.stderr.strip()
        doc["ssh"] = {"exit_code": res.returncode, "stderr": failure}
        if not as_json:
            out.print(failure, style="red", markup=False)
            out.print(Rule("2. sshdoctor explain (the message above)"))
            sys.stdout.flush()
            subprocess.run([sys.executable, "-m", "sshdoctor", "explain", failure], timeout=60, stdin=subprocess.DEVNULL)
        else:
            from sshdoctor.diagnose import explain_text

            doc["explain"] = [f.as_dict() for f in explain_text(failure)]
        report = run_async(lambda: examine(server.target))
        doc["probe"] = report.as_dict()
        if not as_json:
            from sshdoctor.report.terminal import render_probe

            out.print(Rule(f"3. sshdoctor probe {server.target}"))
            render_probe(report, out)
            out.print(Rule(f"4. sshdoctor fix {server.target}"))
        result = run_async(lambda: fix_host(server.target))
        doc["fix"] = result.as_dict()
        if not as_json:
            from sshdoctor.report.fix_view import render_fix

            render_fix(result, out)
        if result.changes:
            with tempfile.TemporaryDirectory() as tmp:
                res = _ssh(result.ssh_options(), server.port, tmp)
            reached = "Permission denied" in res.stderr
            doc["after"] = {"exit_code": res.returncode, "stderr": res.stderr.strip(), "key_exchange_completed": reached}
            if not as_json:
                out.print(Rule("5. your ssh with the fix"))
                out.print("$ ssh " + " ".join(result.ssh_options()) + f" -p {server.port} demo@127.0.0.1", markup=False,
                          soft_wrap=True)
                out.print(res.stderr.strip(), markup=False, style="dim")
                if reached:
                    out.print("key exchange completed: the server now asks who you are (the demo server accepts no one)",
                              style="bold green")
        if as_json:
            from sshdoctor.report.jsonout import emit

            emit(doc)
        if keep:
            click.prompt("Server still running; press Enter to stop", default="", show_default=False, err=as_json)
    finally:
        server.stop()
