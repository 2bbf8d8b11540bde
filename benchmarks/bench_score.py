"""Scoring benchmark: the full scorer vs the floor (a bare numpy weighted sum of the normalised matrix).

Prints sizes, seconds and ratios; asserts nothing. Run: ``python benchmarks/bench_score.py``.
"""

from __future__ import annotations

import os

# Small matrix products are ~10× slower with OpenBLAS's thread pool on a 2-core machine; pin to one thread
# unless the caller chose otherwise (the figures print the setting).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prioritizer.data.dataset import Dataset, load_dataset  # noqa: E402
from prioritizer.paths import DEFAULT_PROFILE  # noqa: E402
from prioritizer.scoring.score import aggregate, build_tree, combine, effective_indicator_weights, score  # noqa: E402
from prioritizer.scoring.settings import load_profile  # noqa: E402


def best_of(fn, repeat: int = 7) -> float:
    """Median wall-clock seconds of ``repeat`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic(dataset: Dataset, n: int, seed: int = 0) -> Dataset:
    """n partners resampled from the sample's indicator values (with its missingness), new ids."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(dataset.partners), size=n)
    partners = dataset.partners.iloc[rows].copy()
    partners.index = pd.Index([f"S{i:05d}" for i in range(n)], name="partner_id")
    years = dataset.years.iloc[rows].set_axis(partners.index)
    return Dataset(partners=partners, years=years, std_errors=pd.DataFrame(index=partners.index),
                   dictionary=dataset.dictionary, constructs=dataset.constructs,
                   priority=pd.Series(3.0, index=partners.index),
                   funding=pd.DataFrame({"baseline_usd_m": 0.0}, index=partners.index))


def main() -> None:
    sample = load_dataset()
    profile = load_profile(DEFAULT_PROFILE, sample.dictionary)
    weights = effective_indicator_weights(sample.dictionary, profile).to_numpy()
    tree = build_tree(sample.dictionary, sample.constructs, profile)

    def core(normalised):
        """normalised → constructs → categories → propensity with missing-data handling."""
        constructs = aggregate(normalised, tree.indicator_to_construct)
        categories = aggregate(constructs, tree.construct_to_category)
        return combine(categories, tree.category_weights)

    def floor_missing(normalised):
        """One weighted mean over available values (the least work any missing-data rule needs)."""
        available = ~np.isnan(normalised)
        return np.where(available, normalised, 0.0) @ weights / (available @ weights)

    print(f"{'partners':>9} {'indicators':>10} {'scorer s':>10} {'core s':>10} {'floor s':>10} "
          f"{'scorer/floor':>13} {'core/floor':>11} {'core/floor-missing':>19}")
    for label, ds in (("sample", sample), ("synthetic", synthetic(sample, 10_000))):
        result = score(ds, profile)
        normalised = result.normalised.to_numpy()
        matrix = np.nan_to_num(normalised)
        t_score = best_of(lambda ds=ds: score(ds, profile))
        t_core = best_of(lambda m=normalised: core(m), repeat=50)
        t_floor = best_of(lambda m=matrix: m @ weights, repeat=50)
        t_floor_missing = best_of(lambda m=normalised: floor_missing(m), repeat=50)
        print(f"{len(ds.partners):>9} {matrix.shape[1]:>10} {t_score:>10.4f} {t_core:>10.6f} {t_floor:>10.6f} "
              f"{t_score / t_floor:>12.0f}× {t_core / t_floor:>10.1f}× {t_core / t_floor_missing:>18.1f}×  ({label})")
    print(f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, cores={os.cpu_count()}")
    print("floor = normalised partners × indicators matrix @ effective weights (no missing-data handling);")
    print("floor-missing = one weighted mean over the available values (same matrix, NaN kept);")
    print("core = the same three weighted levels with missing-data handling, from the normalised matrix;")
    print("scorer = transform + normalise + coverage + three weighted levels + ranks, from the raw table.")


if __name__ == "__main__":
    main()
