"""Partner Prioritizer — Streamlit front end (run: ``streamlit run app.py``).

The entry script of a multipage app (``st.navigation``): it restores the session, draws the sidebar,
scores the scenario and hands the context to the page of the current view (``ui/pages/<view>.py``).
Streamlit-only code lives in ``ui/`` (state, layout, sidebar, panels, runs); what each view shows is built
by ``prioritizer.views`` (pure pandas, tested in tests/test_views.py); every run is in ``ui/runs.py``.

STABLE UI CONTRACT (for AppTest and browser tests; keep in sync when editing)
  Pages: /<view> for top_sheet (the default, also at /) | matrix | map | profile | allocation | bullbear |
  robustness | data | edit | scenarios, from ui/pages/<view>.py (AppTest: at.switch_page("ui/pages/map.py")).
  ?view=<id> (old links; aliases ranking, frontier, sources …) opens that page, the rest of the address kept;
  an unknown id → the top sheet with a warning. ?s=<token> = the whole scenario, rewritten on every run;
  a damaged token → st.error and defaults. A token naming a saved scenario also restores its saved runs.
  Sidebar keys: scenario_name, profile, w_<category>, cw_<construct>, normalisation, aggregation, missing,
  priority_basis, scope_mode, scope_command, normalise_within_scope, f_commands, f_regions, f_types,
  budget (empty = settings default; budget_reset), marking, presentation; dl_workbook, dl_briefing, dl_deck.
  Page keys: see each ui/pages/<view>.py (run_allocation, run_frontier, run_allocation_bb, run_robustness,
  map_value, partner, tornado_partner, up_<role>, ns_*/ov_* forms, save_name, save_scenario, saved_pick …).
  Every page shows the marking line at the top and bottom (div.pp-marking[data-band=top|bottom]).
  Session-state hooks for tests: edits, upload_msgs, runs (kind → key, out, error, saved), page_ctx.
"""

from __future__ import annotations

import streamlit as st

from prioritizer import scenario
from prioritizer.errors import InputError
from prioritizer.report.columns import priority_basis_kind
from prioritizer.report.view_tables import filter_options
from ui import layout, runs, sidebar, state

ss = st.session_state
PAGES = {view: st.Page(f"ui/pages/{view}.py", title=label, url_path=view, default=view == scenario.DEFAULT_VIEW)
         for view, label in scenario.VIEWS.items()}


def view_of(page: st.Page) -> str:
    """The view id of the page ``st.navigation`` chose."""
    return next((v for v, p in PAGES.items() if p is page or p.url_path == page.url_path), scenario.DEFAULT_VIEW)


def follow_old_link(view: str) -> None:
    """``?view=<id>`` (links from before the multipage app) opens that page; the other parameters stay."""
    if "view" not in st.query_params:
        return
    target, msg = scenario.view_from_param(st.query_params.get("view"))
    if msg:
        state.flash("warning", msg)
    rest = {k: v for k, v in st.query_params.to_dict().items() if k != "view"}
    if target != view:
        st.switch_page(PAGES[target], query_params=rest)
    del st.query_params["view"]


def sidebar_context() -> dict:
    """Options, base data and default budget for the sidebar (an upload that stopped validating → sample)."""
    upload = ss["uploads"].get("partners")
    try:
        base = runs.base_dataset(ss["priority_basis"], upload)
    except InputError as exc:
        st.error(f"{exc}. Using the sample partners file instead.")
        ss["uploads"].pop("partners", None)
        base = runs.base_dataset(ss["priority_basis"], None)
    command = ss.get("scope_command") if ss.get("scope_mode") == "one" else None
    return {"options": filter_options(base.partners), "base": base,
            "default_budget": runs.default_budget(base, command)}


def scoring_failed(scen: dict, view: str, budget: float, exc: InputError) -> None:
    layout.header_band(scen, view, budget)
    state.show_messages()
    st.error(f"The scenario cannot be scored — {exc}. Fix the input (e.g. in Edit data) or reset the weights.")
    if st.button("Discard all data edits", key="reset_edits_error"):
        ss["edits"] = {k: scenario.default_scenario()[k] for k in state.EDIT_KEYS}
        st.rerun()
    layout.marking_band(scen["marking"], "bottom")


def main() -> None:
    state.boot()
    state.apply_pending_load()
    nav = st.navigation(list(PAGES.values()), position="sidebar", expanded=True)
    view = view_of(nav)
    follow_old_link(view)
    layout.page_setup()
    side = sidebar_context()
    sidebar.sidebar(side)
    scen = state.scenario_from_widgets()
    ss["scenario"] = scen
    st.query_params["s"] = state.encode_scenario_token(scen)
    budget = side["default_budget"] if scen["budget_usd_m"] is None else scen["budget_usd_m"]
    ss["page_ctx"] = None
    try:
        ctx = runs.score_scenario(scen)
    except InputError as exc:
        scoring_failed(scen, view, budget, exc)
        return
    basis = priority_basis_kind(ctx["result"].scores["priority_basis"])
    layout.header_band(scen, view, budget, basis)
    state.show_messages()
    for n in ctx["notes"]:
        st.warning(n)
    if basis in ("proxy", "neutral") and not scen["presentation"] and view != "edit":
        link = scenario.share_url(None, "edit", state.encode_scenario_token(scen))
        what = "the public-facts proxy" if basis == "proxy" else "the neutral default (all 3)"
        st.info(f"Priorities are {what}, not a planner's judgment. [Set real priorities in Edit data]({link}).",
                icon=":material/edit_note:")
    if not ctx["scope"].is_all:
        st.info(ctx["scope"].normalisation_text(len(ctx["result"].scores), len(ctx["dataset"].partners)),
                icon=":material/filter_alt:")
    ctx |= {"scenario": scen, "view": view, "base": side["base"], "budget": budget, "basis": basis}
    ss["page_ctx"] = ctx
    nav.run()
    if not scen["presentation"]:
        with st.sidebar:
            st.divider()
            st.markdown("**Exports** (this scenario)")
            sidebar.exports(ctx)
    st.markdown("<div style='height:12px'></div>", unsafe_allow_html=True)
    layout.marking_band(scen["marking"], "bottom")


main()
