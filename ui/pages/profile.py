"""Partner profile: headline numbers, category and construct scores, overrides, indicator values, peers."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.charts.profile import category_bars, construct_bars
from prioritizer.report.cards import money
from prioritizer.report.view_tables import (
    filter_scores,
    partner_choices,
    partner_headline,
    partner_peers,
    profile_indicator_table,
    profile_overrides,
)
from ui import layout

VIEW = "profile"
ss = st.session_state


def render(ctx: dict[str, Any]) -> None:
    scen, result, dataset = ctx["scenario"], ctx["result"], ctx["dataset"]
    scores = result.scores
    choices = partner_choices(filter_scores(scores, scen["filters"])) or partner_choices(scores)
    if ss.get("partner") not in choices:
        ss["partner"] = choices[0]
    pid = st.selectbox("Partner", choices, key="partner", persist_state="session",
                       format_func=lambda p: f"{scores.at[p, 'name']} ({p})")
    h = partner_headline(scores, pid)
    cols = st.columns(6)
    cols[0].metric("Propensity", "–" if h["propensity"] is None else f"{h['propensity']:.0f}")
    cols[1].metric("Rank", "–" if h["rank"] is None else f"{h['rank']} of {h['of']}")
    cols[2].metric(f"Rank in {h['command']}", "–" if h["rank_in_command"] is None
                   else f"{h['rank_in_command']} of {h['of_command']}")
    cols[3].metric("Data coverage", f"{100 * h['coverage']:.0f}%", help=layout.glossary("coverage"))
    cols[4].metric("Priority", f"{h['priority']:.0f}", help=scores.at[pid, "priority_basis"])
    cols[5].metric("Baseline", money(h["baseline_usd_m"], signed=False))
    facts = f"{h['name']} · {h['command']} · {h['region']} · {h['partner_type']} · quadrant **{h['quadrant']}**"
    if h["funding_flag"]:
        facts += f" · funding flag: **{h['funding_flag']}**"
    st.markdown(facts)
    if h["low_confidence"]:
        st.warning(f"Low confidence: for {h['name']}, less than the threshold share of the weight is backed by "
                   f"data (coverage {100 * h['coverage']:.0f}%).")
    left, right = st.columns([0.9, 1.1])
    with left:
        st.markdown("**Category scores** (tick = median partner)")
        row = scores.loc[pid]
        median = scores[[c for c in scores.columns if c.endswith("_score")]].median()
        layout.show_chart(category_bars(row, reference=median), scen, f"{h['name']} — category scores",
                   "profile_categories")
    with right:
        st.markdown("**Construct scores** (overrides marked)")
        chart = construct_bars(result.constructs.loc[pid], dataset.constructs, result.overridden.loc[pid])
        layout.show_chart(layout.narrow_legend(chart), scen, f"{h['name']} — construct scores", "profile_constructs")
    over = profile_overrides(scen, pid, dataset.constructs)
    st.markdown("**Planner overrides**")
    if over.empty:
        st.caption("No construct overrides for this partner in this scenario.")
    else:
        st.dataframe(over, hide_index=True, key="profile_overrides")
    st.markdown("**Indicator values** (raw value, data year and source)")
    table = profile_indicator_table(dataset, result, pid)
    st.dataframe(table, hide_index=True, key="profile_indicators", column_config={
        "value": st.column_config.NumberColumn("Value", format="%.3g"),
        "score_0_100": st.column_config.NumberColumn("Score 0–100", format="%.0f"),
        "weight_pct": st.column_config.NumberColumn("Weight %", format="%.1f"),
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "citation": st.column_config.TextColumn("Citation", width="large")})
    st.markdown("**Peers** (most similar construct profile)")
    st.dataframe(partner_peers(ctx["peers"], scores, pid), hide_index=True, key="profile_peers",
                 column_config={"propensity": st.column_config.NumberColumn(format="%.0f"),
                                "distance": st.column_config.NumberColumn(format="%.1f")})


if __name__ == "__main__":
    layout.run_page(VIEW, render)
