"""Transform and normalise indicators to [0, 1] with 1 = best for security cooperation.

Each normaliser is a small estimator in the scikit-learn style: ``fit`` learns per-indicator bounds
from a reference set of partners, ``transform`` maps any partner's values through those bounds, so a
partner's normalised value depends only on its own value and the bounds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prioritizer.errors import InputError
from prioritizer.scoring.settings import NORMALISATIONS

Z_CLIP = 3.0


def apply_transforms(raw: pd.DataFrame, dictionary: pd.DataFrame) -> pd.DataFrame:
    """Apply each indicator's transform (none, log = ln x, log1p = ln(1 + x)) and orient it.

    Columns with direction −1 are negated, so after this step higher is always better.
    """
    values = raw[dictionary.index].to_numpy(dtype=float, copy=True)
    transforms = dictionary["transform"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cols = transforms == "log"
        values[:, log_cols] = np.log(np.where(values[:, log_cols] > 0, values[:, log_cols], np.nan))
        log1p_cols = transforms == "log1p"
        values[:, log1p_cols] = np.log1p(np.where(values[:, log1p_cols] >= 0, values[:, log1p_cols], np.nan))
    values *= dictionary["direction"].to_numpy(dtype=float)
    return pd.DataFrame(values, index=raw.index, columns=dictionary.index)


@dataclass
class Normaliser:
    """Map oriented indicator values to [0, 1] by min–max, percentile rank or clipped z-score.

    ``winsorise`` (a tail share, e.g. 0.05) clips each indicator at its fitted quantiles first.
    """

    method: str = "minmax"
    winsorise: float | None = None
    low_: np.ndarray | None = field(default=None, init=False, repr=False)
    high_: np.ndarray | None = field(default=None, init=False, repr=False)
    centre_: np.ndarray | None = field(default=None, init=False, repr=False)
    scale_: np.ndarray | None = field(default=None, init=False, repr=False)
    reference_: list[np.ndarray] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in NORMALISATIONS:
            raise InputError(f"normalisation must be one of {', '.join(NORMALISATIONS)} (got {self.method!r})",
                             key="method.normalisation")
        if self.winsorise is not None and not 0 <= self.winsorise < 0.5:
            raise InputError("winsorise must be a tail share in [0, 0.5)", key="method.winsorise")

    def fit(self, values: np.ndarray) -> Normaliser:
        """Learn bounds from a partners × indicators array (NaN = missing)."""
        x = np.asarray(values, dtype=float)
        with np.errstate(all="ignore"), _quiet_nan_warnings():
            if self.winsorise:
                self.low_ = np.nanquantile(x, self.winsorise, axis=0)
                self.high_ = np.nanquantile(x, 1 - self.winsorise, axis=0)
            else:
                self.low_ = np.nanmin(x, axis=0)
                self.high_ = np.nanmax(x, axis=0)
            clipped = self._clip(x)
            self.centre_ = np.nanmean(clipped, axis=0)
            self.scale_ = np.nanstd(clipped, axis=0)
        self.reference_ = [np.sort(col[~np.isnan(col)]) for col in clipped.T]
        return self

    def _clip(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.low_, self.high_) if self.winsorise else x

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Map values through the fitted bounds to [0, 1]; NaN stays NaN."""
        if self.low_ is None:
            raise RuntimeError("Normaliser.transform called before fit")
        x = self._clip(np.asarray(values, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.method == "minmax":
                span = self.high_ - self.low_
                out = np.where(span > 0, (x - self.low_) / np.where(span > 0, span, 1.0), 0.5)
                out = np.clip(out, 0.0, 1.0)
            elif self.method == "zscore":
                z = np.where(self.scale_ > 0, (x - self.centre_) / np.where(self.scale_ > 0, self.scale_, 1.0),
                             0.0)
                out = (np.clip(z, -Z_CLIP, Z_CLIP) + Z_CLIP) / (2 * Z_CLIP)
            else:
                out = np.empty_like(x)
                for j, ref in enumerate(self.reference_):
                    out[:, j] = _percentile(x[:, j], ref)
        return np.where(np.isnan(x), np.nan, out)

    def fit_transform(self, values: np.ndarray) -> np.ndarray:
        """Fit on ``values`` and normalise them."""
        return self.fit(values).transform(values)


def _percentile(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of x among the reference values, rescaled so min → 0 and max → 1."""
    n = len(ref)
    if n <= 1:
        return np.full_like(x, 0.5)
    below = np.searchsorted(ref, x, side="left")
    at_or_below = np.searchsorted(ref, x, side="right")
    mid_rank = (below + at_or_below - 1) / 2.0  # 0-based average rank among ties
    return np.clip(mid_rank / (n - 1), 0.0, 1.0)


class _quiet_nan_warnings:
    """Silence numpy's all-NaN-slice warnings: an empty indicator column is reported as missing."""

    def __enter__(self) -> None:
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)
