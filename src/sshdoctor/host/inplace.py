"""The real ssh run with a configuration file as an edit would leave it, without writing the user's file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sshdoctor.host.examine import ClientSpec
from sshdoctor.local.errors import LocalError
from sshdoctor.local.paths import system_dir
from sshdoctor.local.verify import SshRun, run_ssh_check


def check_in_place(placement: object, path: str | None, host: str, port: int | None, client: ClientSpec,
                   timeout: float) -> SshRun | None:
    """Run the real ssh for ``host`` with a private copy of the file as ``placement`` (an
    ``ApplyResult``) would write it; the user's ``-o`` options are kept, the fix's are not."""
    from sshdoctor.local.sshconfig import ApplyResult

    if not isinstance(placement, ApplyResult):
        return None
    text = placement.new_text
    if path is None:
        # Without -F ssh reads the system file after the user's: so does the copy.
        system = system_dir() / "ssh_config"
        if system.exists():
            text = text.rstrip("\n") + f"\n\nMatch all\nInclude {system}\n"
    with tempfile.TemporaryDirectory(prefix="sshdoctor-place-") as tmp:
        copy = Path(tmp) / "config"
        copy.write_text(text)
        copy.chmod(0o600)
        try:
            return run_ssh_check(host, port=port, config_file=str(copy), extra_options=list(client.options),
                                 timeout=max(timeout, 5.0))
        except LocalError:
            return None
