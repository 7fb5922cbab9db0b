"""The HTML report as a person sees it: rendered by headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from sshdoctor.lab.dropbear import Dropbear
from sshdoctor.lab.ports import free_port
from sshdoctor.lab.sshd import Sshd
from tests.conftest import need

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Page(HTMLParser):
    """Text by element id, rows by class, cells of the heat map."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str]] = []
        self.text_by_id: dict[str, str] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.heat_cells: list[tuple[str, str]] = []
        self.sources: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        self.stack.append({"tag": tag, **attr})
        for key in ("src", "href"):
            if attr.get(key):
                self.sources.append(attr[key])
        if tag == "tr" and attr.get("class"):
            self.rows.setdefault(attr["class"].split()[0], []).append(attr)
        if tag == "td" and "cell" in attr.get("class", "").split():
            self._cell = [attr["class"], ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.heat_cells.append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        for item in self.stack:
            if "id" in item:
                self.text_by_id[item["id"]] = self.text_by_id.get(item["id"], "") + data
        if self._cell is not None:
            self._cell[1] += data


def test_html_report_in_headless_chromium(
    sshd: Callable[..., Sshd], dropbear: Callable[..., Dropbear], client_config: Callable[[str], str],
    run_cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    need(chromium, "chromium (apt-get install chromium)")
    assert chromium is not None
    servers = [sshd(), sshd(kex=["diffie-hellman-group14-sha1"], ciphers=["aes128-cbc"]), dropbear()]
    page_path = tmp_path / "report.html"
    targets = [s.target for s in servers] + [f"127.0.0.1:{free_port()}"]
    proc = run_cli("scan", *targets, "-F", client_config(""), "--no-history", "--profiles", "openssh-7.4,openssh-10.0",
                   "--html", str(page_path))
    assert proc.returncode == 1, proc.stderr
    raw = page_path.read_text()
    assert "<script src" not in raw and "<link" not in raw  # self-contained
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--dump-dom", page_path.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = _Page()
    page.feed(dom.stdout)
    numbers = {key: re.sub(r"\D.*", "", page.text_by_id[f"count-{key}"].strip()) for key in
               ("total", "ok", "fails", "unreachable")}
    assert numbers == {"total": "4", "ok": "2", "fails": "1", "unreachable": "1"}
    assert page.text_by_id["shown-count"].strip() == "4 shown"  # written by the page's script: it ran
    host_rows = page.rows["host-row"]
    assert sorted(r["data-status"] for r in host_rows) == ["fails", "ok", "ok", "unreachable"]
    legacy = next(r for r in host_rows if r["data-status"] == "fails")
    assert "diffie-hellman-group14-sha1" in legacy["data-text"] and str(servers[1].port) in legacy["data-text"]
    # Heat map: the 3 reachable hosts × (local ssh + 2 profiles); the unreachable one does not fill it with "–".
    assert len(page.heat_cells) == 9
    classes = [c for c, _ in page.heat_cells]
    assert classes.count("cell ok") == 2 * 3 + 1  # modern hosts everywhere, the legacy one for OpenSSH 7.4
    assert classes.count("cell fail") == 2 and ("cell fail", "✘ kex") in page.heat_cells
    assert classes.count("cell na") == 0
    # Grades are coloured; the one-off command is the runnable form (-p PORT, never [host]:port).
    assert re.search(r'class="grade grade-[a-f]"', raw)
    assert f"-p {servers[1].port} 127.0.0.1" in raw and f"[127.0.0.1]:{servers[1].port}</code>" not in raw
    assert "KexAlgorithms +diffie-hellman-group14-sha1" in page.text_by_id["fragment"]
    assert not [s for s in page.sources if s.startswith(("http:", "https:", "//"))]
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, "--window-size=1280,1600", f"--screenshot={shot}", page_path.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000
