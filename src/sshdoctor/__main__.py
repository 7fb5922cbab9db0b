"""Allows ``python -m sshdoctor``."""

from sshdoctor.cli.main import main

if __name__ == "__main__":
    main()
