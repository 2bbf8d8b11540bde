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


# ------------------------------------------------------------------------------------ the scenario model


def test_the_scenario_model_has_every_scenario_entry_and_accepts_the_default():
    from prioritizer import scenario, scenario_model

    base = scenario.default_scenario()
    assert set(scenario_model.ScenarioModel.model_fields) == set(base)
    checked = scenario_model.ScenarioModel.model_validate(base)
    assert checked.model_dump(by_alias=True) == base


def test_a_bad_scenario_entry_is_named_and_falls_back_while_the_rest_opens():
    from prioritizer import scenario, scenario_model

    base = scenario.default_scenario()
    scen, notes = scenario_model.normalise({
        "name": "Brief", "aggregation": "median", "presentation": "yes",
        "construct_weights": {"alignment": "2.5", "capacity": True},
        "scope": {"command": "EUCOM", "normalise_within": True},
        "overrides": [{"partner_id": "KEN", "construct": "rule_of_law", "value": 55, "rationale": "  "},
                      {"partner_id": "KEN", "construct": "rule_of_law", "value": "60", "rationale": "IMF review"}],
    }, base)
    assert scen["name"] == "Brief" and scen["aggregation"] == "arithmetic" and scen["presentation"] is False
    assert scen["construct_weights"] == {"alignment": 2.5}  # numeric text is a number, a flag is not
    assert scen["scope"] == {"command": "EUCOM", "normalise_within": True}
    assert scen["overrides"] == [{"partner_id": "KEN", "construct": "rule_of_law", "value": 60.0,
                                  "rationale": "IMF review"}]
    assert "aggregation: must be one of 'arithmetic' or 'geometric' (got 'median'); ignored" in notes
    assert any(n.startswith("construct_weights.capacity:") for n in notes), notes
    assert "overrides[0] ignored: column 'rationale': an override needs a written rationale" in notes


def test_the_edit_form_check_names_the_column():
    from prioritizer.scenario_model import check_non_state

    with pytest.raises(InputError, match="priority must be 1 – 5") as err:
        check_non_state({"partner_id": "militia-x", "name": "X", "command": "AFRICOM", "priority": 7})
    assert err.value.column == "priority"
    with pytest.raises(InputError, match="already used"):
        check_non_state({"partner_id": "militia-x", "name": "X", "command": "AFRICOM"}, existing=["militia-x"])
