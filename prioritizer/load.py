"""Load and validate the partners table, indicator dictionary, priority and funding files.

Every problem is raised as :class:`~prioritizer.errors.InputError` naming the file, the spreadsheet
row (header = row 1) and the column, so a planner can fix the cell and reload.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer import columns
from prioritizer.domain import COMMANDS, INCOME_GROUPS, PARTNER_TYPES
from prioritizer.errors import InputError
from prioritizer.paths import SAMPLE_DATA_DIR

BASE_COLUMNS = ("partner_id", "name", "partner_type", "command", "region", "subregion")
OPTIONAL_BASE_COLUMNS = ("income_group", "income_group_year")
"""Optional partners columns: World Bank income group (HIC/UMC/LMC/LIC, blank = unknown) and its fiscal year."""
DICTIONARY_COLUMNS = (
    "indicator_id", "label", "construct", "category", "direction", "unit", "transform",
    "source", "citation", "licence", "year",
)
CONSTRUCT_COLUMNS = ("construct_id", "construct_label", "category_id", "category_label", "evidence")
TRANSFORMS = ("none", "log", "log1p")
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", ".."})
STATE_ID = re.compile(r"^[A-Z]{3}$")
NON_STATE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")

MAX_ABS_VALUE = 1e15
"""Largest magnitude of any numeric cell without a tighter documented bound (far beyond any indicator)."""
MAX_FUNDING_USD_M = 1_000_000.0
"""Largest funding cell or budget, US$ M per year (US$ 1 trillion: above the whole US defense budget)."""
YEAR_RANGE = (1900, 2100)
BOUNDS_FILE = "indicator_bounds.csv"
"""Optional per-indicator valid ranges (indicator_id, min, max, basis) next to the dictionary."""
MAX_FILE_BYTES = 200_000_000
"""Largest data file read (200 MB: a 50,000-partner table with every indicator is ~30 MB)."""

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

    def with_priority(self, priority: pd.Series) -> Dataset:
        """A copy with another priority series (1–5)."""
        return replace(self, priority=priority)

    def with_funding(self, funding: pd.DataFrame) -> Dataset:
        """A copy with another baseline funding table."""
        return replace(self, funding=funding)


# --------------------------------------------------------------------------- reading


def read_bytes(source: str | Path | bytes, name: str | None = None, default_name: str = "upload",
               max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes, str]:
    """The raw bytes of a file path or an upload, and the name to show in errors; a missing, unreadable,
    empty or oversized (> ``max_bytes``) file, or a folder, is an InputError."""
    if isinstance(source, bytes | bytearray):
        data, label = bytes(source), name or default_name
    else:
        path = Path(source)
        label = name or str(path)
        if not path.exists():
            raise InputError("file not found", file=label)
        if path.is_dir():
            raise InputError("is a folder, not a file", file=label)
        try:
            if path.stat().st_size > max_bytes:
                raise InputError(f"file is larger than {max_bytes / 1e6:,.0f} MB", file=label)
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror or exc})", file=label) from None
    if len(data) > max_bytes:
        raise InputError(f"file is larger than {max_bytes / 1e6:,.0f} MB", file=label)
    if not data.strip():
        raise InputError("the file is empty", file=label)
    return data, label


def decode_utf8(data: bytes, label: str, hint: str = "") -> str:
    """UTF-8 text (a byte-order mark is dropped); otherwise an InputError naming the byte and its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}){hint}",
                         file=label, row=line) from None


def read_table(source: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX file as text cells (no type guessing), with clear errors.

    ``source`` is a path or raw bytes (an upload); ``name`` is the file name shown in errors and,
    for bytes, decides the format by its extension.
    """
    data, label = read_bytes(source, name, "upload")
    if label.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, label)
    if data[:4] == b"PK\x03\x04":
        raise InputError("this looks like an Excel workbook; give it a .xlsx name or save as CSV", file=label)
    if b"\x00" in data[:8192]:
        raise InputError("binary content, not a CSV text file", file=label)
    text = columns.strip_marking_line(decode_utf8(data, label, "; save the file as UTF-8 CSV"))
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True
        )
        header = pd.read_csv(io.StringIO(text), header=None, nrows=1, dtype=str, keep_default_na=False,
                             skip_blank_lines=True).iloc[0].tolist()
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header row", file=label) from None
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        row = int(match.group(1)) if match else None
        raise InputError(f"not a well-formed CSV ({exc})", file=label, row=row) from None
    return _clean_header(frame, label, header)


def _read_xlsx(data: bytes, label: str) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        # A Partner Prioritizer export: "About" first, marking in row 1, headers in row 2 → read its first table.
        export = book.sheet_names[0] == "About" and len(book.sheet_names) > 1
        sheet, skip = (book.sheet_names[1], 1) if export else (0, 0)
        frame = pd.read_excel(book, sheet_name=sheet, header=skip, dtype=str, keep_default_na=False)
        header = pd.read_excel(book, sheet_name=sheet, header=None, skiprows=skip, nrows=1, dtype=str,
                               keep_default_na=False).iloc[0].tolist() if len(frame.columns) else []
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputError(f"cannot read as an Excel workbook ({type(exc).__name__})", file=label) from None
    return _clean_header(frame, label, header)


def _clean_header(frame: pd.DataFrame, label: str, header: list | None = None) -> pd.DataFrame:
    """Strip header names; refuse blank and repeated ones, naming the header as written (pandas would
    report a repeated ``name`` as ``name.1``)."""
    if header is not None and len(header) == len(frame.columns):
        raw = [str(c).strip() for c in header]
        seen: set[str] = set()
        for col in raw:
            if col and col in seen:
                raise InputError("column header appears twice", file=label, row=1, column=col)
            seen.add(col)
    frame.columns = columns.to_column_ids(str(c).strip() for c in frame.columns)  # planner labels → ids
    for col in frame.columns:
        if col == "" or col.startswith("Unnamed:"):
            raise InputError("a column has no header", file=label, row=1)
    dupes = pd.Index(frame.columns)[pd.Index(frame.columns).duplicated()]
    if len(dupes):
        raise InputError("column header appears twice", file=label, row=1, column=dupes[0])
    if frame.empty:
        raise InputError("the file has a header but no data rows", file=label)
    # By dtype family, not `dtype == object`: pandas 3 reads text as the `str` dtype.
    return frame.apply(lambda s: s.str.strip() if pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)
                       else s)


# --------------------------------------------------------------------------- cell checks


def _is_missing(cells: pd.Series) -> pd.Series:
    return cells.fillna("").astype(str).str.strip().str.lower().isin(MISSING_TOKENS)


_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def number_text_problem(text: str, comma_is_grouping: bool = False) -> str | None:
    """Why a number's text is refused (None when it reads unambiguously). Commas are read only as
    thousands separators that cannot be a decimal comma: ``1,234,567`` or ``1,234.5``; a lone ``1,234``
    only when ``comma_is_grouping`` (the rest of its column shows point decimals or grouping). ``12,5`` is
    a decimal comma and is refused, never guessed (it was once read as 125)."""
    if "," not in text:
        return None
    if _GROUPED_NUMBER.match(text):
        if "." in text or text.count(",") > 1 or comma_is_grouping:
            return None
        return (f"{text!r} is ambiguous: a thousands separator or a decimal comma? Write "
                f"{text.replace(',', '')} or {text.replace(',', '.')}")
    return (f"{text!r} has a decimal comma (or misplaced commas); write it with a point, e.g. "
            f"{text.replace(',', '.', 1)}")


def parse_number(value: object, *, what: str, key: str | None = None, low: float | None = None,
                 high: float | None = None) -> float:
    """One number from a flag or a settings value (text or number), range-checked: ``low``–``high``
    inclusive. Decimal commas are refused (see :func:`number_text_problem`); errors name ``key``."""
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number (got {value!r})", key=key)
    if isinstance(value, str):
        text = value.strip()
        problem = number_text_problem(text)
        if problem:
            raise InputError(f"{what}: {problem}", key=key)
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise InputError(f"{what} must be a number (got {value!r})", key=key) from None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(f"{what} must be a number (got {value!r})", key=key) from None
    if not np.isfinite(number):
        raise InputError(f"{what} must be a finite number (got {value!r})", key=key)
    if low == 0 and number < 0:
        raise InputError(f"{what} cannot be negative (got {number:g})", key=key)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InputError(f"{what} must be between {low:,g} and {high:,g} (got {number:,g})", key=key)
    return number


def to_numeric_column(cells: pd.Series, *, file: str, column: str, low: float | None = -MAX_ABS_VALUE,
                      high: float | None = MAX_ABS_VALUE, bound_basis: str = "") -> pd.Series:
    """Convert a text column to floats; missing tokens become NaN, anything else non-numeric errors.

    Commas: thousands separators only where unambiguous (:func:`number_text_problem`); a decimal comma
    is an error naming the cell. Values must lie in ``low``–``high`` (default ±1e15, far beyond any
    indicator; callers pass the documented bounds of the column).
    """
    missing = _is_missing(cells)
    text = cells.where(~missing, "").astype(str).str.strip()
    has_comma = text.str.contains(",", regex=False) & ~missing
    if has_comma.any():
        grouped_ok = text.str.contains(".", regex=False) & ~missing | (text.str.count(",") > 1)
        evidence = bool(grouped_ok[~missing].any())
        for pos in np.flatnonzero(has_comma.to_numpy()):
            problem = number_text_problem(text.iloc[pos], comma_is_grouping=evidence)
            if problem:
                raise InputError(f"not read as a number: {problem}", file=file, row=int(pos) + 2, column=column)
        text = text.str.replace(",", "", regex=False)
    values = pd.to_numeric(text.where(~missing, None), errors="coerce")
    bad = values.isna() & ~missing
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"not a number ({cells.iloc[pos]!r})", file=file, row=pos + 2, column=column)
    arr = values.to_numpy(dtype=float)
    infinite = np.isinf(arr)
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        raise InputError("infinite value", file=file, row=pos + 2, column=column)
    check_range(arr, low, high, file=file, column=column, basis=bound_basis)
    return values.astype(float)


def check_range(values: np.ndarray | pd.Series, low: float | None, high: float | None, *, file: str,
                column: str, basis: str = "") -> None:
    """InputError naming the first cell outside ``low``–``high`` (NaN passes; None = unbounded)."""
    arr = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        out = ((arr < low) if low is not None else np.zeros(len(arr), bool)) | \
              ((arr > high) if high is not None else np.zeros(len(arr), bool))
    if out.any():
        pos = int(np.flatnonzero(out)[0])
        why = f" ({basis})" if basis else ""
        lo = "-inf" if low is None else f"{low:,g}"
        hi = "inf" if high is None else f"{high:,g}"
        raise InputError(f"value {arr[pos]:,g} is outside the allowed range {lo} to {hi}{why}",
                         file=file, row=pos + 2, column=column)


def _require_columns(frame: pd.DataFrame, required: tuple[str, ...], file: str) -> None:
    for col in required:
        if col not in frame.columns:
            raise InputError(f"required column is missing (expected: {', '.join(required)})", file=file,
                             column=col)


def _reject_extra(frame: pd.DataFrame, allowed: set[str], file: str, hint: str) -> None:
    for col in frame.columns:
        if col not in allowed:
            raise InputError(f"unexpected column; {hint}", file=file, row=1, column=col)


def _reject_duplicate_ids(ids: pd.Series, file: str, column: str, what: str) -> None:
    """InputError on the first repeated id, naming its row and the row where it first appears."""
    dup = ids.duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((ids == ids.iloc[pos]).to_numpy())[0])
        raise InputError(f"duplicate {what} {ids.iloc[pos]!r} (first on row {first + 2})", file=file,
                         row=pos + 2, column=column)


def _check_ids(ids: pd.Series, file: str, known: pd.Index | None = None) -> None:
    empty = ids.fillna("").astype(str).str.strip() == ""
    if empty.any():
        pos = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError("partner id is empty", file=file, row=pos + 2, column="partner_id")
    _reject_duplicate_ids(ids, file, "partner_id", "partner id")
    if known is not None:
        _reject_unknown_ids(ids, known, file)


def id_list(ids: list[str] | pd.Index, limit: int = 12) -> str:
    """'AND, ARE, ARG' — at most ``limit`` ids, then '… and N more'."""
    ids = [str(i) for i in ids]
    shown = ", ".join(ids[:limit])
    return shown + (f" … and {len(ids) - limit} more" if len(ids) > limit else "")


def _reject_unknown_ids(ids: pd.Series, known: pd.Index, file: str) -> None:
    """A planner's file that names partners outside the data is refused, every unknown id listed."""
    unknown = ~ids.isin(known)
    if not unknown.any():
        return
    pos = int(np.flatnonzero(unknown.to_numpy())[0])
    bad = list(ids[unknown])
    if len(bad) == 1:
        message = f"unknown partner id {bad[0]!r} (not in the partners table)"
    else:
        message = (f"{len(bad)} partner ids are not in the partners table: {id_list(bad)} "
                   "(is this the file for these partners?)")
    raise InputError(message, file=file, row=pos + 2, column="partner_id")


def _drop_unknown_rows(frame: pd.DataFrame, known: pd.Index, file: str) -> tuple[pd.DataFrame, list[str]]:
    """A bundled default file keeps only the rows of partners in the data; one note says how many went."""
    outside = ~frame["partner_id"].isin(known)
    if not outside.any():
        return frame, []
    n = int(outside.sum())
    note = (f"{Path(file).name} (bundled default): {n} row{'' if n == 1 else 's'} for partners not in the data "
            f"left out; {int((~outside).sum())} used")
    return frame[~outside].reset_index(drop=True), [note]


def _default_note(file: str, missing: list[str], default: str) -> list[str]:
    """'x.csv has no row for 2 partners (KEN, TZA): neutral priority 3' — never a silent default."""
    if not missing:
        return []
    who = "1 partner" if len(missing) == 1 else f"{len(missing)} partners"
    return [f"{Path(file).name} has no row for {who} ({id_list(missing)}): {default}"]


# --------------------------------------------------------------------------- validators


def validate_constructs(frame: pd.DataFrame, file: str = "constructs.csv") -> pd.DataFrame:
    """Validate the construct → category table; index construct_id."""
    _require_columns(frame, CONSTRUCT_COLUMNS, file)
    _reject_extra(frame, set(CONSTRUCT_COLUMNS), file, "the construct table has fixed columns")
    _reject_duplicate_ids(frame["construct_id"], file, "construct_id", "construct id")
    return frame.set_index("construct_id")


def validate_dictionary(
    frame: pd.DataFrame, constructs: pd.DataFrame, file: str = "indicators.csv"
) -> pd.DataFrame:
    """Validate the indicator dictionary; index indicator_id, direction ±1 (int), year (Int64)."""
    _require_columns(frame, DICTIONARY_COLUMNS, file)
    _reject_extra(frame, set(DICTIONARY_COLUMNS), file, "the indicator dictionary has fixed columns")
    _reject_duplicate_ids(frame["indicator_id"], file, "indicator_id", "indicator id")
    direction = to_numeric_column(frame["direction"], file=file, column="direction")
    for pos, value in enumerate(direction):
        if value not in (1.0, -1.0):
            raise InputError("direction must be +1 (higher is better) or -1 (lower is better)",
                             file=file, row=pos + 2, column="direction")
    for pos, (transform, construct, category) in enumerate(
        zip(frame["transform"], frame["construct"], frame["category"], strict=True)
    ):
        if transform not in TRANSFORMS:
            raise InputError(f"transform must be one of {', '.join(TRANSFORMS)} (got {transform!r})",
                             file=file, row=pos + 2, column="transform")
        if construct not in constructs.index:
            raise InputError(f"unknown construct {construct!r} (not in constructs.csv)", file=file,
                             row=pos + 2, column="construct")
        if constructs.at[construct, "category_id"] != category:
            raise InputError(
                f"construct {construct!r} belongs to category {constructs.at[construct, 'category_id']!r}, "
                f"not {category!r}", file=file, row=pos + 2, column="category")
    out = frame.copy()
    out["direction"] = direction.astype(int).to_numpy()
    out["year"] = to_numeric_column(frame["year"], file=file, column="year", low=YEAR_RANGE[0], high=YEAR_RANGE[1],
                                    bound_basis="a calendar year").astype("Int64").to_numpy()
    return out.set_index("indicator_id")


def validate_bounds(frame: pd.DataFrame, dictionary: pd.DataFrame, file: str = BOUNDS_FILE) -> dict:
    """Validate per-indicator valid ranges: {indicator_id: (min, max, basis)} (min ≤ max, finite), for the
    indicators in ``dictionary``."""
    _require_columns(frame, ("indicator_id", "min", "max"), file)
    _reject_extra(frame, {"indicator_id", "min", "max", "basis"}, file,
                  "a bounds file has columns indicator_id, min, max and optionally basis")
    _reject_duplicate_ids(frame["indicator_id"], file, "indicator_id", "indicator id")
    low = to_numeric_column(frame["min"], file=file, column="min")
    high = to_numeric_column(frame["max"], file=file, column="max")
    out = {}
    for pos, ind in enumerate(frame["indicator_id"]):
        lo, hi = low.iloc[pos], high.iloc[pos]
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise InputError("min and max must be numbers with min ≤ max", file=file, row=pos + 2, column="min")
        basis = str(frame["basis"].iloc[pos]) if "basis" in frame.columns else ""
        if ind in dictionary.index:  # bounds of indicators the dictionary does not use are ignored
            out[ind] = (float(lo), float(hi), basis or f"valid range in {Path(file).name}")
    return out


def indicator_bounds(dictionary: pd.DataFrame, indicator: str) -> tuple[float, float, str]:
    """The valid range (min, max, basis) of an indicator's raw values: from the bounds file when the data
    folder has one (``dictionary.attrs['bounds']``), else ±1e15."""
    return dictionary.attrs.get("bounds", {}).get(
        indicator, (-MAX_ABS_VALUE, MAX_ABS_VALUE, "no documented bound: ±1e15"))


def validate_partners(
    frame: pd.DataFrame, dictionary: pd.DataFrame, file: str = "partners.csv"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate a partners table; return (partners, years, std_errors), each indexed by partner_id.

    Allowed columns: the base columns, dictionary indicators ``X``, and their ``X_year`` / ``X_se``.
    A dictionary indicator absent from the file is treated as missing for every partner.
    """
    _require_columns(frame, BASE_COLUMNS, file)
    indicators = list(dictionary.index)
    allowed = set(BASE_COLUMNS) | set(OPTIONAL_BASE_COLUMNS) | set(indicators)
    allowed |= {f"{i}_year" for i in indicators} | {f"{i}_se" for i in indicators}
    _reject_extra(frame, allowed, file,
                  "it is neither a base column nor an indicator in the indicator dictionary (indicators.csv)")
    _check_ids(frame["partner_id"], file)
    for pos, (pid, ptype, command, name) in enumerate(
        zip(frame["partner_id"], frame["partner_type"], frame["command"], frame["name"], strict=True)
    ):
        row = pos + 2
        if ptype not in PARTNER_TYPES:
            raise InputError(f"partner type must be 'state' or 'non-state' (got {ptype!r})", file=file,
                             row=row, column="partner_type")
        if ptype == "state" and not STATE_ID.match(pid):
            raise InputError(f"a state's partner id must be its ISO3 code, e.g. 'KEN' (got {pid!r})",
                             file=file, row=row, column="partner_id")
        if ptype == "non-state" and not NON_STATE_ID.match(pid):
            raise InputError(f"a non-state partner id must be a lower-case slug, e.g. 'kurdish-peshmerga' "
                             f"(got {pid!r})", file=file, row=row, column="partner_id")
        if command not in COMMANDS:
            raise InputError(f"unknown combatant command {command!r} (expected one of {', '.join(COMMANDS)})",
                             file=file, row=row, column="command")
        if not str(name).strip():
            raise InputError("name is empty", file=file, row=row, column="name")

    index = pd.Index(frame["partner_id"], name="partner_id")
    partners = pd.DataFrame({c: frame[c].to_numpy() for c in BASE_COLUMNS[1:]}, index=index)
    partners = pd.concat([partners, _optional_base(frame, index, file)], axis=1)
    values, years, errors = {}, {}, {}
    for ind in indicators:
        if ind in frame.columns:
            low, high, basis = indicator_bounds(dictionary, ind)
            col = to_numeric_column(frame[ind], file=file, column=ind, low=None, high=None)
            _check_transform_domain(col, dictionary.at[ind, "transform"], file, ind)
            check_range(col, low, high, file=file, column=ind, basis=basis)
            values[ind] = col.to_numpy()
        else:
            values[ind] = np.full(len(frame), np.nan)
        ycol = f"{ind}_year"
        years[ind] = (to_numeric_column(frame[ycol], file=file, column=ycol, low=YEAR_RANGE[0],
                                        high=YEAR_RANGE[1], bound_basis="a calendar year").to_numpy()
                      if ycol in frame.columns else np.full(len(frame), np.nan))
        secol = f"{ind}_se"
        if secol in frame.columns:
            errors[ind] = to_numeric_column(frame[secol], file=file, column=secol, low=0.0,
                                            bound_basis="a standard error is not negative").to_numpy()
    partners = pd.concat([partners, pd.DataFrame(values, index=index)], axis=1)
    years_frame = pd.DataFrame(years, index=index).astype("Int64")
    se_frame = pd.DataFrame(errors, index=index, dtype=float)
    return partners, years_frame, se_frame


def _optional_base(frame: pd.DataFrame, index: pd.Index, file: str) -> pd.DataFrame:
    """``income_group`` (object, NaN = unknown) and ``income_group_year`` (Int64); all missing when absent."""
    n = len(frame)
    group = frame["income_group"] if "income_group" in frame.columns else pd.Series([""] * n)
    missing = _is_missing(group)
    for pos, value in enumerate(group):
        if not missing.iloc[pos] and value not in INCOME_GROUPS:
            raise InputError(f"income group must be one of {', '.join(INCOME_GROUPS)} or blank (got {value!r})",
                             file=file, row=pos + 2, column="income_group")
    year = (to_numeric_column(frame["income_group_year"], file=file, column="income_group_year")
            if "income_group_year" in frame.columns else pd.Series(np.full(n, np.nan)))
    return pd.DataFrame({"income_group": group.where(~missing, None).to_numpy(dtype=object),
                         "income_group_year": pd.array(year.to_numpy(), dtype="Int64")}, index=index)


def _check_transform_domain(values: pd.Series, transform: str, file: str, column: str) -> None:
    if transform == "log":
        bad = values <= 0
        need = "> 0 (it is log-transformed)"
    elif transform == "log1p":
        bad = values < 0
        need = ">= 0 (it is log(1+x)-transformed)"
    else:
        return
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"value {values.iloc[pos]:g} must be {need}", file=file, row=pos + 2, column=column)


def validate_priority(frame: pd.DataFrame, partner_ids: pd.Index, file: str = "priority.csv",
                      bundled: bool = False) -> pd.Series:
    """Validate a priority file (partner_id, priority 1–5, optional basis); partners not listed get 3.

    Returns a float Series indexed by partner_id whose ``attrs['basis']`` holds each row's basis text and
    ``attrs['notes']`` the join notes. A ``bundled`` default file is cut to the partners given (noted); a
    planner's file naming partners outside the data is an InputError listing them.
    """
    _require_columns(frame, ("partner_id", "priority"), file)
    _reject_extra(frame, {"partner_id", "priority", "basis", "name"}, file,
                  "a priority file has columns partner_id, priority and optionally basis, name")
    _check_ids(frame["partner_id"], file, known=None if bundled else partner_ids)
    frame, notes = _drop_unknown_rows(frame, partner_ids, file) if bundled else (frame, [])
    values = to_numeric_column(frame["priority"], file=file, column="priority")
    for pos, value in enumerate(values):
        if np.isnan(value) or not 1 <= value <= 5:
            raise InputError("priority must be a number from 1 (low) to 5 (critical)", file=file,
                             row=pos + 2, column="priority")
    series = pd.Series(values.to_numpy(), index=pd.Index(frame["partner_id"], name="partner_id"),
                       name="priority").reindex(partner_ids)
    basis = (frame["basis"] if "basis" in frame.columns else pd.Series([""] * len(frame)))
    basis = pd.Series(basis.to_numpy(), index=frame["partner_id"]).reindex(partner_ids)
    unlisted = series.isna()
    basis[unlisted] = "not in priority file: neutral default 3"
    notes += _default_note(file, list(series.index[unlisted]), "neutral default priority 3")
    series = series.fillna(3.0)
    series.attrs["basis"] = basis.fillna("").to_dict()
    series.attrs["file"] = str(file)
    series.attrs["notes"] = notes
    return series


def validate_funding(frame: pd.DataFrame, partner_ids: pd.Index, file: str = "funding.csv",
                     bundled: bool = False) -> pd.DataFrame:
    """Validate baseline funding (US$ M/yr, ≥ 0); partners not listed get 0 and a basis saying so.

    ``attrs['notes']`` holds the join notes; ``bundled`` works as in :func:`validate_priority`.
    """
    _require_columns(frame, ("partner_id", "baseline_usd_m"), file)
    _check_ids(frame["partner_id"], file, known=None if bundled else partner_ids)
    frame, notes = _drop_unknown_rows(frame, partner_ids, file) if bundled else (frame, [])
    out = pd.DataFrame(index=pd.Index(frame["partner_id"], name="partner_id"))
    for col in frame.columns:
        if col == "partner_id":
            continue
        if col.endswith("_usd_m"):
            values = to_numeric_column(frame[col], file=file, column=col, low=None, high=MAX_FUNDING_USD_M,
                                       bound_basis="US$ M per year; US$ 1 trillion at most")
            neg = values < 0
            if neg.any():
                pos = int(np.flatnonzero(neg.to_numpy())[0])
                raise InputError("funding cannot be negative (US$ M per year)", file=file, row=pos + 2,
                                 column=col)
            out[col] = values.to_numpy()
        elif col in ("baseline_basis", "name", "basis"):
            out[col] = frame[col].to_numpy()
        else:
            raise InputError("unexpected column; funding columns end in _usd_m (or are baseline_basis)",
                             file=file, row=1, column=col)
    missing_baseline = out["baseline_usd_m"].isna()
    if missing_baseline.any():
        pos = int(np.flatnonzero(missing_baseline.to_numpy())[0])
        raise InputError("baseline is empty; enter 0 for no funding", file=file, row=pos + 2,
                         column="baseline_usd_m")
    out = out.reindex(partner_ids)
    if "baseline_basis" not in out.columns:
        out["baseline_basis"] = f"planner file {Path(file).name}"
    unlisted = out["baseline_usd_m"].isna()
    out.loc[unlisted, "baseline_basis"] = "not in funding file: 0"
    notes += _default_note(file, list(out.index[unlisted]), "baseline $0 M")
    out["baseline_usd_m"] = out["baseline_usd_m"].fillna(0.0)
    out.attrs["notes"] = notes
    return out


# --------------------------------------------------------------------------- dataset


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
        notes += _default_note("priority table", list(ids.difference(priority.index)), "neutral default priority 3")
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
        notes += _default_note("funding table", list(ids.difference(funding.index)), "baseline $0 M")
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


def load_overrides(source: str | Path | bytes, partner_ids: pd.Index, constructs: pd.Index,
                   name: str | None = None) -> pd.DataFrame:
    """Read planner overrides (partner_id, construct, value 0–100, rationale) and validate them."""
    frame = read_table(source, name)
    label = name or str(source)
    return validate_overrides(frame, partner_ids, constructs, label)


def validate_overrides(frame: pd.DataFrame, partner_ids: pd.Index, constructs: pd.Index,
                       file: str = "overrides") -> pd.DataFrame:
    """Validate an overrides table; every override needs a written rationale."""
    cols = ("partner_id", "construct", "value", "rationale")
    _require_columns(frame, cols, file)
    _reject_extra(frame, set(cols) | {"author", "date"}, file,
                  "overrides have columns partner_id, construct, value, rationale (author, date optional)")
    _reject_unknown_ids(frame["partner_id"], pd.Index(partner_ids), file)
    values = to_numeric_column(frame["value"], file=file, column="value")
    for pos, (pid, construct, value, why) in enumerate(
        zip(frame["partner_id"], frame["construct"], values, frame["rationale"], strict=True)
    ):
        row = pos + 2
        if pid not in partner_ids:
            raise InputError(f"unknown partner id {pid!r}", file=file, row=row, column="partner_id")
        if construct not in constructs:
            raise InputError(f"unknown construct {construct!r} (expected one of {', '.join(constructs)})",
                             file=file, row=row, column="construct")
        if np.isnan(value) or not 0 <= value <= 100:
            raise InputError("override value must be a score from 0 to 100", file=file, row=row,
                             column="value")
        if not str(why or "").strip():
            raise InputError("an override needs a written rationale", file=file, row=row, column="rationale")
    dup = frame.duplicated(["partner_id", "construct"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("this partner and construct are overridden twice", file=file, row=pos + 2,
                         column="construct")
    out = frame.copy()
    out["value"] = values.to_numpy()
    return out.reset_index(drop=True)
