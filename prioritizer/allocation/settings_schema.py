"""The pydantic model of ``weights/allocation.yaml`` (:class:`AllocationFile`) and its value types, with the
planner-facing messages of the old hand-written loader ("negative amounts are not allowed (got -5)")."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field, PlainValidator

from prioritizer.allocation.settings import (
    BUDGET_RULES,
    LOCK_SHORTFALL,
    MAX_SETTING_VALUE,
    AllocationSettings,
    DefenceForces,
    Need,
    Risk,
    SoftLimits,
)
from prioritizer.data.planner_inputs import MAX_FUNDING_USD_M
from prioritizer.settings_model import SettingsModel

# ---------------------------------------------------------------------------------------------- value types


def _number(minimum: float | None = 0.0, maximum: float = MAX_SETTING_VALUE, strict_min: bool = False) -> Any:
    """A finite number (not a flag, not text) within bounds, with the loader's planner-facing messages."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"not a number ({value!r})")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value}")
        if minimum is not None and (value < minimum or (strict_min and value == minimum)):
            what = "negative amounts are not allowed" if minimum == 0 and not strict_min else \
                f"must be {'>' if strict_min else '≥'} {minimum:g}"
            raise ValueError(f"{what} (got {value:g})")
        if value > maximum:
            raise ValueError(f"must be ≤ {maximum:,g} (got {value:g})")
        if minimum is None and value < -maximum:
            raise ValueError(f"must be ≥ {-maximum:,g} (got {value:g})")
        return value

    return Annotated[float, PlainValidator(check)]


def _whole(minimum: int, maximum: int) -> Any:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number between {minimum} and {maximum} ({value!r})")
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum} (got {value})")
        return int(value)

    return Annotated[int, PlainValidator(check)]


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def _text(choices: tuple[str, ...] | None = None, ids: bool = False) -> Any:
    def check(value: Any) -> str:
        if ids and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expected non-empty text, got {_kind(value)}")
        if choices is not None and value not in choices:
            raise ValueError(f"unknown value '{value}' (allowed: {', '.join(choices)})")
        return value.strip()

    return Annotated[str, PlainValidator(check)]


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_kind(value)}")
    return value


Text = _text()
Id = _text(ids=True)
Flag = Annotated[bool, PlainValidator(_flag)]
Amount = _number(maximum=MAX_FUNDING_USD_M)  # US$ M/yr, ≥ 0
Positive = _number(strict_min=True)
Share = _number(maximum=1.0)  # 0–1
Pct = _number(maximum=1000.0)
Pct100 = _number(maximum=100.0)

# ---------------------------------------------------------------------------------------------- the model


class GateModel(SettingsModel):
    indicator: Text
    threshold: _number(minimum=None)
    exclude_when: _text(("at_or_above", "at_or_below")) = "at_or_above"


class MechanismEligibility(SettingsModel):
    partner_types: Any = None
    human_rights_gate: GateModel | None = None
    grant: Flag = False
    requires_defence_forces: Flag = False


class MechanismModel(SettingsModel):
    id: Text
    label: Text | None = None
    effect: _number()
    eligibility: MechanismEligibility = MechanismEligibility()


class BenefitModel(SettingsModel):
    curve: _text(("exponential",)) = "exponential"
    segments: _whole(1, 50) = AllocationSettings.segments
    u_max: _number(strict_min=True, maximum=20.0) = AllocationSettings.u_max
    scale_indicator: Text = AllocationSettings.scale_indicator
    scale_fraction: Positive = AllocationSettings.scale_fraction
    min_scale_usd_m: _number(strict_min=True, maximum=MAX_FUNDING_USD_M) = AllocationSettings.min_scale_usd_m
    max_scale_usd_m: _number(strict_min=True, maximum=MAX_FUNDING_USD_M) = AllocationSettings.max_scale_usd_m
    no_defence_scale_usd_m: _number(strict_min=True, maximum=MAX_FUNDING_USD_M) = \
        AllocationSettings.no_defence_scale_usd_m


class IncomeFactors(SettingsModel):
    HIC: Share
    UMC: Share
    LMC: Share
    LIC: Share
    unknown: Share


class FrontlineModel(SettingsModel):
    need_floor: Share = Need.frontline_floor
    basis: Text | None = None
    partners: Any


class NeedModel(SettingsModel):
    indicator: Text = Need.indicator
    reference_usd_m: _number(strict_min=True, maximum=MAX_FUNDING_USD_M) = Need.reference_usd_m
    income_group_factor: IncomeFactors | None = None
    frontline: FrontlineModel | None = None
    no_defence_forces: Share = Need.no_defence_forces
    under_resourced_min_need: Share = Need.under_resourced_min_need


class DiversionModel(SettingsModel):
    risk: Share
    basis: Text


def _no_category(value: Any) -> Any:
    raise ValueError("the risk term no longer reads a score category: propensity already contains stability "
                     "(double counting); use data_uncertainty and diversion")


class RiskModel(SettingsModel):
    category: Annotated[Any, PlainValidator(_no_category)] = None
    discount: Share = Risk.discount
    data_uncertainty: Flag = Risk.data_uncertainty
    diversion: dict[Id, DiversionModel] | None = None


class BasisModel(SettingsModel):
    basis: Text


class DefenceForcesModel(SettingsModel):
    spending_indicator: Text = DefenceForces.spending_indicator
    personnel_indicator: Text | None = None
    security_forces_indicator: Text | None = None
    security_forces_basis: Text = ""
    security_forces_min_year: int = Field(DefenceForces.security_forces_min_year, ge=1990, le=2100)


class EligibilityModel(SettingsModel):
    high_income_groups: Any = None
    grant_exceptions: dict[Id, BasisModel] | None = None
    defence_forces: DefenceForcesModel | None = None


class SoftModel(SettingsModel):
    command_floor_penalty: Positive | None = None
    partner_minimum_penalty: Positive | None = None
    pool_minimum_penalty: Positive | None = None
    lock_shortfall: _text(LOCK_SHORTFALL) = SoftLimits.lock_shortfall


class BudgetModel(SettingsModel):
    rule: _text(BUDGET_RULES) = "baseline_total"
    pct_of_baseline: Pct = AllocationSettings.budget_pct_of_baseline
    usd_m: Amount | None = None


class FrontierModel(SettingsModel):
    levels: _whole(2, 500) = AllocationSettings.frontier_levels
    low_pct: Pct = AllocationSettings.frontier_low_pct
    high_pct: Pct = AllocationSettings.frontier_high_pct


class CommandModel(SettingsModel):
    floor_usd_m: Amount = 0.0
    cap_usd_m: Amount | None = None
    floor_pct_of_budget: Pct100 = 0.0


class PartnerLimitsModel(SettingsModel):
    """A key left out inherits the default; ``null`` means no limit (cap, cut, increase)."""

    floor_usd_m: Amount = 0.0
    cap_usd_m: Amount | None = None
    max_cut_pct: Pct100 | None = None
    max_increase_pct: Pct | None = None
    increase_allowance_usd_m: Amount = 0.0


class PartnersModel(SettingsModel):
    default: PartnerLimitsModel | None = None
    overrides: dict[Id, PartnerLimitsModel] | None = None


class PoolModel(SettingsModel):
    max_usd_m: Amount | None = None
    min_usd_m: Amount = 0.0


def _lock_amount(value: Any) -> float | None:
    return None if value == "baseline" else _number(maximum=MAX_FUNDING_USD_M).__metadata__[0].func(value)


class LockModel(SettingsModel):
    partner_id: Id
    mechanism: Text
    amount_usd_m: Annotated[float | None, PlainValidator(_lock_amount)]
    basis: Text = ""
    citation: Text = ""


class DefenceEstimateModel(SettingsModel):
    """A planner's defence-spending estimate (US$ M/yr) for a partner without a SIPRI figure."""

    partner_id: Id
    milex_usd_m: _number(strict_min=True, maximum=MAX_FUNDING_USD_M)
    rationale: Text
    source: Text


class BullbearModel(SettingsModel):
    min_change_usd_m: Amount = AllocationSettings.bullbear_min_change_usd_m


class AllocationFile(SettingsModel):
    """The whole of ``weights/allocation.yaml``."""

    name: Text
    purpose: Text = ""
    mechanisms: Any
    baseline_mechanism: Text | None = None
    benefit: BenefitModel = BenefitModel()
    need: NeedModel = NeedModel()
    risk: RiskModel = RiskModel()
    eligibility: EligibilityModel = EligibilityModel()
    soft_limits: SoftModel = SoftModel()
    budget: BudgetModel = BudgetModel()
    commands: dict[str, CommandModel] | None = None
    partners: PartnersModel | None = None
    pools: dict[str, PoolModel] | None = None
    locks: Any = None
    frontier: FrontierModel = FrontierModel()
    defence_estimates: Any = None
    bullbear: BullbearModel = BullbearModel()
