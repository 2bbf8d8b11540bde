"""Compatibility shim: moved to prioritizer.scoring (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.scoring.score import GEOMETRIC_FLOOR  # noqa: F401
from prioritizer.scoring.score import RANK_DECIMALS  # noqa: F401
from prioritizer.scoring.score import REDUNDANCY_RHO  # noqa: F401
from prioritizer.scoring.score import ScoreResult  # noqa: F401
from prioritizer.scoring.score import Tree  # noqa: F401
from prioritizer.scoring.score import aggregate  # noqa: F401
from prioritizer.scoring.score import build_tree  # noqa: F401
from prioritizer.scoring.score import category_matrix  # noqa: F401
from prioritizer.scoring.score import combine  # noqa: F401
from prioritizer.scoring.score import effective_indicator_weights  # noqa: F401
from prioritizer.scoring.score import impute_knn  # noqa: F401
from prioritizer.scoring.score import propensity_for_weights  # noqa: F401
from prioritizer.scoring.score import rank_descending  # noqa: F401
from prioritizer.scoring.score import rank_within  # noqa: F401
from prioritizer.scoring.score import redundant_pairs  # noqa: F401
from prioritizer.scoring.score import score  # noqa: F401
