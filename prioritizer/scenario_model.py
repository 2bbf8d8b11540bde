"""The scenario model (pydantic): what a saved scenario or a shared link (``?s=`` token) may hold.

A scenario comes from outside (a link someone pasted, a database row), so it is checked entry by entry:
an entry that does not fit the model falls back to the default with one note saying why, and the rest of
the scenario still opens. Mapping entries (weights, edits) and record lists (non-state partners,
overrides) are checked item by item, so one bad slider value does not discard the others.

Limits: at most ``MAX_RECORDS`` items per list or mapping, text cut to ``MAX_TEXT`` characters, keys to
``MAX_KEY``; money in US$ M/yr.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from prioritizer.data.partners import NON_STATE_ID
from prioritizer.data.planner_inputs import MAX_FUNDING_USD_M
from prioritizer.domain import COMMANDS
from prioritizer.errors import InputError
from prioritizer.settings_model import message_for

NORMALISATIONS = ("minmax", "percentile", "zscore")
AGGREGATIONS = ("arithmetic", "geometric")
MISSING_POLICIES = ("available", "knn")
PRIORITY_BASES = ("proxy", "neutral")
MAX_RECORDS = 500
MAX_TEXT = 200
MAX_KEY = 80
WEIGHT_RANGES = {"category_weights": (0.0, 100.0), "construct_weights": (0.0, 3.0),
                 "priority_edits": (1.0, 5.0), "funding_edits": (0.0, MAX_FUNDING_USD_M)}
"""Per-entry bounds of the mapping entries (the sliders' and edit forms' ranges)."""


def number(value: Any) -> float | None:
    """A finite float from a number or numeric text, else None (bools are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def _as_number(value: Any) -> float:
    out = number(value)
    if out is None:
        raise ValueError(f"{str(value)[:40]!r} is not a number")
    return out


def _text(limit: int) -> Any:
    """Text stripped and cut to ``limit`` characters; None becomes ''; a mapping or list is refused."""
    def clean(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Mapping | list | tuple | set | bool):
            raise ValueError(f"must be text (got {type(value).__name__})")
        return str(value).strip()[:limit]
    return BeforeValidator(clean)


def _required(what: str) -> Any:
    def check(value: str) -> str:
        if not value:
            raise ValueError(what)
        return value
    return AfterValidator(check)


def _one_of(options: Iterable[str], what: str) -> Any:
    allowed = tuple(options)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{what} {value[:40]!r} is not one of {', '.join(allowed)}")
        return value
    return AfterValidator(check)


def Bounded(low: float, high: float, what: str) -> Any:  # noqa: N802 (a type factory)
    """A finite number (or numeric text) from ``low`` to ``high``; ``what`` names it in the message."""
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"{what} must be {low:g} – {high:,g} (got {value:g})")
        return value
    return Annotated[float, BeforeValidator(_as_number), AfterValidator(check)]


def _slug(value: str) -> str:
    if not NON_STATE_ID.match(value):
        raise ValueError("a non-state partner id must be a lower-case slug of 2–63 letters, digits, '-' or '_', "
                         f"e.g. 'kurdish-peshmerga' (got {value[:40]!r})")
    return value


def _key(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty text id")
    return value[:MAX_KEY]


def _name(value: str) -> str:
    if not value or len(value) > MAX_TEXT:
        raise ValueError(f"name must be 1–{MAX_TEXT} characters")
    return value


Text = Annotated[str, _text(MAX_TEXT)]


class Record(BaseModel):
    """A list item of a scenario: extra fields are dropped, values are checked."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class NonStatePartner(Record):
    """A non-state partner added by a planner (the Edit data form and a scenario's ``non_state`` list)."""

    partner_id: Annotated[str, _text(200), AfterValidator(_slug)]
    name: Annotated[str, _text(10_000), AfterValidator(_name)]
    command: Annotated[str, _text(MAX_TEXT), _one_of(COMMANDS, "unknown combatant command")]
    region: Text = ""
    subregion: Text = ""
    priority: Bounded(1.0, 5.0, "priority") = 3.0
    baseline_usd_m: Bounded(0.0, MAX_FUNDING_USD_M, "baseline funding (US$ M)") = 0.0


class ConstructOverride(Record):
    """A planner's override of one construct score, with its written rationale."""

    partner_id: Annotated[str, BeforeValidator(_key)]
    construct_id: Annotated[str, BeforeValidator(_key)] = Field(alias="construct")  # `construct` is a BaseModel name
    value: Bounded(0.0, 100.0, "override value (a score)")
    rationale: Annotated[str, _text(2000), _required("an override needs a written rationale")]
    author: Annotated[str | None, BeforeValidator(lambda v: v[:MAX_TEXT] if isinstance(v, str) else None)] = None
    date: Annotated[str | None, BeforeValidator(lambda v: v[:MAX_TEXT] if isinstance(v, str) else None)] = None


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("must be a list of names")
    return [str(x)[:MAX_TEXT] for x in value[:MAX_RECORDS] if isinstance(x, str | int) and not isinstance(x, bool)]


Names = Annotated[list[str], BeforeValidator(_names)]


class Filters(Record):
    """Sidebar filters: commands, regions and partner types shown (empty = all)."""

    commands: Names = []
    regions: Names = []
    types: Names = []


class ScenarioScope(Record):
    """A command planner's scope: one command's partners (None = all), normalised within it or globally."""

    command: Annotated[str | None, BeforeValidator(lambda v: str(v)[:MAX_TEXT] if isinstance(v, str) and v
                                                   else None)] = None
    normalise_within: Annotated[bool, BeforeValidator(lambda v: v is True)] = False


def _data_files(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k)[:MAX_KEY]: str(v)[:MAX_TEXT] for k, v in list(value.items())[:20]
            if isinstance(v, str | int | float)}


def _partner(value: Any) -> str | None:
    return str(value)[:MAX_KEY] if isinstance(value, str | int) and not isinstance(value, bool) else None


def _budget(value: Any) -> float | None:
    if value is None:
        return None
    num = number(value)
    if num is None or not 0 <= num <= MAX_FUNDING_USD_M:
        raise ValueError(f"budget {str(value)[:40]!r} is not a number from 0 to {MAX_FUNDING_USD_M:,.0f} US$ M")
    return num


class ScenarioModel(BaseModel):
    """Every entry a scenario may carry, with its type and default. ``normalise`` checks entries one by one
    against these fields; the mapping and list entries are checked item by item (see the module doc)."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    name: Text = "Untitled scenario"
    profile: Text = "default"
    category_weights: dict[str, Bounded(*WEIGHT_RANGES["category_weights"], "category weight (%)")] = {}
    construct_weights: dict[str, Bounded(*WEIGHT_RANGES["construct_weights"], "construct weight")] = {}
    normalisation: Literal[NORMALISATIONS] = "minmax"  # type: ignore[valid-type]
    aggregation: Literal[AGGREGATIONS] = "arithmetic"  # type: ignore[valid-type]
    missing: Literal[MISSING_POLICIES] = "available"  # type: ignore[valid-type]
    priority_basis: Literal[PRIORITY_BASES] = "proxy"  # type: ignore[valid-type]
    filters: Filters = Filters()
    scope: ScenarioScope = ScenarioScope()
    budget_usd_m: Annotated[float | None, BeforeValidator(_budget)] = None
    priority_edits: dict[str, Bounded(*WEIGHT_RANGES["priority_edits"], "priority")] = {}
    funding_edits: dict[str, Bounded(*WEIGHT_RANGES["funding_edits"], "funding (US$ M)")] = {}
    non_state: list[NonStatePartner] = []
    overrides: list[ConstructOverride] = []
    marking: Text = "UNCLASSIFIED"
    presentation: Annotated[bool, BeforeValidator(lambda v: v is True)] = False
    partner: Annotated[str | None, BeforeValidator(_partner)] = None
    data_files: Annotated[dict[str, str], BeforeValidator(_data_files)] = {}


MAPPING_ENTRIES = tuple(WEIGHT_RANGES)
RECORD_ENTRIES = {"non_state": NonStatePartner, "overrides": ConstructOverride}
_ADAPTERS = {name: TypeAdapter(field.annotation if not field.metadata else Annotated[(field.annotation,
                                                                                      *field.metadata)])
             for name, field in ScenarioModel.model_fields.items()}
_ITEM_ADAPTERS = {key: TypeAdapter(ScenarioModel.model_fields[key].annotation.__args__[1])  # dict[str, X] → X
                  for key in MAPPING_ENTRIES}


def _why(error: ValidationError, model: type[BaseModel] = ScenarioModel) -> tuple[str, str]:
    """(field, planner-facing sentence) for a validation error's first problem."""
    first = error.errors(include_url=False)[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    return field, message_for(model, first)


def check_record(kind: str, rec: Any) -> dict[str, Any]:
    """One ``non_state`` or ``overrides`` record as the model checks it; an InputError names the column."""
    model = RECORD_ENTRIES[kind]
    if not isinstance(rec, Mapping):
        raise InputError("not a record")
    try:
        checked = model.model_validate(dict(rec))
    except ValidationError as exc:
        column, why = _why(exc, model)
        raise InputError(why, column=column or None) from None
    return checked.model_dump(exclude_none=True, by_alias=True)


def check_non_state(rec: Mapping[str, Any], existing: Iterable[str] = ()) -> dict[str, Any]:
    """A non-state partner record checked as the app's form checks it; InputError names the field."""
    out = check_record("non_state", rec)
    if out["partner_id"] in set(existing):
        raise InputError(f"partner id {out['partner_id']!r} is already used", column="partner_id")
    return out


def _mapping(key: str, value: Any, notes: list[str]) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        notes.append(f"{key} is not a mapping; ignored")
        return None
    clean = {}
    for k, v in list(value.items())[:MAX_RECORDS]:
        if not isinstance(k, str) or len(k) > MAX_KEY:
            notes.append(f"{key}.{str(k)[:40]}: not a valid id; ignored")
            continue
        try:
            clean[k] = _ITEM_ADAPTERS[key].validate_python(v)
        except ValidationError as exc:
            notes.append(f"{key}.{k[:40]}: {_why(exc)[1]}; ignored")
    return clean


def _records(key: str, value: Any, notes: list[str]) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        notes.append(f"{key} is not a list of records; ignored")
        return None
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(value[:MAX_RECORDS]):
        try:
            row = (check_non_state(rec, [r["partner_id"] for r in rows]) if key == "non_state"
                   else check_record(key, rec))
        except InputError as exc:
            notes.append(f"{key}[{i}] ignored: {exc}")
            continue
        rows.append(row)
    return rows


def normalise(data: Any, base: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check a scenario dict against :class:`ScenarioModel`; unusable entries keep ``base``'s value and get a
    note. Returns the cleaned scenario and one message per entry (or item) ignored; never raises."""
    out = copy.deepcopy(dict(base))  # the caller's base (often a shared default) is never changed
    notes: list[str] = []
    if not isinstance(data, Mapping):
        return out, ["the scenario is not a mapping; defaults used"]
    for key, value in data.items():
        if not isinstance(key, str) or key not in ScenarioModel.model_fields or key not in out:
            notes.append(f"unknown scenario entry {str(key)[:40]!r} ignored")
            continue
        if key == "version":
            continue
        if key in MAPPING_ENTRIES:
            clean = _mapping(key, value, notes)
        elif key in RECORD_ENTRIES:
            clean = _records(key, value, notes)
        else:
            try:
                checked = _ADAPTERS[key].validate_python(value)
            except ValidationError as exc:
                why = _why(exc)[1]
                notes.append(f"{key}: {why}; ignored" if not why.startswith(("budget ", key)) else f"{why}; ignored")
                continue
            clean = checked.model_dump() if isinstance(checked, BaseModel) else checked
        if clean is not None:
            out[key] = clean
    return out, notes
