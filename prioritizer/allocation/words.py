"""Plain words for every allocation output a planner reads: money, counts, partner and mechanism names,
and one sentence per constraint kind (binding constraints, relaxations, conflicts).

The machine-readable parts (constraint kind, partner_id, mechanism) stay in their own columns next to
each sentence, so tables can still be filtered; these functions only write the sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prioritizer.domain import COMMAND_NAMES


def money(x: float, signed: bool = False) -> str:
    """US$ M/yr as text: ``$1,234.5 M``; amounts under $0.1 M keep two decimals (``$0.04 M``); ``signed``
    writes the sign first (``−$113.1 M``, ``+$0.1 M``)."""
    if signed:
        return ("−" if x < 0 else "+") + money(abs(x))
    return f"${x:,.2f} M" if 0 < abs(x) < 0.05 else f"${x:,.1f} M"


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 partner`` / ``2 partners`` (``plural`` for irregular words)."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def possessive(name: str) -> str:
    """``Israel's``, ``the Philippines'``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def command_name(command: str) -> str:
    """``AFRICOM`` (a command id as planners write it; the full name is in COMMAND_NAMES)."""
    return command if command in COMMAND_NAMES else str(command)


class Namer:
    """Partner and mechanism names for sentences: ``names`` partner_id → name, ``labels`` mechanism → label."""

    def __init__(self, names: Mapping[str, str], labels: Mapping[str, str]) -> None:
        self.names, self.labels = dict(names), dict(labels)

    def partner(self, pid: str) -> str:
        """The partner's name (its id if the name is unknown)."""
        return str(self.names.get(pid, pid))

    def mechanism(self, mid: str) -> str:
        """The mechanism's label as written in weights/allocation.yaml."""
        return str(self.labels.get(mid, mid))

    def cell(self, subject: str) -> str:
        """``ISR/fmf`` → ``Israel's Foreign Military Financing``."""
        pid, _, mid = str(subject).partition("/")
        return f"{possessive(self.partner(pid))} {self.mechanism(mid)}" if mid else self.partner(pid)

    def limit(self, kind: str, subject: str, amount: float, detail: str = "") -> str:
        """A sentence for a limit (binding constraint or pre-check): what it is, on whom, and the amount."""
        who = self.partner(subject)
        extra = f" ({detail})" if detail else ""
        text = {
            "budget": f"Budget: the whole {money(amount)} is spent",
            "command_cap": f"{command_name(subject)} cap: at most {money(amount)} for the command",
            "command_floor": f"{command_name(subject)} floor: at least {money(amount)} for the command",
            "pool_max": f"{self.mechanism(subject)} pool: at most {money(amount)} in total",
            "pool_min": f"{self.mechanism(subject)} pool minimum: at least {money(amount)} in total",
            "lock": f"{self.cell(subject)} is fixed at {money(amount)} by a lock",
            "partner_cap": f"Partner cap: {who} gets at most {money(amount)}",
            "partner_floor": f"Partner floor: {who} gets at least {money(amount)}",
            "max_cut": f"Cut limit: {who} keeps at least {money(amount)}",
            "max_increase": f"Increase limit: {who} gets at most {money(amount)}",
            "curve_ceiling": f"Absorption ceiling: {self.cell(subject)} is full at {money(amount)} "
                             "(more would add no benefit)",
        }.get(kind, f"{kind.replace('_', ' ')} {subject}: {money(amount)}")
        return text + extra


INDICATOR_WORDS = {
    "sipri_milex_usd_m": "SIPRI military-spending figure",
    "pts_mean": "Political Terror Scale score",
    "cow_milper_thousands": "COW military-personnel figure",
    "cow_milex_usd_m": "COW NMC v7 military expenditure (national security forces included)",
    "income_group": "World Bank income group",
}
"""Indicators as planners name them in sentences ("no SIPRI military-spending figure")."""


def indicator(indicator_id: str) -> str:
    """An indicator id in words (``pts_mean`` → ``Political Terror Scale score``)."""
    return INDICATOR_WORDS.get(indicator_id, indicator_id.replace("_", " "))


def have(n: int, word: str = "partner") -> str:
    """``1 partner has`` / ``2 partners have``."""
    return f"{count(n, word)} {'has' if n == 1 else 'have'}"


LIMIT_NOUN = {
    "partner_cap": ("partner cap", "partner caps"), "partner_floor": ("partner floor", "partner floors"),
    "max_cut": ("cut limit", "cut limits"), "max_increase": ("increase limit", "increase limits"),
    "curve_ceiling": ("absorption ceiling", "absorption ceilings"),
}
"""A partner-level limit kind as counted in a sentence: (singular, plural)."""


RELAX_NOUN = {
    "budget": "the budget", "command_floor": "command floors", "command_cap": "command caps",
    "pool_min": "pool minimums", "pool_max": "pool maximums", "lock": "locks",
    **{kind: many for kind, (_, many) in LIMIT_NOUN.items()},
    "curve_ceiling": "absorption ceilings (partner scale × u_max)",
}
"""What a group of relaxed limits is called in a sentence (elastic re-solve)."""


def limits(n: int, kind: str) -> str:
    """``1 cut limit`` / ``18 increase limits`` (a kind with no noun reads with spaces)."""
    one, many = LIMIT_NOUN.get(kind, (kind.replace("_", " "),) * 2)
    return count(n, one, many)


RELAXATION_SHOWN_USD_M = 0.1
"""Relaxations at least this large (US$ M) are written one per line; smaller ones are counted and named."""


def relaxation_lines(relaxations: Any, names: Mapping[str, str], max_shown: int = 12,
                     where: str = "the Relaxations sheet of the workbook") -> list[str]:
    """The relaxations a planner reads: the sentence of each one of at least RELAXATION_SHOWN_USD_M (largest
    first, at most ``max_shown``), then one line counting, sizing and naming the rest (``names``: partner_id →
    name); every row stays in ``where``."""
    big = relaxations[relaxations["relaxed_by_usd_m"] >= RELAXATION_SHOWN_USD_M].head(max_shown)
    lines = [str(t) for t in big["text"]]
    rest = relaxations.drop(big.index)
    if len(rest):
        partner = Namer(names, {}).partner
        who = [partner(p) if p else str(c) for p, c in zip(rest["partner_id"], rest["constraint"], strict=True)]
        lines.append(f"and {count(len(rest), 'smaller relaxation')} "
                     f"({money(float(rest['relaxed_by_usd_m'].sum()))} in all: {', '.join(who[:8])}"
                     f"{', …' if len(who) > 8 else ''}); every row is on {where}")
    return lines


def namer(partners: Any, settings: Any) -> Namer:
    """A :class:`Namer` from a partners frame (index partner_id, column name) and the allocation settings."""
    names = partners["name"].astype(str).to_dict() if "name" in partners.columns else {}
    return Namer(names, {m.id: m.label for m in settings.mechanisms})
