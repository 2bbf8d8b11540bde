"""Compatibility shim: moved to prioritizer.scoring (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.scoring.match import EXACT_PEERS_LIMIT  # noqa: F401
from prioritizer.scoring.match import PEER_CANDIDATES  # noqa: F401
from prioritizer.scoring.match import PEER_MEMORY_MB  # noqa: F401
from prioritizer.scoring.match import QUADRANTS  # noqa: F401
from prioritizer.scoring.match import funding_mismatch  # noqa: F401
from prioritizer.scoring.match import merit  # noqa: F401
from prioritizer.scoring.match import peers  # noqa: F401
from prioritizer.scoring.match import propensity_cut  # noqa: F401
from prioritizer.scoring.match import quadrants  # noqa: F401
