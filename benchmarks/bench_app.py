"""App responsiveness and server memory.

Run: ``python benchmarks/bench_app.py [--reps 15] [--sessions 5] [--port 8597] [--skip-memory] [--skip-apptest]``.
Prints figures, no asserts.

0. What-if latency in the browser (the figure issue #10 item 6 asks for): ``streamlit run app.py`` on a
   loopback port, Chromium (Playwright, /usr/bin/chromium) on the top sheet at 1920×1080; a sidebar weight
   slider is moved one step with the keyboard (a new value each time: a scoring-cache miss) and the time is
   taken in the page's own clock from the key press until the script run has finished and no element is
   stale any more (the updated ranking is on screen). Target ≤ 0.35 s on the sample.

1. What-if latency (AppTest, in process): a weight slider moved to a new value (a scoring-cache miss:
   re-score, match, peers, top sheet) vs a rerun of the same page with scoring skipped (the scores come
   from ``st.cache_data``: widgets, URL token, table styling and rendering only). The ratio is the
   overhead of scoring on a what-if click. The library call alone (``score_and_match`` + peers) is
   timed for reference.
2. Server memory: ``streamlit run app.py`` on a loopback port, then N browser sessions (Playwright
   driving /usr/bin/chromium, one page per session, each on the top sheet, then the allocation view
   with the optimizer run); resident memory (VmRSS of the server process, /proc) after each step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ms(values: list[float]) -> str:
    return f"median {1000 * statistics.median(values):7.1f} ms  (min {1000 * min(values):.1f}, " \
           f"max {1000 * max(values):.1f}, n={len(values)})"


def bench_latency(reps: int) -> None:
    from streamlit.testing.v1 import AppTest

    from prioritizer import scenario
    from prioritizer.data.dataset import load_dataset
    from prioritizer.paths import DEFAULT_PROFILE
    from prioritizer.pipeline import score_and_match
    from prioritizer.scoring.match import peers
    from prioritizer.scoring.settings import load_matching_settings, load_profile

    os.environ.setdefault("PRIORITIZER_SCENARIO_DB", "/tmp/bench_app_scenarios.db")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    slider = "w_governance"
    change, same = [], []
    for i in range(reps):
        at.sidebar.slider(key=slider).set_value(30 + i)  # a value not seen before: scoring-cache miss
        t = time.perf_counter()
        at.run()
        change.append(time.perf_counter() - t)
        t = time.perf_counter()
        at.run()  # same settings: scores come from st.cache_data
        same.append(time.perf_counter() - t)
    assert not at.exception, at.exception

    dataset = load_dataset()
    base = load_profile(DEFAULT_PROFILE, dataset.dictionary)
    matching = load_matching_settings()
    lib = []
    for i in range(reps):
        scen = scenario.default_scenario(base)
        scen["category_weights"]["governance"] = 30 + i
        t = time.perf_counter()
        result = score_and_match(dataset, scenario.build_profile(base, scen), matching)
        peers(result.constructs, k=matching.peers, names=result.scores["name"])
        lib.append(time.perf_counter() - t)

    print("What-if latency (AppTest, top sheet, 196 partners)")
    print(f"  first run of a session (imports, data load, scoring): {first:.2f} s")
    print(f"  weight change -> updated ranking (rerun, re-score):  {ms(change)}")
    print(f"  same page, scoring skipped (rerun, cached scores):   {ms(same)}")
    print(f"  overhead ratio (change / skipped):                   "
          f"{statistics.median(change) / statistics.median(same):.2f}x")
    print(f"  library only: score_and_match + peers:               {ms(lib)}")


FRESH_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && document.querySelectorAll('[data-stale="true"], [data-testid="stSkeleton"]').length === 0;
}"""
WATCH_JS = """(fresh) => {
    const isFresh = eval(fresh);
    window.__ppFresh = performance.now();
    window.__ppRunStart = 0;
    window.__ppWasRunning = false;
    const check = () => {  // the script state: when does a run start and end?
        const app = document.querySelector('[data-testid="stApp"]');
        const running = !!app && app.getAttribute('data-test-script-state') === 'running';
        if (running && !window.__ppWasRunning) window.__ppRunStart = performance.now();
        if (!running && window.__ppWasRunning) window.__ppRunEnd = performance.now();
        window.__ppWasRunning = running;
    };
    const poll = () => { check(); requestAnimationFrame(poll); };
    requestAnimationFrame(poll);
    new MutationObserver(() => { check(); if (isFresh()) window.__ppFresh = performance.now(); })
        .observe(document.body, {subtree: true, attributes: true, childList: true});
}"""


def start_app(port: int, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_browser_latency(reps: int, port: int) -> None:
    """Key press on a weight slider → fresh page with the new ranking, in Chromium (page clock)."""
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, PRIORITIZER_SCENARIO_DB="/tmp/bench_app_scenarios.db")
    server = start_app(port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/_stcore/health")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            page.goto(f"{base}/", timeout=120_000)
            settle(page)
            page.wait_for_function(FRESH_JS, timeout=120_000)
            thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
                has=page.get_by_text("Consistency of US support", exact=False)).get_by_role("slider").first
            thumb.scroll_into_view_if_needed()
            page.evaluate(WATCH_JS, FRESH_JS)
            times, starts, ends = [], [], []
            key = "ArrowRight" if int(thumb.get_attribute("aria-valuenow") or 0) < 50 else "ArrowLeft"
            for i in range(reps + 2):  # the first two presses warm the page's element code; not counted
                thumb.focus()
                t0 = page.evaluate("performance.now()")
                page.keyboard.press(key)  # one step in one direction: a value not seen before (cache miss)
                page.wait_for_function(f"() => window.__ppRunStart > {t0} && window.__ppFresh > window.__ppRunStart",
                                       timeout=60_000, polling=10)
                page.wait_for_timeout(150)
                if i >= 2:
                    fresh, running, done = page.evaluate("[window.__ppFresh, window.__ppRunStart, window.__ppRunEnd]")
                    times.append((fresh - t0) / 1000.0)
                    starts.append((running - t0) / 1000.0)
                    ends.append((done - running) / 1000.0)
            browser.close()
        print("What-if latency in Chromium (streamlit run app.py, top sheet, 1920x1080)")
        print(f"  weight key press -> fresh page with the new ranking: {ms(times)}")
        print(f"    of which key press -> script run starts (widget):  {ms(starts)}")
        print(f"    script run (server, as the page sees it):         {ms(ends)}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024.0


def wait_http(url: str, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # loopback only
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


def settle(page) -> None:
    page.wait_for_selector("div.pp-marking", timeout=120000)
    page.wait_for_timeout(500)
    for _ in range(240):
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            break
        page.wait_for_timeout(250)


def bench_memory(sessions: int, port: int) -> None:
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, PRIORITIZER_SCENARIO_DB="/tmp/bench_app_scenarios.db")
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/_stcore/health")
        time.sleep(1.0)
        print(f"Server memory (streamlit run app.py, pid {server.pid}, VmRSS incl. children)")
        print(f"  idle server, no session:                {rss_mb(server.pid):7.1f} MB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            pages = []
            for i in range(sessions):
                page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
                page.goto(f"{base}/?view=top_sheet")
                settle(page)
                pages.append(page)
                print(f"  {i + 1} session(s), top sheet:             {rss_mb(server.pid):7.1f} MB")
            for page in pages:
                page.goto(f"{base}/?view=allocation")
                settle(page)
                page.get_by_role("button", name="Run optimizer").click()
                settle(page)
            print(f"  {sessions} sessions, optimizer run in each:   {rss_mb(server.pid):7.1f} MB")
            for i, page in enumerate(pages):
                page.goto(f"{base}/?view=top_sheet")
                settle(page)
                page.get_by_role("slider").first.focus()
                page.keyboard.press("ArrowRight")
                settle(page)
                del i
            print(f"  {sessions} sessions, one what-if change each: {rss_mb(server.pid):7.1f} MB")
            browser.close()
        time.sleep(1.0)
        print(f"  browsers closed:                        {rss_mb(server.pid):7.1f} MB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--port", type=int, default=8597)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-apptest", action="store_true")
    args = parser.parse_args()
    bench_browser_latency(args.reps, args.port)
    print()
    if not args.skip_apptest:
        bench_latency(args.reps)
    if not args.skip_memory:
        print()
        bench_memory(args.sessions, args.port)


if __name__ == "__main__":
    main()
