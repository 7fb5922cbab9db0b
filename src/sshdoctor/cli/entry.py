"""The console script: the commands that must answer at once (``cli.fast``), else the click command line."""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str] | None = None) -> Any:
    """``sshdoctor``'s entry point."""
    from sshdoctor.cli.fast import try_fast

    args = sys.argv[1:] if argv is None else list(argv)
    code = try_fast(args)
    if code is not None:
        raise SystemExit(code)
    from sshdoctor.cli.main import main as click_main

    return click_main(args)
