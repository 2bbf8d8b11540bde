"""``python -m prioritizer brief``: a PowerPoint briefing deck for a scenario.

The numbers come from the pipeline (:func:`prioritizer.pipeline.brief_scenario`: allocation, bullish/bearish and,
unless ``--draws 0``, robustness) and the deck from :func:`prioritizer.deck.build_deck`; ``--command`` scopes the
deck to some combatant commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prioritizer import files, pipeline
from prioritizer.allocation.settings_file import load_settings
from prioritizer.allocation.solve import check_budget
from prioritizer.charts.style import ChartMeta
from prioritizer.cli.common import (
    add_scenario_arguments,
    print_notes,
    print_scoring_notes,
    resolve_out,
    score_from_args,
)
from prioritizer.errors import InputError
from prioritizer.report.deck import build_deck


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``brief`` subcommand."""
    b = subparsers.add_parser("brief", help="write a PowerPoint briefing deck (.pptx) for a scenario")
    add_scenario_arguments(b, "allocation settings YAML (default: weights/allocation.yaml)")
    b.add_argument("--budget-usd-m", dest="budget_usd_m", metavar="N",
                   help="annual budget in US$ M (default: the settings' rule, e.g. the baseline total)")
    b.add_argument("--scenario", default="Sample data, default settings", help="scenario name on every slide")
    b.add_argument("--draws", type=int, default=1000,
                   help="robustness weight draws (default 1000; 0 = no robustness slide)")
    b.add_argument("--out", default="deck.pptx", help="deck file (.pptx; default out/deck.pptx)")
    b.set_defaults(func=cmd_brief)


def cmd_brief(args: argparse.Namespace) -> int:
    """Score, allocate, run robustness (unless --draws 0) and write the deck."""
    out = Path(args.out)
    if out.suffix.lower() != ".pptx":
        raise InputError("the deck must end in .pptx", file=str(out))
    if args.draws < 0:
        raise InputError(f"--draws must be 0 or more (got {args.draws})", key="--draws")
    budget = check_budget(args.budget_usd_m) if args.budget_usd_m is not None else None
    path = resolve_out(out)
    load_settings(args.settings)  # fail fast on a broken settings file, before scoring
    scored = score_from_args(args)
    print_scoring_notes(scored)
    settings = pipeline.allocation_settings(args.settings, scored.dataset)
    scope = scored.scope
    meta = ChartMeta(scenario=args.scenario if scope.is_all else f"{args.scenario} · {scope.label}",
                     marking=args.marking or "UNCLASSIFIED")
    run = pipeline.brief_scenario(scored.dataset, scored.profile, scored.result, meta, settings=settings,
                                  budget_usd_m=budget, commands=args.scope_commands, draws=args.draws)
    print_notes(run.notes)
    b = run.brief
    files.atomic_write(path, build_deck(b))
    n = len(b.bullbear["command"].unique()) if b.bullbear is not None else 0
    print(f"wrote the briefing deck ({n} command {'slide' if n == 1 else 'slides'} of bullish/bearish) to {path}")
    return 0
