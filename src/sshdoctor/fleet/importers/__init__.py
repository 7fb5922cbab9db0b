"""Other scanners' results as :class:`~sshdoctor.fleet.analysis.Observed` hosts.

nmap XML (``--script ssh2-enum-algos``), ssh-audit JSON (``-j``, one
target or a ``-T`` batch) and zgrab2's ssh JSON lines go through the same
analysis and reports as sshdoctor's own probes. :func:`read_any` tells the
format from the content.
"""

from __future__ import annotations

from collections.abc import Iterator

from sshdoctor.fleet.analysis import Observed


class ImportFormatError(ValueError):
    """A file that is none of the formats sshdoctor imports, or a broken one."""


def detect(path: str) -> str:
    """``nmap``, ``ssh-audit`` or ``zgrab2``, from the first bytes of the file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip()
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith((b"<?xml", b"<nmaprun", b"<!DOCTYPE nmaprun")):
        return "nmap"
    if head.startswith(b"["):
        return "ssh-audit"
    if head.startswith(b"{"):
        first = head.split(b"\n", 1)[0]
        if b'"data"' in first or b'"ip"' in first or b'"domain"' in first:
            return "zgrab2"
        return "ssh-audit"
    raise ImportFormatError(f"{path}: not nmap XML, ssh-audit JSON or zgrab2 JSON lines")


def read_any(path: str) -> Iterator[Observed]:
    """The hosts recorded in a file of any supported format."""
    kind = detect(path)
    if kind == "nmap":
        from sshdoctor.fleet.importers.nmap import read_nmap

        yield from read_nmap(path)
    elif kind == "zgrab2":
        from sshdoctor.fleet.importers.zgrab2 import read_zgrab2

        yield from read_zgrab2(path)
    else:
        from sshdoctor.fleet.importers.sshaudit import read_ssh_audit

        yield from read_ssh_audit(path)


__all__ = ["ImportFormatError", "detect", "read_any"]
