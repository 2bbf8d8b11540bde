"""Every CLI export (CSV and XLSX) writes hostile partner names as text, never as a live formula.

The exports checked are the planner forms the CLI writes by default (marking line / row first, planner
headers, mapped back to column ids with the column dictionary).

A partners file whose names start with ``=``, ``+``, ``-``, ``@`` (and full-width ``＝``) goes through
``python -m prioritizer allocate|score --out``; the CSV text and the workbook's cells are checked as a
spreadsheet would read them. Numbers stay numbers (a negative change is a number, not text to escape).
"""

from __future__ import annotations

import ast
import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from prioritizer import cells
from prioritizer.cli import main
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.report import columns

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "＝1+1", " =1+1"]
EXPECTED = {"'" + h.strip() for h in HOSTILE}  # the loader trims cells; the export prefixes a quote


@pytest.fixture(scope="module")
def hostile_partners(tmp_path_factory) -> Path:
    """The bundled partners table with the first few names replaced by formula-like text."""
    frame = pd.read_csv(SAMPLE_DATA_DIR / "partners.csv", dtype=str, keep_default_na=False)
    frame.loc[: len(HOSTILE) - 1, "name"] = HOSTILE
    path = tmp_path_factory.mktemp("hostile") / "partners.csv"
    frame.to_csv(path, index=False)
    return path


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_formula_text(text: str) -> bool:
    """Text a spreadsheet would run; a plain number such as ``-3.5`` is data, not a formula."""
    if _is_number(text):
        return False
    return text.startswith(cells.FORMULA_TRIGGERS) or text.lstrip(" ").startswith(cells.FORMULA_TRIGGERS)


def _check_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    for line in csv.reader(io.StringIO(text)):  # every field, the marking line and the headers included
        for value in line:
            assert not _is_formula_text(value), f"live formula text in {path.name}: {value!r}"
    reader = csv.reader(io.StringIO(columns.strip_marking_line(text)))
    header = columns.to_column_ids(next(reader))
    rows = [dict(zip(header, line, strict=True)) for line in reader]
    names = {r["name"] for r in rows}
    assert names >= EXPECTED, "hostile names kept, as text"
    return rows


def _check_xlsx(path: Path) -> None:
    wb = load_workbook(path)  # formulas are read as formulas (data_type "f"), not as values
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {path.name}!{ws.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not _is_formula_text(cell.value), f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                    seen.add(cell.value)
    assert seen >= EXPECTED


def _numeric_column(path: Path, sheet: str, column: str) -> list:
    ws = load_workbook(path)[sheet]
    assert ws["A1"].value == "UNCLASSIFIED"  # planner sheet: marking in row 1, planner headers in row 2
    header = columns.to_column_ids(str(c.value) for c in ws[2])
    j = header.index(column)
    return [row[j] for row in ws.iter_rows(min_row=3, values_only=True)]


def test_allocate_csv_has_no_live_formula(hostile_partners, tmp_path):
    out = tmp_path / "alloc.csv"
    proc = subprocess.run([sys.executable, "-m", "prioritizer", "allocate", "--data", str(hostile_partners),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = _check_csv(out)
    changes = [float(r["change_usd_m"]) for r in rows]  # plain numbers, negative ones not quoted
    assert any(c < 0 for c in changes)


def test_allocate_xlsx_has_no_live_formula(hostile_partners, tmp_path):
    out = tmp_path / "alloc.xlsx"
    assert main(["allocate", "--data", str(hostile_partners), "--out", str(out)]) == 0
    _check_xlsx(out)
    changes = _numeric_column(out, "Allocation", "change_usd_m")
    assert all(isinstance(v, int | float) for v in changes) and any(v < 0 for v in changes)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_score_export_has_no_live_formula(hostile_partners, tmp_path, suffix):
    out = tmp_path / f"scores{suffix}"
    assert main(["score", "--data", str(hostile_partners), "--out", str(out), "--top", "1"]) == 0
    if suffix == ".csv":
        _check_csv(out)
    else:
        _check_xlsx(out)
        assert all(isinstance(v, int | float) for v in _numeric_column(out, "Rankings", "propensity") if v is not None)


def _trigger_sets(path: Path) -> list[int]:
    """Lines of ``path`` holding a literal tuple/list/set of three or more formula triggers (a second rule)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            texts = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(texts & {"=", "+", "-", "@"}) >= 3:
                found.append(node.lineno)
    return found


def test_the_formula_rule_is_written_once():
    package = ROOT / "prioritizer"
    assert _trigger_sets(package / "cells.py"), "the rule lives in prioritizer/cells.py"
    sources = [*package.rglob("*.py"), ROOT / "app.py", *(ROOT / "ui").rglob("*.py")]
    others = {str(p.relative_to(ROOT)): lines for p in sorted(sources)
              if p != package / "cells.py" and p.exists() and (lines := _trigger_sets(p))}
    assert not others, f"a second formula-trigger list (use prioritizer.cells): {others}"
