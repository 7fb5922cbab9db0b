"""Every client and server of the interop lab, gathered from the family modules."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tests.interop import families
from tests.interop.harness import LabClient, LabServer


@cache
def _families() -> tuple[object, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules(families.__path__))
    return tuple(importlib.import_module(f"{families.__name__}.{name}") for name in names)


@cache
def clients() -> tuple[LabClient, ...]:
    """Every lab client, each (implementation, version, variant) once."""
    out: dict[str, LabClient] = {}
    for module in _families():
        for client in getattr(module, "clients", list)():
            assert client.id not in out, f"two lab clients are called {client.id}"
            out[client.id] = client
    return tuple(out.values())


@cache
def servers() -> tuple[LabServer, ...]:
    """Every lab server with its implementation's defaults (configured sshd variants included)."""
    out: dict[str, LabServer] = {}
    for module in _families():
        for server in getattr(module, "servers", list)():
            assert server.id not in out, f"two lab servers are called {server.id}"
            out[server.id] = server
    return tuple(out.values())
