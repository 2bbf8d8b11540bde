"""The one-click briefing pack: a zip of every chart as PNG (2× scale) and SVG with the marking line,
the workbook, the summary (Markdown and HTML) and a README. Rendering is offline (vl-convert)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping

from prioritizer.charts.export.image import to_png_and_svg
from prioritizer.charts.style import TOOL_NAME, AnyChart, ChartMeta
from prioritizer.report.summary import markdown_to_html


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
