"""Erlang/OTP's ssh application (Debian 12: OTP 25, ssh 4.15.2), client and server.

``interop/erlang/install.sh`` compiles the harness modules of ``interop/erlang``
into ``$SSHDOCTOR_LAB_PREFIX/erlang/ebin``; ``erl`` runs them. The client takes
every port in one run (the VM is slow to start).
"""

from __future__ import annotations

from tests.interop.harness import LabClient, LabServer, prefix

EBIN = prefix("erlang") / "ebin"
ERL = "/usr/bin/erl"


def _run(module: str) -> tuple[str, ...]:
    return (ERL, "-noshell", "-pa", str(EBIN), "-run", module, "main")


def clients() -> list[LabClient]:
    """ssh:connect with the ssh application's defaults."""
    return [LabClient("erlang-ssh", "4.15.2", _run("sshdoctor_erl_client"), profile="erlang-ssh-4.15.2-debian12",
                      reported_by="erlang-ssh", variant="otp25-debian12", batch=True,
                      needs=(str(EBIN / "sshdoctor_erl_client.beam"),))]


def servers() -> list[LabServer]:
    """ssh:daemon with the ssh application's defaults."""
    return [LabServer("erlang-ssh", "4.15.2", "erlang-ssh-4.15.2-debian12", argv=_run("sshdoctor_erl_server"),
                      variant="otp25-debian12", needs=(str(EBIN / "sshdoctor_erl_server.beam"),))]
