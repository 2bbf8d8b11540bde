"""Back-test of the propensity score against later outcomes (``python -m prioritizer validate``).

Settings: :mod:`prioritizer.validation.settings` (``weights/validation.yaml``).

Score every partner with the country-year panels as they stood in a past year (``as_of``, default
2011: :func:`prioritizer.refresh.build_partners` with ``as_of``, the current indicator dictionary and a
weight profile), keep the partners that received substantial US assistance afterwards (mean annual US
foreign-aid obligations over FY as_of+1 … horizon at or above a threshold, US$ M constant), and report
per outcome and horizon the **partial Spearman** correlation of the as-of propensity with the later
change of the outcome, conditional on its starting level:

    rho = corr(e_x, e_y),  e_x = rank(propensity) − OLS fit on rank(start),
                           e_y = rank(end − start) − OLS fit on rank(start)

with n, a seeded partner-resampling bootstrap percentile interval, the raw Spearman of propensity with
the change and with the starting level. Outcomes are oriented so that higher = better (less terror,
fewer conflict years). Each outcome's own indicators are removed from the as-of propensity (their
weight re-spread over the rest, as for any missing value), or, if that is switched off, the overlap is
listed. This is an association among aid recipients, not an estimate of what assistance caused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from prioritizer.data.dataset import assemble_dataset, load_dictionary
from prioritizer.data.partners import validate_partners
from prioritizer.data.reading import read_table
from prioritizer.data.refresh import (
    FLOAT_FORMAT,
    _read,
    _us_aid,
    build_partners,
    conflict_country_years,
    partner_columns,
)
from prioritizer.data.refresh_sources import F_PTS, F_WGI
from prioritizer.errors import InputError
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR, WEIGHTS_DIR
from prioritizer.scoring.score import score
from prioritizer.scoring.settings import load_profile
from prioritizer.validation.settings import SERIES, ValidationSettings

WGI_GOVERNANCE_CODES = ("ge", "rq", "rl", "cc")
CONFLICT_WINDOW_YEARS = 5
TABLE_COLUMNS = ["outcome", "label", "as_of", "horizon", "n", "rho_partial", "ci_low", "ci_high", "rho_raw",
                 "rho_start", "mean_change", "excluded_indicators", "overlap", "note"]
CAVEATS = (
    "Selection: only partners that received substantial US aid afterwards are in the sample; aid goes "
    "where the US has interests, not at random.",
    "Endogeneity: assistance, outcomes and the propensity inputs are all shaped by the same events "
    "(conflict, coups, elections); a correlation is an association, not the effect of SC.",
    "Regression to the mean: partners that start low tend to improve; conditioning on the starting "
    "level (partial Spearman) removes the linear part of this in ranks, not all of it.",
    "Outcome overlap: an outcome's own indicators are left out of the as-of propensity when "
    "exclude_own_indicators is true; related indicators (e.g. V-Dem and WGI voice) still overlap.",
    "Data vintage: panels are today's releases (revised back data), not what was published in the "
    "as-of year; FSI (2023 only) is missing as of 2011; the US defense ties are today's list "
    "(priority_facts.csv) cut at since_year, so ties that ended before today are not seen.",
    "Small n: bootstrap intervals are wide; a row with fewer than min_n partners gets no correlation.",
)


# --------------------------------------------------------------------------------------------------
# Panel series (iso3 × year, oriented higher = better)
# --------------------------------------------------------------------------------------------------


def outcome_series(panels_dir: str | Path, series: str, partner_ids: pd.Index) -> pd.DataFrame:
    """Outcome levels per partner (rows, ``partner_ids``) and year (columns), higher = better; NaN = no data.

    wgi_governance: mean of WGI GE, RQ, RL, CC (all four present); wgi_political_stability: WGI PV;
    ucdp_conflict_years: −(years with ≥ 1 state-based armed conflict fought as a primary party in the 5
    years ending that year; partners absent from UCDP count 0); pts: −mean(PTS Amnesty, HRW, State).
    """
    panels_dir = Path(panels_dir)
    if series in ("wgi_governance", "wgi_political_stability"):
        wgi = _read(panels_dir, F_WGI)
        codes = WGI_GOVERNANCE_CODES if series == "wgi_governance" else ("pv",)
        w = wgi[wgi["indicator"].isin(codes)].dropna(subset=["estimate"])
        g = w.groupby(["iso3", "year"])["estimate"]
        level = g.mean().where(g.count() == len(codes))
    elif series == "ucdp_conflict_years":
        ucdp = conflict_country_years(panels_dir)
        years = np.arange(int(ucdp["year"].min()), int(ucdp["year"].max()) + 1)
        hit = (ucdp.assign(c=(ucdp["n_conflicts"] >= 1).astype(float))
               .pivot_table(index="iso3", columns="year", values="c", aggfunc="max")
               .reindex(index=partner_ids, columns=years).fillna(0.0))
        rolled = -hit.T.rolling(CONFLICT_WINDOW_YEARS).sum().T
        return rolled.dropna(axis=1, how="all")
    elif series == "pts":
        pts = _read(panels_dir, F_PTS)
        pts["v"] = -pts[["PTS_A", "PTS_H", "PTS_S"]].mean(axis=1, skipna=True)
        level = pts.dropna(subset=["v"]).groupby(["iso3", "Year"])["v"].mean()
    else:
        raise InputError(f"unknown outcome series {series!r} (expected one of {', '.join(SERIES)})", key="series")
    table = level.unstack()
    table.columns = table.columns.astype(int)
    return table.reindex(partner_ids)


def later_aid(panels_dir: str | Path, first_fy: int, last_fy: int) -> pd.Series:
    """Mean annual US foreign-aid obligations FY first..last per iso3, US$ M constant, each year clipped at 0."""
    return _us_aid(Path(panels_dir), (first_fy, last_fy))["mean"]


def as_of_propensity(partners: pd.DataFrame, data_dir: str | Path, profile_path: str | Path,
                     exclude: tuple[str, ...] = ()) -> pd.Series:
    """Propensity (0–100) from an as-of partners table (``refresh.build_partners(..., as_of)``) under the
    current dictionary and ``profile_path``; ``exclude``d indicators are blanked (weight re-spread)."""
    dictionary, constructs = load_dictionary(data_dir)
    unknown = [i for i in exclude if i not in dictionary.index]
    if unknown:
        raise InputError(f"unknown indicator id {unknown[0]!r} (not in the indicator dictionary)",
                         key="own_indicators")
    known = [i for i in dictionary.index if i in partners.columns]
    cols = [c for c in partner_columns(known) if c in partners.columns]
    text = partners[cols].to_csv(index=False, float_format=FLOAT_FORMAT).encode("utf-8")
    table, years, ses = validate_partners(read_table(text, "as-of partners"), dictionary, "as-of partners")
    for ind in exclude:
        table[ind] = np.nan
    dataset = assemble_dataset(table, years, ses, dictionary, constructs, priority=None, funding=None)
    profile = load_profile(profile_path, dictionary)
    return score(dataset, profile).scores["propensity"]


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


def _residual_ranks(v: np.ndarray, rz: np.ndarray) -> np.ndarray:
    """Rows of ranks of ``v`` minus their OLS fit on the rows of ``rz`` (draws × n)."""
    rv = rankdata(v, axis=-1)
    rv = rv - rv.mean(axis=-1, keepdims=True)
    zc = rz - rz.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = (rv * zc).sum(axis=-1, keepdims=True) / (zc * zc).sum(axis=-1, keepdims=True)
    return rv - np.nan_to_num(beta) * zc


def _corr_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=-1) / np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))


def partial_spearman(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Spearman correlation of x and y controlling for z (ranks residualised on rank(z)); works on rows."""
    rz = rankdata(np.asarray(z, float), axis=-1)
    return _corr_rows(_residual_ranks(np.asarray(x, float), rz), _residual_ranks(np.asarray(y, float), rz))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Plain Spearman rank correlation (average ranks for ties)."""
    return float(_corr_rows(rankdata(x), rankdata(y)))


def bootstrap_ci(x: np.ndarray, y: np.ndarray, z: np.ndarray, draws: int, confidence: float,
                 rng: np.random.Generator) -> tuple[float, float]:
    """Percentile interval of the partial Spearman over ``draws`` resamples of the partners (NaN if draws = 0)."""
    n = len(x)
    if draws <= 0 or n < 4:
        return math.nan, math.nan
    idx = rng.integers(0, n, size=(draws, n))
    rho = partial_spearman(x[idx], y[idx], z[idx])
    rho = rho[np.isfinite(rho)]
    if not len(rho):
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(rho, [tail, 1.0 - tail])
    return float(lo), float(hi)


def correlate(propensity: pd.Series, start: pd.Series, end: pd.Series, draws: int, confidence: float,
              rng: np.random.Generator, min_n: int) -> dict[str, Any]:
    """n, partial and raw Spearman, bootstrap CI and mean change for one outcome (complete cases only)."""
    frame = pd.DataFrame({"p": propensity, "s": start, "e": end}).dropna()
    n = len(frame)
    out: dict[str, Any] = {"n": n, "rho_partial": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                           "rho_raw": math.nan, "rho_start": math.nan, "mean_change": math.nan, "note": ""}
    if n:
        out["mean_change"] = float((frame["e"] - frame["s"]).mean())
    if n < min_n:
        out["note"] = f"fewer than {min_n} partners with data"
        return out
    x, z = frame["p"].to_numpy(float), frame["s"].to_numpy(float)
    y = frame["e"].to_numpy(float) - z
    out["rho_partial"] = float(partial_spearman(x, y, z))
    out["rho_raw"] = spearman(x, y)
    out["rho_start"] = spearman(x, z)
    out["ci_low"], out["ci_high"] = bootstrap_ci(x, y, z, draws, confidence, rng)
    return out


# --------------------------------------------------------------------------------------------------
# The back-test
# --------------------------------------------------------------------------------------------------


@dataclass
class BacktestResult:
    """``table`` (one row per outcome × horizon, :data:`TABLE_COLUMNS`), ``pairs`` (long: the partner-level
    data behind every row), the settings, a log and the caveats."""

    table: pd.DataFrame
    pairs: pd.DataFrame
    settings: ValidationSettings
    log: list[str] = field(default_factory=list)
    caveats: tuple[str, ...] = CAVEATS


def backtest(settings: ValidationSettings, panels_dir: str | Path = PANELS_DIR,
             data_dir: str | Path = SAMPLE_DATA_DIR, weights_dir: str | Path = WEIGHTS_DIR) -> BacktestResult:
    """Run the back-test: as-of propensity, aid-recipient sample, partial Spearman per outcome × horizon."""
    panels_dir, a = Path(panels_dir), settings.as_of
    profile_path = Path(weights_dir) / settings.profile
    if not profile_path.exists():
        raise InputError(f"weight profile '{settings.profile}' not found in {Path(weights_dir).name}/",
                         file=settings.source or None, key="profile")
    partners = build_partners(panels_dir, Path(data_dir), as_of=a)
    ids = pd.Index(partners["partner_id"])
    dictionary, _ = load_dictionary(data_dir)
    for o in settings.outcomes:
        bad = [i for i in o.own_indicators if i not in dictionary.index]
        if bad:
            raise InputError(f"unknown indicator id {bad[0]!r} (not in the indicator dictionary)",
                             file=settings.source or None, key=f"outcomes.{o.id}.own_indicators")
    full = as_of_propensity(partners, data_dir, profile_path)
    rng = np.random.default_rng(settings.seed)
    rows, pairs = [], []
    log = [f"as-of {a}: {len(ids)} partners scored with '{profile_path.name}' and the current dictionary "
           f"({len(dictionary)} indicators); data after {a} unused"]
    for o in settings.outcomes:
        exclude = o.own_indicators if settings.exclude_own_indicators else ()
        prop = as_of_propensity(partners, data_dir, profile_path, exclude) if exclude else full
        levels = outcome_series(panels_dir, o.series, ids)
        for h in settings.horizons:
            aid = later_aid(panels_dir, a + 1, h).reindex(ids).fillna(0.0)
            sample = ids[(aid >= settings.aid_threshold_usd_m).to_numpy()]
            start = levels[a].reindex(sample) if a in levels.columns else pd.Series(np.nan, index=sample)
            end = levels[h].reindex(sample) if h in levels.columns else pd.Series(np.nan, index=sample)
            stats = correlate(prop.reindex(sample), start, end, settings.bootstrap_draws, settings.confidence,
                              rng, settings.min_n)
            if h not in levels.columns:
                stats["note"] = f"no {o.series} data for {h}"
            rows.append({"outcome": o.id, "label": o.label, "as_of": a, "horizon": h, **stats,
                         "excluded_indicators": ", ".join(exclude),
                         "overlap": "" if exclude else ", ".join(o.own_indicators)})
            pairs.append(pd.DataFrame({"outcome": o.id, "horizon": h, "partner_id": sample,
                                       "propensity": prop.reindex(sample).to_numpy(),
                                       "aid_usd_m": aid.reindex(sample).to_numpy(),
                                       "start": start.to_numpy(), "end": end.to_numpy()}))
    table = pd.DataFrame(rows)[TABLE_COLUMNS]
    log.append(f"sample: partners with mean US aid obligations ≥ ${settings.aid_threshold_usd_m:g} M/yr "
               f"(constant) over FY{a + 1}–horizon; {settings.bootstrap_draws:,} bootstrap draws, "
               f"{settings.confidence:.0%} interval, seed {settings.seed}")
    return BacktestResult(table=table, pairs=pd.concat(pairs, ignore_index=True), settings=settings, log=log)
