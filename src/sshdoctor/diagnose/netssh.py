"""Recognisers for netssh messages (filled in by the interop lab work of issue 12)."""
