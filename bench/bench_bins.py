"""Benchmark: siting new disposal bins — greedy vs exact (HiGHS), straight-line and along streets.

Instances (issue 6):

* ``demo``: the demo data's last six months (≈1,900 finds, 25 m grid ≈ 20,000 candidates).
* ``gross``: 6,000 synthetic finds in 40 clusters over Leipziger Osten, same grid (exact
  takes ~20 s here; ``method="auto"`` switches to greedy above this size).
* ``sehr gross``: 20,000 synthetic finds, greedy only (HiGHS needs minutes).
* ``netz``: the demo instance with distances along a synthetic 50 m street grid.

For each: time of coverage, model building and solving with both methods, the objective
(syringes newly covered) and greedy's share of the exact optimum. Run::

    .venv/bin/python -m bench.run bins        # or: .venv/bin/python bench/bench_bins.py [K]
"""

from __future__ import annotations

import sys
import time
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.schema import DISPOSAL_BIN, SENSITIVE_PLACE, SYRINGE_FIND

K = 5


def _street_grid(area, spacing: float = 50.0) -> gpd.GeoSeries:
    x0, y0, x1, y1 = area.boundary.bounds
    xs = np.arange(x0, x1 + spacing, spacing)
    ys = np.arange(y0, y1 + spacing, spacing)
    rows = [shapely.LineString(np.column_stack([xs, np.full(len(xs), y)])) for y in ys]
    cols = [shapely.LineString(np.column_stack([np.full(len(ys), x), ys])) for x in xs]
    return gpd.GeoSeries(rows + cols, crs=area.crs)


def _synthetic_finds(area, n: int, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = area.boundary.bounds
    centres = np.column_stack([rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)])
    xy = centres[rng.integers(0, 40, n)] + rng.normal(0, 60, (n, 2))
    return gpd.GeoDataFrame(
        {"found_at": pd.Timestamp("2026-06-01"), "count": 1 + rng.poisson(1.0, n)},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=area.crs,
    )


def _one(name: str, finds, bins, sensitive, area, period, k: int, network=None, exact: bool = True) -> dict:
    from geo.analysis.coverage import analyse_coverage
    from geo.analysis.siting import suggest_bins

    t = time.perf_counter()
    cov = analyse_coverage(finds, bins, period=period, network=network)
    t_cov = time.perf_counter() - t
    out = {"instance": name, "finds": cov.n_finds, "coverage_s": t_cov}
    for method in ("greedy", "exact") if exact else ("greedy",):
        t = time.perf_counter()
        res = suggest_bins(cov, k, area=area, sensitive=sensitive, method=method, time_limit_s=120)
        out[f"{method}_s"] = time.perf_counter() - t
        out[f"{method}_objective"] = res.objective
        out[f"{method}_optimal"] = res.optimal
        out["candidates"] = res.stats["candidates"]
        out["distinct"] = res.stats["distinct"]
        out["demand_points"] = res.stats["demand_points"]
    if exact:
        out["greedy_share"] = out["greedy_objective"] / out["exact_objective"] if out["exact_objective"] else 1.0
    return out


def run(k: int = K) -> list[dict]:
    from geo.analysis.streets import StreetNetwork
    from geo.core.area import leipziger_osten
    from geo.core.period import Period
    from geo.data.demo import generate_demo

    area = leipziger_osten()
    demo = generate_demo()
    period = Period(date(2026, 5, 1), date(2026, 10, 31))
    results = [_one("demo", demo[SYRINGE_FIND], demo[DISPOSAL_BIN], demo[SENSITIVE_PLACE], area, period, k)]
    for name, n, exact in (("gross", 6_000, True), ("sehr gross", 20_000, False)):
        finds = _synthetic_finds(area, n)
        results.append(_one(name, finds, demo[DISPOSAL_BIN], demo[SENSITIVE_PLACE], area, period, k,
                            exact=exact))
    t = time.perf_counter()
    net = StreetNetwork.from_lines(_street_grid(area), area.crs)
    build = time.perf_counter() - t
    r = _one("netz", demo[SYRINGE_FIND], demo[DISPOSAL_BIN], demo[SENSITIVE_PLACE], area, period, k, net)
    r["network_build_s"] = build
    r["network_nodes"] = net.n_nodes
    results.append(r)
    return results


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    k = int(argv[0]) if argv else K
    print(f"Standortvorschläge für {k} neue Spritzenbehälter: greedy gegen exakt (HiGHS)")
    for r in run(k):
        extra = (f", Netz {r['network_nodes']:,} Knoten in {r['network_build_s']:.2f} s"
                 if "network_nodes" in r else "")
        print(f"  {r['instance']}: {r['finds']:,} Funde, {r['demand_points']:,} Nachfragepunkte, "
              f"{r['candidates']:,} Kandidaten ({r['distinct']:,} verschieden){extra}")
        line = (f"    Abdeckung {r['coverage_s']:.2f} s; "
                f"greedy {r['greedy_s']:.2f} s (Ziel {r['greedy_objective']:,.0f})")
        if "exact_s" in r:
            line += (f"; exakt {r['exact_s']:.2f} s (Ziel {r['exact_objective']:,.0f}"
                     f"{', optimal' if r['exact_optimal'] else ', Zeitlimit'}); "
                     f"greedy erreicht {100 * r['greedy_share']:.1f} %")
        print(line)


if __name__ == "__main__":
    main()
