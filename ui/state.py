"""Session state: the scenario ↔ widgets mapping, restoring from the address or the store, messages.

The scenario travels in ``?s=<token>`` (rewritten on every run), so a refresh or a shared link restores
it; a saved scenario of the same name also brings back its saved runs (``ui.runs.restore_results``).
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from prioritizer import scenario
from prioritizer.errors import InputError
from prioritizer.report.view_tables import filter_options
from ui import runs

ss = st.session_state
EDIT_KEYS = ("priority_edits", "funding_edits", "non_state", "overrides", "data_files")


def encode_scenario_token(scen: dict[str, Any]) -> str:
    body = {k: v for k, v in scen.items() if k != "version"}
    return scenario.encode_token(body | {"version": scenario.SCENARIO_VERSION})


def scenario_to_widgets(scen: dict[str, Any], options: dict[str, list[str]] | None = None) -> None:
    """Put a scenario's values into the widget keys (before the widgets are drawn) and the edits."""
    profs = runs.profiles()
    ss["scenario_name"] = scen["name"]
    ss["profile"] = scen["profile"] if scen["profile"] in profs else "default"
    for cat, w in scen["category_weights"].items():
        ss[f"w_{cat}"] = int(round(float(w)))
    for con, w in scen["construct_weights"].items():
        ss[f"cw_{con}"] = float(min(3.0, max(0.0, float(w))))
    for key in ("normalisation", "aggregation", "missing", "priority_basis", "marking", "presentation"):
        ss[key] = scen[key]
    opts = options or {}
    for key in ("commands", "regions", "types"):
        chosen = scen["filters"].get(key, [])
        ss[f"f_{key}"] = [c for c in chosen if c in opts.get(key, chosen)]
    scope = scen.get("scope") or {}
    command = scope.get("command")
    ss["scope_mode"] = "one" if command and command in opts.get("commands", [command]) else "all"
    if ss["scope_mode"] == "one":
        ss["scope_command"] = command
    ss["normalise_within_scope"] = bool(scope.get("normalise_within", False))
    ss["budget"] = scen["budget_usd_m"]
    ss["edits"] = {k: scen[k] for k in EDIT_KEYS}
    if scen.get("partner"):
        ss["partner"] = scen["partner"]
    ss["editor_version"] = ss.get("editor_version", 0) + 1


def scenario_from_widgets() -> dict[str, Any]:
    """The current scenario dict from the widgets and the stored edits."""
    prof = runs.profiles()[ss["profile"]]
    scen = scenario.default_scenario()
    one = ss.get("scope_mode") == "one"
    scen.update({
        "name": (ss.get("scenario_name") or "").strip() or "Untitled scenario",
        "profile": ss["profile"],
        "category_weights": {c: float(ss.get(f"w_{c}", 0)) for c in prof.category_weights},
        "construct_weights": {c: float(ss.get(f"cw_{c}", 1.0)) for c in prof.construct_weights},
        "normalisation": ss["normalisation"], "aggregation": ss["aggregation"], "missing": ss["missing"],
        "priority_basis": ss["priority_basis"],
        "filters": {"commands": list(ss.get("f_commands", [])), "regions": list(ss.get("f_regions", [])),
                    "types": list(ss.get("f_types", []))},
        "scope": {"command": ss.get("scope_command") if one else None,
                  "normalise_within": bool(ss.get("normalise_within_scope", False)) and one},
        "budget_usd_m": None if ss.get("budget") is None else float(ss["budget"]),
        "marking": (ss.get("marking") or "").strip() or scenario.DEFAULT_MARKING,
        "presentation": bool(ss.get("presentation", False)),
        "partner": ss.get("partner"),
    })
    scen.update({k: ss["edits"].get(k, scen[k]) for k in EDIT_KEYS})
    return scen


def on_profile_change() -> None:
    """A new profile resets the weight sliders and method choices to that profile's values."""
    settings = scenario.profile_settings(runs.profiles()[ss["profile"]])
    for cat, w in settings["category_weights"].items():
        ss[f"w_{cat}"] = int(w)
    for con, w in settings["construct_weights"].items():
        ss[f"cw_{con}"] = float(min(3.0, w))
    for key in ("normalisation", "aggregation", "missing"):
        ss[key] = settings[key]


def _restore_saved_runs(name: str) -> None:
    """Saved runs of the scenario named in the address (if it is saved): shown without re-running."""
    try:
        store = scenario.open_store(scenario.default_db_path(os.environ))
        if store.exists(name):
            runs.restore_results(store, name)
    except InputError as exc:  # the store is unusable: the scenario still opens, without its saved runs
        runs.LOG.warning("saved runs of %r not restored: %s", name, exc)


def boot() -> None:
    """First run of a browser session: restore the scenario from the address (and its saved runs)."""
    if "scenario" in ss:
        return
    ss["boot_msgs"] = []
    ss["upload_msgs"] = {}
    ss["runs"] = {}
    ss["uploads"] = {}
    base = scenario.default_scenario(runs.profiles()["default"])
    scen = base
    token = st.query_params.get("s")
    if token:
        try:
            scen, notes = scenario.normalise_scenario(scenario.decode_token(token), base)
            ss["boot_msgs"] += [("warning", f"Scenario in the address: {n}") for n in notes]
            _restore_saved_runs(scen["name"])
        except InputError as exc:
            ss["boot_msgs"].append(("error", f"{exc}. The default scenario is shown instead."))
    options = filter_options(runs.base_dataset(scen["priority_basis"], None).partners)
    scenario_to_widgets(scen, options)
    ss["scenario"] = scen


def apply_pending_load() -> None:
    """A scenario loaded from the database is applied before any widget is drawn, with its saved runs."""
    pending = ss.pop("pending_scenario", None)
    if pending is None:
        return
    name, payload, store = pending
    scen, notes = scenario.normalise_scenario(payload, scenario.default_scenario(runs.profiles()["default"]))
    for n in notes:
        flash("warning", f"Loaded scenario: {n}")
    options = filter_options(runs.base_dataset(scen["priority_basis"], None).partners)
    scenario_to_widgets(scen, options)
    ss["runs"] = {}
    try:
        runs.restore_results(store, name)
    except InputError as exc:
        flash("warning", f"The saved runs of '{name}' could not be read ({exc}).")


def flash(kind: str, text: str) -> None:
    """A message shown once on the next run (after a callback or st.rerun)."""
    ss.setdefault("flash", []).append((kind, text))


def show_messages() -> None:
    for kind, text in ss.pop("boot_msgs", []) + ss.pop("flash", []):
        getattr(st, kind)(text)
