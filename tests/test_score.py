"""Scorer: a hand-computed example, the §4 invariants as property tests, and method options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prioritizer.data.dataset import load_dataset
from prioritizer.paths import WEIGHTS_DIR
from prioritizer.scoring.normalise import Normaliser, apply_transforms
from prioritizer.scoring.score import combine, propensity_for_weights, redundant_pairs, score
from prioritizer.scoring.settings import load_profile, parse_profile
from tests.conftest import TINY_DICTIONARY, make_dataset, tiny_profile


def test_hand_computed_minmax_arithmetic(tiny):
    # i1 → 0, .5, 1; i2 (lower better) → 1, 0, .5; i3 (log) → 0, .5, 1
    # c1 = mean(i1, i2) = .5, .25, .75; c2 = i3; propensity = (3·c1 + c2)/4 × 100
    result = score(tiny, tiny_profile())
    s = result.scores
    assert s.loc["AAA", "propensity"] == pytest.approx(37.5, abs=1e-9)
    assert s.loc["BBB", "propensity"] == pytest.approx(31.25, abs=1e-9)
    assert s.loc["CCC", "propensity"] == pytest.approx(81.25, abs=1e-9)
    assert s.loc["BBB", "g1_score"] == pytest.approx(25.0)
    assert s.loc["BBB", "g2_score"] == pytest.approx(50.0)
    assert list(s.sort_values("rank").index) == ["CCC", "AAA", "BBB"]
    assert s["rank"].tolist() == [2, 3, 1]
    assert (s["coverage"] == 1.0).all()
    assert not s["low_confidence"].any()


def test_hand_computed_geometric(tiny):
    # AAA: c1 = sqrt(0.01 · 1) = 0.1, c2 = 0.01 (floor); propensity = 0.1^0.75 · 0.01^0.25 = 0.056234
    s = score(tiny, tiny_profile(aggregation="geometric")).scores
    assert s.loc["AAA", "propensity"] == pytest.approx(5.6234, abs=1e-4)
    # CCC: c1 = sqrt(1 · 0.5), c2 = 1
    assert s.loc["CCC", "propensity"] == pytest.approx(100 * (0.5 ** 0.5) ** 0.75, abs=1e-6)


def test_missing_value_available_case_and_coverage():
    ds = make_dataset({"i1": [0, np.nan, 10], "i2": [1, 3, 2], "i3": [1, np.e, np.e ** 2]}, ["AAA", "BBB", "CCC"])
    result = score(ds, tiny_profile(coverage_threshold=0.7))
    s = result.scores
    # BBB's c1 is i2 alone (0); propensity = (3·0 + 0.5)/4; i1 carries 3/4 · 1/2 of the weight
    assert s.loc["BBB", "propensity"] == pytest.approx(12.5)
    assert s.loc["BBB", "coverage"] == pytest.approx(0.625)
    assert s.loc["BBB", "low_confidence"]
    assert not s.loc["AAA", "low_confidence"]
    assert not result.imputed.to_numpy().any()


def test_knn_imputation_flags_every_imputed_cell():
    rng = np.random.default_rng(3)
    n = 30
    vals = {"i1": rng.normal(size=n), "i2": rng.normal(size=n), "i3": rng.uniform(1, 10, size=n)}
    vals["i1"][[2, 7]] = np.nan
    vals["i3"][5] = np.nan
    ds = make_dataset(vals, [f"P{i:02d}" for i in range(n)])
    result = score(ds, tiny_profile(missing="knn", knn_neighbours=3))
    assert result.imputed.to_numpy().sum() == 3
    assert result.imputed.loc["P02", "i1"] and result.imputed.loc["P05", "i3"]
    assert not np.isnan(result.normalised.to_numpy()).any()
    # imputed cells do not count as coverage
    assert result.scores.loc["P02", "coverage"] < 1.0
    assert result.scores.loc["P02", "imputed_cells"] == 1


def test_override_replaces_construct_and_is_recorded(tiny):
    overrides = pd.DataFrame({"partner_id": ["BBB"], "construct": ["c2"], "value": [90.0],
                              "rationale": ["field assessment 2026"]})
    result = score(tiny, tiny_profile(), overrides)
    assert result.constructs.loc["BBB", "c2"] == pytest.approx(90.0)
    assert result.overridden.loc["BBB", "c2"]
    assert result.scores.loc["BBB", "propensity"] == pytest.approx((3 * 0.25 + 0.9) / 4 * 100)
    assert result.scores.loc["BBB", "overrides"] == 1
    assert any("override" in line for line in result.log)


def test_non_state_partner_scored_from_overrides_only(tiny):
    ds = make_dataset({"i1": [0, 5, 10, np.nan], "i2": [1, 3, 2, np.nan], "i3": [1, np.e, np.e ** 2, np.nan]},
                      ["AAA", "BBB", "CCC", "militia-x"])
    overrides = pd.DataFrame({"partner_id": ["militia-x", "militia-x"], "construct": ["c1", "c2"],
                              "value": [40.0, 60.0], "rationale": ["assessment", "assessment"]})
    s = score(ds, tiny_profile(), overrides).scores
    assert s.loc["militia-x", "propensity"] == pytest.approx((3 * 40 + 60) / 4)
    assert s.loc["militia-x", "coverage"] == pytest.approx(1.0)
    # the other partners' normalisation is unchanged by the empty row
    assert s.loc["AAA", "propensity"] == pytest.approx(37.5)


@pytest.mark.parametrize("method", ["minmax", "percentile", "zscore"])
def test_normalisers_map_into_unit_interval_and_keep_order(method):
    x = np.array([[1.0], [2.0], [2.0], [10.0], [np.nan]])
    out = Normaliser(method).fit_transform(x)[:, 0]
    assert np.isnan(out[4])
    assert ((out[:4] >= 0) & (out[:4] <= 1)).all()
    assert out[0] < out[1] == out[2] < out[3]


def test_winsorise_clips_tails():
    x = np.arange(101, dtype=float).reshape(-1, 1)
    out = Normaliser("minmax", winsorise=0.05).fit_transform(x)[:, 0]
    assert out[0] == out[5] == 0.0 and out[100] == out[95] == 1.0


def test_combine_many_weight_vectors_matches_loop():
    rng = np.random.default_rng(0)
    v = rng.uniform(0, 1, size=(20, 6))
    v[rng.uniform(size=v.shape) < 0.2] = np.nan
    w = rng.dirichlet(np.ones(6), size=50)
    many = combine(v, w)
    for d in range(50):
        np.testing.assert_allclose(many[d], combine(v, w[d]), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(propensity_for_weights(v * 100, w[0]), combine(v, w[0]) * 100, equal_nan=True)


# ---------------------------------------------------------------------------------------------- properties

N_PARTNERS = 8
value_lists = st.lists(st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)),
                       min_size=N_PARTNERS, max_size=N_PARTNERS)
positive_lists = st.lists(st.one_of(st.none(), st.floats(0.01, 1000, allow_nan=False)),
                          min_size=N_PARTNERS, max_size=N_PARTNERS)
methods = st.sampled_from(["minmax", "percentile", "zscore"])
aggregations = st.sampled_from(["arithmetic", "geometric"])
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _as_array(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _dataset(i1, i2, i3):
    ids = [f"P{i}" for i in range(N_PARTNERS)]
    return make_dataset({"i1": _as_array(i1), "i2": _as_array(i2), "i3": _as_array(i3)}, ids)


@PROPERTY
@given(value_lists, value_lists, positive_lists, methods, aggregations,
       st.integers(0, N_PARTNERS - 1), st.sampled_from(["i1", "i2", "i3"]), st.floats(0.01, 100))
def test_improving_an_indicator_never_lowers_propensity(i1, i2, i3, method, agg, who, indicator, step):
    ds = _dataset(i1, i2, i3)
    profile = tiny_profile(normalisation=method, aggregation=agg)
    before = score(ds, profile).scores["propensity"].iloc[who]
    current = ds.partners[indicator].iloc[who]
    if np.isnan(current):
        return
    direction = TINY_DICTIONARY.at[indicator, "direction"]
    improved = current * (1 + step) if indicator == "i3" else current + direction * step
    ds.partners.loc[ds.partners.index[who], indicator] = improved
    after = score(ds, profile).scores["propensity"].iloc[who]
    assert after >= before - 1e-9


@PROPERTY
@given(value_lists, value_lists, positive_lists, methods, aggregations, st.floats(0.001, 1000))
def test_scaling_all_weights_changes_nothing(i1, i2, i3, method, agg, factor):
    ds = _dataset(i1, i2, i3)
    base = tiny_profile(normalisation=method, aggregation=agg)
    scaled = parse_profile({
        "name": "scaled", "purpose": "x", "categories": {"g1": 3 * factor, "g2": 1 * factor},
        "constructs": {"c1": factor, "c2": factor}, "indicators": {k: factor for k in ("i1", "i2", "i3")},
        "method": {"normalisation": method, "aggregation": agg},
    }, TINY_DICTIONARY)
    a = score(ds, base).scores
    b = score(ds, scaled).scores
    np.testing.assert_allclose(a["propensity"], b["propensity"], rtol=1e-9, atol=1e-9, equal_nan=True)
    assert a["rank"].equals(b["rank"])


@PROPERTY
@given(value_lists, value_lists, positive_lists, methods, aggregations, st.randoms(use_true_random=False))
def test_row_order_changes_nothing(i1, i2, i3, method, agg, rnd):
    ds = _dataset(i1, i2, i3)
    profile = tiny_profile(normalisation=method, aggregation=agg)
    order = list(range(N_PARTNERS))
    rnd.shuffle(order)
    shuffled = make_dataset({c: ds.partners[c].to_numpy()[order] for c in ("i1", "i2", "i3")},
                            [ds.partners.index[i] for i in order])
    a = score(ds, profile).scores
    b = score(shuffled, profile).scores.reindex(a.index)
    np.testing.assert_allclose(a["propensity"], b["propensity"], rtol=1e-12, equal_nan=True)
    assert (a["rank"].fillna(-1) == b["rank"].fillna(-1)).all()


@PROPERTY
@given(value_lists, value_lists, positive_lists, methods)
def test_score_depends_only_on_own_values_and_bounds(i1, i2, i3, method):
    """Scoring a partner alone through already-fitted bounds gives the same normalised values."""
    ds = _dataset(i1, i2, i3)
    oriented = apply_transforms(ds.raw, ds.dictionary).to_numpy()
    fitted = Normaliser(method).fit(oriented)
    whole = fitted.transform(oriented)
    for row in range(N_PARTNERS):
        alone = fitted.transform(oriented[row: row + 1])
        np.testing.assert_allclose(alone[0], whole[row], equal_nan=True)


def test_low_coverage_partner_is_unranked_and_logged():
    ds = make_dataset({"i1": [0, np.nan, 10], "i2": [1, 3, 2], "i3": [1, np.e, np.e ** 2]}, ["AAA", "BBB", "CCC"])
    result = score(ds, tiny_profile(coverage_threshold=0.7))
    s = result.scores
    # BBB: coverage 0.625 < 0.7 → keeps its propensity and coverage, but no rank (overall or in command)
    assert s.loc["BBB", "propensity"] == pytest.approx(12.5)
    assert pd.isna(s.loc["BBB", "rank"]) and pd.isna(s.loc["BBB", "rank_in_command"])
    assert s.loc[["AAA", "CCC"], "rank"].tolist() == [2, 1]  # the others rank among themselves
    assert any("left unranked" in line and "BBB (62%)" in line for line in result.log)


def test_sample_index_has_no_cross_category_redundancy_and_no_aid_levels():
    ds = load_dataset()
    result = score(ds, load_profile(WEIGHTS_DIR / "default.yaml", ds.dictionary))
    pairs = redundant_pairs(result.normalised, ds.dictionary)
    assert all(same for *_, same in pairs), pairs  # no indicator pair |rho| >= 0.85 across categories
    assert len(pairs) <= 2
    # aid levels are baseline data, not propensity; consistency of aid stays
    assert not {"us_aid_fy2020_2024_mean_usd_m", "fmf_fy2020_2024_mean_usd_m"} & set(ds.dictionary.index)
    assert "us_aid_variation_fy2020_2024" in ds.dictionary.index
    s = result.scores
    assert pd.isna(s.at["VAT", "rank"]) and s.at["VAT", "coverage"] < 0.7  # Holy See: not ranked on ~20 % data
    assert s.loc[s["rank"].notna(), "coverage"].min() >= 0.7
    assert s["rank"].dropna().min() == 1 and s["rank"].notna().sum() == (s["coverage"] >= 0.7).sum()
