"""prioritizer.pipeline, the one place stages are chained: what the CLI and the app get from each call."""

from __future__ import annotations

import pandas as pd
import pytest

from prioritizer import pipeline
from prioritizer.allocation.settings_file import load_settings
from prioritizer.charts.style import ChartMeta
from prioritizer.cli import main
from prioritizer.data.edits import load_base_dataset
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_PROFILE
from prioritizer.robustness import settings as robustness_settings
from prioritizer.scenario import default_scenario
from prioritizer.scoring.scope import resolve_scope
from prioritizer.scoring.settings import load_matching_settings, load_profile


@pytest.fixture(scope="module")
def scored():
    return pipeline.score_files()


@pytest.fixture(scope="module")
def settings(scored):
    return pipeline.allocation_settings(None, scored.dataset)


@pytest.fixture(scope="module")
def allocation(scored, settings):
    return pipeline.allocate_scenario(scored.result.scores, scored.dataset, settings)


def test_score_files_is_run_scoring_with_its_scope(scored):
    dataset, profile, result = pipeline.run_scoring()
    pd.testing.assert_frame_equal(result.scores, scored.result.scores)
    assert profile.name == scored.profile.name and scored.scope.is_all
    eu = pipeline.score_files(commands=["EUCOM"])
    assert set(eu.result.scores["command"]) == {"EUCOM"}
    assert eu.scope_line.startswith("scope: EUCOM") and f"of {len(dataset.partners)} partners" in eu.scope_line


def test_allocation_run_matches_the_cli_csv(allocation, tmp_path, capsys):
    out = tmp_path / "alloc.csv"
    assert main(["allocate", "--out", str(out), "--no-marking"]) == 0
    capsys.readouterr()
    written = pd.read_csv(out).set_index("partner_id")["allocation_usd_m"]
    mine = allocation.result.partners["allocation_usd_m"].reindex(written.index)
    assert (written - mine).abs().max() < 1e-6
    assert allocation.result.status == "Optimal"
    assert set(allocation.bullbear["side"]) == {"bullish", "bearish"}
    assert set(allocation.offsets["command"]) <= set(allocation.result.partners["command"])
    assert allocation.mechanism_labels and allocation.notes == []


def test_scoped_allocation_solves_the_scope_with_its_notes(settings):
    eu = pipeline.score_files(commands=["EUCOM"])
    run = pipeline.allocate_scenario(eu.result.scores, eu.dataset, settings, top=2)
    assert set(run.result.partners["command"]) == {"EUCOM"}
    assert run.result.budget_usd_m == pytest.approx(run.inputs.baseline_total_usd_m)  # default rule: the baseline
    assert any("floors/caps" in n for n in run.notes)
    assert run.bullbear.groupby("side").size().max() <= 2


def test_budget_rule_out_of_range_names_the_settings_file(scored, settings):
    huge = scored.dataset.funding.assign(baseline_usd_m=scored.dataset.funding["baseline_usd_m"] * 1e9)
    dataset = scored.dataset.with_funding(huge)
    result = pipeline.score_and_match(dataset, scored.profile, scored.matching)
    with pytest.raises(InputError, match="budget rule gives") as exc:
        pipeline.allocate_scenario(result.scores, dataset, settings)
    assert "allocation.yaml" in str(exc.value)


def test_frontier_defaults_come_from_the_settings(scored, settings):
    run = pipeline.frontier_scenario(scored.result.scores, scored.dataset, settings, levels=3, high_pct=120)
    assert len(run.table) == 3
    assert run.table["pct_of_baseline"].max() == pytest.approx(120)
    assert run.table["pct_of_baseline"].min() == pytest.approx(settings.frontier_low_pct)
    assert run.table["total_benefit"].is_monotonic_increasing


def test_robustness_without_tipping_or_resolves_solves_no_allocation(scored, settings):
    rs = robustness_settings.load_settings().with_changes(draws=50, lp_draws=0)
    run = pipeline.robustness_scenario(scored.result, scored.dataset, scored.profile, rs, settings, tipping=False)
    assert run.tipping is None and run.allocation is None
    assert len(run.monte_carlo.partners) == len(scored.result.scores)
    assert {"partner_id", "category"} <= set(run.tornado.columns)


def test_app_robustness_dict(scored, settings, monkeypatch):
    quick = robustness_settings.load_settings().with_changes(draws=60, lp_draws=4)
    monkeypatch.setattr(robustness_settings, "load_settings", lambda path=None: quick)
    out = pipeline.run_robustness(scored.result, scored.dataset, scored.profile, settings, None)
    assert set(out) == {"partners", "tornado", "tipping", "log"}
    assert out["partners"]["p_bullish"].between(0, 1).all()


def test_app_scenario_edits_profile_and_scope():
    base = load_base_dataset("proxy")
    profile = load_profile(DEFAULT_PROFILE, base.dictionary)
    scen = default_scenario(profile) | {"priority_edits": {"NOR": 1.0, "nowhere": 2.0},
                                        "scope": {"command": "NOWHERECOM", "normalise_within": False},
                                        "category_weights": {"governance": 100.0}}
    prep = pipeline.prepare_scenario(base, scen, profile)
    assert prep.dataset.priority["NOR"] == 1.0
    assert prep.scope == resolve_scope(None, base.partners)
    assert any("'nowhere'" in n for n in prep.notes) and any("showing all commands" in n for n in prep.notes)
    assert prep.profile.category_weights["governance"] > profile.category_weights["governance"]
    scored = pipeline.score_scenario(prep.dataset, prep.profile, load_matching_settings(), prep.overrides, prep.scope)
    assert scored.ranked["partner_id"].iloc[0] == scored.result.scores.sort_values("rank").index[0]
    assert scored.peers["partner_id"].value_counts().max() == load_matching_settings().peers


def test_brief_for_some_commands_keeps_their_calls_only(scored, settings):
    run = pipeline.brief_scenario(scored.dataset, scored.profile, scored.result, ChartMeta(scenario="t"),
                                  settings=settings, commands=["AFRICOM"])
    b = run.brief
    assert set(b.scores["command"]) == set(b.bullbear["command"]) == {"AFRICOM"}
    assert set(b.allocation.partners["command"]) == {"AFRICOM"}
    assert b.allocation.budget_usd_m == pytest.approx(load_settings().default_budget(
        scored.dataset.funding["baseline_usd_m"].sum()))  # the whole solve's budget, seen through the filter
    assert b.robustness is None and run.notes == []
