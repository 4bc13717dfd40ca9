"""``lagebild store copy SRC DST`` and ``lagebild store migrate [URL]``: move a store between
GeoPackage and PostGIS, and set up or update a PostGIS database."""

from __future__ import annotations

import argparse

from geo.cli.backup import add_user_option, audit_user
from geo.cli.common import load_area, store_location
from geo.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("store", help="Speicher kopieren (GeoPackage ⇄ PostgreSQL/PostGIS) oder Datenbank einrichten",
                       description="Kopiert einen ganzen Speicher zwischen GeoPackage-Datei und PostgreSQL/PostGIS "
                                   "(in beide Richtungen, geprüft über Anzahlen und Prüfsummen) oder richtet eine "
                                   "PostGIS-Datenbank ein bzw. bringt ihr Schema auf den neuesten Stand.")
    actions = p.add_subparsers(dest="action", metavar="AKTION", required=True)
    copy = actions.add_parser("copy", help="ganzen Speicher in einen leeren Speicher kopieren")
    copy.add_argument("src", metavar="QUELLE", help="GeoPackage-Datei oder postgresql://-URL")
    copy.add_argument("dst", metavar="ZIEL", help="GeoPackage-Datei oder postgresql://-URL (muss leer sein)")
    copy.add_argument("--area", default=None, help="Gebietsdatei (TOML)")
    add_user_option(copy)
    migrate = actions.add_parser("migrate", help="PostGIS-Datenbank einrichten/aktualisieren (als Eigentümer)")
    migrate.add_argument("url", nargs="?", default=None, metavar="URL",
                         help="postgresql://-URL (Standard: $LAGEBILD_STORE)")
    migrate.add_argument("--area", default=None, help="Gebietsdatei (TOML)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.store import is_store_url, open_store

    area = load_area(args)
    if args.action == "migrate":
        location = store_location(args.url)
        if not is_store_url(str(location)):
            raise UserError("migrate braucht eine PostgreSQL-URL (postgresql://benutzer@host/datenbank).")
        store = open_store(location, area)
        version = store.migrate()
        print(f"Datenbank {store}: Schema auf Stand {version}; Rollen lagebild_analyse, lagebild_rapport, "
              "lagebild_oeffentlich eingerichtet.")
        return 0
    from geo.data.storecopy import copy_store

    src = open_store(store_location(args.src), area)
    dst = open_store(store_location(args.dst), area)
    result = copy_store(src, dst)
    user = audit_user(args)
    dst.audit("copy", user=user, count=result.records, detail=f"aus {src if is_store_url(args.src) else src.path}")
    print(result.summary())
    return 0
