"""Shared harness for the real-browser tests (tests/test_browser.py, tests/test_offline.py).

Why Playwright: Streamlit's AppTest runs the script without a browser, so it cannot see what planners
see — the React front end, Vega charts drawn on a canvas, downloads, page requests and the websocket.
Playwright drives Debian's Chromium (``/usr/bin/chromium``; no browser download) against a real
``streamlit run`` server on a free loopback port.

One browser session serves both test modules: the session-scoped fixture :func:`app_session` starts the
server (with the network audit hook of ``tests/netaudit/sitecustomize.py``), drives a full planner session
once (load, change a weight, run the optimizer, download the workbook and a chart PNG, visit every view
and take a full-page screenshot of each) and hands the record to the tests, which then assert on it. The
server is stopped by its PID in the fixture's finaliser, always. Every wait is bounded.

Registered as a plugin (``pytest_plugins = ["browser_support"]`` in each test module), so the fixture is
shared across modules and the session runs once per pytest run. (PYTEST_DONT_REWRITE: the test modules
import this module before pytest registers it; it has no asserts to rewrite.)
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
NETAUDIT_DIR = Path(__file__).resolve().parent / "netaudit"
AUDIT_ENV = "PRIORITIZER_NETAUDIT_LOG"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1920, "height": 1080}
MAX_SCREENSHOT_HEIGHT = 12_000  # px; a full-page screenshot taller than this is cut (and reported)

SERVER_START_TIMEOUT_S = 60.0
RUN_TIMEOUT_MS = 60_000  # one Streamlit script run (the optimizer and robustness runs included)
NAV_TIMEOUT_MS = 30_000

# A view whose main area must show at least one drawn Vega chart (after the runs of the session).
CHART_VIEWS = frozenset({"matrix", "map", "profile", "allocation", "robustness"})

APP_SELECTOR = '[data-testid="stApp"]'
ERROR_SELECTORS = {
    "exception box": '[data-testid="stException"]',
    "error alert": '[data-testid="stAlertContentError"]',
}


# ------------------------------------------------------------------------------------------- chromium


def require_chromium() -> None:
    """Skip when Debian's Chromium is missing — but fail under CI=true (``.ci/run`` installs it)."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    message = f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) for the browser tests"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------------------------- server


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the server is started on it at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StreamlitServer:
    """A ``streamlit run app.py`` subprocess on a loopback port; stop it with :meth:`stop`."""

    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate this server by its PID; kill it if it does not exit within 10 s."""
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _health(url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:  # noqa: S310 - loopback only
            return resp.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError):
        return None


def start_server(workdir: Path, audit_log: Path | None = None, attempts: int = 3) -> StreamlitServer:
    """Start the app on a free loopback port and wait (≤ 60 s) until ``/_stcore/health`` says ``ok``.

    The health answer alone is not trusted (another server may own a port we lost in a race): the process
    must still be alive and its own log must announce the URL with our port. On a port clash, retry.
    """
    env = dict(os.environ)
    env["PRIORITIZER_SCENARIO_DB"] = str(workdir / "scenarios.db")
    env["PYTHONUNBUFFERED"] = "1"
    if audit_log is not None:
        env[AUDIT_ENV] = str(audit_log)
        env["PYTHONPATH"] = os.pathsep.join([str(NETAUDIT_DIR), *filter(None, [env.get("PYTHONPATH")])])
    last_log, tries = "", 0
    while tries < attempts:
        tries += 1
        port = free_port()
        log_path = workdir / f"streamlit-{port}.log"
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               # Nobody edits the code during a planner's session; during development other engineers do, and
               # Streamlit's module watcher would reload prioritizer.* mid-test (cached objects then no longer
               # pickle: "not the same object as prioritizer.allocate.AllocationSettings").
               "--server.fileWatcherType", "none"]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        server = StreamlitServer(proc, port, log_path)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                if _health(server.url) == "ok" and f":{port}" in server.log_text() and proc.poll() is None:
                    return server
                time.sleep(0.25)
        except BaseException:
            server.stop()
            raise
        server.stop()
        last_log = server.log_text()
        if "is not available" not in last_log:  # not a port clash: do not hide a real start-up failure
            break
    raise RuntimeError(f"streamlit did not become healthy within {SERVER_START_TIMEOUT_S:.0f} s "
                       f"(attempt {tries} of {attempts}); server log:\n{last_log[-4000:]}")


# ---------------------------------------------------------------------------------------- page helpers


def wait_for_run(page: Any, timeout_ms: int = RUN_TIMEOUT_MS, settle_ms: int = 300) -> None:
    """Wait until the script run triggered by the last action has finished and the page is fresh.

    A run may not have started yet when this is called, so wait ``settle_ms`` first (as Streamlit's own e2e
    helper does), then for a connected, not-running app without stale elements or loading skeletons (element
    code is loaded lazily: metrics and tables first appear as skeletons).
    """
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            if (!app) return false;
            if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
            if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
            return document.querySelectorAll('[data-stale="true"], [data-testid="stSkeleton"]').length === 0;
        }""",
        timeout=timeout_ms, polling=100)


def error_texts(page: Any) -> list[str]:
    """Visible exception boxes and error alerts, as ``kind: text``."""
    found = []
    for kind, selector in ERROR_SELECTORS.items():
        for el in page.locator(selector).all():
            with contextlib.suppress(Exception):
                found.append(f"{kind}: {el.inner_text(timeout=2_000).strip()[:500]}")
    return found


def chart_boxes(page: Any) -> list[dict[str, float]]:
    """Every Vega chart (canvas or svg inside ``.vega-embed``) in the main area: its size in CSS pixels and,
    for a canvas, ``ink`` = share of sampled pixels that are neither transparent nor near-white (an empty
    chart has ink ≈ 0); for an svg, ``ink`` = number of drawn data-mark items (children of Vega's
    ``g.role-mark`` groups: axes, legends and titles do not count, so an empty chart has ink 0)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
                '[data-testid="stMain"] .vega-embed canvas, [data-testid="stMain"] .vega-embed svg.marks'))
            .map(el => {
                const r = el.getBoundingClientRect();
                let ink = null;
                if (el.tagName.toLowerCase() === 'canvas') {
                    try {
                        const ctx = el.getContext('2d');
                        const d = ctx.getImageData(0, 0, el.width, el.height).data;
                        let n = 0, inked = 0;
                        for (let i = 0; i < d.length; i += 4 * 7) {
                            n++;
                            if (d[i + 3] > 16 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) inked++;
                        }
                        ink = n ? inked / n : 0;
                    } catch (e) { ink = -1; }
                } else {
                    ink = el.querySelectorAll('g.role-mark > *').length;
                }
                return {w: Math.round(r.width), h: Math.round(r.height), kind: el.tagName.toLowerCase(), ink: ink};
            })""")


def wait_for_charts(page: Any, minimum: int = 1, timeout_ms: int = 20_000) -> list[dict[str, float]]:
    """Wait (bounded) until at least ``minimum`` Vega charts have a non-zero size; return them all
    (see :func:`chart_boxes`). Does not fail by itself: the caller asserts on what it got."""
    with contextlib.suppress(Exception):
        page.wait_for_function(
            """(n) => Array.from(document.querySelectorAll(
                    '[data-testid="stMain"] .vega-embed canvas, [data-testid="stMain"] .vega-embed svg.marks'))
                .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
                .length >= n""",
            arg=minimum, timeout=timeout_ms, polling=200)
    page.wait_for_timeout(300)  # sized → drawn
    return chart_boxes(page)


def full_page_screenshot(page: Any, path: Path) -> dict[str, int]:
    """Screenshot of the whole view: Streamlit scrolls inside its own container, so the viewport is
    grown to the content height (capped at ``MAX_SCREENSHOT_HEIGHT``), then restored. The PNG is written
    next to ``path`` and renamed into place (another pytest run may be writing the same folder)."""
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const side = document.querySelector('[data-testid="stSidebarContent"]');
            const hs = [document.documentElement.scrollHeight];
            if (main) hs.push(main.scrollHeight);
            if (side) hs.push(side.scrollHeight);
            return Math.ceil(Math.max(...hs));
        }""")
    shot_height = max(VIEWPORT["height"], min(int(height), MAX_SCREENSHOT_HEIGHT))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": shot_height})
        page.wait_for_timeout(600)  # let stretch-width charts and the data grid re-layout
        png = page.screenshot(full_page=True, timeout=30_000)
    finally:
        page.set_viewport_size(VIEWPORT)
        page.wait_for_timeout(200)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_bytes(png)
    os.replace(part, path)
    return {"content_height": int(height), "screenshot_height": shot_height, "bytes": len(png)}


def sidebar_slider(page: Any, label: str) -> Any:
    """The thumb (role=slider) of the sidebar slider with this label."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has=page.get_by_text(label, exact=True)).get_by_role("slider")


def ranking_snapshot(page: Any) -> dict[str, Any]:
    """What the top sheet shows about the ranking: headline metrics, the highest-propensity line and
    the first rows of the data grid (read from its accessibility table)."""
    metrics = {}
    for m in page.locator('[data-testid="stMain"] [data-testid="stMetric"]').all():
        label = m.locator('[data-testid="stMetricLabel"]').inner_text(timeout=5_000).strip()
        metrics[label] = m.locator('[data-testid="stMetricValue"]').inner_text(timeout=5_000).strip()
    headline = ""
    loc = page.locator('[data-testid="stMain"] [data-testid="stMarkdown"]').filter(has_text="Highest propensity")
    if loc.count():
        headline = loc.first.inner_text(timeout=5_000).strip()
    rows_js = """() => {
            const grid = document.querySelector('[data-testid="stMain"] [data-testid="stDataFrame"] table');
            if (!grid) return [];
            return Array.from(grid.querySelectorAll('tbody tr')).slice(0, 12)
                .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()).join(' | '));
        }"""
    with contextlib.suppress(Exception):  # the grid fills its accessibility table after its first paint
        page.wait_for_function(f"() => ({rows_js})().length > 0", timeout=15_000, polling=200)
    rows = page.evaluate(rows_js)
    return {"metrics": metrics, "headline": headline, "rows": rows}


def go_to_view(page: Any, label: str) -> None:
    """Open a view's page from the sidebar navigation (``st.navigation``) and wait for the run."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=label, exact=True).click(
        timeout=NAV_TIMEOUT_MS)
    wait_for_run(page)


def view_title(page: Any) -> str:
    loc = page.locator(".pp-title")
    return loc.first.inner_text(timeout=5_000).strip() if loc.count() else ""


# ----------------------------------------------------------------------------------------------- network


LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback_host(host: Any) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and the localhost names; False for anything else,
    including the wildcard ``""`` / ``0.0.0.0`` / ``None`` (all interfaces)."""
    if isinstance(host, bytes):
        host = host.decode("utf-8", "replace")
    if not isinstance(host, str) or not host:
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(mapped is not None and mapped.is_loopback)


def browser_url_is_local(url: str) -> bool:
    """Browser requests may go to the loopback server or stay inside the page (data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    if parts.scheme in ("http", "https", "ws", "wss"):
        return is_loopback_host(parts.hostname)
    return False


def read_audit_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


def audit_violation(rec: dict[str, Any]) -> str | None:
    """Why an audit record is a non-loopback network use, or None when it is local."""
    event = rec.get("event")
    if event in (None, "audit.start"):
        return None
    if rec.get("family") == "AF_UNIX":
        return None
    if event == "urllib.Request":
        url = str(rec.get("url"))
        return None if browser_url_is_local(url) else f"urllib.Request to {url}"
    host = rec.get("host")
    if is_loopback_host(host):
        return None
    return f"{event} to {rec.get('address')!r} (family {rec.get('family')}, pid {rec.get('pid')})"


# ------------------------------------------------------------------------------------------ the session


@dataclass
class ViewRecord:
    view: str
    label: str
    title: str = ""
    errors: list[str] = field(default_factory=list)
    charts: list[dict[str, float]] = field(default_factory=list)
    screenshot: Path | None = None
    heights: dict[str, int] = field(default_factory=dict)
    failure: str | None = None


@dataclass
class SessionRecord:
    """Everything the full browser session saw; each step records its own failure instead of stopping."""

    server_url: str
    server_pid: int = 0
    steps: dict[str, str | None] = field(default_factory=dict)  # step → None (passed) or failure text
    timings: dict[str, float] = field(default_factory=dict)  # step → seconds
    data: dict[str, Any] = field(default_factory=dict)
    views: dict[str, ViewRecord] = field(default_factory=dict)
    downloads: dict[str, Path] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    audit_log: Path | None = None
    server_log: str = ""
    seconds: float = 0.0

    def require(self, step: str) -> None:
        """Fail the calling test when a step of the session failed (or never ran)."""
        if step not in self.steps:
            pytest.fail(f"session step {step!r} did not run (an earlier step broke the session): {self.steps}",
                        pytrace=False)
        if self.steps[step] is not None:
            pytest.fail(f"session step {step!r} failed:\n{self.steps[step]}", pytrace=False)


def _step(record: SessionRecord, name: str, fn: Callable[[], Any], page: Any = None) -> Any:
    """Run one step; a failure is recorded (with a screenshot in test-artifacts/failures/) instead of raised."""
    started = time.monotonic()
    try:
        out = fn()
    except Exception as exc:  # recorded: the test that owns this step reports it
        record.steps[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
        if page is not None:
            with contextlib.suppress(Exception):
                shot = ARTIFACTS / "failures" / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), full_page=True, timeout=10_000)
                record.steps[name] += f"\n(screenshot of the page at the failure: {shot})"
        return None
    finally:
        record.timings[name] = round(time.monotonic() - started, 1)
    record.steps[name] = None
    return out


def _download(page: Any, button_label: str, dest_dir: Path, scope: str = "") -> Path:
    """Click a Streamlit download button (by its label) and save the file; returns its path."""
    root = page.locator(scope) if scope else page
    button = root.locator('[data-testid="stDownloadButton"]').get_by_role("button", name=button_label, exact=True)
    # A download button's file is made on click from a callable registered by the *current* script run; a
    # click during a rerun (e.g. the one the previous download triggered) asks for a file the server has
    # already dropped ("Deferred file ... not found"). So: wait for a quiet app before and after.
    wait_for_run(page, settle_ms=100)
    with page.expect_download(timeout=RUN_TIMEOUT_MS) as info:
        button.first.click(timeout=NAV_TIMEOUT_MS)
    download = info.value
    wait_for_run(page)
    failure = download.failure()
    if failure:
        raise RuntimeError(f"download of {button_label!r} failed: {failure}")
    dest = dest_dir / download.suggested_filename
    download.save_as(str(dest))
    return dest


def drive_session(browser: Any, server: StreamlitServer, workdir: Path, views: dict[str, str],
                  record: SessionRecord) -> None:
    """The planner session. Fills ``record``; never raises for a failed step."""
    from prioritizer.domain import CATEGORY_LABELS

    started = time.monotonic()
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.on("request", lambda req: record.requests.append(req.url))
    page = context.new_page()
    page.set_default_timeout(NAV_TIMEOUT_MS)
    page.on("websocket", lambda ws: record.websockets.append(ws.url))
    page.on("pageerror", lambda exc: record.page_errors.append(str(exc)[:500]))
    page.on("console", lambda msg: record.console_errors.append(
        f"{msg.text[:400]} [{(msg.location or {}).get('url', '')[:200]}]") if msg.type == "error" else None)
    downloads = workdir / "downloads"
    downloads.mkdir(exist_ok=True)
    try:
        def load() -> None:
            page.goto(server.url + "/", wait_until="domcontentloaded", timeout=NAV_TIMEOUT_MS)
            page.wait_for_selector(APP_SELECTOR, timeout=NAV_TIMEOUT_MS)
            wait_for_run(page, settle_ms=500)
            page.locator(".pp-title").first.wait_for(timeout=RUN_TIMEOUT_MS)
            record.data["initial_title"] = view_title(page)
            record.data["initial_errors"] = error_texts(page)
            record.data["marking"] = page.locator(".pp-marking").first.inner_text(timeout=5_000).strip()
            record.data["before"] = ranking_snapshot(page)
            record.data["url_before"] = page.url

        _step(record, "load", load, page)
        if record.steps["load"] is not None:
            return

        def change_weight() -> None:
            label = CATEGORY_LABELS["us_engagement"]
            thumb = sidebar_slider(page, label)
            thumb.scroll_into_view_if_needed(timeout=NAV_TIMEOUT_MS)
            record.data["weight_label"] = label
            record.data["weight_before"] = thumb.input_value(timeout=5_000)
            thumb.focus()
            thumb.press("End")  # one commit: the slider jumps to its maximum (100)
            wait_for_run(page, settle_ms=600)
            record.data["weight_after"] = thumb.input_value(timeout=5_000)
            # The metrics repaint in the same run, but the grid refills its accessibility table after its own
            # repaint: wait (as a planner would glance back) until its first row is no longer the old one.
            first_before = (record.data["before"]["rows"] or [""])[0]
            with contextlib.suppress(Exception):
                page.wait_for_function(
                    """(old) => {
                        const sel = '[data-testid="stMain"] [data-testid="stDataFrame"] table tbody tr';
                        const row = document.querySelector(sel);
                        if (!row) return false;
                        return Array.from(row.querySelectorAll('td')).map(c => c.innerText.trim()).join(' | ') !== old;
                    }""", arg=first_before, timeout=15_000, polling=200)
            record.data["after"] = ranking_snapshot(page)
            record.data["url_after"] = page.url
            record.data["weight_errors"] = error_texts(page)

        _step(record, "change_weight", change_weight, page)

        def allocation() -> None:
            go_to_view(page, views["allocation"])
            page.get_by_role("button", name="Run optimizer").first.click(timeout=NAV_TIMEOUT_MS)
            wait_for_run(page, settle_ms=500)
            metrics = {}
            for m in page.locator('[data-testid="stMain"] [data-testid="stMetric"]').all():
                label = m.locator('[data-testid="stMetricLabel"]').inner_text(timeout=5_000).strip()
                metrics[label] = m.locator('[data-testid="stMetricValue"]').inner_text(timeout=5_000).strip()
            record.data["allocation_metrics"] = metrics
            record.data["allocation_charts"] = wait_for_charts(page, minimum=3)
            record.data["allocation_errors"] = error_texts(page)
            page.get_by_role("button", name="Compute efficient frontier").first.click(timeout=NAV_TIMEOUT_MS)
            wait_for_run(page, settle_ms=500)
            record.data["frontier_charts"] = wait_for_charts(page, minimum=4)
            record.data["frontier_errors"] = error_texts(page)

        _step(record, "allocation", allocation, page)

        def chart_png() -> None:
            record.downloads["chart_png"] = _download(page, "PNG", downloads, '[data-testid="stMain"]')

        _step(record, "chart_png", chart_png, page)

        def workbook() -> None:
            record.downloads["workbook"] = _download(page, "Excel workbook", downloads, '[data-testid="stSidebar"]')

        _step(record, "workbook", workbook, page)

        def robustness() -> None:
            go_to_view(page, views["robustness"])
            button = page.get_by_role("button", name="Run robustness")
            if button.count():
                button.first.click(timeout=NAV_TIMEOUT_MS)
                wait_for_run(page, timeout_ms=RUN_TIMEOUT_MS * 2, settle_ms=500)
            record.data["robustness_errors"] = error_texts(page)

        _step(record, "robustness", robustness, page)

        for view, label in views.items():
            vr = ViewRecord(view=view, label=label)
            record.views[view] = vr

            def visit(vr: ViewRecord = vr) -> None:
                go_to_view(page, vr.label)
                page.locator(".pp-title").filter(has_text=vr.label).first.wait_for(timeout=RUN_TIMEOUT_MS)
                vr.title = view_title(page)
                if vr.view in CHART_VIEWS:
                    vr.charts = wait_for_charts(page, minimum=1)
                else:
                    vr.charts = chart_boxes(page)
                vr.errors = error_texts(page)
                vr.screenshot = SCREENSHOTS / f"{vr.view}.png"
                vr.heights = full_page_screenshot(page, vr.screenshot)

            _step(record, f"view:{view}", visit, page)
            vr.failure = record.steps[f"view:{view}"]

        def deep_link() -> None:
            # A fresh browser tab on ?view=matrix (with the current scenario token) opens that view.
            url = re.sub(r"([?&])view=[^&]*", r"\1view=matrix", page.url)
            if "view=" not in url:
                url += ("&" if "?" in url else "?") + "view=matrix"
            other = context.new_page()
            try:
                other.on("websocket", lambda ws: record.websockets.append(ws.url))
                other.goto(url, wait_until="domcontentloaded", timeout=NAV_TIMEOUT_MS)
                other.wait_for_selector(APP_SELECTOR, timeout=NAV_TIMEOUT_MS)
                wait_for_run(other, settle_ms=500)
                other.locator(".pp-title").first.wait_for(timeout=RUN_TIMEOUT_MS)
                record.data["deep_link_title"] = view_title(other)
                record.data["deep_link_errors"] = error_texts(other)
                record.data["deep_link_charts"] = wait_for_charts(other, minimum=1)
            finally:
                other.close()

        _step(record, "deep_link", deep_link)

        def saved_runs() -> None:
            # Run → save → refresh: the saved scenario's link shows its runs without pressing a button.
            go_to_view(page, views["scenarios"])
            page.get_by_label("Save as").fill("Browser brief")
            page.get_by_label("Save as").press("Enter")
            wait_for_run(page)
            page.get_by_role("button", name="Save scenario").click(timeout=NAV_TIMEOUT_MS)
            wait_for_run(page, settle_ms=500)
            record.data["save_message"] = " ".join(
                el.inner_text() for el in page.locator('[data-testid="stAlertContentSuccess"]').all())
            go_to_view(page, views["allocation"])
            page.reload(wait_until="domcontentloaded", timeout=NAV_TIMEOUT_MS)
            page.wait_for_selector(APP_SELECTOR, timeout=NAV_TIMEOUT_MS)
            wait_for_run(page, settle_ms=800)
            page.locator(".pp-title").first.wait_for(timeout=RUN_TIMEOUT_MS)
            metrics = {}
            for m in page.locator('[data-testid="stMain"] [data-testid="stMetric"]').all():
                label = m.locator('[data-testid="stMetricLabel"]').inner_text(timeout=5_000).strip()
                metrics[label] = m.locator('[data-testid="stMetricValue"]').inner_text(timeout=5_000).strip()
            record.data["refresh_title"] = view_title(page)
            record.data["refresh_metrics"] = metrics
            record.data["refresh_charts"] = wait_for_charts(page, minimum=3)
            record.data["refresh_text"] = page.locator('[data-testid="stMain"]').inner_text(timeout=10_000)
            record.data["refresh_errors"] = error_texts(page)

        _step(record, "saved_runs", saved_runs, page)

        def presentation() -> None:
            # Presentation mode on, sidebar collapsed: every view at 1920×1080 as it would be projected.
            page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"], [data-testid="stSidebar"] '
                         '[data-testid="stToggle"]').filter(has_text="Presentation mode").first.click()
            wait_for_run(page, settle_ms=500)
            for view, label in views.items():
                expand = page.locator('[data-testid="stExpandSidebarButton"], '
                                      '[data-testid="stSidebarCollapsedControl"] button')
                if expand.count() and expand.first.is_visible():
                    expand.first.click()
                    page.wait_for_timeout(400)
                go_to_view(page, label)
                page.locator('[data-testid="stSidebar"]').hover()
                collapse = page.locator('[data-testid="stSidebarCollapseButton"] button, '
                                        '[data-testid="stSidebarCollapseButton"]')
                with contextlib.suppress(Exception):
                    collapse.first.click(timeout=5_000)
                page.wait_for_timeout(900)
                if view in CHART_VIEWS:
                    wait_for_charts(page, minimum=1)
                shot = SCREENSHOTS / f"presentation_{view}.png"
                part = shot.with_name(f".{shot.name}.{os.getpid()}.part")
                part.write_bytes(page.screenshot(full_page=False, timeout=30_000))
                os.replace(part, shot)
                record.data.setdefault("presentation", {})[view] = page.evaluate(
                    """() => {
                        const box = sel => { const el = document.querySelector(sel); if (!el) return null;
                            const r = el.getBoundingClientRect();
                            return {top: r.top, bottom: r.bottom, h: r.height, text: el.innerText.trim()}; };
                        const sc = document.querySelector('[data-testid="stMain"] [data-testid="stDataFrame"] '
                                                          + '.dvn-scroller');
                        return {top: box('.pp-marking[data-band="top"]'),
                                bottom: box('.pp-marking[data-band="bottom"]'),
                                vh: window.innerHeight,
                                sidebar: (document.querySelector('[data-testid="stSidebar"]') || {}).offsetWidth || 0,
                                grid: sc ? {sw: sc.scrollWidth, cw: sc.clientWidth} : null,
                                items: Array.from(document.querySelectorAll('[data-testid="stMain"] .pp-item'))
                                    .map(el => el.getBoundingClientRect().bottom),
                                buttons: Array.from(document.querySelectorAll('[data-testid="stMain"] .stButton'))
                                    .filter(b => b.offsetParent !== null).length};
                    }""")
                record.data["presentation"][view]["errors"] = error_texts(page)

        _step(record, "presentation", presentation, page)
    finally:
        with contextlib.suppress(Exception):
            context.close()
        record.seconds = time.monotonic() - started


def _write_summary(record: SessionRecord) -> None:
    """test-artifacts/session.json: steps, timings and what each view showed (for humans reading a failure)."""
    summary = {
        "server_url": record.server_url, "seconds": round(record.seconds, 1), "timings": record.timings,
        "failed_steps": {k: v for k, v in record.steps.items() if v is not None},
        "views": {v.view: {"title": v.title, "errors": v.errors, "charts": v.charts, "heights": v.heights}
                  for v in record.views.values()},
        "downloads": {k: str(v) for k, v in record.downloads.items()},
        "requests": len(record.requests), "websockets": record.websockets,
        "page_errors": record.page_errors, "console_errors": record.console_errors,
    }
    with contextlib.suppress(OSError):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "session.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")


@pytest.fixture(scope="session")
def app_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionRecord]:
    """Start the server (audited), drive the full session once in Chromium, stop the server always."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    from prioritizer.scenario import VIEWS

    workdir = tmp_path_factory.mktemp("browser")
    audit_log = workdir / "netaudit.jsonl"
    # Screenshots of views that no longer exist and old failure shots go; current ones are overwritten in
    # place (never delete them: a concurrent pytest run in the same checkout may be reading them).
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stale = [p for p in SCREENSHOTS.glob("*.png") if p.stem not in VIEWS]
    stale += list((ARTIFACTS / "failures").glob("*.png"))
    for old in stale:
        with contextlib.suppress(OSError):
            old.unlink()
    server = start_server(workdir, audit_log=audit_log)
    record = SessionRecord(server_url=server.url, server_pid=server.proc.pid, audit_log=audit_log)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                         timeout=60_000)
            try:
                drive_session(browser, server, workdir, dict(VIEWS), record)
            finally:
                browser.close()
        server.stop()  # the session is over: stop now so the log is complete for the tests
        record.server_log = server.log_text()
        _write_summary(record)
        yield record
    finally:
        server.stop()
        with contextlib.suppress(OSError):
            (ARTIFACTS / "streamlit-server.log").write_text(record.server_log, encoding="utf-8")
