"""``lagebild purge --older-than MONTHS [--aggregate]``: delete (or aggregate) old reports."""

from __future__ import annotations

import argparse

from geo.cli.backup import add_user_option, audit_user
from geo.cli.common import add_store_options, kind_argument, open_store
from geo.core.schema import REPORT_KINDS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("purge", help="Meldungen nach Aufbewahrungsfrist löschen oder zusammenfassen",
                       description="Löscht Meldungen (Spritzenfunde, Beschwerden, Szenebeobachtungen), die vor dem "
                                   "Monatsersten vor MONATE Monaten liegen, und alte Dateien abgelehnter Zeilen. "
                                   "Mit --aggregate bleiben Monatszahlen je Rasterzelle erhalten.")
    p.add_argument("--older-than", type=int, required=True, metavar="MONATE", help="Aufbewahrungsfrist in Monaten")
    p.add_argument("--aggregate", action="store_true",
                   help="vorher Anzahl je Monat und Rasterzelle in der Ebene aggregated_counts festhalten")
    p.add_argument("--kind", action="append", type=kind_argument(REPORT_KINDS), metavar="ART",
                   help="nur diese Art (mehrfach möglich, auch deutsch, z. B. spritzenfund); Standard: alle Meldungen")
    p.add_argument("--cell", type=float, default=None, metavar="METER", help="Zellgröße für --aggregate")
    p.add_argument("--dry-run", action="store_true", help="nur anzeigen, was gelöscht würde")
    add_store_options(p)
    add_user_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.retention import RETENTION_CELL, purge

    result = purge(open_store(args), args.older_than, aggregate=args.aggregate, kinds=args.kind,
                   user=audit_user(args), cell=args.cell or RETENTION_CELL, dry_run=args.dry_run)
    print(result.summary())
    return 0
