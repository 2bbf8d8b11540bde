"""The efficient frontier: total benefit at a range of budget levels, from one HiGHS model re-solved warm."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from prioritizer.allocation.diagnose import _elastic_diagnosis, diagnose
from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.model import TOL, highs_model, scale_locks, set_budget
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.solve import HIGHS_LABEL, allocate, check_budget, run_highs
from prioritizer.allocation.words import count, money, namer
from prioritizer.errors import InfeasibleError, InputError


def frontier(inputs: AllocationInputs, settings: AllocationSettings, levels: int = 25, low_pct: float = 20,
             high_pct: float = 200, budgets: Sequence[float] | None = None) -> pd.DataFrame:
    """Total benefit at budget levels from ``low_pct`` to ``high_pct`` % of the baseline total.

    Columns: budget_usd_m, pct_of_baseline, total_benefit, net_benefit (benefit − soft-limit penalties),
    allocated_usd_m, budget_dual, relaxed_usd_m (soft limits missed and locks scaled, US$ M), meets_statute
    (False where locks were scaled down), status, solver, note (what was relaxed). With hard limits,
    infeasible levels stay as rows with status 'Infeasible' and the conflict in ``note``. Uses one HiGHS
    model (highspy) re-solved warm for each level (budget row and budget-share floors change); levels below
    the sum of locks are solved on their own with the locks scaled.
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
    rows = []
    cols = ["budget_usd_m", "total_benefit", "net_benefit", "allocated_usd_m", "budget_dual", "relaxed_usd_m",
            "meets_statute", "status", "solver", "note"]

    def full_solve(b: float) -> tuple:
        try:
            res = allocate(inputs, settings, b)
        except InfeasibleError as exc:
            return (b, np.nan, np.nan, np.nan, np.nan, np.nan, False, exc.status, HIGHS_LABEL,
                    " ".join(exc.diagnosis))
        note = " ".join(res.relaxations["text"]) if len(res.relaxations) else ""
        return (b, res.total_benefit, res.net_benefit, b - res.unspent_usd_m, res.budget_dual,
                float(res.relaxations["relaxed_by_usd_m"].sum()), res.meets_statute, "Optimal", res.solver, note)

    # one model, re-solved warm level by level
    words = namer(inputs.partners, settings)
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
                         " ".join(conflicts)))
            continue
        set_budget(h, st, b)
        name = run_highs(h)
        if name is not None:
            infeasible = "nfeasible" in name
            note = " ".join(_elastic_diagnosis(st, b, words)) if infeasible else \
                f"The solver stopped before an optimal allocation ({name})."
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
        lo_b, _ = st.row_bounds(b)
        order = sorted(np.nonzero(used)[0], key=lambda k: -float(slack[k]))
        note = " ".join(f"{words.limit(st.slack_group[k], st.slack_subject[k], float(lo_b[st.slack_row[k]]))}"
                        f" — relaxed by {money(float(slack[k]))}." for k in order[:6])
        if used.sum() > 6:
            note += f" And {count(int(used.sum()) - 6, 'more limit')} relaxed."
        rows.append((b, benefit, obj, float(xs[st.n_seg:st.n_seg + P].sum()), dual, float(slack[used].sum()),
                     True, "Optimal", HIGHS_LABEL, note))
    frame = pd.DataFrame(rows, columns=cols)
    frame.insert(1, "pct_of_baseline", 100.0 * frame["budget_usd_m"] / base if base > 0 else np.nan)
    return frame.sort_values("budget_usd_m").reset_index(drop=True)
