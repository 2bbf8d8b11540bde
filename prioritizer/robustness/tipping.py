"""Tipping points: per partner, the smallest change of one category's *share* (absolute, on a grid of
``tipping_grid_step`` up to ``± tipping_max``; the other shares scaled to keep the sum 1) that moves it into
or out of its command's bullish or bearish list. The true tipping point lies within one grid step below
the reported change. Each grid point is one warm re-solve of the allocation's own LP and rule
(:class:`prioritizer.robustness.lp.AllocationCalls`)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.robustness.core import allocation_positions, call_text
from prioritizer.robustness.draws import base_shares
from prioritizer.robustness.lp import AllocationCalls
from prioritizer.robustness.settings import RobustnessSettings
from prioritizer.scoring.score import ScoreResult, propensity_for_weights
from prioritizer.scoring.settings import WeightProfile


@dataclass
class TippingPoints:
    """Smallest single-category share change that changes a partner's bullish/bearish status.

    ``partners`` (index partner_id): base_call, tip_delta (signed change of the category's share of the
    total weight, e.g. +0.06), tip_category, tip_share (the category's new share), tip_change (e.g.
    "enters bullish", "leaves bearish"; "stable within ±0.50" when nothing changes on the grid).
    ``events``: every first change per partner × category × direction. ``grid``: the weights tried.
    The true tipping point is within one ``step`` below |tip_delta|.
    """

    partners: pd.DataFrame
    events: pd.DataFrame
    grid: pd.DataFrame
    step: float
    max_change: float
    solves: int
    log: list[str] = field(default_factory=list)


def share_grid(w0: np.ndarray, step: float, max_change: float) -> list[tuple[int, float, np.ndarray]]:
    """(category, delta, shares) for delta = ±step, ±2·step, … up to ±max_change on each category's share.

    The other categories keep their proportions and absorb the change; shares stay in [0, 1]. A
    category that holds all the weight cannot change (nothing to trade against) and is skipped.
    """
    out = []
    j_max = int(math.floor(max_change / step + 1e-9))
    for k in range(len(w0)):
        rest = 1.0 - w0[k]
        if rest <= 1e-12:
            continue
        for sign in (-1.0, 1.0):
            for j in range(1, j_max + 1):
                delta = round(sign * j * step, 12)
                new = w0[k] + delta
                if new < -1e-12 or new > 1.0 + 1e-12:
                    break
                new = min(max(new, 0.0), 1.0)
                w = w0 * ((1.0 - new) / rest)
                w[k] = new
                out.append((k, delta, w))
    return out


def tipping_points(result: ScoreResult, profile: WeightProfile, allocation_inputs: Any, allocation_settings: Any,
                   budget_usd_m: float | None = None, settings: RobustnessSettings | None = None,
                   calls: AllocationCalls | None = None) -> TippingPoints:
    """Per partner, the smallest change of one category's share that moves it into or out of its
    command's bullish or bearish list (grid of ``tipping_grid_step`` up to ± ``tipping_max``).

    Every category is tried, also one the profile weights 0 (only upwards). One warm LP re-solve per
    grid point (~6 categories × 2 directions × 25 steps = 300 solves).
    """
    settings = settings or RobustnessSettings()
    t0 = time.perf_counter()
    step, max_change = settings.tipping_grid_step, settings.tipping_max
    category_ids = list(result.categories.columns)
    w0 = base_shares(profile, category_ids)
    grid = share_grid(w0, step, max_change)
    ids = result.scores.index
    calls = calls or AllocationCalls(allocation_inputs, allocation_settings, budget_usd_m, n=settings.bullish_n)
    pos = allocation_positions(calls, ids)
    cats = result.categories.reindex(ids).to_numpy(float)
    W = np.array([w for _, _, w in grid]) if grid else np.zeros((0, len(w0)))
    prop = propensity_for_weights(cats, np.vstack([w0[None, :], W]), profile.aggregation)

    def status(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v_prop = np.full(len(calls.ids), np.nan)
        v_prop[pos] = row
        c = calls.calls(calls.value(v_prop))
        return c.bullish[pos], c.bearish[pos]

    base_bull, base_bear = status(prop[0])
    P = len(ids)
    found = np.zeros((len(category_ids), 2, P), dtype=bool)
    events = []
    for g, (k, delta, w) in enumerate(grid):
        d = 0 if delta < 0 else 1
        bull, bear = status(prop[g + 1])
        changed = ((bull != base_bull) | (bear != base_bear)) & ~found[k, d]
        for i in np.nonzero(changed)[0]:
            parts = []
            if bull[i] != base_bull[i]:
                parts.append("enters bullish" if bull[i] else "leaves bullish")
            if bear[i] != base_bear[i]:
                parts.append("enters bearish" if bear[i] else "leaves bearish")
            events.append((ids[i], category_ids[k], "up" if delta > 0 else "down", delta, w0[k], w[k],
                           " and ".join(parts)))
        found[k, d] |= changed
    ev = pd.DataFrame(events, columns=["partner_id", "category", "direction", "delta", "share_base", "share_new",
                                       "change"])
    frame = pd.DataFrame(index=ids)
    frame["name"] = result.scores["name"]
    frame["command"] = result.scores["command"]
    frame["base_call"] = call_text(base_bull, base_bear)
    frame["tip_delta"] = np.nan
    frame["tip_category"] = ""
    frame["tip_share"] = np.nan
    frame["tip_change"] = f"stable within ±{max_change:.2f}"
    if len(ev):
        ev["_abs"] = ev["delta"].abs()
        ev["_cat"] = ev["category"].map({c: i for i, c in enumerate(category_ids)})
        first = ev.sort_values(["partner_id", "_abs", "_cat", "delta"]).drop_duplicates("partner_id")
        first = first.set_index("partner_id")
        frame.loc[first.index, "tip_delta"] = first["delta"]
        frame.loc[first.index, "tip_category"] = first["category"]
        frame.loc[first.index, "tip_share"] = first["share_new"]
        frame.loc[first.index, "tip_change"] = first["change"]
        ev = ev.drop(columns=["_abs", "_cat"])
    grid_frame = pd.DataFrame(W, columns=category_ids)
    grid_frame.insert(0, "delta", [d for _, d, _ in grid])
    grid_frame.insert(0, "category", [category_ids[k] for k, _, _ in grid])
    log = [f"tipping points: {len(grid)} grid points (step {step:g} of a category's share, up to ±{max_change:g}), "
           f"{len(grid) + 1} LP re-solves ({calls.solver}) in {time.perf_counter() - t0:.2f} s; the true tipping "
           f"point lies within {step:g} below the reported change"]
    return TippingPoints(partners=frame, events=ev, grid=grid_frame, step=step, max_change=max_change,
                         solves=len(grid) + 1, log=log)
