"""``sshdoctor explain [TEXT | -]``: an SSH failure message or log in, diagnosis and fixes out."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn

import click

from sshdoctor.local.paths import expand_user

EXIT_USAGE = 2
EXIT_NOT_RECOGNISED = 8
EXIT_INTERNAL = 70
HEAD = 1 << 16
MAX_TEXT_LINE = 1 << 16  # a longer "line" is cut; the rest up to the next newline is skipped


def fail(message: str, code: int) -> NoReturn:
    """``sshdoctor: message`` on stderr and exit ``code`` (as cli.common.fail does).

    Kept here rather than imported: cli.common pulls in the network stack
    (asyncio), a third of this command's start-up time, and explain needs it
    only for --probe.
    """
    from sshdoctor.report.sanitize import printable

    sys.stderr.write(f"sshdoctor: {printable(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def guarded(fn: Callable[[], None]) -> None:
    """Run the command; --probe's own failures go through cli.common, anything else is one line."""
    try:
        fn()
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("SSHDOCTOR_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set SSHDOCTOR_DEBUG=1 for details)", EXIT_INTERNAL)


def _lines(head: bytes, stream: IO[bytes] | None) -> Iterator[str]:
    """Decoded lines of ``head`` followed by the rest of ``stream``, read in chunks."""
    rest = head
    while True:
        block = stream.read(1 << 20) if stream is not None else b""
        data = rest + block
        if not data:
            return
        parts = data.split(b"\n")
        rest = parts.pop() if block else b""
        for part in parts:
            yield part[:MAX_TEXT_LINE].decode("utf-8", "replace")
        if len(rest) > MAX_TEXT_LINE:
            yield rest[:MAX_TEXT_LINE].decode("utf-8", "replace")
            rest = b""
        if not block:
            if rest:
                yield rest[:MAX_TEXT_LINE].decode("utf-8", "replace")
            return


def _open_input(text: str | None, file: str | None) -> tuple[bytes, IO[bytes] | None]:
    if text is not None and file is not None:
        fail("give either TEXT or --file, not both", EXIT_USAGE)
    if file is not None:
        try:
            fh = open(file, "rb")  # noqa: SIM115  (streamed until the process ends)
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}", EXIT_USAGE)
        return fh.read(HEAD), fh
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            fail("nothing to explain: give the message as an argument, '-' for standard input, or --file",
                 EXIT_USAGE)
        stream = sys.stdin.buffer
        return stream.read(HEAD), stream
    return text.encode("utf-8", "surrogateescape"), None


def _fix_context(findings: list[Any]) -> Any:
    from sshdoctor.local.errors import LocalError
    from sshdoctor.model import Category
    from sshdoctor.remedy.explain_fixes import FileFact, FixContext, paths_to_check

    supported: dict[Category, tuple[str, ...]] = {}
    defaults: dict[Category, tuple[str, ...]] = {}
    label = None
    if any(f.kind == "no-common-algorithm" for f in findings):
        try:
            from sshdoctor.local.clientmodel import compiled_defaults
            from sshdoctor.local.sshbin import supported as ssh_q
            from sshdoctor.local.sshbin import version

            supported = {c: ssh_q(c) for c in Category}
            defaults = compiled_defaults()
            label = version().label
        except LocalError:
            pass  # no usable local ssh: fixes say they were not checked
    effective, lines = _host_lists(findings) if defaults else ({}, {})
    files = {}
    for path in paths_to_check(findings):
        real = expand_user(path)
        try:
            st = os.stat(real)
        except OSError:
            files[path] = FileFact(path=path, exists=False)
            continue
        first = None
        try:
            with open(real, "rb") as fh:
                first = fh.read(120).split(b"\n")[0].decode("utf-8", "replace")
        except OSError:
            pass
        files[path] = FileFact(path=path, exists=True, mode=st.st_mode, uid=st.st_uid, first_line=first)
    sshd_lists = _sshd_lists() if any(f.extra.get("side") == "server" for f in findings) else {}
    return FixContext(supported=supported, defaults=defaults, files=files, uid=os.getuid(), local_label=label,
                      effective=effective, config_lines=lines, sshd_lists=sshd_lists)


def _sshd_lists() -> dict[Any, tuple[str, ...]]:
    """What this machine's sshd offers now (``sshd -T``; it needs to read the config and host keys,
    so usually root): a server log explained on its own server gets full lines."""
    import shutil
    import subprocess

    from sshdoctor.model import Category

    sshd = next((p for p in (shutil.which("sshd"), "/usr/sbin/sshd") if p and os.access(p, os.X_OK)), None)
    if sshd is None:
        return {}
    try:
        out = subprocess.run([sshd, "-T"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if out.returncode != 0:
        return {}
    lists: dict[Any, tuple[str, ...]] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        category = Category.from_directive(key)
        if category is not None and category is not Category.COMPRESSION:
            lists[category] = tuple(n for n in value.split(",") if n)
    return lists


def _host_lists(findings: list[Any]) -> tuple[dict[Any, tuple[str, ...]], dict[Any, tuple[str, int, str]]]:
    """For the host a client-side message names: the lists the local ssh would use for it (ssh -G),
    and the configuration line that sets each category that differs from the defaults."""
    from sshdoctor.local.clientmodel import compiled_defaults
    from sshdoctor.local.effective import effective
    from sshdoctor.local.errors import LocalError
    from sshdoctor.local.sshconfig.which import winning_line
    from sshdoctor.model import Category

    host = next((f.host for f in findings if f.kind == "no-common-algorithm" and f.host
                 and f.extra.get("side") != "server" and f.reported_by in ("openssh-client", "libssh")), None)
    if host is None:
        return {}, {}
    try:
        eff = effective(host)
    except LocalError:
        return {}, {}
    defaults = compiled_defaults()
    lists = {c: eff.algorithms(c) for c in Category}
    lines: dict[Any, tuple[str, int, str]] = {}
    for category, names in lists.items():
        if category is Category.COMPRESSION or names == defaults.get(category):
            continue
        found = winning_line(host, category.directive, hostname=eff.hostname)
        if found is not None:
            lines[category] = (found.path, found.line, found.text)
    return lists, lines


def _probe(findings: list[Any], host: str | None, port: int | None, timeout: float) -> tuple[list[Any], str | None]:
    """Fill in the offer (and every failing category) from a live probe of the host."""
    from dataclasses import replace

    from sshdoctor.cli.common import run_async
    from sshdoctor.diagnose.common import negotiation
    from sshdoctor.diagnose.vlog import category_offer
    from sshdoctor.host.examine import examine

    client_side = [f for f in findings if f.kind == "no-common-algorithm" and f.extra.get("side") != "server"]
    target_host = host or next((f.host for f in client_side if f.host), None)
    if target_host is None:
        return findings, "--probe needs a host: the text names none, give --host"
    target_port = port or next((f.port for f in client_side if f.port), None)
    report = run_async(lambda: examine(target_host, port=target_port, timeout=timeout))
    if report.offer is None:
        return findings, f"probe of {target_host} failed: {report.error}"
    out = []
    for f in findings:
        if f in client_side and f.category is not None:
            f = replace(f, their_offer=category_offer(report.offer, f.category), host=f.host or target_host,
                        port=f.port or report.target.port, extra={**f.extra, "offer_from": "probe"})
        out.append(f)
    if report.outcome is not None and report.client_proposal is not None:
        seen = {f.category for f in out if f.kind == "no-common-algorithm"}
        for category in report.outcome.failures:
            if category in seen:
                continue
            out.append(negotiation(category, category_offer(report.offer, category), reported_by="openssh-client",
                                   side="client", program="Your ssh (predicted by probe)", host=target_host,
                                   port=report.target.port,
                                   our_offer=category_offer(report.client_proposal, category),
                                   extra={"source": "probe"}))
    return out, None


@click.command()
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(dir_okay=False), help="Read the message or log from a file.")
@click.option("--log", "force_log", is_flag=True, help="Treat the input as a server log (auto-detected otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (sshdoctor help json).")
@click.option("--probe", "do_probe", is_flag=True, help="Fetch the server's offer when the text lacks it.")
@click.option("--host", "host", help="The host the message is about, when the text does not name it.")
@click.option("-p", "--port", type=click.IntRange(1, 65535), help="Port of the host (for --probe).")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=5.0, show_default=True,
              help="Seconds for each network step of --probe.")
def explain(text: str | None, file: str | None, force_log: bool, as_json: bool, do_probe: bool, host: str | None,
            port: int | None, timeout: float) -> None:
    """Explain an SSH failure: TEXT, '-' for standard input, or --file.

    Recognises OpenSSH client and server messages, ssh -v logs (both
    proposals replayed), Dropbear, PuTTY/plink/WinSCP, paramiko, AsyncSSH,
    libssh, Go, JSch, Cisco, git and Ansible output, and the usual
    neighbours (host key changed, permissions, agent, refused ...). Server
    logs are summarised by failure and client network.

    Exit status: 0 recognised, 8 not recognised, 2 usage error.
    """
    guarded(lambda: _run(text, file, force_log, as_json, do_probe, host, port, timeout))


def _run(text: str | None, file: str | None, force_log: bool, as_json: bool, do_probe: bool, host: str | None,
         port: int | None, timeout: float) -> None:
    from sshdoctor.diagnose import (
        Explainer,
        closest_hint,
        looks_binary,
        looks_like_server_log,
        summarise_stream,
    )
    from sshdoctor.remedy.explain_fixes import explain_fixes

    head, stream = _open_input(text, file)
    sample = head.decode("utf-8", "replace").splitlines()[:200]
    summary = None
    if looks_binary(head[:4096]):
        findings: list[Any] = []
        reason = "the input is binary data, not text"
    elif force_log or (stream is not None and looks_like_server_log(sample)):
        import io

        result = summarise_stream(stream if stream is not None else io.BytesIO(b""), head=head)
        summary = result.as_dict()
        findings = result.findings()
        reason = "no server-log line sshdoctor knows"
    else:
        explainer = Explainer()
        for line in _lines(head, stream):
            explainer.feed(line)
        findings = explainer.finish()
        reason = "empty input" if not head.strip() else "no message sshdoctor knows"
    probe_note = None
    if do_probe and findings:
        findings, probe_note = _probe(findings, host, port, timeout)
    elif host or port:
        from dataclasses import replace

        findings = [replace(f, host=f.host or host, port=f.port or port)
                    if f.extra.get("side") != "server" else f for f in findings]
    fixes = [x.as_dict() for x in explain_fixes(findings, _fix_context(findings))] if findings else []
    hint = None if findings else closest_hint(sample)
    if as_json:
        from sshdoctor.report.jsonout import emit

        doc: dict[str, object] = {"findings": [f.as_dict() for f in findings], "fixes": fixes}
        if summary is not None:
            doc["summary"] = summary
        if not findings:
            doc["recognised"] = False
            doc["reason"] = reason
            doc["hint"] = {"kind": hint[0], "example": hint[1], "score": hint[2]} if hint else None
        if probe_note:
            doc["probe_error"] = probe_note
        emit(doc)
    else:
        from sshdoctor.report.explain_view import render_findings, render_summary, render_unrecognised

        if summary is not None:
            render_summary(summary)
        if findings:
            render_findings(findings, fixes)
        else:
            render_unrecognised(hint, reason)
        if probe_note:
            sys.stderr.write(f"sshdoctor: {probe_note}\n")
    raise SystemExit(0 if findings else EXIT_NOT_RECOGNISED)
