"""The domain's vocabulary, read once from the bundled data files: commands, categories, mechanisms.

Every module takes these names from here instead of repeating them:

- ``COMMANDS`` — geographic combatant command ids, ``sample_data/commands.csv`` (``command_id``);
- ``COMMAND_NAMES`` — id → full name (``name``), e.g. ``AFRICOM`` → ``US Africa Command``;
- ``CATEGORIES`` / ``CATEGORY_LABELS`` — category ids in file order and their display labels,
  ``sample_data/constructs.csv`` (``category_id``, ``category_label``);
- ``MECHANISMS`` / ``MECHANISM_LABELS`` — the default mechanisms of ``weights/allocation.yaml``
  (``mechanisms[].id`` / ``.label``). A planner's settings file may define others: code that holds an
  ``AllocationSettings`` takes labels from it; these are the defaults for display only.
- ``PARTNER_TYPES`` and ``INCOME_GROUPS`` (World Bank codes) — closed vocabularies of ``partners.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from prioritizer.paths import DEFAULT_ALLOCATION_SETTINGS, SAMPLE_DATA_DIR
from prioritizer.safe_yaml import parse_yaml

COMMANDS_FILE = SAMPLE_DATA_DIR / "commands.csv"
CONSTRUCTS_FILE = SAMPLE_DATA_DIR / "constructs.csv"

PARTNER_TYPES: tuple[str, ...] = ("state", "non-state")
INCOME_GROUPS: tuple[str, ...] = ("HIC", "UMC", "LMC", "LIC")
"""World Bank income groups, richest first: high, upper-middle, lower-middle, low income."""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _read_commands(path: Path = COMMANDS_FILE) -> dict[str, str]:
    """Command id → full name, in file order."""
    return {row["command_id"].strip(): row["name"].strip() for row in _rows(path)}


def _read_categories(path: Path = CONSTRUCTS_FILE) -> dict[str, str]:
    """Category id → display label, in order of first appearance in the constructs file."""
    labels: dict[str, str] = {}
    for row in _rows(path):
        labels.setdefault(row["category_id"].strip(), row["category_label"].strip())
    return labels


def _read_mechanisms(path: Path = DEFAULT_ALLOCATION_SETTINGS) -> dict[str, str]:
    """Mechanism id → label from the default allocation settings, in file order."""
    raw = parse_yaml(path.read_text(encoding="utf-8"), str(path)) or {}
    return {str(m["id"]): str(m.get("label", m["id"])) for m in raw.get("mechanisms", [])}


COMMAND_NAMES: dict[str, str] = _read_commands()
COMMANDS: tuple[str, ...] = tuple(COMMAND_NAMES)
CATEGORY_LABELS: dict[str, str] = _read_categories()
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)
MECHANISM_LABELS: dict[str, str] = _read_mechanisms()
MECHANISMS: tuple[str, ...] = tuple(MECHANISM_LABELS)


def category_label(category_id: str, *, in_sentence: bool = False) -> str:
    """Display label of a category; ``in_sentence`` lower-cases it for running text ("US" stays)."""
    label = CATEGORY_LABELS.get(category_id, category_id.replace("_", " "))
    if not in_sentence:
        return label
    return " ".join(w if w.isupper() else w.lower() for w in label.split(" "))
