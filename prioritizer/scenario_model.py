"""Compatibility shim: moved to prioritizer.scenario (removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.scenario import AGGREGATIONS  # noqa: F401
from prioritizer.scenario import MAX_KEY  # noqa: F401
from prioritizer.scenario import MAX_RECORDS  # noqa: F401
from prioritizer.scenario import MAX_TEXT  # noqa: F401
from prioritizer.scenario import MISSING_POLICIES  # noqa: F401
from prioritizer.scenario import NORMALISATIONS  # noqa: F401
from prioritizer.scenario import PRIORITY_BASES  # noqa: F401
from prioritizer.scenario import WEIGHT_RANGES  # noqa: F401
from prioritizer.scenario import _check_override  # noqa: F401
from prioritizer.scenario import check_non_state  # noqa: F401
from prioritizer.scenario import normalise  # noqa: F401
from prioritizer.scenario import number  # noqa: F401
