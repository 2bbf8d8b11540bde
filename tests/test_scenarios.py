"""The scenario store never loses a save, reports bad files by name, and links round-trip."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prioritizer import scenario_token
from prioritizer import store as store_module
from prioritizer.errors import InputError
from prioritizer.scenario_token import decode_scenario, encode_scenario
from prioritizer.store import ScenarioStore

PAYLOAD = {
    "profile": "default",
    "weights": {"governance": 0.3, "stability": 0.2, "shared_interests": 0.5},
    "normalisation": "minmax", "aggregation": "arithmetic",
    "filters": {"commands": ["AFRICOM", "EUCOM"], "partner_type": "state"},
    "budget_usd_m": 1500.0,
    "priority_edits": {"NOR": 5, "FRA": 4},
    "overrides": [{"partner_id": "XYZ", "construct": "alignment", "value": 80, "rationale": "planner judgment"}],
    "allocation": {"settings_path": "weights/allocation.yaml", "edits": {"max_change_pct": 25}},
    "note": "Côte d’Ivoire — what-if",
}


@pytest.fixture()
def store(tmp_path: Path) -> ScenarioStore:
    return ScenarioStore(tmp_path / "sub" / "scenarios.db")


def test_round_trip_and_persistence_across_instances(store):
    assert store.save("FY26 baseline", PAYLOAD) == "FY26 baseline"
    assert store.load("FY26 baseline") == PAYLOAD
    again = ScenarioStore(store.path)
    assert again.load("fy26 baseline") == PAYLOAD  # names ignore case
    listing = again.list()
    assert list(listing.columns) == ["name", "created", "updated"]
    assert listing["name"].tolist() == ["FY26 baseline"]
    assert listing.loc[0, "created"].endswith("+00:00")


def test_store_uses_wal_and_a_versioned_schema(store):
    con = sqlite3.connect(store.path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
        assert con.execute("PRAGMA application_id").fetchone()[0] == store_module.APPLICATION_ID
    finally:
        con.close()


def test_duplicate_rename_delete_list(store):
    store.save("B", {"x": 1})
    store.save("a", {"x": 2})
    store.duplicate("B", "C")
    assert store.load("C") == {"x": 1}
    store.rename("C", "D")
    assert not store.exists("C") and store.load("D") == {"x": 1}
    store.rename("d", "D")  # case-only rename of the same scenario is fine
    assert store.list()["name"].tolist() == ["a", "B", "D"]
    store.delete("a")
    assert store.list()["name"].tolist() == ["B", "D"]
    with pytest.raises(InputError, match="no saved scenario named 'a'"):
        store.delete("a")
    with pytest.raises(InputError, match="already exists"):
        store.duplicate("B", "d")
    with pytest.raises(InputError, match="already exists"):
        store.rename("B", "D")
    with pytest.raises(InputError, match="no saved scenario named 'zzz'"):
        store.duplicate("zzz", "E")


def test_name_and_duplicate_errors(store):
    store.save("Plan A", {"v": 1})
    with pytest.raises(InputError, match="already exists"):
        store.save("  plan   a ", {"v": 2})
    assert store.load("Plan A") == {"v": 1}
    store.save("plan a", {"v": 3}, overwrite=True)
    assert store.load("Plan A") == {"v": 3}
    assert store.list()["name"].tolist() == ["plan a"]
    for bad in ("", "   ", "a\x00b", "x" * 200):
        with pytest.raises(InputError, match="scenario name"):
            store.save(bad, {"v": 1})
    with pytest.raises(InputError, match="no saved scenario named 'nope'.*Plan A|plan a"):
        store.load("nope")


def test_overwrite_keeps_created_time(store, monkeypatch):
    times = iter(["2025-01-01T00:00:00+00:00", "2025-06-01T00:00:00+00:00"])
    monkeypatch.setattr(store_module, "_now", lambda: next(times))
    store.save("P", {"v": 1})
    store.save("P", {"v": 2}, overwrite=True)
    row = store.list().iloc[0]
    assert row["created"] == "2025-01-01T00:00:00+00:00" and row["updated"] == "2025-06-01T00:00:00+00:00"


def test_failed_save_leaves_prior_rows_intact(store, monkeypatch):
    store.save("Keep", PAYLOAD)
    with pytest.raises(InputError, match="JSON"):
        store.save("Keep", {"bad": object()}, overwrite=True)
    with pytest.raises(InputError, match="JSON"):
        store.save("New", {"nan": float("nan")})

    # A failure inside the write transaction (after the UPDATE ran) rolls everything back.
    store.save("Other", {"v": 1})
    original_tx = ScenarioStore._transaction

    def tx_then_fail(self):  # run the real save, then wipe every row and crash before COMMIT
        @contextmanager
        def cm():
            with original_tx(self) as conn:
                yield conn
                conn.exec_driver_sql("UPDATE scenarios SET payload = '{}'")
                raise RuntimeError("crash before commit")
        return cm()

    monkeypatch.setattr(ScenarioStore, "_transaction", tx_then_fail)
    with pytest.raises(RuntimeError, match="crash before commit"):
        store.save("Keep", {"v": "new"}, overwrite=True)
    monkeypatch.undo()
    fresh = ScenarioStore(store.path)
    assert fresh.load("Keep") == PAYLOAD
    assert fresh.load("Other") == {"v": 1}
    assert fresh.list()["name"].tolist() == ["Keep", "Other"]


def test_numpy_pandas_values_are_stored_as_plain_json(store):
    overrides = pd.DataFrame({"partner_id": ["XYZ"], "construct": ["alignment"], "value": [80.0],
                              "rationale": ["judgment"]})
    store.save("np", {"budget": np.float64(12.5), "n": np.int64(3), "flag": np.bool_(True),
                      "arr": np.array([1, 2]), "overrides": overrides, "path": Path("weights/x.yaml"),
                      "set": {"b", "a"}})
    assert store.load("np") == {"budget": 12.5, "n": 3, "flag": True, "arr": [1, 2],
                                "overrides": [{"partner_id": "XYZ", "construct": "alignment", "value": 80.0,
                                               "rationale": "judgment"}],
                                "path": "weights/x.yaml", "set": ["a", "b"]}
    with pytest.raises(InputError, match="dict"):
        store.save("list", [1, 2])  # type: ignore[arg-type]


def test_corrupt_file_is_named_and_left_untouched(tmp_path):
    bad = tmp_path / "scenarios.db"
    junk = b"this is not a database, it is a planner's precious notes" * 50
    bad.write_bytes(junk)
    with pytest.raises(InputError) as exc:
        ScenarioStore(bad)
    assert "scenarios.db" in str(exc.value) and "corrupt" in str(exc.value)
    assert bad.read_bytes() == junk


def test_truncated_database_is_reported(tmp_path):
    path = tmp_path / "s.db"
    st_ = ScenarioStore(path)
    for i in range(50):
        st_.save(f"s{i}", {"blob": "x" * 2000})
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="s.db"):
        ScenarioStore(path).list()


def test_foreign_or_newer_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="not a Partner Prioritizer scenario database"):
        ScenarioStore(other)

    newer = tmp_path / "newer.db"
    ScenarioStore(newer)
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {store_module.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="newer"):
        ScenarioStore(newer)


def test_damaged_row_is_reported(store):
    store.save("ok", {"v": 1})
    con = sqlite3.connect(store.path)
    con.execute("UPDATE scenarios SET payload = '{broken' WHERE name = 'ok'")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="saved scenario 'ok' is damaged"):
        store.load("ok")


def test_memory_and_directory_paths_are_refused(tmp_path):
    with pytest.raises(InputError, match="file path"):
        ScenarioStore(":memory:")
    with pytest.raises(InputError, match="folder"):
        ScenarioStore(tmp_path)


# --- shareable links -------------------------------------------------------------------------------------
def test_encode_decode_round_trip_is_url_safe():
    token = encode_scenario(PAYLOAD)
    assert token.startswith("pp1.")
    assert all(c.isalnum() or c in "-_." for c in token)
    assert decode_scenario(token) == PAYLOAD
    assert decode_scenario(f"  {token}\n") == PAYLOAD


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_round_trip_any_json_dict(payload):
    assert decode_scenario(encode_scenario(payload)) == payload


def test_bad_tokens_get_clear_errors():
    token = encode_scenario(PAYLOAD)
    cases = {
        "": "empty",
        "hello": "should start with 'pp1.'",
        "pp1.abc$def": "characters",
        token[:-7]: "cut",
        "pp1." + "A" * 40: "damaged",
        "pp1.x": "base64",
        encode_scenario({"a": 1})[:4] + "eJwrSS0u0S0pSgQAFBsD5w": "not valid JSON|damaged",
    }
    for bad, why in cases.items():
        with pytest.raises(InputError, match="shared scenario link is not valid") as exc:
            decode_scenario(bad)
        assert any(w in str(exc.value) for w in why.split("|")), (bad, str(exc.value))
    with pytest.raises(InputError, match="longer than"):
        decode_scenario("pp1." + "A" * (scenario_token.MAX_TOKEN_CHARS + 1))
    with pytest.raises(InputError, match="expected text"):
        decode_scenario(None)  # type: ignore[arg-type]


def test_decode_refuses_non_dict_and_zip_bombs():
    import base64
    import zlib

    def token_of(raw: bytes) -> str:
        return "pp1." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode()

    with pytest.raises(InputError, match="settings dict"):
        decode_scenario(token_of(b"[1, 2, 3]"))
    with pytest.raises(InputError, match="larger than"):
        decode_scenario(token_of(b"{\"a\": \"" + b"x" * (store_module.MAX_PAYLOAD_BYTES + 10) + b"\"}"))
