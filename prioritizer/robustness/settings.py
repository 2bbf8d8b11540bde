"""Robustness settings (``weights/robustness.yaml``) as a validated pydantic model.

Errors name the file and the key with the messages planners know, e.g.
``file 'robustness.yaml', key 'draws': must be between 1 and 200,000 (got 0)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, PrivateAttr, ValidationInfo, field_validator

from prioritizer.data.reading import read_yaml
from prioritizer.errors import InputError
from prioritizer.paths import WEIGHTS_DIR
from prioritizer.settings_model import SettingsModel, validate_settings

DEFAULT_SETTINGS = WEIGHTS_DIR / "robustness.yaml"
METHODS = ("dirichlet", "uniform")
MAX_DRAWS = 200_000
"""Upper bound on weight draws (file or --draws): a few seconds of scoring, bounded memory."""
MAX_LP_DRAWS = 2_000
"""Upper bound on LP re-solves (file or --lp-draws): one allocation solve each (about a minute per 1,000)."""
MAX_GRID_POINTS = 1_000
"""Upper bound on tipping-point grid points per category and direction (tipping_max / tipping_grid_step)."""


def _whole(low: int, high: int) -> Any:
    """A whole number in [low, high]."""

    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ValueError(f"must be a whole number between {low:,} and {high:,} (got {v!r})")
        if not low <= v <= high:
            raise ValueError(f"must be between {low:,} and {high:,} (got {v:,})")
        return int(v)

    return Annotated[int, BeforeValidator(check)]


def _number(low: float, high: float, low_open: bool = False, high_open: bool = False,
            below: str | None = None) -> Any:
    """A finite number in the interval; ``below`` replaces the message for a value at or under ``low``."""
    lo, hi = ("(" if low_open else "["), (")" if high_open else "]")

    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise ValueError(f"must be a number (got {v!r})")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number (got {v})")
        if below is not None and v <= low:
            raise ValueError(f"{below} (got {v:g})")
        if (v <= low if low_open else v < low) or (v >= high if high_open else v > high):
            raise ValueError(f"must be in {lo}{low:g}, {high:g}{hi} (got {v:g})")
        return v

    return Annotated[float, BeforeValidator(check)]


def _flag(v: Any) -> bool:
    if not isinstance(v, bool | np.bool_):
        raise ValueError(f"must be true or false (got {v!r})")
    return bool(v)


def _method(v: Any) -> str:
    if v not in METHODS:
        raise ValueError(f"must be one of {', '.join(METHODS)} (got {v!r})")
    return str(v)


Flag = Annotated[bool, BeforeValidator(_flag)]


class RobustnessSettings(SettingsModel):
    """Validated robustness settings (see ``weights/robustness.yaml`` for what each key does).

    Fields are checked in this order (the first problem is reported); ``source`` is the file read.
    """

    name: str = ""
    purpose: str = ""
    draws: _whole(1, MAX_DRAWS) = 10_000
    seed: _whole(0, 2**63 - 1) = 20_240_601
    method: Annotated[str, BeforeValidator(_method)] = "dirichlet"
    concentration: _number(0.0, 1e12, low_open=True,
                           below="must be positive: larger = draws closer to the profile") = 100.0
    uniform_bound: _number(0.0, 1.0, high_open=True) = 0.3
    lp_draws: _whole(0, MAX_LP_DRAWS) = 200
    tornado_swing: _number(0.0, 1.0, low_open=True) = 0.5
    tornado_points: _whole(2, 201) = 11
    tipping_max: _number(0.0, 1.0, low_open=True) = 0.5
    tipping_grid_step: _number(0.0, 1.0, low_open=True) = 0.02
    core_threshold: _number(0.0, 1.0, low_open=True) = 0.95
    funded_tolerance_usd_m: _number(0.0, 1e6) = 0.01
    indicator_noise: Flag = False
    bullish_n: _whole(1, 50) = 3
    priority_shift: _whole(0, 4) = 0
    mechanism_effect_range: _number(0.0, 1.0, high_open=True) = 0.0
    curve_scale_range: _number(0.0, 1.0, high_open=True) = 0.0
    aggregation_switch: _number(0.0, 1.0) = 0.0
    core_without_floors: Flag = False
    _source: str = PrivateAttr("")

    @field_validator("tipping_grid_step")
    @classmethod
    def _step_within_max(cls, step: float, info: ValidationInfo) -> float:
        top = info.data.get("tipping_max")
        if top is not None:
            if step > top:
                raise ValueError(f"must be in (0, {top:g}] (got {step:g})")
            if top / step > MAX_GRID_POINTS:
                raise ValueError(f"gives more than {MAX_GRID_POINTS:,} grid points per direction; use a coarser step")
        return step

    @field_validator("aggregation_switch")
    @classmethod
    def _switch_without_noise(cls, switch: float, info: ValidationInfo) -> float:
        if switch > 0 and info.data.get("indicator_noise"):
            raise ValueError("cannot be combined with indicator_noise (set one of them off)")
        return switch

    @property
    def source(self) -> str:
        """The settings file these values came from ('' when built in code)."""
        return self._source

    def with_changes(self, key_name: Callable[[str], str] | None = None, **changes: Any) -> RobustnessSettings:
        """A validated copy with some values changed; ``key_name`` renames keys in error messages (then no
        file is named: the values came from elsewhere, e.g. command-line flags)."""
        unknown = sorted(set(changes) - set(type(self).model_fields) - {"name", "purpose"})
        if unknown:
            raise InputError(f"unknown robustness setting '{unknown[0]}'", key=unknown[0])
        merged = self.model_dump() | changes
        try:
            out = validate_settings(type(self), merged, file=self.source or "<settings>")
        except InputError as err:
            raise InputError(err.message, file=None if key_name else (self.source or None),
                             key=(key_name or (lambda k: k))(err.key or "")) from None
        out._source = self.source
        return out


def load_settings(path: str | Path | None = None) -> RobustnessSettings:
    """Read and validate robustness settings (default ``weights/robustness.yaml``); keys left out take the
    defaults. Unknown keys, zero or negative draws, a non-positive concentration, bounds out of range and
    the like raise :class:`InputError` naming the file and the key."""
    source = Path(path) if path is not None else DEFAULT_SETTINGS
    label = str(source)
    data = read_yaml(source, label)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("robustness settings must be a YAML mapping of key: value", file=label)
    out = validate_settings(RobustnessSettings, data, file=label)
    out._source = label
    return out
