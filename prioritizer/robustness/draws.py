"""Weight draws around a profile's category shares (Dirichlet or relative uniform), seeded by the caller.

``dirichlet``: ``W ~ Dirichlet(α · w0)`` over the categories with positive weight; ``E[W] = w0`` and
``sd(W_k) = sqrt(w0_k (1 − w0_k) / (α + 1))``. ``uniform``: ``W_k = w0_k · (1 + U_k)``,
``U_k ~ Uniform(−b, b)``, renormalised. A category with weight 0 stays 0.
"""

from __future__ import annotations

import numpy as np

from prioritizer.errors import InputError
from prioritizer.robustness.settings import RobustnessSettings
from prioritizer.scoring.settings import WeightProfile


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
