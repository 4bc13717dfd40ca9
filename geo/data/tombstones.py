"""Tombstones: the content hashes (``record_id``) of records deleted for data protection.

A record deleted on request (:func:`geo.data.retention.delete_records`) leaves its ``record_id`` – a hash of
its content – in the table :data:`TOMBSTONES_TABLE` of the store, written in the same atomic write as the
deletion. The importer rejects rows with such an id ("gelöscht (Datenschutz)") and a restore deletes them from
the restored store again, so neither a re-import of the source file nor an older backup brings them back.
Helpers for the GeoPackage store (:class:`geo.data.store.Store`); the PostGIS store keeps the same table.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path

from geo.core.schema import RECORD_ID

TOMBSTONES_TABLE = "lagebild_tombstones"


def read_tombstones(path: Path, name: str | None = None) -> dict[str, set[str]]:
    """Tombstones in the GeoPackage ``path`` per kind (only kind ``name`` when given, then always present)."""
    out: dict[str, set[str]] = {} if name is None else {name: set()}
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                           (TOMBSTONES_TABLE,)).fetchone():
            return out
        sql = f"SELECT kind, record_id FROM {TOMBSTONES_TABLE}" + (" WHERE kind = ?" if name else "")
        for kind, rid in con.execute(sql, (name,) if name else ()):
            out.setdefault(kind, set()).add(rid)
    return out


def delete_with_tombstones(con: sqlite3.Connection, name: str, ids: list[str], *, layer: bool = True,
                            tombstone: bool = True) -> int:
    """In an open write of the temporary copy: tombstones for ``ids`` of kind ``name`` (with ``tombstone``), then
    delete those records (overwritten on disk, no journal keeping the old pages). Returns the number deleted."""
    con.execute("PRAGMA secure_delete = ON")  # overwrite deleted rows, whatever the build's default
    con.execute("PRAGMA journal_mode = OFF")  # the copy is discarded on failure; a journal would keep old pages
    if tombstone:
        con.execute(f"CREATE TABLE IF NOT EXISTS {TOMBSTONES_TABLE} (kind TEXT NOT NULL, record_id TEXT NOT NULL, "
                    "deleted_at TEXT, PRIMARY KEY (kind, record_id))")
        now = datetime.now().isoformat(timespec="seconds")
        con.executemany(f"INSERT OR IGNORE INTO {TOMBSTONES_TABLE} VALUES (?, ?, ?)",
                        [(name, i, now) for i in ids])
    if not layer:
        return 0
    con.execute("CREATE TEMP TABLE IF NOT EXISTS del_ids (id TEXT PRIMARY KEY)")
    con.execute("DELETE FROM del_ids")
    con.executemany("INSERT OR IGNORE INTO del_ids VALUES (?)", [(i,) for i in ids])
    return con.execute(f'DELETE FROM "{name}" WHERE {RECORD_ID} IN (SELECT id FROM del_ids)').rowcount


# ---------------------------------------------------------------------------- PostGIS (a psycopg connection)
_PG_TABLE = (f"CREATE TABLE IF NOT EXISTS {TOMBSTONES_TABLE} (kind text NOT NULL, record_id text NOT NULL, "
             "deleted_at text, PRIMARY KEY (kind, record_id))")


def pg_delete_with_tombstones(conn, name: str, ids: list[str], *, tombstone: bool = True) -> int:
    """:func:`delete_with_tombstones` in a PostGIS transaction (``conn``); returns the number deleted."""
    if tombstone:
        conn.execute(_PG_TABLE)
        now = datetime.now().isoformat(timespec="seconds")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {TOMBSTONES_TABLE} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            [(name, i, now) for i in ids])
    return conn.execute(f'DELETE FROM "{name}" WHERE {RECORD_ID} = ANY(%s)', (ids,)).rowcount


def pg_read_tombstones(conn, name: str | None = None) -> dict[str, set[str]]:
    """:func:`read_tombstones` from a PostGIS connection."""
    out: dict[str, set[str]] = {} if name is None else {name: set()}
    if conn.execute("SELECT to_regclass(%s)", (TOMBSTONES_TABLE,)).fetchone()[0] is None:
        return out
    sql = f"SELECT kind, record_id FROM {TOMBSTONES_TABLE}" + (" WHERE kind = %s" if name else "")
    for kind, rid in conn.execute(sql, (name,) if name else ()).fetchall():
        out.setdefault(kind, set()).add(rid)
    return out
