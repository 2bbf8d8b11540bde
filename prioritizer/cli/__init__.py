"""Command line: ``python -m prioritizer score|allocate|frontier|robustness|brief|template|validate|refresh-data``.

One module per command (``prioritizer.cli.<command>``, each with ``register(subparsers)``); shared arguments and
writers in :mod:`prioritizer.cli.common`; every chain of stages in :mod:`prioritizer.pipeline`. Every input
problem ends as one line on stderr naming the file, row and column, and a non-zero exit code; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from prioritizer.cli import allocate, brief, frontier, refresh, robustness, score, template, validate
from prioritizer.errors import InfeasibleError, InputError

# compatibility re-exports, removed by the lead

EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_INTERNAL = 70
COMMAND_MODULES = (score, refresh, allocate, frontier, robustness, validate, brief, template)
"""Subcommands in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m prioritizer",
        description="Partner Prioritizer: score, match and allocate security-cooperation effort.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


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
