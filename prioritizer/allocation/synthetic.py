"""Synthetic partners in the input contract of :func:`prioritizer.allocation.inputs.build_inputs` (not real
data: for tests, benchmarks and demos)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prioritizer.domain import CATEGORIES, COMMANDS


def synthetic_tables(n_partners: int, seed: int = 0, non_state_share: float = 0.05
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Random but plausible ``(scores, raw, funding)`` tables in the input contract of :func:`build_inputs`.

    Not real data: for tests and benchmarks only. About 60 % of partners have baseline funding.
    """
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(n_partners)]
    non_state = rng.random(n_partners) < non_state_share
    scores = pd.DataFrame({
        "name": [f"Partner {i}" for i in range(n_partners)],
        "command": rng.choice(COMMANDS, n_partners),
        "partner_type": np.where(non_state, "non-state", "state"),
        "propensity": rng.uniform(10, 95, n_partners).round(1),
        "priority": rng.integers(1, 6, n_partners).astype(float),
    }, index=pd.Index(ids, name="partner_id"))
    for cat in CATEGORIES:
        scores[f"{cat}_score"] = rng.uniform(5, 95, n_partners).round(1)
    milex = np.exp(rng.normal(7.0, 1.8, n_partners))  # US$ M, median ~ 1.1 bn
    milex[rng.random(n_partners) < 0.08] = np.nan
    pts = rng.integers(1, 6, n_partners).astype(float)
    pts[rng.random(n_partners) < 0.05] = np.nan
    raw = pd.DataFrame({"sipri_milex_usd_m": milex, "pts_mean": pts}, index=scores.index)
    funded = rng.random(n_partners) < 0.6
    scale = np.nan_to_num(np.clip(0.05 * milex, 5.0, 600.0), nan=5.0)
    baseline = np.where(funded, scale * rng.uniform(0.1, 2.5, n_partners), 0.0).round(3)
    funding = pd.DataFrame({"baseline_usd_m": baseline}, index=scores.index)
    return scores, raw, funding
