"""Partner Prioritizer — Streamlit front end (run: ``streamlit run app.py``).

Thin wiring only: widgets → ``prioritizer`` library calls → render. What each view shows is built by
``prioritizer.views`` (pure pandas, tested in tests/test_views.py).

STABLE UI CONTRACT (for AppTest and browser tests; keep in sync when editing)
----------------------------------------------------------------------------------------------------
Query parameters
  ?view=<id>   top_sheet | matrix | map | profile | allocation | bullbear | robustness | data | edit |
               scenarios   (unknown → top_sheet with a warning). Aliases: ranking, frontier, sources.
  ?s=<token>   the whole current scenario (prioritizer.scenarios.encode_scenario); rewritten on every
               change, so a browser refresh or a shared link restores it. A damaged token → st.error,
               defaults used.
Sidebar (key → label)
  view              radio   "View"                       (options = view ids, shown as labels)
  scenario_name     text    "Scenario name"
  profile           select  "Weight profile"
  w_<category>      slider  "<Category label>" 0–100, e.g. w_governance "Governance & institutions"
  cw_<construct>    slider  construct weight 0–3, inside expander "Construct weights"
  normalisation     select  "Normalisation"              minmax | percentile | zscore
  aggregation       radio   "Aggregation"                arithmetic | geometric
  missing           select  "Missing data"               available | knn
  priority_basis    radio   "Priority basis"             proxy | neutral
  scope_mode        radio   "Scope"                      all | one  (all commands / one command)
  scope_command     select  "Command"                    shown when scope_mode = one; options from the data
  normalise_within_scope checkbox "Normalise within the scope" (inside expander "Method")
  f_commands        multi   "Commands"
  f_regions         multi   "Regions"
  f_types           multi   "Partner types"
  budget            number  "Budget (US$ M per year)"    empty = settings default
  marking           text    "Marking line"               default UNCLASSIFIED
  presentation      toggle  "Presentation mode"
  dl_workbook       download "Excel workbook"
  dl_briefing       download "Briefing pack (zip)"
Main area
  top sheet: dl_top_csv "Download CSV", dl_top_xlsx "Download Excel"; dataframe key top_sheet_table
  matrix: chart; map: map_value select "Colour countries by"; profile: partner select "Partner"
  allocation: button run_allocation "Run optimizer", button run_frontier "Compute efficient frontier"
  bullbear: button run_allocation_bb "Run optimizer"; robustness: button run_robustness "Run robustness",
            select tornado_partner "Partner for the tornado"
  edit: editor key "priority_editor_<n>"; uploaders up_partners "Partners file (CSV or XLSX)",
        up_priority "Priority file (CSV or XLSX)", up_funding "Baseline funding file (CSV or XLSX)";
        form ns_form (ns_id, ns_name, ns_command, ns_region, ns_<construct>, ns_rationale, submit
        "Add non-state partner"); form ov_form (ov_partner, ov_construct, ov_value, ov_rationale,
        submit "Add override"); reset_edits "Discard all data edits"
  scenarios: save_name "Save as", button save_scenario "Save scenario", overwrite checkbox "Overwrite";
        saved_pick "Saved scenario", buttons load_scenario "Load", duplicate_scenario "Duplicate",
        delete_scenario "Delete" (+ confirm_delete "Confirm delete"); dup_name "Name of the copy";
        compare_a / compare_b "Scenario A" / "Scenario B"; button compare_alloc "Compare allocations"
Every page shows the marking line at the top and bottom (test id: div.pp-marking).
Session-state hooks for tests: st.session_state["edits"] (priority_edits, funding_edits, non_state,
overrides) and st.session_state["upload_msgs"] (last upload messages per file role).
----------------------------------------------------------------------------------------------------
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from prioritizer import allocate, bullbear, charts, cli_brief, columns, deck, match, report
from prioritizer import scope as sc
from prioritizer import views as V
from prioritizer.config import list_profiles, load_matching_settings, load_profile
from prioritizer.errors import InfeasibleError, InputError
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.pipeline import score_and_match

try:  # robustness is built by another engineer; the app works without it
    from prioritizer import robustness
except ImportError:  # pragma: no cover - depends on what has landed
    robustness = None

ss = st.session_state
LOG = logging.getLogger("partner_prioritizer.app")
WIDGET_KEYS = ("scenario_name", "profile", "normalisation", "aggregation", "missing", "priority_basis",
               "scope_mode", "scope_command", "normalise_within_scope", "f_commands", "f_regions", "f_types",
               "budget", "marking", "presentation")
EDIT_KEYS = ("priority_edits", "funding_edits", "non_state", "overrides", "data_files")
MAP_TOPOJSON = SAMPLE_DATA_DIR / "world-110m.json"


# ------------------------------------------------------------------------------------------ caching


@st.cache_resource(show_spinner=False)
def profiles() -> dict[str, Any]:
    """Weight profiles by file stem, validated (shared: read-only)."""
    dictionary = base_dataset("proxy", None).dictionary
    return {name: load_profile(path, dictionary) for name, path in list_profiles().items()}


@st.cache_resource(show_spinner=False)
def matching_settings() -> Any:
    return load_matching_settings()


@st.cache_resource(show_spinner=False)
def allocation_settings() -> Any:
    return allocate.load_settings(known_commands=allocate.COMMANDS)


@st.cache_data(show_spinner=False, max_entries=8)
def base_dataset(priority_basis: str, partners_upload: tuple[str, bytes] | None) -> Any:
    """Validated data (sample or upload), keyed on the priority basis and the uploaded file's bytes."""
    return V.load_base_dataset(priority_basis, partners_upload)


@st.cache_data(show_spinner=False, max_entries=64)
def scored(skey: str, _dataset: Any, _profile: Any, _overrides: Any,
           _scope: sc.Scope = sc.ALL) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """Score + match + peers + ranked table, cached on the scenario's scoring key only (it includes the scope)."""
    matching = matching_settings()
    result = score_and_match(_dataset, _profile, matching, _overrides, scope=_scope)
    peers = match.peers(result.constructs, k=matching.peers, names=result.scores["name"])
    from prioritizer.cli import ranked_table

    return result, peers, ranked_table(result.scores, peers)


@st.cache_data(show_spinner=False, max_entries=16)
def run_allocation(rkey: str, _scores: pd.DataFrame, _dataset: Any, budget: float | None) -> dict[str, Any]:
    """Optimizer + bullish/bearish for one scenario (raises InfeasibleError / InputError)."""
    run = sc.allocation_for_scope(_scores, _dataset, allocation_settings(), budget)
    result = allocate.allocate(run.inputs, run.settings, run.budget_usd_m)
    table = bullbear.bullish_bearish(result, run.inputs)
    return {"result": result, "inputs": run.inputs, "bullbear": table, "offsets": bullbear.offsets(table, result),
            "scope_notes": run.notes}


@st.cache_data(show_spinner=False, max_entries=16)
def run_frontier(rkey: str, _scores: pd.DataFrame, _dataset: Any) -> pd.DataFrame:
    run = sc.allocation_for_scope(_scores, _dataset, allocation_settings())
    settings = run.settings
    return allocate.frontier(run.inputs, settings, levels=settings.frontier_levels,
                             low_pct=settings.frontier_low_pct, high_pct=settings.frontier_high_pct)


@st.cache_data(show_spinner=False, max_entries=2)
def run_backtest() -> dict[str, Any]:
    """The validation back-test on the bundled panels with weights/validation.yaml (cached: same inputs, same table)."""
    return V.run_backtest()


@st.cache_data(show_spinner=False, max_entries=8)
def run_robustness(rkey: str, _result: Any, _dataset: Any, _profile: Any, budget: float | None) -> dict[str, Any]:
    """Monte Carlo over weights and tornado, through the robustness module's API."""
    return V.run_robustness(robustness, _result, _dataset, _profile, allocation_settings(), budget)


# ---------------------------------------------------------------------------------- scenario state


def scenario_to_widgets(scen: dict[str, Any], options: dict[str, list[str]] | None = None) -> None:
    """Put a scenario's values into the widget keys (before the widgets are drawn) and the edits."""
    ss["scenario_name"] = scen["name"]
    ss["profile"] = scen["profile"] if scen["profile"] in profiles() else "default"
    for cat, w in scen["category_weights"].items():
        ss[f"w_{cat}"] = int(round(float(w)))
    for con, w in scen["construct_weights"].items():
        ss[f"cw_{con}"] = float(min(3.0, max(0.0, float(w))))
    for key in ("normalisation", "aggregation", "missing", "priority_basis", "marking", "presentation"):
        ss[key] = scen[key]
    opts = options or {}
    for key in ("commands", "regions", "types"):
        chosen = scen["filters"].get(key, [])
        ss[f"f_{key}"] = [c for c in chosen if c in opts.get(key, chosen)]
    scope = scen.get("scope") or {}
    ss["scope_mode"] = "one" if scope.get("command") in opts.get("commands", [scope.get("command")]) \
        and scope.get("command") else "all"
    if ss["scope_mode"] == "one":
        ss["scope_command"] = scope["command"]
    ss["normalise_within_scope"] = bool(scope.get("normalise_within", False))
    ss["budget"] = scen["budget_usd_m"]
    ss["edits"] = {k: scen[k] for k in EDIT_KEYS}
    if scen.get("partner"):
        ss["partner"] = scen["partner"]
    ss["editor_version"] = ss.get("editor_version", 0) + 1


def scenario_from_widgets() -> dict[str, Any]:
    """The current scenario dict from the widgets and the stored edits."""
    prof = profiles()[ss["profile"]]
    scen = V.default_scenario()
    scen.update({
        "name": (ss.get("scenario_name") or "").strip() or "Untitled scenario",
        "profile": ss["profile"],
        "category_weights": {c: float(ss.get(f"w_{c}", 0)) for c in prof.category_weights},
        "construct_weights": {c: float(ss.get(f"cw_{c}", 1.0)) for c in prof.construct_weights},
        "normalisation": ss["normalisation"], "aggregation": ss["aggregation"], "missing": ss["missing"],
        "priority_basis": ss["priority_basis"],
        "filters": {"commands": list(ss.get("f_commands", [])), "regions": list(ss.get("f_regions", [])),
                    "types": list(ss.get("f_types", []))},
        "scope": {"command": ss.get("scope_command") if ss.get("scope_mode") == "one" else None,
                  "normalise_within": bool(ss.get("normalise_within_scope", False))
                  and ss.get("scope_mode") == "one"},
        "budget_usd_m": None if ss.get("budget") is None else float(ss["budget"]),
        "marking": (ss.get("marking") or "").strip() or V.DEFAULT_MARKING,
        "presentation": bool(ss.get("presentation", False)),
        "partner": ss.get("partner"),
    })
    scen.update({k: ss["edits"].get(k, scen[k]) for k in EDIT_KEYS})
    return scen


def on_profile_change() -> None:
    """A new profile resets the weight sliders and method choices to that profile's values."""
    prof = profiles()[ss["profile"]]
    settings = V.profile_settings(prof)
    for cat, w in settings["category_weights"].items():
        ss[f"w_{cat}"] = int(w)
    for con, w in settings["construct_weights"].items():
        ss[f"cw_{con}"] = float(min(3.0, w))
    for key in ("normalisation", "aggregation", "missing"):
        ss[key] = settings[key]


def boot() -> None:
    """First run of a browser session: restore the scenario and view from the address."""
    if "scenario" in ss:
        return
    ss["boot_msgs"] = []
    ss["upload_msgs"] = {}
    ss["runs"] = {}
    ss["uploads"] = {}
    base = V.default_scenario(profiles()["default"])
    scen = base
    token = st.query_params.get("s")
    if token:
        try:
            scen, notes = V.normalise_scenario(V.decode_token(token), base)
            ss["boot_msgs"] += [("warning", f"Scenario in the address: {n}") for n in notes]
        except InputError as exc:
            ss["boot_msgs"].append(("error", f"{exc}. The default scenario is shown instead."))
    view, msg = V.view_from_param(st.query_params.get("view"))
    if msg:
        ss["boot_msgs"].append(("warning", msg))
    ss["view"] = view
    options = V.filter_options(base_dataset(scen["priority_basis"], None).partners)
    scenario_to_widgets(scen, options)
    ss["scenario"] = scen


def apply_pending_load() -> None:
    """A scenario loaded from the database (or reset) is applied before any widget is drawn."""
    pending = ss.pop("pending_scenario", None)
    if pending is None:
        return
    scen, notes = V.normalise_scenario(pending, V.default_scenario(profiles()["default"]))
    for n in notes:
        ss.setdefault("flash", []).append(("warning", f"Loaded scenario: {n}"))
    options = V.filter_options(base_dataset(scen["priority_basis"], None).partners)
    scenario_to_widgets(scen, options)
    ss["runs"] = {}


def flash(kind: str, text: str) -> None:
    """A message shown once on the next run (after a callback or st.rerun)."""
    ss.setdefault("flash", []).append((kind, text))


def show_messages() -> None:
    for kind, text in ss.pop("boot_msgs", []) + ss.pop("flash", []):
        getattr(st, kind)(text)


# ------------------------------------------------------------------------------------------- layout


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
    colour = charts.marking_colour(marking)
    st.markdown(f'<div class="pp-marking" data-band="{where}" style="background:{colour}">{html.escape(marking)}'
                '</div>', unsafe_allow_html=True)


def header_band(scen: dict[str, Any], view: str, budget: float | None = None, basis: str | None = None) -> None:
    marking_band(scen["marking"], "top")
    meta = f"Scenario: <b>{html.escape(scen['name'])}</b> · {dt.date.today().strftime('%d %b %Y')} · profile " \
           f"{html.escape(scen['profile'])}"
    if budget is not None:
        meta += f" · budget <b>{V.money(budget, signed=False)}</b>/yr"
    if basis:
        meta += " · priority: <b>" + ("proxy" if basis in ("proxy", "mixed") else "planner's" if basis == "planner"
                                       else "neutral default") + "</b>"
    st.markdown(f'<div class="pp-head"><span class="pp-title">{html.escape(V.VIEWS[view])}</span>'
                f'<span class="pp-meta">{meta}</span></div>', unsafe_allow_html=True)


def chart_meta(scen: dict[str, Any], title: str, subtitle: str | None = None) -> charts.ChartMeta:
    return charts.ChartMeta(title=title, scenario=scen["name"], marking=scen["marking"], subtitle=subtitle)


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
    stem = V.file_stem(scen["name"], key)
    row = st.container(horizontal=True, gap="small")
    c1 = c2 = row
    c1.download_button("PNG", data=lambda: charts.to_png(export, meta), file_name=f"{stem}.png", mime="image/png",
                       key=f"dl_{key}_png", on_click="ignore", icon=":material/image:")
    c2.download_button("SVG", data=lambda: charts.to_svg(export, meta).encode("utf-8"), file_name=f"{stem}.svg",
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
    return chart.configure_legend(labelFontSize=charts.LABEL_SIZE, titleFontSize=charts.LABEL_SIZE, labelLimit=260,
                                  symbolSize=140, orient="bottom", direction="horizontal", columns=columns)


def sidebar(ctx: dict[str, Any]) -> None:
    profs = profiles()
    options = ctx["options"]
    with st.sidebar:
        st.markdown("### Partner Prioritizer")
        st.radio("View", list(V.VIEWS), key="view", format_func=V.VIEWS.get)
        st.divider()
        st.text_input("Scenario name", key="scenario_name", max_chars=120)
        st.selectbox("Weight profile", list(profs), key="profile", format_func=lambda k: profs[k].name,
                     on_change=on_profile_change, help=profs[ss["profile"]].purpose)
        prof = profs[ss["profile"]]
        st.caption("Category weights (relative; shares shown in the top sheet settings)")
        for cat in prof.category_weights:
            st.slider(V.category_label(cat), 0, 100, key=f"w_{cat}", step=1)
        with st.expander("Construct weights"):
            constructs = ctx["base"].constructs
            for con in prof.construct_weights:
                label = constructs.at[con, "construct_label"] if con in constructs.index else con
                st.slider(str(label), 0.0, 3.0, key=f"cw_{con}", step=0.25)
        with st.expander("Method", expanded=False):
            st.selectbox("Normalisation", V.NORMALISATIONS, key="normalisation")
            st.radio("Aggregation", V.AGGREGATIONS, key="aggregation", horizontal=True)
            st.selectbox("Missing data", V.MISSING_POLICIES, key="missing",
                         format_func={"available": "average what is available", "knn": "k-NN imputation"}.get)
            st.radio("Priority basis", V.PRIORITY_BASES, key="priority_basis", horizontal=True,
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
        st.number_input("Budget (US$ M per year)", min_value=0.0, step=50.0, key="budget", format="%.1f",
                        placeholder=f"settings default (${ctx['default_budget']:,.0f} M)",
                        help="Empty = the settings default (the baseline total).")
        st.button("Reset budget to default", key="budget_reset", icon=":material/restart_alt:",
                  on_click=lambda: ss.update(budget=None), disabled=ss.get("budget") is None)
        st.divider()
        st.text_input("Marking line", key="marking", max_chars=80)
        st.toggle("Presentation mode", key="presentation",
                  help="Collapses the sidebar on load, enlarges text and hides export buttons for screenshots.")


# --------------------------------------------------------------------------------------------- views


def view_top_sheet(ctx: dict[str, Any]) -> None:
    scen, ranked = ctx["scenario"], ctx["ranked"]
    shown = V.filter_scores(ranked, scen["filters"])
    summary = V.ranking_summary(shown)
    cols = st.columns(4)
    cols[0].metric("Partners shown", f"{summary['partners']}")
    cols[1].metric("Top propensity", f"{summary['top_score']:.0f}" if summary["top_score"] is not None else "–",
                   help=summary["top_name"])
    cols[2].metric("Median propensity", f"{summary['median']:.0f}" if summary["partners"] else "–")
    cols[3].metric("Low confidence", f"{summary['low_confidence']}")
    if shown.empty:
        st.warning("No partner matches the filters. Clear a filter in the sidebar.")
        return
    if summary["top_name"]:
        st.markdown(f"**Highest propensity:** {html.escape(summary['top_name'])} · "
                    f"{len(shown)} partners · scores 0–100, higher = security cooperation more likely to work")
    table = V.top_sheet(shown)
    if scen["presentation"]:  # fits 1920 px without a horizontal scroll: the columns a briefing needs
        table = table.drop(columns=[c for c in ("partner_id", "region", "partner_type", "overrides", "peers",
                                                "confidence") if c in table.columns])
    score_cols = ["propensity"] + [c for c in table.columns if c.endswith("_score")]
    styler = table.style.apply(V.score_colours, axis=None, subset=score_cols).format(
        {c: "{:.0f}" for c in score_cols} | {"coverage": "{:.0%}", "priority": "{:.0f}",
                                              "baseline_usd_m": "${:,.1f}M"}, na_rep="–")
    config = {"partner_id": st.column_config.TextColumn("ID", width="small"),
              "rank": st.column_config.NumberColumn("Rank", width="small"),
              "name": st.column_config.TextColumn("Partner", width="medium"),
              "command": "Command", "region": "Region", "partner_type": "Type",
              "propensity": st.column_config.NumberColumn("Propensity", help="0–100, higher = SC more likely to work"),
              "coverage": st.column_config.NumberColumn("Data coverage", help=V.GLOSSARY["coverage"]),
              "confidence": st.column_config.TextColumn("Low conf.", width="small",
                                                        help="LOW = coverage below the profile's threshold"),
              "priority": st.column_config.NumberColumn(columns.priority_label(ctx["basis"]),
                                                        help=columns.spec("priority").description),
              "quadrant": st.column_config.TextColumn("Quadrant", help=V.GLOSSARY["quadrant"]),
              "baseline_usd_m": "Baseline ($M/yr)",
              "funding_flag": "Funding flag", "overrides": "Overrides", "peers": "Peers"}
    for c in table.columns:
        if c.endswith("_score"):
            config[c] = st.column_config.NumberColumn(
                V.CATEGORY_SHORT.get(c.removesuffix("_score"), V.category_label(c)) if scen["presentation"]
                else V.category_label(c), help=f"{V.category_label(c)}, 0–100 (higher = better for SC)")
    height = 38 * min(len(table), 22) + 40 if scen["presentation"] else 35 * min(len(table), 18) + 40
    st.dataframe(styler, hide_index=True, column_config=config, height=height, key="top_sheet_table",
                 row_height=38 if scen["presentation"] else None)
    if not scen["presentation"]:
        stem = V.file_stem(scen["name"], "ranking")
        c1, c2, _ = st.columns([1, 1, 5])
        c1.download_button("Download CSV", data=lambda: report.to_csv_bytes(
            shown, scen["marking"], priority_basis=ctx["basis"]), file_name=f"{stem}.csv",
                           mime="text/csv", key="dl_top_csv", on_click="ignore", icon=":material/download:")
        c2.download_button("Download Excel", data=lambda: report.workbook_bytes(
            {"Rankings": shown, "Scenario settings": report.scenario_settings_frame(scen)},
            {"Scenario": scen["name"], "Marking": scen["marking"]}, priority_basis=ctx["basis"]),
            file_name=f"{stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_top_xlsx",
            on_click="ignore", icon=":material/table:")
    if st.toggle("Show ranking chart (top 30)", key="show_ranking_chart"):
        show_chart(charts.ranking_bar(shown.set_index("partner_id"), top_n=30), scen,
                   "Propensity ranking — top 30", "ranking_bar")


def view_matrix(ctx: dict[str, Any]) -> None:
    scen, scores = ctx["scenario"], ctx["result"].scores
    shown = V.filter_scores(scores, scen["filters"])
    m = matching_settings()
    cut = match.propensity_cut(scores["propensity"], m)
    left, right = st.columns([3, 1])
    with left:
        chart = charts.matrix_chart(shown, m.priority_threshold, cut, label_per_quadrant=3).properties(
            height=620 if scen["presentation"] else 540)
        show_chart(chart, scen, "Priority × propensity", "matrix")
    with right:
        st.markdown(f"**Quadrant rules:** high priority ≥ {m.priority_threshold:g}; high propensity ≥ {cut:.0f}.")
        counts = V.matrix_counts(shown)
        st.dataframe(counts, hide_index=True, key="matrix_counts")
        for quad in ("invest", "manage expectations"):
            st.markdown(f"**{quad.capitalize()}** — best ranked")
            st.dataframe(V.quadrant_members(shown, quad, 8), hide_index=True,
                         column_config={"propensity": st.column_config.NumberColumn(format="%.0f")})


def view_map(ctx: dict[str, Any]) -> None:
    scen, scores = ctx["scenario"], ctx["result"].scores
    shown = V.filter_scores(scores, scen["filters"])
    if "map_value" not in ss:
        ss["map_value"] = "propensity"
    value = st.selectbox("Colour countries by", V.MAP_VALUES, key="map_value", format_func=V.map_value_label,
                         persist_state="session")
    width, height = (1640, 760) if scen["presentation"] else (1320, 620)
    chart = charts.world_map(shown, MAP_TOPOJSON, value=value).properties(width=width, height=height)
    show_chart(chart, scen, f"World map — {V.map_value_label(value)}", "map", stretch=False, grow=False)
    st.caption("Grey: no score or filtered out. Non-state partners have no country shape. Boundaries: Natural Earth "
               "110m (public domain); shapes do not imply a position on any territorial question.")


def view_profile(ctx: dict[str, Any]) -> None:
    scen, result, dataset = ctx["scenario"], ctx["result"], ctx["dataset"]
    scores = result.scores
    choices = V.partner_choices(V.filter_scores(scores, scen["filters"])) or V.partner_choices(scores)
    if ss.get("partner") not in choices:
        ss["partner"] = choices[0]
    pid = st.selectbox("Partner", choices, key="partner", persist_state="session",
                       format_func=lambda p: f"{scores.at[p, 'name']} ({p})")
    h = V.partner_headline(scores, pid)
    cols = st.columns(6)
    cols[0].metric("Propensity", "–" if h["propensity"] is None else f"{h['propensity']:.0f}")
    cols[1].metric("Rank", "–" if h["rank"] is None else f"{h['rank']} of {h['of']}")
    cols[2].metric(f"Rank in {h['command']}", "–" if h["rank_in_command"] is None
                   else f"{h['rank_in_command']} of {h['of_command']}")
    cols[3].metric("Data coverage", f"{100 * h['coverage']:.0f}%", help="share of weight backed by real values")
    cols[4].metric("Priority", f"{h['priority']:.0f}", help=scores.at[pid, "priority_basis"])
    cols[5].metric("Baseline", V.money(h["baseline_usd_m"], signed=False))
    facts = f"{h['name']} · {h['command']} · {h['region']} · {h['partner_type']} · quadrant **{h['quadrant']}**"
    if h["funding_flag"]:
        facts += f" · funding flag: **{h['funding_flag']}**"
    st.markdown(facts)
    if h["low_confidence"]:
        st.warning("Low confidence: less than the threshold share of the weight is backed by data.")
    left, right = st.columns([0.9, 1.1])
    with left:
        st.markdown("**Category scores** (tick = median partner)")
        row = scores.loc[pid]
        median = scores[[c for c in scores.columns if c.endswith("_score")]].median()
        show_chart(charts.category_bars(row, reference=median), scen, f"{h['name']} — category scores",
                   "profile_categories")
    with right:
        st.markdown("**Construct scores** (overrides marked)")
        chart = charts.construct_bars(result.constructs.loc[pid], dataset.constructs, result.overridden.loc[pid])
        show_chart(narrow_legend(chart), scen, f"{h['name']} — construct scores", "profile_constructs")
    over = V.profile_overrides(scen, pid, dataset.constructs)
    st.markdown("**Planner overrides**")
    if over.empty:
        st.caption("No construct overrides for this partner in this scenario.")
    else:
        st.dataframe(over, hide_index=True, key="profile_overrides")
    st.markdown("**Indicator values** (raw value, data year and source)")
    table = V.profile_indicator_table(dataset, result, pid)
    st.dataframe(table, hide_index=True, key="profile_indicators", column_config={
        "value": st.column_config.NumberColumn("Value", format="%.3g"),
        "score_0_100": st.column_config.NumberColumn("Score 0–100", format="%.0f"),
        "weight_pct": st.column_config.NumberColumn("Weight %", format="%.1f"),
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "citation": st.column_config.TextColumn("Citation", width="large")})
    st.markdown("**Peers** (most similar construct profile)")
    st.dataframe(V.partner_peers(ctx["peers"], scores, pid), hide_index=True, key="profile_peers",
                 column_config={"propensity": st.column_config.NumberColumn(format="%.0f"),
                                "distance": st.column_config.NumberColumn(format="%.1f")})


def _run_button(kind: str, label: str, key: str, ctx: dict[str, Any]) -> None:
    """A button that runs the optimizer (or frontier / robustness) for the current scenario."""
    if st.button(label, key=key, type="primary", icon=":material/play_arrow:"):
        execute_run(kind, ctx)


def execute_run(kind: str, ctx: dict[str, Any]) -> None:
    rkey = ctx["run_keys"][kind]
    scen = ctx["scenario"]
    try:
        with st.spinner(f"Running {kind}…"):
            if kind == "allocation":
                out = run_allocation(rkey, ctx["result"].scores, ctx["dataset"], scen["budget_usd_m"])
            elif kind == "frontier":
                out = run_frontier(rkey, ctx["result"].scores, ctx["dataset"])
            else:
                out = run_robustness(rkey, ctx["result"], ctx["dataset"], ctx["profile"], scen["budget_usd_m"])
        ss["runs"][kind] = {"key": rkey, "out": out, "error": None}
    except InfeasibleError as exc:
        ss["runs"][kind] = {"key": rkey, "out": None,
                            "error": ["The allocation constraints cannot all be met:", *exc.diagnosis]}
    except InputError as exc:
        ss["runs"][kind] = {"key": rkey, "out": None, "error": [str(exc)]}


def run_state(kind: str, ctx: dict[str, Any]) -> tuple[Any, bool]:
    """(output, stale) of the last run of this kind; shows its error lines."""
    state = ss["runs"].get(kind)
    if state is None:
        return None, False
    stale = state["key"] != ctx["run_keys"][kind]
    if stale:
        st.warning("Stale — inputs changed since this run. Press the button to re-run.", icon=":material/update:")
    if state["error"]:
        st.error("\n\n".join(f"- {line}" if i else line for i, line in enumerate(state["error"])))
    return state["out"], stale


def run_panel(kind: str, label: str, key: str, ctx: dict[str, Any], caption: str, prompt: str) -> Any:
    """The run button with its caption, then the current result of that run (None, with ``prompt`` shown,
    until the planner has pressed the button once)."""
    c1, c2 = st.columns([1, 5])
    with c1:
        _run_button(kind, label, key, ctx)
    c2.caption(caption)
    out, _ = run_state(kind, ctx)
    if out is None and kind not in ss["runs"]:
        st.info(prompt)
    return out


def view_allocation(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    settings = allocation_settings()
    c1, c2, c3 = st.columns([1.2, 1.6, 4])
    with c1:
        _run_button("allocation", "Run optimizer", "run_allocation", ctx)
    with c2:
        if st.button("Compute efficient frontier", key="run_frontier", icon=":material/show_chart:"):
            execute_run("frontier", ctx)
    c3.caption(f"Budget: {V.money(ctx['budget'], signed=False)} per year "
               f"({'settings default' if scen['budget_usd_m'] is None else 'sidebar'}); "
               f"settings: {settings.name}. The optimizer runs only when you press the button.")
    out, _ = run_state("allocation", ctx)
    if out is None:
        if "allocation" not in ss["runs"]:
            st.info("Press **Run optimizer** to allocate the budget for this scenario.")
    else:
        res = out["result"]
        if not res.meets_statute:
            st.error("The budget is below the sum of the locks (statutory earmarks / MOUs): they are scaled pro "
                     "rata — this allocation does NOT meet the statute.")
        if len(res.relaxations):
            lines = [f"- {t}" for t in res.relaxations["text"].head(8)]
            more = f"\n- … and {len(res.relaxations) - 8} more (Relaxations in the export)" \
                if len(res.relaxations) > 8 else ""
            st.warning(f"{len(res.relaxations)} limits relaxed to give an answer:\n" + "\n".join(lines) + more)
        m = st.columns(5)
        m[0].metric("Budget", V.money(res.budget_usd_m, signed=False))
        m[1].metric("Allocated", V.money(res.budget_usd_m - res.unspent_usd_m, signed=False))
        m[2].metric("Baseline", V.money(res.partners["baseline_usd_m"].sum(), signed=False))
        m[3].metric("Total benefit", f"{res.total_benefit:,.1f}")
        m[4].metric("Benefit of +$1M budget", f"{res.budget_dual:.3f}", help=f"dual value; solver {res.solver}")
        partners = V.filter_scores(res.partners, scen["filters"])
        labels = {mm.id: mm.label for mm in settings.mechanisms}
        left, right = st.columns(2)
        with left:
            st.markdown("**By command** (baseline vs recommended)")
            show_chart(charts.allocation_by_command(partners), scen, "Allocation by command", "alloc_command")
        with right:
            st.markdown("**By mechanism**")
            mech = V.mechanism_long(res.mechanisms[res.mechanisms["partner_id"].isin(partners.index)], res.partners,
                                    labels)
            show_chart(charts.allocation_by_mechanism(mech), scen, "Allocation by mechanism", "alloc_mechanism")
        left, right = st.columns(2)
        with left:
            st.markdown("**Largest changes vs baseline**")
            show_chart(charts.change_bars(partners, top_n=15), scen, "Change vs baseline (largest movers)",
                       "alloc_change")
        with right:
            frontier_section(ctx)
        with st.expander("Allocation table, mechanisms and binding constraints", expanded=not scen["presentation"]):
            st.markdown("**Per partner** (US$ M per year; floor and cap are the partner's limits)")
            display_table(V.allocation_table(partners), "alloc_table")
            st.markdown("**By mechanism** (US$ M per year)")
            display_table(V.mechanism_summary(res.mechanisms, labels), "alloc_mech_table")
            st.markdown("**Binding constraints** (largest marginal value first: the benefit of +$1 M on that limit)")
            display_table(V.binding_table(res.binding), "alloc_binding")
            if res.notes or out.get("scope_notes"):
                st.caption("Notes: " + " · ".join([*out.get("scope_notes", []), *res.notes]))
    if out is None:
        frontier_section(ctx)


def frontier_section(ctx: dict[str, Any]) -> None:
    st.markdown("**Efficient frontier** (total benefit vs budget)")
    fr, _ = run_state("frontier", ctx)
    if fr is None:
        if "frontier" not in ss["runs"]:
            st.info("Press **Compute efficient frontier** to see total benefit across budget levels.")
    else:
        show_chart(charts.frontier_chart(fr, current_budget=ctx["budget"]), ctx["scenario"], "Efficient frontier",
                   "frontier")


def view_bullbear(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    out = run_panel("allocation", "Run optimizer", "run_allocation_bb", ctx,
                    "Bullish = largest recommended surge, ranked by return per dollar; bearish = largest recommended "
                    "cut among funded partners. P(bullish)/P(bearish) appear after a robustness run.",
                    "Press **Run optimizer** to compute bullish and bearish partners per command.")
    if out is None:
        return
    rob = ss["runs"].get("robustness")
    robust = rob["out"]["partners"] if rob and rob.get("out") and rob["key"] == ctx["run_keys"]["robustness"] \
        else None
    cards = V.bullbear_cards(out["bullbear"], robust)
    commands = [c for c in cards if not scen["filters"]["commands"] or c in scen["filters"]["commands"]]
    offsets = out["offsets"]
    per_row = 6 if scen["presentation"] else 3  # presentation: all six commands on one screen
    for start in range(0, len(commands), per_row):
        cols = st.columns(per_row)
        for col, command in zip(cols, commands[start:start + per_row], strict=False):
            with col.container(border=True):
                st.markdown(f'<div class="pp-card-head">{command}</div>'
                            f'<div class="pp-small">{V.offsets_text(offsets, command)}</div>',
                            unsafe_allow_html=True)
                for side, css, label in (("bullish", "pp-bull", "▲ Bullish"), ("bearish", "pp-bear", "▼ Bearish")):
                    items = cards[command][side]
                    parts = [f'<div class="{css}">{label}</div>']
                    if not items:
                        parts.append('<div class="pp-small">none qualifies</div>')
                    parts += [V.card_html(c, side, compact=scen["presentation"]) for c in items]
                    st.markdown("".join(parts), unsafe_allow_html=True)
    if not scen["presentation"]:
        stem = V.file_stem(scen["name"], "bullish_bearish")
        st.download_button("Download bullish/bearish CSV", data=report.to_csv_bytes(out["bullbear"], scen["marking"]),
                           file_name=f"{stem}.csv", mime="text/csv", key="dl_bullbear_csv", on_click="ignore")


def view_robustness(ctx: dict[str, Any]) -> None:
    scen, scores = ctx["scenario"], ctx["result"].scores
    if robustness is None:
        st.info("The robustness module (prioritizer.robustness) is not installed in this build yet.")
        return
    out = run_panel("robustness", "Run robustness", "run_robustness", ctx,
                    "Monte Carlo over the category weights around the current scenario, one-way swings (tornado) "
                    "and tipping points. Runs only when you press the button.",
                    "Press **Run robustness** to see rank intervals and the tornado.")
    if out is None:
        return
    rp = out["partners"]
    shown = V.filter_scores(rp.join(scores[["region", "partner_type"]].reindex(rp.index)), scen["filters"])
    left, right = st.columns(2)
    with left:
        st.markdown("**Rank intervals** (5th–95th percentile under weight uncertainty)")
        show_chart(charts.rank_interval_chart(shown, top_n=30), scen, "Rank intervals — top 30", "rank_intervals")
    with right:
        choices = V.partner_choices(scores)
        if ss.get("tornado_partner") not in choices:
            ss["tornado_partner"] = ss.get("partner") if ss.get("partner") in choices else choices[0]
        pid = st.selectbox("Partner for the tornado", choices, key="tornado_partner", persist_state="session",
                           format_func=lambda p: f"{scores.at[p, 'name']} ({p})")
        try:
            tor = V.tornado_for(out["tornado"], pid)
            st.markdown(f"**Tornado — {html.escape(scores.at[pid, 'name'])}**")
            show_chart(charts.tornado_chart(tor), scen, f"Tornado — {scores.at[pid, 'name']}", "tornado")
        except InputError as exc:
            st.error(str(exc))
    st.markdown("**Per partner** (5th–95th percentiles over the Monte Carlo draws; P = share of draws)")
    display_table(V.robustness_table(shown), "robust_table")
    if out.get("tipping") is not None and len(out["tipping"]):
        st.markdown("**Tipping points** (smallest change of one category's share of the weight, in percentage "
                    "points, that moves the partner into or out of its command's bullish or bearish list)")
        display_table(out["tipping"], "robust_tipping")


def view_data(ctx: dict[str, Any]) -> None:
    dataset, result = ctx["dataset"], ctx["result"]
    tabs = st.tabs(["Dictionary", "Coverage", "Sources & licences", "Method log", "Back-test"])
    with tabs[0]:
        st.dataframe(V.dictionary_table(dataset.dictionary), hide_index=True, key="data_dictionary",
                     height=table_height(len(dataset.dictionary)),
                     column_config={"citation": st.column_config.TextColumn(width="large")})
    with tabs[1]:
        c1, c2 = st.columns([3, 1])
        c1.dataframe(V.coverage_table(dataset), hide_index=True, key="data_coverage",
                     height=table_height(len(dataset.dictionary)),
                     column_config={"coverage_pct": st.column_config.ProgressColumn(
                         "Coverage (states)", format="%.0f%%", min_value=0, max_value=100)})
        c2.markdown("**Partners by data coverage**")
        c2.dataframe(V.partner_coverage(result.scores), hide_index=True, key="data_partner_coverage")
    with tabs[2]:
        st.dataframe(V.licence_table(dataset.dictionary), hide_index=True, key="data_licences",
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
        out = run_backtest()
    except InputError as exc:
        st.error(str(exc))
        return
    show_chart(charts.backtest_chart(out["table"]), scen, "Back-test: propensity vs later improvement", "backtest")
    display_table(out["display"], "backtest_table")
    st.markdown("**Caveats**\n" + "\n".join(f"- {c}" for c in out["caveats"]))


def display_table(frame: pd.DataFrame, key: str, **kwargs: Any) -> None:
    """A read-only table with planner-facing headers and number formats (``views.COLUMN_DISPLAY``)."""
    config: dict[str, Any] = {}
    for col, spec in V.column_display(frame.columns).items():
        if spec["kind"] == "text":
            config[col] = st.column_config.TextColumn(spec["label"])
        else:
            config[col] = st.column_config.NumberColumn(spec["label"], format=spec["format"] or None)
    config |= kwargs.pop("column_config", {})
    st.dataframe(V.as_display_percent(frame), hide_index=True, key=key, column_config=config, **kwargs)


def table_height(rows: int, limit: int = 30) -> int:
    """Pixel height that shows ``rows`` rows (up to ``limit``) of an st.dataframe without scrolling."""
    return 35 * (min(rows, limit) + 1) + 3


def _upload_callback(role: str) -> None:
    """Validate an uploaded file once, when it changes; messages persist in upload_msgs."""
    up = ss.get(f"up_{role}")
    if up is None:
        return
    data, name = up.getvalue(), up.name
    base = base_dataset(ss["priority_basis"], ss["uploads"].get("partners"))
    try:
        if role == "partners":
            n = V.parse_partners_upload(data, name, base.dictionary)
            ss["uploads"]["partners"] = (name, data)
            ss["edits"]["data_files"] = {**ss["edits"].get("data_files", {}), "partners": name}
            msg = f"{name}: {n} partners loaded and validated; scores now use this file."
        elif role == "priority":
            edits = V.parse_priority_upload(data, name, base)
            ss["edits"]["priority_edits"] = {**ss["edits"]["priority_edits"], **edits}
            msg = f"{name}: priorities for {len(edits)} partners applied."
        else:
            edits = V.parse_funding_upload(data, name, base)
            ss["edits"]["funding_edits"] = {**ss["edits"]["funding_edits"], **edits}
            msg = f"{name}: baseline funding for {len(edits)} partners applied."
        ss["upload_msgs"][role] = ("success", msg)
        ss["editor_version"] = ss.get("editor_version", 0) + 1
    except InputError as exc:
        ss["upload_msgs"][role] = ("error", f"Upload rejected — {exc}. Nothing was changed.")


def view_edit(ctx: dict[str, Any]) -> None:
    dataset, scen = ctx["dataset"], ctx["scenario"]
    tabs = st.tabs(["Priorities & funding", "Upload files", "Non-state partner", "Overrides"])
    with tabs[0]:
        st.caption("Edit US priority (1 low – 5 critical) and baseline funding (US$ M per year). Edits belong to "
                   "this scenario, travel in its link and are saved with it.")
        base = ctx["base"]
        table = V.priority_table(dataset, ctx["result"].scores)
        edited = st.data_editor(
            table, hide_index=True, key=f"priority_editor_{ss.get('editor_version', 0)}",
            disabled=["partner_id", "name", "command", "propensity", "priority_basis"], height=420,
            column_config={
                "priority": st.column_config.NumberColumn("Priority", min_value=1, max_value=5, step=1),
                "baseline_usd_m": st.column_config.NumberColumn("Baseline US$ M", min_value=0.0, format="%.2f"),
                "propensity": st.column_config.NumberColumn("Propensity", format="%.0f")})
        prio_base = base.priority.reindex(dataset.partners.index)
        for rec in scen["non_state"]:
            prio_base[rec["partner_id"]] = float(rec.get("priority") or 3.0)
        fund_base = base.funding["baseline_usd_m"].reindex(dataset.partners.index)
        for rec in scen["non_state"]:
            fund_base[rec["partner_id"]] = float(rec.get("baseline_usd_m") or 0.0)
        prio_edits = V.edits_from_table(edited, prio_base, "priority")
        fund_edits = V.edits_from_table(edited, fund_base.fillna(0.0), "baseline_usd_m")
        if prio_edits != ss["edits"]["priority_edits"] or fund_edits != ss["edits"]["funding_edits"]:
            ss["edits"]["priority_edits"], ss["edits"]["funding_edits"] = prio_edits, fund_edits
            st.rerun()
        st.caption(f"{len(prio_edits)} priority edits · {len(fund_edits)} funding edits in this scenario.")
    with tabs[1]:
        st.caption("CSV or XLSX. Partners: same columns as sample_data/partners.csv. Priority: partner_id, priority "
                   "(1–5), optional basis. Funding: partner_id, baseline_usd_m. Problems are reported with the "
                   "file, row and column; nothing changes until a file passes every check.")
        for role, label in (("partners", "Partners file (CSV or XLSX)"), ("priority", "Priority file (CSV or XLSX)"),
                            ("funding", "Baseline funding file (CSV or XLSX)")):
            st.file_uploader(label, type=["csv", "xlsx"], key=f"up_{role}", on_change=_upload_callback,
                             args=(role,))
            msg = ss["upload_msgs"].get(role)
            if msg:
                getattr(st, msg[0])(msg[1])
        if ss["uploads"].get("partners") and st.button("Go back to the sample partners file", key="drop_partners"):
            ss["uploads"].pop("partners", None)
            ss["edits"]["data_files"] = {k: v for k, v in ss["edits"].get("data_files", {}).items() if k != "partners"}
            st.rerun()
    with tabs[2]:
        st.caption("A non-state partner (armed group, sub-state force) has no country indicators: rate each construct "
                   "0–100 and explain why. Ratings become overrides, shown and exported with the rationale.")
        with st.form("ns_form"):
            c1, c2 = st.columns(2)
            ns_id = c1.text_input("Partner id (lower-case slug)", key="ns_id", placeholder="e.g. kurdish-peshmerga")
            ns_name = c2.text_input("Name", key="ns_name")
            ns_command = c1.selectbox("Command", list(allocate.COMMANDS), key="ns_command")
            ns_region = c2.text_input("Region", key="ns_region")
            ns_priority = c1.number_input("Priority (1–5)", 1, 5, 3, key="ns_priority")
            ns_base = c2.number_input("Baseline funding (US$ M/yr)", 0.0, value=0.0, key="ns_baseline")
            ratings = {}
            cols = st.columns(3)
            for i, con in enumerate(dataset.constructs.index):
                ratings[con] = cols[i % 3].slider(str(dataset.constructs.at[con, "construct_label"]), 0, 100, 50,
                                                  key=f"ns_{con}")
            rationale = st.text_area("Rationale for the ratings", key="ns_rationale")
            submitted = st.form_submit_button("Add non-state partner")
        if submitted:
            try:
                partner, over = V.new_non_state_partner(ns_id, ns_name, ns_command, ns_region, ratings, rationale,
                                                        dataset.partners.index, dataset.constructs.index,
                                                        ns_priority, ns_base)
                ss["edits"]["non_state"] = [*ss["edits"]["non_state"], partner]
                ss["edits"]["overrides"] = [*ss["edits"]["overrides"], *over]
                flash("success", f"Added non-state partner {partner['name']} ({partner['partner_id']}).")
                st.rerun()
            except InputError as exc:
                st.error(f"Not added — {exc}")
        if scen["non_state"]:
            st.dataframe(pd.DataFrame(scen["non_state"]), hide_index=True, key="ns_table")
    with tabs[3]:
        st.caption("Override a construct score (0–100) for any partner, with a written rationale.")
        scores = ctx["result"].scores
        with st.form("ov_form"):
            c1, c2 = st.columns(2)
            ov_pid = c1.selectbox("Partner", V.partner_choices(scores), key="ov_partner",
                                  format_func=lambda p: f"{scores.at[p, 'name']} ({p})")
            ov_con = c2.selectbox("Construct", list(dataset.constructs.index), key="ov_construct",
                                  format_func=lambda c: str(dataset.constructs.at[c, "construct_label"]))
            ov_val = st.slider("Override value (0–100)", 0, 100, 50, key="ov_value")
            ov_why = st.text_area("Rationale", key="ov_rationale")
            ov_submit = st.form_submit_button("Add override")
        if ov_submit:
            try:
                ss["edits"]["overrides"] = V.add_override(scen, ov_pid, ov_con, ov_val, ov_why,
                                                          dataset.partners.index, dataset.constructs.index)
                flash("success", f"Override added for {ov_pid} / {ov_con}.")
                st.rerun()
            except InputError as exc:
                st.error(f"Not added — {exc}")
        over = V.overrides_frame(scen)
        if not over.empty:
            st.dataframe(over, hide_index=True, key="ov_table")
    st.divider()
    if st.button("Discard all data edits", key="reset_edits"):
        ss["edits"] = {k: V.default_scenario()[k] for k in EDIT_KEYS}
        ss["uploads"].pop("partners", None)
        ss["editor_version"] = ss.get("editor_version", 0) + 1
        st.rerun()


def _store_action(action: str, path: Any) -> None:
    """Save / load / duplicate / delete in the scenario database (a button callback, before the widgets)."""
    try:
        store = V.open_store(path)
        pick = ss.get("saved_pick")
        if action == "save":
            scen = scenario_from_widgets()
            name = (ss.get("save_name") or "").strip()
            saved = store.save(name, {**scen, "name": name}, overwrite=bool(ss.get("overwrite")))
            flash("success", f"Saved scenario '{saved}'.")
        elif action == "load":
            ss["pending_scenario"] = store.load(pick)
            flash("success", f"Loaded scenario '{pick}'.")
        elif action == "duplicate":
            new = store.duplicate(pick, (ss.get("dup_name") or "").strip() or f"{pick} (copy)")
            ss["dup_name"] = ""
            flash("success", f"Duplicated '{pick}' as '{new}'.")
        elif action == "delete":
            if not ss.get("confirm_delete"):
                flash("warning", "Tick **Confirm delete** first; deleting cannot be undone.")
                return
            store.delete(pick)
            ss["confirm_delete"] = False
            ss.pop("saved_pick", None)
            flash("success", f"Deleted scenario '{pick}'.")
    except InputError as exc:
        verb = {"save": "saved", "load": "loaded", "duplicate": "duplicated", "delete": "deleted"}[action]
        flash("error", f"Not {verb} — {exc}")


def view_scenarios(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    path = V.default_db_path(os.environ)
    st.caption(f"Scenario database: `{path}` (set PRIORITIZER_SCENARIO_DB to use another file).")
    try:
        store = V.open_store(path)
        names = V.store_names(store)
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
        st.markdown("**Shareable link** (reproduces this view and scenario)")
        st.code(V.share_url(getattr(st.context, "url", None), ss["view"], encode_scenario_token(scen)),
                language=None, wrap_lines=True)
    with right:
        st.markdown("**Saved scenarios**")
        if not names:
            st.info("No saved scenarios yet.")
        else:
            st.dataframe(V.store_table(store), hide_index=True, key="saved_table",
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
        sa = scen if a == "(current)" else V.normalise_scenario(store.load(a), V.default_scenario())[0]
        sb = scen if b == "(current)" else V.normalise_scenario(store.load(b), V.default_scenario())[0]
        ra, rb = score_scenario(sa), score_scenario(sb)
    except InputError as exc:
        st.error(f"Cannot compare — {exc}")
        return
    diff = V.compare_settings(sa, sb)
    if diff.empty:
        st.caption("The two scenarios have the same settings.")
    else:
        st.markdown("**Settings that differ**")
        st.dataframe(diff.rename(columns={"a": f"A: {a}", "b": f"B: {b}"}), hide_index=True, key="compare_settings")
    st.markdown("**Rank shifts** (positive = moves up in B)")
    display_table(V.compare_rankings(ra[0].scores, rb[0].scores), "compare_ranks", height=360)
    if st.button("Compare allocations", key="compare_alloc", icon=":material/compare_arrows:"):
        try:
            oa = run_allocation(ra[2], ra[0].scores, ra[1], sa["budget_usd_m"])
            ob = run_allocation(rb[2], rb[0].scores, rb[1], sb["budget_usd_m"])
            ss["compare_alloc_out"] = (a, b, V.compare_allocations(oa["result"].partners, ob["result"].partners))
        except InfeasibleError as exc:
            st.error("Cannot compare allocations — the constraints cannot all be met:\n\n"
                     + "\n".join(f"- {d}" for d in exc.diagnosis))
        except InputError as exc:
            st.error(f"Cannot compare allocations — {exc}")
    got = ss.get("compare_alloc_out")
    if got and got[0] == a and got[1] == b:
        st.markdown("**Allocation deltas** (US$ M per year, B − A)")
        display_table(got[2], "compare_alloc_table")


VIEW_RENDERERS = {
    "top_sheet": view_top_sheet, "matrix": view_matrix, "map": view_map, "profile": view_profile,
    "allocation": view_allocation, "bullbear": view_bullbear, "robustness": view_robustness, "data": view_data,
    "edit": view_edit, "scenarios": view_scenarios,
}


# ------------------------------------------------------------------------------------------- scoring


def encode_scenario_token(scen: dict[str, Any]) -> str:
    return V.encode_token({k: v for k, v in scen.items() if k != "version"} | {"version": V.SCENARIO_VERSION})


def data_key(scen: dict[str, Any], upload: tuple[str, bytes] | None) -> str:
    import hashlib

    digest = hashlib.sha256(upload[1]).hexdigest()[:16] if upload else "sample"
    return f"{scen['priority_basis']}|{digest}"


def score_scenario(scen: dict[str, Any]) -> tuple[Any, Any, str, Any, pd.DataFrame, pd.DataFrame, list[str]]:
    """(result, dataset, scoring key, profile, peers, ranked, notes) for a scenario; InputError on bad input."""
    upload = ss.get("uploads", {}).get("partners")
    base = base_dataset(scen["priority_basis"], upload)
    dataset, notes = V.apply_edits(base, scen)
    prof = V.build_profile(profiles().get(scen["profile"], profiles()["default"]), scen)
    overrides = V.checked_overrides(scen, dataset)
    scope, scope_notes = V.scenario_scope(scen, dataset.partners)
    skey = V.scoring_key(scen, data_key(scen, upload))
    result, peers, ranked = scored(skey, dataset, prof, overrides, scope)
    return result, dataset, skey, prof, peers, ranked, notes + scope_notes + list(dataset.notes)


# ---------------------------------------------------------------------------------------------- main


def main() -> None:
    boot()
    apply_pending_load()
    page_setup()
    upload = ss["uploads"].get("partners")
    try:
        base = base_dataset(ss["priority_basis"], upload)
    except InputError as exc:  # an uploaded partners file that stopped validating: back to the sample
        st.error(f"{exc}. Using the sample partners file instead.")
        ss["uploads"].pop("partners", None)
        base = base_dataset(ss["priority_basis"], None)
    options = V.filter_options(base.partners)
    settings = allocation_settings()
    in_scope = (base.partners["command"] == ss.get("scope_command")) if ss.get("scope_mode") == "one" else None
    funding = base.funding["baseline_usd_m"] if in_scope is None else base.funding["baseline_usd_m"][in_scope]
    default_budget = settings.default_budget(float(funding.sum()))
    sidebar({"options": options, "base": base, "default_budget": default_budget})
    scen = scenario_from_widgets()
    ss["scenario"] = scen
    view = ss["view"]
    st.query_params.update({"view": view, "s": encode_scenario_token(scen)})

    budget = default_budget if scen["budget_usd_m"] is None else scen["budget_usd_m"]
    try:
        result, dataset, skey, prof, peers, ranked, notes = score_scenario(scen)
    except InputError as exc:
        header_band(scen, view, budget)
        show_messages()
        st.error(f"The scenario cannot be scored — {exc}. Fix the input (e.g. in Edit data) or reset the weights.")
        if view in ("edit", "scenarios", "data"):
            st.info("Showing the scenario with its data edits discarded so you can correct them.")
        if st.button("Discard all data edits", key="reset_edits_error"):
            ss["edits"] = {k: V.default_scenario()[k] for k in EDIT_KEYS}
            st.rerun()
        marking_band(scen["marking"])
        return
    basis = columns.priority_basis_kind(result.scores["priority_basis"])
    header_band(scen, view, budget, basis)
    show_messages()
    for n in notes:
        st.warning(n)
    if basis in ("proxy", "neutral") and not scen["presentation"] and view != "edit":
        link = V.share_url(None, "edit", encode_scenario_token(scen))
        what = "the public-facts proxy" if basis == "proxy" else "the neutral default (all 3)"
        st.info(f"Priorities are {what}, not a planner's judgment. [Set real priorities in Edit data]({link}).",
                icon=":material/edit_note:")
    scope, _ = V.scenario_scope(scen, dataset.partners)
    if not scope.is_all:
        st.info(scope.normalisation_text(len(result.scores), len(dataset.partners)), icon=":material/filter_alt:")
    ctx = {"scenario": scen, "result": result, "dataset": dataset, "profile": prof, "peers": peers,
           "ranked": ranked, "base": base, "notes": notes, "budget": budget, "basis": basis,
           "run_keys": {"allocation": V.run_key(scen, skey), "frontier": V.run_key(scen, skey, "frontier"),
                        "robustness": V.run_key(scen, skey, "robustness")}}
    try:
        VIEW_RENDERERS[view](ctx)
    except Exception as exc:  # last resort: a clear message, the rest of the app keeps working
        LOG.exception("view %s failed", view)
        st.error(f"Internal error in the {V.VIEWS[view]} view ({type(exc).__name__}). The other views still work; "
                 "details are in the server log. Please report this with the scenario link.")
    if not scen["presentation"]:
        with st.sidebar:
            st.divider()
            st.markdown("**Exports** (this scenario)")
            exports(ctx)
    st.markdown("<div style='height:12px'></div>", unsafe_allow_html=True)
    marking_band(scen["marking"], "bottom")


def exports(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    alloc = ss["runs"].get("allocation")
    alloc_out = alloc["out"] if alloc and alloc["key"] == ctx["run_keys"]["allocation"] else None
    rob = ss["runs"].get("robustness")
    rob_out = rob["out"] if rob and rob["key"] == ctx["run_keys"]["robustness"] else None

    def workbook() -> bytes:
        sheets = V.workbook_sheets(
            ctx["ranked"], scen, ctx["dataset"],
            allocation=None if alloc_out is None else V.allocation_table(alloc_out["result"].partners),
            bullbear=None if alloc_out is None else alloc_out["bullbear"],
            robustness=None if rob_out is None else V.robustness_table(rob_out["partners"]))
        scope, _ = V.scenario_scope(scen, ctx["dataset"].partners)
        scope_line = scope.normalisation_text(len(ctx["result"].scores), len(ctx["dataset"].partners))
        return report.workbook_bytes(sheets, {"Scenario": scen["name"], "Marking": scen["marking"]}
                                     | sc.report_notes(ctx["dataset"].notes, scope_line),
                                     mechanisms={m.id: m.label for m in allocation_settings().mechanisms},
                                     priority_basis=ctx["basis"])

    def brief() -> bytes:
        meta = chart_meta(scen, "")
        b = cli_brief.brief_inputs(ctx["dataset"], ctx["profile"], ctx["result"], meta,
                                   settings=allocation_settings(), budget_usd_m=scen["budget_usd_m"],
                                   robustness_partners=None if rob_out is None else rob_out["partners"],
                                   matching=matching_settings(), commands=scen["filters"]["commands"])
        return deck.build_deck(b)

    def pack() -> bytes:
        meta = chart_meta(scen, "")
        figs = V.briefing_charts(charts, ctx["result"].scores, matching_settings(), MAP_TOPOJSON,
                                 None if alloc_out is None else alloc_out["result"])
        totals = None
        if alloc_out is not None:
            res = alloc_out["result"]
            totals = {"budget_usd_m": res.budget_usd_m, "baseline_usd_m": float(res.partners["baseline_usd_m"].sum()),
                      "recommended_usd_m": float(res.partners["allocation_usd_m"].sum())}
        summary = report.summary_text(ctx["result"].scores, None if alloc_out is None else alloc_out["bullbear"],
                                      totals, meta=meta)
        return report.briefing_pack(figs, workbook(), summary, meta)

    st.download_button("Excel workbook", data=workbook, file_name=f"{V.file_stem(scen['name'], 'workbook')}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_workbook",
                       on_click="ignore", icon=":material/table:", width="stretch")
    st.download_button("Briefing pack (zip)", data=pack, file_name=f"{V.file_stem(scen['name'], 'briefing')}.zip",
                       mime="application/zip", key="dl_briefing", on_click="ignore",
                       icon=":material/folder_zip:", width="stretch")
    st.download_button("Briefing deck (PowerPoint)", data=brief, key="dl_deck", on_click="ignore",
                       file_name=f"{V.file_stem(scen['name'], 'briefing_deck')}.pptx", icon=":material/slideshow:",
                       mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                       width="stretch")
    if alloc_out is None:
        st.caption("Run the optimizer first to include the allocation and bullish/bearish in the workbook.")


main()
