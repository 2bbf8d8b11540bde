"""The pure helpers behind each app view (scenario, data.edits, report.view_tables, report.cards, pipeline), on the
sample data and small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prioritizer import pipeline as PL
from prioritizer import scenario as SC
from prioritizer.data import edits as ED
from prioritizer.data.dataset import load_dataset
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_PROFILE
from prioritizer.pipeline import score_and_match
from prioritizer.report import cards as CA
from prioritizer.report import view_tables as VT
from prioritizer.scoring.match import peers
from prioritizer.scoring.settings import load_matching_settings, load_profile


@pytest.fixture(scope="module")
def sample():
    dataset = load_dataset()
    profile = load_profile(DEFAULT_PROFILE, dataset.dictionary)
    return dataset, profile


@pytest.fixture(scope="module")
def scored(sample):
    dataset, profile = sample
    result = score_and_match(dataset, profile, load_matching_settings())
    return dataset, profile, result


# ------------------------------------------------------------------------------------- views & URL


def test_view_param_selects_each_view_and_falls_back_with_a_message():
    for view in SC.VIEWS:
        assert SC.view_from_param(view) == (view, None)
    assert SC.view_from_param(None) == (SC.DEFAULT_VIEW, None)
    assert SC.view_from_param("Frontier")[0] == "allocation"
    view, msg = SC.view_from_param("nonsense")
    assert view == SC.DEFAULT_VIEW and "nonsense" in msg


def test_scenario_round_trips_through_the_url_token(sample):
    _, profile = sample
    scen = SC.default_scenario(profile)
    scen["priority_edits"] = {"KEN": 5.0}
    scen["overrides"] = [{"partner_id": "KEN", "construct": "alignment", "value": 70.0, "rationale": "=cmd()"}]
    token = SC.encode_token(scen)
    assert token.isascii() and "&" not in token and "=" not in token
    back, notes = SC.normalise_scenario(SC.decode_token(token))
    assert notes == []
    assert back == scen


def test_damaged_token_is_an_input_error():
    with pytest.raises(InputError):
        SC.decode_token("pp1.not-a-real-token!")
    with pytest.raises(InputError):
        SC.decode_token(SC.encode_token({"name": "x"})[:-7])


def test_normalise_scenario_drops_bad_entries_with_notes(sample):
    _, profile = sample
    base = SC.default_scenario(profile)
    scen, notes = SC.normalise_scenario({"budget_usd_m": -5, "normalisation": "bogus", "unknown": 1,
                                        "category_weights": {"governance": "abc", "stability": 40},
                                        "filters": {"commands": ["EUCOM"]}, "marking": ""}, base)
    assert scen["budget_usd_m"] is None
    assert scen["normalisation"] == base["normalisation"]
    assert scen["category_weights"] == {"stability": 40.0}
    assert scen["filters"]["commands"] == ["EUCOM"]
    assert scen["marking"] == "UNCLASSIFIED"
    assert len(notes) == 4
    assert SC.normalise_scenario("not a dict")[1]


def test_scoring_key_ignores_display_settings_but_not_weights(sample):
    _, profile = sample
    a = SC.default_scenario(profile)
    b = {**a, "filters": {"commands": ["EUCOM"], "regions": [], "types": []}, "name": "other", "marking": "X",
         "presentation": True}
    assert SC.scoring_key(a) == SC.scoring_key(b)
    c = {**a, "category_weights": {**a["category_weights"], "governance": 60}}
    assert SC.scoring_key(a) != SC.scoring_key(c)
    assert SC.run_key(a) != SC.run_key({**a, "budget_usd_m": 100.0})
    assert SC.run_key(a, extra="frontier") != SC.run_key(a)


def test_profile_settings_give_percent_shares_and_build_profile_applies_them(sample):
    dataset, profile = sample
    settings = SC.profile_settings(profile)
    assert settings["category_weights"]["governance"] == 25
    assert sum(settings["category_weights"].values()) == 100
    scen = {**SC.default_scenario(profile), "category_weights": {**settings["category_weights"], "governance": 50},
            "aggregation": "geometric"}
    built = SC.build_profile(profile, scen)
    assert built.category_weights["governance"] == 50.0
    assert built.aggregation == "geometric"
    with pytest.raises(InputError):
        SC.build_profile(profile, {**scen, "category_weights": dict.fromkeys(settings["category_weights"], 0)})


def test_settings_frame_lists_weights_filters_and_marking(sample):
    _, profile = sample
    frame = VT.settings_frame(SC.default_scenario(profile))
    assert list(frame.columns) == ["setting", "value"]
    text = dict(zip(frame["setting"], frame["value"], strict=True))
    assert text["Category weight: Governance & institutions"].startswith("25")
    assert text["Filter: commands"] == "all"
    assert text["Marking"] == "UNCLASSIFIED"


def test_share_url_keeps_view_and_token():
    assert SC.share_url(None, "map", "pp1.abc") == "?view=map&s=pp1.abc"
    assert SC.share_url("http://127.0.0.1:8501/?view=x&s=old", "map", "pp1.abc") == \
        "http://127.0.0.1:8501/?view=map&s=pp1.abc"


# ------------------------------------------------------------------------------------------- edits


def test_apply_edits_changes_priority_and_funding_and_reports_unknown_ids(sample):
    dataset, profile = sample
    scen = {**SC.default_scenario(profile), "priority_edits": {"KEN": 5.0, "ZZZ": 2.0},
            "funding_edits": {"KEN": 12.5}}
    edited, notes = ED.apply_edits(dataset, scen)
    assert edited.priority["KEN"] == 5.0
    assert edited.priority.attrs["basis"]["KEN"] == "planner edit in this scenario"
    assert edited.funding.at["KEN", "baseline_usd_m"] == 12.5
    assert any("ZZZ" in n for n in notes)
    assert dataset.priority["KEN"] != 5.0 or dataset.funding.at["KEN", "baseline_usd_m"] != 12.5  # input untouched


def test_non_state_partner_is_scored_from_its_ratings(sample):
    dataset, profile = sample
    partner, over = ED.new_non_state_partner(
        "test-militia", "Test militia", "CENTCOM", "Asia", dict.fromkeys(dataset.constructs.index, 80),
        "field reporting, 2024", dataset.partners.index, dataset.constructs.index, priority=4, baseline_usd_m=3)
    scen = {**SC.default_scenario(profile), "non_state": [partner], "overrides": over}
    edited, notes = ED.apply_edits(dataset, scen)
    assert notes == []
    assert edited.partners.at["test-militia", "partner_type"] == "non-state"
    assert edited.priority["test-militia"] == 4.0
    assert edited.funding.at["test-militia", "baseline_usd_m"] == 3.0
    result = score_and_match(edited, SC.build_profile(profile, scen), load_matching_settings(),
                             ED.checked_overrides(scen, edited))
    row = result.scores.loc["test-militia"]
    assert row["propensity"] == pytest.approx(80.0)
    assert row["coverage"] == pytest.approx(1.0)
    assert row["overrides"] == len(dataset.constructs)


@pytest.mark.parametrize("field, kwargs", [
    ("partner_id", {"partner_id": "Bad Id"}),
    ("partner_id", {"partner_id": "KEN"}),
    ("name", {"name": " "}),
    ("command", {"command": "SPACECOM"}),
    ("rationale", {"rationale": ""}),
    ("alignment", {"ratings": {"alignment": 140}}),
    ("priority", {"priority": 9}),
])
def test_non_state_partner_errors_name_the_field(sample, field, kwargs):
    dataset, _ = sample
    args = {"partner_id": "ok-group", "name": "OK", "command": "AFRICOM", "region": "Africa",
            "ratings": {"alignment": 50}, "rationale": "because", "existing": list(dataset.partners.index) + ["KEN"],
            "constructs": dataset.constructs.index} | kwargs
    if args["partner_id"] == "KEN":
        args["partner_id"] = "ken"
        args["existing"] = ["ken"]
    with pytest.raises(InputError) as err:
        ED.new_non_state_partner(**args)
    assert err.value.column == field


def test_add_override_replaces_and_requires_rationale(sample):
    dataset, profile = sample
    scen = SC.default_scenario(profile)
    rows = ED.add_override(scen, "KEN", "alignment", 60, "new embassy reporting", dataset.partners.index,
                          dataset.constructs.index)
    rows = ED.add_override({**scen, "overrides": rows}, "KEN", "alignment", 65, "revised", dataset.partners.index,
                          dataset.constructs.index)
    assert rows == [{"partner_id": "KEN", "construct": "alignment", "value": 65.0, "rationale": "revised"}]
    with pytest.raises(InputError) as err:
        ED.add_override(scen, "KEN", "alignment", 60, "  ", dataset.partners.index, dataset.constructs.index)
    assert err.value.column == "rationale"
    with pytest.raises(InputError):
        ED.add_override(scen, "KEN", "nope", 60, "x", dataset.partners.index, dataset.constructs.index)


def test_edits_from_table_returns_only_changed_cells():
    base = pd.Series({"A": 3.0, "B": 1.0, "C": 5.0})
    edited = pd.DataFrame({"partner_id": ["A", "B", "C", "Z"], "priority": [3, 4, None, 2]})
    assert ED.edits_from_table(edited, base, "priority") == {"B": 4.0}


def test_priority_upload_validates_and_returns_listed_values(sample):
    dataset, _ = sample
    good = b"partner_id,priority,basis\nKEN,5,planner\nFRA,2,planner\n"
    assert ED.parse_priority_upload(good, "prio.csv", dataset) == {"KEN": 5.0, "FRA": 2.0}
    with pytest.raises(InputError) as err:
        ED.parse_priority_upload(b"partner_id,priority\nKEN,9\n", "prio.csv", dataset)
    assert (err.value.file, err.value.row, err.value.column) == ("prio.csv", 2, "priority")
    assert "prio.csv" in str(err.value) and "row 2" in str(err.value)


def test_funding_and_partners_uploads_report_row_and_column(sample):
    dataset, _ = sample
    assert ED.parse_funding_upload(b"partner_id,baseline_usd_m\nKEN,7.5\n", "f.csv", dataset) == {"KEN": 7.5}
    with pytest.raises(InputError) as err:
        ED.parse_funding_upload(b"partner_id,baseline_usd_m\nKEN,abc\n", "f.csv", dataset)
    assert (err.value.row, err.value.column) == (2, "baseline_usd_m")
    with pytest.raises(InputError) as err:
        ED.parse_partners_upload(b"partner_id,name\nKEN,Kenya\n", "p.csv", dataset.dictionary)
    assert err.value.column == "partner_type"


def test_uploaded_partners_file_builds_a_dataset_with_sample_priority(sample):
    dataset, _ = sample
    from pathlib import Path

    from prioritizer.paths import SAMPLE_DATA_DIR

    text = Path(SAMPLE_DATA_DIR / "partners.csv").read_text(encoding="utf-8").splitlines()
    subset = "\n".join(text[:11]).encode("utf-8")
    small = ED.load_base_dataset("proxy", ("ten.csv", subset))
    assert len(small.partners) == 10
    assert small.priority.equals(dataset.priority.reindex(small.partners.index))
    assert small.files["partners"] == "ten.csv"
    neutral = ED.load_base_dataset("neutral")
    assert set(neutral.priority.unique()) == {3.0}


# --------------------------------------------------------------------------------------- top sheet


def test_filters_keep_matching_rows_only(scored):
    _, _, result = scored
    scores = result.scores
    options = VT.filter_options(scores)
    assert options["commands"][0] == "AFRICOM" and "state" in options["types"]
    eucom = VT.filter_scores(scores, {"commands": ["EUCOM"], "regions": [], "types": []})
    assert len(eucom) and set(eucom["command"]) == {"EUCOM"}
    both = VT.filter_scores(scores, {"commands": ["EUCOM"], "regions": ["Asia"]})
    assert set(both["region"]) <= {"Asia"}
    assert len(VT.filter_scores(scores, {})) == len(scores)


def test_top_sheet_is_rank_ordered_with_confidence_flag(scored):
    from prioritizer.report.view_tables import ranked_table

    _, _, result = scored
    table = VT.top_sheet(ranked_table(result.scores))
    ranked = table["rank"].notna()
    assert table.loc[ranked, "rank"].is_monotonic_increasing
    assert not ranked.iloc[int(ranked.sum()):].any()  # unranked (low coverage) partners come last
    assert set(table.loc[~ranked, "confidence"]) == {"LOW"}
    assert table.columns[:3].tolist() == ["partner_id", "rank", "name"]
    assert "governance_score" in table and "low_confidence" not in table
    low = result.scores.index[result.scores["low_confidence"]]
    assert set(table.loc[table["confidence"] == "LOW", "partner_id"]) == set(low)


def test_score_colour_runs_light_to_dark():
    assert CA.score_colour(0).startswith("background-color: #F3F7FB")
    assert CA.score_colour(100).startswith("background-color: #08306B") and "#FFFFFF" in CA.score_colour(100)
    assert "#F2F2F2" in CA.score_colour(np.nan)
    assert CA.score_colour(150) == CA.score_colour(100)


def test_score_colours_match_the_single_value_version():
    frame = pd.DataFrame({"a": [0.0, 100.0, np.nan, 37.2], "b": [55.0, 56.0, 150.0, -3.0]})
    out = CA.score_colours(frame)
    assert out.shape == frame.shape
    for col in frame:
        assert out[col].tolist() == [CA.score_colour(v) for v in frame[col]]


def test_ranking_summary(scored):
    _, _, result = scored
    summary = VT.ranking_summary(result.scores)
    assert summary["partners"] == len(result.scores)
    assert summary["top_score"] == pytest.approx(result.scores["propensity"].max())


# ---------------------------------------------------------------------------------------- profile


def test_profile_indicator_table_has_value_year_source(scored):
    dataset, _, result = scored
    table = VT.profile_indicator_table(dataset, result, "KEN")
    assert len(table) == len(dataset.dictionary)
    assert {"indicator", "value", "unit", "year", "source", "citation", "licence"} <= set(table.columns)
    row = table.set_index("indicator_id").loc["wgi_rule_of_law"]
    assert row["value"] == pytest.approx(dataset.partners.at["KEN", "wgi_rule_of_law"])
    assert row["year"] == dataset.years.at["KEN", "wgi_rule_of_law"]
    assert table["weight_pct"].sum() == pytest.approx(100.0)


def test_profile_peers_and_overrides(scored):
    dataset, profile, result = scored
    pr = peers(result.constructs, k=3, names=result.scores["name"])
    mine = VT.partner_peers(pr, result.scores, "KEN")
    assert len(mine) == 3 and "KEN" not in set(mine["peer_id"])
    assert mine["propensity"].notna().all()
    scen = {**SC.default_scenario(profile),
            "overrides": [{"partner_id": "KEN", "construct": "alignment", "value": 70, "rationale": "r"}]}
    over = VT.profile_overrides(scen, "KEN", dataset.constructs)
    assert over.at[0, "construct_label"] == "Alignment (UN voting)" and over.at[0, "rationale"] == "r"
    assert VT.profile_overrides(scen, "FRA", dataset.constructs).empty
    h = VT.partner_headline(result.scores, "KEN")
    assert h["command"] == "AFRICOM" and 1 <= h["rank"] <= h["of"]


# ------------------------------------------------------------------------------------------- data


def test_coverage_and_licence_tables(scored):
    dataset, _, result = scored
    cov = VT.coverage_table(dataset)
    assert len(cov) == len(dataset.dictionary)
    assert cov["coverage_pct"].between(0, 100).all()
    lic = VT.licence_table(dataset.dictionary)
    assert lic["indicators"].str.split(", ").map(len).sum() == len(dataset.dictionary)
    bands = VT.partner_coverage(result.scores)
    assert bands["partners"].sum() == len(result.scores)
    assert list(VT.dictionary_table(dataset.dictionary).columns[:2]) == ["indicator_id", "label"]


def test_indicators_sheet_has_sources_for_every_value(sample):
    dataset, _ = sample
    sheet = VT.indicators_sheet(dataset)
    assert sheet["value"].notna().all()
    aux = int(dataset.partners["cow_milex_usd_m"].notna().sum())  # allocation-only source values, also listed
    assert len(sheet) == int(dataset.raw.notna().to_numpy().sum()) + aux
    assert (sheet.loc[sheet["indicator_id"] == "cow_milex_usd_m", "source"].str.startswith("COW")).all()
    assert sheet["source"].ne("").all() and sheet["licence"].ne("").all()


def test_matrix_counts_cover_all_partners(scored):
    _, _, result = scored
    counts = VT.matrix_counts(result.scores)
    assert counts["partners"].sum() == int(result.scores["quadrant"].notna().sum())
    assert VT.quadrant_members(result.scores, "invest", 5)["propensity"].is_monotonic_decreasing


# --------------------------------------------------------------------------------------- allocation


def test_allocation_helpers_and_cards():
    partners = pd.DataFrame({"name": ["A", "B"], "command": ["EUCOM", "EUCOM"], "baseline_usd_m": [10.0, 0.0],
                             "allocation_usd_m": [5.0, 8.0], "change_usd_m": [-5.0, 8.0]},
                            index=pd.Index(["AAA", "BBB"], name="partner_id"))
    table = VT.allocation_table(partners)
    assert table["partner_id"].tolist() == ["BBB", "AAA"]
    mech = pd.DataFrame({"partner_id": ["AAA", "AAA", "BBB"], "mechanism": ["fmf", "education", "education"],
                         "allocation_usd_m": [5.0, 0.0, 8.0], "baseline_usd_m": [10.0, 0.0, 0.0]})
    summary = VT.mechanism_summary(mech, {"fmf": "FMF", "education": "IMET"}).set_index("mechanism")
    assert summary.at["education", "partners_funded"] == 1 and summary.at["fmf", "change_usd_m"] == -5.0
    assert set(VT.mechanism_long(mech, partners)["command"]) == {"EUCOM"}
    bb = pd.DataFrame({"command": ["EUCOM", "EUCOM"], "side": ["bullish", "bearish"], "rank": [1, 1],
                       "partner_id": ["BBB", "AAA"], "name": ["B <b>", "A"], "importance": [4, 2],
                       "expected_benefit": [1.5, 0.2], "relative_cost": [0.8, np.nan], "risk": [0.2, 0.6],
                       "change_usd_m": [8.0, -5.0], "rationale": ["Surge", "Reduce"]})
    robust = pd.DataFrame({"p_bullish": [0.9], "p_bearish": [0.0]}, index=["BBB"])
    cards = CA.bullbear_cards(bb, robust)
    assert cards["EUCOM"]["bullish"][0]["p_bullish"] == 0.9
    assert cards["EUCOM"]["bearish"][0]["p_bearish"] is None
    html_text = CA.card_html(cards["EUCOM"]["bullish"][0], "bullish")
    assert "B &lt;b&gt;" in html_text and "+$8.0M" in html_text and "P(bullish) 90%" in html_text
    assert "Surge" in html_text
    bear = CA.card_html(cards["EUCOM"]["bearish"][0], "bearish")  # plain words, each with a glossary tooltip
    assert ">relative cost</abbr> –" in bear and '<abbr title="Cost of one unit of benefit' in bear
    offsets = pd.DataFrame({"command": ["EUCOM"], "surge_usd_m": [8.0], "offsets_usd_m": [5.0],
                            "command_change_usd_m": [3.0]})
    assert CA.offsets_text(offsets, "EUCOM") == "listed surge +$8.0M · listed cuts −$5.0M · command total +$3.0M"
    offsets = offsets.assign(unlisted_cut_name=["Ukraine"], unlisted_cut_usd_m=[-67.31])
    assert CA.offsets_text(offsets, "EUCOM").endswith("· larger cut not on the list: Ukraine −$67.3M")
    assert CA.money(-1234.5) == "−$1,234.5M" and CA.money(None) == "–" and CA.pct(0.456) == "46%"


def test_a_locked_partner_card_shows_the_call_not_the_lock():
    """Israel-like: a lock raises the reference above the baseline; the optimizer cuts the unlocked rest.
    The card shows the cut (the call), orange under Bearish, and says what it is measured from."""
    bb = pd.DataFrame({"command": ["CENTCOM"], "side": ["bearish"], "rank": [1], "partner_id": ["ISR"],
                       "name": ["Israel"], "importance": [5], "expected_benefit": [9.2], "relative_cost": [3.7],
                       "risk": [0.0], "baseline_usd_m": [3099.4], "reference_usd_m": [3816.9],
                       "allocation_usd_m": [3558.5], "change_usd_m": [459.1], "call_usd_m": [-258.4],
                       "rationale": ["Reduce −$258.4 M: weak x"]})
    card = CA.bullbear_cards(bb)["CENTCOM"]["bearish"][0]
    text = CA.card_html(card, "bearish")
    assert '<span class="pp-bear">−$258.4M</span>' in text and "+$459.1M" not in text
    assert "from $3,816.9M with locks (baseline $3,099.4M)" in text
    gated = CA.card_html({**card, "reference_usd_m": 3.7, "baseline_usd_m": 15.7}, "bearish")
    assert "from $3.7M eligible (baseline $15.7M)" in gated
    plain = bb.assign(reference_usd_m=3099.4, call_usd_m=459.1, side="bullish")
    assert "baseline $" not in CA.card_html(CA.bullbear_cards(plain)["CENTCOM"]["bullish"][0], "bullish")


def test_short_rationale_drops_what_the_card_already_shows():
    assert CA.short_rationale("Surge +$3.7 M: strong stability (87) and governance (67); priority 1") == \
        "Strong stability (87) and governance (67)"
    assert CA.short_rationale("Reduce −$1,031.2 M (held at its minimum): weak x; priority 2") == \
        "Held at its minimum: weak x"
    assert CA.short_rationale(None) == ""


def test_binding_table_sorts_by_marginal_value():
    binding = pd.DataFrame({"constraint": ["a", "b"], "group": ["x", "y"], "subject": ["", ""],
                            "amount_usd_m": [1.0, 2.0], "dual": [0.1, -0.5]})
    assert VT.binding_table(binding)["constraint"].tolist() == ["b", "a"]
    assert VT.binding_table(binding.iloc[0:0]).empty


# --------------------------------------------------------------------------------- compare & export


def test_compare_rankings_and_allocations(scored, sample):
    dataset, profile, result = scored
    scen = SC.default_scenario(profile)
    scen["category_weights"] = {**SC.profile_settings(profile)["category_weights"], "governance": 80}
    other = score_and_match(dataset, SC.build_profile(profile, scen), load_matching_settings())
    cmp = VT.compare_rankings(result.scores, other.scores)
    assert {"partner_id", "command", "rank_a", "rank_b", "rank_shift"} <= set(cmp.columns)
    shift = cmp["rank_shift"].abs()
    assert shift.dropna().is_monotonic_decreasing
    assert shift.iloc[int(shift.notna().sum()):].isna().all()  # unranked in a scenario: no shift, listed last
    assert cmp["rank_shift"].abs().max() > 0
    a = pd.DataFrame({"name": ["A", "B"], "command": ["EUCOM", "AFRICOM"], "allocation_usd_m": [5.0, 1.0]},
                     index=["AAA", "BBB"])
    b = a.assign(allocation_usd_m=[2.0, 4.0])
    alloc = VT.compare_allocations(a, b)
    assert alloc["delta_usd_m"].tolist() == [3.0, -3.0] or alloc["delta_usd_m"].tolist() == [-3.0, 3.0]
    assert {"partner_id", "name", "command"} <= set(alloc.columns)
    diff = VT.compare_settings(SC.default_scenario(profile), scen)
    assert diff["setting"].str.contains("Governance").any()


def test_workbook_sheets_neutralise_user_text(scored):
    from io import BytesIO

    from openpyxl import load_workbook

    from prioritizer.report.export import workbook_bytes
    from prioritizer.report.view_tables import ranked_table

    dataset, profile, result = scored
    scen = {**SC.default_scenario(profile), "name": "=HYPERLINK(\"x\")",
            "overrides": [{"partner_id": "KEN", "construct": "alignment", "value": 70, "rationale": "+SUM(A1)"}]}
    sheets = VT.workbook_sheets(ranked_table(result.scores), scen, dataset)
    assert list(sheets) == ["Rankings", "Allocation", "Indicators & sources", "Scenario settings", "Overrides"]
    book = load_workbook(BytesIO(workbook_bytes(sheets, {"Scenario": scen["name"]})))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "+", "@")) for v in cells)
    assert any("+SUM(A1)" in v for v in cells)


def test_file_stem_is_safe():
    import datetime as dt

    assert VT.file_stem("Q3 review / EUCOM!", "ranking", dt.date(2025, 1, 2)) == "ranking_q3-review-eucom_2025-01-02"
    assert VT.file_stem("", "x", dt.date(2025, 1, 2)) == "x_scenario_2025-01-02"


def test_tornado_and_tipping_tables():
    tor = pd.DataFrame({"partner_id": ["A", "A", "B"], "category": ["governance", "stability", "governance"],
                        "score_at_low": [50.0, 55.0, 1.0], "score_at_high": [60.0, 57.0, 2.0],
                        "score_base": [55.0, 56.0, 1.5]})
    rows = VT.tornado_for(tor, "A")
    assert rows.columns.tolist() == ["category", "low_score", "high_score", "base_score"] and len(rows) == 2
    with pytest.raises(InputError):
        VT.tornado_for(tor, "Z")
    tips = pd.DataFrame({"name": ["A", "B"], "tip_delta": [-0.02, 0.1], "tip_category": ["governance", None]},
                        index=pd.Index(["AAA", "BBB"], name="partner_id"))
    out = VT.tipping_table(tips.assign(base_call=["bullish", None]))
    assert out["partner_id"].tolist() == ["AAA", "BBB"] and out.at[0, "tip_category"] == "Governance & institutions"
    assert out["base_call"].tolist() == ["bullish", "neither"]


def test_column_display_labels_formats_and_percent_scaling():
    frame = pd.DataFrame({"partner_id": ["AAA"], "allocation_usd_m": [1291.2483], "p_bullish": [0.84],
                          "tip_delta": [-0.02], "unlisted": [3.0]})
    spec = CA.column_display(frame.columns)
    assert set(spec) == {"partner_id", "allocation_usd_m", "p_bullish", "tip_delta"}  # unknown columns untouched
    assert spec["allocation_usd_m"] == {"label": "Recommended $M", "kind": "money", "format": "%.1f"}
    shown = CA.as_display_percent(frame)
    assert shown.at[0, "p_bullish"] == pytest.approx(84.0) and shown.at[0, "tip_delta"] == pytest.approx(-2.0)
    assert shown.at[0, "allocation_usd_m"] == frame.at[0, "allocation_usd_m"] and frame.at[0, "p_bullish"] == 0.84
    # every column the app's result tables carry has a planner-facing header
    for cols in (["baseline_usd_m", "change_pct", "lower_usd_m", "upper_usd_m", "marginal_benefit_per_usd_m"],
                 ["rank_p5", "rank_p95", "p_top10", "funded_share", "core_class", "tip_share", "tip_change"]):
        assert set(CA.column_display(cols)) == set(cols)


def test_robustness_run_through_the_library(scored):
    from prioritizer import domain
    from prioritizer.allocation.settings_file import load_settings

    dataset, profile, result = scored
    out = PL.run_robustness(result, dataset, profile,
                           load_settings(known_commands=domain.COMMANDS), None)
    table = VT.robustness_table(out["partners"])
    assert (table["rank_p5"] <= table["rank_p95"]).all()
    assert table["p_bullish"].between(0, 1).all()
    assert len(VT.tornado_for(out["tornado"], "KEN")) == len(result.categories.columns)


def test_briefing_pack_has_charts_workbook_and_summary(scored):
    import io
    import zipfile

    from prioritizer.charts.style import ChartMeta
    from prioritizer.paths import SAMPLE_DATA_DIR
    from prioritizer.report.export import workbook_bytes
    from prioritizer.report.pack import briefing_pack
    from prioritizer.report.summary import summary_text
    from prioritizer.report.view_tables import ranked_table

    dataset, profile, result = scored
    scen = SC.default_scenario(profile)
    figs = VT.briefing_charts(result.scores, load_matching_settings(), SAMPLE_DATA_DIR / "world-110m.json")
    assert list(figs) == ["Propensity ranking — top 30", "Priority × propensity", "World map — propensity"]
    meta = ChartMeta(scenario="Test", marking="UNCLASSIFIED")
    book = workbook_bytes(VT.workbook_sheets(ranked_table(result.scores), scen, dataset), {"Scenario": "Test"})
    pack = briefing_pack(figs, book, summary_text(result.scores, meta=meta), meta)
    names = zipfile.ZipFile(io.BytesIO(pack)).namelist()
    assert sum(n.endswith(".png") for n in names) == 3 and sum(n.endswith(".svg") for n in names) == 3
    assert any(n.endswith(".xlsx") for n in names) and "summary.md" in names
