"""The allocation's rules, each written once: partner value, need and additionality, defence forces,
eligibility and the benefit curve (robustness and the funding flags call these).

value_p (benefit per effective US$ M at the first dollar, 0–1) =
    importance (priority / 5) × will it work (propensity / 100) × need_p × (1 − discount × risk_p)

need_p (additionality: how much the partner's capability gains from a US dollar) =
    max(income factor × reference / (reference + own defence spending), frontline floor if frontline)

risk_p = 1 − (1 − data uncertainty) × (1 − diversion); data uncertainty = 1 − coverage (share of the
propensity weight without data); diversion = a planner's end-use assessment (settings). Stability is not
used again here: propensity already contains it.

S_p (absorptive scale, US$ M) = scale_fraction × own defence spending, clipped; value_p × S_p is bounded
by reference × scale_fraction, so a large (rich) defence budget does not raise the benefit potential on its
own. A state with no armed forces or no defence-spending figure is ineligible for the mechanisms that
require defence forces (train & equip, FMF) and gets ``no_defence_scale_usd_m`` for the others.
See docs/method.md §4.
"""


from __future__ import annotations

import numpy as np
import pandas as pd

from prioritizer.allocation.settings import INCOME_ALIASES, AllocationSettings
from prioritizer.allocation.words import count, have, indicator


def _partners_have(n: int) -> str:
    """'1 partner has' / 'n partners have' (for notes)."""
    return have(n)


def _names(frame: pd.DataFrame, mask: pd.Series, limit: int = 12) -> str:
    names = list(frame.loc[mask, "name"].astype(str))
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def partner_value(frame: pd.DataFrame, settings: AllocationSettings) -> pd.Series:
    """value_p, benefit per effective US$ M at the first dollar (0–1; higher = a dollar buys more).

    ``frame`` needs priority (1–5), propensity (0–100), need (0–1) and risk (0–1); missing priority counts
    as 1, missing propensity as 0, missing need as 1, missing risk as 1. Units: benefit is effective US$ M,
    so value 1 means a top-priority, propensity-100, full-need, riskless partner turns its first $1 M
    through a mechanism of effect 1.0 into 1 unit of benefit.
    """
    priority = pd.to_numeric(frame["priority"], errors="coerce").fillna(1.0).clip(1.0, 5.0)
    propensity = pd.to_numeric(frame["propensity"], errors="coerce").fillna(0.0).clip(0.0, 100.0)
    need = pd.to_numeric(frame["need"], errors="coerce").fillna(1.0).clip(0.0, 1.0) if "need" in frame \
        else pd.Series(1.0, index=frame.index)
    risk = pd.to_numeric(frame["risk"], errors="coerce").fillna(1.0).clip(0.0, 1.0) if "risk" in frame \
        else pd.Series(0.0, index=frame.index)
    out = (priority / 5.0) * (propensity / 100.0) * need * (1.0 - settings.risk.discount * risk)
    return out.rename("value")


def need_terms(milex_usd_m: pd.Series, income_group: pd.Series, frontline: pd.Series,
               settings: AllocationSettings, defence_forces: pd.Series | None = None) -> pd.DataFrame:
    """Additionality and need (0–1) per partner from own defence spending (US$ M), income group, role.

    additionality = income factor × reference / (reference + milex) (milex missing or ≤ 0 counts as no own
    effort: 1 × income factor); need = max(additionality, frontline floor) for frontline partners.
    """
    n = settings.need
    milex = pd.to_numeric(milex_usd_m, errors="coerce").where(lambda v: v > 0)
    effort = (n.reference_usd_m / (n.reference_usd_m + milex)).fillna(1.0)
    if defence_forces is not None:  # no armed forces: little defence capability for a US dollar to build
        effort = effort.where(defence_forces.astype(bool), n.no_defence_forces)
    factor = income_group.map(n.income_factor).astype(float)
    additionality = (effort * factor).clip(0.0, 1.0)
    need = additionality.where(~frontline.astype(bool), np.maximum(additionality, n.frontline_floor))
    return pd.DataFrame({"additionality": additionality, "need": need})


def _income_groups(scores: pd.DataFrame, raw: pd.DataFrame, notes: list[str]) -> pd.Series:
    src = raw if "income_group" in raw.columns else scores if "income_group" in scores.columns else None
    if src is None:
        notes.append("The data have no World Bank income group, so every partner's income group is unknown (the "
                     "high-income grant rule cannot apply)")
        return pd.Series("unknown", index=scores.index, dtype=object)
    g = src["income_group"].reindex(scores.index).astype(object).where(lambda v: v.notna(), "")
    g = g.map(lambda v: INCOME_ALIASES.get(str(v).strip().upper(), str(v).strip().upper()))
    g = g.where(g.isin(["HIC", "UMC", "LMC", "LIC"]), "unknown")
    n_unknown = int((g == "unknown").sum())
    if n_unknown:
        notes.append(f"{_partners_have(n_unknown)} no World Bank income group and {'is' if n_unknown == 1 else 'are'}"
                     " treated as unknown.")
    return g



def apply_defence_estimates(raw: pd.DataFrame, settings: AllocationSettings) -> tuple[pd.DataFrame, pd.Series]:
    """``raw`` with each planner's defence-spending estimate (``defence_estimates`` in the settings) filled in
    where the SIPRI figure is missing, and a mask of the partners whose figure is now a planner estimate.

    Only a missing figure is filled: a reported SIPRI figure (including 0 = no armed forces) always wins."""
    used = pd.Series(False, index=raw.index)
    if not settings.defence_estimates:
        return raw, used
    estimate = pd.Series({e.partner_id: e.milex_usd_m for e in settings.defence_estimates}, dtype=float)
    estimate = estimate.reindex(raw.index)
    raw = raw.copy()
    for col in dict.fromkeys((settings.defence_forces.spending_indicator, settings.need.indicator,
                              settings.scale_indicator)):
        current = pd.to_numeric(raw[col], errors="coerce") if col in raw.columns else \
            pd.Series(np.nan, index=raw.index)
        fill = current.isna() & estimate.notna()
        raw[col] = current.where(~fill, estimate)
        used |= fill
    return raw, used


def apply_security_force_spending(raw: pd.DataFrame, settings: AllocationSettings) -> tuple[pd.DataFrame, pd.Series]:
    """``raw`` with the national-security-force spending (``defence_forces.security_forces_indicator``, US$ M)
    put in place of a military-spending figure that is missing or 0, and the mask of partners it was used for.

    SIPRI records 0 for states without armed forces (Costa Rica, Panama, Iceland); their coast guard, border or
    public force is still the counterpart 10 U.S.C. 333 names ("national-level security forces"), and COW NMC
    counts its budget. A positive SIPRI figure or a planner estimate always wins; a figure older than
    ``security_forces_min_year`` is not used."""
    df = settings.defence_forces
    used = pd.Series(False, index=raw.index)
    if not df.security_forces_indicator or df.security_forces_indicator not in raw.columns:
        return raw, used
    security = pd.to_numeric(raw[df.security_forces_indicator], errors="coerce")
    year_col = f"{df.security_forces_indicator}_year"
    if year_col in raw.columns:  # a figure older than the setting's year is stale, not used
        year = pd.to_numeric(raw[year_col], errors="coerce")
        security = security.where(year >= df.security_forces_min_year)
    raw = raw.copy()
    for col in dict.fromkeys((df.spending_indicator, settings.need.indicator, settings.scale_indicator)):
        current = pd.to_numeric(raw[col], errors="coerce") if col in raw.columns else \
            pd.Series(np.nan, index=raw.index)
        fill = ~(current > 0) & (security > 0)
        raw[col] = current.where(~fill, security)
        used |= fill
    return raw, used


def has_defence_forces(raw: pd.DataFrame, partner_type: pd.Series, settings: AllocationSettings,
                       security_forces: pd.Series | None = None) -> pd.Series:
    """True where a partner has a military counterpart: a positive defence-spending figure and, where reported,
    non-zero personnel — or national-level security forces with a spending figure (``security_forces`` mask).
    Non-state partners always count as having forces (the rule is about states)."""
    df = settings.defence_forces
    idx = partner_type.index
    spend = pd.to_numeric(raw[df.spending_indicator], errors="coerce") if df.spending_indicator in raw.columns \
        else pd.Series(np.nan, index=idx)
    forces = spend > 0
    if df.personnel_indicator and df.personnel_indicator in raw.columns:
        forces &= ~(pd.to_numeric(raw[df.personnel_indicator], errors="coerce") == 0)
    if security_forces is not None:
        forces |= security_forces.reindex(idx, fill_value=False)
    return forces | (partner_type != "state")


def _eligibility(frame: pd.DataFrame, raw: pd.DataFrame, settings: AllocationSettings,
                 notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    idx = frame.index
    mech_ids = list(settings.mechanism_ids)
    eligible = pd.DataFrame(True, index=idx, columns=mech_ids)
    flags = pd.DataFrame(False, index=idx, columns=mech_ids)
    reason = pd.DataFrame("", index=idx, columns=mech_ids, dtype=object)
    # an MOU/earmark named in the settings, or a lock (a statutory earmark), opens grants to a high-income partner
    exceptions = {pid for pid, _ in settings.grant_exceptions} | {lk.partner_id for lk in settings.locks}
    high_income = frame["income_group"].isin(settings.high_income_groups) & ~idx.isin(exceptions)
    state = frame["partner_type"] == "state"
    for mech in settings.mechanisms:
        m = mech.id

        def close(mask: pd.Series, why: str, m: str = m) -> None:
            new = mask & eligible[m]
            reason.loc[new, m] = why
            eligible[m] &= ~mask

        close(~frame["partner_type"].isin(mech.partner_types), f"{'/'.join(mech.partner_types)} partners only")
        if mech.requires_defence_forces:
            close(state & ~frame["defence_forces"], "no armed forces or no SIPRI military-spending figure")
        if mech.grant:
            close(high_income, "a high-income partner (World Bank) that no MOU or earmark names")
        if mech.gate is not None:
            gate = mech.gate
            vals = pd.to_numeric(raw[gate.indicator], errors="coerce") if gate.indicator in raw.columns \
                else pd.Series(np.nan, index=idx)
            excluded = gate.excludes(vals).fillna(False).astype(bool)
            missing = vals.isna() & eligible[m]
            sign = "≥" if gate.exclude_when == "at_or_above" else "≤"
            close(excluded, f"the human-rights gate, a proxy for unit-level Leahy vetting "
                            f"({indicator(gate.indicator)} {sign} {gate.threshold:g})")
            flags[m] = missing
            if excluded.any():
                n_out = int(excluded.sum())
                notes.append(f"{mech.label}: {count(n_out, 'partner')} {'is' if n_out == 1 else 'are'} excluded "
                             f"by the human-rights gate, a country-level proxy for unit-level Leahy vetting "
                             f"({indicator(gate.indicator)} {sign} {gate.threshold:g}).")
            if missing.any():
                n_miss = int(missing.sum())
                notes.append(f"{mech.label}: {_partners_have(n_miss)} no {indicator(gate.indicator)}; "
                             f"{'it is' if n_miss == 1 else 'they are'} kept eligible and flagged.")
    grants = [mech.label for mech in settings.mechanisms if mech.grant]
    if grants and high_income.any():
        n_hi = int(high_income.sum())
        notes.append(f"{count(n_hi, 'high-income partner')} {'gets' if n_hi == 1 else 'get'} no "
                     f"{' or '.join(grants)} grants because no MOU or earmark names "
                     f"{'it' if n_hi == 1 else 'them'}: {_names(frame, high_income, 15)}")
    if grants and exceptions:
        named = pd.Series(idx.isin(list(exceptions)), index=idx) & frame["income_group"].isin(
            settings.high_income_groups)
        if named.any():
            notes.append(f"High-income partners kept eligible for grants by an MOU or earmark: "
                         f"{_names(frame, named)}")
    eligible.index.name = flags.index.name = reason.index.name = "partner_id"
    return eligible, flags, reason


def curve_breakpoints(settings: AllocationSettings) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints u_k on [0, u_max] and g(u_k) = 1 − e^−u_k of the benefit curve."""
    u = np.linspace(0.0, settings.u_max, settings.segments + 1)
    return u, 1.0 - np.exp(-u)


def benefit_curve(value: np.ndarray, effect: np.ndarray, scale_usd_m: np.ndarray, amount_usd_m: np.ndarray,
                  settings: AllocationSettings) -> np.ndarray:
    """Benefit (effective US$ M) = value × effect × S × g(x / S), g piecewise linear, flat above u_max.

    All arguments broadcast (e.g. partner × mechanism arrays); amounts and scales in US$ M/yr.
    """
    u_k, g_k = curve_breakpoints(settings)
    scale = np.asarray(scale_usd_m, float)
    u = np.clip(np.asarray(amount_usd_m, float) / scale, 0.0, settings.u_max)
    return np.asarray(value, float) * np.asarray(effect, float) * scale * np.interp(u, u_k, g_k)


def grant_need(partners: pd.DataFrame, settings: AllocationSettings) -> pd.DataFrame:
    """Need (0–1) and grant eligibility (bool) per partner from a partners table (raw indicators, optional
    income_group, partner_type), by the same rules as :func:`build_inputs`. For the funding-mismatch flags:
    only a grant-eligible partner (a state with armed forces, not high-income without an MOU, with need ≥
    ``need.under_resourced_min_need``) can be under-resourced."""
    idx = partners.index
    notes: list[str] = []
    partners, _ = apply_defence_estimates(partners, settings)
    frame = pd.DataFrame({"partner_type": partners.get("partner_type", pd.Series("state", index=idx))}, index=idx)
    groups = _income_groups(frame.assign(name=idx), partners, notes) if "income_group" in partners.columns \
        else pd.Series("unknown", index=idx, dtype=object)
    state = frame["partner_type"] == "state"
    forces = has_defence_forces(partners, frame["partner_type"], settings)
    milex = pd.to_numeric(partners[settings.need.indicator], errors="coerce") \
        if settings.need.indicator in partners.columns else pd.Series(np.nan, index=idx)
    terms = need_terms(milex, groups, pd.Series(idx.isin(settings.need.frontline), index=idx), settings, forces)
    exceptions = {pid for pid, _ in settings.grant_exceptions} | {lk.partner_id for lk in settings.locks}
    high_income = groups.isin(settings.high_income_groups) & ~idx.isin(exceptions)
    eligible = state & forces & ~high_income & (terms["need"] >= settings.need.under_resourced_min_need)
    return pd.DataFrame({"need": terms["need"], "grant_eligible": eligible}, index=idx)
