"""Propensity (0–100) for many category-weight draws at once: the scorer's weighted mean of the available
category scores (:func:`prioritizer.score.propensity_for_weights`), arithmetic or geometric.

:class:`Rescorer` lays the formula out for the Monte Carlo's hot loop (category terms prepared once, one
matrix product per chunk, draws × partners contiguous for the row-wise argsort); tests hold it equal to
``propensity_for_weights``. :func:`propensity_per_draw` is the same mean when every draw has its own
category scores (indicator noise), through :func:`prioritizer.score.aggregate`.
"""

from __future__ import annotations

import numpy as np

from prioritizer.scoring.score import GEOMETRIC_FLOOR, aggregate


class Rescorer:
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


def propensity_per_draw(cats: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Propensity (0–100) when each draw has its own category scores: (d × p × k, 0–1) and (d × k) → d × p.

    :func:`prioritizer.score.aggregate` broadcast over draws (one p × k by k × 1 product per draw), with
    the scorer's geometric floor; NaN where a draw leaves a partner no weight on its available categories.
    """
    v = np.maximum(cats, GEOMETRIC_FLOOR) if method == "geometric" else cats
    return aggregate(v, np.asarray(weights, float)[:, :, None], method)[:, :, 0] * 100.0
