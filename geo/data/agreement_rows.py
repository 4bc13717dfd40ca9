"""Rows of the agreements table (Vereinbarungen) in the GeoPackage store: columns, conversions, audit text.

Used by the agreements methods of both backends (:class:`geo.data.store.Store`, :class:`geo.data.pgextras.PgExtras`).
"""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.errors import UserError

#: Plain table of the agreements of the Drogenrapport (see :meth:`Store.agreements`).
AGREEMENTS_TABLE = "lagebild_agreements"
#: Stored columns of an agreement, in order (the place is ``geometry_wkt``, metric CRS).
AGREEMENT_COLUMNS: tuple[str, ...] = (
    "agreement_id", "title", "kind", "place", "geometry_wkt", "agreed", "responsible", "due", "status", "done",
    "ended", "reason", "notes", "public", "measure_id", "updated_at", "updated_by",
)
AGREEMENT_DATES = ("agreed", "due", "done", "ended")


def has_table(con: sqlite3.Connection, name: str) -> bool:
    return con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def ensure_agreements_table(con: sqlite3.Connection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {AGREEMENTS_TABLE} (agreement_id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
        "kind TEXT NOT NULL, place TEXT, geometry_wkt TEXT NOT NULL, agreed TEXT NOT NULL, responsible TEXT NOT NULL, "
        "due TEXT NOT NULL, status TEXT NOT NULL, done TEXT, ended TEXT, reason TEXT, notes TEXT, "
        "public INTEGER NOT NULL DEFAULT 0, measure_id TEXT, updated_at TEXT, updated_by TEXT)"
    )


def _iso_date(value) -> str | None:
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def agreement_values(row: dict) -> dict:
    """One agreement as plain values for the table (dates ISO, geometry WKT, public 0/1)."""
    out = {c: row.get(c) for c in AGREEMENT_COLUMNS}
    geom = row.get("geometry")
    if geom is not None and not (isinstance(geom, float) and np.isnan(geom)):
        out["geometry_wkt"] = shapely.to_wkt(geom, rounding_precision=2, trim=True)
    for c in AGREEMENT_DATES:
        out[c] = _iso_date(out[c])
    for c in ("title", "kind", "place", "responsible", "status", "reason", "notes", "measure_id", "updated_by",
              "updated_at"):
        v = out[c]
        out[c] = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
    out["public"] = int(bool(out["public"])) if out["public"] is not None and not pd.isna(out["public"]) else 0
    return out


def agreement_frame(rows: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    rows = rows.copy()
    geoms = shapely.from_wkt(rows["geometry_wkt"].fillna("").astype(str).replace("", None).to_numpy())
    rows["agreement_id"] = rows["agreement_id"].astype("int64")
    for c in AGREEMENT_DATES:
        rows[c] = pd.to_datetime(rows[c], errors="coerce").astype("datetime64[ns]")
    rows["public"] = rows["public"].fillna(0).astype(int).astype(bool)
    for c in ("title", "kind", "place", "responsible", "status", "reason", "notes", "measure_id", "updated_at",
              "updated_by"):
        rows[c] = rows[c].astype(object).where(rows[c].notna(), "")
    rows = rows.drop(columns=["geometry_wkt"])
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, index=rows.index, crs=crs), crs=crs)


def audit_text(value) -> str:
    if value is None or value == "":
        return "–"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


#: Columns of the import history (same in both backends).
_HISTORY_COLUMNS = (
    "import_id", "file_name", "sha256", "kind", "imported_at", "rows_read", "stored", "rejected",
    "repaired", "rejects_file", "user", "notes",
)


def merge_agreement(current: pd.DataFrame, row: dict, user: str, now: str) -> tuple[int, dict, dict]:
    """``(agreement_id, old values, new values)`` of a save: a new number when ``row`` has none,
    else ``row`` merged over the stored agreement; ``updated_at = now``, ``updated_by = user``.

    Raises
    ------
    UserError
        The agreement to update does not exist.
    """
    new_id = row.get("agreement_id")
    if new_id is None or pd.isna(new_id):
        new_id = int(current["agreement_id"].max()) + 1 if len(current) else 1
        old: dict = {}
    else:
        new_id = int(new_id)
        hit = current[current["agreement_id"] == new_id]
        if not len(hit):
            raise UserError(f"Keine Vereinbarung mit der Nummer {new_id}.")
        old = agreement_values(hit.iloc[0].to_dict())
    merged = {**old, **{k: v for k, v in row.items() if k in AGREEMENT_COLUMNS or k == "geometry"}}
    merged["agreement_id"] = new_id
    merged["updated_at"] = now
    merged["updated_by"] = user
    return new_id, old, agreement_values(merged)


def measure_import(agreement_id: int, measure_kind: str, n: int, *, at: str, user: str) -> dict:
    """The import history row (without ``import_id``) of measure records created by an agreement."""
    return {c: None for c in _HISTORY_COLUMNS} | {
        "file_name": f"Vereinbarung Nr. {agreement_id}", "kind": measure_kind, "imported_at": at,
        "rows_read": n, "stored": n, "rejected": 0, "repaired": 0, "user": user,
        "notes": "aus der Vereinbarung übernommen"}


def agreement_audit(agreement_id: int, old: dict, values: dict, *, measure_kind: str | None = None,
                    measure_ids: list[str] | None = None, drop_measure: str | None = None) -> tuple[str, str]:
    """``(action, detail)`` of the audit line of a save: every changed column as ``old → new``."""
    changes = [f"{c}: {audit_text(old.get(c))} → {audit_text(values[c])}" for c in AGREEMENT_COLUMNS
               if c not in ("agreement_id", "updated_at", "updated_by") and old.get(c) != values[c]
               and (old or values[c] not in (None, ""))]
    if measure_ids:
        changes.append(f"Maßnahme {measure_kind} angelegt: {', '.join(measure_ids)}")
    if drop_measure:
        changes.append(f"Maßnahme {measure_kind} ersetzt: {drop_measure}")
    return ("agreement_change" if old else "agreement_add"), f"Vereinbarung Nr. {agreement_id}: " + "; ".join(changes)
