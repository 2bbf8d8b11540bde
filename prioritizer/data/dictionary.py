"""The indicator dictionary and the construct table: what each indicator measures and where it belongs.

``indicators.csv`` names each indicator's construct, category, direction (+1 higher is better, -1 lower is
better) and transform; ``constructs.csv`` maps each construct to its category.
"""

from __future__ import annotations

import pandas as pd

from prioritizer.data.checks import reject_duplicate_ids, reject_extra, require_columns
from prioritizer.data.numeric import YEAR_RANGE, to_numeric_column
from prioritizer.errors import InputError

DICTIONARY_COLUMNS = (
    "indicator_id", "label", "construct", "category", "direction", "unit", "transform",
    "source", "citation", "licence", "year",
)
CONSTRUCT_COLUMNS = ("construct_id", "construct_label", "category_id", "category_label", "evidence")
TRANSFORMS = ("none", "log", "log1p")


def validate_constructs(frame: pd.DataFrame, file: str = "constructs.csv") -> pd.DataFrame:
    """Validate the construct → category table; index construct_id."""
    require_columns(frame, CONSTRUCT_COLUMNS, file)
    reject_extra(frame, set(CONSTRUCT_COLUMNS), file, "the construct table has fixed columns")
    reject_duplicate_ids(frame["construct_id"], file, "construct_id", "construct id")
    return frame.set_index("construct_id")


def validate_dictionary(
    frame: pd.DataFrame, constructs: pd.DataFrame, file: str = "indicators.csv"
) -> pd.DataFrame:
    """Validate the indicator dictionary; index indicator_id, direction ±1 (int), year (Int64)."""
    require_columns(frame, DICTIONARY_COLUMNS, file)
    reject_extra(frame, set(DICTIONARY_COLUMNS), file, "the indicator dictionary has fixed columns")
    reject_duplicate_ids(frame["indicator_id"], file, "indicator_id", "indicator id")
    direction = to_numeric_column(frame["direction"], file=file, column="direction")
    for pos, value in enumerate(direction):
        if value not in (1.0, -1.0):
            raise InputError("direction must be +1 (higher is better) or -1 (lower is better)",
                             file=file, row=pos + 2, column="direction")
    for pos, (transform, construct, category) in enumerate(
        zip(frame["transform"], frame["construct"], frame["category"], strict=True)
    ):
        if transform not in TRANSFORMS:
            raise InputError(f"transform must be one of {', '.join(TRANSFORMS)} (got {transform!r})",
                             file=file, row=pos + 2, column="transform")
        if construct not in constructs.index:
            raise InputError(f"unknown construct {construct!r} (not in constructs.csv)", file=file,
                             row=pos + 2, column="construct")
        if constructs.at[construct, "category_id"] != category:
            raise InputError(
                f"construct {construct!r} belongs to category {constructs.at[construct, 'category_id']!r}, "
                f"not {category!r}", file=file, row=pos + 2, column="category")
    out = frame.copy()
    out["direction"] = direction.astype(int).to_numpy()
    out["year"] = to_numeric_column(frame["year"], file=file, column="year", low=YEAR_RANGE[0], high=YEAR_RANGE[1],
                                    bound_basis="a calendar year").astype("Int64").to_numpy()
    return out.set_index("indicator_id")
