"""Monte Carlo over category weights (and WGI values with ``indicator_noise``): rank intervals, rank
acceptability, propensity intervals, and on the first ``lp_draws`` draws the allocation re-solves.

Every draw re-scores all partners (:class:`~prioritizer.robustness.rescore.Rescorer`, the scorer's formula:
one matrix product per chunk of draws) and re-ranks them (one argsort per draw), overall and within each
command. Per partner: rank interval (5th, 50th, 95th percentile, inverted-CDF so ranks stay whole
numbers), the rank-acceptability matrix (share of draws at each rank) and the propensity interval. The
other sources (aggregation switch here; priority, mechanism effects and curve scale in the re-solves of
:mod:`prioritizer.robustness.core`) draw from their own stream, so with them off the output is the
weights-only analysis. Same settings and seed → identical result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.data.dataset import Dataset
from prioritizer.errors import InputError
from prioritizer.robustness.core import lp_summary
from prioritizer.robustness.draws import draw_weights
from prioritizer.robustness.noise import IndicatorNoise
from prioritizer.robustness.ranks import SCORE_BINS_PER_POINT, RankCounter, quantile_from_counts, ranked_mask
from prioritizer.robustness.rescore import Rescorer, propensity_per_draw
from prioritizer.robustness.settings import RobustnessSettings
from prioritizer.scoring.score import ScoreResult
from prioritizer.scoring.score import score as score_partners
from prioritizer.scoring.settings import WeightProfile

CHUNK = 1_000
"""Draws processed at once: bounds temporary memory to a few MB whatever the number of draws."""
NOISE_CHUNK = 500
"""Draws per chunk with indicator noise (draws × partners × indicators arrays)."""


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
    scored = ranked_mask(scores)
    sidx = np.nonzero(scored)[0]
    # ranks are counted over the partners the point ranking ranks (low-coverage partners are unranked)
    ranked_s = scores["rank"].notna().to_numpy()[sidx] if "rank" in scores else np.ones(len(sidx), dtype=bool)
    ridx = sidx[ranked_s]
    n = len(ridx)
    counter = RankCounter(scores["command"].to_numpy()[ridx], always_check_ties=settings.indicator_noise)
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
        noise = IndicatorNoise(dataset, result, profile)
        log.append(f"indicator noise: {len(noise.indicators)} indicators drawn from N(estimate, published SE) "
                   f"({int(noise.mask.sum()):,} partner values)" if noise.active
                   else "indicator noise: no indicator has a standard error; weights only")
        if not noise.active:
            noise = None

    lp_n = min(settings.lp_draws, D) if allocation_inputs is not None and allocation_settings is not None else 0
    lp_prop = np.full((lp_n, P), np.nan)

    keep_ranks = np.empty((D, n), dtype=np.int32) if keep_draws else None
    keep_prop = np.empty((D, n)) if keep_draws else None
    rescore = Rescorer(cats[sidx], method)
    # unranked (low-coverage) partners with a propensity still get funding in the LP: re-score them there too
    xidx = np.nonzero(np.isfinite(scores["propensity"].to_numpy(float)) & ~scored)[0]
    rescore_x = Rescorer(cats[xidx], method) if len(xidx) and lp_n else None
    # the new sources (aggregation, priority, mechanism effects, curve scale) draw from their own stream, so
    # the weight draws (and everything with those sources off) are exactly those of the seed alone
    src_rng = np.random.default_rng([settings.seed, 1])
    switched, rescore_alt, rescore_x_alt = None, None, None
    if settings.aggregation_switch > 0:
        if dataset is None:
            raise InputError("aggregation_switch needs the data set that was scored", file=settings.source or None,
                             key="aggregation_switch")
        other = "geometric" if method == "arithmetic" else "arithmetic"
        alt = score_partners(dataset, profile.with_method(aggregation=other), overrides_of(result))
        alt_cats = alt.categories.reindex(ids).to_numpy(float)
        rescore_alt = Rescorer(alt_cats[sidx], other)
        rescore_x_alt = Rescorer(alt_cats[xidx], other) if rescore_x is not None else None
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
            sub = np.ascontiguousarray(propensity_per_draw(cat_draws[:, sidx], Wc, method))
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
                    lp_prop[start:start + m, xidx] = propensity_per_draw(cat_draws[:m][:, xidx], Wc[:m], method)
                else:
                    lp_prop[start:start + m, xidx] = rescore_x(np.ascontiguousarray(Wc[:m]))
                    if switched is not None and switched[start:start + m].any():
                        sw = switched[start:start + m]
                        lp_prop[start:start + m, xidx] = np.where(
                            sw[:, None], rescore_x_alt(np.ascontiguousarray(Wc[:m])), lp_prop[start:start + m, xidx])
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

    put("propensity_p5", quantile_from_counts(score_counts, 0.05) / SCORE_BINS_PER_POINT, "Float64")
    put("propensity_p95", quantile_from_counts(score_counts, 0.95) / SCORE_BINS_PER_POINT, "Float64")
    frame["rank"] = scores["rank"]
    for q, col in ((0.05, "rank_p5"), (0.5, "rank_p50"), (0.95, "rank_p95")):
        put(col, quantile_from_counts(counts, q) + 1)
    frame["rank_in_command"] = scores["rank_in_command"]
    for q, col in ((0.05, "rank_in_command_p5"), (0.95, "rank_in_command_p95")):
        put(col, quantile_from_counts(ccounts, q) + 1)
    put("p_top10", counts[:, : min(10, n)].sum(axis=1) / D, "Float64")

    frame["base_call"] = ""
    for col in ("p_bullish", "p_bearish", "funded_share"):
        frame[col] = np.nan
    frame["core_class"] = ""
    frame["funded_share_no_floors"] = np.nan
    frame["core_class_no_floors"] = ""
    if lp_n:
        lp = lp_summary(ids, lp_prop, allocation_inputs, allocation_settings, budget_usd_m, settings, src_rng)
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


def overrides_of(result: ScoreResult) -> pd.DataFrame | None:
    """The planner overrides inside a score result, as the table :func:`prioritizer.score.score` takes."""
    over = result.overridden
    if over is None or not over.to_numpy().any():
        return None
    rows = [(pid, con, float(result.constructs.at[pid, con]), "override (kept in robustness re-scoring)")
            for pid, con in over[over].stack().index]
    return pd.DataFrame(rows, columns=["partner_id", "construct", "value", "rationale"])
