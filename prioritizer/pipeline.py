"""The only place the stages are chained: load → score → match → allocate → bullish/bearish → frontier →
robustness → brief. Both front doors call these functions: the CLI (``prioritizer.cli``) with file paths and
flags, the app with the objects it caches (dataset, profile, settings, scenario dict).

Each function returns a small frozen record with everything its callers show or write (result, tables, the
scope's notes), so a front door never calls a stage module itself. Money in US$ M per year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from prioritizer.allocation import bullbear as allocation_bullbear
from prioritizer.allocation.bullbear import bullish_bearish
from prioritizer.allocation.frontier import frontier
from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.settings_file import load_settings
from prioritizer.allocation.settings_file import load_settings as load_allocation_settings
from prioritizer.allocation.solve import AllocationResult, allocate
from prioritizer.allocation.value import grant_need
from prioritizer.charts.style import ChartMeta
from prioritizer.data.dataset import Dataset, load_dataset
from prioritizer.data.edits import apply_edits, checked_overrides
from prioritizer.data.planner_inputs import MAX_FUNDING_USD_M, load_overrides
from prioritizer.errors import InputError
from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS, DEFAULT_MATCHING_SETTINGS, DEFAULT_PROFILE, SAMPLE_DATA_DIR
from prioritizer.report.deck import BriefInputs
from prioritizer.report.view_tables import backtest_table, ranked_table, tipping_table
from prioritizer.robustness import monte_carlo as robustness_monte_carlo
from prioritizer.robustness import settings as robustness_settings
from prioritizer.robustness import tornado as robustness_tornado
from prioritizer.robustness.settings import RobustnessSettings
from prioritizer.robustness.tipping import TippingPoints, tipping_points
from prioritizer.scenario import build_profile, scenario_scope
from prioritizer.scoring import match as scoring_match
from prioritizer.scoring.match import funding_mismatch, propensity_cut, quadrants
from prioritizer.scoring.scope import (
    ALL,
    Scope,
    ScopedAllocation,
    allocation_for_scope,
    resolve_scope,
    restrict_result,
    score_in_scope,
)
from prioritizer.scoring.score import ScoreResult
from prioritizer.scoring.settings import MatchingSettings, WeightProfile, load_matching_settings, load_profile
from prioritizer.validation import settings as validation_settings
from prioritizer.validation.backtest import backtest

# ------------------------------------------------------------------------------------------------ scoring


@dataclass
class Scenario:
    """Inputs that fully determine every output, and the log of what was done with them."""

    dataset: Dataset
    profile: WeightProfile
    matching: MatchingSettings
    overrides: pd.DataFrame | None = None
    log: list[str] = field(default_factory=list)
    scope: Scope = ALL

    def run(self) -> ScoreResult:
        """Score and match; the returned result's log starts with this scenario's provenance."""
        return score_and_match(self.dataset, self.profile, self.matching, self.overrides, self.log, self.scope)


def score_and_match(dataset: Dataset, profile: WeightProfile, matching: MatchingSettings,
                    overrides: pd.DataFrame | None = None, log: list[str] | None = None,
                    scope: Scope = ALL) -> ScoreResult:
    """Score partners, then add priority, merit, quadrant and funding-mismatch columns to ``scores``.

    With a narrowed ``scope`` the result holds the scope's partners only (see :mod:`prioritizer.scope`):
    scores and quadrants from all partners unless the scope normalises within itself; ``rank`` and the
    funding shares are over the scope.
    """
    result, _ids = score_in_scope(dataset, profile, scope, overrides)
    scores = result.scores
    scores["priority"] = dataset.priority.reindex(scores.index)
    basis = dataset.priority.attrs.get("basis", {})
    scores["priority_basis"] = [basis.get(p, "") for p in scores.index]
    scores["baseline_usd_m"] = dataset.funding["baseline_usd_m"].reindex(scores.index).fillna(0.0)
    if "income_group" in dataset.partners.columns:  # World Bank income group (HIC/UMC/LMC/LIC), optional
        scores["income_group"] = dataset.partners["income_group"].reindex(scores.index)
    scores["quadrant"] = quadrants(scores["propensity"], scores["priority"], matching)
    # need-aware merit: the allocation settings' need and grant rules (weights/allocation.yaml)
    grants = grant_need(dataset.partners, load_allocation_settings())
    mismatch = funding_mismatch(scores["propensity"], scores["priority"], scores["baseline_usd_m"],
                                      matching, need=grants["need"], grant_eligible=grants["grant_eligible"])
    for col in mismatch.columns:
        scores[col] = mismatch[col]
    cut = propensity_cut(scores["propensity"], matching)
    result.log = list(log or []) + result.log + [
        f"quadrants: high priority ≥ {matching.priority_threshold:g}, high propensity ≥ {cut:.1f}",
        f"funding mismatch against baseline ({int((scores['funding_flag'] != '').sum())} partners flagged)",
    ] + [f"note: {n}" for n in dataset.notes]
    return restrict_result(result, scope, matching)


@dataclass(frozen=True)
class ScoringRun:
    """A scored scenario loaded from files: the data, profile, matching settings, result and scope."""

    dataset: Dataset
    profile: WeightProfile
    matching: MatchingSettings
    result: ScoreResult
    scope: Scope = ALL

    @property
    def scope_line(self) -> str:
        """Where the normalisation bounds come from (one line; shown with every scoped output)."""
        return self.scope.normalisation_text(len(self.result.scores), len(self.dataset.partners))


def score_files(data: str | Path | None = None, weights: str | Path | None = None,
                priority: str | Path | None = None, funding: str | Path | None = None,
                overrides: str | Path | None = None, matching: str | Path | None = None,
                data_dir: str | Path = SAMPLE_DATA_DIR, commands: Iterable[str] | None = None,
                normalise_within: bool = False) -> ScoringRun:
    """Load files (defaults: the bundled sample and the evidence-based profile), score and match.

    ``commands`` (names, validated against the data; InputError naming ``--command``) narrows the result
    to those commands' partners; ``normalise_within`` normalises over them only.
    """
    dataset = load_dataset(data_dir, partners=data, priority=priority, funding=funding)
    scope = resolve_scope(commands, dataset.partners, normalise_within)
    profile = load_profile(weights or DEFAULT_PROFILE, dataset.dictionary)
    settings = load_matching_settings(matching or DEFAULT_MATCHING_SETTINGS)
    over = (load_overrides(overrides, dataset.partners.index, dataset.constructs.index)
            if overrides else None)
    log = [f"data: {', '.join(f'{k}={Path(v).name}' for k, v in dataset.files.items())}",
           f"priority basis: {Path(dataset.files['priority']).name if 'priority' in dataset.files else 'neutral'}"]
    result = Scenario(dataset, profile, settings, over, log, scope).run()
    return ScoringRun(dataset, profile, settings, result, scope)


def run_scoring(data: str | Path | None = None, weights: str | Path | None = None,
                priority: str | Path | None = None, funding: str | Path | None = None,
                overrides: str | Path | None = None, matching: str | Path | None = None,
                data_dir: str | Path = SAMPLE_DATA_DIR, commands: Iterable[str] | None = None,
                normalise_within: bool = False) -> tuple[Dataset, WeightProfile, ScoreResult]:
    """:func:`score_files` as a tuple ``(dataset, profile, result)``."""
    run = score_files(data, weights, priority, funding, overrides, matching, data_dir, commands, normalise_within)
    return run.dataset, run.profile, run.result


@dataclass(frozen=True)
class PreparedScenario:
    """A scenario dict turned into scoring inputs: edited data, profile, checked overrides, scope, notes."""

    dataset: Dataset
    profile: WeightProfile
    overrides: pd.DataFrame | None
    scope: Scope
    notes: list[str]


def prepare_scenario(base: Dataset, scenario: Mapping[str, Any], base_profile: WeightProfile) -> PreparedScenario:
    """The app's scenario on top of the base data: edits applied, weights and methods on the profile,
    overrides validated (InputError names the row), scope checked (an unknown command → all, with a note)."""
    dataset, notes = apply_edits(base, scenario)
    profile = build_profile(base_profile, scenario)
    overrides = checked_overrides(scenario, dataset)
    scope, scope_notes = scenario_scope(scenario, dataset.partners)
    return PreparedScenario(dataset, profile, overrides, scope, notes + scope_notes + list(dataset.notes))


@dataclass(frozen=True)
class ScoredScenario:
    """Scores with matching, nearest peers and the exported ranking (best first)."""

    result: ScoreResult
    peers: pd.DataFrame
    ranked: pd.DataFrame


def score_scenario(dataset: Dataset, profile: WeightProfile, matching: MatchingSettings,
                   overrides: pd.DataFrame | None = None, scope: Scope = ALL,
                   peers: int | None = None) -> ScoredScenario:
    """Score and match, find each partner's ``peers`` nearest peers (default: the matching settings') and
    build the ranked table."""
    return with_ranking(score_and_match(dataset, profile, matching, overrides, scope=scope), matching, peers)


def with_ranking(result: ScoreResult, matching: MatchingSettings, peers: int | None = None) -> ScoredScenario:
    """A scored result with each partner's ``peers`` nearest peers (default: the matching settings') and the
    ranked table (one row per partner, best first)."""
    near = scoring_match.peers(result.constructs, k=matching.peers if peers is None else peers,
                               names=result.scores["name"])
    return ScoredScenario(result, near, ranked_table(result.scores, near))


# --------------------------------------------------------------------------------------------- allocation


def allocation_settings(path: str | Path | None, dataset: Dataset) -> AllocationSettings:
    """Allocation settings for this data: the bundled file is cut to the partners in the data (its locks on
    other partners dropped, noted); a planner's file naming partners outside the data is an InputError."""
    bundled = path is None or Path(path).resolve() == DEFAULT_ALLOCATION_SETTINGS.resolve()
    return load_settings(path, known_partners=None if bundled else dataset.partners.index)


def scope_budget(run: ScopedAllocation, budget_usd_m: float | None) -> float:
    """The budget to solve: ``budget_usd_m`` as given, else the settings' rule on the scope's baseline, which
    must stay within 0 – US$ 1 trillion (InputError naming the settings file and the funding total)."""
    if budget_usd_m is not None:
        return run.budget_usd_m
    budget = run.settings.default_budget(run.inputs.baseline_total_usd_m)
    if not 0 <= budget <= MAX_FUNDING_USD_M:
        raise InputError(f"the settings' budget rule gives ${budget:,.0f} M from a baseline funding total of "
                         f"${run.inputs.baseline_total_usd_m:,.0f} M, above the US$ {MAX_FUNDING_USD_M:,.0f} M limit; "
                         "check the funding file or pass --budget-usd-m", file=run.settings.source or None,
                         key="budget")
    return budget


@dataclass(frozen=True)
class AllocationRun:
    """A solved allocation for a scope with its bullish/bearish calls (``top`` per command and side), the
    offsets per command, why fewer than ``top`` qualify, and the scope's notes."""

    result: AllocationResult
    inputs: AllocationInputs
    settings: AllocationSettings
    bullbear: pd.DataFrame
    offsets: pd.DataFrame
    shortfall: pd.DataFrame
    notes: list[str]

    @property
    def mechanism_labels(self) -> dict[str, str]:
        """Mechanism id → label from the settings."""
        return {m.id: m.label for m in self.settings.mechanisms}


def allocate_scenario(scores: pd.DataFrame, dataset: Dataset, settings: AllocationSettings,
                      budget_usd_m: float | None = None, *, solver: str = "auto", top: int = 3) -> AllocationRun:
    """Solve the scope's allocation (the partners in ``scores``; ``budget_usd_m`` None = the settings' rule)
    and list the bullish/bearish partners per command. InfeasibleError when the constraints conflict."""
    run = allocation_for_scope(scores, dataset, settings, budget_usd_m)
    result = allocate(run.inputs, run.settings, scope_budget(run, budget_usd_m), solver=solver)
    table = bullish_bearish(result, run.inputs, n=top)
    return AllocationRun(result, run.inputs, run.settings, table, allocation_bullbear.offsets(table, result),
                         allocation_bullbear.shortfall(table, result, top), list(run.notes))


@dataclass(frozen=True)
class FrontierRun:
    """Total benefit per budget level (``allocate.frontier``'s table) for a scope, with its notes."""

    table: pd.DataFrame
    inputs: AllocationInputs
    settings: AllocationSettings
    notes: list[str]


def frontier_scenario(scores: pd.DataFrame, dataset: Dataset, settings: AllocationSettings, *,
                      levels: int | None = None, low_pct: float | None = None,
                      high_pct: float | None = None) -> FrontierRun:
    """The efficient frontier of the scope's allocation; levels and % of the baseline total default to the
    settings' ``frontier`` entries."""
    run = allocation_for_scope(scores, dataset, settings)
    s = run.settings
    table = frontier(run.inputs, s, levels=s.frontier_levels if levels is None else levels,
                           low_pct=s.frontier_low_pct if low_pct is None else low_pct,
                           high_pct=s.frontier_high_pct if high_pct is None else high_pct)
    return FrontierRun(table, run.inputs, s, list(run.notes))


# --------------------------------------------------------------------------------------------- robustness


@dataclass(frozen=True)
class RobustnessRun:
    """Monte Carlo over weights (with allocation re-solves when ``lp_draws`` > 0), tornado and tipping points
    (None when skipped); ``allocation`` is the scope's allocation set-up the re-solves used (None if none)."""

    monte_carlo: robustness_monte_carlo.RobustnessResult
    tornado: pd.DataFrame
    tipping: TippingPoints | None
    allocation: ScopedAllocation | None
    notes: list[str]


def robustness_scenario(result: ScoreResult, dataset: Dataset, profile: WeightProfile,
                        settings: RobustnessSettings, allocation_settings: AllocationSettings | None = None,
                        budget_usd_m: float | None = None, *, tipping: bool = True) -> RobustnessRun:
    """Robustness of a scored scenario. The allocation (for the bullish/bearish probabilities, the robust core
    and the tipping points) is the scope's own, solved only when ``settings.lp_draws`` > 0 or ``tipping``."""
    run = None
    inputs, a_settings, budget = None, None, budget_usd_m
    if allocation_settings is not None and (settings.lp_draws > 0 or tipping):
        run = allocation_for_scope(result.scores, dataset, allocation_settings, budget_usd_m)
        inputs, a_settings, budget = run.inputs, run.settings, run.budget_usd_m
    mc = robustness_monte_carlo.monte_carlo(result, profile, settings, inputs if settings.lp_draws > 0 else None,
                                            a_settings, budget, dataset=dataset)
    tips = tipping_points(result, profile, inputs, a_settings, budget, settings) if tipping else None
    tornado = robustness_tornado.tornado(result, profile, settings.tornado_swing, settings.tornado_points)
    return RobustnessRun(mc, tornado, tips, run, list(run.notes) if run is not None else [])


def run_robustness(result: ScoreResult, dataset: Dataset, profile: WeightProfile,
                   allocation_settings: AllocationSettings, budget: float | None) -> dict[str, Any]:
    """The app's robustness run with the bundled settings: {"partners": per-partner robustness, "tornado": long
    tornado frame, "tipping": tipping-point rows for partners with a bullish/bearish call or a tipping point,
    "log": lines}."""
    run = robustness_scenario(result, dataset, profile, robustness_settings.load_settings(), allocation_settings,
                              budget)
    tp = run.tipping.partners  # type: ignore[union-attr]  (tipping=True)
    keep = (tp["base_call"].fillna("") != "") | tp["tip_delta"].notna()
    return {"partners": run.monte_carlo.partners, "tornado": run.tornado, "tipping": tipping_table(tp[keep]),
            "log": list(run.monte_carlo.log) + list(run.tipping.log)}  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------------ briefing


class _ScopedAllocation:
    """An allocation result seen through a command filter (partners and mechanisms rows of those commands)."""

    def __init__(self, res: Any, partners: pd.DataFrame, mechanisms: pd.DataFrame) -> None:
        self._res, self.partners, self.mechanisms = res, partners, mechanisms

    def __getattr__(self, name: str) -> Any:
        return getattr(self._res, name)


def brief_for_commands(b: BriefInputs, commands: Sequence[str] | None) -> BriefInputs:
    """The same brief limited to some commands (None or empty = all)."""
    if not commands:
        return b
    keep = set(commands)
    out = replace(b)
    out.scores = b.scores[b.scores["command"].isin(keep)]
    if b.bullbear is not None:
        out.bullbear = b.bullbear[b.bullbear["command"].isin(keep)]
    if b.offsets is not None:
        out.offsets = b.offsets[b.offsets["command"].isin(keep)]
    if b.robustness is not None and "command" in b.robustness:
        out.robustness = b.robustness[b.robustness["command"].isin(keep)]
    if b.allocation is not None:
        res = b.allocation
        partners = res.partners[res.partners["command"].isin(keep)]
        out.allocation = _ScopedAllocation(res, partners, res.mechanisms[res.mechanisms["partner_id"]
                                                                         .isin(partners.index)])
    return out


@dataclass(frozen=True)
class BriefRun:
    """What the deck shows (``deck.build_deck(run.brief)``) and the scope's notes."""

    brief: BriefInputs
    notes: list[str]


def brief_scenario(dataset: Dataset, profile: WeightProfile, result: ScoreResult, meta: ChartMeta, *,
                   settings: AllocationSettings | None = None, budget_usd_m: float | None = None,
                   robustness_partners: pd.DataFrame | None = None, matching: MatchingSettings | None = None,
                   commands: Sequence[str] | None = None, draws: int = 0) -> BriefRun:
    """Solve the allocation for a scored scenario and collect what the deck shows.

    The allocation is the one of the partners in ``result`` (a command-scoped result solves that scope's own
    budget and constraints, :func:`prioritizer.scope.allocation_for_scope`); ``commands`` further limits the
    deck's tables, charts and per-command slides to those commands (a display filter: scores unchanged).
    ``draws`` > 0 and no ``robustness_partners``: a Monte Carlo of that many weight draws (≤ 50 allocation
    re-solves), run after the allocation.
    """
    matching = matching or load_matching_settings()
    scores = result.scores
    b = BriefInputs(scores=scores, meta=meta, priority_threshold=matching.priority_threshold,
                         propensity_cut=propensity_cut(scores["propensity"], matching),
                         budget_usd_m=budget_usd_m, weights=dict(profile.category_weights),
                         profile_name=profile.name, dictionary=dataset.dictionary,
                         coverage_threshold=profile.coverage_threshold, log=list(result.log),
                         robustness=robustness_partners)
    notes: list[str] = []
    if settings is not None:
        run = allocation_for_scope(scores, dataset, settings, budget_usd_m)
        notes = list(run.notes)
        res = allocate(run.inputs, run.settings, run.budget_usd_m)
        table = bullish_bearish(res, run.inputs)
        b.allocation, b.bullbear, b.offsets = res, table, allocation_bullbear.offsets(table, res)
        b.budget_usd_m = res.budget_usd_m
        b.mechanisms = {m.id: m.label for m in settings.mechanisms}
        if draws and robustness_partners is None:  # after the allocation: its solver set-up keeps HiGHS quiet
            rs = robustness_settings.load_settings().with_changes(draws=draws, lp_draws=min(50, draws))
            b.robustness = robustness_monte_carlo.monte_carlo(result, profile, rs, run.inputs, run.settings,
                                                              run.budget_usd_m, dataset=dataset).partners
    return BriefRun(brief_for_commands(b, commands), notes)


def brief_inputs(dataset: Dataset, profile: WeightProfile, result: ScoreResult, meta: ChartMeta, *,
                 settings: AllocationSettings | None = None, budget_usd_m: float | None = None,
                 robustness_partners: pd.DataFrame | None = None, matching: MatchingSettings | None = None,
                 commands: Sequence[str] | None = None) -> BriefInputs:
    """The deck's inputs for a scored scenario: :func:`brief_scenario` without robustness draws or notes."""
    return brief_scenario(dataset, profile, result, meta, settings=settings, budget_usd_m=budget_usd_m,
                          robustness_partners=robustness_partners, matching=matching, commands=commands).brief


# ------------------------------------------------------------------------------------------------ back-test


def run_backtest(settings_path: str | Path | None = None) -> dict[str, Any]:
    """Run ``prioritizer.validate.backtest`` on the bundled panels: {"table", "display", "caveats", "log"}."""
    result = backtest(validation_settings.load_settings(settings_path))
    return {"table": result.table, "display": backtest_table(result.table), "caveats": list(result.caveats),
            "log": result.log}
