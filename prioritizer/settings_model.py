"""Settings files as validated data: one pydantic model per file, errors that name the file and key.

Each settings file (``weights/*.yaml``) and the scenario token has a model derived from
:class:`SettingsModel`. :func:`validate_settings` runs the model and turns pydantic's first error into an
:class:`~prioritizer.errors.InputError` a planner can act on, e.g.
``file 'matching.yaml', key 'high_cost_ratio': must be a number (got 'two')``.

Keys are written as in the file: ``mechanisms[2].effect`` is the ``effect`` of the third mechanism.
A model may name list items by an id instead (``mechanisms.fmf.effect``) by overriding
:meth:`SettingsModel.key_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from prioritizer.errors import InputError

M = TypeVar("M", bound="SettingsModel")


class SettingsModel(BaseModel):
    """Base of every settings model: unknown keys are refused, values are immutable once loaded.

    ``strict=True``: a number must be written as a number (``"two"`` and ``"2"`` are refused, ``2`` and
    ``2.0`` pass), a flag as ``true``/``false``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @classmethod
    def key_for(cls, raw: Any, loc: Sequence[str | int]) -> str:
        """The key path shown to the planner for a pydantic error location."""
        return key_path(loc)


def key_path(loc: Sequence[str | int]) -> str:
    """``("mechanisms", 2, "effect")`` → ``"mechanisms[2].effect"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names of the (sub)model that holds ``loc``'s last key, for "unknown key (expected: …)"."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        annotation = field.annotation
        for arg in (*getattr(annotation, "__args__", ()), annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def message_for(model: type[BaseModel], error: dict[str, Any]) -> str:
    """One planner-facing sentence for one pydantic error."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        expected = _fields_at(model, error["loc"])
        return f"unknown key (expected: {', '.join(expected)})" if expected else "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind in {"float_type", "float_parsing", "int_type", "int_parsing", "int_from_float", "finite_number"}:
        what = "a whole number" if kind.startswith("int") else "a finite number" if kind == "finite_number" \
            else "a number"
        return f"must be {what} (got {_got(value)})"
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false (got {_got(value)})"
    if kind in {"string_type", "str_type"}:
        return f"must be text (got {_got(value)})"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"must be a mapping of key: value (got {_got(value)})"
    if kind in {"list_type", "tuple_type"}:
        return f"must be a list (got {_got(value)})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')} (got {_got(value)})"
    bounds = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        return f"must be {bounds[kind]} {limit:g} (got {_got(value)})"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']} (got {_got(value)})"


def validate_settings(model: type[M], raw: Any, *, file: str | Path, prefix: str = "") -> M:
    """``model`` validated from parsed YAML/JSON ``raw``; the first problem is an InputError naming
    ``file`` and the key (``prefix`` is put before the key path when ``raw`` is one section of a file)."""
    if not isinstance(raw, dict):
        raise InputError(f"must be a mapping of key: value (got {_got(raw)})", file=file, key=prefix or None)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(error["loc"])
        key = model.key_for(raw, loc)
        if prefix:
            key = f"{prefix}.{key}" if key else prefix
        raise InputError(message_for(model, error), file=file, key=key or None) from None
