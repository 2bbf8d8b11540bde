"""Allocate a security-cooperation budget across partners and mechanisms with a linear program.

Decision ``x[p, m]`` ≥ 0 is US$ M/yr to partner ``p`` through mechanism ``m``. Benefit is concave
(diminishing returns): ``value_p × effect_m × S_p × g(x / S_p)`` with ``g(u) = 1 − e^−u`` written as
``segments`` linear pieces on ``u ∈ [0, u_max]``. ``S_p`` is the partner scale (a fraction of its own
military spending), so US money is most productive relative to what the partner invests itself.
Nothing is allocated above ``S_p × u_max`` for one partner and mechanism (the *curve ceiling*), except
a locked amount (statutory earmark), which is honoured in full; dollars above the ceiling add no benefit.

Benefit is measured in *effective US$ M*: at the first dollar a top-priority (5), propensity-100, riskless
partner turns $1 M through a mechanism with effect 1.0 into 1 unit of benefit.

The LP is built in PuLP and solved with HiGHS through ``highspy`` (``pulp.HiGHS``: in-process, no
temporary files, exact duals, much faster than the CBC command line); CBC is the fallback. Every solve's
status is checked; a non-optimal status never produces a result. Settings live in
``weights/allocation.yaml`` and are validated by :func:`load_settings`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pulp
import yaml
from scipy import sparse

from prioritizer.errors import InfeasibleError, InputError
from prioritizer.load import MAX_FUNDING_USD_M, parse_number
from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS
from prioritizer.safe_yaml import MAX_YAML_BYTES, parse_yaml

COMMANDS = ("AFRICOM", "CENTCOM", "EUCOM", "INDOPACOM", "NORTHCOM", "SOUTHCOM")
PARTNER_TYPES = ("state", "non-state")
CATEGORIES = ("governance", "democracy_rights", "stability", "absorptive_capacity", "shared_interests",
              "us_engagement")
BUDGET_RULES = ("baseline_total", "fixed")
SOLVERS = ("auto", "highs", "cbc")
HIGHS_LABEL = "HiGHS (highspy)"
EQ, GE, LE = pulp.LpConstraintEQ, pulp.LpConstraintGE, pulp.LpConstraintLE
TOL = 1e-6  # US$ M; below this an amount is treated as zero and a constraint as binding

# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HumanRightsGate:
    """Partners whose ``indicator`` is at or above ``threshold`` are ineligible (or at or below)."""

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
    """A security-cooperation mechanism: effectiveness multiplier and eligibility rules."""

    id: str
    label: str
    effect: float
    partner_types: tuple[str, ...] = PARTNER_TYPES
    gate: HumanRightsGate | None = None


@dataclass(frozen=True)
class CommandLimit:
    """Floor and cap (US$ M/yr) on a combatant command's total allocation."""

    command: str
    floor_usd_m: float = 0.0
    cap_usd_m: float | None = None


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
    """A locked amount (statutory earmark). ``amount_usd_m=None`` means "at the partner's baseline"."""

    partner_id: str
    mechanism: str
    amount_usd_m: float | None
    basis: str = ""


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
    risk_category: str = "stability"
    risk_discount: float = 0.5
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


MAX_SETTING_VALUE = 1e9
"""Ceiling of a settings number without a tighter documented bound."""


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
    top = r.mapping(data, "", ["name", "purpose", "mechanisms", "baseline_mechanism", "benefit", "risk",
                               "budget", "commands", "partners", "pools", "locks", "frontier"],
                    required=["name", "mechanisms"])
    name = r.text(top["name"], "name")
    purpose = r.text(top["purpose"], "purpose") if "purpose" in top else ""

    # mechanisms
    raw_mechs = top["mechanisms"]
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
        types, gate = PARTNER_TYPES, None
        if "eligibility" in m:
            ekey = _join(key, "eligibility")
            e = r.mapping(m["eligibility"], ekey, ["partner_types", "human_rights_gate"])
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
        mechanisms.append(Mechanism(mid, label, effect, types, gate))
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

    baseline_mechanism = mechanism_id(top.get("baseline_mechanism", mech_ids[-1]), "baseline_mechanism") \
        if "baseline_mechanism" in top else ("fmf" if "fmf" in mech_ids else mech_ids[-1])

    kw: dict[str, Any] = {}
    if "benefit" in top:
        b = r.mapping(top["benefit"], "benefit", ["curve", "segments", "u_max", "scale_indicator",
                                                   "scale_fraction", "min_scale_usd_m", "max_scale_usd_m"])
        if "curve" in b:
            r.text(b["curve"], "benefit.curve", choices=("exponential",))
        if "segments" in b:
            kw["segments"] = r.integer(b["segments"], "benefit.segments", 1, 50)
        if "u_max" in b:
            kw["u_max"] = r.number(b["u_max"], "benefit.u_max", minimum=0.0, strict_min=True, maximum=20.0)
        if "scale_indicator" in b:
            kw["scale_indicator"] = r.text(b["scale_indicator"], "benefit.scale_indicator")
        if "scale_fraction" in b:
            kw["scale_fraction"] = r.number(b["scale_fraction"], "benefit.scale_fraction", minimum=0.0,
                                            strict_min=True)
        if "min_scale_usd_m" in b:
            kw["min_scale_usd_m"] = r.number(b["min_scale_usd_m"], "benefit.min_scale_usd_m", minimum=0.0,
                                             strict_min=True)
        if "max_scale_usd_m" in b:
            kw["max_scale_usd_m"] = r.number(b["max_scale_usd_m"], "benefit.max_scale_usd_m", minimum=0.0,
                                             strict_min=True)
        lo = kw.get("min_scale_usd_m", AllocationSettings.min_scale_usd_m)
        hi = kw.get("max_scale_usd_m", AllocationSettings.max_scale_usd_m)
        if lo > hi:
            raise r.fail("benefit.min_scale_usd_m", f"min scale {lo:g} > max scale {hi:g}")
    if "risk" in top:
        rk = r.mapping(top["risk"], "risk", ["category", "discount"])
        if "category" in rk:
            kw["risk_category"] = r.text(rk["category"], "risk.category", choices=CATEGORIES)
        if "discount" in rk:
            kw["risk_discount"] = r.number(rk["discount"], "risk.discount", minimum=0.0, maximum=1.0)
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

    # commands
    commands: list[CommandLimit] = []
    if top.get("commands") is not None:
        cm = r.mapping(top["commands"], "commands", commands_known)
        for cid, limits in cm.items():
            key = _join("commands", cid)
            lim = r.mapping(limits, key, ["floor_usd_m", "cap_usd_m"])
            floor = r.number(lim.get("floor_usd_m", 0.0), _join(key, "floor_usd_m"))
            cap = r.number(lim.get("cap_usd_m"), _join(key, "cap_usd_m"), optional=True)
            if cap is not None and floor > cap:
                raise r.fail(_join(key, "floor_usd_m"), f"floor ${floor:,.1f} M > cap ${cap:,.1f} M")
            commands.append(CommandLimit(cid, floor, cap))

    # partners
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

    # pools
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

    # locks
    locks: list[Lock] = []
    if top.get("locks") is not None:
        if not isinstance(top["locks"], list):
            raise r.fail("locks", "expected a list of locks (partner_id, mechanism, amount_usd_m)")
        for i, item in enumerate(top["locks"]):
            key = _join("locks", i)
            lk = r.mapping(item, key, ["partner_id", "mechanism", "amount_usd_m", "basis"],
                           required=["partner_id", "mechanism", "amount_usd_m"])
            pid = partner_id(lk["partner_id"], _join(key, "partner_id"))
            mid = mechanism_id(lk["mechanism"], _join(key, "mechanism"))
            amount_raw = lk["amount_usd_m"]
            amount = None if amount_raw == "baseline" else r.number(amount_raw, _join(key, "amount_usd_m"))
            if any(x.partner_id == pid and x.mechanism == mid for x in locks):
                raise r.fail(key, f"duplicate lock on {pid}/{mid}")
            basis = r.text(lk["basis"], _join(key, "basis")) if "basis" in lk else ""
            locks.append(Lock(pid, mid, amount, basis))

    return AllocationSettings(
        name=name, purpose=purpose, mechanisms=tuple(mechanisms), commands=tuple(commands),
        partner_defaults=defaults, partner_overrides=tuple(overrides), pools=tuple(pools), locks=tuple(locks),
        baseline_mechanism=baseline_mechanism, source=source, **kw,
    )


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


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------


@dataclass
class AllocationInputs:
    """Per-partner inputs of the LP, derived from scores, raw indicators and baseline funding.

    ``partners`` (index partner_id): name, command, partner_type, priority (1–5), propensity (0–100),
    risk (0–1, higher = riskier), value (benefit per effective $ at the first dollar, 0–1),
    scale_usd_m (S_p), scale_imputed (bool), baseline_usd_m, plus the ``<category>_score`` columns.
    ``eligible`` is partner × mechanism (bool); ``baseline_by_mechanism`` partner × mechanism (US$ M);
    ``flags`` partner × mechanism (True where an eligibility indicator was missing and the partner was
    kept eligible). ``cache`` holds LP structures keyed by settings (no state outside this object); it is
    not copied by ``dataclasses.replace``, and the frames are treated as read-only once built.
    """

    partners: pd.DataFrame
    eligible: pd.DataFrame
    baseline_by_mechanism: pd.DataFrame
    flags: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def baseline_total_usd_m(self) -> float:
        """Sum of baseline funding over partners (US$ M/yr)."""
        return float(self.partners["baseline_usd_m"].sum())


def _partners_have(n: int) -> str:
    """'1 partner has' / 'n partners have' (for notes)."""
    return f"{n} partner has" if n == 1 else f"{n} partners have"


def build_inputs(scores: pd.DataFrame, raw: pd.DataFrame, funding: pd.DataFrame,
                 settings: AllocationSettings) -> AllocationInputs:
    """Derive value, scale, risk, baseline and eligibility per partner (see the module docstring)."""
    risk_col = f"{settings.risk_category}_score"
    needed = ["name", "command", "partner_type", "propensity", "priority", risk_col]
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
    for col in ("priority", "propensity", risk_col):
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
    priority = frame["priority"].fillna(1.0).clip(1.0, 5.0)
    frame["priority"] = priority
    miss = frame["propensity"].isna()
    if miss.any():
        notes.append(f"{_partners_have(int(miss.sum()))} no propensity: value 0 (no benefit from funding)")
    propensity = frame["propensity"].fillna(0.0).clip(0.0, 100.0)
    miss = frame[risk_col].isna()
    if miss.any():
        notes.append(f"{_partners_have(int(miss.sum()))} no {risk_col}: risk treated as the highest (1.0)")
    risk = (1.0 - frame[risk_col].clip(0.0, 100.0) / 100.0).fillna(1.0)
    frame["propensity"] = propensity
    frame["risk"] = risk
    frame["value"] = (priority / 5.0) * (propensity / 100.0) * (1.0 - settings.risk_discount * risk)

    # partner scale S_p
    raw = raw.reindex(idx)
    if settings.scale_indicator in raw.columns:
        milex = pd.to_numeric(raw[settings.scale_indicator], errors="coerce")
    else:
        milex = pd.Series(np.nan, index=idx)
        notes.append(f"raw indicators have no '{settings.scale_indicator}': every partner scale is minimal")
    scale = (settings.scale_fraction * milex).clip(settings.min_scale_usd_m, settings.max_scale_usd_m)
    frame["scale_imputed"] = scale.isna() | (milex <= 0)
    frame["scale_usd_m"] = scale.where(~frame["scale_imputed"], settings.min_scale_usd_m)
    n_imp = int(frame["scale_imputed"].sum())
    if n_imp:
        notes.append(f"{_partners_have(n_imp)} no {settings.scale_indicator}: scale set to the minimum "
                     f"${settings.min_scale_usd_m:g} M")

    # baseline
    if "baseline_usd_m" not in funding.columns:
        raise InputError("funding table has no column 'baseline_usd_m'", column="baseline_usd_m")
    fund = funding.reindex(idx)
    base = pd.to_numeric(fund["baseline_usd_m"], errors="coerce")
    if (base < 0).any():
        raise InputError(f"negative baseline for {base.index[base < 0][0]}", column="baseline_usd_m")
    n_missing = int(base.isna().sum())
    if n_missing:
        notes.append(f"{_partners_have(n_missing)} no baseline funding row: baseline $0 M")
    frame["baseline_usd_m"] = base.fillna(0.0)
    extra = funding.index.difference(idx)
    if len(extra):
        notes.append(f"{len(extra)} funding rows are not scored partners and are ignored")
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

    # eligibility
    eligible = pd.DataFrame(True, index=idx, columns=list(mech_ids))
    flags = pd.DataFrame(False, index=idx, columns=list(mech_ids))
    for mech in settings.mechanisms:
        eligible[mech.id] = frame["partner_type"].isin(mech.partner_types)
        if mech.gate is not None:
            gate = mech.gate
            if gate.indicator in raw.columns:
                vals = pd.to_numeric(raw[gate.indicator], errors="coerce")
            else:
                vals = pd.Series(np.nan, index=idx)
            excluded = gate.excludes(vals).fillna(False).astype(bool)
            missing = vals.isna() & eligible[mech.id]
            eligible[mech.id] &= ~excluded
            flags[mech.id] = missing
            if excluded.any():
                n_out = int(excluded.sum())
                notes.append(f"{mech.id}: {n_out} partner{'' if n_out == 1 else 's'} excluded by the human-rights gate "
                             f"({gate.indicator} {'≥' if gate.exclude_when == 'at_or_above' else '≤'} "
                             f"{gate.threshold:g})")
            if missing.any():
                notes.append(f"{mech.id}: {_partners_have(int(missing.sum()))} no {gate.indicator}; kept "
                             "eligible and flagged")
    eligible.index.name = flags.index.name = "partner_id"

    cats = [f"{c}_score" for c in CATEGORIES if f"{c}_score" in scores.columns]
    for col in cats:
        if col not in frame.columns:
            frame[col] = pd.to_numeric(scores[col], errors="coerce")
    return AllocationInputs(frame, eligible, by_mech, flags, notes)


# --------------------------------------------------------------------------------------------------
# LP structure (solver-independent, numpy)
# --------------------------------------------------------------------------------------------------


def curve_breakpoints(settings: AllocationSettings) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints u_k on [0, u_max] and g(u_k) = 1 − e^−u_k of the benefit curve."""
    u = np.linspace(0.0, settings.u_max, settings.segments + 1)
    return u, 1.0 - np.exp(-u)


@dataclass
class _Row:
    name: str
    group: str
    subject: str
    idx: np.ndarray
    coef: np.ndarray
    lo: float
    hi: float


@dataclass
class _Structure:
    """Columns (segments, then one partner-total column per partner) and rows of the LP."""

    partner_ids: pd.Index
    mech_ids: tuple[str, ...]
    seg_partner: np.ndarray  # partner position of each segment column
    seg_mech: np.ndarray  # mechanism position
    seg_k: np.ndarray  # segment number (K = flat extension above the curve ceiling of a locked cell)
    seg_shape: np.ndarray  # effect_m × curve slope of the segment (benefit per $ for value 1)
    seg_width: np.ndarray  # segment upper bound, US$ M
    y_lo: np.ndarray
    y_hi: np.ndarray  # inf = no upper bound
    rows: list[_Row]
    budget_row: int
    bounds: pd.DataFrame  # partner lower/upper bound with their source
    capacity: np.ndarray  # most each partner can take (curve ceilings + lock extensions)
    locked: pd.DataFrame  # partner_id, mechanism, amount_usd_m

    @property
    def n_seg(self) -> int:
        return len(self.seg_partner)

    @property
    def n_cols(self) -> int:
        return self.n_seg + len(self.partner_ids)

    def objective(self, value: np.ndarray) -> np.ndarray:
        """Benefit per US$ M of each column (partner-total columns earn nothing directly)."""
        return np.concatenate([value[self.seg_partner] * self.seg_shape, np.zeros(len(self.partner_ids))])


def _resolved_locks(inputs: AllocationInputs, settings: AllocationSettings) -> pd.DataFrame:
    rows = []
    for i, lock in enumerate(settings.locks):
        if lock.partner_id not in inputs.partners.index:
            raise InputError(f"lock on unknown partner '{lock.partner_id}' (not in the partners table)",
                             file=settings.source, key=f"locks[{i}].partner_id")
        amount = (float(inputs.baseline_by_mechanism.at[lock.partner_id, lock.mechanism])
                  if lock.amount_usd_m is None else float(lock.amount_usd_m))
        rows.append({"partner_id": lock.partner_id, "mechanism": lock.mechanism, "amount_usd_m": amount,
                     "basis": lock.basis})
    frame = pd.DataFrame(rows, columns=["partner_id", "mechanism", "amount_usd_m", "basis"])
    return frame.astype({"partner_id": object, "mechanism": object, "amount_usd_m": float, "basis": object})


def partner_bounds(inputs: AllocationInputs, settings: AllocationSettings) -> pd.DataFrame:
    """Lower and upper bound (US$ M) on each partner's total, with the rule each comes from.

    Change limits: lower = max(0, baseline × (1 − max_cut)), upper = max(baseline × (1 + max_increase),
    baseline + increase allowance). A lock widens the change window to include the locked total; the
    partner floor and cap still apply.
    """
    p = inputs.partners
    locks = _resolved_locks(inputs, settings)
    locked = locks.groupby("partner_id")["amount_usd_m"].sum().reindex(p.index).fillna(0.0)
    out = pd.DataFrame(index=p.index)
    lo, hi, lo_src, hi_src = [], [], [], []
    for pid, base, lk in zip(p.index, p["baseline_usd_m"], locked, strict=True):
        lim = settings.partner_limits(pid)
        cut = 1.0 if lim.max_cut_pct is None else lim.max_cut_pct / 100.0
        ch_lo = max(0.0, base * (1.0 - cut))
        ch_hi = math.inf if lim.max_increase_pct is None else max(
            base * (1.0 + lim.max_increase_pct / 100.0), base + lim.increase_allowance_usd_m)
        if lk > 0:
            ch_lo, ch_hi = min(ch_lo, lk), max(ch_hi, lk)
        if lim.floor_usd_m >= ch_lo and lim.floor_usd_m > 0:
            lo.append(lim.floor_usd_m)
            lo_src.append("partner_floor")
        else:
            lo.append(ch_lo)
            lo_src.append("max_cut")
        cap = math.inf if lim.cap_usd_m is None else lim.cap_usd_m
        if cap <= ch_hi:
            hi.append(cap)
            hi_src.append("partner_cap")
        else:
            hi.append(ch_hi)
            hi_src.append("max_increase")
    out["lower_usd_m"], out["lower_rule"] = lo, lo_src
    out["upper_usd_m"], out["upper_rule"] = hi, hi_src
    out["locked_usd_m"] = locked
    out["minimum_usd_m"] = np.maximum(out["lower_usd_m"], locked)  # what the partner must get, locks included
    out["baseline_usd_m"] = p["baseline_usd_m"]
    return out


def _structure(inputs: AllocationInputs, settings: AllocationSettings) -> _Structure:
    key = ("structure", settings)
    if key in inputs.cache:
        return inputs.cache[key]
    p = inputs.partners
    pids = p.index
    mech_ids = settings.mechanism_ids
    P, M, K = len(pids), len(mech_ids), settings.segments
    u, g = curve_breakpoints(settings)
    du = np.diff(u)
    shape_k = np.diff(g) / du  # curve slope per segment, decreasing
    effect = np.array([settings.mechanism(m).effect for m in mech_ids])
    scale = p["scale_usd_m"].to_numpy(float)
    elig = inputs.eligible.reindex(index=pids, columns=list(mech_ids)).fillna(False).to_numpy(bool)
    locks = _resolved_locks(inputs, settings)
    lock_amount = np.zeros((P, M))
    pos = {pid: i for i, pid in enumerate(pids)}
    mpos = {m: j for j, m in enumerate(mech_ids)}
    for row in locks.itertuples():
        lock_amount[pos[row.partner_id], mpos[row.mechanism]] = row.amount_usd_m

    # regular segments of eligible cells, partner-major order
    cell_p, cell_m = np.nonzero(elig)
    n_cells = len(cell_p)
    seg_partner = np.repeat(cell_p, K)
    seg_mech = np.repeat(cell_m, K)
    seg_k = np.tile(np.arange(K), n_cells)
    seg_shape = effect[seg_mech] * shape_k[seg_k]
    seg_width = scale[seg_partner] * du[seg_k]
    # flat extension for locks above the curve ceiling (only on eligible cells)
    ext = (lock_amount > scale[:, None] * settings.u_max + TOL) & elig
    ep, em = np.nonzero(ext)
    if len(ep):
        seg_partner = np.concatenate([seg_partner, ep])
        seg_mech = np.concatenate([seg_mech, em])
        seg_k = np.concatenate([seg_k, np.full(len(ep), K)])
        seg_shape = np.concatenate([seg_shape, np.zeros(len(ep))])
        seg_width = np.concatenate([seg_width, lock_amount[ep, em] - scale[ep] * settings.u_max])
        order = np.lexsort((seg_k, seg_mech, seg_partner))
        seg_partner, seg_mech, seg_k = seg_partner[order], seg_mech[order], seg_k[order]
        seg_shape, seg_width = seg_shape[order], seg_width[order]
    n_seg = len(seg_partner)
    capacity = np.bincount(seg_partner, weights=seg_width, minlength=P)

    bounds = partner_bounds(inputs, settings)
    y_lo = bounds["lower_usd_m"].to_numpy(float)
    y_hi = bounds["upper_usd_m"].to_numpy(float)
    ycol = n_seg + np.arange(P)
    rows: list[_Row] = []
    # partner link rows: Σ segments of p − y_p = 0
    starts = np.searchsorted(seg_partner, np.arange(P + 1))
    seg_index = np.arange(n_seg)
    for i, pid in enumerate(pids):
        idx = np.append(seg_index[starts[i]:starts[i + 1]], ycol[i])
        coef = np.ones(len(idx))
        coef[-1] = -1.0
        rows.append(_Row(f"link {pid}", "link", str(pid), idx, coef, 0.0, 0.0))
    budget_row = len(rows)
    rows.append(_Row("budget", "budget", "total", ycol, np.ones(P), -math.inf, math.inf))
    commands = p["command"].to_numpy()
    for cl in settings.commands:
        members = ycol[commands == cl.command]
        hi = math.inf if cl.cap_usd_m is None else cl.cap_usd_m
        if cl.floor_usd_m > 0 or math.isfinite(hi):
            rows.append(_Row(f"command {cl.command}", "command", cl.command, members, np.ones(len(members)),
                             cl.floor_usd_m if cl.floor_usd_m > 0 else -math.inf, hi))
    for pool in settings.pools:
        j = mpos[pool.mechanism]
        members = seg_index[seg_mech == j]
        hi = math.inf if pool.max_usd_m is None else pool.max_usd_m
        if pool.min_usd_m > 0 or math.isfinite(hi):
            rows.append(_Row(f"pool {pool.mechanism}", "pool", pool.mechanism, members, np.ones(len(members)),
                             pool.min_usd_m if pool.min_usd_m > 0 else -math.inf, hi))
    for row in locks.itertuples():
        i, j = pos[row.partner_id], mpos[row.mechanism]
        members = seg_index[(seg_partner == i) & (seg_mech == j)]
        cell = f"{row.partner_id}/{row.mechanism}"
        rows.append(_Row(f"lock {cell}", "lock", cell, members, np.ones(len(members)), row.amount_usd_m,
                         row.amount_usd_m))
    st = _Structure(pids, mech_ids, seg_partner, seg_mech, seg_k, seg_shape, seg_width, y_lo, y_hi, rows,
                    budget_row, bounds, capacity, locks[["partner_id", "mechanism", "amount_usd_m"]])
    inputs.cache[key] = st
    return st


# --------------------------------------------------------------------------------------------------
# Pre-checks: obvious conflicts, named with amounts
# --------------------------------------------------------------------------------------------------


def _m(x: float) -> str:
    return f"${x:,.1f} M"


def diagnose(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: float) -> list[str]:
    """Conflicts that make the settings infeasible for this budget, each with the amounts involved.

    Empty when no simple conflict is found (the LP may still be infeasible; :func:`allocate` then runs
    an elastic re-solve). The budget-independent part is computed once per settings and cached.
    """
    key = ("diagnosis", settings)
    if key not in inputs.cache:
        inputs.cache[key] = _static_diagnosis(inputs, settings)
    static, totals = inputs.cache[key]
    if totals is None:  # locks on ineligible mechanisms: nothing else is meaningful
        return list(static)
    budget = budget_usd_m
    out: list[str] = []
    if totals["locks"] > budget + TOL:
        out.append(f"locks sum to {_m(totals['locks'])} > budget {_m(budget)}")
    if totals["floors"] > budget + TOL:
        out.append(f"command floors sum to {_m(totals['floors'])} > budget {_m(budget)}")
    if totals["minimums"] > budget + TOL and totals["locks"] <= budget + TOL:
        out.append(f"partner minimums (floors, max-cut limits and locks) sum to {_m(totals['minimums'])} > "
                   f"budget {_m(budget)}")
    need = totals["need"]
    if (sum(need.values()) > budget + TOL and totals["floors"] <= budget + TOL
            and totals["minimums"] <= budget + TOL):
        parts = ", ".join(f"{c} {_m(v)}" for c, v in need.items() if v > 0)
        out.append(f"command floors and partner minimums together need {_m(sum(need.values()))} > budget "
                   f"{_m(budget)} (per command the larger of its floor and its partners' minimums: {parts})")
    if totals["pool_mins"] > budget + TOL:
        out.append(f"pool minimums sum to {_m(totals['pool_mins'])} > budget {_m(budget)}")
    return out + list(static)


def _static_diagnosis(inputs: AllocationInputs,
                      settings: AllocationSettings) -> tuple[list[str], dict | None]:
    """Conflicts that do not depend on the budget, and the totals the budget is compared with."""
    p = inputs.partners
    out: list[str] = []
    locks = _resolved_locks(inputs, settings)
    for row in locks.itertuples():
        mech = settings.mechanism(row.mechanism)
        if not bool(inputs.eligible.at[row.partner_id, row.mechanism]) and row.amount_usd_m > TOL:
            ptype = p.at[row.partner_id, "partner_type"]
            if ptype not in mech.partner_types:
                why = f"{ptype} partners get no {row.mechanism}"
            else:
                gate = mech.gate
                why = (f"human-rights gate: {gate.indicator} at or "
                       f"{'above' if gate.exclude_when == 'at_or_above' else 'below'} {gate.threshold:g}")
            out.append(f"lock of {_m(row.amount_usd_m)} on {row.partner_id}/{row.mechanism} is on an "
                       f"ineligible mechanism ({why})")
    if out:
        return out, None
    st = _structure(inputs, settings)
    b = st.bounds
    lo_a, hi_a, lk_a = b["lower_usd_m"].to_numpy(), b["upper_usd_m"].to_numpy(), b["locked_usd_m"].to_numpy()
    suspect = np.nonzero((lk_a > hi_a + TOL) | (lo_a > hi_a + TOL) | (lo_a > st.capacity + TOL))[0]
    for i in suspect:  # only partners with a problem are looked at one by one
        pid, lo, hi, lk, cap_ = b.index[i], lo_a[i], hi_a[i], lk_a[i], st.capacity[i]
        lo_rule, hi_rule = b["lower_rule"].iat[i], b["upper_rule"].iat[i]
        if lk > hi + TOL and hi_rule == "partner_cap":
            items = locks[locks["partner_id"] == pid]
            what = " + ".join(f"{_m(a)} on {pid}/{m}"
                              for m, a in zip(items["mechanism"], items["amount_usd_m"], strict=True))
            out.append(f"lock of {what} exceeds {pid} cap {_m(hi)}")
        elif lo > hi + TOL:
            out.append(f"{pid}: lower bound {_m(lo)} ({_rule(lo_rule, pid, settings, b)}) > upper bound "
                       f"{_m(hi)} ({_rule(hi_rule, pid, settings, b)})")
        elif lo > cap_ + TOL:
            n = int(inputs.eligible.loc[pid].sum())
            out.append(f"{pid} must receive at least {_m(lo)} ({_rule(lo_rule, pid, settings, b)}) but can "
                       f"absorb at most {_m(cap_)} (curve ceiling: scale {_m(p.at[pid, 'scale_usd_m'])} × "
                       f"u_max {settings.u_max:g} × {n} eligible mechanisms)")
    lower = b["minimum_usd_m"].to_numpy()
    upper = np.minimum(hi_a, st.capacity)
    commands = p["command"].to_numpy()
    lock_command = locks["partner_id"].map(p["command"])
    for cl in settings.commands:
        mask = commands == cl.command
        c_locks = locks[lock_command == cl.command]
        c_lock = float(c_locks["amount_usd_m"].sum())
        if cl.cap_usd_m is not None and c_lock > cl.cap_usd_m + TOL:
            big = c_locks.sort_values("amount_usd_m").iloc[-1]
            if len(c_locks) == 1:
                out.append(f"lock of {_m(big.amount_usd_m)} on {big.partner_id}/{big.mechanism} exceeds "
                           f"{cl.command} cap {_m(cl.cap_usd_m)}")
            else:
                out.append(f"locks in {cl.command} sum to {_m(c_lock)} > {cl.command} cap {_m(cl.cap_usd_m)}")
        elif cl.cap_usd_m is not None and lower[mask].sum() > cl.cap_usd_m + TOL:
            out.append(f"partner minimums in {cl.command} sum to {_m(lower[mask].sum())} > {cl.command} cap "
                       f"{_m(cl.cap_usd_m)}")
        if cl.floor_usd_m > upper[mask].sum() + TOL:
            out.append(f"{cl.command} floor {_m(cl.floor_usd_m)} > the most its {int(mask.sum())} partners "
                       f"can take, {_m(upper[mask].sum())} (partner caps, max-increase limits, curve "
                       "ceilings)")
    pool_total = 0.0
    for j, mid in enumerate(settings.mechanism_ids):
        pool = settings.pool(mid)
        m_lock = float(locks.loc[locks["mechanism"] == mid, "amount_usd_m"].sum())
        if pool.max_usd_m is not None and m_lock > pool.max_usd_m + TOL:
            out.append(f"locks on {mid} sum to {_m(m_lock)} > {mid} pool {_m(pool.max_usd_m)}")
        cap_m = float(st.seg_width[st.seg_mech == j].sum())
        if pool.min_usd_m > cap_m + TOL:
            out.append(f"{mid} pool minimum {_m(pool.min_usd_m)} > the most eligible partners can absorb "
                       f"through {mid}, {_m(cap_m)}")
        pool_total += cap_m if pool.max_usd_m is None else min(pool.max_usd_m, cap_m)
    if lower.sum() > pool_total + TOL:
        out.append(f"partner minimums sum to {_m(lower.sum())} > all pools together {_m(pool_total)}")
    totals = {
        "locks": float(locks["amount_usd_m"].sum()),
        "floors": float(sum(c.floor_usd_m for c in settings.commands)),
        "minimums": float(lower.sum()),
        "need": {c: max(settings.command_limit(c).floor_usd_m, float(lower[commands == c].sum()))
                 for c in dict.fromkeys(commands)},
        "pool_mins": float(sum(pl.min_usd_m for pl in settings.pools)),
    }
    return out, totals


def _rule(rule: str, pid: str, settings: AllocationSettings, b: pd.DataFrame) -> str:
    lim = settings.partner_limits(pid)
    base = b.at[pid, "baseline_usd_m"]
    if rule == "partner_floor":
        return "partner floor"
    if rule == "partner_cap":
        return "partner cap"
    if rule == "max_cut":
        return f"max cut {lim.max_cut_pct:g}% from baseline {_m(base)}" if lim.max_cut_pct is not None else \
            "no cut limit"
    return (f"max increase {lim.max_increase_pct:g}% / +{_m(lim.increase_allowance_usd_m)} from baseline "
            f"{_m(base)}")


# --------------------------------------------------------------------------------------------------
# Solving with PuLP
# --------------------------------------------------------------------------------------------------


@dataclass
class AllocationResult:
    """An optimal allocation and what limits it. Money in US$ M/yr; benefit in effective US$ M."""

    status: str
    solver: str
    partners: pd.DataFrame
    mechanisms: pd.DataFrame
    by_command: pd.DataFrame
    binding: pd.DataFrame
    budget_dual: float
    total_benefit: float
    budget_usd_m: float
    unspent_usd_m: float
    settings_name: str = ""
    notes: list[str] = field(default_factory=list)
    settings: AllocationSettings | None = field(default=None, repr=False)
    timings: dict[str, float] = field(default_factory=dict)


def check_budget(budget_usd_m: Any) -> float:
    """A budget as a finite float in 0 – ``MAX_FUNDING_USD_M`` (US$ M/yr); raises InputError otherwise.
    Text is read by :func:`prioritizer.load.parse_number`: a decimal comma (``5920,5``) is refused, not
    read as 59,205."""
    return parse_number(budget_usd_m, what="budget", key="budget_usd_m", low=0.0,
                        high=MAX_FUNDING_USD_M)


def _highs_available() -> bool:
    try:
        return bool(pulp.HiGHS(msg=False).available())
    except Exception:  # pragma: no cover - depends on the installation
        return False


def _make_solver(solver: str, time_limit_s: float | None = None) -> tuple[Any, str, float]:
    """(PuLP solver, label, dual sign). PuLP's HiGHS reports duals of the minimised −benefit."""
    if solver not in SOLVERS:
        raise InputError(f"unknown solver '{solver}' (use {', '.join(SOLVERS)})", key="solver")
    bad_limit = isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float) \
        or not time_limit_s > 0
    if time_limit_s is not None and bad_limit:
        raise InputError(f"time limit must be a positive number of seconds (got {time_limit_s!r})",
                         key="time_limit_s")
    if solver in ("auto", "highs") and _highs_available():
        return pulp.HiGHS(msg=False, timeLimit=time_limit_s), HIGHS_LABEL, -1.0
    if solver == "highs":
        raise InputError("solver 'highs' requested but highspy is not installed", key="solver")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
    if not cbc.available():
        raise InputError("no LP solver available: install highspy (preferred) or CBC", key="solver")
    return cbc, "CBC", 1.0


def _pulp_problem(st: _Structure, value: np.ndarray, budget: float, name: str = "allocation"):
    """Build the PuLP model from the structure, expressions from coefficient lists (no repeated +)."""
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    add = prob.add_variable
    width = st.seg_width.tolist()
    cols = [add(f"x{j}", 0.0, w) for j, w in enumerate(width)]
    cols += [add(f"y{i}", lo, None if math.isinf(hi) else hi)
             for i, (lo, hi) in enumerate(zip(st.y_lo.tolist(), st.y_hi.tolist(), strict=True))]
    obj = st.objective(value)[: st.n_seg].tolist()
    prob.setObjective(pulp.LpAffineExpression(zip(cols[: st.n_seg], obj, strict=True)))
    cons: list[tuple[int, str, Any]] = []  # (row index, side, constraint)
    for r, row in enumerate(st.rows):
        lo, hi = (row.lo, row.hi) if r != st.budget_row else (-math.inf, budget)
        expr_terms = [(cols[j], c) for j, c in zip(row.idx.tolist(), row.coef.tolist(), strict=True)]
        if lo == hi:
            c = pulp.LpConstraint(pulp.LpAffineExpression(expr_terms), pulp.LpConstraintEQ, rhs=lo)
            prob.addConstraint(c, f"r{r}e")
            cons.append((r, "eq", c))
            continue
        if math.isfinite(lo):
            c = pulp.LpConstraint(pulp.LpAffineExpression(expr_terms), pulp.LpConstraintGE, rhs=lo)
            prob.addConstraint(c, f"r{r}l")
            cons.append((r, "lo", c))
        if math.isfinite(hi):
            c = pulp.LpConstraint(pulp.LpAffineExpression(expr_terms), pulp.LpConstraintLE, rhs=hi)
            prob.addConstraint(c, f"r{r}u")
            cons.append((r, "hi", c))
    return prob, cols, cons


def _is_optimal(prob: Any, label: str) -> tuple[bool, str]:
    """Optimal only if PuLP's status, its solution status and (for HiGHS) the raw model status agree.

    PuLP maps HiGHS time/iteration limits and interrupts to 'Optimal'; those are not optimal here.
    """
    status = pulp.LpStatus.get(prob.status, str(prob.status))
    ok = prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal
    if label.startswith("HiGHS") and getattr(prob, "solverModel", None) is not None:
        import highspy

        raw = prob.solverModel.getModelStatus()
        ok = ok and raw == highspy.HighsModelStatus.kOptimal
        if not ok:
            status = prob.solverModel.modelStatusToString(raw)
    elif not ok and status == "Optimal":
        status = "Not Solved"
    return ok, status


def allocate(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
             solver: str = "auto", time_limit_s: float | None = None) -> AllocationResult:
    """Solve the allocation LP for a budget (US$ M/yr); more benefit is better.

    Raises InputError for a bad budget or settings that do not match the inputs, and InfeasibleError
    (with a diagnosis naming the conflicting constraints and amounts) when no allocation satisfies them.
    Any other non-optimal end (e.g. ``time_limit_s`` reached) also raises InfeasibleError, with that
    status: a non-optimal solve never produces a result.
    """
    import time

    budget = check_budget(budget_usd_m)
    t0 = time.perf_counter()
    conflicts = diagnose(inputs, settings, budget)
    if conflicts:
        raise InfeasibleError(conflicts)
    st = _structure(inputs, settings)
    value = inputs.partners["value"].to_numpy(float)
    t1 = time.perf_counter()
    prob, cols, cons = _pulp_problem(st, value, budget)
    t2 = time.perf_counter()
    pulp_solver, label, sign = _make_solver(solver, time_limit_s)
    try:
        prob.solve(pulp_solver)
    except pulp.PulpSolverError as exc:
        if solver != "auto" or not label.startswith("HiGHS"):
            raise InfeasibleError([f"solver {label} failed: {exc}"], status="Not Solved") from None
        pulp_solver, label, sign = _make_solver("cbc", time_limit_s)
        prob, cols, cons = _pulp_problem(st, value, budget)
        prob.solve(pulp_solver)
    t3 = time.perf_counter()
    ok, status = _is_optimal(prob, label)
    if not ok:
        if status in ("Infeasible", "Unbounded or Infeasible", "Primal infeasible or unbounded"):
            raise InfeasibleError(_elastic_diagnosis(st, budget, solver), status="Infeasible")
        raise InfeasibleError([f"solver {label} stopped with status '{status}'; no allocation is reported"],
                              status=status)
    x = np.array([v.varValue or 0.0 for v in cols], dtype=float)
    dj = np.array([sign * (v.dj or 0.0) for v in cols], dtype=float)
    duals = {(r, side): sign * (c.pi if c.pi is not None else np.nan) for r, side, c in cons}
    result = _result(inputs, settings, st, x, dj, duals, budget, label, "Optimal")
    result.timings = {"prepare_s": t1 - t0, "build_s": t2 - t1, "solve_s": t3 - t2,
                      "extract_s": time.perf_counter() - t3}
    return result


def piecewise_benefit(inputs: AllocationInputs, settings: AllocationSettings,
                      cells: pd.DataFrame) -> np.ndarray:
    """Benefit of amounts (US$ M) per partner × mechanism (columns partner_id, mechanism, amount_usd_m).

    Uses the same piecewise-linear curve the LP optimises; flat above the curve ceiling.
    """
    u_k, g_k = curve_breakpoints(settings)
    p = inputs.partners.loc[cells["partner_id"]]
    scale = p["scale_usd_m"].to_numpy(float)
    effect = np.array([settings.mechanism(m).effect for m in cells["mechanism"]])
    u = np.clip(cells["amount_usd_m"].to_numpy(float) / scale, 0.0, settings.u_max)
    return p["value"].to_numpy(float) * effect * scale * np.interp(u, u_k, g_k)


def _result(inputs: AllocationInputs, settings: AllocationSettings, st: _Structure, x: np.ndarray,
            dj: np.ndarray, duals: dict, budget: float, label: str, status: str) -> AllocationResult:
    p = inputs.partners
    P, M = len(st.partner_ids), len(st.mech_ids)
    seg = np.clip(x[: st.n_seg], 0.0, None)
    cell = np.zeros((P, M))
    np.add.at(cell, (st.seg_partner, st.seg_mech), seg)
    cell[cell < 1e-9] = 0.0
    mech = pd.DataFrame({
        "partner_id": np.repeat(st.partner_ids.to_numpy(), M),
        "mechanism": np.tile(np.array(st.mech_ids, dtype=object), P),
        "allocation_usd_m": cell.ravel(),
        "baseline_usd_m": inputs.baseline_by_mechanism.reindex(index=st.partner_ids,
                                                               columns=list(st.mech_ids)).to_numpy().ravel(),
        "eligible": inputs.eligible.reindex(index=st.partner_ids, columns=list(st.mech_ids)).to_numpy()
        .ravel(),
    })
    mech["change_usd_m"] = mech["allocation_usd_m"] - mech["baseline_usd_m"]
    mech["benefit"] = piecewise_benefit(inputs, settings,
                                        mech.rename(columns={"allocation_usd_m": "amount_usd_m"}))
    mech["eligibility_flag"] = inputs.flags.reindex(index=st.partner_ids,
                                                    columns=list(st.mech_ids)).to_numpy().ravel()
    alloc = cell.sum(axis=1)
    benefit = mech["benefit"].to_numpy().reshape(P, M).sum(axis=1)
    base_benefit = piecewise_benefit(
        inputs, settings, mech[["partner_id", "mechanism", "baseline_usd_m"]].rename(
            columns={"baseline_usd_m": "amount_usd_m"})).reshape(P, M).sum(axis=1)

    # marginal benefit of the next $1 M to each partner (best eligible, unlocked mechanism; curve only)
    u_k, _ = curve_breakpoints(settings)
    du = settings.u_max / settings.segments
    scale = p["scale_usd_m"].to_numpy(float)
    effect = np.array([settings.mechanism(m).effect for m in st.mech_ids])
    shape_k = np.diff(1.0 - np.exp(-u_k)) / du
    u = cell / scale[:, None]
    k = np.floor(u / du + 1e-9).astype(int)
    slope = np.where(k < settings.segments, shape_k[np.minimum(k, settings.segments - 1)], 0.0)
    elig = inputs.eligible.reindex(index=st.partner_ids, columns=list(st.mech_ids)).to_numpy(bool)
    unlocked = np.ones((P, M), dtype=bool)
    for row in st.locked.itertuples():
        unlocked[st.partner_ids.get_loc(row.partner_id), st.mech_ids.index(row.mechanism)] = False
    marginal = (p["value"].to_numpy(float)[:, None] * effect[None, :] * slope * elig * unlocked).max(axis=1) \
        if M else np.zeros(P)

    base = p["baseline_usd_m"].to_numpy(float)
    partners = pd.DataFrame({
        "name": p["name"], "command": p["command"], "partner_type": p["partner_type"],
        "priority": p["priority"], "propensity": p["propensity"], "risk": p["risk"], "value": p["value"],
        "scale_usd_m": p["scale_usd_m"], "baseline_usd_m": base, "allocation_usd_m": alloc,
        "change_usd_m": alloc - base,
        "change_pct": np.where(base > 0, 100.0 * (alloc - base) / np.where(base > 0, base, 1.0), np.nan),
        "benefit": benefit, "baseline_benefit": base_benefit,
        "marginal_benefit_per_usd_m": marginal,
        "lower_usd_m": st.bounds["lower_usd_m"].to_numpy(),
        "upper_usd_m": st.bounds["upper_usd_m"].to_numpy(),
    }, index=st.partner_ids)
    partners.index.name = "partner_id"
    for col in p.columns:
        if col.endswith("_score") and col not in partners.columns:
            partners[col] = p[col]

    binding = _binding(st, x, dj, duals, budget, settings)
    budget_dual = float(duals.get((st.budget_row, "hi"), 0.0))
    by_command = _by_command(partners, settings, binding)
    total = float(benefit.sum())
    return AllocationResult(
        status=status, solver=label, partners=partners, mechanisms=mech, by_command=by_command,
        binding=binding, budget_dual=budget_dual, total_benefit=total, budget_usd_m=budget,
        unspent_usd_m=max(0.0, budget - float(alloc.sum())), settings_name=settings.name,
        notes=list(inputs.notes), settings=settings,
    )


_GROUP_LABEL = {
    "partner_floor": "partner floor", "partner_cap": "partner cap", "max_cut": "max cut from baseline",
    "max_increase": "max increase from baseline",
}


def _binding(st: _Structure, x: np.ndarray, dj: np.ndarray, duals: dict, budget: float,
             settings: AllocationSettings) -> pd.DataFrame:
    """Constraints at their limit, with dual = benefit per +$1 M of the limit."""
    out = []
    for r, row in enumerate(st.rows):
        if row.group == "link":
            continue
        activity = float(np.dot(row.coef, x[row.idx]))
        lo, hi = (row.lo, row.hi) if r != st.budget_row else (-math.inf, budget)
        tol = TOL * max(1.0, abs(hi) if math.isfinite(hi) else abs(lo))
        if row.group == "lock":
            out.append((f"lock {row.subject}", "lock", row.subject, hi, duals.get((r, "eq"), np.nan)))
            continue
        if math.isfinite(hi) and activity >= hi - tol:
            group = {"budget": "budget", "command": "command_cap", "pool": "pool_max"}[row.group]
            word = "cap" if row.group == "command" else "maximum"
            label = "budget" if row.group == "budget" else f"{row.group} {row.subject} {word}"
            out.append((label, group, row.subject, hi, duals.get((r, "hi"), np.nan)))
        elif math.isfinite(lo) and activity <= lo + tol:
            group = {"command": "command_floor", "pool": "pool_min"}[row.group]
            label = f"{row.group} {row.subject} {'floor' if row.group == 'command' else 'minimum'}"
            out.append((label, group, row.subject, lo, duals.get((r, "lo"), np.nan)))
    y = x[st.n_seg:]
    b = st.bounds
    for i, pid in enumerate(st.partner_ids):
        lo, hi = st.y_lo[i], st.y_hi[i]
        if math.isfinite(hi) and y[i] >= hi - TOL * max(1.0, hi) and hi > 0:
            rule = b["upper_rule"].iat[i]
            out.append((f"{_GROUP_LABEL[rule]} {pid}", rule, str(pid), hi, dj[st.n_seg + i]))
        elif lo > 0 and y[i] <= lo + TOL * max(1.0, lo):
            rule = b["lower_rule"].iat[i]
            out.append((f"{_GROUP_LABEL[rule]} {pid}", rule, str(pid), lo, dj[st.n_seg + i]))
    # curve ceilings: a cell whose last regular segment is full
    full = x[: st.n_seg] >= st.seg_width - TOL * np.maximum(1.0, st.seg_width)
    last = (st.seg_k == settings.segments - 1) & full
    for j in np.nonzero(last)[0]:
        pid, mid = st.partner_ids[st.seg_partner[j]], st.mech_ids[st.seg_mech[j]]
        amount = float(st.seg_width[j] / (settings.u_max / settings.segments) * settings.u_max)
        out.append((f"curve ceiling {pid}/{mid}", "curve_ceiling", f"{pid}/{mid}", amount, dj[j]))
    frame = pd.DataFrame(out, columns=["constraint", "group", "subject", "amount_usd_m", "dual"])
    frame["dual"] = frame["dual"].astype(float)
    return frame


def _by_command(partners: pd.DataFrame, settings: AllocationSettings, binding: pd.DataFrame) -> pd.DataFrame:
    g = partners.groupby("command")
    frame = pd.DataFrame({
        "partners": g.size(), "baseline_usd_m": g["baseline_usd_m"].sum(),
        "allocation_usd_m": g["allocation_usd_m"].sum(),
        "benefit": g["benefit"].sum(),
    })
    frame["change_usd_m"] = frame["allocation_usd_m"] - frame["baseline_usd_m"]
    frame["floor_usd_m"] = [settings.command_limit(c).floor_usd_m for c in frame.index]
    frame["cap_usd_m"] = [settings.command_limit(c).cap_usd_m for c in frame.index]
    frame["cap_usd_m"] = frame["cap_usd_m"].astype(float)
    caps = binding[binding["group"] == "command_cap"].set_index("subject")["dual"]
    floors = binding[binding["group"] == "command_floor"].set_index("subject")["dual"]
    frame["cap_dual"] = caps.reindex(frame.index).astype(float)
    frame["floor_dual"] = floors.reindex(frame.index).astype(float)
    frame.index.name = "command"
    return frame


# --------------------------------------------------------------------------------------------------
# Elastic re-solve: which constraint groups must be relaxed, by how much
# --------------------------------------------------------------------------------------------------


def _elastic_diagnosis(st: _Structure, budget: float, solver: str = "auto", limit: int = 8) -> list[str]:
    """Minimise total relaxation ($ M) over every constraint; name what must move and by how much."""
    prob = pulp.LpProblem("elastic", pulp.LpMinimize)
    add = prob.add_variable
    cols = [add(f"x{j}", 0.0, w) for j, w in enumerate(st.seg_width.tolist())]
    cols += [add(f"y{i}", 0.0, None) for i in range(len(st.partner_ids))]
    slacks: list[tuple[Any, str, str, float, int]] = []  # (var, group, subject, limit, direction)

    def slack(group: str, subject: str, limit: float, direction: int) -> Any:
        v = add(f"s{len(slacks)}", 0.0, None)
        slacks.append((v, group, subject, limit, direction))
        return v

    for r, row in enumerate(st.rows):
        terms = [(cols[j], c) for j, c in zip(row.idx.tolist(), row.coef.tolist(), strict=True)]
        lo, hi = (row.lo, row.hi) if r != st.budget_row else (-math.inf, budget)
        if row.group == "link":
            # ceiling slack: the partner may take more than its curve can absorb
            i = st.partner_ids.get_loc(row.subject)
            terms.append((slack("curve_ceiling", row.subject, float(st.capacity[i]), +1), 1.0))
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), EQ, rhs=0.0))
            continue
        group_lo = {"command": "command_floor", "pool": "pool_min", "lock": "lock"}.get(row.group, row.group)
        group_hi = {"command": "command_cap", "pool": "pool_max", "lock": "lock"}.get(row.group, row.group)
        if math.isfinite(lo):
            t = terms + [(slack(group_lo, row.subject, lo, -1), 1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), pulp.LpConstraintGE, rhs=lo))
        if math.isfinite(hi):
            t = terms + [(slack(group_hi, row.subject, hi, +1), -1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), pulp.LpConstraintLE, rhs=hi))
    b = st.bounds
    for i, pid in enumerate(st.partner_ids):
        y = cols[st.n_seg + i]
        if st.y_lo[i] > 0:
            t = [(y, 1.0), (slack(b["lower_rule"].iat[i], str(pid), st.y_lo[i], -1), 1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), GE, rhs=st.y_lo[i]))
        if math.isfinite(st.y_hi[i]):
            t = [(y, 1.0), (slack(b["upper_rule"].iat[i], str(pid), st.y_hi[i], +1), -1.0)]
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(t), LE, rhs=st.y_hi[i]))
    prob.setObjective(pulp.LpAffineExpression([(s[0], 1.0) for s in slacks]))
    pulp_solver, label, _ = _make_solver(solver)
    prob.solve(pulp_solver)
    ok, status = _is_optimal(prob, label)
    if not ok:
        return [f"the solver reports the settings infeasible; the elastic re-solve ended '{status}'"]
    moves = [(s[1], s[2], s[3], s[4], s[0].varValue or 0.0) for s in slacks]
    moves = [m for m in moves if m[4] > TOL * max(1.0, abs(m[2]))]
    if not moves:
        return ["the solver reports the settings infeasible, but an elastic re-solve needs no relaxation "
                "(numerical trouble: try rounding amounts)"]
    names = {"budget": "the budget", "command_floor": "command floors", "command_cap": "command caps",
             "pool_min": "pool minimums", "pool_max": "pool maximums", "lock": "locks",
             "curve_ceiling": "curve ceilings (partner scale × u_max)", "partner_floor": "partner floors",
             "partner_cap": "partner caps", "max_cut": "max-cut-from-baseline limits",
             "max_increase": "max-increase-from-baseline limits"}
    lines = []
    frame = pd.DataFrame(moves, columns=["group", "subject", "limit", "direction", "amount"])
    total = frame.groupby("group")["amount"].sum().sort_values(ascending=False)
    for group, amount in total.items():
        items = frame[frame["group"] == group].sort_values("amount", ascending=False)
        parts = []
        for it in items.head(3).itertuples():
            new = it.limit + it.direction * it.amount
            verb = "raise" if it.direction > 0 else "lower"
            subj = "it" if group == "budget" else it.subject
            parts.append(f"{verb} {subj} from {_m(it.limit)} to {_m(new)}")
        more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
        lines.append(f"relax {names.get(group, group)} by {_m(amount)} in total: " + "; ".join(parts) + more)
        if len(lines) >= limit:
            break
    return ["no simple conflict found, but the solver says infeasible; an elastic re-solve finds the "
            "smallest relaxation:"] + lines


# --------------------------------------------------------------------------------------------------
# Matrix form (scipy / highspy): robustness re-solves and the frontier
# --------------------------------------------------------------------------------------------------


def _matrix(st: _Structure) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Row-wise constraint matrix with row lower/upper bounds (budget row upper = +inf placeholder)."""
    indptr = np.zeros(len(st.rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r.idx) for r in st.rows])
    indices = np.concatenate([r.idx for r in st.rows]) if st.rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate([r.coef for r in st.rows]) if st.rows else np.zeros(0)
    A = sparse.csr_matrix((data, indices, indptr), shape=(len(st.rows), st.n_cols))
    lo = np.array([r.lo for r in st.rows], dtype=float)
    hi = np.array([r.hi for r in st.rows], dtype=float)
    return A, lo, hi


def _linprog_parts(inputs: AllocationInputs, settings: AllocationSettings) -> dict:
    key = ("linprog", settings)
    if key in inputs.cache:
        return inputs.cache[key]
    st = _structure(inputs, settings)
    A, lo, hi = _matrix(st)
    eq = lo == hi
    ub_rows = np.nonzero(~eq & np.isfinite(hi))[0]
    lb_rows = np.nonzero(~eq & np.isfinite(lo))[0]
    A_ub = sparse.vstack([A[ub_rows], -A[lb_rows]]).tocsr()
    b_ub = np.concatenate([hi[ub_rows], -lo[lb_rows]])
    # the budget row's upper bound is set per call
    budget_pos = int(np.nonzero(ub_rows == st.budget_row)[0][0]) if st.budget_row in ub_rows else None
    if budget_pos is None:
        A_ub = sparse.vstack([A_ub, A[[st.budget_row]]]).tocsr()
        b_ub = np.append(b_ub, np.inf)
        budget_pos = len(b_ub) - 1
    bounds = np.column_stack([np.concatenate([np.zeros(st.n_seg), st.y_lo]),
                              np.concatenate([st.seg_width, np.where(np.isinf(st.y_hi), np.nan, st.y_hi)])])
    bounds = [(lo_, None if np.isnan(hi_) else hi_) for lo_, hi_ in bounds]
    parts = {"A_ub": A_ub, "b_ub": b_ub, "A_eq": A[np.nonzero(eq)[0]], "b_eq": lo[eq], "bounds": bounds,
             "budget_pos": budget_pos}
    inputs.cache[key] = parts
    return parts


def resolve_allocation(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
                       value: pd.Series | np.ndarray) -> pd.Series:
    """Re-solve with a replacement value_p vector (same constraints); allocation_usd_m per partner.

    For robustness runs: uses a cached matrix form with ``scipy.optimize.linprog(method="highs")``;
    only the objective changes. Raises InfeasibleError on any non-optimal status.
    """
    from scipy.optimize import linprog

    budget = check_budget(budget_usd_m)
    st = _structure(inputs, settings)
    if isinstance(value, pd.Series):
        missing = st.partner_ids.difference(value.index)
        if len(missing):
            raise InputError(f"value vector has no entry for partner '{missing[0]}'", key="value")
        vec = value.reindex(st.partner_ids).to_numpy(float)
    else:
        vec = np.asarray(value, dtype=float)
        if vec.shape != (len(st.partner_ids),):
            raise InputError(f"value vector has {vec.size} entries for {len(st.partner_ids)} partners",
                             key="value")
    if not np.all(np.isfinite(vec)) or (vec < 0).any():
        raise InputError("value vector must be finite and non-negative", key="value")
    parts = _linprog_parts(inputs, settings)
    b_ub = parts["b_ub"].copy()
    b_ub[parts["budget_pos"]] = budget
    res = linprog(-st.objective(vec), A_ub=parts["A_ub"], b_ub=b_ub, A_eq=parts["A_eq"], b_eq=parts["b_eq"],
                  bounds=parts["bounds"], method="highs")
    if res.status != 0:
        conflicts = diagnose(inputs, settings, budget) or [f"scipy HiGHS: {res.message}"]
        raise InfeasibleError(conflicts, status="Infeasible" if res.status == 2 else "Not Solved")
    alloc = np.bincount(st.seg_partner, weights=np.clip(res.x[: st.n_seg], 0.0, None),
                        minlength=len(st.partner_ids))
    return pd.Series(alloc, index=st.partner_ids, name="allocation_usd_m")


def highs_model(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: Any,
                value: np.ndarray | None = None) -> tuple[Any, _Structure]:
    """The allocation LP as one ``highspy.Highs`` model (maximise benefit), and its structure.

    For repeated warm re-solves (frontier, robustness): change the budget with
    ``h.changeRowBounds(structure.budget_row, -kHighsInf, budget)`` or the objective with
    ``h.changeColsCost`` using ``structure.objective(value)``; always check ``h.getModelStatus()``.
    Columns: one per curve segment (``seg_partner``, ``seg_mech``), then one partner total per partner.
    """
    import highspy

    budget = check_budget(budget_usd_m)
    st = _structure(inputs, settings)
    A, lo, hi = _matrix(st)
    hi = hi.copy()
    hi[st.budget_row] = budget
    inf = highspy.kHighsInf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = st.n_cols, len(st.rows)
    lp.sense_ = highspy.ObjSense.kMaximize
    vec = inputs.partners["value"].to_numpy(float) if value is None else np.asarray(value, float)
    lp.col_cost_ = st.objective(vec)
    lp.col_lower_ = np.concatenate([np.zeros(st.n_seg), st.y_lo])
    lp.col_upper_ = np.concatenate([st.seg_width, np.where(np.isinf(st.y_hi), inf, st.y_hi)])
    lp.row_lower_ = np.where(np.isinf(lo), -inf, lo)
    lp.row_upper_ = np.where(np.isinf(hi), inf, hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    return h, st


def frontier(inputs: AllocationInputs, settings: AllocationSettings, levels: int = 25, low_pct: float = 20,
             high_pct: float = 200, budgets: Sequence[float] | None = None) -> pd.DataFrame:
    """Total benefit at budget levels from ``low_pct`` to ``high_pct`` % of the baseline total.

    Columns: budget_usd_m, pct_of_baseline, total_benefit, allocated_usd_m, budget_dual, status, solver,
    note. Infeasible levels (e.g. below the sum of locks and floors) stay as rows with status
    'Infeasible' and the conflict in ``note``. Uses one HiGHS model (highspy) re-solved warm for each
    level; only the budget row changes. Falls back to one PuLP solve per level without highspy.
    """
    if budgets is None:
        if isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 2:
            raise InputError(f"levels must be a whole number ≥ 2 (got {levels!r})", key="levels")
        for name, v in (("low_pct", low_pct), ("high_pct", high_pct)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise InputError(f"{name} must be a non-negative number (got {v!r})", key=name)
        if low_pct >= high_pct:
            raise InputError(f"low_pct {low_pct:g} must be below high_pct {high_pct:g}", key="low_pct")
        base = inputs.baseline_total_usd_m
        if base <= 0:
            raise InputError("baseline total is $0 M; give explicit budget levels", key="budgets")
        budgets = list(np.linspace(low_pct, high_pct, int(levels)) / 100.0 * base)
    budgets = [check_budget(b) for b in budgets]
    base = inputs.baseline_total_usd_m
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a pinned requirement
        highspy = None
    rows = []
    if highspy is None:
        for b in budgets:
            try:
                res = allocate(inputs, settings, b)
                rows.append((b, res.total_benefit, b - res.unspent_usd_m, res.budget_dual, "Optimal",
                             res.solver, ""))
            except InfeasibleError as exc:
                rows.append((b, np.nan, np.nan, np.nan, exc.status, _make_solver("auto")[1],
                             "; ".join(exc.diagnosis)))
    else:
        h, st = highs_model(inputs, settings, max(budgets))
        for b in sorted(budgets):
            conflicts = diagnose(inputs, settings, b)
            if conflicts:
                rows.append((b, np.nan, np.nan, np.nan, "Infeasible", HIGHS_LABEL, "; ".join(conflicts)))
                continue
            h.changeRowBounds(st.budget_row, -highspy.kHighsInf, b)
            h.run()
            status = h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                name = h.modelStatusToString(status)
                infeasible = "nfeasible" in name
                note = "; ".join(_elastic_diagnosis(st, b)) if infeasible else f"HiGHS: {name}"
                rows.append((b, np.nan, np.nan, np.nan, "Infeasible" if infeasible else name, HIGHS_LABEL,
                             note))
                continue
            sol = h.getSolution()
            xs = np.asarray(sol.col_value)
            # the LP objective is the piecewise benefit of the allocation, as reported by allocate()
            obj = float(h.getInfo().objective_function_value)
            dual = float(np.asarray(sol.row_dual)[st.budget_row])  # maximise sense: benefit per +$1 M
            rows.append((b, obj, float(xs[st.n_seg:].sum()), dual, "Optimal", HIGHS_LABEL, ""))
    frame = pd.DataFrame(rows, columns=["budget_usd_m", "total_benefit", "allocated_usd_m", "budget_dual",
                                        "status", "solver", "note"])
    frame.insert(1, "pct_of_baseline", 100.0 * frame["budget_usd_m"] / base if base > 0 else np.nan)
    return frame.sort_values("budget_usd_m").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Synthetic inputs (tests, benchmarks, demos)
# --------------------------------------------------------------------------------------------------


def synthetic_tables(n_partners: int, seed: int = 0, non_state_share: float = 0.05
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Random but plausible ``(scores, raw, funding)`` tables in the input contract of :func:`build_inputs`.

    Not real data: for tests and benchmarks only. About 60 % of partners have baseline funding.
    """
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(n_partners)]
    non_state = rng.random(n_partners) < non_state_share
    scores = pd.DataFrame({
        "name": [f"Partner {i}" for i in range(n_partners)],
        "command": rng.choice(COMMANDS, n_partners),
        "partner_type": np.where(non_state, "non-state", "state"),
        "propensity": rng.uniform(10, 95, n_partners).round(1),
        "priority": rng.integers(1, 6, n_partners).astype(float),
    }, index=pd.Index(ids, name="partner_id"))
    for cat in CATEGORIES:
        scores[f"{cat}_score"] = rng.uniform(5, 95, n_partners).round(1)
    milex = np.exp(rng.normal(7.0, 1.8, n_partners))  # US$ M, median ~ 1.1 bn
    milex[rng.random(n_partners) < 0.08] = np.nan
    pts = rng.integers(1, 6, n_partners).astype(float)
    pts[rng.random(n_partners) < 0.05] = np.nan
    raw = pd.DataFrame({"sipri_milex_usd_m": milex, "pts_mean": pts}, index=scores.index)
    funded = rng.random(n_partners) < 0.6
    scale = np.nan_to_num(np.clip(0.05 * milex, 5.0, 600.0), nan=5.0)
    baseline = np.where(funded, scale * rng.uniform(0.1, 2.5, n_partners), 0.0).round(3)
    funding = pd.DataFrame({"baseline_usd_m": baseline}, index=scores.index)
    return scores, raw, funding
