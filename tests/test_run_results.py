"""Run results as JSON (prioritizer.run_results): round trip through the scenario store, the inputs hash
and its stale check, and hostile payloads refused with an InputError naming the key."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from prioritizer import domain, scenario
from prioritizer import run_results as RR
from prioritizer.allocation import frontier as allocation_frontier
from prioritizer.allocation.bullbear import bullish_bearish, offsets
from prioritizer.allocation.settings_file import load_settings
from prioritizer.allocation.solve import allocate
from prioritizer.data.dataset import load_dataset
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_PROFILE
from prioritizer.pipeline import score_and_match
from prioritizer.report.view_tables import allocation_table
from prioritizer.scoring.scope import allocation_for_scope
from prioritizer.scoring.settings import load_matching_settings, load_profile
from prioritizer.store import ScenarioStore


@pytest.fixture(scope="module")
def sample_run():
    """The optimizer and a 4-level frontier on the sample, as the app holds them."""
    dataset = load_dataset()
    result = score_and_match(dataset, load_profile(DEFAULT_PROFILE, dataset.dictionary), load_matching_settings())
    settings = load_settings(known_commands=domain.COMMANDS)
    run = allocation_for_scope(result.scores, dataset, settings, None)
    res = allocate(run.inputs, run.settings, run.budget_usd_m)
    table = bullish_bearish(res, run.inputs)
    out = {"result": res, "bullbear": table, "offsets": offsets(table, res), "scope_notes": run.notes}
    frontier = allocation_frontier.frontier(run.inputs, run.settings, levels=4, low_pct=60, high_pct=140)
    return out, frontier


def through_store(tmp_path, kind, out):
    """Save a result with a scenario and read it back, as the app does."""
    store = ScenarioStore(tmp_path / "s.db")
    store.save("Brief", {"name": "Brief"})
    store.save_result("Brief", kind, "h1", RR.encode_result(kind, out))
    rec = store.load_results("Brief", "h1")[kind]
    assert rec["stale"] is False
    return RR.decode_result(kind, rec["payload"])


def test_allocation_round_trip_through_the_store(tmp_path, sample_run):
    out, _ = sample_run
    back = through_store(tmp_path, "allocation", out)
    res, got = out["result"], back["result"]
    for name in ("partners", "mechanisms", "by_command", "binding", "relaxations"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(res, name), check_index_type=False)
    for name in ("budget_usd_m", "unspent_usd_m", "total_benefit", "budget_dual", "penalty"):
        assert getattr(got, name) == pytest.approx(getattr(res, name), nan_ok=True)
    assert (got.status, got.solver, got.meets_statute, got.notes) == (res.status, res.solver, res.meets_statute,
                                                                       res.notes)
    assert got.net_benefit == pytest.approx(res.net_benefit)
    pd.testing.assert_frame_equal(back["bullbear"], out["bullbear"], check_index_type=False)
    pd.testing.assert_frame_equal(back["offsets"], out["offsets"], check_index_type=False)
    # what the views draw from it works on the restored object
    assert allocation_table(got.partners).equals(allocation_table(res.partners))


def test_frontier_and_robustness_round_trip(tmp_path, sample_run):
    _, frontier = sample_run
    pd.testing.assert_frame_equal(through_store(tmp_path, "frontier", frontier), frontier, check_index_type=False)
    partners = pd.DataFrame({"name": ["A", "B"], "rank_p5": [1, 2], "p_bullish": [0.25, np.nan],
                             "base_call": ["bullish", None], "core": [True, False]},
                            index=pd.Index(["AAA", "BBB"], name="partner_id"))
    tornado = pd.DataFrame({"partner_id": ["AAA"], "category": ["governance"], "score_at_low": [-math.inf],
                            "score_at_high": [math.inf], "score_base": [50.0]})
    out = {"partners": partners, "tornado": tornado, "tipping": None, "log": ["1,000 draws"]}
    back = RR.decode_result("robustness", json.loads(json.dumps(RR.encode_result("robustness", out),
                                                                allow_nan=False)))
    pd.testing.assert_frame_equal(back["partners"], partners, check_index_type=False)
    pd.testing.assert_frame_equal(back["tornado"], tornado, check_index_type=False)
    assert back["tipping"] is None and back["log"] == ["1,000 draws"]


def test_inputs_hash_follows_what_determines_the_run():
    scen = scenario.default_scenario()
    scen["category_weights"] = {"governance": 25.0, "stability": 25.0}
    h = RR.inputs_hash("allocation", scen, "proxy|sample", "d1")
    assert h == RR.inputs_hash("allocation", json.loads(json.dumps(scen)), "proxy|sample", "d1")
    # not the name, marking, filters or presentation mode
    same = scen | {"name": "Other", "marking": "CUI", "presentation": True, "filters": {"commands": ["EUCOM"]}}
    assert RR.inputs_hash("allocation", same, "proxy|sample", "d1") == h
    changed = [scen | {"category_weights": {"governance": 30.0, "stability": 25.0}},
               scen | {"budget_usd_m": 5000.0}, scen | {"priority_edits": {"KEN": 5.0}},
               scen | {"scope": {"command": "EUCOM", "normalise_within": False}}]
    for other in changed:
        assert RR.is_stale(h, RR.inputs_hash("allocation", other, "proxy|sample", "d1")), other
    assert RR.is_stale(h, RR.inputs_hash("allocation", scen, "proxy|abc123", "d1")), "another partners file"
    assert RR.is_stale(h, RR.inputs_hash("allocation", scen, "proxy|sample", "d2")), "changed settings files"
    assert RR.is_stale(h, RR.inputs_hash("robustness", scen, "proxy|sample", "d1")), "another kind"
    # the frontier spans budget levels: the budget does not make it stale
    f = RR.inputs_hash("frontier", scen, "proxy|sample", "d1")
    assert f == RR.inputs_hash("frontier", scen | {"budget_usd_m": 5000.0}, "proxy|sample", "d1")
    assert RR.is_stale(None, h)


def test_files_digest_changes_with_a_settings_file(tmp_path):
    a, b = tmp_path / "allocation.yaml", tmp_path / "robustness.yaml"
    a.write_text("budget: 1\n", encoding="utf-8")
    b.write_text("draws: 10\n", encoding="utf-8")
    before = RR.files_digest([a, b])
    assert RR.files_digest([b, a]) == before
    a.write_text("budget: 2\n", encoding="utf-8")
    assert RR.files_digest([a, b]) != before


def test_restore_marks_a_result_stale_when_the_inputs_differ(sample_run):
    _, frontier = sample_run
    rec = {"payload": RR.encode_result("frontier", frontier), "inputs_hash": "aaa",
           "saved": "2026-12-02T14:05:00+00:00"}
    assert RR.restore("frontier", rec, "aaa")["stale"] is False
    got = RR.restore("frontier", rec, "bbb")
    assert got["stale"] is True and got["saved"] == rec["saved"] and len(got["out"]) == len(frontier)


def _frame(**over):
    raw = RR.encode_frame(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    return raw | over


@pytest.mark.parametrize(("payload", "key"), [
    ("not a dict", "frontier"),
    ({"version": 2, "kind": "frontier", "data": _frame()}, "frontier.version"),
    ({"version": 1, "kind": "allocation", "data": _frame()}, "frontier.kind"),
    ({"version": 1, "kind": "frontier", "data": _frame(columns="a,b")}, "frontier.columns"),
    ({"version": 1, "kind": "frontier", "data": _frame(columns=["a", "a"])}, "frontier.columns"),
    ({"version": 1, "kind": "frontier", "data": _frame(dtypes=["float64", "pickle"])}, "frontier.dtypes"),
    ({"version": 1, "kind": "frontier", "data": _frame(data=[[1.0, "x"]])}, "frontier.index"),
    ({"version": 1, "kind": "frontier", "data": _frame(data=[[1.0], [2.0, "y"]])}, "frontier.data[0]"),
    ({"version": 1, "kind": "frontier", "data": _frame(data=[[{"__class__": "os.system"}, "x"], [2.0, "y"]])},
     "frontier.data[0].a"),
    ({"version": 1, "kind": "frontier", "data": _frame(data=[[True, "x"], [2.0, "y"]])}, "frontier.data[0].a"),
    ({"version": 1, "kind": "frontier", "data": _frame(data=[[1.0, {"x": 1}], [2.0, "y"]])}, "frontier.data[0].b"),
    ({"version": 1, "kind": "frontier", "data": _frame(data=[[1.0, "x" * 30_000], [2.0, "y"]])},
     "frontier.data[0].b"),
    ({"version": 1, "kind": "frontier", "data": _frame(extra=1)}, "frontier"),
    ({"version": 1, "kind": "allocation", "data": {"result": "x"}}, "allocation"),
    ({"version": 1, "kind": "robustness", "data": {"partners": _frame(), "tornado": None}}, "robustness.tornado"),
])
def test_hostile_payloads_are_refused_naming_the_key(payload, key):
    kind = key.split(".")[0].split("[")[0]
    with pytest.raises(InputError) as err:
        RR.decode_result(kind, payload)
    assert err.value.key == key, str(err.value)


def test_hostile_allocation_fields(sample_run):
    out, _ = sample_run
    good = RR.encode_result("allocation", out)
    for field, value, key in (("budget_usd_m", "lots", "allocation.result.budget_usd_m"),
                              ("meets_statute", "yes", "allocation.result.meets_statute"),
                              ("notes", [1, 2], "allocation.result.notes"),
                              ("status", None, "allocation.result.status")):
        bad = json.loads(json.dumps(good))
        bad["data"]["result"][field] = value
        with pytest.raises(InputError) as err:
            RR.decode_result("allocation", bad)
        assert err.value.key == key
    with pytest.raises(InputError, match="unknown result kind"):
        RR.encode_result("pickle", out)
