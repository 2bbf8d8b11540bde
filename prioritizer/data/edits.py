"""Dataset edits a planner makes in a scenario: priority and funding edits, non-state partners, construct
overrides, uploaded files; each returns a new :class:`Dataset` or the edit it validated (InputError names the
file, row or field), so the scored scenario is the bundled data plus these edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.data.dataset import Dataset, assemble_dataset, load_dataset, load_dictionary
from prioritizer.data.partners import validate_partners
from prioritizer.data.planner_inputs import validate_funding, validate_overrides, validate_priority
from prioritizer.data.reading import read_table
from prioritizer.errors import InputError
from prioritizer.paths import SAMPLE_DATA_DIR
from prioritizer.scenario import overrides_frame
from prioritizer.scenario_model import check_non_state, number


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



def checked_overrides(scenario: Mapping[str, Any], dataset: Dataset) -> pd.DataFrame | None:
    """Overrides validated against the dataset (InputError names the row); None when there are none."""
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
    partner = check_non_state({"partner_id": partner_id, "name": name, "command": command,
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
        num = number(value)
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
    num = number(value)
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
    frame = read_table(data, name)
    series = validate_priority(frame, dataset.partners.index, name)
    listed = set(frame["partner_id"])
    return {pid: float(v) for pid, v in series.items() if pid in listed}


def parse_funding_upload(data: bytes, name: str, dataset: Dataset) -> dict[str, float]:
    """Validate an uploaded baseline funding file (CSV/XLSX); return baseline_usd_m by partner listed."""
    frame = read_table(data, name)
    table = validate_funding(frame, dataset.partners.index, name)
    listed = set(frame["partner_id"])
    return {pid: float(v) for pid, v in table["baseline_usd_m"].items() if pid in listed}


def parse_partners_upload(data: bytes, name: str, dictionary: pd.DataFrame) -> int:
    """Validate an uploaded partners file (CSV/XLSX) against the dictionary; return its partner count."""
    partners, _, _ = validate_partners(read_table(data, name), dictionary, name)
    return len(partners)
