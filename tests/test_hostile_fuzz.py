"""Property tests: arbitrary bytes and arbitrary JSON never raise anything but the project's InputError."""

from __future__ import annotations

import base64
import contextlib
import json
import zlib

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prioritizer import scenario
from prioritizer.data.numeric import to_numeric_column
from prioritizer.data.reading import read_table, read_yaml
from prioritizer.errors import InputError
from prioritizer.scenario_token import decode_scenario, encode_scenario
from prioritizer.store import clean_name, name_key

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=12), kids, max_size=5),
    max_leaves=30)
scenario_like = st.dictionaries(
    st.sampled_from(list(scenario.default_scenario()) + ["junk", "non_state", "overrides"]) | st.text(max_size=8),
    json_values, max_size=12)


def _only_input_errors(fn, *args):
    with contextlib.suppress(InputError):
        fn(*args)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["p.csv", "p.xlsx", "upload"]))
def test_table_reader_on_arbitrary_bytes(data, name):
    _only_input_errors(read_table, data, name)


@FUZZ
@given(st.text(max_size=400))
def test_table_reader_on_arbitrary_text(text):
    _only_input_errors(read_table, ("partner_id,value\n" + text).encode("utf-8", "surrogatepass"), "p.csv")


@FUZZ
@given(st.binary(max_size=2000))
def test_yaml_reader_on_arbitrary_bytes(data):
    _only_input_errors(read_yaml, data, "w.yaml")


@FUZZ
@given(st.lists(st.text(alphabet="0123456789,.-+eE naN", max_size=12), min_size=1, max_size=8))
def test_number_column_on_arbitrary_numeric_text(cells):
    try:
        out = to_numeric_column(pd.Series(cells), file="f.csv", column="c")
    except InputError:
        return
    assert out.dtype == float


@FUZZ
@given(st.text(max_size=300))
def test_token_decoder_on_arbitrary_text(text):
    _only_input_errors(decode_scenario, text)
    _only_input_errors(decode_scenario, "pp1." + text)


@FUZZ
@given(json_values)
def test_token_decoder_on_arbitrary_json(value):
    token = "pp1." + base64.urlsafe_b64encode(zlib.compress(json.dumps(value).encode())).rstrip(b"=").decode()
    _only_input_errors(decode_scenario, token)


@FUZZ
@given(scenario_like)
def test_scenario_model_never_raises_and_its_output_round_trips(data):
    scen, notes = scenario.normalise_scenario(data)
    assert isinstance(notes, list)
    again, _ = scenario.normalise_scenario(decode_scenario(encode_scenario(scen)))
    assert again == scen
    assert all(0 <= w <= 100 for w in scen["category_weights"].values())
    assert all(r["baseline_usd_m"] >= 0 for r in scen["non_state"])


@FUZZ
@given(st.text(max_size=150))
def test_scenario_names(text):
    try:
        clean = clean_name(text)
    except InputError:
        return
    assert name_key(clean) == name_key(clean.upper().lower()) or clean
