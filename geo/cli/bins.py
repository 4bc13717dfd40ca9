"""``lagebild bins``: coverage of syringe finds by disposal bins and sites for new bins.

::

    lagebild bins --from 2026-05-01 --to 2026-10-31 --add 3 --out plan.csv

writes existing and suggested bins (``status``, ``rank``, ``covered_finds``,
``covered_syringes``, coordinates in EPSG:25833 and WGS84, …; see
:func:`geo.analysis.siting.plan_table`) and prints the coverage and the coverage curve in German.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from geo.cli.common import (
    add_period_options,
    add_stack_option,
    add_store_options,
    check_table_output,
    load_all_records,
    load_area,
    load_records,
    period_from_args,
    spatial,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DISPOSAL_BIN, SENSITIVE_PLACE, SYRINGE_FIND


def register(sub: argparse._SubParsersAction) -> None:
    from geo.analysis.coverage import DEFAULT_RADIUS_M
    from geo.analysis.siting import DEFAULT_GRID_M

    p = sub.add_parser(
        "bins",
        help="Spritzenbehälter: Abdeckung der Funde und Vorschläge für neue Standorte",
        description=(
            "Wie viele Spritzenfunde des Zeitraums liegen im Radius eines aktiven Behälters? "
            "Mit --add K: wo K neue Behälter die meisten noch nicht abgedeckten Spritzen erreichen "
            "(mit Mindestabstand zu Behältern und Kitas/Schulen). Schreibt bestehende und "
            "vorgeschlagene Standorte als CSV, GeoJSON oder GeoPackage."
        ),
    )
    add_store_options(p)
    add_period_options(p, required=True)
    p.add_argument("--radius", type=float, default=DEFAULT_RADIUS_M, metavar="M",
                   help="Radius in Metern, Luftlinie oder mit --network entlang der Straßen "
                        f"(Standard {DEFAULT_RADIUS_M:g})")
    p.add_argument("--add", type=int, default=0, metavar="K", help="Zahl neuer Standorte, die vorgeschlagen werden")
    p.add_argument("--candidates", type=Path, default=None, metavar="DATEI",
                   help="mögliche Standorte (GeoPackage, GeoJSON oder CSV mit lat/lon); "
                        "ohne: Raster im Gebiet (--grid)")
    p.add_argument("--grid", type=float, default=DEFAULT_GRID_M, metavar="M",
                   help=f"Rasterabstand der möglichen Standorte in Metern (Standard {DEFAULT_GRID_M:g})")
    p.add_argument("--network", type=Path, default=None, metavar="DATEI",
                   help="Straßennetz (Linien als GeoPackage/GeoJSON): Entfernungen entlang der Straßen statt Luftlinie")
    p.add_argument("--min-dist-bins", type=float, default=None, metavar="M",
                   help="Mindestabstand neuer zu bestehenden Behältern in Metern (Standard: der Radius)")
    p.add_argument("--min-dist-sensitive", type=float, default=None, metavar="M",
                   help="Mindestabstand zu Kitas und Schulen in Metern (Standard: Schutzabstand des Ortes)")
    p.add_argument("--weight", choices=("syringes", "finds"), default="syringes",
                   help="was maximiert wird: Spritzen (Standard) oder Fundstellen")
    p.add_argument("--demand", choices=("period", "forecast"), default="period",
                   help="Bedarf der neuen Standorte: die Funde des Zeitraums (Standard) oder die Prognose für den "
                        "nächsten Zeitraum gleicher Länge (lagebild forecast; je Zelle die erwarteten Funde, verteilt "
                        "auf die Fundstellen der Zelle)")
    p.add_argument("--method", choices=("auto", "exact", "greedy"), default="auto",
                   help="Lösungsverfahren: exakt, schrittweise (greedy) oder automatisch nach Größe (Standard)")
    add_stack_option(p)
    p.add_argument("--out", type=Path, required=True, metavar="DATEI",
                   help="Ausgabedatei: .csv, .geojson oder .gpkg")
    p.set_defaults(func=run)


def _int(n: float) -> str:
    return fmt.number(n)  # fmt rounds half away from zero


def _pct(x: float) -> str:
    return fmt.percent(x, 1)


def _m(x: Any) -> str:
    return fmt.number(x, len(f"{float(x):g}".partition(".")[2]))


def _forecast_demand(args: argparse.Namespace, area, period, cov):
    """Demand weights of the coverage's finds from the forecast of the next period (``--demand forecast``)."""
    from geo.analysis.forecast import demand_weights, forecast
    from geo.core.grid import point_coordinates

    if period is None:
        raise UserError("--demand forecast braucht --from und --to (die Prognose gilt für den Zeitraum danach).")
    result = forecast(load_all_records(args, SYRINGE_FIND), SYRINGE_FIND, area, period)
    print(f"Bedarf: Prognose für {result.target.label()} ({result.method.label(result.grid.cell)})")
    x, y = point_coordinates(cov.finds, area.crs)
    return demand_weights(result, x, y)


def run(args: argparse.Namespace) -> int:
    from geo.analysis.coverage import analyse_coverage, bin_effects
    from geo.analysis.siting import plan_table, suggest_bins
    from geo.analysis.streets import StreetNetwork
    from geo.data.exports import write_table
    from geo.data.sitefiles import read_candidates, read_street_lines

    check_table_output(args.out)
    if args.add < 0:
        raise UserError("--add darf nicht negativ sein.")
    area = load_area(args)
    period = period_from_args(args)
    network = StreetNetwork.from_lines(read_street_lines(args.network, area.crs), area.crs) if args.network else None
    finds = spatial(args, load_records(args, SYRINGE_FIND), SYRINGE_FIND)
    bins = load_records(args, DISPOSAL_BIN)
    from geo.core.quality import spatial_records

    all_finds = spatial_records(load_all_records(args, SYRINGE_FIND), keep_stacks=bool(args.keep_stacks))[0]
    effects = bin_effects(load_all_records(args, DISPOSAL_BIN), all_finds, area,
                          crs=area.crs)
    cov = analyse_coverage(finds, bins, period=period, radius_m=args.radius, network=network,
                           weight=args.weight, crs=area.crs, effects=effects)

    print(f"Spritzenbehälter {period.label() if period else ''}, Radius {_m(cov.radius_m)} m ({cov.metric_label})")
    print(f"Aktive Behälter: {fmt.number(len(cov.bins))}, davon ohne Fund im Radius: {fmt.number(len(cov.idle_bins))}")
    print(f"Abgedeckt: {_int(cov.covered_finds)} von {_int(cov.n_finds)} Funden ({_pct(cov.share_finds)}), "
          f"{_int(cov.covered_syringes)} von {_int(cov.n_syringes)} Spritzen ({_pct(cov.share_syringes)})")
    if len(cov.bins):
        print("Behälter nach Verlust bei Entfernung (zuerst der verzichtbarste):")
        for row in cov.removal_ranking.itertuples():
            name = getattr(row, "label", None) or getattr(row, "record_id", None) or "ohne Namen"
            print(f"  {row.removal_rank}. {name}: {row.removal_reason} (im Radius {_int(row.covered_finds)} / "
                  f"{_int(row.covered_syringes)})")
        for row in cov.kept_bins.itertuples():
            name = getattr(row, "label", None) or getattr(row, "record_id", None) or "ohne Namen"
            print(f"  nicht zum Versetzen: {name}: {row.removal_reason}")

    result: Any = cov  # CoverageResult, or the SitingResult with --add
    if args.add:
        sensitive = load_records(args, SENSITIVE_PLACE)
        candidates = read_candidates(args.candidates, area.crs) if args.candidates else None
        weights = _forecast_demand(args, area, period, cov) if args.demand == "forecast" else None
        res = suggest_bins(
            cov, args.add, candidates=candidates, area=area, grid_m=args.grid, sensitive=sensitive,
            sensitive_distance_m=args.min_dist_sensitive, min_dist_bins_m=args.min_dist_bins, method=args.method,
            demand_weights=weights,
        )
        st = res.stats
        print(f"Mögliche Standorte: {_int(st['candidates'])}"
              + (f", außerhalb des Gebiets {_int(st['outside_area'])}" if st["outside_area"] else "")
              + f", zu nah an Behältern (< {_m(res.params['min_dist_bins_m'])} m) {_int(st['near_bins'])}"
              + f", zu nah an Kitas/Schulen {_int(st['near_sensitive'])}")
        print(f"Verfahren: {res.method_label}")
        if len(res.sites):  # an address for the crews: "Vorschlag 1 – Torgauer Platz, vor Nr. 3"
            from geo.analysis.placenames import label_sites
            from geo.data.store import open_store
            from geo.report.places import store_place_context

            store = open_store(args.store or None, area)  # a GeoPackage path or a postgresql:// URL
            ctx = store_place_context(store if store.exists() else None, area.crs)
            res = dataclasses.replace(res, sites=label_sites(res.sites, ctx))
            print("Vorgeschlagene Standorte:")
            for r in res.sites.itertuples():
                print(f"  {r.rank}. {r.address}: +{_int(r.gain_syringes)} Spritzen")
        if not len(res.sites):
            print("Kein zulässiger neuer Standort bringt zusätzliche Abdeckung.")
        elif len(res.sites) < args.add:
            print(f"Nur {fmt.number(len(res.sites))} neue Standorte bringen zusätzliche Abdeckung.")
        print("Abdeckungskurve (neue Behälter in Reihenfolge ihres Beitrags):")
        print(f"  {'neu':>3}  {'Funde':>7}  {'Anteil':>7}  {'Spritzen':>8}  {'Anteil':>7}  {'Zuwachs Spritzen':>16}")
        for r in res.curve.itertuples():
            print(f"  {r.new_bins:>3}  {_int(r.covered_finds):>7}  {_pct(r.share_finds):>7}  "
                  f"{_int(r.covered_syringes):>8}  {_pct(r.share_syringes):>7}  "
                  f"{('+' + _int(r.gain_syringes)) if r.new_bins else '':>16}")
        result = res

    table = plan_table(result)
    write_table(table, args.out)
    print(f"Geschrieben: {args.out} ({fmt.number(len(table))} Standorte)")
    return 0
