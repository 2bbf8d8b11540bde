"""Allocation re-solves for the robustness analysis: bullish / bearish membership and funding for replacement
partner values, mechanism effects and benefit-curve scales (used by :mod:`prioritizer.robustness`).

The partner-value formula, the benefit curve and the materiality threshold are the allocation's own
(:mod:`prioritizer.allocation.value`, the settings); the LP is built once by
:func:`prioritizer.allocation.model.highs_model` and re-solved warm with only the objective (values,
effects) or the segment widths (curve scale) changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.allocation.bullbear import top_per_command
from prioritizer.allocation.diagnose import diagnose
from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.model import INF, _resolved_locks, highs_model, partner_bounds
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.solve import allocate, check_budget, run_highs
from prioritizer.allocation.value import benefit_curve, curve_breakpoints, partner_value
from prioritizer.errors import InfeasibleError


def partner_values(partners: pd.DataFrame, settings: AllocationSettings) -> np.ndarray:
    """The allocation's partner value (benefit per US$ M at the first dollar) for a partners frame with
    replaced priority / propensity / risk columns: :func:`prioritizer.allocation.value.partner_value`."""
    return partner_value(partners, settings).to_numpy(float)


def benefit(value: np.ndarray, effect: np.ndarray, scale_usd_m: np.ndarray, amount_usd_m: np.ndarray,
            settings: AllocationSettings) -> np.ndarray:
    """Benefit = value × effect × S × g(x / S): :func:`prioritizer.allocation.value.benefit_curve`."""
    return benefit_curve(value, effect, scale_usd_m, amount_usd_m, settings)


def without_floors(settings: AllocationSettings) -> AllocationSettings:
    """Allocation settings with command floors, partner floors and max-cut limits removed (locks, caps,
    pools and the budget kept): the LP for the robust core "without floors"."""
    return replace(
        settings,
        commands=tuple(replace(c, floor_usd_m=0.0, floor_pct_of_budget=0.0) for c in settings.commands),
        partner_defaults=replace(settings.partner_defaults, floor_usd_m=0.0, max_cut_pct=None),
        partner_overrides=tuple((pid, replace(lim, floor_usd_m=0.0, max_cut_pct=None))
                                for pid, lim in settings.partner_overrides))


@dataclass
class Calls:
    """One re-solve: allocation (US$ M/yr) and bullish / bearish membership, in the inputs' partner order."""

    allocation: np.ndarray
    bullish: np.ndarray
    bearish: np.ndarray


class AllocationCalls:
    """Re-solve the allocation for replacement partner values (and mechanism-effect / curve-scale multipliers)
    and apply the bullish/bearish rule.

    The LP is built once (:func:`prioritizer.allocation.model.highs_model`) and re-solved warm in HiGHS with
    only the objective or the segment widths changed (~3 ms a solve for 196 partners); when ``_WarmLP.build``
    gives None (tests), each re-solve is a full :func:`prioritizer.allocation.solve.allocate` instead. The
    bullish/bearish rule is the allocation's own (:func:`prioritizer.allocation.bullbear.top_per_command`):
    bullish = the ``n`` largest surges by return on investment per command, bearish = the ``n`` largest cuts
    among partners with a baseline, both above the settings' materiality threshold.
    """

    def __init__(self, inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: float | None = None,
                 n: int = 3) -> None:
        self.inputs, self.settings, self.n = inputs, settings, int(n)
        self.budget = (check_budget(budget_usd_m) if budget_usd_m is not None
                       else settings.default_budget(inputs.baseline_total_usd_m))
        p = inputs.partners
        self.ids = p.index
        self.mech_ids = list(settings.mechanism_ids)
        self.frame = p.copy()
        self.priority = p["priority"].to_numpy(float)
        self.risk_category = settings.risk_category or None
        self.command, self.command_names = pd.factorize(p["command"], sort=True)
        self.baseline = p["baseline_usd_m"].to_numpy(float)
        # changes are measured from the reference (eligible, unlocked baseline plus locks), as in bullbear
        self.reference = partner_bounds(inputs, settings)["reference_usd_m"].reindex(self.ids).to_numpy(float)
        elig = inputs.eligible.reindex(index=self.ids, columns=self.mech_ids).fillna(False).to_numpy(bool)
        cells = inputs.baseline_by_mechanism.reindex(index=self.ids, columns=self.mech_ids).fillna(0.0) \
            .to_numpy(float) * elig
        self.unlocked = elig.copy()
        pos = {pid: i for i, pid in enumerate(self.ids)}
        for lk, amount in zip(settings.locks, _resolved_locks(inputs, settings)["amount_usd_m"], strict=True):
            i, j = pos[lk.partner_id], self.mech_ids.index(lk.mechanism)
            cells[i, j] = amount
            self.unlocked[i, j] = False
        self.base_cells = cells
        self.u_k, self.g_k = curve_breakpoints(settings)
        self.scale = p["scale_usd_m"].to_numpy(float)
        self.effect = np.array([settings.mechanism(m).effect for m in self.mech_ids], dtype=float)
        self.min_change = float(settings.bullbear_min_change_usd_m)
        self.pid_order = np.argsort(np.argsort(np.asarray(self.ids.astype(str)), kind="stable"), kind="stable")
        conflicts = diagnose(inputs, settings, self.budget)
        if conflicts:
            raise InfeasibleError(conflicts)
        self._warm = _WarmLP.build(inputs, settings, self.budget)
        self.solver = "HiGHS (highspy), warm re-solves" if self._warm is not None else \
            "allocate.allocate per re-solve (cold, a cross-check of the warm model)"
        self.solves = 0

    def value(self, propensity: np.ndarray, risk_score: np.ndarray | None = None,
              priority: np.ndarray | None = None) -> np.ndarray:
        """Partner values through the allocation's formula (:func:`partner_values`) with replaced inputs.

        ``propensity`` 0–100 (NaN → 0); ``risk_score`` the risk category's score 0–100 (None: unchanged;
        only where the allocation derives risk from a category); ``priority`` 1–5 (None: unchanged).
        """
        frame = self.frame.copy(deep=False)
        frame["propensity"] = np.nan_to_num(np.clip(np.asarray(propensity, float), 0.0, 100.0), nan=0.0)
        if risk_score is not None and self.risk_category is not None:
            frame["risk"] = np.nan_to_num(1.0 - np.clip(np.asarray(risk_score, float), 0.0, 100.0) / 100.0, nan=1.0)
        if priority is not None:
            frame["priority"] = np.clip(np.asarray(priority, float), 1.0, 5.0)
        return partner_values(frame, self.settings)

    def cells(self, value: np.ndarray, effect_mult: np.ndarray | None = None,
              scale_mult: float | None = None) -> np.ndarray:
        """Optimal allocation partner × mechanism (US$ M/yr) for a value vector; ``effect_mult`` multiplies each
        mechanism's effect, ``scale_mult`` every partner's benefit-curve scale S_p (None = unchanged)."""
        self.solves += 1
        if self._warm is not None:
            cells = self._warm.solve(value, effect_mult, scale_mult)
        else:  # a full solve: the reference the warm re-solves are tested against
            partners = self.inputs.partners.assign(value=np.asarray(value, float))
            settings = self.settings
            if scale_mult is not None:
                partners = partners.assign(scale_usd_m=partners["scale_usd_m"] * float(scale_mult))
            if effect_mult is not None:
                settings = replace(settings, mechanisms=tuple(
                    replace(m, effect=m.effect * float(f)) for m, f in zip(settings.mechanisms, effect_mult,
                                                                          strict=True)))
            res = allocate(replace(self.inputs, partners=partners), settings, self.budget)
            cells = (res.mechanisms.pivot(index="partner_id", columns="mechanism", values="allocation_usd_m")
                     .reindex(index=self.ids, columns=self.mech_ids).fillna(0.0).to_numpy(float))
        cells = np.clip(cells, 0.0, None)
        cells[cells < 1e-9] = 0.0
        return cells

    def _curve(self, amounts: np.ndarray, effect: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Benefit per unit of value of amounts (partner × mechanism), through :func:`benefit`."""
        return benefit(1.0, effect[None, :], scale[:, None], amounts, self.settings)

    def calls(self, value: np.ndarray, effect_mult: np.ndarray | None = None,
              scale_mult: float | None = None) -> Calls:
        """Allocation and bullish/bearish membership for one value vector (and effect / scale multipliers)."""
        value = np.asarray(value, float)
        cells = self.cells(value, effect_mult, scale_mult)
        alloc_total = cells.sum(axis=1)
        ref = self.reference
        change = alloc_total - ref
        effect = self.effect if effect_mult is None else self.effect * np.asarray(effect_mult, float)
        scale = self.scale if scale_mult is None else self.scale * float(scale_mult)
        # return on the surge with the recommended mix held fixed (bullbear's rule)
        share = np.where(alloc_total[:, None] > 0, cells / np.where(alloc_total > 0, alloc_total, 1.0)[:, None],
                         self.base_cells / np.where(ref > 0, ref, 1.0)[:, None])
        gain = value * (self._curve(cells, effect, scale)
                        - self._curve(share * ref[:, None], effect, scale)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            roi = np.where(np.abs(change) > self.min_change, gain / change, np.nan)
        # bearish (bullbear's rule): benefit the next $1 M would buy (best eligible, unlocked mechanism), lowest first
        du = float(self.settings.u_max) / (len(self.u_k) - 1)
        slope_k = np.diff(self.g_k) / du
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.floor(np.where(scale[:, None] > 0, cells / scale[:, None], np.inf) / du + 1e-9)
        k = np.nan_to_num(k, nan=len(slope_k), posinf=len(slope_k)).astype(int)
        slope = np.where(k < len(slope_k), slope_k[np.clip(k, 0, len(slope_k) - 1)], 0.0)
        marginal = (value[:, None] * effect[None, :] * slope * self.unlocked).max(axis=1)
        bull = self._top(change > self.min_change, (self.pid_order, -change, -roi))
        bear = self._top((ref > 0) & (change < -self.min_change), (self.pid_order, change, marginal))
        return Calls(alloc_total, bull, bear)

    def _top(self, eligible: np.ndarray, keys: tuple[np.ndarray, ...]) -> np.ndarray:
        """The first ``n`` eligible partners of each command by ``keys``: the allocation's selection rule."""
        return top_per_command(self.command, eligible, keys, self.n)


class _WarmLP:
    """The allocation LP as one HiGHS model; a re-solve changes only the objective (values, mechanism
    effects) and, for a curve-scale draw, the widths of the curve segments (warm start)."""

    def __init__(self, highs: Any, seg_partner: np.ndarray, seg_mech: np.ndarray, objective: Callable,
                 shape: tuple[int, int], n_cols: int, seg_width: np.ndarray | None = None,
                 seg_k: np.ndarray | None = None, segments: int | None = None,
                 y_bounds: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.highs, self.seg_partner, self.seg_mech = highs, seg_partner, seg_mech
        self.objective, self.shape = objective, shape
        self.cols = np.arange(n_cols, dtype=np.int32)
        n_seg = len(seg_partner)
        self.seg_cols = np.arange(n_seg, dtype=np.int32)
        self.seg_width = None if seg_width is None else np.asarray(seg_width, float)[:n_seg]
        # curve segments scale with S_p; a lock's flat extension (segment number = segments) does not
        self.scaled = (np.ones(n_seg, bool) if seg_k is None or segments is None
                       else np.asarray(seg_k)[:n_seg] < int(segments))
        self.width_mult = 1.0
        self.y_bounds = y_bounds  # partner-total columns' (lower, upper) bounds, US$ M

    @classmethod
    def build(cls, inputs: AllocationInputs, settings: AllocationSettings, budget: float) -> _WarmLP:
        """The model from :func:`prioritizer.allocation.model.highs_model`."""
        h, st = highs_model(inputs, settings, budget)
        warm = cls(h, st.seg_partner, st.seg_mech, st.objective, (len(st.partner_ids), len(st.mech_ids)),
                   st.n_cols, st.seg_width, st.seg_k, settings.segments, (st.y_lo, st.y_hi))
        if len(st.locked):  # a locked cell keeps its curve: its amount is fixed anyway
            cell = pd.MultiIndex.from_arrays([np.asarray(st.partner_ids)[warm.seg_partner],
                                              np.asarray(st.mech_ids)[warm.seg_mech]])
            warm.scaled &= ~cell.isin(pd.MultiIndex.from_frame(st.locked[["partner_id", "mechanism"]]))
        return warm

    def solve(self, value: np.ndarray, effect_mult: np.ndarray | None = None,
              scale_mult: float | None = None) -> np.ndarray:
        """Cells (partner × mechanism, US$ M) of the optimal allocation for ``value`` and the multipliers."""
        h = self.highs
        cost = np.asarray(self.objective(np.asarray(value, float)), float).copy()
        if effect_mult is not None:
            cost[: len(self.seg_mech)] *= np.asarray(effect_mult, float)[self.seg_mech]
        h.changeColsCost(len(self.cols), self.cols, cost)
        mult = 1.0 if scale_mult is None else float(scale_mult)
        if mult != self.width_mult:
            width = np.where(self.scaled, self.seg_width * mult, self.seg_width)
            h.changeColsBounds(len(self.seg_cols), self.seg_cols, np.zeros(len(width)), width)
            if self.y_bounds is not None:  # a partner minimum above its smaller curves' capacity is cut to it
                lo, hi = self.y_bounds
                capacity = np.bincount(self.seg_partner, weights=width, minlength=len(lo))
                ycols = len(self.seg_partner) + np.arange(len(lo), dtype=np.int32)
                h.changeColsBounds(len(ycols), ycols, np.minimum(lo, capacity), np.where(np.isinf(hi), INF, hi))
            self.width_mult = mult
        failed = run_highs(h)
        if failed is not None:
            raise InfeasibleError([f"A robustness re-solve stopped before an optimal allocation ({failed})."],
                                  status="Infeasible" if "nfeasible" in failed else failed)
        x = np.asarray(h.getSolution().col_value)[: len(self.seg_partner)]
        cells = np.zeros(self.shape)
        np.add.at(cells, (self.seg_partner, self.seg_mech), x)
        return cells
