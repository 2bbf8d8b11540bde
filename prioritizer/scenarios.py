"""Named scenarios persisted in an embedded SQLite database, and compact shareable scenario links.

A scenario is a JSON-serialisable dict (weight profile name, weights, normalisation/aggregation,
filters, budget, priority/funding edits, overrides with rationale, allocation settings and edits)
that fully determines every output. The store is built so nothing a planner saved is lost: every
write is one transaction (a failed save leaves the earlier rows as they were), the journal is WAL
with full fsync, a corrupt or foreign file is reported by name and never overwritten, and the
schema carries a version number (``PRAGMA user_version``) for future migrations.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
import re
import sqlite3
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.errors import InputError

SCHEMA_VERSION = 1
APPLICATION_ID = 0x50505231  # "PPR1": marks the file as a Partner Prioritizer scenario store
MAX_NAME_CHARS = 120
MAX_PAYLOAD_BYTES = 5_000_000
TOKEN_PREFIX = "pp1."
MAX_TOKEN_CHARS = 100_000

_SCHEMA = """
CREATE TABLE scenarios (
    name     TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    payload  TEXT NOT NULL,
    created  TEXT NOT NULL,
    updated  TEXT NOT NULL
);
"""


# --- JSON -------------------------------------------------------------------------------------------
def _json_default(obj: Any) -> Any:
    """Turn numpy/pandas/pathlib values into plain JSON (a DataFrame becomes a list of records)."""
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.DataFrame):
        return obj.astype(object).where(obj.notna(), None).to_dict(orient="records")
    if isinstance(obj, pd.Series):
        return obj.astype(object).where(obj.notna(), None).to_dict()
    if isinstance(obj, pd.Timestamp | dt.datetime | dt.date):
        return obj.isoformat()
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    raise TypeError(f"{type(obj).__name__} value {obj!r:.60} is not JSON-serialisable")


def _dumps(payload: Any, what: str) -> str:
    if not isinstance(payload, Mapping):
        raise InputError(f"{what}: a scenario must be a dict of settings, not {type(payload).__name__}")
    try:
        text = json.dumps(dict(payload), default=_json_default, allow_nan=False, ensure_ascii=False,
                          separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: settings cannot be stored as JSON ({exc})") from None
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise InputError(f"{what}: settings are larger than {MAX_PAYLOAD_BYTES // 1_000_000} MB")
    return text


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _clean_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InputError(f"scenario name must be text, not {type(name).__name__}", key="name")
    clean = " ".join(name.split())
    if not clean:
        raise InputError("scenario name is empty", key="name")
    if len(clean) > MAX_NAME_CHARS:
        raise InputError(f"scenario name is longer than {MAX_NAME_CHARS} characters", key="name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in clean):
        raise InputError("scenario name contains control characters", key="name")
    return clean


# --- store ------------------------------------------------------------------------------------------
class ScenarioStore:
    """SQLite store of named scenarios at ``path`` (created if missing). Names are unique ignoring
    case and surrounding/repeated spaces. Safe to use from several threads or sessions: each call
    opens its own connection and writes in one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) == ":memory:":
            raise InputError("scenario store needs a file path (':memory:' would forget every save)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder for the scenario database ({exc.strerror})",
                             file=self.path) from None
        if self.path.exists() and self.path.is_dir():
            raise InputError("scenario database path is a folder, not a file", file=self.path)
        self._open_and_migrate()

    # connection and schema
    def _error(self, exc: sqlite3.Error) -> InputError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            msg = "scenario database is busy (another session is writing); try again"
        elif "unable to open" in text or "readonly" in text or "read-only" in text:
            msg = f"cannot open or write the scenario database ({text})"
        else:
            msg = (f"scenario database is unreadable or corrupt ({text}); it was left untouched — move it "
                   "aside (or restore a backup) to start a new one")
        return InputError(msg, file=self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it commits, or none of it (the earlier rows stay as they were)."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _open_and_migrate(self) -> None:
        with self._connect() as conn:
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise InputError(f"scenario database failed its integrity check ({check[0] if check else '?'}); "
                                 "it was left untouched — move it aside or restore a backup", file=self.path)
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not tables and version == 0:
                    conn.execute(_SCHEMA)
                    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                elif app_id != APPLICATION_ID or "scenarios" not in tables:
                    raise InputError("this SQLite file is not a Partner Prioritizer scenario database; "
                                     "choose another file", file=self.path)
                elif version > SCHEMA_VERSION:
                    raise InputError(f"scenario database has schema version {version}, newer than this version "
                                     f"of the tool reads ({SCHEMA_VERSION}); update the tool", file=self.path)
                # version < SCHEMA_VERSION: future migrations go here, inside this transaction.
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _names(self, conn: sqlite3.Connection) -> list[str]:
        return [r[0] for r in conn.execute("SELECT name FROM scenarios ORDER BY name COLLATE NOCASE")]

    def _unknown(self, conn: sqlite3.Connection, name: str) -> InputError:
        names = self._names(conn)
        saved = ", ".join(f"'{n}'" for n in names[:10]) + (" …" if len(names) > 10 else "")
        return InputError(f"no saved scenario named '{name}'" + (f" (saved: {saved})" if names else
                                                                 " (no scenarios saved yet)"), key="name")

    def _get(self, conn: sqlite3.Connection, name: str) -> tuple[str, str, str, str] | None:
        return conn.execute("SELECT name, payload, created, updated FROM scenarios WHERE name = ?",
                            (name,)).fetchone()

    # public API
    def save(self, name: str, payload: Mapping[str, Any], *, overwrite: bool = False) -> str:
        """Save ``payload`` under ``name`` and return the stored name. A duplicate name (ignoring
        case) is an error unless ``overwrite``; overwriting keeps the original creation time."""
        name = _clean_name(name)
        text = _dumps(payload, f"scenario '{name}'")
        with self._transaction() as conn:
            row = self._get(conn, name)
            now = _now()
            if row is None:
                conn.execute("INSERT INTO scenarios (name, payload, created, updated) VALUES (?, ?, ?, ?)",
                             (name, text, now, now))
            elif not overwrite:
                raise InputError(f"a scenario named '{row[0]}' already exists; choose another name or "
                                 "overwrite it", key="name")
            else:
                conn.execute("UPDATE scenarios SET name = ?, payload = ?, updated = ? WHERE name = ?",
                             (name, text, now, row[0]))
        return name

    def load(self, name: str) -> dict[str, Any]:
        """The saved settings dict of ``name`` (case-insensitive)."""
        name = _clean_name(name)
        with self._connect() as conn:
            row = self._get(conn, name)
            if row is None:
                raise self._unknown(conn, name)
        try:
            value = json.loads(row[1])
        except json.JSONDecodeError as exc:
            raise InputError(f"saved scenario '{row[0]}' is damaged ({exc.msg})", file=self.path,
                             key=row[0]) from None
        if not isinstance(value, dict):
            raise InputError(f"saved scenario '{row[0]}' is damaged (not a dict)", file=self.path, key=row[0])
        return value

    def exists(self, name: str) -> bool:
        """Whether a scenario of this name (ignoring case) is saved."""
        name = _clean_name(name)
        with self._connect() as conn:
            return self._get(conn, name) is not None

    def list(self) -> pd.DataFrame:
        """Saved scenarios: columns name, created, updated (ISO 8601 UTC), sorted by name."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT name, created, updated FROM scenarios ORDER BY name COLLATE NOCASE").fetchall()
        return pd.DataFrame(rows, columns=["name", "created", "updated"])

    def duplicate(self, src: str, dst: str) -> str:
        """Copy scenario ``src`` to a new name ``dst`` (which must be free); returns ``dst``."""
        src, dst = _clean_name(src), _clean_name(dst)
        with self._transaction() as conn:
            row = self._get(conn, src)
            if row is None:
                raise self._unknown(conn, src)
            clash = self._get(conn, dst)
            if clash is not None:
                raise InputError(f"a scenario named '{clash[0]}' already exists; choose another name", key="name")
            now = _now()
            conn.execute("INSERT INTO scenarios (name, payload, created, updated) VALUES (?, ?, ?, ?)",
                         (dst, row[1], now, now))
        return dst

    def rename(self, old: str, new: str) -> str:
        """Rename scenario ``old`` to ``new`` (a free name, or the same name in another case)."""
        old, new = _clean_name(old), _clean_name(new)
        with self._transaction() as conn:
            row = self._get(conn, old)
            if row is None:
                raise self._unknown(conn, old)
            clash = self._get(conn, new)
            if clash is not None and clash[0] != row[0]:
                raise InputError(f"a scenario named '{clash[0]}' already exists; choose another name", key="name")
            conn.execute("UPDATE scenarios SET name = ?, updated = ? WHERE name = ?", (new, _now(), row[0]))
        return new

    def delete(self, name: str) -> None:
        """Delete scenario ``name``; an unknown name is an error (nothing is deleted)."""
        name = _clean_name(name)
        with self._transaction() as conn:
            if conn.execute("DELETE FROM scenarios WHERE name = ?", (name,)).rowcount == 0:
                raise self._unknown(conn, name)


# --- shareable links ---------------------------------------------------------------------------------
_TOKEN_BODY = re.compile(r"[A-Za-z0-9_-]+")


def encode_scenario(payload: Mapping[str, Any]) -> str:
    """A compact URL-safe token for a scenario: ``pp1.`` + base64url (no padding) of zlib-compressed
    JSON. Fits a URL query parameter as is (no percent-encoding needed)."""
    text = _dumps(payload, "scenario link")
    data = zlib.compress(text.encode("utf-8"), 9)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_scenario(token: str) -> dict[str, Any]:
    """The settings dict in a token from :func:`encode_scenario`; a damaged, cut or foreign token
    gets an :class:`InputError` that says what is wrong (never a traceback)."""
    def bad(why: str) -> InputError:
        return InputError(f"shared scenario link is not valid: {why}", key="scenario")

    if not isinstance(token, str):
        raise bad(f"expected text, got {type(token).__name__}")
    t = token.strip()
    if not t:
        raise bad("it is empty")
    if len(t) > MAX_TOKEN_CHARS:
        raise bad(f"it is longer than {MAX_TOKEN_CHARS:,} characters")
    if not t.startswith(TOKEN_PREFIX):
        raise bad(f"it should start with '{TOKEN_PREFIX}' (made by another tool or version?)")
    body = t[len(TOKEN_PREFIX):]
    if not _TOKEN_BODY.fullmatch(body):
        raise bad("it contains characters a scenario link never has — was it cut or altered?")
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise bad("it is not complete base64 — was it cut short?") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, MAX_PAYLOAD_BYTES)
    except zlib.error:
        raise bad("its compressed data are damaged") from None
    if inflater.unconsumed_tail:
        raise bad(f"its settings are larger than {MAX_PAYLOAD_BYTES // 1_000_000} MB")
    if not inflater.eof:
        raise bad("its compressed data are incomplete — was it cut short?")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad("its settings are not valid JSON") from None
    if not isinstance(value, dict):
        raise bad("it does not hold a settings dict")
    return value
