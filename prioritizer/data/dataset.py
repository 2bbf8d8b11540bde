"""The validated data set (:class:`Dataset`) and its assembly from a data folder or the planner's files.

Data flows: read (:mod:`prioritizer.data.reading`) → validate (dictionary, partners, priority, funding) →
one :class:`Dataset` indexed by ``partner_id``, which the scorer and the optimizer read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from prioritizer.data.bounds import BOUNDS_FILE, validate_bounds
from prioritizer.data.checks import default_note
from prioritizer.data.dictionary import validate_constructs, validate_dictionary
from prioritizer.data.numeric import to_numeric_column
from prioritizer.data.partners import AUXILIARY_COLUMNS, validate_partners
from prioritizer.data.planner_inputs import validate_funding, validate_priority
from prioritizer.data.reading import read_table
from prioritizer.paths import SAMPLE_DATA_DIR

SAMPLE_FILES = {
    "partners": "partners.csv",
    "dictionary": "indicators.csv",
    "constructs": "constructs.csv",
    "priority": "priority_proxy.csv",
    "funding": "funding_baseline.csv",
}


@dataclass(frozen=True)
class Dataset:
    """Everything the scorer and optimizer read, validated. Indexed by ``partner_id``."""

    partners: pd.DataFrame
    years: pd.DataFrame
    std_errors: pd.DataFrame
    dictionary: pd.DataFrame
    constructs: pd.DataFrame
    priority: pd.Series
    funding: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)
    funding_file_totals_usd_m: dict[str, float] = field(default_factory=dict)
    """Total of every ``*_usd_m`` column of the whole funding file as read (before a bundled file is cut to the
    partners given): the whole picture the allocation settings' authority pools are calibrated against."""
    notes: tuple[str, ...] = ()
    """One line per silent-looking step of joining priority / funding to the partners (rows of a bundled
    file left out, partners given the documented default), for the CLI, the app and the workbook."""

    @property
    def indicator_ids(self) -> list[str]:
        """Indicator ids in dictionary order."""
        return list(self.dictionary.index)

    @property
    def raw(self) -> pd.DataFrame:
        """Raw indicator values (source units), partners × indicators."""
        return self.partners[self.indicator_ids]

    @property
    def allocation_raw(self) -> pd.DataFrame:
        """:attr:`raw` plus the auxiliary source columns the allocation reads (``AUXILIARY_COLUMNS``, e.g. COW
        NMC security-force spending, and their ``_year``) where the partners file has them."""
        aux = [c for a in AUXILIARY_COLUMNS for c in (a, f"{a}_year")
               if c in self.partners.columns and c not in self.indicator_ids]
        return self.partners[self.indicator_ids + aux]

    def with_priority(self, priority: pd.Series) -> Dataset:
        """A copy with another priority series (1–5)."""
        return replace(self, priority=priority)

    def with_funding(self, funding: pd.DataFrame) -> Dataset:
        """A copy with another baseline funding table."""
        return replace(self, funding=funding)


def load_dictionary(data_dir: str | Path = SAMPLE_DATA_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load and validate (dictionary, constructs) from a data folder."""
    data_dir = Path(data_dir)
    cpath = data_dir / SAMPLE_FILES["constructs"]
    constructs = validate_constructs(read_table(cpath), str(cpath))
    dpath = data_dir / SAMPLE_FILES["dictionary"]
    dictionary = validate_dictionary(read_table(dpath), constructs, str(dpath))
    bpath = data_dir / BOUNDS_FILE
    if bpath.exists():
        dictionary.attrs["bounds"] = validate_bounds(read_table(bpath), dictionary, str(bpath))
    return dictionary, constructs


def load_dataset(
    data_dir: str | Path = SAMPLE_DATA_DIR,
    *,
    partners: str | Path | None = None,
    priority: str | Path | None = None,
    funding: str | Path | None = None,
) -> Dataset:
    """Load the bundled sample (or the given files) into a validated :class:`Dataset`."""
    data_dir = Path(data_dir)
    dictionary, constructs = load_dictionary(data_dir)
    ppath = Path(partners) if partners else data_dir / SAMPLE_FILES["partners"]
    table, years, std_errors = validate_partners(read_table(ppath), dictionary, str(ppath))
    default_prio, default_fund = data_dir / SAMPLE_FILES["priority"], data_dir / SAMPLE_FILES["funding"]
    return assemble_dataset(
        table, years, std_errors, dictionary, constructs,
        priority=priority or (default_prio if default_prio.exists() else None),
        funding=funding or (default_fund if default_fund.exists() else None),
        files={"partners": str(ppath), "dictionary": str(data_dir / SAMPLE_FILES["dictionary"]),
               "constructs": str(data_dir / SAMPLE_FILES["constructs"])},
    )


def assemble_dataset(
    partners: pd.DataFrame,
    years: pd.DataFrame,
    std_errors: pd.DataFrame,
    dictionary: pd.DataFrame,
    constructs: pd.DataFrame,
    *,
    priority: str | Path | pd.Series | None,
    funding: str | Path | pd.DataFrame | None,
    files: dict[str, str] | None = None,
    bundled: bool | None = None,
) -> Dataset:
    """Attach priority and funding (paths are read and validated; frames are reindexed) to partners.

    ``None`` means "no file": neutral priority 3 and $0 baselines, said in each partner's basis. A path
    that does not exist is an error (a mistyped ``--priority`` is never silently replaced by defaults).
    A bundled default file (``bundled`` True, or None and the file is in ``sample_data/``) is cut to the
    partners given with a note; any other file naming partners outside them is an InputError.
    """
    files = dict(files or {})
    notes: list[str] = []
    ids = partners.index
    file_totals: dict[str, float] = {}
    if isinstance(priority, pd.Series):
        notes += default_note("priority table", list(ids.difference(priority.index)), "neutral default priority 3")
        prio = priority.reindex(ids).fillna(3.0)
        prio.attrs = dict(priority.attrs)
    elif priority is None:
        prio = pd.Series(3.0, index=ids, name="priority")
        prio.attrs["basis"] = {p: "neutral default: planners set priorities" for p in ids}
        notes.append(f"no priority file: all {len(ids)} partners get the neutral default priority 3")
    else:
        prio = validate_priority(read_table(priority), ids, str(priority),
                                 bundled=is_bundled(priority) if bundled is None else bundled)
        files["priority"] = str(priority)
        notes += prio.attrs.get("notes", [])
    if isinstance(funding, pd.DataFrame):
        notes += default_note("funding table", list(ids.difference(funding.index)), "baseline $0 M")
        fund = funding.reindex(ids)
        fund["baseline_usd_m"] = fund["baseline_usd_m"].fillna(0.0)
    elif funding is None:
        fund = pd.DataFrame({"baseline_usd_m": 0.0, "baseline_basis": "no funding file: 0"}, index=ids)
        notes.append(f"no funding file: all {len(ids)} partners get a baseline of $0 M")
    else:
        table = read_table(funding)
        fund = validate_funding(table, ids, str(funding), bundled=is_bundled(funding) if bundled is None else bundled)
        files["funding"] = str(funding)
        notes += fund.attrs.get("notes", [])
        file_totals = {c: float(to_numeric_column(table[c], file=str(funding), column=c).sum())
                       for c in table.columns if c.endswith("_usd_m")}
    return Dataset(partners=partners, years=years, std_errors=std_errors, dictionary=dictionary,
                   constructs=constructs, priority=prio, funding=fund, files=files, notes=tuple(notes),
                   funding_file_totals_usd_m=file_totals)


def is_bundled(path: str | Path) -> bool:
    """True for a file shipped in ``sample_data/`` (a default: cut to the partners given, not an error)."""
    try:
        return Path(path).resolve().parent == SAMPLE_DATA_DIR.resolve()
    except OSError:
        return False
