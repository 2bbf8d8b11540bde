"""Robustness: rank intervals under weight uncertainty, the tornado of one partner, tipping points."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from prioritizer.charts.robustness import rank_interval_chart, tornado_chart
from prioritizer.errors import InputError
from prioritizer.report.view_tables import filter_scores, partner_choices, robustness_table, tornado_for
from ui import layout, panels

VIEW = "robustness"
ss = st.session_state


def render(ctx: dict[str, Any]) -> None:
    scen, scores = ctx["scenario"], ctx["result"].scores
    out = panels.run_panel("robustness", "Run robustness", "run_robustness", ctx,
                    "Monte Carlo over the category weights around the current scenario, one-way swings (tornado) "
                    "and tipping points. Runs only when you press the button.",
                    "Press **Run robustness** to see rank intervals and the tornado.")
    if out is None:
        return
    rp = out["partners"]
    shown = filter_scores(rp.join(scores[["region", "partner_type"]].reindex(rp.index)), scen["filters"])
    left, right = st.columns(2)
    with left:
        st.markdown("**Rank intervals** (5th–95th percentile under weight uncertainty)")
        layout.show_chart(rank_interval_chart(shown, top_n=30), scen, "Rank intervals — top 30",
                          "rank_intervals")
    with right:
        choices = partner_choices(scores)
        if ss.get("tornado_partner") not in choices:
            ss["tornado_partner"] = ss.get("partner") if ss.get("partner") in choices else choices[0]
        pid = st.selectbox("Partner for the tornado", choices, key="tornado_partner", persist_state="session",
                           format_func=lambda p: f"{scores.at[p, 'name']} ({p})")
        try:
            tor = tornado_for(out["tornado"], pid)
            st.markdown(f"**Tornado — {html.escape(scores.at[pid, 'name'])}**")
            layout.show_chart(tornado_chart(tor), scen, f"Tornado — {scores.at[pid, 'name']}", "tornado")
        except InputError as exc:
            st.error(str(exc))
    st.markdown("**Per partner** (5th–95th percentiles over the Monte Carlo draws; P = share of draws)")
    layout.display_table(robustness_table(shown), "robust_table")
    if out.get("tipping") is not None and len(out["tipping"]):
        st.markdown("**Tipping points** (smallest change of one category's share of the weight, in percentage "
                    "points, that moves the partner into or out of its command's bullish or bearish list)")
        layout.display_table(out["tipping"], "robust_tipping")


if __name__ == "__main__":
    layout.run_page(VIEW, render)
