"""Renderers: the same objects as terminal text, JSON, CSV or HTML."""
