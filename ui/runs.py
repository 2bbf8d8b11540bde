"""Every run the UI makes, in one place: settings and data loading, scoring, the optimizer, the frontier,
robustness and the back-test (all cached), the run state of a session, and the saved results that travel
with a scenario (``prioritizer.run_results`` codec, ``ScenarioStore.save_result`` / ``load_results``).

Pages never call the library's run functions themselves: they call these.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pandas as pd
import streamlit as st

from prioritizer import domain, pipeline, scenario
from prioritizer import run_results as RR
from prioritizer.allocation.settings_file import load_settings
from prioritizer.data.edits import load_base_dataset
from prioritizer.errors import InfeasibleError, InputError
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.scoring.scope import ALL, Scope
from prioritizer.scoring.settings import list_profiles, load_matching_settings, load_profile

ss = st.session_state
LOG = logging.getLogger("partner_prioritizer.app")
KINDS = RR.KINDS
WEIGHTS_DIR = SAMPLE_DATA_DIR.parent / "weights"


# ------------------------------------------------------------------------------------------ settings


@st.cache_resource(show_spinner=False)
def profiles() -> dict[str, Any]:
    """Weight profiles by file stem, validated (shared: read-only)."""
    dictionary = base_dataset("proxy", None).dictionary
    return {name: load_profile(path, dictionary) for name, path in list_profiles().items()}


@st.cache_resource(show_spinner=False)
def matching_settings() -> Any:
    return load_matching_settings()


@st.cache_resource(show_spinner=False)
def allocation_settings() -> Any:
    return load_settings(known_commands=domain.COMMANDS)


@st.cache_resource(show_spinner=False)
def settings_digest() -> str:
    """Digest of the settings files and the bundled data (see ``run_results.files_digest``)."""
    return RR.files_digest([*WEIGHTS_DIR.glob("*"), *SAMPLE_DATA_DIR.glob("*.csv")])


@st.cache_data(show_spinner=False, max_entries=8)
def base_dataset(priority_basis: str, partners_upload: tuple[str, bytes] | None) -> Any:
    """Validated data (sample or upload), keyed on the priority basis and the uploaded file's bytes."""
    return load_base_dataset(priority_basis, partners_upload)


# ------------------------------------------------------------------------------------------- scoring


@st.cache_data(show_spinner=False, max_entries=64)
def _scored(skey: str, _dataset: Any, _profile: Any, _overrides: Any,
            _scope: Scope = ALL) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """Score + match + peers + ranked table, cached on the scenario's scoring key only (it includes the scope)."""
    s = pipeline.score_scenario(_dataset, _profile, matching_settings(), _overrides, _scope)
    return s.result, s.peers, s.ranked


def data_key(scen: dict[str, Any], upload: tuple[str, bytes] | None) -> str:
    digest = hashlib.sha256(upload[1]).hexdigest()[:16] if upload else "sample"
    return f"{scen['priority_basis']}|{digest}"


def score_scenario(scen: dict[str, Any]) -> dict[str, Any]:
    """result, dataset, skey, profile, peers, ranked, notes, run_keys for a scenario; InputError on bad input."""
    upload = ss.get("uploads", {}).get("partners")
    base = base_dataset(scen["priority_basis"], upload)
    p = pipeline.prepare_scenario(base, scen, profiles().get(scen["profile"], profiles()["default"]))
    dkey = data_key(scen, upload)
    skey = scenario.scoring_key(scen, dkey)
    result, peers, ranked = _scored(skey, p.dataset, p.profile, p.overrides, p.scope)
    return {"result": result, "dataset": p.dataset, "skey": skey, "profile": p.profile, "peers": peers,
            "ranked": ranked, "notes": p.notes, "scope": p.scope,
            "run_keys": {k: RR.inputs_hash(k, scen, dkey, settings_digest()) for k in KINDS}}


def default_budget(base: Any, scope_command: str | None) -> float:
    """The settings' default budget (US$ M/yr) for the whole data or one command's partners."""
    funding = base.funding["baseline_usd_m"]
    if scope_command is not None:
        funding = funding[base.partners["command"] == scope_command]
    return allocation_settings().default_budget(float(funding.sum()))


# ---------------------------------------------------------------------------------------------- runs


@st.cache_data(show_spinner=False, max_entries=16)
def run_allocation(rkey: str, _scores: pd.DataFrame, _dataset: Any, budget: float | None) -> dict[str, Any]:
    """Optimizer + bullish/bearish for one scenario (raises InfeasibleError / InputError)."""
    r = pipeline.allocate_scenario(_scores, _dataset, allocation_settings(), budget)
    return {"result": r.result, "bullbear": r.bullbear, "offsets": r.offsets, "scope_notes": r.notes}


@st.cache_data(show_spinner=False, max_entries=16)
def run_frontier(rkey: str, _scores: pd.DataFrame, _dataset: Any) -> pd.DataFrame:
    return pipeline.frontier_scenario(_scores, _dataset, allocation_settings()).table


@st.cache_data(show_spinner=False, max_entries=8)
def run_robustness(rkey: str, _result: Any, _dataset: Any, _profile: Any, budget: float | None) -> dict[str, Any]:
    """Monte Carlo over weights, tornado and tipping points (pipeline.run_robustness)."""
    return pipeline.run_robustness(_result, _dataset, _profile, allocation_settings(), budget)


@st.cache_data(show_spinner=False, max_entries=2)
def run_backtest() -> dict[str, Any]:
    """The validation back-test on the bundled panels with weights/validation.yaml (same inputs, same table)."""
    return pipeline.run_backtest()


def allocation_for(ctx: dict[str, Any], scen: dict[str, Any] | None = None) -> dict[str, Any]:
    """The optimizer's output for a scored scenario (``ctx`` from :func:`score_scenario`)."""
    scen = scen or ctx["scenario"]
    return run_allocation(ctx["run_keys"]["allocation"], ctx["result"].scores, ctx["dataset"], scen["budget_usd_m"])


def execute_run(kind: str, ctx: dict[str, Any]) -> None:
    """Run ``kind`` for the current scenario; its output or error lines go to the session's run state."""
    rkey = ctx["run_keys"][kind]
    scen = ctx["scenario"]
    try:
        with st.spinner(f"Running {kind}…"):
            if kind == "allocation":
                out = allocation_for(ctx)
            elif kind == "frontier":
                out = run_frontier(rkey, ctx["result"].scores, ctx["dataset"])
            else:
                out = run_robustness(rkey, ctx["result"], ctx["dataset"], ctx["profile"], scen["budget_usd_m"])
        ss["runs"][kind] = {"key": rkey, "out": out, "error": None}
    except InfeasibleError as exc:
        ss["runs"][kind] = {"key": rkey, "out": None,
                            "error": ["The allocation constraints cannot all be met:", *exc.diagnosis]}
    except InputError as exc:
        ss["runs"][kind] = {"key": rkey, "out": None, "error": [str(exc)]}


def current(kind: str, ctx: dict[str, Any]) -> Any:
    """The output of the last ``kind`` run if it is for the current inputs, else None."""
    state = ss.get("runs", {}).get(kind)
    return state["out"] if state and state.get("out") is not None and state["key"] == ctx["run_keys"][kind] else None


def run_state(kind: str, ctx: dict[str, Any]) -> dict[str, Any] | None:
    """The session's last ``kind`` run: {key, out, error, stale, saved (restored results only)} or None."""
    state = ss.get("runs", {}).get(kind)
    if state is None:
        return None
    return {**state, "stale": state["key"] != ctx["run_keys"][kind]}


# ------------------------------------------------------------------------------------ saved results


def save_results(store: Any, name: str, ctx: dict[str, Any]) -> list[str]:
    """Store the session's current (not stale) runs with saved scenario ``name``; the kinds saved."""
    saved = []
    for kind in KINDS:
        out = current(kind, ctx)
        if out is None:
            continue
        store.save_result(name, kind, ctx["run_keys"][kind], RR.encode_result(kind, out))
        saved.append(kind)
    return saved


def restore_results(store: Any, name: str) -> list[str]:
    """Put the saved runs of scenario ``name`` into the session's run state (they are shown marked stale
    when their inputs hash differs from the current one). A damaged result is skipped with a message."""
    records = store.load_results(name)
    restored = []
    for kind in KINDS:
        rec = records.get(kind)
        if rec is None:
            continue
        try:
            out = RR.decode_result(kind, rec["payload"])
        except InputError as exc:
            LOG.warning("saved %s result of %r not used: %s", kind, name, exc)
            ss.setdefault("flash", []).append(("warning", f"The saved {kind} result of '{name}' is damaged and "
                                                          f"was not used ({exc})."))
            continue
        ss["runs"][kind] = {"key": rec["inputs_hash"], "out": out, "error": None, "saved": rec.get("saved")}
        restored.append(kind)
    return restored
