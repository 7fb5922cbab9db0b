"""Replace a file so that, whatever happens, either the old or the new content is there.

Order of operations: copy the original to a timestamped backup next to it
(fsynced), write the new content to a temporary file in the same directory
(same mode and, where permitted, owner; fsynced), check that the original
did not change meanwhile, then ``os.replace`` over it and fsync the
directory. A crash at any point before the rename leaves the original
untouched; after it, the new file is complete.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sshdoctor.local.paths import expand_user
from sshdoctor.local.sshconfig.errors import ConfigWriteError

NEW_FILE_MODE = 0o600
NEW_DIR_MODE = 0o700


@dataclass(frozen=True, slots=True)
class WriteResult:
    path: Path
    backup: Path | None
    mode: int


def _between_backup_and_replace(tmp: Path) -> None:
    """Test hook: runs after the backup and the temporary file exist, before the
    rename. Tests replace it to inject a crash; it does nothing otherwise."""


def backup_name(path: Path, now: float | None = None, *, avoid: Sequence[str] = ()) -> Path:
    """``config.sshdoctor-YYYYmmddTHHMMSS.bak`` next to ``path``, not yet taken.

    When an Include pattern in ``avoid`` would pick the backup up as
    configuration, the name starts with a dot (glob ``*`` skips dotfiles).
    """
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
    base = f"{path.name}.sshdoctor-{stamp}"
    candidate = path.with_name(base + ".bak")
    if any(fnmatch.fnmatchcase(str(candidate), pattern) for pattern in avoid):
        base = "." + base
    n = 1
    candidate = path.with_name(base + ".bak")
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{base}-{n}.bak")
    return candidate


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_new(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Create ``path`` exclusively with ``data``, mode and owner, fsynced."""
    _write_fd(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), data, mode, owner)


def _write_fd(fd: int, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    try:
        os.fchmod(fd, mode)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            with contextlib.suppress(PermissionError):
                os.fchown(fd, *owner)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(
    path: str | Path,
    data: bytes,
    *,
    expected: bytes | None,
    avoid_patterns: Sequence[str] = (),
) -> WriteResult:
    """Atomically give ``path`` the content ``data``.

    ``expected`` is the content the caller read (None: the file did not
    exist); if the file no longer holds it, nothing is written. Symlinks are
    followed, so a dotfile-managed link keeps pointing at the edited file.
    Raises ConfigWriteError; the original is then unchanged.
    """
    target = Path(os.path.realpath(expand_user(str(path))))
    directory = target.parent
    try:
        if not directory.exists():
            directory.mkdir(mode=NEW_DIR_MODE, parents=True)
        try:
            st = target.stat()
            mode = stat.S_IMODE(st.st_mode)
            owner: tuple[int, int] | None = (st.st_uid, st.st_gid)
        except FileNotFoundError:
            st = None
            mode, owner = NEW_FILE_MODE, None
        if (expected is None) != (st is None) or (expected is not None and target.read_bytes() != expected):
            raise ConfigWriteError(f"{target} changed while sshdoctor was editing it; nothing was written, run again")
        backup: Path | None = None
        if expected is not None:
            backup = backup_name(target, avoid=avoid_patterns)
            _write_new(backup, expected, mode, owner)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.sshdoctor-", suffix=".tmp", dir=directory)
        tmp = Path(tmp_name)
        try:
            _write_fd(fd, data, mode, owner)
            _between_backup_and_replace(tmp)
            current = target.read_bytes() if target.exists() else None
            if current != expected:
                raise ConfigWriteError(f"{target} changed while sshdoctor was editing it; nothing was written, run again")
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(directory)
        return WriteResult(path=target, backup=backup, mode=mode)
    except ConfigWriteError:
        raise
    except OSError as exc:
        raise ConfigWriteError(f"cannot write {target}: {exc.strerror or exc}; the original is unchanged") from None
