"""Weight profiles and matching settings: YAML files validated on load.

A profile names a weight for every category (0 excludes it), optional construct and indicator
weights (default 1: equal within their parent), and the method choices. Weights are relative: only
their ratios within a level matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.errors import InputError
from prioritizer.load import decode_utf8, read_bytes
from prioritizer.paths import DEFAULT_MATCHING_SETTINGS, WEIGHTS_DIR
from prioritizer.safe_yaml import MAX_YAML_BYTES, parse_yaml

NORMALISATIONS = ("minmax", "percentile", "zscore")
AGGREGATIONS = ("arithmetic", "geometric")
MISSING_POLICIES = ("available", "knn")
PROFILE_KEYS = {"name", "purpose", "method", "categories", "constructs", "indicators"}
METHOD_DEFAULTS: dict[str, Any] = {
    "normalisation": "minmax",
    "aggregation": "arithmetic",
    "missing": "available",
    "knn_neighbours": 5,
    "coverage_threshold": 0.6,
    "winsorise": None,
}
MAX_WEIGHT = 1_000_000.0
"""Largest weight (weights are relative; beyond this, sums overflow precision or to infinity)."""
NON_PROFILE_FILES = {"allocation.yaml", "matching.yaml", "robustness.yaml", "validation.yaml"}


@dataclass(frozen=True)
class WeightProfile:
    """A validated weight profile. Weights are raw (not normalised); method choices are checked."""

    name: str
    purpose: str
    category_weights: dict[str, float]
    construct_weights: dict[str, float]
    indicator_weights: dict[str, float]
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    missing: str = "available"
    knn_neighbours: int = 5
    coverage_threshold: float = 0.6
    winsorise: float | None = None
    source: str = ""

    def with_category_weights(self, weights: dict[str, float]) -> WeightProfile:
        """A copy with new category weights (validated: non-negative, not all zero)."""
        checked = _check_weights(weights, set(self.category_weights), self.source or "profile", "categories")
        if sum(checked.values()) <= 0:
            raise InputError("all category weights are zero; give at least one a positive weight",
                             file=self.source or None, key="categories")
        return replace(self, category_weights={**self.category_weights, **checked})

    def with_construct_weights(self, weights: dict[str, float]) -> WeightProfile:
        """A copy with new construct weights (validated)."""
        checked = _check_weights(weights, set(self.construct_weights), self.source or "profile", "constructs")
        return replace(self, construct_weights={**self.construct_weights, **checked})

    def with_method(self, **changes: Any) -> WeightProfile:
        """A copy with other method choices (normalisation, aggregation, missing, …), validated."""
        merged = {k: getattr(self, k) for k in METHOD_DEFAULTS} | changes
        _check_method(merged, self.source or "profile")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The profile as YAML-ready data (round-trips through :func:`parse_profile`)."""
        return {
            "name": self.name,
            "purpose": self.purpose,
            "method": {k: getattr(self, k) for k in METHOD_DEFAULTS},
            "categories": dict(self.category_weights),
            "constructs": dict(self.construct_weights),
            "indicators": dict(self.indicator_weights),
        }


def _check_weights(raw: Any, known: set[str], file: str, section: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError("must be a mapping of id: weight", file=file, key=section)
    out: dict[str, float] = {}
    for key, value in raw.items():
        where = f"{section}.{key}"
        if key not in known:
            hint = ", ".join(sorted(known))
            raise InputError(f"unknown id (expected one of: {hint})", file=file, key=where)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"weight must be a number (got {value!r})", file=file, key=where)
        if not np.isfinite(value):
            raise InputError("weight must be finite", file=file, key=where)
        if value < 0:
            raise InputError(f"weight cannot be negative (got {value})", file=file, key=where)
        if value > MAX_WEIGHT:
            raise InputError(f"weight must be at most {MAX_WEIGHT:,g} (got {value:g}); weights are relative, so "
                             "scale them all down", file=file, key=where)
        out[key] = float(value)
    return out


def _check_method(method: dict[str, Any], file: str) -> None:
    unknown = set(method) - set(METHOD_DEFAULTS)
    if unknown:
        raise InputError(f"unknown method setting (expected: {', '.join(METHOD_DEFAULTS)})", file=file,
                         key=f"method.{sorted(unknown)[0]}")
    for key, options in (("normalisation", NORMALISATIONS), ("aggregation", AGGREGATIONS),
                         ("missing", MISSING_POLICIES)):
        if method[key] not in options:
            raise InputError(f"must be one of {', '.join(options)} (got {method[key]!r})", file=file,
                             key=f"method.{key}")
    k = method["knn_neighbours"]
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError("must be a whole number ≥ 1", file=file, key="method.knn_neighbours")
    thr = method["coverage_threshold"]
    if isinstance(thr, bool) or not isinstance(thr, int | float) or not 0 <= thr <= 1:
        raise InputError("must be a share between 0 and 1", file=file, key="method.coverage_threshold")
    win = method["winsorise"]
    if win is not None and (isinstance(win, bool) or not isinstance(win, int | float) or not 0 <= win < 0.5):
        raise InputError("must be empty or a tail share in [0, 0.5), e.g. 0.05", file=file,
                         key="method.winsorise")


def parse_profile(data: Any, dictionary: pd.DataFrame, file: str = "profile") -> WeightProfile:
    """Validate profile data (already parsed from YAML) against the indicator dictionary."""
    if not isinstance(data, dict):
        raise InputError("a weight profile must be a YAML mapping (name, purpose, method, categories, …)",
                         file=file)
    unknown = set(data) - PROFILE_KEYS
    if unknown:
        raise InputError(f"unknown key (expected: {', '.join(sorted(PROFILE_KEYS))})", file=file,
                         key=sorted(unknown)[0])
    for key in ("name", "purpose", "categories"):
        if key not in data or data[key] in (None, ""):
            raise InputError("required key is missing", file=file, key=key)
    categories = sorted(set(dictionary["category"]))
    constructs = sorted(set(dictionary["construct"]))
    indicators = list(dictionary.index)
    cat_w = _check_weights(data["categories"], set(categories), file, "categories")
    for cat in categories:
        if cat not in cat_w:
            raise InputError("category has no weight; give 0 to leave it out", file=file,
                             key=f"categories.{cat}")
    if sum(cat_w.values()) <= 0:
        raise InputError("all category weights are zero; give at least one a positive weight", file=file,
                         key="categories")
    con_w = {c: 1.0 for c in constructs} | _check_weights(data.get("constructs"), set(constructs), file,
                                                          "constructs")
    ind_w = {i: 1.0 for i in indicators} | _check_weights(data.get("indicators"), set(indicators), file,
                                                          "indicators")
    for cat, weight in cat_w.items():
        members = sorted(set(dictionary.loc[dictionary["category"] == cat, "construct"]))
        if weight > 0 and sum(con_w[c] for c in members) <= 0:
            raise InputError(f"category {cat!r} has weight {weight:g} but all its constructs weigh 0",
                             file=file, key="constructs")
    for con in constructs:
        members = dictionary.index[dictionary["construct"] == con]
        if con_w[con] > 0 and sum(ind_w[i] for i in members) <= 0:
            raise InputError(f"construct {con!r} has weight {con_w[con]:g} but all its indicators weigh 0",
                             file=file, key="indicators")
    method = dict(METHOD_DEFAULTS)
    raw_method = data.get("method") or {}
    if not isinstance(raw_method, dict):
        raise InputError("must be a mapping", file=file, key="method")
    method.update(raw_method)
    _check_method(method, file)
    return WeightProfile(
        name=str(data["name"]), purpose=str(data["purpose"]), category_weights=cat_w,
        construct_weights=con_w, indicator_weights=ind_w, source=str(file), **method,
    )


def read_yaml(source: str | Path | bytes, name: str | None = None) -> Any:
    """Parse a YAML file or bytes, turning syntax and encoding problems into InputError. The size, alias
    count, expanded size and depth are limited (:mod:`prioritizer.safe_yaml`) before any field is read."""
    data, label = read_bytes(source, name, "upload.yaml", max_bytes=MAX_YAML_BYTES)
    text = decode_utf8(data, label)
    return parse_yaml(text, label)


def load_profile(source: str | Path | bytes, dictionary: pd.DataFrame, name: str | None = None) -> WeightProfile:
    """Load and validate a weight profile YAML file (or uploaded bytes)."""
    label = name or str(source if not isinstance(source, bytes) else "upload.yaml")
    return parse_profile(read_yaml(source, label), dictionary, label)


def list_profiles(weights_dir: str | Path = WEIGHTS_DIR) -> dict[str, Path]:
    """Weight-profile files in a folder, by file stem (settings files excluded)."""
    folder = Path(weights_dir)
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if p.name not in NON_PROFILE_FILES}


# --------------------------------------------------------------------------- matching settings


@dataclass(frozen=True)
class MatchingSettings:
    """Thresholds for quadrants, funding-mismatch flags and peers."""

    priority_threshold: float = 4.0
    propensity_threshold: float | str = 50.0
    high_cost_ratio: float = 2.0
    under_resourced_ratio: float = 0.5
    min_funding_share: float = 0.001
    peers: int = 5
    source: str = field(default="", compare=False)


def load_matching_settings(source: str | Path = DEFAULT_MATCHING_SETTINGS) -> MatchingSettings:
    """Load matching thresholds from YAML; unknown keys and out-of-range values are errors."""
    label = str(source)
    data = read_yaml(source) or {}
    if not isinstance(data, dict):
        raise InputError("matching settings must be a YAML mapping", file=label)
    allowed = {f for f in MatchingSettings.__dataclass_fields__ if f != "source"} | {"name", "purpose"}
    for key in data:
        if key not in allowed:
            raise InputError(f"unknown key (expected: {', '.join(sorted(allowed))})", file=label, key=key)
    values = {k: v for k, v in data.items() if k not in ("name", "purpose")}
    settings = MatchingSettings(**values, source=label)
    if not 1 <= settings.priority_threshold <= 5:
        raise InputError("must be between 1 and 5", file=label, key="priority_threshold")
    thr = settings.propensity_threshold
    if not (thr == "median" or (isinstance(thr, int | float) and 0 <= thr <= 100)):
        raise InputError("must be a score 0–100 or 'median'", file=label, key="propensity_threshold")
    for key in ("high_cost_ratio", "under_resourced_ratio", "min_funding_share"):
        if getattr(settings, key) < 0:
            raise InputError("cannot be negative", file=label, key=key)
    if not isinstance(settings.peers, int) or settings.peers < 1:
        raise InputError("must be a whole number ≥ 1", file=label, key="peers")
    return settings
