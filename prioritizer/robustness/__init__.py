"""Robustness: how much rankings and bullish/bearish calls depend on the weights and other judgments."""
# ruff: noqa: I001
# compatibility re-exports, removed by the lead (used by app.py, views.run_robustness, cli_robustness, cli_brief)
