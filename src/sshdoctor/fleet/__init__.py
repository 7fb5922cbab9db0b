"""Targets, the per-host examination, inventories and the concurrent runner."""
