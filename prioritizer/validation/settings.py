"""Back-test settings (``weights/validation.yaml``) as a validated pydantic model.

Every key is required; errors name the file and the key, e.g.
``file 'validation.yaml', key 'horizons[1]': must be a whole number between 2012 and 2024 (got 2005)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BeforeValidator, PrivateAttr, ValidationInfo, model_validator

from prioritizer.data.reading import read_yaml
from prioritizer.errors import InputError
from prioritizer.paths import WEIGHTS_DIR
from prioritizer.settings_model import SettingsModel, validate_settings

DEFAULT_SETTINGS = WEIGHTS_DIR / "validation.yaml"
SERIES = ("wgi_governance", "wgi_political_stability", "ucdp_conflict_years", "pts")
FIRST_AS_OF, LAST_AS_OF, LAST_HORIZON = 2004, 2022, 2024
"""Years the bundled panels support: as-of windows need four earlier years; outcomes run to 2024."""


def _whole_in(v: Any, low: int, high: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or not low <= v <= high:
        raise ValueError(f"must be a whole number between {low} and {high} (got {v!r})")
    return int(v)


def _whole(low: int, high: int) -> Any:
    """A whole number in [low, high]."""
    return Annotated[int, BeforeValidator(lambda v: _whole_in(v, low, high))]


def _number(low: float, high: float) -> Any:
    """A finite number in [low, high]."""

    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not low <= v <= high:
            raise ValueError(f"must be a number between {low:g} and {high:g} (got {v!r})")
        return float(v)

    return Annotated[float, BeforeValidator(check)]


def _horizon(v: Any, info: ValidationInfo) -> int:
    """An outcome year after ``as_of`` (checked before the horizons, so known unless it was invalid)."""
    return _whole_in(v, int(info.data.get("as_of", FIRST_AS_OF)) + 1, LAST_HORIZON)


def _years(v: Any) -> tuple:
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a non-empty list of years, e.g. [2019, 2023]")
    return tuple(v)


def _profile(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"must be a weight-profile file name in weights/ (got {v!r})")
    return v


def _series(v: Any) -> str:
    if v not in SERIES:
        raise ValueError(f"must be one of {', '.join(SERIES)} (got {v!r})")
    return v


def _indicator_ids(v: Any) -> list[str]:
    v = [] if v is None else v
    if not isinstance(v, list | tuple) or not all(isinstance(i, str) for i in v):
        raise ValueError("must be a list of indicator ids")
    return list(v)


def _outcome_map(v: Any) -> Any:
    if not isinstance(v, dict) or not v:
        raise ValueError("must be a mapping of outcome id: {label, series, own_indicators}")
    return v


@dataclass(frozen=True)
class Outcome:
    """One outcome: id, label, the panel series it is built from, the dictionary ids measuring it."""

    id: str
    label: str
    series: str
    own_indicators: tuple[str, ...] = ()


class OutcomeSpec(SettingsModel):
    """One entry of ``outcomes`` as written in the file (the id is its key)."""

    label: str = ""
    series: Annotated[str, BeforeValidator(_series)]
    own_indicators: Annotated[list[str], BeforeValidator(_indicator_ids)] = []

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            raise ValueError("must be a mapping with label, series and own_indicators")
        # checked here because settings_model lists the expected keys only for list items, not dict values
        if set(v) - set(cls.model_fields):
            raise ValueError(f"unknown key (expected: {', '.join(cls.model_fields)})")
        return v


def _as_outcomes(specs: dict[str, OutcomeSpec]) -> tuple[Outcome, ...]:
    """The file's ``{id: spec}`` as Outcome records in file order (label defaults to the id)."""
    return tuple(Outcome(str(oid), s.label or str(oid), s.series, tuple(s.own_indicators)) for oid, s in specs.items())


class ValidationSettings(SettingsModel):
    """Validated back-test settings (see ``weights/validation.yaml``); ``outcomes`` is read as
    ``{id: {label, series, own_indicators}}`` and held as a tuple of :class:`Outcome` in file order."""

    name: str = ""
    purpose: str = ""
    as_of: _whole(FIRST_AS_OF, LAST_AS_OF)
    horizons: Annotated[tuple[Annotated[int, BeforeValidator(_horizon)], ...], BeforeValidator(_years)]
    profile: Annotated[str, BeforeValidator(_profile)]
    aid_threshold_usd_m: _number(0.0, 1e6)
    min_n: _whole(4, 10_000)
    bootstrap_draws: _whole(0, 100_000)
    confidence: _number(0.5, 0.999)
    seed: _whole(0, 2**63 - 1)
    exclude_own_indicators: bool
    outcomes: Annotated[dict[str, OutcomeSpec], BeforeValidator(_outcome_map), AfterValidator(_as_outcomes)]
    _source: str = PrivateAttr("")

    @property
    def source(self) -> str:
        """The settings file these values came from ('' when built in code)."""
        return self._source

    @classmethod
    def key_for(cls, raw: Any, loc: Sequence[str | int]) -> str:
        """As the file writes it; an unknown key inside an outcome is named (``outcomes.<id>.<key>``)."""
        key = super().key_for(raw, loc)
        spec = raw.get("outcomes", {}).get(loc[1]) if len(loc) == 2 and loc[0] == "outcomes" \
            and isinstance(raw.get("outcomes"), dict) else None
        extra = sorted(set(spec) - set(OutcomeSpec.model_fields)) if isinstance(spec, dict) else []
        return f"{key}.{extra[0]}" if extra else key

    def as_file(self) -> dict[str, Any]:
        """The settings as the file writes them (``outcomes`` as ``{id: {label, series, own_indicators}}``)."""
        out = self.model_dump(exclude={"outcomes"})
        out["horizons"] = list(self.horizons)
        out["outcomes"] = {o.id: {"label": o.label, "series": o.series, "own_indicators": list(o.own_indicators)}
                           for o in self.outcomes}
        return out

    def with_changes(self, key_name: Callable[[str], str] | None = None, **changes: Any) -> ValidationSettings:
        """A validated copy with some values changed (e.g. from CLI flags); ``key_name`` renames keys in errors
        (then no file is named)."""
        merged = self.as_file() | changes
        try:
            out = validate_settings(type(self), merged, file=self.source or "<settings>")
        except InputError as err:
            raise InputError(err.message, file=None if key_name else (self.source or None),
                             key=(key_name or (lambda k: k))(err.key or "")) from None
        out._source = self.source
        return out


def load_settings(path: str | Path | None = None) -> ValidationSettings:
    """Read and validate back-test settings (default ``weights/validation.yaml``); errors name file and key."""
    source = Path(path) if path is not None else DEFAULT_SETTINGS
    label = str(source)
    data = read_yaml(source, label) or {}
    if not isinstance(data, dict):
        raise InputError("back-test settings must be a YAML mapping of key: value", file=label)
    out = validate_settings(ValidationSettings, data, file=label)
    out._source = label
    return out
