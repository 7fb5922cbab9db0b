"""``sshdoctor scan TARGET…``: a whole fleet in one run."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from sshdoctor.cli.common import EXIT_USAGE, fail, guarded, timeout_option
from sshdoctor.local.paths import user_config


def _rate(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().lower().removesuffix("/s")
    try:
        rate = float(text)
    except ValueError:
        fail(f"--rate: {value!r} is not a rate such as 50 or 50/s", EXIT_USAGE)
    if not 0 < rate <= 100_000:
        fail("--rate: must be between 0 and 100000 connections per second", EXIT_USAGE)
    return rate


# The heat map's columns when none are named: the oldest release still common
# in enterprise distributions, the one that dropped ssh-rsa, and a current one.
HTML_DEFAULT_PROFILES = ("openssh-7.4", "openssh-8.8", "openssh-10.0")


def _profiles(values: tuple[str, ...], html: bool) -> list[str]:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or (list(HTML_DEFAULT_PROFILES) if html else [])


@click.command()
@click.argument("targets", nargs=-1)
@click.option("-i", "--input", "inputs", multiple=True, metavar="FILE",
              help="File of targets, HOST[:PORT] or a CIDR range per line, # comments ('-' reads standard input).")
@click.option("--ssh-config", "from_ssh_config", is_flag=True,
              help="Scan every wildcard-free Host alias of your ssh config (-F FILE, else ~/.ssh/config).")
@click.option("--known-hosts", "known_hosts", multiple=True, metavar="FILE",
              help="Scan the unhashed hosts of a known_hosts file.")
@click.option("--ansible", "inventories", multiple=True, metavar="FILE",
              help="Scan the hosts of an Ansible inventory (INI or YAML; ansible_host/ansible_port honoured).")
@click.option("--import", "imports", multiple=True, metavar="FILE",
              help="Analyse another scanner's results instead of probing: nmap XML (ssh2-enum-algos), "
                   "ssh-audit JSON, zgrab2 ssh JSON lines.")
@click.option("-p", "--port", type=click.IntRange(1, 65535),
              help="Port for targets that name none (default: as ssh resolves it).")
@click.option("--max-cidr", type=click.IntRange(1, 1 << 32), default=65536, show_default=True,
              help="Most addresses one CIDR range may expand to.")
@click.option("-F", "config_file", type=click.Path(dir_okay=False), help="ssh client configuration file to use.")
@click.option("-o", "ssh_options", multiple=True, metavar="OPTION", help="Extra ssh -o option for the local client.")
@click.option("--profiles", "profile_names", multiple=True, metavar="LIST",
              help="Client profiles to test every host against too (e.g. openssh-7.4,openssh-10.0); "
                   "with --html and none named: openssh-7.4, openssh-8.8, openssh-10.0.")
@click.option("--exact", is_flag=True, help="Run the full per-host examination (ssh -G and a capture for each host); slower.")
@click.option("--concurrency", type=click.IntRange(1, 4096), default=64, show_default=True, help="Hosts in flight at once.")
@click.option("--per-server", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Connections at a time to one server (address and port).")
@click.option("--per-address", is_flag=True,
              help="Apply --per-server to each address, whatever the port (one sshd listening on several ports).")
@click.option("--rate", "rate_text", metavar="N[/s]", help="At most N new connections per second in all.")
@click.option("--retries", type=click.IntRange(0, 5), default=1, show_default=True,
              help="Retries after a transient failure (timeout, reset, closed early).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document at the end.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON line per host as soon as it is done.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, writable=True), help="Write one CSV row per host to FILE.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True),
              help="Write a self-contained HTML report to FILE.")
@click.option("--config-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the ~/.ssh/config fragment that fixes the fleet to FILE.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="History database (default: XDG data dir).")
@click.option("--no-history", is_flag=True, help="Do not store this scan.")
@click.option("--diff", "show_diff", is_flag=True, help="Show per host what changed since its last stored scan.")
@click.option("--show-all", is_flag=True, help="List every host in the terminal summary, not only those needing a look.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@timeout_option
def scan(**kwargs: Any) -> None:
    """Scan many SSH servers: what each offers, whether your ssh can negotiate
    with it, its audit grade, and one ~/.ssh/config fragment that fixes every
    host your ssh cannot reach.

    TARGET is HOST, HOST:PORT, [V6]:PORT, a CIDR range (10.0.0.0/24) or '-'
    for standard input. Results are stored for `sshdoctor history`.

    Exit status: 0 every host negotiates, 1 some host fails, is unreachable
    or could not be predicted, 2 bad usage or target list, 130 interrupted
    (the hosts that finished are still reported).
    """
    from sshdoctor.cli.scan_run import ScanRequest, run_scan

    request = ScanRequest(
        targets=kwargs["targets"], inputs=kwargs["inputs"], from_ssh_config=kwargs["from_ssh_config"],
        known_hosts=kwargs["known_hosts"], inventories=kwargs["inventories"], imports=kwargs["imports"],
        port=kwargs["port"], max_cidr=kwargs["max_cidr"], config_file=kwargs["config_file"],
        ssh_options=kwargs["ssh_options"], exact=kwargs["exact"],
        profiles=_profiles(kwargs["profile_names"], bool(kwargs["html_path"])),
        concurrency=kwargs["concurrency"], per_server=kwargs["per_server"], per_address=kwargs["per_address"],
        rate=_rate(kwargs["rate_text"]),
        retries=kwargs["retries"], timeout=kwargs["timeout"], as_json=kwargs["as_json"], as_jsonl=kwargs["as_jsonl"],
        csv_path=kwargs["csv_path"], html_path=kwargs["html_path"], config_out=kwargs["config_out"],
        db_path=kwargs["db_path"], no_history=kwargs["no_history"], show_diff=kwargs["show_diff"],
        show_all=kwargs["show_all"], progress=not kwargs["no_progress"],
        command="sshdoctor scan " + " ".join(sys.argv[2:])[:500],
    )
    _check(request)
    code = guarded(lambda: run_scan(request))
    raise SystemExit(code)


def _check(request: Any) -> None:
    """Usage problems found before any connection is made."""
    from sshdoctor.fleet.targets import TargetError, check_arguments

    if request.as_json and request.as_jsonl:
        fail("--json and --jsonl cannot be combined", EXIT_USAGE)
    if request.show_diff and request.no_history:
        fail("--diff needs the history: drop --no-history", EXIT_USAGE)
    sources = [request.targets, request.inputs, request.known_hosts, request.inventories, request.imports]
    if not any(sources) and not request.from_ssh_config:
        fail("no targets: give HOST…, -i FILE, --ssh-config, --known-hosts FILE, --ansible FILE or --import FILE",
             EXIT_USAGE)
    if request.targets.count("-") + request.inputs.count("-") > 1:
        fail("standard input can be read only once", EXIT_USAGE)
    for label, paths in (("target file", request.inputs), ("known_hosts file", request.known_hosts),
                         ("inventory", request.inventories), ("import file", request.imports)):
        for path in paths:
            if path != "-" and not os.path.isfile(path):
                fail(f"{label} {path}: no such file", EXIT_USAGE)
    if request.from_ssh_config and not request.config_file:
        default = str(user_config())
        if not os.path.isfile(default):
            fail(f"--ssh-config: no ssh configuration at {default} (name one with -F)", EXIT_USAGE)
    if request.config_file and request.config_file != "/dev/null" and not os.path.isfile(request.config_file):
        fail(f"ssh configuration {request.config_file}: no such file", EXIT_USAGE)
    try:
        check_arguments(request.targets, port=request.port, limit=request.max_cidr)
    except TargetError as exc:
        fail(str(exc), EXIT_USAGE)
    if request.profiles:
        from sshdoctor.fleet.analysis import resolve_profiles

        try:
            resolve_profiles(request.profiles)
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE)
