"""``python -m prioritizer frontier``: total benefit of the allocation over a range of budget levels."""

from __future__ import annotations

import argparse
import math

import pandas as pd

from prioritizer import pipeline
from prioritizer.cli.allocate import SETTINGS_HELP, scored_allocation_inputs
from prioritizer.cli.common import (
    add_scenario_arguments,
    check_out,
    input_paths,
    output_options,
    print_notes,
    write_sheets,
)
from prioritizer.errors import InputError

MAX_FRONTIER_LEVELS = 500
"""Upper bound on ``--levels`` (same as ``frontier.levels`` in the settings): one LP solve per level."""
MAX_FRONTIER_PCT = 1000.0
"""Upper bound on ``--low-pct`` / ``--high-pct``: 10 × the baseline total."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``frontier`` subcommand."""
    f = subparsers.add_parser("frontier", help="total benefit over a range of budget levels")
    add_scenario_arguments(f, SETTINGS_HELP)
    f.add_argument("--levels", type=int, default=None, help="number of budget levels (default: settings, 25)")
    f.add_argument("--low-pct", dest="low_pct", type=float, default=None,
                   help="lowest level, %% of the baseline total (default 20)")
    f.add_argument("--high-pct", dest="high_pct", type=float, default=None,
                   help="highest level, %% of the baseline total (default 200)")
    f.add_argument("--out", help="write budget and total benefit per level to FILE.csv or FILE.xlsx")
    f.set_defaults(func=cmd_frontier)


def cmd_frontier(args: argparse.Namespace) -> int:
    """Solve at each budget level and write budget and total benefit per level."""
    check_out(args)
    if args.levels is not None and not 2 <= args.levels <= MAX_FRONTIER_LEVELS:
        raise InputError(f"must be between 2 and {MAX_FRONTIER_LEVELS} budget levels (got {args.levels:,})",
                         key="--levels")
    for flag, value in (("--low-pct", args.low_pct), ("--high-pct", args.high_pct)):
        if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_FRONTIER_PCT):
            raise InputError(f"must be between 0 and {MAX_FRONTIER_PCT:g} % of the baseline total (got {value:g})",
                             key=flag)
    scored, settings = scored_allocation_inputs(args)
    levels = settings.frontier_levels if args.levels is None else args.levels
    if levels < 20:
        print(f"note: {levels} levels; the frontier is usually read from 20 or more")
    run = pipeline.frontier_scenario(scored.result.scores, scored.dataset, settings, levels=levels,
                                     low_pct=args.low_pct, high_pct=args.high_pct)
    print_notes(run.notes)
    inputs, settings, table = run.inputs, run.settings, run.table
    shown = table.assign(note=table["note"].str.slice(0, 70))
    with pd.option_context("display.width", 200, "display.max_rows", None, "display.max_colwidth", 70):
        print(f"Efficient frontier — settings '{settings.name}', baseline total "
              f"${inputs.baseline_total_usd_m:,.1f} M, solver {table['solver'].iloc[0]}")
        print(shown[["budget_usd_m", "pct_of_baseline", "total_benefit", "budget_dual", "status", "note"]]
              .to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    n_bad = int((table["status"] != "Optimal").sum())
    if n_bad:
        print(f"{n_bad} of {len(table)} levels are infeasible (see note)")
    if args.out:
        path = write_sheets({"Frontier": table}, args.out, inputs=input_paths(args), **output_options(args))
        print(f"wrote {len(table)} budget levels to {path}")
    return 0
