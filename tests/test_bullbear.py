"""Bullish / bearish partners per command and the offsets that pay for the surges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prioritizer.allocation import bullbear as bb
from prioritizer.allocation.inputs import build_inputs
from prioritizer.allocation.settings_file import settings_from_dict
from prioritizer.allocation.solve import AllocationResult, allocate
from prioritizer.allocation.synthetic import synthetic_tables
from prioritizer.domain import CATEGORIES, category_label
from prioritizer.pipeline import allocate_scenario, allocation_settings, run_scoring

CFG = {
    "name": "bullbear test",
    "mechanisms": [{"id": "education", "effect": 1.0}, {"id": "fmf", "effect": 0.35,
                                                        "eligibility": {"partner_types": ["state"]}}],
    "partners": {"default": {"max_cut_pct": 60, "max_increase_pct": 60, "increase_allowance_usd_m": 12}},
}


@pytest.fixture(scope="module")
def solved():
    scores, raw, funding = synthetic_tables(90, seed=21)
    s = settings_from_dict(CFG)
    inputs = build_inputs(scores, raw, funding, s)
    result = allocate(inputs, s, inputs.baseline_total_usd_m)
    return inputs, result, bb.bullish_bearish(result, inputs)


def test_columns_and_at_most_three_per_side_and_command(solved):
    _, result, table = solved
    assert list(table.columns[:4]) == ["command", "side", "rank", "partner_id"]
    for col in ("name", "importance", "expected_benefit", "relative_cost", "risk", "baseline_usd_m",
                "allocation_usd_m", "change_usd_m", "rationale"):
        assert col in table.columns
    counts = table.groupby(["command", "side"]).size()
    assert (counts <= 3).all() and counts.max() == 3
    for (_, _side), rows in table.groupby(["command", "side"]):
        assert list(rows["rank"]) == list(range(1, len(rows) + 1))
    p = result.partners.loc[table["partner_id"]]
    np.testing.assert_allclose(table["change_usd_m"].to_numpy(), p["change_usd_m"].to_numpy())
    # the call is what the recommendation moves: recommended minus reference (locks and gates are not calls)
    np.testing.assert_allclose(table["call_usd_m"].to_numpy(),
                               (table["allocation_usd_m"] - table["reference_usd_m"]).to_numpy())
    assert (table.loc[table["side"] == "bullish", "call_usd_m"] > 0).all()
    assert (table.loc[table["side"] == "bearish", "call_usd_m"] < 0).all()
    np.testing.assert_allclose(table["importance"].to_numpy(), p["priority"].to_numpy())
    assert (table["command"].to_numpy() == p["command"].to_numpy()).all()


def test_bullish_ranked_by_return_bearish_by_least_benefit_per_dollar(solved):
    _, result, table = solved
    bull = table[table["side"] == "bullish"]
    bear = table[table["side"] == "bearish"]
    surge = table["allocation_usd_m"] - table["reference_usd_m"]
    assert (surge[bull.index] > 0).all()
    assert (surge[bear.index] < 0).all() and (bear["reference_usd_m"] > 0).all()
    p = result.partners
    material = result.settings.bullbear_min_change_usd_m
    for command, rows in bull.groupby("command"):
        assert rows["marginal_benefit_per_usd_m"].is_monotonic_decreasing
        others = p[(p["command"] == command) & (p["allocation_usd_m"] - p["reference_usd_m"] > material)]
        assert len(rows) == min(3, len(others))
    for command, rows in bear.groupby("command"):
        # ranked by the benefit the last dollars buy (lowest first), not by the size of the cut
        assert rows["marginal_benefit_per_usd_m"].is_monotonic_increasing
        cut = p[(p["command"] == command) & (p["reference_usd_m"] > 0)
                & (p["allocation_usd_m"] - p["reference_usd_m"] < -material)]
        lowest = cut["marginal_benefit_per_usd_m"].nsmallest(len(rows))
        np.testing.assert_allclose(np.sort(rows["marginal_benefit_per_usd_m"].to_numpy()), np.sort(lowest.to_numpy()))


def test_unfunded_partner_is_never_bearish(solved):
    inputs, result, _ = solved
    pid = result.partners.index[result.partners["baseline_usd_m"] == 0][0]
    # pretend the optimizer cut this unfunded partner: it must still not be listed as bearish
    fake = AllocationResult(**{**result.__dict__, "partners": result.partners.copy()})
    fake.partners.loc[pid, "change_usd_m"] = -999.0
    table = bb.bullish_bearish(fake, inputs)
    assert pid not in set(table.loc[table["side"] == "bearish", "partner_id"])


def test_fewer_than_three_when_fewer_qualify():
    scores, raw, funding = synthetic_tables(5, seed=3)
    scores["command"] = "EUCOM"
    funding["baseline_usd_m"] = [0.0, 0.0, 0.0, 0.0, 50.0]
    scores["priority"] = [5.0, 5.0, 5.0, 5.0, 1.0]
    scores["propensity"] = [90.0, 85.0, 80.0, 75.0, 10.0]
    s = settings_from_dict(CFG)
    inputs = build_inputs(scores, raw, funding, s)
    result = allocate(inputs, s, 50.0)
    table = bb.bullish_bearish(result, inputs)
    bear = table[table["side"] == "bearish"]
    assert list(bear["partner_id"]) == [scores.index[4]]  # the only partner with baseline funding
    assert (table["side"] == "bullish").sum() == 3  # four partners surge; three are listed
    assert set(table["command"]) == {"EUCOM"}


def test_rationale_names_top_drivers_and_priority(solved):
    inputs, _, table = solved
    for row in table.itertuples():
        cats = inputs.partners.loc[row.partner_id, [f"{c}_score" for c in CATEGORIES]].astype(float)
        if row.side == "bullish":
            best = cats.idxmax().removesuffix("_score")
            assert row.rationale.startswith("Surge +$")
            assert category_label(best, in_sentence=True) in row.rationale and f"({cats.max():.0f})" in row.rationale
        else:
            worst = cats.idxmin().removesuffix("_score")
            assert row.rationale.startswith("Reduce −$")
            assert category_label(worst, in_sentence=True) in row.rationale
        assert f"priority {row.importance:.0f}" in row.rationale
        assert "\n" not in row.rationale


def test_offsets_sum_the_listed_surges_and_cuts(solved):
    _, result, table = solved
    offs = bb.offsets(table, result)
    for row in offs.itertuples():
        rows = table[table["command"] == row.command]
        surge = rows["allocation_usd_m"] - rows["reference_usd_m"]  # measured as the calls are
        assert row.surge_usd_m == pytest.approx(surge[rows["side"] == "bullish"].sum())
        assert row.offsets_usd_m == pytest.approx(-surge[rows["side"] == "bearish"].sum())
        assert row.net_usd_m == pytest.approx(row.surge_usd_m - row.offsets_usd_m)
        p = result.partners[result.partners["command"] == row.command]
        assert row.command_change_usd_m == pytest.approx(p["change_usd_m"].sum())
    assert offs["surge_usd_m"].ge(0).all() and offs["offsets_usd_m"].ge(0).all()


def _check_unlisted_cuts(table: pd.DataFrame, result: AllocationResult) -> pd.DataFrame:
    offs = bb.offsets(table, result).set_index("command")
    call = bb.recommended_change(result.partners)
    for command, members in result.partners.groupby("command"):
        listed = table[(table["command"] == command) & (table["side"] == "bearish")]
        cuts = (listed["allocation_usd_m"] - listed["reference_usd_m"])
        smallest = float(cuts.max()) if len(listed) else 0.0
        others = call.reindex(members.index).drop(listed["partner_id"])
        bigger = others[others < min(smallest, 0.0)]
        row = offs.loc[command]
        if len(bigger):  # the largest cut the list leaves out, and only one larger than a listed cut
            assert row["unlisted_cut_partner_id"] == bigger.idxmin()
            assert row["unlisted_cut_usd_m"] == pytest.approx(bigger.min())
            assert row["unlisted_cut_partner_id"] not in set(listed["partner_id"])
        else:
            assert pd.isna(row["unlisted_cut_usd_m"])
    return offs


def test_offsets_name_the_largest_cut_the_bearish_list_leaves_out(solved):
    _, result, table = solved
    _check_unlisted_cuts(table, result)


def test_on_the_sample_large_unlisted_cuts_are_named():
    """Lebanon's −$113 M and Ukraine's cut sit below the top-3 bearish ranks (benefit lost per $1 M); a
    briefer must still see them."""
    dataset, _, scored = run_scoring()
    run = allocate_scenario(scored.scores, dataset, allocation_settings(None, dataset))
    offs = _check_unlisted_cuts(run.bullbear, run.result)
    assert offs.at["CENTCOM", "unlisted_cut_name"] == "Lebanon" and offs.at["CENTCOM", "unlisted_cut_usd_m"] < -50
    assert offs.at["EUCOM", "unlisted_cut_name"] == "Ukraine"
    text = bb.unlisted_cut_text(offs.loc["CENTCOM"], lambda x: f"{x:+.1f}")
    assert text.startswith("larger cut not on the list: Lebanon -1")


def test_relative_cost_is_relative_to_the_command_median(solved):
    _, result, table = solved
    assert (table["relative_cost"].dropna() > 0).all()
    assert table["risk"].between(0, 1).all()
    assert pd.api.types.is_float_dtype(table["expected_benefit"])
