"""``lagebild hotspots``: Getis-Ord Gi* hot spot cells of one kind and period.

::

    lagebild hotspots --kind syringe_find --from 2026-01-01 --to 2026-02-28 --out hotspots.geojson

aggregates the records to a hexagon (or square) grid over the study area, runs Gi* with
FDR-corrected classes (:mod:`geo.analysis.hotspots`) and writes one row per cell with ``cell_id,
count, gi_z, gi_p, gi_p_fdr, gi_class, gi_label, place, n_neighbours`` (+ ``gi_p_sim``) as
GeoJSON (EPSG:4326), GeoPackage (metric CRS) or CSV (with WKT in EPSG:4326), chosen by
the extension. Cell size and distance band are chosen automatically unless given; the
rule is printed. ``place`` names each hot cell's hotspot (a connected group of hot cells) by street,
crossing or sensitive place (:mod:`geo.analysis.placenames`, from the store's base map); the summary
lists the top hotspots by name.
"""

from __future__ import annotations

import argparse

from geo.cli.common import (
    add_grid_options,
    add_input_option,
    add_kind_option,
    add_period_options,
    add_stack_option,
    add_store_options,
    add_table_output,
    check_table_output,
    load_area,
    load_records,
    open_store,
    spatial,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DEFAULT_REPORT_KIND, REPORT_KINDS, SYRINGE_FIND


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "hotspots",
        help="Hotspot-Karte (Getis-Ord Gi*) für eine Art und einen Zeitraum",
        description=(
            "Zählt die Datensätze je Rasterzelle (Sechsecke oder Quadrate; bei Spritzenfunden die Zahl der "
            "Spritzen) und bestimmt mit Getis-Ord Gi* und FDR-Korrektur signifikante Hotspots und Coldspots "
            "(Klassen -3 … +3 wie ArcGIS Gi_Bin)."
        ),
    )
    add_kind_option(p, default=DEFAULT_REPORT_KIND, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_input_option(p)
    add_period_options(p)
    add_grid_options(p)
    p.add_argument("--permutations", type=int, default=0, metavar="N",
                   help="Zahl der Permutationen für einen zusätzlichen Pseudo-p-Wert gi_p_sim (Standard 0)")
    p.add_argument("--seed", type=int, default=0, help="Startwert des Zufallsgenerators der Permutationen")
    add_stack_option(p)
    add_table_output(p)
    p.set_defaults(func=run)


#: Hotspots listed by name in the printed summary.
TOP_N = 5


def _naming_context(args: argparse.Namespace, area):
    """Base map, sensitive places and districts of the store (when there is one) for the names."""
    from geo.report.places import store_place_context

    store = open_store(args)
    return store_place_context(store if store.exists() else None, area.crs)


def format_metres(v: float) -> str:
    from geo.analysis.hotspots import format_metres as fmt

    return fmt(v)


def run(args: argparse.Namespace) -> int:
    from geo.analysis.hotspots import hotspot_analysis
    from geo.analysis.placenames import name_hotspots
    from geo.core.schema import HOTSPOT_CLASSES, KINDS
    from geo.data.exports import write_table

    check_table_output(args.out)
    if args.cell is not None and not args.cell > 0:
        raise UserError("--cell muss größer als 0 sein.")
    if args.band is not None and not args.band > 0:
        raise UserError("--band muss größer als 0 sein.")
    if args.permutations < 0 or args.permutations > 99_999:
        raise UserError("--permutations muss zwischen 0 und 99999 liegen.")
    kind = KINDS[args.kind]
    area = load_area(args)
    records = spatial(args, load_records(args, args.kind), args.kind)
    result = hotspot_analysis(
        records, area, weight=kind.weight_field, shape=args.grid, cell=args.cell, band=args.band,
        permutations=args.permutations, seed=args.seed,
    )
    cells = result.cells.copy()
    cells.insert(cells.columns.get_loc("gi_class") + 1, "gi_label",
                 cells["gi_class"].map(lambda c: HOTSPOT_CLASSES[int(c)][0]))
    groups, place = name_hotspots(cells, _naming_context(args, area))
    cells.insert(cells.columns.get_loc("gi_label") + 1, "place", place.to_numpy())
    total = (f", Summe {kind.field(kind.weight_field).label}: {fmt.number(cells['count'].sum())}"
             if kind.weight_field else "")
    print(f"{kind.label_plural}: {fmt.number(result.n_points)} Datensätze in den Zellen{total}"
          + (f", {result.n_ignored} außerhalb" if result.n_ignored else ""))
    print(f"Zellgröße: {format_metres(result.cell)} ({'Sechsecke' if result.shape == 'hex' else 'Quadrate'}), "
          f"Distanzband: {format_metres(result.band)}, {fmt.number(len(cells))} Zellen")
    print(result.scale_rule)
    for code, n in result.class_counts().items():
        if code != 0 and n:
            print(f"  {HOTSPOT_CLASSES[code][0]}: {n} {'Zelle' if n == 1 else 'Zellen'}")
    if len(groups):
        print(f"Top-Hotspots ({min(TOP_N, len(groups))} von {fmt.number(len(groups))}):")
        unit = "Spritzen" if kind.name == SYRINGE_FIND else "Datensätze"
        for g in groups.head(TOP_N).itertuples():
            print(f"  {g.group}. {g.place} – {g.n_cells} {'Zelle' if g.n_cells == 1 else 'Zellen'}, "
                  f"{fmt.number(g.count)} {unit}")
    write_table(cells, args.out)
    print(f"Geschrieben: {args.out} ({fmt.number(len(cells))} Zellen)")
    return 0
