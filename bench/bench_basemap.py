"""Benchmark: the Lagekarte with a base map of 8,500 buildings and 100,000 finds (issue 11).

Target: with 8,500 buildings and 100,000 finds, the Lagekarte is visible in ≤ 3 s in a new browser
session on a warm server, measured against the same page without a base map in the same run. Run::

    .venv/bin/python -m bench.run basemap
    .venv/bin/python bench/bench_basemap.py 20000      # fewer finds
    .venv/bin/python bench/bench_basemap.py --reference f6550c9   # also another commit's app, same run

What is measured
----------------
Two ``streamlit run app.py`` servers on the same demo store plus the finds, one with the base map
imported (the shared OSM buildings from ``../shared/data`` when present, else 8,500 synthetic
footprints), one without. After a first (uncached) request each, the median of 3 new browser
sessions per server: from requesting the page until the map is completely drawn (``LB.ready()``,
the layer control, with the base map: its data loaded) and two animation frames passed. The base
map is a static versioned file: a new session may fetch it (≈ 0.4 MB), but it never travels with a
rerun. Also printed: the base file's size and the time to encode it (once per store content).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_map import WAIT_READY, _free_port, make_finds  # noqa: E402
from bench.bench_sessions import entry_script, wait_healthy  # noqa: E402
from geo.core.area import leipziger_osten  # noqa: E402
from geo.core.schema import SYRINGE_FIND  # noqa: E402

N_FINDS = 100_000
N_BUILDINGS = 8_500
TARGET_S = 3.0
SHARED = Path(os.environ.get("LAGEBILD_SHARED") or ROOT.parent / "shared") / "data" / \
    "leipzig_osten_gebaeude_osm.geojson"
WAIT_BASE = "() => window.LB && Object.keys(window.LB.baseData || {}).length > 0"


def synthetic_buildings(n: int = N_BUILDINGS, seed: int = 3) -> gpd.GeoDataFrame:
    """``n`` footprints of 10–25 m on a jittered grid over the study area (when no shared data)."""
    area = leipziger_osten()
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.boundary.bounds
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.meshgrid(np.linspace(minx, maxx, side), np.linspace(miny, maxy, side))
    xy = np.column_stack([gx.ravel(), gy.ravel()])[:n] + rng.normal(0, 5, (n, 2))
    w, h = rng.uniform(10, 25, n), rng.uniform(10, 25, n)
    geoms = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + w, xy[:, 1] + h)
    return gpd.GeoDataFrame({"theme": ["building"] * n, "name": "", "street": "", "housenumber": ""},
                            geometry=geoms, crs=area.crs)


def _buildings() -> tuple[gpd.GeoDataFrame, str]:
    if SHARED.is_file():
        from geo.data.basefile import read_base_file

        return read_base_file(SHARED, leipziger_osten()), "OSM-Gebäude aus ../shared"
    return synthetic_buildings(), "synthetische Gebäude"


def _time(browser, url: str, base: bool, timeout_ms: int = 300_000) -> float:
    """Seconds until the map (and its base data) is completely drawn in a new browser session."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.wait_for_selector("iframe[title*='st_folium']", timeout=timeout_ms)
    frame = next(f for f in page.frames if "st_folium" in f.url)
    if base:
        frame.wait_for_function(WAIT_BASE, timeout=timeout_ms)
    page.evaluate(WAIT_READY)
    seconds = time.perf_counter() - t0
    ctx.close()
    return seconds


@contextlib.contextmanager
def _server(store_path: Path, app_dir: Path = ROOT):
    """The app of ``app_dir`` (:func:`bench.bench_sessions.entry_script`) on the store; yields ``(url, pid)``."""
    port = _free_port()
    env = {**os.environ, "LAGEBILD_STORE": str(store_path), "LAGEBILD_DEMO": "0"}
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark der Lagekarte mit Grundkarte")
    parser.add_argument("finds", nargs="?", type=int, default=N_FINDS)
    parser.add_argument("--reference", default=None, metavar="COMMIT",
                        help="auch die App dieses Commits messen (gleiche Speicher, gleicher Lauf)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    import shutil

    from bench.bench_sessions import browser_and_apps, cpu_seconds
    from geo.data.demo import load_demo
    from geo.data.ingest import import_frame
    from geo.data.store import Store
    from layers.baselayers import build_base_layers

    buildings, source = _buildings()
    t = time.perf_counter()
    encoded = build_base_layers(buildings)
    encode_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="lagebild-bench-base-") as tmp:
        plain = Store(Path(tmp) / "ohne.gpkg", leipziger_osten())
        load_demo(plain)
        import_frame(make_finds(args.finds).drop(columns=["record_id", "import_id"]), SYRINGE_FIND, plain,
                     source=f"bench-{args.finds}")
        with_base = Store(Path(tmp) / "mit.gpkg", leipziger_osten())
        shutil.copyfile(plain.path, with_base.path)
        with_base.write_base("gebaeude", buildings)
        with browser_and_apps(args.reference) as (browser, apps):
            results = _measure(apps, browser, plain, with_base, cpu_seconds)
    print(f"Lagekarte mit {args.finds:,} Funden; Grundkarte: {len(buildings):,} {source}, "
          f"Datei {len(encoded.script) / 1e6:.2f} MB, kodiert in {encode_s:.2f} s")
    for app, rows in results.items():
        for label, (first, warm, cpu) in rows.items():
            print(f"  {app:<10} {label:<16} erster Aufruf {first:6.1f} s, neue Sitzung (warmer Server, Median aus 3) "
                  f"{warm:5.2f} s, Server-CPU je Sitzung {cpu:4.2f} s")
    now = results["heute"]
    ratio = now["mit Grundkarte"][1] / now["ohne Grundkarte"][1]
    ok = now["mit Grundkarte"][1] <= TARGET_S
    print(f"  Verhältnis mit/ohne: {ratio:.2f}; Ziel ≤ {TARGET_S:.0f} s -> {'erreicht' if ok else 'VERFEHLT'}")
    if args.reference:
        ref = results[args.reference[:10]]["mit Grundkarte"]
        print(f"  Verhältnis Referenz/heute mit Grundkarte: erster Aufruf {ref[0] / now['mit Grundkarte'][0]:.2f}×, "
              f"neue Sitzung {ref[1] / now['mit Grundkarte'][1]:.2f}×, "
              f"CPU je Sitzung {ref[2] / max(now['mit Grundkarte'][2], 1e-3):.2f}×")


def _measure(apps: dict[str, Path], browser, plain, with_base, cpu_seconds) -> dict[str, dict]:
    """Per store (without/with base map) and app: first request, median of 3 new sessions and the median server
    CPU of those. The apps' servers run at once and the sessions alternate between them (fair on a loaded
    machine)."""
    rows: dict[str, dict] = {name: {} for name in apps}
    for label, store in (("ohne Grundkarte", plain), ("mit Grundkarte", with_base)):
        has_base = store is with_base
        with contextlib.ExitStack() as stack:
            servers = {name: stack.enter_context(_server(store.path, folder)) for name, folder in apps.items()}
            # uncached: reading, analyses, encoding the base
            first = {name: _time(browser, url, has_base) for name, (url, _pid) in servers.items()}
            warm: dict[str, list] = {name: [] for name in apps}
            cpu: dict[str, list] = {name: [] for name in apps}
            for _ in range(3):
                for name, (url, pid) in servers.items():
                    c0 = cpu_seconds(pid)
                    warm[name].append(_time(browser, url, has_base))
                    time.sleep(0.5)  # the session's last messages
                    cpu[name].append(cpu_seconds(pid) - c0)
        for name in apps:
            rows[name][label] = (first[name], float(np.median(warm[name])), float(np.median(cpu[name])))
    return rows

if __name__ == "__main__":
    main()
