"""The C libraries: libssh and libssh2 (Debian's builds with our C harnesses, and the
builds PyPI's ssh-python / ssh2-python bundle), and tinysshd (server only).

``interop/c/install.sh`` makes them; the harnesses are in ``interop/c``. libssh
clients read ``~/.ssh/config`` and ``~/.ssh/known_hosts``: the tests run every
client with an empty HOME, which is what makes their KEXINIT the library's
defaults.
"""

from __future__ import annotations

from tests.interop.harness import ROOT, LabClient, LabServer, prefix

HERE = ROOT / "interop" / "c"
PREFIX = prefix("c")
BIN = PREFIX / "bin"

# libssh2 says only "Unable to exchange encryption keys" (LIBSSH2_ERROR_KEX_FAILURE) whichever
# category failed: its kex_agree_methods returns -1 without a message of its own.
NO_CATEGORY = "no-category-in-message"
# libssh 0.10.x (OpenSSL builds) ends both cipher lists with a comma: its KEXINIT carries an empty
# last name, which a profile cannot hold (and no peer matches). The lists are otherwise the profile's.
EMPTY_NAME = "empty-name-in-cipher-list"


def _python(venv: str, script: str) -> tuple[str, ...]:
    return (str(PREFIX / venv / "bin" / "python"), str(HERE / script))


def clients() -> list[LabClient]:
    """libssh 0.10.6 (Debian), 0.10.4 and 0.11.3 (ssh-python); libssh2 1.10.0 (Debian) and 1.11.1 (ssh2-python)."""
    return [
        LabClient("libssh", "0.10.6", (str(BIN / "libssh-client"),), profile="libssh-0.10.6", reported_by="libssh",
                  variant="debian12", batch=True, quirks=(EMPTY_NAME,)),
        LabClient("libssh", "0.10.4", _python("ssh-python-1.0.0", "ssh-python-client.py"), profile="libssh-0.10.4",
                  reported_by="libssh", variant="ssh-python-1.0.0", batch=True, quirks=(EMPTY_NAME,)),
        LabClient("libssh", "0.11.3", _python("ssh-python-1.2.0.post1", "ssh-python-client.py"),
                  profile="libssh-0.11.3", reported_by="libssh", variant="ssh-python-1.2.0.post1", batch=True),
        LabClient("libssh2", "1.10.0", (str(BIN / "libssh2-client"),), profile="libssh2-1.10.0", reported_by="libssh2",
                  variant="debian12", batch=True, quirks=(NO_CATEGORY,)),
        LabClient("libssh2", "1.11.1", _python("ssh2-python-1.2.0.post1", "ssh2-python-client.py"),
                  profile="libssh2-1.11.1", reported_by="libssh2", variant="ssh2-python-1.2.0.post1", batch=True,
                  quirks=(NO_CATEGORY,)),
    ]


def servers() -> list[LabServer]:
    """libssh 0.10.6's ssh_bind (Debian) and tinysshd 20230101 (Debian), started per connection."""
    return [
        LabServer("libssh", "0.10.6", "libssh-0.10.6", argv=(str(BIN / "libssh-server"),), variant="debian12"),
        LabServer("tinyssh", "20230101", "tinyssh-20230101", argv=(str(HERE / "tinysshd-server"),), variant="debian12",
                  keys=("ed25519",), needs=("/usr/sbin/tinysshd",)),
    ]
