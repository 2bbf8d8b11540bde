"""Allocation settings (``weights/allocation.yaml``) as frozen dataclasses, the types every stage reads.

The file is validated by :mod:`prioritizer.allocation.settings_file` (one pydantic model); an error names
the file and the key. Money is US$ M per year;
penalties are benefit units (effective US$ M) per US$ M of violation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from prioritizer.domain import INCOME_GROUPS as WORLD_BANK_GROUPS
from prioritizer.domain import PARTNER_TYPES

MAX_SETTING_VALUE = 1e9
"""Ceiling of a settings number without a tighter documented bound."""

BUDGET_RULES = ("baseline_total", "fixed")
SOLVERS = ("auto", "highs", "simplex", "ipm")
"""HiGHS methods: ``auto`` (= ``highs``) is the dual simplex, fastest on this LP shape (see
benchmarks/bench_allocate.py); ``ipm`` is the interior-point method with crossover (exact duals)."""
INCOME_GROUPS = (*WORLD_BANK_GROUPS, "unknown")
INCOME_ALIASES = {"UMIC": "UMC", "LMIC": "LMC", "HI": "HIC"}
LOCK_SHORTFALL = ("scale_pro_rata", "infeasible")


@dataclass(frozen=True)
class HumanRightsGate:
    """Proxy for unit-level Leahy vetting: partners whose ``indicator`` is at or above ``threshold`` (or at
    or below) are ineligible. Leahy vetting is per unit; a country-level indicator only approximates it."""

    indicator: str
    threshold: float
    exclude_when: str = "at_or_above"

    def excludes(self, values: pd.Series) -> pd.Series:
        """True where the gate excludes the partner; a missing value never excludes (it is flagged)."""
        if self.exclude_when == "at_or_above":
            return values >= self.threshold
        return values <= self.threshold


@dataclass(frozen=True)
class Mechanism:
    """A security-cooperation mechanism: effectiveness multiplier and eligibility rules.

    ``grant``: an FMF/IMET-type grant, closed to high-income partners unless an MOU/earmark names them.
    ``requires_defence_forces``: closed to state partners with no armed forces or no defence-spending figure.
    """

    id: str
    label: str
    effect: float
    partner_types: tuple[str, ...] = PARTNER_TYPES
    gate: HumanRightsGate | None = None
    grant: bool = False
    requires_defence_forces: bool = False


@dataclass(frozen=True)
class CommandLimit:
    """Floor and cap (US$ M/yr) on a combatant command's total; the floor is the larger of
    ``floor_usd_m`` and ``floor_pct_of_budget`` % of the budget."""

    command: str
    floor_usd_m: float = 0.0
    cap_usd_m: float | None = None
    floor_pct_of_budget: float = 0.0

    def floor_at(self, budget_usd_m: float) -> float:
        """The floor (US$ M/yr) at this budget."""
        return max(self.floor_usd_m, self.floor_pct_of_budget / 100.0 * budget_usd_m)


@dataclass(frozen=True)
class PartnerLimits:
    """Per-partner floor, cap (US$ M/yr) and change limits from baseline (percent)."""

    floor_usd_m: float = 0.0
    cap_usd_m: float | None = None
    max_cut_pct: float | None = 50.0
    max_increase_pct: float | None = 100.0
    increase_allowance_usd_m: float = 0.0


@dataclass(frozen=True)
class Pool:
    """Per-mechanism pool (authority): the mechanism's total across partners, US$ M/yr."""

    mechanism: str
    max_usd_m: float | None = None
    min_usd_m: float = 0.0


@dataclass(frozen=True)
class Lock:
    """A locked amount (statutory earmark / MOU). ``amount_usd_m=None`` means "at the partner's baseline"."""

    partner_id: str
    mechanism: str
    amount_usd_m: float | None
    basis: str = ""
    citation: str = ""


@dataclass(frozen=True)
class Need:
    """Need and additionality of a US dollar (see docs/method.md §4).

    additionality = reference / (reference + own defence spending) × income-group factor; a frontline
    partner's need is at least ``frontline_floor`` (its gap is set by the threat, not by its budget).
    """

    indicator: str = "sipri_milex_usd_m"
    reference_usd_m: float = 1500.0
    income_factors: tuple[tuple[str, float], ...] = (("HIC", 0.5), ("UMC", 0.8), ("LMC", 1.0), ("LIC", 1.0),
                                                     ("unknown", 0.8))
    frontline: tuple[str, ...] = ()
    frontline_floor: float = 0.6
    frontline_basis: str = ""
    no_defence_forces: float = 0.2  # additionality of a state without armed forces (nothing to build)
    under_resourced_min_need: float = 0.25  # below this need a $0 partner is not "under-resourced"

    def income_factor(self, group: str) -> float:
        """Factor for a World Bank income group (HIC/UMC/LMC/LIC; anything else is 'unknown')."""
        table = dict(self.income_factors)
        return table.get(group, table.get("unknown", 1.0))


@dataclass(frozen=True)
class Risk:
    """Risk that a dollar is wasted, 0–1, independent of propensity: data uncertainty (1 − coverage) and a
    planner's diversion / end-use assessment. risk = 1 − (1 − data) × (1 − diversion)."""

    discount: float = 0.5
    data_uncertainty: bool = True
    diversion: tuple[tuple[str, float, str], ...] = ()  # (partner_id, 0–1, basis)


@dataclass(frozen=True)
class DefenceForces:
    """Indicators that say a state has armed forces: a positive spending figure and, where reported,
    non-zero personnel."""

    spending_indicator: str = "sipri_milex_usd_m"
    personnel_indicator: str | None = "cow_milper_thousands"
    security_forces_indicator: str | None = None
    """Spending of national-level security forces (e.g. COW NMC ``cow_milex_usd_m``), used where the
    spending indicator has no positive figure: a state whose forces are a coast guard, border or public
    force (Panama, Costa Rica) is a counterpart under 10 U.S.C. 333 ("national military or national-level
    security forces")."""
    security_forces_basis: str = ""
    security_forces_min_year: int = 2018
    """Oldest data year of a security-force spending figure that is used (an older one is stale)."""


@dataclass(frozen=True)
class DefenceEstimate:
    """A planner-supplied defence-spending estimate (US$ M/yr) for a partner without a SIPRI figure; used in
    place of the missing figure (need, absorptive scale, armed forces) and shown as "planner estimate"."""

    partner_id: str
    milex_usd_m: float
    rationale: str
    source: str


@dataclass(frozen=True)
class SoftLimits:
    """Penalties (benefit per US$ M of violation) that make lower limits soft; None = hard."""

    command_floor_penalty: float | None = None
    partner_minimum_penalty: float | None = None
    pool_minimum_penalty: float | None = None
    lock_shortfall: str = "infeasible"


@dataclass(frozen=True)
class AllocationSettings:
    """Validated allocation settings (see ``weights/allocation.yaml``). Hashable, so results can be cached."""

    name: str
    purpose: str
    mechanisms: tuple[Mechanism, ...]
    segments: int = 4
    u_max: float = 3.0
    scale_indicator: str = "sipri_milex_usd_m"
    scale_fraction: float = 0.05
    min_scale_usd_m: float = 5.0
    max_scale_usd_m: float = 500.0
    no_defence_scale_usd_m: float = 0.5
    need: Need = Need()
    risk: Risk = Risk()
    defence_forces: DefenceForces = DefenceForces()
    high_income_groups: tuple[str, ...] = ("HIC",)
    grant_exceptions: tuple[tuple[str, str], ...] = ()  # (partner_id, basis)
    soft: SoftLimits = SoftLimits()
    commands: tuple[CommandLimit, ...] = ()
    partner_defaults: PartnerLimits = PartnerLimits()
    partner_overrides: tuple[tuple[str, PartnerLimits], ...] = ()
    pools: tuple[Pool, ...] = ()
    locks: tuple[Lock, ...] = ()
    baseline_mechanism: str = "fmf"
    budget_rule: str = "baseline_total"
    budget_pct_of_baseline: float = 100.0
    budget_usd_m: float | None = None
    frontier_levels: int = 25
    frontier_low_pct: float = 20.0
    frontier_high_pct: float = 200.0
    source: str = "<settings>"
    defence_estimates: tuple[DefenceEstimate, ...] = ()
    bullbear_min_change_usd_m: float = 1.0
    """Materiality threshold (US$ M/yr): a change from the reference smaller than this is neither bullish nor
    bearish. $1 M is the smallest line planners brief (a single IMET or exercise line) and below the
    year-to-year execution noise of most partners' programmes; the old constant, $0.25 M, listed changes such
    as Germany −$0.8 M as calls."""

    # the risk term no longer reads a score category (propensity already contains stability)
    risk_category: str = ""

    @property
    def risk_discount(self) -> float:
        """Share of value lost at risk 1 (0–1)."""
        return self.risk.discount

    @property
    def mechanism_ids(self) -> tuple[str, ...]:
        """Mechanism ids in settings order."""
        return tuple(m.id for m in self.mechanisms)

    def mechanism(self, mechanism_id: str) -> Mechanism:
        """The mechanism with this id."""
        return next(m for m in self.mechanisms if m.id == mechanism_id)

    def command_limit(self, command: str) -> CommandLimit:
        """Floor and cap of a command (no floor, no cap if the settings are silent)."""
        return next((c for c in self.commands if c.command == command), CommandLimit(command))

    def partner_limits(self, partner_id: str) -> PartnerLimits:
        """The partner's limits: its override if any, else the defaults."""
        return next((lim for pid, lim in self.partner_overrides if pid == partner_id), self.partner_defaults)

    def pool(self, mechanism_id: str) -> Pool:
        """The pool of a mechanism (unlimited if the settings are silent)."""
        return next((p for p in self.pools if p.mechanism == mechanism_id), Pool(mechanism_id))

    def default_budget(self, baseline_total_usd_m: float) -> float:
        """Budget (US$ M/yr) when none is given: the settings' rule applied to the baseline total."""
        if self.budget_rule == "fixed" and self.budget_usd_m is not None:
            return float(self.budget_usd_m)
        return float(baseline_total_usd_m) * self.budget_pct_of_baseline / 100.0


