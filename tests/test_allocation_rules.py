"""Rules that make the allocation defensible: need, eligibility as authorities, MOU locks, soft limits,
relaxations and the bearish ranking (issue 9)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from prioritizer.allocation import bullbear as bb
from prioritizer.allocation.frontier import frontier
from prioritizer.allocation.inputs import build_inputs
from prioritizer.allocation.settings_file import load_settings, settings_from_dict
from prioritizer.allocation.solve import allocate
from prioritizer.allocation.value import partner_value
from prioritizer.errors import InputError
from prioritizer.scoring.match import funding_mismatch
from prioritizer.scoring.settings import load_matching_settings

MECHS = [
    {"id": "education", "effect": 1.0, "eligibility": {"grant": True}},
    {"id": "exercises", "effect": 0.7},
    {"id": "train_equip", "effect": 0.6, "eligibility": {"requires_defence_forces": True}},
    {"id": "fmf", "effect": 0.35, "eligibility": {"partner_types": ["state"], "grant": True,
                                                  "requires_defence_forces": True}},
]


def table(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores, raw, funding) from partner rows: id, milex, income, base, priority, propensity, command."""
    ids = [r["id"] for r in rows]
    scores = pd.DataFrame({
        "name": [r.get("name", r["id"]) for r in rows], "command": [r.get("command", "EUCOM") for r in rows],
        "partner_type": [r.get("type", "state") for r in rows],
        "propensity": [r.get("propensity", 60.0) for r in rows], "priority": [r.get("priority", 4.0) for r in rows],
        "coverage": [r.get("coverage", 1.0) for r in rows],
    }, index=pd.Index(ids, name="partner_id"))
    raw = pd.DataFrame({"sipri_milex_usd_m": [r.get("milex", np.nan) for r in rows],
                        "cow_milper_thousands": [r.get("milper", 10.0) for r in rows],
                        "income_group": [r.get("income", "LMC") for r in rows]}, index=scores.index)
    funding = pd.DataFrame({"baseline_usd_m": [r.get("base", 0.0) for r in rows]}, index=scores.index)
    return scores, raw, funding


CFG = {"name": "rules", "mechanisms": MECHS,
       "eligibility": {"grant_exceptions": {"BAL": {"basis": "earmark"}}},
       "partners": {"default": {"max_cut_pct": 50, "max_increase_pct": 50, "increase_allowance_usd_m": 10}}}


def build(rows, **changes):
    cfg = copy.deepcopy(CFG)
    cfg.update(changes)
    s = settings_from_dict(cfg)
    return build_inputs(*table(rows), s), s


def test_high_income_partner_gets_no_grants_unless_an_mou_or_lock_names_it():
    inputs, _ = build([{"id": "RICH", "milex": 50_000, "income": "HIC"}, {"id": "BAL", "milex": 900, "income": "HIC"},
                       {"id": "MOU", "milex": 20_000, "income": "HIC"}, {"id": "POOR", "milex": 300, "income": "LIC"}],
                      locks=[{"partner_id": "MOU", "mechanism": "fmf", "amount_usd_m": 30, "basis": "MOU"}])
    e = inputs.eligible
    assert not e.at["RICH", "education"] and not e.at["RICH", "fmf"] and e.at["RICH", "exercises"]
    assert e.at["BAL", "education"] and e.at["BAL", "fmf"]  # named in grant_exceptions
    assert e.at["MOU", "fmf"]  # a lock is an MOU
    assert e.at["POOR", "education"] and e.at["POOR", "fmf"]
    assert "high-income" in inputs.ineligible_reason.at["RICH", "fmf"]
    assert any("1 high-income partner gets no education or fmf grants" in n and "RICH" in n for n in inputs.notes)


def test_no_armed_forces_means_no_train_equip_or_fmf_and_no_minimum_scale():
    inputs, s = build([{"id": "ISL", "milex": np.nan, "milper": 0.0}, {"id": "CRI", "milex": 0.0, "milper": 0.0},
                       {"id": "MUS", "milex": 21.0, "milper": 0.0}, {"id": "ARM", "milex": 1000.0}])
    e, p = inputs.eligible, inputs.partners
    for pid in ("ISL", "CRI", "MUS"):
        assert not e.at[pid, "train_equip"] and not e.at[pid, "fmf"] and e.at[pid, "exercises"], pid
        assert p.at[pid, "scale_usd_m"] == s.no_defence_scale_usd_m
        assert p.at[pid, "need"] == pytest.approx(s.need.no_defence_forces * s.need.income_factor("LMC"))
    assert e.at["ARM", "fmf"] and e.at["ARM", "train_equip"]
    note = next(n for n in inputs.notes if "no armed forces" in n)
    assert "ISL" in note and "CRI" in note and "MUS" in note  # named, not silently given a minimum


def test_need_falls_with_own_defence_spending_and_income_and_frontline_keeps_a_floor():
    rows = [{"id": "SMALL", "milex": 300}, {"id": "BIG", "milex": 60_000}, {"id": "BIGRICH", "milex": 60_000,
                                                                              "income": "HIC"},
            {"id": "UKR", "milex": 60_000}]
    inputs, s = build(rows, need={"reference_usd_m": 1500, "frontline": {"partners": ["UKR"], "need_floor": 0.6}})
    n = inputs.partners["need"]
    assert n["SMALL"] == pytest.approx(1500 / 1800)
    assert n["BIG"] == pytest.approx(1500 / 61_500)  # $15 M is noise in a $60 B budget
    assert n["BIGRICH"] == pytest.approx(0.5 * 1500 / 61_500)
    assert n["UKR"] == pytest.approx(0.6)
    # the benefit potential value × S does not grow with wealth on its own (frontline partners excepted)
    p = inputs.partners[~inputs.partners["frontline"]]
    potential = p["value"] / (p["priority"] / 5 * p["propensity"] / 100) * p["scale_usd_m"]
    assert (potential <= s.need.reference_usd_m * s.scale_fraction + 1e-9).all()
    np.testing.assert_allclose(partner_value(p, s), p["value"])


def test_risk_is_data_uncertainty_and_diversion_not_stability():
    inputs, _ = build([{"id": "A", "milex": 500, "coverage": 0.8}, {"id": "B", "milex": 500}],
                      risk={"discount": 0.5, "diversion": {"B": {"risk": 0.4, "basis": "end-use findings"}}})
    p = inputs.partners
    assert p.at["A", "risk"] == pytest.approx(0.2) and p.at["B", "risk"] == pytest.approx(0.4)
    assert p.at["A", "value"] == pytest.approx(0.8 * 0.6 * p.at["A", "need"] * (1 - 0.5 * 0.2))


SOFT = {"command_floor_penalty": 2.0, "partner_minimum_penalty": 0.05, "pool_minimum_penalty": 2.0,
        "lock_shortfall": "scale_pro_rata"}


def test_budget_below_the_locks_scales_them_pro_rata_and_names_every_relaxation():
    rows = [{"id": "ISR", "milex": 20_000, "base": 300}, {"id": "EGY", "milex": 4000, "base": 100},
            {"id": "X", "milex": 800, "base": 40, "command": "AFRICOM"}]
    inputs, s = build(rows, soft_limits=SOFT, commands={"AFRICOM": {"floor_pct_of_budget": 10}},
                      locks=[{"partner_id": "ISR", "mechanism": "fmf", "amount_usd_m": 300, "basis": "MOU"},
                             {"partner_id": "EGY", "mechanism": "fmf", "amount_usd_m": 100, "basis": "approp"}])
    res = allocate(inputs, s, 200)
    assert not res.meets_statute
    cell = res.mechanisms.set_index(["partner_id", "mechanism"])["allocation_usd_m"]
    assert cell[("ISR", "fmf")] == pytest.approx(150) and cell[("EGY", "fmf")] == pytest.approx(50)
    r = res.relaxations.set_index(["group", "subject"])
    assert r.at[("lock", "ISR/fmf"), "relaxed_by_usd_m"] == pytest.approx(150)
    assert r.at[("lock", "EGY/fmf"), "relaxed_by_usd_m"] == pytest.approx(50)
    assert r.at[("command_floor", "AFRICOM"), "relaxed_by_usd_m"] == pytest.approx(20)  # 10 % of 200, none left
    assert "DOES NOT MEET THE STATUTE" in r.at[("lock", "ISR/fmf"), "text"]
    # plain words next to the machine-readable columns
    assert r.at[("lock", "ISR/fmf"), "partner_id"] == "ISR" and r.at[("lock", "ISR/fmf"), "mechanism"] == "fmf"
    assert r.at[("lock", "ISR/fmf"), "text"].startswith("ISR's fmf is scaled from $300.0 M to $150.0 M")
    assert r.at[("command_floor", "AFRICOM"), "constraint"] == "AFRICOM floor: at least $20.0 M for the command"
    assert res.partners["allocation_usd_m"].sum() <= 200 + 1e-6


def test_soft_command_floor_is_relaxed_by_the_missing_amount_and_locks_hold_when_feasible():
    rows = [{"id": "A", "milex": 500, "base": 20, "command": "AFRICOM"}, {"id": "B", "milex": 500, "base": 100}]
    inputs, s = build(rows, soft_limits=SOFT, commands={"AFRICOM": {"floor_usd_m": 500}},
                      locks=[{"partner_id": "B", "mechanism": "fmf", "amount_usd_m": 60, "basis": "MOU"}])
    res = allocate(inputs, s, 150)
    assert res.meets_statute
    a = res.partners.at["A", "allocation_usd_m"]
    r = res.relaxations.set_index(["group", "subject"])
    assert r.at[("command_floor", "AFRICOM"), "relaxed_by_usd_m"] == pytest.approx(500 - a, abs=1e-6)
    cell = res.mechanisms.set_index(["partner_id", "mechanism"])["allocation_usd_m"]
    assert cell[("B", "fmf")] == pytest.approx(60)


def test_the_default_settings_always_answer_and_the_frontier_has_no_infeasible_level(sample_inputs):
    inputs, s = sample_inputs
    table_ = frontier(inputs, s, levels=20, low_pct=20, high_pct=200)
    assert (table_["status"] == "Optimal").all()
    assert (np.diff(table_["total_benefit"].to_numpy()) >= -1e-6).all()
    legal = table_[table_["meets_statute"]]
    assert (np.diff(legal["net_benefit"].to_numpy()) >= -1e-6).all()
    assert not table_["meets_statute"].iloc[0] and "DOES NOT MEET" in table_["note"].iloc[0]
    res = allocate(inputs, s, 3000)
    assert not res.meets_statute and len(res.relaxations)
    assert res.partners["allocation_usd_m"].sum() <= 3000 + 1e-6


def test_default_lists_have_no_hic_grant_outside_an_mou_and_no_partner_without_forces(sample_inputs):
    inputs, s = sample_inputs
    res = allocate(inputs, s, s.default_budget(inputs.baseline_total_usd_m))
    t = bb.bullish_bearish(res, inputs)
    bull = t[t["side"] == "bullish"]
    p = inputs.partners
    assert p.loc[bull["partner_id"], "defence_forces"].all()
    m = res.mechanisms
    grants = m[m["mechanism"].isin(["education", "fmf"]) & (m["allocation_usd_m"] > 1e-6)]
    assert not (~grants["eligible"].astype(bool)).any()
    # locked partners are held at their MOU, never below it
    cell = m.set_index(["partner_id", "mechanism"])["allocation_usd_m"]
    for lk in s.locks:
        assert cell[(lk.partner_id, lk.mechanism)] == pytest.approx(lk.amount_usd_m)
    bear = t[t["side"] == "bearish"]
    assert not bear["partner_id"].isin([lk.partner_id for lk in s.locks]).any() or \
        (bear["allocation_usd_m"] < bear["reference_usd_m"]).all()
    # bearish: ranked by benefit per $1 M of the last dollars, and not all at the max-cut floor
    for _, rows in bear.groupby("command"):
        assert rows["marginal_benefit_per_usd_m"].is_monotonic_increasing
    at_floor = (bear["allocation_usd_m"] - res.partners.loc[bear["partner_id"], "lower_usd_m"].to_numpy()).abs() < 1e-6
    assert not at_floor.all()


def test_under_resourced_needs_grant_eligibility_and_material_need():
    s = load_matching_settings()
    idx = pd.Index(["JPN", "ALB"])
    prop, prio, base = pd.Series([80.0, 60.0], idx), pd.Series([5.0, 4.0], idx), pd.Series([0.0, 0.0], idx)
    out = funding_mismatch(prop, prio, base, s, need=pd.Series([0.02, 0.7], idx),
                                 grant_eligible=pd.Series([False, True], idx))
    assert out.at["JPN", "funding_flag"] == "" and out.at["ALB", "funding_flag"] == "under-resourced"
    assert out.at["JPN", "merit"] == pytest.approx(1.0 * 0.8 * 0.02)


@pytest.fixture(scope="module")
def sample_inputs():
    from prioritizer.pipeline import run_scoring

    dataset, _, result = run_scoring()
    s = load_settings(known_partners=dataset.partners.index)
    return build_inputs(result.scores, dataset.allocation_raw, dataset.funding, s), s


def test_a_planner_defence_estimate_stands_in_for_a_missing_sipri_figure_and_is_shown_as_such():
    rows = [{"id": "SOM", "name": "Somalia", "milex": np.nan, "milper": 14.0, "income": "LIC"},
            {"id": "KEN", "name": "Kenya", "milex": 1200.0, "income": "LMC"}]
    without, _ = build(rows)
    assert not without.eligible.at["SOM", "train_equip"] and not without.eligible.at["SOM", "fmf"]
    estimate = {"partner_id": "SOM", "milex_usd_m": 150.0, "rationale": "defence lines of the budget act",
                "source": "test source"}
    inputs, s = build(rows, defence_estimates=[estimate, {**estimate, "partner_id": "KEN"}])
    p = inputs.partners
    assert inputs.eligible.at["SOM", "train_equip"] and inputs.eligible.at["SOM", "fmf"]
    assert p.at["SOM", "milex_usd_m"] == 150.0 and p.at["SOM", "milex_source"] == "planner estimate"
    assert p.at["SOM", "scale_usd_m"] == pytest.approx(s.scale_fraction * 150.0)
    assert p.at["KEN", "milex_usd_m"] == 1200.0 and p.at["KEN", "milex_source"] == "SIPRI"  # SIPRI wins
    assert any(n.startswith("Somalia's defence spending is a planner estimate") and "test source" in n
               for n in inputs.notes)
    assert any("planner estimate for Kenya is not used" in n for n in inputs.notes)
    res = allocate(inputs, s, 100)
    assert res.partners.at["SOM", "milex_source"] == "planner estimate"


def test_national_security_forces_count_as_a_counterpart_by_their_recent_spending():
    """SIPRI's 0 (no armed forces) or missing figure: a recent COW NMC figure of the national security forces
    stands in for need, scale and the counterpart test (10 U.S.C. 333); a stale one (before the setting's year)
    does not; a positive SIPRI figure always wins."""
    rows = [{"id": "PAN", "name": "Panama", "milex": 0.0, "milper": 0.0, "income": "UMC"},
            {"id": "SOM", "name": "Somalia", "milex": np.nan, "milper": 14.0, "income": "LIC"},
            {"id": "KEN", "name": "Kenya", "milex": 1200.0, "income": "LMC"}]
    scores, raw, funding = table(rows)
    raw["cow_milex_usd_m"] = [847.0, 60.0, 999.0]
    raw["cow_milex_usd_m_year"] = [2022, 2009, 2022]
    cfg = copy.deepcopy(CFG)
    cfg["eligibility"]["defence_forces"] = {"spending_indicator": "sipri_milex_usd_m",
                                            "personnel_indicator": "cow_milper_thousands",
                                            "security_forces_indicator": "cow_milex_usd_m",
                                            "security_forces_basis": "10 U.S.C. 333", "security_forces_min_year": 2018}
    s = settings_from_dict(cfg)
    inputs = build_inputs(scores, raw, funding, s)
    p, e = inputs.partners, inputs.eligible
    assert e.at["PAN", "train_equip"] and e.at["PAN", "fmf"]
    assert p.at["PAN", "milex_usd_m"] == 847.0 and p.at["PAN", "milex_source"] == "COW NMC (national security forces)"
    assert p.at["PAN", "scale_usd_m"] == pytest.approx(s.scale_fraction * 847.0)
    assert not e.at["SOM", "train_equip"] and p.at["SOM", "milex_source"] == "none"  # 2009 figure: stale
    assert p.at["KEN", "milex_usd_m"] == 1200.0 and p.at["KEN", "milex_source"] == "SIPRI"
    note = next(n for n in inputs.notes if "national security forces" in n)
    assert "Panama" in note and "Somalia" not in note and "10 U.S.C. 333" in note and "2018 or later" in note
    without, _ = build(rows)  # no security_forces_indicator in the settings: the old rule
    assert not without.eligible.at["PAN", "train_equip"]


def test_the_sample_counts_panama_and_costa_rica_by_their_security_forces(sample_inputs):
    sample_inputs, _ = sample_inputs
    p = sample_inputs.partners
    for pid in ("PAN", "CRI"):
        assert p.at[pid, "defence_forces"] and p.at[pid, "milex_source"].startswith("COW NMC"), pid
        assert sample_inputs.eligible.at[pid, "train_equip"], pid
    assert not p.at["SOM", "defence_forces"]  # COW's last Somalia figure is from 2009: not used


@pytest.mark.parametrize(("estimate", "key", "words"), [
    ({"partner_id": "SOM", "milex_usd_m": -5, "rationale": "r", "source": "s"}, "defence_estimates[0].milex_usd_m",
     "must be > 0"),
    ({"partner_id": "SOM", "milex_usd_m": 5, "source": "s"}, "defence_estimates[0].rationale",
     "required key is missing"),
    ({"partner_id": "SOM", "milex_usd_m": 5, "rationale": " ", "source": "s"}, "defence_estimates[0].rationale",
     "non-empty text"),
])
def test_bad_defence_estimates_name_the_key(estimate, key, words):
    cfg = {**copy.deepcopy(CFG), "defence_estimates": [estimate]}
    with pytest.raises(InputError) as err:
        settings_from_dict(cfg, source="alloc.yaml")
    assert err.value.key == key and words in str(err.value)


def test_the_materiality_threshold_is_a_setting():
    s = settings_from_dict({**copy.deepcopy(CFG), "bullbear": {"min_change_usd_m": 5}})
    assert s.bullbear_min_change_usd_m == 5.0
    assert load_settings().bullbear_min_change_usd_m == 1.0
    with pytest.raises(InputError) as err:
        settings_from_dict({**copy.deepcopy(CFG), "bullbear": {"min_change_usd_m": -1}})
    assert err.value.key == "bullbear.min_change_usd_m"
