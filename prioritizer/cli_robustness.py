"""Compatibility shim: moved to prioritizer.cli.robustness (removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.cli.robustness import CLI_OVERRIDES  # noqa: F401
from prioritizer.cli.robustness import TABLE_COLUMNS  # noqa: F401
from prioritizer.cli.robustness import cmd_robustness  # noqa: F401
from prioritizer.cli.robustness import partner_table  # noqa: F401
from prioritizer.cli.robustness import register  # noqa: F401
from prioritizer.cli.robustness import settings_from_args  # noqa: F401
from prioritizer.cli.robustness import settings_table  # noqa: F401
from prioritizer.cli.robustness import summary_text  # noqa: F401
