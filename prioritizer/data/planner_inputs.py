"""The planner's own tables: priority (1–5), baseline funding (US$ M per year) and construct overrides.

A partner missing from the priority or funding file gets the documented default (priority 3, $0 M),
said in its basis and in a join note; a bundled default file is cut to the partners given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.data.checks import (
    check_ids,
    default_note,
    drop_unknown_rows,
    reject_extra,
    reject_unknown_ids,
    require_columns,
)
from prioritizer.data.numeric import to_numeric_column
from prioritizer.data.reading import read_table
from prioritizer.errors import InputError

MAX_FUNDING_USD_M = 1_000_000.0
"""Largest funding cell or budget, US$ M per year (US$ 1 trillion: above the whole US defense budget)."""


def validate_priority(frame: pd.DataFrame, partner_ids: pd.Index, file: str = "priority.csv",
                      bundled: bool = False) -> pd.Series:
    """Validate a priority file (partner_id, priority 1–5, optional basis); partners not listed get 3.

    Returns a float Series indexed by partner_id whose ``attrs['basis']`` holds each row's basis text and
    ``attrs['notes']`` the join notes. A ``bundled`` default file is cut to the partners given (noted); a
    planner's file naming partners outside the data is an InputError listing them.
    """
    require_columns(frame, ("partner_id", "priority"), file)
    reject_extra(frame, {"partner_id", "priority", "basis", "name"}, file,
                  "a priority file has columns partner_id, priority and optionally basis, name")
    check_ids(frame["partner_id"], file, known=None if bundled else partner_ids)
    frame, notes = drop_unknown_rows(frame, partner_ids, file) if bundled else (frame, [])
    values = to_numeric_column(frame["priority"], file=file, column="priority")
    for pos, value in enumerate(values):
        if np.isnan(value) or not 1 <= value <= 5:
            raise InputError("priority must be a number from 1 (low) to 5 (critical)", file=file,
                             row=pos + 2, column="priority")
    series = pd.Series(values.to_numpy(), index=pd.Index(frame["partner_id"], name="partner_id"),
                       name="priority").reindex(partner_ids)
    basis = (frame["basis"] if "basis" in frame.columns else pd.Series([""] * len(frame)))
    basis = pd.Series(basis.to_numpy(), index=frame["partner_id"]).reindex(partner_ids)
    unlisted = series.isna()
    basis[unlisted] = "not in priority file: neutral default 3"
    notes += default_note(file, list(series.index[unlisted]), "neutral default priority 3")
    series = series.fillna(3.0)
    series.attrs["basis"] = basis.fillna("").to_dict()
    series.attrs["file"] = str(file)
    series.attrs["notes"] = notes
    return series


def validate_funding(frame: pd.DataFrame, partner_ids: pd.Index, file: str = "funding.csv",
                     bundled: bool = False) -> pd.DataFrame:
    """Validate baseline funding (US$ M/yr, ≥ 0); partners not listed get 0 and a basis saying so.

    ``attrs['notes']`` holds the join notes; ``bundled`` works as in :func:`validate_priority`.
    """
    require_columns(frame, ("partner_id", "baseline_usd_m"), file)
    check_ids(frame["partner_id"], file, known=None if bundled else partner_ids)
    frame, notes = drop_unknown_rows(frame, partner_ids, file) if bundled else (frame, [])
    out = pd.DataFrame(index=pd.Index(frame["partner_id"], name="partner_id"))
    for col in frame.columns:
        if col == "partner_id":
            continue
        if col.endswith("_usd_m"):
            values = to_numeric_column(frame[col], file=file, column=col, low=None, high=MAX_FUNDING_USD_M,
                                       bound_basis="US$ M per year; US$ 1 trillion at most")
            neg = values < 0
            if neg.any():
                pos = int(np.flatnonzero(neg.to_numpy())[0])
                raise InputError("funding cannot be negative (US$ M per year)", file=file, row=pos + 2,
                                 column=col)
            out[col] = values.to_numpy()
        elif col in ("baseline_basis", "name", "basis"):
            out[col] = frame[col].to_numpy()
        else:
            raise InputError("unexpected column; funding columns end in _usd_m (or are baseline_basis)",
                             file=file, row=1, column=col)
    missing_baseline = out["baseline_usd_m"].isna()
    if missing_baseline.any():
        pos = int(np.flatnonzero(missing_baseline.to_numpy())[0])
        raise InputError("baseline is empty; enter 0 for no funding", file=file, row=pos + 2,
                         column="baseline_usd_m")
    out = out.reindex(partner_ids)
    if "baseline_basis" not in out.columns:
        out["baseline_basis"] = f"planner file {Path(file).name}"
    unlisted = out["baseline_usd_m"].isna()
    out.loc[unlisted, "baseline_basis"] = "not in funding file: 0"
    notes += default_note(file, list(out.index[unlisted]), "baseline $0 M")
    out["baseline_usd_m"] = out["baseline_usd_m"].fillna(0.0)
    out.attrs["notes"] = notes
    return out


def load_overrides(source: str | Path | bytes, partner_ids: pd.Index, constructs: pd.Index,
                   name: str | None = None) -> pd.DataFrame:
    """Read planner overrides (partner_id, construct, value 0–100, rationale) and validate them."""
    frame = read_table(source, name)
    label = name or str(source)
    return validate_overrides(frame, partner_ids, constructs, label)


def validate_overrides(frame: pd.DataFrame, partner_ids: pd.Index, constructs: pd.Index,
                       file: str = "overrides") -> pd.DataFrame:
    """Validate an overrides table; every override needs a written rationale."""
    cols = ("partner_id", "construct", "value", "rationale")
    require_columns(frame, cols, file)
    reject_extra(frame, set(cols) | {"author", "date"}, file,
                  "overrides have columns partner_id, construct, value, rationale (author, date optional)")
    reject_unknown_ids(frame["partner_id"], pd.Index(partner_ids), file)
    values = to_numeric_column(frame["value"], file=file, column="value")
    for pos, (pid, construct, value, why) in enumerate(
        zip(frame["partner_id"], frame["construct"], values, frame["rationale"], strict=True)
    ):
        row = pos + 2
        if pid not in partner_ids:
            raise InputError(f"unknown partner id {pid!r}", file=file, row=row, column="partner_id")
        if construct not in constructs:
            raise InputError(f"unknown construct {construct!r} (expected one of {', '.join(constructs)})",
                             file=file, row=row, column="construct")
        if np.isnan(value) or not 0 <= value <= 100:
            raise InputError("override value must be a score from 0 to 100", file=file, row=row,
                             column="value")
        if not str(why or "").strip():
            raise InputError("an override needs a written rationale", file=file, row=row, column="rationale")
    dup = frame.duplicated(["partner_id", "construct"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("this partner and construct are overridden twice", file=file, row=pos + 2,
                         column="construct")
    out = frame.copy()
    out["value"] = values.to_numpy()
    return out.reset_index(drop=True)
