"""Real-browser test: Chromium drives a running ``streamlit run app.py`` like a planner would.

The session (see ``tests/browser_support.py``) is driven once by the session-scoped ``app_session`` fixture:
load → raise the "Consistency of US support" category weight to 100 with the keyboard → run the optimizer and the
efficient frontier → download a chart PNG and the Excel workbook → run robustness → visit every view through
the sidebar and save a full-page screenshot of each to ``test-artifacts/screenshots/<view>.png`` → open a
``?view=matrix`` deep link in a fresh tab. Each test below checks one part of that record, so a broken step
fails its own test with the step's error (and a screenshot in ``test-artifacts/failures/``).

Needs Debian's Chromium at /usr/bin/chromium: skipped when it is missing, failed when CI=true.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import browser_support
import openpyxl
import pytest
from browser_support import CHART_VIEWS, SessionRecord

from prioritizer.report.columns import to_column_ids
from prioritizer.scenario import VIEWS

pytest_plugins = ["browser_support"]

EXPECTED_SHEETS = ("Rankings", "Allocation", "Bullish-bearish", "Indicators & sources", "Scenario settings")


def _money(text: str) -> float:
    """'$5,920.5M' → 5920.5 (US$ M)."""
    match = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


def _header_and_rows(ws) -> tuple[list[str], list[tuple]]:
    """Column ids and data rows of an exported sheet (row 1 marking, row 2 planner labels, data from row 3)."""
    rows = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert len(rows) >= 2 and rows[0][0] == "UNCLASSIFIED", f"sheet {ws.title!r}: no marking row / header"
    return to_column_ids(str(h) for h in rows[1]), rows[2:]


def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The skip rule itself (no browser needed): skip with a message, but fail when CI=true."""
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        browser_support.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser_support.require_chromium()


@pytest.mark.browser
def test_app_loads_with_marking_and_top_sheet(app_session: SessionRecord):
    app_session.require("load")
    data = app_session.data
    assert data["initial_title"] == VIEWS["top_sheet"], data["initial_title"]
    assert data["marking"] == "UNCLASSIFIED"
    assert not data["initial_errors"], data["initial_errors"]
    before = data["before"]
    assert before["metrics"].get("Partners shown", "").isdigit(), before["metrics"]
    assert int(before["metrics"]["Partners shown"]) >= 150, before["metrics"]
    assert before["headline"].startswith("Highest propensity:"), before["headline"]
    assert len(before["rows"]) >= 5, f"the top-sheet grid showed no rows: {before}"


@pytest.mark.browser
def test_weight_slider_changes_the_ranking(app_session: SessionRecord):
    app_session.require("change_weight")
    data = app_session.data
    assert data["weight_before"] != "100" and data["weight_after"] == "100", \
        f"{data['weight_label']!r} slider: {data['weight_before']} → {data['weight_after']}"
    before, after = data["before"], data["after"]
    assert after["rows"] and after["rows"] != before["rows"], (
        f"top-sheet rows did not change:\nbefore {before['metrics']} {before['rows'][:1]}\n"
        f"after  {after['metrics']} {after['rows'][:1]}")
    assert (after["headline"], after["metrics"]) != (before["headline"], before["metrics"]), (before, after)
    # The scenario token in the address follows the change (shareable link, refresh-safe).
    token = re.compile(r"[?&]s=([^&]+)")
    assert token.search(data["url_after"]) and \
        token.search(data["url_before"]).group(1) != token.search(data["url_after"]).group(1)
    assert not data["weight_errors"], data["weight_errors"]


@pytest.mark.browser
def test_allocation_runs_and_shows_results(app_session: SessionRecord):
    app_session.require("allocation")
    data = app_session.data
    assert not data["allocation_errors"], data["allocation_errors"]
    metrics = data["allocation_metrics"]
    for name in ("Budget", "Allocated", "Baseline", "Total benefit"):
        assert name in metrics, f"metric {name!r} missing: {metrics}"
    assert _money(metrics["Budget"]) > 0 and _money(metrics["Allocated"]) > 0, metrics
    drawn = [c for c in data["allocation_charts"] if c["w"] > 0 and c["h"] > 0]
    assert len(drawn) >= 3, f"expected the command, mechanism and change charts: {data['allocation_charts']}"
    assert not data["frontier_errors"], data["frontier_errors"]
    assert len([c for c in data["frontier_charts"] if c["w"] > 0 and c["h"] > 0]) >= 4, data["frontier_charts"]


@pytest.mark.browser
def test_chart_png_download(app_session: SessionRecord):
    app_session.require("chart_png")
    blob = Path(app_session.downloads["chart_png"]).read_bytes()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n", "the chart download is not a PNG"
    width, height = struct.unpack(">II", blob[16:24])
    assert width >= 300 and height >= 200, (width, height)


@pytest.mark.browser
def test_workbook_download_reopens_with_data(app_session: SessionRecord):
    app_session.require("workbook")
    path = Path(app_session.downloads["workbook"])
    assert path.suffix == ".xlsx", path
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        missing = [s for s in EXPECTED_SHEETS if s not in wb.sheetnames]
        assert not missing, f"sheets {missing} missing from {wb.sheetnames}"

        header, rows = _header_and_rows(wb["Rankings"])
        assert {"partner_id", "name", "propensity"} <= set(header), header
        assert len(rows) >= 150, f"Rankings has {len(rows)} data rows"
        # The export is the ranking the browser showed after the weight change.
        shown = app_session.data.get("after", {}).get("headline", "")
        top_name = rows[0][header.index("name")]
        assert f"Highest propensity: {top_name} " in shown + " ", (top_name, shown)

        header, rows = _header_and_rows(wb["Allocation"])
        assert "allocation_usd_m" in header, f"the optimizer's allocation is not in the workbook: {header}"
        alloc = [r[header.index("allocation_usd_m")] for r in rows]
        assert len(alloc) >= 50 and all(isinstance(v, int | float) for v in alloc), alloc[:5]
        allocated = _money(app_session.data["allocation_metrics"]["Allocated"])
        assert sum(alloc) == pytest.approx(allocated, rel=2e-3, abs=0.2), (sum(alloc), allocated)

        _, rows = _header_and_rows(wb["Bullish-bearish"])
        assert rows, "no bullish/bearish rows"
        settings = {str(r[0]): r[1] for r in _header_and_rows(wb["Scenario settings"])[1]}
        assert float(settings.get("category_weights.us_engagement", -1)) == 100, settings
    finally:
        wb.close()


@pytest.mark.browser
@pytest.mark.parametrize("view", list(VIEWS))
def test_view_renders_cleanly(app_session: SessionRecord, view: str):
    app_session.require(f"view:{view}")
    rec = app_session.views[view]
    assert rec.title == VIEWS[view], f"the page shows {rec.title!r}, not the {VIEWS[view]!r} view"
    assert not rec.errors, f"{view} shows: {rec.errors}"
    assert rec.screenshot is not None and rec.heights.get("bytes", 0) > 10_000, (rec.screenshot, rec.heights)
    sized = [c for c in rec.charts if c["w"] > 0 and c["h"] > 0]
    assert len(sized) == len(rec.charts), f"{view}: a chart has zero size: {rec.charts}"
    if view in CHART_VIEWS:
        assert sized, f"{view}: no drawn chart (canvas/svg) in the main area"
        blank = [c for c in sized if c["ink"] is not None and 0 <= c["ink"] < (0.005 if c["kind"] == "canvas" else 1)]
        assert not blank, f"{view}: a chart is drawn but empty (no data marks): {rec.charts}"


@pytest.mark.browser
def test_deep_link_opens_the_view(app_session: SessionRecord):
    app_session.require("deep_link")
    data = app_session.data
    assert data["deep_link_title"] == VIEWS["matrix"], data["deep_link_title"]
    assert not data["deep_link_errors"], data["deep_link_errors"]
    assert any(c["w"] > 0 and c["h"] > 0 for c in data["deep_link_charts"]), data["deep_link_charts"]


@pytest.mark.browser
def test_saved_runs_survive_a_refresh(app_session: SessionRecord):
    """Run → save → browser refresh: the allocation and frontier come back from the store, not re-run."""
    app_session.require("saved_runs")
    data = app_session.data
    assert "Saved scenario 'Browser brief' with its allocation" in data["save_message"], data["save_message"]
    assert data["refresh_title"] == VIEWS["allocation"]
    assert not data["refresh_errors"], data["refresh_errors"]
    assert data["refresh_metrics"].get("Allocated") == data["allocation_metrics"]["Allocated"], \
        (data["refresh_metrics"], data["allocation_metrics"])
    assert "Saved with the scenario on" in data["refresh_text"]
    assert "Stale" not in data["refresh_text"]
    assert len([c for c in data["refresh_charts"] if c["w"] > 0 and c["h"] > 0]) >= 4, data["refresh_charts"]


@pytest.mark.browser
def test_no_browser_or_server_errors(app_session: SessionRecord):
    assert not app_session.page_errors, f"uncaught JavaScript errors: {app_session.page_errors}"
    # Reloading a page's own address (/allocation) makes Streamlit's frontend probe the page path for its
    # server endpoints before the app root (streamlit/streamlit#7074, open): two 404s, then the root answers.
    # Only those two probes are tolerated; any other console error fails.
    probe = re.compile(r"status of 404 .*\[http://127\.0\.0\.1:\d+/[a-z_]+/_stcore/(health|host-config)\]$")
    errors = [e for e in app_session.console_errors if not probe.search(e)]
    assert not errors, f"browser console errors: {errors}"
    tracebacks = [m.start() for m in re.finditer("Traceback", app_session.server_log)]
    assert not tracebacks, "the server logged tracebacks:\n" + app_session.server_log[tracebacks[0]:][:3000]


@pytest.mark.browser
@pytest.mark.parametrize("view", list(VIEWS))
def test_presentation_mode_holds_on_a_projector(app_session: SessionRecord, view: str):
    """1920×1080, presentation mode: both marking bands on screen, no run buttons, no errors; the top sheet
    table needs no horizontal scroll. Screenshots: test-artifacts/screenshots/presentation_<view>.png."""
    app_session.require("presentation")
    rec = app_session.data["presentation"][view]
    assert rec["top"] and rec["bottom"], f"{view}: a marking band is missing: {rec}"
    assert rec["top"]["text"] == rec["bottom"]["text"] == "UNCLASSIFIED"
    assert rec["top"]["top"] >= 0 and rec["top"]["h"] > 0, rec
    assert rec["bottom"]["bottom"] <= rec["vh"] + 0.5 and rec["bottom"]["top"] < rec["vh"], \
        f"{view}: the bottom marking band is below the fold: {rec}"
    assert rec["buttons"] == 0, f"{view}: run buttons are on the slide"
    assert not rec["errors"], rec["errors"]
    if view == "top_sheet":
        assert rec["grid"] and rec["grid"]["sw"] <= rec["grid"]["cw"] + 2, f"top sheet scrolls sideways: {rec}"
    if view == "bullbear":  # all six commands' calls on one screen, above the bottom band
        assert len(rec["items"]) >= 6 * 4, rec["items"]
        hidden = [b for b in rec["items"] if b > rec["bottom"]["top"] + 0.5]
        assert not hidden, f"{len(hidden)} bullish/bearish calls are below the fold: {rec['items']}"
