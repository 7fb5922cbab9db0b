"""Allows ``python -m sshdoctor``."""

from sshdoctor.cli.entry import main

if __name__ == "__main__":
    main()
