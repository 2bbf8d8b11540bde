"""``python -m prioritizer robustness``: how much the ranking and the bullish/bearish calls depend on weights.

Writes one row per partner (rank interval, bullish/bearish probabilities, robust-core class, tipping
point) and prints a short summary. Same data, settings and seed → identical output file. Input problems
are raised as InputError / InfeasibleError and turned into one clear line by :func:`prioritizer.cli.main`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from prioritizer import files, pipeline
from prioritizer.allocation.settings_file import load_settings
from prioritizer.cli.common import (
    add_scenario_arguments,
    check_out,
    flag_budget_usd_m,
    input_paths,
    output_options,
    print_notes,
    print_scoring_notes,
    resolve_out,
    score_from_args,
    write_table,
)
from prioritizer.domain import category_label
from prioritizer.errors import InputError
from prioritizer.report.export import workbook_bytes
from prioritizer.robustness import monte_carlo as robustness_monte_carlo
from prioritizer.robustness import settings as robustness_settings
from prioritizer.robustness.settings import METHODS, RobustnessSettings
from prioritizer.robustness.tipping import TippingPoints

TABLE_COLUMNS = [
    "partner_id", "name", "command", "propensity", "propensity_p5", "propensity_p95", "rank", "rank_p5", "rank_p50",
    "rank_p95", "rank_in_command", "rank_in_command_p5", "rank_in_command_p95", "p_top10", "base_call", "p_bullish",
    "p_bearish", "funded_share", "core_class", "funded_share_no_floors", "core_class_no_floors", "tip_delta",
    "tip_category", "tip_share", "tip_change",
]
CLI_OVERRIDES = ("draws", "seed", "method", "concentration", "lp_draws", "indicator_noise")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``robustness`` subcommand."""
    p = subparsers.add_parser(
        "robustness", help="rank intervals, bullish/bearish probabilities and the robust core under weight "
                           "uncertainty (Monte Carlo, tornado, tipping points)")
    add_scenario_arguments(p, "robustness settings YAML (default: weights/robustness.yaml)")
    p.add_argument("--allocation-settings", dest="allocation_settings",
                   help="allocation settings YAML (default: weights/allocation.yaml)")
    p.add_argument("--draws", type=int, help="weight draws (overrides the settings; e.g. 10000)")
    p.add_argument("--seed", type=int, help="random seed (overrides the settings); same seed → same output")
    p.add_argument("--method", choices=METHODS, help="weight draws: dirichlet or uniform")
    p.add_argument("--concentration", type=float, help="Dirichlet concentration (larger = closer to the profile)")
    p.add_argument("--lp-draws", dest="lp_draws", type=int,
                   help="draws on which the allocation is re-solved (0 = skip bullish/bearish and core)")
    p.add_argument("--indicator-noise", dest="indicator_noise", action="store_true", default=None,
                   help="also draw WGI values from their published standard errors")
    p.add_argument("--budget-usd-m", dest="budget_usd_m", metavar="N",
                   help="annual budget in US$ M (default: the allocation settings' rule, e.g. the baseline total)")
    p.add_argument("--no-tipping", dest="tipping", action="store_false", help="skip the tipping-point scan")
    p.add_argument("--tornado-out", dest="tornado_out", metavar="FILE",
                   help="write the tornado table (partner × category score and rank ranges) to FILE.csv/.xlsx")
    p.add_argument("--out", metavar="FILE", help="write one row per partner to FILE.csv or FILE.xlsx "
                                                 "(.xlsx adds rank acceptability, tornado and settings sheets)")
    p.add_argument("--top", type=int, default=5, help="partners listed per summary section (default 5)")
    p.set_defaults(func=cmd_robustness)


def settings_from_args(args: argparse.Namespace) -> RobustnessSettings:
    """Robustness settings from the file, with command-line values on top (validated; errors name the flag)."""
    settings = robustness_settings.load_settings(args.settings)
    changes = {k: getattr(args, k) for k in CLI_OVERRIDES if getattr(args, k, None) is not None}
    if changes:
        settings = settings.with_changes(key_name=lambda k: "--" + k.replace("_", "-"), **changes)
    return settings


def partner_table(mc: robustness_monte_carlo.RobustnessResult, tipping: TippingPoints | None = None) -> pd.DataFrame:
    """One row per partner, best base rank first: rank interval, probabilities, core class, tipping point."""
    frame = mc.partners.copy()
    if tipping is not None:
        for col in ("tip_delta", "tip_category", "tip_share", "tip_change"):
            frame[col] = tipping.partners[col].reindex(frame.index)
    else:
        frame["tip_delta"] = float("nan")
        frame["tip_share"] = float("nan")
        frame["tip_category"] = ""
        frame["tip_change"] = ""
    frame.insert(0, "partner_id", frame.index)
    frame.index.name = None
    frame = frame.sort_values(["rank", "partner_id"], na_position="last")
    return frame[TABLE_COLUMNS].reset_index(drop=True)


def settings_table(settings: RobustnessSettings, mc: robustness_monte_carlo.RobustnessResult,
                   profile_name: str) -> pd.DataFrame:
    """The settings that determine the output, one per row (for the workbook)."""
    rows = [("profile", profile_name), ("settings file", Path(settings.source).name if settings.source else "")]
    rows += [(k, getattr(settings, k)) for k in ("draws", "seed", "method", "concentration", "uniform_bound",
                                                  "indicator_noise", "lp_draws", "bullish_n", "core_threshold",
                                                  "funded_tolerance_usd_m", "tornado_swing", "tornado_points",
                                                  "tipping_grid_step", "tipping_max", "priority_shift",
                                                  "mechanism_effect_range", "curve_scale_range",
                                                  "aggregation_switch", "core_without_floors")]
    rows += [("budget_usd_m", mc.budget_usd_m if mc.budget_usd_m is not None else "")]
    return pd.DataFrame(rows, columns=["setting", "value"]).astype({"value": str})


def _pct(p: float) -> str:
    return "<1%" if 0 < p < 0.005 else (">99%" if 0.995 <= p < 1 else f"{p:.0%}")


def summary_text(table: pd.DataFrame, mc: robustness_monte_carlo.RobustnessResult, top: int = 5) -> str:
    """Most and least robust partners, per-command bullish/bearish with probabilities, core counts."""
    s = mc.settings
    how = (f"Dirichlet, concentration {s.concentration:g}" if s.method == "dirichlet"
           else f"uniform ±{s.uniform_bound:.0%}")
    lines = [f"Robustness — {mc.draws:,} weight draws ({how}), seed {mc.seed}"
             + (", WGI values drawn within their standard errors" if s.indicator_noise else "")]
    ranked = table.dropna(subset=["rank", "rank_p5", "rank_p95"]).copy()  # unranked (low coverage) left out
    ranked["width"] = (ranked["rank_p95"] - ranked["rank_p5"]).astype(int)
    head = ranked[ranked["rank"] <= 20].sort_values(["width", "rank"]).head(top)
    lines.append("Steadiest of the top 20 (narrowest 5–95 % rank interval):")
    lines += [f"  {r.rank:>3}. {r.name} ({r.partner_id}) rank {r.rank_p5}–{r.rank_p95}, top-10 in {r.p_top10:.0%}"
              for r in head.itertuples()]
    wide = ranked.sort_values(["width", "rank"], ascending=[False, True]).head(top)
    lines.append("Most weight-sensitive (widest 5–95 % rank interval):")
    lines += [f"  {r.rank:>3}. {r.name} ({r.partner_id}) rank {r.rank_p5}–{r.rank_p95} ({r.width} places)"
              for r in wide.itertuples()]
    if mc.lp_draws:
        lines.append(f"Bullish / bearish per command (share of {mc.lp_draws} allocation re-solves, budget "
                     f"${mc.budget_usd_m:,.1f} M; * = in the list at the profile's weights):")
        for command, rows in table.groupby("command", sort=True):
            for side in ("bullish", "bearish"):
                col = f"p_{side}"
                cand = rows[(rows[col] > 0) | (rows["base_call"] == side)]
                cand = cand.sort_values([col, "rank"], ascending=[False, True]).head(max(top, s.bullish_n + 2))
                parts = [f"{r.name}{'*' if r.base_call == side else ''} {_pct(getattr(r, col))}"
                         for r in cand.itertuples()]
                lines.append(f"  {command:<10} {side}: {', '.join(parts) if parts else 'none'}")
        counts = table["core_class"].value_counts()
        lines.append(f"Robust core (funded in ≥ {s.core_threshold:.0%} of re-solves): {counts.get('core', 0)} core, "
                     f"{counts.get('borderline', 0)} borderline, {counts.get('exterior', 0)} exterior")
        if s.core_without_floors:
            free = table["core_class_no_floors"].value_counts()
            lines.append(f"  without floors (command/partner floors and max-cut limits removed): {free.get('core', 0)} "
                         f"core, {free.get('borderline', 0)} borderline, {free.get('exterior', 0)} exterior")
    tips = table.dropna(subset=["tip_delta"])
    if len(tips):
        tips = tips.assign(_abs=tips["tip_delta"].abs()).sort_values(["_abs", "rank"]).head(top)
        lines.append("Closest tipping points (change in one category's share of the weight, percentage points; "
                     f"grid {100 * s.tipping_grid_step:g} pp):")
        lines += [f"  {r.name} ({r.command}): {category_label(r.tip_category, in_sentence=True)} "
                  f"{100 * r.tip_delta:+.0f} pp → {r.tip_change}" for r in tips.itertuples()]
    return "\n".join(lines)


def cmd_robustness(args: argparse.Namespace) -> int:
    """Run the Monte Carlo (and LP re-solves, tornado, tipping points), print a summary, write the table."""
    settings = settings_from_args(args)
    if args.top < 1:
        raise InputError(f"must be at least 1 (got {args.top})", key="--top")
    budget = flag_budget_usd_m(args.budget_usd_m)
    check_out(args, "out", "--out")
    check_out(args, "tornado_out", "--tornado-out")
    if args.out and args.tornado_out and Path(args.out).resolve() == Path(args.tornado_out).resolve():
        raise InputError("--out and --tornado-out name the same file", file=args.out)
    load_settings(args.allocation_settings)  # fail fast on a broken settings file, before scoring
    scored = score_from_args(args)
    dataset, profile, result = scored.dataset, scored.profile, scored.result
    print_scoring_notes(scored)
    alloc_settings = (pipeline.allocation_settings(args.allocation_settings, dataset)
                      if settings.lp_draws > 0 or args.tipping else None)
    run = pipeline.robustness_scenario(result, dataset, profile, settings, alloc_settings, budget, tipping=args.tipping)
    print_notes(run.notes)
    mc, tornado = run.monte_carlo, run.tornado
    table = partner_table(mc, run.tipping)
    print(f"profile '{profile.name}', {len(table)} partners")
    print(summary_text(table, mc, args.top))
    if args.out:
        if Path(args.out).suffix.lower() == ".xlsx":
            path = _write_workbook(table, mc, tornado, settings_table(settings, mc, profile.name), args.out,
                                   input_paths(args), output_options(args)["marking"])
        else:
            path = write_table(table, args.out, "Robustness", inputs=input_paths(args),
                               **output_options(args, result.scores))
        print(f"wrote {len(table)} partners to {path}")
    if args.tornado_out:
        path = write_table(tornado, args.tornado_out, "Tornado", inputs=input_paths(args),
                           **output_options(args, result.scores))
        print(f"wrote the tornado table ({len(tornado)} rows) to {path}")
    return 0


def _write_workbook(table: pd.DataFrame, mc: robustness_monte_carlo.RobustnessResult, tornado: pd.DataFrame,
                    settings: pd.DataFrame,
                    out: str, inputs: Sequence[str | Path] = (), marking: str = "UNCLASSIFIED") -> Path:
    acc = mc.acceptability.copy()
    acc.columns = [f"rank_{c}" for c in acc.columns]
    acc.insert(0, "partner_id", acc.index)
    sheets = {"Robustness": table, "Rank acceptability": acc.reset_index(drop=True), "Tornado": tornado,
              "Settings": settings}
    notes = {"Method": "; ".join(mc.log[:1]),
             "Robust core": next((x for x in mc.log if x.startswith("allocation")), ""), "Marking": marking}
    path = resolve_out(out, inputs)
    return files.atomic_write(path, workbook_bytes(sheets, notes))
