"""``lagebild export``: records of one kind as CSV, GeoJSON or GeoPackage.

::

    lagebild export --kind syringe_find --from 2026-05-01 --to 2026-06-30 --out funde.csv

CSV: UTF-8 with BOM, formula-neutralised, with ``lat``/``lon`` (WGS84; for lines and
polygons a point on the geometry plus the geometry as ``wkt`` in WGS84). GeoJSON: WGS84
(EPSG:4326). GeoPackage: the store's metric CRS. Private fields (free texts, reporting
persons) are left out unless ``--with-private`` is given. Every export is written to the
audit log.
"""

from __future__ import annotations

import argparse

import geopandas as gpd

from geo.cli.common import (
    add_kind_option,
    add_period_options,
    add_store_options,
    add_table_output,
    check_table_output,
    load_records,
    open_store,
    period_from_args,
)
from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="Datensätze einer Art als CSV, GeoJSON oder GeoPackage ausgeben",
        description="Schreibt die Datensätze einer Art (optional eines Zeitraums) in eine Datei. "
                    "Vertrauliche Felder (Freitexte, meldende Personen) nur mit --with-private.",
    )
    add_store_options(p)
    add_kind_option(p)
    add_period_options(p)
    p.add_argument("--category", action="append", default=None, metavar="KATEGORIE",
                   help="nur diese Beschwerde-Kategorie (mehrfach möglich)")
    p.add_argument("--source", action="append", default=None, metavar="QUELLE",
                   help="nur diese Quelle (mehrfach möglich)")
    p.add_argument("--with-private", action="store_true",
                   help="vertrauliche Felder (Freitexte, meldende Personen) mit ausgeben")
    add_table_output(p)
    p.set_defaults(func=run)


def export_table(records: gpd.GeoDataFrame, kind: str, *, with_private: bool = False) -> gpd.GeoDataFrame:
    """The records as an export table: private fields dropped (unless wanted), ``lat``/``lon`` added.

    ``lat``/``lon`` (WGS84) are a point on each geometry; records of kinds that may be
    lines or polygons also get ``wkt`` (WGS84), because a CSV with ``lat``/``lon`` drops the
    geometry column (:func:`geo.data.exports.write_table`).
    """
    from geo.core.schema import get_kind
    from geo.report.figures import lat_lon

    k = get_kind(kind)
    private = [f.name for f in k.fields if f.private] if not with_private else []
    table = records.drop(columns=[c for c in private if c in records])
    table["lat"], table["lon"] = lat_lon(table.geometry)
    if not k.is_point_only:
        shown = table.geometry.to_crs(DISPLAY_CRS) if table.crs is not None else table.geometry
        table["wkt"] = shown.to_wkt().to_numpy()
    return table


def run(args: argparse.Namespace) -> int:
    from geo.data.exports import write_table
    from geo.report.figures import filter_records

    check_table_output(args.out)
    if args.category:
        from geo.core.schema import COMPLAINT_CATEGORIES

        unknown = [c for c in args.category if c not in COMPLAINT_CATEGORIES]
        if unknown:
            raise UserError(f"Unbekannte Kategorie {unknown[0]!r}; möglich sind: {', '.join(COMPLAINT_CATEGORIES)}.")
    period = period_from_args(args)
    store = open_store(args)
    if store.exists() and store.is_empty():
        raise UserError(f"Speicher {store.path} ist leer – erst Daten importieren oder 'lagebild demo'.")
    records = load_records(args, args.kind)
    records = filter_records(records, args.kind, categories=args.category, sources=args.source)
    table = export_table(records, args.kind, with_private=args.with_private)
    write_table(table, args.out)
    detail = f"{args.out.name}" + (f", Zeitraum {period}" if period else "") + (
        ", mit vertraulichen Feldern" if args.with_private else "")
    from geo.data.access import log_release
    from geo.data.auth import User, system_user

    # a command-line user reads the store file directly: the role that may have everything
    log_release(store, User(system_user(), "analyse"), what=detail, kind=args.kind, count=len(table))
    print(f"{fmt.number(len(table))} Datensätze geschrieben: {args.out}")
    return 0
