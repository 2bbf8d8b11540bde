"""Robustness benchmark: Monte Carlo over weights vs its floor and vs a per-draw loop.

* Vectorised: :func:`prioritizer.robustness.monte_carlo.monte_carlo` (weights only, no LP) on 10,000 draws × 197
  partners — re-score, rank overall and within command, rank acceptability, rank and score percentiles.
* Floor: the bare matrix product (draws × categories @ categories × partners) plus one argsort per
  draw, same sizes.
* Per-draw loop: the same rank-acceptability computed draw by draw — with pandas ranking (what a
  straightforward implementation does) and with numpy argsort — timed on 1,000 draws and scaled to
  10,000; the acceptability matrices are compared for equality.
* The aggregation switch (half the draws re-scored with the other aggregation) on the same draws.
* For reference: the LP re-solves (p_bullish / p_bearish / core) with weights only and with every source
  of ``weights/robustness.yaml`` (priority, mechanism effects, curve scale, aggregation, core without
  floors), tornado and tipping points on the bundled sample.

Floor and vectorised runs are interleaved and medians reported, so background load affects both alike.
Prints figures; asserts nothing. Run: ``python benchmarks/bench_robustness.py``.
"""

from __future__ import annotations

import os

# Small matrix products are much slower with OpenBLAS's thread pool on a 2-core machine; pin to one
# thread unless the caller chose otherwise (the figures print the setting).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prioritizer.allocation import settings_file as allocation_settings_file
from prioritizer.allocation.inputs import build_inputs
from prioritizer.data.dataset import Dataset, load_dataset
from prioritizer.paths import DEFAULT_PROFILE  # noqa: E402
from prioritizer.pipeline import run_scoring  # noqa: E402
from prioritizer.robustness.draws import draw_weights  # noqa: E402
from prioritizer.robustness.monte_carlo import CHUNK, monte_carlo  # noqa: E402
from prioritizer.robustness.rescore import Rescorer  # noqa: E402
from prioritizer.robustness.settings import RobustnessSettings, load_settings  # noqa: E402
from prioritizer.robustness.tipping import tipping_points  # noqa: E402
from prioritizer.robustness.tornado import tornado  # noqa: E402
from prioritizer.scoring.score import propensity_for_weights, rank_descending, score
from prioritizer.scoring.settings import load_profile

DRAWS = 10_000
PARTNERS = 197
LOOP_DRAWS = 1_000


def synthetic(dataset: Dataset, n: int, seed: int = 0) -> Dataset:
    """n partners: the sample's partners, then repeats (from the middle of the table) with indicator values
    jittered by ±5 % so that no two partners tie exactly; the sample's missingness is kept. New ids."""
    rng = np.random.default_rng(seed)
    m = len(dataset.partners)
    rows = np.where(np.arange(n) < m, np.arange(n), (np.arange(n) - m + m // 2) % m)
    partners = dataset.partners.iloc[rows].copy()
    partners.index = pd.Index([f"S{i:05d}" for i in range(n)], name="partner_id")
    repeat = partners.index[m:]
    cols = dataset.indicator_ids
    jitter = 1.0 + rng.uniform(-0.05, 0.05, size=(len(repeat), len(cols)))
    partners.loc[repeat, cols] = partners.loc[repeat, cols].to_numpy(float) * jitter
    return Dataset(partners=partners, years=dataset.years.iloc[rows].set_axis(partners.index),
                   std_errors=dataset.std_errors.iloc[rows].set_axis(partners.index),
                   dictionary=dataset.dictionary, constructs=dataset.constructs,
                   priority=pd.Series(3.0, index=partners.index),
                   funding=pd.DataFrame({"baseline_usd_m": 0.0}, index=partners.index))


def interleaved(fns: dict, repeat: int = 9) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each function, runs interleaved (after one warm-up each).

    Everything here is single-threaded, so CPU time is the steadier figure on a shared machine.
    """
    for fn in fns.values():
        fn()
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for k, v in times.items()}


def acceptability_only(cats: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """The vectorised path restricted to what the loops compute: re-score, rank, overall acceptability."""
    n = cats.shape[0]
    counts = np.zeros(n * n, dtype=np.int64)
    rescore = Rescorer(cats, method)
    for start in range(0, len(weights), CHUNK):
        order = np.argsort(-rescore(weights[start:start + CHUNK]), axis=1)
        counts += np.bincount((order * n + np.arange(n)).ravel(), minlength=n * n)
    return counts.reshape(n, n) / len(weights)


def loop_acceptability(cats: np.ndarray, weights: np.ndarray, method: str, use_pandas: bool) -> np.ndarray:
    """Rank acceptability (partners × ranks) computed one draw at a time."""
    n = cats.shape[0]
    counts = np.zeros((n, n))
    rows = np.arange(n)
    for w in weights:
        prop = propensity_for_weights(cats, w, method)
        if use_pandas:
            ranks = rank_descending(pd.Series(prop)).to_numpy(dtype=int)
        else:
            order = np.argsort(-prop)
            ranks = np.empty(n, dtype=int)
            ranks[order] = np.arange(1, n + 1)  # no tie handling: the sample has no exact ties
        counts[rows, ranks - 1] += 1
    return counts / len(weights)


def main() -> None:
    sample = load_dataset()
    profile = load_profile(DEFAULT_PROFILE, sample.dictionary)
    synth = synthetic(sample, PARTNERS)
    result = score(synth, profile)
    settings = RobustnessSettings(draws=DRAWS, seed=1, lp_draws=0)
    cats = result.categories.to_numpy(float)
    n = int(np.isfinite(result.scores["propensity"]).sum())
    rng = np.random.default_rng(1)
    W = draw_weights(profile, settings, rng, list(result.categories.columns))
    cats_dense = np.nan_to_num(cats)

    def floor() -> None:
        np.argsort(W @ cats_dense.T, axis=1)

    def vectorised() -> None:
        monte_carlo(result, profile, settings)

    switch = settings.with_changes(aggregation_switch=0.5)

    def aggregation() -> None:
        monte_carlo(result, profile, switch, dataset=synth)

    ranked = np.isfinite(result.scores["propensity"].to_numpy())
    print(f"robustness benchmark: {DRAWS:,} draws × {PARTNERS} partners ({n} ranked), 6 categories, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    med = interleaved({"floor": floor, "vectorised": vectorised, "aggregation": aggregation,
                       "acceptability": lambda: acceptability_only(cats[ranked], W, profile.aggregation)})
    fw, fc = med["floor"]
    print("                                               wall ms    CPU ms   ratio to floor (CPU)")
    print(f"  floor: matrix product + argsort per draw   {fw * 1000:8.1f}  {fc * 1000:8.1f}")
    for key, label in (("vectorised", "monte_carlo (weights only, no LP)"),
                       ("aggregation", "monte_carlo + aggregation switch (p = 0.5)"),
                       ("acceptability", "vectorised overall acceptability only")):
        w, c = med[key]
        print(f"  {label:<42} {w * 1000:8.1f}  {c * 1000:8.1f}   {c / fc:.2f}×")
    print("  (monte_carlo also ranks within command, builds the within-command acceptability, the 5/50/95 %")
    print("   rank and propensity percentiles and draws the Dirichlet weights)")

    # per-draw loops on LOOP_DRAWS draws, scaled; same draws as the vectorised run
    W1 = W[:LOOP_DRAWS]
    vec_small = acceptability_only(cats[ranked], W1, profile.aggregation)
    for label, use_pandas in (("pandas rank per draw", True), ("numpy argsort per draw", False)):
        cpu = time.process_time()
        acc = loop_acceptability(cats[ranked], W1, profile.aggregation, use_pandas)
        secs = (time.process_time() - cpu) * DRAWS / LOOP_DRAWS
        diff = np.abs(acc - vec_small).max()
        print(f"  loop, {label:<24} {secs * 1000:10.1f} CPU ms (timed on {LOOP_DRAWS:,} draws, "
              f"×{DRAWS // LOOP_DRAWS}); "
              f"vs acceptability-only {secs / med['acceptability'][1]:.0f}×, vs full monte_carlo "
              f"{secs / med['vectorised'][1]:.0f}×; max |Δ acceptability| = {diff:.1e}")

    # reference figures on the bundled sample: LP re-solves, tornado, tipping points, indicator noise
    dataset, prof, res0 = run_scoring()
    alloc_settings = allocation_settings_file.load_settings(known_partners=dataset.partners.index)
    inputs = build_inputs(res0.scores, dataset.partners, dataset.funding, alloc_settings)
    rs = load_settings()
    off = rs.with_changes(priority_shift=0, mechanism_effect_range=0.0, curve_scale_range=0.0,
                          aggregation_switch=0.0, core_without_floors=False)
    timings = {}
    start = time.perf_counter()
    monte_carlo(res0, prof, off, inputs, alloc_settings, dataset=dataset)
    timings[f"monte_carlo + {rs.lp_draws} LP re-solves, weights only"] = time.perf_counter() - start
    start = time.perf_counter()
    mc = monte_carlo(res0, prof, rs, inputs, alloc_settings, dataset=dataset)
    timings["  same, all robustness.yaml sources (2 LPs/draw)"] = time.perf_counter() - start
    start = time.perf_counter()
    monte_carlo(res0, prof, off.with_changes(indicator_noise=True, lp_draws=0), dataset=dataset)
    timings["monte_carlo with WGI indicator noise (no LP)"] = time.perf_counter() - start
    start = time.perf_counter()
    tornado(res0, prof, rs.tornado_swing, rs.tornado_points)
    timings["tornado"] = time.perf_counter() - start
    start = time.perf_counter()
    tp = tipping_points(res0, prof, inputs, alloc_settings, settings=rs)
    timings[f"tipping points ({tp.solves} LP re-solves)"] = time.perf_counter() - start
    print(f"bundled sample ({len(res0.scores)} partners, {rs.draws:,} draws):")
    for label, secs in timings.items():
        print(f"  {label:<46} {secs:8.2f} s")
    print("  " + next(line for line in mc.log if line.startswith("allocation")))
    for line in mc.log:
        if line.startswith(("aggregation", "robust core also")) or "infeasible" in line:
            print("  " + line)


if __name__ == "__main__":
    main()
