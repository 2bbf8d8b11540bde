"""``python -m prioritizer allocate|frontier``: budget allocation, bullish/bearish lists, efficient frontier.

Handlers return an exit code; input problems are raised as InputError / InfeasibleError and turned
into one clear line by ``prioritizer.cli.main``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from prioritizer import allocate as alloc
from prioritizer import bullbear
from prioritizer import scope as sc
from prioritizer.cli_common import add_data_arguments, check_out, input_paths, output_options, print_notes, write_sheets
from prioritizer.errors import InputError
from prioritizer.load import MAX_FUNDING_USD_M
from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS

MAX_FRONTIER_LEVELS = 500
"""Upper bound on ``--levels`` (same as ``frontier.levels`` in the settings): one LP solve per level."""
MAX_FRONTIER_PCT = 1000.0
"""Upper bound on ``--low-pct`` / ``--high-pct``: 10 × the baseline total."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``allocate`` and ``frontier`` subcommands."""
    a = subparsers.add_parser("allocate", help="optimise the budget across partners and mechanisms (LP)")
    _data_arguments(a)
    a.add_argument("--budget-usd-m", dest="budget_usd_m", metavar="N",
                   help="annual budget in US$ M (default: the settings' rule, e.g. the baseline total of the "
                        "partners in scope)")
    a.add_argument("--solver", choices=alloc.SOLVERS, default="auto",
                   help="LP solver: auto (HiGHS via highspy, else CBC), highs, cbc")
    a.add_argument("--top", type=int, default=3, help="bullish and bearish partners per command (default 3)")
    a.add_argument("--out", help="write the allocation to FILE.csv or FILE.xlsx (xlsx adds more sheets)")
    a.set_defaults(func=cmd_allocate)
    f = subparsers.add_parser("frontier", help="total benefit over a range of budget levels")
    _data_arguments(f)
    f.add_argument("--levels", type=int, default=None, help="number of budget levels (default: settings, 25)")
    f.add_argument("--low-pct", dest="low_pct", type=float, default=None,
                   help="lowest level, %% of the baseline total (default 20)")
    f.add_argument("--high-pct", dest="high_pct", type=float, default=None,
                   help="highest level, %% of the baseline total (default 200)")
    f.add_argument("--out", help="write budget and total benefit per level to FILE.csv or FILE.xlsx")
    f.set_defaults(func=cmd_frontier)


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    sc.add_scope_arguments(parser)
    parser.add_argument("--settings", help="allocation settings YAML (default: weights/allocation.yaml)")


def prepare(args: argparse.Namespace, budget_usd_m: float | None = None) -> sc.ScopedAllocation:
    """Score partners with the chosen data, weights and scope, then build the scope's allocation inputs
    and settings (``budget_usd_m`` None = the settings' rule on the scope's baseline).

    The bundled settings file is cut to the partners in the data (its locks on other partners dropped,
    noted); a planner's settings file naming partners outside the data stays an error.
    """
    from prioritizer.pipeline import run_scoring

    alloc.load_settings(args.settings)  # fail fast on a broken settings file, before scoring
    dataset, _profile, result = run_scoring(data=args.data, weights=args.weights, priority=args.priority,
                                            funding=args.funding, overrides=getattr(args, "overrides", None),
                                            commands=getattr(args, "scope_commands", None),
                                            normalise_within=getattr(args, "normalise_within_scope", False))
    scope = sc.scope_from_args(args, dataset.partners)
    bundled = args.settings is None or Path(args.settings).resolve() == DEFAULT_ALLOCATION_SETTINGS.resolve()
    settings = alloc.load_settings(args.settings, known_commands=None,
                                   known_partners=None if bundled else dataset.partners.index)
    run = sc.allocation_for_scope(result.scores, dataset, settings, budget_usd_m)
    print_notes(dataset.notes)
    if not scope.is_all:
        print(scope.normalisation_text(len(result.scores), len(dataset.partners)))
    print_notes(run.notes)
    return run


def cmd_allocate(args: argparse.Namespace) -> int:
    """Solve the allocation, print bullish/bearish per command and write the allocation table."""
    flag_budget = flag_budget_usd_m(args.budget_usd_m)
    if args.top < 1:
        raise InputError(f"--top must be at least 1 (got {args.top})", key="top")
    _check_out(args)
    run = prepare(args, flag_budget)
    inputs, settings = run.inputs, run.settings
    budget = flag_budget if flag_budget is not None else default_budget(settings, inputs)
    result = alloc.allocate(inputs, settings, budget, solver=args.solver)
    table = bullbear.bullish_bearish(result, inputs, n=args.top)
    offs = bullbear.offsets(table, result)
    print(summary_text(result, inputs))
    print()
    print(bullbear_text(table, offs, bullbear.shortfall(table, result, args.top)))
    if args.out:
        path = write_allocation(result, table, offs, settings, args.out, _inputs(args), **output_options(args))
        print(f"\nwrote the allocation of {len(result.partners)} partners to {path}")
    return 0


def cmd_frontier(args: argparse.Namespace) -> int:
    """Solve at each budget level and write budget and total benefit per level."""
    _check_out(args)
    if args.levels is not None and not 2 <= args.levels <= MAX_FRONTIER_LEVELS:
        raise InputError(f"must be between 2 and {MAX_FRONTIER_LEVELS} budget levels (got {args.levels:,})",
                         key="--levels")
    for flag, value in (("--low-pct", args.low_pct), ("--high-pct", args.high_pct)):
        if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_FRONTIER_PCT):
            raise InputError(f"must be between 0 and {MAX_FRONTIER_PCT:g} % of the baseline total (got {value:g})",
                             key=flag)
    run = prepare(args)
    inputs, settings = run.inputs, run.settings
    levels = settings.frontier_levels if args.levels is None else args.levels
    low = settings.frontier_low_pct if args.low_pct is None else args.low_pct
    high = settings.frontier_high_pct if args.high_pct is None else args.high_pct
    if levels < 20:
        print(f"note: {levels} levels; the frontier is usually read from 20 or more")
    table = alloc.frontier(inputs, settings, levels=levels, low_pct=low, high_pct=high)
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
        path = _write({"Frontier": table}, args.out, _inputs(args), **output_options(args))
        print(f"wrote {len(table)} budget levels to {path}")
    return 0


def flag_budget_usd_m(value: str | None) -> float | None:
    """``--budget-usd-m`` read and range-checked (0 – US$ 1 trillion); errors name the flag."""
    if value is None:
        return None
    try:
        return alloc.check_budget(value)
    except InputError as exc:
        raise InputError(exc.message, key="--budget-usd-m") from None


def default_budget(settings: alloc.AllocationSettings, inputs: alloc.AllocationInputs) -> float:
    """The settings' budget rule applied to the baseline total; an out-of-range result names the settings
    file and the funding total (not a flag the user did not pass)."""
    budget = settings.default_budget(inputs.baseline_total_usd_m)
    if not 0 <= budget <= MAX_FUNDING_USD_M:
        raise InputError(f"the settings' budget rule gives ${budget:,.0f} M from a baseline funding total of "
                         f"${inputs.baseline_total_usd_m:,.0f} M, above the US$ {MAX_FUNDING_USD_M:,.0f} M limit; "
                         "check the funding file or pass --budget-usd-m", file=settings.source or None,
                         key="budget")
    return budget


def summary_text(result: alloc.AllocationResult, inputs: alloc.AllocationInputs) -> str:
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
        parts = ", ".join(f"{n} {g.replace('_', ' ')}" for g, n in counts["group"].value_counts().items())
        lines.append(f"  partner limits at bound: {parts}")
    if not result.meets_statute:
        lines.append("  WARNING: the budget is below the sum of locks (statutory earmarks / MOUs); they are scaled "
                     "pro rata — this allocation DOES NOT MEET THE STATUTE")
    if len(result.relaxations):
        total = result.relaxations["relaxed_by_usd_m"].sum()
        lines.append(f"  relaxations ({len(result.relaxations)}, ${total:,.1f} M in all; penalty "
                     f"{result.penalty:,.2f} benefit units):")
        for text in result.relaxations["text"].head(25):
            lines.append(f"    - {text}")
        if len(result.relaxations) > 25:
            lines.append(f"    … and {len(result.relaxations) - 25} more (see the Relaxations sheet)")
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
                         f"${o.offsets_usd_m:,.1f} M (net ${o.net_usd_m:+,.1f} M)")
    return "\n".join(lines)


def _inputs(args: argparse.Namespace) -> list[Path]:
    return input_paths(args)


def _check_out(args: argparse.Namespace) -> None:
    check_out(args)


def allocation_table(result: alloc.AllocationResult) -> pd.DataFrame:
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


def write_allocation(result: alloc.AllocationResult, table: pd.DataFrame, offs: pd.DataFrame,
                     settings: alloc.AllocationSettings, out: str | Path, inputs: Sequence[str | Path] = (),
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
    """Write the first sheet as CSV, or all sheets as XLSX — the app's workbook writer (``cli_common.write_sheets``:
    planner headers, formats, marking, print setup; formula-like text neutralised; atomic, never over one of
    ``inputs``)."""
    return write_sheets(sheets, out, inputs=inputs, **options)  # type: ignore[arg-type]
