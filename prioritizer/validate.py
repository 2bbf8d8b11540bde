"""Compatibility shim: moved to prioritizer.validation (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.validation.backtest import BacktestResult  # noqa: F401
from prioritizer.validation.backtest import backtest  # noqa: F401
from prioritizer.validation.settings import ValidationSettings  # noqa: F401
from prioritizer.validation.settings import load_settings  # noqa: F401
