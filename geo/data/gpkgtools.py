"""Small GeoPackage helpers shared by the store's modules: GDAL options for a block, the import history table."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pyogrio

#: The import history table of a GeoPackage store.
IMPORTS_TABLE = "lagebild_imports"


@contextlib.contextmanager
def gdal_options(**options: str) -> Iterator[None]:
    """Set GDAL configuration options for the block (e.g. no journal while writing a temporary copy)."""
    previous = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def ensure_imports_table(con: sqlite3.Connection) -> None:
    """Create the import history table if the GeoPackage has none."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {IMPORTS_TABLE} (import_id INTEGER PRIMARY KEY, file_name TEXT, sha256 TEXT, "
        "kind TEXT, imported_at TEXT, rows_read INTEGER, stored INTEGER, rejected INTEGER, repaired INTEGER, "
        "rejects_file TEXT, user TEXT, notes TEXT)"
    )
