"""``lagebild times``: weekday × hour table of one kind and period, for the area, a place or a hotspot.

::

    lagebild times --kind syringe_find --from 2026-05-01 --to 2026-10-31 --place "Stadtteilpark Rabet" --out zeiten.csv

writes 168 rows ``weekday;hour;weight`` (``Mo`` … ``So``, 0 … 23, aoristic weight; German Excel CSV)
and prints how the records were counted, the records with a date only (per weekday, not in the
table) and the suggested time slots (:func:`geo.analysis.times.suggest_slots`); with ``--compare D/D``
also how the pattern differs from that period's (:func:`geo.analysis.times.compare_patterns`). ``--place`` names a
sensitive place (with its protective distance) or a district; ``--hotspot N`` the N-th hot spot area
of the period (connected Gi* hot cells, 1 = most events; :mod:`geo.analysis.hotspot_areas`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.cli.common import add_kind_option, add_period_options, add_store_options, load_records, open_store
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DISTRICT, REPORT_KINDS, SENSITIVE_PLACE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "times",
        help="Wochentag × Stunde: wann Meldungen anfallen (mit Zeitfenstern, aoristisch)",
        description=(
            "Verteilt die Meldungen einer Art auf Wochentage und Stunden (Ortszeit). Meldungen mit Zeitfenster "
            "(z. B. Fund am Morgen, möglich seit dem Vorabend) werden anteilig auf die Stunden verteilt; "
            "Meldungen nur mit Datum werden gesondert gezählt. Schlägt die Zeitblöcke mit den meisten "
            "Meldungen vor."
        ),
    )
    add_kind_option(p, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_period_options(p, required=True)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--place", metavar="NAME",
                       help="nur im Schutzabstand dieses sensiblen Ortes (oder in diesem Ortsteil)")
    where.add_argument("--hotspot", type=int, metavar="N",
                       help="nur im N-ten Hotspot des Zeitraums (1 = die meisten Meldungen)")
    p.add_argument("--slots", type=int, default=8, metavar="K", help="Zahl der vorgeschlagenen Zeitblöcke (8)")
    p.add_argument("--block", type=int, default=2, metavar="STUNDEN", help="Länge eines Zeitblocks (2 Stunden)")
    p.add_argument("--compare", metavar="D/D",
                   help="Muster mit einem anderen Zeitraum vergleichen, z. B. 2026-01-01/2026-04-30")
    p.add_argument("--out", type=Path, required=True, metavar="DATEI.csv",
                   help="Ausgabe: CSV mit den Spalten weekday;hour;weight")
    p.set_defaults(func=run)


def check_csv_output(path: Path) -> None:
    if path.suffix.lower() != ".csv":
        raise UserError(f"Ausgabedatei {path.name}: Endung muss .csv sein.")


def find_place(places: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, name: str, area) -> tuple[str, object]:
    """``(name, zone polygon)`` of the sensitive place (buffered) or district called ``name``.

    Exact match (case-insensitive) first, then a unique partial match; otherwise a German error
    listing the candidates.
    """
    from geo.analysis.timeseries import district_zones, place_zones

    zones = []
    if len(places):
        zones.append(place_zones(places, area.crs))
    if len(districts):
        zones.append(district_zones(districts, None, area.crs))
    if not zones:
        raise UserError("Keine sensiblen Orte oder Ortsteile gespeichert; --place ist nicht möglich.")
    table = gpd.GeoDataFrame(pd.concat(zones, ignore_index=True), crs=area.crs)
    names = table["zone"].astype(str)
    wanted = name.strip().casefold()
    hit = table[names.str.casefold() == wanted]
    if not len(hit):
        hit = table[names.str.casefold().str.contains(wanted, regex=False)]
    if len(hit) == 1:
        return str(hit["zone"].iloc[0]), hit.geometry.iloc[0]
    if len(hit) > 1:
        raise UserError(f"Ort '{name}' ist nicht eindeutig: {', '.join(sorted(hit['zone'].astype(str)))}.")
    raise UserError(f"Ort '{name}' nicht gefunden. Bekannt sind: {', '.join(sorted(names)[:20])}"
                    + (" …" if len(names) > 20 else "") + ".")


def find_hotspot(records: gpd.GeoDataFrame, kind: str, area, n: int) -> tuple[str, object]:
    """``(name, polygon)`` of the ``n``-th hot spot area of ``records`` (1 = most events)."""
    from geo.analysis.hotspot_areas import hotspot_areas
    from geo.analysis.hotspots import hotspot_analysis
    from geo.core.schema import KINDS

    if n < 1:
        raise UserError("--hotspot muss 1 oder größer sein.")
    if not len(records):
        raise UserError("Keine Meldungen im Zeitraum – keine Hotspots.")
    result = hotspot_analysis(records, area, weight=KINDS[kind].weight_field)
    areas = hotspot_areas(result.cells)
    if not len(areas):
        raise UserError("Im Zeitraum gibt es keinen Hotspot (Getis-Ord Gi*, mindestens 90 % Konfidenz).")
    if n > len(areas):
        raise UserError(f"Im Zeitraum gibt es nur {fmt.number(len(areas))} Hotspot{'s' if len(areas) > 1 else ''}.")
    row = areas.iloc[n - 1]
    return f"{row['name']} ({int(row['n_cells'])} Zellen)", row.geometry


def run(args: argparse.Namespace) -> int:
    from geo.analysis.times import (
        WEEKDAYS,
        compare_patterns,
        records_inside,
        suggest_slots,
        time_table,
        timezone_of,
    )
    from geo.core.period import parse_period
    from geo.core.schema import KINDS
    from geo.data.exports import write_table

    check_csv_output(args.out)
    kind = KINDS[args.kind]
    store = open_store(args)
    area = store.area
    compare = parse_period(args.compare) if args.compare else None
    records = load_records(args, args.kind)
    where, zone = "", None
    if args.place:
        name, zone = find_place(store.read(SENSITIVE_PLACE), store.read(DISTRICT), args.place, area)
        where = f"bei {name}"
    elif args.hotspot is not None:
        name, zone = find_hotspot(records, args.kind, area, args.hotspot)
        where = f"im {name}"
    if zone is not None:
        records = records_inside(records, zone)
    table = time_table(records, args.kind, timezone=timezone_of(area))
    print(table.summary() + (f" – {where}" if where else ""))
    if table.n_date_only:
        days = ", ".join(f"{d} {int(v)}" for d, v in zip(WEEKDAYS, table.date_only, strict=True) if v)
        print(f"Nur mit Datum (nicht in der Tabelle): {days}")
    if table.total > 0:
        slots = suggest_slots(table, k=args.slots, block_hours=args.block, where=where)
        print(f"Vorschlag: {slots.sentence}")
    else:
        print(f"Keine {kind.label_plural} mit Uhrzeit im Zeitraum; die Tabelle enthält nur Nullen.", file=sys.stderr)
    if compare is not None:
        other = store.read(args.kind, compare)
        other = records_inside(other, zone) if zone is not None else other
        cmp = compare_patterns(time_table(other, args.kind, timezone=timezone_of(area)), table)
        print(f"Vergleich mit {compare.label()}: {cmp.sentence('dem Vergleichszeitraum', 'dem Zeitraum')}")
    write_table(table.frame(), args.out)
    print(f"Geschrieben: {args.out} (168 Zeilen)")
    return 0
