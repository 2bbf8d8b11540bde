"""The scenario store behind SQLAlchemy: an embedded SQLite file (default) or a shared PostgreSQL database.

``PRIORITIZER_DATABASE_URL=postgresql://user:pass@host:5432/db`` makes several app replicas share one
store; otherwise the store is the SQLite file ``PRIORITIZER_SCENARIO_DB`` (default ``scenarios.db``).

Nothing a planner saved is lost: every write is one transaction (SQLite ``BEGIN IMMEDIATE`` with WAL and
full fsync; PostgreSQL row locks), a killed writer leaves the last committed state, and a foreign or
corrupt SQLite file is opened read-only, reported by name and never changed (no journal switch, no
schema). Names are unique after Unicode case folding (``Ä`` = ``ä``), and may not hold control or
bidirectional-override characters.

Schema (version 2): ``scenarios(name_key PK, name, payload JSON text, created, updated)``;
``scenario_results(name_key, kind, inputs_hash, payload, saved; PK name_key+kind)`` — the last allocation,
frontier or robustness result of a saved scenario with the hash of the inputs it was computed from;
``store_meta(key PK, value)`` — application marker and schema version. A version-1 SQLite file (table
``scenarios`` keyed by ``name COLLATE NOCASE``) is migrated in place in one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from prioritizer.errors import InputError

SCHEMA_VERSION = 2
APPLICATION_ID = 0x50505231  # "PPR1": marks a SQLite file as a Partner Prioritizer scenario store
APPLICATION_NAME = "partner-prioritizer-scenarios"
MAX_NAME_CHARS = 120
MAX_PAYLOAD_BYTES = 5_000_000
RESULT_KINDS = ("allocation", "frontier", "robustness")
DATABASE_URL_ENV = "PRIORITIZER_DATABASE_URL"

META = sa.MetaData()
SCENARIOS = sa.Table(
    "scenarios", META,
    sa.Column("name_key", sa.String(512), primary_key=True),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("updated", sa.String(40), nullable=False),
)
RESULTS = sa.Table(
    "scenario_results", META,
    sa.Column("name_key", sa.String(512), sa.ForeignKey("scenarios.name_key", ondelete="CASCADE",
                                                         onupdate="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("inputs_hash", sa.String(128), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("saved", sa.String(40), nullable=False),
)
STORE_META = sa.Table(
    "store_meta", META,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)


# --- JSON and names ---------------------------------------------------------------------------------
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


def dumps(payload: Any, what: str) -> str:
    """Compact JSON of a settings dict (numpy/pandas values made plain); InputError when it cannot be
    stored (not a dict, NaN, an object, larger than 5 MB)."""
    if not isinstance(payload, Mapping):
        raise InputError(f"{what}: a scenario must be a dict of settings, not {type(payload).__name__}")
    try:
        text = json.dumps(dict(payload), default=_json_default, allow_nan=False, ensure_ascii=False,
                          separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InputError(f"{what}: settings cannot be stored as JSON ({exc})") from None
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise InputError(f"{what}: settings are larger than {MAX_PAYLOAD_BYTES // 1_000_000} MB")
    return text


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def clean_name(name: Any) -> str:
    """A scenario name with spaces collapsed; InputError for empty, too long, control, format or
    bidirectional-override characters (U+202E would display another name than the one stored)."""
    if not isinstance(name, str):
        raise InputError(f"scenario name must be text, not {type(name).__name__}", key="name")
    clean = " ".join(unicodedata.normalize("NFC", name).split())
    if not clean:
        raise InputError("scenario name is empty", key="name")
    if len(clean) > MAX_NAME_CHARS:
        raise InputError(f"scenario name is longer than {MAX_NAME_CHARS} characters", key="name")
    for ch in clean:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise InputError(f"scenario name contains an invisible or control character (U+{ord(ch):04X})",
                             key="name")
    return clean


def name_key(name: str) -> str:
    """The uniqueness key of a name: NFKC case-folded (``Plan A`` = ``plan a``, ``ÄRGER`` = ``ärger``)."""
    return unicodedata.normalize("NFKC", clean_name(name).casefold())


# --- engine -----------------------------------------------------------------------------------------
def database_url(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """The store's SQLAlchemy URL: ``PRIORITIZER_DATABASE_URL`` if set, else the SQLite file ``path``."""
    env = os.environ if env is None else env
    url = (env.get(DATABASE_URL_ENV) or "").strip()
    if url:
        return url
    return f"sqlite:///{Path(path) if path is not None else Path.cwd() / 'scenarios.db'}"


def _with_driver(url: str) -> str:
    """``postgresql://`` → ``postgresql+psycopg://`` (psycopg 3, the driver in requirements.txt)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_error(exc: BaseException, path: Path) -> InputError:
    text = str(getattr(exc, "orig", None) or exc)
    if "locked" in text or "busy" in text:
        msg = "scenario database is busy (another session is writing); try again"
    elif "unable to open" in text or "readonly" in text or "read-only" in text:
        msg = f"cannot open or write the scenario database ({text})"
    else:
        msg = (f"scenario database is unreadable or corrupt ({text}); it was left untouched — move it "
               "aside (or restore a backup) to start a new one")
    return InputError(msg, file=path)


def _inspect_sqlite(path: Path) -> tuple[str, int]:
    """Open an existing SQLite file read-only (no journal switch, no write) and classify it: ('new' | 'ours' |
    'foreign', schema version). Corrupt files raise InputError."""
    if not path.exists() or path.stat().st_size == 0:
        return "new", 0
    uri = f"file:{path}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, path) from None
    try:
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:  # WAL file in a read-only folder: read it as immutable
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise
            con.close()
            con = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        check = con.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise InputError(f"scenario database failed its integrity check ({check[0] if check else '?'}); "
                             "it was left untouched — move it aside or restore a backup", file=path)
        version = con.execute("PRAGMA user_version").fetchone()[0]
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, path) from None
    finally:
        con.close()
    if not tables and version == 0 and app_id == 0:
        return "new", 0
    if app_id != APPLICATION_ID or "scenarios" not in tables:
        return "foreign", version
    return "ours", version


# --- store ------------------------------------------------------------------------------------------
class ScenarioStore:
    """Named scenarios (and their last run results) in SQLite or PostgreSQL.

    ``ScenarioStore(path)`` uses ``PRIORITIZER_DATABASE_URL`` when set (shared server), else the SQLite file
    ``path``; ``ScenarioStore(url="postgresql://…")`` names a database explicitly. Safe from several
    threads, sessions and processes: each call is one short transaction.
    """

    def __init__(self, path: str | Path | None = None, *, url: str | None = None) -> None:
        if path is not None and str(path) == ":memory:":
            raise InputError("scenario store needs a file path (':memory:' would forget every save)")
        self.url = _with_driver(url or database_url(path))
        self.backend = sa.engine.make_url(self.url).get_backend_name() if "://" in self.url else "?"
        self.read_only = False
        if self.backend == "sqlite":
            self.path = Path(sa.engine.make_url(self.url).database or "")
            self._init_sqlite()
        elif self.backend == "postgresql":
            self.path = Path(sa.engine.make_url(self.url).render_as_string(hide_password=True))
            self._init_server()
        else:
            raise InputError(f"unsupported scenario database URL (use sqlite:/// or postgresql://): "
                             f"{self.url.split('://')[0]}://…", key=DATABASE_URL_ENV)

    # ---- engines
    def _init_sqlite(self) -> None:
        path = self.path
        if path.exists() and path.is_dir():
            raise InputError("scenario database path is a folder, not a file", file=path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder for the scenario database ({exc.strerror})",
                             file=path) from None
        kind, version = _inspect_sqlite(path)
        if kind == "foreign":
            raise InputError("this SQLite file is not a Partner Prioritizer scenario database; choose another "
                             "file (it was opened read-only and left untouched)", file=path)
        if version > SCHEMA_VERSION:
            raise InputError(f"scenario database has schema version {version}, newer than this version of the "
                             f"tool reads ({SCHEMA_VERSION}); update the tool", file=path)
        self.read_only = not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))
        if self.read_only and kind == "new":
            raise InputError("cannot create the scenario database: the folder is read-only", file=path)
        mode = "ro" if self.read_only else "rwc"

        def connect() -> sqlite3.Connection:
            con = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=15.0, isolation_level=None,
                                  check_same_thread=False)
            if self.read_only:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("SELECT 1 FROM sqlite_master").fetchone()
                    return con
                con.close()
                return sqlite3.connect(f"file:{path}?immutable=1", uri=True, isolation_level=None,
                                       check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
            return con

        self.engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)

        @event.listens_for(self.engine, "begin")
        def _begin(conn: sa.Connection) -> None:  # one writer at a time; readers never block (WAL)
            conn.exec_driver_sql("BEGIN" if self.read_only else "BEGIN IMMEDIATE")

        if not self.read_only:
            self._migrate_sqlite(kind, version)

    def _init_server(self) -> None:
        try:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=2, max_overflow=4)
            with self.engine.begin() as conn:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(5050523100)"))  # one initialiser at a time
                tables = set(sa.inspect(conn).get_table_names())
                if "store_meta" not in tables:
                    if tables & {"scenarios", "scenario_results"}:
                        raise InputError("this database has a 'scenarios' table that is not a Partner "
                                         "Prioritizer store; use another database", file=self.path)
                    META.create_all(conn)
                    self._write_meta(conn)
                else:
                    self._check_meta(conn)
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc) from None

    def _write_meta(self, conn: sa.Connection) -> None:
        conn.execute(sa.delete(STORE_META))
        conn.execute(sa.insert(STORE_META), [{"key": "application", "value": APPLICATION_NAME},
                                             {"key": "schema_version", "value": str(SCHEMA_VERSION)}])

    def _check_meta(self, conn: sa.Connection) -> None:
        meta = dict(conn.execute(sa.select(STORE_META.c.key, STORE_META.c.value)).all())
        if meta.get("application") != APPLICATION_NAME:
            raise InputError("this database is not a Partner Prioritizer scenario store", file=self.path)
        version = int(meta.get("schema_version", "0") or 0)
        if version > SCHEMA_VERSION:
            raise InputError(f"scenario database has schema version {version}, newer than this version of the "
                             f"tool reads ({SCHEMA_VERSION}); update the tool", file=self.path)

    def _migrate_sqlite(self, kind: str, version: int) -> None:
        """Create the schema in a new file, or migrate version 1 in place — one transaction either way."""
        try:
            with self.engine.begin() as conn:
                current = conn.exec_driver_sql("PRAGMA user_version").scalar()
                if kind == "new" and current == 0:
                    META.create_all(conn)
                    self._write_meta(conn)
                elif current == 1:
                    self._migrate_v1(conn)
                elif current == SCHEMA_VERSION:
                    return
                conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc) from None

    def _migrate_v1(self, conn: sa.Connection) -> None:
        """v1 → v2: names keyed by Unicode case folding (two v1 names equal after folding keep both, the
        second renamed '… (2)'), the results and meta tables added. Payloads are copied byte for byte."""
        rows = conn.exec_driver_sql("SELECT name, payload, created, updated FROM scenarios").all()
        conn.exec_driver_sql("ALTER TABLE scenarios RENAME TO scenarios_v1")
        META.create_all(conn)
        taken: set[str] = set()
        for name, payload, created, updated in rows:
            new, n = name, 1
            while True:
                try:
                    key = name_key(new)
                except InputError:  # a v1 name with a format character: keep it, with the character removed
                    new = "".join(ch for ch in new if unicodedata.category(ch)[0] != "C") or "unnamed"
                    continue
                if key not in taken:
                    break
                n += 1
                new = f"{name} ({n})"
            taken.add(key)
            conn.execute(sa.insert(SCENARIOS).values(name_key=key, name=clean_name(new), payload=payload,
                                                     created=created, updated=updated))
        conn.exec_driver_sql("DROP TABLE scenarios_v1")
        self._write_meta(conn)

    def _error(self, exc: BaseException) -> InputError:
        if self.backend == "sqlite":
            return _sqlite_error(exc, self.path)
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return InputError(f"scenario database server cannot be used ({text})", file=self.path)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc) from None

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """A write transaction: all of it commits, or none of it (the earlier rows stay as they were)."""
        if self.read_only:
            raise InputError("the scenario database is read-only here (its folder or file cannot be written); "
                             "saved scenarios can be listed and loaded, not changed", file=self.path)
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa_exc.IntegrityError:
            raise InputError("another session saved a scenario of this name at the same moment; reload the "
                             "list and try again", key="name") from None
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc) from None

    def _lock(self, conn: sa.Connection, key: str) -> sa.Row | None:
        query = sa.select(SCENARIOS).where(SCENARIOS.c.name_key == key)
        if self.backend == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).first()

    def _names(self, conn: sa.Connection) -> list[str]:
        return [r[0] for r in conn.execute(sa.select(SCENARIOS.c.name).order_by(SCENARIOS.c.name_key))]

    def _unknown(self, conn: sa.Connection, name: str) -> InputError:
        names = self._names(conn)
        saved = ", ".join(f"'{n}'" for n in names[:10]) + (" …" if len(names) > 10 else "")
        return InputError(f"no saved scenario named '{name}'" + (f" (saved: {saved})" if names else
                                                                 " (no scenarios saved yet)"), key="name")

    # ---- scenarios
    def save(self, name: str, payload: Mapping[str, Any], *, overwrite: bool = False) -> str:
        """Save ``payload`` under ``name`` and return the stored name. A duplicate name (ignoring case) is an
        error unless ``overwrite``; overwriting keeps the creation time (saved results stay, and are
        marked stale by their inputs hash when the inputs changed)."""
        name = clean_name(name)
        key, text = name_key(name), dumps(payload, f"scenario '{name}'")
        with self._transaction() as conn:
            row, now = self._lock(conn, key), _now()
            if row is None:
                conn.execute(sa.insert(SCENARIOS).values(name_key=key, name=name, payload=text, created=now,
                                                         updated=now))
            elif not overwrite:
                raise InputError(f"a scenario named '{row.name}' already exists; choose another name or "
                                 "overwrite it", key="name")
            else:
                conn.execute(sa.update(SCENARIOS).where(SCENARIOS.c.name_key == key)
                             .values(name=name, payload=text, updated=now))
        return name

    def load(self, name: str) -> dict[str, Any]:
        """The saved settings dict of ``name`` (case-insensitive)."""
        name = clean_name(name)
        with self._read() as conn:
            row = conn.execute(sa.select(SCENARIOS).where(SCENARIOS.c.name_key == name_key(name))).first()
            if row is None:
                raise self._unknown(conn, name)
        return self._decode(row.payload, row.name)

    def _decode(self, text: str, name: str) -> dict[str, Any]:
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"saved scenario '{name}' is damaged ({getattr(exc, 'msg', 'too deep')})",
                             file=self.path, key=name) from None
        if not isinstance(value, dict):
            raise InputError(f"saved scenario '{name}' is damaged (not a dict)", file=self.path, key=name)
        return value

    def exists(self, name: str) -> bool:
        """Whether a scenario of this name (ignoring case) is saved."""
        key = name_key(name)
        with self._read() as conn:
            return conn.execute(sa.select(SCENARIOS.c.name).where(SCENARIOS.c.name_key == key)).first() is not None

    def list(self) -> pd.DataFrame:
        """Saved scenarios: columns name, created, updated (ISO 8601 UTC), sorted by name ignoring case."""
        with self._read() as conn:
            rows = conn.execute(sa.select(SCENARIOS.c.name, SCENARIOS.c.created, SCENARIOS.c.updated)
                                .order_by(SCENARIOS.c.name_key)).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=["name", "created", "updated"])

    def duplicate(self, src: str, dst: str) -> str:
        """Copy scenario ``src`` to a new name ``dst`` (which must be free); returns ``dst``."""
        src, dst = clean_name(src), clean_name(dst)
        with self._transaction() as conn:
            row = self._lock(conn, name_key(src))
            if row is None:
                raise self._unknown(conn, src)
            clash = self._lock(conn, name_key(dst))
            if clash is not None:
                raise InputError(f"a scenario named '{clash.name}' already exists; choose another name", key="name")
            now = _now()
            conn.execute(sa.insert(SCENARIOS).values(name_key=name_key(dst), name=dst, payload=row.payload,
                                                     created=now, updated=now))
        return dst

    def rename(self, old: str, new: str) -> str:
        """Rename scenario ``old`` to ``new`` (a free name, or the same name in another case); its saved
        results follow it."""
        old, new = clean_name(old), clean_name(new)
        with self._transaction() as conn:
            row = self._lock(conn, name_key(old))
            if row is None:
                raise self._unknown(conn, old)
            clash = self._lock(conn, name_key(new))
            if clash is not None and clash.name_key != row.name_key:
                raise InputError(f"a scenario named '{clash.name}' already exists; choose another name", key="name")
            conn.execute(sa.update(SCENARIOS).where(SCENARIOS.c.name_key == row.name_key)
                         .values(name_key=name_key(new), name=new, updated=_now()))
        return new

    def delete(self, name: str) -> None:
        """Delete scenario ``name`` and its results; an unknown name is an error (nothing is deleted)."""
        name = clean_name(name)
        key = name_key(name)
        with self._transaction() as conn:
            conn.execute(sa.delete(RESULTS).where(RESULTS.c.name_key == key))
            if conn.execute(sa.delete(SCENARIOS).where(SCENARIOS.c.name_key == key)).rowcount == 0:
                raise self._unknown(conn, name)

    # ---- run results
    def save_result(self, name: str, kind: str, inputs_hash: str, payload: Mapping[str, Any]) -> None:
        """Store the last ``kind`` result (allocation / frontier / robustness) of saved scenario ``name``,
        computed from inputs with hash ``inputs_hash``; replaces the previous one of that kind."""
        if kind not in RESULT_KINDS:
            raise InputError(f"unknown result kind {kind!r} (expected {', '.join(RESULT_KINDS)})", key="kind")
        name = clean_name(name)
        key, text = name_key(name), dumps(payload, f"{kind} result of '{name}'")
        with self._transaction() as conn:
            if self._lock(conn, key) is None:
                raise self._unknown(conn, name)
            conn.execute(sa.delete(RESULTS).where(RESULTS.c.name_key == key, RESULTS.c.kind == kind))
            conn.execute(sa.insert(RESULTS).values(name_key=key, kind=kind, inputs_hash=str(inputs_hash),
                                                   payload=text, saved=_now()))

    def load_results(self, name: str, inputs_hash: str | None = None) -> dict[str, dict[str, Any]]:
        """The saved results of scenario ``name`` by kind: {kind: {payload, inputs_hash, saved, stale}};
        ``stale`` is True when ``inputs_hash`` is given and differs from the hash stored with the result.
        An unknown scenario has no results ({})."""
        key = name_key(name)
        with self._read() as conn:
            rows = conn.execute(sa.select(RESULTS).where(RESULTS.c.name_key == key)).all()
        out = {}
        for r in rows:
            out[r.kind] = {"payload": self._decode(r.payload, f"{name} ({r.kind} result)"),
                           "inputs_hash": r.inputs_hash, "saved": r.saved,
                           "stale": inputs_hash is not None and r.inputs_hash != inputs_hash}
        return out
