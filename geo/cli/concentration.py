"""``lagebild concentration``: how concentrated the events of one kind are, and the ranked repeat places.

::

    lagebild concentration --kind syringe_find --from 2025-11-01 --to 2026-10-31 --out orte.csv

prints the share of events at the top 1/5/10 % of places (grid cells, or street segments with
``--streets``), the share of places holding half of the events and the Gini coefficient
(:mod:`geo.analysis.concentration`), and writes the repeat places (at least two events), ranked, as a
German Excel CSV: ``rank;unit_id;name;count;share;cumulative_share;count_first;count_second;trend;
trend_p;lat;lon`` (``count_first``/``count_second``: first and second half of the period).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from geo.cli.common import add_kind_option, add_period_options, add_store_options, load_records, open_store
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import REPORT_KINDS, SENSITIVE_PLACE

COLUMNS = ("rank", "unit_id", "name", "count", "share", "cumulative_share", "count_first", "count_second",
           "trend", "trend_p", "lat", "lon")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "concentration",
        help="Konzentration: Anteil der Meldungen an den Top-Orten, Gini, Wiederholungsorte",
        description=(
            "Wie stark ballen sich die Meldungen? Anteil an den obersten 1/5/10 %% der Orte (Rasterzellen "
            "oder Straßenabschnitte), Lorenzkurve und Gini-Koeffizient; schreibt die Orte mit mindestens "
            "zwei Meldungen, nach Zahl geordnet, mit Trend (erste gegen zweite Hälfte des Zeitraums)."
        ),
    )
    add_kind_option(p, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_period_options(p, required=True)
    p.add_argument("--grid", choices=("hex", "square"), default="hex", help="Zellform (Standard: hex)")
    p.add_argument("--cell", type=float, default=100.0, metavar="M", help="Zellgröße in Metern (Standard 100)")
    p.add_argument("--streets", type=Path, default=None, metavar="DATEI",
                   help="Straßennetz (Linien, GeoPackage/GeoJSON): Straßenabschnitte statt Zellen")
    p.add_argument("--min-count", type=int, default=2, metavar="N",
                   help="ab wie vielen Meldungen ein Ort ein Wiederholungsort ist (Standard 2)")
    p.add_argument("--out", type=Path, required=True, metavar="DATEI.csv", help="Ausgabe: CSV der Wiederholungsorte")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.analysis.concentration import concentration_analysis
    from geo.cli.common import period_from_args
    from geo.core.schema import KINDS
    from geo.data.exports import write_table
    from geo.report.figures import lat_lon

    if args.out.suffix.lower() != ".csv":
        raise UserError(f"Ausgabedatei {args.out.name}: Endung muss .csv sein.")
    if not args.cell > 0:
        raise UserError("--cell muss größer als 0 sein.")
    if args.min_count < 1:
        raise UserError("--min-count muss mindestens 1 sein.")
    from geo.report.places import store_place_context

    kind = KINDS[args.kind]
    store = open_store(args)
    area = store.area
    streets = None
    if args.streets is not None:
        from geo.data.sitefiles import read_street_lines

        streets = read_street_lines(args.streets, area.crs)
    records = load_records(args, args.kind)
    result = concentration_analysis(records, area, date_field=kind.date_field, period=period_from_args(args),
                                    cell_m=args.cell, shape=args.grid, streets=streets,
                                    named=store.read(SENSITIVE_PLACE),
                                    context=store_place_context(store if store.exists() else None, area.crs))
    for line in result.summary_lines(kind.label_plural):
        print(line)
    places = result.repeat_places(args.min_count)
    places["lat"], places["lon"] = lat_lon(places.geometry)
    write_table(pd.DataFrame(places[list(COLUMNS)]), args.out)
    one, many = result.unit_label
    print(f"Geschrieben: {args.out} ({fmt.number(len(places))} {one if len(places) == 1 else many} mit mindestens "
          f"{args.min_count} {kind.label_plural})")
    return 0
