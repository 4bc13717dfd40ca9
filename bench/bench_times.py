"""Benchmark: weekday × hour table with aoristic weighting (issue 15) against a plain Python loop.

Run::

    .venv/bin/python -m bench.run times          # or: .venv/bin/python bench/bench_times.py

Target: 1,000,000 records with time windows (two years, Europe/Berlin, both DST changes; windows from
a few minutes to two days, a third of them street-cleaning windows from the evening to the next
morning) → 7 × 24 table in well under a second. The reference is
:func:`geo.analysis.aoristic.aoristic_hours_naive` (zoneinfo, one record and one hour at a time), run in
the same process on a 20,000-record subsample, extrapolated linearly and compared cell by cell.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.analysis.aoristic import aoristic_hours, aoristic_hours_naive  # noqa: E402
from geo.analysis.times import table_from_arrays  # noqa: E402

N = 1_000_000
N_REF = 20_000


def windows(n: int, seed: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """``n`` naive local windows over 2025–2026 (seconds resolution)."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2025-01-01T00:00", "s").astype(np.int64)
    start = base + rng.integers(0, 730 * 86400, n)
    length = rng.choice([300, 1800, 3 * 3600, 14 * 3600, 48 * 3600], n) + rng.integers(0, 3600, n)
    return start.astype("datetime64[s]"), (start + length).astype("datetime64[s]")


def _n(x: float) -> str:
    return f"{x:,.0f}".replace(",", ".")


def _s(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def best_of(fn, repeat: int = 5) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> None:
    start, end = windows(N)
    print(f"Aoristische Wochentag×Stunde-Tabelle, {_n(N)} Datensätze mit Zeitfenster (Bestzeit)")
    t_core, table = best_of(lambda: aoristic_hours(start, end))
    print(f"  aoristic_hours (vektorisiert): {_s(t_core)} s, Summe {_s(table.sum())}")
    t_full, tab = best_of(lambda: table_from_arrays(start.astype("datetime64[ns]"), end.astype("datetime64[ns]")), 3)
    print(f"  table_from_arrays (mit Prüfungen, Ergebnisobjekt): {_s(t_full)} s")
    s_ref, e_ref = start[:N_REF], end[:N_REF]
    t0 = time.perf_counter()
    ref = aoristic_hours_naive(s_ref, e_ref)
    t_ref = time.perf_counter() - t0
    fast = aoristic_hours(s_ref, e_ref)
    diff = float(np.abs(ref - fast).max())
    est = t_ref * N / N_REF
    print(f"  Referenz (Python-Schleife, zoneinfo): {_s(t_ref, 2)} s für {_n(N_REF)} → hochgerechnet {_n(est)} s "
          f"für {_n(N)} → {_n(est / t_core)}× schneller; größte Abweichung je Zelle {diff:.1e}")
    print(f"  Ziel „deutlich unter 1 s“: {'erreicht' if t_full < 1.0 else 'NICHT erreicht'}")
    assert abs(tab.total - N) < 1e-6 * N


if __name__ == "__main__":
    main()
