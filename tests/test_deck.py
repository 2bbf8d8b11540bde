"""The briefing deck as a planner opens it: python-pptx reads it back; LibreOffice renders it."""

from __future__ import annotations

import io

import pytest
from office_support import page_count, to_pdf
from pptx import Presentation

from prioritizer import pipeline
from prioritizer.allocation.settings_file import load_settings
from prioritizer.charts.style import ChartMeta
from prioritizer.cli import main
from prioritizer.domain import COMMANDS
from prioritizer.pipeline import run_scoring
from prioritizer.report import deck

MARKING = "UNCLASSIFIED//FOR TEST"


@pytest.fixture(scope="module")
def brief():
    dataset, profile, result = run_scoring()
    settings = load_settings(known_partners=dataset.partners.index)
    meta = ChartMeta(scenario="Deck test", marking=MARKING, date="2026-01-02")
    return pipeline.brief_inputs(dataset, profile, result, meta, settings=settings)


@pytest.fixture(scope="module")
def deck_bytes(brief):
    return deck.build_deck(brief)


def _texts(slide) -> list[str]:
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]


def test_every_slide_carries_the_marking_top_and_bottom(deck_bytes):
    prs = Presentation(io.BytesIO(deck_bytes))
    slides = list(prs.slides)
    # title, top sheet, matrix, 2 allocation, 6 commands, robustness, method & data
    assert len(slides) == 5 + len(COMMANDS) + 2
    for i, slide in enumerate(slides, start=1):
        bands = [sh for sh in slide.shapes if sh.name == "marking"]
        assert [b.text_frame.text for b in bands] == [MARKING, MARKING], f"slide {i}"
        tops = sorted(b.top for b in bands)
        assert tops[0] == 0 and tops[1] + bands[0].height == prs.slide_height, f"slide {i}: bands not at the edges"
    first = "\n".join(_texts(slides[0]))
    assert "Deck test" in first and "2026-01-02" in first and "Budget: $" in first and "proxy" in first


def test_one_slide_per_command_with_its_six_calls(deck_bytes, brief):
    prs = Presentation(io.BytesIO(deck_bytes))
    by_title = {_texts(s)[2]: s for s in prs.slides}  # two marking bands first, then the title
    for command in COMMANDS:
        slide = by_title[f"{command} — bullish / bearish"]
        table = next(sh.table for sh in slide.shapes if sh.has_table)
        header = [c.text for c in table.rows[0].cells]
        assert header[:4] == ["Call", "Partner", "Recommended change ($M/yr)", "Importance"]
        assert {"Expected benefit", "Relative cost", "Risk (0–1)", "Confidence"} <= set(header)
        rows = [[c.text for c in r.cells] for r in list(table.rows)[1:]]
        calls = brief.bullbear[brief.bullbear["command"] == command]
        named = [r for r in rows if r[1] != "none qualifies"]
        assert len(named) == len(calls) and {r[1] for r in named} == set(calls["name"])
        assert [r[0] for r in rows] == ["bullish"] * 3 + ["bearish"] * 3  # a missing call says "none qualifies"
        assert all(r[2].startswith(("+$", "−$")) for r in named), rows  # signed $M
        assert all("data" in r[-1] for r in named)  # coverage named in the confidence cell
        unlisted = brief.offsets.set_index("command").loc[command, "unlisted_cut_name"]
        if isinstance(unlisted, str):  # a large cut below the list is named under the title
            assert f"Larger cut not on the list: {unlisted} −$" in "\n".join(_texts(slide))


def test_top_sheet_is_a_native_table_and_priority_says_proxy(deck_bytes):
    prs = Presentation(io.BytesIO(deck_bytes))
    slide = list(prs.slides)[1]
    table = next(sh.table for sh in slide.shapes if sh.has_table)
    header = [c.text for c in table.rows[0].cells]
    assert "Priority (1–5, proxy)" in header and "Baseline ($M/yr)" in header
    assert len(table.rows) == 16
    assert any(sh.shape_type == 13 for sh in list(prs.slides)[2].shapes)  # the matrix chart is a picture


def test_scope_limits_the_deck_to_a_command(brief):
    prs = Presentation(io.BytesIO(deck.build_deck(pipeline.brief_for_commands(brief, ["EUCOM"]))))
    titles = [_texts(s)[2] for s in prs.slides]
    assert [t for t in titles if t.endswith("bullish / bearish")] == ["EUCOM — bullish / bearish"]


def test_brief_cli_writes_a_deck_that_libreoffice_renders(tmp_path, capsys):
    out = tmp_path / "deck.pptx"
    assert main(["brief", "--draws", "0", "--out", str(out), "--marking", "CUI"]) == 0
    printed = capsys.readouterr().out
    assert "Running HiGHS" not in printed and str(out) in printed
    prs = Presentation(str(out))
    assert all(sum(sh.name == "marking" and sh.text_frame.text == "CUI" for sh in s.shapes) == 2
               for s in prs.slides)
    pdf = to_pdf(out, tmp_path)
    assert page_count(pdf) == len(prs.slides)


def test_brief_rejects_a_wrong_extension(tmp_path, capsys):
    assert main(["brief", "--out", str(tmp_path / "deck.pdf")]) == 2
    assert "must end in .pptx" in capsys.readouterr().err
