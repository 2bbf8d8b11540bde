"""How much the ranking and the bullish/bearish calls depend on the weights someone chose.

* **Monte Carlo over category weights** (vectorised, seeded). Each draw is a vector of category shares
  around the profile's shares ``w0`` (normalised to sum 1; a category with weight 0 stays 0):

  - ``dirichlet``: ``W ~ Dirichlet(α · w0)`` over the categories with positive weight. ``α`` is the
    *concentration*: ``E[W] = w0`` and ``sd(W_k) = sqrt(w0_k (1 − w0_k) / (α + 1))``, so ``α = 100`` gives a
    0.25 share a standard deviation of about 0.043; ``α → ∞`` gives ``w0`` itself.
  - ``uniform``: ``W_k = w0_k · (1 + U_k)``, ``U_k ~ Uniform(−b, b)`` independently, then renormalised
    (``b`` = ``uniform_bound``, a relative bound in [0, 1)).

  Every draw re-scores all partners (:func:`prioritizer.score.propensity_for_weights`: one matrix
  product for all draws) and re-ranks them (one argsort per draw), overall and within each command.
  Per partner: rank interval (5th, 50th, 95th percentile, inverted-CDF so ranks stay whole numbers),
  the rank-acceptability matrix (share of draws at each rank) and the propensity interval.
* **Indicator noise** (optional): the World Bank governance indicators ship a standard error per
  estimate; each draw then also takes every WGI value from ``N(estimate, se)``, normalises it through
  the profile's fitted bounds and re-aggregates the constructs and categories it feeds.
* **Allocation under uncertainty**: on the first ``lp_draws`` draws the allocation LP is re-solved with
  the draw's partner values (``value_p = priority/5 × propensity/100 × (1 − discount × risk)``); from
  those solves: the probability of being in the command's bullish / bearish three (the rule of
  :mod:`prioritizer.bullbear`) and the robust core — funded in ≥ ``core_threshold`` of the draws
  (*core*), in some (*borderline*), in none (*exterior*).
* **Tornado**: one category weight at a time swung from ``w·(1 − swing)`` to ``w·(1 + swing)`` (others
  unchanged, then renormalised): the score and rank range per partner.
* **Tipping points**: for each partner, the smallest change of one category's *share* (absolute,
  on a grid of ``tipping_grid_step`` up to ``± tipping_max``; the other shares scaled to keep the sum
  1) that moves it into or out of its command's bullish or bearish list. The true tipping point lies
  within one grid step below the reported change.

Ranks: 1 = highest propensity; scores within 1e-9 points of the next higher one share its rank (the
``min`` rule of :func:`prioritizer.score.rank_descending`). Money in US$ M per year.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.config import WeightProfile, read_yaml
from prioritizer.errors import InfeasibleError, InputError
from prioritizer.load import Dataset
from prioritizer.normalise import Normaliser, apply_transforms
from prioritizer.paths import WEIGHTS_DIR
from prioritizer.robustness_lp import AllocationCalls, Calls, _WarmLP, without_floors  # noqa: F401 (re-exported)
from prioritizer.score import GEOMETRIC_FLOOR, ScoreResult, combine, impute_knn, propensity_for_weights
from prioritizer.score import score as score_partners

DEFAULT_SETTINGS = WEIGHTS_DIR / "robustness.yaml"
METHODS = ("dirichlet", "uniform")
MAX_DRAWS = 200_000
"""Upper bound on weight draws (file or --draws): a few seconds of scoring, bounded memory."""
MAX_LP_DRAWS = 2_000
"""Upper bound on LP re-solves (file or --lp-draws): one allocation solve each (about a minute per 1,000)."""
RANK_TOL = 1e-9
"""Scores (0–100) closer than this to the next higher one share its rank."""
CHUNK = 1_000
"""Draws processed at once: bounds temporary memory to a few MB whatever the number of draws."""
NOISE_CHUNK = 500
"""Draws per chunk with indicator noise (draws × partners × indicators arrays)."""
SCORE_BINS_PER_POINT = 10
"""Propensity percentiles are read from a per-partner histogram with 0.1-point bins (constant memory)."""
CORE, BORDERLINE, EXTERIOR = "core", "borderline", "exterior"


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RobustnessSettings:
    """Validated robustness settings (see ``weights/robustness.yaml``)."""

    draws: int = 10_000
    seed: int = 20_240_601
    method: str = "dirichlet"
    concentration: float = 100.0
    uniform_bound: float = 0.3
    lp_draws: int = 200
    tornado_swing: float = 0.5
    tornado_points: int = 11
    tipping_grid_step: float = 0.02
    tipping_max: float = 0.5
    core_threshold: float = 0.95
    funded_tolerance_usd_m: float = 0.01
    indicator_noise: bool = False
    bullish_n: int = 3
    priority_shift: int = 0
    mechanism_effect_range: float = 0.0
    curve_scale_range: float = 0.0
    aggregation_switch: float = 0.0
    core_without_floors: bool = False
    source: str = field(default="", compare=False)

    def with_changes(self, key_name: Callable[[str], str] | None = None, **changes: Any) -> RobustnessSettings:
        """A validated copy with some values changed; ``key_name`` renames keys in error messages."""
        unknown = set(changes) - _SETTING_KEYS
        if unknown:
            raise InputError(f"unknown robustness setting '{sorted(unknown)[0]}'", key=sorted(unknown)[0])
        merged = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "source"} | changes
        file = None if key_name else (self.source or None)
        return replace(self, **_validated(merged, file, key_name or (lambda k: k)))


_SETTING_KEYS = {f.name for f in fields(RobustnessSettings) if f.name != "source"}


def _validated(values: dict[str, Any], file: str | None, key_name: Callable[[str], str]) -> dict[str, Any]:
    """Check every setting; errors name the file and the key."""

    def fail(key: str, message: str) -> InputError:
        return InputError(message, file=file, key=key_name(key))

    def integer(key: str, low: int, high: int) -> int:
        v = values[key]
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise fail(key, f"must be a whole number between {low:,} and {high:,} (got {v!r})")
        if not low <= v <= high:
            raise fail(key, f"must be between {low:,} and {high:,} (got {v:,})")
        return int(v)

    def number(key: str, low: float, high: float, low_open: bool = False, high_open: bool = False) -> float:
        v = values[key]
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise fail(key, f"must be a number (got {v!r})")
        v = float(v)
        if not math.isfinite(v):
            raise fail(key, f"must be a finite number (got {v})")
        bad_low = v <= low if low_open else v < low
        bad_high = v >= high if high_open else v > high
        if bad_low or bad_high:
            lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
            raise fail(key, f"must be in {lo}{low:g}, {high:g}{hi} (got {v:g})")
        return v

    out: dict[str, Any] = {}
    out["draws"] = integer("draws", 1, MAX_DRAWS)
    out["seed"] = integer("seed", 0, 2**63 - 1)
    method = values["method"]
    if method not in METHODS:
        raise fail("method", f"must be one of {', '.join(METHODS)} (got {method!r})")
    out["method"] = method
    conc = values["concentration"]
    if not isinstance(conc, bool) and isinstance(conc, int | float) and conc <= 0:
        raise fail("concentration", f"must be positive: larger = draws closer to the profile (got {conc:g})")
    out["concentration"] = number("concentration", 0.0, 1e12, low_open=True)
    out["uniform_bound"] = number("uniform_bound", 0.0, 1.0, high_open=True)
    out["lp_draws"] = integer("lp_draws", 0, MAX_LP_DRAWS)
    out["tornado_swing"] = number("tornado_swing", 0.0, 1.0, low_open=True)
    out["tornado_points"] = integer("tornado_points", 2, 201)
    out["tipping_max"] = number("tipping_max", 0.0, 1.0, low_open=True)
    out["tipping_grid_step"] = number("tipping_grid_step", 0.0, out["tipping_max"], low_open=True)
    if out["tipping_max"] / out["tipping_grid_step"] > 1000:
        raise fail("tipping_grid_step", "gives more than 1,000 grid points per direction; use a coarser step")
    out["core_threshold"] = number("core_threshold", 0.0, 1.0, low_open=True)
    out["funded_tolerance_usd_m"] = number("funded_tolerance_usd_m", 0.0, 1e6)
    if not isinstance(values["indicator_noise"], bool | np.bool_):
        raise fail("indicator_noise", f"must be true or false (got {values['indicator_noise']!r})")
    out["indicator_noise"] = bool(values["indicator_noise"])
    out["bullish_n"] = integer("bullish_n", 1, 50)
    out["priority_shift"] = integer("priority_shift", 0, 4)
    out["mechanism_effect_range"] = number("mechanism_effect_range", 0.0, 1.0, high_open=True)
    out["curve_scale_range"] = number("curve_scale_range", 0.0, 1.0, high_open=True)
    out["aggregation_switch"] = number("aggregation_switch", 0.0, 1.0)
    if out["aggregation_switch"] > 0 and out["indicator_noise"]:
        raise fail("aggregation_switch", "cannot be combined with indicator_noise (set one of them off)")
    if not isinstance(values["core_without_floors"], bool | np.bool_):
        raise fail("core_without_floors", f"must be true or false (got {values['core_without_floors']!r})")
    out["core_without_floors"] = bool(values["core_without_floors"])
    return out


def load_settings(path: str | Path | None = None) -> RobustnessSettings:
    """Read and validate robustness settings (default ``weights/robustness.yaml``).

    Unknown keys, zero or negative draws, a non-positive concentration, bounds out of range and the
    like raise :class:`InputError` naming the file and the key.
    """
    source = Path(path) if path is not None else DEFAULT_SETTINGS
    label = str(source)
    data = read_yaml(source, label)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("robustness settings must be a YAML mapping of key: value", file=label)
    allowed = _SETTING_KEYS | {"name", "purpose"}
    for key in data:
        if key not in allowed:
            raise InputError(f"unknown key (expected: {', '.join(sorted(allowed))})", file=label, key=str(key))
    defaults = RobustnessSettings()
    merged = {k: data.get(k, getattr(defaults, k)) for k in _SETTING_KEYS}
    return RobustnessSettings(**_validated(merged, label, lambda k: k), source=label)


# --------------------------------------------------------------------------------------------------
# Weight draws and fast ranking
# --------------------------------------------------------------------------------------------------


def base_shares(profile: WeightProfile, categories: list[str] | None = None) -> np.ndarray:
    """The profile's category weights as shares summing to 1, in ``categories`` order."""
    cats = list(profile.category_weights) if categories is None else list(categories)
    w = np.array([float(profile.category_weights.get(c, 0.0)) for c in cats])
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise InputError("category weights must be non-negative with a positive total", file=profile.source or None,
                         key="categories")
    return w / w.sum()


def draw_weights(profile: WeightProfile, settings: RobustnessSettings, rng: np.random.Generator,
                 categories: list[str] | None = None, draws: int | None = None) -> np.ndarray:
    """``draws`` × categories matrix of category shares around the profile (rows sum to 1).

    ``dirichlet``: Dirichlet(concentration × w0); ``uniform``: w0 × (1 + U(−bound, bound)), renormalised.
    Categories with weight 0 stay 0. Column order: ``categories`` (default: the profile's order).
    """
    w0 = base_shares(profile, categories)
    n = settings.draws if draws is None else int(draws)
    pos = w0 > 0
    out = np.zeros((n, len(w0)))
    if settings.method == "dirichlet":
        if pos.sum() == 1:
            out[:, pos] = 1.0
        else:
            out[:, pos] = rng.dirichlet(settings.concentration * w0[pos], size=n)
    else:
        b = settings.uniform_bound
        raw = w0[pos] * (1.0 + rng.uniform(-b, b, size=(n, int(pos.sum()))))
        out[:, pos] = raw / raw.sum(axis=1, keepdims=True)
    return out


def _tie_starts(ordered: np.ndarray, tol: float = RANK_TOL) -> np.ndarray:
    """For rows sorted high → low: 0-based position where each element's tie group starts (int32)."""
    d, n = ordered.shape
    pos = np.empty((d, n), dtype=np.int32)
    pos[:] = np.arange(n, dtype=np.int32)
    if n > 1:
        tied = (ordered[:, :-1] - ordered[:, 1:]) <= tol
        pos[:, 1:][tied] = 0
        np.maximum.accumulate(pos, axis=1, out=pos)
    return pos


def rank_rows(scores: np.ndarray, tol: float = RANK_TOL) -> np.ndarray:
    """Ranks along each row (1 = highest); a score within ``tol`` of the next higher one shares its rank.

    ``scores``: draws × partners without NaN. Returns int32, same shape. One argsort per row.
    """
    s = np.ascontiguousarray(scores, dtype=float)
    d, n = s.shape
    ranks = np.empty((d, n), dtype=np.int32)
    if n == 0 or d == 0:
        return ranks
    order = np.argsort(-s, axis=1)
    pos = _tie_starts(np.take_along_axis(s, order, axis=1), tol)
    np.put_along_axis(ranks, order, pos + 1, axis=1)
    return ranks


class _RankCounter:
    """Accumulates, over chunks of draws, how often each partner takes each rank (overall and within its
    command) and each 0.1-point propensity bin. One argsort per draw; the within-command ranks come from
    a stable radix sort of the (small-integer) command of each position, so no second float sort."""

    def __init__(self, commands: np.ndarray, always_check_ties: bool = False) -> None:
        codes, names = pd.factorize(commands, sort=True)
        # Exact ties under random weights are structural (partners with identical category scores, or
        # all zero): they show in the first chunk, which is always checked; later chunks are checked
        # only if it had ties (or always, e.g. with indicator noise). A chance near-tie (< 1e-9 points)
        # in an unchecked chunk is broken by sort order.
        self.check_ties, self.always_check, self.ties_seen = True, always_check_ties, False
        self.n = n = len(codes)
        self.cmd = codes.astype(np.int8 if len(names) < 127 else np.int32)
        sizes = np.bincount(codes, minlength=len(names)) if n else np.zeros(0, dtype=np.int64)
        self.max_c = int(sizes.max()) if n else 0
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if n else np.zeros(0, np.int64)
        self.group_start = np.repeat(starts, sizes)  # grouped position → start of its command's block
        self.is_start = np.zeros(n, dtype=bool)
        self.is_start[starts[sizes > 0]] = True
        self.rank = np.zeros(n * n, dtype=np.int64)
        self.in_command = np.zeros(n * max(self.max_c, 1), dtype=np.int64)
        self.bins = SCORE_BINS_PER_POINT * 100 + 1
        self.score = np.zeros(n * self.bins, dtype=np.int64)
        self.bin_offsets = 0.5 + np.arange(n) * float(self.bins)  # round to the nearest bin, per-partner block

    def add(self, sub: np.ndarray, keep: np.ndarray | None = None, clip: bool = False) -> None:
        """Count one chunk: ``sub`` draws × partners (0–100, no NaN; −1 = no score in that draw when
        ``clip``); ``keep`` receives the ranks if given."""
        d, n = sub.shape
        if n == 0 or d == 0:
            return
        order = np.argsort(-sub, axis=1)
        ties = False
        if self.check_ties or self.ties_seen:
            ordered = np.take_along_axis(sub, order, axis=1)
            ties = n > 1 and bool(((ordered[:, :-1] - ordered[:, 1:]) <= RANK_TOL).any())
            self.ties_seen |= ties
            self.check_ties = self.always_check
        positions = np.arange(n, dtype=np.int64)
        pos = _tie_starts(ordered) if ties else positions[None, :]
        self.rank += np.bincount((order * n + pos).ravel(), minlength=n * n)
        if keep is not None:
            np.put_along_axis(keep, order, np.broadcast_to(pos + 1, order.shape).astype(np.int32), axis=1)
        grouped = np.argsort(self.cmd[order], axis=1, kind="stable")  # by command, score order kept
        members = np.take_along_axis(order, grouped, axis=1)
        if ties:
            gpos = np.take_along_axis(pos, grouped, axis=1)
            new = np.empty((d, n), dtype=bool)
            new[:, 0] = True
            np.not_equal(gpos[:, 1:], gpos[:, :-1], out=new[:, 1:])
            new[:, self.is_start] = True
            within = np.where(new, positions, 0)
            np.maximum.accumulate(within, axis=1, out=within)
            within -= self.group_start
        else:
            within = (positions - self.group_start)[None, :]
        members *= self.max_c
        members += within
        self.in_command += np.bincount(members.ravel(), minlength=len(self.in_command))
        bins = np.maximum(sub, 0.0) if clip else sub * 1.0
        bins *= SCORE_BINS_PER_POINT
        bins += self.bin_offsets
        self.score += np.bincount(bins.astype(np.int64).ravel(), minlength=len(self.score))


class _Rescorer:
    """Propensity (0–100) of the ranked partners for many weight vectors: draws × partners, contiguous.

    The formula of :func:`prioritizer.score.propensity_for_weights` (weighted mean of the available
    category scores, arithmetic or geometric), laid out so one matrix product per level gives the
    draws × partners array directly, for the partners that have a score only.
    """

    def __init__(self, categories: np.ndarray, method: str) -> None:
        cats = np.asarray(categories, dtype=float) / 100.0
        if method == "geometric":
            cats = np.maximum(cats, GEOMETRIC_FLOOR)
        avail = ~np.isnan(cats)
        filled = np.where(avail, np.log(np.where(avail, cats, 1.0)) if method == "geometric" else cats, 0.0)
        self.filled_t = np.ascontiguousarray(filled.T)
        self.avail_t = np.ascontiguousarray(avail.T.astype(float))
        self.complete = bool(avail.all())
        self.geometric = method == "geometric"

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        num = weights @ self.filled_t
        if self.complete:
            num /= weights.sum(axis=1, keepdims=True)
        else:
            num /= weights @ self.avail_t  # > 0 for every ranked partner: positive weights stay positive
        if self.geometric:
            np.exp(num, out=num)
        num *= 100.0
        return num


def _ranked(scores: pd.DataFrame) -> np.ndarray:
    """Partners the scorer ranks: a propensity and a rank (low-coverage partners are left unranked)."""
    ok = np.isfinite(scores["propensity"].to_numpy(float))
    if "rank" in scores.columns:
        ok &= scores["rank"].notna().to_numpy()
    return ok


def _quantile_from_counts(counts: np.ndarray, q: float) -> np.ndarray:
    """Inverted-CDF ``q`` quantile (0-based bin index) of each row's histogram; -1 for an empty row."""
    cum = np.cumsum(counts, axis=1)
    total = cum[:, -1]
    need = np.maximum(np.ceil(q * total - 1e-9), 1)
    idx = (cum >= need[:, None]).argmax(axis=1)
    return np.where(total > 0, idx, -1)


# --------------------------------------------------------------------------------------------------
# Indicator noise (WGI standard errors)
# --------------------------------------------------------------------------------------------------


class _IndicatorNoise:
    """Draw indicators with published standard errors from N(estimate, se) and re-aggregate what they feed.

    Reproduces the scorer's steps for the affected parts only: transform and orient, normalise through
    the bounds fitted on the real data (the same fit as :func:`prioritizer.score.score`), construct and
    category weighted means; overridden constructs keep their override; imputed cells are not perturbed.
    """

    def __init__(self, dataset: Dataset, result: ScoreResult, profile: WeightProfile) -> None:
        ids = result.scores.index
        dictionary = dataset.dictionary
        self.method = profile.aggregation
        self.floor = GEOMETRIC_FLOOR if self.method == "geometric" else None
        se = dataset.std_errors.reindex(index=ids)
        noisy = [i for i in dictionary.index if i in se.columns
                 and (pd.to_numeric(se[i], errors="coerce") > 0).any()]
        self.indicators = noisy
        raw = dataset.raw.reindex(ids)
        oriented = apply_transforms(raw, dictionary)
        observed = ~oriented.isna()
        imputed = pd.DataFrame(False, index=ids, columns=dictionary.index)
        if profile.missing == "knn":
            oriented, imputed = impute_knn(oriented, profile.knn_neighbours)
        normaliser = Normaliser(profile.normalisation, profile.winsorise)
        fit_rows = observed.any(axis=1).to_numpy()
        normaliser.fit(oriented.to_numpy()[fit_rows] if fit_rows.any() else oriented.to_numpy())
        cols = [dictionary.index.get_loc(i) for i in noisy]
        sub = Normaliser(profile.normalisation, profile.winsorise)
        sub.low_, sub.high_ = normaliser.low_[cols], normaliser.high_[cols]
        sub.centre_, sub.scale_ = normaliser.centre_[cols], normaliser.scale_[cols]
        sub.reference_ = [normaliser.reference_[j] for j in cols]
        self.normaliser = sub
        self.sub_dictionary = dictionary.loc[noisy]
        sd = se[noisy].apply(pd.to_numeric, errors="coerce").to_numpy(float) if noisy else np.zeros((len(ids), 0))
        self.mask = (observed[noisy].to_numpy() & ~imputed[noisy].to_numpy() & np.isfinite(sd) & (sd > 0)
                     if noisy else np.zeros((len(ids), 0), bool))
        self.se = np.where(self.mask, sd, 0.0)
        self.raw = raw[noisy].to_numpy(float) if noisy else np.zeros((len(ids), 0))
        self.base_norm_all = result.normalised.reindex(index=ids, columns=dictionary.index).to_numpy(float)
        self.base_constructs = (result.constructs.reindex(ids) / 100.0).to_numpy(float)
        self.overridden = result.overridden.reindex(index=ids, columns=result.constructs.columns).fillna(False) \
            .to_numpy(bool)
        self.base_categories = (result.categories.reindex(ids) / 100.0).to_numpy(float)
        construct_ids = list(result.constructs.columns)
        category_ids = list(result.categories.columns)
        ind_pos = {i: j for j, i in enumerate(dictionary.index)}
        noisy_pos = {i: j for j, i in enumerate(noisy)}
        affected = [c for c in construct_ids if set(dictionary.index[dictionary["construct"] == c]) & set(noisy)]
        self.construct_plan = []
        for c in affected:
            members = list(dictionary.index[dictionary["construct"] == c])
            w = np.array([profile.indicator_weights[m] for m in members], dtype=float)
            self.construct_plan.append((construct_ids.index(c), [ind_pos[m] for m in members],
                                        [noisy_pos.get(m, -1) for m in members], w))
        con_cat = dataset.constructs["category_id"]
        affected_cats = list(dict.fromkeys(con_cat[c] for c in affected if c in con_cat.index))
        self.category_plan = []
        for k in affected_cats:
            members = [c for c in construct_ids if con_cat.get(c) == k]
            w = np.array([profile.construct_weights[c] for c in members], dtype=float)
            self.category_plan.append((category_ids.index(k), [construct_ids.index(c) for c in members], w))

    @property
    def active(self) -> bool:
        """Whether any partner has an indicator with a standard error."""
        return bool(self.mask.any())

    def _floored(self, v: np.ndarray) -> np.ndarray:
        return np.maximum(v, self.floor) if self.floor is not None else v

    def categories(self, z: np.ndarray) -> np.ndarray:
        """Category scores (draws × partners × categories, 0–1) for standard-normal shocks ``z``
        (draws × partners × noisy indicators)."""
        d, p = z.shape[0], self.raw.shape[0]
        cats = np.broadcast_to(self.base_categories, (d,) + self.base_categories.shape).copy()
        if not self.indicators:
            return cats
        raw = self.raw[None] + self.se[None] * z
        frame = pd.DataFrame(raw.reshape(d * p, -1), columns=self.indicators)
        oriented = apply_transforms(frame, self.sub_dictionary).to_numpy()
        norm = self.normaliser.transform(oriented).reshape(d, p, -1)
        cons = {}
        for c, members, noisy_cols, w in self.construct_plan:
            vals = np.empty((d, p, len(members)))
            for j, (m, nj) in enumerate(zip(members, noisy_cols, strict=True)):
                base = self.base_norm_all[:, m]
                vals[:, :, j] = np.where(self.mask[:, nj], norm[:, :, nj], base) if nj >= 0 else base
            v = combine(self._floored(vals.reshape(d * p, -1)), w, self.method).reshape(d, p)
            cons[c] = np.where(self.overridden[:, c], self.base_constructs[:, c], v)
        for k, members, w in self.category_plan:
            vals = np.empty((d, p, len(members)))
            for j, c in enumerate(members):
                vals[:, :, j] = cons[c] if c in cons else self.base_constructs[:, c]
            cats[:, :, k] = combine(self._floored(vals.reshape(d * p, -1)), w, self.method).reshape(d, p)
        return cats


def _propensity_per_draw(cats: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Propensity (0–100) when each draw has its own category scores: (d × p × k, 0–1) and (d × k) → d × p."""
    geometric = method == "geometric"
    v = np.maximum(cats, GEOMETRIC_FLOOR) if geometric else cats
    avail = ~np.isnan(v)
    filled = np.where(avail, np.log(np.where(avail, v, 1.0)) if geometric else v, 0.0)
    num = np.einsum("dpk,dk->dp", filled, weights)
    den = np.einsum("dpk,dk->dp", avail.astype(float), weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return (np.exp(mean) if method == "geometric" else mean) * 100.0


# --------------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------------


@dataclass
class RobustnessResult:
    """Monte Carlo summary. ``partners`` (index partner_id, the score table's order):

    name, command, propensity, propensity_p5, propensity_p95 (0–100), rank, rank_p5, rank_p50, rank_p95,
    rank_in_command, rank_in_command_p5, rank_in_command_p95 (1 = best), p_top10 (share of draws in the
    overall top 10), base_call (bullish / bearish / '' at the profile's weights), p_bullish, p_bearish,
    funded_share (shares of the LP draws, 0–1), core_class (core / borderline / exterior).
    ``acceptability``: partners × rank (1..n), share of draws at each rank (rows sum to 1);
    ``acceptability_in_command`` the same for the rank within command. ``weights``: the drawn category
    shares (draws × categories). ``rank_draws`` / ``propensity_draws`` only with ``keep_draws=True``.
    """

    partners: pd.DataFrame
    acceptability: pd.DataFrame
    acceptability_in_command: pd.DataFrame
    weights: pd.DataFrame
    draws: int
    seed: int
    settings: RobustnessSettings
    lp_draws: int = 0
    budget_usd_m: float | None = None
    rank_draws: pd.DataFrame | None = None
    propensity_draws: pd.DataFrame | None = None
    log: list[str] = field(default_factory=list)


def monte_carlo(result: ScoreResult, profile: WeightProfile, settings: RobustnessSettings,
                allocation_inputs: Any = None, allocation_settings: Any = None, budget_usd_m: float | None = None,
                dataset: Dataset | None = None, keep_draws: bool = False) -> RobustnessResult:
    """Monte Carlo over category weights (and WGI values if ``settings.indicator_noise``); see the module doc.

    Without ``allocation_inputs`` / ``allocation_settings`` the LP part is skipped (p_bullish, p_bearish,
    funded_share NaN, core_class ''). ``budget_usd_m`` defaults to the allocation settings' rule.
    ``dataset`` (the one scored) is needed for indicator noise. Same settings and seed → identical result.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    scores = result.scores
    ids = scores.index
    category_ids = list(result.categories.columns)
    method = profile.aggregation
    cats = result.categories.reindex(ids).to_numpy(float)
    W = draw_weights(profile, settings, rng, category_ids)
    D, P = W.shape[0], len(ids)
    scored = _ranked(scores)
    sidx = np.nonzero(scored)[0]
    # ranks are counted over the partners the point ranking ranks (low-coverage partners are unranked)
    ranked_s = scores["rank"].notna().to_numpy()[sidx] if "rank" in scores else np.ones(len(sidx), dtype=bool)
    ridx = sidx[ranked_s]
    n = len(ridx)
    counter = _RankCounter(scores["command"].to_numpy()[ridx], always_check_ties=settings.indicator_noise)
    log = [f"Monte Carlo over category weights: {D:,} draws, seed {settings.seed}, "
           + (f"Dirichlet(α·w0) with concentration α = {settings.concentration:g}" if settings.method == "dirichlet"
              else f"uniform ±{settings.uniform_bound:.0%} (relative) around each weight, renormalised")
           + f"; {len(category_ids)} categories, {n} partners ranked"
           + (f" ({len(sidx) - n} unranked for low coverage left out)" if len(sidx) > n else "")]

    noise = None
    if settings.indicator_noise:
        if dataset is None:
            raise InputError("indicator_noise needs the data set that was scored (its WGI standard errors)",
                             file=settings.source or None, key="indicator_noise")
        noise = _IndicatorNoise(dataset, result, profile)
        log.append(f"indicator noise: {len(noise.indicators)} indicators drawn from N(estimate, published SE) "
                   f"({int(noise.mask.sum()):,} partner values)" if noise.active
                   else "indicator noise: no indicator has a standard error; weights only")
        if not noise.active:
            noise = None

    lp_n = min(settings.lp_draws, D) if allocation_inputs is not None and allocation_settings is not None else 0
    risk_k = None
    if lp_n and noise is not None and getattr(allocation_settings, "risk_category", None) in category_ids:
        risk_k = category_ids.index(allocation_settings.risk_category)
    lp_prop = np.full((lp_n, P), np.nan)
    lp_risk = np.empty((lp_n, P)) if risk_k is not None else None

    keep_ranks = np.empty((D, n), dtype=np.int32) if keep_draws else None
    keep_prop = np.empty((D, n)) if keep_draws else None
    rescore = _Rescorer(cats[sidx], method)
    # unranked (low-coverage) partners with a propensity still get funding in the LP: re-score them there too
    xidx = np.nonzero(np.isfinite(scores["propensity"].to_numpy(float)) & ~scored)[0]
    rescore_x = _Rescorer(cats[xidx], method) if len(xidx) and lp_n else None
    # the new sources (aggregation, priority, mechanism effects, curve scale) draw from their own stream, so
    # the weight draws (and everything with those sources off) are exactly those of the seed alone
    src_rng = np.random.default_rng([settings.seed, 1])
    switched, rescore_alt, rescore_x_alt = None, None, None
    if settings.aggregation_switch > 0:
        if dataset is None:
            raise InputError("aggregation_switch needs the data set that was scored", file=settings.source or None,
                             key="aggregation_switch")
        other = "geometric" if method == "arithmetic" else "arithmetic"
        alt = score_partners(dataset, profile.with_method(aggregation=other), _overrides_of(result))
        alt_cats = alt.categories.reindex(ids).to_numpy(float)
        rescore_alt = _Rescorer(alt_cats[sidx], other)
        rescore_x_alt = _Rescorer(alt_cats[xidx], other) if rescore_x is not None else None
        switched = src_rng.random(D) < settings.aggregation_switch
        log.append(f"aggregation: {other} instead of {method} in {int(switched.sum()):,} of {D:,} draws "
                   f"(probability {settings.aggregation_switch:g}; categories re-scored once with {other} means)")
    unscored = 0
    chunk = NOISE_CHUNK if noise is not None else CHUNK
    for start in range(0, D, chunk):
        stop = min(start + chunk, D)
        Wc = W[start:stop]
        if noise is not None:
            z = rng.standard_normal((stop - start, P, len(noise.indicators)))
            cat_draws = noise.categories(z)
            sub = np.ascontiguousarray(_propensity_per_draw(cat_draws[:, sidx], Wc, method))
        else:
            sub = rescore(Wc)
            if switched is not None and switched[start:stop].any():
                m = switched[start:stop]
                sub[m] = rescore_alt(np.ascontiguousarray(Wc[m]))
        if start < lp_n:
            m = min(stop, lp_n) - start
            lp_prop[start:start + m, sidx] = sub[:m]
            if rescore_x is not None:
                if noise is not None:
                    lp_prop[start:start + m, xidx] = _propensity_per_draw(cat_draws[:m][:, xidx], Wc[:m], method)
                else:
                    lp_prop[start:start + m, xidx] = rescore_x(np.ascontiguousarray(Wc[:m]))
                    if switched is not None and switched[start:start + m].any():
                        sw = switched[start:start + m]
                        lp_prop[start:start + m, xidx] = np.where(
                            sw[:, None], rescore_x_alt(np.ascontiguousarray(Wc[:m])), lp_prop[start:start + m, xidx])
            if lp_risk is not None:
                lp_risk[start:start + m] = cat_draws[:m, :, risk_k] * 100.0
        sub = sub[:, ranked_s]
        if keep_draws:
            keep_prop[start:stop] = sub
        bad = ~np.isfinite(sub)
        if bad.any():  # a draw left a partner no weight on its available categories: rank it last
            unscored += int(bad.sum())
            sub = np.where(bad, -1.0, sub)
        counter.add(sub, keep_ranks[start:stop] if keep_draws else None, clip=bool(bad.any()))
    t_mc = time.perf_counter() - t0

    max_c = counter.max_c
    counts = counter.rank.reshape(n, n)
    ccounts = counter.in_command.reshape(n, max(max_c, 1))[:, :max_c]
    score_counts = counter.score.reshape(n, counter.bins)
    frame = pd.DataFrame(index=ids)
    frame["name"] = scores["name"]
    frame["command"] = scores["command"]
    frame["propensity"] = scores["propensity"]

    def put(col: str, values: np.ndarray, dtype: str = "Int64") -> None:
        full = pd.Series(pd.NA, index=ids, dtype=dtype)
        full.iloc[ridx] = values
        frame[col] = full

    put("propensity_p5", _quantile_from_counts(score_counts, 0.05) / SCORE_BINS_PER_POINT, "Float64")
    put("propensity_p95", _quantile_from_counts(score_counts, 0.95) / SCORE_BINS_PER_POINT, "Float64")
    frame["rank"] = scores["rank"]
    for q, col in ((0.05, "rank_p5"), (0.5, "rank_p50"), (0.95, "rank_p95")):
        put(col, _quantile_from_counts(counts, q) + 1)
    frame["rank_in_command"] = scores["rank_in_command"]
    for q, col in ((0.05, "rank_in_command_p5"), (0.95, "rank_in_command_p95")):
        put(col, _quantile_from_counts(ccounts, q) + 1)
    put("p_top10", counts[:, : min(10, n)].sum(axis=1) / D, "Float64")

    frame["base_call"] = ""
    for col in ("p_bullish", "p_bearish", "funded_share"):
        frame[col] = np.nan
    frame["core_class"] = ""
    frame["funded_share_no_floors"] = np.nan
    frame["core_class_no_floors"] = ""
    if lp_n:
        lp = _lp_summary(ids, lp_prop, lp_risk, allocation_inputs, allocation_settings, budget_usd_m, settings,
                         src_rng)
        for col, values in lp["columns"].items():
            frame[col] = values
        log += lp["log"]
        budget = lp["budget"]
    else:
        budget = None
        log.append("allocation not re-solved (no allocation inputs or lp_draws = 0): p_bullish, p_bearish, "
                   "funded_share and core_class are empty")
    if unscored:
        log.append(f"{unscored:,} partner-draws had no weight on any available category (a tiny concentration "
                   "can draw a weight of exactly 0): ranked last, propensity counted as 0")
    log.append(f"scoring and ranking {D:,} draws took {t_mc:.3f} s")

    sids = ids[ridx]
    acc = pd.DataFrame(counts / D, index=sids, columns=pd.RangeIndex(1, n + 1, name="rank"))
    acc_c = pd.DataFrame(ccounts / D, index=sids, columns=pd.RangeIndex(1, max_c + 1, name="rank_in_command"))
    weights = pd.DataFrame(W, columns=category_ids)
    weights.index.name = "draw"
    return RobustnessResult(
        partners=frame, acceptability=acc, acceptability_in_command=acc_c, weights=weights, draws=D,
        seed=settings.seed, settings=settings, lp_draws=lp_n, budget_usd_m=budget,
        rank_draws=pd.DataFrame(keep_ranks, columns=sids) if keep_draws else None,
        propensity_draws=pd.DataFrame(keep_prop, columns=sids) if keep_draws else None,
        log=log,
    )


def _overrides_of(result: ScoreResult) -> pd.DataFrame | None:
    """The planner overrides inside a score result, as the table :func:`prioritizer.score.score` takes."""
    over = result.overridden
    if over is None or not over.to_numpy().any():
        return None
    rows = [(pid, con, float(result.constructs.at[pid, con]), "override (kept in robustness re-scoring)")
            for pid, con in over[over].stack().index]
    return pd.DataFrame(rows, columns=["partner_id", "construct", "value", "rationale"])


def _lp_summary(ids: pd.Index, lp_prop: np.ndarray, lp_risk: np.ndarray | None, allocation_inputs: Any,
                allocation_settings: Any, budget_usd_m: float | None, settings: RobustnessSettings,
                rng: np.random.Generator) -> dict[str, Any]:
    """Re-solve the allocation on the LP draws (with priority, mechanism-effect and curve-scale draws when
    switched on): p_bullish, p_bearish, funded_share, core_class (and the same core without floors)."""
    t1 = time.perf_counter()
    lp_n, P = lp_prop.shape
    calls = AllocationCalls(allocation_inputs, allocation_settings, budget_usd_m, n=settings.bullish_n)
    pos = calls.ids.get_indexer(ids)
    if (pos < 0).any():
        raise InputError(f"partner '{ids[pos < 0][0]}' is scored but not in the allocation inputs",
                         key="allocation_inputs")
    free = (AllocationCalls(allocation_inputs, without_floors(allocation_settings), calls.budget, n=settings.bullish_n)
            if settings.core_without_floors else None)
    k, r, c = settings.priority_shift, settings.mechanism_effect_range, settings.curve_scale_range
    n_all, n_mech = len(calls.ids), len(calls.mech_ids)
    prio = (np.clip(calls.priority[None, :] + rng.integers(-k, k + 1, size=(lp_n, n_all)), 1.0, 5.0)
            if k else None)
    effect = 1.0 + rng.uniform(-r, r, size=(lp_n, n_mech)) if r else None
    scale = 1.0 + rng.uniform(-c, c, size=lp_n) if c else None
    base = calls.calls(calls.inputs.partners["value"].to_numpy(float))
    bull, bear, funded, funded_free = np.zeros(P), np.zeros(P), np.zeros(P), np.zeros(P)
    solved = failed = 0
    for i in range(lp_n):
        risk = None
        v_prop = np.full(n_all, np.nan)
        v_prop[pos] = lp_prop[i]
        if lp_risk is not None:
            risk = calls.inputs.partners[f"{calls.risk_category}_score"].to_numpy(float).copy()
            risk[pos] = lp_risk[i]
        v = calls.value(v_prop, risk, None if prio is None else prio[i])
        e = None if effect is None else effect[i]
        s = None if scale is None else float(scale[i])
        try:
            one = calls.calls(v, e, s)
            two = free.calls(v, e, s) if free is not None else None
        except InfeasibleError:
            if s is None:  # without a curve-scale draw the constraints are those checked up front
                raise
            failed += 1  # a smaller curve scale can leave floors above what the curves absorb
            continue
        solved += 1
        bull += one.bullish[pos]
        bear += one.bearish[pos]
        funded += one.allocation[pos] > settings.funded_tolerance_usd_m
        if two is not None:
            funded_free += two.allocation[pos] > settings.funded_tolerance_usd_m
    if not solved:
        raise InfeasibleError([f"all {lp_n} allocation re-solves were infeasible under the curve-scale draws "
                               f"(curve_scale_range {c:g}); lower it"])

    def core(share: np.ndarray) -> np.ndarray:
        return np.where(share >= settings.core_threshold - 1e-12, CORE, np.where(share > 0, BORDERLINE, EXTERIOR))

    cols: dict[str, Any] = {
        "base_call": np.where(base.bullish[pos], "bullish", np.where(base.bearish[pos], "bearish", "")),
        "p_bullish": bull / solved, "p_bearish": bear / solved, "funded_share": funded / solved,
        "core_class": core(funded / solved)}
    if free is not None:
        cols["funded_share_no_floors"] = funded_free / solved
        cols["core_class_no_floors"] = core(funded_free / solved)
    sources = [f"priority ±{k} (uniform integer shift, clipped to 1–5)" if k else "",
               f"mechanism effects × U(1 − {r:g}, 1 + {r:g}) each" if r else "",
               f"benefit-curve scale S_p × U(1 − {c:g}, 1 + {c:g}) (one factor per draw)" if c else ""]
    sources = [x for x in sources if x]
    log = [f"allocation re-solved on the first {lp_n:,} draws (budget ${calls.budget:,.1f} M, {calls.solver}, "
           f"{time.perf_counter() - t1:.2f} s): p_bullish / p_bearish per command's {settings.bullish_n}, core = "
           f"funded (> ${settings.funded_tolerance_usd_m:g} M) in ≥ {settings.core_threshold:.0%} of them"
           + (f"; also drawn per re-solve: {'; '.join(sources)}" if sources else "")]
    if free is not None:
        log.append("robust core also without floors: command floors, partner floors and max-cut limits removed "
                   "(locks, caps, pools and the budget kept)")
    if failed:
        log.append(f"{failed} of {lp_n} re-solves infeasible under their curve-scale draw (floors above what the "
                   f"smaller curves absorb): left out, shares are of the {solved} solved")
    return {"columns": cols, "log": log, "budget": calls.budget}


# --------------------------------------------------------------------------------------------------
# Tornado
# --------------------------------------------------------------------------------------------------


def tornado(result: ScoreResult, profile: WeightProfile, swing: float = 0.5, points: int = 11) -> pd.DataFrame:
    """One-way sensitivity: each category weight with w > 0 swung over [w·(1 − swing), w·(1 + swing)].

    The other weights are unchanged before renormalising. ``points`` weights are scored along the swing
    (including both ends); the ranges are over all of them and the profile itself. Long frame, one row
    per partner × category: share_base/low/high (the category's share of the total), score_base,
    score_at_low, score_at_high, score_low, score_high, score_range (0–100), rank_base, rank_at_low,
    rank_at_high, rank_best, rank_worst, rank_in_command_best, rank_in_command_worst (1 = best).
    """
    if isinstance(swing, bool) or not isinstance(swing, int | float) or not 0 < swing <= 1:
        raise InputError(f"must be in (0, 1] (got {swing!r})", key="tornado_swing")
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"must be a whole number ≥ 2 (got {points!r})", key="tornado_points")
    category_ids = list(result.categories.columns)
    w0 = base_shares(profile, category_ids)
    swung = [k for k in range(len(w0)) if w0[k] > 0]
    factors = np.linspace(1.0 - swing, 1.0 + swing, points)
    rows = [w0]
    for k in swung:
        for f in factors:
            w = w0.copy()
            w[k] *= f
            rows.append(w / w.sum() if w.sum() > 0 else w0)
    W = np.array(rows)
    scores = result.scores
    ids = scores.index
    prop = propensity_for_weights(result.categories.reindex(ids).to_numpy(float), W, profile.aggregation)
    sidx = np.nonzero(_ranked(scores))[0]
    sub = prop[:, sidx]
    ranks = rank_rows(sub)
    cranks = np.empty_like(ranks)
    command = scores["command"].to_numpy()[sidx]
    for c in pd.unique(command):
        cols = np.nonzero(command == c)[0]
        cranks[:, cols] = rank_rows(sub[:, cols])
    out = []
    for j, k in enumerate(swung):
        block = slice(1 + j * points, 1 + (j + 1) * points)
        s, r, cr = sub[block], ranks[block], cranks[block]
        frame = pd.DataFrame({
            "partner_id": ids[sidx], "name": scores["name"].to_numpy()[sidx], "command": command,
            "category": category_ids[k], "share_base": w0[k], "share_low": W[block][0, k],
            "share_high": W[block][-1, k], "score_base": sub[0], "score_at_low": s[0], "score_at_high": s[-1],
            "score_low": np.minimum(s.min(axis=0), sub[0]), "score_high": np.maximum(s.max(axis=0), sub[0]),
            "rank_base": ranks[0], "rank_at_low": r[0], "rank_at_high": r[-1],
            "rank_best": np.minimum(r.min(axis=0), ranks[0]), "rank_worst": np.maximum(r.max(axis=0), ranks[0]),
            "rank_in_command_best": np.minimum(cr.min(axis=0), cranks[0]),
            "rank_in_command_worst": np.maximum(cr.max(axis=0), cranks[0]),
        })
        frame["score_range"] = frame["score_high"] - frame["score_low"]
        out.append(frame)
    columns = ["partner_id", "name", "command", "category", "share_base", "share_low", "share_high", "score_base",
               "score_at_low", "score_at_high", "score_low", "score_high", "score_range", "rank_base",
               "rank_at_low", "rank_at_high", "rank_best", "rank_worst", "rank_in_command_best",
               "rank_in_command_worst"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


# --------------------------------------------------------------------------------------------------
# Tipping points
# --------------------------------------------------------------------------------------------------


@dataclass
class TippingPoints:
    """Smallest single-category share change that changes a partner's bullish/bearish status.

    ``partners`` (index partner_id): base_call, tip_delta (signed change of the category's share of the
    total weight, e.g. +0.06), tip_category, tip_share (the category's new share), tip_change (e.g.
    "enters bullish", "leaves bearish"; "stable within ±0.50" when nothing changes on the grid).
    ``events``: every first change per partner × category × direction. ``grid``: the weights tried.
    The true tipping point is within one ``step`` below |tip_delta|.
    """

    partners: pd.DataFrame
    events: pd.DataFrame
    grid: pd.DataFrame
    step: float
    max_change: float
    solves: int
    log: list[str] = field(default_factory=list)


def share_grid(w0: np.ndarray, step: float, max_change: float) -> list[tuple[int, float, np.ndarray]]:
    """(category, delta, shares) for delta = ±step, ±2·step, … up to ±max_change on each category's share.

    The other categories keep their proportions and absorb the change; shares stay in [0, 1]. A
    category that holds all the weight cannot change (nothing to trade against) and is skipped.
    """
    out = []
    j_max = int(math.floor(max_change / step + 1e-9))
    for k in range(len(w0)):
        rest = 1.0 - w0[k]
        if rest <= 1e-12:
            continue
        for sign in (-1.0, 1.0):
            for j in range(1, j_max + 1):
                delta = round(sign * j * step, 12)
                new = w0[k] + delta
                if new < -1e-12 or new > 1.0 + 1e-12:
                    break
                new = min(max(new, 0.0), 1.0)
                w = w0 * ((1.0 - new) / rest)
                w[k] = new
                out.append((k, delta, w))
    return out


def tipping_points(result: ScoreResult, profile: WeightProfile, allocation_inputs: Any, allocation_settings: Any,
                   budget_usd_m: float | None = None, settings: RobustnessSettings | None = None,
                   calls: AllocationCalls | None = None) -> TippingPoints:
    """Per partner, the smallest change of one category's share that moves it into or out of its
    command's bullish or bearish list (grid of ``tipping_grid_step`` up to ± ``tipping_max``).

    Every category is tried, also one the profile weights 0 (only upwards). One warm LP re-solve per
    grid point (~6 categories × 2 directions × 25 steps = 300 solves).
    """
    settings = settings or RobustnessSettings()
    t0 = time.perf_counter()
    step, max_change = settings.tipping_grid_step, settings.tipping_max
    category_ids = list(result.categories.columns)
    w0 = base_shares(profile, category_ids)
    grid = share_grid(w0, step, max_change)
    ids = result.scores.index
    calls = calls or AllocationCalls(allocation_inputs, allocation_settings, budget_usd_m, n=settings.bullish_n)
    pos = calls.ids.get_indexer(ids)
    if (pos < 0).any():
        raise InputError(f"partner '{ids[pos < 0][0]}' is scored but not in the allocation inputs",
                         key="allocation_inputs")
    cats = result.categories.reindex(ids).to_numpy(float)
    W = np.array([w for _, _, w in grid]) if grid else np.zeros((0, len(w0)))
    prop = propensity_for_weights(cats, np.vstack([w0[None, :], W]), profile.aggregation)

    def status(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v_prop = np.full(len(calls.ids), np.nan)
        v_prop[pos] = row
        c = calls.calls(calls.value(v_prop))
        return c.bullish[pos], c.bearish[pos]

    base_bull, base_bear = status(prop[0])
    P = len(ids)
    found = np.zeros((len(category_ids), 2, P), dtype=bool)
    events = []
    for g, (k, delta, w) in enumerate(grid):
        d = 0 if delta < 0 else 1
        bull, bear = status(prop[g + 1])
        changed = ((bull != base_bull) | (bear != base_bear)) & ~found[k, d]
        for i in np.nonzero(changed)[0]:
            parts = []
            if bull[i] != base_bull[i]:
                parts.append("enters bullish" if bull[i] else "leaves bullish")
            if bear[i] != base_bear[i]:
                parts.append("enters bearish" if bear[i] else "leaves bearish")
            events.append((ids[i], category_ids[k], "up" if delta > 0 else "down", delta, w0[k], w[k],
                           " and ".join(parts)))
        found[k, d] |= changed
    ev = pd.DataFrame(events, columns=["partner_id", "category", "direction", "delta", "share_base", "share_new",
                                       "change"])
    frame = pd.DataFrame(index=ids)
    frame["name"] = result.scores["name"]
    frame["command"] = result.scores["command"]
    frame["base_call"] = np.where(base_bull, "bullish", np.where(base_bear, "bearish", ""))
    frame["tip_delta"] = np.nan
    frame["tip_category"] = ""
    frame["tip_share"] = np.nan
    frame["tip_change"] = f"stable within ±{max_change:.2f}"
    if len(ev):
        ev["_abs"] = ev["delta"].abs()
        ev["_cat"] = ev["category"].map({c: i for i, c in enumerate(category_ids)})
        first = ev.sort_values(["partner_id", "_abs", "_cat", "delta"]).drop_duplicates("partner_id")
        first = first.set_index("partner_id")
        frame.loc[first.index, "tip_delta"] = first["delta"]
        frame.loc[first.index, "tip_category"] = first["category"]
        frame.loc[first.index, "tip_share"] = first["share_new"]
        frame.loc[first.index, "tip_change"] = first["change"]
        ev = ev.drop(columns=["_abs", "_cat"])
    grid_frame = pd.DataFrame(W, columns=category_ids)
    grid_frame.insert(0, "delta", [d for _, d, _ in grid])
    grid_frame.insert(0, "category", [category_ids[k] for k, _, _ in grid])
    log = [f"tipping points: {len(grid)} grid points (step {step:g} of a category's share, up to ±{max_change:g}), "
           f"{len(grid) + 1} LP re-solves ({calls.solver}) in {time.perf_counter() - t0:.2f} s; the true tipping "
           f"point lies within {step:g} below the reported change"]
    return TippingPoints(partners=frame, events=ev, grid=grid_frame, step=step, max_change=max_change,
                         solves=len(grid) + 1, log=log)
