"""Reading the planner's files: bytes, UTF-8 text, CSV/XLSX tables (text cells) and YAML settings.

Every problem is an :class:`~prioritizer.errors.InputError` naming the file, and the row (header = row 1) and
column where one is at fault, so a planner can fix the file and reload.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from prioritizer.errors import InputError
from prioritizer.report.columns import strip_marking_line, to_column_ids
from prioritizer.safe_yaml import MAX_YAML_BYTES, parse_yaml

MAX_FILE_BYTES = 200_000_000
"""Largest data file read (200 MB: a 50,000-partner table with every indicator is ~30 MB)."""

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
    text = strip_marking_line(decode_utf8(data, label, "; save the file as UTF-8 CSV"))
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
    return clean_header(frame, label, header)


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
    return clean_header(frame, label, header)


def clean_header(frame: pd.DataFrame, label: str, header: list | None = None) -> pd.DataFrame:
    """Strip header names; refuse blank and repeated ones, naming the header as written (pandas would
    report a repeated ``name`` as ``name.1``)."""
    if header is not None and len(header) == len(frame.columns):
        raw = [str(c).strip() for c in header]
        seen: set[str] = set()
        for col in raw:
            if col and col in seen:
                raise InputError("column header appears twice", file=label, row=1, column=col)
            seen.add(col)
    frame.columns = to_column_ids(str(c).strip() for c in frame.columns)  # planner labels → ids
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


def read_yaml(source: str | Path | bytes, name: str | None = None) -> Any:
    """Parse a YAML file or bytes, turning syntax and encoding problems into InputError. The size, alias
    count, expanded size and depth are limited (:mod:`prioritizer.safe_yaml`) before any field is read."""
    data, label = read_bytes(source, name, "upload.yaml", max_bytes=MAX_YAML_BYTES)
    text = decode_utf8(data, label)
    return parse_yaml(text, label)
