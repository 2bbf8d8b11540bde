"""Compatibility shim: moved to prioritizer.data (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.data.refresh_funding import FUNDING_COLUMNS  # noqa: F401
from prioritizer.data.refresh_funding import INCOME_GROUP_CODES  # noqa: F401
from prioritizer.data.refresh_funding import NON_FMF_MECHANISMS  # noqa: F401
from prioritizer.data.refresh_funding import SHARE_FILE  # noqa: F401
from prioritizer.data.refresh_funding import SPLIT_FILE  # noqa: F401
from prioritizer.data.refresh_funding import build_mechanism_baseline  # noqa: F401
from prioritizer.data.refresh_funding import latest_income_group  # noqa: F401
from prioritizer.data.refresh_funding import read_curated  # noqa: F401
from prioritizer.data.refresh_funding import read_mechanism_split  # noqa: F401
from prioritizer.data.refresh_funding import read_security_shares  # noqa: F401
from prioritizer.data.refresh_funding import security_share  # noqa: F401
from prioritizer.domain import INCOME_GROUPS  # noqa: F401
