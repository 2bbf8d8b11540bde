"""Command line: ``python -m prioritizer score|allocate|frontier|robustness|validate|refresh-data``.

Handlers only parse arguments, call library functions and write files. Every input problem ends as
one line on stderr naming the file, row and column, and a non-zero exit code; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from prioritizer.cli_common import (
    add_data_arguments,
    check_out,
    input_paths,
    output_options,
    print_notes,
    resolve_out,
    write_sheets,
    write_table,
)
from prioritizer.errors import InfeasibleError, InputError
from prioritizer.scope import add_scope_arguments, report_notes, scope_from_args

__all__ = ["add_data_arguments", "build_parser", "main", "output_options", "ranked_table", "resolve_out",
           "write_sheets", "write_table"]

EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_INTERNAL = 70


def ranked_table(scores: pd.DataFrame, peers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The exported ranking: one row per partner, best first, with category scores and matching."""
    front = ["name", "command", "region", "partner_type", "propensity", "rank"]
    front += ["rank_all"] if "rank_all" in scores.columns else []
    front += ["rank_in_command", "coverage", "low_confidence"]
    cats = [c for c in scores.columns if c.endswith("_score")]
    back = [c for c in ("priority", "priority_basis", "quadrant", "baseline_usd_m", "merit_share",
                        "funding_share", "funding_flag", "imputed_cells", "overrides") if c in scores.columns]
    table = scores[front + cats + back].copy()
    if peers is not None and len(peers):
        table["peers"] = peers.groupby("partner_id")["peer_id"].agg(", ".join).reindex(table.index).fillna("")
    table = table.sort_values(["rank", "name"], na_position="last")
    table.insert(0, "partner_id", table.index)
    return table.reset_index(drop=True)


def _cmd_score(args: argparse.Namespace) -> int:
    from prioritizer import columns, match
    from prioritizer.pipeline import run_scoring

    check_out(args)
    if args.top < 0:
        raise InputError(f"must be 0 (all) or more (got {args.top})", key="--top")
    dataset, profile, result = run_scoring(args.data, args.weights, args.priority, args.funding, args.overrides,
                                           commands=args.scope_commands,
                                           normalise_within=args.normalise_within_scope)
    scope = scope_from_args(args, dataset.partners)
    scope_line = scope.normalisation_text(len(result.scores), len(dataset.partners))
    peers = match.peers(result.constructs, k=3, names=result.scores["name"])
    table = ranked_table(result.scores, peers)
    print_notes(dataset.notes)
    if args.out:
        path = write_table(table, args.out, notes=report_notes(dataset.notes, scope_line), inputs=input_paths(args),
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
            print(scope_line)
        print(printed.rename(columns=columns.labels(cols)).to_string(index=False))
    if len(shown) < len(table):
        print(f"… {len(table) - len(shown)} more (use --top 0 or --out FILE to see all)")
    low = int(table["low_confidence"].sum())
    if low:
        who = "partner is" if low == 1 else "partners are"
        print(f"{low} {who} low-confidence (coverage below {profile.coverage_threshold:.0%}) and unranked.")
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from prioritizer import refresh
    from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR

    written = refresh.refresh(Path(args.panels or PANELS_DIR), Path(args.out or SAMPLE_DATA_DIR))
    for role, path in written.items():
        print(f"{role}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m prioritizer",
        description="Partner Prioritizer: score, match and allocate security-cooperation effort.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="score every partner's propensity (0–100) and write the ranked table")
    add_data_arguments(p)
    add_scope_arguments(p)
    p.add_argument("--out", help="write the full ranked table to FILE.csv or FILE.xlsx")
    p.add_argument("--top", type=int, default=25, help="rows to print (0 = all; default 25)")
    p.set_defaults(func=_cmd_score)
    r = sub.add_parser("refresh-data", help="rebuild sample_data tables from the country-year panels")
    r.add_argument("--panels", help="folder of panel CSVs (default: sample_data/panels)")
    r.add_argument("--out", help="folder to write partners.csv etc. (default: sample_data)")
    r.set_defaults(func=_cmd_refresh)
    for module in _stage_command_modules():
        module.register(sub)
    return parser


def _stage_command_modules() -> list:
    """Subcommand modules of later stages (allocation, robustness), each exposing ``register``."""
    from prioritizer import cli_allocation, cli_brief, cli_robustness, cli_validate

    return [cli_allocation, cli_robustness, cli_validate, cli_brief]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own usage message
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except InfeasibleError as exc:
        print("error: the allocation constraints cannot all be met:", file=sys.stderr)
        for line in exc.diagnosis or ["no single conflict could be isolated"]:
            print(f"  - {line}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a clear line, not a traceback
        print(f"internal error: {type(exc).__name__}: {exc} (please report this with the command you ran)",
              file=sys.stderr)
        return EXIT_INTERNAL
