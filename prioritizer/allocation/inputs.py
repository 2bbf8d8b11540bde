"""Per-partner inputs of the allocation LP from scores, raw indicators and baseline funding.

The rules (value, need, defence forces, eligibility, benefit curve) live in
:mod:`prioritizer.allocation.value`; this module applies them to the tables and collects the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.value import (
    _eligibility,
    _income_groups,
    _names,
    _partners_have,
    apply_defence_estimates,
    apply_security_force_spending,
    benefit_curve,
    has_defence_forces,
    need_terms,
    partner_value,
)
from prioritizer.allocation.words import count, indicator, possessive
from prioritizer.domain import CATEGORIES, PARTNER_TYPES
from prioritizer.errors import InputError


@dataclass
class AllocationInputs:
    """Per-partner inputs of the LP, derived from scores, raw indicators and baseline funding.

    ``partners`` (index partner_id): name, command, partner_type, priority (1–5), propensity (0–100),
    income_group, milex_usd_m, defence_forces (bool), frontline (bool), additionality (0–1), need (0–1),
    data_risk, diversion_risk, risk (0–1, higher = riskier), value (benefit per effective $ at the first
    dollar, 0–1), scale_usd_m (S_p), scale_imputed (bool), baseline_usd_m, plus the ``<category>_score``
    columns. ``eligible`` is partner × mechanism (bool); ``ineligible_reason`` partner × mechanism (text, ''
    when eligible); ``baseline_by_mechanism`` partner × mechanism (US$ M); ``flags`` partner × mechanism
    (True where an eligibility indicator was missing and the partner was kept eligible). ``cache`` holds LP
    structures keyed by settings (no state outside this object); it is not copied by
    ``dataclasses.replace``, and the frames are treated as read-only once built.
    """

    partners: pd.DataFrame
    eligible: pd.DataFrame
    baseline_by_mechanism: pd.DataFrame
    flags: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    ineligible_reason: pd.DataFrame | None = None
    cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def baseline_total_usd_m(self) -> float:
        """Sum of baseline funding over partners (US$ M/yr)."""
        return float(self.partners["baseline_usd_m"].sum())



def build_inputs(scores: pd.DataFrame, raw: pd.DataFrame, funding: pd.DataFrame,
                 settings: AllocationSettings) -> AllocationInputs:
    """Derive value, need, scale, risk, baseline and eligibility per partner (see the module docstring)."""
    needed = ["name", "command", "partner_type", "propensity", "priority"]
    for col in needed:
        if col not in scores.columns:
            raise InputError(f"scores have no column '{col}' (needed for allocation)", column=col)
    if scores.index.has_duplicates:
        dup = scores.index[scores.index.duplicated()][0]
        raise InputError(f"duplicate partner_id '{dup}' in scores", column="partner_id")
    notes: list[str] = []
    idx = scores.index
    frame = scores[["name", "command", "partner_type"]].copy()
    frame.index.name = "partner_id"
    for col in ("priority", "propensity"):
        vals = pd.to_numeric(scores[col], errors="coerce")
        if vals.isna().all() and len(vals):
            raise InputError(f"scores column '{col}' has no numeric values", column=col)
        frame[col] = vals
    bad_types = ~frame["partner_type"].isin(PARTNER_TYPES)
    if bad_types.any():
        raise InputError(f"unknown partner_type '{frame.loc[bad_types, 'partner_type'].iloc[0]}' for "
                         f"{frame.index[bad_types][0]} (use state / non-state)", column="partner_type")
    miss = frame["priority"].isna()
    if miss.any():
        notes.append(f"{_partners_have(int(miss.sum()))} no priority, counted as 1 (the lowest).")
    frame["priority"] = frame["priority"].fillna(1.0).clip(1.0, 5.0)
    miss = frame["propensity"].isna()
    if miss.any():
        notes.append(f"{_partners_have(int(miss.sum()))} no propensity, so funding buys no benefit there (value 0).")
    frame["propensity"] = frame["propensity"].fillna(0.0).clip(0.0, 100.0)

    raw, estimated = apply_defence_estimates(raw.reindex(idx), settings)
    _estimate_notes(frame, estimated, settings, raw, notes)
    raw, security = apply_security_force_spending(raw, settings)
    security &= ~estimated & (frame["partner_type"] == "state")
    if security.any():
        basis = settings.defence_forces.security_forces_basis
        n = int(security.sum())
        notes.append(f"{count(n, 'state partner')} with no positive SIPRI military-spending figure "
                     f"{'is' if n == 1 else 'are'} counted by the "
                     f"{indicator(settings.defence_forces.security_forces_indicator)}"
                     f", {settings.defence_forces.security_forces_min_year} or later: {_names(frame, security, 40)}"
                     + (f". Basis: {basis}" if basis else "") + ".")
    state = frame["partner_type"] == "state"
    frame["income_group"] = _income_groups(scores, raw, notes)

    # defence forces: a positive spending figure and, where reported, non-zero personnel
    frame["defence_forces"] = has_defence_forces(raw, frame["partner_type"], settings, security)

    # need and additionality
    milex = pd.to_numeric(raw[settings.need.indicator], errors="coerce") if settings.need.indicator in raw.columns \
        else pd.Series(np.nan, index=idx)
    frame["milex_usd_m"] = milex
    frame["milex_source"] = np.where(estimated, "planner estimate", np.where(
        security, "COW NMC (national security forces)", np.where(milex.notna(), "SIPRI", "none")))
    frame["frontline"] = idx.isin(settings.need.frontline)
    frame = frame.join(need_terms(milex, frame["income_group"], frame["frontline"], settings,
                                  frame["defence_forces"]))

    # risk: data uncertainty and diversion (not stability: propensity contains it)
    if settings.risk.data_uncertainty and "coverage" in scores.columns:
        cov = pd.to_numeric(scores["coverage"], errors="coerce").clip(0.0, 1.0)
        frame["data_risk"] = (1.0 - cov).fillna(1.0)
    else:
        frame["data_risk"] = 0.0
        if settings.risk.data_uncertainty:
            notes.append("The scores carry no data coverage, so the data-uncertainty risk is counted as 0.")
    diversion = pd.Series({pid: lvl for pid, lvl, _ in settings.risk.diversion}, dtype=float)
    frame["diversion_risk"] = diversion.reindex(idx).fillna(0.0)
    frame["risk"] = 1.0 - (1.0 - frame["data_risk"]) * (1.0 - frame["diversion_risk"])
    frame["value"] = partner_value(frame, settings)

    # absorptive scale S_p
    if settings.scale_indicator in raw.columns:
        scale_src = pd.to_numeric(raw[settings.scale_indicator], errors="coerce")
    else:
        scale_src = pd.Series(np.nan, index=idx)
        notes.append(f"The data have no {indicator(settings.scale_indicator)}, so every partner's absorptive scale "
                     "falls back to the minimum.")
    scale = (settings.scale_fraction * scale_src).clip(settings.min_scale_usd_m, settings.max_scale_usd_m)
    no_figure = scale_src.isna() | (scale_src <= 0)
    frame["scale_imputed"] = no_figure
    fallback = np.where(state, settings.no_defence_scale_usd_m, settings.min_scale_usd_m)
    frame["scale_usd_m"] = scale.where(~no_figure & frame["defence_forces"], fallback)
    no_forces = state & ~frame["defence_forces"]
    if no_forces.any():
        n = int(no_forces.sum())
        notes.append(f"{count(n, 'state partner')} {'has' if n == 1 else 'have'} no armed forces or no "
                     f"defence-spending figure, so {'it is' if n == 1 else 'they are'} not eligible for the mechanisms "
                     f"that need a military counterpart and {'its' if n == 1 else 'their'} scale is "
                     f"${settings.no_defence_scale_usd_m:g} M for the others: {_names(frame, no_forces, 40)}")

    _baseline(frame, funding, settings, notes)
    by_mech = _baseline_by_mechanism(frame, funding, settings, notes)
    eligible, flags, reason = _eligibility(frame, raw, settings, notes)
    cats = [f"{c}_score" for c in CATEGORIES if f"{c}_score" in scores.columns]
    for col in cats:
        frame[col] = pd.to_numeric(scores[col], errors="coerce")
    return AllocationInputs(frame, eligible, by_mech, flags, notes, reason)


def _baseline(frame: pd.DataFrame, funding: pd.DataFrame, settings: AllocationSettings, notes: list[str]) -> None:
    if "baseline_usd_m" not in funding.columns:
        raise InputError("funding table has no column 'baseline_usd_m'", column="baseline_usd_m")
    idx = frame.index
    base = pd.to_numeric(funding["baseline_usd_m"].reindex(idx), errors="coerce")
    if (base < 0).any():
        raise InputError(f"negative baseline for {base.index[base < 0][0]}", column="baseline_usd_m")
    n_missing = int(base.isna().sum())
    if n_missing:
        notes.append(f"{_partners_have(n_missing)} no baseline funding row, counted as a $0 M baseline.")
    frame["baseline_usd_m"] = base.fillna(0.0)
    extra = funding.index.difference(idx)
    if len(extra):
        notes.append(f"{count(len(extra), 'funding row')} {'is' if len(extra) == 1 else 'are'} not a scored "
                     f"partner and {'is' if len(extra) == 1 else 'are'} ignored.")


def _baseline_by_mechanism(frame: pd.DataFrame, funding: pd.DataFrame, settings: AllocationSettings,
                           notes: list[str]) -> pd.DataFrame:
    idx = frame.index
    fund = funding.reindex(idx)
    mech_ids = settings.mechanism_ids
    by_mech = pd.DataFrame(0.0, index=idx, columns=list(mech_ids))
    per_mech_cols = {m: f"baseline_{m}_usd_m" for m in mech_ids if f"baseline_{m}_usd_m" in funding.columns}
    if per_mech_cols:
        for m, col in per_mech_cols.items():
            by_mech[m] = pd.to_numeric(fund[col], errors="coerce").fillna(0.0).clip(lower=0.0)
        rest = (frame["baseline_usd_m"] - by_mech.sum(axis=1)).clip(lower=0.0)
        by_mech[settings.baseline_mechanism] += rest
        labels = {m.id: m.label for m in settings.mechanisms}
        notes.append(f"The baseline is split by mechanism from the funding table "
                     f"({', '.join(labels[m] for m in per_mech_cols)}); the remainder counts as "
                     f"{labels[settings.baseline_mechanism]}.")
    else:
        by_mech[settings.baseline_mechanism] = frame["baseline_usd_m"]
    by_mech.index.name = "partner_id"
    return by_mech


def _estimate_notes(frame: pd.DataFrame, estimated: pd.Series, settings: AllocationSettings, raw: pd.DataFrame,
                    notes: list[str]) -> None:
    """One note per planner estimate used (amount, rationale, source) and per estimate not needed."""
    by_id = {e.partner_id: e for e in settings.defence_estimates}
    for pid, est in by_id.items():
        if pid not in frame.index:
            continue
        name = str(frame.at[pid, "name"])
        if bool(estimated.get(pid, False)):
            notes.append(f"{possessive(name)} defence spending is a planner estimate, not a SIPRI figure: "
                         f"${est.milex_usd_m:,.1f} M a year ({est.rationale}; source: {est.source}).")
        else:
            notes.append(f"The planner estimate for {name} is not used: SIPRI reports a military-spending "
                         "figure.")


def piecewise_benefit(inputs: AllocationInputs, settings: AllocationSettings,
                      cells: pd.DataFrame) -> np.ndarray:
    """Benefit of amounts (US$ M) per partner × mechanism (columns partner_id, mechanism, amount_usd_m).

    Uses the same piecewise-linear curve the LP optimises; flat above the curve ceiling.
    """
    p = inputs.partners.loc[cells["partner_id"]]
    effect = np.array([settings.mechanism(m).effect for m in cells["mechanism"]])
    return benefit_curve(p["value"].to_numpy(float), effect, p["scale_usd_m"].to_numpy(float),
                         cells["amount_usd_m"].to_numpy(float), settings)


