"""Whether a word the user typed names a host: an ssh_config alias, or a name that resolves."""

from __future__ import annotations

import concurrent.futures
import contextlib
import fnmatch
import socket

from sshdoctor.local.paths import system_dir, user_config


def is_config_alias(word: str) -> bool:
    """True when a ``Host`` line of the user's or the system's ssh_config names ``word``
    literally or by a pattern other than ``*`` (Include files are not followed: a cheap check)."""
    for path in (user_config(), system_dir() / "ssh_config"):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in path.read_text("utf-8").splitlines():
                parts = line.replace("=", " ").split()
                if len(parts) < 2 or parts[0].lower() != "host":
                    continue
                for pattern in parts[1:]:
                    if pattern.startswith("!") or pattern == "*":
                        continue
                    if fnmatch.fnmatchcase(word.lower(), pattern.lower()):
                        return True
    return False


def resolves(name: str, timeout: float = 2.0) -> bool:
    """True when the system resolver knows ``name`` within ``timeout`` seconds (a slow
    resolver counts as knowing it: then the word is treated as a host, as before)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(socket.getaddrinfo, name, None, 0, socket.SOCK_STREAM)
    try:
        return bool(future.result(timeout))
    except concurrent.futures.TimeoutError:
        return True
    except (OSError, UnicodeError):
        return False
    finally:
        pool.shutdown(wait=False)
