"""Compatibility shim: moved to prioritizer.allocation.bullbear (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.allocation.bullbear import COLUMNS  # noqa: F401
from prioritizer.allocation.bullbear import bullish_bearish  # noqa: F401
from prioritizer.allocation.bullbear import offsets  # noqa: F401
from prioritizer.allocation.bullbear import shortfall  # noqa: F401
from prioritizer.domain import CATEGORY_LABELS  # noqa: F401
