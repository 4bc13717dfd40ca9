"""Benchmark: import 1,000,000 CSV rows (validation included) into a fresh store.

Target (issue 2): under 30 s and under 3 GB peak memory on 2 cores. For scale, the same
file is also loaded the plain way with no validation at all (pandas ``read_csv`` →
GeoDataFrame → reproject → GeoPackage via geopandas/pyogrio); the ratio says what the
checking costs. Run::

    .venv/bin/python -m bench.run import        # or: .venv/bin/python bench/bench_import.py [ROWS]

The import runs in a child process so its peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 1_000_000


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A realistic German CSV: semicolons, decimal commas, German dates, 1 % bad rows."""
    rng = np.random.default_rng(seed)
    lat = 51.335 + rng.random(rows) * 0.02
    lon = 12.39 + rng.random(rows) * 0.045
    t = pd.Timestamp("2024-11-01") + pd.to_timedelta(rng.integers(0, 700 * 24 * 60, rows), unit="min")
    df = pd.DataFrame({
        "Datum": t.strftime("%d.%m.%Y %H:%M"),
        "Breite": np.char.replace(np.round(lat, 6).astype(str), ".", ","),
        "Länge": np.char.replace(np.round(lon, 6).astype(str), ".", ","),
        "Anzahl": rng.integers(1, 5, rows),
        "Quelle": rng.choice(["Stadtreinigung", "Streetwork", "Polizei", "Bürger"], rows),
    })
    bad = rng.random(rows) < 0.01
    df.loc[bad, "Datum"] = "kein Datum"
    df.to_csv(path, sep=";", index=False)


_CHILD = """
import resource, sys, time
from datetime import datetime
from geo.core.area import leipziger_osten
from geo.data.ingest import import_file
from geo.data.store import Store
t = time.perf_counter()
r = import_file(sys.argv[1], "syringe_find", Store(sys.argv[2], leipziger_osten()), now=datetime(2026, 11, 22))
dt = time.perf_counter() - t
print(r.rows_read, r.stored, r.rejected, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


_REFERENCE = """
import resource, sys, time
import geopandas as gpd, pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], sep=";", decimal=",")
gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["Länge"], df["Breite"]), crs=4326).to_crs(25833)
gdf.to_file(sys.argv[2], layer="syringe_find", engine="pyogrio")
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(rows: int = ROWS) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "funde.csv"
        t = time.perf_counter()
        make_csv(csv_path, rows)
        gen = time.perf_counter() - t
        out = subprocess.run([sys.executable, "-c", _CHILD, str(csv_path), str(Path(tmp) / "s.gpkg")],
                             capture_output=True, text=True, check=True)
        read, stored, rejected, secs, maxrss_kb = out.stdout.split()
        ref = subprocess.run([sys.executable, "-c", _REFERENCE, str(csv_path), str(Path(tmp) / "ref.gpkg")],
                             capture_output=True, text=True, check=True)
        ref_secs, ref_kb = ref.stdout.split()
        return {"rows": int(read), "stored": int(stored), "rejected": int(rejected), "seconds": float(secs),
                "peak_gb": int(maxrss_kb) / 1024**2, "csv_mb": csv_path.stat().st_size / 1e6, "generate_s": gen,
                "reference_s": float(ref_secs), "reference_gb": int(ref_kb) / 1024**2}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    rows = int(argv[0]) if argv else ROWS
    r = run(rows)
    print(f"Import {r['rows']:,} CSV-Zeilen ({r['csv_mb']:.0f} MB): {r['seconds']:.1f} s, "
          f"Spitze {r['peak_gb']:.2f} GB RAM; gespeichert {r['stored']:,}, abgelehnt {r['rejected']:,}")
    print(f"  Ziel: < 30 s und < 3 GB -> {'erreicht' if r['seconds'] < 30 and r['peak_gb'] < 3 else 'VERFEHLT'}"
          f" ({r['rows'] / r['seconds']:,.0f} Zeilen/s)")
    print(f"  Referenz ohne Prüfung (pandas.read_csv → GeoDataFrame → GeoPackage): {r['reference_s']:.1f} s, "
          f"{r['reference_gb']:.2f} GB -> Verhältnis Lagebild/Referenz {r['seconds'] / r['reference_s']:.2f}")


if __name__ == "__main__":
    main()
