"""The multi-user store: PostgreSQL with PostGIS, behind the same interface as the GeoPackage store.

Selected by a ``postgresql://`` URL (``--store`` or ``$LAGEBILD_STORE``, see
:func:`geo.data.store.open_store`). One table per record kind, generated from
:data:`geo.core.schema.KINDS`::

    <kind>  fid bigserial, record_id text UNIQUE, import_id integer, <the kind's fields>,
            geom geometry(<Point|Geometry>, <srid of the area's metric CRS>) with a GiST index,
            a B-tree index on the kind's date field

plus ``lagebild_imports`` (import history), ``lagebild_audit`` (audit log),
``aggregated_counts`` (monthly cell counts of purged reports) and ``lagebild_state`` (the
content version for caches; statement triggers on every data table increase it).

Migrations
    :data:`MIGRATIONS` are numbered SQL scripts; ``lagebild_schema_version`` records which
    ran. After them the kinds' tables are reconciled with the schema (new kinds get tables,
    new fields get columns, the role views are rebuilt) whenever the schema's fingerprint
    changed. Both run in one transaction under an advisory lock, as the connecting user
    (the database owner), never as a Lagebild role.

Transactions
    An import is one transaction: the history row and all records are written with ``COPY``
    and committed together, or not at all (a ``kill -9`` of the importing process aborts
    the transaction on the server). Writers are serialised by a session advisory lock
    (:meth:`PgStore.lock`, the counterpart of the GeoPackage's ``flock``); the unique
    constraint on ``record_id`` is the backstop: an import that would store a row twice
    fails as a whole. Deletion, purge, restore and copies are single transactions too.

Roles
    ``lagebild_analyse``, ``lagebild_rapport`` and ``lagebild_oeffentlich`` are database
    roles (NOLOGIN; the app's login is a member and ``SET ROLE``s). ``analyse`` reads and
    writes the tables. ``rapport`` reads only the views ``rapport_<kind>`` (no free texts,
    no reporting persons) and the history. ``oeffentlich`` reads only the view
    ``oeffentlich_zellen`` (events per report kind, month and 250-m square, cells with fewer
    than :data:`geo.data.access.K_MIN` events left out) and the district outlines.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.core.area import StudyArea, load_area
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.schema import IMPORT_ID, KINDS, QUALITY_COLUMNS, RECORD_ID, Kind, get_kind
from geo.data.access import PUBLIC_KINDS, check_role, private_fields
from geo.data.pgconn import close_pools, connect_args, db_error, display_url, pool  # noqa: F401 - close_pools re-exported
from geo.data.pgcopy import copy_records
from geo.data.pgextras import PgExtras
from geo.data.pgpublic import PgPublic
from geo.data.pgschema import (
    AGGREGATE_COLUMNS,
    AGGREGATE_TABLE,
    AUDIT_COLUMNS,
    AUDIT_TABLE,
    IMPORT_COLUMNS,
    MIGRATIONS,
    PUBLIC_IMPORT_COLUMNS,
    SCHEMA_LOCK_KEY,
    SQL_TYPES,
    STATE_TABLE,
    WRITE_LOCK_KEY,
    add_quality_columns,
    quote,
    run_migrations,
    schema_fingerprint,
    schema_state,
)
from geo.data.store import DEFAULT_STORE, IMPORTS_TABLE, empty_frame, is_store_url, normalise_frame
from geo.data.tombstones import pg_delete_with_tombstones, pg_read_tombstones


# ---------------------------------------------------------------------------- the store
class PgStore(PgExtras, PgPublic):
    """A Lagebild store in a PostgreSQL/PostGIS database (same interface as :class:`Store`; agreements,
    base maps and location flags in :class:`geo.data.pgextras.PgExtras`).

    Parameters
    ----------
    url : ``postgresql://user[:password]@host[:port]/dbname`` (libpq URL; ``?host=/socket/dir`` for
        a Unix socket).
    area : the study area (its metric CRS is the geometry columns' SRID).
    role : ``None`` (the connecting login, e.g. for imports and migrations) or a Lagebild role,
        which the connections ``SET ROLE`` to; the database then enforces what it may read.
    local_dir : folder for files beside the database: rejected rows (``<dbname>.rejects/``) and
        backups (``backups/``); default ``$LAGEBILD_STORE_FILES`` or ``data/`` of the project.
    """

    backend = "postgis"

    def __init__(self, url: str, area: StudyArea | None = None, *, role: str | None = None,
                 local_dir: str | Path | None = None) -> None:
        if not is_store_url(url):
            raise UserError(f"{url}: keine PostgreSQL-URL (erwartet postgresql://…).")
        self.url = url
        self.area = area or load_area()
        self.role = check_role(role) if role else None
        dbname = re.sub(r"[^A-Za-z0-9_.-]", "_", url.split("?", 1)[0].rsplit("/", 1)[-1] or "lagebild")
        #: Local companion path: rejects and backups live beside it (it is never a file).
        files = Path(local_dir or os.environ.get("LAGEBILD_STORE_FILES") or DEFAULT_STORE.parent)
        self.path = files.absolute() / dbname
        self.srid = int(CRS.from_user_input(self.area.crs).to_epsg() or 0)
        if not self.srid:
            raise UserError(f"Koordinatensystem {self.area.crs} hat keinen EPSG-Code; PostGIS braucht einen.")
        self._ready = False
        self._seen = False

    def __repr__(self) -> str:
        return f"PgStore({display_url(self.url)!r}, role={self.role!r})"

    def __str__(self) -> str:
        return display_url(self.url)

    # ------------------------------------------------------------------ connections and schema
    @contextlib.contextmanager
    def connection(self) -> Iterator:
        """A pooled connection (in a transaction that commits when the block ends without error)."""
        import psycopg

        self.migrate()
        try:
            with pool(self.url, self.role).connection() as conn:
                yield conn
        except psycopg.errors.InsufficientPrivilege as exc:
            raise UserError(f"Keine Berechtigung (Rolle {self.role}): {str(exc).splitlines()[0]}") from None
        except psycopg.OperationalError as exc:
            raise db_error(exc, self.url) from None

    def migrate(self) -> int:
        """Run outstanding migrations and reconcile the kinds' tables; return the schema version.

        As a Lagebild role (``role`` set) nothing is changed: an outdated schema is an error.
        """
        if self._ready:
            return len(MIGRATIONS)
        import psycopg

        try:
            with psycopg.connect(self.url, **connect_args()) as conn:
                done, current_hash = self._schema_state(conn)
                if done < len(MIGRATIONS) or current_hash != schema_fingerprint():
                    if self.role:
                        raise UserError(f"Datenbank {self}: Schema veraltet oder fehlt; bitte als Eigentümer "
                                        f"'lagebild store migrate {display_url(self.url)}' ausführen.")
                    conn.commit()
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
                        done, current_hash = self._schema_state(conn)  # another process may have done it
                        if done < len(MIGRATIONS) or current_hash != schema_fingerprint():
                            self._run_migrations(conn)
                conn.commit()
        except psycopg.OperationalError as exc:
            raise db_error(exc, self.url) from None
        except psycopg.Error as exc:
            raise UserError(f"Datenbank {self}: Schema nicht einrichtbar ({str(exc).splitlines()[0]}).") from None
        self._ready = True
        return len(MIGRATIONS)

    def _schema_state(self, conn) -> tuple[int, str]:
        done, srid, schema_hash = schema_state(conn)
        if srid is not None and srid != self.srid:
            raise UserError(f"Datenbank {self}: Geometrien im Koordinatensystem {srid}, das Gebiet "
                            f"{self.area.name} aber in {self.area.crs} – falsches Gebiet?")
        return done, schema_hash

    def _run_migrations(self, conn) -> None:
        run_migrations(conn, self.srid)
        srid = schema_state(conn)[1]
        if srid != self.srid:
            raise UserError(f"Datenbank {self}: Geometrien im Koordinatensystem {srid}, Gebiet in {self.area.crs}.")

    def schema_version(self) -> int:
        """Number of the last migration applied (0: none)."""
        import psycopg

        try:
            with psycopg.connect(self.url, **connect_args()) as conn:
                return self._schema_state(conn)[0]
        except psycopg.OperationalError as exc:
            raise db_error(exc, self.url) from None

    # ------------------------------------------------------------------ paths and state
    @property
    def rejects_dir(self) -> Path:
        """Folder where each import's rejected rows are written as CSV."""
        return self.path.with_name(self.path.name + ".rejects")

    def exists(self) -> bool:
        """Whether the database holds a Lagebild schema."""
        if self._ready or self._seen:
            return True
        try:
            self._seen = self.schema_version() > 0
        except UserError:
            return False
        return self._seen

    def version(self) -> str:
        """A token that changes whenever records, history or aggregates change (for caches)."""
        if not self.exists():
            return "empty"
        with self.connection() as conn:
            return f"pg-{conn.execute(f'SELECT version FROM {STATE_TABLE}').fetchone()[0]}"

    def layers(self) -> list[str]:
        """Kinds that hold records or were ever imported (like the GeoPackage's layers)."""
        if not self.exists():
            return []
        readable = self._readable_kinds()
        with self.connection() as conn:
            seen = set()
            if self.role in (None, "analyse", "rapport"):
                seen = {r[0] for r in conn.execute(f"SELECT DISTINCT kind FROM {IMPORTS_TABLE}")}
            for name in readable:
                if name not in seen and conn.execute(
                        f"SELECT EXISTS (SELECT 1 FROM {self._source(name)})").fetchone()[0]:
                    seen.add(name)
        return [k for k in KINDS if k in seen and k in readable]

    def is_empty(self) -> bool:
        return not any(self.count(k) for k in self.layers())

    def count(self, kind: str) -> int:
        kind = get_kind(kind).name
        if kind not in self._readable_kinds() or not self.exists():
            return 0
        with self.connection() as conn:
            return int(conn.execute(f"SELECT count(*) FROM {self._source(kind)}").fetchone()[0])

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive writer lock across processes and machines (a session advisory lock)."""
        self.migrate()
        with pool(self.url, self.role).connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
            conn.commit()
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
                conn.commit()

    @contextlib.contextmanager
    def transaction(self) -> Iterator:
        """An atomic write: yields a connection inside a transaction; commits on success."""
        with self.connection() as conn, conn.transaction():
            yield conn

    # ------------------------------------------------------------------ reading
    def _readable_kinds(self) -> list[str]:
        if self.role == "oeffentlich":
            return [k for k in KINDS if k in PUBLIC_KINDS]
        return list(KINDS)

    def _source(self, kind: str) -> str:
        """Table (or view, for ``rapport``) of a kind's records."""
        if self.role == "rapport" and kind not in PUBLIC_KINDS:
            return quote(f"rapport_{kind}")
        return quote(kind)

    def _visible_columns(self, kind: Kind) -> list[str]:
        hidden = set(private_fields(kind)) if self.role == "rapport" and kind.name not in PUBLIC_KINDS else set()
        return [c for c in (RECORD_ID, IMPORT_ID, *kind.field_names) if c not in hidden]

    def read(
        self,
        kind: Kind | str,
        period: Period | None = None,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        columns: list[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Records of one kind (see :meth:`geo.data.store.Store.read`); filters run in SQL.

        For ``rapport`` private fields come back empty; ``oeffentlich`` gets no records
        except :data:`geo.data.access.PUBLIC_KINDS` (use :meth:`public_cells`).
        """
        kind = get_kind(kind) if isinstance(kind, str) else kind
        crs = self.area.crs
        if kind.name not in self._readable_kinds() or not self.exists():
            return empty_frame(kind, crs)
        visible = self._visible_columns(kind)
        wanted = [c for c in (RECORD_ID, IMPORT_ID, *kind.field_names)
                  if columns is None or c in columns or c in (RECORD_ID, IMPORT_ID)]
        selected = [c for c in wanted if c in visible]
        where, params = self._filters(kind, period, bbox)
        with self.connection() as conn:
            quality = [c for c in self._quality_present(conn, kind.name) if columns is None or c in columns]
            wanted, selected = [*wanted, *quality], [*selected, *quality]
            sql = (f"SELECT {', '.join(quote(c) for c in selected)}, ST_AsBinary(geom) "
                   f"FROM {self._source(kind.name)}{where} ORDER BY fid")
            rows = conn.execute(sql, params).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=[*selected, "_wkb"]) if rows else \
            pd.DataFrame({c: pd.Series(dtype=object) for c in [*selected, "_wkb"]})
        geoms = shapely.from_wkb(np.asarray([bytes(b) if b is not None else None for b in frame["_wkb"]],
                                            dtype=object)) if len(frame) else np.array([], dtype=object)
        frame = frame.drop(columns="_wkb")
        for c in wanted:
            if c not in frame:  # hidden from this role: empty like a released column
                frame[c] = ""
        gdf = gpd.GeoDataFrame(frame[wanted], geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
        if columns is not None:
            keep = [c for c in gdf.columns if c in columns or c == gdf.geometry.name]
            gdf = gdf[keep]
        out = normalise_frame(gdf, kind, crs)
        if not len(out):
            base = empty_frame(kind, crs)
            return base[[c for c in base.columns if c in out.columns or c == base.geometry.name]]
        return out

    def _quality_present(self, conn, kind: str) -> list[str]:
        """Quality columns (time windows, location flags) that the kind's relation has, in schema order."""
        relation = self._source(kind).strip('"')
        have = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s", (relation,))}
        return [c for c in QUALITY_COLUMNS if c in have]

    def _filters(self, kind: Kind, period: Period | None, bbox) -> tuple[str, list]:
        clauses, params = [], []
        if period is not None and kind.date_field:
            start, end = period.start_ts.to_pydatetime(), period.end_exclusive.to_pydatetime()
            if kind.end_field:
                clauses.append(f"{quote(kind.date_field)} < %s AND ({quote(kind.end_field)} IS NULL "
                               f"OR {quote(kind.end_field)} >= %s)")
                params += [end, start]
            else:
                clauses.append(f"{quote(kind.date_field)} >= %s AND {quote(kind.date_field)} < %s")
                params += [start, end]
        if bbox is not None:
            clauses.append(f"geom && ST_MakeEnvelope(%s, %s, %s, %s, {self.srid})")
            params += [float(v) for v in bbox]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def attributes(self, kind: Kind | str, columns: list[str]) -> pd.DataFrame:
        """Some attribute columns of a kind, without geometries."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        if kind.name not in self._readable_kinds() or not self.exists():
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        visible = set(self._visible_columns(kind))
        selected = [c for c in columns if c in visible]
        with self.connection() as conn:
            rows = conn.execute(f"SELECT {', '.join(quote(c) for c in selected) or '1'} FROM "
                                f"{self._source(kind.name)} ORDER BY fid").fetchall()
        frame = pd.DataFrame.from_records(rows, columns=selected or ["_"])[selected]
        for c in columns:
            if c not in frame:
                frame[c] = ""
        for c in frame.columns:
            f = next((f for f in kind.fields if f.name == c), None)
            if f is not None and f.type == "datetime":
                frame[c] = pd.to_datetime(frame[c])
        return frame[columns]

    def ids(self, kind: Kind | str) -> pd.Index:
        """All stored ``record_id`` values of a kind."""
        return pd.Index(self.attributes(kind, [RECORD_ID])[RECORD_ID].astype(object))

    def imports(self) -> pd.DataFrame:
        """The import history, newest first."""
        if not self.exists():
            return pd.DataFrame(columns=list(IMPORT_COLUMNS))
        shown = PUBLIC_IMPORT_COLUMNS if self.role == "oeffentlich" else IMPORT_COLUMNS  # its column grants
        cols = ", ".join(quote(c) if c in shown else f"NULL AS {quote(c)}" for c in IMPORT_COLUMNS)
        with self.connection() as conn:
            rows = conn.execute(f"SELECT {cols} FROM {IMPORTS_TABLE} ORDER BY import_id DESC").fetchall()
        return pd.DataFrame.from_records(rows, columns=list(IMPORT_COLUMNS))

    def find_import(self, sha256: str, kind: str) -> pd.Series | None:
        """The first import of a file with this content and kind, if any."""
        hist = self.imports()
        hit = hist[(hist["sha256"] == sha256) & (hist["kind"] == kind)]
        return None if hit.empty else hit.iloc[-1]

    # ------------------------------------------------------------------ writing
    def _next_import_id(self) -> int:
        if not self.exists():
            return 1
        with self.connection() as conn:
            return int(conn.execute(f"SELECT coalesce(max(import_id), 0) + 1 FROM {IMPORTS_TABLE}").fetchone()[0])

    def write_import(self, kind: Kind, rows: gpd.GeoDataFrame, record: dict) -> int:
        """Append ``rows`` of ``kind`` and the import ``record`` in one transaction; return the import id.

        Must be called while holding :meth:`lock`. A row whose ``record_id`` is already stored
        makes the whole import fail (unique constraint); nothing of it is stored then.
        """
        import psycopg

        with self.transaction() as conn:
            import_id = int(conn.execute(f"SELECT coalesce(max(import_id), 0) + 1 FROM {IMPORTS_TABLE}"
                                         ).fetchone()[0])
            row = {c: record.get(c) for c in IMPORT_COLUMNS}
            row["import_id"] = import_id
            conn.execute(f"INSERT INTO {IMPORTS_TABLE} ({', '.join(quote(c) for c in IMPORT_COLUMNS)}) "
                         f"VALUES ({', '.join(['%s'] * len(IMPORT_COLUMNS))})", [row[c] for c in IMPORT_COLUMNS])
            quality = [c for c in QUALITY_COLUMNS if c in rows.columns]  # time windows, location flags
            out = rows[[RECORD_ID, *kind.field_names, *quality]].copy()
            out.insert(1, IMPORT_ID, import_id)
            try:
                self._copy_rows(conn, kind, out, rows.geometry.to_numpy())
            except psycopg.errors.UniqueViolation:
                raise UserError("Datensätze wurden gleichzeitig von einem anderen Import gespeichert; "
                                "nichts gespeichert – bitte erneut importieren.") from None
        return import_id

    def _copy_rows(self, conn, kind: Kind, frame: pd.DataFrame, geoms: np.ndarray, chunk: int = 50_000) -> None:
        """``COPY`` records (system columns and fields as in ``frame``) into the kind's table (caller holds the lock;
        :func:`geo.data.pgcopy.copy_records`)."""
        if not len(frame):
            return
        add_quality_columns(conn, kind, [c for c in frame.columns if c in QUALITY_COLUMNS])
        texts = {RECORD_ID} | {f.name for f in kind.fields if SQL_TYPES.get(f.type, "text") == "text"}
        force_null = [c for c in (*frame.columns, "geom") if c not in texts]  # "" is NULL there
        copy_records(conn, quote(kind.name), frame, geoms, srid=self.srid, texts=texts, force_null=force_null,
                     order_by=RECORD_ID if RECORD_ID in frame else None, fid_sequence=quote(kind.name + "_fid_seq"))

    def delete(self, kind: Kind | str, record_ids: list[str] | np.ndarray, *, tombstone: bool = False) -> int:
        """Delete records by id (one transaction, takes the lock); return how many. ``tombstone``: as in Store."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        ids = [str(i) for i in record_ids]
        if not ids or kind.name not in self.layers():
            return 0
        with self.lock(), self.transaction() as conn:
            deleted = pg_delete_with_tombstones(conn, kind.name, ids, tombstone=tombstone)
        self._vacuum(kind.name)
        return deleted

    def tombstones(self, kind: Kind | str | None = None) -> dict[str, set[str]]:
        """Record ids deleted for data protection, per kind (see :mod:`geo.data.tombstones`)."""
        with self.connection() as conn:
            return pg_read_tombstones(conn, None if kind is None else get_kind(str(getattr(kind, "name", kind))).name)

    def purge_before(self, frames: dict[str, gpd.GeoDataFrame], cutoff, counts: gpd.GeoDataFrame | None,
                     merge) -> int:
        """Delete reports dated before ``cutoff`` and add ``counts`` (merged with ``merge``) in one transaction.

        ``frames`` are the rows read before (the delete must match them, else nothing changes).
        Caller holds :meth:`lock`. Returns the number of count rows added.
        """
        limit = datetime.combine(cutoff, datetime.min.time())
        with self.transaction() as conn:
            for name, frame in frames.items():
                field_name = str(get_kind(name).date_field)
                cur = conn.execute(f"DELETE FROM {quote(name)} WHERE {quote(field_name)} < %s", (limit,))
                if cur.rowcount != len(frame):
                    raise RuntimeError(f"purge {name}: {cur.rowcount} rows matched, {len(frame)} read")
            rows = 0
            if counts is not None:
                old = self._read_aggregates(conn)
                merged = merge([counts] if old is None else [old, counts], self.area.crs)
                conn.execute(f"DELETE FROM {AGGREGATE_TABLE}")
                self._write_aggregates(conn, merged)
                rows = len(counts)
        for name in frames:
            self._vacuum(name)
        return rows

    def read_aggregates(self) -> gpd.GeoDataFrame | None:
        """Rows of the aggregated counts table (``None`` if empty)."""
        if not self.exists() or self.role == "oeffentlich":
            return None
        with self.connection() as conn:
            return self._read_aggregates(conn)

    def _read_aggregates(self, conn) -> gpd.GeoDataFrame | None:
        rows = conn.execute(f"SELECT {', '.join(AGGREGATE_COLUMNS)}, ST_AsBinary(geom) FROM {AGGREGATE_TABLE} "
                            "ORDER BY kind, month, cell_size, shape, cell_i, cell_j").fetchall()
        if not rows:
            return None
        frame = pd.DataFrame.from_records([r[:-1] for r in rows], columns=list(AGGREGATE_COLUMNS))
        geoms = shapely.from_wkb([None if r[-1] is None else bytes(r[-1]) for r in rows])
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=self.area.crs), crs=self.area.crs)

    def _write_aggregates(self, conn, table: gpd.GeoDataFrame) -> None:
        if not len(table):
            return
        frame = pd.DataFrame({c: table[c].to_numpy() for c in AGGREGATE_COLUMNS})
        geoms = np.asarray(table.geometry.values, dtype=object)
        frame["geom"] = shapely.to_wkb(shapely.set_srid(geoms, self.srid), hex=True, include_srid=True)
        buf = io.StringIO()
        frame.to_csv(buf, header=False, index=False, na_rep="", quoting=2, lineterminator="\n")
        cols = ", ".join([*AGGREGATE_COLUMNS, "geom"])
        with conn.cursor() as cur, cur.copy(f"COPY {AGGREGATE_TABLE} ({cols}) FROM STDIN WITH (FORMAT csv)") as cp:
            cp.write(buf.getvalue())

    def _vacuum(self, table: str) -> None:
        """Remove deleted rows from the table's pages at once (best effort; VACUUM needs its own statement)."""
        import psycopg

        with contextlib.suppress(psycopg.Error), psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"VACUUM {quote(table)}")

    # ------------------------------------------------------------------ audit log
    def audit(self, action: str, *, user: str = "lokal", kind: str | None = None, detail: str = "",
              count: int | None = None) -> None:
        """Append one row to the audit log (who, when, what)."""
        at = datetime.now().isoformat(timespec="seconds")
        with self.connection() as conn:
            conn.execute(f'INSERT INTO {AUDIT_TABLE} (at, "user", action, kind, count, detail) '
                         "VALUES (%s, %s, %s, %s, %s, %s)", (at, user, action, kind, count, detail))

    def audit_log(self) -> pd.DataFrame:
        """The audit log, oldest first."""
        if not self.exists():
            return pd.DataFrame(columns=list(AUDIT_COLUMNS))
        with self.connection() as conn:
            rows = conn.execute(f'SELECT at, "user", action, kind, count, detail FROM {AUDIT_TABLE} '
                                "ORDER BY id").fetchall()
        return pd.DataFrame.from_records(rows, columns=list(AUDIT_COLUMNS))

    def append_audit(self, conn, entries: pd.DataFrame) -> None:
        """Copy audit rows (columns :data:`AUDIT_COLUMNS`) within the transaction of ``conn``."""
        if not len(entries):
            return
        with conn.cursor() as cur:
            cur.executemany(f'INSERT INTO {AUDIT_TABLE} (at, "user", action, kind, count, detail) '
                            "VALUES (%s, %s, %s, %s, %s, %s)",
                            [tuple(None if pd.isna(v) else (int(v) if c == "count" else str(v))
                                   for c, v in zip(AUDIT_COLUMNS, r, strict=True))
                             for r in entries[list(AUDIT_COLUMNS)].itertuples(index=False)])

    # ------------------------------------------------------------------ whole-store writes (copy, restore)
    def replace_all(self, records: dict[str, gpd.GeoDataFrame], imports: pd.DataFrame,
                    aggregates: gpd.GeoDataFrame | None, audit: pd.DataFrame | None, *,
                    keep_audit: bool = False, extras: tuple | None = None) -> None:
        """Replace the whole content in one transaction (records keep their ids and import ids).

        ``extras``: ``(agreements, base map features)`` replace those tables too. Caller holds :meth:`lock`.
        """
        with self.transaction() as conn:
            tables = [*KINDS, IMPORTS_TABLE, AGGREGATE_TABLE] + ([] if keep_audit else [AUDIT_TABLE])
            conn.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)}")
            if len(imports):
                hist = imports.reindex(columns=list(IMPORT_COLUMNS))
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {IMPORTS_TABLE} ({', '.join(quote(c) for c in IMPORT_COLUMNS)}) "
                        f"VALUES ({', '.join(['%s'] * len(IMPORT_COLUMNS))})",
                        [tuple(_plain(v) for v in r) for r in hist.itertuples(index=False)])
            for name, gdf in records.items():
                kind = get_kind(name)
                frame = pd.DataFrame({c: gdf[c] for c in (RECORD_ID, IMPORT_ID, *kind.field_names, *QUALITY_COLUMNS)
                                      if c in gdf})
                self._copy_rows(conn, kind, frame, gdf.geometry.to_numpy())
            if aggregates is not None:
                self._write_aggregates(conn, aggregates)
            if audit is not None:
                self.append_audit(conn, audit)
            if extras is not None:
                self.replace_extras(conn, *extras)


def _plain(v):
    """numpy scalars and NaN → Python values for the driver."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if v is pd.NA or v is pd.NaT:
        return None
    return v
