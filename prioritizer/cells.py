"""Formula-injection safety for every exported table cell (CSV, XLSX): the project's one rule.

A spreadsheet runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or ``@``, and some
also after a leading tab, carriage return or line feed, after leading spaces, or with the full-width forms
``＝ ＋ － ＠``. Such text is prefixed with ``'`` (OWASP CSV-injection guidance), so a partner named
``=HYPERLINK("http://x","y")`` is shown as text and never runs. Only text is touched: numbers (also
negative ones), booleans, dates and missing values pass unchanged, and numeric columns keep their dtype.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# OWASP list (=, +, -, @, tab, CR) plus LF and the full-width forms some spreadsheet apps also accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """``value`` with ``'`` prefixed when it is text a spreadsheet could run as a formula.

    Triggers: a first character in :data:`FORMULA_TRIGGERS`, also after leading spaces. Anything that is
    not a non-empty ``str`` (numbers, booleans, dates, None/NaN) is returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_TRIGGERS or value.lstrip(" ")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def is_text_column(column: pd.Series) -> bool:
    """True for a column that can hold text: object, any string dtype (pandas 3's ``str`` too), categorical."""
    return (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
            or isinstance(column.dtype, pd.CategoricalDtype))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and every text column name passed through :func:`neutralise`.

    Columns are chosen by dtype, never by ``dtype == object`` alone (pandas 3 reads text as ``str``).
    Numeric, boolean and datetime columns are left exactly as they are; the input is not modified.
    """
    out = frame.copy()
    out.columns = [neutralise(c) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if is_text_column(column):
            out.isetitem(i, column.astype(object).map(neutralise))
    return out
