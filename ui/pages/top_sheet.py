"""Top sheet: the ranked partners with their category scores, priority, quadrant, money and confidence."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from prioritizer.charts.ranking import ranking_bar
from prioritizer.report.columns import priority_label, spec
from prioritizer.report.export import to_csv_bytes, workbook_bytes
from prioritizer.report.tables import scenario_settings_frame
from prioritizer.report.view_tables import (
    CATEGORY_SHORT,
    category_label,
    file_stem,
    filter_scores,
    ranking_summary,
    top_sheet,
)
from ui import layout

VIEW = "top_sheet"
HIDDEN_ON_SLIDE = ("partner_id", "region", "partner_type", "overrides", "peers", "confidence")
# Pixel widths on a projector (1920 px, sidebar collapsed: the grid is ~1830 px wide); they sum to ~1785 px
# so every briefing column (priority, quadrant, baseline, funding flag, six categories) shows without a scroll.
SLIDE_WIDTHS_PX = {"rank": 60, "name": 180, "command": 110, "propensity": 140, "priority": 150, "quadrant": 110,
                   "baseline_usd_m": 130, "funding_flag": 170, "coverage": 105}
SLIDE_CATEGORY_WIDTH_PX = 105


def low_confidence_text(shown: Any, limit: int = 6) -> str:
    """Who is low confidence (coverage below the threshold or unranked), by name: 'Low confidence: A, B and
    3 more partners' — or '' when nobody is."""
    low = shown["low_confidence"].astype(bool) if "low_confidence" in shown else shown["propensity"].isna()
    unranked = shown["rank"].isna() if "rank" in shown else low & False
    names = shown.loc[low | unranked, "name"].astype(str).tolist()
    if not names:
        return ""
    head = names[:limit]
    rest = len(names) - len(head)
    if rest:
        listed = ", ".join(head) + f" and {layout.plural(rest, 'more partner')}"
    else:
        listed = head[0] if len(head) == 1 else ", ".join(head[:-1]) + " and " + head[-1]
    return f"**Low confidence** (data coverage below the profile's threshold or no rank): {html.escape(listed)}."


def table_config(table: Any, ctx: dict[str, Any], present: bool) -> dict[str, Any]:
    """Planner headers, formats and glossary tooltips for the top-sheet grid (no Styler: a plain frame
    with column formats is ~50× faster to send, which keeps a weight change under 0.35 s)."""
    bar = {"min_value": 0, "max_value": 100, "format": "%.0f"}
    config = {"partner_id": st.column_config.TextColumn("ID", width="small"),
              "rank": st.column_config.NumberColumn("Rank", width="small", format="%d"),
              "name": st.column_config.TextColumn("Partner", width="medium"),
              "command": "Command", "region": "Region", "partner_type": "Type",
              "propensity": st.column_config.ProgressColumn("Propensity", help="0–100, higher = SC more likely to "
                                                            "work", color="#1F4E79", **bar),
              "coverage": st.column_config.NumberColumn("Data coverage", help=layout.glossary("coverage"),
                                                        format="%.0f%%"),
              "confidence": st.column_config.TextColumn("Low conf.", width="small",
                                                        help="LOW = coverage below the profile's threshold"),
              "priority": st.column_config.NumberColumn(priority_label(ctx["basis"]), format="%.0f",
                                                        help=spec("priority").description),
              "quadrant": st.column_config.TextColumn("Quadrant", help=layout.glossary("quadrant")),
              "baseline_usd_m": st.column_config.NumberColumn("Baseline ($M/yr)", format="$%.1fM"),
              "funding_flag": "Funding flag", "overrides": "Overrides", "peers": "Peers"}
    for c in table.columns:
        if c.endswith("_score"):
            label = CATEGORY_SHORT.get(c.removesuffix("_score"), category_label(c)) if present \
                else category_label(c)
            config[c] = st.column_config.ProgressColumn(
                label, help=f"{category_label(c)}, 0–100 (higher = better for SC)", **bar)
    if present:
        for c, cfg in config.items():
            width = SLIDE_CATEGORY_WIDTH_PX if c.endswith("_score") else SLIDE_WIDTHS_PX.get(c)
            if width is None:
                continue
            if isinstance(cfg, str):
                cfg = st.column_config.Column(cfg)
            config[c] = {**cfg, "width": width}
    return config


def render(ctx: dict[str, Any]) -> None:
    scen, ranked = ctx["scenario"], ctx["ranked"]
    present = scen["presentation"]
    shown = filter_scores(ranked, scen["filters"])
    summary = ranking_summary(shown)
    cols = st.columns(4)
    cols[0].metric("Partners shown", f"{summary['partners']}")
    cols[1].metric("Top propensity", f"{summary['top_score']:.0f}" if summary["top_score"] is not None else "–",
                   help=summary["top_name"])
    cols[2].metric("Median propensity", f"{summary['median']:.0f}" if summary["partners"] else "–")
    cols[3].metric("Low confidence", f"{summary['low_confidence']}", help=layout.glossary("coverage"))
    if shown.empty:
        st.warning("No partner matches the filters. Clear a filter in the sidebar.")
        return
    if summary["top_name"]:
        st.markdown(f"**Highest propensity:** {html.escape(summary['top_name'])} · "
                    f"{layout.plural(len(shown), 'partner')} · scores 0–100, higher = security cooperation more "
                    "likely to work")
    low = low_confidence_text(shown)
    if low and not present:
        st.markdown(low)
    table = top_sheet(shown)
    if "coverage" in table:  # shown as a whole percentage (89%), exported as the 0–1 share
        table["coverage"] = (table["coverage"] * 100).round()
    if present:  # fits 1920 px without a horizontal scroll: the columns a briefing needs
        table = table.drop(columns=[c for c in HIDDEN_ON_SLIDE if c in table.columns])
    height = 38 * min(len(table), 20) + 40 if present else 35 * min(len(table), 18) + 40
    st.dataframe(table, hide_index=True, column_config=table_config(table, ctx, present), height=height,
                 key="top_sheet_table", row_height=38 if present else None)
    if not present:
        stem = file_stem(scen["name"], "ranking")
        c1, c2, _ = st.columns([1, 1, 5])
        c1.download_button("Download CSV", data=lambda: to_csv_bytes(
            shown, scen["marking"], priority_basis=ctx["basis"]), file_name=f"{stem}.csv",
                           mime="text/csv", key="dl_top_csv", on_click="ignore", icon=":material/download:")
        c2.download_button("Download Excel", data=lambda: workbook_bytes(
            {"Rankings": shown, "Scenario settings": scenario_settings_frame(scen)},
            {"Scenario": scen["name"], "Marking": scen["marking"]}, priority_basis=ctx["basis"]),
            file_name=f"{stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_top_xlsx",
            on_click="ignore", icon=":material/table:")
    if not present:
        ranking_chart(shown, scen)


@st.fragment
def ranking_chart(shown: Any, scen: dict[str, Any]) -> None:
    """The optional ranking bar chart; its toggle reruns this part only."""
    if st.toggle("Show ranking chart (top 30)", key="show_ranking_chart"):
        layout.show_chart(ranking_bar(shown.set_index("partner_id"), top_n=30), scen,
                          "Propensity ranking — top 30", "ranking_bar")


if __name__ == "__main__":
    layout.run_page(VIEW, render)
