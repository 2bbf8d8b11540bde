"""Checks shared by the table validators: required and unexpected columns, ids (empty, repeated, unknown),
and the notes that say when a bundled file was cut or a partner got a default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.errors import InputError


def require_columns(frame: pd.DataFrame, required: tuple[str, ...], file: str) -> None:
    for col in required:
        if col not in frame.columns:
            raise InputError(f"required column is missing (expected: {', '.join(required)})", file=file,
                             column=col)


def reject_extra(frame: pd.DataFrame, allowed: set[str], file: str, hint: str) -> None:
    for col in frame.columns:
        if col not in allowed:
            raise InputError(f"unexpected column; {hint}", file=file, row=1, column=col)


def reject_duplicate_ids(ids: pd.Series, file: str, column: str, what: str) -> None:
    """InputError on the first repeated id, naming its row and the row where it first appears."""
    dup = ids.duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((ids == ids.iloc[pos]).to_numpy())[0])
        raise InputError(f"duplicate {what} {ids.iloc[pos]!r} (first on row {first + 2})", file=file,
                         row=pos + 2, column=column)


def check_ids(ids: pd.Series, file: str, known: pd.Index | None = None) -> None:
    empty = ids.fillna("").astype(str).str.strip() == ""
    if empty.any():
        pos = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError("partner id is empty", file=file, row=pos + 2, column="partner_id")
    reject_duplicate_ids(ids, file, "partner_id", "partner id")
    if known is not None:
        reject_unknown_ids(ids, known, file)


def id_list(ids: list[str] | pd.Index, limit: int = 12) -> str:
    """'AND, ARE, ARG' — at most ``limit`` ids, then '… and N more'."""
    ids = [str(i) for i in ids]
    shown = ", ".join(ids[:limit])
    return shown + (f" … and {len(ids) - limit} more" if len(ids) > limit else "")


def reject_unknown_ids(ids: pd.Series, known: pd.Index, file: str) -> None:
    """A planner's file that names partners outside the data is refused, every unknown id listed."""
    unknown = ~ids.isin(known)
    if not unknown.any():
        return
    pos = int(np.flatnonzero(unknown.to_numpy())[0])
    bad = list(ids[unknown])
    if len(bad) == 1:
        message = f"unknown partner id {bad[0]!r} (not in the partners table)"
    else:
        message = (f"{len(bad)} partner ids are not in the partners table: {id_list(bad)} "
                   "(is this the file for these partners?)")
    raise InputError(message, file=file, row=pos + 2, column="partner_id")


def drop_unknown_rows(frame: pd.DataFrame, known: pd.Index, file: str) -> tuple[pd.DataFrame, list[str]]:
    """A bundled default file keeps only the rows of partners in the data; one note says how many went."""
    outside = ~frame["partner_id"].isin(known)
    if not outside.any():
        return frame, []
    n = int(outside.sum())
    note = (f"{Path(file).name} (bundled default): {n} row{'' if n == 1 else 's'} for partners not in the data "
            f"left out; {int((~outside).sum())} used")
    return frame[~outside].reset_index(drop=True), [note]


def default_note(file: str, missing: list[str], default: str) -> list[str]:
    """'x.csv has no row for 2 partners (KEN, TZA): neutral priority 3' — never a silent default."""
    if not missing:
        return []
    who = "1 partner" if len(missing) == 1 else f"{len(missing)} partners"
    return [f"{Path(file).name} has no row for {who} ({id_list(missing)}): {default}"]
