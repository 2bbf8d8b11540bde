"""Indicator noise: WGI values drawn from N(estimate, published standard error), re-aggregated per draw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prioritizer.data.dataset import Dataset
from prioritizer.scoring.normalise import Normaliser, apply_transforms
from prioritizer.scoring.score import GEOMETRIC_FLOOR, ScoreResult, combine, impute_knn
from prioritizer.scoring.settings import WeightProfile


class IndicatorNoise:
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
