"""Compatibility shim: moved to prioritizer.allocation.settings (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.allocation.settings import BUDGET_RULES  # noqa: F401
from prioritizer.allocation.settings import INCOME_ALIASES  # noqa: F401
from prioritizer.allocation.settings import INCOME_GROUPS  # noqa: F401
from prioritizer.allocation.settings import SOLVERS  # noqa: F401
from prioritizer.allocation.settings import AllocationSettings  # noqa: F401
from prioritizer.allocation.settings import CommandLimit  # noqa: F401
from prioritizer.allocation.settings import HumanRightsGate  # noqa: F401
from prioritizer.allocation.settings import Lock  # noqa: F401
from prioritizer.allocation.settings import Mechanism  # noqa: F401
from prioritizer.allocation.settings import PartnerLimits  # noqa: F401
from prioritizer.allocation.settings import Pool  # noqa: F401
from prioritizer.allocation.settings_file import load_settings  # noqa: F401
from prioritizer.allocation.settings_file import settings_from_dict  # noqa: F401
