"""zgrab2's ssh module output: one JSON object per line.

The layout is zgrab2's own (github.com/zmap/zgrab2 at e8fbc9ef:
``processing.go`` type Grab for ``ip``/``port``/``domain``/``data``,
``lib/ssh/log.go`` HandshakeLog for ``server_id`` and
``server_key_exchange``, whose lists are named as in the schema
``zgrab2_schemas/zgrab2/ssh.py``). Both directions are kept as recorded.
A line whose scan did not succeed becomes an unreachable host with
zgrab2's status as the error. zgrab2 omits the port when it is the
module's default, 22.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sshdoctor.fleet.analysis import Observed
from sshdoctor.fleet.importers import ImportFormatError
from sshdoctor.fleet.importers.common import banner_of, names
from sshdoctor.fleet.targets import TargetSpec
from sshdoctor.model import Proposal

_LISTS = {
    "kex": "kex_algorithms",
    "hostkey": "host_key_algorithms",
    "cipher_c2s": "client_to_server_ciphers",
    "cipher_s2c": "server_to_client_ciphers",
    "mac_c2s": "client_to_server_macs",
    "mac_s2c": "server_to_client_macs",
    "compression_c2s": "client_to_server_compression",
    "compression_s2c": "server_to_client_compression",
}


def _ssh_entry(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    for entry in data.values():
        if isinstance(entry, dict) and (entry.get("protocol") == "ssh" or "server_key_exchange" in (entry.get("result") or {})):
            return entry
    return None


def observation(grab: Any) -> Observed:
    """One zgrab2 result line as an observation."""
    if not isinstance(grab, dict):
        raise ImportFormatError("a zgrab2 line that is not a JSON object")
    host = grab.get("ip") or grab.get("domain")
    if not isinstance(host, str) or not host:
        raise ImportFormatError("a zgrab2 line without 'ip' or 'domain'")
    port = grab.get("port") if isinstance(grab.get("port"), int) else 22
    label = grab.get("domain") if grab.get("ip") and grab.get("domain") != grab.get("ip") else None
    spec = TargetSpec(host, port, "zgrab2", label=label if isinstance(label, str) else None)
    entry = _ssh_entry(grab.get("data"))
    if entry is None:
        return Observed(spec, None, None, "zgrab2", host, error=str(grab.get("error") or "no ssh result in this line"))
    result = entry.get("result") or {}
    server_id = result.get("server_id") or {}
    banner = banner_of(server_id.get("raw") if isinstance(server_id, dict) else None)
    kexinit = result.get("server_key_exchange")
    if entry.get("status") != "success" or not isinstance(kexinit, dict):
        return Observed(spec, banner, None, "zgrab2", host,
                        error=f"zgrab2: {entry.get('status', 'unknown')}: {entry.get('error') or 'no KEXINIT recorded'}")
    lists = {slot: names(kexinit.get(key)) for slot, key in _LISTS.items()}
    return Observed(spec, banner, Proposal.from_offer_dict(lists), "zgrab2", host)


def read_zgrab2(path: str) -> Iterator[Observed]:
    try:
        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                grab = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFormatError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
            yield observation(grab)
