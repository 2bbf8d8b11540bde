"""Many users at once: N concurrent browser sessions against one ``streamlit run app.py`` server.

Run: ``python benchmarks/bench_concurrent.py [--sessions 10] [--changes 3] [--port 8598]``.
Prints figures, no asserts: sessions, errors (exceptions on the page or failed interactions), the
median and p95 interaction time (a what-if weight change until the page has settled), and the server's
resident memory (VmRSS incl. children, /proc) idle, at peak and at the end. Playwright (async API, one
Debian Chromium, one browser context per session); loopback only. Each session also saves a scenario,
so the scenario store takes concurrent writes (``--database-url`` for a shared PostgreSQL store).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_app import rss_mb, wait_http  # noqa: E402


async def settle(page) -> None:
    await page.wait_for_selector("div.pp-marking", timeout=180_000)
    await page.wait_for_timeout(300)
    for _ in range(720):
        if await page.locator('[data-testid="stStatusWidget"]').count() == 0:
            break
        await page.wait_for_timeout(250)


async def session(browser, base: str, i: int, changes: int, times: list[float], errors: list[str]) -> None:
    ctx = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)  # a loaded 2-core machine: wait for the page, do not count slowness as errors
    try:
        await page.goto(f"{base}/?view=top_sheet", timeout=180_000)
        await settle(page)
        for _ in range(changes):
            slider = page.get_by_role("slider").first
            await slider.focus()
            t0 = time.perf_counter()
            await page.keyboard.press("ArrowRight")
            await settle(page)
            times.append(time.perf_counter() - t0)
        await page.goto(f"{base}/?view=scenarios", timeout=180_000)
        await settle(page)
        await page.get_by_label("Save as").fill(f"bench session {i}")
        t0 = time.perf_counter()
        await page.get_by_role("button", name="Save scenario").click()
        await settle(page)
        times.append(time.perf_counter() - t0)
        if await page.locator('[data-testid="stException"]').count():
            errors.append(f"session {i}: exception shown on the page")
    except Exception as exc:  # noqa: BLE001 - a benchmark counts failures, it does not stop on them
        errors.append(f"session {i}: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        await ctx.close()


async def drive(base: str, sessions: int, changes: int, server_pid: int) -> None:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    peak = [rss_mb(server_pid)]

    async def sample() -> None:
        while True:
            peak.append(rss_mb(server_pid))
            await asyncio.sleep(0.5)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        sampler = asyncio.create_task(sample())
        t0 = time.perf_counter()
        await asyncio.gather(*(session(browser, base, i, changes, times, errors) for i in range(sessions)))
        wall = time.perf_counter() - t0
        sampler.cancel()
        await browser.close()
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else float("nan")
    print(f"  {sessions} concurrent sessions, {changes} what-if changes + 1 scenario save each, wall {wall:.1f} s")
    print(f"  errors: {len(errors)}" + "".join(f"\n    - {e.splitlines()[0]}" for e in errors))
    if times:
        print(f"  interaction time: median {1000 * statistics.median(times):.0f} ms, p95 {1000 * p95:.0f} ms, "
              f"max {1000 * times[-1]:.0f} ms (n={len(times)})")
    print(f"  server RSS: peak {max(peak):.0f} MB, end {rss_mb(server_pid):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--port", type=int, default=8598)
    parser.add_argument("--database-url", default="", help="PRIORITIZER_DATABASE_URL for the server (default: SQLite)")
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "bench_scenarios.db"
    env = dict(os.environ, PRIORITIZER_SCENARIO_DB=str(db))
    if args.database_url:
        env["PRIORITIZER_DATABASE_URL"] = args.database_url
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(args.port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_http(base + "/_stcore/health")
        time.sleep(1.0)
        print(f"Concurrent sessions (streamlit run app.py, pid {server.pid}, store "
              f"{'PostgreSQL' if args.database_url else 'SQLite'})")
        print(f"  idle server RSS: {rss_mb(server.pid):.0f} MB")
        asyncio.run(drive(base, args.sessions, args.changes, server.pid))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
