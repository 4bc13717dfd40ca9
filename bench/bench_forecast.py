"""Benchmark: the forecast's rolling-origin backtest (issue 18) against a straightforward reference.

Run::

    .venv/bin/python -m bench.run forecast          # or: .venv/bin/python bench/bench_forecast.py
    .venv/bin/python bench/bench_forecast.py --quick  # reference on 4 of the 24 scored periods

Target: backtest of every candidate surface (:func:`geo.analysis.forecast.default_candidates`)
over 24 monthly periods on 100,000 finds and a 100k-cell grid in a few seconds (2 cores).

Ours: :func:`geo.analysis.forecast.period_counts` (all finds binned into periods × cells
once) + :func:`geo.analysis.forecast.backtest` (surfaces from the count matrix, fixed-bandwidth
kernel densities once per period by linearity, O(n) top-cell selection).

Reference, in the same run, the way one would write it first: for every scored period and
every candidate, select the finds of the window from the raw arrays by time, aggregate
them to the grid again (decay: per-find weights from the find's age), build the surface,
select the top cells with :func:`geo.analysis.compare.select_top_cells` (a full sort) and
score with :func:`geo.analysis.compare.hit_rate_pai`. Both must give the same PAI for every
method and period (checked). With ``--quick`` the reference runs on 4 periods and is
extrapolated linearly (the output says so).
"""

from __future__ import annotations

import gc
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.analysis.compare import hit_rate_pai, select_top_cells  # noqa: E402
from geo.analysis.forecast import (  # noqa: E402
    BLEND_LONG,
    BLEND_RECENT,
    arcgis_bandwidth,
    backtest,
    default_candidates,
    gistar_surface,
    kde_surface,
    next_period,
    period_counts,
)
from geo.core.grid import aggregate_xy, make_grid  # noqa: E402
from geo.core.period import Period  # noqa: E402

N_FINDS = 100_000
N_PERIODS = 25  # 24 scored + the first one as history
SIDE_M = 6_320.0  # 316 × 316 squares of 20 m ≈ 100k cells
CELL_M = 20.0


def _d(v: float, digits: int = 2) -> str:
    return f"{v:.{digits}f}".replace(".", ",")


def _fmt(s: float) -> str:
    return f"{_d(s * 1000, 0)} ms" if s < 1 else f"{_d(s, 2)} s"


def synthetic(seed: int = 0):
    """100,000 finds over 25 months: drifting clusters plus background noise."""
    rng = np.random.default_rng(seed)
    periods = [Period(pd.Timestamp("2024-01-01").date(), pd.Timestamp("2024-01-31").date())]
    while len(periods) < N_PERIODS:
        periods.append(next_period(periods[-1]))
    per = N_FINDS // N_PERIODS
    xs, ys, ts = [], [], []
    centres = rng.uniform(500, SIDE_M - 500, size=(30, 2))
    for p in periods:
        centres += rng.normal(0, 40, size=centres.shape)
        k = rng.integers(0, len(centres), int(per * 0.7))
        xy = centres[k] + rng.normal(0, 120, size=(len(k), 2))
        xy = np.vstack([xy, rng.uniform(0, SIDE_M, size=(per - len(k), 2))])
        start = p.start_ts.value
        span = p.end_exclusive.value - start
        xs.append(xy[:, 0])
        ys.append(xy[:, 1])
        ts.append((start + rng.integers(0, span, per)).astype("datetime64[ns]"))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ts), periods


def reference(grid, x, y, t, periods, targets, share):
    """Straightforward backtest: re-aggregate raw finds per window, full sort per selection."""
    starts = [p.start_ts.to_datetime64() for p in periods]
    ends = [p.end_exclusive.to_datetime64() for p in periods]
    out = {}

    def window_counts(k, w):
        m = (t >= starts[max(0, k - w)]) & (t < ends[k - 1])
        return aggregate_xy(grid, x[m], y[m])

    for k in targets:
        m = (t >= starts[k]) & (t < ends[k])
        target = aggregate_xy(grid, x[m], y[m])
        for c in default_candidates():
            if c.family == "counts":
                s = window_counts(k, int(c.param))
            elif c.family == "decay":
                m = t < ends[k - 1]
                p_idx = np.searchsorted(np.array(starts), t[m], side="right") - 1
                age = (k - 1) - p_idx
                s = aggregate_xy(grid, x[m], y[m], np.exp2(-age / float(c.param)))
            elif c.family == "kde":
                cw = window_counts(k, c.window)
                b = arcgis_bandwidth(grid, cw) if c.param == "arcgis" else float(c.param) * grid.cell
                s = kde_surface(grid, cw, b)
            elif c.family == "gistar":
                s = gistar_surface(grid, window_counts(k, 1), float(c.param) * grid.cell)
            else:
                a = float(c.param)
                s = a * window_counts(k, BLEND_RECENT) / min(BLEND_RECENT, k) + (1 - a) * window_counts(
                    k, BLEND_LONG) / min(BLEND_LONG, k)
            mask = select_top_cells(s, share, grid=grid)
            out[(c.name, k)] = hit_rate_pai(mask, target)[2]
    return out


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    share = 0.03
    grid = make_grid(shapely.box(0, 0, SIDE_M, SIDE_M), CELL_M, "square")
    x, y, t, periods = synthetic()
    n_c = len(default_candidates())
    print(f"Rückschau: {len(x):_} Funde, {grid.n:_} Zellen, {N_PERIODS - 1} bewertete Monate, "
          f"{n_c} Kandidaten, Flächenanteil {_d(share, 2)}".replace("_", "."))
    best, cpu, bt = math.inf, math.inf, None
    for _ in range(3):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        counts = period_counts(grid, x, y, t, periods)
        bt = backtest(grid, counts, periods, share=share)
        best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    print(f"  unsere (Zählmatrix + backtest): {_fmt(best)} (Bestzeit aus 3; CPU-Zeit {_fmt(cpu)})")
    targets = list(range(1, N_PERIODS))
    ref_targets = targets[:: max(1, len(targets) // 4)][:4] if quick else targets
    gc.collect()
    t0 = time.perf_counter()
    ref = reference(grid, x, y, t, periods, ref_targets, share)
    ref_s = (time.perf_counter() - t0) * len(targets) / len(ref_targets)
    note = f" (gemessen auf {len(ref_targets)} Zeiträumen, linear hochgerechnet)" if quick else ""
    print(f"  Referenz (je Zeitraum und Karte neu aggregiert, volle Sortierung): {_fmt(ref_s)}{note}")
    print(f"  Verhältnis Referenz / unsere: {_d(ref_s / best, 1)}×")
    scores = bt.scores.set_index(["method", "target"])["pai"]
    diffs = pd.Series({key: abs(scores[key] - v) for key, v in ref.items() if np.isfinite(v)})
    worst = diffs.groupby(level=0).max()
    print(f"  größte Abweichung der PAI-Werte (Referenz gegen unsere): {diffs.max():.2e}"
          + (f" ({', '.join(worst[worst > 1e-9].index)}: Gleichstände in Gleitkommasummen anders gebrochen)"
             if (worst > 1e-9).any() else ""))
    print(f"  gewählt: {bt.chosen.name}, mittlerer PAI {_d(bt.chosen_row['pai'], 1)} ± "
          f"{_d(bt.chosen_row['pai_sd'], 1)}; auto (verschachtelt): {_d(bt.row('auto')['pai'], 1)}")


if __name__ == "__main__":
    main()
