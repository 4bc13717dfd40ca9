"""Benchmark: the Lagekarte with 1,000 / 10,000 / 100,000 syringe finds in the period.

Target (issue 4): with 100,000 finds, the first complete map render in headless Chromium
takes under 3 s after the page is requested, and the map payload stays under 5 MB. Run::

    .venv/bin/python -m bench.run map                    # or: .venv/bin/python bench/bench_map.py
    .venv/bin/python bench/bench_map.py 1000 100000      # other sizes
    .venv/bin/python bench/bench_map.py --streamlit      # also time the Streamlit page (slow: builds a store)

What is measured
----------------
* **map** – the map as the app builds it (base map, finds, hot-spot grid, kernel density,
  sensitive places) rendered by ``layers/`` to an HTML page that loads the offline assets
  from a local HTTP server, as the app serves them. Time = from ``page.goto`` until every
  layer is drawn (``LB.ready()``: marker clusters finished, dots painted) and two animation
  frames have passed. Payload = the page without the (cacheable) library files.
* **build** – Python time to compute hot spots and density and turn everything into the
  page (what the app caches per period and filter).
* **streamlit** (``--streamlit``) – ``streamlit run app.py`` on a store with the finds:
  from requesting the page until the map inside the app is completely drawn (first,
  uncached run: includes reading the store and the analyses; then median of 3 new browser
  sessions with warm caches).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.schema import SENSITIVE_PLACE, SYRINGE_FIND

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.core.area import leipziger_osten  # noqa: E402
from geo.data.demo import LANDMARKS, generate_demo  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
TARGET_S = 3.0
TARGET_MB = 5.0
CHROMIUM = "/usr/bin/chromium"
#: Offline as a machine without internet: no host name resolves except the local server's. (Not Playwright's
#: ``page.route``: it sends every request through the Python client, ≈ 0.3 s more for the ~150 files a new session
#: of the app loads, which the meeting room's browser does not pay.)
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", *OFFLINE_ARGS]
PERIOD_START = pd.Timestamp("2026-09-01")


def make_finds(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` synthetic finds in September–October 2026: 70 % around the demo landmarks, 30 % spread."""
    area = leipziger_osten()
    rng = np.random.default_rng(seed)
    tr = area.to_metric
    centres = np.array([tr.transform(lon, lat) for lat, lon in LANDMARKS.values()])
    k = int(n * 0.7)
    pick = centres[rng.integers(0, len(centres), k)]
    clustered = pick + rng.normal(0, 80, (k, 2))
    minx, miny, maxx, maxy = area.boundary.bounds
    spread = np.column_stack([rng.uniform(minx, maxx, n - k), rng.uniform(miny, maxy, n - k)])
    xy = np.vstack([clustered, spread])
    return gpd.GeoDataFrame(
        {
            "record_id": [f"{i:016x}" for i in range(n)],
            "import_id": 1,
            "found_at": PERIOD_START + pd.to_timedelta(rng.integers(0, 61 * 24 * 60, n), unit="min"),
            "count": rng.integers(1, 6, n),
            "source": rng.choice(["Stadtreinigung", "Streetwork", "Polizei", "Bürger"], n),
            "reporter": "",
        },
        geometry=shapely.points(xy), crs=area.crs,
    )


def build_page(finds: gpd.GeoDataFrame, asset_base: str = "/static/lagebild") -> tuple[str, int, float]:
    """The map page for ``finds``: ``(html, data_bytes, build_seconds)``."""
    from geo.analysis.density import kde
    from geo.analysis.hotspots import hotspot_analysis
    from layers.basemap import base_map
    from layers.elements import LayerControl
    from layers.map import MapContent, overlay_groups, overlay_scripts

    area = leipziger_osten()
    t = time.perf_counter()
    hs = hotspot_analysis(finds, area, weight="count")
    dens = kde(finds, "count", bounds=area.boundary.bounds, cell=15.0, crs=area.crs)
    places = generate_demo(area=area)[SENSITIVE_PLACE]
    overlays = overlay_scripts(MapContent(records={SYRINGE_FIND: finds}, places=places, hotspot_cells=hs.cells,
                                          density=dens))
    m = base_map(area, asset_base=asset_base)
    for group in overlay_groups(overlays):
        m.add_child(group)
    m.add_child(LayerControl())
    html = m.get_root().render()
    seconds = time.perf_counter() - t
    data_bytes = sum(len(s.encode()) for o in overlays for s in o.scripts)
    return html, data_bytes, seconds


@contextlib.contextmanager
def serve(folder: Path):
    """A local HTTP server for ``folder`` (in a thread); yields its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no request log on stderr
            return None

    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


WAIT_READY = """() => new Promise(resolve => {
  const check = () => {
    const w = [window, ...Array.from(document.querySelectorAll('iframe')).map(f => {
      try { return f.contentWindow; } catch (e) { return null; } })].find(x => x && x.LB && x.map_div !== undefined
      || x && x.LB && Object.keys(x).some(k => k.startsWith('map_')));
    if (w && w.LB.ready() && w.document.querySelector('.leaflet-control-layers')) {
      w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve(performance.now())));
    } else { setTimeout(check, 20); }
  };
  check();
})"""


def time_page(browser, url: str, timeout_ms: int = 120_000) -> float:
    """Seconds from requesting ``url`` until the map is completely drawn (fresh browser context)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.wait_for_function("() => true")
    page.evaluate(WAIT_READY)
    seconds = time.perf_counter() - t0
    ctx.close()
    if errors:
        raise RuntimeError(f"Fehler im Browser: {errors[0]}")
    return seconds


def run_standalone(sizes: tuple[int, ...], browser) -> list[dict]:
    from layers.assets import ensure_static

    results = []
    with tempfile.TemporaryDirectory(prefix="lagebild-bench-map-") as tmp:
        folder = Path(tmp)
        ensure_static(folder / "static")
        with serve(folder) as base:
            for n in sizes:
                html, data_bytes, build_s = build_page(make_finds(n))
                (folder / f"map_{n}.html").write_text(html, encoding="utf-8")
                time_page(browser, f"{base}/map_{n}.html")  # warm-up: browser and HTTP caches
                times = [time_page(browser, f"{base}/map_{n}.html") for _ in range(3)]
                results.append({"finds": n, "render_s": float(np.median(times)), "payload_mb": len(html.encode()) / 1e6,
                                "data_mb": data_bytes / 1e6, "build_s": build_s})
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_streamlit(n: int, browser) -> dict:
    """Time the Streamlit Lagekarte on a store with ``n`` finds in the Rapport period (first run, uncached)."""
    from geo.data.demo import load_demo
    from geo.data.ingest import import_frame
    from geo.data.store import Store

    with tempfile.TemporaryDirectory(prefix="lagebild-bench-st-") as tmp:
        store = Store(Path(tmp) / "bench.gpkg", leipziger_osten())
        load_demo(store)
        finds = make_finds(n).drop(columns=["record_id", "import_id"])
        import_frame(finds, SYRINGE_FIND, store, source=f"bench-{n}")
        port = _free_port()
        env = {**os.environ, "LAGEBILD_STORE": str(store.path), "LAGEBILD_TILES": ""}
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            for _ in range(300):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                time.sleep(0.1)
            first = time_page(browser, url, timeout_ms=300_000)
            warm = [time_page(browser, url, timeout_ms=300_000) for _ in range(3)]  # new sessions, caches warm
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"finds": n, "first_s": first, "cached_s": float(np.median(warm)), "cached_all": warm}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark der Lagekarte")
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--streamlit", action="store_true", help="auch die Streamlit-Seite messen (langsam)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            print("Karte (layers/, Assets lokal ausgeliefert), Median aus 3 Läufen:")
            print(f"  {'Funde':>8} {'Darstellung':>12} {'Seite':>9} {'davon Daten':>12} {'Aufbau Python':>14}")
            results = run_standalone(tuple(args.sizes), browser)
            for r in results:
                print(f"  {r['finds']:>8,} {r['render_s']:>10.2f} s {r['payload_mb']:>6.2f} MB {r['data_mb']:>9.2f} MB"
                      f" {r['build_s']:>12.2f} s")
            big = max(results, key=lambda r: r["finds"])
            ok = big["render_s"] < TARGET_S and big["payload_mb"] < TARGET_MB
            print(f"  Ziel bei {big['finds']:,} Funden: < {TARGET_S:.0f} s und < {TARGET_MB:.0f} MB -> "
                  f"{'erreicht' if ok else 'VERFEHLT'}")
            if args.streamlit:
                r = run_streamlit(big["finds"], browser)
                print(f"Streamlit-Seite mit {r['finds']:,} Funden: erster Aufruf {r['first_s']:.1f} s "
                      f"(ungecacht, inkl. Lesen und Analysen), neue Sitzung mit warmen Caches {r['cached_s']:.1f} s "
                      f"(Median; {', '.join(f'{t:.1f}' for t in r['cached_all'])} s)")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
