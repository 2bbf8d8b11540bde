"""What each app view shows, as small pure pandas functions (no Streamlit here).

``app.py`` wires widgets to these functions and renders what they return; everything a planner sees
(filters, the top sheet, profile tables with source and year, compare tables, the scenario settings,
the workbook sheets) is built here so it can be tested without a browser.

A *scenario* is one JSON-ready dict (see :func:`default_scenario`) holding every choice that
determines the outputs: weight profile and weights, method choices, filters, budget, priority and
funding edits, non-state partners and construct overrides (each with a rationale), the marking line
and presentation mode. It round-trips through the URL token and the scenario database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prioritizer import scenario_model
from prioritizer.domain import CATEGORY_LABELS, COMMANDS
from prioritizer.errors import InputError
from prioritizer.load import Dataset
from prioritizer.scope import ALL as ALL_PARTNERS
from prioritizer.scope import Scope, allocation_for_scope, resolve_scope

# --------------------------------------------------------------------------------------------- views

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


def category_label(cat: str) -> str:
    """Readable label of a category id (or ``<id>_score`` column)."""
    key = str(cat).removesuffix("_score")
    return CATEGORY_LABELS.get(key, key.replace("_", " ").capitalize())


# ------------------------------------------------------------------------------------------ scenario


def default_scenario(profile: Any | None = None) -> dict[str, Any]:
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


def profile_settings(profile: Any) -> dict[str, Any]:
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


def _num(value: Any, default: float | None) -> float | None:
    if isinstance(value, bool) or value is None:
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if np.isfinite(out) else default


def normalise_scenario(data: Any, base: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Check a scenario dict from a URL or the database against the scenario model
    (:func:`prioritizer.scenario_model.normalise`); unusable entries fall back to ``base``.

    Returns the cleaned scenario and one message per entry that was ignored (never raises).
    """
    out, notes = scenario_model.normalise(data, base if base is not None else default_scenario())
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
    """A URL-safe token of a scenario (``prioritizer.scenarios.encode_scenario``)."""
    from prioritizer.scenarios import encode_scenario

    return encode_scenario(dict(scenario))


def decode_token(token: str) -> dict[str, Any]:
    """Decode a URL token; raises InputError with a readable reason when it is damaged."""
    from prioritizer.scenarios import decode_scenario

    return dict(decode_scenario(token))


def settings_frame(scenario: Mapping[str, Any]) -> pd.DataFrame:
    """The scenario's settings as a two-column table (setting, value) for the workbook and the page."""
    rows = [("Scenario", scenario.get("name", "")), ("Weight profile", scenario.get("profile", "")),
            ("Normalisation", scenario.get("normalisation")), ("Aggregation", scenario.get("aggregation")),
            ("Missing data", scenario.get("missing")), ("Priority basis", scenario.get("priority_basis")),
            ("Budget (US$ M/yr)", "settings default" if scenario.get("budget_usd_m") is None
             else f"{float(scenario['budget_usd_m']):,.1f}")]
    weights = scenario.get("category_weights", {}) or {}
    total = sum(weights.values()) or 1.0
    for cat, w in weights.items():
        rows.append((f"Category weight: {category_label(cat)}", f"{w:g} ({100 * w / total:.0f}% of total)"))
    for con, w in (scenario.get("construct_weights") or {}).items():
        if float(w) != 1.0:
            rows.append((f"Construct weight: {con}", f"{w:g}"))
    scope = scenario.get("scope") or {}
    rows.append(("Scope", (f"{scope['command']} only (its own budget and constraints); normalisation "
                           + ("within the scope" if scope.get("normalise_within") else "over all partners"))
                 if scope.get("command") else "all commands"))
    f = scenario.get("filters") or {}
    for key, label in (("commands", "Filter: commands"), ("regions", "Filter: regions"), ("types", "Filter: types")):
        rows.append((label, ", ".join(f.get(key) or []) or "all"))
    rows.append(("Priority edits", str(len(scenario.get("priority_edits") or {}))))
    rows.append(("Funding edits", str(len(scenario.get("funding_edits") or {}))))
    rows.append(("Non-state partners", ", ".join(r.get("partner_id", "") for r in scenario.get("non_state") or [])
                 or "none"))
    rows.append(("Construct overrides", str(len(scenario.get("overrides") or []))))
    for role, text in (scenario.get("data_files") or {}).items():
        rows.append((f"Uploaded {role} file", str(text)))
    rows.append(("Marking", scenario.get("marking", DEFAULT_MARKING)))
    return pd.DataFrame(rows, columns=["setting", "value"]).astype(str)


# ---------------------------------------------------------------------------------- scenario store


def default_db_path(env: Mapping[str, str]) -> Path:
    """The scenario database: ``PRIORITIZER_SCENARIO_DB`` or ``scenarios.db`` in the working folder."""
    text = (env.get("PRIORITIZER_SCENARIO_DB") or "").strip()
    return Path(text) if text else Path.cwd() / "scenarios.db"


def open_store(path: str | Path) -> Any:
    """The scenario database at ``path`` (InputError if it cannot be used; nothing is overwritten)."""
    from prioritizer.scenarios import ScenarioStore

    return ScenarioStore(path)


def store_table(store: Any) -> pd.DataFrame:
    """Saved scenarios (name, created, updated) for the Scenarios view."""
    return store.list().reset_index(drop=True)


def share_url(page_url: str | None, view: str, token: str) -> str:
    """The shareable address of a view and scenario (relative when the page address is unknown)."""
    query = f"?view={view}&s={token}"
    if not page_url:
        return query
    return str(page_url).split("?", 1)[0] + query


def store_names(store: Any) -> list[str]:
    """Saved scenario names in the store's order."""
    return [str(n) for n in store.list()["name"]]


# ------------------------------------------------------------------------------------------- profile


def build_profile(base: Any, scenario: Mapping[str, Any]) -> Any:
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


# ------------------------------------------------------------------------------------------ dataset


def apply_edits(dataset: Dataset, scenario: Mapping[str, Any]) -> tuple[Dataset, list[str]]:
    """The dataset with the scenario's non-state partners, priority and funding edits applied.

    Returns the new dataset and a note per edit that could not be applied (e.g. a partner that is not in
    an uploaded partners file).
    """
    notes: list[str] = []
    ds = dataset
    non_state = list(scenario.get("non_state") or [])
    if non_state:
        ds = add_non_state_partners(ds, non_state)
    prio = ds.priority.copy()
    basis = dict(ds.priority.attrs.get("basis", {}))
    for pid, value in (scenario.get("priority_edits") or {}).items():
        if pid not in prio.index:
            notes.append(f"priority edit for {pid!r} ignored: not a partner in this data")
            continue
        prio[pid] = float(min(5.0, max(1.0, float(value))))
        basis[pid] = "planner edit in this scenario"
    prio.attrs = dict(ds.priority.attrs)
    prio.attrs["basis"] = basis
    fund = ds.funding.copy()
    for pid, value in (scenario.get("funding_edits") or {}).items():
        if pid not in fund.index:
            notes.append(f"funding edit for {pid!r} ignored: not a partner in this data")
            continue
        fund.loc[pid, "baseline_usd_m"] = max(0.0, float(value))
        if "baseline_basis" in fund.columns:
            fund.loc[pid, "baseline_basis"] = "planner edit in this scenario"
    return ds.with_priority(prio).with_funding(fund), notes


def add_non_state_partners(dataset: Dataset, records: Iterable[Mapping[str, Any]]) -> Dataset:
    """Append non-state partners (no indicator values; scored from their construct overrides)."""
    from dataclasses import replace

    rows = []
    for rec in records:
        pid = str(rec["partner_id"])
        if pid in dataset.partners.index:
            continue
        rows.append(rec)
    if not rows:
        return dataset
    ids = pd.Index([str(r["partner_id"]) for r in rows], name="partner_id")
    new = pd.DataFrame(np.nan, index=ids, columns=dataset.partners.columns)
    new = new.astype({c: object for c in ("name", "partner_type", "command", "region", "subregion")})
    for r in rows:
        pid = str(r["partner_id"])
        new.loc[pid, "name"] = str(r.get("name") or pid)
        new.loc[pid, "partner_type"] = "non-state"
        new.loc[pid, "command"] = str(r.get("command"))
        new.loc[pid, "region"] = str(r.get("region") or "")
        new.loc[pid, "subregion"] = str(r.get("subregion") or "")
    partners = pd.concat([dataset.partners, new.astype(dataset.partners.dtypes.to_dict())])
    years = pd.concat([dataset.years, pd.DataFrame(pd.NA, index=ids, columns=dataset.years.columns)
                       .astype(dataset.years.dtypes.to_dict())])
    std_errors = dataset.std_errors.reindex(partners.index)
    prio = dataset.priority.reindex(partners.index)
    for r in rows:
        prio[str(r["partner_id"])] = float(r.get("priority") or 3.0)
    prio.attrs = dict(dataset.priority.attrs)
    basis = dict(dataset.priority.attrs.get("basis", {}))
    basis.update({str(r["partner_id"]): "planner entry (non-state partner)" for r in rows})
    prio.attrs["basis"] = basis
    fund = dataset.funding.reindex(partners.index)
    for r in rows:
        fund.loc[str(r["partner_id"]), "baseline_usd_m"] = float(r.get("baseline_usd_m") or 0.0)
        if "baseline_basis" in fund.columns:
            fund.loc[str(r["partner_id"]), "baseline_basis"] = "planner entry (non-state partner)"
    fund["baseline_usd_m"] = fund["baseline_usd_m"].fillna(0.0)
    return replace(dataset, partners=partners, years=years, std_errors=std_errors, priority=prio, funding=fund)


def load_base_dataset(priority_basis: str = "proxy", partners: tuple[str, bytes] | None = None,
                      data_dir: str | Path | None = None) -> Dataset:
    """The sample data, or an uploaded partners file ``(name, bytes)`` with the sample's priority and
    funding rows for the partners it lists; priority from the proxy or the neutral file."""
    from prioritizer.load import (
        assemble_dataset,
        load_dataset,
        load_dictionary,
        read_table,
        validate_partners,
    )
    from prioritizer.paths import SAMPLE_DATA_DIR

    folder = Path(data_dir) if data_dir is not None else SAMPLE_DATA_DIR
    prio_path = folder / ("priority_neutral.csv" if priority_basis == "neutral" else "priority_proxy.csv")
    if partners is None:
        return load_dataset(folder, priority=prio_path)
    name, data = partners
    dictionary, constructs = load_dictionary(folder)
    table, years, std_errors = validate_partners(read_table(data, name), dictionary, name)
    return assemble_dataset(table, years, std_errors, dictionary, constructs, priority=prio_path,
                            funding=folder / "funding_baseline.csv", bundled=True,
                            files={"partners": name, "dictionary": str(folder / "indicators.csv"),
                                   "constructs": str(folder / "constructs.csv")})


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


def checked_overrides(scenario: Mapping[str, Any], dataset: Dataset) -> pd.DataFrame | None:
    """Overrides validated against the dataset (InputError names the row); None when there are none."""
    from prioritizer.load import validate_overrides

    frame = overrides_frame(scenario)
    if frame.empty:
        return None
    text = frame.astype({"value": str}).fillna("")
    return validate_overrides(text.astype(str), dataset.partners.index, dataset.constructs.index,
                              "overrides in this scenario")


def new_non_state_partner(partner_id: str, name: str, command: str, region: str, ratings: Mapping[str, float],
                          rationale: str, existing: Iterable[str], constructs: Iterable[str],
                          priority: float = 3.0, baseline_usd_m: float = 0.0) -> tuple[dict, list[dict]]:
    """Validate a non-state partner entered through construct ratings; returns (partner, overrides).

    Raises InputError naming the field at fault. Every rated construct becomes an override carrying
    the rationale.
    """
    partner = scenario_model.check_non_state({"partner_id": partner_id, "name": name, "command": command,
                                              "region": region, "priority": priority,
                                              "baseline_usd_m": baseline_usd_m}, existing)
    pid = partner["partner_id"]
    if not str(rationale or "").strip():
        raise InputError("a non-state partner needs a written rationale for its ratings", column="rationale")
    known = set(constructs)
    over = []
    for con, value in ratings.items():
        if con not in known:
            raise InputError(f"unknown construct {con!r}", column="construct")
        num = _num(value, None)
        if num is None or not 0 <= num <= 100:
            raise InputError(f"rating for {con!r} must be 0–100 (got {value!r})", column=con)
        over.append({"partner_id": pid, "construct": con, "value": float(num), "rationale": str(rationale).strip()})
    if not over:
        raise InputError("rate at least one construct", column="construct")
    return partner, over


def add_override(scenario: Mapping[str, Any], partner_id: str, construct: str, value: float, rationale: str,
                 partner_ids: Iterable[str], constructs: Iterable[str]) -> list[dict]:
    """The scenario's override list with one override added or replaced (InputError on bad input)."""
    if partner_id not in set(partner_ids):
        raise InputError(f"unknown partner id {partner_id!r}", column="partner_id")
    if construct not in set(constructs):
        raise InputError(f"unknown construct {construct!r}", column="construct")
    num = _num(value, None)
    if num is None or not 0 <= num <= 100:
        raise InputError("override value must be a score from 0 to 100", column="value")
    if not str(rationale or "").strip():
        raise InputError("an override needs a written rationale", column="rationale")
    rows = [dict(r) for r in scenario.get("overrides") or []
            if not (r.get("partner_id") == partner_id and r.get("construct") == construct)]
    rows.append({"partner_id": partner_id, "construct": construct, "value": float(num),
                 "rationale": str(rationale).strip()})
    return rows


def edits_from_table(edited: pd.DataFrame, base: pd.Series, column: str) -> dict[str, float]:
    """Partner → value for rows of an edited table whose ``column`` differs from ``base`` (by partner id)."""
    if edited is None or column not in edited or "partner_id" not in edited:
        return {}
    vals = pd.to_numeric(edited[column], errors="coerce")
    out = {}
    for pid, val in zip(edited["partner_id"].astype(str), vals, strict=True):
        if pd.isna(val) or pid not in base.index:
            continue
        old = base.get(pid)
        if old is None or pd.isna(old) or abs(float(old) - float(val)) > 1e-9:
            out[pid] = float(val)
    return out


def priority_table(dataset: Dataset, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Editable priority and baseline table: partner_id, name, command, priority, baseline_usd_m, basis."""
    p = dataset.partners
    basis = dataset.priority.attrs.get("basis", {})
    frame = pd.DataFrame({
        "partner_id": p.index.astype(str),
        "name": p["name"].to_numpy(),
        "command": p["command"].to_numpy(),
        "priority": dataset.priority.reindex(p.index).to_numpy(dtype=float),
        "baseline_usd_m": dataset.funding["baseline_usd_m"].reindex(p.index).fillna(0.0).to_numpy(dtype=float),
        "priority_basis": [basis.get(pid, "") for pid in p.index],
    })
    if scores is not None and "propensity" in scores:
        frame.insert(3, "propensity", scores["propensity"].reindex(p.index).to_numpy(dtype=float))
    return frame.sort_values(["command", "name"]).reset_index(drop=True)


def parse_priority_upload(data: bytes, name: str, dataset: Dataset) -> dict[str, float]:
    """Validate an uploaded priority file (CSV/XLSX) and return the priorities it sets, by partner."""
    from prioritizer.load import read_table, validate_priority

    frame = read_table(data, name)
    series = validate_priority(frame, dataset.partners.index, name)
    listed = set(frame["partner_id"])
    return {pid: float(v) for pid, v in series.items() if pid in listed}


def parse_funding_upload(data: bytes, name: str, dataset: Dataset) -> dict[str, float]:
    """Validate an uploaded baseline funding file (CSV/XLSX); return baseline_usd_m by partner listed."""
    from prioritizer.load import read_table, validate_funding

    frame = read_table(data, name)
    table = validate_funding(frame, dataset.partners.index, name)
    listed = set(frame["partner_id"])
    return {pid: float(v) for pid, v in table["baseline_usd_m"].items() if pid in listed}


def parse_partners_upload(data: bytes, name: str, dictionary: pd.DataFrame) -> int:
    """Validate an uploaded partners file (CSV/XLSX) against the dictionary; return its partner count."""
    from prioritizer.load import read_table, validate_partners

    partners, _, _ = validate_partners(read_table(data, name), dictionary, name)
    return len(partners)


# ---------------------------------------------------------------------------------------- top sheet


def filter_options(scores: pd.DataFrame) -> dict[str, list[str]]:
    """Choices for the command / region / partner-type filters, from the scored partners."""
    commands = [c for c in COMMANDS if c in set(scores["command"])]
    commands += sorted(set(scores["command"].dropna().astype(str)) - set(commands))
    return {
        "commands": commands,
        "regions": sorted({str(r) for r in scores["region"].dropna() if str(r)}),
        "types": sorted({str(t) for t in scores["partner_type"].dropna()}),
    }


def filter_scores(scores: pd.DataFrame, filters: Mapping[str, Iterable[str]] | None) -> pd.DataFrame:
    """Rows of ``scores`` (any frame with command / region / partner_type) matching the filters; empty = all."""
    if not filters:
        return scores
    mask = pd.Series(True, index=scores.index)
    for key, col in (("commands", "command"), ("regions", "region"), ("types", "partner_type")):
        chosen = list(filters.get(key) or [])
        if chosen and col in scores:
            mask &= scores[col].astype(str).isin(chosen)
    return scores[mask]


TOP_SHEET_COLUMNS = ["rank", "name", "command", "region", "partner_type", "propensity"]
CATEGORY_SHORT = {"governance": "Governance", "democracy_rights": "Democracy", "stability": "Stability",
                  "absorptive_capacity": "Capacity", "shared_interests": "Interests", "us_engagement": "US engagement"}
"""Short category headers for the projected top sheet (the full name is the column's tooltip)."""
GLOSSARY = {
    "importance": "How much the partner matters to US priorities in the optimizer's benefit (its priority, 1–5).",
    "benefit": "Expected benefit in effective US$ M: money scaled by propensity, risk and diminishing returns.",
    "relative cost": "Cost of one unit of benefit at this partner relative to the median partner (1 = median; "
                     "lower = cheaper).",
    "risk": "0–1 chance that SC money is wasted (fragility, conflict, human-rights risk); higher = riskier.",
    "coverage": "Share of the scoring weight backed by real data values for this partner; below the threshold "
                "the partner is flagged low confidence.",
    "quadrant": "Priority × propensity: invest (both high), manage expectations (high priority, low propensity), "
                "opportunity (low priority, high propensity), deprioritise (both low).",
}
"""Plain-language meaning of the terms planners meet on cards, tables and charts (tooltips)."""


def top_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The on-screen top sheet: rank, partner, command, propensity, category scores, confidence, matching."""
    cats = [c for c in table.columns if c.endswith("_score")]
    # What a briefing asks first (priority, quadrant, money) sits next to propensity, before the categories.
    match_cols = [c for c in ("priority", "quadrant", "baseline_usd_m", "funding_flag", "coverage", "low_confidence")
                  if c in table.columns]
    back = [c for c in ("overrides", "peers") if c in table.columns]
    front = ["partner_id"] + [c for c in TOP_SHEET_COLUMNS if c in table.columns]
    out = table[front + match_cols + cats + back].copy()
    out["confidence"] = np.where(out.get("low_confidence", False), "LOW", "")
    out = out.drop(columns=[c for c in ("low_confidence",) if c in out])
    return out.sort_values(["rank", "name"], na_position="last").reset_index(drop=True)


def score_colour(value: Any) -> str:
    """CSS background for a 0–100 score: light to dark blue (white text on dark); blank for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return "background-color: #F2F2F2; color: #777777"
    v = float(np.clip(float(value), 0.0, 100.0)) / 100.0
    low, high = np.array([0xF3, 0xF7, 0xFB]), np.array([0x08, 0x30, 0x6B])
    rgb = (low + (high - low) * v).round().astype(int)
    text = "#FFFFFF" if v > 0.55 else "#1A1A1A"
    return f"background-color: #{rgb[0]:02X}{rgb[1]:02X}{rgb[2]:02X}; color: {text}"


def score_colours(frame: pd.DataFrame) -> pd.DataFrame:
    """Vectorised :func:`score_colour` for a frame of 0–100 scores (same index and columns)."""
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    v = np.clip(values, 0.0, 100.0) / 100.0
    low, high = np.array([0xF3, 0xF7, 0xFB], dtype=float), np.array([0x08, 0x30, 0x6B], dtype=float)
    rgb = np.rint(low + (high - low) * np.nan_to_num(v)[..., None]).astype(int)
    hexes = np.char.add(np.char.add(np.char.mod("%02X", rgb[..., 0]), np.char.mod("%02X", rgb[..., 1])),
                        np.char.mod("%02X", rgb[..., 2]))
    css = np.char.add(np.char.add("background-color: #", hexes),
                      np.where(v > 0.55, "; color: #FFFFFF", "; color: #1A1A1A"))
    css = np.where(np.isnan(values), "background-color: #F2F2F2; color: #777777", css)
    return pd.DataFrame(css, index=frame.index, columns=frame.columns)


def ranking_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers above the top sheet."""
    n = len(table)
    low = int(table["low_confidence"].sum()) if "low_confidence" in table else 0
    top = table.sort_values("rank").iloc[0] if n else None
    return {"partners": n, "low_confidence": low,
            "top_name": None if top is None else str(top["name"]),
            "top_score": None if top is None else float(top["propensity"]),
            "median": float(table["propensity"].median()) if n else float("nan")}


# --------------------------------------------------------------------------------------------- profile


def partner_choices(scores: pd.DataFrame) -> list[str]:
    """Partner ids in rank order (partners without a score last)."""
    order = scores.sort_values(["rank", "name"], na_position="last")
    return [str(p) for p in order.index]


def profile_indicator_table(dataset: Dataset, result: Any, partner_id: str) -> pd.DataFrame:
    """One row per indicator for a partner: label, construct, raw value, unit, year, normalised score,
    weight share, imputed flag, source, citation, licence."""
    d = dataset.dictionary
    raw = dataset.partners.loc[partner_id, list(d.index)] if partner_id in dataset.partners.index else \
        pd.Series(np.nan, index=d.index)
    years = dataset.years.loc[partner_id].reindex(d.index) if partner_id in dataset.years.index else \
        pd.Series(pd.NA, index=d.index)
    norm = result.normalised.loc[partner_id].reindex(d.index) if partner_id in result.normalised.index else \
        pd.Series(np.nan, index=d.index)
    imputed = result.imputed.loc[partner_id].reindex(d.index) if partner_id in result.imputed.index else \
        pd.Series(False, index=d.index)
    weights = getattr(result, "indicator_weights", pd.Series(np.nan, index=d.index)).reindex(d.index)
    out = pd.DataFrame({
        "indicator": d["label"].to_numpy(),
        "construct": d["construct"].to_numpy(),
        "value": pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float),
        "unit": d["unit"].to_numpy(),
        "year": pd.array(years.to_numpy(), dtype="Int64"),
        "score_0_100": (norm.to_numpy(dtype=float) * 100.0),
        "weight_pct": weights.to_numpy(dtype=float) * 100.0,
        "imputed": imputed.fillna(False).astype(bool).to_numpy(),
        "direction": np.where(d["direction"].to_numpy() > 0, "higher is better", "lower is better"),
        "source": d["source"].to_numpy(),
        "citation": d["citation"].to_numpy(),
        "licence": d["licence"].to_numpy(),
    }, index=pd.Index(d.index, name="indicator_id"))
    return out.reset_index()


def profile_overrides(scenario: Mapping[str, Any], partner_id: str, constructs: pd.DataFrame) -> pd.DataFrame:
    """This partner's construct overrides with the construct label and rationale."""
    frame = overrides_frame(scenario)
    frame = frame[frame["partner_id"] == partner_id].copy()
    labels = constructs["construct_label"] if "construct_label" in constructs else pd.Series(dtype=object)
    frame.insert(2, "construct_label", frame["construct"].map(labels).fillna(frame["construct"]))
    return frame.reset_index(drop=True)


def partner_peers(peers: pd.DataFrame, scores: pd.DataFrame, partner_id: str) -> pd.DataFrame:
    """The partner's nearest peers with their command, propensity and rank."""
    cols = ["peer_rank", "peer_id", "peer_name", "command", "propensity", "rank", "distance"]
    if peers is None or peers.empty:
        return pd.DataFrame(columns=cols)
    mine = peers[peers["partner_id"] == partner_id].copy()
    if "peer_name" not in mine:
        mine["peer_name"] = scores["name"].reindex(mine["peer_id"]).to_numpy()
    for col in ("command", "propensity", "rank"):
        mine[col] = scores[col].reindex(mine["peer_id"]).to_numpy()
    return mine[cols].reset_index(drop=True)


def partner_headline(scores: pd.DataFrame, partner_id: str) -> dict[str, Any]:
    """Headline facts for the profile view."""
    row = scores.loc[partner_id]
    n_cmd = int((scores["command"] == row["command"]).sum())
    return {
        "name": str(row["name"]), "command": str(row["command"]), "region": str(row.get("region", "")),
        "partner_type": str(row.get("partner_type", "")),
        "propensity": float(row["propensity"]) if pd.notna(row["propensity"]) else None,
        "rank": None if pd.isna(row["rank"]) else int(row["rank"]), "of": int(scores["rank"].notna().sum()),
        "rank_in_command": None if pd.isna(row.get("rank_in_command")) else int(row["rank_in_command"]),
        "of_command": n_cmd, "coverage": float(row.get("coverage", np.nan)),
        "low_confidence": bool(row.get("low_confidence", False)),
        "priority": float(row.get("priority", np.nan)), "quadrant": str(row.get("quadrant", "")),
        "baseline_usd_m": float(row.get("baseline_usd_m", 0.0) or 0.0),
        "funding_flag": str(row.get("funding_flag", "") or ""),
    }


# ---------------------------------------------------------------------------------------- data view


def coverage_table(dataset: Dataset) -> pd.DataFrame:
    """Per indicator: how many partners have a value, the share, and the range of data years."""
    d = dataset.dictionary
    raw = dataset.partners[list(d.index)]
    states = dataset.partners["partner_type"] == "state"
    have = raw[states].notna()
    years = dataset.years.reindex(columns=d.index)
    out = pd.DataFrame({
        "indicator_id": d.index,
        "indicator": d["label"].to_numpy(),
        "category": [category_label(c) for c in d["category"]],
        "partners_with_data": have.sum().to_numpy(),
        "coverage_pct": (100.0 * have.mean()).to_numpy(),
        "year_min": pd.array([years[c].min() for c in d.index], dtype="Int64"),
        "year_max": pd.array([years[c].max() for c in d.index], dtype="Int64"),
        "dictionary_year": d["year"].to_numpy(),
    })
    return out


def partner_coverage(scores: pd.DataFrame) -> pd.DataFrame:
    """Partners by data coverage band (share of weight backed by real values)."""
    bands = pd.cut(scores["coverage"] * 100.0, [-0.1, 40, 60, 80, 99.999, 100],
                   labels=["< 40%", "40–60%", "60–80%", "80–99%", "100%"])
    out = bands.value_counts().reindex(bands.cat.categories).rename_axis("coverage").reset_index(name="partners")
    return out


def licence_table(dictionary: pd.DataFrame) -> pd.DataFrame:
    """One row per source: licence, citation and the indicators that use it."""
    g = dictionary.reset_index().groupby(["source", "licence", "citation"], sort=False)["indicator_id"]
    return g.agg(lambda s: ", ".join(s)).reset_index().rename(columns={"indicator_id": "indicators"})


def dictionary_table(dictionary: pd.DataFrame) -> pd.DataFrame:
    """The indicator dictionary for display (id first)."""
    cols = ["label", "category", "construct", "direction", "unit", "transform", "year", "source", "citation",
            "licence"]
    return dictionary.reset_index()[["indicator_id", *[c for c in cols if c in dictionary.columns]]]


# ------------------------------------------------------------------------------------ matrix & map


def matrix_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Partners per quadrant (with command breakdown) for the matrix view."""
    if "quadrant" not in scores:
        return pd.DataFrame(columns=["quadrant", "partners"])
    order = ["invest", "manage expectations", "opportunity", "deprioritise"]
    counts = scores["quadrant"].value_counts().reindex(order).fillna(0).astype(int)
    return counts.rename_axis("quadrant").reset_index(name="partners")


def quadrant_members(scores: pd.DataFrame, quadrant: str, n: int = 12) -> pd.DataFrame:
    """Best-ranked partners in a quadrant."""
    sub = scores[scores["quadrant"] == quadrant].sort_values("rank")
    return sub[["name", "command", "priority", "propensity"]].head(n).reset_index(drop=True)


MAP_VALUES = ("propensity", "governance_score", "democracy_rights_score", "stability_score",
              "absorptive_capacity_score", "shared_interests_score", "us_engagement_score", "priority",
              "baseline_usd_m")


def map_value_label(value: str) -> str:
    """Label of a choropleth value."""
    if value == "propensity":
        return "Propensity (0–100)"
    if value.endswith("_score"):
        return f"{category_label(value)} (0–100)"
    return {"priority": "US priority (1–5)", "baseline_usd_m": "Baseline funding (US$ M/yr)"}.get(value, value)


# ------------------------------------------------------------------------------------------ allocation


COLUMN_DISPLAY: dict[str, tuple[str, str, str]] = {
    # column: (header, kind, printf format or "" for text). kind: text | number | percent | money
    "partner_id": ("ID", "text", ""), "name": ("Partner", "text", ""), "command": ("Command", "text", ""),
    "partner_type": ("Type", "text", ""), "priority": ("Priority", "number", "%.0f"),
    "propensity": ("Propensity", "number", "%.1f"),
    "propensity_p5": ("Propensity p5", "number", "%.1f"), "propensity_p95": ("Propensity p95", "number", "%.1f"),
    "baseline_usd_m": ("Baseline $M", "money", "%.1f"), "allocation_usd_m": ("Recommended $M", "money", "%.1f"),
    "change_usd_m": ("Change $M", "money", "%+.1f"), "change_pct": ("Change %", "number", "%+.0f%%"),
    "benefit": ("Benefit", "number", "%.2f"),
    "marginal_benefit_per_usd_m": ("Benefit of next $1M", "number", "%.3f"),
    "lower_usd_m": ("Floor $M", "money", "%.1f"), "upper_usd_m": ("Cap $M", "money", "%.1f"),
    "mechanism": ("Mechanism id", "text", ""), "label": ("Mechanism", "text", ""),
    "partners_funded": ("Partners funded", "number", "%d"),
    "constraint": ("Constraint", "text", ""), "group": ("Kind", "text", ""), "subject": ("Applies to", "text", ""),
    "amount_usd_m": ("Limit $M", "money", "%.1f"), "dual": ("Benefit of +$1M on the limit", "number", "%+.4f"),
    "rank": ("Rank", "number", "%d"), "rank_p5": ("Rank p5", "number", "%d"),
    "rank_p50": ("Rank median", "number", "%d"), "rank_p95": ("Rank p95", "number", "%d"),
    "p_top10": ("P(top 10)", "percent", "%.0f%%"),
    "base_call": ("Call today", "text", ""), "p_bullish": ("P(bullish)", "percent", "%.0f%%"),
    "p_bearish": ("P(bearish)", "percent", "%.0f%%"), "funded_share": ("P(funded)", "percent", "%.0f%%"),
    "core_class": ("Robust core", "text", ""), "tip_delta": ("Share change", "percent", "%+.0f pp"),
    "tip_category": ("Category changed", "text", ""), "tip_share": ("Category share at the tip", "percent", "%.0f%%"),
    "tip_change": ("Effect", "text", ""), "rank_a": ("Rank A", "number", "%d"), "rank_b": ("Rank B", "number", "%d"),
    "rank_shift": ("Rank shift (+ = up in B)", "number", "%+d"), "propensity_a": ("Propensity A", "number", "%.1f"),
    "propensity_b": ("Propensity B", "number", "%.1f"), "propensity_change": ("Change", "number", "%+.1f"),
    "usd_m_a": ("A $M", "money", "%.1f"), "usd_m_b": ("B $M", "money", "%.1f"),
    "delta_usd_m": ("B − A $M", "money", "%+.1f"), "note": ("Note", "text", ""),
}
"""How app tables show a column: header, kind and format. Percent kinds hold shares 0–1 (shown ×100)."""


def column_display(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """Display spec for the known columns of a table: {column: {"label", "kind", "format"}}.

    Unknown columns are left out (shown as they are). Money columns are US$ millions per year.
    """
    return {c: {"label": COLUMN_DISPLAY[c][0], "kind": COLUMN_DISPLAY[c][1], "format": COLUMN_DISPLAY[c][2]}
            for c in columns if c in COLUMN_DISPLAY}


def as_display_percent(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every percent-kind column (shares 0–1) multiplied by 100 for display."""
    out = frame.copy()
    for c, spec in column_display(out.columns).items():
        if spec["kind"] == "percent":
            out[c] = pd.to_numeric(out[c], errors="coerce") * 100.0
    return out


def allocation_table(partners: pd.DataFrame) -> pd.DataFrame:
    """Allocation per partner for display: baseline, recommended, change ($ and %), benefit, limits."""
    cols = ["name", "command", "partner_type", "priority", "propensity", "baseline_usd_m", "allocation_usd_m",
            "change_usd_m", "change_pct", "benefit", "marginal_benefit_per_usd_m", "lower_usd_m", "upper_usd_m"]
    have = [c for c in cols if c in partners.columns]
    out = partners[have].copy()
    out.insert(0, "partner_id", out.index.astype(str))
    sort = "allocation_usd_m" if "allocation_usd_m" in out else have[0]
    return out.sort_values(sort, ascending=False).reset_index(drop=True)


def mechanism_summary(mechanisms: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Totals by mechanism: baseline, recommended, change, partners funded."""
    g = mechanisms.groupby("mechanism", sort=False)
    out = pd.DataFrame({
        "baseline_usd_m": g["baseline_usd_m"].sum(),
        "allocation_usd_m": g["allocation_usd_m"].sum(),
        "partners_funded": g["allocation_usd_m"].apply(lambda s: int((s > 1e-6).sum())),
    })
    out["change_usd_m"] = out["allocation_usd_m"] - out["baseline_usd_m"]
    out = out.reset_index()
    if labels:
        out.insert(1, "label", out["mechanism"].map(labels).fillna(out["mechanism"]))
    return out


def mechanism_long(mechanisms: pd.DataFrame, partners: pd.DataFrame,
                   labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Partner × mechanism rows with the partner's command (for the stacked mechanism chart)."""
    out = mechanisms[mechanisms["allocation_usd_m"] > 1e-9].copy()
    out["command"] = out["partner_id"].map(partners["command"])
    if labels:
        out["mechanism"] = out["mechanism"].map(labels).fillna(out["mechanism"])
    return out


def binding_table(binding: pd.DataFrame, limit: int = 25) -> pd.DataFrame:
    """Binding constraints with the largest marginal values first."""
    if binding is None or binding.empty:
        return pd.DataFrame(columns=["constraint", "amount_usd_m", "dual"])
    out = binding.copy()
    out["abs_dual"] = out["dual"].abs()
    out = out.sort_values("abs_dual", ascending=False, na_position="last").drop(columns="abs_dual")
    return out.head(limit).reset_index(drop=True)


# ------------------------------------------------------------------------------------ bullish / bearish


def bullbear_cards(table: pd.DataFrame, robust: pd.DataFrame | None = None) -> dict[str, dict[str, list[dict]]]:
    """Cards per command: {command: {"bullish": [card, …], "bearish": [card, …]}}.

    A card has name, change_usd_m, importance, expected_benefit, relative_cost, risk, rationale and,
    when robustness has been run, p_bullish / p_bearish (0–1).
    """
    out: dict[str, dict[str, list[dict]]] = {}
    if table is None or table.empty:
        return out
    commands = [c for c in COMMANDS if c in set(table["command"])] + sorted(set(table["command"]) - set(COMMANDS))
    for command in commands:
        out[command] = {"bullish": [], "bearish": []}
        rows = table[table["command"] == command].sort_values(["side", "rank"])
        for _, r in rows.iterrows():
            card = {k: (None if k not in r or pd.isna(r[k]) else r[k]) for k in
                    ("partner_id", "name", "change_usd_m", "importance", "expected_benefit", "relative_cost",
                     "risk", "baseline_usd_m", "allocation_usd_m", "roi_per_usd_m", "rationale", "rank")}
            for col in ("p_bullish", "p_bearish", "core_class", "rank_p5", "rank_p95"):
                val = None
                if robust is not None and col in robust.columns and r["partner_id"] in robust.index:
                    v = robust.at[r["partner_id"], col]
                    val = None if pd.isna(v) else v
                card[col] = val
            side = str(r["side"])
            if side in out[command]:
                out[command][side].append(card)
    return out


def card_html(card: Mapping[str, Any], side: str, compact: bool = False) -> str:
    """One bullish/bearish entry as HTML: name, $ change, ROI components, robustness, rationale (escaped);
    ``compact`` (presentation mode) leaves the rationale out so six commands fit one screen."""
    import html

    css = "pp-bull" if side == "bullish" else "pp-bear"
    prob = card.get("p_bullish") if side == "bullish" else card.get("p_bearish")
    robust = f" · P({side}) {pct(prob)}" if prob is not None else ""

    def tip(term: str) -> str:
        return f'<abbr title="{html.escape(GLOSSARY[term])}">{term}</abbr>'

    def num(key: str, fmt: str) -> str:
        v = card.get(key)
        return "–" if v is None or pd.isna(v) else format(float(v), fmt)

    return (f'<div class="pp-item"><b>{html.escape(str(card.get("name") or card.get("partner_id")))}</b> '
            f'<span class="{css}">{money(card.get("change_usd_m"))}</span><br>'
            f'<span class="pp-small">{tip("importance")} {num("importance", ".0f")} · {tip("benefit")} '
            f'{num("expected_benefit", ".2f")} · {tip("relative cost")} {num("relative_cost", ".2f")} · '
            f'{tip("risk")} {num("risk", ".2f")}{robust}</span>'
            + ("" if compact else f'<br><span class="pp-small">{html.escape(short_rationale(card.get("rationale")))}'
               '</span>') + '</div>')


def short_rationale(text: Any) -> str:
    """The rationale without what the card already shows: the leading "Surge +$x M: " / "Reduce −$x M: "
    and the trailing "; priority n" (kept: "held at its minimum" and the drivers)."""
    import re

    out = str(text or "")
    out = re.sub(r"^(Surge|Reduce) [+−-]?\$[\d,.]+ ?M( \(([^)]*)\))?: ", lambda m: f"{m.group(3)}: " if m.group(3)
                 else "", out)
    out = re.sub(r"; priority \d+(\.\d+)?$", "", out)
    return out[:1].upper() + out[1:]


def offsets_text(offsets: pd.DataFrame, command: str) -> str:
    """One line under a command card: listed surge, listed cuts and the command's total change."""
    frame = offsets.set_index("command") if "command" in offsets.columns else offsets
    if command not in frame.index:
        return ""
    row = frame.loc[command]
    text = f"listed surge {money(row.get('surge_usd_m'))} · listed cuts {money(-float(row.get('offsets_usd_m', 0)))}"
    if "command_change_usd_m" in row and pd.notna(row["command_change_usd_m"]):
        text += f" · command total {money(row['command_change_usd_m'])}"
    return text


def money(x: Any, signed: bool = True) -> str:
    """US$ millions as text, e.g. '+$12.3M' (signed) or '$12.3M'."""
    if x is None or pd.isna(x):
        return "–"
    v = float(x)
    if not signed:
        return f"${v:,.1f}M"
    sign = "+" if v > 0 else "−" if v < 0 else ""
    return f"{sign}${abs(v):,.1f}M"


def pct(x: Any) -> str:
    """A 0–1 share as a percentage, '–' when missing."""
    return "–" if x is None or pd.isna(x) else f"{100 * float(x):.0f}%"


# --------------------------------------------------------------------------------------------- compare


def compare_rankings(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rank shift per partner from scenario A to B (``report.compare_rankings``) with the command added;
    positive ``rank_shift`` = moves up in B. Largest shifts first."""
    from prioritizer.report import compare_rankings as _compare

    out = _compare(a, b)
    command = a["command"].reindex(out.index).fillna(b["command"].reindex(out.index)) if "command" in a else None
    if command is not None:
        out.insert(1 if "name" in out else 0, "command", command)
    out.insert(0, "partner_id", out.index.astype(str))
    return out.reset_index(drop=True)


def compare_allocations(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Recommended US$ M per partner in allocations A and B and the change (B − A), largest first."""
    from prioritizer.report import compare_allocations as _compare

    out = _compare(a, b, value_col="allocation_usd_m")
    if "name" not in out:
        out.insert(0, "name", a["name"].reindex(out.index).fillna(b["name"].reindex(out.index)))
    out.insert(1, "command", a["command"].reindex(out.index).fillna(b["command"].reindex(out.index)))
    out.insert(0, "partner_id", out.index.astype(str))
    return out.reset_index(drop=True)


def compare_settings(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    """Settings that differ between two scenarios."""
    fa, fb = settings_frame(a).set_index("setting")["value"], settings_frame(b).set_index("setting")["value"]
    both = fa.to_frame("a").join(fb.to_frame("b"), how="outer").fillna("")
    diff = both[both["a"] != both["b"]]
    return diff.reset_index()


# ---------------------------------------------------------------------------------------------- exports


def indicators_sheet(dataset: Dataset) -> pd.DataFrame:
    """Long table: partner, indicator, value, unit, year, source, citation, licence (for the workbook)."""
    d = dataset.dictionary
    raw = dataset.partners[list(d.index)]
    long = raw.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["partner_id", "indicator_id", "value"]
    years = dataset.years.reindex(columns=d.index).stack(future_stack=True).rename("year").reset_index()
    years.columns = ["partner_id", "indicator_id", "year"]
    out = long.merge(years, on=["partner_id", "indicator_id"], how="left")
    out = out[out["value"].notna()]
    out.insert(1, "name", out["partner_id"].map(dataset.partners["name"]))
    meta = d[["label", "unit", "source", "citation", "licence"]]
    out = out.join(meta, on="indicator_id")
    return out[["partner_id", "name", "indicator_id", "label", "value", "unit", "year", "source", "citation",
                "licence"]].reset_index(drop=True)


def workbook_sheets(ranked: pd.DataFrame, scenario: Mapping[str, Any], dataset: Dataset,
                    allocation: pd.DataFrame | None = None, bullbear: pd.DataFrame | None = None,
                    robustness: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Sheets of the Excel export, in order: Rankings, Allocation, Bullish-bearish, Robustness,
    Indicators & sources (values with source, year, citation, licence), Scenario settings, Overrides."""
    sheets: dict[str, pd.DataFrame] = {"Rankings": ranked}
    if allocation is not None:
        sheets["Allocation"] = allocation
    else:
        sheets["Allocation"] = pd.DataFrame({"note": ["The optimizer has not been run for this scenario."]})
    if bullbear is not None:
        sheets["Bullish-bearish"] = bullbear
    if robustness is not None:
        sheets["Robustness"] = robustness
    sheets["Indicators & sources"] = indicators_sheet(dataset)
    from prioritizer.report import scenario_settings_frame

    sheets["Scenario settings"] = scenario_settings_frame(dict(scenario))
    over = overrides_frame(scenario)
    sheets["Overrides"] = over if not over.empty else pd.DataFrame(
        {"note": ["No construct overrides in this scenario."]})
    return sheets


def file_stem(scenario_name: str, what: str, today: dt.date | None = None) -> str:
    """A safe download file name stem: <what>_<scenario>_<YYYY-MM-DD>."""
    day = (today or dt.date.today()).isoformat()
    slug = "".join(ch if ch.isalnum() else "-" for ch in str(scenario_name).strip().lower()).strip("-")
    slug = "-".join(filter(None, slug.split("-")))[:40] or "scenario"
    return f"{what}_{slug}_{day}"


# -------------------------------------------------------------------------------------------- robustness


def run_robustness(module: Any, result: Any, dataset: Dataset, profile: Any, allocation_settings: Any,
                   budget: float | None) -> dict[str, Any]:
    """Monte Carlo over weights, tornado and tipping points through ``prioritizer.robustness``.

    Returns {"partners": per-partner robustness, "tornado": long tornado frame, "tipping": tipping-point
    rows for partners that have a bullish/bearish call or a tipping point, "log": lines}.
    """
    if module is None:
        raise InputError("the robustness module is not available in this build")
    settings = module.load_settings()
    run = allocation_for_scope(result.scores, dataset, allocation_settings, budget)
    inputs, allocation_settings, budget = run.inputs, run.settings, run.budget_usd_m
    mc = module.monte_carlo(result, profile, settings, inputs, allocation_settings, budget, dataset=dataset)
    tor = module.tornado(result, profile, settings.tornado_swing, settings.tornado_points)
    tips = module.tipping_points(result, profile, inputs, allocation_settings, budget, settings)
    tp = tips.partners
    keep = (tp["base_call"].fillna("") != "") | tp["tip_delta"].notna()
    return {"partners": mc.partners, "tornado": tor, "tipping": tipping_table(tp[keep]),
            "log": list(mc.log) + list(tips.log)}


def tornado_for(tornado: pd.DataFrame, partner_id: str) -> pd.DataFrame:
    """A partner's tornado rows in the shape ``charts.tornado_chart`` draws (base, weight lowered / raised)."""
    rows = tornado[tornado["partner_id"] == partner_id]
    if rows.empty:
        raise InputError(f"no tornado for partner {partner_id!r} (it has no score)", key="partner")
    return pd.DataFrame({"category": rows["category"].to_numpy(),
                         "low_score": rows["score_at_low"].to_numpy(dtype=float),
                         "high_score": rows["score_at_high"].to_numpy(dtype=float),
                         "base_score": rows["score_base"].to_numpy(dtype=float)})


def tipping_table(tipping: pd.DataFrame) -> pd.DataFrame:
    """Tipping points for display: partner, command, call today, the smallest share change that flips it."""
    out = tipping.copy()
    if "tip_category" in out:
        out["tip_category"] = out["tip_category"].map(lambda c: category_label(c) if isinstance(c, str) else c)
    out = out.drop(columns=[c for c in ("partner_id",) if c in out.columns])
    out.insert(0, "partner_id", out.index.astype(str))
    out = out.reset_index(drop=True)
    if "base_call" in out:
        out["base_call"] = _call_text(out["base_call"])
    if "tip_delta" in out:
        out = out.assign(_o=out["tip_delta"].abs()).sort_values(["_o", "partner_id"], na_position="last")
        out = out.drop(columns="_o")
    return out.reset_index(drop=True)


def robustness_table(partners: pd.DataFrame) -> pd.DataFrame:
    """Robustness per partner for display and export: rank, interval, probabilities, core class."""
    cols = ["name", "command", "propensity", "propensity_p5", "propensity_p95", "rank", "rank_p5", "rank_p50",
            "rank_p95", "p_top10", "base_call", "p_bullish", "p_bearish", "funded_share", "core_class"]
    have = [c for c in cols if c in partners.columns]
    out = partners[have].copy()
    out.insert(0, "partner_id", out.index.astype(str))
    if "base_call" in out:
        out["base_call"] = _call_text(out["base_call"])
    return out.sort_values("rank" if "rank" in out else have[0]).reset_index(drop=True)


def _call_text(calls: pd.Series) -> pd.Series:
    """Bullish/bearish call for display; partners on neither list read "neither" rather than blank."""
    return calls.astype(object).where(calls.notna() & (calls.astype(str).str.strip() != ""), "neither")


# ------------------------------------------------------------------------------------------- briefing


def briefing_charts(charts: Any, scores: pd.DataFrame, matching: Any, topojson: str | Path,
                    allocation: Any | None = None) -> dict[str, Any]:
    """Title → Altair chart for the briefing pack (allocation charts only when an allocation exists)."""
    from prioritizer.match import propensity_cut

    out = {
        "Propensity ranking — top 30": charts.ranking_bar(scores, top_n=30),
        "Priority × propensity": charts.matrix_chart(scores, matching.priority_threshold,
                                                     propensity_cut(scores["propensity"], matching)),
        "World map — propensity": charts.world_map(scores, topojson),
    }
    if allocation is not None:
        out["Allocation by command"] = charts.allocation_by_command(allocation.partners)
        out["Change vs baseline"] = charts.change_bars(allocation.partners, top_n=15)
    return out


# ------------------------------------------------------------------------------------------- back-test


def backtest_table(table: pd.DataFrame) -> pd.DataFrame:
    """The back-test table for display: outcome, years, n, partial Spearman and interval, raw, note."""
    out = pd.DataFrame({
        "Outcome": table["label"], "Change over": table["as_of"].astype(str) + "→" + table["horizon"].astype(str),
        "Partners": table["n"], "Partial Spearman": table["rho_partial"].round(2),
        "Interval low": table["ci_low"].round(2), "Interval high": table["ci_high"].round(2),
        "Raw Spearman": table["rho_raw"].round(2), "Spearman with start level": table["rho_start"].round(2),
        "Left out of propensity": table["excluded_indicators"], "Note": table["note"]})
    return out.reset_index(drop=True)


def run_backtest(settings_path: str | Path | None = None) -> dict[str, Any]:
    """Run ``prioritizer.validate.backtest`` on the bundled panels: {"table", "display", "caveats", "log"}."""
    from prioritizer import validate

    result = validate.backtest(validate.load_settings(settings_path))
    return {"table": result.table, "display": backtest_table(result.table), "caveats": list(result.caveats),
            "log": result.log}
