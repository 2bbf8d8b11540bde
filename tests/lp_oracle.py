"""Test oracles for the allocation LP (used by tests/test_allocate_lp.py; not part of the package).

``independent_optimum`` re-derives the model from the design (value, scale, curve, eligibility, bounds,
locks, pools, command limits) straight from the tables and the settings mapping, and solves it with
``scipy.optimize.linprog(method="highs")``; it shares no code with ``prioritizer.allocation``.
``pulp_optimum`` writes the package's own LP structure in PuLP and solves it with CBC: a second solver
(and a check of how duals are read) for the same model. ``random_instance`` makes small random instances.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pulp
from scipy.optimize import linprog

from prioritizer.allocation.model import _Structure
from prioritizer.allocation.synthetic import synthetic_tables

MECHS = ["education", "institution_building", "exercises", "train_equip", "fmf"]
COMMANDS = ["AFRICOM", "CENTCOM", "EUCOM", "INDOPACOM", "NORTHCOM", "SOUTHCOM"]


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


def random_instance(seed: int, n: int | None = None):
    """Tables, a settings mapping and a budget; usually feasible, sometimes not."""
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(3, 11))
    scores, raw, funding = synthetic_tables(n, seed=seed, non_state_share=0.2)
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



def pulp_optimum(st: _Structure, value: np.ndarray, budget: float) -> tuple[float, float] | None:
    """(LP objective, budget dual) of the package's structure solved by PuLP + CBC; None if not optimal."""
    prob = pulp.LpProblem("allocation", pulp.LpMaximize)
    col_lo, col_hi = st.col_bounds()
    cols = [prob.add_variable(f"c{j}", float(lo), None if math.isinf(hi) else float(hi))
            for j, (lo, hi) in enumerate(zip(col_lo, col_hi, strict=True))]
    cost = st.objective(value)
    prob += pulp.lpSum(float(cost[j]) * cols[j] for j in np.nonzero(cost)[0])
    row_lo, row_hi = st.row_bounds(budget)
    budget_con = None
    for r, row in enumerate(st.rows):
        expr = pulp.lpSum(float(c) * cols[j] for j, c in zip(row.idx, row.coef, strict=True))
        lo, hi = float(row_lo[r]), float(row_hi[r])
        if lo == hi:
            prob += expr == lo
            continue
        if math.isfinite(lo):
            prob += expr >= lo
        if math.isfinite(hi):
            con = expr <= hi
            prob += con, f"hi{r}"
            if r == st.budget_row:
                budget_con = f"hi{r}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        prob.solve(pulp.PULP_CBC_CMD(msg=False))
    if prob.status != pulp.LpStatusOptimal:
        return None
    return float(pulp.value(prob.objective)), float(prob.get_constraint_by_name(budget_con).pi or 0.0)
