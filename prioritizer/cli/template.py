"""``python -m prioritizer template partners|priority|funding|overrides``: a CSV with the exact columns an input
file needs and placeholder rows to overwrite."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from prioritizer import files
from prioritizer.cli.common import resolve_out
from prioritizer.data.dataset import load_dictionary
from prioritizer.data.partners import BASE_COLUMNS
from prioritizer.errors import InputError
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.report.columns import spec
from prioritizer.report.export import to_csv_bytes

TEMPLATES = ("partners", "priority", "funding", "overrides")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``template`` subcommand."""
    t = subparsers.add_parser("template", help="write a template CSV for an input file")
    t.add_argument("kind", choices=TEMPLATES, help="which input file")
    t.add_argument("--out", help="file to write (default out/<kind>_template.csv)")
    t.set_defaults(func=cmd_template)


def template_frame(kind: str) -> pd.DataFrame:
    """The template table for an input file: its columns and placeholder rows (overwrite them)."""
    if kind == "partners":
        dictionary, _ = load_dictionary(SAMPLE_DATA_DIR)
        cols = list(BASE_COLUMNS) + [c for i in dictionary.index for c in (i, f"{i}_year")]
        row = {"partner_id": "XMP", "name": "Example partner (placeholder)", "partner_type": "state",
               "command": "EUCOM", "region": "Europe", "subregion": "Northern Europe"}
        return pd.DataFrame([{c: row.get(c, "") for c in cols}])
    if kind == "priority":
        return pd.DataFrame({"partner_id": ["NOR", "KEN"], "priority": [4, 3],
                             "basis": ["planner judgment (placeholder): replace with your rationale"] * 2})
    if kind == "funding":
        return pd.DataFrame({"partner_id": ["NOR", "KEN"], "baseline_usd_m": [12.5, 40.0],
                             "baseline_basis": ["placeholder: your programme data, FY and source"] * 2})
    if kind == "overrides":
        return pd.DataFrame({"partner_id": ["NOR"], "construct": ["alignment"], "value": [80],
                             "rationale": ["placeholder: why the construct score differs from the indicators"]})
    raise InputError(f"unknown template {kind!r} (use {', '.join(TEMPLATES)})", key="kind")


def cmd_template(args: argparse.Namespace) -> int:
    """Write the template CSV (column ids as headers, no marking line: it is an input file)."""
    out = Path(args.out or f"{args.kind}_template.csv")
    if out.suffix.lower() != ".csv":
        raise InputError("a template is a .csv file", file=str(out))
    path = resolve_out(out)
    frame = template_frame(args.kind)
    files.atomic_write(path, to_csv_bytes(frame, machine=True))
    desc = ", ".join(f"{c} = {spec(c).label}" for c in frame.columns[:6])
    print(f"wrote the {args.kind} template to {path} ({len(frame.columns)} columns: {desc}"
          f"{', …' if len(frame.columns) > 6 else ''}); replace the placeholder rows with your data")
    return 0
