"""The capture of the local ssh's proposal, both ways: FIFOs (POSIX) and the loopback
socket with a Python relay (the portable way, Windows' only one), forced here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from sshdoctor.local.capture import capture_proposal, use_socket


def _capture(monkeypatch: pytest.MonkeyPatch, mode: str, host: str, config: str, ident: str) -> tuple[str, Any]:
    monkeypatch.setenv("SSHDOCTOR_CAPTURE", mode)
    assert use_socket() is (mode == "socket")
    return asyncio.run(capture_proposal(host, ident, config_file=config, timeout=10))


@pytest.mark.parametrize("extra", [
    "",
    # A user whose config hands ssh a connected descriptor, or runs a remote command: the capture neutralises both.
    "Host *\n    ProxyCommand /bin/false %h %p\n    ProxyUseFdpass yes\n",
    "Host *\n    RemoteCommand uptime\n",
    "Host legacy\n    HostName 127.0.0.9\n    Port 2022\n    KexAlgorithms +diffie-hellman-group1-sha1\n",
])
def test_both_mechanisms_record_the_same_proposal(extra: str, client_config: Callable[[str], str],
                                                  monkeypatch: pytest.MonkeyPatch, ssh_binary: str) -> None:
    config = client_config(extra)
    ident = "SSH-2.0-OpenSSH_9.6"
    fifo = _capture(monkeypatch, "fifo", "legacy", config, ident)
    sock = _capture(monkeypatch, "socket", "legacy", config, ident)
    assert fifo[0] == sock[0] and fifo[0].startswith("SSH-2.0-OpenSSH_")
    assert fifo[1].offer_dict() == sock[1].offer_dict()
    if "group1" in extra:
        assert "diffie-hellman-group1-sha1" in sock[1].kex


def test_the_portable_path_reports_where_ssh_resolved(client_config: Callable[[str], str],
                                                      monkeypatch: pytest.MonkeyPatch, ssh_binary: str) -> None:
    from sshdoctor.local.capture import ClientCapture

    config = client_config("Host legacy\n    HostName 127.0.0.9\n    Port 2022\n")
    monkeypatch.setenv("SSHDOCTOR_CAPTURE", "socket")

    async def main() -> tuple[str | None, int | None]:
        async with ClientCapture("legacy", config_file=config, timeout=10) as cap:
            return cap.resolved_host, cap.resolved_port

    assert asyncio.run(main()) == ("127.0.0.9", 2022)
