"""The shared settings-model base: planner-facing messages naming the file and key."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, ValidationError, field_validator

from prioritizer.errors import InputError
from prioritizer.settings_model import SettingsModel, validate_settings


class Item(SettingsModel):
    id: str
    effect: float = Field(ge=0, le=10)


class Demo(SettingsModel):
    name: str
    ratio: float = 1.0
    solver: Literal["auto", "highs"] = "auto"
    items: list[Item] = []

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


def _error(raw: object, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        validate_settings(Demo, raw, file="weights/demo.yaml", **kw)
    return str(info.value)


def test_valid_settings_are_returned_frozen() -> None:
    demo = validate_settings(Demo, {"name": "x", "ratio": 2, "items": [{"id": "a", "effect": 1}]}, file="d.yaml")
    assert demo.ratio == 2.0 and demo.items[0].effect == 1.0
    with pytest.raises(ValidationError):
        demo.ratio = 3.0  # type: ignore[misc]


@pytest.mark.parametrize(("raw", "expected"), [
    ({"name": "x", "ratio": "two"}, "file 'demo.yaml', key 'ratio': must be a number (got 'two')"),
    ({"name": "x", "ratio": "2"}, "file 'demo.yaml', key 'ratio': must be a number (got '2')"),
    ({"name": "x", "colour": 1}, "file 'demo.yaml', key 'colour': unknown key (expected: name, ratio, solver, items)"),
    ({"ratio": 1}, "file 'demo.yaml', key 'name': required key is missing"),
    ({"name": " "}, "file 'demo.yaml', key 'name': must not be blank"),
    ({"name": "x", "solver": "cplex"},
     "file 'demo.yaml', key 'solver': must be one of 'auto' or 'highs' (got 'cplex')"),
    ({"name": "x", "items": [{"id": "a", "effect": 1}, {"id": "b", "effect": -1}]},
     "file 'demo.yaml', key 'items[1].effect': must be ≥ 0 (got -1)"),
    ({"name": "x", "items": [{"id": "a", "effect": 1, "x": 0}]},
     "file 'demo.yaml', key 'items[0].x': unknown key (expected: id, effect)"),
    (["name"], "file 'demo.yaml': must be a mapping of key: value (got ['name'])"),
])
def test_errors_name_file_key_and_value(raw: object, expected: str) -> None:
    assert _error(raw) == expected


def test_prefix_places_a_section_inside_its_file() -> None:
    assert _error({"name": "x", "ratio": "two"}, prefix="matching") == \
        "file 'demo.yaml', key 'matching.ratio': must be a number (got 'two')"
