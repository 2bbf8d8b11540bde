"""Allocation LP timings: PuLP build vs solve, PuLP vs scipy matrix form, 50-level frontier vs one solve.

Run: ``python benchmarks/bench_allocate.py [--sizes 200 2000 20000] [--levels 50]``. Prints figures, no
asserts. Synthetic partners (``allocate.synthetic_tables``) × the 5 default mechanisms × the default
segments; command floors/caps and pools scaled to each instance's baseline so every size is feasible.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pulp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prioritizer import allocate as al  # noqa: E402


def bench_settings(baseline_total: float) -> al.AllocationSettings:
    """The shipped mechanisms and curve, with limits scaled to the instance (no real-partner locks)."""
    shipped = al.load_settings()
    t = baseline_total
    return al.settings_from_dict({
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
        # the shipped soft limits: floors and max-cut limits with penalties, locks scaled below their sum
        "soft_limits": {"command_floor_penalty": shipped.soft.command_floor_penalty,
                        "partner_minimum_penalty": shipped.soft.partner_minimum_penalty,
                        "pool_minimum_penalty": shipped.soft.pool_minimum_penalty,
                        "lock_shortfall": shipped.soft.lock_shortfall},
        "pools": {"education": {"max_usd_m": 0.05 * t}, "train_equip": {"max_usd_m": 0.25 * t}},
    })


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def run(n: int, levels: int) -> None:
    scores, raw, funding = al.synthetic_tables(n, seed=1)
    settings = bench_settings(float(funding["baseline_usd_m"].sum()))
    inputs, t_inputs = timed(al.build_inputs, scores, raw, funding, settings)
    budget = inputs.baseline_total_usd_m
    st, t_struct = timed(al._structure, inputs, settings)
    value = inputs.partners["value"].to_numpy(float)
    (prob, _cols, _cons), t_build = timed(al._pulp_problem, st, value, budget)
    _, t_solve = timed(prob.solve, pulp.HiGHS(msg=False))
    highs_own = prob.solverModel.getRunTime()
    ok, status = al._is_optimal(prob, "HiGHS")
    obj_pulp = pulp.value(prob.objective)
    res, t_allocate = timed(al.allocate, inputs, settings, budget)
    parts, t_matrix = timed(al._linprog_parts, inputs, settings)
    from scipy.optimize import linprog

    lo, hi = st.row_bounds(budget)
    b_ub = np.concatenate([hi[parts["ub_rows"]], -lo[parts["lb_rows"]]])
    lp, t_linprog = timed(linprog, -st.objective(value), A_ub=parts["A_ub"], b_ub=b_ub, A_eq=parts["A_eq"],
                          b_eq=lo[parts["eq_rows"]], bounds=parts["bounds"], method="highs")
    table, t_frontier = timed(al.frontier, inputs, settings, levels=levels, low_pct=20, high_pct=200)
    ok_rows = table[table["status"] == "Optimal"]
    monotone = bool(np.all(np.diff(ok_rows["total_benefit"]) >= -1e-6))
    print(f"\n== {n:,} partners × {len(settings.mechanisms)} mechanisms × {settings.segments} segments: "
          f"{st.n_cols:,} columns, {len(st.rows):,} rows, {sum(len(r.idx) for r in st.rows):,} nonzeros")
    print(f"  build_inputs                     {t_inputs:8.3f} s")
    print(f"  LP structure (numpy)             {t_struct:8.3f} s")
    print(f"  PuLP model build                 {t_build:8.3f} s")
    print(f"  PuLP solve (HiGHS via highspy)   {t_solve:8.3f} s  of which HiGHS's own run {highs_own:.3f} s, "
          f"PuLP→highspy transfer + read-back {t_solve - highs_own:.3f} s   "
          f"[{status if ok else 'NOT OPTIMAL'}]")
    print(f"  allocate() end to end            {t_allocate:8.3f} s  (incl. pre-checks, duals, result tables)")
    print(f"  scipy matrix form: build {t_matrix:.3f} s + linprog(highs) {t_linprog:.3f} s "
          f"= {t_matrix + t_linprog:8.3f} s  [status {lp.status}]; |objective difference| "
          f"{abs(-lp.fun - obj_pulp):.2e}")
    print(f"  frontier, {levels} levels (one highspy model, warm re-solves) {t_frontier:8.3f} s "
          f"= {t_frontier / max(t_allocate, 1e-9):.1f}× one allocate(); {len(ok_rows)} optimal levels, "
          f"{len(table) - len(ok_rows)} infeasible; benefit monotone: {monotone}")
    if abs(res.total_benefit - obj_pulp) > 1e-6 * max(1.0, obj_pulp):
        print(f"  ! allocate() benefit {res.total_benefit} differs from the PuLP objective {obj_pulp}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--levels", type=int, default=50)
    args = parser.parse_args()
    import highspy

    print(f"PuLP {pulp.__version__}, highspy {getattr(highspy, '__version__', '?')}, "
          f"solvers {pulp.listSolvers(onlyAvailable=True)}")
    for n in args.sizes:
        run(n, args.levels)


if __name__ == "__main__":
    main()
