"""Match propensity against US priority and funding; find each partner's peers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.metrics import pairwise_distances_chunked
from sklearn.neighbors import NearestNeighbors

from prioritizer.scoring.settings import MatchingSettings

QUADRANTS = ("invest", "manage expectations", "opportunity", "deprioritise")


def propensity_cut(propensity: pd.Series, settings: MatchingSettings) -> float:
    """The propensity threshold (0–100) for 'high': a fixed score or the median of the partners shown."""
    if settings.propensity_threshold == "median":
        return float(np.nanmedian(propensity.to_numpy(dtype=float)))
    return float(settings.propensity_threshold)


def quadrants(propensity: pd.Series, priority: pd.Series, settings: MatchingSettings) -> pd.Series:
    """Priority × propensity quadrant per partner.

    invest = high priority & high propensity; manage expectations = high priority & low propensity;
    opportunity = low priority & high propensity; deprioritise = low & low. High priority means
    priority ≥ ``priority_threshold``; high propensity means propensity ≥ the propensity cut.
    Partners with no propensity get NaN.
    """
    cut = propensity_cut(propensity, settings)
    prio = priority.reindex(propensity.index)
    high_p = prio >= settings.priority_threshold
    high_s = propensity >= cut
    label = np.select(
        [high_p & high_s, high_p & ~high_s, ~high_p & high_s],
        list(QUADRANTS[:3]),
        default=QUADRANTS[3],
    )
    out = pd.Series(label, index=propensity.index, name="quadrant", dtype=object)
    out[propensity.isna()] = np.nan
    return out


def merit(propensity: pd.Series, priority: pd.Series, need: pd.Series | None = None) -> pd.Series:
    """Merit, 0–1: (priority / 5) × (propensity / 100) × need, where priority, propensity and need (how much
    a US dollar adds to the partner's capability, 0–1; 1 when not given) all say invest."""
    out = (priority.reindex(propensity.index) / 5.0) * (propensity / 100.0)
    if need is not None:
        out = out * need.reindex(propensity.index).fillna(1.0)
    return out


def funding_mismatch(propensity: pd.Series, priority: pd.Series, baseline_usd_m: pd.Series,
                     settings: MatchingSettings, need: pd.Series | None = None,
                     grant_eligible: pd.Series | None = None) -> pd.DataFrame:
    """Compare each partner's share of baseline funding with its share of need-aware merit.

    ``funding_ratio`` = funding share / merit share (1 = funded in proportion to merit). Flags:
    "high cost / low return" when the ratio ≥ ``high_cost_ratio`` and the partner holds at least
    ``min_funding_share`` of all funding; "under-resourced" when the ratio ≤ ``under_resourced_ratio``
    for a partner in the *invest* quadrant that is eligible for grant money (``grant_eligible``; a
    high-income partner with no MOU, or one without armed forces, is never under-resourced at $0).
    """
    m = merit(propensity, priority, need).fillna(0.0)
    funding = baseline_usd_m.reindex(propensity.index).fillna(0.0)
    merit_share = m / m.sum() if m.sum() > 0 else m * 0.0
    funding_share = funding / funding.sum() if funding.sum() > 0 else funding * 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(merit_share > 0, funding_share / merit_share.where(merit_share > 0, 1.0), np.nan)
    ratio = pd.Series(ratio, index=propensity.index)
    quad = quadrants(propensity, priority, settings)
    eligible = pd.Series(True, index=propensity.index) if grant_eligible is None else \
        grant_eligible.reindex(propensity.index).fillna(False).astype(bool)
    flag = pd.Series("", index=propensity.index, dtype=object)
    flag[(funding_share >= settings.min_funding_share)
         & ((ratio >= settings.high_cost_ratio) | (merit_share == 0))] = "high cost / low return"
    flag[(quad == "invest") & (ratio <= settings.under_resourced_ratio) & eligible] = "under-resourced"
    return pd.DataFrame({"merit": m, "merit_share": merit_share, "funding_share": funding_share,
                         "funding_ratio": ratio, "funding_flag": flag})


EXACT_PEERS_LIMIT = 3_000
"""Up to this many partners, peers are the exact NaN-aware nearest neighbours (chunked distances)."""
PEER_CANDIDATES = 5
"""Above the limit, each partner's peers are re-ranked exactly from ``PEER_CANDIDATES × k`` candidates of a
k-d tree built on mean-imputed construct scores."""
PEER_MEMORY_MB = 64


def _nan_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """NaN-aware Euclidean distance between rows of ``a`` (n × d) and ``b`` (n × m × d), as sklearn's
    ``nan_euclidean_distances``: sqrt(d / present × sum of squared differences over present coordinates)."""
    diff = a[:, None, :] - b
    present = ~np.isnan(diff)
    sq = np.where(present, diff, 0.0) ** 2
    n_present = present.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.sqrt(sq.sum(axis=2) * a.shape[1] / n_present)
    return np.where(n_present > 0, dist, np.inf)


def _exact_neighbours(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), n × k, nearest first: exact, distances computed a chunk of rows at a time."""
    def reduce(dist: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
        dist = np.where(np.isnan(dist), np.inf, dist)
        rows = np.arange(dist.shape[0])
        dist[rows, rows + start] = np.inf
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(dist, order, axis=1)

    with config_context(working_memory=PEER_MEMORY_MB):
        parts = list(pairwise_distances_chunked(x, metric="nan_euclidean", reduce_func=reduce, n_jobs=1))
    return np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])


def _indexed_neighbours(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), n × k: candidates from a k-d tree on mean-imputed scores, re-ranked by the exact
    NaN-aware distance. Memory is linear in the number of partners."""
    filled = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
    m = min(len(x) - 1, max(PEER_CANDIDATES * k, k + 10))
    tree = NearestNeighbors(n_neighbors=m + 1, algorithm="kd_tree").fit(filled)
    idx_out, dist_out = np.empty((len(x), k), dtype=np.intp), np.empty((len(x), k))
    step = max(1, int(PEER_MEMORY_MB * 1e6 // (8 * (m + 1) * x.shape[1] * 4)))
    for lo in range(0, len(x), step):
        rows = np.arange(lo, min(lo + step, len(x)))
        _, cand = tree.kneighbors(filled[rows], return_distance=True)
        dist = _nan_distance(x[rows], x[cand])
        dist[cand == rows[:, None]] = np.inf
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        idx_out[rows] = np.take_along_axis(cand, order, axis=1)
        dist_out[rows] = np.take_along_axis(dist, order, axis=1)
    return idx_out, dist_out


def peers(constructs: pd.DataFrame, k: int = 5, names: pd.Series | None = None) -> pd.DataFrame:
    """The k partners most similar in construct scores (NaN-aware Euclidean distance, 0–100 scale).

    Returns long rows: partner_id, peer_rank (1 = closest), peer_id, peer_name, distance. Partners
    with no construct score get no peers. Never builds the partners × partners matrix: exact chunked
    distances up to ``EXACT_PEERS_LIMIT`` partners, a k-d tree with exact re-ranking above it.
    """
    x = constructs.to_numpy(dtype=float)
    has_any = ~np.isnan(x).all(axis=1)
    ids = constructs.index[has_any]
    if len(ids) < 2:
        return pd.DataFrame(columns=["partner_id", "peer_rank", "peer_id", "peer_name", "distance"])
    k = min(k, len(ids) - 1)
    finder = _exact_neighbours if len(ids) <= EXACT_PEERS_LIMIT else _indexed_neighbours
    order, dist = finder(x[has_any], k)
    rows = np.repeat(np.arange(len(ids)), k)
    out = pd.DataFrame({
        "partner_id": ids[rows],
        "peer_rank": np.tile(np.arange(1, k + 1), len(ids)),
        "peer_id": ids[order.ravel()],
        "distance": dist.ravel(),
    })
    if names is not None:
        out.insert(3, "peer_name", names.reindex(out["peer_id"]).to_numpy())
    return out[np.isfinite(out["distance"])].reset_index(drop=True)
