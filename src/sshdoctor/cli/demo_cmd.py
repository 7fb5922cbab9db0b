"""``sshdoctor demo``: the whole story on a built-in legacy server, no setup needed."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import click

from sshdoctor.cli.common import guarded, run_async


@click.command()
@click.option("--keep", is_flag=True, help="Leave the legacy server running until Enter is pressed.")
def demo(keep: bool) -> None:
    """Start a legacy SSH server on 127.0.0.1 (old key exchange, ssh-rsa host key,
    CBC ciphers, like an old switch), show your ssh failing against it, then
    what sshdoctor makes of it."""
    from rich.rule import Rule

    from sshdoctor.host.examine import examine
    from sshdoctor.host.fix import fix_host
    from sshdoctor.lab.asyncssh_server import AsyncsshServer
    from sshdoctor.local.sshbin import ssh_path
    from sshdoctor.report.fix_view import render_fix
    from sshdoctor.report.terminal import console, render_probe

    out = console()
    server = guarded(lambda: AsyncsshServer(version="OpenSSH_5.3 sshdoctor-demo", pseudo=False).start())
    try:
        out.print(Rule(f"1. a legacy server is listening on {server.target}"))
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                ssh_path(), "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={tmp}/known_hosts",
                "-o", "StrictHostKeyChecking=accept-new", "-p", str(server.port), "demo@127.0.0.1", "true",
            ]
            out.print(f"$ ssh -p {server.port} demo@127.0.0.1")
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
            failure = res.stderr.strip()
            out.print(failure, style="red", markup=False)
        out.print(Rule("2. sshdoctor explain (the message above)"))
        sys.stdout.flush()
        subprocess.run([sys.executable, "-m", "sshdoctor", "explain", failure], timeout=60, stdin=subprocess.DEVNULL)
        out.print(Rule(f"3. sshdoctor probe {server.target}"))
        report = run_async(lambda: examine(server.target))
        render_probe(report, out)
        out.print(Rule(f"4. sshdoctor fix {server.target}"))
        result = run_async(lambda: fix_host(server.target))
        render_fix(result, out)
        if result.changes:
            out.print(Rule("5. your ssh with the fix"))
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [
                    ssh_path(), *result.ssh_options(), "-o", "BatchMode=yes",
                    "-o", f"UserKnownHostsFile={tmp}/known_hosts", "-o", "StrictHostKeyChecking=accept-new",
                    "-p", str(server.port), "demo@127.0.0.1", "true",
                ]
                out.print("$ ssh " + " ".join(result.ssh_options()) + f" -p {server.port} demo@127.0.0.1", markup=False)
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
                out.print(res.stderr.strip(), markup=False, style="dim")
                if "Permission denied" in res.stderr:
                    out.print("key exchange completed: the server now asks who you are (the demo server accepts no one)",
                              style="bold green")
        if keep:
            click.prompt("Server still running; press Enter to stop", default="", show_default=False)
    finally:
        server.stop()
