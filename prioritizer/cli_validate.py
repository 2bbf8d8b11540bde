"""Compatibility shim: moved to prioritizer.cli.validate (removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.cli.validate import FLAGS  # noqa: F401
from prioritizer.cli.validate import cmd_validate  # noqa: F401
from prioritizer.cli.validate import format_table  # noqa: F401
from prioritizer.cli.validate import register  # noqa: F401
from prioritizer.cli.validate import settings_frame  # noqa: F401
from prioritizer.cli.validate import settings_from_args  # noqa: F401
