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

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from prioritizer.errors import InputError
from prioritizer.scenario_model import normalise
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


