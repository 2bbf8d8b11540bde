"""Compatibility shim: moved to prioritizer.cli.allocate and prioritizer.cli.frontier
(removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.cli.allocate import allocation_table  # noqa: F401
from prioritizer.cli.allocate import bullbear_text  # noqa: F401
from prioritizer.cli.allocate import cmd_allocate  # noqa: F401
from prioritizer.cli.allocate import register  # noqa: F401
from prioritizer.cli.allocate import summary_text  # noqa: F401
from prioritizer.cli.allocate import write_allocation  # noqa: F401
from prioritizer.cli.common import flag_budget_usd_m  # noqa: F401
from prioritizer.cli.frontier import MAX_FRONTIER_LEVELS  # noqa: F401
from prioritizer.cli.frontier import MAX_FRONTIER_PCT  # noqa: F401
from prioritizer.cli.frontier import cmd_frontier  # noqa: F401
from prioritizer.pipeline import scope_budget  # noqa: F401
