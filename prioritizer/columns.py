"""Compatibility shim: moved to prioritizer.report.columns (removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.report.columns import BASIS_WORDS  # noqa: F401
from prioritizer.report.columns import COLUMNS_FILE  # noqa: F401
from prioritizer.report.columns import ColumnSpec  # noqa: F401
from prioritizer.report.columns import labels  # noqa: F401
from prioritizer.report.columns import load_columns  # noqa: F401
from prioritizer.report.columns import priority_basis_kind  # noqa: F401
from prioritizer.report.columns import priority_label  # noqa: F401
from prioritizer.report.columns import spec  # noqa: F401
from prioritizer.report.columns import specs  # noqa: F401
from prioritizer.report.columns import strip_marking_line  # noqa: F401
from prioritizer.report.columns import to_column_ids  # noqa: F401
