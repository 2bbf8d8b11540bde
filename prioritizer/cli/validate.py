"""``python -m prioritizer validate``: back-test of the propensity score against later outcomes.

Prints one row per outcome × horizon (n, partial Spearman with its bootstrap interval) and the caveats;
``--out`` writes the table (CSV, or XLSX with the partner-level pairs, settings and caveats). Same panels,
settings and seed → identical table. Input problems are raised as InputError and turned into one clear
line by :func:`prioritizer.cli.main`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from prioritizer import files
from prioritizer.cli.common import add_output_arguments, output_options, resolve_out, write_table
from prioritizer.errors import InputError
from prioritizer.paths import PANELS_DIR
from prioritizer.report.export import workbook_bytes
from prioritizer.validation.backtest import BacktestResult, backtest
from prioritizer.validation.settings import ValidationSettings, load_settings

FLAGS = {"as_of": "--as-of", "seed": "--seed", "bootstrap_draws": "--draws",
         "aid_threshold_usd_m": "--aid-threshold-usd-m", "horizons": "--horizons"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    p = subparsers.add_parser(
        "validate", help="back-test: did higher propensity in a past year go with later improvement among "
                         "US-aid recipients (partial Spearman, bootstrap CI)?")
    p.add_argument("--settings", help="back-test settings YAML (default: weights/validation.yaml)")
    p.add_argument("--panels", help="folder of panel CSVs (default: sample_data/panels)")
    p.add_argument("--as-of", dest="as_of", type=int, help="score with data up to this year (default: settings)")
    p.add_argument("--horizons", type=int, nargs="+", help="outcome years, e.g. 2019 2023 (default: settings)")
    p.add_argument("--aid-threshold-usd-m", dest="aid_threshold_usd_m", type=float,
                   help="minimum mean annual US aid obligations after as-of, US$ M (default: settings)")
    p.add_argument("--draws", dest="bootstrap_draws", type=int, help="bootstrap draws (default: settings)")
    p.add_argument("--seed", type=int, help="random seed (default: settings); same seed → same table")
    p.add_argument("--out", metavar="FILE", help="write the table to FILE.csv or FILE.xlsx (xlsx adds sheets; "
                                                 "a bare file name goes to out/)")
    add_output_arguments(p)
    p.set_defaults(func=cmd_validate)


def settings_from_args(args: argparse.Namespace) -> ValidationSettings:
    """Settings from the file with command-line values on top (validated; errors name the flag)."""
    settings = load_settings(args.settings)
    changes = {k: getattr(args, k) for k in FLAGS if getattr(args, k, None) is not None}
    if changes:
        settings = settings.with_changes(key_name=lambda k: FLAGS.get(k.split("[")[0], k), **changes)
    return settings


def format_table(table: pd.DataFrame) -> str:
    """The printed table: outcome, years, n, partial rho [CI], raw rho, rho with the start level."""
    def f(v: float) -> str:
        return "" if pd.isna(v) else f"{v:+.2f}"

    rows = [(r.outcome, f"{r.as_of}→{r.horizon}", r.n, f(r.rho_partial),
             "" if pd.isna(r.ci_low) else f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]", f(r.rho_raw), f(r.rho_start),
             r.note) for r in table.itertuples()]
    frame = pd.DataFrame(rows, columns=["outcome", "years", "n", "rho_partial", "ci", "rho_raw", "rho_start", "note"])
    return frame.to_string(index=False)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the back-test, print the table and caveats, write ``--out``."""
    settings = settings_from_args(args)
    if args.out and Path(args.out).suffix.lower() not in (".csv", ".xlsx"):
        raise InputError("--out must end in .csv or .xlsx", file=args.out)
    panels = Path(args.panels or PANELS_DIR)
    if not panels.is_dir():
        raise InputError("panel folder not found", file=str(panels))
    result = backtest(settings, panels)
    s = result.settings
    print(f"Back-test: propensity as of {s.as_of} vs later change (partial Spearman given the starting level), "
          f"partners with ≥ ${s.aid_threshold_usd_m:g} M/yr US aid afterwards; {s.confidence:.0%} bootstrap "
          f"interval ({s.bootstrap_draws:,} draws, seed {s.seed})")
    print(format_table(result.table))
    print("Own indicators " + ("left out of the as-of propensity per outcome." if s.exclude_own_indicators
                               else "kept in the propensity (overlap column)."))
    print("Caveats:")
    for c in result.caveats:
        print(f"  - {c}")
    if args.out:
        if Path(args.out).suffix.lower() == ".xlsx":
            path = _write_workbook(result, args.out, output_options(args)["marking"])
        else:
            path = write_table(result.table, args.out, "Back-test", **output_options(args))
        print(f"wrote {len(result.table)} rows to {path}")
    return 0


def settings_frame(settings: ValidationSettings) -> pd.DataFrame:
    """The settings that determine the table, one per row."""
    rows = [(k, getattr(settings, k)) for k in ("as_of", "horizons", "profile", "aid_threshold_usd_m", "min_n",
                                                 "bootstrap_draws", "confidence", "seed", "exclude_own_indicators")]
    rows += [(f"outcome {o.id}", f"{o.series}; own: {', '.join(o.own_indicators)}") for o in settings.outcomes]
    return pd.DataFrame(rows, columns=["setting", "value"]).astype({"value": str})


def _write_workbook(result: BacktestResult, out: str, marking: str = "UNCLASSIFIED") -> Path:
    sheets = {"Back-test": result.table, "Partner pairs": result.pairs, "Settings": settings_frame(result.settings),
              "Caveats": pd.DataFrame({"caveat": list(result.caveats)})}
    path = resolve_out(out)
    return files.atomic_write(path, workbook_bytes(sheets, {"Method": "; ".join(result.log),
                                                                   "Marking": marking}))
