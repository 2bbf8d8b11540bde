"""Reading ``weights/allocation.yaml``: one pydantic model (:class:`AllocationFile`) for the file, turned into
the frozen :class:`~prioritizer.allocation.settings.AllocationSettings` every stage reads.

The model checks types, ranges and unknown keys; the checks that need two keys (floor ≤ cap, known
mechanism / command / partner ids, duplicates) run after it. Every error is an :class:`InputError` naming
the file and the key (``commands.EUCOM.floor_usd_m``); the messages are the ones planners have seen since
the hand-written loader (tests/test_allocate.py locks them).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from prioritizer.allocation.settings import (
    INCOME_GROUPS,
    AllocationSettings,
    CommandLimit,
    DefenceEstimate,
    DefenceForces,
    HumanRightsGate,
    Lock,
    Mechanism,
    Need,
    PartnerLimits,
    Pool,
    Risk,
    SoftLimits,
)
from prioritizer.allocation.settings_schema import (
    AllocationFile,
    CommandModel,
    DefenceEstimateModel,
    LockModel,
    MechanismModel,
    NeedModel,
    PartnerLimitsModel,
    PartnersModel,
    PoolModel,
    _kind,
    _text,
)
from prioritizer.domain import COMMANDS, PARTNER_TYPES
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS
from prioritizer.safe_yaml import MAX_YAML_BYTES, parse_yaml
from prioritizer.settings_model import validate_settings

# ---------------------------------------------------------------------------------------------- loading


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
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of keys to values, got {_kind(data)}", file=source)
    top = validate_settings(AllocationFile, data, file=source)
    return _Builder(source, known_commands, known_partners).build(top, data)


def _join(key: str, name: str | int) -> str:
    return f"{key}[{name}]" if isinstance(name, int) else (f"{key}.{name}" if key else str(name))


class _Builder:
    """The checks that need more than one key, and the conversion to the frozen settings."""

    def __init__(self, source: str, known_commands: Iterable[str] | None, known_partners: Iterable[str] | None):
        self.source = source
        self.commands = tuple(known_commands) if known_commands is not None else COMMANDS
        self.partners = set(known_partners) if known_partners is not None else None
        self.mech_ids: tuple[str, ...] = ()

    def fail(self, key: str, message: str) -> InputError:
        return InputError(message, file=self.source, key=key)

    def item(self, model: type, raw: Any, key: str) -> Any:
        return validate_settings(model, raw, file=self.source, prefix=key)

    def texts(self, raw: Any, key: str, what: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise self.fail(key, what)
        check = _text(choices).__metadata__[0].func
        out = []
        for value in raw:
            try:
                out.append(check(value))
            except ValueError as exc:
                raise self.fail(key, str(exc)) from None
        return tuple(out)

    def partner(self, pid: str, key: str) -> str:
        if self.partners is not None and pid not in self.partners:
            raise self.fail(key, f"unknown partner '{pid}' (not in the partners table)")
        return pid

    def mechanism(self, mid: str, key: str) -> str:
        if mid not in self.mech_ids:
            raise self.fail(key, f"unknown mechanism '{mid}' (known: {', '.join(self.mech_ids)})")
        return mid

    def build(self, top: AllocationFile, raw: dict) -> AllocationSettings:
        mechanisms = self._mechanisms(top.mechanisms)
        self.mech_ids = tuple(m.id for m in mechanisms)
        baseline = self.mechanism(top.baseline_mechanism, "baseline_mechanism") if top.baseline_mechanism \
            else ("fmf" if "fmf" in self.mech_ids else self.mech_ids[-1])
        b = top.benefit
        if b.min_scale_usd_m > b.max_scale_usd_m:
            raise self.fail("benefit.min_scale_usd_m", f"min scale {b.min_scale_usd_m:g} > max scale "
                                                       f"{b.max_scale_usd_m:g}")
        bd = top.budget
        if bd.rule == "fixed" and bd.usd_m is None:
            raise self.fail("budget.usd_m", "rule 'fixed' needs an amount in usd_m")
        fr = top.frontier
        if fr.low_pct >= fr.high_pct:
            raise self.fail("frontier.low_pct", "low_pct must be below high_pct")
        el = top.eligibility
        high_income = ("HIC",) if el.high_income_groups is None else self.texts(
            el.high_income_groups, "eligibility.high_income_groups",
            "expected a list of World Bank income groups such as [HIC]", INCOME_GROUPS[:-1])
        exceptions = tuple((self.partner(pid, _join("eligibility.grant_exceptions", pid)), item.basis)
                           for pid, item in (el.grant_exceptions or {}).items())
        forces = DefenceForces(el.defence_forces.spending_indicator, el.defence_forces.personnel_indicator,
                               el.defence_forces.security_forces_indicator,
                               el.defence_forces.security_forces_basis,
                               el.defence_forces.security_forces_min_year) \
            if el.defence_forces is not None else DefenceForces()
        rk = top.risk
        risk = Risk(rk.discount, rk.data_uncertainty, tuple(
            (self.partner(pid, _join("risk.diversion", pid)), item.risk, item.basis)
            for pid, item in (rk.diversion or {}).items()))
        sf = top.soft_limits
        soft = SoftLimits(sf.command_floor_penalty, sf.partner_minimum_penalty, sf.pool_minimum_penalty,
                          sf.lock_shortfall)
        defaults, overrides = self._partner_limits(top.partners)
        return AllocationSettings(
            name=top.name, purpose=top.purpose, mechanisms=mechanisms, segments=b.segments, u_max=b.u_max,
            scale_indicator=b.scale_indicator, scale_fraction=b.scale_fraction, min_scale_usd_m=b.min_scale_usd_m,
            max_scale_usd_m=b.max_scale_usd_m, no_defence_scale_usd_m=b.no_defence_scale_usd_m,
            need=self._need(top.need), risk=risk, defence_forces=forces, high_income_groups=high_income,
            grant_exceptions=exceptions, soft=soft, commands=self._commands(top.commands),
            partner_defaults=defaults, partner_overrides=overrides, pools=self._pools(top.pools),
            locks=self._locks(top.locks), baseline_mechanism=baseline, budget_rule=bd.rule,
            budget_pct_of_baseline=bd.pct_of_baseline, budget_usd_m=bd.usd_m, frontier_levels=fr.levels,
            frontier_low_pct=fr.low_pct, frontier_high_pct=fr.high_pct, source=self.source,
            defence_estimates=self._estimates(top.defence_estimates),
            bullbear_min_change_usd_m=top.bullbear.min_change_usd_m,
        )

    def _mechanisms(self, raw: Any) -> tuple[Mechanism, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("mechanisms", "expected a non-empty list of mechanisms")
        out: list[Mechanism] = []
        for i, item in enumerate(raw):
            key = _join("mechanisms", i)
            m = self.item(MechanismModel, item, key)
            if m.id in {x.id for x in out}:
                raise self.fail(_join(key, "id"), f"duplicate mechanism id '{m.id}'")
            e = m.eligibility
            types = PARTNER_TYPES if e.partner_types is None else self.texts(
                e.partner_types, _join(key, "eligibility.partner_types"), "expected a list such as [state, non-state]",
                PARTNER_TYPES)
            gate = None if e.human_rights_gate is None else HumanRightsGate(
                e.human_rights_gate.indicator, e.human_rights_gate.threshold, e.human_rights_gate.exclude_when)
            out.append(Mechanism(m.id, m.label or m.id, m.effect, types, gate, e.grant, e.requires_defence_forces))
        return tuple(out)

    def _need(self, n: NeedModel) -> Need:
        kw: dict[str, Any] = {}
        if n.income_group_factor is not None:
            kw["income_factors"] = tuple((g, getattr(n.income_group_factor, g)) for g in INCOME_GROUPS)
        if n.frontline is not None:
            key = "need.frontline.partners"
            ids = self.texts(n.frontline.partners, key, "expected a list of partner ids")
            kw["frontline"] = tuple(self.partner(pid, _join(key, i)) for i, pid in enumerate(ids))
            kw["frontline_floor"] = n.frontline.need_floor
            kw["frontline_basis"] = n.frontline.basis or ""
        return Need(indicator=n.indicator, reference_usd_m=n.reference_usd_m, no_defence_forces=n.no_defence_forces,
                    under_resourced_min_need=n.under_resourced_min_need, **kw)

    def _commands(self, raw: dict[str, CommandModel] | None) -> tuple[CommandLimit, ...]:
        out = []
        for cid, lim in (raw or {}).items():
            key = _join("commands", cid)
            if cid not in self.commands:
                raise self.fail(key, f"unknown key '{cid}' (allowed: {', '.join(self.commands)})")
            if lim.cap_usd_m is not None and lim.floor_usd_m > lim.cap_usd_m:
                raise self.fail(_join(key, "floor_usd_m"), f"floor ${lim.floor_usd_m:,.1f} M > cap "
                                                           f"${lim.cap_usd_m:,.1f} M")
            out.append(CommandLimit(cid, lim.floor_usd_m, lim.cap_usd_m, lim.floor_pct_of_budget))
        total = sum(c.floor_pct_of_budget for c in out)
        if total > 100.0 + 1e-9:
            raise self.fail("commands", f"floor_pct_of_budget sums to {total:g} % > 100 %")
        return tuple(out)

    def _limits(self, m: PartnerLimitsModel, key: str, base: PartnerLimits) -> PartnerLimits:
        given = {name: getattr(m, name) for name in m.model_fields_set}
        lim = PartnerLimits(**{**base.__dict__, **given})
        if lim.cap_usd_m is not None and lim.floor_usd_m > lim.cap_usd_m:
            raise self.fail(_join(key, "floor_usd_m"), f"floor ${lim.floor_usd_m:,.1f} M > cap "
                                                       f"${lim.cap_usd_m:,.1f} M")
        return lim

    def _partner_limits(self, pm: PartnersModel | None) -> tuple[PartnerLimits, tuple]:
        if pm is None:
            return PartnerLimits(), ()
        defaults = PartnerLimits() if pm.default is None else self._limits(pm.default, "partners.default",
                                                                          PartnerLimits())
        overrides = []
        for pid, item in (pm.overrides or {}).items():
            key = _join("partners.overrides", pid)
            overrides.append((self.partner(pid, key), self._limits(item, key, defaults)))
        return defaults, tuple(overrides)

    def _pools(self, raw: dict[str, PoolModel] | None) -> tuple[Pool, ...]:
        out = []
        for mid, p in (raw or {}).items():
            key = _join("pools", mid)
            if mid not in self.mech_ids:
                raise self.fail(key, f"unknown key '{mid}' (allowed: {', '.join(self.mech_ids)})")
            if p.max_usd_m is not None and p.min_usd_m > p.max_usd_m:
                raise self.fail(_join(key, "min_usd_m"), f"pool minimum ${p.min_usd_m:,.1f} M > pool maximum "
                                                         f"${p.max_usd_m:,.1f} M")
            out.append(Pool(mid, p.max_usd_m, p.min_usd_m))
        return tuple(out)

    def _locks(self, raw: Any) -> tuple[Lock, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("locks", "expected a list of locks (partner_id, mechanism, amount_usd_m)")
        out: list[Lock] = []
        for i, item in enumerate(raw):
            key = _join("locks", i)
            lk = self.item(LockModel, item, key)
            pid = self.partner(lk.partner_id, _join(key, "partner_id"))
            mid = self.mechanism(lk.mechanism, _join(key, "mechanism"))
            if any(x.partner_id == pid and x.mechanism == mid for x in out):
                raise self.fail(key, f"duplicate lock on {pid}/{mid}")
            out.append(Lock(pid, mid, lk.amount_usd_m, lk.basis, lk.citation))
        return tuple(out)

    def _estimates(self, raw: Any) -> tuple[DefenceEstimate, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("defence_estimates", "expected a list of estimates (partner_id, milex_usd_m, "
                                                 "rationale, source)")
        out: list[DefenceEstimate] = []
        for i, item in enumerate(raw):
            key = _join("defence_estimates", i)
            est = self.item(DefenceEstimateModel, item, key)
            pid = self.partner(est.partner_id, _join(key, "partner_id"))
            if any(x.partner_id == pid for x in out):
                raise self.fail(_join(key, "partner_id"), f"duplicate defence-spending estimate for {pid}")
            out.append(DefenceEstimate(pid, est.milex_usd_m, est.rationale, est.source))
        return tuple(out)
