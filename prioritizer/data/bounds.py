"""Per-indicator valid ranges (``indicator_bounds.csv`` next to the dictionary, optional).

Raw values outside an indicator's range are refused when the partners table is read; without a bounds
file every indicator may lie anywhere within ±1e15.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.data.checks import reject_duplicate_ids, reject_extra, require_columns
from prioritizer.data.numeric import MAX_ABS_VALUE, to_numeric_column
from prioritizer.errors import InputError

BOUNDS_FILE = "indicator_bounds.csv"
"""Optional per-indicator valid ranges (indicator_id, min, max, basis) next to the dictionary."""


def validate_bounds(frame: pd.DataFrame, dictionary: pd.DataFrame, file: str = BOUNDS_FILE) -> dict:
    """Validate per-indicator valid ranges: {indicator_id: (min, max, basis)} (min ≤ max, finite), for the
    indicators in ``dictionary``."""
    require_columns(frame, ("indicator_id", "min", "max"), file)
    reject_extra(frame, {"indicator_id", "min", "max", "basis"}, file,
                  "a bounds file has columns indicator_id, min, max and optionally basis")
    reject_duplicate_ids(frame["indicator_id"], file, "indicator_id", "indicator id")
    low = to_numeric_column(frame["min"], file=file, column="min")
    high = to_numeric_column(frame["max"], file=file, column="max")
    out = {}
    for pos, ind in enumerate(frame["indicator_id"]):
        lo, hi = low.iloc[pos], high.iloc[pos]
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise InputError("min and max must be numbers with min ≤ max", file=file, row=pos + 2, column="min")
        basis = str(frame["basis"].iloc[pos]) if "basis" in frame.columns else ""
        if ind in dictionary.index:  # bounds of indicators the dictionary does not use are ignored
            out[ind] = (float(lo), float(hi), basis or f"valid range in {Path(file).name}")
    return out


def indicator_bounds(dictionary: pd.DataFrame, indicator: str) -> tuple[float, float, str]:
    """The valid range (min, max, basis) of an indicator's raw values: from the bounds file when the data
    folder has one (``dictionary.attrs['bounds']``), else ±1e15."""
    return dictionary.attrs.get("bounds", {}).get(
        indicator, (-MAX_ABS_VALUE, MAX_ABS_VALUE, "no documented bound: ±1e15"))
