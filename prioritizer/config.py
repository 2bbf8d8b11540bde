"""Compatibility shim: moved to prioritizer.scoring and prioritizer.data (removed once every import names them)."""
# ruff: noqa: I001
from prioritizer.data.reading import read_yaml  # noqa: F401
from prioritizer.scoring.settings import AGGREGATIONS  # noqa: F401
from prioritizer.scoring.settings import MAX_WEIGHT  # noqa: F401
from prioritizer.scoring.settings import METHOD_DEFAULTS  # noqa: F401
from prioritizer.scoring.settings import MISSING_POLICIES  # noqa: F401
from prioritizer.scoring.settings import MatchingSettings  # noqa: F401
from prioritizer.scoring.settings import NON_PROFILE_FILES  # noqa: F401
from prioritizer.scoring.settings import NORMALISATIONS  # noqa: F401
from prioritizer.scoring.settings import WeightProfile  # noqa: F401
from prioritizer.scoring.settings import list_profiles  # noqa: F401
from prioritizer.scoring.settings import load_matching_settings  # noqa: F401
from prioritizer.scoring.settings import load_profile  # noqa: F401
from prioritizer.scoring.settings import parse_profile  # noqa: F401
