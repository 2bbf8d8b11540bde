"""Shared fixtures: a tiny hand-checkable dataset and a builder for synthetic ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prioritizer.data.dataset import Dataset
from prioritizer.scoring.settings import parse_profile

TINY_CONSTRUCTS = pd.DataFrame(
    {
        "construct_label": ["Construct one", "Construct two"],
        "category_id": ["g1", "g2"],
        "category_label": ["Group one", "Group two"],
        "evidence": ["test", "test"],
    },
    index=pd.Index(["c1", "c2"], name="construct_id"),
)
TINY_DICTIONARY = pd.DataFrame(
    {
        "label": ["Up", "Down", "Logged"],
        "construct": ["c1", "c1", "c2"],
        "category": ["g1", "g1", "g2"],
        "direction": [1, -1, 1],
        "unit": ["u", "u", "u"],
        "transform": ["none", "none", "log"],
        "source": ["s", "s", "s"],
        "citation": ["c", "c", "c"],
        "licence": ["l", "l", "l"],
        "year": pd.array([2023, 2023, 2023], dtype="Int64"),
    },
    index=pd.Index(["i1", "i2", "i3"], name="indicator_id"),
)


def make_dataset(values: dict[str, list[float]], ids: list[str], commands: list[str] | None = None,
                 dictionary: pd.DataFrame = TINY_DICTIONARY, constructs: pd.DataFrame = TINY_CONSTRUCTS,
                 priority: list[float] | None = None, baseline: list[float] | None = None) -> Dataset:
    """A validated-shape Dataset built in memory (bypasses file reading)."""
    index = pd.Index(ids, name="partner_id")
    n = len(ids)
    partners = pd.DataFrame({
        "name": [f"Partner {i}" for i in ids],
        "partner_type": "state",
        "command": commands or ["AFRICOM"] * n,
        "region": "Africa",
        "subregion": "East",
    }, index=index)
    for col in dictionary.index:
        partners[col] = np.asarray(values[col], dtype=float)
    years = pd.DataFrame({c: pd.array([2023] * n, dtype="Int64") for c in dictionary.index}, index=index)
    prio = pd.Series(priority or [3.0] * n, index=index, name="priority")
    funding = pd.DataFrame({"baseline_usd_m": baseline or [0.0] * n, "baseline_basis": "test"}, index=index)
    return Dataset(partners=partners, years=years, std_errors=pd.DataFrame(index=index),
                   dictionary=dictionary, constructs=constructs, priority=prio, funding=funding)


def tiny_profile(**method):
    return parse_profile({
        "name": "tiny", "purpose": "hand-computed example",
        "categories": {"g1": 3, "g2": 1},
        "method": method,
    }, TINY_DICTIONARY, "tiny.yaml")


@pytest.fixture
def tiny():
    """Three partners whose scores are computed by hand in test_score.py."""
    return make_dataset({"i1": [0, 5, 10], "i2": [1, 3, 2], "i3": [1, np.e, np.e ** 2]}, ["AAA", "BBB", "CCC"])
