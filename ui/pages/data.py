"""Data & sources: indicator dictionary, coverage, sources and licences, the method log, the back-test."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.charts.backtest import backtest_chart
from prioritizer.errors import InputError
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.report.view_tables import coverage_table, dictionary_table, licence_table, partner_coverage
from ui import layout, runs

VIEW = "data"
ss = st.session_state


def render(ctx: dict[str, Any]) -> None:
    dataset, result = ctx["dataset"], ctx["result"]
    tabs = st.tabs(["Dictionary", "Coverage", "Sources & licences", "Method log", "Back-test"])
    with tabs[0]:
        st.dataframe(dictionary_table(dataset.dictionary), hide_index=True, key="data_dictionary",
                     height=layout.table_height(len(dataset.dictionary)),
                     column_config={"citation": st.column_config.TextColumn(width="large")})
    with tabs[1]:
        c1, c2 = st.columns([3, 1])
        c1.dataframe(coverage_table(dataset), hide_index=True, key="data_coverage",
                     height=layout.table_height(len(dataset.dictionary)),
                     column_config={"coverage_pct": st.column_config.ProgressColumn(
                         "Coverage (states)", format="%.0f%%", min_value=0, max_value=100)})
        c2.markdown("**Partners by data coverage**")
        c2.dataframe(partner_coverage(result.scores), hide_index=True, key="data_partner_coverage")
    with tabs[2]:
        st.dataframe(licence_table(dataset.dictionary), hide_index=True, key="data_licences",
                     column_config={"citation": st.column_config.TextColumn(width="large")})
        sources = SAMPLE_DATA_DIR / "SOURCES.md"
        if sources.exists():
            with st.expander("sample_data/SOURCES.md"):
                st.markdown(sources.read_text(encoding="utf-8"))
    with tabs[3]:
        st.code("\n".join(result.log + ctx["notes"]), language=None)
        st.caption("Files: " + ", ".join(f"{k} = {v}" for k, v in dataset.files.items()))
    with tabs[4]:
        view_backtest(ctx["scenario"])


def view_backtest(scen: dict[str, Any]) -> None:
    """Back-test of the propensity score (prioritizer.validate), run on request and cached."""
    st.caption("Did partners with a higher propensity in a past year improve more afterwards, among those that "
               "received substantial US aid? Settings: weights/validation.yaml; method: docs/method.md §7.")
    if st.button("Run back-test", key="backtest_run", icon=":material/history:"):
        ss["backtest_requested"] = True
    if not ss.get("backtest_requested"):
        return
    try:
        out = runs.run_backtest()
    except InputError as exc:
        st.error(str(exc))
        return
    layout.show_chart(backtest_chart(out["table"]), scen, "Back-test: propensity vs later improvement",
                      "backtest")
    layout.display_table(out["display"], "backtest_table")
    st.markdown("**Caveats**\n" + "\n".join(f"- {c}" for c in out["caveats"]))


if __name__ == "__main__":
    layout.run_page(VIEW, render)
