"""Per-partner inputs of the allocation LP: value of a US dollar, absorptive scale, risk, eligibility.

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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from prioritizer.allocation_settings import INCOME_ALIASES, AllocationSettings
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


def _partners_have(n: int) -> str:
    """'1 partner has' / 'n partners have' (for notes)."""
    return f"{n} partner has" if n == 1 else f"{n} partners have"


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
        notes.append("no income_group column in the data: every partner's income group is unknown (the "
                     "high-income grant rule cannot apply)")
        return pd.Series("unknown", index=scores.index, dtype=object)
    g = src["income_group"].reindex(scores.index).astype(object).where(lambda v: v.notna(), "")
    g = g.map(lambda v: INCOME_ALIASES.get(str(v).strip().upper(), str(v).strip().upper()))
    g = g.where(g.isin(["HIC", "UMC", "LMC", "LIC"]), "unknown")
    n_unknown = int((g == "unknown").sum())
    if n_unknown:
        notes.append(f"{_partners_have(n_unknown)} no World Bank income group: treated as unknown")
    return g


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
        notes.append(f"{_partners_have(int(miss.sum()))} no priority: treated as 1 (lowest)")
    frame["priority"] = frame["priority"].fillna(1.0).clip(1.0, 5.0)
    miss = frame["propensity"].isna()
    if miss.any():
        notes.append(f"{_partners_have(int(miss.sum()))} no propensity: value 0 (no benefit from funding)")
    frame["propensity"] = frame["propensity"].fillna(0.0).clip(0.0, 100.0)

    raw = raw.reindex(idx)
    state = frame["partner_type"] == "state"
    frame["income_group"] = _income_groups(scores, raw, notes)

    # defence forces: a positive spending figure and, where reported, non-zero personnel
    df = settings.defence_forces
    spend = pd.to_numeric(raw[df.spending_indicator], errors="coerce") if df.spending_indicator in raw.columns \
        else pd.Series(np.nan, index=idx)
    has_forces = spend > 0
    if df.personnel_indicator and df.personnel_indicator in raw.columns:
        personnel = pd.to_numeric(raw[df.personnel_indicator], errors="coerce")
        has_forces &= ~(personnel == 0)
    frame["defence_forces"] = has_forces | ~state

    # need and additionality
    milex = pd.to_numeric(raw[settings.need.indicator], errors="coerce") if settings.need.indicator in raw.columns \
        else pd.Series(np.nan, index=idx)
    frame["milex_usd_m"] = milex
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
            notes.append("scores have no coverage column: data-uncertainty risk treated as 0")
    diversion = pd.Series({pid: lvl for pid, lvl, _ in settings.risk.diversion}, dtype=float)
    frame["diversion_risk"] = diversion.reindex(idx).fillna(0.0)
    frame["risk"] = 1.0 - (1.0 - frame["data_risk"]) * (1.0 - frame["diversion_risk"])
    frame["value"] = partner_value(frame, settings)

    # absorptive scale S_p
    if settings.scale_indicator in raw.columns:
        scale_src = pd.to_numeric(raw[settings.scale_indicator], errors="coerce")
    else:
        scale_src = pd.Series(np.nan, index=idx)
        notes.append(f"raw indicators have no '{settings.scale_indicator}': scales fall back to the minimum")
    scale = (settings.scale_fraction * scale_src).clip(settings.min_scale_usd_m, settings.max_scale_usd_m)
    no_figure = scale_src.isna() | (scale_src <= 0)
    frame["scale_imputed"] = no_figure
    fallback = np.where(state, settings.no_defence_scale_usd_m, settings.min_scale_usd_m)
    frame["scale_usd_m"] = scale.where(~no_figure & frame["defence_forces"], fallback)
    no_forces = state & ~frame["defence_forces"]
    if no_forces.any():
        notes.append(f"{int(no_forces.sum())} state partners have no armed forces or no defence-spending figure "
                     f"({df.spending_indicator}): ineligible for mechanisms that need defence forces, scale "
                     f"${settings.no_defence_scale_usd_m:g} M for the others — {_names(frame, no_forces, 40)}")

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
        notes.append(f"{_partners_have(n_missing)} no baseline funding row: baseline $0 M")
    frame["baseline_usd_m"] = base.fillna(0.0)
    extra = funding.index.difference(idx)
    if len(extra):
        notes.append(f"{len(extra)} funding rows are not scored partners and are ignored")


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
        notes.append(f"baseline by mechanism from columns {', '.join(per_mech_cols.values())}; "
                     f"remainder under {settings.baseline_mechanism}")
    else:
        by_mech[settings.baseline_mechanism] = frame["baseline_usd_m"]
    by_mech.index.name = "partner_id"
    return by_mech


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
            close(state & ~frame["defence_forces"], "no armed forces or no defence-spending figure")
        if mech.grant:
            close(high_income, "high-income partner (World Bank HIC), no MOU/earmark names it")
        if mech.gate is not None:
            gate = mech.gate
            vals = pd.to_numeric(raw[gate.indicator], errors="coerce") if gate.indicator in raw.columns \
                else pd.Series(np.nan, index=idx)
            excluded = gate.excludes(vals).fillna(False).astype(bool)
            missing = vals.isna() & eligible[m]
            sign = "≥" if gate.exclude_when == "at_or_above" else "≤"
            close(excluded, f"human-rights gate, a proxy for unit-level Leahy vetting ({gate.indicator} {sign} "
                            f"{gate.threshold:g})")
            flags[m] = missing
            if excluded.any():
                n_out = int(excluded.sum())
                notes.append(f"{m}: {n_out} partner{'' if n_out == 1 else 's'} excluded by the human-rights gate, "
                             f"a country-level proxy for unit-level Leahy vetting ({gate.indicator} {sign} "
                             f"{gate.threshold:g})")
            if missing.any():
                notes.append(f"{m}: {_partners_have(int(missing.sum()))} no {gate.indicator}; kept eligible "
                             "and flagged")
    grants = [mech.id for mech in settings.mechanisms if mech.grant]
    if grants and high_income.any():
        notes.append(f"{int(high_income.sum())} high-income partners get no {'/'.join(grants)} grants (no MOU or "
                     f"earmark names them): {_names(frame, high_income, 15)}")
    if grants and exceptions:
        named = pd.Series(idx.isin(list(exceptions)), index=idx) & frame["income_group"].isin(
            settings.high_income_groups)
        if named.any():
            notes.append(f"high-income partners kept grant-eligible by an MOU/earmark: {_names(frame, named)}")
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


def piecewise_benefit(inputs: AllocationInputs, settings: AllocationSettings,
                      cells: pd.DataFrame) -> np.ndarray:
    """Benefit of amounts (US$ M) per partner × mechanism (columns partner_id, mechanism, amount_usd_m).

    Uses the same piecewise-linear curve the LP optimises; flat above the curve ceiling.
    """
    p = inputs.partners.loc[cells["partner_id"]]
    effect = np.array([settings.mechanism(m).effect for m in cells["mechanism"]])
    return benefit_curve(p["value"].to_numpy(float), effect, p["scale_usd_m"].to_numpy(float),
                         cells["amount_usd_m"].to_numpy(float), settings)


def grant_need(partners: pd.DataFrame, settings: AllocationSettings) -> pd.DataFrame:
    """Need (0–1) and grant eligibility (bool) per partner from a partners table (raw indicators, optional
    income_group, partner_type), by the same rules as :func:`build_inputs`. For the funding-mismatch flags:
    only a grant-eligible partner (a state with armed forces, not high-income without an MOU, with need ≥
    ``need.under_resourced_min_need``) can be under-resourced."""
    idx = partners.index
    notes: list[str] = []
    frame = pd.DataFrame({"partner_type": partners.get("partner_type", pd.Series("state", index=idx))}, index=idx)
    groups = _income_groups(frame.assign(name=idx), partners, notes) if "income_group" in partners.columns \
        else pd.Series("unknown", index=idx, dtype=object)
    df = settings.defence_forces
    state = frame["partner_type"] == "state"
    spend = pd.to_numeric(partners[df.spending_indicator], errors="coerce") \
        if df.spending_indicator in partners.columns else pd.Series(np.nan, index=idx)
    forces = spend > 0
    if df.personnel_indicator and df.personnel_indicator in partners.columns:
        forces &= ~(pd.to_numeric(partners[df.personnel_indicator], errors="coerce") == 0)
    forces = forces | ~state
    milex = pd.to_numeric(partners[settings.need.indicator], errors="coerce") \
        if settings.need.indicator in partners.columns else pd.Series(np.nan, index=idx)
    terms = need_terms(milex, groups, pd.Series(idx.isin(settings.need.frontline), index=idx), settings, forces)
    exceptions = {pid for pid, _ in settings.grant_exceptions} | {lk.partner_id for lk in settings.locks}
    high_income = groups.isin(settings.high_income_groups) & ~idx.isin(exceptions)
    eligible = state & forces & ~high_income & (terms["need"] >= settings.need.under_resourced_min_need)
    return pd.DataFrame({"need": terms["need"], "grant_eligible": eligible}, index=idx)
