"""Allocation settings (``weights/allocation.yaml``): dataclasses and the strict loader.

Every key is validated on load; an error names the file and the key. Money is US$ M per year;
penalties are benefit units (effective US$ M) per US$ M of violation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from prioritizer.domain import COMMANDS, PARTNER_TYPES
from prioritizer.errors import InputError
from prioritizer.load import MAX_FUNDING_USD_M
from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS
from prioritizer.safe_yaml import MAX_YAML_BYTES, parse_yaml

MAX_SETTING_VALUE = 1e9
"""Ceiling of a settings number without a tighter documented bound."""

BUDGET_RULES = ("baseline_total", "fixed")
SOLVERS = ("auto", "highs", "cbc")
INCOME_GROUPS = ("HIC", "UMC", "LMC", "LIC", "unknown")
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


class _Reader:
    """Strict reader for the settings mapping: every error names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> InputError:
        return InputError(message, file=self.source, key=key)

    def mapping(self, value: Any, key: str, allowed: Iterable[str], required: Iterable[str] = ()) -> dict:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping of keys to values, got {_kind(value)}")
        allowed = allowed if isinstance(allowed, _AnyKeys) else tuple(allowed)
        out = {}
        for k, v in value.items():
            name = str(k)
            if name not in allowed:
                raise self.fail(_join(key, name), f"unknown key '{name}' (allowed: {', '.join(allowed)})")
            out[name] = v
        for name in required:
            if name not in out:
                raise self.fail(_join(key, name), "required key is missing")
        return out

    def number(self, value: Any, key: str, *, minimum: float | None = 0.0, maximum: float | None = None,
               optional: bool = False, strict_min: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"not a number ({value!r})")
        value = float(value)
        if not math.isfinite(value):
            raise self.fail(key, f"must be a finite number, got {value}")
        if minimum is not None and (value < minimum or (strict_min and value == minimum)):
            what = "negative amounts are not allowed" if minimum == 0 and not strict_min else \
                f"must be {'>' if strict_min else '≥'} {minimum:g}"
            raise self.fail(key, f"{what} (got {value:g})")
        if maximum is None:  # documented ceilings: amounts ≤ US$ 1 trillion/yr, percentages ≤ 1000 %
            leaf = key.rsplit(".", 1)[-1]
            maximum = (MAX_FUNDING_USD_M if "usd_m" in leaf else 1000.0 if "pct" in leaf else MAX_SETTING_VALUE)
        if value > maximum or (minimum is None and value < -maximum):
            raise self.fail(key, f"must be ≤ {maximum:,g} (got {value:g})" if value > maximum
                            else f"must be ≥ {-maximum:,g} (got {value:g})")
        return value

    def integer(self, value: Any, key: str, minimum: int, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number between {minimum} and {maximum} ({value!r})")
        if not minimum <= value <= maximum:
            raise self.fail(key, f"must be between {minimum} and {maximum} (got {value})")
        return int(value)

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    def text(self, value: Any, key: str, *, choices: Sequence[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected non-empty text, got {_kind(value)}")
        if choices is not None and value not in choices:
            raise self.fail(key, f"unknown value '{value}' (allowed: {', '.join(choices)})")
        return value.strip()


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:80]


def _join(key: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{key}[{name}]"
    return f"{key}.{name}" if key else name


def load_settings(path: str | Path | None = None, known_commands: Iterable[str] | None = None,
                  known_partners: Iterable[str] | None = None) -> AllocationSettings:
    """Read and validate allocation settings YAML (default ``weights/allocation.yaml``).

    Raises :class:`InputError` naming the file and the key for broken YAML, unknown keys, unknown
    mechanism, command or partner ids, negative amounts and floors above caps.
    """
    path = Path(path) if path is not None else DEFAULT_ALLOCATION_SETTINGS
    try:
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            raise InputError(f"YAML file is larger than {MAX_YAML_BYTES // 1_000_000} MB; a settings file is a "
                             "few KB", file=str(path))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("settings file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read settings ({exc})", file=str(path)) from None
    try:
        data = parse_yaml(text, str(path), syntax_errors=True)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"broken YAML{where}: {problem}", file=str(path)) from None
    return settings_from_dict(data, source=str(path), known_commands=known_commands,
                              known_partners=known_partners)


def settings_from_dict(data: Any, source: str = "<settings>", known_commands: Iterable[str] | None = None,
                       known_partners: Iterable[str] | None = None) -> AllocationSettings:
    """Validate a settings mapping (as read from YAML) into :class:`AllocationSettings`."""
    r = _Reader(source)
    commands_known = tuple(known_commands) if known_commands is not None else COMMANDS
    partners_known = set(known_partners) if known_partners is not None else None
    top = r.mapping(data, "", ["name", "purpose", "mechanisms", "baseline_mechanism", "benefit", "need", "risk",
                               "eligibility", "soft_limits", "budget", "commands", "partners", "pools", "locks",
                               "frontier"],
                    required=["name", "mechanisms"])
    name = r.text(top["name"], "name")
    purpose = r.text(top["purpose"], "purpose") if "purpose" in top else ""
    mechanisms = _mechanisms(r, top["mechanisms"])
    mech_ids = tuple(m.id for m in mechanisms)

    def mechanism_id(value: Any, key: str) -> str:
        text = r.text(value, key)
        if text not in mech_ids:
            raise r.fail(key, f"unknown mechanism '{text}' (known: {', '.join(mech_ids)})")
        return text

    def partner_id(value: Any, key: str) -> str:
        text = r.text(str(value) if isinstance(value, int) else value, key)
        if partners_known is not None and text not in partners_known:
            raise r.fail(key, f"unknown partner '{text}' (not in the partners table)")
        return text

    def partner_list(value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise r.fail(key, "expected a list of partner ids")
        return tuple(partner_id(v, _join(key, i)) for i, v in enumerate(value))

    baseline_mechanism = mechanism_id(top["baseline_mechanism"], "baseline_mechanism") \
        if "baseline_mechanism" in top else ("fmf" if "fmf" in mech_ids else mech_ids[-1])

    kw: dict[str, Any] = {}
    if "benefit" in top:
        kw.update(_benefit(r, top["benefit"]))
    if "need" in top:
        kw["need"] = _need(r, top["need"], partner_list)
    if "risk" in top:
        kw["risk"] = _risk(r, top["risk"], partner_id)
    if "eligibility" in top:
        el = r.mapping(top["eligibility"], "eligibility", ["high_income_groups", "grant_exceptions",
                                                           "defence_forces"])
        if "high_income_groups" in el:
            key = "eligibility.high_income_groups"
            if not isinstance(el["high_income_groups"], list):
                raise r.fail(key, "expected a list of World Bank income groups such as [HIC]")
            kw["high_income_groups"] = tuple(r.text(g, key, choices=INCOME_GROUPS[:-1])
                                             for g in el["high_income_groups"])
        if el.get("grant_exceptions") is not None:
            key = "eligibility.grant_exceptions"
            ex = r.mapping(el["grant_exceptions"], key, _AnyKeys())
            items = []
            for pid, item in ex.items():
                k = _join(key, pid)
                m = r.mapping(item, k, ["basis"], required=["basis"])
                items.append((partner_id(pid, k), r.text(m["basis"], _join(k, "basis"))))
            kw["grant_exceptions"] = tuple(items)
        if "defence_forces" in el:
            key = "eligibility.defence_forces"
            d = r.mapping(el["defence_forces"], key, ["spending_indicator", "personnel_indicator"])
            kw["defence_forces"] = DefenceForces(
                spending_indicator=r.text(d.get("spending_indicator", "sipri_milex_usd_m"),
                                          _join(key, "spending_indicator")),
                personnel_indicator=None if d.get("personnel_indicator") is None else
                r.text(d["personnel_indicator"], _join(key, "personnel_indicator")))
    if "soft_limits" in top:
        kw["soft"] = _soft(r, top["soft_limits"])
    if "budget" in top:
        bd = r.mapping(top["budget"], "budget", ["rule", "pct_of_baseline", "usd_m"])
        rule = r.text(bd.get("rule", "baseline_total"), "budget.rule", choices=BUDGET_RULES)
        kw["budget_rule"] = rule
        if "pct_of_baseline" in bd:
            kw["budget_pct_of_baseline"] = r.number(bd["pct_of_baseline"], "budget.pct_of_baseline")
        if "usd_m" in bd:
            kw["budget_usd_m"] = r.number(bd["usd_m"], "budget.usd_m")
        if rule == "fixed" and kw.get("budget_usd_m") is None:
            raise r.fail("budget.usd_m", "rule 'fixed' needs an amount in usd_m")
    if "frontier" in top:
        fr = r.mapping(top["frontier"], "frontier", ["levels", "low_pct", "high_pct"])
        if "levels" in fr:
            kw["frontier_levels"] = r.integer(fr["levels"], "frontier.levels", 2, 500)
        if "low_pct" in fr:
            kw["frontier_low_pct"] = r.number(fr["low_pct"], "frontier.low_pct")
        if "high_pct" in fr:
            kw["frontier_high_pct"] = r.number(fr["high_pct"], "frontier.high_pct")
        if kw.get("frontier_low_pct", 20.0) >= kw.get("frontier_high_pct", 200.0):
            raise r.fail("frontier.low_pct", "low_pct must be below high_pct")

    commands: list[CommandLimit] = []
    if top.get("commands") is not None:
        cm = r.mapping(top["commands"], "commands", commands_known)
        for cid, limits in cm.items():
            key = _join("commands", cid)
            lim = r.mapping(limits, key, ["floor_usd_m", "cap_usd_m", "floor_pct_of_budget"])
            floor = r.number(lim.get("floor_usd_m", 0.0), _join(key, "floor_usd_m"))
            pct = r.number(lim.get("floor_pct_of_budget", 0.0), _join(key, "floor_pct_of_budget"), maximum=100.0)
            cap = r.number(lim.get("cap_usd_m"), _join(key, "cap_usd_m"), optional=True)
            if cap is not None and floor > cap:
                raise r.fail(_join(key, "floor_usd_m"), f"floor ${floor:,.1f} M > cap ${cap:,.1f} M")
            commands.append(CommandLimit(cid, floor, cap, pct))
        total_pct = sum(c.floor_pct_of_budget for c in commands)
        if total_pct > 100.0 + 1e-9:
            raise r.fail("commands", f"floor_pct_of_budget sums to {total_pct:g} % > 100 %")

    defaults, overrides = PartnerLimits(), []
    if top.get("partners") is not None:
        pm = r.mapping(top["partners"], "partners", ["default", "overrides"])
        if "default" in pm:
            defaults = _partner_limits(r, pm["default"], "partners.default", PartnerLimits())
        if pm.get("overrides") is not None:
            ov = r.mapping(pm["overrides"], "partners.overrides", _AnyKeys())
            for pid, item in ov.items():
                key = _join("partners.overrides", pid)
                overrides.append((partner_id(pid, key), _partner_limits(r, item, key, defaults)))

    pools: list[Pool] = []
    if top.get("pools") is not None:
        pl = r.mapping(top["pools"], "pools", mech_ids)
        for mid, item in pl.items():
            key = _join("pools", mid)
            p = r.mapping(item, key, ["max_usd_m", "min_usd_m"])
            mx = r.number(p.get("max_usd_m"), _join(key, "max_usd_m"), optional=True)
            mn = r.number(p.get("min_usd_m", 0.0), _join(key, "min_usd_m"))
            if mx is not None and mn > mx:
                raise r.fail(_join(key, "min_usd_m"),
                             f"pool minimum ${mn:,.1f} M > pool maximum ${mx:,.1f} M")
            pools.append(Pool(mid, mx, mn))

    locks: list[Lock] = []
    if top.get("locks") is not None:
        if not isinstance(top["locks"], list):
            raise r.fail("locks", "expected a list of locks (partner_id, mechanism, amount_usd_m)")
        for i, item in enumerate(top["locks"]):
            key = _join("locks", i)
            lk = r.mapping(item, key, ["partner_id", "mechanism", "amount_usd_m", "basis", "citation"],
                           required=["partner_id", "mechanism", "amount_usd_m"])
            pid = partner_id(lk["partner_id"], _join(key, "partner_id"))
            mid = mechanism_id(lk["mechanism"], _join(key, "mechanism"))
            amount_raw = lk["amount_usd_m"]
            amount = None if amount_raw == "baseline" else r.number(amount_raw, _join(key, "amount_usd_m"))
            if any(x.partner_id == pid and x.mechanism == mid for x in locks):
                raise r.fail(key, f"duplicate lock on {pid}/{mid}")
            basis = r.text(lk["basis"], _join(key, "basis")) if "basis" in lk else ""
            citation = r.text(lk["citation"], _join(key, "citation")) if "citation" in lk else ""
            locks.append(Lock(pid, mid, amount, basis, citation))

    return AllocationSettings(
        name=name, purpose=purpose, mechanisms=tuple(mechanisms), commands=tuple(commands),
        partner_defaults=defaults, partner_overrides=tuple(overrides), pools=tuple(pools), locks=tuple(locks),
        baseline_mechanism=baseline_mechanism, source=source, **kw,
    )


def _mechanisms(r: _Reader, raw_mechs: Any) -> list[Mechanism]:
    if not isinstance(raw_mechs, list) or not raw_mechs:
        raise r.fail("mechanisms", "expected a non-empty list of mechanisms")
    mechanisms: list[Mechanism] = []
    for i, item in enumerate(raw_mechs):
        key = _join("mechanisms", i)
        m = r.mapping(item, key, ["id", "label", "effect", "eligibility"], required=["id", "effect"])
        mid = r.text(m["id"], _join(key, "id"))
        if mid in {x.id for x in mechanisms}:
            raise r.fail(_join(key, "id"), f"duplicate mechanism id '{mid}'")
        effect = r.number(m["effect"], _join(key, "effect"), minimum=0.0)
        label = r.text(m["label"], _join(key, "label")) if "label" in m else mid
        types, gate, grant, forces = PARTNER_TYPES, None, False, False
        if "eligibility" in m:
            ekey = _join(key, "eligibility")
            e = r.mapping(m["eligibility"], ekey, ["partner_types", "human_rights_gate", "grant",
                                                   "requires_defence_forces"])
            if "partner_types" in e:
                tkey = _join(ekey, "partner_types")
                if not isinstance(e["partner_types"], list):
                    raise r.fail(tkey, "expected a list such as [state, non-state]")
                types = tuple(r.text(t, tkey, choices=PARTNER_TYPES) for t in e["partner_types"])
            if "human_rights_gate" in e:
                gkey = _join(ekey, "human_rights_gate")
                g = r.mapping(e["human_rights_gate"], gkey, ["indicator", "threshold", "exclude_when"],
                              required=["indicator", "threshold"])
                gate = HumanRightsGate(
                    indicator=r.text(g["indicator"], _join(gkey, "indicator")),
                    threshold=r.number(g["threshold"], _join(gkey, "threshold"), minimum=None),
                    exclude_when=r.text(g.get("exclude_when", "at_or_above"), _join(gkey, "exclude_when"),
                                        choices=("at_or_above", "at_or_below")),
                )
            grant = r.flag(e.get("grant", False), _join(ekey, "grant"))
            forces = r.flag(e.get("requires_defence_forces", False), _join(ekey, "requires_defence_forces"))
        mechanisms.append(Mechanism(mid, label, effect, types, gate, grant, forces))
    return mechanisms


def _benefit(r: _Reader, value: Any) -> dict[str, Any]:
    b = r.mapping(value, "benefit", ["curve", "segments", "u_max", "scale_indicator", "scale_fraction",
                                     "min_scale_usd_m", "max_scale_usd_m", "no_defence_scale_usd_m"])
    kw: dict[str, Any] = {}
    if "curve" in b:
        r.text(b["curve"], "benefit.curve", choices=("exponential",))
    if "segments" in b:
        kw["segments"] = r.integer(b["segments"], "benefit.segments", 1, 50)
    if "u_max" in b:
        kw["u_max"] = r.number(b["u_max"], "benefit.u_max", minimum=0.0, strict_min=True, maximum=20.0)
    if "scale_indicator" in b:
        kw["scale_indicator"] = r.text(b["scale_indicator"], "benefit.scale_indicator")
    for name in ("scale_fraction", "min_scale_usd_m", "max_scale_usd_m", "no_defence_scale_usd_m"):
        if name in b:
            kw[name] = r.number(b[name], f"benefit.{name}", minimum=0.0, strict_min=True)
    lo = kw.get("min_scale_usd_m", AllocationSettings.min_scale_usd_m)
    hi = kw.get("max_scale_usd_m", AllocationSettings.max_scale_usd_m)
    if lo > hi:
        raise r.fail("benefit.min_scale_usd_m", f"min scale {lo:g} > max scale {hi:g}")
    return kw


def _need(r: _Reader, value: Any, partner_list: Any) -> Need:
    n = r.mapping(value, "need", ["indicator", "reference_usd_m", "income_group_factor", "frontline",
                                  "no_defence_forces", "under_resourced_min_need"])
    n_kw = {k: r.number(n[k], f"need.{k}", maximum=1.0) for k in ("no_defence_forces", "under_resourced_min_need")
            if k in n}
    kw: dict[str, Any] = {}
    if "indicator" in n:
        kw["indicator"] = r.text(n["indicator"], "need.indicator")
    if "reference_usd_m" in n:
        kw["reference_usd_m"] = r.number(n["reference_usd_m"], "need.reference_usd_m", strict_min=True)
    if "income_group_factor" in n:
        key = "need.income_group_factor"
        f = r.mapping(n["income_group_factor"], key, INCOME_GROUPS, required=INCOME_GROUPS)
        kw["income_factors"] = tuple((g, r.number(f[g], _join(key, g), maximum=1.0)) for g in INCOME_GROUPS)
    if "frontline" in n:
        key = "need.frontline"
        fl = r.mapping(n["frontline"], key, ["need_floor", "basis", "partners"], required=["partners"])
        kw["frontline"] = partner_list(fl["partners"], _join(key, "partners"))
        if "need_floor" in fl:
            kw["frontline_floor"] = r.number(fl["need_floor"], _join(key, "need_floor"), maximum=1.0)
        if "basis" in fl:
            kw["frontline_basis"] = r.text(fl["basis"], _join(key, "basis"))
    return Need(**kw, **n_kw)


def _risk(r: _Reader, value: Any, partner_id: Any) -> Risk:
    rk = r.mapping(value, "risk", ["category", "discount", "data_uncertainty", "diversion"])
    if "category" in rk:
        raise r.fail("risk.category", "the risk term no longer reads a score category: propensity already "
                     "contains stability (double counting); use data_uncertainty and diversion")
    kw: dict[str, Any] = {}
    if "discount" in rk:
        kw["discount"] = r.number(rk["discount"], "risk.discount", maximum=1.0)
    if "data_uncertainty" in rk:
        kw["data_uncertainty"] = r.flag(rk["data_uncertainty"], "risk.data_uncertainty")
    if rk.get("diversion") is not None:
        d = r.mapping(rk["diversion"], "risk.diversion", _AnyKeys())
        items = []
        for pid, item in d.items():
            key = _join("risk.diversion", pid)
            m = r.mapping(item, key, ["risk", "basis"], required=["risk", "basis"])
            items.append((partner_id(pid, key), r.number(m["risk"], _join(key, "risk"), maximum=1.0),
                          r.text(m["basis"], _join(key, "basis"))))
        kw["diversion"] = tuple(items)
    return Risk(**kw)


def _soft(r: _Reader, value: Any) -> SoftLimits:
    s = r.mapping(value, "soft_limits", ["command_floor_penalty", "partner_minimum_penalty",
                                         "pool_minimum_penalty", "lock_shortfall"])
    kw: dict[str, Any] = {}
    for name in ("command_floor_penalty", "partner_minimum_penalty", "pool_minimum_penalty"):
        if name in s:
            kw[name] = r.number(s[name], f"soft_limits.{name}", optional=True, strict_min=True)
    if "lock_shortfall" in s:
        kw["lock_shortfall"] = r.text(s["lock_shortfall"], "soft_limits.lock_shortfall", choices=LOCK_SHORTFALL)
    return SoftLimits(**kw)

class _AnyKeys(tuple):
    """Allowed-keys marker that accepts any key (partner ids are checked separately)."""

    def __contains__(self, item: object) -> bool:
        return True


def _partner_limits(r: _Reader, value: Any, key: str, base: PartnerLimits) -> PartnerLimits:
    fields = ["floor_usd_m", "cap_usd_m", "max_cut_pct", "max_increase_pct", "increase_allowance_usd_m"]
    m = r.mapping(value, key, fields)
    floor = r.number(m.get("floor_usd_m", base.floor_usd_m), _join(key, "floor_usd_m"))
    cap = r.number(m.get("cap_usd_m", base.cap_usd_m), _join(key, "cap_usd_m"), optional=True)
    cut = r.number(m.get("max_cut_pct", base.max_cut_pct), _join(key, "max_cut_pct"), maximum=100.0,
                   optional=True)
    inc = r.number(m.get("max_increase_pct", base.max_increase_pct), _join(key, "max_increase_pct"),
                   optional=True)
    allowance = r.number(m.get("increase_allowance_usd_m", base.increase_allowance_usd_m),
                         _join(key, "increase_allowance_usd_m"))
    if cap is not None and floor > cap:
        raise r.fail(_join(key, "floor_usd_m"), f"floor ${floor:,.1f} M > cap ${cap:,.1f} M")
    return PartnerLimits(floor, cap, cut, inc, allowance)
