"""Match propensity against US priority and funding; find each partner's peers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics.pairwise import nan_euclidean_distances

from prioritizer.config import MatchingSettings

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


def peers(constructs: pd.DataFrame, k: int = 5, names: pd.Series | None = None) -> pd.DataFrame:
    """The k partners most similar in construct scores (NaN-aware Euclidean distance, 0–100 scale).

    Returns long rows: partner_id, peer_rank (1 = closest), peer_id, peer_name, distance. Partners
    with no construct score get no peers.
    """
    x = constructs.to_numpy(dtype=float)
    has_any = ~np.isnan(x).all(axis=1)
    ids = constructs.index[has_any]
    if len(ids) < 2:
        return pd.DataFrame(columns=["partner_id", "peer_rank", "peer_id", "peer_name", "distance"])
    dist = nan_euclidean_distances(x[has_any])
    np.fill_diagonal(dist, np.inf)
    dist = np.where(np.isnan(dist), np.inf, dist)
    k = min(k, len(ids) - 1)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(len(ids)), k)
    cols = order.ravel()
    out = pd.DataFrame({
        "partner_id": ids[rows],
        "peer_rank": np.tile(np.arange(1, k + 1), len(ids)),
        "peer_id": ids[cols],
        "distance": dist[rows, cols],
    })
    if names is not None:
        out.insert(3, "peer_name", names.reindex(out["peer_id"]).to_numpy())
    return out[np.isfinite(out["distance"])].reset_index(drop=True)
