"""Compatibility shim: moved to prioritizer.scoring (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.scoring.scope import ALL  # noqa: F401
from prioritizer.scoring.scope import SCOPE_FLAG  # noqa: F401
from prioritizer.scoring.scope import Scope  # noqa: F401
from prioritizer.scoring.scope import ScopedAllocation  # noqa: F401
from prioritizer.scoring.scope import add_scope_arguments  # noqa: F401
from prioritizer.scoring.scope import allocation_for_scope  # noqa: F401
from prioritizer.scoring.scope import data_commands  # noqa: F401
from prioritizer.scoring.scope import pool_shares  # noqa: F401
from prioritizer.scoring.scope import report_notes  # noqa: F401
from prioritizer.scoring.scope import resolve_scope  # noqa: F401
from prioritizer.scoring.scope import restrict_dataset  # noqa: F401
from prioritizer.scoring.scope import restrict_result  # noqa: F401
from prioritizer.scoring.scope import restrict_settings  # noqa: F401
from prioritizer.scoring.scope import scope_from_args  # noqa: F401
from prioritizer.scoring.scope import score_in_scope  # noqa: F401
from prioritizer.scoring.scope import whole_baseline_by_mechanism  # noqa: F401
