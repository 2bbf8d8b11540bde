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
from sklearn.impute import KNNImputer

from prioritizer.data.dataset import Dataset
from prioritizer.scoring.normalise import Normaliser, apply_transforms
from prioritizer.scoring.settings import WeightProfile

REDUNDANCY_RHO = 0.85
"""Indicator pairs with Spearman |ρ| at or above this (on the normalised sample) are reported in the log."""
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
    w = np.asarray(weights, dtype=float)
    mean = aggregate(values, w.T if w.ndim == 2 else w[:, None], method)
    return mean.T if w.ndim == 2 else mean[:, 0]


@dataclass(frozen=True)
class Tree:
    """The construct tree of one profile as weight matrices (rows: parts, columns: groups)."""

    indicators: list[str]
    constructs: list[str]
    categories: list[str]
    indicator_to_construct: np.ndarray  # indicators × constructs: indicator weight where member, else 0
    construct_to_category: np.ndarray  # constructs × categories: construct weight where member, else 0
    category_weights: np.ndarray  # categories

    def effective_weights(self) -> np.ndarray:
        """Each indicator's share of the total weight (sums to 1) when every value is present."""
        return self.indicator_shares() @ self.construct_shares()

    def indicator_shares(self) -> np.ndarray:
        """indicators × constructs: each indicator's share within its construct."""
        return _column_shares(self.indicator_to_construct)

    def construct_shares(self) -> np.ndarray:
        """Each construct's share of the total weight (constructs)."""
        cat = self.category_weights / self.category_weights.sum()
        return _column_shares(self.construct_to_category) @ cat


def _column_shares(matrix: np.ndarray) -> np.ndarray:
    totals = matrix.sum(axis=0)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)


def build_tree(dictionary: pd.DataFrame, constructs: pd.DataFrame, profile: WeightProfile) -> Tree:
    """Weight matrices of the indicator → construct → category tree under ``profile``."""
    indicators = list(dictionary.index)
    construct_ids = list(constructs.index)
    categories = list(dict.fromkeys(constructs["category_id"]))
    ind_w = np.array([profile.indicator_weights[i] for i in indicators])
    ind_member = dictionary["construct"].to_numpy()[:, None] == np.array(construct_ids)[None, :]
    con_w = np.array([profile.construct_weights[c] for c in construct_ids])
    con_member = constructs["category_id"].to_numpy()[:, None] == np.array(categories)[None, :]
    return Tree(
        indicators=indicators, constructs=construct_ids, categories=categories,
        indicator_to_construct=ind_member * ind_w[:, None],
        construct_to_category=con_member * con_w[:, None],
        category_weights=np.array([profile.category_weights.get(c, 0.0) for c in categories]),
    )


def effective_indicator_weights(dictionary: pd.DataFrame, profile: WeightProfile,
                                constructs: pd.DataFrame | None = None) -> pd.Series:
    """Each indicator's share of the total weight (sums to 1) when every value is present."""
    if constructs is None:
        pairs = dictionary[["construct", "category"]].drop_duplicates("construct")
        constructs = pd.DataFrame({"category_id": pairs["category"].to_numpy()},
                                  index=pd.Index(pairs["construct"].to_numpy(), name="construct_id"))
    tree = build_tree(dictionary, constructs, profile)
    return pd.Series(tree.effective_weights(), index=tree.indicators, name="weight_share")


def aggregate(values: np.ndarray, membership: np.ndarray, method: str = "arithmetic") -> np.ndarray:
    """Weighted means of available parts per group: (partners × parts) and (parts × groups) → partners × groups.

    NaN where a group has no available part with positive weight. Geometric needs values > 0.
    """
    v = np.asarray(values, dtype=float)
    available = ~np.isnan(v)
    if method == "geometric":
        filled = np.where(available, np.log(np.where(available, v, 1.0)), 0.0)
    else:
        filled = np.where(available, v, 0.0)
    numerator = filled @ membership
    denominator = available.astype(float) @ membership
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
    return np.exp(mean) if method == "geometric" else mean


def impute_knn(oriented: pd.DataFrame, neighbours: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """k-NN imputation (scikit-learn) on standardised oriented values; returns (values, imputed flags).

    Partners with no indicator at all (e.g. non-state partners) are left as they are.
    """
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


def score(dataset: Dataset, profile: WeightProfile, overrides: pd.DataFrame | None = None) -> ScoreResult:
    """Score every partner in ``dataset`` under ``profile``; ``overrides`` replace construct scores.

    Returns a :class:`ScoreResult` whose ``scores`` has propensity (0–100), rank (1 = highest),
    rank_in_command, coverage (share of total weight backed by real values or overrides, 0–1),
    low_confidence (coverage below the profile's threshold) and one ``<category>_score`` per category.
    A low-confidence partner keeps its propensity and coverage but is **unranked** (rank and
    rank_in_command <NA>): too little of the weight rests on data to place it against the others.
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
    shares = pd.Series(build_tree(dictionary, constructs_table, profile).effective_weights(), index=dictionary.index)
    log.append("indicators (share of total weight when all present): "
               + ", ".join(f"{i} {w:.1%}" for i, w in shares.items()))
    pairs = redundant_pairs(normalised, dictionary)
    log.append(f"{len(pairs)} indicator pairs with Spearman |rho| >= {REDUNDANCY_RHO:g}"
               + (": " + "; ".join(f"{a}~{b} {r:.2f} ({'same category' if same else 'ACROSS categories'})"
                                   for a, b, r, same in pairs) if pairs else ""))
    method = profile.aggregation
    tree = build_tree(dictionary, constructs_table, profile)
    floor = GEOMETRIC_FLOOR if method == "geometric" else None
    construct_values = aggregate(_floored(normalised.to_numpy(), floor), tree.indicator_to_construct, method)
    construct_scores = pd.DataFrame(construct_values, index=normalised.index, columns=tree.constructs)
    overridden = pd.DataFrame(False, index=normalised.index, columns=tree.constructs)
    if overrides is not None and len(overrides):
        for row in overrides.itertuples(index=False):
            construct_scores.at[row.partner_id, row.construct] = float(row.value) / 100.0
            overridden.at[row.partner_id, row.construct] = True
        log.append(f"applied {len(overrides)} planner overrides of construct scores (with rationale)")
    category_values = aggregate(_floored(construct_scores.to_numpy(), floor), tree.construct_to_category, method)
    category_scores = pd.DataFrame(category_values, index=normalised.index, columns=tree.categories)
    propensity = combine(_floored(category_values, floor), tree.category_weights, method) * 100.0
    log.append(f"aggregated indicators → {len(tree.constructs)} constructs → {len(tree.categories)} categories "
               f"→ propensity ({method} weighted means over available values)")

    coverage = _coverage((observed & ~imputed).to_numpy(), overridden.to_numpy(), tree)
    base = dataset.partners
    prop = pd.Series(propensity, index=base.index)
    low = coverage < profile.coverage_threshold
    ranked = prop.where(~low)
    columns = {c: base[c].to_numpy() for c in ("name", "command", "region", "partner_type")}
    columns |= {
        "propensity": propensity,
        "rank": rank_descending(ranked).array,
        "rank_in_command": rank_within(ranked, base["command"]).array,
        "coverage": coverage,
        "low_confidence": low,
        "imputed_cells": imputed.to_numpy().sum(axis=1).astype(int),
        "overrides": overridden.to_numpy().sum(axis=1).astype(int),
    }
    columns |= {f"{cat}_score": category_values[:, j] * 100.0 for j, cat in enumerate(tree.categories)}
    scores = pd.DataFrame(columns, index=base.index)
    unranked = scores.index[scores["low_confidence"] & scores["propensity"].notna()]
    log.append(f"{int(scores['low_confidence'].sum())} partners below {profile.coverage_threshold:.0%} coverage "
               "are flagged low-confidence and left unranked (rank <NA>)"
               + (": " + ", ".join(f"{p} ({coverage[base.index.get_loc(p)]:.0%})" for p in unranked)
                  if len(unranked) else ""))
    return ScoreResult(
        scores=scores, constructs=construct_scores * 100.0, categories=category_scores * 100.0,
        normalised=normalised, imputed=imputed, overridden=overridden,
        indicator_weights=pd.Series(tree.effective_weights(), index=tree.indicators, name="weight_share"),
        log=log,
    )


def redundant_pairs(normalised: pd.DataFrame, dictionary: pd.DataFrame,
                    threshold: float = REDUNDANCY_RHO) -> list[tuple[str, str, float, bool]]:
    """Indicator pairs with pairwise Spearman |ρ| ≥ ``threshold``: (a, b, |ρ|, same category), largest first."""
    rho = normalised.corr(method="spearman", min_periods=10).abs()
    cat = dictionary["category"]
    ids = list(rho.columns)
    out = [(a, b, float(rho.at[a, b]), bool(cat[a] == cat[b]))
           for i, a in enumerate(ids) for b in ids[i + 1:] if rho.at[a, b] >= threshold]
    return sorted(out, key=lambda t: -t[2])


RANK_DECIMALS = 9
"""Scores are rounded to 1e-9 before ranking so floating-point noise never breaks a tie."""


def rank_descending(propensity: pd.Series) -> pd.Series:
    """Rank 1 = highest propensity; ties share the best rank; partners without a score get <NA>."""
    return propensity.round(RANK_DECIMALS).rank(ascending=False, method="min").astype("Int64")


def rank_within(propensity: pd.Series, groups: pd.Series) -> pd.Series:
    """Rank 1 = highest propensity within each group (e.g. command); ties share the best rank."""
    rounded = propensity.round(RANK_DECIMALS)
    return rounded.groupby(groups.to_numpy()).rank(ascending=False, method="min").astype("Int64")


def _floored(values: np.ndarray, floor: float | None) -> np.ndarray:
    return np.maximum(values, floor) if floor is not None else values  # NaN stays NaN


def _coverage(real: np.ndarray, overridden: np.ndarray, tree: Tree) -> np.ndarray:
    """Share of the total weight backed by real values or overrides (0–1) per partner."""
    weights = tree.effective_weights()
    covered = real.astype(float) @ weights
    if overridden.any():
        construct_weight = tree.construct_shares()
        member = tree.indicator_to_construct > 0
        construct_real = (real.astype(float) * weights) @ member.astype(float)
        covered = covered + ((construct_weight - construct_real) * overridden).sum(axis=1)
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
