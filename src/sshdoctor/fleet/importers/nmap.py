"""nmap XML (``-oX``) with the ``ssh2-enum-algos`` script.

The script records one list per category (the server's client-to-server
lists; OpenSSH sends the same both ways). nmap does not keep the raw
identification string unless the ``banner`` script ran too; without it the
host is analysed with a generic one. The file is read host by host
(``iterparse``), so large scans stream.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from sshdoctor.fleet.analysis import Observed
from sshdoctor.fleet.importers import ImportFormatError
from sshdoctor.fleet.importers.common import banner_of, one_direction
from sshdoctor.fleet.targets import TargetSpec

_TABLES = {
    "kex_algorithms": "kex",
    "server_host_key_algorithms": "hostkey",
    "encryption_algorithms": "cipher",
    "mac_algorithms": "mac",
    "compression_algorithms": "compression",
}


def _host_addresses(host: ET.Element) -> tuple[str | None, str | None]:
    address = None
    for addr in host.findall("address"):
        if addr.get("addrtype") in ("ipv4", "ipv6"):
            address = addr.get("addr")
            break
    name = None
    for hostname in host.findall("hostnames/hostname"):
        if hostname.get("type") == "user":
            name = hostname.get("name")
            break
    return address, name


def _first_line(output: str) -> str:
    """The identification line of the banner script's output, which goes on
    with the next bytes the server sent, escaped (``\\x0D\\x0A…``)."""
    text = output.strip()
    for end in ("\\x0D", "\\x0A", "\r", "\n"):
        text = text.split(end, 1)[0]
    return text


def _port(host_addr: str, name: str | None, port: ET.Element) -> Observed | None:
    number = int(port.get("portid", "0"))
    spec = TargetSpec(host_addr, number, "nmap", label=name)
    state = port.find("state")
    if state is not None and state.get("state") != "open":
        return Observed(spec, None, None, "nmap", host_addr, error=f"port {state.get('state')} ({state.get('reason')})")
    scripts = {s.get("id"): s for s in port.findall("script")}
    algos = scripts.get("ssh2-enum-algos")
    banner_script = scripts.get("banner")
    banner = banner_of(_first_line(banner_script.get("output", ""))) if banner_script is not None else None
    if algos is None:
        service = port.find("service")
        if service is not None and service.get("name") not in (None, "ssh"):
            return None  # another service on an open port: not an SSH observation
        return Observed(spec, banner, None, "nmap", host_addr,
                        error="nmap recorded no ssh2-enum-algos result (run it with -sV, or --script +ssh2-enum-algos)")
    lists: dict[str, list[str]] = {v: [] for v in _TABLES.values()}
    for table in algos.findall("table"):
        key = _TABLES.get(table.get("key", ""))
        if key is not None:
            lists[key] = [e.text or "" for e in table.findall("elem") if e.text]
    offer = one_direction(lists["kex"], lists["hostkey"], lists["cipher"], lists["mac"], lists["compression"])
    return Observed(spec, banner, offer, "nmap", host_addr)


def read_nmap(path: str) -> Iterator[Observed]:
    """Every scanned port of every host, as an observation."""
    try:
        for _event, element in ET.iterparse(path, events=("end",)):
            if element.tag != "host":
                continue
            address, name = _host_addresses(element)
            if address is not None:
                for port in element.findall("ports/port"):
                    observed = _port(address, name, port)
                    if observed is not None:
                        yield observed
            element.clear()
    except ET.ParseError as exc:
        raise ImportFormatError(f"{path}: not well-formed nmap XML ({exc})") from None
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror}") from None
