"""`python -m prioritizer score` as a planner runs it: defaults, profiles, exported files."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
from openpyxl import load_workbook

from prioritizer.cli import main
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
    table = pd.read_csv(out, encoding="utf-8-sig")
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
    a = pd.read_excel(default, sheet_name="Rankings").set_index("partner_id")
    b = pd.read_excel(interop, sheet_name="Rankings").set_index("partner_id")
    assert set(REQUIRED) - {"partner_id"} <= set(a.columns)
    assert a["propensity"].dtype.kind == "f"
    assert not a["rank"].equals(b["rank"].reindex(a.index))
