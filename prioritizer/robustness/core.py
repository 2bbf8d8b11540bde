"""Allocation under uncertainty: the allocation LP re-solved on the Monte Carlo's first ``lp_draws`` draws.

Each re-solve takes the draw's propensities (and, when switched on, a priority shift, mechanism-effect
multipliers and a benefit-curve scale) through the allocation's own value formula, LP and bullish/bearish
rule (:class:`prioritizer.robustness.lp.AllocationCalls`). From those solves: the probability of being in
the command's bullish / bearish ``bullish_n`` and the robust core — funded in ≥ ``core_threshold`` of the
draws (*core*), in some (*borderline*), in none (*exterior*); optionally also without floors.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.errors import InfeasibleError, InputError
from prioritizer.robustness.lp import AllocationCalls, without_floors
from prioritizer.robustness.settings import RobustnessSettings

CORE, BORDERLINE, EXTERIOR = "core", "borderline", "exterior"


def allocation_positions(calls: AllocationCalls, ids: pd.Index) -> np.ndarray:
    """Position of each scored partner in the allocation inputs (InputError if one is missing)."""
    pos = calls.ids.get_indexer(ids)
    if (pos < 0).any():
        raise InputError(f"partner '{ids[pos < 0][0]}' is scored but not in the allocation inputs",
                         key="allocation_inputs")
    return pos


def call_text(bullish: np.ndarray, bearish: np.ndarray) -> np.ndarray:
    """'bullish' / 'bearish' / '' per partner from the two membership masks."""
    return np.where(bullish, "bullish", np.where(bearish, "bearish", ""))


def lp_summary(ids: pd.Index, lp_prop: np.ndarray, allocation_inputs: Any, allocation_settings: Any,
               budget_usd_m: float | None, settings: RobustnessSettings, rng: np.random.Generator) -> dict[str, Any]:
    """Re-solve the allocation on the LP draws (``lp_prop``: draws × scored partners, propensity 0–100), with
    priority, mechanism-effect and curve-scale draws when switched on: p_bullish, p_bearish, funded_share,
    core_class (and the same core without floors), a log and the budget (US$ M)."""
    t1 = time.perf_counter()
    lp_n, P = lp_prop.shape
    calls = AllocationCalls(allocation_inputs, allocation_settings, budget_usd_m, n=settings.bullish_n)
    pos = allocation_positions(calls, ids)
    free = (AllocationCalls(allocation_inputs, without_floors(allocation_settings), calls.budget, n=settings.bullish_n)
            if settings.core_without_floors else None)
    k, r, c = settings.priority_shift, settings.mechanism_effect_range, settings.curve_scale_range
    n_all, n_mech = len(calls.ids), len(calls.mech_ids)
    # shifted priorities go through the allocation's value formula, which holds priority to 1–5
    prio = calls.priority[None, :] + rng.integers(-k, k + 1, size=(lp_n, n_all)) if k else None
    effect = 1.0 + rng.uniform(-r, r, size=(lp_n, n_mech)) if r else None
    scale = 1.0 + rng.uniform(-c, c, size=lp_n) if c else None
    base = calls.calls(calls.inputs.partners["value"].to_numpy(float))
    bull, bear, funded, funded_free = np.zeros(P), np.zeros(P), np.zeros(P), np.zeros(P)
    solved = failed = 0
    for i in range(lp_n):
        v_prop = np.full(n_all, np.nan)
        v_prop[pos] = lp_prop[i]
        v = calls.value(v_prop, priority=None if prio is None else prio[i])
        e = None if effect is None else effect[i]
        s = None if scale is None else float(scale[i])
        try:
            one = calls.calls(v, e, s)
            two = free.calls(v, e, s) if free is not None else None
        except InfeasibleError:
            if s is None:  # without a curve-scale draw the constraints are those checked up front
                raise
            failed += 1  # a smaller curve scale can leave floors above what the curves absorb
            continue
        solved += 1
        bull += one.bullish[pos]
        bear += one.bearish[pos]
        funded += one.allocation[pos] > settings.funded_tolerance_usd_m
        if two is not None:
            funded_free += two.allocation[pos] > settings.funded_tolerance_usd_m
    if not solved:
        raise InfeasibleError([f"all {lp_n} allocation re-solves were infeasible under the curve-scale draws "
                               f"(curve_scale_range {c:g}); lower it"])

    def core(share: np.ndarray) -> np.ndarray:
        return np.where(share >= settings.core_threshold - 1e-12, CORE, np.where(share > 0, BORDERLINE, EXTERIOR))

    cols: dict[str, Any] = {
        "base_call": call_text(base.bullish[pos], base.bearish[pos]),
        "p_bullish": bull / solved, "p_bearish": bear / solved, "funded_share": funded / solved,
        "core_class": core(funded / solved)}
    if free is not None:
        cols["funded_share_no_floors"] = funded_free / solved
        cols["core_class_no_floors"] = core(funded_free / solved)
    sources = [f"priority ±{k} (uniform integer shift, clipped to 1–5)" if k else "",
               f"mechanism effects × U(1 − {r:g}, 1 + {r:g}) each" if r else "",
               f"benefit-curve scale S_p × U(1 − {c:g}, 1 + {c:g}) (one factor per draw)" if c else ""]
    sources = [x for x in sources if x]
    log = [f"allocation re-solved on the first {lp_n:,} draws (budget ${calls.budget:,.1f} M, {calls.solver}, "
           f"{time.perf_counter() - t1:.2f} s): p_bullish / p_bearish per command's {settings.bullish_n}, core = "
           f"funded (> ${settings.funded_tolerance_usd_m:g} M) in ≥ {settings.core_threshold:.0%} of them"
           + (f"; also drawn per re-solve: {'; '.join(sources)}" if sources else "")]
    if free is not None:
        log.append("robust core also without floors: command floors, partner floors and max-cut limits removed "
                   "(locks, caps, pools and the budget kept)")
    if failed:
        log.append(f"{failed} of {lp_n} re-solves infeasible under their curve-scale draw (floors above what the "
                   f"smaller curves absorb): left out, shares are of the {solved} solved")
    return {"columns": cols, "log": log, "budget": calls.budget}
