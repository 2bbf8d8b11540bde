"""Robustness: how much rankings and bullish/bearish calls depend on the weights and other judgments."""
# ruff: noqa: I001
# compatibility re-exports, removed by the lead (used by app.py, views.run_robustness, cli_robustness, cli_brief)
from prioritizer.robustness.monte_carlo import RobustnessResult  # noqa: F401
from prioritizer.robustness.monte_carlo import monte_carlo  # noqa: F401
from prioritizer.robustness.settings import METHODS  # noqa: F401
from prioritizer.robustness.settings import RobustnessSettings  # noqa: F401
from prioritizer.robustness.settings import load_settings  # noqa: F401
from prioritizer.robustness.tipping import TippingPoints  # noqa: F401
from prioritizer.robustness.tipping import tipping_points  # noqa: F401
from prioritizer.robustness.tornado import tornado  # noqa: F401
