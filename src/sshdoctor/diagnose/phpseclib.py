"""Recognisers for phpseclib messages (filled in by the interop lab work of issue 12)."""
