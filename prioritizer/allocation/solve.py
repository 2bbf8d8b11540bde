"""Solve the allocation LP for a budget with HiGHS (``highspy``) and read off the allocation, the binding
constraints with their marginal values, and every relaxed limit, in plain words.

Benefit is measured in *effective US$ M*: at the first dollar a top-priority (5), propensity-100, riskless,
full-need partner turns $1 M through a mechanism with effect 1.0 into 1 unit of benefit. Every solve's
status is checked: an infeasible, time-limited or otherwise non-optimal solve never returns a result.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pandas as pd

from prioritizer.allocation.diagnose import _elastic_diagnosis, diagnose
from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.model import (
    TOL,
    _Structure,
    _structure,
    constraint_matrix,
    highs_model,
    scale_locks,
    value_vector,
)
from prioritizer.allocation.settings import SOLVERS, AllocationSettings
from prioritizer.allocation.value import benefit_curve, curve_breakpoints
from prioritizer.allocation.words import Namer, money, namer
from prioritizer.data.numeric import parse_number
from prioritizer.data.planner_inputs import MAX_FUNDING_USD_M
from prioritizer.errors import InfeasibleError, InputError

HIGHS_LABEL = "HiGHS (highspy)"
RELAX_COLUMNS = ["constraint", "group", "subject", "partner_id", "mechanism", "limit_usd_m", "relaxed_by_usd_m",
                 "penalty_per_usd_m", "text"]
BINDING_COLUMNS = ["constraint", "group", "subject", "partner_id", "mechanism", "amount_usd_m", "dual"]


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




def check_budget(budget_usd_m: Any) -> float:
    """A budget as a finite float in 0 – ``MAX_FUNDING_USD_M`` (US$ M/yr); raises InputError otherwise.
    Text is read by :func:`prioritizer.load.parse_number`: a decimal comma (``5920,5``) is refused, not
    read as 59,205."""
    return parse_number(budget_usd_m, what="budget", key="budget_usd_m", low=0.0, high=MAX_FUNDING_USD_M)


def _check_solver(solver: str, time_limit_s: float | None) -> None:
    if solver not in SOLVERS:
        raise InputError(f"unknown solver '{solver}' (use {', '.join(SOLVERS)})", key="solver")
    bad = isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float) or not time_limit_s > 0
    if time_limit_s is not None and bad:
        raise InputError(f"the time limit must be a positive number of seconds (got {time_limit_s!r})",
                         key="time_limit_s")


def run_highs(h: highspy.Highs) -> str | None:
    """Run HiGHS; None when optimal, else HiGHS's status in words (the caller must not report a result)."""
    h.run()
    status = h.getModelStatus()
    return None if status == highspy.HighsModelStatus.kOptimal else h.modelStatusToString(status)


def allocate(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
             solver: str = "auto", time_limit_s: float | None = None) -> AllocationResult:
    """Solve the allocation LP for a budget (US$ M/yr); more benefit is better.

    ``solver``: ``auto`` (by size), ``simplex`` or ``ipm`` (HiGHS methods). Raises InputError for a bad
    budget or settings that do not match the inputs, and InfeasibleError (with a diagnosis naming the
    conflicting limits and amounts) when no allocation satisfies them. Any other non-optimal end (e.g.
    ``time_limit_s`` reached) also raises InfeasibleError with that status: a non-optimal solve never
    produces a result.
    """
    budget = check_budget(budget_usd_m)
    _check_solver(solver, time_limit_s)
    t0 = time.perf_counter()
    requested = settings
    settings, lock_relax = scale_locks(inputs, settings, budget)
    conflicts = diagnose(inputs, settings, budget)
    if conflicts:
        raise InfeasibleError(conflicts)
    t1 = time.perf_counter()
    h, st = highs_model(inputs, settings, budget, solver=solver, time_limit_s=time_limit_s)
    t2 = time.perf_counter()
    failed = run_highs(h)
    t3 = time.perf_counter()
    if failed is not None:
        if "nfeasible" in failed:
            raise InfeasibleError(_elastic_diagnosis(st, budget, namer(inputs.partners, settings)),
                                  status="Infeasible")
        raise InfeasibleError([f"The solver stopped before an optimal allocation ({failed.lower()}): no allocation is "
                               "reported."],
                              status=failed)
    sol = h.getSolution()
    x = np.asarray(sol.col_value, float)
    result = _result(inputs, settings, st, x, np.asarray(sol.col_dual, float), np.asarray(sol.row_dual, float),
                     budget, HIGHS_LABEL, "Optimal")
    _add_relaxations(result, st, x, lock_relax, namer(inputs.partners, settings))
    result.settings = requested
    result.timings = {"prepare_s": t1 - t0, "build_s": t2 - t1, "solve_s": t3 - t2,
                      "extract_s": time.perf_counter() - t3}
    return result


def resolve_allocation(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
                       value: pd.Series | np.ndarray) -> pd.Series:
    """Re-solve with a replacement value_p vector (same constraints); allocation_usd_m per partner.

    Raises InputError for an incomplete or negative vector and InfeasibleError on any non-optimal status.
    """
    budget = check_budget(budget_usd_m)
    st = _structure(inputs, settings)
    vec = value_vector(st, value)
    conflicts = diagnose(inputs, settings, budget)
    if conflicts:
        raise InfeasibleError(conflicts)
    h, st = highs_model(inputs, settings, budget, value=vec)
    failed = run_highs(h)
    if failed is not None:
        raise InfeasibleError([f"The solver stopped before an optimal allocation ({failed})."],
                              status="Infeasible" if "nfeasible" in failed else failed)
    x = np.asarray(h.getSolution().col_value)
    alloc = np.bincount(st.seg_partner, weights=np.clip(x[: st.n_seg], 0.0, None), minlength=len(st.partner_ids))
    return pd.Series(alloc, index=st.partner_ids, name="allocation_usd_m")


def _add_relaxations(result: AllocationResult, st: _Structure, x: np.ndarray, lock_relax: list[tuple],
                     words: Namer) -> None:
    """Name and size every relaxed limit: scaled locks, then soft limits whose slack is used, largest first."""
    rows = []
    for group, subject, limit, cut, basis in lock_relax:
        pid, _, mid = subject.partition("/")
        rows.append((f"Lock on {words.cell(subject)}", group, subject, pid, mid, limit, cut, math.inf,
                     f"{words.cell(subject)} is scaled from {money(limit)} to {money(limit - cut)} (−{money(cut)}) "
                     f"because the budget is below the sum of the locks. This DOES NOT MEET THE STATUTE/MOU "
                     f"({basis or 'no basis given'})."))
    slack = x[st.n_seg + len(st.partner_ids):]
    lo, _ = st.row_bounds(result.budget_usd_m)
    for k in sorted(np.nonzero(slack > TOL)[0], key=lambda j: -float(slack[j])):  # largest first
        group, subject, pen = st.slack_group[k], st.slack_subject[k], float(st.slack_penalty[k])
        limit, by = float(lo[st.slack_row[k]]), float(slack[k])
        what = words.limit(group, subject, limit)
        pid = subject if group in ("max_cut", "partner_floor") else ""
        mid = subject if group == "pool_min" else ""
        rows.append((what, group, subject, pid, mid, limit, by, pen,
                     f"{what} — relaxed by {money(by)} (penalty {pen:g} benefit units per $1 M missed)."))
    result.relaxations = pd.DataFrame(rows, columns=RELAX_COLUMNS)
    result.meets_statute = not lock_relax
    result.penalty = float(np.dot(slack, st.slack_penalty)) if len(slack) else 0.0


def _result(inputs: AllocationInputs, settings: AllocationSettings, st: _Structure, x: np.ndarray,
            dj: np.ndarray, row_dual: np.ndarray, budget: float, label: str, status: str) -> AllocationResult:
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
    value_p = p["value"].to_numpy(float)[:, None]
    scale_p = p["scale_usd_m"].to_numpy(float)[:, None]
    effect_m = np.array([settings.mechanism(m).effect for m in st.mech_ids])[None, :]
    cell_benefit = benefit_curve(value_p, effect_m, scale_p, cell, settings)
    mech["benefit"] = cell_benefit.ravel()
    mech["eligibility_flag"] = inputs.flags.reindex(index=st.partner_ids,
                                                    columns=list(st.mech_ids)).to_numpy().ravel()
    alloc = cell.sum(axis=1)
    benefit = cell_benefit.sum(axis=1)
    base_cells = mech["baseline_usd_m"].to_numpy(float).reshape(P, M)
    base_benefit = benefit_curve(value_p, effect_m, scale_p, np.nan_to_num(base_cells), settings).sum(axis=1)

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
    for col in ("income_group", "milex_usd_m", "milex_source", "need", "additionality", "frontline",
                "defence_forces", "data_risk", "diversion_risk"):
        if col in p.columns:
            partners[col] = p[col]
    for col in p.columns:
        if col.endswith("_score") and col not in partners.columns:
            partners[col] = p[col]

    binding = _binding(st, x, dj, row_dual, budget, settings, namer(p, settings))
    budget_dual = float(row_dual[st.budget_row])
    by_command = _by_command(partners, settings, binding)
    total = float(benefit.sum())
    return AllocationResult(
        status=status, solver=label, partners=partners, mechanisms=mech, by_command=by_command,
        binding=binding, budget_dual=budget_dual, total_benefit=total, budget_usd_m=budget,
        unspent_usd_m=max(0.0, budget - float(alloc.sum())), settings_name=settings.name,
        notes=list(inputs.notes), settings=settings,
    )


def _binding(st: _Structure, x: np.ndarray, dj: np.ndarray, row_dual: np.ndarray, budget: float,
             settings: AllocationSettings, words: Namer) -> pd.DataFrame:
    """Limits the allocation is at, with ``dual`` = benefit per +$1 M of the limit, one sentence each."""
    out = []
    row_lo, row_hi = st.row_bounds(budget)
    activity = constraint_matrix(st) @ x
    for r, row in enumerate(st.rows):
        if row.group in ("link", "partner_minimum"):
            continue
        lo, hi, act = float(row_lo[r]), float(row_hi[r]), float(activity[r])
        tol = TOL * max(1.0, abs(hi) if math.isfinite(hi) else abs(lo))
        if row.group == "lock":
            out.append(("lock", row.subject, hi, row_dual[r]))
        elif math.isfinite(hi) and act >= hi - tol:
            out.append(({"budget": "budget", "command": "command_cap", "pool": "pool_max"}[row.group],
                        row.subject, hi, row_dual[r]))
        elif math.isfinite(lo) and act <= lo + tol:
            out.append(({"command": "command_floor", "pool": "pool_min"}[row.group], row.subject, lo, row_dual[r]))
    y = x[st.n_seg:st.n_seg + len(st.partner_ids)]
    upper_rule, lower_rule = st.bounds["upper_rule"].tolist(), st.bounds["lower_rule"].tolist()
    pid_text = [str(pid) for pid in st.partner_ids.tolist()]
    finite_hi = np.where(np.isfinite(st.y_hi), st.y_hi, 1.0)
    at_hi = np.isfinite(st.y_hi) & (y >= finite_hi - TOL * np.maximum(1.0, finite_hi)) & (st.y_hi > 0)
    at_lo = ~at_hi & (st.y_lo > 0) & (y <= st.y_lo + TOL * np.maximum(1.0, st.y_lo))
    for i in np.nonzero(at_hi | at_lo)[0].tolist():
        rule = upper_rule[i] if at_hi[i] else lower_rule[i]
        out.append((rule, pid_text[i], float(st.y_hi[i] if at_hi[i] else st.y_lo[i]), dj[st.n_seg + i]))
    # absorption (curve) ceilings: a cell whose last regular segment is full
    full = x[: st.n_seg] >= st.seg_width - TOL * np.maximum(1.0, st.seg_width)
    for j in np.nonzero((st.seg_k == settings.segments - 1) & full)[0].tolist():
        cell = f"{pid_text[st.seg_partner[j]]}/{st.mech_ids[st.seg_mech[j]]}"
        out.append(("curve_ceiling", cell, float(st.seg_width[j] * settings.segments), dj[j]))
    rows = []
    for group, subject, amount, dual in out:
        pid, mid = _ids(group, subject)
        rows.append((_binding_text(group, subject, amount, st, settings, words), group, subject, pid, mid, amount,
                     float(dual)))
    frame = pd.DataFrame(rows, columns=BINDING_COLUMNS)
    frame["dual"] = frame["dual"].astype(float)
    return frame


def _ids(group: str, subject: str) -> tuple[str, str]:
    """(partner_id, mechanism) a limit applies to ('' where none)."""
    if group in ("lock", "curve_ceiling"):
        pid, _, mid = subject.partition("/")
        return pid, mid
    if group in ("pool_max", "pool_min"):
        return "", subject
    if group in ("partner_cap", "partner_floor", "max_cut", "max_increase"):
        return subject, ""
    return "", ""


def _binding_text(group: str, subject: str, amount: float, st: _Structure, settings: AllocationSettings,
                  words: Namer) -> str:
    if group == "lock":
        pid, _, mid = subject.partition("/")
        lock = next((lk for lk in settings.locks if lk.partner_id == pid and lk.mechanism == mid), None)
        why = ", ".join(t for t in ((lock.basis, lock.citation) if lock else ()) if t)
        return words.limit(group, subject, amount) + (f" ({why})" if why else "")
    if group in ("max_cut", "max_increase"):
        lim = settings.partner_limits(subject)
        if group == "max_increase" and lim.max_increase_pct is not None:
            return (f"Increase limit: at most +{lim.max_increase_pct:g} % over baseline (or +"
                    f"{money(lim.increase_allowance_usd_m)}), so {words.partner(subject)} gets at most "
                    f"{money(amount)}")
        if group == "max_cut" and lim.max_cut_pct is not None:
            return (f"Cut limit: at most −{lim.max_cut_pct:g} % from baseline, so {words.partner(subject)} keeps "
                    f"at least {money(amount)}")
    return words.limit(group, subject, amount)


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
