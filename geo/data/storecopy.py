"""Copy a whole store between backends (GeoPackage ⇄ PostGIS), verified by counts and checksums.

This is how a user migrates (``lagebild store copy data/lagebild.gpkg postgresql://…`` and
back) and how backups of a PostGIS store are made (a GeoPackage snapshot). Everything is
copied: the records of every kind with their ``record_id`` and ``import_id``, the import
history, the monthly cell counts of purged reports, the audit log, the agreements and the
offline base maps.

The target must be empty. It is written in one atomic step (GeoPackage: copy-on-write and
rename; PostGIS: one transaction) under its writer lock; the source is read under its
writer lock, so no import is half in the copy. Afterwards both stores are read back and
compared: records per kind, and a checksum per kind over the canonical rows

    SHA-256 of the CSV of (record_id, import_id, fields…, geometry as WKB hex) sorted by
    record_id, datetimes as ISO text,

and one over the import history, the agreements (sorted by number, the place as WKB hex) and the
base maps (sorted by all columns), the latter two only when the store holds any. A difference
raises :class:`UserError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.core.errors import UserError
from geo.core.schema import BASE_COLUMNS, IMPORT_ID, KINDS, QUALITY_COLUMNS, RECORD_ID, get_kind
from geo.data.agreement_rows import AGREEMENT_COLUMNS, AGREEMENTS_TABLE, agreement_values, ensure_agreements_table
from geo.data.basestore import BASE_LAYER
from geo.data.store import IMPORTS_TABLE, Store

AGGREGATE_LAYER = "aggregated_counts"
_IMPORT_NUMBERS = ("import_id", "rows_read", "stored", "rejected", "repaired")


@dataclass
class CopyResult:
    """A verified copy: records per kind, number of imports and audit entries, the checksums."""

    counts: dict[str, int]
    imports: int
    audit: int
    checksums: dict[str, str]
    agreements: int = 0
    base_features: int = 0

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """German summary for the command line."""
        lines = [f"kopiert: {self.records} Datensätze, {self.imports} Importe, {self.audit} Audit-Einträge"]
        lines += [f"{get_kind(k).label_plural}: {n}" for k, n in self.counts.items() if n]
        if self.agreements:
            lines.append(f"Vereinbarungen: {self.agreements}")
        if self.base_features:
            lines.append(f"Grundkarte: {self.base_features} Objekte")
        lines.append("Prüfsummen und Anzahlen stimmen überein.")
        return "\n".join(lines)


def _is_pg(store) -> bool:
    return getattr(store, "backend", "geopackage") == "postgis"


def kind_checksum(gdf: gpd.GeoDataFrame, kind: str) -> str:
    """SHA-256 of a kind's records in canonical form (see the module docstring)."""
    k = get_kind(kind)
    cols = [c for c in (RECORD_ID, IMPORT_ID, *k.field_names, *QUALITY_COLUMNS) if c in gdf]
    frame = pd.DataFrame({c: gdf[c].to_numpy() for c in cols})
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            frame[c] = s.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").where(s.notna(), "")
        elif pd.api.types.is_float_dtype(s):
            frame[c] = s.map(repr)
        else:
            frame[c] = s.astype(object).where(s.notna(), "").astype(str)
    return _digest(frame, gdf, [RECORD_ID] if RECORD_ID in frame else [])


def _frame_checksum(gdf: gpd.GeoDataFrame, cols: list[str], sort_by: list[str]) -> str:
    """SHA-256 of ``cols`` and the geometry as WKB hex, texts canonical, rows sorted by ``sort_by``."""
    frame = pd.DataFrame({c: gdf[c].to_numpy() for c in cols})
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            frame[c] = s.dt.strftime("%Y-%m-%d").where(s.notna(), "")
        elif pd.api.types.is_bool_dtype(s):
            frame[c] = s.map(lambda v: "1" if v else "0")
        else:
            frame[c] = s.astype(object).where(s.notna(), "").astype(str)
    return _digest(frame, gdf, sort_by)


def _digest(frame: pd.DataFrame, gdf: gpd.GeoDataFrame, sort_by: list[str]) -> str:
    """SHA-256 of the canonical text columns ``frame`` plus ``gdf``'s geometry as 2-D little-endian WKB hex
    (missing: empty), rows sorted by ``sort_by``."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    wkb = np.full(len(geoms), "", dtype=object)
    present = ~shapely.is_missing(geoms)
    if present.any():
        wkb[present] = shapely.to_wkb(geoms[present], hex=True, output_dimension=2, byte_order=1)
    frame["geometry"] = wkb
    frame = frame.sort_values(sort_by, kind="stable") if sort_by and len(frame) else frame
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def agreements_checksum(agreements: gpd.GeoDataFrame) -> str:
    """SHA-256 of the agreements (:data:`AGREEMENT_COLUMNS` without the WKT, dates as ISO days, the place)."""
    cols = [c for c in AGREEMENT_COLUMNS if c != "geometry_wkt"]
    frame = agreements.assign(agreement_id=agreements["agreement_id"].astype("int64"))
    return _frame_checksum(frame, cols, ["agreement_id"])


def base_checksum(base: gpd.GeoDataFrame) -> str:
    """SHA-256 of the base map features (:data:`BASE_COLUMNS` and geometry, sorted by all of them)."""
    return _frame_checksum(base, list(BASE_COLUMNS), [*BASE_COLUMNS, "geometry"])


def imports_checksum(history: pd.DataFrame) -> str:
    """SHA-256 of the import history in canonical form (sorted by import id, numbers as integers)."""
    frame = history.copy()
    for c in frame.columns:
        if c in _IMPORT_NUMBERS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("Int64").astype(str)
        else:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), "").astype(str)
    frame = frame.sort_values("import_id", key=lambda s: s.astype(int)) if len(frame) else frame
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def store_checksums(store) -> tuple[dict[str, int], dict[str, str]]:
    """Records per kind and checksums per kind (and ``_imports``) of a store."""
    counts, sums = {}, {}
    for name in store.layers():
        gdf = store.read(name)
        counts[name] = len(gdf)
        sums[name] = kind_checksum(gdf, name)
    sums["_imports"] = imports_checksum(store.imports())
    extras = read_extras(store)
    if len(extras.agreements):
        sums["_agreements"] = agreements_checksum(extras.agreements)
    if len(extras.base):
        sums["_base"] = base_checksum(extras.base)
    return counts, sums


@dataclass
class Extras:
    """What a store holds besides records, history, counts and audit: agreements and base maps."""

    agreements: gpd.GeoDataFrame
    base: gpd.GeoDataFrame

    def as_tuple(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        return self.agreements, self.base


def read_extras(store) -> Extras:
    """The agreements (:meth:`Store.agreements`) and base map features (:meth:`Store.read_base`) of a store."""
    return Extras(store.agreements(), store.read_base())


def read_aggregate_table(store) -> gpd.GeoDataFrame | None:
    """The raw rows of the aggregated counts (``None`` if there are none)."""
    if _is_pg(store):
        return store.read_aggregates()
    if store.exists() and AGGREGATE_LAYER in [str(n) for n in pyogrio.list_layers(store.path)[:, 0]]:
        return pyogrio.read_dataframe(store.path, layer=AGGREGATE_LAYER, use_arrow=False)
    return None


def read_content(store) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, gpd.GeoDataFrame | None, pd.DataFrame]:
    """Records per kind, import history, aggregated counts and audit log of a store."""
    records = {name: store.read(name) for name in store.layers()}
    return records, store.imports(), read_aggregate_table(store), store.audit_log()


def is_blank(store) -> bool:
    """No records, no import history, no agreements and no base map."""
    if not store.exists():
        return True
    return (store.is_empty() and not len(store.imports()) and not len(store.agreements())
            and not len(store.base_layers()))


def write_content(dst, records: dict[str, gpd.GeoDataFrame], imports: pd.DataFrame,
                  aggregates: gpd.GeoDataFrame | None, audit: pd.DataFrame | None, *,
                  keep_audit: bool = False, extras: Extras | None = None) -> None:
    """Replace the whole content of ``dst`` atomically (caller holds ``dst.lock()``).

    With ``keep_audit`` the target's audit log stays and ``audit`` is only used when it has none.
    ``extras`` (agreements and base maps) are written in the same step; without them a PostGIS
    target keeps its own.
    """
    if keep_audit and len(dst.audit_log()):
        audit = None
    if _is_pg(dst):
        dst.replace_all(records, imports, aggregates, audit, keep_audit=keep_audit,
                        extras=None if extras is None else extras.as_tuple())
        return
    _write_geopackage(dst, records, imports, aggregates, extras)
    if audit is not None and len(audit):
        _write_audit_file(dst, audit, replace=not keep_audit)


def _write_geopackage(dst: Store, records, imports: pd.DataFrame, aggregates, extras: Extras | None = None) -> None:
    dst.path.parent.mkdir(parents=True, exist_ok=True)
    with dst.transaction() as tmp:
        if tmp.exists():
            tmp.unlink()  # a whole new store, not an addition
        for name, gdf in records.items():
            kind = get_kind(name)
            cols = (RECORD_ID, IMPORT_ID, *kind.field_names, *QUALITY_COLUMNS)
            out = gdf[[c for c in cols if c in gdf] + [gdf.geometry.name]]
            dst._append_layer(tmp, kind, out)
        with contextlib.closing(sqlite3.connect(tmp)) as con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {IMPORTS_TABLE} (import_id INTEGER PRIMARY KEY, file_name TEXT, "
                "sha256 TEXT, kind TEXT, imported_at TEXT, rows_read INTEGER, stored INTEGER, rejected INTEGER, "
                "repaired INTEGER, rejects_file TEXT, user TEXT, notes TEXT)")
            names = list(imports.columns)
            rows = [tuple(_plain(v) for v in r) for r in imports.itertuples(index=False)]
            if rows:
                con.executemany(f"INSERT INTO {IMPORTS_TABLE} ({', '.join(names)}) VALUES "
                                f"({', '.join('?' * len(names))})", rows)
            con.commit()
        if aggregates is not None and len(aggregates):
            agg = aggregates.set_crs(dst.area.crs, allow_override=True) if aggregates.crs is None else aggregates
            pyogrio.write_dataframe(agg, tmp, layer=AGGREGATE_LAYER, driver="GPKG", geometry_type="Polygon")
        if extras is not None:
            _write_extras(tmp, extras, dst.area.crs)


def _write_extras(tmp: Path, extras: Extras, crs: str) -> None:
    """Agreements (plain table) and base map features (layer) into the new GeoPackage ``tmp``."""
    rows = [agreement_values(r) for r in extras.agreements.to_dict("records")]
    if rows:
        cols = list(AGREEMENT_COLUMNS)
        with contextlib.closing(sqlite3.connect(tmp)) as con:
            ensure_agreements_table(con)
            con.executemany(f"INSERT INTO {AGREEMENTS_TABLE} ({', '.join(cols)}) VALUES "
                            f"({', '.join('?' * len(cols))})", [[r[c] for c in cols] for r in rows])
            con.commit()
    if len(extras.base):
        base = extras.base.set_crs(crs, allow_override=True) if extras.base.crs is None else extras.base.to_crs(crs)
        pyogrio.write_dataframe(base[[*BASE_COLUMNS, base.geometry.name]], tmp, layer=BASE_LAYER, driver="GPKG",
                                geometry_type="Unknown")


def _write_audit_file(dst: Store, audit: pd.DataFrame, *, replace: bool) -> None:
    lines = []
    for r in audit.to_dict("records"):
        entry = {c: _plain(r.get(c)) for c in ("at", "user", "action", "kind", "count", "detail")}
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    mode = "w" if replace else "a"
    with open(dst.audit_path, mode, encoding="utf-8") as fh:
        fh.writelines(lines)


def _plain(v):
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def copy_store(src, dst) -> CopyResult:
    """Copy everything of ``src`` into the empty ``dst`` (either backend) and verify it.

    Raises
    ------
    UserError
        ``src`` does not exist or is ``dst``, ``dst`` is not empty, or the copy differs.
    """
    if not src.exists():
        raise UserError(f"Quelle {src.path if not _is_pg(src) else src} existiert nicht.")
    if str(getattr(src, "url", src.path)) == str(getattr(dst, "url", dst.path)):
        raise UserError("Quelle und Ziel sind derselbe Speicher.")
    if not is_blank(dst):
        raise UserError(f"Ziel {dst.path if not _is_pg(dst) else dst} ist nicht leer; "
                        "bitte in einen leeren Speicher kopieren.")
    with src.lock():
        records, imports, aggregates, audit = read_content(src)
        extras = read_extras(src)
        counts, sums = store_checksums(src)
    with dst.lock():
        if not is_blank(dst):
            raise UserError("Ziel wurde währenddessen beschrieben; nichts kopiert.")
        write_content(dst, records, imports, aggregates, audit, extras=extras)
    dst_counts, dst_sums = store_checksums(dst)
    if dst_counts != counts or dst_sums != sums:
        diff = sorted(k for k in set(sums) | set(dst_sums) if sums.get(k) != dst_sums.get(k))
        raise UserError(f"Kopie weicht von der Quelle ab ({', '.join(diff)}); bitte Ziel prüfen.")
    return CopyResult(counts, len(imports), len(audit), sums, len(extras.agreements), len(extras.base))


def snapshot_to_geopackage(store, path: Path) -> None:
    """A consistent GeoPackage copy of ``store`` at ``path`` (new file), e.g. for a backup."""
    copy_store(store, Store(path, store.area))


__all__ = ["CopyResult", "Extras", "agreements_checksum", "base_checksum", "copy_store", "kind_checksum",
           "imports_checksum", "read_extras", "store_checksums", "snapshot_to_geopackage", "KINDS"]
