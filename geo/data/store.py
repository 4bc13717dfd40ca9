"""The embedded store: one GeoPackage file with a layer per record kind.

Writes are atomic and serialised:

* a writer takes an exclusive ``flock`` on ``<store>.lock`` (other writers wait);
* it copies the store to ``<stem>.tmp-<pid>-<n>.gpkg``, writes the new rows and the import
  record there, flushes it to disk and renames it over the store (``os.replace`` is atomic);
* a crash or ``kill -9`` at any point leaves the old store untouched (a stale temporary
  file is removed by the next writer).

Readers never lock: they always see a complete snapshot. Besides the kinds' layers the
GeoPackage holds a plain table ``lagebild_imports`` (import history). Geometries are stored
in the study area's metric CRS.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from itertools import count
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.core.area import StudyArea, load_area
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.schema import (
    FLAG_STACK,
    IMPORT_ID,
    KINDS,
    LOCATION_FLAG,
    LOCATION_FLAGS,
    QUALITY_COLUMNS,
    RECORD_ID,
    Kind,
    get_kind,
)
from geo.data.agreement_rows import (
    AGREEMENT_COLUMNS,
    AGREEMENTS_TABLE,
    agreement_audit,
    agreement_frame,
    ensure_agreements_table,
    has_table,
    measure_import,
    merge_agreement,
)
from geo.data.basestore import BaseMapTables
from geo.data.gpkgtools import IMPORTS_TABLE, ensure_imports_table, gdal_options
from geo.data.private import make_private, open_private, private_dir
from geo.data.tombstones import delete_with_tombstones, read_tombstones

DEFAULT_STORE = Path(__file__).resolve().parents[2] / "data" / "lagebild.gpkg"
#: Layer of the offline base map (buildings, streets, …; see :mod:`geo.data.basefile`). Not a kind:
#: never counted, exported, purged or audited as personal data.
_IMPORT_COLUMNS = (
    "import_id", "file_name", "sha256", "kind", "imported_at", "rows_read", "stored", "rejected",
    "repaired", "rejects_file", "user", "notes",
)
_tmp_counter = count()


def default_store_path() -> Path:
    """``$LAGEBILD_STORE`` or ``data/lagebild.gpkg`` in the project (a path; see :func:`default_store_location`)."""
    return Path(os.environ.get("LAGEBILD_STORE") or DEFAULT_STORE)


def is_store_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database (``postgresql://…``) rather than a GeoPackage file."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in ("postgresql", "postgres")


def default_store_location() -> str | Path:
    """``$LAGEBILD_STORE`` (a ``postgresql://`` URL or a GeoPackage path) or ``data/lagebild.gpkg``."""
    env = os.environ.get("LAGEBILD_STORE") or ""
    return env if is_store_url(env) else default_store_path()


def open_store(location: str | os.PathLike | None = None, area: StudyArea | None = None, *,
               role: str | None = None):
    """The store at ``location``: a ``postgresql://`` URL opens the PostGIS backend
    (:class:`geo.data.pgstore.PgStore`), anything else a GeoPackage :class:`Store`.

    ``role`` (PostGIS only) makes the database enforce a Lagebild role (``SET ROLE``); the
    GeoPackage has no such enforcement, there :mod:`geo.data.access` does it in the app.
    Default location: :func:`default_store_location`.
    """
    location = default_store_location() if location is None else location
    if is_store_url(location):
        from geo.data.pgstore import PgStore

        return PgStore(str(location), area, role=role)
    return Store(location, area)


def empty_frame(kind: Kind | str, crs: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the kind's columns and dtypes."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    cols: dict[str, pd.Series] = {RECORD_ID: pd.Series(dtype=object), IMPORT_ID: pd.Series(dtype="int64")}
    for f in kind.fields:
        cols[f.name] = pd.Series(dtype={"datetime": "datetime64[ns]", "int": "int64", "float": "float64"}
                                 .get(f.type, object))
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


class Store(BaseMapTables):
    """A Lagebild GeoPackage store (the PostGIS backend, :class:`geo.data.pgstore.PgStore`, has the same interface).

    Parameters
    ----------
    path : the ``.gpkg`` file (created on the first import); default :func:`default_store_path`.
    area : the study area (its CRS is the store's CRS); default :func:`geo.core.area.load_area`.
    """

    backend = "geopackage"

    def __init__(self, path: str | os.PathLike | None = None, area: StudyArea | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.area = area or load_area()

    # ------------------------------------------------------------------ paths and state
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def rejects_dir(self) -> Path:
        """Folder beside the store where each import's rejected rows are written as CSV."""
        return self.path.with_name(self.path.stem + ".rejects")

    @property
    def audit_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".audit.jsonl")

    def exists(self) -> bool:
        return self.path.is_file()

    def version(self) -> str:
        """A token that changes whenever the store's content changes (for caches)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "empty"
        return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"

    def layers(self) -> list[str]:
        """Kinds that have a layer in the store."""
        if not self.exists():
            return []
        names = [str(n) for n in pyogrio.list_layers(self.path)[:, 0]]
        return [n for n in names if n in KINDS]

    def is_empty(self) -> bool:
        return not any(self.count(k) for k in self.layers())

    def count(self, kind: str) -> int:
        if kind not in self.layers():
            return 0
        return int(pyogrio.read_info(self.path, layer=kind)["features"])

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive writer lock (blocks until other writers are done)."""
        private_dir(self.path.parent, own=False)
        with open_private(self.lock_path, "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # ------------------------------------------------------------------ reading
    def read(
        self,
        kind: Kind | str,
        period: Period | None = None,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        columns: list[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Records of one kind as a GeoDataFrame in the store's metric CRS.

        Parameters
        ----------
        kind : record kind.
        period : reports whose date falls in it; measures active during it (started before
            its end and not ended before its start); places are not filtered by time.
        bbox : (minx, miny, maxx, maxy) in the store's CRS (metres).
        columns : attribute columns to read (default: all).
        """
        kind = get_kind(kind) if isinstance(kind, str) else kind
        crs = self.area.crs
        if kind.name not in self.layers():
            return empty_frame(kind, crs)
        where = None
        if period is not None and kind.date_field:
            start = period.start_ts.strftime("%Y-%m-%d")
            end = period.end_exclusive.strftime("%Y-%m-%d")
            if kind.end_field:
                where = f"{kind.date_field} < '{end}' AND ({kind.end_field} IS NULL OR {kind.end_field} >= '{start}')"
            else:
                where = f"{kind.date_field} >= '{start}' AND {kind.date_field} < '{end}'"
        gdf = pyogrio.read_dataframe(self.path, layer=kind.name, where=where, bbox=bbox, columns=columns,
                                     use_arrow=True)
        return _normalise(gdf, kind, crs)

    def attributes(self, kind: Kind | str, columns: list[str]) -> pd.DataFrame:
        """Some attribute columns of a kind, without geometries (cheap: no shapes are read)."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        if kind.name not in self.layers():
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pyogrio.read_dataframe(self.path, layer=kind.name, columns=columns, read_geometry=False,
                                      use_arrow=True)

    def ids(self, kind: Kind | str) -> pd.Index:
        """All stored ``record_id`` values of a kind."""
        return pd.Index(self.attributes(kind, [RECORD_ID])[RECORD_ID].astype(object))

    def imports(self) -> pd.DataFrame:
        """The import history, newest first."""
        if not self.exists():
            return pd.DataFrame(columns=list(_IMPORT_COLUMNS))
        with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as con:
            has = con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=?",
                              (IMPORTS_TABLE,)).fetchone()
            if not has:
                return pd.DataFrame(columns=list(_IMPORT_COLUMNS))
            return pd.read_sql_query(f"SELECT * FROM {IMPORTS_TABLE} ORDER BY import_id DESC", con)

    def find_import(self, sha256: str, kind: str) -> pd.Series | None:
        """The first import of a file with this content and kind, if any."""
        hist = self.imports()
        hit = hist[(hist["sha256"] == sha256) & (hist["kind"] == kind)]
        return None if hit.empty else hit.iloc[-1]

    # ------------------------------------------------------------------ writing
    def write_import(self, kind: Kind, rows: gpd.GeoDataFrame, record: dict) -> int:
        """Append ``rows`` of ``kind`` and the import ``record`` atomically; return the import id.

        Must be called while holding :meth:`lock`. ``rows`` must carry ``record_id`` and
        the kind's fields, with geometries in the store's CRS.
        """
        import_id = self._next_import_id()
        with self.transaction() as tmp:
            if len(rows) or not tmp.exists():  # a new store must be a GeoPackage even when nothing was accepted
                quality = [c for c in QUALITY_COLUMNS if c in rows.columns]  # time windows, location flags
                out = rows[[RECORD_ID, *kind.field_names, *quality, rows.geometry.name]].copy()
                out.insert(1, IMPORT_ID, import_id)
                self._append_layer(tmp, kind, out)
            row = {c: record.get(c) for c in _IMPORT_COLUMNS}
            row["import_id"] = import_id
            with contextlib.closing(sqlite3.connect(tmp)) as con:
                ensure_imports_table(con)
                con.execute(
                    f"INSERT INTO {IMPORTS_TABLE} ({', '.join(_IMPORT_COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(_IMPORT_COLUMNS))})",
                    [row[c] for c in _IMPORT_COLUMNS],
                )
                con.commit()
        return import_id

    def delete(self, kind: Kind | str, record_ids: list[str] | np.ndarray, *, tombstone: bool = False) -> int:
        """Delete records by id (atomic, takes the lock); return how many. With ``tombstone`` their ids stay
        behind (:mod:`geo.data.tombstones`): re-imports and restores do not bring them back."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        ids = [str(i) for i in record_ids]
        if not ids or kind.name not in self.layers():
            return 0
        with self.lock(), self.transaction() as tmp, contextlib.closing(sqlite3.connect(tmp)) as con:
            deleted = delete_with_tombstones(con, kind.name, ids, tombstone=tombstone)
            con.commit()
        return deleted

    def tombstones(self, kind: Kind | str | None = None) -> dict[str, set[str]]:
        """Record ids deleted for data protection, per kind (only ``kind`` when given)."""
        name = None if kind is None else (get_kind(kind) if isinstance(kind, str) else kind).name
        return read_tombstones(self.path, name) if self.exists() else ({} if name is None else {name: set()})

    def apply_tombstones(self, tombstones: dict[str, set[str]]) -> dict[str, int]:
        """Record ``tombstones`` (kind → ids) and delete what they name (atomic, takes the lock); return the
        records removed per kind. Used on a restored store: records deleted since its backup stay deleted."""
        wanted, layers = {k: sorted(v) for k, v in tombstones.items() if v and k in KINDS}, set(self.layers())
        if not wanted or not self.exists():
            return {}
        with self.lock(), self.transaction() as tmp, contextlib.closing(sqlite3.connect(tmp)) as con:
            removed = {k: delete_with_tombstones(con, k, ids, layer=k in layers) for k, ids in wanted.items()}
            con.commit()
        return removed

    def set_location_flag(self, kind: Kind | str, record_ids: list[str] | np.ndarray, flag: str, *,
                          user: str = "lokal", note: str = "") -> int:
        """Set ``location_flag`` of some records ("" clears it); atomic and audited. Returns the count changed.

        Used on the Daten page to clear a Sammelpunkt flag that marks a real place (or to
        set one by hand).
        """
        kind = get_kind(kind) if isinstance(kind, str) else kind
        if flag not in LOCATION_FLAGS:
            raise UserError(f"Unbekannter Ortshinweis '{flag}'.")
        ids = [str(i) for i in record_ids]
        if not ids or kind.name not in self.layers():
            return 0
        with self.lock():
            fields = [str(f) for f in pyogrio.read_info(self.path, layer=kind.name)["fields"]]
            if LOCATION_FLAG not in fields:
                return 0
            with self.transaction() as tmp, contextlib.closing(sqlite3.connect(tmp)) as con:
                con.execute("CREATE TEMP TABLE flag_ids (id TEXT PRIMARY KEY)")
                con.executemany("INSERT OR IGNORE INTO flag_ids VALUES (?)", [(i,) for i in ids])
                cur = con.execute(f'UPDATE "{kind.name}" SET {LOCATION_FLAG} = ? WHERE {RECORD_ID} IN '
                                  "(SELECT id FROM flag_ids)", (flag,))
                changed = cur.rowcount
                con.commit()
        what = f"Ortshinweis '{flag}' gesetzt" if flag else "Ortshinweis aufgehoben"
        self.audit("location_flag", user=user, kind=kind.name, count=changed,
                   detail=f"{what}{': ' + note if note else ''}")
        return changed

    def confirm_location_flag(self, kind: Kind | str, record_ids: list[str] | np.ndarray, *, user: str = "lokal",
                              note: str = "") -> None:
        """Record in the audit log that a user checked a Sammelpunkt and keeps its flag."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        self.audit("location_flag", user=user, kind=kind.name, count=len(record_ids),
                   detail=f"{FLAG_STACK} bestätigt{': ' + note if note else ''}")

    def audit(self, action: str, *, user: str = "lokal", kind: str | None = None, detail: str = "",
              count: int | None = None) -> None:
        """Append one line to the audit log (who, when, what)."""
        entry = {"at": datetime.now().isoformat(timespec="seconds"), "user": user, "action": action,
                 "kind": kind, "count": count, "detail": detail}
        private_dir(self.audit_path.parent, own=False)
        with open_private(self.audit_path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def audit_log(self) -> pd.DataFrame:
        """The audit log, oldest first."""
        if not self.audit_path.is_file():
            return pd.DataFrame(columns=["at", "user", "action", "kind", "count", "detail"])
        return pd.read_json(self.audit_path, lines=True, dtype=False)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Path]:
        """An atomic write: yields a temporary copy of the store to change; commits it on success.

        The copy replaces the store only when the block ends without an exception (after
        fsync, by rename); otherwise it is removed and the store is untouched. The caller
        must hold :meth:`lock`.
        """
        tmp = self._begin()
        try:
            yield tmp
            self._commit(tmp)
        except BaseException:
            _remove(tmp)
            raise

    # ------------------------------------------------------------------ agreements (Vereinbarungen)
    def agreements(self) -> gpd.GeoDataFrame:
        """All agreements of the Drogenrapport (table :data:`AGREEMENTS_TABLE`), oldest first.

        Columns :data:`AGREEMENT_COLUMNS`: ``agreement_id`` (int), texts, ``agreed``, ``due``,
        ``done``, ``ended`` (datetime64, NaT = not set), ``public`` (bool), ``measure_id`` (the
        ``record_id`` of the measure record it became, "" = none) and the place geometry in the
        store's metric CRS.
        """
        crs = self.area.crs
        rows = pd.DataFrame(columns=list(AGREEMENT_COLUMNS))
        if self.exists():
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as con:
                if has_table(con, AGREEMENTS_TABLE):
                    rows = pd.read_sql_query(f"SELECT * FROM {AGREEMENTS_TABLE} ORDER BY agreement_id", con)
        return agreement_frame(rows, crs)

    def save_agreement(
        self,
        row: dict,
        *,
        user: str,
        measure_kind: str | None = None,
        measure: gpd.GeoDataFrame | None = None,
        drop_measure: str | None = None,
    ) -> int:
        """Insert (``agreement_id`` missing or ``None``) or update one agreement atomically; return its id.

        Parameters
        ----------
        row : values of :data:`AGREEMENT_COLUMNS` (dates as ``date``/``Timestamp``/``None``, the
            place as ``geometry``, a shapely geometry in the store's CRS). An update needs
            only the changed columns besides ``agreement_id``.
        user : who changes it (audit log: who, when, old → new of every changed column).
        measure_kind, measure : validated measure rows (with ``record_id``) to add in the same
            write, e.g. when the agreement is carried out; an import record is written for them.
        drop_measure : ``record_id`` of a measure of ``measure_kind`` to remove in the same write
            (a measure record is replaced when its end date is set).

        Raises
        ------
        UserError
            The agreement to update does not exist.
        """
        with self.lock():
            at = datetime.now().isoformat(timespec="seconds")
            new_id, old, values = merge_agreement(self.agreements(), row, user, at)
            adding = measure is not None and len(measure) > 0 and measure_kind is not None
            import_id = self._next_import_id() if adding else None
            with self.transaction() as tmp:
                if measure_kind is not None and drop_measure:
                    self._delete_rows(tmp, get_kind(measure_kind), [drop_measure])
                if import_id is not None and measure is not None and measure_kind is not None:
                    kind = get_kind(measure_kind)
                    out = measure[[RECORD_ID, *kind.field_names, measure.geometry.name]].copy()
                    out.insert(1, IMPORT_ID, import_id)
                    self._append_layer(tmp, kind, out)
                with contextlib.closing(sqlite3.connect(tmp)) as con:
                    ensure_imports_table(con)
                    ensure_agreements_table(con)
                    if import_id is not None and measure is not None and measure_kind is not None:
                        rec = measure_import(new_id, measure_kind, len(measure), at=at, user=user)
                        rec["import_id"] = import_id
                        con.execute(f"INSERT INTO {IMPORTS_TABLE} ({', '.join(_IMPORT_COLUMNS)}) VALUES "
                                    f"({', '.join('?' * len(_IMPORT_COLUMNS))})", [rec[c] for c in _IMPORT_COLUMNS])
                    cols = list(AGREEMENT_COLUMNS)
                    con.execute(f"INSERT OR REPLACE INTO {AGREEMENTS_TABLE} ({', '.join(cols)}) VALUES "
                                f"({', '.join('?' * len(cols))})", [values[c] for c in cols])
                    con.commit()
        ids = list(measure[RECORD_ID].astype(str)) if measure is not None and len(measure) else None
        action, detail = agreement_audit(new_id, old, values, measure_kind=measure_kind, measure_ids=ids,
                                         drop_measure=drop_measure)
        self.audit(action, user=user, kind="agreement", count=1, detail=detail)
        return new_id

    # ------------------------------------------------------------------ internals
    def _next_import_id(self) -> int:
        hist = self.imports()
        return int(hist["import_id"].max()) + 1 if len(hist) else 1

    def remove_stale_temporaries(self) -> list[Path]:
        """Remove temporary copies of the store and their journals left by a killed writer (they can hold deleted
        or purged records). Call it holding :meth:`lock`; every write does it first."""
        stale = [Path(p) for p in glob.glob(glob.escape(str(self.path.with_name(self.path.stem))) + ".tmp-*.gpkg*")]
        for path in stale:
            _remove(path)
        return stale

    def _begin(self) -> Path:
        """Start a write: remove stale temporaries, copy the store to a new temporary file."""
        self.remove_stale_temporaries()
        tmp = self.path.with_name(f"{self.path.stem}.tmp-{os.getpid()}-{next(_tmp_counter)}.gpkg")
        if self.exists():
            with open(self.path, "rb") as src, open_private(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        return tmp

    def _commit(self, tmp: Path) -> None:
        if not tmp.exists():  # nothing was written to a new store: create it with the history table
            with contextlib.closing(sqlite3.connect(tmp)) as con:
                ensure_imports_table(con)
        make_private(tmp)  # GDAL creates a new store with the umask's mode
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _delete_rows(self, tmp: Path, kind: Kind, ids: list[str]) -> int:
        if not tmp.exists() or kind.name not in [str(n) for n in pyogrio.list_layers(tmp)[:, 0]]:
            return 0
        with contextlib.closing(sqlite3.connect(tmp)) as con:
            con.execute("PRAGMA secure_delete = ON")
            cur = con.executemany(f'DELETE FROM "{kind.name}" WHERE {RECORD_ID} = ?', [(str(i),) for i in ids])
            con.commit()
            return cur.rowcount

    def _append_layer(self, tmp: Path, kind: Kind, rows: gpd.GeoDataFrame) -> None:
        exists = tmp.exists() and kind.name in [str(n) for n in pyogrio.list_layers(tmp)[:, 0]]
        rows = rows.copy()
        for c in rows.columns:
            if c != rows.geometry.name and (isinstance(rows[c].dtype, pd.StringDtype) or rows[c].dtype == object):
                rows[c] = rows[c].astype(object).where(rows[c].notna(), None)
        if exists:  # quality columns (issue 12) are added to layers written before they existed
            have = {str(f) for f in pyogrio.read_info(tmp, layer=kind.name)["fields"]}
            missing = [c for c in QUALITY_COLUMNS if c in rows.columns and c not in have]
            if missing:
                sql_type = {"datetime": "DATETIME", "bool": "BOOLEAN", "str": "TEXT"}
                with contextlib.closing(sqlite3.connect(tmp)) as con:
                    for c in missing:
                        con.execute(f'ALTER TABLE "{kind.name}" ADD COLUMN "{c}" {sql_type[QUALITY_COLUMNS[c]]}')
                    con.commit()
        # The temporary copy needs no journal or synchronous writes: it becomes the store only
        # after it has been fsynced and renamed. No R-tree: queries filter by time, not space,
        # and building the index would triple the write time of large imports.
        with gdal_options(OGR_SQLITE_SYNCHRONOUS="OFF", OGR_SQLITE_JOURNAL="OFF", OGR_SQLITE_CACHE="512"):
            pyogrio.write_dataframe(
                rows, tmp, layer=kind.name, driver="GPKG", append=exists, use_arrow=True,
                geometry_type="Point" if kind.is_point_only else "Unknown",
                layer_options=None if exists else {"SPATIAL_INDEX": "NO"},
            )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _normalise(gdf: gpd.GeoDataFrame, kind: Kind, crs: str) -> gpd.GeoDataFrame:
    """Give a freshly read layer the schema's dtypes and column order."""
    if gdf.crs is None:
        gdf = gdf.set_crs(crs)
    out = {}
    for col in (RECORD_ID, IMPORT_ID, *kind.field_names, *QUALITY_COLUMNS):
        if col not in gdf:
            continue
        s = gdf[col]
        if col in QUALITY_COLUMNS:
            out[col] = _quality_column(s, QUALITY_COLUMNS[col])
            continue
        if col == IMPORT_ID:
            s = s.astype("int64")
        elif col == RECORD_ID:
            s = s.astype(object)
        else:
            f = kind.field(col)
            if f.type == "datetime":
                s = pd.to_datetime(s)
                if getattr(s.dt, "tz", None) is not None:
                    s = s.dt.tz_localize(None)
                s = s.astype("datetime64[ns]")
            elif f.type == "int":
                s = s.fillna(0).astype("int64")
            elif f.type == "float":
                s = s.astype("float64")
            else:
                s = s.astype(object).where(s.notna(), "")
        out[col] = s
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=gdf.crs, index=pd.RangeIndex(len(gdf)))


def _quality_column(s: pd.Series, kind: str) -> pd.Series:
    """A quality column as read back: datetimes naive, booleans without NULL, texts ``""`` for NULL."""
    if kind == "datetime":
        s = pd.to_datetime(s)
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.astype("datetime64[ns]")
    if kind == "bool":
        return s.astype(object).where(s.notna(), False).astype(bool)
    return s.astype(object).where(s.notna(), "")


#: Public name of :func:`_normalise` for the other backends.
normalise_frame = _normalise


def ensure_user_store(path: Path) -> None:
    """Refuse paths that cannot hold a store (a folder, a non-GeoPackage file)."""
    if path.is_dir():
        raise UserError(f"{path} ist ein Ordner, kein Speicher (.gpkg).")
    if path.exists():
        with open(path, "rb") as fh:
            if not fh.read(16).startswith(b"SQLite format 3"):
                raise UserError(f"{path} ist keine GeoPackage-Datei.")
