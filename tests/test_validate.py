"""Back-test (prioritizer.validation): settings, statistics on synthetic panels, reproducibility, CLI, chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from prioritizer.charts.backtest import backtest_chart
from prioritizer.charts.export.image import to_svg
from prioritizer.cli import main
from prioritizer.data.refresh import build_partners
from prioritizer.errors import InputError
from prioritizer.paths import PANELS_DIR
from prioritizer.report.view_tables import backtest_table
from prioritizer.validation import backtest as bt
from prioritizer.validation import settings as vs


@pytest.fixture(scope="module")
def quick() -> vs.ValidationSettings:
    return vs.load_settings().with_changes(bootstrap_draws=200)


@pytest.fixture(scope="module")
def result(quick) -> bt.BacktestResult:
    return bt.backtest(quick)


# ------------------------------------------------------------------------------------------ settings


def test_default_settings_load():
    s = vs.load_settings()
    assert s.as_of == 2011 and s.horizons == (2019, 2023)
    assert {o.series for o in s.outcomes} <= set(vs.SERIES)
    own = {o.id: o.own_indicators for o in s.outcomes}
    assert "wgi_rule_of_law" in own["governance_wgi"] and own["human_rights_pts"] == ("pts_mean",)


@pytest.mark.parametrize(("text", "key"), [
    ("as_of: 1990", "as_of"),
    ("horizons: [2005]", "horizons[0]"),
    ("bootstrap_draws: -1", "bootstrap_draws"),
    ("confidence: 2", "confidence"),
    ("exclude_own_indicators: maybe", "exclude_own_indicators"),
    ("surprise: 1", "surprise"),
])
def test_bad_setting_names_file_and_key(tmp_path, text, key):
    base = vs.DEFAULT_SETTINGS.read_text(encoding="utf-8")
    name = text.split(":")[0]
    lines = [ln for ln in base.splitlines() if not ln.startswith(f"{name}:")]
    path = tmp_path / "validation.yaml"
    path.write_text("\n".join(lines) + f"\n{text}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        vs.load_settings(path)
    assert err.value.key == key and "validation.yaml" in str(err.value)


# Today's planner-facing messages, locked before the settings became a pydantic model.
@pytest.mark.parametrize(("text", "key", "message"), [
    ("as_of: 1990", "as_of", "must be a whole number between 2004 and 2022 (got 1990)"),
    ("horizons: [2019, 2005]", "horizons[1]", "must be a whole number between 2012 and 2024 (got 2005)"),
    ("horizons: []", "horizons", "must be a non-empty list of years, e.g. [2019, 2023]"),
    ("bootstrap_draws: -1", "bootstrap_draws", "must be a whole number between 0 and 100000 (got -1)"),
    ("min_n: 2.5", "min_n", "must be a whole number between 4 and 10000 (got 2.5)"),
    ("confidence: 2", "confidence", "must be a number between 0.5 and 0.999 (got 2)"),
    ("aid_threshold_usd_m: x", "aid_threshold_usd_m", "must be a number between 0 and 1e+06 (got 'x')"),
    ("exclude_own_indicators: maybe", "exclude_own_indicators", "must be true or false (got 'maybe')"),
    ("profile: ''", "profile", "must be a weight-profile file name in weights/ (got '')"),
])
def test_setting_messages_are_kept(tmp_path, text, key, message):
    base = vs.DEFAULT_SETTINGS.read_text(encoding="utf-8")
    name = text.split(":")[0]
    lines = [ln for ln in base.splitlines() if not ln.startswith(f"{name}:")]
    path = tmp_path / "validation.yaml"
    path.write_text("\n".join(lines) + f"\n{text}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        vs.load_settings(path)
    assert str(err.value) == f"file 'validation.yaml', key '{key}': {message}"


@pytest.mark.parametrize(("old", "new", "key", "message"), [
    ("series: pts", "series: gdp", "outcomes.human_rights_pts.series",
     "must be one of wgi_governance, wgi_political_stability, ucdp_conflict_years, pts (got 'gdp')"),
    ("own_indicators: [pts_mean]", "own_indicators: pts_mean", "outcomes.human_rights_pts.own_indicators",
     "must be a list of indicator ids"),
    ("    label: Political terror (PTS mean, lower terror = better)\n", "    colour: red\n",
     "outcomes.human_rights_pts.colour", "unknown key (expected: label, series, own_indicators)"),
    ("  human_rights_pts:\n", "  human_rights_pts: 3\n  other:\n", "outcomes.human_rights_pts",
     "must be a mapping with label, series and own_indicators"),
])
def test_outcome_messages_are_kept(tmp_path, old, new, key, message):
    base = vs.DEFAULT_SETTINGS.read_text(encoding="utf-8")
    assert old in base
    path = tmp_path / "validation.yaml"
    path.write_text(base.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as err:
        vs.load_settings(path)
    assert str(err.value) == f"file 'validation.yaml', key '{key}': {message}"


def test_missing_setting_and_cli_style_key_names(tmp_path):
    base = vs.DEFAULT_SETTINGS.read_text(encoding="utf-8")
    path = tmp_path / "validation.yaml"
    path.write_text("\n".join(ln for ln in base.splitlines() if not ln.startswith("min_n:")), encoding="utf-8")
    with pytest.raises(InputError) as err:
        vs.load_settings(path)
    assert err.value.key == "min_n" and "validation.yaml" in str(err.value)
    with pytest.raises(InputError) as err:
        vs.load_settings().with_changes(key_name=lambda k: "--" + k.split("[")[0], horizons=[2005])
    assert str(err.value) == "key '--horizons': must be a whole number between 2012 and 2024 (got 2005)"
    changed = vs.load_settings().with_changes(seed=3, horizons=[2019])
    assert changed.seed == 3 and changed.horizons == (2019,) and changed.outcomes == vs.load_settings().outcomes


def test_unknown_series_and_indicator(tmp_path):
    base = vs.DEFAULT_SETTINGS.read_text(encoding="utf-8")
    path = tmp_path / "v.yaml"
    path.write_text(base.replace("series: pts", "series: gdp"), encoding="utf-8")
    with pytest.raises(InputError, match="must be one of") as err:
        vs.load_settings(path)
    assert err.value.key == "outcomes.human_rights_pts.series"
    path.write_text(base.replace("own_indicators: [pts_mean]", "own_indicators: [pts_nope]"), encoding="utf-8")
    s = vs.load_settings(path).with_changes(bootstrap_draws=0)
    with pytest.raises(InputError, match="pts_nope") as err:
        bt.backtest(s)
    assert err.value.key == "outcomes.human_rights_pts.own_indicators"


# ----------------------------------------------------------------------------- synthetic panels


def _synthetic(n: int, signal: float, seed: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Partners with a start level, a propensity that also tracks the start level, and an end level whose
    change is signal × propensity + regression to the mean + noise."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    start = rng.normal(size=n)
    prop = 50 + 15 * (0.7 * start + 0.7 * rng.normal(size=n))
    change = signal * (prop - 50) / 15 - 0.5 * start + rng.normal(scale=0.5, size=n)
    return (pd.Series(prop, index=ids), pd.Series(start, index=ids), pd.Series(start + change, index=ids))


def test_propensity_that_predicts_improvement_gives_a_positive_partial_correlation():
    prop, start, end = _synthetic(150, 1.0, 1)
    out = bt.correlate(prop, start, end, 500, 0.9, np.random.default_rng(0), 15)
    assert out["n"] == 150
    assert out["rho_partial"] > 0.5
    assert 0 < out["ci_low"] < out["rho_partial"] < out["ci_high"]


def test_propensity_unrelated_to_improvement_gives_about_zero_once_the_start_level_is_held():
    prop, start, end = _synthetic(400, 0.0, 2)
    out = bt.correlate(prop, start, end, 500, 0.9, np.random.default_rng(0), 15)
    # The raw correlation is negative (high propensity ↔ high start ↔ regression to the mean) …
    assert out["rho_raw"] < -0.2
    # … and the partial one, conditional on the start, is about zero with an interval covering zero.
    assert abs(out["rho_partial"]) < 0.12
    assert out["ci_low"] < 0 < out["ci_high"]


def test_too_few_partners_gives_no_correlation():
    prop, start, end = _synthetic(10, 1.0, 3)
    out = bt.correlate(prop, start, end, 100, 0.9, np.random.default_rng(0), 15)
    assert out["n"] == 10 and np.isnan(out["rho_partial"]) and "fewer than 15" in out["note"]


def test_missing_values_are_dropped_pairwise():
    prop, start, end = _synthetic(50, 1.0, 4)
    end.iloc[:5] = np.nan
    prop.iloc[5:8] = np.nan
    assert bt.correlate(prop, start, end, 0, 0.9, np.random.default_rng(0), 15)["n"] == 42


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=8, max_value=60), st.integers(min_value=0, max_value=10_000))
def test_partial_spearman_is_bounded_and_rank_invariant(n, seed):
    rng = np.random.default_rng(seed)
    x, y, z = rng.normal(size=(3, n))
    rho = float(bt.partial_spearman(x, y, z))
    assert -1 - 1e-9 <= rho <= 1 + 1e-9
    assert float(bt.partial_spearman(np.exp(x), y ** 3, 5 * z + 1)) == pytest.approx(rho, abs=1e-9)
    assert float(bt.partial_spearman(x, x, z)) == pytest.approx(1.0)


def test_ucdp_series_counts_conflict_years_in_the_window():
    ids = pd.Index(["AFG", "ISL"])
    levels = bt.outcome_series(PANELS_DIR, "ucdp_conflict_years", ids)
    assert levels.loc["ISL"].max() == 0  # no conflict: 0 everywhere
    assert -5 <= levels.loc["AFG", 2011] <= -1 and levels.columns.min() == 2004


# ----------------------------------------------------------------------------- bundled panels


def test_as_of_partners_use_no_later_data():
    partners = build_partners(PANELS_DIR, as_of=2011)
    years = partners.filter(like="_year")
    assert years.max().max() <= 2011
    assert partners["fsi_c1_security_apparatus"].isna().all()  # FSI is 2023 only
    assert (partners["ucdp_conflict_years_2020_2024_year"].dropna() == 2011).all()  # window 2007-2011
    assert partners["us_aid_variation_fy2020_2024"].notna().sum() > 100
    now = build_partners(PANELS_DIR)
    assert now.filter(like="_year").max().max() > 2011


def test_backtest_table_on_bundled_panels(result, quick):
    t = result.table
    assert list(t.columns) == bt.TABLE_COLUMNS
    assert len(t) == len(quick.outcomes) * len(quick.horizons)
    done = t.dropna(subset=["rho_partial"])
    assert len(done) == len(t) and (done["n"] >= quick.min_n).all()
    assert ((done["ci_low"] <= done["rho_partial"]) & (done["rho_partial"] <= done["ci_high"])).all()
    own = {o.id: ", ".join(o.own_indicators) for o in quick.outcomes}
    assert (t["excluded_indicators"] == t["outcome"].map(own)).all() and (t["overlap"] == "").all()
    pairs = result.pairs
    assert (pairs["aid_usd_m"] >= quick.aid_threshold_usd_m).all()


def test_same_seed_identical_table_other_seed_other_interval(result, quick):
    again = bt.backtest(quick)
    pd.testing.assert_frame_equal(result.table, again.table)
    other = bt.backtest(quick.with_changes(seed=quick.seed + 1))
    pd.testing.assert_series_equal(result.table["rho_partial"], other.table["rho_partial"])
    assert not result.table["ci_low"].equals(other.table["ci_low"])


def test_own_indicators_kept_reports_the_overlap(quick):
    s = quick.with_changes(exclude_own_indicators=False, bootstrap_draws=0, horizons=[2019])
    t = bt.backtest(s).table
    gov = t[t["outcome"] == "governance_wgi"].iloc[0]
    assert "wgi_rule_of_law" in gov["overlap"] and gov["excluded_indicators"] == ""
    assert np.isnan(gov["ci_low"])


def test_a_horizon_without_outcome_data_is_reported_not_dropped(quick):
    t = bt.backtest(quick.with_changes(bootstrap_draws=0, horizons=[2024])).table
    gov = t[t["outcome"] == "governance_wgi"].iloc[0]  # WGI ends in 2023
    assert gov["n"] == 0 and np.isnan(gov["rho_partial"]) and "no wgi_governance data for 2024" in gov["note"]
    assert t.loc[t["outcome"] == "conflict_ucdp", "n"].iloc[0] > 0  # UCDP runs to 2024


# ------------------------------------------------------------------------------ CLI, chart, views


def test_cli_writes_the_table(tmp_path, capsys):
    out = tmp_path / "bt.csv"
    assert main(["validate", "--draws", "50", "--horizons", "2019", "--no-marking", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "partial Spearman" in text and "Caveats:" in text and "governance_wgi" in text
    table = pd.read_csv(out)
    assert len(table) == 4 and table["n"].gt(0).all()


def test_cli_bad_flag_is_one_line(capsys):
    assert main(["validate", "--as-of", "1990"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "--as-of" in err and "\n" not in err


def test_cli_xlsx_has_pairs_and_caveats(tmp_path):
    out = tmp_path / "bt.xlsx"
    assert main(["validate", "--draws", "20", "--horizons", "2019", "--out", str(out)]) == 0
    names = load_workbook(out).sheetnames
    assert {"Back-test", "Partner pairs", "Settings", "Caveats"} <= set(names)


def test_backtest_chart_and_display_table(result):
    spec = backtest_chart(result.table).to_dict()
    values = [v for d in spec["datasets"].values() for v in d if "rho_partial" in v]
    assert len(values) == result.table["rho_partial"].notna().sum()
    assert to_svg(backtest_chart(result.table), None).startswith("<svg")
    shown = backtest_table(result.table)
    assert list(shown["Partners"]) == list(result.table["n"])
    assert shown["Change over"].iloc[0] == "2011→2019"


def test_app_back_test_tab_runs_on_the_button():
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=30)
    at.query_params["view"] = "data"
    at.run(timeout=120)
    assert not at.exception
    assert "Back-test" in [t.label for t in at.tabs]
    assert not [m for m in at.markdown if "Caveats" in m.value]  # nothing runs before the button
    next(b for b in at.button if b.key == "backtest_run").click().run(timeout=120)
    assert not at.exception and not at.error
    assert any("Caveats" in m.value for m in at.markdown)
