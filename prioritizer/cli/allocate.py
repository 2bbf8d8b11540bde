"""``python -m prioritizer allocate``: budget allocation across partners and mechanisms (LP), bullish/bearish
lists per command, and the allocation workbook.

Handlers return an exit code; input problems are raised as InputError / InfeasibleError and turned into one
clear line by :func:`prioritizer.cli.main`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from prioritizer import pipeline
from prioritizer.allocation import words
from prioritizer.allocation.bullbear import unlisted_cut_text
from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.settings import SOLVERS, AllocationSettings
from prioritizer.allocation.settings_file import load_settings
from prioritizer.allocation.solve import AllocationResult
from prioritizer.cli.common import (
    add_scenario_arguments,
    check_out,
    flag_budget_usd_m,
    input_paths,
    output_options,
    print_notes,
    print_scoring_notes,
    score_from_args,
    write_sheets,
)
from prioritizer.errors import InputError

SETTINGS_HELP = "allocation settings YAML (default: weights/allocation.yaml)"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``allocate`` subcommand."""
    a = subparsers.add_parser("allocate", help="optimise the budget across partners and mechanisms (LP)")
    add_scenario_arguments(a, SETTINGS_HELP)
    a.add_argument("--budget-usd-m", dest="budget_usd_m", metavar="N",
                   help="annual budget in US$ M (default: the settings' rule, e.g. the baseline total of the "
                        "partners in scope)")
    a.add_argument("--solver", choices=SOLVERS, default="auto",
                   help="HiGHS method: auto or highs (dual simplex, fastest on this LP), simplex, ipm (interior point)")
    a.add_argument("--top", type=int, default=3, help="bullish and bearish partners per command (default 3)")
    a.add_argument("--out", help="write the allocation to FILE.csv or FILE.xlsx (xlsx adds more sheets)")
    a.set_defaults(func=cmd_allocate)


def scored_allocation_inputs(args: argparse.Namespace) -> tuple[pipeline.ScoringRun, AllocationSettings]:
    """Score with the chosen data, weights and scope, and load the allocation settings for that data (the
    bundled file cut to the partners in the data; a planner's file naming others stays an error). Prints the
    data and scope notes."""
    load_settings(args.settings)  # fail fast on a broken settings file, before scoring
    run = score_from_args(args)
    settings = pipeline.allocation_settings(args.settings, run.dataset)
    print_scoring_notes(run)
    return run, settings


def cmd_allocate(args: argparse.Namespace) -> int:
    """Solve the allocation, print bullish/bearish per command and write the allocation table."""
    flag_budget = flag_budget_usd_m(args.budget_usd_m)
    if args.top < 1:
        raise InputError(f"--top must be at least 1 (got {args.top})", key="top")
    check_out(args)
    scored, settings = scored_allocation_inputs(args)
    run = pipeline.allocate_scenario(scored.result.scores, scored.dataset, settings, flag_budget, solver=args.solver,
                                     top=args.top)
    print_notes(run.notes)
    print(summary_text(run.result, run.inputs))
    print()
    print(bullbear_text(run.bullbear, run.offsets, run.shortfall))
    if args.out:
        path = write_allocation(run.result, run.bullbear, run.offsets, run.settings, args.out, input_paths(args),
                                **output_options(args))
        print(f"\nwrote the allocation of {len(run.result.partners)} partners to {path}")
    return 0


def summary_text(result: AllocationResult, inputs: AllocationInputs) -> str:
    """A few lines: solver, budget, benefit, marginal values and what binds."""
    lines = [
        f"Allocation — settings '{result.settings_name}', solver {result.solver}, status {result.status}",
        f"budget ${result.budget_usd_m:,.1f} M (baseline ${inputs.baseline_total_usd_m:,.1f} M), "
        f"allocated ${result.budget_usd_m - result.unspent_usd_m:,.1f} M, "
        f"unspent ${result.unspent_usd_m:,.1f} M",
        f"total benefit {result.total_benefit:,.1f} (effective US$ M); +$1 M of budget adds "
        f"{result.budget_dual:.4f}",
    ]
    b = result.binding
    caps = b[b["group"].isin(["command_cap", "command_floor", "pool_max", "pool_min", "lock"])]
    for row in caps.itertuples():
        lines.append(f"  binding: {row.constraint} (${row.amount_usd_m:,.1f} M): +$1 M changes benefit by "
                     f"{row.dual:+.4f}")
    counts = b[~b["group"].isin(["budget", "command_cap", "command_floor", "pool_max", "pool_min", "lock"])]
    if len(counts):
        parts = ", ".join(words.limits(int(n), g) for g, n in counts["group"].value_counts().items())
        lines.append(f"  partner limits at bound: {parts}")
    if not result.meets_statute:
        lines.append("  WARNING: the budget is below the sum of locks (statutory earmarks / MOUs); they are scaled "
                     "pro rata — this allocation DOES NOT MEET THE STATUTE")
    if len(result.relaxations):
        total = result.relaxations["relaxed_by_usd_m"].sum()
        lines.append(f"  relaxations ({len(result.relaxations)}, ${total:,.1f} M in all; penalty "
                     f"{result.penalty:,.2f} benefit units):")
        names = inputs.partners.get("name", {})
        for line in words.relaxation_lines(result.relaxations, names,
                                           where="the Relaxations sheet of --out FILE.xlsx"):
            lines.append(f"    - {line}")
    locks = result.settings.locks if result.settings is not None else ()
    for lk in locks:
        lines.append(f"  lock: {lk.partner_id}/{lk.mechanism} ${lk.amount_usd_m or 0:,.1f} M — {lk.basis}"
                     f"{'; ' + lk.citation if lk.citation else ''}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def bullbear_text(table: pd.DataFrame, offs: pd.DataFrame, short: pd.DataFrame | None = None) -> str:
    """Bullish and bearish lists per command (with why fewer than asked qualify), then surge vs offsets."""
    lines = []
    commands = list(dict.fromkeys(list(table["command"]) + ([] if short is None else list(short["command"]))))
    for command in commands:
        rows = table[table["command"] == command]
        lines.append(f"{command}")
        for side in ("bullish", "bearish"):
            part = rows[rows["side"] == side]
            why = short[(short["command"] == command) & (short["side"] == side)] if short is not None else None
            if part.empty:
                lines.append(f"  {side}: {why['text'].iloc[0] if why is not None and len(why) else 'none qualify'}")
                continue
            lines.append(f"  {side}:" + (f" ({why['text'].iloc[0]})" if why is not None and len(why) else ""))
            for r in part.itertuples():
                lines.append(
                    f"    {r.rank}. {r.name} ({r.partner_id}) ${r.reference_usd_m:,.1f} M → "
                    f"${r.allocation_usd_m:,.1f} M ({r.allocation_usd_m - r.reference_usd_m:+,.1f}) | "
                    f"{r.marginal_benefit_per_usd_m:.4f} per $1 M | importance {r.importance:.0f}, benefit "
                    f"{r.expected_benefit:,.2f}, rel. cost {r.relative_cost:.2f}, risk {r.risk:.2f} — "
                    f"{r.rationale}")
        o = offs[offs["command"] == command]
        if len(o):
            o = o.iloc[0]
            lines.append(f"  surge ${o.surge_usd_m:,.1f} M vs offsets from bearish cuts "
                         f"${o.offsets_usd_m:,.1f} M (net {words.money(o.net_usd_m, signed=True)})")
            unlisted = unlisted_cut_text(o, lambda x: words.money(x, signed=True))
            if unlisted:
                lines.append(f"  {unlisted} (the list ranks cuts by the benefit lost per $1 M, not by size)")
    return "\n".join(lines)


def allocation_table(result: AllocationResult) -> pd.DataFrame:
    """The exported allocation: one row per partner with ``allocation_usd_m``, largest first."""
    cols = ["name", "command", "partner_type", "priority", "propensity", "risk", "value", "scale_usd_m",
            "baseline_usd_m", "allocation_usd_m", "change_usd_m", "change_pct", "benefit", "baseline_benefit",
            "marginal_benefit_per_usd_m", "lower_usd_m", "upper_usd_m"]
    table = result.partners[cols].copy()
    mech = result.mechanisms.pivot(index="partner_id", columns="mechanism", values="allocation_usd_m")
    for m in mech.columns:
        table[f"{m}_usd_m"] = mech[m].reindex(table.index)
    table = table.sort_values(["allocation_usd_m", "name"], ascending=[False, True])
    table.insert(0, "partner_id", table.index)
    return table.reset_index(drop=True)


def write_allocation(result: AllocationResult, table: pd.DataFrame, offs: pd.DataFrame,
                     settings: AllocationSettings, out: str | Path, inputs: Sequence[str | Path] = (),
                     **options: object) -> Path:
    """CSV: the per-partner allocation. XLSX: that plus mechanisms, binding constraints, bullish/bearish."""
    sheets = {"Allocation": allocation_table(result)}
    if Path(out).suffix.lower() == ".xlsx":
        sheets["By mechanism"] = result.mechanisms
        sheets["By command"] = result.by_command.reset_index()
        sheets["Binding"] = result.binding
        sheets["Relaxations"] = result.relaxations
        sheets["Bullish-bearish"] = table
        sheets["Offsets"] = offs
        sheets["Settings"] = pd.DataFrame({
            "setting": ["name", "source", "solver", "budget_usd_m", "budget_dual", "total_benefit"],
            "value": [settings.name, Path(settings.source).name, result.solver, result.budget_usd_m,
                      result.budget_dual, result.total_benefit]})
    options.setdefault("mechanisms", {m.id: m.label for m in settings.mechanisms})
    return _write(sheets, out, inputs, **options)


def _write(sheets: dict[str, pd.DataFrame], out: str | Path, inputs: Sequence[str | Path] = (),
           **options: object) -> Path:
    """Write the first sheet as CSV, or all sheets as XLSX — the app's workbook writer (``write_sheets``:
    planner headers, formats, marking, print setup; formula-like text neutralised; atomic, never over one of
    ``inputs``)."""
    return write_sheets(sheets, out, inputs=inputs, **options)  # type: ignore[arg-type]
