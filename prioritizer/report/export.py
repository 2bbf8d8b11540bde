"""Exports that open ready in Excel: formula-injection-safe CSV and XLSX tables from the column dictionary.

Planner CSV: the marking line first, planner-facing headers (prioritizer.report.columns) and numbers rounded to
the dictionary's decimals; ``machine=True`` (CLI ``--no-marking``) writes column ids at full precision.
Workbook (openpyxl, no Excel needed): an "About" sheet, one sheet per table with the marking in row 1 and in
every printed page's header and footer, headers in row 2 (bold, frozen, filter, repeated on every page),
rounded display formats ($M, %, 0–100), landscape fit to one page wide, and a "Columns" sheet with the
machine names so exports re-import. Every text cell passes through prioritizer.cells — the one rule: text
starting with ``=``, ``+``, ``-``, ``@``, tab, CR, LF (also after spaces, and the full-width forms) gets a
leading ``'`` so a partner named ``=HYPERLINK(...)`` is shown as text and never runs.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from prioritizer import cells
from prioritizer.charts.style import TOOL_NAME, ChartMeta, marking_colour
from prioritizer.errors import InputError
from prioritizer.report import columns
from prioritizer.report.summary import count_noun


def _is_number(value: Any) -> bool:
    return isinstance(value, Number | Decimal | np.number) and not isinstance(value, bool | np.bool_)


def _flat_name(col: Any) -> str:
    if isinstance(col, tuple):
        return " / ".join(str(c) for c in col if str(c) != "")
    return str(col)


def _export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with a meaningful index (e.g. partner_id) turned into a column and flat column names."""
    out = df.copy()
    if not (isinstance(out.index, pd.RangeIndex) and out.index.name is None):
        names = [n if n is not None else ("index" if out.index.nlevels == 1 else f"level_{i}")
                 for i, n in enumerate(out.index.names)]
        out.index = out.index.set_names(names)
        out = out.reset_index()
    out.columns = [_flat_name(c) for c in out.columns]
    return out


def sanitise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with flat column names, every text cell and column name neutralised
    (:func:`prioritizer.cells.neutralise_frame`); numeric columns stay numeric."""
    out = df.copy()
    out.columns = [_flat_name(c) for c in out.columns]
    return cells.neutralise_frame(out)


def to_csv_bytes(df: pd.DataFrame, marking: str | None = "UNCLASSIFIED", *, machine: bool = False,
                 mechanisms: Mapping[str, str] | None = None, priority_basis: str | None = None) -> bytes:
    """CSV of ``df`` (index kept as a column when it is meaningful), sanitised, UTF-8 with BOM so Excel
    shows accented names (Côte d'Ivoire, Türkiye) correctly; CRLF line ends.

    Planner CSV (default): the marking line first, then planner-facing headers from the column dictionary
    and numbers rounded to its decimals (shares as percent numbers). ``machine=True``: no marking line,
    column ids and full precision (``--no-marking`` on the CLI). The project's readers take both
    (``load.read_table`` skips the marking line and maps labels back to ids).
    """
    frame = _export_frame(df)
    if not machine:
        frame = columns.planner_frame(frame, mechanisms, priority_basis)
    body = sanitise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    if not machine and marking:
        line = cells.neutralise(str(marking).replace("\r", " ").replace("\n", " "))
        body = pd.DataFrame(columns=[line]).to_csv(index=False, lineterminator="\r\n") + body
    return body.encode("utf-8-sig")


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


HEADER_FONT = Font(bold=True)


HEADER_FILL = PatternFill("solid", fgColor="DCE3EC")


MAX_COLUMN_WIDTH = 40


def _sheet_title(name: str, taken: set[str]) -> str:
    """Excel-legal, unique (case-insensitive) sheet name of ≤ 31 characters."""
    base = _BAD_SHEET_CHARS.sub("-", str(name)).strip().strip("'") or "Sheet"
    if base.lower() == "history":
        base = "History (table)"
    title, n = base[:31], 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _excel_value(value: Any) -> Any:
    """A Python value openpyxl writes as the right cell type; text is sanitised; NaN/inf → empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if _is_number(value):
        return value
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date):
        return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value
    text = value if isinstance(value, str) else str(value)
    return cells.neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def _write_cell(ws: Any, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col)
    cell.value = _excel_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _column_width(label: str, values: list[Any], fmt: str | None) -> float:
    """Column width in characters: the longest shown value or the longest header word, capped."""
    shown = 0
    for v in values:
        if isinstance(v, float):
            shown = max(shown, len(f"{v:,.1f}") + (3 if fmt and "M" in fmt else 1))
        elif isinstance(v, bool):
            shown = max(shown, 5)
        else:
            shown = max(shown, len(str(v if v is not None else "")))
    header = max([len(w) for w in str(label).split()] + [math.ceil(len(str(label)) / 2)])
    return float(min(max(shown, header, 6) + 2, MAX_COLUMN_WIDTH))


def _print_setup(ws: Any, marking: str, title: str, title_rows: str | None) -> None:
    """Landscape, fit to one page wide, header rows repeated, marking in the print header and footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if title_rows:
        ws.print_title_rows = title_rows
    text = str(marking).replace("&", "&&")
    ws.oddHeader.center.text = text
    ws.oddHeader.center.size = 11
    ws.oddHeader.center.font = "Arial,Bold"
    ws.oddHeader.left.text = str(title).replace("&", "&&")[:60]
    ws.oddFooter.center.text = text
    ws.oddFooter.center.size = 11
    ws.oddFooter.center.font = "Arial,Bold"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.left.text = f"{TOOL_NAME} · &D"
    ws.print_options.gridLines = False


def _marking_row(ws: Any, marking: str, width: int) -> None:
    """Row 1: the marking line in white on its banner colour across the table."""
    fill = PatternFill("solid", fgColor=marking_colour(marking).lstrip("#"))
    for j in range(1, max(width, 1) + 1):
        cell = _write_cell(ws, 1, j, marking if j == 1 else None)
        cell.fill = fill
        cell.font = Font(bold=True, color="FFFFFF")


def _write_table(ws: Any, df: pd.DataFrame, marking: str, title: str, *,
                 mechanisms: Mapping[str, str] | None = None, priority_basis: str | None = None) -> list[str]:
    """One data sheet: row 1 marking, row 2 planner-facing headers (bold, wrapped, frozen, filter, repeated
    on every printed page), data from row 3 with the column dictionary's number formats. Returns the
    machine column ids (for the "Columns" sheet)."""
    frame = _export_frame(df)
    ids = [_flat_name(c) for c in frame.columns]
    sp = columns.specs(ids, mechanisms, priority_basis)
    _marking_row(ws, marking, len(ids))
    for j, cid in enumerate(ids, start=1):
        cell = _write_cell(ws, 2, j, sp[cid].label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.row_dimensions[2].height = 32
    formats = [sp[c].excel_format for c in ids]
    numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes]
    sample: list[list[Any]] = [[] for _ in ids]
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=3):
        for j, v in enumerate(row, start=1):
            cell = _write_cell(ws, i, j, v)
            fmt = formats[j - 1]
            if fmt and numeric[j - 1] and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            elif isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
            if i <= 1002:
                sample[j - 1].append(cell.value)
    for j, cid in enumerate(ids, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _column_width(sp[cid].label, sample[j - 1],
                                                                         formats[j - 1])
    freeze_col = 3 if ids[:2] == ["partner_id", "name"] else 1
    ws.freeze_panes = f"{get_column_letter(freeze_col)}3"
    if ids:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(ids))}{len(frame) + 2}"
    _print_setup(ws, marking, title, "1:2")
    return ids


def workbook_bytes(sheets: Mapping[str, pd.DataFrame], notes: Mapping[str, Any] | None = None,
                   *, meta: ChartMeta | None = None, mechanisms: Mapping[str, str] | None = None,
                   priority_basis: str | None = None) -> bytes:
    """An .xlsx with a first "About" sheet, one sheet per table (in the order given) and a last "Columns"
    sheet (every sheet's column ids with label, kind and description — the machine names for re-import).

    Data sheets: marking in row 1 and in every printed page's header and footer; planner-facing headers
    (column dictionary) in row 2, bold, frozen, with an autofilter; numbers stay numeric with rounded
    display formats ($M, %, 0–100); landscape, one page wide, header rows repeated. Text is sanitised,
    sheet names made Excel-legal (≤ 31 chars). "About" carries the marking line (top and bottom),
    scenario, date, the ``notes`` and the list of sheets. ``notes`` keys "Scenario", "Date", "Marking"
    override ``meta``. ``priority_basis`` ("proxy", …) makes the priority header say so.
    """
    meta = meta or ChartMeta()
    notes = dict(notes or {})
    lower = {k.lower(): k for k in notes}
    scenario = notes.pop(lower["scenario"]) if "scenario" in lower else meta.scenario
    date = notes.pop(lower["date"]) if "date" in lower else meta.date
    marking = notes.pop(lower["marking"]) if "marking" in lower else meta.marking
    wb = Workbook()
    about = wb.active
    about.title = "About"
    taken = {"about", "columns"}
    titles = {name: _sheet_title(name, taken) for name in sheets}
    if not any(k.lower().startswith("data source") for k in notes) and "Indicators & sources" in sheets:
        notes["Data sources"] = ("Every indicator's source, citation, licence and data year is on sheet "
                                 f"'{titles['Indicators & sources']}'.")
    if priority_basis and not any(k.lower().startswith("priority") for k in notes):
        notes["Priority basis"] = columns.BASIS_WORDS.get(priority_basis, priority_basis)

    rows: list[tuple[Any, Any]] = [
        (marking, None), (None, None), (f"{TOOL_NAME} — data export", None), (None, None),
        ("Item", "Value"), ("Scenario", scenario), ("Date", date), ("Marking", marking),
    ]
    rows += [(k, v) for k, v in notes.items()]
    rows += [("Text safety", "Text cells that began with = + - @ (or tab/CR) are prefixed with ' so they "
                             "cannot run as formulas.")]
    rows += [("Sheet", f"{titles[name]} — {count_noun(len(df), 'row')}") for name, df in sheets.items()
             if isinstance(df, pd.DataFrame)]
    rows += [("Sheet", "Columns — column ids (machine names), labels and descriptions of every sheet")]
    rows += [(None, None), (marking, None)]
    for i, (k, v) in enumerate(rows, start=1):
        a, b = _write_cell(about, i, 1, k), _write_cell(about, i, 2, v)
        b.alignment = Alignment(wrap_text=True, vertical="top")
        a.alignment = Alignment(vertical="top")
        if i in (1, 3, 5, len(rows)):
            a.font = HEADER_FONT
            b.font = HEADER_FONT
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    _print_setup(about, marking, "About", None)
    about.page_setup.orientation = "portrait"

    used: dict[str, list[str]] = {}
    for name, df in sheets.items():
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"sheet '{name}' is not a table ({type(df).__name__})")
        used[titles[name]] = _write_table(wb.create_sheet(titles[name]), df, marking, titles[name],
                                          mechanisms=mechanisms, priority_basis=priority_basis)
    cols = columns.dictionary_frame(used, mechanisms, priority_basis)
    ws = wb.create_sheet("Columns")
    _write_table(ws, cols, marking, "Columns")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
