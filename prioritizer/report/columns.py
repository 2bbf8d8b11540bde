"""The column dictionary: one planner-facing label, unit kind, number format and description per column id.

Data, not code: ``weights/columns.csv`` (``column_id, label, kind, decimals, description``), validated on
load. The app's tables, the CLI's files and the Excel/CSV exports all take their headers and formats from
here, so ``baseline_usd_m`` reads "Baseline ($M/yr)" everywhere. Mechanism columns (``fmf_usd_m``) and other
categories' scores get labels from patterns; any other column a readable fallback. This module imports no
other project module except ``errors`` and ``paths``, so ``load`` can use it to re-import exports.

Kinds: ``text``, ``integer``, ``year``, ``number``, ``score`` (0–100), ``share`` (0–1, shown as %),
``pct`` (already in percent), ``money`` (US$ M per year), ``money_change`` (signed US$ M), ``bool``.

Re-import: exports keep the machine ids (Excel: a "Columns" sheet; CSV: ``--no-marking`` writes ids), and
:func:`to_column_ids` maps planner labels back to ids, so a planner-facing CSV or sheet re-imports too.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.errors import InputError
from prioritizer.paths import WEIGHTS_DIR

COLUMNS_FILE = WEIGHTS_DIR / "columns.csv"
KINDS = ("text", "integer", "year", "number", "score", "share", "pct", "money", "money_change", "bool")
FIELDS = ("column_id", "label", "kind", "decimals", "description")
NUMERIC_KINDS = frozenset(KINDS) - {"text", "bool"}


@dataclass(frozen=True)
class ColumnSpec:
    """How one column is shown: label (with unit), kind, decimals and a one-line description."""

    column_id: str
    label: str
    kind: str = "text"
    decimals: int = 0
    description: str = ""

    @property
    def excel_format(self) -> str | None:
        """The Excel number format (None = General)."""
        return excel_format(self.kind, self.decimals)

    @property
    def printf(self) -> str:
        """A printf format for on-screen tables (shares are shown ×100)."""
        d = self.decimals
        return {"integer": "%d", "year": "%d", "share": f"%.{d}f%%", "pct": f"%.{d}f%%",
                "money_change": f"%+.{d}f", "text": "", "bool": ""}.get(self.kind, f"%.{d}f")


def excel_format(kind: str, decimals: int = 0) -> str | None:
    """Excel number format for a kind: money as $#,##0.0M, shares as %, scores rounded, etc."""
    frac = "." + "0" * decimals if decimals > 0 else ""
    money = f'"$"#,##0{frac}"M"'
    return {
        "integer": "0", "year": "0",
        "number": f"#,##0{frac}", "score": f"0{frac}",
        "share": f"0{frac}%", "pct": f'0{frac}"%"',
        "money": f"{money};-{money}",
        "money_change": f"+{money};-{money};{money}",
    }.get(kind)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, ColumnSpec]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the column dictionary ({exc.strerror})", file=path) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or set(FIELDS) - set(rows[0]):
        raise InputError(f"the column dictionary needs columns {', '.join(FIELDS)}", file=path, row=1)
    out: dict[str, ColumnSpec] = {}
    labels: dict[str, str] = {}
    for i, r in enumerate(rows, start=2):
        cid, label, kind = (r["column_id"] or "").strip(), (r["label"] or "").strip(), (r["kind"] or "").strip()
        if not cid or not label:
            raise InputError("column_id and label are required", file=path, row=i,
                             column="column_id" if not cid else "label")
        if kind not in KINDS:
            raise InputError(f"kind {kind!r} is not one of {', '.join(KINDS)}", file=path, row=i, column="kind")
        dec = (r["decimals"] or "").strip()
        if dec and not (dec.isdigit() and int(dec) <= 6):
            raise InputError(f"decimals must be a whole number 0–6 (got {dec!r})", file=path, row=i,
                             column="decimals")
        if cid in out:
            raise InputError(f"column {cid!r} is listed twice", file=path, row=i, column="column_id")
        if label.lower() in labels:
            raise InputError(f"label {label!r} is also used by {labels[label.lower()]!r}; labels must be unique "
                             "so exports re-import", file=path, row=i, column="label")
        labels[label.lower()] = cid
        out[cid] = ColumnSpec(cid, label, kind, int(dec or 0), (r["description"] or "").strip())
    return out


def load_columns(path: str | Path = COLUMNS_FILE) -> dict[str, ColumnSpec]:
    """The validated column dictionary (column id → spec); InputError names file, row and column."""
    return dict(_load(str(path)))


def _humanise(column: str) -> str:
    words = re.sub(r"_+", " ", column).strip()
    return words[:1].upper() + words[1:]


def spec(column: str, mechanisms: Mapping[str, str] | None = None,
         dictionary: Mapping[str, ColumnSpec] | None = None) -> ColumnSpec:
    """The spec of a column id: from the dictionary, a pattern (``<category>_score``, ``<mechanism>_usd_m``,
    ``*_usd_m``, ``*_pct``, ``*_share``) or a readable fallback."""
    col = str(column)
    known = load_columns() if dictionary is None else dictionary
    if col in known:
        return known[col]
    if col.endswith("_score"):  # the shipped categories are in the dictionary; another category's score
        return ColumnSpec(col, f"{_humanise(col.removesuffix('_score'))} (0–100)", "score", 0,
                          "Category score, 0–100 (higher = better for SC)")
    if col.endswith("_usd_m"):
        stem = col.removesuffix("_usd_m")
        name = (mechanisms or {}).get(stem) or _humanise(stem)
        return ColumnSpec(col, f"{name} ($M/yr)", "money", 1, f"{name}, US$ millions per year")
    if col.endswith("_pct"):
        return ColumnSpec(col, f"{_humanise(col.removesuffix('_pct'))} (%)", "pct", 0, "")
    if col.endswith("_share"):
        return ColumnSpec(col, _humanise(col), "share", 0, "")
    return ColumnSpec(col, _humanise(col), "text", 0, "")


def specs(columns: Iterable[str], mechanisms: Mapping[str, str] | None = None,
          priority_basis: str | None = None) -> dict[str, ColumnSpec]:
    """Specs for a table's columns; with ``priority_basis`` "proxy" the priority label says "proxy"."""
    out = {}
    for c in columns:
        s = spec(str(c), mechanisms)
        if s.column_id == "priority" and priority_basis:
            s = ColumnSpec(s.column_id, priority_label(priority_basis), s.kind, s.decimals, s.description)
        out[str(c)] = s
    return out


def priority_label(priority_basis: str | None) -> str:
    """Header of the priority column: 'Priority (1–5, proxy)' when it is the public-facts proxy."""
    base = spec("priority").label
    if priority_basis in ("proxy", "neutral", "mixed"):
        word = {"proxy": "proxy", "neutral": "neutral default", "mixed": "partly proxy"}[priority_basis]
        return base.replace(")", f", {word})") if base.endswith(")") else f"{base} ({word})"
    return base


def priority_basis_kind(basis: pd.Series | Iterable[str] | None) -> str:
    """What the priorities rest on, from the per-partner basis texts: "proxy" (the public-facts proxy),
    "neutral" (all 3 by default), "planner" (planner-set), or "mixed" (proxy for some, planner for others)."""
    texts = [str(b).lower() for b in (basis if basis is not None else []) if isinstance(b, str)]
    if not texts:
        return "planner"
    proxy = sum("proxy" in t for t in texts)
    neutral = sum("neutral" in t for t in texts)
    if proxy == len(texts):
        return "proxy"
    if neutral == len(texts):
        return "neutral"
    if proxy:
        return "mixed"
    return "neutral" if neutral else "planner"


BASIS_WORDS = {"proxy": "priority proxy (public facts, not a policy judgment)",
               "neutral": "neutral default priority (all 3)",
               "mixed": "priorities partly set by planners, the rest from the public-facts proxy",
               "planner": "planner-set priorities"}


def labels(columns: Iterable[str], **kwargs: object) -> dict[str, str]:
    """Column id → planner-facing label."""
    return {c: s.label for c, s in specs(columns, **kwargs).items()}  # type: ignore[arg-type]


def csv_label(s: ColumnSpec) -> str:
    """Header in a planner CSV: the label, with " (%)" for shares (written as percent numbers)."""
    return s.label + " (%)" if s.kind == "share" and "%" not in s.label else s.label


def to_column_ids(columns: Iterable[str]) -> list[str]:
    """Map planner labels (as written by the exports) back to column ids; other names are kept."""
    back: dict[str, str] = {}
    for cid, s in load_columns().items():
        back[s.label.lower()] = back[csv_label(s).lower()] = cid
    for basis in ("proxy", "neutral", "mixed"):
        back[priority_label(basis).lower()] = "priority"
    return [back.get(str(c).strip().lower(), str(c).strip()) for c in columns]


def strip_marking_line(text: str) -> str:
    """CSV text without a leading marking line (one field on the first line, several on the second)."""
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return text
    first = next(csv.reader([lines[0]]), [])
    second = next(csv.reader([lines[1]]), [])
    if len([f for f in first if f.strip()]) == 1 and len(first) == 1 and len(second) > 1:
        return "".join(lines[1:])
    return text


def planner_frame(df: pd.DataFrame, mechanisms: Mapping[str, str] | None = None,
                  priority_basis: str | None = None) -> pd.DataFrame:
    """A copy for a planner-facing CSV: numbers rounded to the dictionary's decimals (shares as percent
    numbers), headers replaced by labels. Text and booleans are unchanged."""
    out = df.copy()
    sp = specs(out.columns, mechanisms, priority_basis)
    for i, c in enumerate(list(out.columns)):
        s = sp[str(c)]
        col = out.iloc[:, i]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        values = col.astype(float) * (100.0 if s.kind == "share" else 1.0)
        if s.kind in NUMERIC_KINDS:
            values = values.round(s.decimals)
            if s.decimals == 0:  # whole numbers print without ".0"; missing stays empty
                out.isetitem(i, values.astype("Int64") if values.isna().any() else values.astype(np.int64))
                continue
        out.isetitem(i, values)
    out.columns = [csv_label(sp[str(c)]) for c in out.columns]
    return out


def dictionary_frame(tables: Mapping[str, Iterable[str]], mechanisms: Mapping[str, str] | None = None,
                     priority_basis: str | None = None) -> pd.DataFrame:
    """The "Columns" sheet: for every table and column its machine id, label, kind and description."""
    rows = []
    for table, cols in tables.items():
        for c, s in specs(cols, mechanisms, priority_basis).items():
            rows.append((table, c, s.label, s.kind, s.description))
    return pd.DataFrame(rows, columns=["sheet", "column_id", "label", "kind", "description"])
