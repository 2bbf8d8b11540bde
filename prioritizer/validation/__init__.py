"""Validation: the back-test of the propensity score against later outcomes (settings, backtest)."""
