"""The scenario: one JSON-ready dict holding every choice that determines the outputs, and its checks.

A scenario (see :func:`default_scenario`) holds the weight profile and weights, method choices, filters, scope,
budget, priority and funding edits, non-state partners and construct overrides (each with a rationale), the
marking line and presentation mode. It round-trips through the URL token (:mod:`prioritizer.scenario_token`)
and the scenario store (:mod:`prioritizer.store`).

Every entry is checked by :func:`normalise` against the same bounds the app's widgets and forms enforce
(category weights 0–100 as on the sliders, construct weights 0–3, priorities 1–5, funding and budget 0 –
US$ 1 trillion, non-state partners with a slug id, a known command and a name). An entry that fails is
dropped with a note and its default kept, so a hostile or stale link never crashes the page and never slips
past the form's checks (``../x`` as an id, a negative baseline, an unknown command, a weight of 150).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from prioritizer.data.partners import NON_STATE_ID
from prioritizer.data.planner_inputs import MAX_FUNDING_USD_M
from prioritizer.domain import COMMANDS
from prioritizer.errors import InputError
from prioritizer.scenario_token import decode_scenario, encode_scenario
from prioritizer.scoring.scope import ALL as ALL_PARTNERS
from prioritizer.scoring.scope import Scope, resolve_scope
from prioritizer.scoring.settings import WeightProfile
from prioritizer.store import ScenarioStore

VIEWS: dict[str, str] = {
    "top_sheet": "Top sheet",
    "matrix": "Priority × propensity",
    "map": "World map",
    "profile": "Partner profile",
    "allocation": "Allocation & frontier",
    "bullbear": "Bullish / bearish",
    "robustness": "Robustness",
    "data": "Data & sources",
    "edit": "Edit data",
    "scenarios": "Scenarios",
}
"""View id (the ``?view=`` query parameter) → label shown in the navigation."""

DEFAULT_VIEW = "top_sheet"
NORMALISATIONS = ("minmax", "percentile", "zscore")
AGGREGATIONS = ("arithmetic", "geometric")
MISSING_POLICIES = ("available", "knn")
PRIORITY_BASES = ("proxy", "neutral")
SCENARIO_VERSION = 1
DEFAULT_MARKING = "UNCLASSIFIED"


def view_from_param(value: Any) -> tuple[str, str | None]:
    """The view id for a ``?view=`` value, and a message when the value is unknown (default view then)."""
    if value is None or value == "":
        return DEFAULT_VIEW, None
    text = str(value).strip().lower().replace("-", "_")
    aliases = {"top": "top_sheet", "ranking": "top_sheet", "frontier": "allocation", "bullish": "bullbear",
               "sources": "data", "edit_data": "edit", "scenario": "scenarios"}
    text = aliases.get(text, text)
    if text in VIEWS:
        return text, None
    return DEFAULT_VIEW, f"Unknown view {str(value)!r} in the address; showing the {VIEWS[DEFAULT_VIEW]}."


# ------------------------------------------------------------------------------------ checks (the model)

WEIGHT_RANGES = {"category_weights": (0.0, 100.0), "construct_weights": (0.0, 3.0),
                 "priority_edits": (1.0, 5.0), "funding_edits": (0.0, MAX_FUNDING_USD_M)}
"""Per-entry bounds of the mapping entries (the sliders' and edit forms' ranges)."""
MAX_RECORDS = 500
MAX_TEXT = 200
MAX_KEY = 80


def number(value: Any) -> float | None:
    """A finite float from a number or numeric text, else None (bools are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def check_non_state(rec: Mapping[str, Any], existing: Iterable[str] = ()) -> dict[str, Any]:
    """A non-state partner record checked as the app's form checks it; InputError names the field."""
    pid = str(rec.get("partner_id") or "").strip()
    if not NON_STATE_ID.match(pid):
        raise InputError("a non-state partner id must be a lower-case slug of 2–63 letters, digits, '-' or '_', "
                         f"e.g. 'kurdish-peshmerga' (got {pid[:40]!r})", column="partner_id")
    if pid in set(existing):
        raise InputError(f"partner id {pid!r} is already used", column="partner_id")
    name = str(rec.get("name") or "").strip()
    if not name or len(name) > MAX_TEXT:
        raise InputError(f"name must be 1–{MAX_TEXT} characters", column="name")
    command = rec.get("command")
    if command not in COMMANDS:
        raise InputError(f"unknown combatant command {str(command)[:40]!r}", column="command")
    prio = number(rec.get("priority", 3.0))
    if prio is None or not 1 <= prio <= 5:
        raise InputError("priority must be 1–5", column="priority")
    base = number(rec.get("baseline_usd_m", 0.0))
    if base is None or not 0 <= base <= MAX_FUNDING_USD_M:
        raise InputError(f"baseline funding must be 0 – {MAX_FUNDING_USD_M:,.0f} US$ M", column="baseline_usd_m")
    return {"partner_id": pid, "name": name, "command": command,
            "region": str(rec.get("region") or "").strip()[:MAX_TEXT],
            "subregion": str(rec.get("subregion") or "").strip()[:MAX_TEXT], "priority": prio,
            "baseline_usd_m": base}


def _check_override(rec: Mapping[str, Any]) -> dict[str, Any]:
    pid, con = rec.get("partner_id"), rec.get("construct")
    if not isinstance(pid, str) or not isinstance(con, str) or not pid or not con:
        raise InputError("an override needs a partner_id and a construct", column="partner_id")
    value = number(rec.get("value"))
    if value is None or not 0 <= value <= 100:
        raise InputError("override value must be a score from 0 to 100", column="value")
    why = str(rec.get("rationale") or "").strip()
    if not why:
        raise InputError("an override needs a written rationale", column="rationale")
    out = {"partner_id": pid[:MAX_KEY], "construct": con[:MAX_KEY], "value": value, "rationale": why[:2000]}
    for extra in ("author", "date"):
        if isinstance(rec.get(extra), str):
            out[extra] = rec[extra][:MAX_TEXT]
    return out


def normalise(data: Any, base: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check a scenario dict against the model; unusable entries fall back to ``base`` with a note.

    Returns the cleaned scenario and one message per entry that was ignored (never raises).
    """
    out = copy.deepcopy(dict(base))
    notes: list[str] = []
    if not isinstance(data, Mapping):
        return out, ["the scenario is not a mapping; defaults used"]
    for key, value in data.items():
        if not isinstance(key, str) or key not in out:
            notes.append(f"unknown scenario entry {str(key)[:40]!r} ignored")
            continue
        default = out[key]
        if key in WEIGHT_RANGES:
            low, high = WEIGHT_RANGES[key]
            if not isinstance(value, Mapping):
                notes.append(f"{key} is not a mapping; ignored")
                continue
            clean = {}
            for k, v in list(value.items())[:MAX_RECORDS]:
                num = number(v)
                if not isinstance(k, str) or len(k) > MAX_KEY or num is None or not low <= num <= high:
                    notes.append(f"{key}.{str(k)[:40]}: {str(v)[:40]!r} is not a number from {low:g} to {high:,g}; "
                                 "ignored")
                    continue
                clean[k] = num
            out[key] = clean
        elif key in ("non_state", "overrides"):
            if not isinstance(value, list):
                notes.append(f"{key} is not a list of records; ignored")
                continue
            clean_rows: list[dict[str, Any]] = []
            for i, rec in enumerate(value[:MAX_RECORDS]):
                try:
                    if not isinstance(rec, Mapping):
                        raise InputError("not a record")
                    row = (check_non_state(rec, [r["partner_id"] for r in clean_rows]) if key == "non_state"
                           else _check_override(rec))
                except InputError as exc:
                    notes.append(f"{key}[{i}] ignored: {exc}")
                    continue
                clean_rows.append(row)
            out[key] = clean_rows
        elif key == "filters":
            if not isinstance(value, Mapping):
                notes.append("filters is not a mapping; ignored")
                continue
            out[key] = {f: [str(x)[:MAX_TEXT] for x in (value.get(f) or [])[:MAX_RECORDS]
                            if isinstance(x, str | int) and not isinstance(x, bool)]
                        if isinstance(value.get(f) or [], list) else []
                        for f in ("commands", "regions", "types")}
        elif key == "scope":
            if not isinstance(value, Mapping):
                notes.append("scope is not a mapping; ignored")
                continue
            command = value.get("command")
            out[key] = {"command": str(command)[:MAX_TEXT] if isinstance(command, str) and command else None,
                        "normalise_within": value.get("normalise_within") is True}
        elif key == "budget_usd_m":
            num = number(value)
            if value is not None and (num is None or not 0 <= num <= MAX_FUNDING_USD_M):
                notes.append(f"budget {str(value)[:40]!r} is not a number from 0 to {MAX_FUNDING_USD_M:,.0f} US$ M; "
                             "ignored")
                continue
            out[key] = num
        elif key == "presentation":
            out[key] = value is True
        elif key == "version":
            continue
        elif key in ("normalisation", "aggregation", "missing", "priority_basis"):
            options = {"normalisation": NORMALISATIONS, "aggregation": AGGREGATIONS,
                       "missing": MISSING_POLICIES, "priority_basis": PRIORITY_BASES}[key]
            if value not in options:
                notes.append(f"{key} {str(value)[:40]!r} is not one of {', '.join(options)}; ignored")
                continue
            out[key] = value
        elif key == "data_files":
            out[key] = ({str(k)[:MAX_KEY]: str(v)[:MAX_TEXT] for k, v in list(value.items())[:20]
                         if isinstance(v, str | int | float)} if isinstance(value, Mapping) else {})
        elif key == "partner":
            out[key] = str(value)[:MAX_KEY] if isinstance(value, str | int) and not isinstance(value, bool) else None
        else:
            if value is None or isinstance(value, Mapping | list):
                notes.append(f"{key} has the wrong type; ignored")
                continue
            out[key] = str(value)[:MAX_TEXT] if isinstance(default, str) else value
    return out, notes


# ---------------------------------------------------------------------------------- the scenario dict


def default_scenario(profile: WeightProfile | None = None) -> dict[str, Any]:
    """A fresh scenario; with a :class:`WeightProfile`, its weights and method choices are copied in."""
    scen: dict[str, Any] = {
        "version": SCENARIO_VERSION,
        "name": "Untitled scenario",
        "profile": "default",
        "category_weights": {},
        "construct_weights": {},
        "normalisation": "minmax",
        "aggregation": "arithmetic",
        "missing": "available",
        "priority_basis": "proxy",
        "filters": {"commands": [], "regions": [], "types": []},
        "scope": {"command": None, "normalise_within": False},
        "budget_usd_m": None,
        "priority_edits": {},
        "funding_edits": {},
        "non_state": [],
        "overrides": [],
        "marking": DEFAULT_MARKING,
        "presentation": False,
        "partner": None,
        "data_files": {},
    }
    if profile is not None:
        scen.update(profile_settings(profile))
    return scen


def profile_settings(profile: WeightProfile) -> dict[str, Any]:
    """Scenario entries taken from a weight profile: category weights as shares (%), construct weights, methods."""
    cat = {k: float(v) for k, v in profile.category_weights.items()}
    total = sum(cat.values()) or 1.0
    return {
        "category_weights": {k: int(round(100.0 * v / total)) for k, v in cat.items()},
        "construct_weights": {k: float(v) for k, v in profile.construct_weights.items()},
        "normalisation": profile.normalisation,
        "aggregation": profile.aggregation,
        "missing": profile.missing,
    }



def normalise_scenario(data: Any, base: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Check a scenario dict from a URL or the database against the scenario model
    (:func:`normalise`) with the marking line never blank; unusable entries fall back to ``base``.

    Returns the cleaned scenario and one message per entry that was ignored (never raises).
    """
    out, notes = normalise(data, base if base is not None else default_scenario())
    if not str(out.get("marking", "")).strip():
        out["marking"] = DEFAULT_MARKING
    return out, notes


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


SCORING_KEYS = ("profile", "category_weights", "construct_weights", "normalisation", "aggregation", "missing",
                "priority_basis", "priority_edits", "funding_edits", "non_state", "overrides", "scope")


def scoring_key(scenario: Mapping[str, Any], data_key: str = "") -> str:
    """Hash of everything that changes the scores (not filters, name, marking or view)."""
    part = {k: scenario.get(k) for k in SCORING_KEYS}
    return hashlib.sha256((_canonical(part) + "|" + data_key).encode()).hexdigest()[:16]


def run_key(scenario: Mapping[str, Any], data_key: str = "", extra: Any = None) -> str:
    """Hash of what an optimizer / robustness run depends on: the scores, the budget and ``extra``."""
    text = scoring_key(scenario, data_key) + "|" + _canonical(scenario.get("budget_usd_m")) + "|" + _canonical(extra)
    return hashlib.sha256(text.encode()).hexdigest()[:16]



def encode_token(scenario: Mapping[str, Any]) -> str:
    """A URL-safe token of a scenario (:func:`prioritizer.scenario_token.encode_scenario`)."""
    return encode_scenario(dict(scenario))


def decode_token(token: str) -> dict[str, Any]:
    """Decode a URL token; raises InputError with a readable reason when it is damaged."""
    return dict(decode_scenario(token))



def default_db_path(env: Mapping[str, str]) -> Path:
    """The scenario database: ``PRIORITIZER_SCENARIO_DB`` or ``scenarios.db`` in the working folder."""
    text = (env.get("PRIORITIZER_SCENARIO_DB") or "").strip()
    return Path(text) if text else Path.cwd() / "scenarios.db"


def open_store(path: str | Path) -> ScenarioStore:
    """The scenario database at ``path`` (InputError if it cannot be used; nothing is overwritten)."""
    return ScenarioStore(path)


def store_table(store: ScenarioStore) -> pd.DataFrame:
    """Saved scenarios (name, created, updated) for the Scenarios view."""
    return store.list().reset_index(drop=True)


def share_url(page_url: str | None, view: str, token: str) -> str:
    """The shareable address of a view and scenario (relative when the page address is unknown)."""
    query = f"?view={view}&s={token}"
    if not page_url:
        return query
    return str(page_url).split("?", 1)[0] + query


def store_names(store: ScenarioStore) -> list[str]:
    """Saved scenario names in the store's order."""
    return [str(n) for n in store.list()["name"]]



def build_profile(base: WeightProfile, scenario: Mapping[str, Any]) -> WeightProfile:
    """The base weight profile with the scenario's category / construct weights and method choices."""
    profile = base
    cats = {k: float(v) for k, v in (scenario.get("category_weights") or {}).items() if k in base.category_weights}
    if cats:
        profile = profile.with_category_weights(cats)
    cons = {k: float(v) for k, v in (scenario.get("construct_weights") or {}).items()
            if k in base.construct_weights}
    if cons:
        profile = profile.with_construct_weights(cons)
    method = {k: scenario[k] for k in ("normalisation", "aggregation", "missing") if scenario.get(k)}
    if method:
        profile = profile.with_method(**method)
    return profile


def scenario_scope(scenario: Mapping[str, Any], partners: pd.DataFrame) -> tuple[Scope, list[str]]:
    """The scenario's scope (one command or all) checked against the partners; a command the data does not
    have falls back to all commands with a note (never raises)."""
    spec = scenario.get("scope") or {}
    command = spec.get("command")
    if not command:
        return ALL_PARTNERS, []
    try:
        return resolve_scope([command], partners, bool(spec.get("normalise_within", False)), flag="Scope"), []
    except InputError as exc:
        return ALL_PARTNERS, [f"{exc}; showing all commands"]


def overrides_frame(scenario: Mapping[str, Any]) -> pd.DataFrame:
    """The scenario's construct overrides as a table (partner_id, construct, value, rationale)."""
    cols = ["partner_id", "construct", "value", "rationale"]
    rows = [{c: r.get(c) for c in cols} for r in scenario.get("overrides") or []]
    frame = pd.DataFrame(rows, columns=cols)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


