"""Run results as JSON: the allocation, frontier and robustness results a saved scenario keeps.

A saved scenario stores its last runs (``ScenarioStore.save_result``) so a refresh or a shared link shows
them without re-running. This module turns the result objects the views display into plain JSON and back
(never pickle: a stored payload is data, checked field by field on the way in), computes the hash of
everything that determines a run, and says whether a stored result is stale.

Payload shape (version 1): ``{"version": 1, "kind": <kind>, "data": {...}}`` with every table as
``{"columns": [...], "dtypes": [...], "index": [...], "index_name": ..., "data": [[row], ...]}``.
Floats that JSON cannot hold (NaN, ±inf) are stored as ``null`` / ``"inf"`` / ``"-inf"``.
A payload that does not have this shape raises :class:`InputError` naming the key at fault.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.allocation.solve import RELAX_COLUMNS, AllocationResult
from prioritizer.errors import InputError
from prioritizer.scenario import SCORING_KEYS

PAYLOAD_VERSION = 1
KINDS = ("allocation", "frontier", "robustness")
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_TEXT = 20_000
STALE_TEXT = "Inputs changed since this run — re-run to update it."
"""What the app says next to a result whose inputs hash differs from the current scenario's."""

_DTYPES = {"float64": "float64", "int64": "int64", "bool": "bool", "object": "object", "string": "string",
           "Int64": "Int64", "boolean": "boolean", "Float64": "Float64", "str": "str"}
"""Stored dtype → the dtype it is read back as; ``str`` (pandas 3 text) is left to pandas' own inference."""
_ALLOCATION_FRAMES = ("partners", "mechanisms", "by_command", "binding", "relaxations")
_ALLOCATION_NUMBERS = ("budget_dual", "total_benefit", "budget_usd_m", "unspent_usd_m", "penalty")


# ------------------------------------------------------------------------------------------ inputs hash


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def files_digest(paths: Iterable[str | Path]) -> str:
    """SHA-256 (hex, 16 chars) over the names and bytes of settings and data files (missing files count
    as absent), so a changed weights/allocation.yaml or partners file makes saved runs stale."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        h.update(path.name.encode("utf-8") + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<missing>")
        h.update(b"\0")
    return h.hexdigest()[:16]


def inputs_hash(kind: str, scenario: Mapping[str, Any], data_key: str = "", settings_digest: str = "",
                extra: Any = None) -> str:
    """Hash (hex, 16 chars) of everything that determines a ``kind`` run: the scenario's scoring inputs
    (weights, method, priority basis, data edits, overrides, scope), the budget (US$ M/yr; None = the
    settings default), the data (``data_key``: sample or the uploaded file's digest), the settings files
    (``settings_digest``, see :func:`files_digest`) and ``extra``. The frontier does not depend on the budget."""
    check_kind(kind)
    part = {k: scenario.get(k) for k in SCORING_KEYS}
    budget = None if kind == "frontier" else scenario.get("budget_usd_m")
    text = _canonical({"kind": kind, "scenario": part, "budget_usd_m": budget, "data": data_key,
                       "settings": settings_digest, "extra": extra})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def is_stale(stored_hash: Any, current_hash: str) -> bool:
    """True when a stored result was computed from other inputs than the current ones."""
    return not isinstance(stored_hash, str) or stored_hash != current_hash


def check_kind(kind: Any) -> str:
    if kind not in KINDS:
        raise InputError(f"unknown result kind {kind!r} (expected {', '.join(KINDS)})", key="kind")
    return kind


# ---------------------------------------------------------------------------------------------- tables


def _cell_out(value: Any) -> Any:
    """One table cell as a JSON scalar."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, list | tuple | np.ndarray):  # e.g. a list of mechanism ids in one cell
        return [_cell_out(v) for v in value]
    return str(value)


def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as JSON-able columns, dtypes, index and rows."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a table, got {type(frame).__name__}")
    dtypes = [str(t) if str(t) in _DTYPES else "object" for t in frame.dtypes]
    return {"columns": [str(c) for c in frame.columns], "dtypes": dtypes,
            "index": [_cell_out(v) for v in frame.index], "index_name": frame.index.name,
            "data": [[_cell_out(v) for v in row] for row in frame.itertuples(index=False, name=None)]}


def _scalar_in(value: Any, key: str) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InputError(f"text longer than {MAX_TEXT} characters", key=key)
        return value
    if isinstance(value, list) and all(v is None or isinstance(v, str | int | float | bool) for v in value):
        return list(value)
    raise InputError(f"a table cell must be a number, text, true/false or null, not {type(value).__name__}",
                     key=key)


def _float_in(value: Any, key: str) -> float:
    if value is None:
        return math.nan
    if value in ("inf", "-inf"):
        return math.inf if value == "inf" else -math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"expected a number, got {value!r:.40}", key=key)
    return float(value)


def decode_frame(raw: Any, key: str = "table") -> pd.DataFrame:
    """The DataFrame of :func:`encode_frame`; InputError naming ``key`` when the shape is wrong."""
    if not isinstance(raw, Mapping):
        raise InputError("a stored table must be an object", key=key)
    extra = set(raw) - {"columns", "dtypes", "index", "index_name", "data"}
    if extra:
        raise InputError(f"unexpected field(s) {sorted(extra)}", key=key)
    columns, dtypes, index, data = (raw.get(k) for k in ("columns", "dtypes", "index", "data"))
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) or len(columns) > MAX_COLUMNS:
        raise InputError(f"columns must be a list of at most {MAX_COLUMNS} names", key=f"{key}.columns")
    if len(set(columns)) != len(columns):
        raise InputError("column names repeat", key=f"{key}.columns")
    if not isinstance(dtypes, list) or len(dtypes) != len(columns) or any(d not in _DTYPES for d in dtypes):
        raise InputError("dtypes must name one known type per column", key=f"{key}.dtypes")
    if not isinstance(data, list) or len(data) > MAX_ROWS:
        raise InputError(f"data must be a list of at most {MAX_ROWS} rows", key=f"{key}.data")
    if not isinstance(index, list) or len(index) != len(data):
        raise InputError("index must have one entry per row", key=f"{key}.index")
    index_name = raw.get("index_name")
    if index_name is not None and not isinstance(index_name, str):
        raise InputError("index_name must be text or null", key=f"{key}.index_name")
    cols: dict[str, list[Any]] = {c: [] for c in columns}
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise InputError(f"row {i} must have {len(columns)} cells", key=f"{key}.data[{i}]")
        for c, d, v in zip(columns, dtypes, row, strict=True):
            where = f"{key}.data[{i}].{c}"
            cols[c].append(_float_in(v, where) if d in ("float64", "Float64") else _scalar_in(v, where))
    idx = pd.Index([_scalar_in(v, f"{key}.index") for v in index], name=index_name)
    if not data:
        idx = pd.Index([], name=index_name, dtype=object)
    frame = pd.DataFrame(cols, index=idx, columns=columns)
    for c, d in zip(columns, dtypes, strict=True):
        if d == "str":  # pandas 3 infers its text dtype, pandas 2 keeps object
            continue
        if d == "object":
            frame[c] = frame[c].astype(object)
            continue
        try:
            frame[c] = frame[c].astype(_DTYPES[d])
        except (TypeError, ValueError):
            raise InputError(f"values do not fit type {d}", key=f"{key}.{c}") from None
    return frame


# ----------------------------------------------------------------------------------------- result kinds


def _text_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value):
        raise InputError("expected a list of text lines", key=key)
    return list(value)


def _number(raw: Mapping[str, Any], name: str, key: str) -> float:
    value = _float_in(raw.get(name), f"{key}.{name}")
    return value


def encode_allocation(out: Mapping[str, Any]) -> dict[str, Any]:
    """The allocation run the views show (``result``, ``bullbear``, ``offsets``, ``scope_notes``) as JSON."""
    res: AllocationResult = out["result"]
    result = {name: encode_frame(getattr(res, name)) for name in _ALLOCATION_FRAMES}
    result |= {name: _cell_out(getattr(res, name)) for name in _ALLOCATION_NUMBERS}
    result |= {"status": str(res.status), "solver": str(res.solver), "settings_name": str(res.settings_name),
               "notes": [str(n) for n in res.notes], "meets_statute": bool(res.meets_statute),
               "timings": {str(k): _cell_out(v) for k, v in res.timings.items()}}
    return {"result": result, "bullbear": encode_frame(out["bullbear"]), "offsets": encode_frame(out["offsets"]),
            "scope_notes": [str(n) for n in out.get("scope_notes", [])]}


def decode_allocation(raw: Any, key: str = "allocation") -> dict[str, Any]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("result"), Mapping):
        raise InputError("an allocation result must be an object with a 'result'", key=key)
    r = raw["result"]
    rk = f"{key}.result"
    frames = {name: decode_frame(r.get(name), f"{rk}.{name}") for name in _ALLOCATION_FRAMES}
    if not set(RELAX_COLUMNS) <= set(frames["relaxations"].columns):
        raise InputError("relaxations lack their columns", key=f"{rk}.relaxations")
    for name in ("status", "solver", "settings_name"):
        if not isinstance(r.get(name), str):
            raise InputError("expected text", key=f"{rk}.{name}")
    if not isinstance(r.get("meets_statute"), bool):
        raise InputError("expected true or false", key=f"{rk}.meets_statute")
    timings = r.get("timings", {})
    if not isinstance(timings, Mapping):
        raise InputError("expected an object", key=f"{rk}.timings")
    result = AllocationResult(
        status=r["status"], solver=r["solver"], settings_name=r["settings_name"],
        notes=_text_list(r.get("notes", []), f"{rk}.notes"), meets_statute=r["meets_statute"],
        timings={str(k): _float_in(v, f"{rk}.timings.{k}") for k, v in timings.items()},
        **frames, **{name: _number(r, name, rk) for name in _ALLOCATION_NUMBERS})
    return {"result": result, "bullbear": decode_frame(raw.get("bullbear"), f"{key}.bullbear"),
            "offsets": decode_frame(raw.get("offsets"), f"{key}.offsets"),
            "scope_notes": _text_list(raw.get("scope_notes", []), f"{key}.scope_notes")}


def encode_robustness(out: Mapping[str, Any]) -> dict[str, Any]:
    """The robustness run (``partners``, ``tornado``, ``tipping`` tables and ``log`` lines) as JSON."""
    return {"partners": encode_frame(out["partners"]), "tornado": encode_frame(out["tornado"]),
            "tipping": None if out.get("tipping") is None else encode_frame(out["tipping"]),
            "log": [str(x) for x in out.get("log", [])]}


def decode_robustness(raw: Any, key: str = "robustness") -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InputError("a robustness result must be an object", key=key)
    tipping = raw.get("tipping")
    return {"partners": decode_frame(raw.get("partners"), f"{key}.partners"),
            "tornado": decode_frame(raw.get("tornado"), f"{key}.tornado"),
            "tipping": None if tipping is None else decode_frame(tipping, f"{key}.tipping"),
            "log": _text_list(raw.get("log", []), f"{key}.log")}


def encode_result(kind: str, out: Any) -> dict[str, Any]:
    """A run's output (as the UI holds it) → the JSON payload stored with the scenario."""
    check_kind(kind)
    if kind == "allocation":
        data = encode_allocation(out)
    elif kind == "frontier":
        data = encode_frame(out)
    else:
        data = encode_robustness(out)
    return {"version": PAYLOAD_VERSION, "kind": kind, "data": data}


def decode_result(kind: str, payload: Any) -> Any:
    """The run output back from a stored payload; InputError (naming the key) for anything else."""
    check_kind(kind)
    if not isinstance(payload, Mapping):
        raise InputError("a stored result must be an object", key=kind)
    if payload.get("version") != PAYLOAD_VERSION:
        raise InputError(f"unsupported result version {payload.get('version')!r:.20}", key=f"{kind}.version")
    if payload.get("kind") != kind:
        raise InputError(f"the payload holds a {payload.get('kind')!r:.20} result", key=f"{kind}.kind")
    data = payload.get("data")
    if kind == "allocation":
        return decode_allocation(data)
    if kind == "frontier":
        return decode_frame(data, "frontier")
    return decode_robustness(data)


def restore(kind: str, record: Mapping[str, Any], current_hash: str) -> dict[str, Any]:
    """A stored result record (``ScenarioStore.load_results`` entry) as ``{out, key, saved, stale}``."""
    out = decode_result(kind, record.get("payload"))
    stored = record.get("inputs_hash")
    return {"out": out, "key": stored, "saved": record.get("saved"), "stale": is_stale(stored, current_hash)}
