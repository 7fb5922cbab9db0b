"""ssh_config(5) and sshd_config(5): a parser that keeps every byte, a safe
editor that scopes a fix to one Host block, and the reader lint uses.

Public entry points:

- ``load_tree(path, flavour=…)``: parse a file and its Includes.
- ``apply_host_block(path, pattern, changes, …)`` /
  ``apply_group_block(path, pattern, hosts, changes, …)``: write a fix.
- ``effective_after(path, host)`` and ``missing_after(eff, changes)``: check
  the result with the real ``ssh -G``.
"""

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
