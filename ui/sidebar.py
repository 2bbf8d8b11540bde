"""The sidebar: scenario controls (weights, method, scope, filters, budget, marking, presentation mode) and,
outside presentation mode, the exports of the current scenario."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer import pipeline, scenario_model
from prioritizer.report.deck import build_deck
from prioritizer.report.export import workbook_bytes
from prioritizer.report.pack import briefing_pack
from prioritizer.report.summary import summary_text
from prioritizer.report.view_tables import (
    allocation_table,
    briefing_charts,
    category_label,
    file_stem,
    robustness_table,
    workbook_sheets,
)
from prioritizer.scoring.scope import report_notes
from ui import layout, runs, state

ss = st.session_state
MAP_TOPOJSON = runs.SAMPLE_DATA_DIR / "world-110m.json"


def _reset_budget() -> None:
    """Budget back to the settings default (an empty field), not 0."""
    ss["budget"] = None


def sidebar(ctx: dict[str, Any]) -> None:
    """The scenario controls: name, weights, method, scope, filters, budget, marking, presentation mode."""
    profs = runs.profiles()
    options = ctx["options"]
    with st.sidebar:
        st.markdown("### Partner Prioritizer")
        st.text_input("Scenario name", key="scenario_name", max_chars=120)
        st.selectbox("Weight profile", list(profs), key="profile", format_func=lambda k: profs[k].name,
                     on_change=state.on_profile_change, help=profs[ss["profile"]].purpose)
        prof = profs[ss["profile"]]
        st.caption("Category weights (relative; shares shown in the top sheet settings)")
        for cat in prof.category_weights:
            st.slider(category_label(cat), 0, 100, key=f"w_{cat}", step=1)
        with st.expander("Construct weights"):
            constructs = ctx["base"].constructs
            for con in prof.construct_weights:
                label = constructs.at[con, "construct_label"] if con in constructs.index else con
                st.slider(str(label), 0.0, 3.0, key=f"cw_{con}", step=0.25)
        with st.expander("Method", expanded=False):
            st.selectbox("Normalisation", scenario_model.NORMALISATIONS, key="normalisation")
            st.radio("Aggregation", scenario_model.AGGREGATIONS, key="aggregation", horizontal=True)
            st.selectbox("Missing data", scenario_model.MISSING_POLICIES, key="missing",
                         format_func={"available": "average what is available", "knn": "k-NN imputation"}.get)
            st.radio("Priority basis", scenario_model.PRIORITY_BASES, key="priority_basis", horizontal=True,
                     format_func={"proxy": "public-facts proxy", "neutral": "neutral (all 3)"}.get)
            st.checkbox("Normalise within the scope", key="normalise_within_scope",
                        disabled=ss.get("scope_mode") != "one",
                        help="Off: normalisation bounds from every partner, so a score does not change when the "
                             "scope is narrowed. On: scores are relative to the chosen command's partners.")
        st.radio("Scope", ["all", "one"], key="scope_mode", horizontal=True,
                 format_func={"all": "all commands", "one": "one command"}.get,
                 help="One command: its partners only, its own budget (default: its baseline) and only its "
                      "constraints (method §8).")
        if ss.get("scope_mode") == "one":
            st.selectbox("Command", options["commands"], key="scope_command")
        st.markdown("**Filters** (display only; scores use every partner)")
        st.multiselect("Commands", options["commands"], key="f_commands")
        st.multiselect("Regions", options["regions"], key="f_regions")
        st.multiselect("Partner types", options["types"], key="f_types")
        st.number_input("Budget (US$ M per year)", min_value=0.0, step=50.0, key="budget", format="%.1f", value=None,
                        placeholder=f"settings default (${ctx['default_budget']:,.0f} M)",
                        help="Empty = the settings default (the baseline total); clearing the field goes back to it.")
        st.button("Reset budget to default", key="budget_reset", icon=":material/restart_alt:",
                  on_click=_reset_budget, disabled=ss.get("budget") is None)
        st.divider()
        st.text_input("Marking line", key="marking", max_chars=80)
        st.toggle("Presentation mode", key="presentation",
                  help="Collapses the sidebar on load, enlarges text and hides export buttons for screenshots.")


def exports(ctx: dict[str, Any]) -> None:
    """Workbook, briefing pack and deck of the current scenario (made on click), with the current runs."""
    scen = ctx["scenario"]
    alloc_out = runs.current("allocation", ctx)
    rob_out = runs.current("robustness", ctx)

    def workbook() -> bytes:
        sheets = workbook_sheets(
            ctx["ranked"], scen, ctx["dataset"],
            allocation=None if alloc_out is None else allocation_table(alloc_out["result"].partners),
            bullbear=None if alloc_out is None else alloc_out["bullbear"],
            robustness=None if rob_out is None else robustness_table(rob_out["partners"]))
        scope_line = ctx["scope"].normalisation_text(len(ctx["result"].scores), len(ctx["dataset"].partners))
        return workbook_bytes(sheets, {"Scenario": scen["name"], "Marking": scen["marking"]}
                                     | report_notes(ctx["dataset"].notes, scope_line),
                                     mechanisms={m.id: m.label for m in runs.allocation_settings().mechanisms},
                                     priority_basis=ctx["basis"])

    def brief() -> bytes:
        meta = layout.chart_meta(scen, "")
        b = pipeline.brief_inputs(ctx["dataset"], ctx["profile"], ctx["result"], meta,
                                   settings=runs.allocation_settings(), budget_usd_m=scen["budget_usd_m"],
                                   robustness_partners=None if rob_out is None else rob_out["partners"],
                                   matching=runs.matching_settings(), commands=scen["filters"]["commands"])
        return build_deck(b)

    def pack() -> bytes:
        meta = layout.chart_meta(scen, "")
        figs = briefing_charts(ctx["result"].scores, runs.matching_settings(), MAP_TOPOJSON,
                                 None if alloc_out is None else alloc_out["result"])
        totals = None
        if alloc_out is not None:
            res = alloc_out["result"]
            totals = {"budget_usd_m": res.budget_usd_m, "baseline_usd_m": float(res.partners["baseline_usd_m"].sum()),
                      "recommended_usd_m": float(res.partners["allocation_usd_m"].sum())}
        summary = summary_text(ctx["result"].scores, None if alloc_out is None else alloc_out["bullbear"],
                                      totals, meta=meta)
        return briefing_pack(figs, workbook(), summary, meta)

    st.download_button("Excel workbook", data=workbook, file_name=f"{file_stem(scen['name'], 'workbook')}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_workbook",
                       on_click="ignore", icon=":material/table:", width="stretch")
    st.download_button("Briefing pack (zip)", data=pack, file_name=f"{file_stem(scen['name'], 'briefing')}.zip",
                       mime="application/zip", key="dl_briefing", on_click="ignore",
                       icon=":material/folder_zip:", width="stretch")
    st.download_button("Briefing deck (PowerPoint)", data=brief, key="dl_deck", on_click="ignore",
                       file_name=f"{file_stem(scen['name'], 'briefing_deck')}.pptx", icon=":material/slideshow:",
                       mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                       width="stretch")
    if alloc_out is None:
        st.caption("Run the optimizer first to include the allocation and bullish/bearish in the workbook.")
