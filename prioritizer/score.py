"""Propensity score: indicators → constructs → categories → propensity (0–100, higher = better).

Each level is a weighted mean of the available scores one level down (arithmetic, or geometric so
that a weak part is not fully offset by a strong one). Missing values are either left out with the
weights re-spread over what is available (coverage is reported), or imputed by k-nearest
neighbours with every imputed cell flagged. Planner overrides replace construct scores and are kept
in the result, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prioritizer.config import WeightProfile
from prioritizer.load import Dataset
from prioritizer.normalise import Normaliser, apply_transforms

GEOMETRIC_FLOOR = 0.01
"""Geometric means floor normalised values at 0.01 (1 on the 0–100 scale) so a zero does not annul a partner."""


@dataclass
class ScoreResult:
    """Scores plus every intermediate table and a log of the steps that produced them."""

    scores: pd.DataFrame
    constructs: pd.DataFrame
    categories: pd.DataFrame
    normalised: pd.DataFrame
    imputed: pd.DataFrame
    overridden: pd.DataFrame
    indicator_weights: pd.Series
    log: list[str] = field(default_factory=list)

    @property
    def category_ids(self) -> list[str]:
        """Category ids in column order."""
        return list(self.categories.columns)


def combine(values: np.ndarray, weights: np.ndarray, method: str = "arithmetic") -> np.ndarray:
    """Weighted mean of the available (non-NaN) values in each row.

    ``values``: partners × parts (NaN = missing). ``weights``: parts, or draws × parts for many weight
    vectors at once. Returns partners (or draws × partners); NaN where no part with positive weight
    is available. ``method`` is ``arithmetic`` or ``geometric`` (values must be > 0 for geometric;
    callers floor them).
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    available = ~np.isnan(v)
    if method == "geometric":
        filled = np.where(available, np.log(np.where(available, v, 1.0)), 0.0)
    else:
        filled = np.where(available, v, 0.0)
    numerator = filled @ w.T
    denominator = available.astype(float) @ w.T
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
    if method == "geometric":
        mean = np.exp(mean)
    return mean.T if w.ndim == 2 else mean


def effective_indicator_weights(dictionary: pd.DataFrame, profile: WeightProfile) -> pd.Series:
    """Each indicator's share of the total weight (sums to 1) when every value is present."""
    cat = pd.Series(profile.category_weights)
    cat = cat / cat.sum()
    out = {}
    for ind, row in dictionary.iterrows():
        members = dictionary.index[dictionary["construct"] == row["construct"]]
        ind_share = profile.indicator_weights[ind] / sum(profile.indicator_weights[m] for m in members)
        siblings = sorted(set(dictionary.loc[dictionary["category"] == row["category"], "construct"]))
        con_total = sum(profile.construct_weights[c] for c in siblings)
        con_share = profile.construct_weights[row["construct"]] / con_total if con_total > 0 else 0.0
        out[ind] = cat.get(row["category"], 0.0) * con_share * ind_share
    return pd.Series(out, name="weight_share")


def impute_knn(oriented: pd.DataFrame, neighbours: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """k-NN imputation (scikit-learn) on standardised oriented values; returns (values, imputed flags).

    Partners with no indicator at all (e.g. non-state partners) are left as they are.
    """
    from sklearn.impute import KNNImputer

    x = oriented.to_numpy(dtype=float)
    missing = np.isnan(x)
    has_any = ~missing.all(axis=1)
    usable_cols = ~missing[has_any].all(axis=0)
    filled = x.copy()
    if has_any.sum() > 1 and usable_cols.any():
        sub = x[np.ix_(has_any, usable_cols)]
        mean = np.nanmean(sub, axis=0)
        std = np.nanstd(sub, axis=0)
        std[std == 0] = 1.0
        k = int(min(neighbours, has_any.sum() - 1))
        imputed = KNNImputer(n_neighbors=max(k, 1)).fit_transform((sub - mean) / std) * std + mean
        filled[np.ix_(has_any, usable_cols)] = imputed
    flags = np.isnan(x) & ~np.isnan(filled)
    return (pd.DataFrame(filled, index=oriented.index, columns=oriented.columns),
            pd.DataFrame(flags, index=oriented.index, columns=oriented.columns))


def _level(values: pd.DataFrame, groups: pd.Series, weights: dict[str, float], order: list[str],
           method: str) -> pd.DataFrame:
    """Aggregate columns of ``values`` into groups (``groups`` maps column → group), 0–1 in, 0–1 out."""
    out = {}
    for group in order:
        members = list(groups.index[groups == group])
        w = np.array([weights[m] for m in members])
        v = values[members].to_numpy(dtype=float)
        out[group] = combine(v, w, method) if w.sum() > 0 else np.full(len(values), np.nan)
    return pd.DataFrame(out, index=values.index)


def score(dataset: Dataset, profile: WeightProfile, overrides: pd.DataFrame | None = None) -> ScoreResult:
    """Score every partner in ``dataset`` under ``profile``; ``overrides`` replace construct scores.

    Returns a :class:`ScoreResult` whose ``scores`` has propensity (0–100), rank (1 = highest),
    rank_in_command, coverage (share of total weight backed by real values or overrides, 0–1),
    low_confidence (coverage below the profile's threshold) and one ``<category>_score`` per category.
    """
    dictionary, constructs_table = dataset.dictionary, dataset.constructs
    log = [f"profile '{profile.name}' ({profile.source or 'in memory'}): normalisation={profile.normalisation}, "
           f"aggregation={profile.aggregation}, missing={profile.missing}"]
    oriented = apply_transforms(dataset.raw, dictionary)
    log.append(f"transformed {int((dictionary['transform'] != 'none').sum())} indicators (log/log1p) and "
               f"oriented {int((dictionary['direction'] < 0).sum())} lower-is-better indicators")
    observed = ~oriented.isna()
    imputed = pd.DataFrame(False, index=oriented.index, columns=oriented.columns)
    if profile.missing == "knn":
        oriented, imputed = impute_knn(oriented, profile.knn_neighbours)
        log.append(f"k-NN imputation (k={profile.knn_neighbours}) filled {int(imputed.to_numpy().sum())} cells; "
                   "each is flagged in `imputed`")
    normaliser = Normaliser(profile.normalisation, profile.winsorise)
    fit_rows = observed.any(axis=1).to_numpy()
    normaliser.fit(oriented.to_numpy()[fit_rows] if fit_rows.any() else oriented.to_numpy())
    normalised = pd.DataFrame(normaliser.transform(oriented.to_numpy()), index=oriented.index,
                              columns=oriented.columns)
    log.append(f"normalised {len(dictionary)} indicators to [0, 1] by {profile.normalisation}"
               + (f", winsorised at {profile.winsorise:g} per tail" if profile.winsorise else ""))
    method = profile.aggregation
    level_in = normalised.clip(lower=GEOMETRIC_FLOOR) if method == "geometric" else normalised

    construct_order = list(constructs_table.index)
    construct_scores = _level(level_in, dictionary["construct"], profile.indicator_weights, construct_order,
                              method)
    overridden = pd.DataFrame(False, index=normalised.index, columns=construct_order)
    if overrides is not None and len(overrides):
        for row in overrides.itertuples(index=False):
            construct_scores.at[row.partner_id, row.construct] = float(row.value) / 100.0
            overridden.at[row.partner_id, row.construct] = True
        log.append(f"applied {len(overrides)} planner overrides of construct scores (with rationale)")
    cat_of_construct = constructs_table["category_id"]
    category_order = list(dict.fromkeys(cat_of_construct))
    con_in = construct_scores.clip(lower=GEOMETRIC_FLOOR) if method == "geometric" else construct_scores
    category_scores = _level(con_in, cat_of_construct, profile.construct_weights, category_order, method)
    cat_in = category_scores.clip(lower=GEOMETRIC_FLOOR) if method == "geometric" else category_scores
    cat_w = np.array([profile.category_weights.get(c, 0.0) for c in category_order])
    propensity = combine(cat_in.to_numpy(), cat_w, method) * 100.0
    log.append(f"aggregated indicators → {len(construct_order)} constructs → {len(category_order)} categories → "
               f"propensity ({method} weighted means over available values)")

    coverage = _coverage(observed & ~imputed, overridden, dictionary, profile)
    scores = dataset.partners[["name", "command", "region", "partner_type"]].copy()
    scores["propensity"] = propensity
    scores["rank"] = rank_descending(scores["propensity"])
    scores["rank_in_command"] = scores.groupby("command")["propensity"].transform(rank_descending).astype("Int64")
    scores["coverage"] = coverage
    scores["low_confidence"] = coverage < profile.coverage_threshold
    scores["imputed_cells"] = imputed.sum(axis=1).astype(int)
    scores["overrides"] = overridden.sum(axis=1).astype(int)
    for cat in category_order:
        scores[f"{cat}_score"] = category_scores[cat] * 100.0
    log.append(f"{int(scores['low_confidence'].sum())} partners below {profile.coverage_threshold:.0%} coverage "
               "are flagged low-confidence")
    return ScoreResult(
        scores=scores, constructs=construct_scores * 100.0, categories=category_scores * 100.0,
        normalised=normalised, imputed=imputed, overridden=overridden,
        indicator_weights=effective_indicator_weights(dictionary, profile), log=log,
    )


RANK_DECIMALS = 9
"""Scores are rounded to 1e-9 before ranking so floating-point noise never breaks a tie."""


def rank_descending(propensity: pd.Series) -> pd.Series:
    """Rank 1 = highest propensity; ties share the best rank; partners without a score get <NA>."""
    return propensity.round(RANK_DECIMALS).rank(ascending=False, method="min").astype("Int64")


def _coverage(real: pd.DataFrame, overridden: pd.DataFrame, dictionary: pd.DataFrame,
              profile: WeightProfile) -> np.ndarray:
    """Share of the total weight backed by real values or overrides (0–1) per partner."""
    weights = effective_indicator_weights(dictionary, profile)
    covered = real.to_numpy(dtype=float) @ weights.reindex(real.columns).to_numpy()
    if overridden.to_numpy().any():
        con_weight = weights.groupby(dictionary["construct"]).sum().reindex(overridden.columns).fillna(0.0)
        con_real = pd.DataFrame(real.to_numpy(dtype=float) * weights.reindex(real.columns).to_numpy(),
                                index=real.index, columns=real.columns).T.groupby(dictionary["construct"]).sum().T
        con_real = con_real.reindex(columns=overridden.columns).fillna(0.0)
        gain = (con_weight.to_numpy() - con_real.to_numpy()) * overridden.to_numpy()
        covered = covered + gain.sum(axis=1)
    return np.clip(covered, 0.0, 1.0)


def category_matrix(result: ScoreResult) -> np.ndarray:
    """Category scores (partners × categories, 0–100, NaN = no data) for fast re-weighting."""
    return result.categories.to_numpy(dtype=float)


def propensity_for_weights(categories: np.ndarray, weights: np.ndarray, method: str = "arithmetic") -> np.ndarray:
    """Propensity (0–100) for one or many category weight vectors, given category scores (0–100).

    Vectorised: ``weights`` may be draws × categories; returns draws × partners.
    """
    cats = np.clip(categories / 100.0, GEOMETRIC_FLOOR, None) if method == "geometric" else categories / 100.0
    return combine(cats, weights, method) * 100.0
