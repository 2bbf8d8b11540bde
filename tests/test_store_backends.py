"""The scenario store against both back ends: SQLite (embedded default) and PostgreSQL (shared server).

PostgreSQL tests use ``PRIORITIZER_TEST_DATABASE_URL`` (``.ci/run`` starts a loopback server with
``tools/pg_test_server.sh``). Without a reachable server they are skipped with a message — except under
``CI=true``, where they must run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from prioritizer.errors import InputError
from prioritizer.store import SCHEMA_VERSION, ScenarioStore

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "PRIORITIZER_TEST_DATABASE_URL"


def _pg_server_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    why = f"{PG_ENV} is not set" if not url else ""
    if url:
        try:
            eng = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with eng.connect():
                pass
            eng.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "no server"
            why = f"no PostgreSQL server at {url} ({type(exc).__name__})"
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL store tests must run under CI=true: {why}")
        pytest.skip(f"PostgreSQL store tests skipped: {why} (run tools/pg_test_server.sh start)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty store URL on each back end (a new PostgreSQL database per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scenarios.db'}"
        return
    server = _pg_server_url().replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"pp_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def test_round_trip_and_unicode_case_folding(store_url):
    store = ScenarioStore(url=store_url)
    store.save("Ärger Plan", {"budget_usd_m": 100.5, "weights": {"a": 1}})
    assert ScenarioStore(url=store_url).load("ärger plan") == {"budget_usd_m": 100.5, "weights": {"a": 1}}
    with pytest.raises(InputError, match="already exists"):
        store.save("ÄRGER PLAN", {"v": 2})  # differs only in non-ASCII case: the same name
    with pytest.raises(InputError, match="invisible or control character"):
        store.save("evil\u202egnp.exe", {"v": 1})
    assert store.list()["name"].tolist() == ["Ärger Plan"]


def test_results_persist_with_inputs_hash_and_follow_renames(store_url):
    store = ScenarioStore(url=store_url)
    store.save("Plan", {"v": 1})
    store.save_result("Plan", "allocation", "hash-1", {"budget_usd_m": 10.0, "rows": [{"p": "KEN", "x": 1.5}]})
    store.save_result("Plan", "frontier", "hash-1", {"levels": [1, 2, 3]})
    fresh = ScenarioStore(url=store_url)
    res = fresh.load_results("plan", "hash-1")
    assert res["allocation"]["payload"]["rows"] == [{"p": "KEN", "x": 1.5}] and not res["allocation"]["stale"]
    assert fresh.load_results("Plan", "hash-2")["frontier"]["stale"] is True
    store.save_result("Plan", "allocation", "hash-2", {"budget_usd_m": 20.0})
    assert fresh.load_results("Plan", "hash-2")["allocation"]["payload"] == {"budget_usd_m": 20.0}
    store.rename("Plan", "Plan B")
    assert set(fresh.load_results("plan b")) == {"allocation", "frontier"}
    with pytest.raises(InputError, match="no saved scenario"):
        store.save_result("Nope", "allocation", "h", {})
    with pytest.raises(InputError, match="unknown result kind"):
        store.save_result("Plan B", "magic", "h", {})
    store.delete("Plan B")
    assert fresh.load_results("Plan B") == {}


def _writer(url: str, worker: int, n: int) -> None:
    store = ScenarioStore(url=url)
    for i in range(n):
        for attempt in range(50):
            try:
                store.save(f"w{worker}-{i}", {"worker": worker, "i": i, "pad": "x" * 500})
                store.save_result(f"w{worker}-{i}", "allocation", f"h{i}", {"i": i})
                break
            except InputError as exc:
                if "busy" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)


def test_concurrent_saves_from_several_processes_lose_nothing(store_url):
    ScenarioStore(url=store_url)  # create the schema once
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_url, w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = ScenarioStore(url=store_url)
    names = set(store.list()["name"])
    assert names == {f"w{w}-{i}" for w in range(4) for i in range(15)}
    assert store.load("w3-14") == {"worker": 3, "i": 14, "pad": "x" * 500}
    assert store.load_results("w2-7")["allocation"]["payload"] == {"i": 7}


KILLED_WRITER = """
import sys, itertools
from prioritizer.store import ScenarioStore
store = ScenarioStore(url=sys.argv[1])
for i in itertools.count():
    store.save(f"k{i}", {"i": i, "pad": "y" * 2000})
    print(i, flush=True)
"""


def test_killed_writer_loses_nothing_committed(store_url):
    store = ScenarioStore(url=store_url)
    store.save("before", {"keep": True})
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, store_url], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    done = []
    for line in proc.stdout:
        done.append(int(line))
        if len(done) >= 20:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    fresh = ScenarioStore(url=store_url)
    names = set(fresh.list()["name"])
    assert "before" in names and {f"k{i}" for i in done} <= names
    for name in names - {"before"}:
        assert fresh.load(name)["pad"] == "y" * 2000  # every row whole: no partial write
    fresh.save("after", {"ok": 1})
    assert fresh.load("after") == {"ok": 1}


# --- SQLite only ---------------------------------------------------------------------------------------


def test_v1_sqlite_file_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE scenarios (name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, payload TEXT NOT NULL,
                                created TEXT NOT NULL, updated TEXT NOT NULL);
        INSERT INTO scenarios VALUES ('Plan A', '{"v":1}', '2025-01-01T00:00:00+00:00', '2025-01-02T00:00:00+00:00');
        INSERT INTO scenarios VALUES ('Ärger', '{"v":2}', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00');
        INSERT INTO scenarios VALUES ('ärger', '{"v":3}', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00');
        PRAGMA application_id = 1347441201;
        PRAGMA user_version = 1;
    """)
    con.commit()
    con.close()
    store = ScenarioStore(path)
    listing = store.list()
    assert sorted(listing["name"]) == sorted(["Plan A", "Ärger", "ärger (2)"])
    assert store.load("plan a") == {"v": 1} and listing.set_index("name").at["Plan A", "created"].startswith("2025")
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_foreign_sqlite_file_is_not_switched_to_wal(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(InputError, match="not a Partner Prioritizer"):
        ScenarioStore(other)
    con = sqlite3.connect(other)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()
    assert other.read_bytes() == before and not Path(str(other) + "-wal").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_store_in_a_read_only_folder_can_be_listed(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    ScenarioStore(folder / "s.db").save("Plan", {"v": 1})
    folder.chmod(0o555)
    try:
        store = ScenarioStore(folder / "s.db")
        assert store.list()["name"].tolist() == ["Plan"] and store.load("plan") == {"v": 1}
        with pytest.raises(InputError, match="read-only"):
            store.save("New", {})
    finally:
        folder.chmod(0o755)


def test_store_in_a_read_only_file_can_be_listed(tmp_path, monkeypatch):
    """As root (no permission checks) the read-only path is exercised by reporting the folder unwritable."""
    path = tmp_path / "s.db"
    ScenarioStore(path).save("Plan", {"v": 1})
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    store = ScenarioStore(path)
    assert store.read_only and store.list()["name"].tolist() == ["Plan"]
    with pytest.raises(InputError, match="read-only"):
        store.delete("Plan")
