"""Compatibility shim: moved to prioritizer.report.deck (removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.report.deck import BriefInputs  # noqa: F401
from prioritizer.report.deck import build_deck  # noqa: F401
