"""Where a scan's targets come from: arguments, files, standard input, CIDR
ranges, ~/.ssh/config aliases, known_hosts and Ansible inventories.

Every source is a generator, so a target list of any length is read as the
scan goes; :func:`unique` merges duplicates with memory that stops growing
(see :mod:`sshdoctor.fleet.dedupe`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sshdoctor.fleet.dedupe import Deduper
from sshdoctor.local.paths import user_config
from sshdoctor.model import TargetSyntaxError, parse_target

DEFAULT_CIDR_LIMIT = 65536


class TargetError(ValueError):
    """A target source the scan cannot start with (bad file, range too large …)."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One host to scan, before ssh's configuration is applied.

    ``host`` is what ssh is given (a name, an address or a config alias);
    ``port`` the port the source names (None: as ssh resolves it);
    ``label`` a name to show when the source calls the host something else
    (an Ansible inventory name); ``error`` marks a line that is not a
    target, reported as a result instead of stopping a long stream.
    """

    host: str
    port: int | None = None
    source: str = "argument"
    label: str | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        """What makes two targets the same one."""
        return f"{self.host.lower()}|{self.port or ''}"

    @property
    def display(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and self.port else self.host
        text = f"{host}:{self.port}" if self.port else host
        return f"{self.label} ({text})" if self.label and self.label != self.host else text


def _is_cidr(text: str) -> bool:
    return "/" in text and not text.startswith("/")


def expand_cidr(text: str, port: int | None, limit: int, source: str) -> Iterator[TargetSpec]:
    """The host addresses of a network (``10.0.0.0/24``, ``fd00::/120``), at most ``limit``."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise TargetError(f"invalid address range {text!r}") from None
    # Every address of the range, network and broadcast included, as nmap
    # scans it (a /30 is four targets): devices answer on either now and then.
    count = network.num_addresses
    if count > limit:
        raise TargetError(
            f"{text} holds {count} addresses, more than the limit of {limit}; raise it with --max-cidr {count}"
        )
    for address in network:
        yield TargetSpec(str(address), port, source)


# A host name as resolvers and ssh_config aliases spell it (underscores occur in real inventories).
_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$")


def _check_host(host: str, text: str) -> None:
    """Refuse what cannot be a host name or address, before it reaches a resolver."""
    if _NAME.match(host):
        return
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        raise TargetError(f"invalid target {text!r}: not a host name or address") from None


def parse_spec(text: str, port: int | None, source: str, limit: int) -> Iterator[TargetSpec]:
    """One target token: ``HOST``, ``HOST:PORT``, ``[V6]:PORT``, ``USER@HOST`` or a CIDR range."""
    if _is_cidr(text):
        base, _, rest = text.partition(":") if text.count(":") == 1 else (text, "", "")
        cidr_port = port
        if rest:
            if not rest.isdigit() or not 0 < int(rest) < 65536:
                raise TargetError(f"invalid port in {text!r}")
            cidr_port = int(rest)
        yield from expand_cidr(base, cidr_port, limit, source)
        return
    try:
        host, explicit = parse_target(text)
    except TargetSyntaxError as exc:
        raise TargetError(str(exc)) from None
    _check_host(host, text)
    # -p is the port for targets that name none, not a constraint on those that do.
    yield TargetSpec(host, explicit if explicit is not None else port, source)


def from_lines(lines: Iterable[str], *, name: str, port: int | None, limit: int) -> Iterator[TargetSpec]:
    """Targets from text lines: one per line, ``#`` comments and blank lines
    skipped. A bad line becomes a target with ``error`` set, so one typo in
    a long list is reported without losing the rest."""
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{name}:{number}"
        # Several targets may share a line, separated by blanks (as nmap -iL reads
        # them); a line where any word is not a target is prose, reported whole.
        try:
            specs = [spec for token in text.split() for spec in parse_spec(token, port, where, limit)]
        except TargetError as exc:
            yield TargetSpec(text[:200], port, where, error=str(exc))
            continue
        yield from specs


def from_file(path: str, *, port: int | None, limit: int) -> Iterator[TargetSpec]:
    """Targets from a file (``-`` is standard input), read line by line."""
    if path == "-":
        yield from from_lines(_stdin_lines(sys.stdin), name="stdin", port=port, limit=limit)
        return
    try:
        fh = open(path, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115 (closed below, generator)
    except OSError as exc:
        raise TargetError(f"cannot read target file {path}: {exc.strerror}") from None
    with fh:
        yield from from_lines(fh, name=path, port=port, limit=limit)


def _stdin_lines(stream: TextIO) -> Iterator[str]:
    yield from stream


def from_arguments(args: Iterable[str], *, port: int | None, limit: int) -> Iterator[TargetSpec]:
    """Command-line targets; ``-`` reads standard input and an existing file is a
    targets file (as other scanners take it). A bad argument is an error."""
    for arg in args:
        if arg == "-" or is_target_file(arg):
            yield from from_file(arg, port=port, limit=limit)
        else:
            yield from parse_spec(arg, port, "argument", limit)


def is_target_file(arg: str) -> bool:
    """An argument that names an existing regular file is read as a list of targets."""
    return os.path.isfile(arg)


def check_arguments(args: Iterable[str], *, port: int | None, limit: int) -> None:
    """Validate command-line targets before the scan starts (CIDR sizes included)."""
    for arg in args:
        if arg == "-" or is_target_file(arg):
            continue
        if _is_cidr(arg):
            next(iter(parse_spec(arg, port, "argument", limit)), None)
        else:
            for _ in parse_spec(arg, port, "argument", limit):
                pass


# ---- ~/.ssh/config aliases -------------------------------------------------


def _literal(pattern: str) -> bool:
    return not any(c in pattern for c in "*?!")


def ssh_config_aliases(path: str | None = None) -> Iterator[TargetSpec]:
    """Every wildcard-free name on a ``Host`` line (Includes followed), in file order.

    The aliases are handed to ssh as they are: ``ssh -G`` later gives the
    HostName and Port it would use for each.
    """
    config = path or str(user_config())
    if not os.path.exists(config):
        raise TargetError(f"no ssh configuration at {config}")
    try:
        from sshdoctor.local.sshconfig import load_tree
    except ImportError:  # pragma: no cover - the reader ships with sshdoctor
        yield from _aliases_plain(config)
        return
    from sshdoctor.local.errors import LocalError

    try:
        tree = load_tree(config)
    except (LocalError, ValueError) as exc:
        raise TargetError(f"cannot read {config}: {exc}") from None
    for entry in tree.entries:
        directive = entry.directive
        if directive.key != "host":
            continue
        for name in directive.values:
            if _literal(name):
                yield TargetSpec(name, None, "ssh_config")


def _aliases_plain(config: str) -> Iterator[TargetSpec]:
    with open(config, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            words = line.split("#", 1)[0].replace("=", " ", 1).split()
            if words and words[0].lower() == "host":
                for name in words[1:]:
                    if _literal(name):
                        yield TargetSpec(name, None, "ssh_config")


# ---- known_hosts -----------------------------------------------------------


def known_hosts_targets(path: str) -> Iterator[TargetSpec]:
    """The hosts of a known_hosts file: unhashed, wildcard-free names,
    ``[host]:port`` honoured; marker lines (CA keys, revocations) skipped."""
    try:
        fh = open(path, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    except OSError as exc:
        raise TargetError(f"cannot read known_hosts file {path}: {exc.strerror}") from None
    with fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.strip()
            if not text or text.startswith(("#", "@", "|")):
                continue
            for name in text.split()[0].split(","):
                if not _literal(name) or name.startswith("|"):
                    continue
                try:
                    host, port = parse_target(name)
                except TargetSyntaxError:
                    continue
                yield TargetSpec(host, port, f"{path}:{number}")


# ---- Ansible ---------------------------------------------------------------


def ansible_targets(path: str) -> Iterator[TargetSpec]:
    """The hosts of an Ansible inventory (INI or YAML), with ``ansible_host``
    and ``ansible_port`` (host, group or ``all`` variables) honoured."""
    from sshdoctor.fleet.ansible import read_inventory

    try:
        text = Path(path).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise TargetError(f"cannot read inventory {path}: {exc.strerror}") from None
    try:
        hosts = read_inventory(text, yaml=path.endswith((".yml", ".yaml")) or None)
    except ValueError as exc:
        raise TargetError(f"{path}: {exc}") from None
    for name, address, port in hosts:
        if address != name:
            yield TargetSpec(address, port, f"ansible:{path}", label=name)
        else:
            yield TargetSpec(address, port, f"ansible:{path}")


# ---- merging ---------------------------------------------------------------


def unique(targets: Iterable[TargetSpec], deduper: Deduper | None = None) -> Iterator[TargetSpec]:
    """Targets in order, each once (a bad line is always passed on)."""
    seen = deduper or Deduper()
    try:
        for spec in targets:
            if spec.error is not None or seen.add(spec.key):
                yield spec
    finally:
        if deduper is None:
            seen.close()
