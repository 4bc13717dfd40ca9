"""Benchmark: the PostGIS store against the GeoPackage store, measured in the same run.

1. Import 1,000,000 CSV rows (validation included, 1 % bad rows) into a fresh store of each
   backend; one child process each.
2. 4 concurrent importers of 100,000 rows each (distinct files, started at once) into each
   backend: wall time, throughput, and the check that nothing was lost or doubled
   (stored rows = sum of the imports' ``stored``, ids unique).
3. The Lagekarte page (``app.py`` in Streamlit's AppTest, the Python side: reading the store,
   analyses, building the map) on the demo data plus 100,000 finds in the Rapport period,
   one fresh process per backend: first run (cold caches) and a rerun (warm caches).

Ratios are PostGIS / GeoPackage. The server is a throwaway cluster (``tests/pgcluster.py``:
Debian's PostgreSQL + PostGIS on a Unix socket, ``fsync`` off like in the tests) unless
``LAGEBILD_BENCH_PG`` names a database URL to use (it must be empty). Run::

    .venv/bin/python -m bench.run postgis
    .venv/bin/python bench/bench_postgis.py [ROWS] [ROWS_EACH] [PAGE_FINDS]   # smaller or larger runs
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_import import make_csv  # noqa: E402
from geo.core.schema import SYRINGE_FIND  # noqa: E402

ROWS = 1_000_000
ROWS_EACH = 100_000
WRITERS = 4
PAGE_FINDS = 100_000

_CHILD = """
import sys, time
from datetime import datetime
from geo.core.area import leipziger_osten
from geo.core.schema import SYRINGE_FIND
from geo.data.ingest import import_file
from geo.data.store import open_store
store = open_store(sys.argv[2], leipziger_osten())
t = time.perf_counter()
r = import_file(sys.argv[1], SYRINGE_FIND, store, now=datetime(2026, 11, 22))
print(r.rows_read, r.stored, r.rejected, time.perf_counter() - t, flush=True)
"""


def _env(files: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if files is not None:
        env["LAGEBILD_STORE_FILES"] = str(files)  # rejects of the PostGIS store: in the temporary folder
    return env


def _import(csv_path: Path, location: str, cwd: Path) -> tuple[int, int, int, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(csv_path), location], capture_output=True, text=True,
                         env=_env(cwd), cwd=cwd)
    if out.returncode:
        raise RuntimeError(out.stderr[-800:])
    read, stored, rejected, secs = out.stdout.split()
    return int(read), int(stored), int(rejected), float(secs)


def _concurrent(files: list[Path], location: str, cwd: Path) -> tuple[float, int]:
    """Start one importer per file at once; wall time and the sum of stored rows."""
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(f), location], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env(cwd), cwd=cwd) for f in files]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - t
    if any(p.returncode for p in procs):
        raise RuntimeError("; ".join(o[1][-300:] for o in outs))
    return wall, sum(int(o[0].split()[1]) for o in outs)


_PAGE = """
import sys, time
from streamlit.testing.v1 import AppTest
t = time.perf_counter()
at = AppTest.from_file(sys.argv[1], default_timeout=600).run()
first = time.perf_counter() - t
assert not at.exception, at.exception
t = time.perf_counter()
at.run()
print(first, time.perf_counter() - t, {m.label: m.value for m in at.metric}["Spritzenfunde"], flush=True)
"""


def _page(location: str, cwd: Path) -> tuple[float, float, str]:
    env = {**_env(cwd), "LAGEBILD_STORE": location, "LAGEBILD_DEMO": "0", "LAGEBILD_TILES": ""}
    out = subprocess.run([sys.executable, "-c", _PAGE, str(ROOT / "app.py")], capture_output=True, text=True,
                         env=env, cwd=cwd)
    if out.returncode:
        raise RuntimeError(out.stderr[-800:])
    first, warm, finds = out.stdout.split()[-3:]
    return float(first), float(warm), finds


def _page_stores(tmp: Path, pg_url: str, n: int) -> str:
    """Demo data plus ``n`` finds in September–October 2026 in a GeoPackage, copied into ``pg_url``."""
    from bench.bench_map import make_finds
    from geo.core.area import leipziger_osten
    from geo.data.demo import load_demo
    from geo.data.ingest import import_frame
    from geo.data.pgstore import PgStore
    from geo.data.store import Store
    from geo.data.storecopy import copy_store

    store = Store(tmp / "karte.gpkg", leipziger_osten())
    load_demo(store)
    import_frame(make_finds(n).drop(columns=["record_id", "import_id"]), SYRINGE_FIND, store, source="bench")
    copy_store(store, PgStore(pg_url, store.area, local_dir=tmp))
    return str(store.path)


def _check(location: str, expected: int) -> None:
    from geo.core.area import leipziger_osten
    from geo.data.store import open_store

    store = open_store(location, leipziger_osten())
    ids = store.ids(SYRINGE_FIND)
    if len(ids) != expected or not ids.is_unique:
        raise AssertionError(f"{location}: {len(ids)} rows stored, {expected} expected (unique: {ids.is_unique})")


def run(rows: int = ROWS, rows_each: int = ROWS_EACH, page_finds: int = PAGE_FINDS) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from pgcluster import start_cluster

    from geo.data.pgstore import close_pools

    cluster = None
    urls = [u for u in (os.environ.get("LAGEBILD_BENCH_PG"),) if u]
    if not urls:
        cluster = start_cluster()
    try:
        def new_db() -> str:
            from geo.core.area import leipziger_osten
            from geo.data.store import open_store

            url = urls[0] if cluster is None else cluster.url(cluster.new_database())
            open_store(url, leipziger_osten()).migrate()  # schema set up before the clock starts
            return url

        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            big = tmp / "funde.csv"
            make_csv(big, rows)
            res: dict = {"rows": rows, "rows_each": rows_each}
            _, stored_g, _, res["gpkg_1m_s"] = _import(big, str(tmp / "s.gpkg"), tmp)
            pg1 = new_db()
            _, stored_p, _, res["pg_1m_s"] = _import(big, pg1, tmp)
            assert stored_g == stored_p, (stored_g, stored_p)
            res["stored"] = stored_p
            files = []
            for w in range(WRITERS):
                f = tmp / f"w{w}.csv"
                make_csv(f, rows_each, seed=100 + w)
                files.append(f)
            res["gpkg_conc_s"], gsum = _concurrent(files, str(tmp / "c.gpkg"), tmp)
            _check(str(tmp / "c.gpkg"), gsum)
            pg2 = new_db() if cluster is not None else None
            if pg2 is not None:
                res["pg_conc_s"], psum = _concurrent(files, pg2, tmp)
                _check(pg2, psum)
                assert gsum == psum, (gsum, psum)
            res["conc_stored"] = gsum
            if cluster is not None and page_finds:
                pg3 = new_db()
                gpkg = _page_stores(tmp, pg3, page_finds)
                res["page_finds"] = page_finds
                res["gpkg_page"] = _page(gpkg, tmp)
                res["pg_page"] = _page(pg3, tmp)
                assert res["gpkg_page"][2] == res["pg_page"][2], (res["gpkg_page"], res["pg_page"])
            close_pools()
            return res
    finally:
        if cluster is not None:
            close_pools()
            cluster.stop()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    rows = int(argv[0]) if argv else ROWS
    each = int(argv[1]) if len(argv) > 1 else ROWS_EACH
    page = int(argv[2]) if len(argv) > 2 else PAGE_FINDS
    r = run(rows, each, page)
    print(f"Import {r['rows']:,} Zeilen ({r['stored']:,} gespeichert):  GeoPackage {r['gpkg_1m_s']:.1f} s, "
          f"PostGIS {r['pg_1m_s']:.1f} s  → Verhältnis PostGIS/GeoPackage {r['pg_1m_s'] / r['gpkg_1m_s']:.2f}")
    if "pg_conc_s" in r:
        total = WRITERS * r["rows_each"]
        print(f"{WRITERS} gleichzeitige Importe à {r['rows_each']:,} Zeilen ({r['conc_stored']:,} gespeichert, "
              f"nichts verloren oder doppelt): GeoPackage {r['gpkg_conc_s']:.1f} s ({total / r['gpkg_conc_s']:,.0f} "
              f"Zeilen/s), PostGIS {r['pg_conc_s']:.1f} s ({total / r['pg_conc_s']:,.0f} Zeilen/s) "
              f"→ Verhältnis {r['pg_conc_s'] / r['gpkg_conc_s']:.2f}")
    if "pg_page" in r:
        (g1, g2, n), (p1, p2, _) = r["gpkg_page"], r["pg_page"]
        print(f"Lagekarte (AppTest) mit {r['page_finds']:,} Funden (Kennzahl Spritzenfunde {n} auf beiden): "
              f"erster Lauf GeoPackage {g1:.1f} s, PostGIS {p1:.1f} s → Verhältnis {p1 / g1:.2f}; "
              f"mit Cache GeoPackage {g2:.2f} s, PostGIS {p2:.2f} s → Verhältnis {p2 / g2:.2f}")


if __name__ == "__main__":
    main()
