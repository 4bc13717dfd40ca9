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

import atexit
import contextlib
import hashlib
import io
import json
import os
import re
import threading
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
from geo.core.schema import IMPORT_ID, KINDS, RECORD_ID, REPORT_KINDS, Kind, get_kind
from geo.data.access import K_MIN, PUBLIC_KINDS, ROLES, check_role, private_fields
from geo.data.store import DEFAULT_STORE, IMPORTS_TABLE, empty_frame, is_store_url, normalise_frame

AUDIT_TABLE = "lagebild_audit"
STATE_TABLE = "lagebild_state"
VERSION_TABLE = "lagebild_schema_version"
AGGREGATE_TABLE = "aggregated_counts"
PUBLIC_VIEW = "oeffentlich_zellen"
#: Side of the squares of :data:`PUBLIC_VIEW` (m).
PUBLIC_VIEW_CELL = 250.0
IMPORT_COLUMNS = (
    "import_id", "file_name", "sha256", "kind", "imported_at", "rows_read", "stored", "rejected",
    "repaired", "rejects_file", "user", "notes",
)
AUDIT_COLUMNS = ("at", "user", "action", "kind", "count", "detail")
AGGREGATE_COLUMNS = ("kind", "month", "cell_size", "shape", "cell_i", "cell_j", "records", "weight")
_WRITE_LOCK_KEY = 7_140_014  # advisory lock of writers (any number, the same in every process)
_SCHEMA_LOCK_KEY = 7_140_015
_SQL_TYPES = {"datetime": "timestamp", "int": "bigint", "float": "double precision", "bool": "boolean",
              "date": "date"}


def db_role(role: str) -> str:
    """Database role of a Lagebild role: ``lagebild_<role>``."""
    return f"lagebild_{check_role(role)}"


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


#: Numbered migrations; ``{srid}`` is the metric CRS of the study area. Never edit a released
#: one: add a new number.
MIGRATIONS: list[tuple[int, str]] = [
    (1, f"""
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE {IMPORTS_TABLE} (
    import_id integer PRIMARY KEY, file_name text, sha256 text, kind text, imported_at text,
    rows_read integer, stored integer, rejected integer, repaired integer, rejects_file text,
    "user" text, notes text);
CREATE INDEX ON {IMPORTS_TABLE} (sha256, kind);
CREATE TABLE {AUDIT_TABLE} (
    id bigserial PRIMARY KEY, at text NOT NULL, "user" text, action text NOT NULL, kind text,
    count bigint, detail text);
CREATE TABLE {STATE_TABLE} (
    id boolean PRIMARY KEY DEFAULT true CHECK (id), version bigint NOT NULL DEFAULT 0,
    srid integer NOT NULL, schema_hash text NOT NULL DEFAULT '');
INSERT INTO {STATE_TABLE} (srid) VALUES ({{srid}});
CREATE FUNCTION lagebild_bump_version() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS
    $$ BEGIN UPDATE {STATE_TABLE} SET version = version + 1; RETURN NULL; END $$;
CREATE TRIGGER lagebild_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {IMPORTS_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION lagebild_bump_version();
CREATE TABLE {AGGREGATE_TABLE} (
    kind text NOT NULL, month text NOT NULL, cell_size double precision NOT NULL, shape text NOT NULL,
    cell_i bigint NOT NULL, cell_j bigint NOT NULL, records bigint NOT NULL, weight double precision NOT NULL,
    geom geometry(Polygon, {{srid}}),
    PRIMARY KEY (kind, month, cell_size, shape, cell_i, cell_j));
CREATE TRIGGER lagebild_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {AGGREGATE_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION lagebild_bump_version();
"""),
    (2, f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagebild_analyse') THEN
        CREATE ROLE lagebild_analyse NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagebild_rapport') THEN
        CREATE ROLE lagebild_rapport NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagebild_oeffentlich') THEN
        CREATE ROLE lagebild_oeffentlich NOLOGIN; END IF;
END $$;
GRANT lagebild_analyse, lagebild_rapport, lagebild_oeffentlich TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich;
GRANT SELECT ON {STATE_TABLE} TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich;
GRANT INSERT ON {AUDIT_TABLE} TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich;
GRANT USAGE ON SEQUENCE {AUDIT_TABLE}_id_seq TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich;
GRANT SELECT ON {AUDIT_TABLE} TO lagebild_analyse;
GRANT SELECT, INSERT ON {IMPORTS_TABLE} TO lagebild_analyse;
GRANT SELECT ON {IMPORTS_TABLE} TO lagebild_rapport;
GRANT SELECT, INSERT, UPDATE, DELETE ON {AGGREGATE_TABLE} TO lagebild_analyse;
GRANT SELECT ON {AGGREGATE_TABLE} TO lagebild_rapport;
"""),
]


def schema_fingerprint() -> str:
    """Hash of everything the kinds' tables and views are generated from."""
    spec = [(k.name, k.geometries, k.date_field, [(f.name, f.type, f.private) for f in k.fields])
            for k in KINDS.values()]
    spec.append(("views", K_MIN, PUBLIC_VIEW_CELL, PUBLIC_KINDS, 1))
    return hashlib.sha256(json.dumps(spec, default=str).encode()).hexdigest()[:16]


def _kind_ddl(kind: Kind, srid: int, existing: set[str]) -> list[str]:
    """Statements that create or extend the table of ``kind`` (idempotent)."""
    t = _q(kind.name)
    gtype = "Point" if kind.is_point_only else "Geometry"
    out = []
    if not existing:
        out.append(f"CREATE TABLE {t} (fid bigserial PRIMARY KEY, {RECORD_ID} text NOT NULL, "
                   f"{IMPORT_ID} integer NOT NULL, geom geometry({gtype}, {srid}), "
                   f"CONSTRAINT {_q(kind.name + '_record_id_key')} UNIQUE ({RECORD_ID}))")
        out.append(f"CREATE INDEX {_q(kind.name + '_geom_idx')} ON {t} USING gist (geom)")
        out.append(f"CREATE TRIGGER lagebild_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION lagebild_bump_version()")
    for f in kind.fields:
        if f.name not in existing:
            out.append(f"ALTER TABLE {t} ADD COLUMN {_q(f.name)} {_SQL_TYPES.get(f.type, 'text')}")
    if kind.date_field:
        out.append(f"CREATE INDEX IF NOT EXISTS {_q(kind.name + '_date_idx')} ON {t} ({_q(kind.date_field)})")
    out.append(f"REVOKE ALL ON {t} FROM PUBLIC")
    out.append(f"GRANT SELECT, INSERT, DELETE ON {t} TO lagebild_analyse")
    out.append(f"GRANT USAGE ON SEQUENCE {_q(kind.name + '_fid_seq')} TO lagebild_analyse")
    if kind.name in PUBLIC_KINDS:
        out.append(f"GRANT SELECT ON {t} TO lagebild_rapport, lagebild_oeffentlich")
    view = _q(f"rapport_{kind.name}")
    private = set(private_fields(kind))
    cols = ", ".join(_q(c) for c in ("fid", RECORD_ID, IMPORT_ID, *kind.field_names, "geom") if c not in private)
    out.append(f"CREATE VIEW {view} AS SELECT {cols} FROM {t}")
    out.append(f"GRANT SELECT ON {view} TO lagebild_analyse, lagebild_rapport")
    return out


def _public_view_sql(srid: int) -> str:
    """The aggregated, small-count-suppressed view for the role ``oeffentlich``."""
    s = float(PUBLIC_VIEW_CELL)
    parts = []
    for name in REPORT_KINDS:
        k = KINDS[name]
        value = f"sum({_q(k.weight_field)})::double precision" if k.weight_field else "count(*)::double precision"
        centre = "ST_PointOnSurface(geom)"
        parts.append(
            f"SELECT '{name}'::text AS kind, to_char({_q(k.date_field)}, 'YYYY-MM') AS month, "
            f"floor(ST_X({centre}) / {s})::bigint AS cell_i, floor(ST_Y({centre}) / {s})::bigint AS cell_j, "
            f"count(*) AS events, {value} AS value FROM {_q(name)} "
            f"WHERE geom IS NOT NULL AND {_q(k.date_field)} IS NOT NULL GROUP BY 1, 2, 3, 4")
    union = "\nUNION ALL\n".join(parts)
    return (f"CREATE VIEW {PUBLIC_VIEW} AS SELECT kind, month, {s} AS cell_size, cell_i, cell_j, events, value, "
            f"ST_MakeEnvelope(cell_i * {s}, cell_j * {s}, (cell_i + 1) * {s}, (cell_j + 1) * {s}, {srid}) AS geom "
            f"FROM ({union}) c WHERE events >= {int(K_MIN)}")


# ---------------------------------------------------------------------------- connections
_pools: dict[tuple[str, str | None], object] = {}
_pools_lock = threading.Lock()


def _connect_args() -> dict:
    return {"autocommit": False, "application_name": "lagebild"}


def _pool(url: str, role: str | None):
    """The process's connection pool for ``url`` (connections ``SET ROLE``d to ``role``)."""
    from psycopg_pool import ConnectionPool

    key = (url, role)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            def configure(conn) -> None:
                if role:
                    conn.execute(f"SET ROLE {db_role(role)}")
                conn.commit()

            pool = ConnectionPool(url, min_size=1, max_size=6, kwargs=_connect_args(), configure=configure,
                                  open=True, name=f"lagebild-{role or 'owner'}", timeout=60)
            _pools[key] = pool
        return pool


def close_pools(url: str | None = None) -> None:
    """Close this process's pools (of ``url``, or all)."""
    with _pools_lock:
        for key in [k for k in _pools if url is None or k[0] == url]:
            with contextlib.suppress(Exception):
                _pools.pop(key).close()


atexit.register(close_pools)


def display_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    return re.sub(r"(://[^:/@?]+):[^@/]*@", r"\1:***@", url)


def _db_error(exc: Exception, url: str) -> UserError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError(f"Datenbank {display_url(url)} nicht erreichbar oder Fehler: {text}")


# ---------------------------------------------------------------------------- the store
class PgStore:
    """A Lagebild store in a PostgreSQL/PostGIS database (same interface as :class:`Store`).

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
        self.path = Path(local_dir or os.environ.get("LAGEBILD_STORE_FILES") or DEFAULT_STORE.parent) / dbname
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
            pool = _pool(self.url, self.role)
            with pool.connection() as conn:
                yield conn
        except psycopg.errors.InsufficientPrivilege as exc:
            raise UserError(f"Keine Berechtigung (Rolle {self.role}): {str(exc).splitlines()[0]}") from None
        except psycopg.OperationalError as exc:
            raise _db_error(exc, self.url) from None

    def migrate(self) -> int:
        """Run outstanding migrations and reconcile the kinds' tables; return the schema version.

        As a Lagebild role (``role`` set) nothing is changed: an outdated schema is an error.
        """
        if self._ready:
            return len(MIGRATIONS)
        import psycopg

        try:
            with psycopg.connect(self.url, **_connect_args()) as conn:
                done, current_hash = self._schema_state(conn)
                if done < len(MIGRATIONS) or current_hash != schema_fingerprint():
                    if self.role:
                        raise UserError(f"Datenbank {self}: Schema veraltet oder fehlt; bitte als Eigentümer "
                                        f"'lagebild store migrate {display_url(self.url)}' ausführen.")
                    conn.commit()
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
                        done, current_hash = self._schema_state(conn)  # another process may have done it
                        if done < len(MIGRATIONS) or current_hash != schema_fingerprint():
                            self._run_migrations(conn)
                conn.commit()
        except psycopg.OperationalError as exc:
            raise _db_error(exc, self.url) from None
        except psycopg.Error as exc:
            raise UserError(f"Datenbank {self}: Schema nicht einrichtbar ({str(exc).splitlines()[0]}).") from None
        self._ready = True
        return len(MIGRATIONS)

    def _schema_state(self, conn) -> tuple[int, str]:
        has = conn.execute("SELECT to_regclass(%s), to_regclass(%s)", (VERSION_TABLE, STATE_TABLE)).fetchone()
        if has[0] is None:
            return 0, ""
        done = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
        if has[1] is None:
            return int(done), ""
        srid, schema_hash = conn.execute(f"SELECT srid, schema_hash FROM {STATE_TABLE}").fetchone()
        if int(srid) != self.srid:
            raise UserError(f"Datenbank {self}: Geometrien in EPSG:{srid}, das Gebiet {self.area.name} "
                            f"aber in EPSG:{self.srid} – falsches Gebiet?")
        return int(done), schema_hash

    def _run_migrations(self, conn) -> None:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        done = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
        for number, script in MIGRATIONS:
            if number > done:
                conn.execute(script.replace("{srid}", str(self.srid)))
                conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (number,))
        srid = conn.execute(f"SELECT srid FROM {STATE_TABLE}").fetchone()[0]
        if int(srid) != self.srid:
            raise UserError(f"Datenbank {self}: Geometrien in EPSG:{srid}, Gebiet in EPSG:{self.srid}.")
        # the kinds' tables follow the schema: views first (they depend on the columns)
        conn.execute(f"DROP VIEW IF EXISTS {PUBLIC_VIEW}")
        for kind in KINDS.values():
            conn.execute(f"DROP VIEW IF EXISTS {_q('rapport_' + kind.name)}")
            existing = {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s", (kind.name,))}
            for stmt in _kind_ddl(kind, self.srid, existing):
                conn.execute(stmt)
        conn.execute(_public_view_sql(self.srid))
        conn.execute(f"GRANT SELECT ON {PUBLIC_VIEW} TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich")
        conn.execute(f"UPDATE {STATE_TABLE} SET schema_hash = %s", (schema_fingerprint(),))

    def schema_version(self) -> int:
        """Number of the last migration applied (0: none)."""
        import psycopg

        try:
            with psycopg.connect(self.url, **_connect_args()) as conn:
                return self._schema_state(conn)[0]
        except psycopg.OperationalError as exc:
            raise _db_error(exc, self.url) from None

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
        with _pool(self.url, self.role).connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_WRITE_LOCK_KEY,))
            conn.commit()
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITE_LOCK_KEY,))
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
            return _q(f"rapport_{kind}")
        return _q(kind)

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
        sql = (f"SELECT {', '.join(_q(c) for c in selected)}, ST_AsBinary(geom) FROM {self._source(kind.name)}"
               f"{where} ORDER BY fid")
        with self.connection() as conn:
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

    def _filters(self, kind: Kind, period: Period | None, bbox) -> tuple[str, list]:
        clauses, params = [], []
        if period is not None and kind.date_field:
            start, end = period.start_ts.to_pydatetime(), period.end_exclusive.to_pydatetime()
            if kind.end_field:
                clauses.append(f"{_q(kind.date_field)} < %s AND ({_q(kind.end_field)} IS NULL "
                               f"OR {_q(kind.end_field)} >= %s)")
                params += [end, start]
            else:
                clauses.append(f"{_q(kind.date_field)} >= %s AND {_q(kind.date_field)} < %s")
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
            rows = conn.execute(f"SELECT {', '.join(_q(c) for c in selected) or '1'} FROM "
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
        cols = ", ".join(_q(c) for c in IMPORT_COLUMNS)
        with self.connection() as conn:
            rows = conn.execute(f"SELECT {cols} FROM {IMPORTS_TABLE} ORDER BY import_id DESC").fetchall()
        return pd.DataFrame.from_records(rows, columns=list(IMPORT_COLUMNS))

    def find_import(self, sha256: str, kind: str) -> pd.Series | None:
        """The first import of a file with this content and kind, if any."""
        hist = self.imports()
        hit = hist[(hist["sha256"] == sha256) & (hist["kind"] == kind)]
        return None if hit.empty else hit.iloc[-1]

    def public_cells(self) -> gpd.GeoDataFrame:
        """The view :data:`PUBLIC_VIEW`: events per report kind, month and 250-m square (≥ K_MIN)."""
        with self.connection() as conn:
            rows = conn.execute(f"SELECT kind, month, cell_size, cell_i, cell_j, events, value, "
                                f"ST_AsBinary(geom) FROM {PUBLIC_VIEW} ORDER BY kind, month, cell_i, cell_j"
                                ).fetchall()
        cols = ["kind", "month", "cell_size", "cell_i", "cell_j", "events", "value"]
        frame = pd.DataFrame.from_records([r[:-1] for r in rows], columns=cols)
        geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=self.area.crs), crs=self.area.crs)

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
            conn.execute(f"INSERT INTO {IMPORTS_TABLE} ({', '.join(_q(c) for c in IMPORT_COLUMNS)}) "
                         f"VALUES ({', '.join(['%s'] * len(IMPORT_COLUMNS))})", [row[c] for c in IMPORT_COLUMNS])
            out = rows[[RECORD_ID, *kind.field_names]].copy()
            out.insert(1, IMPORT_ID, import_id)
            try:
                self._copy_rows(conn, kind, out, rows.geometry.to_numpy())
            except psycopg.errors.UniqueViolation:
                raise UserError("Datensätze wurden gleichzeitig von einem anderen Import gespeichert; "
                                "nichts gespeichert – bitte erneut importieren.") from None
        return import_id

    def _copy_rows(self, conn, kind: Kind, frame: pd.DataFrame, geoms: np.ndarray, chunk: int = 50_000) -> None:
        """``COPY`` records (system columns and fields as in ``frame``) into the kind's table."""
        if not len(frame):
            return
        geoms = np.asarray(geoms, dtype=object)
        present = ~shapely.is_missing(geoms)
        ewkb = np.full(len(geoms), None, dtype=object)
        if present.any():
            with_srid = shapely.set_srid(geoms[present], self.srid)
            ewkb[present] = shapely.to_wkb(with_srid, hex=True, include_srid=True)
        frame = frame.reset_index(drop=True).copy()
        for c in frame.columns:
            s = frame[c]
            if pd.api.types.is_datetime64_any_dtype(s):
                frame[c] = s.dt.strftime("%Y-%m-%d %H:%M:%S.%f").where(s.notna(), None)
            elif isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
                frame[c] = s.astype(object).where(s.notna(), None)
        frame["geom"] = ewkb
        cols = ", ".join(_q(c) for c in frame.columns)
        texts = {RECORD_ID} | {f.name for f in kind.fields if _SQL_TYPES.get(f.type, "text") == "text"}
        force_null = ", ".join(_q(c) for c in frame.columns if c not in texts)  # "" is NULL there
        copy_sql = f"COPY {_q(kind.name)} ({cols}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({force_null}))"
        with conn.cursor() as cur, cur.copy(copy_sql) as cp:
            for start in range(0, len(frame), chunk):
                buf = io.StringIO()
                frame.iloc[start:start + chunk].to_csv(buf, header=False, index=False, na_rep="",
                                                       quoting=2, lineterminator="\n")  # QUOTE_NONNUMERIC
                cp.write(buf.getvalue())

    def delete(self, kind: Kind | str, record_ids: list[str] | np.ndarray) -> int:
        """Delete records by id (one transaction); return how many were deleted. Takes the lock."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        ids = [str(i) for i in record_ids]
        if not ids or kind.name not in self.layers():
            return 0
        with self.lock(), self.transaction() as conn:
            cur = conn.execute(f"DELETE FROM {_q(kind.name)} WHERE {RECORD_ID} = ANY(%s)", (ids,))
            deleted = cur.rowcount
        self._vacuum(kind.name)
        return deleted

    def purge_before(self, frames: dict[str, gpd.GeoDataFrame], cutoff, counts: gpd.GeoDataFrame | None,
                     merge) -> int:
        """Delete reports dated before ``cutoff`` and add ``counts`` (merged with ``merge``) in one transaction.

        ``frames`` are the rows read before (the delete must match them, else nothing changes).
        Caller holds :meth:`lock`. Returns the number of count rows added.
        """
        limit = datetime.combine(cutoff, datetime.min.time())
        with self.transaction() as conn:
            for name, frame in frames.items():
                field_name = get_kind(name).date_field
                cur = conn.execute(f"DELETE FROM {_q(name)} WHERE {_q(field_name)} < %s", (limit,))
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
            conn.execute(f"VACUUM {_q(table)}")

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
                    keep_audit: bool = False) -> None:
        """Replace the whole content in one transaction (records keep their ids and import ids).

        Caller holds :meth:`lock`.
        """
        with self.transaction() as conn:
            tables = [*KINDS, IMPORTS_TABLE, AGGREGATE_TABLE] + ([] if keep_audit else [AUDIT_TABLE])
            conn.execute(f"TRUNCATE {', '.join(_q(t) for t in tables)}")
            if len(imports):
                hist = imports.reindex(columns=list(IMPORT_COLUMNS))
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {IMPORTS_TABLE} ({', '.join(_q(c) for c in IMPORT_COLUMNS)}) "
                        f"VALUES ({', '.join(['%s'] * len(IMPORT_COLUMNS))})",
                        [tuple(_plain(v) for v in r) for r in hist.itertuples(index=False)])
            for name, gdf in records.items():
                kind = get_kind(name)
                frame = pd.DataFrame({c: gdf[c] for c in (RECORD_ID, IMPORT_ID, *kind.field_names) if c in gdf})
                self._copy_rows(conn, kind, frame, gdf.geometry.to_numpy())
            if aggregates is not None:
                self._write_aggregates(conn, aggregates)
            if audit is not None:
                self.append_audit(conn, audit)


def _plain(v):
    """numpy scalars and NaN → Python values for the driver."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def all_roles() -> tuple[str, ...]:
    """Database roles of all Lagebild roles."""
    return tuple(db_role(r) for r in ROLES)
