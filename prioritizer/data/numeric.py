"""Numbers in text cells and settings: missing tokens, thousands separators, decimal commas and ranges.

A cell is read only when it is unambiguous (``12,5`` is refused, never guessed); every refusal is an
:class:`~prioritizer.errors.InputError` naming the file, row and column (or the settings key).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from prioritizer.errors import InputError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", ".."})
"""Cell texts read as missing (compared trimmed and lower-cased)."""
MAX_ABS_VALUE = 1e15
"""Largest magnitude of any numeric cell without a tighter documented bound (far beyond any indicator)."""
YEAR_RANGE = (1900, 2100)
"""Valid calendar years of data-year columns (``X_year``, the dictionary's ``year``)."""


def is_missing(cells: pd.Series) -> pd.Series:
    """True where a cell is empty or a missing token (``NA``, ``n/a``, ``..``, …; any case)."""
    return cells.fillna("").astype(str).str.strip().str.lower().isin(MISSING_TOKENS)


_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def number_text_problem(text: str, comma_is_grouping: bool = False) -> str | None:
    """Why a number's text is refused (None when it reads unambiguously). Commas are read only as
    thousands separators that cannot be a decimal comma: ``1,234,567`` or ``1,234.5``; a lone ``1,234``
    only when ``comma_is_grouping`` (the rest of its column shows point decimals or grouping). ``12,5`` is
    a decimal comma and is refused, never guessed (it was once read as 125)."""
    if "," not in text:
        return None
    if _GROUPED_NUMBER.match(text):
        if "." in text or text.count(",") > 1 or comma_is_grouping:
            return None
        return (f"{text!r} is ambiguous: a thousands separator or a decimal comma? Write "
                f"{text.replace(',', '')} or {text.replace(',', '.')}")
    return (f"{text!r} has a decimal comma (or misplaced commas); write it with a point, e.g. "
            f"{text.replace(',', '.', 1)}")


def parse_number(value: object, *, what: str, key: str | None = None, low: float | None = None,
                 high: float | None = None) -> float:
    """One number from a flag or a settings value (text or number), range-checked: ``low``–``high``
    inclusive. Decimal commas are refused (see :func:`number_text_problem`); errors name ``key``."""
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number (got {value!r})", key=key)
    if isinstance(value, str):
        text = value.strip()
        problem = number_text_problem(text)
        if problem:
            raise InputError(f"{what}: {problem}", key=key)
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise InputError(f"{what} must be a number (got {value!r})", key=key) from None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(f"{what} must be a number (got {value!r})", key=key) from None
    if not np.isfinite(number):
        raise InputError(f"{what} must be a finite number (got {value!r})", key=key)
    if low == 0 and number < 0:
        raise InputError(f"{what} cannot be negative (got {number:g})", key=key)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InputError(f"{what} must be between {low:,g} and {high:,g} (got {number:,g})", key=key)
    return number


def to_numeric_column(cells: pd.Series, *, file: str, column: str, low: float | None = -MAX_ABS_VALUE,
                      high: float | None = MAX_ABS_VALUE, bound_basis: str = "") -> pd.Series:
    """Convert a text column to floats; missing tokens become NaN, anything else non-numeric errors.

    Commas: thousands separators only where unambiguous (:func:`number_text_problem`); a decimal comma
    is an error naming the cell. Values must lie in ``low``–``high`` (default ±1e15, far beyond any
    indicator; callers pass the documented bounds of the column).
    """
    missing = is_missing(cells)
    text = cells.where(~missing, "").astype(str).str.strip()
    has_comma = text.str.contains(",", regex=False) & ~missing
    if has_comma.any():
        grouped_ok = text.str.contains(".", regex=False) & ~missing | (text.str.count(",") > 1)
        evidence = bool(grouped_ok[~missing].any())
        for pos in np.flatnonzero(has_comma.to_numpy()):
            problem = number_text_problem(text.iloc[pos], comma_is_grouping=evidence)
            if problem:
                raise InputError(f"not read as a number: {problem}", file=file, row=int(pos) + 2, column=column)
        text = text.str.replace(",", "", regex=False)
    values = pd.to_numeric(text.where(~missing, None), errors="coerce")
    bad = values.isna() & ~missing
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"not a number ({cells.iloc[pos]!r})", file=file, row=pos + 2, column=column)
    arr = values.to_numpy(dtype=float)
    infinite = np.isinf(arr)
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        raise InputError("infinite value", file=file, row=pos + 2, column=column)
    check_range(arr, low, high, file=file, column=column, basis=bound_basis)
    return values.astype(float)


def check_range(values: np.ndarray | pd.Series, low: float | None, high: float | None, *, file: str,
                column: str, basis: str = "") -> None:
    """InputError naming the first cell outside ``low``–``high`` (NaN passes; None = unbounded)."""
    arr = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        out = ((arr < low) if low is not None else np.zeros(len(arr), bool)) | \
              ((arr > high) if high is not None else np.zeros(len(arr), bool))
    if out.any():
        pos = int(np.flatnonzero(out)[0])
        why = f" ({basis})" if basis else ""
        lo = "-inf" if low is None else f"{low:,g}"
        hi = "inf" if high is None else f"{high:,g}"
        raise InputError(f"value {arr[pos]:,g} is outside the allowed range {lo} to {hi}{why}",
                         file=file, row=pos + 2, column=column)
