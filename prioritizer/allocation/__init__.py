"""Allocation stage: settings, partner value, LP inputs, model, solve, diagnosis, frontier, bullish/bearish calls."""
