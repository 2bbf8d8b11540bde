"""``python -m prioritizer refresh-data``: rebuild the sample_data tables from the country-year panels."""

from __future__ import annotations

import argparse
from pathlib import Path

from prioritizer.data.refresh import refresh
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``refresh-data`` subcommand."""
    r = subparsers.add_parser("refresh-data", help="rebuild sample_data tables from the country-year panels")
    r.add_argument("--panels", help="folder of panel CSVs (default: sample_data/panels)")
    r.add_argument("--out", help="folder to write partners.csv etc. (default: sample_data)")
    r.set_defaults(func=cmd_refresh)


def cmd_refresh(args: argparse.Namespace) -> int:
    """Rebuild the tables and print each file written."""
    written = refresh(Path(args.panels or PANELS_DIR), Path(args.out or SAMPLE_DATA_DIR))
    for role, path in written.items():
        print(f"{role}: {path}")
    return 0
