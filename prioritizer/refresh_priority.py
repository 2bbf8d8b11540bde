"""Compatibility shim: moved to prioritizer.data (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.data.refresh_priority import FACTS_FILE  # noqa: F401
from prioritizer.data.refresh_priority import POINT_RELATIONSHIPS  # noqa: F401
from prioritizer.data.refresh_priority import RELATIONSHIPS  # noqa: F401
from prioritizer.data.refresh_priority import RELATIONSHIP_LABELS  # noqa: F401
from prioritizer.data.refresh_priority import RULES_FILE  # noqa: F401
from prioritizer.data.refresh_priority import RULE_KEYS  # noqa: F401
from prioritizer.data.refresh_priority import TIE_LEVEL  # noqa: F401
from prioritizer.data.refresh_priority import build_priority_proxy  # noqa: F401
from prioritizer.data.refresh_priority import facts_year  # noqa: F401
from prioritizer.data.refresh_priority import read_facts  # noqa: F401
from prioritizer.data.refresh_priority import read_rules  # noqa: F401
from prioritizer.data.refresh_priority import tie_level  # noqa: F401
