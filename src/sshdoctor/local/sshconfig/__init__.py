"""ssh_config(5) and sshd_config(5): a parser that keeps every byte, a safe
editor that scopes a fix to one Host block, and the reader lint uses.

Public entry points:

- ``load_tree(path, flavour=…)``: parse a file and its Includes.
- ``apply_host_block(path, pattern, changes, …)`` /
  ``apply_group_block(path, pattern, hosts, changes, …)``: write a fix.
- ``effective_after(path, host)`` and ``missing_after(eff, changes)``: check
  the result with the real ``ssh -G``.
"""

# Loaded on first use (PEP 562): a scan needs the loader and the matcher, not the editor,
# and importing the package would otherwise import all of it.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sshdoctor.local.sshconfig.apply import (
        ApplyResult,
        apply_group_block,
        apply_host_block,
        default_config_path,
        effective_after,
        missing_after,
    )
    from sshdoctor.local.sshconfig.document import ConfigDocument, ConfigLine, Section, parse_text
    from sshdoctor.local.sshconfig.errors import ConfigParseError, ConfigWriteError, PlacementConflict
    from sshdoctor.local.sshconfig.loader import ConfigTree, Entry, load_tree

_HOME = {
    "ApplyResult": "apply", "apply_group_block": "apply", "apply_host_block": "apply",
    "default_config_path": "apply", "effective_after": "apply", "missing_after": "apply",
    "ConfigDocument": "document", "ConfigLine": "document", "Section": "document", "parse_text": "document",
    "ConfigParseError": "errors", "ConfigWriteError": "errors", "PlacementConflict": "errors",
    "ConfigTree": "loader", "Entry": "loader", "load_tree": "loader",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ApplyResult",
    "ConfigDocument",
    "ConfigLine",
    "ConfigParseError",
    "ConfigTree",
    "ConfigWriteError",
    "Entry",
    "PlacementConflict",
    "Section",
    "apply_group_block",
    "apply_host_block",
    "default_config_path",
    "effective_after",
    "load_tree",
    "missing_after",
    "parse_text",
]
