"""``--reload``: the running sshd reads the new configuration without a restart.

The test's "production" sshd runs from the test's files; the init-system
lookup is pointed at an empty root, so the reload found is a SIGHUP to the
pid in sshd's PidFile (this machine's own sshd is never touched).
"""

from __future__ import annotations

import time
from pathlib import Path

from sshdoctor.lab.ports import wait_for_banner
from tests.serverfix.conftest import OLD_CLIENT, RESTRICTIVE, Server, run_fix


def test_reload_by_signal_to_the_running_sshd(server: Server, tmp_path: Path) -> None:
    server.write("\n".join([*RESTRICTIVE, *server.base_lines()]) + "\n")
    proc = server.start()
    assert not server.ssh().ok
    empty_root = tmp_path / "no-init"
    empty_root.mkdir()
    result = run_fix(str(server.main), apply=True, reload=True, timeout=5.0, init_root=str(empty_root))
    doc = result.as_dict()  # type: ignore[attr-defined]
    assert doc["applied"] is True, doc["error"]
    reload = doc["reload"]
    assert reload["init"] == "signal" and reload["command"] == ["kill", "-HUP", str(proc.pid)]
    assert reload["ran"] is True and reload["exit_code"] == 0
    # sshd re-executes itself on SIGHUP, same pid, new configuration.
    deadline = time.monotonic() + 10
    while True:
        wait_for_banner("127.0.0.1", server.port, timeout=10)
        run = server.ssh()
        if run.ok or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert run.ok, run.log[-1500:]
    assert proc.poll() is None, "reloaded, not restarted"
    assert server.ssh(*OLD_CLIENT).ok


def test_no_reload_without_the_flag(server: Server) -> None:
    server.write("\n".join([*RESTRICTIVE, *server.base_lines()]) + "\n")
    server.start()
    result = run_fix(str(server.main), apply=True, timeout=5.0)
    doc = result.as_dict()  # type: ignore[attr-defined]
    assert doc["applied"] is True and doc["reload"]["ran"] is False
    # The running server still has the old configuration: nothing signalled it.
    assert not server.ssh().ok
