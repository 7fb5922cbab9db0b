"""Failures on the local side, with their own exit codes."""

from __future__ import annotations


class LocalError(Exception):
    """Something about the local machine stops sshdoctor."""

    kind = "local-error"
    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SshMissing(LocalError):
    kind = "ssh-missing"
    exit_code = 4


class SshConfigError(LocalError):
    kind = "ssh-config-error"
    exit_code = 5
