"""Recognisers for sshj messages (filled in by the interop lab work of issue 12)."""
