"""ssh-audit's JSON output (``ssh-audit -j``): one object per target, or a
list of them from a ``-T`` batch; JSON lines are accepted too.

Only what ssh-audit recorded from the server is taken (identification
string and algorithm names); its verdicts are not, sshdoctor forms its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sshdoctor.fleet.analysis import Observed
from sshdoctor.fleet.importers import ImportFormatError
from sshdoctor.fleet.importers.common import banner_of, names, one_direction
from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.model import TargetSyntaxError, parse_target


def _documents(path: str) -> list[Any]:
    try:
        text = open(path, encoding="utf-8", errors="replace").read()  # noqa: SIM115
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise ImportFormatError(f"{path}: not ssh-audit JSON ({exc.msg} at line {exc.lineno})") from None
    return data if isinstance(data, list) else [data]


def observation(doc: Any) -> Observed:
    """One ssh-audit target document as an observation."""
    if not isinstance(doc, dict) or "target" not in doc:
        raise ImportFormatError("an ssh-audit document without a 'target'")
    try:
        host, port = parse_target(str(doc["target"]))
    except TargetSyntaxError as exc:
        raise ImportFormatError(f"ssh-audit target {doc['target']!r}: {exc}") from None
    spec = TargetSpec(host, port or 22, "ssh-audit")
    banner = doc.get("banner")
    parsed_banner = banner_of(banner.get("raw") if isinstance(banner, dict) else None)
    kex = names(doc.get("kex"))
    if not kex:
        return Observed(spec, parsed_banner, None, "ssh-audit", host, error="ssh-audit recorded no algorithms")
    offer = one_direction(kex, names(doc.get("key")), names(doc.get("enc")), names(doc.get("mac")),
                          names(doc.get("compression")))
    return Observed(spec, parsed_banner, offer, "ssh-audit", host)


def read_ssh_audit(path: str) -> Iterator[Observed]:
    for doc in _documents(path):
        yield observation(doc)
