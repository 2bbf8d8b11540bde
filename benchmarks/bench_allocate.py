"""Allocation LP timings: the three ways the same LP was solved, and the one path kept.

Run: ``python benchmarks/bench_allocate.py [--sizes 2000 20000] [--levels 25] [--skip-pulp]``. Prints sizes,
seconds and ratios, no asserts. Synthetic partners (``prioritizer.allocation.synthetic``) × the 5 shipped
mechanisms × the shipped segments; command floors/caps and pools scaled to each instance's baseline.

Compared on the same LP (same structure, same budget):
- ``allocate()`` end to end (pre-checks, structure, HiGHS through highspy, duals, binding constraints, result
  tables) with ``solver`` auto / simplex / ipm;
- the scipy matrix form: the constraint matrix from the structure + ``scipy.optimize.linprog(method="highs")``;
- PuLP: the model written in PuLP from the structure and solved by PuLP's HiGHS interface (the old path);
- HiGHS's own run time of the same model (simplex and IPM), the floor any end-to-end path can reach.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prioritizer.allocation.frontier import frontier  # noqa: E402
from prioritizer.allocation.inputs import build_inputs  # noqa: E402
from prioritizer.allocation.model import _structure, constraint_matrix, highs_model  # noqa: E402
from prioritizer.allocation.settings import AllocationSettings  # noqa: E402
from prioritizer.allocation.settings_file import load_settings, settings_from_dict  # noqa: E402
from prioritizer.allocation.solve import allocate  # noqa: E402
from prioritizer.allocation.synthetic import synthetic_tables  # noqa: E402


def bench_settings(baseline_total: float) -> AllocationSettings:
    """The shipped mechanisms, curve and soft limits, with limits scaled to the instance (no locks)."""
    shipped = load_settings()
    t = baseline_total
    return settings_from_dict({
        "name": "benchmark",
        "mechanisms": [{"id": m.id, "effect": m.effect,
                        "eligibility": {"partner_types": list(m.partner_types),
                                        **({"human_rights_gate": {"indicator": m.gate.indicator,
                                                                  "threshold": m.gate.threshold}}
                                           if m.gate else {})}} for m in shipped.mechanisms],
        "benefit": {"segments": shipped.segments, "u_max": shipped.u_max},
        "commands": {"AFRICOM": {"floor_usd_m": 0.05 * t}, "CENTCOM": {"cap_usd_m": 0.2 * t},
                     "EUCOM": {"floor_usd_m": 0.1 * t, "cap_usd_m": 0.3 * t}},
        "partners": {"default": {"max_cut_pct": 50, "max_increase_pct": 50, "increase_allowance_usd_m": 10}},
        "soft_limits": {"command_floor_penalty": shipped.soft.command_floor_penalty,
                        "partner_minimum_penalty": shipped.soft.partner_minimum_penalty,
                        "pool_minimum_penalty": shipped.soft.pool_minimum_penalty,
                        "lock_shortfall": shipped.soft.lock_shortfall},
        "pools": {"education": {"max_usd_m": 0.05 * t}, "train_equip": {"max_usd_m": 0.25 * t}},
    })


def best_of(repeat: int, fn, *args, **kwargs):
    """(result of the last run, fastest wall time in seconds) over ``repeat`` runs."""
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return out, best


def scipy_form(inputs, settings, budget: float):
    """The matrix form from the structure, solved by scipy's linprog (HiGHS inside)."""
    st = _structure(inputs, settings)
    A = constraint_matrix(st)
    lo, hi = st.row_bounds(budget)
    eq = np.isclose(lo, hi) & np.isfinite(lo)
    ub = ~eq & np.isfinite(hi)
    lb = ~eq & np.isfinite(lo)
    A_ub = sparse.vstack([A[ub], -A[lb]]).tocsr()
    b_ub = np.concatenate([hi[ub], -lo[lb]])
    col_lo, col_hi = st.col_bounds()
    bounds = np.column_stack([col_lo, np.where(np.isinf(col_hi), np.nan, col_hi)])
    value = inputs.partners["value"].to_numpy(float)
    return linprog(-st.objective(value), A_ub=A_ub, b_ub=b_ub, A_eq=A[eq], b_eq=lo[eq],
                   bounds=[(a, None if np.isnan(b) else b) for a, b in bounds], method="highs")


def pulp_form(inputs, settings, budget: float):
    """The old path: the model written in PuLP from the structure, solved by PuLP's HiGHS interface."""
    import pulp  # optional: only this comparison needs it

    st = _structure(inputs, settings)
    prob = pulp.LpProblem("allocation", pulp.LpMaximize)
    col_lo, col_hi = st.col_bounds()
    cols = [prob.add_variable(f"c{j}", float(a), None if math.isinf(b) else float(b))
            for j, (a, b) in enumerate(zip(col_lo, col_hi, strict=True))]
    cost = st.objective(inputs.partners["value"].to_numpy(float))
    prob.setObjective(pulp.LpAffineExpression([(cols[j], float(cost[j])) for j in np.nonzero(cost)[0]]))
    lo, hi = st.row_bounds(budget)
    for r, row in enumerate(st.rows):
        expr = pulp.LpAffineExpression([(cols[j], float(c)) for j, c in zip(row.idx, row.coef, strict=True)])
        if lo[r] == hi[r]:
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=float(lo[r])))
            continue
        if math.isfinite(lo[r]):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=float(lo[r])))
        if math.isfinite(hi[r]):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=float(hi[r])))
    prob.solve(pulp.HiGHS(msg=False))
    return pulp.value(prob.objective)


def highs_own(inputs, settings, budget: float, method: str) -> tuple[float, float]:
    """(HiGHS's own run time in seconds, objective) for one cold solve of the same model."""
    h, _ = highs_model(inputs, settings, budget, solver=method)
    h.run()
    return h.getRunTime(), h.getInfo().objective_function_value


def run(n: int, levels: int, skip_pulp: bool, repeat: int) -> None:
    scores, raw, funding = synthetic_tables(n, seed=1)
    total = float(funding["baseline_usd_m"].sum())
    if total > 500_000:  # keep the budget inside the US$ 1 trillion/yr input ceiling
        funding["baseline_usd_m"] *= 500_000 / total
    settings = bench_settings(float(funding["baseline_usd_m"].sum()))
    inputs, t_inputs = best_of(1, build_inputs, scores, raw, funding, settings)
    budget = inputs.baseline_total_usd_m
    st, t_struct = best_of(1, _structure, inputs, settings)
    A = constraint_matrix(st)
    print(f"\n== {n:,} partners × {len(settings.mechanisms)} mechanisms × {settings.segments} segments: "
          f"{st.n_cols:,} columns, {len(st.rows):,} rows, {A.nnz:,} nonzeros")
    print(f"  build_inputs {t_inputs:.3f} s; LP structure (numpy, cached per settings) {t_struct:.3f} s")
    own = {m: highs_own(inputs, settings, budget, m) for m in ("simplex", "ipm")}
    floor = min(t for t, _ in own.values())
    for m, (t, obj) in own.items():
        print(f"  HiGHS's own run, {m:8s}             {t:8.3f} s  objective {obj:,.6f}")
    res = {}
    for solver in ("auto", "simplex", "ipm"):
        fresh = build_inputs(scores, raw, funding, settings)  # no cached structure: end to end
        res[solver], t = best_of(1, allocate, fresh, settings, budget, solver=solver)
        res[solver].timings["total_s"] = t
    lp, t_scipy = best_of(repeat, scipy_form, build_inputs(scores, raw, funding, settings), settings, budget)
    print(f"  scipy matrix form (structure + linprog) {t_scipy:8.3f} s  [status {lp.status}]")
    for solver, r in res.items():
        t = r.timings["total_s"]
        print(f"  allocate(solver={solver!r:9s}) end to end {t:8.3f} s  = {t / t_scipy:4.2f}× scipy form, "
              f"{t / floor:4.2f}× HiGHS's best own run; |objective − scipy| {abs(r.net_benefit + lp.fun):.1e}; "
              f"solve {r.timings['solve_s']:.3f} s, build {r.timings['build_s']:.3f} s, prepare "
              f"{r.timings['prepare_s']:.3f} s, tables {r.timings['extract_s']:.3f} s")
    if not skip_pulp:
        obj, t_pulp = best_of(1, pulp_form, build_inputs(scores, raw, funding, settings), settings, budget)
        print(f"  PuLP build + solve (old path)           {t_pulp:8.3f} s  = {t_pulp / t_scipy:4.2f}× scipy form; "
              f"|objective − scipy| {abs(obj + lp.fun):.1e}")
    table, t_frontier = best_of(1, frontier, inputs, settings, levels=levels, low_pct=20, high_pct=200)
    ok = table[table["status"] == "Optimal"]
    monotone = bool(np.all(np.diff(ok["total_benefit"]) >= -1e-6))
    print(f"  frontier, {levels} levels (one model, warm re-solves) {t_frontier:8.3f} s "
          f"= {t_frontier / res['auto'].timings['total_s']:.1f}× one allocate(); {len(ok)} optimal levels; "
          f"benefit monotone: {monotone}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--levels", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the scipy form (fastest kept)")
    parser.add_argument("--skip-pulp", action="store_true")
    args = parser.parse_args()
    for n in args.sizes:
        run(n, args.levels, args.skip_pulp, args.repeat)


if __name__ == "__main__":
    main()
