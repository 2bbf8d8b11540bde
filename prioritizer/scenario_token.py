"""Compact shareable scenario links: a scenario dict ↔ a URL-safe token (``pp1.`` + base64url of zlib JSON).

A link token is decoded within hard limits (length, inflated size, JSON nesting depth) and then checked by
the same model as a saved scenario (:func:`prioritizer.scenario.normalise_scenario`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from prioritizer.errors import InputError
from prioritizer.store import MAX_PAYLOAD_BYTES, dumps

TOKEN_PREFIX = "pp1."
MAX_TOKEN_CHARS = 100_000
MAX_JSON_DEPTH = 12
"""Deepest nesting a scenario needs is 3 (dict → list → record); deeper tokens are refused before parsing."""


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests deeper than ``limit`` (brackets outside strings counted, linear time)."""
    depth, in_str, escaped = 0, False, False
    for ch in text:
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


# --- shareable links ---------------------------------------------------------------------------------
_TOKEN_BODY = re.compile(r"[A-Za-z0-9_-]+")


def encode_scenario(payload: Mapping[str, Any]) -> str:
    """A compact URL-safe token for a scenario: ``pp1.`` + base64url (no padding) of zlib-compressed
    JSON. Fits a URL query parameter as is (no percent-encoding needed)."""
    text = dumps(payload, "scenario link")
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
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("its settings are not valid JSON") from None
    if json_depth_exceeds(text):
        raise bad(f"its settings nest deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise bad("its settings are not valid JSON") from None
    if not isinstance(value, dict):
        raise bad("it does not hold a settings dict")
    return value
