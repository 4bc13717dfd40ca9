"""Benchmark: the Lagekarte as the meeting room opens it – cold and warm server, and the server's CPU per session.

Targets (issue 17, measured, never asserted in tests): on a warm server a new browser session sees the Lagekarte
with the demo data in ≤ 2.0 s, on a cold server ≤ 4 s; with warm caches each additional session costs the server
≤ 0.3 s of CPU. Run::

    .venv/bin/python -m bench.run sessions
    .venv/bin/python bench/bench_sessions.py --reference ad4e1fa   # also the app of another commit, same run
    .venv/bin/python bench/bench_sessions.py --sessions 1 5 20     # simultaneous sessions

What is measured
----------------
* **kalt** – a new server on a demo store: from requesting the page until the map is completely drawn
  (``bench.bench_map.WAIT_READY``), first session (reads the store, computes the analyses).
* **warm** – median of 3 (``--warm N``) further new browser sessions (caches warm); with ``--reference`` both
  servers run at once and the sessions alternate between them, so load changes on a shared machine hit both.
* **CPU/Sitzung** – the server process's user+system CPU seconds (``/proc/<pid>/stat``) spent on each of those
  warm sessions (median): what one more person opening the app costs the server.
* **gleichzeitig** (``--sessions``) – N browser sessions opened at once: wall time until all maps are drawn and
  the server's CPU seconds for all of them (browsers run on the same cores, so wall time mixes client and server).

``--reference COMMIT`` checks that commit out into a temporary git worktree and measures its app the same way
in the same run (same store, same browser), so the ratio compares like with like.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_map import CHROMIUM, CHROMIUM_ARGS, WAIT_READY, _free_port, time_page  # noqa: E402

TARGET_WARM_S = 2.0
TARGET_COLD_S = 4.0
TARGET_CPU_S = 0.3
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS  # utime, stime, cutime, cstime


def entry_script(app_dir: Path) -> Path:
    """What ``lagebild app`` of ``app_dir`` runs: ``app_support/serve.py`` where it exists (the app behind its
    middleware, with the heavy imports done while the server starts), else ``app.py`` (older commits)."""
    serve = app_dir / "app_support" / "serve.py"
    return serve if serve.exists() else app_dir / "app.py"


def wait_healthy(port: int, timeout_s: float = 120.0) -> None:
    """Wait until the server on ``port`` answers its health check, as ``lagebild app`` does before it prints the
    address (a server behind ``serve.py`` loads the app, and the imports it warms, before it is healthy)."""
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        with contextlib.suppress(OSError), urllib.request.urlopen(  # noqa: S310 - our own local server
                f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
            if resp.status == 200:
                return
        time.sleep(0.1)


@contextlib.contextmanager
def app_server(app_dir: Path, store: Path):
    """The app of ``app_dir`` (:func:`entry_script`) on ``store`` (headless, offline); yields (url, pid)."""
    port = _free_port()
    env = {**os.environ, "LAGEBILD_STORE": str(store), "LAGEBILD_TILES": "off", "LAGEBILD_DEMO": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(entry_script(app_dir)), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(port)
        yield f"http://127.0.0.1:{port}/", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure(apps: dict[str, Path], store: Path, browser, sessions: tuple[int, ...], warm_runs: int = 3) -> dict:
    """Cold, warm and per-session CPU figures of each app (name → app folder).

    All servers run at once and the warm sessions alternate between the apps, so a change of the machine's load
    during the run affects every app alike (the ratios stay fair on a shared machine).
    """
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(app_server(folder, store)) for name, folder in apps.items()}
        out = {name: {"cold_s": time_page(browser, url, timeout_ms=300_000), "warm": [], "cpu": [], "together": {}}
               for name, (url, _pid) in servers.items()}
        for _ in range(warm_runs):
            for name, (url, pid) in servers.items():
                c0 = cpu_seconds(pid)
                out[name]["warm"].append(time_page(browser, url, timeout_ms=300_000))
                time.sleep(0.5)  # the session's last messages
                out[name]["cpu"].append(cpu_seconds(pid) - c0)
        for n in sessions:
            for name, (url, pid) in servers.items():
                c0 = cpu_seconds(pid)
                out[name]["together"][n] = (time_sessions(browser, url, n), cpu_seconds(pid) - c0)
    return {name: {"cold_s": r["cold_s"], "warm_s": float(np.median(r["warm"])), "cpu_s": float(np.median(r["cpu"])),
                   "together": r["together"]} for name, r in out.items()}


def time_sessions(browser, url: str, n: int, timeout_ms: int = 600_000) -> float:
    """Seconds until ``n`` new sessions, requested at once, all show the complete map."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(n)]
    pages = [c.new_page() for c in contexts]
    t0 = time.perf_counter()
    for page in pages:
        page.goto(url, wait_until="commit", timeout=timeout_ms)
    for page in pages:
        page.evaluate(WAIT_READY)
    seconds = time.perf_counter() - t0
    for c in contexts:
        c.close()
    return seconds


def demo_store(folder: Path) -> Path:
    from geo.core.area import leipziger_osten
    from geo.data.demo import load_demo
    from geo.data.store import Store

    store = Store(folder / "demo.gpkg", leipziger_osten())
    load_demo(store)
    return store.path


@contextlib.contextmanager
def reference_checkout(commit: str):
    """A temporary git worktree of ``commit`` (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="lagebild-ref-"))
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(folder), commit], cwd=ROOT, check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)


@contextlib.contextmanager
def browser_and_apps(reference: str | None):
    """Chromium (offline, :data:`bench.bench_map.CHROMIUM_ARGS`) and the apps to measure: this checkout as ``heute``
    and, with ``reference``, that commit's app from a temporary worktree (:func:`reference_checkout`); yields
    ``(browser, {name: app folder})``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, contextlib.ExitStack() as stack:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        stack.callback(browser.close)
        apps = {"heute": ROOT}
        if reference:
            apps[reference[:10]] = stack.enter_context(reference_checkout(reference))
        yield browser, apps


def _row(name: str, r: dict) -> str:
    return (f"  {name:<12} {r['cold_s']:>7.2f} s {r['warm_s']:>7.2f} s {r['cpu_s']:>9.2f} s"
            + "".join(f"   {n} gleichzeitig: {w:.1f} s / CPU {c:.1f} s" for n, (w, c) in r["together"].items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark: Lagekarte je Sitzung")
    parser.add_argument("--reference", default=None, metavar="COMMIT", help="auch die App dieses Commits messen")
    parser.add_argument("--sessions", nargs="*", type=int, default=[5], help="gleichzeitige Sitzungen")
    parser.add_argument("--warm", type=int, default=3, help="neue Sitzungen je App auf dem warmen Server (Median)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="lagebild-bench-sessions-") as tmp, \
            browser_and_apps(args.reference) as (browser, apps):
        results = measure(apps, demo_store(Path(tmp)), browser, tuple(args.sessions), args.warm)
    print("Lagekarte mit den Demodaten (Chromium, offline):")
    print(f"  {'App':<12} {'kalt':>9} {'warm':>9} {'CPU/Sitzung':>11}")
    for name, r in results.items():
        print(_row(name, r))
    now = results["heute"]
    print(f"  Ziele: warm ≤ {TARGET_WARM_S} s, kalt ≤ {TARGET_COLD_S} s, CPU je weitere Sitzung ≤ {TARGET_CPU_S} s -> "
          + ", ".join(f"{label} {'erreicht' if ok else 'VERFEHLT'}" for label, ok in (
              ("warm", now["warm_s"] <= TARGET_WARM_S), ("kalt", now["cold_s"] <= TARGET_COLD_S),
              ("CPU", now["cpu_s"] <= TARGET_CPU_S))))
    if args.reference:
        ref = results[args.reference[:10]]
        print(f"  Verhältnis Referenz/heute: kalt {ref['cold_s'] / now['cold_s']:.2f}×, "
              f"warm {ref['warm_s'] / now['warm_s']:.2f}×, CPU/Sitzung {ref['cpu_s'] / max(now['cpu_s'], 1e-3):.2f}×")


if __name__ == "__main__":
    main()
