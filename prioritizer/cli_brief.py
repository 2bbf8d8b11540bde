"""``python -m prioritizer brief|template``: a PowerPoint briefing deck, and input-file templates.

``brief`` takes its numbers from the shared pipeline (``pipeline.run_scoring`` → ``allocate`` →
``bullbear`` → ``robustness``) and hands them to :func:`prioritizer.deck.build_deck`; ``commands``
scopes the deck to some combatant commands. ``template`` writes a CSV with the exact columns a
partners, priority, funding or overrides file needs and placeholder rows to overwrite.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from prioritizer import allocate as alloc
from prioritizer import bullbear, columns, deck, files, match
from prioritizer import scope as sc
from prioritizer.charts import ChartMeta
from prioritizer.cli_common import add_data_arguments, print_notes, resolve_out
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS

TEMPLATES = ("partners", "priority", "funding", "overrides")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``brief`` and ``template`` subcommands."""
    b = subparsers.add_parser("brief", help="write a PowerPoint briefing deck (.pptx) for a scenario")
    add_data_arguments(b)
    sc.add_scope_arguments(b)
    b.add_argument("--settings", help="allocation settings YAML (default: weights/allocation.yaml)")
    b.add_argument("--budget-usd-m", dest="budget_usd_m", metavar="N",
                   help="annual budget in US$ M (default: the settings' rule, e.g. the baseline total)")
    b.add_argument("--scenario", default="Sample data, default settings", help="scenario name on every slide")
    b.add_argument("--draws", type=int, default=1000,
                   help="robustness weight draws (default 1000; 0 = no robustness slide)")
    b.add_argument("--out", default="deck.pptx", help="deck file (.pptx; default out/deck.pptx)")
    b.set_defaults(func=cmd_brief)
    t = subparsers.add_parser("template", help="write a template CSV for an input file")
    t.add_argument("kind", choices=TEMPLATES, help="which input file")
    t.add_argument("--out", help="file to write (default out/<kind>_template.csv)")
    t.set_defaults(func=cmd_template)


def brief_inputs(dataset: Any, profile: Any, result: Any, meta: ChartMeta, *, settings: Any = None,
                 budget_usd_m: float | None = None, robustness_partners: pd.DataFrame | None = None,
                 matching: Any = None, commands: Sequence[str] | None = None) -> deck.BriefInputs:
    """Solve the allocation for a scored scenario and collect what the deck shows.

    The allocation is the one of the partners in ``result`` (a command-scoped result solves that scope's own
    budget and constraints, :func:`prioritizer.scope.allocation_for_scope`); ``commands`` further limits the
    deck's tables, charts and per-command slides to those commands (a display filter: scores unchanged)."""
    from prioritizer.config import load_matching_settings

    matching = matching or load_matching_settings()
    scores = result.scores
    b = deck.BriefInputs(scores=scores, meta=meta, priority_threshold=matching.priority_threshold,
                         propensity_cut=match.propensity_cut(scores["propensity"], matching),
                         budget_usd_m=budget_usd_m, weights=dict(profile.category_weights),
                         profile_name=profile.name, dictionary=dataset.dictionary,
                         coverage_threshold=profile.coverage_threshold, log=list(result.log),
                         robustness=robustness_partners)
    if settings is not None:
        run = sc.allocation_for_scope(scores, dataset, settings, budget_usd_m)
        res = alloc.allocate(run.inputs, run.settings, run.budget_usd_m)
        table = bullbear.bullish_bearish(res, run.inputs)
        b.allocation, b.bullbear, b.offsets = res, table, bullbear.offsets(table, res)
        b.budget_usd_m = res.budget_usd_m
        b.mechanisms = {m.id: m.label for m in settings.mechanisms}
    return scope(b, commands)


def scope(b: deck.BriefInputs, commands: Sequence[str] | None) -> deck.BriefInputs:
    """The same brief limited to some commands (None or empty = all)."""
    if not commands:
        return b
    keep = set(commands)
    out = deck.BriefInputs(**{f: getattr(b, f) for f in b.__dataclass_fields__})
    out.scores = b.scores[b.scores["command"].isin(keep)]
    if b.bullbear is not None:
        out.bullbear = b.bullbear[b.bullbear["command"].isin(keep)]
    if b.offsets is not None:
        out.offsets = b.offsets[b.offsets["command"].isin(keep)]
    if b.robustness is not None and "command" in b.robustness:
        out.robustness = b.robustness[b.robustness["command"].isin(keep)]
    if b.allocation is not None:
        res = b.allocation
        partners = res.partners[res.partners["command"].isin(keep)]
        out.allocation = _ScopedAllocation(res, partners, res.mechanisms[res.mechanisms["partner_id"]
                                                                         .isin(partners.index)])
    return out


class _ScopedAllocation:
    """An allocation result seen through a command filter (partners and mechanisms rows of those commands)."""

    def __init__(self, res: Any, partners: pd.DataFrame, mechanisms: pd.DataFrame) -> None:
        self._res, self.partners, self.mechanisms = res, partners, mechanisms

    def __getattr__(self, name: str) -> Any:
        return getattr(self._res, name)


def cmd_brief(args: argparse.Namespace) -> int:
    """Score, allocate, run robustness (unless --draws 0) and write the deck."""
    from prioritizer import robustness as rb
    from prioritizer.pipeline import run_scoring

    out = Path(args.out)
    if out.suffix.lower() != ".pptx":
        raise InputError("the deck must end in .pptx", file=str(out))
    if args.draws < 0:
        raise InputError(f"--draws must be 0 or more (got {args.draws})", key="--draws")
    budget = alloc.check_budget(args.budget_usd_m) if args.budget_usd_m is not None else None
    path = resolve_out(out)
    alloc.load_settings(args.settings)  # fail fast on a broken settings file, before scoring
    dataset, profile, result = run_scoring(args.data, args.weights, args.priority, args.funding, args.overrides,
                                           commands=args.scope_commands, normalise_within=args.normalise_within_scope)
    scope_ = sc.scope_from_args(args, dataset.partners)
    print_notes(dataset.notes)
    if not scope_.is_all:
        print(scope_.normalisation_text(len(result.scores), len(dataset.partners)))
    bundled = args.settings is None or Path(args.settings).resolve() == DEFAULT_ALLOCATION_SETTINGS.resolve()
    settings = alloc.load_settings(args.settings, known_partners=None if bundled else dataset.partners.index)
    run = sc.allocation_for_scope(result.scores, dataset, settings, budget)
    print_notes(run.notes)
    meta = ChartMeta(scenario=args.scenario if scope_.is_all else f"{args.scenario} · {scope_.label}",
                     marking=args.marking or "UNCLASSIFIED")
    b = brief_inputs(dataset, profile, result, meta, settings=settings, budget_usd_m=budget,
                     commands=args.scope_commands)
    if args.draws:  # after the allocation: its solver set-up keeps HiGHS's banner off stdout
        rs = rb.load_settings().with_changes(draws=args.draws, lp_draws=min(50, args.draws))
        mc = rb.monte_carlo(result, profile, rs, run.inputs, run.settings, run.budget_usd_m, dataset=dataset)
        b.robustness = mc.partners
    files.atomic_write(path, deck.build_deck(b))
    n = len(b.bullbear["command"].unique()) if b.bullbear is not None else 0
    print(f"wrote the briefing deck ({n} command {'slide' if n == 1 else 'slides'} of bullish/bearish) to {path}")
    return 0


def template_frame(kind: str) -> pd.DataFrame:
    """The template table for an input file: its columns and placeholder rows (overwrite them)."""
    from prioritizer.load import BASE_COLUMNS, load_dictionary
    from prioritizer.paths import SAMPLE_DATA_DIR

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
    from prioritizer import report

    out = Path(args.out or f"{args.kind}_template.csv")
    if out.suffix.lower() != ".csv":
        raise InputError("a template is a .csv file", file=str(out))
    path = resolve_out(out)
    frame = template_frame(args.kind)
    files.atomic_write(path, report.to_csv_bytes(frame, machine=True))
    desc = ", ".join(f"{c} = {columns.spec(c).label}" for c in frame.columns[:6])
    print(f"wrote the {args.kind} template to {path} ({len(frame.columns)} columns: {desc}"
          f"{', …' if len(frame.columns) > 6 else ''}); replace the placeholder rows with your data")
    return 0
