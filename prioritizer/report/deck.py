"""Briefing deck: a PowerPoint file (python-pptx) built from one scored and allocated scenario.

Slides, each with the marking line in a banner at the top and the bottom: title (scenario, date, budget,
priority basis); top sheet (native table); priority × propensity; allocation by command and by
mechanism; one bullish/bearish slide per command (its calls with the ROI components and confidence);
robustness; method and data appendix (weights, data vintages, coverage, solver status, proxies named).
Charts are PNG images rendered offline by vl-convert (``to_png``), drawn with the presentation sizes; tables
are native PowerPoint
tables, so numbers stay editable. Money is US$ M per year; scores are 0–100.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from prioritizer.allocation.bullbear import unlisted_cut_text
from prioritizer.charts.allocation import allocation_by_command, allocation_by_mechanism
from prioritizer.charts.export.image import to_png
from prioritizer.charts.matrix import matrix_chart
from prioritizer.charts.robustness import rank_interval_chart
from prioritizer.charts.style import ChartMeta, marking_colour, money_text
from prioritizer.domain import CATEGORY_LABELS, COMMANDS
from prioritizer.report import columns

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
BAND_H = Inches(0.34)
MARGIN = Inches(0.45)
TITLE_TOP = BAND_H + Inches(0.1)
BODY_TOP = Inches(1.25)
BODY_H = SLIDE_H - BODY_TOP - BAND_H - Inches(0.4)
NAVY = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x44, 0x44, 0x44)
TOP_ROWS = 15
CALLS_PER_SIDE = 3


@dataclasses.dataclass
class BriefInputs:
    """Everything one deck shows. ``scores``: the scored-and-matched table (index partner_id);
    ``allocation``: an ``AllocationResult`` (or None); ``bullbear`` / ``offsets``: from ``bullbear``;
    ``robustness``: per-partner robustness (index partner_id) or None; ``weights``: category id → weight."""

    scores: pd.DataFrame
    meta: ChartMeta
    priority_threshold: float
    propensity_cut: float
    budget_usd_m: float | None = None
    allocation: Any = None
    bullbear: pd.DataFrame | None = None
    offsets: pd.DataFrame | None = None
    mechanisms: Mapping[str, str] = dataclasses.field(default_factory=dict)
    robustness: pd.DataFrame | None = None
    weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
    profile_name: str = ""
    dictionary: pd.DataFrame | None = None
    coverage_threshold: float = 0.6
    log: Sequence[str] = ()


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _text(slide: Any, left: int, top: int, width: int, height: int, text: str, size: int = 18, *,
          bold: bool = False, colour: RGBColor = GREY, align: Any = PP_ALIGN.LEFT, fill: str | None = None) -> Any:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE if fill else MSO_ANCHOR.TOP
    for i, line in enumerate(str(text).split("\n")):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.alignment = align
        run = p.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour
        run.font.name = "Arial"
    if fill:
        box.fill.solid()
        box.fill.fore_color.rgb = _rgb(fill)
    return box


def _slide(prs: Any, meta: ChartMeta, title: str, subtitle: str = "") -> Any:
    """A blank slide with the marking banner top and bottom, the title, and a footer line."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    colour = marking_colour(meta.marking)
    white = RGBColor(0xFF, 0xFF, 0xFF)
    for top in (0, SLIDE_H - BAND_H):
        _text(slide, 0, top, SLIDE_W, BAND_H, meta.marking, 14, bold=True, colour=white, align=PP_ALIGN.CENTER,
              fill=colour).name = "marking"
    _text(slide, MARGIN, TITLE_TOP, SLIDE_W - 2 * MARGIN, Inches(0.6), title, 28, bold=True, colour=NAVY)
    if subtitle:
        _text(slide, MARGIN, TITLE_TOP + Inches(0.55), SLIDE_W - 2 * MARGIN, Inches(0.4), subtitle, 14)
    _text(slide, MARGIN, SLIDE_H - BAND_H - Inches(0.34), SLIDE_W - 2 * MARGIN, Inches(0.3), meta.footer, 10)
    return slide


def _picture(slide: Any, png: bytes, left: int, top: int, max_w: int, max_h: int) -> Any:
    """Place a PNG scaled to fit the box (aspect kept), centred horizontally in it."""
    pic = slide.shapes.add_picture(io.BytesIO(png), left, top)
    ratio = min(max_w / pic.width, max_h / pic.height)
    pic.width, pic.height = int(pic.width * ratio), int(pic.height * ratio)
    pic.left = int(left + (max_w - pic.width) / 2)
    return pic


def _chart_png(chart: Any) -> bytes:
    return to_png(chart, None, scale=2)


def _cell(value: Any, spec: columns.ColumnSpec) -> str:
    """A table cell as text in the dictionary's format ($M, %, rounded)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else ""
    if spec.kind in ("money", "money_change") and isinstance(value, int | float):
        return money_text(value, spec.decimals, signed=spec.kind == "money_change")
    if spec.kind == "share" and isinstance(value, int | float):
        return f"{100 * value:.{spec.decimals}f}%"
    if spec.kind in ("integer", "year") and isinstance(value, int | float):
        return f"{int(round(value))}"
    if isinstance(value, int | float):
        return f"{value:,.{spec.decimals}f}"
    return str(value)


def _table(slide: Any, frame: pd.DataFrame, left: int, top: int, width: int, *, font: int = 13,
           widths: Sequence[float] | None = None, priority_basis: str | None = None,
           mechanisms: Mapping[str, str] | None = None, row_h: int = Inches(0.34)) -> Any:
    """A native table with planner-facing headers (column dictionary) and formatted cells."""
    sp = columns.specs(frame.columns, mechanisms, priority_basis)
    rows, cols = len(frame) + 1, len(frame.columns)
    shape = slide.shapes.add_table(rows, cols, left, top, width, row_h * rows)
    table = shape.table
    share = list(widths) if widths else [1.0] * cols
    total = sum(share)
    for j, w in enumerate(share):
        table.columns[j].width = Emu(int(width * w / total))
    for j, c in enumerate(frame.columns):
        _fill_cell(table.cell(0, j), sp[str(c)].label, font, bold=True)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for j, (c, v) in enumerate(zip(frame.columns, row, strict=True)):
            _fill_cell(table.cell(i, j), _cell(v, sp[str(c)]), font)
    return shape


def _fill_cell(cell: Any, text: str, size: int, bold: bool = False) -> None:
    cell.text = ""
    p = cell.text_frame.paragraphs[0]
    run = p.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, "Arial"
    cell.margin_left = cell.margin_right = Inches(0.05)
    cell.margin_top = cell.margin_bottom = Inches(0.02)


def basis_kind(scores: pd.DataFrame) -> str:
    """Priority basis of the scores ("proxy", "neutral", "planner", "mixed")."""
    return columns.priority_basis_kind(scores["priority_basis"]) if "priority_basis" in scores else "planner"


# --------------------------------------------------------------------------------------------- slides


def _title_slide(prs: Any, b: BriefInputs, basis: str) -> None:
    slide = _slide(prs, b.meta, "Partner Prioritizer — security-cooperation briefing")
    budget = "settings default" if b.budget_usd_m is None else f"${b.budget_usd_m:,.1f}M per year"
    lines = [f"Scenario: {b.meta.scenario}", f"Date: {b.meta.date}", f"Budget: {budget}",
             f"Weight profile: {b.profile_name}" if b.profile_name else "",
             f"Priority basis: {columns.BASIS_WORDS.get(basis, basis)}", f"Marking: {b.meta.marking}"]
    _text(slide, MARGIN, Inches(1.6), SLIDE_W - 2 * MARGIN, Inches(3.5), "\n".join(x for x in lines if x), 24)
    _text(slide, MARGIN, Inches(5.4), SLIDE_W - 2 * MARGIN, Inches(1.0),
          "A diagnostic aid, not a decision: every score traces to public source values; read rankings with "
          "their uncertainty.", 16)


def _top_sheet_slide(prs: Any, b: BriefInputs, basis: str) -> None:
    s = b.scores[b.scores["propensity"].notna()].sort_values(["rank", "name"]).head(TOP_ROWS)
    cols = [c for c in ("rank", "name", "command", "propensity", "coverage", "priority", "quadrant",
                        "baseline_usd_m", "funding_flag") if c in s.columns]
    subtitle = f"Top {len(s)} by propensity (0–100, higher = SC more likely to work)"
    if basis in ("proxy", "mixed"):
        subtitle += " · priority is the public-facts proxy, not a policy judgment"
    slide = _slide(prs, b.meta, "Top sheet", subtitle)
    _table(slide, s[cols], MARGIN, BODY_TOP + Inches(0.1), SLIDE_W - 2 * MARGIN, font=12,
           widths=[0.5, 1.6, 1.0, 0.9, 0.8, 0.9, 1.3, 1.0, 1.3][:len(cols)], priority_basis=basis,
           row_h=Inches(0.3))


def _matrix_slide(prs: Any, b: BriefInputs, basis: str) -> None:
    proxy = " (priority: public-facts proxy)" if basis in ("proxy", "mixed") else ""
    slide = _slide(prs, b.meta, "Priority × propensity",
                   f"High priority ≥ {b.priority_threshold:g}; high propensity ≥ {b.propensity_cut:.0f}{proxy}")
    chart = matrix_chart(b.scores, b.priority_threshold, b.propensity_cut, width=900, height=520,
                         label_per_quadrant=3, presentation=True)
    _picture(slide, _chart_png(chart), MARGIN, BODY_TOP + Inches(0.1), SLIDE_W - 2 * MARGIN, BODY_H - Inches(0.1))


def _allocation_slides(prs: Any, b: BriefInputs) -> None:
    res = b.allocation
    partners = res.partners
    total = float(partners["allocation_usd_m"].sum())
    base = float(partners["baseline_usd_m"].sum())
    slide = _slide(prs, b.meta, "Allocation by command",
                   f"Recommended ${total:,.1f}M vs baseline ${base:,.1f}M per year · solver {res.solver}, "
                   f"status {res.status}")
    _picture(slide, _chart_png(allocation_by_command(partners, presentation=True)), MARGIN, BODY_TOP + Inches(0.1),
             SLIDE_W - 2 * MARGIN, BODY_H - Inches(0.1))
    mech = res.mechanisms[res.mechanisms["allocation_usd_m"] > 1e-9].copy()
    mech["command"] = mech["partner_id"].map(partners["command"])
    chart = allocation_by_mechanism(mech, labels=b.mechanisms, presentation=True)
    slide = _slide(prs, b.meta, "Allocation by mechanism", "Recommended US$ M per year, stacked per command")
    _picture(slide, _chart_png(chart), MARGIN, BODY_TOP + Inches(0.1), SLIDE_W - 2 * MARGIN, BODY_H - Inches(0.1))


def _bullbear_slides(prs: Any, b: BriefInputs) -> None:
    table = b.bullbear
    for command in [c for c in COMMANDS if c in set(table["command"])] + sorted(
            set(table["command"]) - set(COMMANDS)):
        rows = table[table["command"] == command].sort_values(["side", "rank"], ascending=[False, True])
        line = ""
        if b.offsets is not None and len(b.offsets) and command in set(b.offsets["command"]):
            o = b.offsets[b.offsets["command"] == command].iloc[0]
            line = (f"Listed surge ${o['surge_usd_m']:,.1f}M · listed cuts ${o['offsets_usd_m']:,.1f}M · "
                    f"net {_cell(o['net_usd_m'], columns.spec('net_usd_m'))}")
            unlisted = unlisted_cut_text(o, money_text)
            if unlisted:
                line += f" · {unlisted[:1].upper()}{unlisted[1:]}"
        slide = _slide(prs, b.meta, f"{command} — bullish / bearish", line)
        frame = pd.DataFrame({
            "side": rows["side"].to_numpy(), "name": rows["name"].to_numpy(),
            "call_usd_m": (rows["call_usd_m"] if "call_usd_m" in rows else rows["change_usd_m"]).to_numpy(),
            "importance": rows["importance"].to_numpy(),
            "expected_benefit": rows["expected_benefit"].to_numpy(),
            "relative_cost": rows["relative_cost"].to_numpy(), "risk": rows["risk"].to_numpy(),
            "confidence": [confidence_text(pid, side, b) for pid, side in zip(rows["partner_id"], rows["side"],
                                                                               strict=True)],
        })
        for side in ("bullish", "bearish"):  # three calls a side; a missing one says so
            for _ in range(CALLS_PER_SIDE - int((frame["side"] == side).sum())):
                frame.loc[len(frame)] = [side, "none qualifies", None, None, None, None, None, ""]
        frame = frame.assign(_o=frame["side"].map({"bullish": 0, "bearish": 1})).sort_values("_o", kind="stable")
        frame = frame.drop(columns="_o").reset_index(drop=True)
        _table(slide, frame, MARGIN, BODY_TOP + Inches(0.1), SLIDE_W - 2 * MARGIN, font=14,
               widths=[0.8, 1.8, 1.1, 0.9, 1.0, 0.9, 0.7, 2.2], row_h=Inches(0.45))
        notes = "\n".join(f"{r['name']}: {r['rationale']}" for _, r in rows.iterrows())
        _text(slide, MARGIN, BODY_TOP + Inches(0.45) * (len(frame) + 1) + Inches(0.3), SLIDE_W - 2 * MARGIN,
              Inches(2.0), notes, 12)


def confidence_text(partner_id: str, side: str, b: BriefInputs) -> str:
    """How sure a call is: P(call) from robustness when run, and the data coverage (low confidence named)."""
    parts = []
    rob = b.robustness
    col = "p_bullish" if side == "bullish" else "p_bearish"
    if rob is not None and col in rob.columns and partner_id in rob.index and pd.notna(rob.at[partner_id, col]):
        parts.append(f"P({side}) {100 * float(rob.at[partner_id, col]):.0f}%")
    if partner_id in b.scores.index and "coverage" in b.scores:
        cov = float(b.scores.at[partner_id, "coverage"])
        low = bool(b.scores.at[partner_id, "low_confidence"]) if "low_confidence" in b.scores else False
        parts.append(f"data {100 * cov:.0f}%" + (" — low confidence" if low else ""))
    return " · ".join(parts) or "–"


def _robustness_slide(prs: Any, b: BriefInputs) -> None:
    if b.robustness is None or b.robustness.empty:
        slide = _slide(prs, b.meta, "Robustness", "Not run for this deck")
        _text(slide, MARGIN, BODY_TOP + Inches(0.3), SLIDE_W - 2 * MARGIN, Inches(1.5),
              "Robustness (Monte Carlo over the weights) was not run for this scenario. Run it in the app or "
              "with `python -m prioritizer brief` without --no-robustness to show rank intervals here.", 18)
        return
    slide = _slide(prs, b.meta, "Robustness — rank intervals under weight uncertainty",
                   "Diamond = rank today; bar = 5th–95th percentile over the weight draws (top 20)")
    chart = rank_interval_chart(b.robustness, top_n=20, presentation=True)
    _picture(slide, _chart_png(chart), MARGIN, BODY_TOP + Inches(0.1), Inches(7.4), BODY_H - Inches(0.1))
    r = b.robustness.sort_values("rank").head(12)
    cols = [c for c in ("name", "rank", "rank_p5", "rank_p95", "p_top10") if c in r.columns]
    _table(slide, r[cols], Inches(8.2), BODY_TOP + Inches(0.1), Inches(4.7), font=11, widths=[2, 1, 1, 1, 1.2],
           row_h=Inches(0.3))


def _appendix_slide(prs: Any, b: BriefInputs, basis: str) -> None:
    slide = _slide(prs, b.meta, "Method and data", "How the numbers were made")
    total = sum(b.weights.values()) or 1.0
    weights = "; ".join(f"{CATEGORY_LABELS.get(k, k)} {100 * v / total:.0f}%"
                        for k, v in b.weights.items())
    low = b.scores[b.scores.get("low_confidence", pd.Series(False, index=b.scores.index)).fillna(False)
                   .astype(bool)] if "low_confidence" in b.scores else b.scores.iloc[0:0]
    names = ", ".join(low["name"].astype(str).head(10)) + (f" and {len(low) - 10} more" if len(low) > 10 else "")
    noun = "partner" if len(low) == 1 else "partners"
    lines = [f"Weights ({b.profile_name}): {weights}" if weights else f"Weight profile: {b.profile_name}",
             f"Priority: {columns.BASIS_WORDS.get(basis, basis)}.",
             "Baseline funding: proxy — DSCA FMF-financed sales FY2020–24 annual mean (negative adjustments "
             "clipped), with US aid obligations alongside.",
             f"Coverage: {len(low)} {noun} below {b.coverage_threshold:.0%} data coverage (low confidence)"
             + (f": {names}." if len(low) else ".")]
    if b.allocation is not None:
        res = b.allocation
        lines.append(f"Allocation: solver {res.solver}, status {res.status}; budget ${res.budget_usd_m:,.1f}M, "
                     f"total benefit {res.total_benefit:,.1f}.")
    _text(slide, MARGIN, BODY_TOP, Inches(6.6), BODY_H, "\n\n".join(lines), 14)
    if b.dictionary is not None and len(b.dictionary):
        d = b.dictionary.reset_index()
        frame = d.groupby("source", sort=False).agg(indicators=("indicator_id", "count"),
                                                    dictionary_year=("year", "max")).reset_index()
        frame["indicators"] = frame["indicators"].astype(str)
        _table(slide, frame.head(16), Inches(7.3), BODY_TOP, Inches(5.6), font=10, widths=[3, 1, 1],
               row_h=Inches(0.27))


def build_deck(b: BriefInputs) -> bytes:
    """The .pptx bytes of the briefing deck for ``b`` (see the module docstring for the slides)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    basis = basis_kind(b.scores)
    _title_slide(prs, b, basis)
    _top_sheet_slide(prs, b, basis)
    _matrix_slide(prs, b, basis)
    if b.allocation is not None:
        _allocation_slides(prs, b)
    if b.bullbear is not None and len(b.bullbear):
        _bullbear_slides(prs, b)
    _robustness_slide(prs, b)
    _appendix_slide(prs, b, basis)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
