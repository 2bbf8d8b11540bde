"""One command's scope (issue 13), as a combatant-command planner uses it: `--command`, subset files, budgets."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest
from openpyxl import load_workbook

from prioritizer.allocation.settings_file import load_settings
from prioritizer.cli import main
from prioritizer.data.dataset import load_dataset
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_PROFILE, SAMPLE_DATA_DIR
from prioritizer.pipeline import score_and_match
from prioritizer.report.columns import to_column_ids
from prioritizer.scoring import scope as sc
from prioritizer.scoring.settings import load_matching_settings, load_profile

PARTNERS = SAMPLE_DATA_DIR / "partners.csv"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def read_sheet(path, sheet: str) -> pd.DataFrame:
    """One sheet of a planner workbook with column ids (marking in row 1, planner headers in row 2)."""
    frame = pd.read_excel(path, sheet_name=sheet, header=1)
    frame.columns = to_column_ids(str(c) for c in frame.columns)
    return frame


def africom_file(tmp_path) -> tuple[pd.DataFrame, str]:
    frame = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    sub = frame[frame["command"] == "AFRICOM"]
    path = tmp_path / "africom_partners.csv"
    sub.to_csv(path, index=False)
    return sub, str(path)


@pytest.fixture(scope="module")
def sample():
    dataset = load_dataset()
    profile = load_profile(DEFAULT_PROFILE, dataset.dictionary)
    return dataset, profile, load_matching_settings()


# ------------------------------------------------------------------------------ subset files and defaults


def test_subset_file_scores_with_the_bundled_defaults(tmp_path, capsys):
    sub, path = africom_file(tmp_path)
    out = tmp_path / "ranked.xlsx"
    code, stdout, err = run(["score", "--data", path, "--out", str(out)], capsys)
    assert code == 0, err
    n_out = 196 - len(sub)
    assert f"priority_proxy.csv (bundled default): {n_out} rows for partners not in the data left out" in stdout
    assert f"funding_baseline.csv (bundled default): {n_out} rows for partners not in the data left out" in stdout
    table = read_sheet(out, "Rankings").set_index("partner_id")
    assert set(table.index) == set(sub["partner_id"])
    proxy = pd.read_csv(SAMPLE_DATA_DIR / "priority_proxy.csv").set_index("partner_id")["priority"]
    assert (table["priority"] == proxy.reindex(table.index)).all()
    funding = pd.read_csv(SAMPLE_DATA_DIR / "funding_baseline.csv").set_index("partner_id")["baseline_usd_m"]
    assert table["baseline_usd_m"].to_numpy() == pytest.approx(funding.reindex(table.index).to_numpy())
    about = [row for row in load_workbook(out, read_only=True)["About"].iter_rows(values_only=True)]
    notes = [str(r[1]) for r in about if r[0] and str(r[0]).startswith("Data note")]
    assert any(f"{n_out} rows for partners not in the data left out" in n for n in notes), notes


def test_missing_partners_in_a_priority_file_get_the_documented_default_with_a_note(tmp_path, capsys):
    _sub, path = africom_file(tmp_path)
    prio = tmp_path / "africom_priority.csv"
    prio.write_text("partner_id,priority,basis\nKEN,5,command priority\nNGA,4,command priority\n", encoding="utf-8")
    fund = tmp_path / "africom_funding.csv"
    fund.write_text("partner_id,baseline_usd_m\nKEN,20\n", encoding="utf-8")
    out = tmp_path / "ranked.xlsx"
    code, stdout, err = run(["score", "--data", path, "--priority", str(prio), "--funding", str(fund),
                             "--out", str(out)], capsys)
    assert code == 0, err
    assert "africom_priority.csv has no row for 51 partners (" in stdout
    assert ": neutral default priority 3" in stdout
    assert "africom_funding.csv has no row for 52 partners (" in stdout and "baseline $0 M" in stdout
    table = read_sheet(out, "Rankings").set_index("partner_id")
    assert table.at["KEN", "priority"] == 5 and table.at["NGA", "priority"] == 4
    others = table.drop(index=["KEN", "NGA"])
    assert (others["priority"] == 3).all()
    assert (others["priority_basis"] == "not in priority file: neutral default 3").all()
    assert table.at["KEN", "baseline_usd_m"] == 20 and (table.drop(index="KEN")["baseline_usd_m"] == 0).all()
    about = [row for row in load_workbook(out, read_only=True)["About"].iter_rows(values_only=True)]
    notes = " | ".join(str(r[1]) for r in about if r[0] and str(r[0]).startswith("Data note"))
    assert "africom_priority.csv has no row for 51 partners" in notes
    assert "africom_funding.csv has no row for 52 partners" in notes
    # the named ids are real partners of the data, not KEN or NGA
    named = stdout.split("africom_priority.csv has no row for 51 partners (")[1].split(")")[0]
    assert "KEN" not in named.split(", ") and named.split(", ")[0] in set(table.index)


def test_a_wrong_user_priority_file_is_refused_with_the_ids(tmp_path, capsys):
    _sub, path = africom_file(tmp_path)
    prio = tmp_path / "priority.csv"
    prio.write_text("partner_id,priority\nKEN,4\nAND,3\nARE,5\nXXX,2\n", encoding="utf-8")
    code, stdout, err = run(["score", "--data", path, "--priority", str(prio)], capsys)
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "priority.csv', row 3, column 'partner_id'" in lines[0]
    assert "3 partner ids are not in the partners table: AND, ARE, XXX" in lines[0]


def test_a_wrong_user_funding_file_is_refused_with_the_ids(tmp_path, capsys):
    _sub, path = africom_file(tmp_path)
    fund = tmp_path / "funding.csv"
    fund.write_text("partner_id,baseline_usd_m\nFRA,3\nKEN,1\nDEU,2\n", encoding="utf-8")
    code, _out, err = run(["score", "--data", path, "--funding", str(fund)], capsys)
    assert code == 2
    assert "row 2, column 'partner_id': 2 partner ids are not in the partners table: FRA, DEU" in err


def test_overrides_naming_partners_outside_the_data_are_refused_with_the_ids(tmp_path, capsys):
    _sub, path = africom_file(tmp_path)
    over = tmp_path / "overrides.csv"
    over.write_text("partner_id,construct,value,rationale\nFRA,alignment,80,x\nPOL,alignment,70,y\n",
                    encoding="utf-8")
    code, _out, err = run(["score", "--data", path, "--overrides", str(over)], capsys)
    assert code == 2
    assert "2 partner ids are not in the partners table: FRA, POL" in err


# ------------------------------------------------------------------------------ --command on score


def test_scores_with_and_without_command_agree_under_global_normalisation(tmp_path, capsys):
    full, scoped = tmp_path / "all.csv", tmp_path / "africom.csv"
    assert main(["score", "--no-marking", "--out", str(full)]) == 0
    code, stdout, _ = run(["score", "--command", "AFRICOM", "--no-marking", "--out", str(scoped)], capsys)
    assert code == 0
    assert "normalisation bounds from all 196 partners" in stdout
    a = pd.read_csv(full, encoding="utf-8-sig").set_index("partner_id")
    b = pd.read_csv(scoped, encoding="utf-8-sig").set_index("partner_id")
    assert set(b["command"]) == {"AFRICOM"} and len(b) == int((a["command"] == "AFRICOM").sum())
    same = a.loc[b.index]
    for col in ["propensity", "rank_in_command", "coverage", "governance_score", "stability_score", "priority",
                "baseline_usd_m"]:
        pd.testing.assert_series_equal(b[col], same[col], check_names=False, check_dtype=False)
    assert (b["quadrant"] == same["quadrant"]).all()
    pd.testing.assert_series_equal(b["rank_all"], same["rank"], check_names=False, check_dtype=False)
    ranked = b.dropna(subset=["rank"]).sort_values("rank")  # rank within the scope, in propensity order
    assert ranked["rank"].iloc[0] == 1 and ranked["rank"].max() <= len(b)
    assert (ranked["propensity"].diff().dropna() <= 1e-9).all()


def test_normalise_within_scope_equals_scoring_the_subset_file(tmp_path, capsys):
    _sub, path = africom_file(tmp_path)
    within, subset = tmp_path / "within.csv", tmp_path / "subset.csv"
    code, stdout, _ = run(["score", "--command", "AFRICOM", "--normalise-within-scope", "--no-marking",
                           "--out", str(within)], capsys)
    assert code == 0 and "normalisation bounds from these 53 partners only" in stdout
    assert main(["score", "--data", path, "--no-marking", "--out", str(subset)]) == 0
    a = pd.read_csv(within, encoding="utf-8-sig").set_index("partner_id")
    b = pd.read_csv(subset, encoding="utf-8-sig").set_index("partner_id").loc[a.index]
    assert a["propensity"].to_numpy() == pytest.approx(b["propensity"].to_numpy())
    full = pd.read_csv(SAMPLE_DATA_DIR / "partners.csv", usecols=["partner_id"])
    assert len(full) == 196
    glob = tmp_path / "global.csv"
    assert main(["score", "--command", "AFRICOM", "--no-marking", "--out", str(glob)]) == 0
    g = pd.read_csv(glob, encoding="utf-8-sig").set_index("partner_id").loc[a.index]
    assert g["propensity"].to_numpy() != pytest.approx(a["propensity"].to_numpy())


@pytest.mark.parametrize("args,fragment", [
    (["--command", "XCOM"], "unknown command 'XCOM' (commands in the data: AFRICOM, CENTCOM, EUCOM"),
    (["--command", "africom", "--command", "SPACECOM"], "unknown command 'SPACECOM'"),
])
def test_unknown_command_is_an_error_naming_the_flag(args, fragment, capsys):
    code, _out, err = run(["score", *args], capsys)
    assert code == 2 and "--command" in err and fragment in err
    assert len(err.strip().splitlines()) == 1


def test_a_command_with_no_partners_in_the_data_is_a_clear_error(tmp_path, capsys):
    _sub, path = africom_file(tmp_path)
    code, _out, err = run(["allocate", "--data", path, "--command", "EUCOM"], capsys)
    assert code == 2
    assert "command 'EUCOM' has no partners in the data (commands in the data: AFRICOM)" in err


def test_every_command_scope_keeps_every_score(sample):
    dataset, profile, matching = sample
    full = score_and_match(dataset, profile, matching).scores
    for command in sc.data_commands(dataset.partners):
        scope = sc.resolve_scope([command.lower()], dataset.partners)
        part = score_and_match(dataset, profile, matching, scope=scope).scores
        assert set(part["command"]) == {command}
        assert part["propensity"].equals(full.loc[part.index, "propensity"])
        assert part["rank"].min() == 1 and part["rank"].max() <= len(part)
        assert part["rank"].isna().equals(full.loc[part.index, "rank"].isna())  # unranked stay unranked
        pd.testing.assert_series_equal(part["rank_in_command"], full.loc[part.index, "rank_in_command"])


# ------------------------------------------------------------------------------ allocation in scope


def command_baseline(command: str) -> float:
    """The bundled baseline total of one command's partners (US$ M/yr), from the sample files."""
    partners = pd.read_csv(PARTNERS, usecols=["partner_id", "command"]).set_index("partner_id")["command"]
    funding = pd.read_csv(SAMPLE_DATA_DIR / "funding_baseline.csv").set_index("partner_id")["baseline_usd_m"]
    return float(funding[partners.reindex(funding.index) == command].sum())


def test_allocate_africom_300_spends_at_most_300_on_africom_only_and_names_its_calls(tmp_path, capsys):
    out = tmp_path / "alloc.xlsx"
    code, stdout, err = run(["allocate", "--command", "AFRICOM", "--budget-usd-m", "300", "--out", str(out)], capsys)
    assert code == 0, err
    assert f"budget $300.0 M (baseline ${command_baseline('AFRICOM'):,.1f} M)" in stdout
    assert "floors/caps of CENTCOM, EUCOM, INDOPACOM, NORTHCOM, SOUTHCOM do not apply" in stdout
    assert "3 locks on partners outside the scope left out (ISR/fmf, EGY/fmf, JOR/fmf)" in stdout
    table = read_sheet(out, "Allocation")
    assert set(table["command"]) == {"AFRICOM"} and len(table) == 53
    assert table["allocation_usd_m"].sum() <= 300 + 1e-6
    bb = read_sheet(out, "Bullish-bearish")
    assert set(bb["command"]) == {"AFRICOM"}
    # up to 3 a side, fewer only when fewer partners rise (bullish) or fall (bearish) at this budget
    rising = int((table["change_usd_m"] > 0.01).sum())
    falling = int(((table["change_usd_m"] < -0.01) & (table["baseline_usd_m"] > 0)).sum())
    assert (bb["side"] == "bullish").sum() == min(3, rising) >= 1
    assert (bb["side"] == "bearish").sum() == min(3, falling) == 3
    block = stdout.split("\nAFRICOM\n")[1]
    assert "  bullish:" in block and "  bearish:" in block and "    1. " in block
    for other in ("CENTCOM", "EUCOM", "INDOPACOM"):
        assert f"\n{other}\n" not in stdout


def test_allocate_scope_default_budget_is_the_commands_baseline_and_names_3_plus_3(tmp_path, capsys):
    out = tmp_path / "alloc.xlsx"
    code, stdout, err = run(["allocate", "--command", "AFRICOM", "--out", str(out)], capsys)
    assert code == 0, err
    base = command_baseline("AFRICOM")
    assert f"budget ${base:,.1f} M (baseline ${base:,.1f} M)" in stdout
    bb = read_sheet(out, "Bullish-bearish")
    assert (bb["side"] == "bullish").sum() == 3 and (bb["side"] == "bearish").sum() == 3
    assert read_sheet(out, "Allocation")["allocation_usd_m"].sum() <= base + 1e-6


def test_restrict_settings_keeps_only_the_scopes_constraints(sample):
    dataset, profile, matching = sample
    settings = load_settings()
    scope = sc.resolve_scope(["CENTCOM"], dataset.partners)
    scores = score_and_match(dataset, profile, matching, scope=scope).scores
    run = sc.allocation_for_scope(scores, dataset, settings, 2000.0)
    s = run.settings
    assert [c.command for c in s.commands] == ["CENTCOM"]
    assert [lk.partner_id for lk in s.locks] == ["ISR", "EGY", "JOR"]  # CENTCOM partners: their MOU earmarks stay
    # each pool is cut to CENTCOM's share of that mechanism's baseline, read from the funding file
    funding = pd.read_csv(SAMPLE_DATA_DIR / "funding_baseline.csv").set_index("partner_id")
    centcom = funding.loc[scores.index]
    for before, after in zip(settings.pools, s.pools, strict=True):
        col = f"baseline_{before.mechanism}_usd_m"
        share = centcom[col].sum() / funding[col].sum()
        assert after.max_usd_m == pytest.approx(before.max_usd_m * share, rel=1e-9)
    assert s.partner_defaults == settings.partner_defaults
    assert run.budget_usd_m == 2000.0
    assert len(run.inputs.partners) == 22 and run.inputs.eligible.index.equals(run.inputs.partners.index)
    # the whole picture is left alone (settings unchanged at any budget)
    everything = score_and_match(dataset, profile, matching).scores
    every = sc.allocation_for_scope(everything, dataset, settings, 9000.0)
    assert every.settings == settings and every.notes == []


def test_a_subset_file_gets_the_same_constraints_as_the_command_scope(tmp_path, sample):
    dataset, profile, matching = sample
    _sub, path = africom_file(tmp_path)
    subset = load_dataset(partners=path)
    assert subset.funding_file_totals_usd_m["baseline_usd_m"] == pytest.approx(
        float(dataset.funding["baseline_usd_m"].sum()))
    settings = load_settings()
    a = sc.allocation_for_scope(score_and_match(subset, profile, matching).scores, subset, settings)
    scope = sc.resolve_scope(["AFRICOM"], dataset.partners)
    b = sc.allocation_for_scope(score_and_match(dataset, profile, matching, scope=scope).scores, dataset, settings)
    assert a.settings == b.settings and a.budget_usd_m == pytest.approx(b.budget_usd_m)


def test_frontier_and_robustness_take_the_scope(tmp_path, capsys):
    out = tmp_path / "frontier.csv"
    code, stdout, err = run(["frontier", "--command", "AFRICOM", "--levels", "4", "--no-marking", "--out", str(out)],
                            capsys)
    assert code == 0, err
    front = pd.read_csv(out)
    base = command_baseline("AFRICOM")
    assert front["budget_usd_m"].iloc[0] == pytest.approx(0.2 * base, rel=1e-4)
    assert front["budget_usd_m"].iloc[-1] == pytest.approx(2.0 * base, rel=1e-4)
    ok = front[front["status"] == "Optimal"]
    assert len(ok) >= 2 and (ok["allocated_usd_m"] <= ok["budget_usd_m"] + 1e-6).all()
    rob = tmp_path / "rob.csv"
    code, stdout, err = run(["robustness", "--command", "AFRICOM", "--draws", "200", "--lp-draws", "5",
                             "--no-tipping", "--no-marking", "--out", str(rob)], capsys)
    assert code == 0, err
    table = pd.read_csv(rob, encoding="utf-8-sig")
    assert set(table["command"]) == {"AFRICOM"} and len(table) == 53
    assert table["rank_p95"].max() <= 53
    assert f"budget ${command_baseline('AFRICOM'):,.1f} M" in stdout


def test_add_scope_arguments_on_any_parser():
    parser = argparse.ArgumentParser()
    sc.add_scope_arguments(parser)
    args = parser.parse_args(["--command", "AFRICOM", "--command", "eucom", "--normalise-within-scope"])
    partners = pd.DataFrame({"command": ["AFRICOM", "EUCOM", "CENTCOM"]}, index=["KEN", "FRA", "ISR"])
    scope = sc.scope_from_args(args, partners)
    assert scope == sc.Scope(("AFRICOM", "EUCOM"), True)
    assert list(scope.partner_ids(partners)) == ["KEN", "FRA"]
    assert sc.scope_from_args(parser.parse_args([]), partners).is_all
    with pytest.raises(InputError, match="unknown command 'PACOM'"):
        sc.resolve_scope(["PACOM"], partners)


# ------------------------------------------------------------------------------ the app's scope option


def _app(view: str, **params: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params["view"] = view
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_app_scope_one_command_scores_allocates_and_travels_in_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIORITIZER_SCENARIO_DB", str(tmp_path / "scenarios.db"))
    at = _app("top_sheet")
    full = [d.value for d in at.dataframe if "propensity" in d.value.columns and "partner_id" in d.value.columns][0]
    at.sidebar.radio(key="scope_mode").set_value("one").run()
    at.sidebar.selectbox(key="scope_command").set_value("AFRICOM").run()
    assert not at.exception
    assert any("normalisation bounds from all 196 partners" in i.value for i in at.info)
    top = [d.value for d in at.dataframe if "propensity" in d.value.columns and "partner_id" in d.value.columns][0]
    assert set(top["command"]) == {"AFRICOM"}
    same = full.set_index("partner_id").loc[top["partner_id"], "propensity"].to_numpy()
    assert top["propensity"].to_numpy() == pytest.approx(same)  # global bounds: scores unchanged
    params = dict(at.query_params)
    at.switch_page("ui/pages/allocation.py").run()
    at.button(key="run_allocation").click().run()
    assert not at.exception and not [e.value for e in at.error]
    budget = next(m for m in at.metric if m.label == "Budget").value
    assert budget == f"${command_baseline('AFRICOM'):,.1f}M"  # default budget = the command's baseline
    table = next(d.value for d in at.dataframe if {"partner_id", "allocation_usd_m"} <= set(d.value.columns))
    assert set(table["command"]) == {"AFRICOM"} and len(table) == 53
    assert any("floors/caps of CENTCOM, EUCOM" in c.value for c in at.caption)
    again = _app("top_sheet", s=params["s"])
    assert again.sidebar.radio(key="scope_mode").value == "one"
    assert again.sidebar.selectbox(key="scope_command").value == "AFRICOM"
    again.sidebar.checkbox(key="normalise_within_scope").check().run()
    assert any("normalisation bounds from these 53 partners only" in i.value for i in again.info)
