"""Scenarios: save, load, duplicate, delete and compare saved scenarios; the shareable link.

Saving stores the scenario's current allocation, frontier and robustness runs with it (JSON, with the
inputs' hash); loading it, or opening its link, shows them without re-running."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import streamlit as st

from prioritizer import scenario
from prioritizer.errors import InfeasibleError, InputError
from prioritizer.report.view_tables import compare_allocations, compare_rankings, compare_settings
from ui import layout, runs, state

VIEW = "scenarios"
ss = st.session_state
RUN_NAMES = {"allocation": "allocation", "frontier": "efficient frontier", "robustness": "robustness run"}


def saved_table(store: Any) -> Any:
    """Saved scenarios with planner headers, times in the user's local format and the runs saved with each."""
    table = scenario.store_table(store)
    tz = layout.user_timezone()
    return pd.DataFrame({
        "Scenario": table["name"],
        "Created": [layout.local_time(t, tz) for t in table["created"]],
        "Last saved": [layout.local_time(t, tz) for t in table["updated"]],
        "Saved runs": [", ".join(RUN_NAMES[k] for k in runs.KINDS if k in store.load_results(n)) or "none"
                       for n in table["name"]]})


def _store_action(action: str, path: Any) -> None:
    """Save / load / duplicate / delete in the scenario database (a button callback, before the widgets)."""
    try:
        store = scenario.open_store(path)
        pick = ss.get("saved_pick")
        if action == "save":
            scen = state.scenario_from_widgets()
            name = (ss.get("save_name") or "").strip()
            saved = store.save(name, {**scen, "name": name}, overwrite=bool(ss.get("overwrite")))
            kinds = runs.save_results(store, saved, ss["page_ctx"]) if ss.get("page_ctx") else []
            ss["scenario_name"] = saved  # the address now names the saved scenario, so its link restores it
            with_runs = f" with its {' and '.join(RUN_NAMES[k] for k in kinds)}" if kinds else ""
            state.flash("success", f"Saved scenario '{saved}'{with_runs}.")
        elif action == "load":
            ss["pending_scenario"] = (pick, store.load(pick), store)
            state.flash("success", f"Loaded scenario '{pick}'.")
        elif action == "duplicate":
            new = store.duplicate(pick, (ss.get("dup_name") or "").strip() or f"{pick} (copy)")
            ss["dup_name"] = ""
            state.flash("success", f"Duplicated '{pick}' as '{new}'.")
        elif action == "delete":
            if not ss.get("confirm_delete"):
                state.flash("warning", "Tick **Confirm delete** first; deleting cannot be undone.")
                return
            store.delete(pick)
            ss["confirm_delete"] = False
            ss.pop("saved_pick", None)
            state.flash("success", f"Deleted scenario '{pick}'.")
    except InputError as exc:
        verb = {"save": "saved", "load": "loaded", "duplicate": "duplicated", "delete": "deleted"}[action]
        state.flash("error", f"Not {verb} — {exc}")


def render(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    path = scenario.default_db_path(os.environ)
    st.caption(f"Scenario database: `{path}` (set PRIORITIZER_SCENARIO_DB to use another file).")
    try:
        store = scenario.open_store(path)
        names = scenario.store_names(store)
    except InputError as exc:
        st.error(f"The scenario database cannot be used — {exc}. Nothing in it was changed.")
        return
    left, right = st.columns(2)
    with left:
        st.markdown("**Save the current scenario**")
        if "save_name" not in ss:
            ss["save_name"] = scen["name"]
        st.text_input("Save as", key="save_name", max_chars=120)
        st.checkbox("Overwrite", key="overwrite", help="replace a saved scenario of the same name")
        st.button("Save scenario", key="save_scenario", type="primary", icon=":material/save:",
                  on_click=_store_action, args=("save", path))
        st.caption("Saving also keeps the current allocation, frontier and robustness runs, so loading the "
                   "scenario or opening its link shows them without re-running.")
        st.markdown("**Shareable link** (reproduces this view and scenario)")
        st.code(scenario.share_url(getattr(st.context, "url", None), VIEW, state.encode_scenario_token(scen)),
                language=None, wrap_lines=True)
    with right:
        st.markdown("**Saved scenarios**")
        if not names:
            st.info("No saved scenarios yet.")
        else:
            st.dataframe(saved_table(store), hide_index=True, key="saved_table",
                         height=min(300, 40 + 35 * len(names)))
            pick = st.selectbox("Saved scenario", names, key="saved_pick")
            st.text_input("Name of the copy", key="dup_name", placeholder=f"{pick} (copy)")
            st.checkbox("Confirm delete", key="confirm_delete", help="deleting cannot be undone")
            row = st.container(horizontal=True, gap="small")
            row.button("Load", key="load_scenario", icon=":material/upload:", on_click=_store_action,
                       args=("load", path))
            row.button("Duplicate", key="duplicate_scenario", icon=":material/content_copy:", on_click=_store_action,
                       args=("duplicate", path))
            row.button("Delete", key="delete_scenario", icon=":material/delete:", on_click=_store_action,
                       args=("delete", path))
    st.divider()
    st.markdown("#### Compare two scenarios")
    options = ["(current)", *names]
    c1, c2 = st.columns(2)
    a = c1.selectbox("Scenario A", options, key="compare_a")
    b = c2.selectbox("Scenario B", options, key="compare_b", index=min(1, len(options) - 1))
    if a == b:
        st.info("Choose two different scenarios to compare — save the current scenario first if the list "
                "has only “(current)”." if not names else "Choose two different scenarios to compare.")
        return
    try:
        sa = scen if a == "(current)" else scenario.normalise_scenario(store.load(a), scenario.default_scenario())[0]
        sb = scen if b == "(current)" else scenario.normalise_scenario(store.load(b), scenario.default_scenario())[0]
        ra, rb = runs.score_scenario(sa), runs.score_scenario(sb)
    except InputError as exc:
        st.error(f"Cannot compare — {exc}")
        return
    diff = compare_settings(sa, sb)
    if diff.empty:
        st.caption("The two scenarios have the same settings.")
    else:
        st.markdown("**Settings that differ**")
        st.dataframe(diff.rename(columns={"a": f"A: {a}", "b": f"B: {b}"}), hide_index=True, key="compare_settings")
    st.markdown("**Rank shifts** (positive = moves up in B)")
    layout.display_table(compare_rankings(ra["result"].scores, rb["result"].scores), "compare_ranks", height=360)
    if st.button("Compare allocations", key="compare_alloc", icon=":material/compare_arrows:"):
        try:
            oa = runs.allocation_for(ra, sa)
            ob = runs.allocation_for(rb, sb)
            ss["compare_alloc_out"] = (a, b, compare_allocations(oa["result"].partners, ob["result"].partners))
        except InfeasibleError as exc:
            st.error("Cannot compare allocations — the constraints cannot all be met:\n\n"
                     + "\n".join(f"- {d}" for d in exc.diagnosis))
        except InputError as exc:
            st.error(f"Cannot compare allocations — {exc}")
    got = ss.get("compare_alloc_out")
    if got and got[0] == a and got[1] == b:
        st.markdown("**Allocation deltas** (US$ M per year, B − A)")
        layout.display_table(got[2], "compare_alloc_table")


if __name__ == "__main__":
    layout.run_page(VIEW, render)
