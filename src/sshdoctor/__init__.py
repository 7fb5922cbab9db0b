"""sshdoctor: explains and fixes SSH connection failures."""

__version__ = "0.1.0"
