"""One command's view: restrict scores, allocation inputs and settings to the partners of chosen commands.

A :class:`Scope` names the combatant commands a planner works on (empty = all) and whether propensity is
normalised within the scope. By default normalisation bounds stay global: every partner in the data is
scored, then the result is cut to the scope, so a partner's score does not change because the view is
narrowed. The allocation then solves the scope's own budget with only its constraints (see
``docs/method.md`` §8): other commands' floors and caps vanish, locks and partner limits of in-scope
partners stay, and every authority pool is cut to the scope's share of that mechanism's baseline.

Pure functions on the library's objects; the CLI (``add_scope_arguments``) and the app only choose a scope.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd

from prioritizer.allocation.inputs import AllocationInputs, build_inputs
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.solve import check_budget
from prioritizer.data.checks import id_list
from prioritizer.data.dataset import Dataset
from prioritizer.domain import COMMANDS
from prioritizer.errors import InputError
from prioritizer.scoring import match
from prioritizer.scoring.score import ScoreResult, rank_descending, score
from prioritizer.scoring.settings import MatchingSettings, WeightProfile

SCOPE_FLAG = "--command"


@dataclass(frozen=True)
class Scope:
    """The commands in view (empty tuple = all partners) and where normalisation bounds come from.

    ``normalise_within`` False (default): bounds from every partner in the data (scores equal the
    unscoped ones); True: the scope's partners are scored on their own (scores are relative to them).
    """

    commands: tuple[str, ...] = ()
    normalise_within: bool = False

    @property
    def is_all(self) -> bool:
        """True when no command was chosen (every partner in the data)."""
        return not self.commands

    @property
    def label(self) -> str:
        """'all commands', 'AFRICOM' or 'AFRICOM + EUCOM'."""
        return "all commands" if self.is_all else " + ".join(self.commands)

    def partner_ids(self, partners: pd.DataFrame) -> pd.Index:
        """Ids of the partners (rows with a ``command`` column) inside the scope, in their order."""
        if self.is_all:
            return partners.index
        return partners.index[partners["command"].isin(self.commands).to_numpy()]

    def normalisation_text(self, n_scope: int, n_all: int) -> str:
        """One line stating where the normalisation bounds come from (shown with every scoped output)."""
        if self.is_all:
            return f"scope: all commands ({n_all} partners)"
        if self.normalise_within:
            return (f"scope: {self.label} ({n_scope} partners); normalisation bounds from these "
                    f"{n_scope} partners only — scores are relative to {self.label} and differ "
                    "from the all-partner scores")
        return (f"scope: {self.label} ({n_scope} of {n_all} partners); normalisation bounds from all {n_all} "
                "partners, so every score equals its all-partner value")


ALL = Scope()


def data_commands(partners: pd.DataFrame) -> list[str]:
    """Commands that have at least one partner in the data, sorted."""
    return sorted(str(c) for c in pd.unique(partners["command"]))


def resolve_scope(commands: Iterable[str] | None, partners: pd.DataFrame, normalise_within: bool = False,
                  flag: str = SCOPE_FLAG) -> Scope:
    """Validate command names (case-insensitive) against the data; errors name ``flag`` and the valid commands.

    An unknown name and a command with no partners in the data are both InputErrors listing the commands
    present in the data. Duplicates are dropped; order follows the data's sorted command list.
    """
    chosen = [str(c).strip() for c in (commands or []) if str(c).strip()]
    present = data_commands(partners)
    by_upper = {c.upper(): c for c in present}
    known_upper = {c.upper() for c in COMMANDS} | set(by_upper)
    picked: list[str] = []
    for name in chosen:
        up = name.upper()
        if up not in known_upper:
            raise InputError(f"unknown command {name!r} (commands in the data: {', '.join(present)})", key=flag)
        if up not in by_upper:
            raise InputError(f"command {up!r} has no partners in the data (commands in the data: "
                             f"{', '.join(present)})", key=flag)
        picked.append(by_upper[up])
    ordered = tuple(c for c in present if c in set(picked))
    if normalise_within and not ordered:
        raise InputError("normalising within the scope needs at least one command", key=flag)
    return Scope(ordered, bool(normalise_within))


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    """``--command NAME`` (repeatable) and ``--normalise-within-scope`` on any subcommand.

    Read them back with :func:`scope_from_args` once the partners are loaded.
    """
    parser.add_argument(SCOPE_FLAG, dest="scope_commands", action="append", metavar="NAME", default=None,
                        help="only this combatant command's partners (repeat for several); the allocation "
                             "solves this scope's own budget (default: its baseline)")
    parser.add_argument("--normalise-within-scope", dest="normalise_within_scope", action="store_true",
                        help="normalise indicators over the scope's partners only (default: over all partners, "
                             "so scores do not change when the view is narrowed)")


def scope_from_args(args: argparse.Namespace, partners: pd.DataFrame) -> Scope:
    """The validated scope of parsed arguments (all partners when ``--command`` was not given)."""
    return resolve_scope(getattr(args, "scope_commands", None) or [], partners,
                         bool(getattr(args, "normalise_within_scope", False)))


def report_notes(lines: Iterable[str], scope_line: str | None = None) -> dict[str, str]:
    """Rows for a workbook's About (notes) sheet: ``{"Scope": …, "Data note 1": …}``, ready to pass as the
    ``notes`` of :func:`prioritizer.report.workbook_bytes` (data notes: bundled rows left out, defaults given)."""
    out = {"Scope": scope_line} if scope_line else {}
    out.update({f"Data note {i}": line for i, line in enumerate(lines, start=1)})
    return out


# ------------------------------------------------------------------------------------------ scores


def restrict_dataset(dataset: Dataset, scope: Scope) -> Dataset:
    """The data set cut to the scope's partners (priority and funding too)."""
    if scope.is_all:
        return dataset
    ids = scope.partner_ids(dataset.partners)
    priority = dataset.priority.reindex(ids)
    priority.attrs = dict(dataset.priority.attrs)
    funding = dataset.funding.reindex(ids)
    return replace(dataset, partners=dataset.partners.loc[ids], years=dataset.years.reindex(ids),
                   std_errors=dataset.std_errors.reindex(ids), priority=priority, funding=funding)


def restrict_result(result: ScoreResult, scope: Scope, matching: MatchingSettings | None = None) -> ScoreResult:
    """A scored result cut to the scope: every score unchanged; ``rank`` re-counted within the scope
    (``rank_all`` keeps the all-partner rank); funding shares recomputed over the scope if ``matching``."""
    if scope.is_all:
        return result
    scores = result.scores
    ids = scope.partner_ids(scores)
    n_all = len(scores) if len(ids) < len(scores) else None
    text = scope.normalisation_text(len(ids), n_all or len(ids))
    if n_all is None:  # scored within the scope already (normalise_within): nothing to cut
        return replace(result, log=list(result.log) + [text])
    cut = scores.loc[ids].copy()
    cut["rank_all"] = cut["rank"]
    ranked = cut["propensity"].where(~cut["low_confidence"].astype(bool)) if "low_confidence" in cut.columns \
        else cut["propensity"]
    cut["rank"] = rank_descending(ranked).array  # low-confidence partners stay unranked, as in score()
    if matching is not None and {"priority", "baseline_usd_m", "funding_flag"} <= set(cut.columns):
        mismatch = match.funding_mismatch(cut["propensity"], cut["priority"], cut["baseline_usd_m"], matching)
        for col in mismatch.columns:
            cut[col] = mismatch[col]

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.reindex(ids)

    return replace(result, scores=cut, constructs=rows(result.constructs), categories=rows(result.categories),
                   normalised=rows(result.normalised), imputed=rows(result.imputed),
                   overridden=rows(result.overridden), log=list(result.log) + [text])


def score_in_scope(dataset: Dataset, profile: WeightProfile, scope: Scope, overrides: pd.DataFrame | None = None,
                   ) -> tuple[ScoreResult, pd.Index]:
    """Score for a scope: all partners then cut (global bounds), or the scope's partners alone.

    Returns the raw :func:`prioritizer.scoring.score.score` result (before matching) and the scope's ids.
    """
    ids = scope.partner_ids(dataset.partners)
    if scope.is_all or not scope.normalise_within:
        return score(dataset, profile, overrides), ids
    over = overrides
    if overrides is not None and len(overrides):
        over = overrides[overrides["partner_id"].isin(ids)].reset_index(drop=True)
    return score(restrict_dataset(dataset, scope), profile, over), ids


# ------------------------------------------------------------------------------------------ allocation


def whole_baseline_by_mechanism(dataset: Dataset, settings: AllocationSettings) -> pd.Series:
    """Baseline (US$ M/yr) per mechanism of the whole picture the settings' pools are calibrated to: per
    ``baseline_<m>_usd_m`` column (remainder of ``baseline_usd_m`` under the baseline mechanism, as in
    :func:`prioritizer.allocate.build_inputs`), each the larger of the funding file's and the data's total."""
    data = {c: float(pd.to_numeric(dataset.funding[c], errors="coerce").fillna(0.0).sum())
            for c in dataset.funding.columns if str(c).endswith("_usd_m")}
    totals = {c: max(v, dataset.funding_file_totals_usd_m.get(c, 0.0)) for c, v in data.items()}
    out = pd.Series(0.0, index=list(settings.mechanism_ids))
    for m in settings.mechanism_ids:
        out[m] = max(totals.get(f"baseline_{m}_usd_m", 0.0), 0.0)
    rest = totals.get("baseline_usd_m", 0.0) - float(out.sum())
    out[settings.baseline_mechanism] += max(rest, 0.0)
    return out


def pool_shares(inputs: AllocationInputs, whole_by_mechanism: pd.Series) -> pd.Series:
    """The scope's share of every authority pool: its baseline under that mechanism over the whole picture's
    (the scope's share of the total baseline where the whole has none); all 1 when nothing was left out."""
    scope_m = inputs.baseline_by_mechanism.sum().reindex(whole_by_mechanism.index).fillna(0.0)
    whole_total, scope_total = float(whole_by_mechanism.sum()), float(scope_m.sum())
    if whole_total <= scope_total + 1e-6:
        return pd.Series(1.0, index=whole_by_mechanism.index)
    fallback = scope_total / whole_total if whole_total > 0 else 1.0
    share = (scope_m / whole_by_mechanism.where(whole_by_mechanism > 0)).fillna(fallback)
    return share.clip(0.0, 1.0)


def restrict_settings(settings: AllocationSettings, inputs: AllocationInputs,
                      whole_by_mechanism: pd.Series) -> tuple[AllocationSettings, list[str]]:
    """Allocation settings for the partners in ``inputs`` alone, and one note per change.

    Command floors / caps of commands with no partner in the inputs are dropped; locks and partner
    overrides of partners outside are dropped; every pool (max and min) is multiplied by the scope's
    :func:`pool_shares`. A fixed-budget rule becomes 'baseline_total' at the same percentage.
    """
    ids = inputs.partners.index
    present = set(inputs.partners["command"])
    notes: list[str] = []
    commands = tuple(c for c in settings.commands if c.command in present)
    gone = [c.command for c in settings.commands
            if c.command not in present and (c.floor_usd_m or c.cap_usd_m or getattr(c, "floor_pct_of_budget", 0))]
    if gone:
        notes.append(f"scope: floors/caps of {', '.join(gone)} do not apply (no partner of theirs in scope)")
    locks = tuple(lk for lk in settings.locks if lk.partner_id in ids)
    dropped = [f"{lk.partner_id}/{lk.mechanism}" for lk in settings.locks if lk.partner_id not in ids]
    if dropped:
        notes.append(f"scope: {len(dropped)} lock{'' if len(dropped) == 1 else 's'} on partners outside the scope "
                     f"left out ({id_list(dropped)})")
    overrides = tuple((pid, lim) for pid, lim in settings.partner_overrides if pid in ids)
    shares = pool_shares(inputs, whole_by_mechanism)
    pools = settings.pools
    narrowed = bool((shares < 1.0).any())
    if narrowed and pools:
        pools = tuple(replace(p, max_usd_m=None if p.max_usd_m is None else p.max_usd_m * float(shares[p.mechanism]),
                              min_usd_m=p.min_usd_m * float(shares[p.mechanism])) for p in pools)
        parts = ", ".join(f"{p.mechanism} ${p.max_usd_m:,.1f} M ({shares[p.mechanism]:.1%})" for p in pools
                          if p.max_usd_m is not None)
        notes.append(f"scope: authority pools cut to the scope's share of each mechanism's baseline: {parts}")
    changes: dict = {"commands": commands, "locks": locks, "partner_overrides": overrides, "pools": pools}
    if settings.budget_rule == "fixed" and narrowed:
        changes["budget_rule"] = "baseline_total"
        notes.append("scope: the settings' fixed budget is for all commands; default budget is the scope's "
                     f"baseline × {settings.budget_pct_of_baseline:g}%")
    return replace(settings, **changes), notes


@dataclass
class ScopedAllocation:
    """Everything an allocation run of one scope needs: inputs, settings, budget and the notes."""

    inputs: AllocationInputs
    settings: AllocationSettings
    budget_usd_m: float
    notes: list[str]


def allocation_for_scope(scores: pd.DataFrame, dataset: Dataset, settings: AllocationSettings,
                         budget_usd_m: float | None = None) -> ScopedAllocation:
    """Build allocation inputs from (already scoped) ``scores`` and restrict the settings to them.

    ``budget_usd_m`` None = the settings' rule on the scope's baseline (a fixed whole-budget rule becomes
    the scope's baseline × its percentage). With all partners of the data and their whole funding file the
    settings come back unchanged.
    """
    ids = scores.index
    inputs = build_inputs(scores, dataset.allocation_raw, dataset.funding.reindex(ids), settings)
    restricted, notes = restrict_settings(settings, inputs, whole_baseline_by_mechanism(dataset, settings))
    budget = (check_budget(budget_usd_m) if budget_usd_m is not None
              else restricted.default_budget(inputs.baseline_total_usd_m))
    return ScopedAllocation(inputs, restricted, budget, notes)
