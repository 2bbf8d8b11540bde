"""The partners table: one row per partner, its base columns and raw indicator values (source units).

Columns: the base columns, each dictionary indicator ``X`` and optionally its data year ``X_year`` and
standard error ``X_se``. Every problem names the file, row and column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from prioritizer.data.bounds import indicator_bounds
from prioritizer.data.checks import check_ids, reject_extra, require_columns
from prioritizer.data.numeric import YEAR_RANGE, check_range, is_missing, to_numeric_column
from prioritizer.domain import COMMANDS, INCOME_GROUPS, PARTNER_TYPES
from prioritizer.errors import InputError

BASE_COLUMNS = ("partner_id", "name", "partner_type", "command", "region", "subregion")
OPTIONAL_BASE_COLUMNS = ("income_group", "income_group_year", "cow_milex_usd_m", "cow_milex_usd_m_year")
"""Optional partners columns: World Bank income group (HIC/UMC/LMC/LIC, blank = unknown) and its fiscal year;
COW NMC v7 military expenditure (current US$ M, national security forces included) and its year — used by the
allocation only where SIPRI has no positive figure (states whose forces are national security forces)."""
AUXILIARY_COLUMNS = ("cow_milex_usd_m",)
"""Numeric source columns that are not scored indicators but feed the allocation (``Dataset.allocation_raw``);
their label, unit and citation: ``prioritizer.data.refresh_sources.AUXILIARY_SOURCES``."""
STATE_ID = re.compile(r"^[A-Z]{3}$")
NON_STATE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


def validate_partners(
    frame: pd.DataFrame, dictionary: pd.DataFrame, file: str = "partners.csv"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate a partners table; return (partners, years, std_errors), each indexed by partner_id.

    Allowed columns: the base columns, dictionary indicators ``X``, and their ``X_year`` / ``X_se``.
    A dictionary indicator absent from the file is treated as missing for every partner.
    """
    require_columns(frame, BASE_COLUMNS, file)
    indicators = list(dictionary.index)
    allowed = set(BASE_COLUMNS) | set(OPTIONAL_BASE_COLUMNS) | set(indicators)
    allowed |= {f"{i}_year" for i in indicators} | {f"{i}_se" for i in indicators}
    reject_extra(frame, allowed, file,
                  "it is neither a base column nor an indicator in the indicator dictionary (indicators.csv)")
    check_ids(frame["partner_id"], file)
    for pos, (pid, ptype, command, name) in enumerate(
        zip(frame["partner_id"], frame["partner_type"], frame["command"], frame["name"], strict=True)
    ):
        row = pos + 2
        if ptype not in PARTNER_TYPES:
            raise InputError(f"partner type must be {' or '.join(map(repr, PARTNER_TYPES))} (got {ptype!r})", file=file,
                             row=row, column="partner_type")
        if ptype == "state" and not STATE_ID.match(pid):
            raise InputError(f"a state's partner id must be its ISO3 code, e.g. 'KEN' (got {pid!r})",
                             file=file, row=row, column="partner_id")
        if ptype == "non-state" and not NON_STATE_ID.match(pid):
            raise InputError(f"a non-state partner id must be a lower-case slug, e.g. 'kurdish-peshmerga' "
                             f"(got {pid!r})", file=file, row=row, column="partner_id")
        if command not in COMMANDS:
            raise InputError(f"unknown combatant command {command!r} (expected one of {', '.join(COMMANDS)})",
                             file=file, row=row, column="command")
        if not str(name).strip():
            raise InputError("name is empty", file=file, row=row, column="name")

    index = pd.Index(frame["partner_id"], name="partner_id")
    partners = pd.DataFrame({c: frame[c].to_numpy() for c in BASE_COLUMNS[1:]}, index=index)
    partners = pd.concat([partners, _optional_base(frame, index, file)], axis=1)
    values, years, errors = {}, {}, {}
    for ind in indicators:
        if ind in frame.columns:
            low, high, basis = indicator_bounds(dictionary, ind)
            col = to_numeric_column(frame[ind], file=file, column=ind, low=None, high=None)
            _check_transform_domain(col, dictionary.at[ind, "transform"], file, ind)
            check_range(col, low, high, file=file, column=ind, basis=basis)
            values[ind] = col.to_numpy()
        else:
            values[ind] = np.full(len(frame), np.nan)
        ycol = f"{ind}_year"
        years[ind] = (to_numeric_column(frame[ycol], file=file, column=ycol, low=YEAR_RANGE[0],
                                        high=YEAR_RANGE[1], bound_basis="a calendar year").to_numpy()
                      if ycol in frame.columns else np.full(len(frame), np.nan))
        secol = f"{ind}_se"
        if secol in frame.columns:
            errors[ind] = to_numeric_column(frame[secol], file=file, column=secol, low=0.0,
                                            bound_basis="a standard error is not negative").to_numpy()
    partners = pd.concat([partners, pd.DataFrame(values, index=index)], axis=1)
    years_frame = pd.DataFrame(years, index=index).astype("Int64")
    se_frame = pd.DataFrame(errors, index=index, dtype=float)
    return partners, years_frame, se_frame


def _optional_base(frame: pd.DataFrame, index: pd.Index, file: str) -> pd.DataFrame:
    """``income_group`` (object, NaN = unknown) and ``income_group_year`` (Int64); all missing when absent."""
    n = len(frame)
    group = frame["income_group"] if "income_group" in frame.columns else pd.Series([""] * n)
    missing = is_missing(group)
    for pos, value in enumerate(group):
        if not missing.iloc[pos] and value not in INCOME_GROUPS:
            raise InputError(f"income group must be one of {', '.join(INCOME_GROUPS)} or blank (got {value!r})",
                             file=file, row=pos + 2, column="income_group")
    year = (to_numeric_column(frame["income_group_year"], file=file, column="income_group_year")
            if "income_group_year" in frame.columns else pd.Series(np.full(n, np.nan)))
    out = pd.DataFrame({"income_group": group.where(~missing, None).to_numpy(dtype=object),
                        "income_group_year": pd.array(year.to_numpy(), dtype="Int64")}, index=index)
    for col in AUXILIARY_COLUMNS:  # numeric source columns (US$ M, not negative) with their data year
        if col in frame.columns:
            out[col] = to_numeric_column(frame[col], file=file, column=col, low=0.0,
                                         bound_basis="spending is not negative").to_numpy()
            ycol = f"{col}_year"
            out[ycol] = pd.array(to_numeric_column(frame[ycol], file=file, column=ycol, low=YEAR_RANGE[0],
                                                   high=YEAR_RANGE[1], bound_basis="a calendar year").to_numpy()
                                 if ycol in frame.columns else np.full(n, np.nan), dtype="Int64")
    return out


def _check_transform_domain(values: pd.Series, transform: str, file: str, column: str) -> None:
    if transform == "log":
        bad = values <= 0
        need = "> 0 (it is log-transformed)"
    elif transform == "log1p":
        bad = values < 0
        need = ">= 0 (it is log(1+x)-transformed)"
    else:
        return
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"value {values.iloc[pos]:g} must be {need}", file=file, row=pos + 2, column=column)
