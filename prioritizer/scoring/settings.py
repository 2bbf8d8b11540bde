"""Weight profiles and matching settings: YAML files validated on load by one model each.

A profile names a weight for every category (0 excludes it), optional construct and indicator weights
(default 1: equal within their parent), and the method choices. Weights are relative: only their ratios
within a level matter.

Validation runs in two steps. :class:`ProfileFile` (pydantic) checks the file's shape: keys, types, weight
values and the method choices. :meth:`ProfileFile.resolve` then checks the ids against the indicator
dictionary the profile is used with (unknown ids, categories without a weight, levels weighing 0) and gives
the :class:`WeightProfile` the scorer reads. :class:`MatchingSettings` is the model of ``matching.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BeforeValidator, Field, PrivateAttr, TypeAdapter, ValidationError, field_validator

from prioritizer.data.reading import read_yaml
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_MATCHING_SETTINGS, WEIGHTS_DIR
from prioritizer.settings_model import SettingsModel, key_path, message_for, validate_settings

NORMALISATIONS = ("minmax", "percentile", "zscore")
AGGREGATIONS = ("arithmetic", "geometric")
MISSING_POLICIES = ("available", "knn")
MAX_WEIGHT = 1_000_000.0
"""Largest weight (weights are relative; beyond this, sums overflow precision or to infinity)."""
NON_PROFILE_FILES = {"allocation.yaml", "matching.yaml", "robustness.yaml", "validation.yaml"}


# --------------------------------------------------------------------------- weight profile


def _weight(value: Any) -> float:
    """A relative weight: a finite number from 0 to :data:`MAX_WEIGHT`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"weight must be a number (got {value!r})")
    if not math.isfinite(value):
        raise ValueError("weight must be finite")
    if value < 0:
        raise ValueError(f"weight cannot be negative (got {value})")
    if value > MAX_WEIGHT:
        raise ValueError(f"weight must be at most {MAX_WEIGHT:,g} (got {value:g}); weights are relative, so "
                         "scale them all down")
    return float(value)


def _weight_table(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of id: weight")
    return value


Weight = Annotated[float, BeforeValidator(_weight)]
WeightTable = Annotated[dict[str, Weight], BeforeValidator(_weight_table)]
"""id → weight; an empty section (``constructs:`` with nothing under it) is no weights."""
_WEIGHT_TABLE: TypeAdapter[dict[str, float]] = TypeAdapter(WeightTable)


def _required_text(value: Any) -> str:
    if value is None or value == "":
        raise ValueError("required key is missing")
    if isinstance(value, dict | list):
        raise ValueError(f"must be text (got {value!r})")
    return str(value)  # a name written as a number (2025) is read as text


def _share(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"must be a share between 0 and 1 (got {value:g})")
    return value


class ProfileMethod(SettingsModel):
    """The ``method`` section of a profile: how indicators are normalised, aggregated and imputed."""

    normalisation: Literal[NORMALISATIONS] = "minmax"  # type: ignore[valid-type]
    aggregation: Literal[AGGREGATIONS] = "arithmetic"  # type: ignore[valid-type]
    missing: Literal[MISSING_POLICIES] = "available"  # type: ignore[valid-type]
    knn_neighbours: int = Field(5, description="neighbours of k-NN imputation, ≥ 1")
    coverage_threshold: float = Field(0.6, description="share of weight backed by data below which a partner is "
                                                       "low-confidence and unranked, 0–1")
    winsorise: float | None = Field(None, description="tail share clipped per indicator, [0, 0.5); empty = none")

    @field_validator("knn_neighbours")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be a whole number ≥ 1 (got {value})")
        return value

    @field_validator("coverage_threshold")
    @classmethod
    def _coverage_share(cls, value: float) -> float:
        return _share(value)

    @field_validator("winsorise", mode="before")
    @classmethod
    def _tail_share(cls, value: Any) -> Any:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not 0 <= value < 0.5):
            raise ValueError(f"must be empty or a tail share in [0, 0.5), e.g. 0.05 (got {value!r})")
        return None if value is None else float(value)


METHOD_DEFAULTS: dict[str, Any] = ProfileMethod().model_dump()


class ProfileFile(SettingsModel):
    """A weight-profile file as written (``weights/default.yaml`` and the other profiles).

    Fields are declared in alphabetical order: the "unknown key (expected: …)" message lists them so.
    """

    categories: WeightTable
    constructs: WeightTable = {}
    indicators: WeightTable = {}
    method: ProfileMethod = ProfileMethod()
    name: Annotated[str, BeforeValidator(_required_text)]
    purpose: Annotated[str, BeforeValidator(_required_text)]

    @field_validator("categories", mode="before")
    @classmethod
    def _categories_given(cls, value: Any) -> Any:
        if value is None or value == "":
            raise ValueError("required key is missing")
        return value

    @field_validator("method", mode="before")
    @classmethod
    def _method_mapping(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("must be a mapping")
        return value

    def resolve(self, dictionary: pd.DataFrame, file: str) -> WeightProfile:
        """The profile for ``dictionary``: every id known, every category weighed, each weighed level with a
        positive weight below it; constructs and indicators not named weigh 1."""
        categories = sorted(set(dictionary["category"]))
        constructs = sorted(set(dictionary["construct"]))
        indicators = list(dictionary.index)
        cat_w = _known(self.categories, categories, file, "categories")
        for cat in categories:
            if cat not in cat_w:
                raise InputError("category has no weight; give 0 to leave it out", file=file,
                                 key=f"categories.{cat}")
        _some_positive(cat_w, file)
        con_w = dict.fromkeys(constructs, 1.0) | _known(self.constructs, constructs, file, "constructs")
        ind_w = dict.fromkeys(indicators, 1.0) | _known(self.indicators, indicators, file, "indicators")
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
        return WeightProfile(name=self.name, purpose=self.purpose, category_weights=cat_w, construct_weights=con_w,
                             indicator_weights=ind_w, source=str(file), **self.method.model_dump())


def _known(weights: dict[str, float], known: list[str], file: str, section: str) -> dict[str, float]:
    """``weights`` when every id is in ``known``; else an InputError naming the first unknown id."""
    for key in weights:
        if key not in known:
            raise InputError(f"unknown id (expected one of: {', '.join(sorted(known))})", file=file,
                             key=f"{section}.{key}")
    return dict(weights)


def _some_positive(category_weights: dict[str, float], file: str | None) -> None:
    if sum(category_weights.values()) <= 0:
        raise InputError("all category weights are zero; give at least one a positive weight", file=file,
                         key="categories")


def check_weights(raw: Any, known: list[str] | set[str], file: str, section: str) -> dict[str, float]:
    """Weights of one section (``categories``, ``constructs`` or ``indicators``) validated as in a profile
    file: numbers 0–:data:`MAX_WEIGHT`, ids in ``known``; errors name ``section.id``."""
    try:
        weights = _WEIGHT_TABLE.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key = ".".join(p for p in (section, key_path(error["loc"])) if p)
        raise InputError(message_for(ProfileFile, error), file=file, key=key) from None
    return _known(weights, sorted(known), file, section)


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
        file = self.source or "profile"
        merged = {**self.category_weights, **check_weights(weights, set(self.category_weights), file, "categories")}
        _some_positive(merged, self.source or None)
        return replace(self, category_weights=merged)

    def with_construct_weights(self, weights: dict[str, float]) -> WeightProfile:
        """A copy with new construct weights (validated)."""
        checked = check_weights(weights, set(self.construct_weights), self.source or "profile", "constructs")
        return replace(self, construct_weights={**self.construct_weights, **checked})

    def with_method(self, **changes: Any) -> WeightProfile:
        """A copy with other method choices (normalisation, aggregation, missing, …), validated."""
        merged = {k: getattr(self, k) for k in METHOD_DEFAULTS} | changes
        method = validate_settings(ProfileMethod, merged, file=self.source or "profile", prefix="method")
        return replace(self, **method.model_dump())

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


def parse_profile(data: Any, dictionary: pd.DataFrame, file: str = "profile") -> WeightProfile:
    """Validate profile data (already parsed from YAML) against the indicator dictionary."""
    if not isinstance(data, dict):
        raise InputError("a weight profile must be a YAML mapping (name, purpose, method, categories, …)",
                         file=file)
    unknown = sorted(str(k) for k in data if k not in ProfileFile.model_fields)
    if unknown:  # before "required key is missing": a renamed key (category_weights) is named as written
        raise InputError(f"unknown key (expected: {', '.join(ProfileFile.model_fields)})", file=file, key=unknown[0])
    return validate_settings(ProfileFile, data, file=file).resolve(dictionary, file)


def load_profile(source: str | Path | bytes, dictionary: pd.DataFrame, name: str | None = None) -> WeightProfile:
    """Load and validate a weight profile YAML file (or uploaded bytes)."""
    label = name or str(source if not isinstance(source, bytes) else "upload.yaml")
    return parse_profile(read_yaml(source, label), dictionary, label)


def list_profiles(weights_dir: str | Path = WEIGHTS_DIR) -> dict[str, Path]:
    """Weight-profile files in a folder, by file stem (settings files excluded)."""
    folder = Path(weights_dir)
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if p.name not in NON_PROFILE_FILES}


# --------------------------------------------------------------------------- matching settings


def _propensity_threshold(value: Any) -> float | str:
    if value == "median":
        return "median"
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValueError(f"must be a score 0–100 or 'median' (got {value!r})")
    return float(value)


class MatchingSettings(SettingsModel):
    """Thresholds for quadrants and funding-mismatch flags, and the number of peers (``weights/matching.yaml``).

    Fields are declared in alphabetical order: the "unknown key (expected: …)" message lists them so.
    """

    high_cost_ratio: float = Field(2.0, description="funding share ≥ this × merit share → 'high cost / low return'")
    min_funding_share: float = Field(0.001, description="share of all baseline funding below which a partner is "
                                                        "never flagged high cost")
    name: str = ""
    peers: int = Field(5, description="peers listed per partner, ≥ 1")
    priority_threshold: float = Field(4.0, description="priority (1–5) at or above which a partner is high priority")
    propensity_threshold: Annotated[float | str, BeforeValidator(_propensity_threshold)] = Field(
        50.0, description="propensity (0–100) at or above which a partner is high propensity, or 'median'")
    purpose: str = ""
    under_resourced_ratio: float = Field(0.5, description="invest-quadrant funding share ≤ this × merit share → "
                                                          "'under-resourced'")
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """The file the settings were read from ('' when built in memory)."""
        return self._source

    @field_validator("priority_threshold")
    @classmethod
    def _priority_scale(cls, value: float) -> float:
        if not 1 <= value <= 5:
            raise ValueError(f"must be between 1 and 5 (got {value:g})")
        return value

    @field_validator("high_cost_ratio", "under_resourced_ratio", "min_funding_share")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError(f"cannot be negative (got {value:g})")
        return value

    @field_validator("peers")
    @classmethod
    def _at_least_one_peer(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be a whole number ≥ 1 (got {value})")
        return value


def load_matching_settings(source: str | Path = DEFAULT_MATCHING_SETTINGS) -> MatchingSettings:
    """Load matching thresholds from YAML; unknown keys, text where a number belongs and out-of-range values
    are InputErrors naming the file and key."""
    label = str(source)
    data = read_yaml(source) or {}
    if not isinstance(data, dict):
        raise InputError("matching settings must be a YAML mapping", file=label)
    settings = validate_settings(MatchingSettings, data, file=label)
    settings._source = label
    return settings
