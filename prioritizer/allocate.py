"""Allocate a security-cooperation budget across partners and mechanisms with a linear program.

Decision ``x[p, m]`` ≥ 0 is US$ M/yr to partner ``p`` through mechanism ``m``. Benefit is concave
(diminishing returns): ``value_p × effect_m × S_p × g(x / S_p)`` with ``g(u) = 1 − e^−u`` written as
``segments`` linear pieces on ``u ∈ [0, u_max]``. ``S_p`` is the partner scale (a fraction of its own
military spending), so US money is most productive relative to what the partner invests itself.
Nothing is allocated above ``S_p × u_max`` for one partner and mechanism (the *curve ceiling*), except
a locked amount (statutory earmark), which is honoured in full; dollars above the ceiling add no benefit.

Benefit is measured in *effective US$ M*: at the first dollar a top-priority (5), propensity-100, riskless
partner turns $1 M through a mechanism with effect 1.0 into 1 unit of benefit.

The LP is built in PuLP and solved with HiGHS through ``highspy`` (``pulp.HiGHS``: in-process, no
temporary files, exact duals, much faster than the CBC command line); CBC is the fallback. Every solve's
status is checked; a non-optimal status never produces a result. Settings live in
``weights/allocation.yaml`` and are validated by :func:`load_settings`.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pulp
from scipy import sparse

from prioritizer.allocation_settings import (  # noqa: F401  (re-exported: prioritizer.allocate is the API)
    BUDGET_RULES,
    SOLVERS,
    AllocationSettings,
    CommandLimit,
    HumanRightsGate,
    Lock,
    Mechanism,
    PartnerLimits,
    Pool,
    load_settings,
    settings_from_dict,
)
from prioritizer.allocation_value import (  # noqa: F401
    AllocationInputs,
    benefit_curve,
    build_inputs,
    curve_breakpoints,
    need_terms,
    partner_value,
    piecewise_benefit,
)
from prioritizer.domain import CATEGORIES, COMMANDS, PARTNER_TYPES  # noqa: F401  (re-exported)
from prioritizer.errors import InfeasibleError, InputError
from prioritizer.load import MAX_FUNDING_USD_M, parse_number

HIGHS_LABEL = "HiGHS (highspy)"
EQ, GE, LE = pulp.LpConstraintEQ, pulp.LpConstraintGE, pulp.LpConstraintLE
TOL = 1e-6  # US$ M; below this an amount is treated as zero and a constraint as binding

# --------------------------------------------------------------------------------------------------
# LP structure (solver-independent, numpy)
# --------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    name: str
    group: str
    subject: str
    idx: np.ndarray
    coef: np.ndarray
    lo: float
    hi: float
    lo_pct: float = 0.0  # a command floor that is a share of the budget: lo = max(lo, lo_pct × budget)


@dataclass
class _Structure:
    """Columns (segments, then one partner-total column per partner) and rows of the LP."""

    partner_ids: pd.Index
    mech_ids: tuple[str, ...]
    seg_partner: np.ndarray  # partner position of each segment column
    seg_mech: np.ndarray  # mechanism position
    seg_k: np.ndarray  # segment number (K = flat extension above the curve ceiling of a locked cell)
    seg_shape: np.ndarray  # effect_m × curve slope of the segment (benefit per $ for value 1)
    seg_width: np.ndarray  # segment upper bound, US$ M
    y_lo: np.ndarray
    y_hi: np.ndarray  # inf = no upper bound
    rows: list[_Row]
    budget_row: int
    bounds: pd.DataFrame  # partner lower/upper bound with their source
    capacity: np.ndarray  # most each partner can take (curve ceilings + lock extensions)
    locked: pd.DataFrame  # partner_id, mechanism, amount_usd_m
    # slack columns of soft lower limits (after the partner totals): group, subject, limit, penalty, width
    slack_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    slack_subject: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    slack_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    slack_penalty: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slack_width: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_seg(self) -> int:
        return len(self.seg_partner)

    @property
    def n_slack(self) -> int:
        return len(self.slack_group)

    @property
    def n_cols(self) -> int:
        return self.n_seg + len(self.partner_ids) + self.n_slack

    def objective(self, value: np.ndarray) -> np.ndarray:
        """Benefit per US$ M of each column: curve segments earn value × shape, partner totals nothing, and
        a soft-limit slack costs its penalty (benefit per US$ M of violation)."""
        return np.concatenate([value[self.seg_partner] * self.seg_shape, np.zeros(len(self.partner_ids)),
                               -self.slack_penalty])

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound of every column (inf = none)."""
        return (np.concatenate([np.zeros(self.n_seg), self.y_lo, np.zeros(self.n_slack)]),
                np.concatenate([self.seg_width, self.y_hi, self.slack_width]))

    def row_bounds(self, budget: float) -> tuple[np.ndarray, np.ndarray]:
        """Row lower and upper bounds at this budget (the budget row and budget-share floors move)."""
        lo = np.array([max(r.lo, r.lo_pct * budget) if r.lo_pct else r.lo for r in self.rows], dtype=float)
        hi = np.array([r.hi for r in self.rows], dtype=float)
        hi[self.budget_row] = budget
        return lo, hi


def _resolved_locks(inputs: AllocationInputs, settings: AllocationSettings) -> pd.DataFrame:
    rows = []
    for i, lock in enumerate(settings.locks):
        if lock.partner_id not in inputs.partners.index:
            raise InputError(f"lock on unknown partner '{lock.partner_id}' (not in the partners table)",
                             file=settings.source, key=f"locks[{i}].partner_id")
        amount = (float(inputs.baseline_by_mechanism.at[lock.partner_id, lock.mechanism])
                  if lock.amount_usd_m is None else float(lock.amount_usd_m))
        rows.append({"partner_id": lock.partner_id, "mechanism": lock.mechanism, "amount_usd_m": amount,
                     "basis": lock.basis})
    frame = pd.DataFrame(rows, columns=["partner_id", "mechanism", "amount_usd_m", "basis"])
    return frame.astype({"partner_id": object, "mechanism": object, "amount_usd_m": float, "basis": object})


def partner_bounds(inputs: AllocationInputs, settings: AllocationSettings) -> pd.DataFrame:
    """Lower and upper bound (US$ M) on each partner's total, with the rule each comes from.

    The change limits apply to the *reference*: the baseline on mechanisms the partner is still eligible
    for and that are not locked (money on an ineligible mechanism cannot be kept). lower = max(0, reference
    × (1 − max_cut)) + locks, upper = max(reference × (1 + max_increase), reference + increase allowance)
    + locks. The partner floor and cap still apply. ``reference_usd_m`` = that reference + locks.
    """
    p = inputs.partners
    locks = _resolved_locks(inputs, settings)
    locked = locks.groupby("partner_id")["amount_usd_m"].sum().reindex(p.index).fillna(0.0)
    mech_ids = list(settings.mechanism_ids)
    base_cells = inputs.baseline_by_mechanism.reindex(index=p.index, columns=mech_ids).fillna(0.0)
    free = inputs.eligible.reindex(index=p.index, columns=mech_ids).fillna(False).astype(bool)
    for row in locks.itertuples():
        free.at[row.partner_id, row.mechanism] = False
    discretionary = base_cells.where(free, 0.0).sum(axis=1)
    out = pd.DataFrame(index=p.index)
    lo, hi, lo_src, hi_src = [], [], [], []
    for pid, base, lk in zip(p.index, discretionary, locked, strict=True):
        lim = settings.partner_limits(pid)
        cut = 1.0 if lim.max_cut_pct is None else lim.max_cut_pct / 100.0
        ch_lo = max(0.0, base * (1.0 - cut)) + lk
        ch_hi = math.inf if lim.max_increase_pct is None else max(
            base * (1.0 + lim.max_increase_pct / 100.0), base + lim.increase_allowance_usd_m) + lk
        if lim.floor_usd_m >= ch_lo and lim.floor_usd_m > 0:
            lo.append(lim.floor_usd_m)
            lo_src.append("partner_floor")
        else:
            lo.append(ch_lo)
            lo_src.append("max_cut")
        cap = math.inf if lim.cap_usd_m is None else lim.cap_usd_m
        if cap <= ch_hi:
            hi.append(cap)
            hi_src.append("partner_cap")
        else:
            hi.append(ch_hi)
            hi_src.append("max_increase")
    out["lower_usd_m"], out["lower_rule"] = lo, lo_src
    out["upper_usd_m"], out["upper_rule"] = hi, hi_src
    out["locked_usd_m"] = locked
    out["minimum_usd_m"] = np.maximum(out["lower_usd_m"], locked)  # what the partner must get, locks included
    out["baseline_usd_m"] = p["baseline_usd_m"]
    out["reference_usd_m"] = discretionary + locked
    return out


def _structure(inputs: AllocationInputs, settings: AllocationSettings) -> _Structure:
    key = ("structure", settings)
    if key in inputs.cache:
        return inputs.cache[key]
    p = inputs.partners
    pids = p.index
    mech_ids = settings.mechanism_ids
    P, M, K = len(pids), len(mech_ids), settings.segments
    u, g = curve_breakpoints(settings)
    du = np.diff(u)
    shape_k = np.diff(g) / du  # curve slope per segment, decreasing
    effect = np.array([settings.mechanism(m).effect for m in mech_ids])
    scale = p["scale_usd_m"].to_numpy(float)
    elig = inputs.eligible.reindex(index=pids, columns=list(mech_ids)).fillna(False).to_numpy(bool)
    locks = _resolved_locks(inputs, settings)
    lock_amount = np.zeros((P, M))
    pos = {pid: i for i, pid in enumerate(pids)}
    mpos = {m: j for j, m in enumerate(mech_ids)}
    for row in locks.itertuples():
        lock_amount[pos[row.partner_id], mpos[row.mechanism]] = row.amount_usd_m

    # regular segments of eligible cells, partner-major order
    cell_p, cell_m = np.nonzero(elig)
    n_cells = len(cell_p)
    seg_partner = np.repeat(cell_p, K)
    seg_mech = np.repeat(cell_m, K)
    seg_k = np.tile(np.arange(K), n_cells)
    seg_shape = effect[seg_mech] * shape_k[seg_k]
    seg_width = scale[seg_partner] * du[seg_k]
    # flat extension for locks above the curve ceiling (only on eligible cells)
    ext = (lock_amount > scale[:, None] * settings.u_max + TOL) & elig
    ep, em = np.nonzero(ext)
    if len(ep):
        seg_partner = np.concatenate([seg_partner, ep])
        seg_mech = np.concatenate([seg_mech, em])
        seg_k = np.concatenate([seg_k, np.full(len(ep), K)])
        seg_shape = np.concatenate([seg_shape, np.zeros(len(ep))])
        seg_width = np.concatenate([seg_width, lock_amount[ep, em] - scale[ep] * settings.u_max])
        order = np.lexsort((seg_k, seg_mech, seg_partner))
        seg_partner, seg_mech, seg_k = seg_partner[order], seg_mech[order], seg_k[order]
        seg_shape, seg_width = seg_shape[order], seg_width[order]
    n_seg = len(seg_partner)
    capacity = np.bincount(seg_partner, weights=seg_width, minlength=P)

    bounds = partner_bounds(inputs, settings)
    y_lo = bounds["lower_usd_m"].to_numpy(float)
    y_hi = bounds["upper_usd_m"].to_numpy(float)
    soft = settings.soft
    # a minimum above what the partner can absorb (curve ceilings, locks) or take is lowered to that
    y_lo = np.minimum(y_lo, np.maximum(np.minimum(capacity, y_hi), bounds["locked_usd_m"].to_numpy(float)))
    ycol = n_seg + np.arange(P)
    rows: list[_Row] = []
    slacks: list[tuple[str, str, int, float, float]] = []  # group, subject, row, penalty, width
    n_base = n_seg + P

    def soften(row: _Row, group: str, penalty: float | None, width: float = math.inf) -> _Row:
        """Add a slack column (cost ``penalty`` per US$ M) that lets the row's lower limit be missed."""
        if penalty is None:
            return row
        col = n_base + len(slacks)
        slacks.append((group, row.subject, len(rows), float(penalty), width))
        row.idx = np.append(row.idx, col)
        row.coef = np.append(row.coef, 1.0)
        return row
    # partner link rows: Σ segments of p − y_p = 0
    starts = np.searchsorted(seg_partner, np.arange(P + 1))
    seg_index = np.arange(n_seg)
    for i, pid in enumerate(pids):
        idx = np.append(seg_index[starts[i]:starts[i + 1]], ycol[i])
        coef = np.ones(len(idx))
        coef[-1] = -1.0
        rows.append(_Row(f"link {pid}", "link", str(pid), idx, coef, 0.0, 0.0))
    budget_row = len(rows)
    rows.append(_Row("budget", "budget", "total", ycol, np.ones(P), -math.inf, math.inf))
    commands = p["command"].to_numpy()
    for cl in settings.commands:
        members = ycol[commands == cl.command]
        hi = math.inf if cl.cap_usd_m is None else cl.cap_usd_m
        has_floor = cl.floor_usd_m > 0 or cl.floor_pct_of_budget > 0
        if has_floor and soft.command_floor_penalty is not None:
            # the floor part is its own soft row so a missed floor never touches the cap
            rows.append(soften(_Row(f"command {cl.command} floor", "command", cl.command, members,
                                    np.ones(len(members)), cl.floor_usd_m, math.inf, cl.floor_pct_of_budget / 100),
                               "command_floor", soft.command_floor_penalty))
            if math.isfinite(hi):
                rows.append(_Row(f"command {cl.command}", "command", cl.command, members, np.ones(len(members)),
                                 -math.inf, hi))
        elif has_floor or math.isfinite(hi):
            rows.append(_Row(f"command {cl.command}", "command", cl.command, members, np.ones(len(members)),
                             cl.floor_usd_m if has_floor else -math.inf, hi,
                             cl.floor_pct_of_budget / 100 if has_floor else 0.0))
    for pool in settings.pools:
        j = mpos[pool.mechanism]
        members = seg_index[seg_mech == j]
        hi = math.inf if pool.max_usd_m is None else pool.max_usd_m
        if pool.min_usd_m > 0 and soft.pool_minimum_penalty is not None:
            rows.append(soften(_Row(f"pool {pool.mechanism} minimum", "pool", pool.mechanism, members,
                                    np.ones(len(members)), pool.min_usd_m, math.inf),
                               "pool_min", soft.pool_minimum_penalty))
            if math.isfinite(hi):
                rows.append(_Row(f"pool {pool.mechanism}", "pool", pool.mechanism, members, np.ones(len(members)),
                                 -math.inf, hi))
        elif pool.min_usd_m > 0 or math.isfinite(hi):
            rows.append(_Row(f"pool {pool.mechanism}", "pool", pool.mechanism, members, np.ones(len(members)),
                             pool.min_usd_m if pool.min_usd_m > 0 else -math.inf, hi))
    if soft.partner_minimum_penalty is not None:
        # partner floors and max-cut limits become soft rows; the column keeps only the locked amount (hard).
        # A minimum above what the partner can absorb or take is lowered to that (nothing to penalise).
        lk = bounds["locked_usd_m"].to_numpy(float)
        target = np.minimum(np.minimum(y_lo, np.maximum(capacity, lk)), y_hi)
        for i in np.nonzero(target > lk + TOL)[0]:
            rule = bounds["lower_rule"].iat[i]
            rows.append(soften(_Row(f"{rule} {pids[i]}", "partner_minimum", str(pids[i]), np.array([ycol[i]]),
                                    np.ones(1), float(target[i]), math.inf),
                               rule, soft.partner_minimum_penalty, float(target[i] - lk[i])))
        y_lo = np.minimum(lk, y_hi)
    for row in locks.itertuples():
        i, j = pos[row.partner_id], mpos[row.mechanism]
        members = seg_index[(seg_partner == i) & (seg_mech == j)]
        cell = f"{row.partner_id}/{row.mechanism}"
        rows.append(_Row(f"lock {cell}", "lock", cell, members, np.ones(len(members)), row.amount_usd_m,
                         row.amount_usd_m))
    st = _Structure(pids, mech_ids, seg_partner, seg_mech, seg_k, seg_shape, seg_width, y_lo, y_hi, rows,
                    budget_row, bounds, capacity, locks[["partner_id", "mechanism", "amount_usd_m"]],
                    np.array([s_[0] for s_ in slacks], dtype=object), np.array([s_[1] for s_ in slacks], dtype=object),
                    np.array([s_[2] for s_ in slacks], dtype=np.int64), np.array([s_[3] for s_ in slacks], dtype=float),
                    np.array([s_[4] for s_ in slacks], dtype=float))
    inputs.cache[key] = st
    return st


# --------------------------------------------------------------------------------------------------
# Pre-checks: obvious conflicts, named with amounts
# --------------------------------------------------------------------------------------------------


def _m(x: float) -> str:
    return f"${x:,.1f} M"


def diagnose(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: float) -> list[str]:
    """Conflicts that make the settings infeasible for this budget, each with the amounts involved.

    Empty when no simple conflict is found (the LP may still be infeasible; :func:`allocate` then runs
    an elastic re-solve). The budget-independent part is computed once per settings and cached.
    """
    key = ("diagnosis", settings)
    if key not in inputs.cache:
        inputs.cache[key] = _static_diagnosis(inputs, settings)
    static, totals = inputs.cache[key]
    if totals is None:  # locks on ineligible mechanisms: nothing else is meaningful
        return list(static)
    budget = budget_usd_m
    out: list[str] = []
    soft = settings.soft
    if totals["locks"] > budget + TOL:
        out.append(f"locks sum to {_m(totals['locks'])} > budget {_m(budget)}")
    floors = totals["floors"] + totals["floor_pct"] * budget
    if floors > budget + TOL and soft.command_floor_penalty is None:
        out.append(f"command floors sum to {_m(floors)} > budget {_m(budget)}")
    if soft.partner_minimum_penalty is not None or soft.command_floor_penalty is not None:
        # soft floors and minimums cannot conflict with the budget; only locks and pool minimums can
        if totals["pool_mins"] > budget + TOL and soft.pool_minimum_penalty is None:
            out.append(f"pool minimums sum to {_m(totals['pool_mins'])} > budget {_m(budget)}")
        return out + list(static)
    if totals["minimums"] > budget + TOL and totals["locks"] <= budget + TOL:
        out.append(f"partner minimums (floors, max-cut limits and locks) sum to {_m(totals['minimums'])} > "
                   f"budget {_m(budget)}")
    need = totals["need"]
    if (sum(need.values()) > budget + TOL and totals["floors"] <= budget + TOL
            and totals["minimums"] <= budget + TOL):
        parts = ", ".join(f"{c} {_m(v)}" for c, v in need.items() if v > 0)
        out.append(f"command floors and partner minimums together need {_m(sum(need.values()))} > budget "
                   f"{_m(budget)} (per command the larger of its floor and its partners' minimums: {parts})")
    if totals["pool_mins"] > budget + TOL:
        out.append(f"pool minimums sum to {_m(totals['pool_mins'])} > budget {_m(budget)}")
    return out + list(static)


def _static_diagnosis(inputs: AllocationInputs,
                      settings: AllocationSettings) -> tuple[list[str], dict | None]:
    """Conflicts that do not depend on the budget, and the totals the budget is compared with."""
    p = inputs.partners
    out: list[str] = []
    locks = _resolved_locks(inputs, settings)
    for row in locks.itertuples():
        mech = settings.mechanism(row.mechanism)
        if not bool(inputs.eligible.at[row.partner_id, row.mechanism]) and row.amount_usd_m > TOL:
            ptype = p.at[row.partner_id, "partner_type"]
            if ptype not in mech.partner_types:
                why = f"{ptype} partners get no {row.mechanism}"
            else:
                gate = mech.gate
                why = (f"human-rights gate: {gate.indicator} at or "
                       f"{'above' if gate.exclude_when == 'at_or_above' else 'below'} {gate.threshold:g}")
            out.append(f"lock of {_m(row.amount_usd_m)} on {row.partner_id}/{row.mechanism} is on an "
                       f"ineligible mechanism ({why})")
    if out:
        return out, None
    st = _structure(inputs, settings)
    b = st.bounds
    lo_a, hi_a, lk_a = b["lower_usd_m"].to_numpy(), b["upper_usd_m"].to_numpy(), b["locked_usd_m"].to_numpy()
    lo_a = np.minimum(lo_a, np.maximum(np.minimum(st.capacity, hi_a), lk_a))  # as in _structure
    soft_min = settings.soft.partner_minimum_penalty is not None
    suspect = np.nonzero((lk_a > hi_a + TOL) | (~soft_min & ((lo_a > hi_a + TOL) | (lo_a > st.capacity + TOL))))[0]
    for i in suspect:  # only partners with a problem are looked at one by one
        pid, lo, hi, lk, cap_ = b.index[i], lo_a[i], hi_a[i], lk_a[i], st.capacity[i]
        lo_rule, hi_rule = b["lower_rule"].iat[i], b["upper_rule"].iat[i]
        if lk > hi + TOL and hi_rule == "partner_cap":
            items = locks[locks["partner_id"] == pid]
            what = " + ".join(f"{_m(a)} on {pid}/{m}"
                              for m, a in zip(items["mechanism"], items["amount_usd_m"], strict=True))
            out.append(f"lock of {what} exceeds {pid} cap {_m(hi)}")
        elif lo > hi + TOL:
            out.append(f"{pid}: lower bound {_m(lo)} ({_rule(lo_rule, pid, settings, b)}) > upper bound "
                       f"{_m(hi)} ({_rule(hi_rule, pid, settings, b)})")
        elif lo > cap_ + TOL:
            n = int(inputs.eligible.loc[pid].sum())
            out.append(f"{pid} must receive at least {_m(lo)} ({_rule(lo_rule, pid, settings, b)}) but can "
                       f"absorb at most {_m(cap_)} (curve ceiling: scale {_m(p.at[pid, 'scale_usd_m'])} × "
                       f"u_max {settings.u_max:g} × {n} eligible mechanisms)")
    lower = np.maximum(lo_a, lk_a)
    upper = np.minimum(hi_a, st.capacity)
    commands = p["command"].to_numpy()
    lock_command = locks["partner_id"].map(p["command"])
    for cl in settings.commands:
        mask = commands == cl.command
        c_locks = locks[lock_command == cl.command]
        c_lock = float(c_locks["amount_usd_m"].sum())
        if cl.cap_usd_m is not None and c_lock > cl.cap_usd_m + TOL:
            big = c_locks.sort_values("amount_usd_m").iloc[-1]
            if len(c_locks) == 1:
                out.append(f"lock of {_m(big.amount_usd_m)} on {big.partner_id}/{big.mechanism} exceeds "
                           f"{cl.command} cap {_m(cl.cap_usd_m)}")
            else:
                out.append(f"locks in {cl.command} sum to {_m(c_lock)} > {cl.command} cap {_m(cl.cap_usd_m)}")
        elif cl.cap_usd_m is not None and lower[mask].sum() > cl.cap_usd_m + TOL and not soft_min:
            out.append(f"partner minimums in {cl.command} sum to {_m(lower[mask].sum())} > {cl.command} cap "
                       f"{_m(cl.cap_usd_m)}")
        if cl.floor_usd_m > upper[mask].sum() + TOL and settings.soft.command_floor_penalty is None:
            out.append(f"{cl.command} floor {_m(cl.floor_usd_m)} > the most its {int(mask.sum())} partners "
                       f"can take, {_m(upper[mask].sum())} (partner caps, max-increase limits, curve "
                       "ceilings)")
    pool_total = 0.0
    for j, mid in enumerate(settings.mechanism_ids):
        pool = settings.pool(mid)
        m_lock = float(locks.loc[locks["mechanism"] == mid, "amount_usd_m"].sum())
        if pool.max_usd_m is not None and m_lock > pool.max_usd_m + TOL:
            out.append(f"locks on {mid} sum to {_m(m_lock)} > {mid} pool {_m(pool.max_usd_m)}")
        cap_m = float(st.seg_width[st.seg_mech == j].sum())
        if pool.min_usd_m > cap_m + TOL and settings.soft.pool_minimum_penalty is None:
            out.append(f"{mid} pool minimum {_m(pool.min_usd_m)} > the most eligible partners can absorb "
                       f"through {mid}, {_m(cap_m)}")
        pool_total += cap_m if pool.max_usd_m is None else min(pool.max_usd_m, cap_m)
    if lower.sum() > pool_total + TOL and not soft_min:
        out.append(f"partner minimums sum to {_m(lower.sum())} > all pools together {_m(pool_total)}")
    totals = {
        "locks": float(locks["amount_usd_m"].sum()),
        "floors": float(sum(c.floor_usd_m for c in settings.commands)),
        "floor_pct": float(sum(c.floor_pct_of_budget for c in settings.commands)) / 100.0,
        "minimums": float(lower.sum()),
        "need": {c: max(settings.command_limit(c).floor_usd_m, float(lower[commands == c].sum()))
                 for c in dict.fromkeys(commands)},
        "pool_mins": float(sum(pl.min_usd_m for pl in settings.pools)),
    }
    return out, totals


def _rule(rule: str, pid: str, settings: AllocationSettings, b: pd.DataFrame) -> str:
    lim = settings.partner_limits(pid)
    base = b.at[pid, "baseline_usd_m"]
    if rule == "partner_floor":
        return "partner floor"
    if rule == "partner_cap":
        return "partner cap"
    if rule == "max_cut":
        return f"max cut {lim.max_cut_pct:g}% from baseline {_m(base)}" if lim.max_cut_pct is not None else \
            "no cut limit"
    return (f"max increase {lim.max_increase_pct:g}% / +{_m(lim.increase_allowance_usd_m)} from baseline "
            f"{_m(base)}")


# --------------------------------------------------------------------------------------------------
# Solving with PuLP
# --------------------------------------------------------------------------------------------------


@dataclass
class AllocationResult:
    """An optimal allocation and what limits it. Money in US$ M/yr; benefit in effective US$ M."""

    status: str
    solver: str
    partners: pd.DataFrame
    mechanisms: pd.DataFrame
    by_command: pd.DataFrame
    binding: pd.DataFrame
    budget_dual: float
    total_benefit: float
    budget_usd_m: float
    unspent_usd_m: float
    settings_name: str = ""
    notes: list[str] = field(default_factory=list)
    settings: AllocationSettings | None = field(default=None, repr=False)
    timings: dict[str, float] = field(default_factory=dict)
    relaxations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RELAX_COLUMNS))
    meets_statute: bool = True  # False when locks (statutory earmarks / MOUs) had to be scaled down
    penalty: float = 0.0  # Σ penalty × violation of soft limits (benefit units)

    @property
    def net_benefit(self) -> float:
        """The LP objective: total benefit minus soft-limit penalties (effective US$ M)."""
        return self.total_benefit - self.penalty


RELAX_COLUMNS = ["constraint", "group", "subject", "limit_usd_m", "relaxed_by_usd_m", "penalty_per_usd_m",
                 "text"]
RELAX_LABEL = {"command_floor": "floor", "pool_min": "pool minimum", "max_cut": "max-cut limit",
               "partner_floor": "partner floor", "lock": "lock"}


def scale_locks(inputs: AllocationInputs, settings: AllocationSettings,
                budget: float) -> tuple[AllocationSettings, list[tuple]]:
    """Settings with every lock scaled by budget / Σ locks when the locks alone exceed the budget and the
    settings say ``lock_shortfall: scale_pro_rata``; and the relaxations (group, subject, limit, cut).
    Otherwise the settings unchanged and no relaxation."""
    if settings.soft.lock_shortfall != "scale_pro_rata" or not settings.locks:
        return settings, []
    locks = _resolved_locks(inputs, settings)
    total = float(locks["amount_usd_m"].sum())
    if total <= budget + TOL:
        return settings, []
    factor = budget / total
    new = tuple(replace(lk, amount_usd_m=float(a) * factor)
                for lk, a in zip(settings.locks, locks["amount_usd_m"], strict=True))
    relax = [("lock", f"{lk.partner_id}/{lk.mechanism}", float(a), float(a) * (1 - factor), lk.basis)
             for lk, a in zip(settings.locks, locks["amount_usd_m"], strict=True)]
    return replace(settings, locks=new), relax


def _add_relaxations(result: AllocationResult, st: _Structure, x: np.ndarray, lock_relax: list[tuple]) -> None:
    """Name and size every relaxed limit: scaled locks, then soft limits whose slack is used, largest first."""
    rows = []
    for group, subject, limit, cut, basis in lock_relax:
        rows.append((f"lock {subject}", group, subject, limit, cut, math.inf,
                     f"lock {subject} {_m(limit)} scaled to {_m(limit - cut)} (−{_m(cut)}): the budget is below "
                     f"the sum of locks — DOES NOT MEET THE STATUTE/MOU ({basis or 'no basis given'})"))
    slack = x[st.n_seg + len(st.partner_ids):]
    lo, _ = st.row_bounds(result.budget_usd_m)
    for k in sorted(np.nonzero(slack > TOL)[0], key=lambda j: -float(slack[j])):  # largest first
        group, subject, pen = st.slack_group[k], st.slack_subject[k], float(st.slack_penalty[k])
        limit = float(lo[st.slack_row[k]])
        what = f"{subject} {RELAX_LABEL.get(group, group)}"
        rows.append((what, group, subject, limit, float(slack[k]), pen,
                     f"{what} {_m(limit)} relaxed by {_m(float(slack[k]))} (penalty {pen:g} per $1 M)"))
    result.relaxations = pd.DataFrame(rows, columns=RELAX_COLUMNS)
    result.meets_statute = not lock_relax
    result.penalty = float(np.dot(slack, st.slack_penalty)) if len(slack) else 0.0


def check_budget(budget_usd_m: Any) -> float:
    """A budget as a finite float in 0 – ``MAX_FUNDING_USD_M`` (US$ M/yr); raises InputError otherwise.
    Text is read by :func:`prioritizer.load.parse_number`: a decimal comma (``5920,5``) is refused, not
    read as 59,205."""
    return parse_number(budget_usd_m, what="budget", key="budget_usd_m", low=0.0,
                        high=MAX_FUNDING_USD_M)


def _highs_available() -> bool:
    try:
        return bool(pulp.HiGHS(msg=False).available())
    except Exception:  # pragma: no cover - depends on the installation
        return False


def _make_solver(solver: str, time_limit_s: float | None = None) -> tuple[Any, str, float]:
    """(PuLP solver, label, dual sign). PuLP's HiGHS reports duals of the minimised −benefit."""
    if solver not in SOLVERS:
        raise InputError(f"unknown solver '{solver}' (use {', '.join(SOLVERS)})", key="solver")
    bad_limit = isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float) \
        or not time_limit_s > 0
    if time_limit_s is not None and bad_limit:
        raise InputError(f"time limit must be a positive number of seconds (got {time_limit_s!r})",
                         key="time_limit_s")
    if solver in ("auto", "highs") and _highs_available():
        # HiGHS prints its banner on stdout (C level, once per process) when the first Highs object is made,
        # whatever msg says: make that first object here with fd 1 pointed at /dev/null.
        saved, sink = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            sys.stdout.flush()
            os.dup2(sink, 1)
            pulp.apis.highs_api.highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(sink)
        return pulp.HiGHS(msg=False, timeLimit=time_limit_s), HIGHS_LABEL, -1.0
    if solver == "highs":
        raise InputError("solver 'highs' requested but highspy is not installed", key="solver")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
    if not cbc.available():
        raise InputError("no LP solver available: install highspy (preferred) or CBC", key="solver")
    return cbc, "CBC", 1.0


def _pulp_problem(st: _Structure, value: np.ndarray, budget: float, name: str = "allocation"):
    """Build the PuLP model from the structure, expressions from coefficient lists (no repeated +)."""
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    add = prob.add_variable
    width = st.seg_width.tolist()
    cols = [add(f"x{j}", 0.0, w) for j, w in enumerate(width)]
    cols += [add(f"y{i}", lo, None if math.isinf(hi) else hi)
             for i, (lo, hi) in enumerate(zip(st.y_lo.tolist(), st.y_hi.tolist(), strict=True))]
    cols += [add(f"s{k}", 0.0, None if math.isinf(w) else w) for k, w in enumerate(st.slack_width.tolist())]
    full = st.objective(value)
    active = np.nonzero(full)[0].tolist()
    prob.setObjective(pulp.LpAffineExpression([(cols[j], float(full[j])) for j in active]))
    cons: list[tuple[int, str, Any]] = []  # (row index, side, constraint)
    row_lo, row_hi = st.row_bounds(budget)
    for r, row in enumerate(st.rows):
        lo, hi = float(row_lo[r]), float(row_hi[r])
        expr_terms = [(cols[j], c) for j, c in zip(row.idx.tolist(), row.coef.tolist(), strict=True)]
        if lo == hi:
            c = pulp.LpConstraint(pulp.LpAffineExpression(expr_terms), pulp.LpConstraintEQ, rhs=lo)
            prob.addConstraint(c, f"r{r}e")
            cons.append((r, "eq", c))
            continue
        if math.isfinite(lo):
            c = pulp.LpConstraint(pulp.LpAffineExpression(expr_terms), pulp.LpConstraintGE, rhs=lo)
            prob.addConstraint(c, f"r{r}l")
            cons.append((r, "lo", c))
        if math.isfinite(hi):
            c = pulp.LpConstraint(pulp.LpAffineExpression(expr_terms), pulp.LpConstraintLE, rhs=hi)
            prob.addConstraint(c, f"r{r}u")
            cons.append((r, "hi", c))
    return prob, cols, cons


def _is_optimal(prob: Any, label: str) -> tuple[bool, str]:
    """Optimal only if PuLP's status, its solution status and (for HiGHS) the raw model status agree.

    PuLP maps HiGHS time/iteration limits and interrupts to 'Optimal'; those are not optimal here.
    """
    status = pulp.LpStatus.get(prob.status, str(prob.status))
    ok = prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal
    if label.startswith("HiGHS") and getattr(prob, "solverModel", None) is not None:
        import highspy

        raw = prob.solverModel.getModelStatus()
        ok = ok and raw == highspy.HighsModelStatus.kOptimal
        if not ok:
            status = prob.solverModel.modelStatusToString(raw)
    elif not ok and status == "Optimal":
        status = "Not Solved"
    return ok, status


def allocate(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
             solver: str = "auto", time_limit_s: float | None = None) -> AllocationResult:
    """Solve the allocation LP for a budget (US$ M/yr); more benefit is better.

    Raises InputError for a bad budget or settings that do not match the inputs, and InfeasibleError
    (with a diagnosis naming the conflicting constraints and amounts) when no allocation satisfies them.
    Any other non-optimal end (e.g. ``time_limit_s`` reached) also raises InfeasibleError, with that
    status: a non-optimal solve never produces a result.
    """
    import time

    budget = check_budget(budget_usd_m)
    t0 = time.perf_counter()
    requested = settings
    settings, lock_relax = scale_locks(inputs, settings, budget)
    conflicts = diagnose(inputs, settings, budget)
    if conflicts:
        raise InfeasibleError(conflicts)
    st = _structure(inputs, settings)
    value = inputs.partners["value"].to_numpy(float)
    t1 = time.perf_counter()
    prob, cols, cons = _pulp_problem(st, value, budget)
    t2 = time.perf_counter()
    pulp_solver, label, sign = _make_solver(solver, time_limit_s)
    try:
        prob.solve(pulp_solver)
    except pulp.PulpSolverError as exc:
        if solver != "auto" or not label.startswith("HiGHS"):
            raise InfeasibleError([f"solver {label} failed: {exc}"], status="Not Solved") from None
        pulp_solver, label, sign = _make_solver("cbc", time_limit_s)
        prob, cols, cons = _pulp_problem(st, value, budget)
        prob.solve(pulp_solver)
    t3 = time.perf_counter()
    ok, status = _is_optimal(prob, label)
    if not ok:
        if status in ("Infeasible", "Unbounded or Infeasible", "Primal infeasible or unbounded"):
            raise InfeasibleError(_elastic_diagnosis(st, budget, solver), status="Infeasible")
        raise InfeasibleError([f"solver {label} stopped with status '{status}'; no allocation is reported"],
                              status=status)
    x = np.array([v.varValue or 0.0 for v in cols], dtype=float)
    dj = np.array([sign * (v.dj or 0.0) for v in cols], dtype=float)
    duals = {(r, side): sign * (c.pi if c.pi is not None else np.nan) for r, side, c in cons}
    result = _result(inputs, settings, st, x, dj, duals, budget, label, "Optimal")
    _add_relaxations(result, st, x, lock_relax)
    result.settings = requested
    result.timings = {"prepare_s": t1 - t0, "build_s": t2 - t1, "solve_s": t3 - t2,
                      "extract_s": time.perf_counter() - t3}
    return result


def _result(inputs: AllocationInputs, settings: AllocationSettings, st: _Structure, x: np.ndarray,
            dj: np.ndarray, duals: dict, budget: float, label: str, status: str) -> AllocationResult:
    p = inputs.partners
    P, M = len(st.partner_ids), len(st.mech_ids)
    seg = np.clip(x[: st.n_seg], 0.0, None)
    cell = np.zeros((P, M))
    np.add.at(cell, (st.seg_partner, st.seg_mech), seg)
    cell[cell < 1e-9] = 0.0
    mech = pd.DataFrame({
        "partner_id": np.repeat(st.partner_ids.to_numpy(), M),
        "mechanism": np.tile(np.array(st.mech_ids, dtype=object), P),
        "allocation_usd_m": cell.ravel(),
        "baseline_usd_m": inputs.baseline_by_mechanism.reindex(index=st.partner_ids,
                                                               columns=list(st.mech_ids)).to_numpy().ravel(),
        "eligible": inputs.eligible.reindex(index=st.partner_ids, columns=list(st.mech_ids)).to_numpy()
        .ravel(),
    })
    mech["change_usd_m"] = mech["allocation_usd_m"] - mech["baseline_usd_m"]
    mech["benefit"] = piecewise_benefit(inputs, settings,
                                        mech.rename(columns={"allocation_usd_m": "amount_usd_m"}))
    mech["eligibility_flag"] = inputs.flags.reindex(index=st.partner_ids,
                                                    columns=list(st.mech_ids)).to_numpy().ravel()
    alloc = cell.sum(axis=1)
    benefit = mech["benefit"].to_numpy().reshape(P, M).sum(axis=1)
    base_benefit = piecewise_benefit(
        inputs, settings, mech[["partner_id", "mechanism", "baseline_usd_m"]].rename(
            columns={"baseline_usd_m": "amount_usd_m"})).reshape(P, M).sum(axis=1)

    # marginal benefit of the next $1 M to each partner (best eligible, unlocked mechanism; curve only)
    u_k, _ = curve_breakpoints(settings)
    du = settings.u_max / settings.segments
    scale = p["scale_usd_m"].to_numpy(float)
    effect = np.array([settings.mechanism(m).effect for m in st.mech_ids])
    shape_k = np.diff(1.0 - np.exp(-u_k)) / du
    u = cell / scale[:, None]
    k = np.floor(u / du + 1e-9).astype(int)
    slope = np.where(k < settings.segments, shape_k[np.minimum(k, settings.segments - 1)], 0.0)
    elig = inputs.eligible.reindex(index=st.partner_ids, columns=list(st.mech_ids)).to_numpy(bool)
    unlocked = np.ones((P, M), dtype=bool)
    for row in st.locked.itertuples():
        unlocked[st.partner_ids.get_loc(row.partner_id), st.mech_ids.index(row.mechanism)] = False
    marginal = (p["value"].to_numpy(float)[:, None] * effect[None, :] * slope * elig * unlocked).max(axis=1) \
        if M else np.zeros(P)

    base = p["baseline_usd_m"].to_numpy(float)
    partners = pd.DataFrame({
        "name": p["name"], "command": p["command"], "partner_type": p["partner_type"],
        "priority": p["priority"], "propensity": p["propensity"], "risk": p["risk"], "value": p["value"],
        "scale_usd_m": p["scale_usd_m"], "baseline_usd_m": base, "allocation_usd_m": alloc,
        "change_usd_m": alloc - base,
        "change_pct": np.where(base > 0, 100.0 * (alloc - base) / np.where(base > 0, base, 1.0), np.nan),
        "benefit": benefit, "baseline_benefit": base_benefit,
        "marginal_benefit_per_usd_m": marginal,
        "lower_usd_m": st.bounds["lower_usd_m"].to_numpy(),
        "upper_usd_m": st.bounds["upper_usd_m"].to_numpy(),
        "reference_usd_m": st.bounds["reference_usd_m"].to_numpy(),
        "locked_usd_m": st.bounds["locked_usd_m"].to_numpy(),
    }, index=st.partner_ids)
    partners.index.name = "partner_id"
    for col in ("income_group", "need", "additionality", "frontline", "defence_forces", "data_risk",
                "diversion_risk"):
        if col in p.columns:
            partners[col] = p[col]
    for col in p.columns:
        if col.endswith("_score") and col not in partners.columns:
            partners[col] = p[col]

    binding = _binding(st, x, dj, duals, budget, settings)
    budget_dual = float(duals.get((st.budget_row, "hi"), 0.0))
    by_command = _by_command(partners, settings, binding)
    total = float(benefit.sum())
    return AllocationResult(
        status=status, solver=label, partners=partners, mechanisms=mech, by_command=by_command,
        binding=binding, budget_dual=budget_dual, total_benefit=total, budget_usd_m=budget,
        unspent_usd_m=max(0.0, budget - float(alloc.sum())), settings_name=settings.name,
        notes=list(inputs.notes), settings=settings,
    )


_GROUP_LABEL = {
    "partner_floor": "partner floor", "partner_cap": "partner cap", "max_cut": "max cut from baseline",
    "max_increase": "max increase from baseline",
}


def _binding(st: _Structure, x: np.ndarray, dj: np.ndarray, duals: dict, budget: float,
             settings: AllocationSettings) -> pd.DataFrame:
    """Constraints at their limit, with dual = benefit per +$1 M of the limit."""
    out = []
    row_lo, row_hi = st.row_bounds(budget)
    for r, row in enumerate(st.rows):
        if row.group in ("link", "partner_minimum"):
            continue
        activity = float(np.dot(row.coef, x[row.idx]))
        lo, hi = float(row_lo[r]), float(row_hi[r])
        tol = TOL * max(1.0, abs(hi) if math.isfinite(hi) else abs(lo))
        if row.group == "lock":
            out.append((f"lock {row.subject}", "lock", row.subject, hi, duals.get((r, "eq"), np.nan)))
            continue
        if math.isfinite(hi) and activity >= hi - tol:
            group = {"budget": "budget", "command": "command_cap", "pool": "pool_max"}[row.group]
            word = "cap" if row.group == "command" else "maximum"
            label = "budget" if row.group == "budget" else f"{row.group} {row.subject} {word}"
            out.append((label, group, row.subject, hi, duals.get((r, "hi"), np.nan)))
        elif math.isfinite(lo) and activity <= lo + tol:
            group = {"command": "command_floor", "pool": "pool_min"}[row.group]
            label = f"{row.group} {row.subject} {'floor' if row.group == 'command' else 'minimum'}"
            out.append((label, group, row.subject, lo, duals.get((r, "lo"), np.nan)))
    y = x[st.n_seg:]
    b = st.bounds
    for i, pid in enumerate(st.partner_ids):
        lo, hi = st.y_lo[i], st.y_hi[i]
        if math.isfinite(hi) and y[i] >= hi - TOL * max(1.0, hi) and hi > 0:
            rule = b["upper_rule"].iat[i]
            out.append((f"{_GROUP_LABEL[rule]} {pid}", rule, str(pid), hi, dj[st.n_seg + i]))
        elif lo > 0 and y[i] <= lo + TOL * max(1.0, lo):
            rule = b["lower_rule"].iat[i]
            out.append((f"{_GROUP_LABEL[rule]} {pid}", rule, str(pid), lo, dj[st.n_seg + i]))
    # curve ceilings: a cell whose last regular segment is full
    full = x[: st.n_seg] >= st.seg_width - TOL * np.maximum(1.0, st.seg_width)
    last = (st.seg_k == settings.segments - 1) & full
    for j in np.nonzero(last)[0]:
        pid, mid = st.partner_ids[st.seg_partner[j]], st.mech_ids[st.seg_mech[j]]
        amount = float(st.seg_width[j] / (settings.u_max / settings.segments) * settings.u_max)
        out.append((f"curve ceiling {pid}/{mid}", "curve_ceiling", f"{pid}/{mid}", amount, dj[j]))
    frame = pd.DataFrame(out, columns=["constraint", "group", "subject", "amount_usd_m", "dual"])
    frame["dual"] = frame["dual"].astype(float)
    return frame


def _by_command(partners: pd.DataFrame, settings: AllocationSettings, binding: pd.DataFrame) -> pd.DataFrame:
    g = partners.groupby("command")
    frame = pd.DataFrame({
        "partners": g.size(), "baseline_usd_m": g["baseline_usd_m"].sum(),
        "allocation_usd_m": g["allocation_usd_m"].sum(),
        "benefit": g["benefit"].sum(),
    })
    frame["change_usd_m"] = frame["allocation_usd_m"] - frame["baseline_usd_m"]
    frame["floor_usd_m"] = [settings.command_limit(c).floor_usd_m for c in frame.index]
    frame["cap_usd_m"] = [settings.command_limit(c).cap_usd_m for c in frame.index]
    frame["cap_usd_m"] = frame["cap_usd_m"].astype(float)
    caps = binding[binding["group"] == "command_cap"].set_index("subject")["dual"]
    floors = binding[binding["group"] == "command_floor"].set_index("subject")["dual"]
    frame["cap_dual"] = caps.reindex(frame.index).astype(float)
    frame["floor_dual"] = floors.reindex(frame.index).astype(float)
    frame.index.name = "command"
    return frame


# --------------------------------------------------------------------------------------------------
# Elastic re-solve: which constraint groups must be relaxed, by how much
# --------------------------------------------------------------------------------------------------


def _elastic_diagnosis(st: _Structure, budget: float, solver: str = "auto", limit: int = 8) -> list[str]:
    """Minimise total relaxation ($ M) over every constraint; name what must move and by how much."""
    prob = pulp.LpProblem("elastic", pulp.LpMinimize)
    add = prob.add_variable
    cols = [add(f"x{j}", 0.0, w) for j, w in enumerate(st.seg_width.tolist())]
    cols += [add(f"y{i}", 0.0, None) for i in range(len(st.partner_ids))]
    cols += [add(f"z{k}", 0.0, None if math.isinf(w) else w) for k, w in enumerate(st.slack_width.tolist())]
    slacks: list[tuple[Any, str, str, float, int]] = []  # (var, group, subject, limit, direction)

    def slack(group: str, subject: str, limit: float, direction: int) -> Any:
        v = add(f"s{len(slacks)}", 0.0, None)
        slacks.append((v, group, subject, limit, direction))
        return v

    row_lo, row_hi = st.row_bounds(budget)
    for r, row in enumerate(st.rows):
        terms = [(cols[j], c) for j, c in zip(row.idx.tolist(), row.coef.tolist(), strict=True)]
        lo, hi = float(row_lo[r]), float(row_hi[r])
        if row.group == "link":
            # ceiling slack: the partner may take more than its curve can absorb
            i = st.partner_ids.get_loc(row.subject)
            terms.append((slack("curve_ceiling", row.subject, float(st.capacity[i]), +1), 1.0))
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), EQ, rhs=0.0))
            continue
        group_lo = {"command": "command_floor", "pool": "pool_min", "lock": "lock",
                    "partner_minimum": "partner_floor"}.get(row.group, row.group)
        group_hi = {"command": "command_cap", "pool": "pool_max", "lock": "lock"}.get(row.group, row.group)
        if math.isfinite(lo):
            t = terms + [(slack(group_lo, row.subject, lo, -1), 1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), pulp.LpConstraintGE, rhs=lo))
        if math.isfinite(hi):
            t = terms + [(slack(group_hi, row.subject, hi, +1), -1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), pulp.LpConstraintLE, rhs=hi))
    b = st.bounds
    for i, pid in enumerate(st.partner_ids):
        y = cols[st.n_seg + i]
        if st.y_lo[i] > 0:
            t = [(y, 1.0), (slack(b["lower_rule"].iat[i], str(pid), st.y_lo[i], -1), 1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), GE, rhs=st.y_lo[i]))
        if math.isfinite(st.y_hi[i]):
            t = [(y, 1.0), (slack(b["upper_rule"].iat[i], str(pid), st.y_hi[i], +1), -1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), LE, rhs=st.y_hi[i]))
    prob.setObjective(pulp.LpAffineExpression([(s[0], 1.0) for s in slacks]))
    pulp_solver, label, _ = _make_solver(solver)
    prob.solve(pulp_solver)
    ok, status = _is_optimal(prob, label)
    if not ok:
        return [f"the solver reports the settings infeasible; the elastic re-solve ended '{status}'"]
    moves = [(s[1], s[2], s[3], s[4], s[0].varValue or 0.0) for s in slacks]
    moves = [m for m in moves if m[4] > TOL * max(1.0, abs(m[2]))]
    if not moves:
        return ["the solver reports the settings infeasible, but an elastic re-solve needs no relaxation "
                "(numerical trouble: try rounding amounts)"]
    names = {"budget": "the budget", "command_floor": "command floors", "command_cap": "command caps",
             "pool_min": "pool minimums", "pool_max": "pool maximums", "lock": "locks",
             "curve_ceiling": "curve ceilings (partner scale × u_max)", "partner_floor": "partner floors",
             "partner_cap": "partner caps", "max_cut": "max-cut-from-baseline limits",
             "max_increase": "max-increase-from-baseline limits"}
    lines = []
    frame = pd.DataFrame(moves, columns=["group", "subject", "limit", "direction", "amount"])
    total = frame.groupby("group")["amount"].sum().sort_values(ascending=False)
    for group, amount in total.items():
        items = frame[frame["group"] == group].sort_values("amount", ascending=False)
        parts = []
        for it in items.head(3).itertuples():
            new = it.limit + it.direction * it.amount
            verb = "raise" if it.direction > 0 else "lower"
            subj = "it" if group == "budget" else it.subject
            parts.append(f"{verb} {subj} from {_m(it.limit)} to {_m(new)}")
        more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
        lines.append(f"relax {names.get(group, group)} by {_m(amount)} in total: " + "; ".join(parts) + more)
        if len(lines) >= limit:
            break
    return ["no simple conflict found, but the solver says infeasible; an elastic re-solve finds the "
            "smallest relaxation:"] + lines


# --------------------------------------------------------------------------------------------------
# Matrix form (scipy / highspy): robustness re-solves and the frontier
# --------------------------------------------------------------------------------------------------


def _matrix(st: _Structure) -> sparse.csr_matrix:
    """Row-wise constraint matrix (rows × columns); bounds come from ``st.row_bounds(budget)``."""
    indptr = np.zeros(len(st.rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r.idx) for r in st.rows])
    indices = np.concatenate([r.idx for r in st.rows]) if st.rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate([r.coef for r in st.rows]) if st.rows else np.zeros(0)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(st.rows), st.n_cols))


def _linprog_parts(inputs: AllocationInputs, settings: AllocationSettings) -> dict:
    key = ("linprog", settings)
    if key in inputs.cache:
        return inputs.cache[key]
    st = _structure(inputs, settings)
    A = _matrix(st)
    eq = np.array([r.lo == r.hi and not r.lo_pct for r in st.rows], dtype=bool)
    eq[st.budget_row] = False
    # upper rows: finite caps and the budget row; lower rows: finite floors (or budget-share floors)
    hi_fin = np.array([math.isfinite(r.hi) for r in st.rows]) | (np.arange(len(st.rows)) == st.budget_row)
    lo_fin = np.array([math.isfinite(r.lo) or bool(r.lo_pct) for r in st.rows])
    ub_rows = np.nonzero(~eq & hi_fin)[0]
    lb_rows = np.nonzero(~eq & lo_fin)[0]
    A_ub = sparse.vstack([A[ub_rows], -A[lb_rows]]).tocsr()
    col_lo, col_hi = st.col_bounds()
    bounds = [(float(lo_), None if math.isinf(hi_) else float(hi_)) for lo_, hi_ in zip(col_lo, col_hi, strict=True)]
    parts = {"A_ub": A_ub, "A_eq": A[np.nonzero(eq)[0]], "eq_rows": np.nonzero(eq)[0], "ub_rows": ub_rows,
             "lb_rows": lb_rows, "bounds": bounds}
    inputs.cache[key] = parts
    return parts


def resolve_allocation(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
                       value: pd.Series | np.ndarray) -> pd.Series:
    """Re-solve with a replacement value_p vector (same constraints); allocation_usd_m per partner.

    For robustness runs: uses a cached matrix form with ``scipy.optimize.linprog(method="highs")``;
    only the objective changes. Raises InfeasibleError on any non-optimal status.
    """
    from scipy.optimize import linprog

    budget = check_budget(budget_usd_m)
    st = _structure(inputs, settings)
    if isinstance(value, pd.Series):
        missing = st.partner_ids.difference(value.index)
        if len(missing):
            raise InputError(f"value vector has no entry for partner '{missing[0]}'", key="value")
        vec = value.reindex(st.partner_ids).to_numpy(float)
    else:
        vec = np.asarray(value, dtype=float)
        if vec.shape != (len(st.partner_ids),):
            raise InputError(f"value vector has {vec.size} entries for {len(st.partner_ids)} partners",
                             key="value")
    if not np.all(np.isfinite(vec)) or (vec < 0).any():
        raise InputError("value vector must be finite and non-negative", key="value")
    parts = _linprog_parts(inputs, settings)
    lo, hi = st.row_bounds(budget)
    b_ub = np.concatenate([hi[parts["ub_rows"]], -lo[parts["lb_rows"]]])
    res = linprog(-st.objective(vec), A_ub=parts["A_ub"], b_ub=b_ub, A_eq=parts["A_eq"],
                  b_eq=lo[parts["eq_rows"]], bounds=parts["bounds"], method="highs")
    if res.status != 0:
        conflicts = diagnose(inputs, settings, budget) or [f"scipy HiGHS: {res.message}"]
        raise InfeasibleError(conflicts, status="Infeasible" if res.status == 2 else "Not Solved")
    alloc = np.bincount(st.seg_partner, weights=np.clip(res.x[: st.n_seg], 0.0, None),
                        minlength=len(st.partner_ids))
    return pd.Series(alloc, index=st.partner_ids, name="allocation_usd_m")


def highs_model(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
                value: np.ndarray | None = None) -> tuple[Any, _Structure]:
    """The allocation LP as one ``highspy.Highs`` model (maximise benefit), and its structure.

    For repeated warm re-solves (frontier, robustness): change the budget with :func:`set_budget` (the
    budget row and any budget-share floors) or the objective with
    ``h.changeColsCost`` using ``structure.objective(value)``; always check ``h.getModelStatus()``.
    Columns: one per curve segment (``seg_partner``, ``seg_mech``), then one partner total per partner.
    """
    import highspy

    budget = check_budget(budget_usd_m)
    st = _structure(inputs, settings)
    A = _matrix(st)
    lo, hi = st.row_bounds(budget)
    col_lo, col_hi = st.col_bounds()
    inf = highspy.kHighsInf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = st.n_cols, len(st.rows)
    lp.sense_ = highspy.ObjSense.kMaximize
    vec = inputs.partners["value"].to_numpy(float) if value is None else np.asarray(value, float)
    lp.col_cost_ = st.objective(vec)
    lp.col_lower_ = col_lo
    lp.col_upper_ = np.where(np.isinf(col_hi), inf, col_hi)
    lp.row_lower_ = np.where(np.isinf(lo), -inf, lo)
    lp.row_upper_ = np.where(np.isinf(hi), inf, hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    return h, st


def set_budget(h: Any, st: _Structure, budget: float) -> None:
    """Move a ``highs_model`` to another budget: the budget row and every budget-share floor row."""
    import highspy

    lo, hi = st.row_bounds(budget)
    for r, row in enumerate(st.rows):
        if r == st.budget_row or row.lo_pct:
            h.changeRowBounds(r, -highspy.kHighsInf if math.isinf(lo[r]) else float(lo[r]),
                              highspy.kHighsInf if math.isinf(hi[r]) else float(hi[r]))


def frontier(inputs: AllocationInputs, settings: AllocationSettings, levels: int = 25, low_pct: float = 20,
             high_pct: float = 200, budgets: Sequence[float] | None = None) -> pd.DataFrame:
    """Total benefit at budget levels from ``low_pct`` to ``high_pct`` % of the baseline total.

    Columns: budget_usd_m, pct_of_baseline, total_benefit, net_benefit (benefit − soft-limit penalties),
    allocated_usd_m, budget_dual, relaxed_usd_m (soft limits missed and locks scaled, US$ M), meets_statute
    (False where locks were scaled down), status, solver, note (what was relaxed). With hard limits,
    infeasible levels stay as rows with status 'Infeasible' and the conflict in ``note``. Uses one HiGHS
    model (highspy) re-solved warm for each level (budget row and budget-share floors change); levels below
    the sum of locks are solved on their own with the locks scaled. Without highspy, one PuLP solve per level.
    """
    if budgets is None:
        if isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 2:
            raise InputError(f"levels must be a whole number ≥ 2 (got {levels!r})", key="levels")
        for name, v in (("low_pct", low_pct), ("high_pct", high_pct)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise InputError(f"{name} must be a non-negative number (got {v!r})", key=name)
        if low_pct >= high_pct:
            raise InputError(f"low_pct {low_pct:g} must be below high_pct {high_pct:g}", key="low_pct")
        base = inputs.baseline_total_usd_m
        if base <= 0:
            raise InputError("baseline total is $0 M; give explicit budget levels", key="budgets")
        budgets = list(np.linspace(low_pct, high_pct, int(levels)) / 100.0 * base)
    budgets = [check_budget(b) for b in budgets]
    base = inputs.baseline_total_usd_m
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a pinned requirement
        highspy = None
    rows = []
    cols = ["budget_usd_m", "total_benefit", "net_benefit", "allocated_usd_m", "budget_dual", "relaxed_usd_m",
            "meets_statute", "status", "solver", "note"]

    def full_solve(b: float) -> tuple:
        try:
            res = allocate(inputs, settings, b)
        except InfeasibleError as exc:
            return (b, np.nan, np.nan, np.nan, np.nan, np.nan, False, exc.status, _make_solver("auto")[1],
                    "; ".join(exc.diagnosis))
        note = "; ".join(res.relaxations["text"]) if len(res.relaxations) else ""
        return (b, res.total_benefit, res.net_benefit, b - res.unspent_usd_m, res.budget_dual,
                float(res.relaxations["relaxed_by_usd_m"].sum()), res.meets_statute, "Optimal", res.solver, note)

    if highspy is None:
        rows = [full_solve(b) for b in budgets]
    else:
        h, st = highs_model(inputs, settings, max(budgets))
        P = len(st.partner_ids)
        benefit_cost = st.objective(inputs.partners["value"].to_numpy(float))[: st.n_seg]
        for b in sorted(budgets):
            if scale_locks(inputs, settings, b)[1]:  # locks above this budget: scaled, solved on their own
                rows.append(full_solve(b))
                continue
            conflicts = diagnose(inputs, settings, b)
            if conflicts:
                rows.append((b, np.nan, np.nan, np.nan, np.nan, np.nan, False, "Infeasible", HIGHS_LABEL,
                             "; ".join(conflicts)))
                continue
            set_budget(h, st, b)
            h.run()
            status = h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                name = h.modelStatusToString(status)
                infeasible = "nfeasible" in name
                note = "; ".join(_elastic_diagnosis(st, b)) if infeasible else f"HiGHS: {name}"
                rows.append((b, np.nan, np.nan, np.nan, np.nan, np.nan, False,
                             "Infeasible" if infeasible else name, HIGHS_LABEL, note))
                continue
            sol = h.getSolution()
            xs = np.asarray(sol.col_value)
            benefit = float(np.dot(benefit_cost, np.clip(xs[: st.n_seg], 0.0, None)))
            slack = xs[st.n_seg + P:]
            obj = float(h.getInfo().objective_function_value)  # benefit − penalties
            dual = float(np.asarray(sol.row_dual)[st.budget_row])  # maximise sense: benefit per +$1 M
            used = slack > TOL
            note = "; ".join(f"{st.slack_subject[k]} {RELAX_LABEL.get(st.slack_group[k], st.slack_group[k])} "
                             f"relaxed by {_m(float(slack[k]))}" for k in np.nonzero(used)[0][:6])
            if used.sum() > 6:
                note += f" (+{int(used.sum()) - 6} more)"
            rows.append((b, benefit, obj, float(xs[st.n_seg:st.n_seg + P].sum()), dual, float(slack[used].sum()),
                         True, "Optimal", HIGHS_LABEL, note))
    frame = pd.DataFrame(rows, columns=cols)
    frame.insert(1, "pct_of_baseline", 100.0 * frame["budget_usd_m"] / base if base > 0 else np.nan)
    return frame.sort_values("budget_usd_m").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Synthetic inputs (tests, benchmarks, demos)
# --------------------------------------------------------------------------------------------------


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
