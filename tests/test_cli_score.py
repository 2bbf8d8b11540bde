"""`python -m prioritizer score` as a planner runs it: defaults, profiles, exported files."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
from openpyxl import load_workbook

from prioritizer.cli import main
from prioritizer.data.reading import read_table
from prioritizer.paths import PROJECT_ROOT

REQUIRED = ["partner_id", "name", "command", "propensity", "rank", "rank_in_command", "coverage", "low_confidence",
            "quadrant", "governance_score", "democracy_rights_score", "stability_score", "absorptive_capacity_score",
            "shared_interests_score", "us_engagement_score"]


def test_score_with_no_arguments_as_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "prioritizer", "score"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Propensity ranking — profile 'Evidence-based default'" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_score_writes_csv_with_required_columns(tmp_path, capsys):
    out = tmp_path / "ranked.csv"
    assert main(["score", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "UNCLASSIFIED" and lines[1].startswith("Partner ID,Partner,")  # planner CSV
    table = read_table(out)  # the project's reader maps the planner headers back to column ids
    table["rank"] = pd.to_numeric(table["rank"])
    table["coverage"] = pd.to_numeric(table["coverage"]) / 100  # the planner CSV writes shares as percent
    assert set(REQUIRED) <= set(table.columns)
    assert len(table) >= 190 and table["partner_id"].is_unique
    ranked = table["rank"].notna()
    assert table.loc[ranked, "rank"].is_monotonic_increasing
    # partners below the coverage threshold are unranked and listed last, with their coverage
    assert not ranked.iloc[: int(ranked.sum())].eq(False).any() and (~ranked).sum() >= 1
    assert (table.loc[~ranked, "coverage"] < 0.7).all() and "VAT" in set(table.loc[~ranked, "partner_id"])
    assert table["command"].isin(["AFRICOM", "CENTCOM", "EUCOM", "INDOPACOM", "NORTHCOM", "SOUTHCOM"]).all()


def test_score_writes_xlsx_and_profiles_change_the_ranking(tmp_path, capsys):
    default, interop = tmp_path / "d.xlsx", tmp_path / "i.xlsx"
    assert main(["score", "--out", str(default)]) == 0
    assert main(["score", "--weights", str(PROJECT_ROOT / "weights" / "interoperability.yaml"),
                 "--out", str(interop)]) == 0
    wb = load_workbook(default, read_only=True)
    assert "Rankings" in wb.sheetnames
    a = read_table(default).set_index("partner_id")
    b = read_table(interop).set_index("partner_id")
    for frame in (a, b):
        frame[["propensity", "rank"]] = frame[["propensity", "rank"]].apply(pd.to_numeric)
    assert set(REQUIRED) - {"partner_id"} <= set(a.columns)
    assert a["propensity"].dtype.kind == "f"
    assert not a["rank"].equals(b["rank"].reindex(a.index))


def test_machine_csv_and_templates_and_out_folder(tmp_path, monkeypatch, capsys):
    out = tmp_path / "machine.csv"
    assert main(["score", "--no-marking", "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert set(REQUIRED) <= set(table.columns) and table["propensity"].dtype.kind == "f"
    monkeypatch.chdir(tmp_path)  # a bare file name lands in out/
    assert main(["template", "priority"]) == 0
    assert (tmp_path / "out" / "priority_template.csv").exists()
    from prioritizer.data.dataset import load_dataset

    ds = load_dataset(PROJECT_ROOT / "sample_data", priority=tmp_path / "out" / "priority_template.csv")
    assert ds.priority["NOR"] == 4
    for kind in ("partners", "funding", "overrides"):
        assert main(["template", kind, "--out", str(tmp_path / f"{kind}.csv")]) == 0
    assert read_table(tmp_path / "partners.csv").columns[0] == "partner_id"
    printed = capsys.readouterr().out
    assert "placeholder" in printed
