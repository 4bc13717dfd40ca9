"""``lagebild basemap import FILE [--layer L] [--name N]`` / ``basemap list`` / ``basemap remove NAME``.

Offline base layers – buildings, streets with names, green areas, water, railways – from an
OpenStreetMap extract (``.osm.pbf``, ``.osm``) or a GeoJSON/GeoPackage/zipped Shapefile
(:mod:`geo.data.basefile`). They are stored in the store as context for every map and for the
place names of hotspots; they are not reports (never counted, exported or purged).
"""

from __future__ import annotations

import argparse

from geo.cli.common import add_store_options, open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("basemap", help="Grundkarte (Gebäude, Straßen, Grünflächen) für die Karten verwalten",
                       description="Importiert Gebäude, Straßen (mit Namen), Grünflächen, Gewässer und Bahnstrecken "
                                   "aus einem OpenStreetMap-Auszug (.osm.pbf, .osm) oder einer GeoJSON-, GeoPackage- "
                                   "oder Shapefile-Datei als Grundkarte unter allen Karten.")
    actions = p.add_subparsers(dest="action", metavar="AKTION")
    imp = actions.add_parser("import", help="Datei als Grundkarte importieren")
    imp.add_argument("file", metavar="DATEI", help="OSM-Auszug (.osm.pbf, .osm), GeoJSON, GeoPackage oder ZIP")
    imp.add_argument("--layer", help="Ebene einer GeoPackage-Datei")
    imp.add_argument("--name", help="Name der Grundkarte (Standard: Dateiname)")
    add_store_options(imp)
    imp.set_defaults(func=run_import)
    ls = actions.add_parser("list", help="importierte Grundkarten anzeigen")
    add_store_options(ls)
    ls.set_defaults(func=run_list)
    rm = actions.add_parser("remove", help="Grundkarte entfernen")
    rm.add_argument("name", metavar="NAME", help="Name laut 'lagebild basemap list'")
    add_store_options(rm)
    rm.set_defaults(func=run_remove)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _n(value) -> str:
    """German thousands separator (``7.643``)."""  # TODO(fmt): geo.core.fmt.number
    return f"{int(value):,}".replace(",", ".")


def run_import(args: argparse.Namespace) -> int:
    from geo.core.schema import BASE_THEMES
    from geo.data.basefile import base_name_for, read_base_file

    store = open_store(args)
    features = read_base_file(args.file, store.area, layer=args.layer)
    name = (args.name or base_name_for(args.file)).strip() or "Grundkarte"
    n = store.write_base(name, features)
    counts = features["theme"].value_counts()
    parts = [f"{label} {_n(counts.get(theme, 0))}" for theme, label in BASE_THEMES.items() if counts.get(theme, 0)]
    print(f"Grundkarte '{name}' gespeichert: {_n(n)} Objekte ({', '.join(parts)})")
    store.audit("basemap_import", detail=f"Grundkarte {name}: {n} Objekte (keine personenbezogenen Daten)", count=n)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from geo.core.schema import BASE_THEMES

    table = open_store(args).base_layers()
    if table.empty:
        print("Keine Grundkarte importiert (lagebild basemap import DATEI).")
        return 0
    for name, rows in table.groupby("base_name", sort=True):
        parts = [f"{BASE_THEMES.get(t, t)} {_n(n)}" for t, n in zip(rows["theme"], rows["features"], strict=True)]
        print(f"{name}: {', '.join(parts)}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from geo.core.errors import UserError

    store = open_store(args)
    n = store.remove_base(args.name)
    if not n:
        raise UserError(f"Keine Grundkarte '{args.name}' im Speicher (siehe 'lagebild basemap list').")
    store.audit("basemap_remove", detail=f"Grundkarte {args.name}: {n} Objekte entfernt", count=n)
    print(f"Grundkarte '{args.name}' entfernt ({n} Objekte).")
    return 0
