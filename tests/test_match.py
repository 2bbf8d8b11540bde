"""Matching: quadrants, funding mismatch and peers, on hand-made and real sample data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prioritizer.errors import InputError
from prioritizer.pipeline import run_scoring
from prioritizer.scoring import match
from prioritizer.scoring.settings import MatchingSettings, load_matching_settings

SETTINGS = MatchingSettings(priority_threshold=4, propensity_threshold=50, high_cost_ratio=2.0,
                            under_resourced_ratio=0.5, min_funding_share=0.0)


def test_quadrants_cover_all_four_cases():
    ids = ["A", "B", "C", "D", "E"]
    propensity = pd.Series([80.0, 20.0, 80.0, 20.0, np.nan], index=ids)
    priority = pd.Series([5, 4, 2, 1, 5], index=ids, dtype=float)
    q = match.quadrants(propensity, priority, SETTINGS)
    assert q.tolist()[:4] == ["invest", "manage expectations", "opportunity", "deprioritise"]
    assert pd.isna(q["E"])


def test_median_propensity_threshold():
    ids = list("ABCD")
    propensity = pd.Series([10.0, 20.0, 30.0, 40.0], index=ids)
    priority = pd.Series([5.0] * 4, index=ids)
    settings = MatchingSettings(propensity_threshold="median")
    assert match.quadrants(propensity, priority, settings).tolist() == [
        "manage expectations", "manage expectations", "invest", "invest"]


def test_funding_mismatch_flags():
    ids = ["rich_low", "starved_invest", "fair"]
    propensity = pd.Series([20.0, 90.0, 60.0], index=ids)
    priority = pd.Series([2.0, 5.0, 3.0], index=ids)
    baseline = pd.Series([80.0, 1.0, 19.0], index=ids)
    out = match.funding_mismatch(propensity, priority, baseline, SETTINGS)
    merit = (priority / 5) * (propensity / 100)
    np.testing.assert_allclose(out["merit_share"], merit / merit.sum())
    np.testing.assert_allclose(out["funding_share"], baseline / 100)
    assert out.loc["rich_low", "funding_flag"] == "high cost / low return"
    assert out.loc["starved_invest", "funding_flag"] == "under-resourced"
    assert out.loc["fair", "funding_flag"] == ""


def test_peers_are_nearest_in_construct_space():
    constructs = pd.DataFrame({"c1": [10, 11, 50, 90, np.nan], "c2": [10, 12, 50, 88, 30]},
                              index=["A", "B", "C", "D", "E"], dtype=float)
    peers = match.peers(constructs, k=2, names=pd.Series({"A": "a", "B": "b", "C": "c", "D": "d", "E": "e"}))
    first = peers[peers["peer_rank"] == 1].set_index("partner_id")["peer_id"]
    assert first["A"] == "B" and first["B"] == "A" and first["D"] == "C"
    assert (peers["partner_id"] != peers["peer_id"]).all()
    assert peers.groupby("partner_id")["distance"].apply(lambda d: d.is_monotonic_increasing).all()
    assert set(peers.columns) >= {"partner_id", "peer_rank", "peer_id", "peer_name", "distance"}


def test_sample_pipeline_produces_all_quadrants_and_flags():
    dataset, profile, result = run_scoring()
    s = result.scores
    assert len(s) >= 190 and s["command"].notna().all()
    assert set(s["quadrant"].dropna()) == {"invest", "manage expectations", "opportunity", "deprioritise"}
    assert s["propensity"].between(0, 100).all()
    assert s["rank"].min() == 1
    assert set(s["funding_flag"]) >= {"", "high cost / low return"}
    # every partner's rank within its command starts at 1
    assert (s.groupby("command")["rank_in_command"].min() == 1).all()


def test_matching_settings_validation(tmp_path):
    path = tmp_path / "matching.yaml"
    path.write_text("priority_threshold: 9\n", encoding="utf-8")
    with pytest.raises(InputError, match="key 'priority_threshold'"):
        load_matching_settings(path)
    path.write_text("propensity_cutoff: 50\n", encoding="utf-8")
    with pytest.raises(InputError, match="key 'propensity_cutoff'"):
        load_matching_settings(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("priority_threshold: 9", "key 'priority_threshold': must be between 1 and 5"),
    ("propensity_cutoff: 50", "key 'propensity_cutoff': unknown key (expected: high_cost_ratio, min_funding_share, "
     "name, peers, priority_threshold, propensity_threshold, purpose, under_resourced_ratio)"),
    ("propensity_threshold: 101", "key 'propensity_threshold': must be a score 0–100 or 'median'"),
    ("propensity_threshold: mean", "key 'propensity_threshold': must be a score 0–100 or 'median'"),
    ("high_cost_ratio: -1", "key 'high_cost_ratio': cannot be negative"),
    ("under_resourced_ratio: -1", "key 'under_resourced_ratio': cannot be negative"),
    ("peers: 0", "key 'peers': must be a whole number ≥ 1"),
    ("peers: 2.5", "key 'peers': must be a whole number"),
    ("- priority_threshold", "matching settings must be a YAML mapping"),
    # once a TypeError (exit 70): text where a number belongs
    ("high_cost_ratio: two", "key 'high_cost_ratio': must be a number (got 'two')"),
    ("min_funding_share: x", "key 'min_funding_share': must be a number (got 'x')"),
    ("priority_threshold: true", "key 'priority_threshold': must be a number (got True)"),
])
def test_matching_settings_errors_name_file_and_key(tmp_path, text, expected):
    path = tmp_path / "matching.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_matching_settings(path)
    message = str(err.value)
    assert message.startswith("file 'matching.yaml'") and expected in message, message


def test_matching_settings_defaults_median_and_shipped_file(tmp_path):
    path = tmp_path / "matching.yaml"
    path.write_text("name: x\npurpose: y\npropensity_threshold: median\npeers: 3\n", encoding="utf-8")
    settings = load_matching_settings(path)
    assert settings.propensity_threshold == "median" and settings.peers == 3
    assert settings.high_cost_ratio == MatchingSettings().high_cost_ratio
    assert settings.source == str(path)
    shipped = load_matching_settings()
    assert shipped.priority_threshold == 4 and shipped.propensity_threshold == 50
    assert SETTINGS.min_funding_share == 0.0


def test_run_scoring_reports_a_bad_matching_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("high_cost_ratio: two\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        run_scoring(matching=path)
    assert str(err.value) == "file 'bad.yaml', key 'high_cost_ratio': must be a number (got 'two')"
