"""Hostile input, faults and limits (issue 12), one test group per failure class the tester found.

Each case runs as a planner or an attacker would: the CLI on crafted files and flags, the readers on
crafted bytes, the scenario link decoder and model on crafted tokens. Every failure must be one clear
InputError line naming the file, row, column, key or flag — never a traceback, a hang or silent defaults.
"""

from __future__ import annotations

import base64
import resource
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prioritizer import files, scenario
from prioritizer.cli import main
from prioritizer.data.dataset import load_dataset
from prioritizer.data.numeric import parse_number, to_numeric_column
from prioritizer.data.reading import read_table, read_yaml
from prioritizer.errors import InputError
from prioritizer.paths import PROJECT_ROOT, SAMPLE_DATA_DIR
from prioritizer.scenario_token import decode_scenario, encode_scenario

PARTNERS = SAMPLE_DATA_DIR / "partners.csv"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.err.strip()


def one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x]
    assert len(lines) == 1, err
    return lines[0]


# 1. A mistyped --priority or --funding path is an error, not silent defaults --------------------------
@pytest.mark.parametrize("flag", ["--priority", "--funding"])
def test_mistyped_priority_or_funding_path_is_an_error(capsys, tmp_path, flag):
    code, err = run(capsys, "score", flag, str(tmp_path / "prioirty.csv"), "--top", "1")
    assert code == 2 and "prioirty.csv" in one_line(err) and "file not found" in err


# 2. YAML alias bomb: refused in bounded time and memory -------------------------------------------------
def _alias_bomb() -> bytes:
    lines = ['name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghi":
        lines.append(f"{n}: &{n} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = n
    lines.append("purpose: *i")
    return "\n".join(lines).encode()


@pytest.mark.parametrize("flag", ["--weights", "--settings"])
def test_yaml_alias_bomb_is_refused_quickly_in_a_subprocess(tmp_path, flag):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_bytes(_alias_bomb())
    assert len(bomb.read_bytes()) < 400
    cmd = "allocate" if flag == "--settings" else "score"
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3)); "
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", limit + "from prioritizer.cli import main; import sys; "
                           f"sys.exit(main(['{cmd}', '{flag}', sys.argv[1]]))", str(bomb)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - t0 < 60
    assert proc.returncode == 2, proc.stderr
    assert "bomb.yaml" in proc.stderr and "alias" in proc.stderr and "Traceback" not in proc.stderr


def test_yaml_limits_in_process_memory_is_bounded():
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for data, words in [(_alias_bomb(), "alias"), (b"a: " + b"[" * 5000, "deep"),
                        (b"a: &x 1\nb: [" + b",".join([b"*x"] * 150) + b"]\n", "aliases")]:
        with pytest.raises(InputError, match=words):
            read_yaml(data, "w.yaml")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start < 200_000  # KB: well under 200 MB


# 3. Hostile shared links -----------------------------------------------------------------------------
def _raw_token(text: str) -> str:
    return "pp1." + base64.urlsafe_b64encode(zlib.compress(text.encode())).rstrip(b"=").decode()


def test_deeply_nested_link_is_a_clear_error():
    with pytest.raises(InputError, match="nest deeper"):
        decode_scenario(_raw_token('{"a":' + "[" * 50_000 + "]" * 50_000 + "}"))


def test_link_entries_are_checked_by_the_scenario_model():
    base = scenario.default_scenario()
    scen, notes = scenario.normalise_scenario({
        "category_weights": {"governance": 150, "stability": 40},
        "construct_weights": {"alignment": 7},
        "budget_usd_m": 1e308,
        "priority_edits": {"KEN": 9, "TZA": 4},
        "funding_edits": {"KEN": -5},
        "non_state": [{"name": "no id", "command": "EUCOM"},
                      {"partner_id": "../x", "name": "x", "command": "EUCOM"},
                      {"partner_id": "rebels", "name": "R", "command": "MARSCOM"},
                      {"partner_id": "neg-base", "name": "N", "command": "EUCOM", "baseline_usd_m": -10},
                      {"partner_id": "good-one", "name": "Good", "command": "EUCOM", "baseline_usd_m": 5}],
        "overrides": [{"partner_id": "KEN", "construct": "c", "value": 500, "rationale": "x"}, "junk"],
    }, base)
    assert scen["category_weights"] == {"stability": 40.0}
    assert scen["construct_weights"] == {} and scen["budget_usd_m"] is None
    assert scen["priority_edits"] == {"TZA": 4.0} and scen["funding_edits"] == {}
    assert [r["partner_id"] for r in scen["non_state"]] == ["good-one"]
    assert scen["overrides"] == []
    assert len(notes) >= 9


def test_hostile_link_does_not_crash_the_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PRIORITIZER_SCENARIO_DB", str(tmp_path / "s.db"))
    token = encode_scenario({"name": "evil", "category_weights": {"governance": 150},
                             "non_state": [{"name": "no id"}, {"partner_id": "../x", "command": "EUCOM"}],
                             "funding_edits": {"KEN": -1}})
    at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=60)
    at.query_params["s"] = token
    at.run()
    assert not at.exception, at.exception
    assert any("ignored" in w.value for w in at.warning)


# 4. --out may not be an input ----------------------------------------------------------------------------
def test_out_may_not_be_the_input_file(capsys, tmp_path):
    data = tmp_path / "p.csv"
    shutil.copy(PARTNERS, data)
    before = data.read_bytes()
    code, err = run(capsys, "score", "--data", str(data), "--out", str(data))
    assert code == 2 and "input" in one_line(err) and data.read_bytes() == before
    code, err = run(capsys, "allocate", "--out", str(SAMPLE_DATA_DIR / "funding_baseline.csv"))
    assert code == 2 and "input" in err


# 5. Decimal commas are refused, never guessed -------------------------------------------------------------
def test_decimal_comma_in_a_cell_is_refused_with_its_row_and_column(capsys, tmp_path):
    frame = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    frame.loc[3, "literacy_rate"] = "12,5"
    path = tmp_path / "partners.csv"
    frame.to_csv(path, index=False)
    code, err = run(capsys, "score", "--data", str(path))
    line = one_line(err)
    assert code == 2 and "row 5" in line and "literacy_rate" in line and "decimal comma" in line


def test_comma_grouping_rules():
    col = pd.Series(["1,234,567", "2,500.5", "12"])
    assert to_numeric_column(col, file="f", column="c").tolist() == [1234567.0, 2500.5, 12.0]
    assert to_numeric_column(pd.Series(["1,234", "10.5"]), file="f", column="c").tolist() == [1234.0, 10.5]
    with pytest.raises(InputError, match="ambiguous"):
        to_numeric_column(pd.Series(["1,234", "12"]), file="f", column="c")
    with pytest.raises(InputError, match="decimal comma"):
        parse_number("5920,5", what="budget", key="--budget-usd-m")
    assert parse_number("5,920.5", what="budget") == 5920.5


def test_budget_flag_with_decimal_comma(capsys):
    code, err = run(capsys, "allocate", "--budget-usd-m", "5920,5")
    assert code == 2 and "--budget-usd-m" in one_line(err) and "decimal comma" in err


# 6. 50,000 partners score in bounded memory --------------------------------------------------------------
def test_fifty_thousand_partners_score_in_bounded_memory(tmp_path):
    frame = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    reps = 50_000 // len(frame) + 1
    big = pd.concat([frame] * reps, ignore_index=True).head(50_000)
    big["partner_id"] = [f"p{n:05d}" for n in np.arange(len(big))]
    big["partner_type"] = "non-state"
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)
    empty = tmp_path / "empty_priority.csv"
    empty.write_text("partner_id,priority\np00000,3\n")
    fund = tmp_path / "fund.csv"
    fund.write_text("partner_id,baseline_usd_m\np00000,1\n")
    out = tmp_path / "ranked.csv"
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3)); "
            "from prioritizer.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "score", "--data", str(path), "--priority", str(empty),
                           "--funding", str(fund), "--no-marking", "--out", str(out), "--top", "1"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ranked = pd.read_csv(out, encoding="utf-8-sig", usecols=["partner_id", "peers"])
    assert len(ranked) == 50_000 and ranked["peers"].fillna("").str.len().gt(0).mean() > 0.99


# 7. Failed writes leave no partial file -------------------------------------------------------------------
def test_full_disk_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous export")

    def fill_the_disk(fh):
        fh.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="No space left on device"):
        files.atomic_write(target, fill_the_disk)
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_full_disk_xlsx_from_the_cli_is_one_line(capsys, tmp_path, monkeypatch):
    import os

    real_fsync = os.fsync

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "alloc.xlsx"
    code, err = run(capsys, "allocate", "--out", str(out))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert code == 2 and "No space left" in one_line(err) and not out.exists()
    assert list(tmp_path.iterdir()) == []


# 9. Absurd numbers are refused with their cell or key -----------------------------------------------------
def test_absurd_cell_is_refused_by_the_documented_bound(capsys, tmp_path):
    frame = pd.read_csv(PARTNERS, dtype=str, keep_default_na=False)
    frame.loc[0, "vdem_libdem"] = "1e308"
    path = tmp_path / "partners.csv"
    frame.to_csv(path, index=False)
    code, err = run(capsys, "score", "--data", str(path))
    line = one_line(err)
    assert code == 2 and "row 2" in line and "vdem_libdem" in line and "0 to 1" in line


def test_absurd_weights_budget_and_funding(capsys, tmp_path):
    prof = (PROJECT_ROOT / "weights" / "default.yaml").read_text()
    huge = tmp_path / "huge.yaml"
    import yaml

    data = yaml.safe_load(prof)
    data["categories"] = {k: 1e308 for k in data["categories"]}
    huge.write_text(yaml.safe_dump(data))
    code, err = run(capsys, "score", "--weights", str(huge))
    assert code == 2 and "at most" in one_line(err) and "huge.yaml" in err
    code, err = run(capsys, "allocate", "--budget-usd-m", "1e308")
    assert code == 2 and "--budget-usd-m" in one_line(err)
    fund = pd.read_csv(SAMPLE_DATA_DIR / "funding_baseline.csv", dtype=str, keep_default_na=False)
    fund.loc[0, "baseline_usd_m"] = "1e308"
    fpath = tmp_path / "fund.csv"
    fund.to_csv(fpath, index=False)
    code, err = run(capsys, "allocate", "--funding", str(fpath))
    line = one_line(err)
    assert code == 2 and "fund.csv" in line and "baseline_usd_m" in line and "--budget" not in line


# 10. Unbounded limits, refresh errors, headers, scenario names --------------------------------------------
@pytest.mark.parametrize(("argv", "flag"), [
    (["frontier", "--levels", "1000000"], "--levels"),
    (["robustness", "--draws", "1000000"], "--draws"),
    (["robustness", "--lp-draws", "1000000"], "--lp-draws"),
])
def test_unbounded_limits_are_refused_before_any_work(capsys, argv, flag):
    t0 = time.perf_counter()
    code, err = run(capsys, *argv)
    assert code == 2 and flag in one_line(err) and time.perf_counter() - t0 < 60


def test_refresh_with_missing_or_corrupt_panel_names_the_file(capsys, tmp_path):
    panels = tmp_path / "panels"
    shutil.copytree(SAMPLE_DATA_DIR / "panels", panels)
    (panels / "pts_2024.csv").unlink()
    code, err = run(capsys, "refresh-data", "--panels", str(panels), "--out", str(tmp_path / "out"))
    assert code == 2 and "pts_2024.csv" in one_line(err) and "internal" not in err
    (panels / "pts_2024.csv").write_bytes(b"\xff\xfe garbage")
    code, err = run(capsys, "refresh-data", "--panels", str(panels), "--out", str(tmp_path / "out"))
    assert code == 2 and "internal" not in one_line(err)


def test_duplicated_header_is_named_as_written():
    with pytest.raises(InputError, match="column 'name': column header appears twice"):
        read_table(b"partner_id,name,name\nKEN,a,b\n", "p.csv")


def test_scenario_names_refuse_bidi_override_and_fold_unicode_case(tmp_path):
    from prioritizer.store import ScenarioStore

    store = ScenarioStore(tmp_path / "s.db")
    with pytest.raises(InputError, match="U\\+202E"):
        store.save("plan\u202eA", {})
    store.save("Ärger", {"v": 1})
    with pytest.raises(InputError, match="already exists"):
        store.save("ärger", {"v": 2})


def test_the_bundled_sample_is_within_every_documented_bound():
    assert len(load_dataset().partners) == 196
