"""``lagebild import FILE --kind KIND``: import a file into the store."""

from __future__ import annotations

import argparse

from geo.cli.common import (
    add_column_options,
    add_kind_option,
    add_store_options,
    column_options,
    open_store,
    progress_printer,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="Datei importieren (CSV, GeoJSON, GeoPackage, gezipptes Shapefile)",
                       description="Importiert eine Datei. Jede Zeile wird gespeichert oder mit Grund abgelehnt.")
    p.add_argument("file", metavar="DATEI")
    add_kind_option(p)
    add_store_options(p)
    add_column_options(p)
    p.add_argument("--user", default="lokal", help="Name für Importprotokoll und Audit-Log")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.ingest import import_file

    store = open_store(args)
    report = import_file(args.file, args.kind, store, layer=args.layer, options=column_options(args),
                         user=args.user, progress=progress_printer)
    print(report.summary())
    return 0
