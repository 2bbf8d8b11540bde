"""Compatibility shim: moved to prioritizer.scoring (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.scoring.normalise import Normaliser  # noqa: F401
from prioritizer.scoring.normalise import Z_CLIP  # noqa: F401
from prioritizer.scoring.normalise import apply_transforms  # noqa: F401
