"""What the process-based lab servers (sshd, Dropbear) share."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self


class ProcessServer:
    """A server process on loopback with its own temporary directory.

    Subclasses set ``host``/``port`` and implement :meth:`start`, which must
    set ``proc`` and ``banner``.
    """

    host: str
    port: int

    def __init__(self, prefix: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self.dir = Path(self._tmp.name)
        self.proc: subprocess.Popen[bytes] | None = None
        self.banner: str | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        """Terminate the server (kill it if it does not go within 5 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        """Stop and remove the temporary directory."""
        self.stop()
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def target(self) -> str:
        """``host:port`` as sshdoctor takes it (brackets for IPv6)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
