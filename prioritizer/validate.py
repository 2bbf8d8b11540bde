"""Back-test of the propensity score against later outcomes (``python -m prioritizer validate``).

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from prioritizer import refresh
from prioritizer.config import load_profile, read_yaml
from prioritizer.errors import InputError
from prioritizer.load import assemble_dataset, load_dictionary, read_table, validate_partners
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR, WEIGHTS_DIR
from prioritizer.score import score

DEFAULT_SETTINGS = WEIGHTS_DIR / "validation.yaml"
SERIES = ("wgi_governance", "wgi_political_stability", "ucdp_conflict_years", "pts")
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
# Settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One outcome: id, label, the panel series it is built from, the dictionary ids measuring it."""

    id: str
    label: str
    series: str
    own_indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidationSettings:
    """Validated back-test settings (see ``weights/validation.yaml``)."""

    as_of: int = 2011
    horizons: tuple[int, ...] = (2019, 2023)
    profile: str = "default.yaml"
    aid_threshold_usd_m: float = 50.0
    min_n: int = 15
    bootstrap_draws: int = 2000
    confidence: float = 0.90
    seed: int = 20_240_601
    exclude_own_indicators: bool = True
    outcomes: tuple[Outcome, ...] = ()
    source: str = field(default="", compare=False)

    def with_changes(self, key_name: Any = None, **changes: Any) -> ValidationSettings:
        """A validated copy with some values changed (e.g. from CLI flags); ``key_name`` renames keys in errors."""
        merged = {k: getattr(self, k) for k in _KEYS} | changes
        merged["outcomes"] = {o.id: {"label": o.label, "series": o.series, "own_indicators": list(o.own_indicators)}
                              for o in self.outcomes}
        merged["horizons"] = list(merged["horizons"])
        return replace(self, **_validated(merged, None, key_name or (lambda k: k)))


_KEYS = ("as_of", "horizons", "profile", "aid_threshold_usd_m", "min_n", "bootstrap_draws", "confidence", "seed",
         "exclude_own_indicators", "outcomes")


def _validated(values: dict[str, Any], file: str | None, key_name: Any) -> dict[str, Any]:
    """Check every setting; errors name the file and the key."""

    def fail(key: str, message: str) -> InputError:
        return InputError(message, file=file, key=key_name(key))

    def integer(key: str, v: Any, low: int, high: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or not low <= v <= high:
            raise fail(key, f"must be a whole number between {low} and {high} (got {v!r})")
        return int(v)

    def number(key: str, v: Any, low: float, high: float) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not low <= v <= high:
            raise fail(key, f"must be a number between {low:g} and {high:g} (got {v!r})")
        return float(v)

    out: dict[str, Any] = {"as_of": integer("as_of", values["as_of"], 2004, 2022)}
    hz = values["horizons"]
    if not isinstance(hz, list | tuple) or not hz:
        raise fail("horizons", "must be a non-empty list of years, e.g. [2019, 2023]")
    out["horizons"] = tuple(integer(f"horizons[{i}]", h, out["as_of"] + 1, 2024) for i, h in enumerate(hz))
    prof = values["profile"]
    if not isinstance(prof, str) or not prof.strip():
        raise fail("profile", f"must be a weight-profile file name in weights/ (got {prof!r})")
    out["profile"] = prof
    out["aid_threshold_usd_m"] = number("aid_threshold_usd_m", values["aid_threshold_usd_m"], 0.0, 1e6)
    out["min_n"] = integer("min_n", values["min_n"], 4, 10_000)
    out["bootstrap_draws"] = integer("bootstrap_draws", values["bootstrap_draws"], 0, 100_000)
    out["confidence"] = number("confidence", values["confidence"], 0.5, 0.999)
    out["seed"] = integer("seed", values["seed"], 0, 2**63 - 1)
    if not isinstance(values["exclude_own_indicators"], bool):
        raise fail("exclude_own_indicators", f"must be true or false (got {values['exclude_own_indicators']!r})")
    out["exclude_own_indicators"] = values["exclude_own_indicators"]
    raw = values["outcomes"]
    if not isinstance(raw, dict) or not raw:
        raise fail("outcomes", "must be a mapping of outcome id: {label, series, own_indicators}")
    outcomes = []
    for oid, spec in raw.items():
        where = f"outcomes.{oid}"
        if not isinstance(spec, dict):
            raise fail(where, "must be a mapping with label, series and own_indicators")
        extra = set(spec) - {"label", "series", "own_indicators"}
        if extra:
            raise fail(f"{where}.{sorted(extra)[0]}", "unknown key (expected: label, series, own_indicators)")
        if spec.get("series") not in SERIES:
            raise fail(f"{where}.series", f"must be one of {', '.join(SERIES)} (got {spec.get('series')!r})")
        own = spec.get("own_indicators") or []
        if not isinstance(own, list | tuple) or not all(isinstance(i, str) for i in own):
            raise fail(f"{where}.own_indicators", "must be a list of indicator ids")
        outcomes.append(Outcome(str(oid), str(spec.get("label") or oid), spec["series"], tuple(own)))
    out["outcomes"] = tuple(outcomes)
    return out


def load_settings(path: str | Path | None = None) -> ValidationSettings:
    """Read and validate back-test settings (default ``weights/validation.yaml``); errors name file and key."""
    source = Path(path) if path is not None else DEFAULT_SETTINGS
    label = str(source)
    data = read_yaml(source, label) or {}
    if not isinstance(data, dict):
        raise InputError("back-test settings must be a YAML mapping of key: value", file=label)
    allowed = set(_KEYS) | {"name", "purpose"}
    for key in data:
        if key not in allowed:
            raise InputError(f"unknown key (expected: {', '.join(sorted(allowed))})", file=label, key=str(key))
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise InputError("missing setting", file=label, key=missing[0])
    return ValidationSettings(**_validated({k: data[k] for k in _KEYS}, label, lambda k: k), source=label)


# --------------------------------------------------------------------------------------------------
# Panel series (iso3 × year, oriented higher = better)
# --------------------------------------------------------------------------------------------------


def outcome_series(panels_dir: str | Path, series: str, partner_ids: pd.Index) -> pd.DataFrame:
    """Outcome levels per partner (rows, ``partner_ids``) and year (columns), higher = better; NaN = no data.

    wgi_governance: mean of WGI GE, RQ, RL, CC (all four present); wgi_political_stability: WGI PV;
    ucdp_conflict_years: −(years with ≥ 1 state-based armed conflict in the 5 years ending that year;
    partners absent from UCDP count 0); pts: −mean(PTS Amnesty, HRW, State).
    """
    panels_dir = Path(panels_dir)
    if series in ("wgi_governance", "wgi_political_stability"):
        wgi = refresh._read(panels_dir, refresh.F_WGI)
        codes = WGI_GOVERNANCE_CODES if series == "wgi_governance" else ("pv",)
        w = wgi[wgi["indicator"].isin(codes)].dropna(subset=["estimate"])
        g = w.groupby(["iso3", "year"])["estimate"]
        level = g.mean().where(g.count() == len(codes))
    elif series == "ucdp_conflict_years":
        ucdp = refresh._read(panels_dir, refresh.F_UCDP)
        years = np.arange(int(ucdp["year"].min()), int(ucdp["year"].max()) + 1)
        hit = (ucdp.assign(c=(ucdp["n_conflicts"] >= 1).astype(float))
               .pivot_table(index="iso3", columns="year", values="c", aggfunc="max")
               .reindex(index=partner_ids, columns=years).fillna(0.0))
        rolled = -hit.T.rolling(CONFLICT_WINDOW_YEARS).sum().T
        return rolled.dropna(axis=1, how="all")
    elif series == "pts":
        pts = refresh._read(panels_dir, refresh.F_PTS)
        pts["v"] = -pts[["PTS_A", "PTS_H", "PTS_S"]].mean(axis=1, skipna=True)
        level = pts.dropna(subset=["v"]).groupby(["iso3", "Year"])["v"].mean()
    else:
        raise InputError(f"unknown outcome series {series!r} (expected one of {', '.join(SERIES)})", key="series")
    table = level.unstack()
    table.columns = table.columns.astype(int)
    return table.reindex(partner_ids)


def later_aid(panels_dir: str | Path, first_fy: int, last_fy: int) -> pd.Series:
    """Mean annual US foreign-aid obligations FY first..last per iso3, US$ M constant, each year clipped at 0."""
    return refresh._us_aid(Path(panels_dir), (first_fy, last_fy))["mean"]


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
    cols = [c for c in refresh.partner_columns(known) if c in partners.columns]
    text = partners[cols].to_csv(index=False, float_format=refresh.FLOAT_FORMAT).encode("utf-8")
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
    partners = refresh.build_partners(panels_dir, Path(data_dir), as_of=a)
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
