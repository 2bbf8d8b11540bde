"""Offline use (design.md §9): a full planner session opens no non-loopback connection.

Server side: the app runs with ``tests/netaudit`` first on PYTHONPATH, whose ``sitecustomize.py`` logs every
``socket.connect`` / ``sendto`` / ``sendmsg`` / ``bind``, ``socket.getaddrinfo``, ``urllib.Request`` and
``http.client.connect`` audit event to a file. Browser side: every request and websocket of the Chromium
session (``tests/browser_support.py``: load, weight change, optimizer and frontier, robustness, every view,
workbook and chart PNG downloads, a deep link) is recorded. Every address must be loopback (127.0.0.0/8,
::1, localhost), a unix socket, or stay inside the page (data:, blob:).

The Streamlit configuration check and the audit-hook self-test need no browser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from browser_support import (
    AUDIT_ENV,
    NETAUDIT_DIR,
    REPO_ROOT,
    SessionRecord,
    audit_violation,
    browser_url_is_local,
    is_loopback_host,
    read_audit_log,
)

pytest_plugins = ["browser_support"]


# ------------------------------------------------------------------------------------------- no browser


def test_streamlit_config_is_local_and_quiet():
    path = REPO_ROOT / ".streamlit" / "config.toml"
    assert path.exists(), f"{path} is missing"
    cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    assert cfg.get("browser", {}).get("gatherUsageStats") is False, "browser.gatherUsageStats must be false"
    server = cfg.get("server", {})
    assert server.get("address") == "127.0.0.1", f"server.address is {server.get('address')!r}"
    assert server.get("enableXsrfProtection") is True, "server.enableXsrfProtection must be true"
    size = server.get("maxUploadSize")
    assert isinstance(size, int) and 0 < size <= 200, f"server.maxUploadSize must be set (MB), got {size!r}"
    details = cfg.get("client", {}).get("showErrorDetails")
    assert details in (False, "none"), f"client.showErrorDetails must be off ('none' or false), got {details!r}"


def test_loopback_classification():
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "LOCALHOST."):
        assert is_loopback_host(host), host
    for host in ("0.0.0.0", "", None, "::", "10.0.0.1", "192.0.2.1", "example.com", "localhost.example.com",
                 "fonts.googleapis.com", "2001:db8::1"):
        assert not is_loopback_host(host), host
    for url in ("http://127.0.0.1:8501/", "ws://localhost:8501/_stcore/stream", "data:image/png;base64,AA",
                "blob:http://127.0.0.1:8501/x", "http://[::1]:8501/"):
        assert browser_url_is_local(url), url
    for url in ("https://fonts.gstatic.com/a.woff2", "https://cdn.jsdelivr.net/npm/vega", "http://0.0.0.0:1/",
                "ftp://127.0.0.1/", "chrome-extension://abc/x", "http://127.0.0.1.nip.io/"):
        assert not browser_url_is_local(url), url


def test_audit_hook_records_and_flags_non_loopback(tmp_path: Path):
    """The hook is not vacuous: in a child Python with the audit PYTHONPATH, synthetic audit events for a
    non-loopback connect, DNS lookup and HTTP request are logged and flagged; loopback and unix sockets pass.
    (The events are raised with ``sys.audit``: no packet leaves the machine.)"""
    log = tmp_path / "audit.jsonl"
    code = (
        "import socket, sys\n"
        "s = socket.socket(); u = socket.socket(socket.AF_UNIX)\n"
        "sys.audit('socket.connect', s, ('192.0.2.1', 443))\n"
        "sys.audit('socket.getaddrinfo', 'tile.openstreetmap.org', 443, 0, 0, 0)\n"
        "sys.audit('urllib.Request', 'https://checkip.amazonaws.com', None, {}, 'GET')\n"
        "sys.audit('socket.connect', s, ('127.0.0.1', 8501))\n"
        "sys.audit('socket.connect', u, '/run/x.sock')\n"
        "socket.getaddrinfo('127.0.0.1', 80)\n"
        "s.close(); u.close()\n"
    )
    env = dict(os.environ, **{AUDIT_ENV: str(log)})
    env["PYTHONPATH"] = os.pathsep.join([str(NETAUDIT_DIR), *filter(None, [os.environ.get("PYTHONPATH")])])
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    records = read_audit_log(log)
    assert records and records[0]["event"] == "audit.start", records
    flagged = [v for v in map(audit_violation, records) if v]
    assert len(flagged) == 3, json.dumps(records, indent=1)
    assert any("192.0.2.1" in v for v in flagged) and any("openstreetmap" in v for v in flagged)
    assert any("checkip.amazonaws.com" in v for v in flagged)
    assert sum(r["event"] == "socket.getaddrinfo" for r in records) == 2  # the real call was seen too


# ------------------------------------------------------------------------------------------ the session


def _session_gaps(session: SessionRecord) -> list[str]:
    return [f"{step}: {(err or '').splitlines()[0]}" for step, err in session.steps.items() if err is not None]


@pytest.mark.browser
def test_browser_traffic_stays_on_loopback(app_session: SessionRecord):
    app_session.require("load")
    assert app_session.requests, "no browser request was recorded: the recorder is broken"
    assert any("/_stcore/stream" in ws for ws in app_session.websockets), app_session.websockets
    outside = sorted({u for u in app_session.requests + app_session.websockets if not browser_url_is_local(u)})
    assert not outside, "the browser contacted non-loopback addresses:\n" + "\n".join(outside[:50])
    gaps = _session_gaps(app_session)
    assert not gaps, "no outside traffic seen, but the session was incomplete (steps failed):\n" + "\n".join(gaps)


@pytest.mark.browser
def test_server_connections_stay_on_loopback(app_session: SessionRecord):
    app_session.require("load")
    assert app_session.audit_log is not None
    records = read_audit_log(app_session.audit_log)
    started = {r["pid"] for r in records if r.get("event") == "audit.start"}
    assert app_session.server_pid in started, \
        f"the audit hook did not start in the server (pid {app_session.server_pid}; hooks in {sorted(started)})"
    events = [r for r in records if r.get("event") != "audit.start"]
    assert events, "the audit hook saw no network event at all (not even the server's own bind)"
    violations = [v for v in map(audit_violation, records) if v]
    assert not violations, "the server used the network beyond loopback:\n" + "\n".join(violations[:50])
    gaps = _session_gaps(app_session)
    assert not gaps, "no outside traffic seen, but the session was incomplete (steps failed):\n" + "\n".join(gaps)
