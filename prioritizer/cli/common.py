"""Helpers every CLI command module shares: the data, scope and output arguments, notes, and the table writers
(``out/`` default, marking, machine CSV).

Kept apart from :mod:`prioritizer.cli` (the parser that registers the commands) so the command modules import
them without importing the entry point (no import cycle).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from prioritizer import files, pipeline
from prioritizer.allocation.solve import check_budget
from prioritizer.data.dataset import SAMPLE_FILES
from prioritizer.errors import InputError
from prioritizer.paths import SAMPLE_DATA_DIR, WEIGHTS_DIR
from prioritizer.report.columns import priority_basis_kind
from prioritizer.report.export import to_csv_bytes, workbook_bytes
from prioritizer.scoring.scope import add_scope_arguments

OUT_DIR = Path("out")
"""Where a bare output file name lands (ignored by git)."""
INPUT_FLAGS = ("data", "weights", "priority", "funding", "overrides", "settings", "allocation_settings", "matching")


def input_paths(args: argparse.Namespace) -> list[Path]:
    """Every file a command reads: the paths given on the command line and the bundled defaults."""
    given = [Path(v) for k in INPUT_FLAGS if isinstance(v := getattr(args, k, None), str | Path)]
    defaults = [SAMPLE_DATA_DIR / f for f in SAMPLE_FILES.values()] + sorted(WEIGHTS_DIR.glob("*.yaml"))
    return given + defaults


def check_out(args: argparse.Namespace, attr: str = "out", flag: str = "--out") -> None:
    """Refuse a bad output path before any work (extension, folder, or one of the inputs); a bare file name
    is checked where it will land (``out/``)."""
    if getattr(args, attr, None):
        resolve_out(getattr(args, attr), input_paths(args), flag=flag, suffixes=files.OUTPUT_SUFFIXES)


def resolve_out(out: str | Path, inputs: Sequence[str | Path] = (), *, flag: str = "--out",
                suffixes: tuple[str, ...] = ()) -> Path:
    """Where an output file goes: a bare file name lands in ``out/`` (created; ignored by git), a path with a
    folder is used as given. Checked by :func:`prioritizer.files.check_output`: extension (if ``suffixes``),
    existing folder, not a folder, not one of ``inputs``."""
    path = Path(out)
    if path.parent == Path("."):
        files.check_output(path, (), flag=flag, suffixes=suffixes)  # the extension first, before creating out/
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / path
    return files.check_output(path, inputs, flag=flag, suffixes=suffixes)


def output_options(args: argparse.Namespace, scores: pd.DataFrame | None = None) -> dict:
    """Export options from the command line: marking line, machine CSV (``--no-marking``), priority basis."""
    basis = None if scores is None or "priority_basis" not in scores else \
        priority_basis_kind(scores["priority_basis"])
    return {"marking": getattr(args, "marking", None) or "UNCLASSIFIED",
            "machine": bool(getattr(args, "no_marking", False)), "priority_basis": basis}


def write_sheets(sheets: dict[str, pd.DataFrame], out: str | Path, *, marking: str = "UNCLASSIFIED",
                 machine: bool = False, priority_basis: str | None = None, notes: dict | None = None,
                 mechanisms: dict[str, str] | None = None, inputs: Sequence[str | Path] = ()) -> Path:
    """Write tables as XLSX (every sheet; the same workbook as the app's) or CSV (the first table), by
    extension; formula-like text neutralised. Atomic (no partial file on a full disk), never over one of
    ``inputs``. Returns the path written."""
    path = resolve_out(out, inputs, suffixes=files.OUTPUT_SUFFIXES)
    suffix = path.suffix.lower()
    first = next(iter(sheets.values()))
    if suffix == ".csv":
        data = to_csv_bytes(first, marking, machine=machine, mechanisms=mechanisms,
                                   priority_basis=priority_basis)
    else:
        data = workbook_bytes(sheets, {"Marking": marking, **(notes or {})}, mechanisms=mechanisms,
                                     priority_basis=priority_basis)
    return files.atomic_write(path, data)


def write_table(frame: pd.DataFrame, out: str | Path, sheet: str = "Rankings",
                notes: dict[str, str] | None = None, inputs: Sequence[str | Path] = (), **options: object) -> Path:
    """Write one table as CSV or XLSX (by extension); ``notes`` go on the workbook's About sheet (XLSX only);
    never over one of ``inputs``; ``options`` (marking, machine, priority_basis, mechanisms) as
    :func:`write_sheets`."""
    return write_sheets({sheet: frame}, out, notes=notes, inputs=inputs, **options)  # type: ignore[arg-type]


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every scoring-based command shares."""
    parser.add_argument("--data", help="partners CSV/XLSX (default: bundled sample_data/partners.csv)")
    parser.add_argument("--weights", help="weight profile YAML (default: weights/default.yaml)")
    parser.add_argument("--priority", help="priority CSV/XLSX: partner_id, priority 1–5 (default: public proxy)")
    parser.add_argument("--funding", help="baseline funding CSV/XLSX: partner_id, baseline_usd_m")
    parser.add_argument("--overrides", help="construct overrides CSV: partner_id, construct, value, rationale")
    add_output_arguments(parser)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--marking`` and ``--no-marking`` (read back with :func:`output_options`)."""
    parser.add_argument("--marking", help="marking line on every exported sheet, page and CSV (default UNCLASSIFIED)")
    parser.add_argument("--no-marking", dest="no_marking", action="store_true",
                        help="machine CSV: no marking line, column ids as headers, full precision")


def add_scenario_arguments(parser: argparse.ArgumentParser, settings_help: str | None = None) -> None:
    """Data, scope (``--command``, ``--normalise-within-scope``) and, with ``settings_help``, ``--settings``."""
    add_data_arguments(parser)
    add_scope_arguments(parser)
    if settings_help:
        parser.add_argument("--settings", help=settings_help)


def print_notes(notes: Sequence[str]) -> None:
    """Data and scope notes (bundled rows left out, partners given a documented default), one 'note:' line each."""
    for line in notes:
        print(f"note: {line}")


def print_scoring_notes(run: pipeline.ScoringRun) -> None:
    """The data notes, then where the normalisation bounds come from when a scope narrows the partners."""
    print_notes(run.dataset.notes)
    if not run.scope.is_all:
        print(run.scope_line)


def score_from_args(args: argparse.Namespace) -> pipeline.ScoringRun:
    """Load and score the files named on the command line, in the chosen scope."""
    return pipeline.score_files(args.data, args.weights, args.priority, args.funding, getattr(args, "overrides", None),
                                commands=getattr(args, "scope_commands", None),
                                normalise_within=getattr(args, "normalise_within_scope", False))


def flag_budget_usd_m(value: str | None) -> float | None:
    """``--budget-usd-m`` read and range-checked (0 – US$ 1 trillion); errors name the flag."""
    if value is None:
        return None
    try:
        return check_budget(value)
    except InputError as exc:
        raise InputError(exc.message, key="--budget-usd-m") from None
