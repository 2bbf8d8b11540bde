"""Run panels shared by the allocation, bullish/bearish and robustness pages: the run button, the state of
the last run (stale, restored from the saved scenario, errors) and the efficient-frontier section."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.charts.frontier import frontier_chart
from prioritizer.run_results import STALE_TEXT
from ui import layout, runs


def run_button(kind: str, label: str, key: str, ctx: dict[str, Any], primary: bool = True,
               icon: str = ":material/play_arrow:") -> None:
    """A button that runs the optimizer (or frontier / robustness) for the current scenario."""
    if st.button(label, key=key, type="primary" if primary else "secondary", icon=icon):
        runs.execute_run(kind, ctx)


def show_state(kind: str, ctx: dict[str, Any]) -> Any:
    """The output of the last ``kind`` run (None if there is none), with its stale / saved / error notes."""
    state = runs.run_state(kind, ctx)
    if state is None:
        return None
    if state["stale"]:
        st.warning(f"Stale — {STALE_TEXT[0].lower()}{STALE_TEXT[1:]}", icon=":material/update:")
    if state.get("saved"):
        st.markdown(f'<div class="pp-small">Saved with the scenario on {layout.local_time(state["saved"])}; shown '
                    'without re-running.</div>', unsafe_allow_html=True)
    if state["error"]:
        st.error("\n\n".join(f"- {line}" if i else line for i, line in enumerate(state["error"])))
    return state["out"]


def run_panel(kind: str, label: str, key: str, ctx: dict[str, Any], caption: str, prompt: str) -> Any:
    """The run button with its caption, then the current result of that run (None, with ``prompt`` shown,
    until the planner has pressed the button once)."""
    c1, c2 = st.columns([1, 5])
    with c1:
        run_button(kind, label, key, ctx)
    c2.caption(caption)
    out = show_state(kind, ctx)
    if out is None and runs.run_state(kind, ctx) is None:
        st.info(prompt)
    return out


def frontier_section(ctx: dict[str, Any]) -> None:
    st.markdown("**Efficient frontier** (total benefit vs budget)", help=layout.glossary("benefit"))
    fr = show_state("frontier", ctx)
    if fr is None:
        if runs.run_state("frontier", ctx) is None:
            st.info("Press **Compute efficient frontier** to see total benefit across budget levels.")
    else:
        layout.show_chart(frontier_chart(fr, current_budget=ctx["budget"]), ctx["scenario"],
                          "Efficient frontier", "frontier")
