"""Page furniture shared by every view: page setup and CSS, the marking bands and the header, charts
(presentation styling, PNG/SVG downloads), read-only tables with planner headers, plain-words helpers
(singular/plural counts, local times, glossary tooltips)."""

from __future__ import annotations

import datetime as dt
import html
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import altair as alt
import pandas as pd
import streamlit as st

from prioritizer import scenario
from prioritizer.charts.export.image import to_png, to_svg
from prioritizer.charts.style import LABEL_SIZE, ChartMeta, marking_colour
from prioritizer.report.cards import as_display_percent, column_display, money
from prioritizer.report.view_tables import GLOSSARY, file_stem

ss = st.session_state
LOG = logging.getLogger("partner_prioritizer.app")


def page_setup() -> None:
    present = bool(ss.get("presentation", False))
    st.set_page_config(page_title="Partner Prioritizer", page_icon=None, layout="wide",
                       initial_sidebar_state="collapsed" if present else "expanded",
                       menu_items={"Get help": None, "Report a bug": None, "About": "Partner Prioritizer"})
    base_css = """
    <style>
    .pp-marking {text-align:center;font-weight:700;color:#fff;letter-spacing:.08em;padding:2px 0;
                 border-radius:2px;font-size:0.9rem;}
    .pp-head {display:flex;justify-content:space-between;align-items:baseline;border-bottom:2px solid #1F4E79;
              margin:6px 0 10px 0;padding-bottom:4px;}
    .pp-title {font-size:1.7rem;font-weight:700;color:#1F4E79;}
    .pp-meta {font-size:1rem;color:#333;}
    .pp-card-head {font-size:1.15rem;font-weight:700;color:#1F4E79;margin-bottom:2px;}
    .pp-item {margin:4px 0 8px 0;line-height:1.3;}
    .pp-bull {color:#0072B2;font-weight:700;} .pp-bear {color:#D55E00;font-weight:700;}
    .pp-small {font-size:0.85rem;color:#444;}
    .block-container {padding-top:2.6rem;padding-bottom:1rem;}
    </style>"""
    present_css = """
    <style>
    html {font-size:20px;}
    .block-container {padding-top:1.4rem;max-width:100%;padding-left:2.2rem;padding-right:2.2rem;}
    header[data-testid="stHeader"] {background:transparent;}
    .pp-title {font-size:2.0rem;} .pp-meta {font-size:1.15rem;}
    .pp-marking {font-size:1.05rem;}
    [data-testid="stDataFrame"] {font-size:1.05rem;}
    .pp-item {margin:2px 0 5px 0;line-height:1.22;}
    .pp-export {display:none;}
    .pp-marking[data-band] {position:fixed;left:0;right:0;z-index:999990;border-radius:0;pointer-events:none;}
    .pp-marking[data-band="top"] {top:0;} .pp-marking[data-band="bottom"] {bottom:0;}
    [data-testid="stMain"] [data-testid="stCaptionContainer"] {display:none;}
    [data-testid="stMain"] .stButton {display:none;}
    .block-container {padding-bottom:2.4rem;}
    </style>"""
    st.markdown(base_css + (present_css if present else ""), unsafe_allow_html=True)


def marking_band(marking: str, where: str = "bottom") -> None:
    """The marking line as a banner; in presentation mode pinned to the top / bottom edge of the screen."""
    colour = marking_colour(marking)
    st.markdown(f'<div class="pp-marking" data-band="{where}" style="background:{colour}">{html.escape(marking)}'
                '</div>', unsafe_allow_html=True)


def header_band(scen: dict[str, Any], view: str, budget: float | None = None, basis: str | None = None) -> None:
    marking_band(scen["marking"], "top")
    today = dt.datetime.now(user_timezone())
    meta = f"Scenario: <b>{html.escape(scen['name'])}</b> · {today.day} {today.strftime('%b %Y')} · profile " \
           f"{html.escape(scen['profile'])}"
    if budget is not None:
        meta += f" · budget <b>{money(budget, signed=False)}</b>/yr"
    if basis:
        meta += " · priority: <b>" + ("proxy" if basis in ("proxy", "mixed") else "planner's" if basis == "planner"
                                       else "neutral default") + "</b>"
    st.markdown(f'<div class="pp-head"><span class="pp-title">{html.escape(scenario.VIEWS[view])}</span>'
                f'<span class="pp-meta">{meta}</span></div>', unsafe_allow_html=True)


def chart_meta(scen: dict[str, Any], title: str, subtitle: str | None = None) -> ChartMeta:
    return ChartMeta(title=title, scenario=scen["name"], marking=scen["marking"], subtitle=subtitle)


def show_chart(chart: Any, scen: dict[str, Any], title: str, key: str, stretch: bool = True,
               grow: bool = True) -> None:
    """Render an Altair chart and, outside presentation mode, PNG/SVG downloads made on click.

    In presentation mode the on-screen chart gets larger text (and, if ``grow``, 35 % more height so rows
    do not crowd); the downloads always use the standard export styling."""
    export = chart
    if scen["presentation"]:
        chart = large_fonts(chart)
        height = getattr(chart, "height", alt.Undefined)
        if grow and isinstance(height, int | float):
            chart = chart.properties(height=int(height * 1.35))
    st.altair_chart(chart, theme=None, width="stretch" if stretch else "content")
    if scen["presentation"]:
        return
    meta = chart_meta(scen, title)
    stem = file_stem(scen["name"], key)
    row = st.container(horizontal=True, gap="small")
    c1 = c2 = row
    c1.download_button("PNG", data=lambda: to_png(export, meta), file_name=f"{stem}.png", mime="image/png",
                       key=f"dl_{key}_png", on_click="ignore", icon=":material/image:")
    c2.download_button("SVG", data=lambda: to_svg(export, meta).encode("utf-8"), file_name=f"{stem}.svg",
                       mime="image/svg+xml", key=f"dl_{key}_svg", on_click="ignore", icon=":material/draw:")


def large_fonts(chart: Any) -> Any:
    """Presentation mode: the same chart with larger axis and legend text for a projected slide."""
    legend = chart.config.legend if chart.config is not alt.Undefined else alt.Undefined
    columns = getattr(legend, "columns", 3) if legend is not alt.Undefined else 3
    return chart.configure_axis(labelFontSize=18, titleFontSize=19, labelLimit=360, titleFontWeight="normal",
                                gridColor="#E6E6E6").configure_legend(
        labelFontSize=17, titleFontSize=17, labelLimit=0, symbolSize=180, orient="bottom", direction="horizontal",
        columns=min(columns, 2) if isinstance(columns, int) else 2)  # whole labels: two columns, no "…"


def narrow_legend(chart: Any, columns: int = 2) -> Any:
    """The chart with its bottom legend in fewer columns, so it fits a half-width column on screen."""
    return chart.configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE, labelLimit=260,
                                  symbolSize=140, orient="bottom", direction="horizontal", columns=columns)


def display_table(frame: pd.DataFrame, key: str, **kwargs: Any) -> None:
    """A read-only table with planner-facing headers and number formats (``views.COLUMN_DISPLAY``)."""
    config: dict[str, Any] = {}
    for col, spec in column_display(frame.columns).items():
        if spec["kind"] == "text":
            config[col] = st.column_config.TextColumn(spec["label"])
        else:
            config[col] = st.column_config.NumberColumn(spec["label"], format=spec["format"] or None)
    config |= kwargs.pop("column_config", {})
    st.dataframe(as_display_percent(frame), hide_index=True, key=key, column_config=config, **kwargs)


def table_height(rows: int, limit: int = 30) -> int:
    """Pixel height that shows ``rows`` rows (up to ``limit``) of an st.dataframe without scrolling."""
    return 35 * (min(rows, limit) + 1) + 3


# ------------------------------------------------------------------------------------------- plain words


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 partner', '2 partners', '0 partners' (``many`` for irregular plurals: 'limit relaxed')."""
    n = int(n)
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def user_timezone() -> dt.tzinfo | None:
    """The browser's time zone (``st.context.timezone``), or None when unknown (then the server's local time)."""
    name = getattr(st.context, "timezone", None)
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_time(iso: Any, tz: dt.tzinfo | None = None) -> str:
    """An ISO 8601 time (as the store writes it, UTC) as the user's local date and time: '2 Dec 2026, 14:05'.
    Text that is not a time is returned as it is."""
    if not isinstance(iso, str) or not iso:
        return "" if iso is None else str(iso)
    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(tz if tz is not None else user_timezone())
    return f"{when.day} {when.strftime('%b %Y, %H:%M')}"


def glossary(term: str) -> str:
    """The plain-language meaning of a term for a tooltip (``views.GLOSSARY``)."""
    return GLOSSARY[term]


# ------------------------------------------------------------------------------------------------ pages


def run_page(view: str, render: Any) -> None:
    """Draw a page with the context the entry script prepared (``ss['page_ctx']``); an unexpected error
    becomes a clear message and the other views keep working."""
    ctx = ss.get("page_ctx")
    if ctx is None or ctx.get("view") != view:
        return  # the scenario could not be scored: app.py has shown why
    try:
        render(ctx)
    except Exception as exc:  # last resort: a clear message, the rest of the app keeps working
        LOG.exception("view %s failed", view)
        st.error(f"Internal error in the {scenario.VIEWS[view]} view ({type(exc).__name__}). "
                 "The other views still work; details are in the server log. "
                 "Please report this with the scenario link.")
