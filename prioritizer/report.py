"""Exports: formula-injection-safe CSV and Excel tables, scenario comparisons, the one-page summary
and the one-click briefing pack (charts as PNG + SVG, the workbook, the summary).

Spreadsheets are written with openpyxl (pure Python, no Excel needed), so numbers stay numeric
cells staff can sort and filter. Any text cell (and column name) that starts with ``=``, ``+``,
``-``, ``@``, tab or carriage return is prefixed with ``'`` (OWASP CSV-injection guidance), so a
partner named ``=HYPERLINK(...)`` is shown as text and never runs as a formula.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import math
import re
import zipfile
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

from prioritizer.charts import TOOL_NAME, AnyChart, ChartMeta, to_png_and_svg
from prioritizer.errors import InputError

# --- formula-injection safety ----------------------------------------------------------------------
# OWASP list (=, +, -, @, tab, CR) plus LF and the full-width forms some spreadsheet apps also accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _is_number(value: Any) -> bool:
    return isinstance(value, Number | Decimal | np.number) and not isinstance(value, bool | np.bool_)


def sanitise_cell(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet could run as a formula by prefixing ``'``.

    Triggers: a first character in ``= + - @``, tab, CR (OWASP), LF or their full-width forms, also
    after leading spaces. Numbers, booleans, dates and missing values are returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_TRIGGERS or value.lstrip(" ")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


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
    """A copy of ``df`` with every text cell and column name passed through :func:`sanitise_cell`.

    Numeric, boolean and datetime columns are left exactly as they are (a negative number is not text).
    """
    out = df.copy()
    out.columns = [sanitise_cell(_flat_name(c)) for c in out.columns]
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
                or isinstance(col.dtype, pd.CategoricalDtype)):
            values = col.astype(object).map(sanitise_cell)
            out.isetitem(i, values)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV of ``df`` (index kept as a column when it is meaningful), sanitised, UTF-8 with BOM so
    Excel shows accented names (Côte d'Ivoire, Türkiye) correctly; CRLF line ends."""
    return sanitise_frame(_export_frame(df)).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


# --- Excel -----------------------------------------------------------------------------------------
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE3EC")


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
    return sanitise_cell(ILLEGAL_CHARACTERS_RE.sub("", text))


def _write_cell(ws: Any, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col)
    cell.value = _excel_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _write_table(ws: Any, df: pd.DataFrame) -> None:
    frame = _export_frame(df)
    headers = [_flat_name(c) for c in frame.columns]
    widths = [len(str(_excel_value(h) or "")) for h in headers]
    for j, h in enumerate(headers, start=1):
        cell = _write_cell(ws, 1, j, h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=False)
    float_cols = {j for j, t in enumerate(frame.dtypes) if pd.api.types.is_float_dtype(t)}
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, v in enumerate(row, start=1):
            cell = _write_cell(ws, i, j, v)
            if j - 1 in float_cols and isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
            if i <= 1001:
                shown = cell.value
                length = len(f"{shown:,.2f}") if isinstance(shown, float) else len(str(shown or ""))
                widths[j - 1] = max(widths[j - 1], length)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = "A2"
    if len(headers):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(frame) + 1, 1)}"


def workbook_bytes(sheets: Mapping[str, pd.DataFrame], notes: Mapping[str, Any] | None = None,
                   *, meta: ChartMeta | None = None) -> bytes:
    """An .xlsx with a first "About" sheet and one sheet per table, in the order given.

    Tables start at row 1 (bold, frozen header, autofilter) so staff can sort and filter; numbers
    stay numeric, text is sanitised, column widths fitted, sheet names made Excel-legal (≤ 31 chars).
    "About" carries the marking line (top and bottom), scenario, date, the ``notes`` (e.g. "Data
    sources") and the list of sheets. ``notes`` keys "Scenario", "Date", "Marking" override ``meta``.
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
    taken = {"about"}
    titles = {name: _sheet_title(name, taken) for name in sheets}
    if not any(k.lower().startswith("data source") for k in notes) and "Indicators & sources" in sheets:
        notes["Data sources"] = ("Every indicator's source, citation, licence and data year is on sheet "
                                 f"'{titles['Indicators & sources']}'.")

    rows: list[tuple[Any, Any]] = [
        (marking, None), (None, None), (f"{TOOL_NAME} — data export", None), (None, None),
        ("Item", "Value"), ("Scenario", scenario), ("Date", date), ("Marking", marking),
    ]
    rows += [(k, v) for k, v in notes.items()]
    rows += [("Text safety", "Text cells that began with = + - @ (or tab/CR) are prefixed with ' so they "
                             "cannot run as formulas.")]
    rows += [("Sheet", f"{titles[name]} — {len(df)} rows") for name, df in sheets.items()]
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

    for name, df in sheets.items():
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"sheet '{name}' is not a table ({type(df).__name__})")
        _write_table(wb.create_sheet(titles[name]), df)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def scenario_settings_frame(settings: Mapping[str, Any]) -> pd.DataFrame:
    """Flatten nested scenario settings to rows ``setting`` (dotted path, ``[i]`` for list items)
    and ``value``; a list of plain values becomes one comma-separated row. Numbers stay numbers."""
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            if not value:
                rows.append((prefix, ""))
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple | set):
            items = sorted(value, key=str) if isinstance(value, set) else list(value)
            if items and all(isinstance(v, Mapping | list | tuple | set) for v in items):
                for i, v in enumerate(items):
                    walk(f"{prefix}[{i}]", v)
            else:
                rows.append((prefix, ", ".join("" if v is None else str(v) for v in items)))
        elif isinstance(value, np.generic):
            rows.append((prefix, value.item()))
        else:
            rows.append((prefix, "" if value is None else value))

    walk("", dict(settings))
    return pd.DataFrame(rows, columns=["setting", "value"])


# --- comparisons -----------------------------------------------------------------------------------
def compare_rankings(scores_a: pd.DataFrame, scores_b: pd.DataFrame) -> pd.DataFrame:
    """Rank shift per partner between scenario A and B (index partner_id).

    Columns: name, rank_a, rank_b, rank_shift (= rank_a − rank_b: positive = moved up in B),
    propensity_a, propensity_b, propensity_change (B − A, points on 0–100), note ("only in A/B").
    Sorted by the size of the shift, largest first.
    """
    for label, s in (("A", scores_a), ("B", scores_b)):
        missing = [c for c in ("rank", "propensity") if c not in s.columns]
        if missing:
            raise InputError(f"scores of scenario {label} lack column(s) {', '.join(missing)}")
    idx = scores_a.index.union(scores_b.index, sort=False)
    name_a = scores_a["name"] if "name" in scores_a else pd.Series(dtype=object)
    name_b = scores_b["name"] if "name" in scores_b else pd.Series(dtype=object)
    out = pd.DataFrame(index=idx)
    out.index.name = scores_a.index.name or scores_b.index.name or "partner_id"
    out["name"] = name_b.reindex(idx).fillna(name_a.reindex(idx))
    out["rank_a"] = scores_a["rank"].reindex(idx).astype(float)
    out["rank_b"] = scores_b["rank"].reindex(idx).astype(float)
    out["rank_shift"] = out["rank_a"] - out["rank_b"]
    out["propensity_a"] = scores_a["propensity"].reindex(idx).astype(float)
    out["propensity_b"] = scores_b["propensity"].reindex(idx).astype(float)
    out["propensity_change"] = out["propensity_b"] - out["propensity_a"]
    out["note"] = np.select([out["rank_a"].isna() & out["rank_b"].notna(),
                             out["rank_b"].isna() & out["rank_a"].notna()], ["only in B", "only in A"], "")
    order = out["rank_shift"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return out.loc[order]


_ALLOC_COLS = ("recommended_usd_m", "allocation_usd_m", "allocated_usd_m", "total_usd_m", "usd_m")


def _alloc_series(alloc: pd.DataFrame | pd.Series, value_col: str | None, label: str) -> pd.Series:
    if isinstance(alloc, pd.Series):
        return alloc.astype(float)
    col = value_col or next((c for c in _ALLOC_COLS if c in alloc.columns), None)
    if col is None or col not in alloc.columns:
        raise InputError(f"allocation of scenario {label} has none of the columns {', '.join(_ALLOC_COLS)}")
    if "partner_id" in alloc.columns:
        return alloc.groupby("partner_id")[col].sum().astype(float)
    return alloc[col].groupby(level=0).sum().astype(float)


def compare_allocations(alloc_a: pd.DataFrame | pd.Series, alloc_b: pd.DataFrame | pd.Series,
                        value_col: str | None = None) -> pd.DataFrame:
    """Per-partner change in recommended US$ M per year from scenario A to B (index partner_id).

    Columns: name (if given), usd_m_a, usd_m_b, delta_usd_m (B − A); a partner missing from one
    allocation counts as $0 there. Rows by partner id (or a ``partner_id`` column, summed over
    mechanisms); sorted by the size of the change.
    """
    a = _alloc_series(alloc_a, value_col, "A")
    b = _alloc_series(alloc_b, value_col, "B")
    idx = a.index.union(b.index, sort=False)
    out = pd.DataFrame(index=idx)
    out.index.name = "partner_id"
    names = [x["name"] for x in (alloc_b, alloc_a) if isinstance(x, pd.DataFrame) and "name" in x.columns
             and "partner_id" not in x.columns]
    if names:
        combined = names[0].reindex(idx)
        for n in names[1:]:
            combined = combined.fillna(n.reindex(idx))
        out["name"] = combined
    out["usd_m_a"] = a.reindex(idx).fillna(0.0)
    out["usd_m_b"] = b.reindex(idx).fillna(0.0)
    out["delta_usd_m"] = out["usd_m_b"] - out["usd_m_a"]
    return out.loc[out["delta_usd_m"].abs().sort_values(ascending=False, kind="stable").index]


# --- one-page summary -------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>])")


def md_escape(text: Any) -> str:
    """Escape Markdown control characters in user-supplied text (partner names, rationales)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _usd(x: float, signed: bool = False) -> str:
    """US$ M with one decimal; ``signed`` adds + / − (± when it rounds to zero)."""
    x = round(float(x), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    if signed:
        return ("+" if x > 0 else "−" if x < 0 else "±") + f"${abs(x):,.1f}M"
    return f"${x:,.1f}M"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


_TOTAL_LABELS = {
    "budget_usd_m": "Budget",
    "baseline_usd_m": "Baseline (current funding)",
    "recommended_usd_m": "Recommended",
    "allocated_usd_m": "Allocated",
    "change_usd_m": "Change vs baseline",
}


def summary_text(scores: pd.DataFrame, bullbear: pd.DataFrame | None = None,
                 allocation_totals: Mapping[str, Any] | pd.Series | None = None, *,
                 meta: ChartMeta | None = None, top_n: int = 10) -> str:
    """A one-page plain-language summary (Markdown) of a scenario.

    ``scores``: index partner_id; name, command, propensity (0–100), rank (1 = best), quadrant,
    low_confidence. ``bullbear``: command, side ("bullish"/"bearish"), rank, partner_id, name,
    change_usd_m, rationale. ``allocation_totals``: e.g. budget_usd_m, baseline_usd_m,
    recommended_usd_m (US$ M per year). The marking line opens and closes the page.
    """
    meta = meta or ChartMeta()
    need = [c for c in ("name", "propensity", "rank") if c not in scores.columns]
    if need:
        raise InputError(f"summary needs score column(s) {', '.join(need)}")
    s = scores[scores["propensity"].notna()].sort_values(["rank", "name"])
    lines = [meta.marking, "", f"# {md_escape(meta.title or TOOL_NAME + ' — scenario summary')}", "",
             f"Scenario: **{md_escape(meta.scenario)}** · generated {meta.date}", ""]

    lines += ["## Where security cooperation is most likely to work", ""]
    unscored = len(scores) - len(s)
    low = s[s["low_confidence"].fillna(False).astype(bool)] if "low_confidence" in s else s.iloc[0:0]
    lines.append(f"{_n(len(s), 'partner')} scored on propensity (0–100; higher = security cooperation more likely "
                 f"to work)" + (f"; {unscored} without a score" if unscored else "") + ".")
    lines.append("")
    for _, r in s[s["rank"].notna()].head(top_n).iterrows():  # unranked (low coverage) partners are listed below
        cmd = f" ({md_escape(r['command'])})" if "command" in s and pd.notna(r.get("command")) else ""
        flag = " — low confidence" if bool(r.get("low_confidence", False)) is True else ""
        lines.append(f"- {int(r['rank'])}. **{md_escape(r['name'])}**{cmd}: {r['propensity']:.0f}{flag}")
    lines.append("")
    if len(low):
        shown = ", ".join(md_escape(n) for n in low["name"].head(8))
        more = f" and {len(low) - 8} more" if len(low) > 8 else ""
        lines += [f"Low confidence (data coverage below the threshold): {_n(len(low), 'partner')} — {shown}{more}. "
                  "They are not ranked; treat their scores as indicative.", ""]

    if "quadrant" in s and s["quadrant"].notna().any():
        lines += ["## Priority × propensity", ""]
        texts = {"invest": "high priority, high propensity",
                 "manage expectations": "high priority, low propensity",
                 "opportunity": "low priority, high propensity",
                 "deprioritise": "low priority, low propensity"}
        for q, what in texts.items():
            members = s[s["quadrant"] == q]
            if len(members):
                names = ", ".join(md_escape(n) for n in members["name"].head(5))
                lead = "led by" if len(members) > 1 else "namely"
                lines.append(f"- **{q.capitalize()}** ({what}): {_n(len(members), 'partner')}, {lead} {names}")
        lines.append("")

    if allocation_totals is not None and len(allocation_totals):
        totals = dict(allocation_totals.items())
        lines += ["## Allocation (US$ millions per year)", ""]
        for k, v in totals.items():
            label = _TOTAL_LABELS.get(str(k), str(k).removesuffix("_usd_m").replace("_", " ").capitalize())
            if isinstance(v, Number | np.number) and not isinstance(v, bool):
                signed = str(k).startswith("change")
                lines.append(f"- {md_escape(label)}: {_usd(float(v), signed=signed)}")
            else:
                lines.append(f"- {md_escape(label)}: {md_escape(v)}")
        if "change_usd_m" not in totals and {"baseline_usd_m", "recommended_usd_m"} <= set(totals):
            change = float(totals["recommended_usd_m"]) - float(totals["baseline_usd_m"])
            lines.append(f"- Change vs baseline: {_usd(change, signed=True)}")
        lines.append("")

    if bullbear is not None and len(bullbear):
        lines += ["## Bullish (surge) and bearish (reduce) by command", ""]
        bb = bullbear.sort_values(["command", "side", "rank"])
        for cmd, grp in bb.groupby("command", sort=True):
            parts = []
            for side in ("bullish", "bearish"):
                rows = grp[grp["side"].astype(str).str.lower() == side]
                if len(rows):
                    items = ", ".join(
                        f"{md_escape(r['name'])} ({_usd(float(r['change_usd_m']), signed=True)})"
                        if pd.notna(r.get("change_usd_m")) else md_escape(r["name"])
                        for _, r in rows.iterrows())
                    parts.append(f"{side} {items}")
            lines.append(f"- **{md_escape(cmd)}** — " + "; ".join(parts))
        lines += ["", "Each line's rationale is on the workbook sheet 'Bullish-bearish'.", ""]

    lines += ["A diagnostic aid, not a decision: every score traces to public source values, and "
              "rankings should be read with their uncertainty.", "", meta.marking, ""]
    return "\n".join(lines)


def markdown_to_html(md: str, title: str = TOOL_NAME, marking: str | None = None) -> str:
    """A self-contained HTML page for the summary's Markdown subset (headings, bullets, bold,
    paragraphs). All text is HTML-escaped; no scripts, no external resources."""
    def inline(text: str) -> str:
        keep: list[str] = []

        def stash(m: re.Match[str]) -> str:
            keep.append(m.group(1))
            return f"\x00{len(keep) - 1}\x00"

        text = re.sub(r"\\(.)", stash, text)
        text = html.escape(text, quote=True)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        return re.sub("\x00(\\d+)\x00", lambda m: html.escape(keep[int(m.group(1))]), text)

    body: list[str] = []
    in_list = False
    for raw in md.splitlines():
        line = raw.rstrip()
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{inline(line[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if not line:
            continue
        if marking is not None and line == marking:
            body.append(f'<p class="marking">{html.escape(line)}</p>')
        elif m := re.match(r"(#{1,3}) (.*)", line):
            level = len(m.group(1))
            body.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
        else:
            body.append(f"<p>{inline(line)}</p>")
    if in_list:
        body.append("</ul>")
    style = ("body{font-family:'Liberation Sans',Arial,Helvetica,sans-serif;max-width:52em;margin:2em auto;"
             "padding:0 1em;color:#1a1a1a;line-height:1.45}h1{font-size:1.6em}h2{font-size:1.2em;"
             "border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.4em}"
             ".marking{text-align:center;font-weight:bold;letter-spacing:.05em}"
             "@media print{body{margin:0}}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


# --- briefing pack -----------------------------------------------------------------------------------
def _slug(text: str, default: str = "chart") -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_").lower()
    return s[:60] or default


def briefing_pack(charts: Mapping[str, AnyChart], workbook: bytes, summary_md: str, meta: ChartMeta) -> bytes:
    """A zip for a briefing: each chart as PNG (2× scale) and SVG with marking, title (the dict key),
    scenario, date and footer; the Excel workbook; ``summary.md`` and ``summary.html``; README.txt.

    Rendering is in-process (vl-convert) with all URL/file access blocked.
    """
    buf = io.BytesIO()
    stamp = dt.datetime.now().timetuple()[:6]
    scenario_slug = _slug(meta.scenario, "scenario")
    listing: list[str] = []

    def add(name: str, data: bytes | str) -> None:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
        listing.append(name)

    with zipfile.ZipFile(buf, "w") as zf:
        used: set[str] = set()
        for i, (title, chart) in enumerate(charts.items(), start=1):
            chart_meta = dataclasses.replace(meta, title=title or meta.title)
            stem = f"charts/{i:02d}_{_slug(title)}"
            while stem in used:
                stem += "_"
            used.add(stem)
            png, svg = to_png_and_svg(chart, chart_meta, scale=2)
            add(f"{stem}.png", png)
            add(f"{stem}.svg", svg)
        workbook_name = f"partner_prioritizer_{scenario_slug}_{meta.date}.xlsx"
        add(workbook_name, workbook)
        add("summary.md", summary_md)
        add("summary.html", markdown_to_html(summary_md, title=f"{TOOL_NAME} — {meta.scenario}",
                                             marking=meta.marking))
        readme = "\n".join([
            meta.marking, "",
            f"{TOOL_NAME} briefing pack",
            f"Scenario: {meta.scenario}",
            f"Generated: {meta.date}", "",
            "Contents:", *[f"  {n}" for n in listing], "  README.txt", "",
            "Charts: PNG at 2x scale for slides, SVG for editing; each carries the marking line,",
            "title, scenario and date. The workbook's tables open in Excel with filters on.", "",
            meta.marking, "",
        ])
        add("README.txt", readme)
    return buf.getvalue()
