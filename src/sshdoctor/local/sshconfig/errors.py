"""Why a configuration file was not read or not changed.

Every error leaves the file on disk exactly as it was; the messages are one
line each and name the file and line where that helps.
"""

from __future__ import annotations

from sshdoctor.local.errors import LocalError, SshConfigError


class ConfigParseError(SshConfigError):
    """The file does not parse as ssh_config / sshd_config (exit code 5)."""

    kind = "ssh-config-parse-error"

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path} line {line}" if line else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class PlacementConflict(LocalError):
    """Adding or merging a block cannot make the change take effect (exit code 7).

    ``path`` and ``line`` name the line that has to change instead.
    """

    kind = "ssh-config-conflict"
    exit_code = 7

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class ConfigWriteError(LocalError):
    """The new file could not be written; the original is intact (exit code 3)."""

    kind = "ssh-config-write-error"
