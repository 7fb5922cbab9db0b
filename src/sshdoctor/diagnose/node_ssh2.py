"""Recognisers for node_ssh2 messages (filled in by the interop lab work of issue 12)."""
