"""What ``fix --server`` prints is complete: applied by hand, it works.

The plan is printed (a terminal 80 columns wide, and ``--json``), nothing
is written; then the printed lines and commands are applied by hand to the
configuration, exactly as shown: ``sshd -t`` accepts it, ``sshd -T`` shows
the new lines in effect, and a fresh sshd from those files lets the real
ssh in (and the old client too).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sshdoctor.cli.fix_server import fix_server_main
from sshdoctor.local.sshd import check_config, dump
from tests.serverfix.conftest import OLD_CLIENT, RESTRICTIVE, Server

FixJson = Callable[..., tuple[int, dict[str, object]]]
_RELOADERS = {"service", "systemctl", "rc-service", "kill"}


@dataclass
class Step:
    kind: str  # replace | insert | create | command
    file: str | None = None
    line: int | None = None
    lines: list[str] = field(default_factory=list)


def from_terminal(out: str) -> list[Step]:
    """The steps as a person reads them: a numbered header, then the copyable lines at column 0."""
    steps: list[Step] = []
    current: Step | None = None
    for text in out.splitlines():
        if m := re.match(r"^\d+\. (.*)$", text):
            header = m[1]
            if r := re.match(r"Replace line (\d+) of (\S+) with the line below$", header):
                current = Step("replace", r[2], int(r[1]))
            elif r := re.match(r"Create (\S+) with these lines$", header):
                current = Step("create", r[1], 1)
            elif r := re.match(r"Add these lines to (\S+), (before line (\d+)|at the end)$", header):
                current = Step("insert", r[1], int(r[3]) if r[3] else None)
            else:
                current = Step("command")
            steps.append(current)
        elif not text.strip():
            current = None
        elif current is not None and not text.startswith(" "):
            current.lines.append(text)
    return steps


def from_json(actions: list[dict[str, object]]) -> list[Step]:
    steps: list[Step] = []
    for action in actions:
        text = str(action["text"]).splitlines()
        if action["kind"] == "command":
            steps.append(Step("command", lines=text))
        elif action["kind"] == "sshd_config":
            line = action["line"]
            steps.append(Step(str(action["op"]), str(action["file"]), int(line) if isinstance(line, int) else None,
                              text))
    return steps


def apply_by_hand(steps: list[Step]) -> None:
    """Run the commands (not the reload: this machine's sshd is not the test's) and edit the files."""
    by_file: dict[str, list[Step]] = {}
    for step in steps:
        if step.kind == "command":
            [command] = step.lines
            argv = shlex.split(command)
            if argv[0] in _RELOADERS or argv[0].startswith("update-crypto-policies") or argv[:2] == ["sshd", "-t"]:
                continue
            if "-t" in argv and argv[0].endswith("sshd"):
                continue  # sshd -t runs below, after the edits
            subprocess.run(argv, check=True, capture_output=True, stdin=subprocess.DEVNULL)
        else:
            assert step.file is not None
            by_file.setdefault(step.file, []).append(step)
    for name, edits in by_file.items():
        path = Path(name)
        if any(e.kind == "create" for e in edits):
            assert not path.exists()
            path.write_text("".join(f"{t}\n" for e in edits for t in e.lines))
            continue
        lines = path.read_text().splitlines(keepends=True)
        # Line numbers name the file as it was: edit from the bottom up.
        for edit in sorted(edits, key=lambda e: -(e.line or len(lines) + 1)):
            at = (edit.line or len(lines) + 1) - 1
            new = [f"{t}\n" for t in edit.lines]
            if edit.kind == "replace":
                lines[at:at + 1] = new
            else:
                lines[at:at] = new
        path.write_text("".join(lines))


def scenario_main(server: Server) -> list[str]:
    server.write("# production\n" + "\n".join([*RESTRICTIVE, *server.base_lines()]) +
                 "\nMatch User nobody\n    X11Forwarding no\n")
    return OLD_CLIENT


def scenario_dropin_missing_key(server: Server) -> list[str]:
    server.write(f"Include {server.dropins}/*.conf\n" + "\n".join(server.base_lines(("dsa",))) + "\n")
    server.write("KexAlgorithms diffie-hellman-group14-sha1\nHostKeyAlgorithms ssh-dss\n",
                 server.dropins / "10-legacy.conf")
    return ["KexAlgorithms=diffie-hellman-group14-sha1", "HostKeyAlgorithms=ssh-dss"]


SCENARIOS = {"main": scenario_main, "dropin-missing-key": scenario_dropin_missing_key}


def check_by_hand_result(server: Server, steps: list[Step], old_client: list[str]) -> None:
    assert check_config(server.main).ok, check_config(server.main).message
    effective = dump(server.main)
    for step in steps:
        for text in step.lines:
            if step.kind == "command" or text.startswith("#") or not text.strip():
                continue
            keyword, _, value = text.partition(" ")
            if keyword == "HostKey":
                assert value in effective.all("hostkey")
            else:
                assert effective.first(keyword.lower()) == value.split("#")[0].strip(), text
    server.start()
    assert server.ssh().ok
    assert server.ssh(*old_client).ok


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_terminal_lines_at_80_columns(server: Server, name: str, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch, fix_json: FixJson) -> None:
    old_client = SCENARIOS[name](server)
    before = server.snapshot()
    _, doc = fix_json(server.main)
    monkeypatch.setenv("COLUMNS", "80")
    code = fix_server_main(str(server.main), None, None, None, None, False, False, False, 5.0)
    out = capsys.readouterr().out
    assert code == 0
    assert server.snapshot() == before, "without --apply nothing is written"
    steps = from_terminal(out)
    # The terminal shows exactly what the JSON holds (the two runs differ only in the time written
    # into the header comment), every line whole although wider than 80 columns.
    def same(lines: list[str]) -> list[str]:
        return [re.sub(r"^# Written by sshdoctor on [^:]+:\d\d:\d\d:", "# Written by sshdoctor:", t) for t in lines]

    assert [same(s.lines) for s in steps] == [same(s.lines) for s in from_json(doc["actions"])]  # type: ignore[arg-type]
    assert any(len(line) > 80 for s in steps for line in s.lines)
    apply_by_hand(steps)
    check_by_hand_result(server, steps, old_client)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_json_actions(server: Server, name: str, fix_json: FixJson) -> None:
    old_client = SCENARIOS[name](server)
    before = server.snapshot()
    code, doc = fix_json(server.main)
    assert server.snapshot() == before
    actions = doc["actions"]
    assert isinstance(actions, list) and all(a["side"] == "server" for a in actions)
    edits = [a for a in actions if a["kind"] == "sshd_config"]
    assert edits and all(a["file"] and a["placement"] for a in edits)
    assert all(a["replaces"] for a in edits if a["op"] == "replace")
    assert any(a["kind"] == "command" and a["title"].startswith("Reload") for a in actions)
    # Proved on a trial sshd without writing (a key to generate is made in a private directory for it).
    assert code == 0 and doc["proof"]["ok"] is True  # type: ignore[index]
    assert all(a.get("verified") for a in edits)
    if name == "dropin-missing-key":
        assert actions[0]["argv"][0] == "ssh-keygen"
        assert not list(server.root.glob("ssh_host_ed25519_key*"))
    steps = from_json(actions)
    apply_by_hand(steps)
    check_by_hand_result(server, steps, old_client)
