"""A GeoPackage is read only if reading it is bounded (issue 16, finding 5).

Reading a table costs time in proportion to the file (whose size :func:`geo.data.readers.check_size` bounds).
A GeoPackage can also hold *views* and *virtual tables*: GDAL lists and reads a view registered as a layer like a
table, and a view can be a recursive query that never ends (GDAL's feature count alone runs at 100 % CPU
forever, and nothing in Python can interrupt it). Lagebild writes neither, and data exports of GIS programs
rarely do, so such a file is refused with one German line before GDAL opens it. Spatial indexes (``rtree``
virtual tables, part of the GeoPackage standard) are fine.

The check itself reads only SQLite's schema table, read-only, under a step budget.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from geo.core.errors import ImportRefused

#: SQLite virtual machine steps the schema check may take (a schema of thousands of tables needs far fewer).
CHECK_STEPS = 5_000_000


def check_bounded(path: str | Path, name: str) -> None:
    """Raise :class:`ImportRefused` (German) if the GeoPackage ``path`` holds a view or a virtual table other
    than a spatial index, or if its schema cannot be read within :data:`CHECK_STEPS`."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    steps = 0

    def budget() -> int:
        nonlocal steps
        steps += 1000
        return 1 if steps > CHECK_STEPS else 0

    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as con:
            con.set_progress_handler(budget, 1000)
            rows = con.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'table')").fetchall()
    except sqlite3.DatabaseError:
        raise ImportRefused(f"{name}: Datei ist beschädigt oder kein gültiges GeoPackage.") from None
    for kind, table, sql in rows:
        text = " ".join(str(sql or "").split()).upper()
        if kind == "view":
            raise ImportRefused(f"{name}: enthält eine Sicht (View) »{_short(table)}« – Lagebild liest nur "
                                "Tabellen; bitte die Daten als Tabelle speichern (z. B. in QGIS exportieren).")
        if text.startswith("CREATE VIRTUAL TABLE") and " USING RTREE" not in text:
            raise ImportRefused(f"{name}: enthält eine virtuelle Tabelle »{_short(table)}« – Lagebild liest nur "
                                "gewöhnliche Tabellen.")


def _short(text: object) -> str:
    """A name from the file, printable and short (it reaches the user's screen)."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return clean if len(clean) <= 60 else clean[:57] + "…"
