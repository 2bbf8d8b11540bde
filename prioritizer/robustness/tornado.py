"""Tornado: one category weight at a time swung from ``w·(1 − swing)`` to ``w·(1 + swing)`` (others
unchanged, then renormalised): the score and rank range per partner, overall and within command."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prioritizer.errors import InputError
from prioritizer.robustness.draws import base_shares
from prioritizer.robustness.ranks import rank_rows, ranked_mask
from prioritizer.scoring.score import ScoreResult, propensity_for_weights
from prioritizer.scoring.settings import WeightProfile


def tornado(result: ScoreResult, profile: WeightProfile, swing: float = 0.5, points: int = 11) -> pd.DataFrame:
    """One-way sensitivity: each category weight with w > 0 swung over [w·(1 − swing), w·(1 + swing)].

    The other weights are unchanged before renormalising. ``points`` weights are scored along the swing
    (including both ends); the ranges are over all of them and the profile itself. Long frame, one row
    per partner × category: share_base/low/high (the category's share of the total), score_base,
    score_at_low, score_at_high, score_low, score_high, score_range (0–100), rank_base, rank_at_low,
    rank_at_high, rank_best, rank_worst, rank_in_command_best, rank_in_command_worst (1 = best).
    """
    if isinstance(swing, bool) or not isinstance(swing, int | float) or not 0 < swing <= 1:
        raise InputError(f"must be in (0, 1] (got {swing!r})", key="tornado_swing")
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"must be a whole number ≥ 2 (got {points!r})", key="tornado_points")
    category_ids = list(result.categories.columns)
    w0 = base_shares(profile, category_ids)
    swung = [k for k in range(len(w0)) if w0[k] > 0]
    factors = np.linspace(1.0 - swing, 1.0 + swing, points)
    rows = [w0]
    for k in swung:
        for f in factors:
            w = w0.copy()
            w[k] *= f
            rows.append(w / w.sum() if w.sum() > 0 else w0)
    W = np.array(rows)
    scores = result.scores
    ids = scores.index
    prop = propensity_for_weights(result.categories.reindex(ids).to_numpy(float), W, profile.aggregation)
    sidx = np.nonzero(ranked_mask(scores))[0]
    sub = prop[:, sidx]
    ranks = rank_rows(sub)
    cranks = np.empty_like(ranks)
    command = scores["command"].to_numpy()[sidx]
    for c in pd.unique(command):
        cols = np.nonzero(command == c)[0]
        cranks[:, cols] = rank_rows(sub[:, cols])
    out = []
    for j, k in enumerate(swung):
        block = slice(1 + j * points, 1 + (j + 1) * points)
        s, r, cr = sub[block], ranks[block], cranks[block]
        frame = pd.DataFrame({
            "partner_id": ids[sidx], "name": scores["name"].to_numpy()[sidx], "command": command,
            "category": category_ids[k], "share_base": w0[k], "share_low": W[block][0, k],
            "share_high": W[block][-1, k], "score_base": sub[0], "score_at_low": s[0], "score_at_high": s[-1],
            "score_low": np.minimum(s.min(axis=0), sub[0]), "score_high": np.maximum(s.max(axis=0), sub[0]),
            "rank_base": ranks[0], "rank_at_low": r[0], "rank_at_high": r[-1],
            "rank_best": np.minimum(r.min(axis=0), ranks[0]), "rank_worst": np.maximum(r.max(axis=0), ranks[0]),
            "rank_in_command_best": np.minimum(cr.min(axis=0), cranks[0]),
            "rank_in_command_worst": np.maximum(cr.max(axis=0), cranks[0]),
        })
        frame["score_range"] = frame["score_high"] - frame["score_low"]
        out.append(frame)
    columns = ["partner_id", "name", "command", "category", "share_base", "share_low", "share_high", "score_base",
               "score_at_low", "score_at_high", "score_low", "score_high", "score_range", "rank_base",
               "rank_at_low", "rank_at_high", "rank_best", "rank_worst", "rank_in_command_best",
               "rank_in_command_worst"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]
