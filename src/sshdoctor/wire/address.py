"""Telling an IP address from a host name, cheaply (a scan asks this for every target)."""

from __future__ import annotations

import ipaddress
import socket


def ip_family(host: str) -> int | None:
    """``AF_INET`` or ``AF_INET6`` for an IP literal (a scoped ``fe80::1%eth0`` included), None for a name."""
    if "%" in host:  # a zone index: inet_pton does not take it, ipaddress does
        try:
            return int(socket.AF_INET6) if ipaddress.ip_address(host).version == 6 else int(socket.AF_INET)
        except ValueError:
            return None
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return int(family)
    return None
