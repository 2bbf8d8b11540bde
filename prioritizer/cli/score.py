"""``python -m prioritizer score``: every partner's propensity (0–100), printed best first and written in full."""

from __future__ import annotations

import argparse

import pandas as pd

from prioritizer import pipeline
from prioritizer.cli.common import (
    add_scenario_arguments,
    check_out,
    input_paths,
    output_options,
    print_notes,
    score_from_args,
    write_table,
)
from prioritizer.errors import InputError
from prioritizer.report.columns import labels
from prioritizer.scoring.scope import report_notes

PRINTED_PEERS = 3
"""Nearest peers listed per partner in the written table."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` subcommand."""
    p = subparsers.add_parser("score", help="score every partner's propensity (0–100) and write the ranked table")
    add_scenario_arguments(p)
    p.add_argument("--out", help="write the full ranked table to FILE.csv or FILE.xlsx")
    p.add_argument("--top", type=int, default=25, help="rows to print (0 = all; default 25)")
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    """Score, print the top of the ranking and write the whole ranked table to ``--out``."""
    check_out(args)
    if args.top < 0:
        raise InputError(f"must be 0 (all) or more (got {args.top})", key="--top")
    run = score_from_args(args)
    dataset, profile, result, scope = run.dataset, run.profile, run.result, run.scope
    table = pipeline.with_ranking(result, run.matching, peers=PRINTED_PEERS).ranked
    print_notes(dataset.notes)
    if args.out:
        path = write_table(table, args.out, notes=report_notes(dataset.notes, run.scope_line), inputs=input_paths(args),
                           **output_options(args, result.scores))
        print(f"wrote {len(table)} partners to {path}")
    shown = table if args.top == 0 else table.head(args.top)
    cols = ["rank", "partner_id", "name", "command", "propensity", "coverage", "quadrant"]
    if "rank_all" in table.columns:
        cols.insert(1, "rank_all")
    printed = shown[cols].assign(propensity=shown["propensity"].map(lambda v: f"{v:.1f}"),
                                 coverage=shown["coverage"].map(lambda v: f"{v:.0%}"))
    with pd.option_context("display.width", 160, "display.max_rows", None):
        print(f"Propensity ranking — profile '{profile.name}', {len(table)} partners")
        if not scope.is_all:
            print(run.scope_line)
        print(printed.rename(columns=labels(cols)).to_string(index=False))
    if len(shown) < len(table):
        print(f"… {len(table) - len(shown)} more (use --top 0 or --out FILE to see all)")
    low = int(table["low_confidence"].sum())
    if low:
        who = "partner is" if low == 1 else "partners are"
        print(f"{low} {who} low-confidence (coverage below {profile.coverage_threshold:.0%}) and unranked.")
    return 0
