"""Security verdicts and policies over proposals, host keys, versions and configuration files (no I/O)."""
