"""The Streamlit app through AppTest: every view renders, the what-if flow, uploads, runs, scenarios, URLs.

Each test starts a fresh session (AppTest) on the real sample data; caches are shared within the
process, so only the first run pays for imports and loading. The scenario database is a temporary
file (PRIORITIZER_SCENARIO_DB) so tests never touch a planner's saved scenarios.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from prioritizer import scenario
from prioritizer.store import ScenarioStore

APP = "../app.py"
TIMEOUT = 60


@pytest.fixture(autouse=True)
def scenario_db(tmp_path, monkeypatch):
    path = tmp_path / "scenarios.db"
    monkeypatch.setenv("PRIORITIZER_SCENARIO_DB", str(path))
    return path


def goto(at: AppTest, view: str) -> AppTest:
    """Open a view's page, as the sidebar navigation does."""
    return at.switch_page(f"ui/pages/{view}.py").run()


def title(at: AppTest) -> str:
    """The view title in the page header."""
    found = [re.search(r'class="pp-title">([^<]*)<', m.value) for m in at.markdown]
    return html.unescape(next(f.group(1) for f in found if f))


def start(view: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if view:
        at.query_params["view"] = view
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def ok(at: AppTest) -> None:
    """No exception and no internal-error message on the page."""
    assert not at.exception, [e.message for e in at.exception]
    internal = [e.value for e in at.error if "Internal error" in e.value]
    assert not internal, internal


def top_table(at: AppTest):
    frames = [d.value for d in at.dataframe if "propensity" in d.value.columns and "partner_id" in d.value.columns]
    assert frames, "the top sheet table is not on the page"
    return frames[0]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def markings(at: AppTest) -> int:
    return sum('class="pp-marking"' in m.value for m in at.markdown)


# ----------------------------------------------------------------------------------------- every view


KEY_ELEMENT = {
    "top_sheet": lambda at: len(top_table(at)) > 150,
    "matrix": lambda at: any("US priority" in c.proto.spec for c in at.get("vega_lite_chart")),
    "map": lambda at: any('"topojson"' in c.proto.spec and "Topology" in c.proto.spec
                          for c in at.get("vega_lite_chart")) and at.selectbox(key="map_value").value == "propensity",
    "profile": lambda at: at.selectbox(key="partner").value == top_table_first(at)
    and any("citation" in d.value.columns and "year" in d.value.columns for d in at.dataframe),
    "allocation": lambda at: at.button(key="run_allocation").label == "Run optimizer",
    "bullbear": lambda at: at.button(key="run_allocation_bb").label == "Run optimizer",
    "robustness": lambda at: at.button(key="run_robustness").label == "Run robustness",
    "data": lambda at: any("licence" in d.value.columns for d in at.dataframe),
    "edit": lambda at: at.file_uploader(key="up_priority").label == "Priority file (CSV or XLSX)",
    "scenarios": lambda at: at.button(key="save_scenario").label == "Save scenario"
    and "PRIORITIZER_SCENARIO_DB" in texts(at.caption),
}


def top_table_first(at: AppTest) -> str:
    return "JPN" if "JPN" in [o for o in at.selectbox(key="partner").options] else at.selectbox(key="partner").value


@pytest.mark.parametrize("view", list(scenario.VIEWS))
def test_every_view_renders_from_its_query_parameter(view):
    at = start(view)
    ok(at)
    assert title(at) == scenario.VIEWS[view]
    assert markings(at) == 2, "marking line at the top and the bottom of the page"
    assert KEY_ELEMENT[view](at)
    assert "view" not in at.query_params, "the old ?view= parameter gives way to the page's own address"
    assert at.query_params["s"].startswith("pp1.")


@pytest.mark.parametrize("view", ["matrix", "scenarios"])
def test_every_view_is_a_page_of_the_navigation(view):
    at = goto(start(), view)
    ok(at)
    assert title(at) == scenario.VIEWS[view]
    assert markings(at) == 2
    assert KEY_ELEMENT[view](at)


def test_old_view_link_keeps_the_scenario_token():
    scen = scenario.default_scenario()
    scen["name"], scen["category_weights"] = "Old link", {"governance": 70}
    at = start("frontier", s=scenario.encode_token(scen))
    ok(at)
    assert title(at) == scenario.VIEWS["allocation"]
    assert at.sidebar.text_input(key="scenario_name").value == "Old link"
    assert at.sidebar.slider(key="w_governance").value == 70


def test_unknown_view_falls_back_with_a_warning():
    at = start("nope")
    ok(at)
    assert title(at) == scenario.VIEWS["top_sheet"]
    assert "nope" in texts(at.warning)


# ---------------------------------------------------------------------------------------------- what-if


def test_moving_a_weight_slider_changes_the_ranking_and_the_url():
    at = start()
    before = top_table(at)
    token_before = at.query_params["s"]
    at.sidebar.slider(key="w_governance").set_value(0).run()
    at.sidebar.slider(key="w_us_engagement").set_value(100).run()
    ok(at)
    after = top_table(at)
    assert before["partner_id"].tolist() != after["partner_id"].tolist()
    merged = before.set_index("partner_id")["propensity"].sort_index().compare(
        after.set_index("partner_id")["propensity"].sort_index())
    assert len(merged) > 100, "propensity changes for most partners"
    assert at.query_params["s"] != token_before
    scen = scenario.decode_token(at.query_params["s"])
    assert scen["category_weights"]["governance"] == 0 and scen["category_weights"]["us_engagement"] == 100


def test_profile_picker_resets_the_sliders():
    at = start()
    at.sidebar.selectbox(key="profile").set_value("equal").run()
    ok(at)
    values = {s.key: s.value for s in at.sidebar.slider if s.key.startswith("w_")}
    assert len(set(values.values())) == 1, values


def test_filters_restrict_the_top_sheet_without_rescoring():
    at = start()
    full = top_table(at).set_index("partner_id")
    at.sidebar.multiselect(key="f_commands").set_value(["EUCOM"]).run()
    ok(at)
    eucom = top_table(at).set_index("partner_id")
    assert set(eucom["command"]) == {"EUCOM"}
    assert eucom["propensity"].equals(full.loc[eucom.index, "propensity"])


def test_method_choices_change_scores():
    at = start()
    before = top_table(at)["propensity"].sort_values().tolist()
    at.sidebar.radio(key="aggregation").set_value("geometric").run()
    ok(at)
    assert top_table(at)["propensity"].sort_values().tolist() != before


# ------------------------------------------------------------------------------------------------ uploads


def test_bad_upload_shows_file_row_column_and_the_app_keeps_working():
    at = start("edit")
    at.file_uploader(key="up_priority").set_value(("prio.csv", b"partner_id,priority\nKEN,9\n", "text/csv")).run()
    ok(at)
    errors = texts(at.error)
    assert "prio.csv" in errors and "row 2" in errors and "column 'priority'" in errors
    assert at.session_state["edits"]["priority_edits"] == {}
    goto(at, "top_sheet")
    ok(at)
    assert len(top_table(at)) > 150


def test_bad_partners_and_funding_uploads_are_rejected_by_name():
    at = start("edit")
    at.file_uploader(key="up_partners").set_value(("partners.csv", b"partner_id,name\nKEN,Kenya\n", "text/csv"))
    at.file_uploader(key="up_funding").set_value(("fund.xlsx", b"not really excel", "application/octet-stream"))
    at.run()
    ok(at)
    errors = texts(at.error)
    assert "partners.csv" in errors and "partner_type" in errors
    assert "fund.xlsx" in errors
    goto(at, "top_sheet")
    assert len(top_table(at)) > 150


def test_good_priority_upload_changes_the_matrix_inputs():
    at = start("edit")
    at.file_uploader(key="up_priority").set_value(("p.csv", b"partner_id,priority\nKEN,5\nFRA,1\n", "text/csv")).run()
    ok(at)
    assert "p.csv" in texts(at.success)
    assert at.session_state["edits"]["priority_edits"] == {"KEN": 5.0, "FRA": 1.0}
    assert scenario.decode_token(at.query_params["s"])["priority_edits"]["KEN"] == 5.0


def test_priority_and_funding_edits_in_the_table():
    at = start("edit")
    key = f"priority_editor_{at.session_state['editor_version']}"
    first = at.data_editor[0].value.iloc[0]
    at.session_state[key] = {"edited_rows": {0: {"priority": 5, "baseline_usd_m": 42.0}}, "added_rows": [],
                             "deleted_rows": []}
    at.run()
    ok(at)
    edits = at.session_state["edits"]
    assert edits["priority_edits"] == {first["partner_id"]: 5.0}
    assert edits["funding_edits"] == {first["partner_id"]: 42.0}


def test_add_a_non_state_partner_through_construct_ratings():
    at = start("edit")
    at.text_input(key="ns_id").set_value("test-force")
    at.text_input(key="ns_name").set_value("Test force")
    at.selectbox(key="ns_command").set_value("CENTCOM")
    at.slider(key="ns_alignment").set_value(90)
    at.text_area(key="ns_rationale").set_value("")
    next(b for b in at.button if b.label == "Add non-state partner").click().run()
    ok(at)
    assert "rationale" in texts(at.error)
    at.text_area(key="ns_rationale").set_value("liaison reporting 2024")
    next(b for b in at.button if b.label == "Add non-state partner").click().run()
    ok(at)
    assert [p["partner_id"] for p in at.session_state["edits"]["non_state"]] == ["test-force"]
    goto(at, "top_sheet")
    table = top_table(at).set_index("partner_id")
    assert table.at["test-force", "partner_type"] == "non-state"
    assert table.at["test-force", "overrides"] == 11


def test_override_form_requires_a_rationale_and_shows_in_the_profile():
    at = start("edit")
    at.selectbox(key="ov_partner").set_value("KEN")
    at.selectbox(key="ov_construct").set_value("alignment")
    at.slider(key="ov_value").set_value(95)
    at.text_area(key="ov_rationale").set_value("=HYPERLINK(\"x\") new basing agreement")
    next(b for b in at.button if b.label == "Add override").click().run()
    ok(at)
    assert at.session_state["edits"]["overrides"][0]["value"] == 95.0
    goto(at, "profile")
    at.selectbox(key="partner").set_value("KEN").run()
    ok(at)
    assert any("rationale" in d.value.columns and len(d.value) == 1 for d in at.dataframe)


# ---------------------------------------------------------------------------------------- heavy runs


def test_allocation_runs_on_the_button_and_goes_stale_on_change():
    at = start("allocation")
    assert not at.metric, "nothing is solved before the button is pressed"
    at.button(key="run_allocation").click().run()
    ok(at)
    labels = [m.label for m in at.metric]
    assert "Total benefit" in labels and not at.error
    at.button(key="run_frontier").click().run()
    ok(at)
    assert any('"budget_usd_m"' in c.proto.spec for c in at.get("vega_lite_chart"))
    goto(at, "bullbear")
    ok(at)
    cards = [m.value for m in at.markdown if m.value.startswith('<div class="pp-card-head"')]
    assert len(cards) == 6
    assert any("Bullish" in m.value and "importance" in m.value for m in at.markdown)
    at.sidebar.slider(key="w_stability").set_value(60).run()
    assert "Stale" in texts(at.warning)


def test_budget_below_the_locks_gets_an_answer_marked_as_not_meeting_the_statute():
    # issue 9: budget cuts always get an answer; below the locks they are scaled and every relaxation named
    at = start("allocation")
    at.sidebar.number_input(key="budget").set_value(0.0).run()
    at.button(key="run_allocation").click().run()
    ok(at)
    errors = texts(at.error)
    assert "does NOT meet the statute" in errors
    warnings = " ".join(w.value for w in at.warning)
    assert "limits relaxed" in warnings and "Israel's Foreign Military Financing is scaled from" in warnings
    assert "$" in warnings
    goto(at, "top_sheet")
    assert len(top_table(at)) > 150


def test_robustness_runs_and_feeds_the_bullbear_cards():
    pytest.importorskip("prioritizer.robustness")
    at = start("robustness")
    at.button(key="run_robustness").click().run(timeout=120)
    ok(at)
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("rank_p95" in s for s in specs) and any("weight raised" in s for s in specs)
    goto(at, "bullbear")
    at.button(key="run_allocation_bb").click().run()
    ok(at)
    assert any("P(bullish)" in m.value for m in at.markdown)


# ------------------------------------------------------------------------------------------- scenarios


def test_save_load_duplicate_delete_scenarios(scenario_db):
    at = start("scenarios")
    at.sidebar.slider(key="w_governance").set_value(60)
    at.text_input(key="save_name").set_value("Alpha")
    at.button(key="save_scenario").click().run()
    ok(at)
    assert "Saved scenario 'Alpha'" in texts(at.success)
    assert ScenarioStore(scenario_db).load("Alpha")["category_weights"]["governance"] == 60

    at.sidebar.slider(key="w_governance").set_value(5).run()
    at.selectbox(key="saved_pick").set_value("Alpha")
    at.button(key="load_scenario").click().run()
    ok(at)
    assert at.sidebar.slider(key="w_governance").value == 60

    at.text_input(key="dup_name").set_value("Beta")
    at.button(key="duplicate_scenario").click().run()
    ok(at)
    assert set(at.selectbox(key="saved_pick").options) == {"Alpha", "Beta"}

    at.selectbox(key="saved_pick").set_value("Alpha")
    at.button(key="delete_scenario").click().run()
    assert "Confirm delete" in texts(at.warning)
    assert ScenarioStore(scenario_db).exists("Alpha")
    at.checkbox(key="confirm_delete").check()
    at.button(key="delete_scenario").click().run()
    ok(at)
    assert ScenarioStore(scenario_db).list()["name"].tolist() == ["Beta"]


def test_saving_over_an_existing_name_needs_overwrite(scenario_db):
    ScenarioStore(scenario_db).save("Alpha", {"name": "Alpha"})
    at = start("scenarios")
    at.text_input(key="save_name").set_value("alpha")
    at.button(key="save_scenario").click().run()
    ok(at)
    assert "already exists" in texts(at.error)
    assert ScenarioStore(scenario_db).load("Alpha") == {"name": "Alpha"}


def test_compare_two_scenarios_shows_rank_shifts_and_allocation_deltas(scenario_db):
    at = start("scenarios")
    at.text_input(key="save_name").set_value("Gov heavy")
    at.sidebar.slider(key="w_governance").set_value(90)
    at.button(key="save_scenario").click().run()
    at.sidebar.slider(key="w_governance").set_value(25).run()
    at.selectbox(key="compare_a").set_value("(current)")
    at.selectbox(key="compare_b").set_value("Gov heavy").run()
    ok(at)
    shifts = next(d.value for d in at.dataframe if "rank_shift" in d.value.columns)
    assert shifts["rank_shift"].abs().max() > 0
    at.button(key="compare_alloc").click().run()
    ok(at)
    assert any("delta_usd_m" in d.value.columns for d in at.dataframe)


def test_compare_with_nothing_saved_asks_for_two_scenarios(scenario_db):
    at = start("scenarios")
    ok(at)
    assert "Choose two different scenarios" in texts(at.info)
    assert not any("rank_shift" in d.value.columns for d in at.dataframe)


def test_bad_database_path_is_reported_and_nothing_is_lost(tmp_path, monkeypatch):
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    monkeypatch.setenv("PRIORITIZER_SCENARIO_DB", str(folder))
    at = start("scenarios")
    ok(at)
    assert "cannot be used" in texts(at.error)


# ---------------------------------------------------------------------------------------- URL & refresh


def test_the_url_token_restores_the_scenario_after_a_refresh():
    at = start("matrix")
    at.sidebar.text_input(key="scenario_name").set_value("Shared")
    at.sidebar.slider(key="w_stability").set_value(55)
    at.sidebar.text_input(key="marking").set_value("CUI")
    at.run()
    params = dict(at.query_params)
    again = start("matrix", **params)
    ok(again)
    assert title(again) == scenario.VIEWS["matrix"]
    assert again.sidebar.text_input(key="scenario_name").value == "Shared"
    assert again.sidebar.slider(key="w_stability").value == 55
    assert "CUI" in "".join(m.value for m in again.markdown if "pp-marking" in m.value)


def test_damaged_url_token_gives_a_message_and_defaults():
    at = start("top_sheet", s="pp1.garbage!!")
    ok(at)
    assert "shared scenario link is not valid" in texts(at.error)
    assert at.sidebar.slider(key="w_governance").value == 25
    assert len(top_table(at)) > 150


def test_presentation_mode_hides_exports_and_keeps_the_marking():
    at = start()
    assert at.get("download_button")
    at.sidebar.toggle(key="presentation").set_value(True).run()
    ok(at)
    assert not [b for b in at.get("download_button") if b.key.startswith("dl_top")]
    assert markings(at) == 2
    assert scenario.decode_token(at.query_params["s"])["presentation"] is True


def test_presentation_allocation_keeps_relaxations_to_one_line():
    at = start("allocation")
    at.button(key="run_allocation").click().run()
    ok(at)
    full = [w.value for w in at.warning if "relaxed to give an answer" in w.value]
    assert full, "no relaxation warning"
    lines = full[0].split("\n- ")[1:]  # the working view lists every relaxation of $0.1 M or more, one per
    big = [line for line in lines if "relaxed by" in line]  # line, and counts the smaller ones in one line
    folded = [line for line in lines if "smaller relaxation" in line]
    assert len(big) >= 6 and len(big) + len(folded) == len(lines) and len(folded) == 1, lines
    assert "$0.00 M" not in full[0] and int(re.search(r"and (\d+) smaller", folded[0]).group(1)) + len(big) == \
        int(re.match(r"(\d+) limits", full[0]).group(1))
    at.sidebar.toggle(key="presentation").set_value(True).run()
    ok(at)
    slide = [w.value for w in at.warning if "relaxed to give an answer" in w.value]
    assert len(slide) == 1 and "\n" not in slide[0] and "Relaxations sheet" in slide[0], slide


def test_chosen_partner_survives_a_view_switch_and_travels_in_the_url():
    at = start("profile")
    at.selectbox(key="partner").set_value("KEN").run()
    goto(at, "top_sheet")
    goto(at, "profile")
    ok(at)
    assert at.selectbox(key="partner").value == "KEN"
    assert scenario.decode_token(at.query_params["s"])["partner"] == "KEN"


def test_valid_partners_upload_replaces_the_data_and_can_be_undone():
    from prioritizer.paths import SAMPLE_DATA_DIR

    lines = (SAMPLE_DATA_DIR / "partners.csv").read_text(encoding="utf-8").splitlines()
    at = start("edit")
    at.file_uploader(key="up_partners").set_value(("ten.csv", "\n".join(lines[:11]).encode(), "text/csv")).run()
    ok(at)
    assert "ten.csv: 10 partners" in texts(at.success)
    goto(at, "top_sheet")
    ok(at)
    assert len(top_table(at)) == 10
    goto(at, "edit")
    at.button(key="drop_partners").click().run()
    goto(at, "top_sheet")
    assert len(top_table(at)) > 150


def test_all_category_weights_zero_is_a_message_not_a_crash():
    at = start()
    for s in at.sidebar.slider:
        if s.key.startswith("w_"):
            s.set_value(0)
    at.run()
    ok(at)
    assert "all category weights are zero" in texts(at.error)
    at.sidebar.slider(key="w_stability").set_value(10).run()
    ok(at)
    assert not at.error and len(top_table(at)) > 150


# ------------------------------------------------------------------------------- saved runs (issue 11.4)


def _run_and_save(name: str) -> AppTest:
    at = start("allocation")
    at.sidebar.text_input(key="scenario_name").set_value(name)
    at.sidebar.slider(key="w_stability").set_value(45)
    at.run()
    at.button(key="run_allocation").click().run()
    at.button(key="run_frontier").click().run()
    ok(at)
    at = goto(at, "scenarios")
    at.text_input(key="save_name").set_value(name)
    at.button(key="save_scenario").click().run()
    ok(at)
    assert f"Saved scenario '{name}' with its allocation and efficient frontier" in texts(at.success)
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_saved_runs_come_back_from_the_link_without_re_running(scenario_db):
    at = _run_and_save("Brief")
    allocated = _metric(goto(at, "allocation"), "Allocated")
    saved = ScenarioStore(scenario_db).load_results("Brief")
    assert set(saved) == {"allocation", "frontier"} and saved["allocation"]["payload"]["version"] == 1
    # A refresh / the shared link: a new session from the address alone.
    again = start("allocation", s=at.query_params["s"])
    ok(again)
    assert _metric(again, "Allocated") == allocated, "the saved allocation is shown before any button press"
    assert any('"budget_usd_m"' in c.proto.spec for c in again.get("vega_lite_chart")), "the saved frontier"
    assert "Saved with the scenario on" in texts(again.markdown)
    assert "Stale" not in texts(again.warning)
    saved_line = next(m.value for m in again.markdown if "Saved with the scenario on" in m.value)
    assert re.search(r"on \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2};", saved_line), "a local time, not ISO UTC"


def test_loading_a_saved_scenario_restores_its_runs_and_marks_them_stale_when_inputs_differ(scenario_db):
    at = _run_and_save("Alpha")
    at.sidebar.slider(key="w_stability").set_value(5).run()
    at.selectbox(key="saved_pick").set_value("Alpha")
    at.button(key="load_scenario").click().run()
    ok(at)
    at = goto(at, "allocation")
    assert "Total benefit" in [m.label for m in at.metric] and "Stale" not in texts(at.warning)
    at.sidebar.slider(key="w_stability").set_value(80).run()
    ok(at)
    assert "inputs changed since this run — re-run" in texts(at.warning)
    # The same name in a link with other weights: the saved runs are shown, marked stale.
    scen = scenario.decode_token(at.query_params["s"])
    other = start("bullbear", s=scenario.encode_token(scen))
    ok(other)
    assert "Stale" in texts(other.warning)


def test_a_damaged_saved_result_is_not_used(scenario_db):
    store = ScenarioStore(scenario_db)
    scen = scenario.decode_token(start().query_params["s"])
    scen["name"] = "Hostile"
    store.save("Hostile", scen)
    store.save_result("Hostile", "allocation", "x", {"version": 1, "kind": "allocation",
                                                     "data": {"result": {"partners": {"columns": "oops"}}}})
    at = start("allocation", s=scenario.encode_token(scen))
    ok(at)
    assert "damaged" in texts(at.warning)
    assert not at.metric, "nothing is shown from a damaged result"
    assert at.button(key="run_allocation").label == "Run optimizer"


def test_saved_scenarios_list_shows_local_times_and_saved_runs(scenario_db):
    at = _run_and_save("Gamma")
    table = next(d.value for d in at.dataframe if "Last saved" in d.value.columns)
    row = table.set_index("Scenario").loc["Gamma"]
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", row["Last saved"]), row["Last saved"]
    assert row["Saved runs"] == "allocation, efficient frontier"


# ------------------------------------------------------------------------------ plain words (issue 11.5)


def test_filtered_allocation_tiles_total_the_shown_partners():
    at = start("allocation")
    at.button(key="run_allocation").click().run()
    whole = {m.label: m.value for m in at.metric}
    at.sidebar.multiselect(key="f_commands").set_value(["EUCOM"]).run()
    ok(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Budget"] == whole["Budget"]
    assert "Allocated · EUCOM" in shown and shown["Allocated · EUCOM"] != whole["Allocated"]
    table = next(d.value for d in at.dataframe if "allocation_usd_m" in d.value.columns)
    assert set(table["command"]) == {"EUCOM"}
    total = float(shown["Allocated · EUCOM"].replace("$", "").replace(",", "").replace("M", ""))
    assert table["allocation_usd_m"].sum() == pytest.approx(total, abs=0.1)


def test_low_confidence_partners_are_named_on_the_top_sheet():
    at = start()
    table = top_table(at)
    low = table[table["confidence"] == "LOW"]["name"].tolist()
    assert low, "the sample has low-confidence partners"
    line = next(m.value for m in at.markdown if m.value.startswith("**Low confidence**"))
    assert low[0] in line


def test_clearing_the_budget_gives_the_default_and_reset_restores_it():
    at = start("allocation")
    at.sidebar.number_input(key="budget").set_value(1234.0).run()
    assert "$1,234" in texts(at.caption)
    at.sidebar.button(key="budget_reset").click().run()
    ok(at)
    assert at.sidebar.number_input(key="budget").value is None
    assert "settings default" in texts(at.caption)
    at.sidebar.number_input(key="budget").set_value(None).run()
    ok(at)
    assert "settings default" in texts(at.caption) and "$0.0" not in texts(at.caption)


def test_matrix_counts_table_has_planner_headers():
    at = start("matrix")
    counts = next(d for d in at.dataframe if "quadrant" in d.value.columns)
    labels = {c: v.get("label") for c, v in json.loads(counts.proto.columns).items()}
    assert labels["quadrant"] == "Quadrant" and labels["partners"] == "Partners", labels
