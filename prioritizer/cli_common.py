"""Helpers every CLI subcommand module shares: the data arguments and the table writer.

Kept apart from :mod:`prioritizer.cli` so the subcommand modules (``cli_allocation``, ``cli_robustness``)
import them without importing the CLI entry point that registers them (no import cycle).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from prioritizer import files
from prioritizer.load import SAMPLE_FILES
from prioritizer.paths import SAMPLE_DATA_DIR, WEIGHTS_DIR

INPUT_FLAGS = ("data", "weights", "priority", "funding", "overrides", "settings", "allocation_settings", "matching")


def input_paths(args: argparse.Namespace) -> list[Path]:
    """Every file a command reads: the paths given on the command line and the bundled defaults."""
    given = [Path(v) for k in INPUT_FLAGS if isinstance(v := getattr(args, k, None), str | Path)]
    defaults = [SAMPLE_DATA_DIR / f for f in SAMPLE_FILES.values()] + sorted(WEIGHTS_DIR.glob("*.yaml"))
    return given + defaults


def check_out(args: argparse.Namespace, attr: str = "out", flag: str = "--out") -> None:
    """Refuse a bad output path before any work (extension, folder, or one of the inputs)."""
    if getattr(args, attr, None):
        files.check_output(getattr(args, attr), input_paths(args), flag=flag)


def write_table(frame: pd.DataFrame, out: str | Path, sheet: str = "Rankings",
                notes: dict[str, str] | None = None, inputs: Sequence[str | Path] = ()) -> Path:
    """Write a table as CSV or XLSX (by extension), neutralising formula-like text cells; ``notes`` go on
    the workbook's About sheet (XLSX only). Atomic (no partial file on a full disk), never over one of
    ``inputs``."""
    path = files.check_output(out, inputs)
    from prioritizer import report  # optional heavy import (charts, altair) only when writing

    data = (report.to_csv_bytes(frame) if path.suffix.lower() == ".csv"
            else report.workbook_bytes({sheet: frame}, notes))
    return files.atomic_write(path, data)


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every scoring-based command shares."""
    parser.add_argument("--data", help="partners CSV/XLSX (default: bundled sample_data/partners.csv)")
    parser.add_argument("--weights", help="weight profile YAML (default: weights/default.yaml)")
    parser.add_argument("--priority", help="priority CSV/XLSX: partner_id, priority 1–5 (default: public proxy)")
    parser.add_argument("--funding", help="baseline funding CSV/XLSX: partner_id, baseline_usd_m")
    parser.add_argument("--overrides", help="construct overrides CSV: partner_id, construct, value, rationale")


def print_notes(notes: Sequence[str]) -> None:
    """Data and scope notes (bundled rows left out, partners given a documented default), one 'note:' line each."""
    for line in notes:
        print(f"note: {line}")
