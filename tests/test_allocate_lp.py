"""The allocation LP against the test oracles (tests/lp_oracle.py: an independent scipy formulation, and the
same structure in PuLP + CBC), and its properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lp_oracle import independent_optimum, pulp_optimum, random_instance

from prioritizer.allocation.frontier import frontier
from prioritizer.allocation.inputs import AllocationInputs, build_inputs
from prioritizer.allocation.model import _structure, partner_bounds
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.settings_file import settings_from_dict
from prioritizer.allocation.solve import AllocationResult, allocate, resolve_allocation
from prioritizer.errors import InfeasibleError


def solve_ours(scores, raw, funding, cfg, budget, solver="auto"):
    settings_ = settings_from_dict(cfg)
    inputs = build_inputs(scores, raw, funding, settings_)
    return inputs, settings_, allocate(inputs, settings_, budget, solver=solver)


def test_optimum_matches_independent_scipy_formulation_on_random_instances():
    compared = agreed_infeasible = 0
    for seed in range(80):
        scores, raw, funding, cfg, budget = random_instance(seed)
        expected = independent_optimum(scores, raw, funding, cfg, budget)
        try:
            _, _, res = solve_ours(scores, raw, funding, cfg, budget)
        except InfeasibleError as exc:
            assert expected is None, f"seed {seed}: we said infeasible ({exc}) but scipy found {expected}"
            assert exc.diagnosis
            agreed_infeasible += 1
            continue
        assert expected is not None, f"seed {seed}: scipy says infeasible, we found {res.total_benefit}"
        assert res.total_benefit == pytest.approx(expected, abs=1e-6, rel=1e-9), f"seed {seed}"
        compared += 1
    assert compared >= 50, (compared, agreed_infeasible)


def test_simplex_and_ipm_agree_with_pulp_and_cbc_on_objective_and_budget_dual():
    compared = 0
    for seed in range(8):
        scores, raw, funding, cfg, budget = random_instance(seed, n=6)
        try:
            inputs, settings_, simplex = solve_ours(scores, raw, funding, cfg, budget, "simplex")
        except InfeasibleError:
            continue
        *_, ipm = solve_ours(scores, raw, funding, cfg, budget, "ipm")
        st_ = _structure(inputs, settings_)
        expected = pulp_optimum(st_, inputs.partners["value"].to_numpy(float), budget)
        assert expected is not None, f"seed {seed}: CBC found no optimum"
        objective, dual = expected
        for res in (simplex, ipm):
            assert res.solver == "HiGHS (highspy)" and res.status == "Optimal"
            assert res.net_benefit == pytest.approx(objective, rel=1e-6, abs=1e-6), f"seed {seed}"
        if simplex.budget_dual > 1e-6:  # a degenerate budget row may carry any dual in [0, …]
            assert dual == pytest.approx(simplex.budget_dual, abs=1e-5), f"seed {seed}"
        compared += 1
    assert compared >= 3


def test_frontier_matches_allocate_at_each_level():
    for seed in (3, 11):
        scores, raw, funding, cfg, _ = random_instance(seed, n=8)
        settings_ = settings_from_dict(cfg)
        inputs = build_inputs(scores, raw, funding, settings_)
        table = frontier(inputs, settings_, levels=6, low_pct=30, high_pct=150)
        assert (table["status"] == "Optimal").any()
        for row in table[table["status"] == "Optimal"].itertuples():
            res = allocate(inputs, settings_, row.budget_usd_m)
            assert row.total_benefit == pytest.approx(res.total_benefit, abs=1e-6, rel=1e-9)
            assert row.budget_dual == pytest.approx(res.budget_dual, abs=1e-6)


def test_resolve_with_new_values_matches_a_full_pulp_solve():
    """Random continuous values make the optimum unique (almost surely), so allocations must agree."""
    rng = np.random.default_rng(7)
    for seed in (1, 4, 9):
        scores, raw, funding, cfg, budget = random_instance(seed, n=9)
        settings_ = settings_from_dict(cfg)
        inputs = build_inputs(scores, raw, funding, settings_)
        try:
            allocate(inputs, settings_, budget)
        except InfeasibleError:
            continue
        new_value = pd.Series(rng.uniform(0.05, 1.0, len(scores)), index=scores.index)
        fast = resolve_allocation(inputs, settings_, budget, new_value)
        changed = AllocationInputs(inputs.partners.assign(value=new_value), inputs.eligible,
                                      inputs.baseline_by_mechanism, inputs.flags)
        full = allocate(changed, settings_, budget).partners["allocation_usd_m"]
        np.testing.assert_allclose(fast.reindex(full.index), full, atol=1e-5)


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------


def check_feasible(inputs: AllocationInputs, s: AllocationSettings, res: AllocationResult,
                   budget: float) -> None:
    """Every constraint of the settings holds in the reported allocation."""
    tol = 1e-6
    p, m = res.partners, res.mechanisms
    assert (m["allocation_usd_m"] >= 0).all()
    assert p["allocation_usd_m"].sum() <= budget + tol * max(1, budget)
    bounds = partner_bounds(inputs, s)
    alloc = p["allocation_usd_m"]
    # a minimum above what the partner can absorb (curve ceilings) is lowered to that
    capacity = pd.Series(_structure(inputs, s).capacity, index=bounds.index)
    lower = np.minimum(bounds["lower_usd_m"], np.maximum(np.minimum(capacity, bounds["upper_usd_m"]),
                                                          bounds["locked_usd_m"]))
    assert (alloc >= lower - tol).all()
    assert (alloc <= bounds["upper_usd_m"] + tol).all()
    for c in s.commands:
        total = alloc[p["command"] == c.command].sum()
        assert total >= c.floor_usd_m - tol
        if c.cap_usd_m is not None:
            assert total <= c.cap_usd_m + tol
    # eligibility: nothing on an ineligible mechanism; non-state partners get no FMF
    assert (m.loc[~m["eligible"].astype(bool), "allocation_usd_m"] == 0).all()
    ns = p.index[p["partner_type"] == "non-state"]
    assert (m[m["partner_id"].isin(ns) & (m["mechanism"] == "fmf")]["allocation_usd_m"] == 0).all()
    gate = inputs.partners.index[inputs.eligible.get("train_equip", pd.Series(True, index=p.index)) == False]  # noqa: E712
    assert (m[m["partner_id"].isin(gate) & (m["mechanism"] == "train_equip")]["allocation_usd_m"] == 0).all()
    for pool in s.pools:
        total = m.loc[m["mechanism"] == pool.mechanism, "allocation_usd_m"].sum()
        assert total >= pool.min_usd_m - tol
        if pool.max_usd_m is not None:
            assert total <= pool.max_usd_m + tol
    cell = m.set_index(["partner_id", "mechanism"])["allocation_usd_m"]
    for lock in s.locks:
        assert cell[(lock.partner_id, lock.mechanism)] == pytest.approx(lock.amount_usd_m, abs=1e-6)
    # nothing above the curve ceiling except a lock
    scale = m["partner_id"].map(inputs.partners["scale_usd_m"])
    locked = {(lk.partner_id, lk.mechanism) for lk in s.locks}
    free = [k not in locked for k in zip(m["partner_id"], m["mechanism"], strict=True)]
    assert (m.loc[free, "allocation_usd_m"] <= scale[free] * s.u_max + 1e-6).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), budget_factor=st.floats(0.2, 2.5), extra=st.floats(0.5, 80.0))
def test_constraints_hold_and_more_budget_never_less_benefit(seed, budget_factor, extra):
    scores, raw, funding, cfg, _ = random_instance(seed)
    base = max(float(funding["baseline_usd_m"].sum()), 20.0)
    budget = base * budget_factor
    s = settings_from_dict(cfg)
    inputs = build_inputs(scores, raw, funding, s)
    expected = independent_optimum(scores, raw, funding, cfg, budget)
    try:
        res = allocate(inputs, s, budget)
    except InfeasibleError as exc:
        assert expected is None and exc.diagnosis
        return
    assert expected is not None
    check_feasible(inputs, s, res, budget)
    more = allocate(inputs, s, budget + extra)  # a feasible budget stays feasible with more money
    check_feasible(inputs, s, more, budget + extra)
    assert more.total_benefit >= res.total_benefit - 1e-7 * max(1.0, res.total_benefit)
    assert res.budget_dual >= -1e-9


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_frontier_is_monotone_and_keeps_infeasible_levels(seed):
    scores, raw, funding, cfg, _ = random_instance(seed)
    cfg["commands"] = {"AFRICOM": {"floor_usd_m": 10.0}}
    s = settings_from_dict(cfg)
    inputs = build_inputs(scores, raw, funding, s)
    if inputs.baseline_total_usd_m <= 0:
        return
    table = frontier(inputs, s, levels=20, low_pct=0, high_pct=200)
    assert len(table) == 20  # infeasible levels are rows, not dropped
    assert table["budget_usd_m"].is_monotonic_increasing
    ok = table[table["status"] == "Optimal"]
    assert (np.diff(ok["total_benefit"].to_numpy()) >= -1e-7 * max(1.0, ok["total_benefit"].max())).all()
    bad = table[table["status"] != "Optimal"]
    assert bad["total_benefit"].isna().all() and (bad["note"].str.len() > 0).all()
    if len(ok) and len(bad):
        # feasibility is monotone too: every infeasible level lies below every feasible one
        assert bad["budget_usd_m"].max() < ok["budget_usd_m"].min()
