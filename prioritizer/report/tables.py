"""Derived tables for exports and comparisons: scenario settings as rows, rank shifts and funding changes
between two scenarios (A → B). Ranks are 1 = best; propensity 0–100; money US$ M per year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.errors import InputError


def scenario_settings_frame(settings: Mapping[str, Any]) -> pd.DataFrame:
    """Flatten nested scenario settings to rows ``setting`` (dotted path, ``[i]`` for list items)
    and ``value``; a list of plain values becomes one comma-separated row. Numbers stay numbers."""
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            if not value:
                rows.append((prefix, ""))
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list | tuple | set):
            items = sorted(value, key=str) if isinstance(value, set) else list(value)
            if items and all(isinstance(v, Mapping | list | tuple | set) for v in items):
                for i, v in enumerate(items):
                    walk(f"{prefix}[{i}]", v)
            else:
                rows.append((prefix, ", ".join("" if v is None else str(v) for v in items)))
        elif isinstance(value, np.generic):
            rows.append((prefix, value.item()))
        else:
            rows.append((prefix, "" if value is None else value))

    walk("", dict(settings))
    return pd.DataFrame(rows, columns=["setting", "value"])


def compare_rankings(scores_a: pd.DataFrame, scores_b: pd.DataFrame) -> pd.DataFrame:
    """Rank shift per partner between scenario A and B (index partner_id).

    Columns: name, rank_a, rank_b, rank_shift (= rank_a − rank_b: positive = moved up in B),
    propensity_a, propensity_b, propensity_change (B − A, points on 0–100), note ("only in A/B").
    Sorted by the size of the shift, largest first.
    """
    for label, s in (("A", scores_a), ("B", scores_b)):
        missing = [c for c in ("rank", "propensity") if c not in s.columns]
        if missing:
            raise InputError(f"scores of scenario {label} lack column(s) {', '.join(missing)}")
    idx = scores_a.index.union(scores_b.index, sort=False)
    name_a = scores_a["name"] if "name" in scores_a else pd.Series(dtype=object)
    name_b = scores_b["name"] if "name" in scores_b else pd.Series(dtype=object)
    out = pd.DataFrame(index=idx)
    out.index.name = scores_a.index.name or scores_b.index.name or "partner_id"
    out["name"] = name_b.reindex(idx).fillna(name_a.reindex(idx))
    out["rank_a"] = scores_a["rank"].reindex(idx).astype(float)
    out["rank_b"] = scores_b["rank"].reindex(idx).astype(float)
    out["rank_shift"] = out["rank_a"] - out["rank_b"]
    out["propensity_a"] = scores_a["propensity"].reindex(idx).astype(float)
    out["propensity_b"] = scores_b["propensity"].reindex(idx).astype(float)
    out["propensity_change"] = out["propensity_b"] - out["propensity_a"]
    out["note"] = np.select([out["rank_a"].isna() & out["rank_b"].notna(),
                             out["rank_b"].isna() & out["rank_a"].notna()], ["only in B", "only in A"], "")
    order = out["rank_shift"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return out.loc[order]


_ALLOC_COLS = ("recommended_usd_m", "allocation_usd_m", "allocated_usd_m", "total_usd_m", "usd_m")


def _alloc_series(alloc: pd.DataFrame | pd.Series, value_col: str | None, label: str) -> pd.Series:
    if isinstance(alloc, pd.Series):
        return alloc.astype(float)
    col = value_col or next((c for c in _ALLOC_COLS if c in alloc.columns), None)
    if col is None or col not in alloc.columns:
        raise InputError(f"allocation of scenario {label} has none of the columns {', '.join(_ALLOC_COLS)}")
    if "partner_id" in alloc.columns:
        return alloc.groupby("partner_id")[col].sum().astype(float)
    return alloc[col].groupby(level=0).sum().astype(float)


def compare_allocations(alloc_a: pd.DataFrame | pd.Series, alloc_b: pd.DataFrame | pd.Series,
                        value_col: str | None = None) -> pd.DataFrame:
    """Per-partner change in recommended US$ M per year from scenario A to B (index partner_id).

    Columns: name (if given), usd_m_a, usd_m_b, delta_usd_m (B − A); a partner missing from one
    allocation counts as $0 there. Rows by partner id (or a ``partner_id`` column, summed over
    mechanisms); sorted by the size of the change.
    """
    a = _alloc_series(alloc_a, value_col, "A")
    b = _alloc_series(alloc_b, value_col, "B")
    idx = a.index.union(b.index, sort=False)
    out = pd.DataFrame(index=idx)
    out.index.name = "partner_id"
    names = [x["name"] for x in (alloc_b, alloc_a) if isinstance(x, pd.DataFrame) and "name" in x.columns
             and "partner_id" not in x.columns]
    if names:
        combined = names[0].reindex(idx)
        for n in names[1:]:
            combined = combined.fillna(n.reindex(idx))
        out["name"] = combined
    out["usd_m_a"] = a.reindex(idx).fillna(0.0)
    out["usd_m_b"] = b.reindex(idx).fillna(0.0)
    out["delta_usd_m"] = out["usd_m_b"] - out["usd_m_a"]
    return out.loc[out["delta_usd_m"].abs().sort_values(ascending=False, kind="stable").index]
