"""The allocation LP's structure (columns, rows, bounds) built once per settings, and its HiGHS model.

Decision ``x[p, m]`` ≥ 0 is US$ M/yr to partner ``p`` through mechanism ``m``, written as the curve
segments of the cell (see :func:`prioritizer.allocation.value.benefit_curve`); one partner-total column per
partner carries the partner's bounds; soft lower limits get a slack column each. The constraint matrix is
built vectorised (scipy CSR) and handed to HiGHS (``highspy``) directly; the frontier and robustness re-solve
the same model warm with only the budget, the objective or the segment widths changed.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.value import curve_breakpoints
from prioritizer.errors import InputError

TOL = 1e-6  # US$ M; below this an amount is treated as zero and a constraint as binding
INF = highspy.kHighsInf


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
    matrix: sparse.csr_matrix | None = field(default=None, repr=False)  # built once by constraint_matrix

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
    limits = [settings.partner_limits(pid) for pid in p.index] if settings.partner_overrides else \
        [settings.partner_defaults] * len(p.index)
    base = discretionary.to_numpy(float)
    lk = locked.to_numpy(float)
    cut = np.array([1.0 if lim.max_cut_pct is None else lim.max_cut_pct / 100.0 for lim in limits])
    inc = np.array([math.nan if lim.max_increase_pct is None else lim.max_increase_pct / 100.0 for lim in limits])
    allowance = np.array([lim.increase_allowance_usd_m for lim in limits])
    floor = np.array([lim.floor_usd_m for lim in limits])
    cap = np.array([math.inf if lim.cap_usd_m is None else lim.cap_usd_m for lim in limits])
    ch_lo = np.maximum(0.0, base * (1.0 - cut)) + lk
    ch_hi = np.where(np.isnan(inc), math.inf, np.maximum(base * (1.0 + np.nan_to_num(inc)), base + allowance) + lk)
    use_floor = (floor >= ch_lo) & (floor > 0)
    use_cap = cap <= ch_hi
    out = pd.DataFrame(index=p.index)
    out["lower_usd_m"] = np.where(use_floor, floor, ch_lo)
    out["lower_rule"] = np.where(use_floor, "partner_floor", "max_cut").astype(object)
    out["upper_usd_m"] = np.where(use_cap, cap, ch_hi)
    out["upper_rule"] = np.where(use_cap, "partner_cap", "max_increase").astype(object)
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
    pid_text = [str(pid) for pid in pids.tolist()]
    # all link rows at once: partner i's segments, then its total column (coefficient −1)
    link_idx = np.empty(n_seg + P, dtype=np.int64)
    link_coef = np.ones(n_seg + P)
    y_pos = starts[1:] + np.arange(P)
    link_idx[seg_index + seg_partner] = seg_index
    link_idx[y_pos] = ycol
    link_coef[y_pos] = -1.0
    cuts = y_pos[:-1] + 1
    for pid, idx, coef in zip(pid_text, np.split(link_idx, cuts), np.split(link_coef, cuts), strict=True):
        rows.append(_Row(f"link {pid}", "link", pid, idx, coef, 0.0, 0.0))
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
        lower_rule = bounds["lower_rule"].tolist()
        for i in np.nonzero(target > lk + TOL)[0].tolist():
            rule = lower_rule[i]
            rows.append(soften(_Row(f"{rule} {pid_text[i]}", "partner_minimum", pid_text[i], np.array([ycol[i]]),
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




def scale_locks(inputs: AllocationInputs, settings: AllocationSettings,
                budget: float) -> tuple[AllocationSettings, list[tuple]]:
    """Settings with every lock scaled by budget / Σ locks when the locks alone exceed the budget and the
    settings say ``lock_shortfall: scale_pro_rata``; and the relaxations (group, subject, limit, cut, basis).
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


def constraint_matrix(st: _Structure) -> sparse.csr_matrix:
    """Row-wise constraint matrix (rows × columns); bounds come from ``st.row_bounds(budget)``."""
    if st.matrix is None:
        indptr = np.zeros(len(st.rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r.idx) for r in st.rows])
        indices = np.concatenate([r.idx for r in st.rows]) if st.rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([r.coef for r in st.rows]) if st.rows else np.zeros(0)
        st.matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(st.rows), st.n_cols))
    return st.matrix


_BANNER_DONE: list[bool] = []


def new_highs(method: str = "simplex", time_limit_s: float | None = None) -> highspy.Highs:
    """A silent ``highspy.Highs`` set to ``method`` (simplex or ipm).

    HiGHS prints its banner on stdout (C level, once per process) when the first Highs object is made,
    whatever ``output_flag`` says: that first object is made here with fd 1 pointed at /dev/null.
    """
    if not _BANNER_DONE:
        saved, sink = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            sys.stdout.flush()
            os.dup2(sink, 1)
            highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(sink)
        _BANNER_DONE.append(True)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm" if method == "ipm" else "simplex")
    if method == "ipm":
        h.setOptionValue("run_crossover", "on")  # a basic solution: exact duals and binding constraints
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    return h


def _finite(a: np.ndarray) -> np.ndarray:
    return np.where(np.isposinf(a), INF, np.where(np.isneginf(a), -INF, a))


def pass_lp(h: highspy.Highs, A: sparse.csr_matrix, cost: np.ndarray, col_lo: np.ndarray, col_hi: np.ndarray,
            row_lo: np.ndarray, row_hi: np.ndarray, maximise: bool) -> None:
    """Hand one LP in matrix form to HiGHS (rowwise matrix, infinite bounds as HiGHS's infinity)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.col_cost_ = np.asarray(cost, float)
    lp.col_lower_ = _finite(np.asarray(col_lo, float))
    lp.col_upper_ = _finite(np.asarray(col_hi, float))
    lp.row_lower_ = _finite(np.asarray(row_lo, float))
    lp.row_upper_ = _finite(np.asarray(row_hi, float))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    h.passModel(lp)


def choose_method(st: _Structure, solver: str = "auto") -> str:
    """``simplex`` or ``ipm`` for a solver setting. ``auto``/``highs`` = the dual simplex: on this LP shape it
    beat the interior-point method at 2,000 and at 20,000 partners (benchmarks/bench_allocate.py), and its
    basis warm-starts the frontier's and robustness's re-solves."""
    return "ipm" if solver == "ipm" else "simplex"


def highs_model(inputs: AllocationInputs, settings: AllocationSettings, budget: float,
                value: np.ndarray | None = None, solver: str = "auto",
                time_limit_s: float | None = None) -> tuple[highspy.Highs, _Structure]:
    """The allocation LP as one ``highspy.Highs`` model (maximise benefit), and its structure.

    For repeated warm re-solves (frontier, robustness): change the budget with :func:`set_budget` (the
    budget row and any budget-share floors) or the objective with ``h.changeColsCost`` using
    ``structure.objective(value)``; always check ``h.getModelStatus()``.
    Columns: one per curve segment (``seg_partner``, ``seg_mech``), then one partner total per partner,
    then one slack per soft lower limit.
    """
    st = _structure(inputs, settings)
    lo, hi = st.row_bounds(budget)
    col_lo, col_hi = st.col_bounds()
    vec = inputs.partners["value"].to_numpy(float) if value is None else np.asarray(value, float)
    h = new_highs(choose_method(st, solver), time_limit_s)
    pass_lp(h, constraint_matrix(st), st.objective(vec), col_lo, col_hi, lo, hi, maximise=True)
    return h, st


def set_budget(h: highspy.Highs, st: _Structure, budget: float) -> None:
    """Move a ``highs_model`` to another budget: the budget row and every budget-share floor row."""
    lo, hi = st.row_bounds(budget)
    rows = np.array([r for r, row in enumerate(st.rows) if r == st.budget_row or row.lo_pct], dtype=np.int32)
    for r, low, high in zip(rows, _finite(lo[rows]), _finite(hi[rows]), strict=True):  # a few rows; the
        h.changeRowBounds(int(r), float(low), float(high))  # batch call is missing before highspy 1.8


def value_vector(st: _Structure, value: pd.Series | np.ndarray) -> np.ndarray:
    """A replacement value_p vector in the structure's partner order; InputError if incomplete or negative."""
    if isinstance(value, pd.Series):
        missing = st.partner_ids.difference(value.index)
        if len(missing):
            raise InputError(f"the value vector has no entry for partner '{missing[0]}'", key="value")
        vec = value.reindex(st.partner_ids).to_numpy(float)
    else:
        vec = np.asarray(value, dtype=float)
        if vec.shape != (len(st.partner_ids),):
            raise InputError(f"the value vector has {vec.size} entries for {len(st.partner_ids)} partners",
                             key="value")
    if not np.all(np.isfinite(vec)) or (vec < 0).any():
        raise InputError("the value vector must be finite and non-negative", key="value")
    return vec
