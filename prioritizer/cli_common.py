"""Compatibility shim: moved to prioritizer.cli.common (removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.cli.common import OUT_DIR  # noqa: F401
from prioritizer.cli.common import add_data_arguments  # noqa: F401
from prioritizer.cli.common import add_output_arguments  # noqa: F401
from prioritizer.cli.common import check_out  # noqa: F401
from prioritizer.cli.common import input_paths  # noqa: F401
from prioritizer.cli.common import output_options  # noqa: F401
from prioritizer.cli.common import print_notes  # noqa: F401
from prioritizer.cli.common import resolve_out  # noqa: F401
from prioritizer.cli.common import write_sheets  # noqa: F401
from prioritizer.cli.common import write_table  # noqa: F401
