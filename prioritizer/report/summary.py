"""The one-page plain-language scenario summary (Markdown) and its self-contained HTML page.

User-supplied text (partner names, rationales) is Markdown-escaped, then HTML-escaped: no scripts, no
external resources. Money in US$ M per year (:func:`prioritizer.charts.style.money_text`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.charts.style import TOOL_NAME, ChartMeta, money_text
from prioritizer.errors import InputError

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>])")


def md_escape(text: Any) -> str:
    """Escape Markdown control characters in user-supplied text (partner names, rationales)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def count_noun(count: int, noun: str) -> str:
    """"1 partner", "3 partners": the count with its noun, singular or plural."""
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
    lines.append(f"{count_noun(len(s), 'partner')} scored on propensity (0–100; higher = security cooperation "
                 f"more likely to work)" + (f"; {unscored} without a score" if unscored else "") + ".")
    lines.append("")
    for _, r in s[s["rank"].notna()].head(top_n).iterrows():  # unranked (low coverage) partners are listed below
        cmd = f" ({md_escape(r['command'])})" if "command" in s and pd.notna(r.get("command")) else ""
        flag = " — low confidence" if bool(r.get("low_confidence", False)) is True else ""
        lines.append(f"- {int(r['rank'])}. **{md_escape(r['name'])}**{cmd}: {r['propensity']:.0f}{flag}")
    lines.append("")
    if len(low):
        shown = ", ".join(md_escape(n) for n in low["name"].head(8))
        more = f" and {len(low) - 8} more" if len(low) > 8 else ""
        lines += [f"Low confidence (data coverage below the threshold): {count_noun(len(low), 'partner')} — "
                  f"{shown}{more}. They are not ranked; treat their scores as indicative.", ""]

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
                lines.append(f"- **{q.capitalize()}** ({what}): {count_noun(len(members), 'partner')}, {lead} {names}")
        lines.append("")

    if allocation_totals is not None and len(allocation_totals):
        totals = dict(allocation_totals.items())
        lines += ["## Allocation (US$ millions per year)", ""]
        for k, v in totals.items():
            label = _TOTAL_LABELS.get(str(k), str(k).removesuffix("_usd_m").replace("_", " ").capitalize())
            if isinstance(v, Number | np.number) and not isinstance(v, bool):
                signed = str(k).startswith("change")
                lines.append(f"- {md_escape(label)}: {money_text(float(v), signed=signed)}")
            else:
                lines.append(f"- {md_escape(label)}: {md_escape(v)}")
        if "change_usd_m" not in totals and {"baseline_usd_m", "recommended_usd_m"} <= set(totals):
            change = float(totals["recommended_usd_m"]) - float(totals["baseline_usd_m"])
            lines.append(f"- Change vs baseline: {money_text(change, signed=True)}")
        lines.append("")

    if bullbear is not None and len(bullbear):
        lines += ["## Bullish (surge) and bearish (reduce) by command", ""]
        bb = bullbear.sort_values(["command", "side", "rank"])
        for cmd, grp in bb.groupby("command", sort=True):
            parts = []
            for side in ("bullish", "bearish"):
                rows = grp[grp["side"].astype(str).str.lower() == side]
                if len(rows):
                    key = "call_usd_m" if "call_usd_m" in rows else "change_usd_m"  # from the reference
                    items = ", ".join(
                        f"{md_escape(r['name'])} ({money_text(float(r[key]), signed=True)})"
                        if pd.notna(r.get(key)) else md_escape(r["name"])
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
