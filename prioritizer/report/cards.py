"""HTML and text formatting for the app's views: money and percentages, score colours, how a table column is
shown (header, kind, format), and the bullish/bearish cards (escaped HTML with glossary tooltips).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.allocation.bullbear import unlisted_cut_text
from prioritizer.charts.style import money_text
from prioritizer.domain import COMMANDS
from prioritizer.report.view_tables import GLOSSARY


def money(x: Any, signed: bool = True) -> str:
    """US$ millions as text, e.g. '+$12.3M' (signed) or '$12.3M'; '–' when missing (the charts' and deck's
    :func:`~prioritizer.charts.style.money_text`, with a dash for a missing value)."""
    if x is None or pd.isna(x):
        return "–"
    return money_text(float(x), signed=signed)


def pct(x: Any) -> str:
    """A 0–1 share as a percentage, '–' when missing."""
    return "–" if x is None or pd.isna(x) else f"{100 * float(x):.0f}%"


def score_colour(value: Any) -> str:
    """CSS background for a 0–100 score: light to dark blue (white text on dark); blank for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return "background-color: #F2F2F2; color: #777777"
    v = float(np.clip(float(value), 0.0, 100.0)) / 100.0
    low, high = np.array([0xF3, 0xF7, 0xFB]), np.array([0x08, 0x30, 0x6B])
    rgb = (low + (high - low) * v).round().astype(int)
    text = "#FFFFFF" if v > 0.55 else "#1A1A1A"
    return f"background-color: #{rgb[0]:02X}{rgb[1]:02X}{rgb[2]:02X}; color: {text}"


def score_colours(frame: pd.DataFrame) -> pd.DataFrame:
    """Vectorised :func:`score_colour` for a frame of 0–100 scores (same index and columns)."""
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    v = np.clip(values, 0.0, 100.0) / 100.0
    low, high = np.array([0xF3, 0xF7, 0xFB], dtype=float), np.array([0x08, 0x30, 0x6B], dtype=float)
    rgb = np.rint(low + (high - low) * np.nan_to_num(v)[..., None]).astype(int)
    hexes = np.char.add(np.char.add(np.char.mod("%02X", rgb[..., 0]), np.char.mod("%02X", rgb[..., 1])),
                        np.char.mod("%02X", rgb[..., 2]))
    css = np.char.add(np.char.add("background-color: #", hexes),
                      np.where(v > 0.55, "; color: #FFFFFF", "; color: #1A1A1A"))
    css = np.where(np.isnan(values), "background-color: #F2F2F2; color: #777777", css)
    return pd.DataFrame(css, index=frame.index, columns=frame.columns)



COLUMN_DISPLAY: dict[str, tuple[str, str, str]] = {
    # column: (header, kind, printf format or "" for text). kind: text | number | percent | money
    "partner_id": ("ID", "text", ""), "name": ("Partner", "text", ""), "command": ("Command", "text", ""),
    "partner_type": ("Type", "text", ""), "priority": ("Priority", "number", "%.0f"),
    "propensity": ("Propensity", "number", "%.1f"),
    "propensity_p5": ("Propensity p5", "number", "%.1f"), "propensity_p95": ("Propensity p95", "number", "%.1f"),
    "baseline_usd_m": ("Baseline $M", "money", "%.1f"), "allocation_usd_m": ("Recommended $M", "money", "%.1f"),
    "change_usd_m": ("Change $M", "money", "%+.1f"), "change_pct": ("Change %", "number", "%+.0f%%"),
    "benefit": ("Benefit", "number", "%.2f"),
    "marginal_benefit_per_usd_m": ("Benefit of next $1M", "number", "%.3f"),
    "lower_usd_m": ("Floor $M", "money", "%.1f"), "upper_usd_m": ("Cap $M", "money", "%.1f"),
    "mechanism": ("Mechanism id", "text", ""), "label": ("Mechanism", "text", ""),
    "partners_funded": ("Partners funded", "number", "%d"),
    "constraint": ("Constraint", "text", ""), "group": ("Kind", "text", ""), "subject": ("Applies to", "text", ""),
    "amount_usd_m": ("Limit $M", "money", "%.1f"), "dual": ("Benefit of +$1M on the limit", "number", "%+.4f"),
    "rank": ("Rank", "number", "%d"), "rank_p5": ("Rank p5", "number", "%d"),
    "rank_p50": ("Rank median", "number", "%d"), "rank_p95": ("Rank p95", "number", "%d"),
    "p_top10": ("P(top 10)", "percent", "%.0f%%"),
    "base_call": ("Call today", "text", ""), "p_bullish": ("P(bullish)", "percent", "%.0f%%"),
    "p_bearish": ("P(bearish)", "percent", "%.0f%%"), "funded_share": ("P(funded)", "percent", "%.0f%%"),
    "core_class": ("Robust core", "text", ""), "tip_delta": ("Share change", "percent", "%+.0f pp"),
    "tip_category": ("Category changed", "text", ""), "tip_share": ("Category share at the tip", "percent", "%.0f%%"),
    "tip_change": ("Effect", "text", ""), "rank_a": ("Rank A", "number", "%d"), "rank_b": ("Rank B", "number", "%d"),
    "rank_shift": ("Rank shift (+ = up in B)", "number", "%+d"), "propensity_a": ("Propensity A", "number", "%.1f"),
    "propensity_b": ("Propensity B", "number", "%.1f"), "propensity_change": ("Change", "number", "%+.1f"),
    "usd_m_a": ("A $M", "money", "%.1f"), "usd_m_b": ("B $M", "money", "%.1f"),
    "delta_usd_m": ("B − A $M", "money", "%+.1f"), "note": ("Note", "text", ""),
}
"""How app tables show a column: header, kind and format. Percent kinds hold shares 0–1 (shown ×100)."""


def column_display(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """Display spec for the known columns of a table: {column: {"label", "kind", "format"}}.

    Unknown columns are left out (shown as they are). Money columns are US$ millions per year.
    """
    return {c: {"label": COLUMN_DISPLAY[c][0], "kind": COLUMN_DISPLAY[c][1], "format": COLUMN_DISPLAY[c][2]}
            for c in columns if c in COLUMN_DISPLAY}


def as_display_percent(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every percent-kind column (shares 0–1) multiplied by 100 for display."""
    out = frame.copy()
    for c, spec in column_display(out.columns).items():
        if spec["kind"] == "percent":
            out[c] = pd.to_numeric(out[c], errors="coerce") * 100.0
    return out


# ------------------------------------------------------------------------------------ bullish / bearish


def bullbear_cards(table: pd.DataFrame, robust: pd.DataFrame | None = None) -> dict[str, dict[str, list[dict]]]:
    """Cards per command: {command: {"bullish": [card, …], "bearish": [card, …]}}.

    A card has name, call_usd_m (the recommended change from the reference), change_usd_m (from the
    baseline), reference_usd_m, importance, expected_benefit, relative_cost, risk, rationale and,
    when robustness has been run, p_bullish / p_bearish (0–1).
    """
    out: dict[str, dict[str, list[dict]]] = {}
    if table is None or table.empty:
        return out
    commands = [c for c in COMMANDS if c in set(table["command"])] + sorted(set(table["command"]) - set(COMMANDS))
    for command in commands:
        out[command] = {"bullish": [], "bearish": []}
        rows = table[table["command"] == command].sort_values(["side", "rank"])
        for _, r in rows.iterrows():
            card = {k: (None if k not in r or pd.isna(r[k]) else r[k]) for k in
                    ("partner_id", "name", "call_usd_m", "change_usd_m", "reference_usd_m", "importance",
                     "expected_benefit", "relative_cost",
                     "risk", "baseline_usd_m", "allocation_usd_m", "roi_per_usd_m", "rationale", "rank")}
            for col in ("p_bullish", "p_bearish", "core_class", "rank_p5", "rank_p95"):
                val = None
                if robust is not None and col in robust.columns and r["partner_id"] in robust.index:
                    v = robust.at[r["partner_id"], col]
                    val = None if pd.isna(v) else v
                card[col] = val
            side = str(r["side"])
            if side in out[command]:
                out[command][side].append(card)
    return out


def card_html(card: Mapping[str, Any], side: str, compact: bool = False) -> str:
    """One bullish/bearish entry as HTML: name, $ change, ROI components, robustness, rationale (escaped);
    ``compact`` (presentation mode) leaves the rationale and the reference note out so six commands fit one
    screen (both stay in the normal view, the workbook and the deck)."""
    css = "pp-bull" if side == "bullish" else "pp-bear"
    prob = card.get("p_bullish") if side == "bullish" else card.get("p_bearish")
    robust = f" · P({side}) {pct(prob)}" if prob is not None else ""

    def tip(term: str) -> str:
        return f'<abbr title="{html.escape(GLOSSARY[term])}">{term}</abbr>'

    def num(key: str, fmt: str) -> str:
        v = card.get(key)
        return "–" if v is None or pd.isna(v) else format(float(v), fmt)

    call = card.get("call_usd_m") if card.get("call_usd_m") is not None else card.get("change_usd_m")
    return (f'<div class="pp-item"><b>{html.escape(str(card.get("name") or card.get("partner_id")))}</b> '
            f'<span class="{css}">{money(call)}</span>{"" if compact else reference_note(card)}<br>'
            f'<span class="pp-small">{tip("importance")} {num("importance", ".0f")} · {tip("benefit")} '
            f'{num("expected_benefit", ".2f")} · {tip("relative cost")} {num("relative_cost", ".2f")} · '
            f'{tip("risk")} {num("risk", ".2f")}{robust}</span>'
            + ("" if compact else f'<br><span class="pp-small">{html.escape(short_rationale(card.get("rationale")))}'
               '</span>') + '</div>')


def reference_note(card: Mapping[str, Any], tolerance_usd_m: float = 0.05) -> str:
    """Where the call is measured from when that is not the baseline: ' from $3.7M eligible (baseline $15.7M)'
    (eligibility gates close part of the baseline) or ' from $3,300.0M with locks (baseline $2,582.5M)'
    (an MOU or earmark lock raises it); '' when reference and baseline agree."""
    ref, base = card.get("reference_usd_m"), card.get("baseline_usd_m")
    if ref is None or base is None or pd.isna(ref) or pd.isna(base) or abs(float(ref) - float(base)) <= tolerance_usd_m:
        return ""
    what = "eligible" if float(ref) < float(base) else "with locks"
    return (f' <span class="pp-small">from {money(float(ref), signed=False)} {what} (baseline '
            f'{money(float(base), signed=False)})</span>')


def short_rationale(text: Any) -> str:
    """The rationale without what the card already shows: the leading "Surge +$x M: " / "Reduce −$x M: "
    and the trailing "; priority n" (kept: "held at its minimum" and the drivers)."""
    out = str(text or "")
    out = re.sub(r"^(Surge|Reduce) [+−-]?\$[\d,.]+ ?M( \(([^)]*)\))?: ", lambda m: f"{m.group(3)}: " if m.group(3)
                 else "", out)
    out = re.sub(r"; priority \d+(\.\d+)?$", "", out)
    return out[:1].upper() + out[1:]


def offsets_text(offsets: pd.DataFrame, command: str, compact: bool = False) -> str:
    """One line under a command card: listed surge, listed cuts and the command's total change, and the largest
    cut not on the list; ``compact`` (presentation mode) drops the listed sums, which the cards below show."""
    frame = offsets.set_index("command") if "command" in offsets.columns else offsets
    if command not in frame.index:
        return ""
    row = frame.loc[command]
    parts = [] if compact else [f"listed surge {money(row.get('surge_usd_m'))}",
                                f"listed cuts {money(-float(row.get('offsets_usd_m', 0)))}"]
    if "command_change_usd_m" in row and pd.notna(row["command_change_usd_m"]):
        parts.append(f"command total {money(row['command_change_usd_m'])}")
    unlisted = unlisted_cut_text(row, money)
    return " · ".join(parts + ([unlisted] if unlisted else []))
