"""One-call pipelines shared by the CLI and the app: load → validate → score → match.

A :class:`Scenario` carries everything that determines the outputs (data files, profile, overrides,
matching settings) plus the log of every step, so any result can be regenerated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from prioritizer import match
from prioritizer.allocation_settings import load_settings as load_allocation_settings
from prioritizer.allocation_value import grant_need
from prioritizer.config import MatchingSettings, WeightProfile, load_matching_settings, load_profile
from prioritizer.load import Dataset, load_dataset, load_overrides
from prioritizer.paths import DEFAULT_MATCHING_SETTINGS, DEFAULT_PROFILE, SAMPLE_DATA_DIR
from prioritizer.scope import ALL, Scope, resolve_scope, restrict_result, score_in_scope
from prioritizer.score import ScoreResult


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
    scores["quadrant"] = match.quadrants(scores["propensity"], scores["priority"], matching)
    # need-aware merit: the allocation settings' need and grant rules (weights/allocation.yaml)
    grants = grant_need(dataset.partners, load_allocation_settings())
    mismatch = match.funding_mismatch(scores["propensity"], scores["priority"], scores["baseline_usd_m"],
                                      matching, need=grants["need"], grant_eligible=grants["grant_eligible"])
    for col in mismatch.columns:
        scores[col] = mismatch[col]
    cut = match.propensity_cut(scores["propensity"], matching)
    result.log = list(log or []) + result.log + [
        f"quadrants: high priority ≥ {matching.priority_threshold:g}, high propensity ≥ {cut:.1f}",
        f"funding mismatch against baseline ({int((scores['funding_flag'] != '').sum())} partners flagged)",
    ] + [f"note: {n}" for n in dataset.notes]
    return restrict_result(result, scope, matching)


def run_scoring(
    data: str | Path | None = None,
    weights: str | Path | None = None,
    priority: str | Path | None = None,
    funding: str | Path | None = None,
    overrides: str | Path | None = None,
    matching: str | Path | None = None,
    data_dir: str | Path = SAMPLE_DATA_DIR,
    commands: Iterable[str] | None = None,
    normalise_within: bool = False,
) -> tuple[Dataset, WeightProfile, ScoreResult]:
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
    return dataset, profile, result
