"""Data protection: deleting records on request and purging (or aggregating) old records.

Deletion
    :func:`delete_records` removes records by ``record_id`` (e.g. after a request under
    Art. 17 GDPR) with a mandatory reason; the audit log records who, when, which ids and
    why. Deleted rows are overwritten in the file (SQLite ``secure_delete``). A tombstone (the
    record's content hash) stays in the store, so importing the source file again rejects the
    row ("gelöscht (Datenschutz)") and restoring an older backup removes it again. Rows of the
    reject files that carry one of the deleted records' private values (complaint text,
    reporting person) are removed; stale temporary copies of the store are removed. What the
    deletion cannot reach is named: backups made before it (:attr:`DeleteResult.backups`).

Retention
    :func:`purge` removes reports (syringe finds, complaints, scene observations) whose date
    lies before the first day of the month ``N`` months before the current month: with
    ``N = 12`` on 21.11.2026 everything before 01.11.2025 goes, so twelve full months plus
    the current one are kept. Places and measures are never purged (a bin installed years
    ago may still stand). Files of rejected rows (``<store>.rejects/``) older than the
    cut-off are deleted too: they hold original values of the uploads.

Aggregation (``aggregate=True``)
    Before the records are deleted they are counted per calendar month and per cell of a
    fixed hexagon grid (:data:`RETENTION_CELL` m, anchored at the CRS origin, see
    :mod:`geo.core.grid`) and added to the layer :data:`AGGREGATE_LAYER` of the store. One row
    per kind, month and cell::

        kind      record kind, e.g. "syringe_find"
        month     "YYYY-MM"
        cell_size cell size in metres; shape "hex" or "square"
        cell_i, cell_j  lattice coordinates of the cell (stable across runs)
        records   number of records
        weight    sum of the kind's weight field (syringes, persons), else = records
        geometry  the cell polygon (store CRS)

    Running a purge again adds to existing rows (same kind, month and cell) instead of
    duplicating them. The layer holds no texts, persons or exact points.

Everything happens in one atomic write of the store (copy-on-write, like imports; on PostGIS
one transaction, :meth:`geo.data.pgstore.PgStore.purge_before`), under the store's writer
lock, and is written to the audit log.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.core import fmt
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.schema import RECORD_ID, REPORT_KINDS, get_kind
from geo.data.store import Store

if TYPE_CHECKING:
    from geo.data.pgstore import PgStore

#: Layer of the store that holds the monthly counts of purged records.
AGGREGATE_LAYER = "aggregated_counts"
#: Cell size (m, hexagon height) of the aggregation grid.
RETENTION_CELL = 100.0
_KEYS = ["kind", "month", "cell_size", "shape", "cell_i", "cell_j"]
_ID = re.compile(r"^[0-9a-f]{16}$")
_EARLIEST = date(1700, 1, 1)  # before any storable date (datetime64[ns] starts in 1677)


@dataclass
class DeleteResult:
    """What :func:`delete_records` did: deleted and unknown ids, rows removed from reject files (and how many
    files), and the backups made before the deletion, which still hold the records."""

    kind: str
    deleted: list[str]
    missing: list[str]
    scrubbed_rows: int = 0
    scrubbed_files: int = 0
    backups: list[Path] = field(default_factory=list)


@dataclass
class PurgeResult:
    """What :func:`purge` did (or would do with ``dry_run``)."""

    cutoff: date
    deleted: dict[str, int]
    aggregated: bool
    aggregate_rows: int = 0
    rejects_files: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def summary(self) -> str:
        """German summary for the command line."""
        verb = "würden gelöscht" if self.dry_run else "gelöscht"
        lines = [f"Stichtag: {fmt.date(self.cutoff)} (ältere Meldungen {verb})"]
        lines += [f"{get_kind(k).label_plural}: {n}" for k, n in self.deleted.items()]
        if self.aggregated:
            lines.append(f"zusammengefasst in {AGGREGATE_LAYER}: {self.aggregate_rows} Zeilen (Monat × Zelle)")
        lines.append(f"Dateien abgelehnter Zeilen {verb}: {len(self.rejects_files)}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- deletion
def check_ids(ids: list[str] | np.ndarray) -> list[str]:
    """Record ids as lower-case 16-digit hex strings (duplicates removed); refuse malformed ones."""
    clean = list(dict.fromkeys(str(i).strip().lower() for i in ids))
    bad = [i for i in clean if not _ID.match(i)]
    if bad:
        raise UserError(f"Ungültige Datensatz-ID '{bad[0][:40]}' (erwartet 16 Hexadezimalziffern).")
    if not clean:
        raise UserError("Keine Datensatz-ID angegeben.")
    return clean


def delete_records(store: Store, kind: str, ids: list[str], *, reason: str, user: str) -> DeleteResult:
    """Delete records of ``kind`` by id for a documented ``reason``; write it to the audit log.

    Raises
    ------
    UserError
        No reason, malformed ids, or none of the ids is stored.
    """
    kind_obj = get_kind(kind)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise UserError("Bitte einen Grund für die Löschung angeben (--reason).")
    wanted = check_ids(ids)
    present = set(store.ids(kind_obj))
    found = [i for i in wanted if i in present]
    missing = [i for i in wanted if i not in present]
    if not found:
        raise UserError(f"Keine der {len(wanted)} ID(s) ist als {kind_obj.label} gespeichert; nichts gelöscht.")
    records = store.read(kind_obj)
    records = records[records[RECORD_ID].isin(found)]
    deleted = store.delete(kind_obj, found, tombstone=True)
    rows, files = scrub_rejects(store, private_values(records, kind_obj.name))
    store.audit("delete", user=user, kind=kind_obj.name, count=deleted,
                detail=f"Grund: {reason}; IDs: {', '.join(found)}")
    if rows:
        store.audit("delete", user=user, kind=kind_obj.name, count=rows,
                    detail=f"aus {files} Datei(en) abgelehnter Zeilen entfernt (Löschung {', '.join(found)})")
    return DeleteResult(kind_obj.name, found, missing, rows, files, backups_before(store))


def private_values(records: pd.DataFrame, kind: str, min_chars: int = 3) -> set[str]:
    """The private values (free texts, reporting persons) of ``records``, normalised (stripped, case-folded);
    values shorter than ``min_chars`` are left out (they would match unrelated cells)."""
    from geo.data.access import private_fields

    values: set[str] = set()
    for col in private_fields(kind):
        if col in records:
            values |= {v for v in (str(x).strip().casefold() for x in records[col].dropna()) if len(v) >= min_chars}
    return values


def scrub_rejects(store: Store, values: set[str]) -> tuple[int, int]:
    """Remove from every reject file the rows with a cell equal to one of ``values`` (normalised as in
    :func:`private_values`); each changed file is replaced atomically. Returns (rows removed, files changed)."""
    from geo.data.ingest import write_rejects

    if not values or not store.rejects_dir.is_dir():
        return 0, 0
    rows = files = 0
    for path in sorted(store.rejects_dir.glob("*.csv")):
        try:
            table = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (ValueError, OSError, pd.errors.ParserError):
            continue
        hit = table.apply(lambda col: col.str.strip().str.casefold().isin(values)).any(axis=1)
        if not hit.any():
            continue
        tmp = path.with_name(f".{path.name}.scrub-{os.getpid()}")
        write_rejects(table.loc[~hit], tmp)
        os.replace(tmp, path)
        rows += int(hit.sum())
        files += 1
    return rows, files


def backups_before(store: Store) -> list[Path]:
    """Backups (and copies kept by a restore) in the store's backup folder: made before now, they may still
    hold deleted records."""
    from geo.data.backup import backup_dir

    folder = backup_dir(store)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix in (".zip", ".gpkg"))


# ---------------------------------------------------------------------------- retention
def cutoff_date(older_than_months: int, today: date) -> date:
    """First day of the month ``older_than_months`` months before ``today``'s month.

    >>> cutoff_date(12, date(2026, 11, 21))
    datetime.date(2025, 11, 1)
    """
    if int(older_than_months) < 1:
        raise UserError(f"--older-than {older_than_months}: es muss mindestens 1 Monat sein.")
    index = today.year * 12 + today.month - 1 - int(older_than_months)
    return date(index // 12, index % 12 + 1, 1)


def monthly_cell_counts(
    frames: dict[str, gpd.GeoDataFrame],
    crs: str,
    *,
    cell: float = RETENTION_CELL,
    shape: Literal["hex", "square"] = "hex",
) -> gpd.GeoDataFrame:
    """Count records per kind, calendar month and grid cell (see the module docstring for columns)."""
    from geo.core.grid import make_grid

    parts = []
    for name, gdf in frames.items():
        kind = get_kind(name)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if not present.any():
            continue
        gdf, geoms = gdf[present], geoms[present]
        centres = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.centroid(geoms))
        x, y = shapely.get_x(centres), shapely.get_y(centres)
        # a grid over the points' extent: every point's cell centre lies within one cell of it
        cover = shapely.box(x.min() - cell, y.min() - cell, x.max() + cell, y.max() + cell)
        grid = make_grid(cover, cell, shape, crs)
        ids = grid.cell_ids_at(x, y)
        weight = gdf[kind.weight_field].astype("float64").to_numpy() if kind.weight_field else np.ones(len(gdf))
        parts.append(pd.DataFrame({
            "kind": name, "month": gdf[kind.date_field].dt.strftime("%Y-%m").to_numpy(), "cell_size": float(cell),
            "shape": shape, "cell_i": grid.i[ids], "cell_j": grid.j[ids], "records": 1, "weight": weight,
            "geometry": grid.cells.geometry.to_numpy()[ids],
        }))
    return merge_counts(parts, crs)


def merge_counts(parts: list[pd.DataFrame], crs: str) -> gpd.GeoDataFrame:
    """Sum count tables on kind, month and cell (one row each)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        cols = {c: pd.Series(dtype=object) for c in _KEYS} | {"records": pd.Series(dtype="int64"),
                                                              "weight": pd.Series(dtype="float64")}
        return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    table = pd.DataFrame(pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True))
    table = table.astype({"month": str, "kind": str, "shape": str, "cell_i": "int64", "cell_j": "int64"})
    out = table.groupby(_KEYS, sort=True, as_index=False).agg(
        records=("records", "sum"), weight=("weight", "sum"), geometry=("geometry", "first"))
    out["records"] = out["records"].astype("int64")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def read_aggregates(store: Store) -> gpd.GeoDataFrame:
    """The monthly cell counts of purged records (empty if there are none)."""
    if getattr(store, "backend", "") == "postgis":
        table = cast("PgStore", store).read_aggregates()
        return merge_counts([] if table is None else [table], store.area.crs)
    if store.exists() and AGGREGATE_LAYER in [str(n) for n in pyogrio.list_layers(store.path)[:, 0]]:
        gdf = pyogrio.read_dataframe(store.path, layer=AGGREGATE_LAYER, use_arrow=False)
        return merge_counts([gdf], store.area.crs)
    return merge_counts([], store.area.crs)


def purge(
    store: Store,
    older_than_months: int,
    *,
    aggregate: bool = False,
    kinds: tuple[str, ...] | list[str] | None = None,
    today: date | None = None,
    user: str = "lokal",
    cell: float = RETENTION_CELL,
    dry_run: bool = False,
) -> PurgeResult:
    """Delete (and optionally aggregate) reports older than ``older_than_months`` months.

    Parameters
    ----------
    store : the store.
    older_than_months : see :func:`cutoff_date`; at least 1.
    aggregate : keep monthly counts per grid cell in :data:`AGGREGATE_LAYER` first.
    kinds : report kinds to purge (default: all report kinds).
    today : reference date (default: today).
    user : name for the audit log.
    cell : cell size of the aggregation grid (m).
    dry_run : only count, change nothing.
    """
    kinds = tuple(kinds or REPORT_KINDS)
    not_reports = [k for k in kinds if k not in REPORT_KINDS]
    if not_reports:
        raise UserError(f"Nur Meldungen können nach Frist gelöscht werden, nicht {get_kind(not_reports[0]).label}.")
    cutoff = cutoff_date(older_than_months, today or date.today())
    before = Period(_EARLIEST, cutoff - timedelta(days=1))
    result = PurgeResult(cutoff, {}, aggregate, dry_run=dry_run)
    with store.lock():
        if not dry_run and hasattr(store, "remove_stale_temporaries"):  # GeoPackage: copies of killed writers
            store.remove_stale_temporaries()  # a purge killed earlier left its copy of the old records
        layers = store.layers()
        frames = {k: store.read(k, before) for k in kinds if k in layers}
        result.deleted = {k: len(f) for k, f in frames.items()}
        if result.total and not dry_run:
            counts = monthly_cell_counts(frames, store.area.crs, cell=cell) if aggregate else None
            result.aggregate_rows = _write_purge(store, frames, cutoff, counts)
    result.rejects_files = _old_rejects(store, cutoff, remove=not dry_run)
    if not dry_run:
        detail = f"Meldungen vor {fmt.date(cutoff)} gelöscht" + (
            f"; monatlich je {cell:g}-m-Zelle in {AGGREGATE_LAYER} zusammengefasst" if aggregate else "")
        for k, n in result.deleted.items():
            if n:
                store.audit("purge", user=user, kind=k, count=n, detail=detail)
        if result.rejects_files:
            store.audit("purge", user=user, count=len(result.rejects_files),
                        detail=f"Dateien abgelehnter Zeilen vor {fmt.date(cutoff)} gelöscht")
    return result


def _write_purge(store: Store, frames: dict[str, gpd.GeoDataFrame], cutoff: date,
                 counts: gpd.GeoDataFrame | None) -> int:
    """Delete the purged rows and add ``counts`` in one atomic write (caller holds the lock)."""
    if getattr(store, "backend", "") == "postgis":  # one transaction in the database
        return cast("PgStore", store).purge_before(frames, cutoff, counts, merge_counts)
    with store.transaction() as tmp:
        with contextlib.closing(sqlite3.connect(tmp)) as con:
            con.execute("PRAGMA secure_delete = ON")
            con.execute("PRAGMA journal_mode = OFF")  # a journal would keep the purged rows if the run is killed
            for name, frame in frames.items():
                field_name = get_kind(name).date_field
                cur = con.execute(f'DELETE FROM "{name}" WHERE "{field_name}" < ?', (cutoff.isoformat(),))
                if cur.rowcount != len(frame):  # the read and the delete must agree, else change nothing
                    raise RuntimeError(f"purge {name}: {cur.rowcount} rows matched, {len(frame)} read")
            con.commit()
        rows = 0
        if counts is not None:
            existing = [str(n) for n in pyogrio.list_layers(tmp)[:, 0]]
            old = pyogrio.read_dataframe(tmp, layer=AGGREGATE_LAYER, use_arrow=False) \
                if AGGREGATE_LAYER in existing else None
            merged = merge_counts([counts] if old is None else [old, counts], store.area.crs)
            pyogrio.write_dataframe(merged, tmp, layer=AGGREGATE_LAYER, driver="GPKG", geometry_type="Polygon")
            rows = len(counts)
    return rows


def _old_rejects(store: Store, cutoff: date, *, remove: bool) -> list[str]:
    """Files of rejected rows last written before ``cutoff``; deleted when ``remove``."""
    if not store.rejects_dir.is_dir():
        return []
    limit = datetime.combine(cutoff, datetime.min.time()).timestamp()
    old = sorted(p for p in store.rejects_dir.glob("*.csv") if p.stat().st_mtime < limit)
    if remove:
        for p in old:
            p.unlink(missing_ok=True)
    return [p.name for p in old]
