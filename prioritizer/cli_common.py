"""Helpers every CLI subcommand module shares: the data arguments and the table writer.

Kept apart from :mod:`prioritizer.cli` so the subcommand modules (``cli_allocation``, ``cli_robustness``)
import them without importing the CLI entry point that registers them (no import cycle).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from prioritizer.errors import InputError


def write_table(frame: pd.DataFrame, out: str | Path, sheet: str = "Rankings") -> Path:
    """Write a table as CSV or XLSX (by extension), neutralising formula-like text cells."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError("output must end in .csv or .xlsx", file=str(path))
    if not path.parent.exists():
        raise InputError("output folder does not exist", file=str(path))
    from prioritizer import report  # optional heavy import (charts, altair) only when writing

    data = report.to_csv_bytes(frame) if suffix == ".csv" else report.workbook_bytes({sheet: frame})
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write output ({exc.strerror})", file=str(path)) from None
    return path


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every scoring-based command shares."""
    parser.add_argument("--data", help="partners CSV/XLSX (default: bundled sample_data/partners.csv)")
    parser.add_argument("--weights", help="weight profile YAML (default: weights/default.yaml)")
    parser.add_argument("--priority", help="priority CSV/XLSX: partner_id, priority 1–5 (default: public proxy)")
    parser.add_argument("--funding", help="baseline funding CSV/XLSX: partner_id, baseline_usd_m")
    parser.add_argument("--overrides", help="construct overrides CSV: partner_id, construct, value, rationale")
