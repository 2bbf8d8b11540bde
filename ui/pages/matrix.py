"""Priority × propensity matrix: quadrants, the rules that draw them, counts and the best-ranked members."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.charts.matrix import matrix_chart
from prioritizer.report.view_tables import filter_scores, matrix_counts, quadrant_members
from prioritizer.scoring.match import propensity_cut
from ui import layout, runs

VIEW = "matrix"


def render(ctx: dict[str, Any]) -> None:
    scen, scores = ctx["scenario"], ctx["result"].scores
    shown = filter_scores(scores, scen["filters"])
    m = runs.matching_settings()
    cut = propensity_cut(scores["propensity"], m)
    left, right = st.columns([3, 1])
    with left:
        chart = matrix_chart(shown, m.priority_threshold, cut, label_per_quadrant=3).properties(
            height=620 if scen["presentation"] else 540)
        layout.show_chart(chart, scen, "Priority × propensity", "matrix")
    with right:
        st.markdown(f"**Quadrant rules:** high priority ≥ {m.priority_threshold:g}; high propensity ≥ {cut:.0f}.",
                    help=layout.glossary("quadrant"))
        counts = matrix_counts(shown)
        st.dataframe(counts, hide_index=True, key="matrix_counts", column_config={
            "quadrant": st.column_config.TextColumn("Quadrant", help=layout.glossary("quadrant")),
            "partners": st.column_config.NumberColumn("Partners", format="%d")})
        for quad in ("invest", "manage expectations"):
            st.markdown(f"**{quad.capitalize()}** — best ranked")
            layout.display_table(quadrant_members(shown, quad, 8), f"quadrant_{quad.replace(' ', '_')}",
                                 column_config={"propensity": st.column_config.NumberColumn("Propensity",
                                                                                            format="%.0f")})


if __name__ == "__main__":
    layout.run_page(VIEW, render)
