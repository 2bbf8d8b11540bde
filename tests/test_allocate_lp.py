"""The allocation LP against an independent scipy formulation, and its properties (hypothesis).

``independent_optimum`` re-derives the model from the design (value, scale, curve, eligibility, bounds,
locks, pools, command limits) straight from the tables and the settings mapping, and solves it with
``scipy.optimize.linprog(method="highs")``; it shares no code with ``prioritizer.allocate``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from prioritizer import allocate as al
from prioritizer.errors import InfeasibleError

MECHS = ["education", "institution_building", "exercises", "train_equip", "fmf"]
COMMANDS = ["AFRICOM", "CENTCOM", "EUCOM", "INDOPACOM", "NORTHCOM", "SOUTHCOM"]


# ------------------------------------------------------------------------------------------------
# independent formulation
# ------------------------------------------------------------------------------------------------


def independent_optimum(scores: pd.DataFrame, raw: pd.DataFrame, funding: pd.DataFrame, cfg: dict,
                        budget: float) -> float | None:
    """Optimal total benefit, or None if infeasible, from a direct matrix formulation."""
    ben = cfg.get("benefit", {})
    K, umax = ben.get("segments", 4), ben.get("u_max", 3.0)
    frac, smin, smax = ben.get("scale_fraction", 0.05), ben.get("min_scale_usd_m", 5.0), ben.get(
        "max_scale_usd_m", 500.0)
    disc = cfg.get("risk", {}).get("discount", 0.5)
    ids = list(scores.index)
    n = len(ids)
    milex = raw["sipri_milex_usd_m"].reindex(ids).to_numpy(float)
    state = (scores["partner_type"] == "state").to_numpy()
    scale = np.where(np.isnan(milex) | (milex <= 0), np.where(state, 0.5, smin), np.clip(frac * milex, smin, smax))
    # need: income group unknown (0.8) × 1500 / (1500 + milex); 0.2 for a state without armed forces
    effort = np.where(np.isnan(milex) | (milex <= 0), np.where(state, 0.2, 1.0), 1500 / (1500 + milex))
    need = 0.8 * effort
    risk = 0.0  # data uncertainty: the synthetic scores carry no coverage
    priority, propensity = scores["priority"].to_numpy(float), scores["propensity"].to_numpy(float)
    value = priority / 5 * propensity / 100 * need * (1 - disc * risk)
    base = funding["baseline_usd_m"].reindex(ids).fillna(0).to_numpy(float)
    mechs = cfg["mechanisms"]
    u = np.linspace(0, umax, K + 1)
    g = 1 - np.exp(-u)
    du = umax / K
    locks = {}
    for lk in cfg.get("locks", []):
        amt = base[ids.index(lk["partner_id"])] if lk["amount_usd_m"] == "baseline" else lk["amount_usd_m"]
        locks[(lk["partner_id"], lk["mechanism"])] = float(amt)

    def eligible(i: int, m: dict) -> bool:
        el = m.get("eligibility", {})
        if scores["partner_type"].iat[i] not in el.get("partner_types", ["state", "non-state"]):
            return False
        gate = el.get("human_rights_gate")
        if gate:
            v = raw[gate["indicator"]].iat[i]
            if not np.isnan(v) and v >= gate["threshold"]:
                return False
        return True

    cost, ub, owner, mech_of, cell_of = [], [], [], [], []
    for i in range(n):
        for m in mechs:
            if not eligible(i, m):
                if (ids[i], m["id"]) in locks and locks[(ids[i], m["id"])] > 0:
                    return None  # a positive lock on an ineligible mechanism cannot hold
                continue
            for k in range(K):
                cost.append(value[i] * m["effect"] * (g[k + 1] - g[k]) / du)
                ub.append(scale[i] * du)
                owner.append(i)
                mech_of.append(m["id"])
                cell_of.append((ids[i], m["id"]))
            extra = locks.get((ids[i], m["id"]), 0.0) - scale[i] * umax
            if extra > 1e-9:
                cost.append(0.0)
                ub.append(extra)
                owner.append(i)
                mech_of.append(m["id"])
                cell_of.append((ids[i], m["id"]))
    nv = len(cost)
    owner = np.array(owner)
    mech_of = np.array(mech_of)
    A_ub, b_ub, A_eq, b_eq = [], [], [], []

    def row(mask: np.ndarray) -> np.ndarray:
        return mask.astype(float)

    A_ub.append(np.ones(nv))
    b_ub.append(budget)
    pdef = cfg.get("partners", {}).get("default", {})
    base_mech = cfg.get("baseline_mechanism", "fmf" if any(m["id"] == "fmf" for m in mechs) else mechs[-1]["id"])
    for i, pid in enumerate(ids):
        lim = {**pdef, **cfg.get("partners", {}).get("overrides", {}).get(pid, {})}
        cut = lim.get("max_cut_pct", 50.0)
        inc = lim.get("max_increase_pct", 100.0)
        allow = lim.get("increase_allowance_usd_m", 0.0)
        locked = sum(v for (p, _), v in locks.items() if p == pid)
        # the change limits apply to the baseline the partner may keep: on an eligible, unlocked mechanism
        bm = next(m for m in mechs if m["id"] == base_mech)
        keep = base[i] if eligible(i, bm) and (pid, base_mech) not in locks else 0.0
        ch_lo = max(0.0, keep * (1 - (100.0 if cut is None else cut) / 100)) + locked
        ch_hi = (math.inf if inc is None else max(keep * (1 + inc / 100), keep + allow)) + locked
        floor = lim.get("floor_usd_m", 0.0)
        lo = floor if floor >= ch_lo and floor > 0 else ch_lo
        cap = lim.get("cap_usd_m")
        hi = min(math.inf if cap is None else cap, ch_hi)
        # a minimum above what the partner can absorb (curve ceilings, locks) or take is lowered to that
        absorb = sum(ub_ for o, ub_ in zip(owner, ub, strict=True) if o == i)
        lo = min(lo, max(min(absorb, hi), locked))
        r = row(owner == i) if nv else np.zeros(0)
        if math.isfinite(hi):
            A_ub.append(r)
            b_ub.append(hi)
        if lo > 0:
            A_ub.append(-r)
            b_ub.append(-lo)
    cmd = scores["command"].to_numpy()
    for c, lim in cfg.get("commands", {}).items():
        r = row(np.isin(owner, np.nonzero(cmd == c)[0]))
        if lim.get("cap_usd_m") is not None:
            A_ub.append(r)
            b_ub.append(lim["cap_usd_m"])
        if lim.get("floor_usd_m", 0) > 0:
            A_ub.append(-r)
            b_ub.append(-lim["floor_usd_m"])
    for m, lim in cfg.get("pools", {}).items():
        r = row(mech_of == m)
        if lim.get("max_usd_m") is not None:
            A_ub.append(r)
            b_ub.append(lim["max_usd_m"])
        if lim.get("min_usd_m", 0) > 0:
            A_ub.append(-r)
            b_ub.append(-lim["min_usd_m"])
    for (pid, m), amt in locks.items():
        A_eq.append(np.array([1.0 if c == (pid, m) else 0.0 for c in cell_of]))
        b_eq.append(amt)
    if nv == 0:
        return None if any(b < -1e-9 for b in b_ub) or any(abs(b) > 1e-9 for b in b_eq) else 0.0
    res = linprog(-np.array(cost), A_ub=np.array(A_ub), b_ub=np.array(b_ub),
                  A_eq=np.array(A_eq) if A_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                  bounds=list(zip([0.0] * nv, ub, strict=True)), method="highs")
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return -float(res.fun)


# ------------------------------------------------------------------------------------------------
# random small instances
# ------------------------------------------------------------------------------------------------


def random_instance(seed: int, n: int | None = None):
    """Tables, a settings mapping and a budget; usually feasible, sometimes not."""
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(3, 11))
    scores, raw, funding = al.synthetic_tables(n, seed=seed, non_state_share=0.2)
    scores["command"] = rng.choice(COMMANDS[:3], n)
    k = int(rng.integers(2, 6))
    chosen = sorted(rng.choice(len(MECHS), size=int(rng.integers(2, 6)), replace=False))
    mechs = []
    for j in chosen:
        m = {"id": MECHS[j], "effect": float(np.round(rng.uniform(0.2, 1.2), 3))}
        if MECHS[j] == "fmf":
            m["eligibility"] = {"partner_types": ["state"]}
        if MECHS[j] == "train_equip":
            m["eligibility"] = {"human_rights_gate": {"indicator": "pts_mean", "threshold": 4.0}}
        mechs.append(m)
    base_total = float(funding["baseline_usd_m"].sum())
    cfg = {
        "name": f"random {seed}",
        "mechanisms": mechs,
        "benefit": {"segments": k, "u_max": float(rng.uniform(1.0, 4.0)), "scale_fraction": 0.05,
                    "min_scale_usd_m": 5.0, "max_scale_usd_m": 500.0},
        "risk": {"discount": float(rng.uniform(0, 1))},
        "partners": {"default": {"floor_usd_m": 0.0, "max_cut_pct": float(rng.choice([30.0, 50.0, 100.0])),
                                 "max_increase_pct": float(rng.choice([25.0, 100.0])),
                                 "increase_allowance_usd_m": float(rng.uniform(0, 30))}},
        "commands": {},
        "pools": {},
    }
    if rng.random() < 0.5:
        cfg["partners"]["default"]["cap_usd_m"] = float(rng.uniform(200, 1500))
    c = scores["command"].iat[int(rng.integers(0, n))]
    cfg["commands"][c] = {"floor_usd_m": float(rng.uniform(0, 20)), "cap_usd_m": float(rng.uniform(40, 600))}
    if rng.random() < 0.6:
        m = mechs[int(rng.integers(0, len(mechs)))]["id"]
        cfg["pools"][m] = {"max_usd_m": float(rng.uniform(5, 200))}
    if rng.random() < 0.3:
        pid = scores.index[int(rng.integers(0, n))]
        cfg["partners"]["overrides"] = {pid: {"floor_usd_m": float(rng.uniform(0, 15))}}
    if rng.random() < 0.4:
        i = int(rng.integers(0, n))
        m = mechs[0]["id"]  # never fmf/train_equip first unless chosen; eligibility checked by both models
        amount = float(rng.choice([rng.uniform(1, 20), rng.uniform(20, 60)]))
        cfg["locks"] = [{"partner_id": scores.index[i], "mechanism": m, "amount_usd_m": amount}]
    budget = float(max(base_total, 20.0) * rng.uniform(0.6, 1.8))
    return scores, raw, funding, cfg, budget


def solve_ours(scores, raw, funding, cfg, budget, solver="auto"):
    settings_ = al.settings_from_dict(cfg)
    inputs = al.build_inputs(scores, raw, funding, settings_)
    return inputs, settings_, al.allocate(inputs, settings_, budget, solver=solver)


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


def test_cbc_fallback_agrees_with_highs():
    for seed in range(5):
        scores, raw, funding, cfg, budget = random_instance(seed, n=6)
        try:
            *_, highs = solve_ours(scores, raw, funding, cfg, budget, "highs")
        except InfeasibleError:
            continue
        *_, cbc = solve_ours(scores, raw, funding, cfg, budget, "cbc")
        assert highs.solver == "HiGHS (highspy)" and cbc.solver == "CBC"
        assert cbc.total_benefit == pytest.approx(highs.total_benefit, rel=1e-6, abs=1e-6)
        assert cbc.budget_dual == pytest.approx(highs.budget_dual, abs=1e-5)


def test_frontier_matches_allocate_at_each_level():
    for seed in (3, 11):
        scores, raw, funding, cfg, _ = random_instance(seed, n=8)
        settings_ = al.settings_from_dict(cfg)
        inputs = al.build_inputs(scores, raw, funding, settings_)
        table = al.frontier(inputs, settings_, levels=6, low_pct=30, high_pct=150)
        assert (table["status"] == "Optimal").any()
        for row in table[table["status"] == "Optimal"].itertuples():
            res = al.allocate(inputs, settings_, row.budget_usd_m)
            assert row.total_benefit == pytest.approx(res.total_benefit, abs=1e-6, rel=1e-9)
            assert row.budget_dual == pytest.approx(res.budget_dual, abs=1e-6)


def test_resolve_with_new_values_matches_a_full_pulp_solve():
    """Random continuous values make the optimum unique (almost surely), so allocations must agree."""
    rng = np.random.default_rng(7)
    for seed in (1, 4, 9):
        scores, raw, funding, cfg, budget = random_instance(seed, n=9)
        settings_ = al.settings_from_dict(cfg)
        inputs = al.build_inputs(scores, raw, funding, settings_)
        try:
            al.allocate(inputs, settings_, budget)
        except InfeasibleError:
            continue
        new_value = pd.Series(rng.uniform(0.05, 1.0, len(scores)), index=scores.index)
        fast = al.resolve_allocation(inputs, settings_, budget, new_value)
        changed = al.AllocationInputs(inputs.partners.assign(value=new_value), inputs.eligible,
                                      inputs.baseline_by_mechanism, inputs.flags)
        full = al.allocate(changed, settings_, budget).partners["allocation_usd_m"]
        np.testing.assert_allclose(fast.reindex(full.index), full, atol=1e-5)


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------


def check_feasible(inputs: al.AllocationInputs, s: al.AllocationSettings, res: al.AllocationResult,
                   budget: float) -> None:
    """Every constraint of the settings holds in the reported allocation."""
    tol = 1e-6
    p, m = res.partners, res.mechanisms
    assert (m["allocation_usd_m"] >= 0).all()
    assert p["allocation_usd_m"].sum() <= budget + tol * max(1, budget)
    bounds = al.partner_bounds(inputs, s)
    alloc = p["allocation_usd_m"]
    # a minimum above what the partner can absorb (curve ceilings) is lowered to that
    capacity = pd.Series(al._structure(inputs, s).capacity, index=bounds.index)
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
    s = al.settings_from_dict(cfg)
    inputs = al.build_inputs(scores, raw, funding, s)
    expected = independent_optimum(scores, raw, funding, cfg, budget)
    try:
        res = al.allocate(inputs, s, budget)
    except InfeasibleError as exc:
        assert expected is None and exc.diagnosis
        return
    assert expected is not None
    check_feasible(inputs, s, res, budget)
    more = al.allocate(inputs, s, budget + extra)  # a feasible budget stays feasible with more money
    check_feasible(inputs, s, more, budget + extra)
    assert more.total_benefit >= res.total_benefit - 1e-7 * max(1.0, res.total_benefit)
    assert res.budget_dual >= -1e-9


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_frontier_is_monotone_and_keeps_infeasible_levels(seed):
    scores, raw, funding, cfg, _ = random_instance(seed)
    cfg["commands"] = {"AFRICOM": {"floor_usd_m": 10.0}}
    s = al.settings_from_dict(cfg)
    inputs = al.build_inputs(scores, raw, funding, s)
    if inputs.baseline_total_usd_m <= 0:
        return
    table = al.frontier(inputs, s, levels=20, low_pct=0, high_pct=200)
    assert len(table) == 20  # infeasible levels are rows, not dropped
    assert table["budget_usd_m"].is_monotonic_increasing
    ok = table[table["status"] == "Optimal"]
    assert (np.diff(ok["total_benefit"].to_numpy()) >= -1e-7 * max(1.0, ok["total_benefit"].max())).all()
    bad = table[table["status"] != "Optimal"]
    assert bad["total_benefit"].isna().all() and (bad["note"].str.len() > 0).all()
    if len(ok) and len(bad):
        # feasibility is monotone too: every infeasible level lies below every feasible one
        assert bad["budget_usd_m"].max() < ok["budget_usd_m"].min()
