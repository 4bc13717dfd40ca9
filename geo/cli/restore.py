"""``lagebild restore FILE``: replace the store with a validated backup (atomic)."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli.backup import add_user_option, audit_user
from geo.cli.common import add_store_options, open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="Speicher aus einer Sicherung wiederherstellen",
                       description="Prüft die Sicherung vollständig und ersetzt dann den Speicher in einem Schritt. "
                                   "Der bisherige Stand wird vorher unter backups/ abgelegt.")
    p.add_argument("file", type=Path, metavar="DATEI", help="Sicherung (.zip aus 'lagebild backup' oder .gpkg)")
    add_store_options(p)
    add_user_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.backup import restore

    store = open_store(args)
    info = restore(store, args.file, user=audit_user(args))
    target = store if getattr(store, "backend", "") == "postgis" else store.path
    print(f"Wiederhergestellt: {info.records} Datensätze, {info.check.imports} Importe → {target}")
    if info.removed:
        print(f"Seit der Sicherung aus Datenschutzgründen gelöscht und wieder entfernt: {sum(info.removed.values())} "
              "Datensatz/Datensätze (Löschvermerke).")
    if info.previous:
        print(f"Bisheriger Stand gesichert: {info.previous}")
    return 0
