from __future__ import annotations

import pytest

from sshdoctor.diagnose.cmdline import Destination, destination


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ssh", "host"], Destination("host")),
        (["ssh", "-p", "2222", "-o", "BatchMode=yes", "user@host", "uptime"], Destination("host", 2222)),
        (["ssh", "-p2222", "-vvv", "alias"], Destination("alias", 2222)),
        (["/usr/bin/ssh", "ssh://u@h.example:2200"], Destination("h.example", 2200)),
        (["scp", "-P", "2222", "file.txt", "root@10.0.0.7:/tmp/"], Destination("10.0.0.7", 2222)),
        (["scp", "-o", "X=y", "[::1]:/etc/x", "."], Destination("::1")),
        (["sftp", "-P", "23", "legacy-sw1"], Destination("legacy-sw1", 23)),
        (["rsync", "-av", "-e", "ssh", "dir/", "backup@nas:/vol/"], Destination("nas")),
        (["git", "ls-remote", "ssh://git@127.0.0.1:2222/srv/repo.git"], Destination("127.0.0.1", 2222)),
        (["git", "clone", "git@github.invalid:org/repo.git"], Destination("github.invalid")),
        (["git", "fetch", "origin"], None),
        (["ssh"], None),
    ],
)
def test_destination(argv: list[str], expected: Destination | None) -> None:
    assert destination(argv) == expected
