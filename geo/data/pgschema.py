"""The PostGIS store's schema: numbered migrations, the kinds' tables generated from the schema, roles and views.

See :mod:`geo.data.pgstore` for what the tables hold and how roles map. Everything here
produces SQL text or runs it on a connection the caller opened (in a transaction, as the
database owner); nothing here opens connections.
"""

from __future__ import annotations

import hashlib
import json

from geo.core.schema import IMPORT_ID, KINDS, QUALITY_COLUMNS, RECORD_ID, REPORT_KINDS, Kind
from geo.data.access import HISTORY_COLUMNS, K_MIN, PUBLIC_KINDS, check_role, private_fields
from geo.data.agreement_rows import AGREEMENTS_TABLE
from geo.data.basestore import BASE_LAYER
from geo.data.store import IMPORTS_TABLE

AUDIT_TABLE = "lagebild_audit"
STATE_TABLE = "lagebild_state"
VERSION_TABLE = "lagebild_schema_version"
AGGREGATE_TABLE = "aggregated_counts"
PUBLIC_VIEW = "oeffentlich_zellen"
#: Agreements the role ``oeffentlich`` may read: the public ones, without notes.
PUBLIC_AGREEMENTS_VIEW = "oeffentlich_vereinbarungen"
#: Table of the offline base maps (same name as the GeoPackage layer).
BASE_TABLE = BASE_LAYER
#: Side of the squares of :data:`PUBLIC_VIEW` (m).
PUBLIC_VIEW_CELL = 250.0
IMPORT_COLUMNS = (
    "import_id", "file_name", "sha256", "kind", "imported_at", "rows_read", "stored", "rejected",
    "repaired", "rejects_file", "user", "notes",
)
#: Columns of the import history the role ``oeffentlich`` may read (a column grant).
PUBLIC_IMPORT_COLUMNS = HISTORY_COLUMNS["oeffentlich"]
AUDIT_COLUMNS = ("at", "user", "action", "kind", "count", "detail")
AGGREGATE_COLUMNS = ("kind", "month", "cell_size", "shape", "cell_i", "cell_j", "records", "weight")
WRITE_LOCK_KEY = 7_140_014  # advisory lock of writers (any number, the same in every process)
SCHEMA_LOCK_KEY = 7_140_015
SQL_TYPES = {"datetime": "timestamp", "int": "bigint", "float": "double precision", "bool": "boolean",
              "date": "date"}


def db_role(role: str) -> str:
    """Database role of a Lagebild role: ``lagebild_<role>``."""
    return f"lagebild_{check_role(role)}"


def quote(name: str) -> str:
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
    (3, f"""
CREATE TABLE {AGREEMENTS_TABLE} (
    agreement_id integer PRIMARY KEY, title text NOT NULL, kind text NOT NULL, place text,
    geometry_wkt text NOT NULL, agreed date NOT NULL, responsible text NOT NULL, due date NOT NULL,
    status text NOT NULL, done date, ended date, reason text, notes text, public boolean NOT NULL DEFAULT false,
    measure_id text, updated_at text, updated_by text,
    geom geometry(Geometry, {{srid}}) GENERATED ALWAYS AS
        (CASE WHEN geometry_wkt <> '' THEN ST_GeomFromText(geometry_wkt, {{srid}}) END) STORED);
CREATE INDEX lagebild_agreements_geom_idx ON {AGREEMENTS_TABLE} USING gist (geom);
CREATE TRIGGER lagebild_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {AGREEMENTS_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION lagebild_bump_version();
CREATE VIEW {PUBLIC_AGREEMENTS_VIEW} AS SELECT agreement_id, title, kind, place, geometry_wkt, agreed, responsible,
    due, status, done, ended, reason, ''::text AS notes, public, measure_id, updated_at, updated_by
    FROM {AGREEMENTS_TABLE} WHERE public;
CREATE TABLE {BASE_TABLE} (
    fid bigserial PRIMARY KEY, base_name text NOT NULL, theme text NOT NULL, name text, street text,
    housenumber text, geom geometry(Geometry, {{srid}}));
CREATE INDEX lagebild_base_geom_idx ON {BASE_TABLE} USING gist (geom);
CREATE INDEX lagebild_base_name_idx ON {BASE_TABLE} (base_name, theme);
CREATE TRIGGER lagebild_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {BASE_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION lagebild_bump_version();
GRANT SELECT, INSERT, UPDATE, DELETE ON {AGREEMENTS_TABLE} TO lagebild_analyse;
GRANT SELECT, INSERT, UPDATE ON {AGREEMENTS_TABLE} TO lagebild_rapport;
GRANT SELECT ON {PUBLIC_AGREEMENTS_VIEW} TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich;
GRANT SELECT, INSERT, DELETE ON {BASE_TABLE} TO lagebild_analyse;
GRANT USAGE ON SEQUENCE {BASE_TABLE}_fid_seq TO lagebild_analyse;
GRANT SELECT ON {BASE_TABLE} TO lagebild_rapport, lagebild_oeffentlich;
"""),
]


def schema_fingerprint() -> str:
    """Hash of everything the kinds' tables and views are generated from."""
    spec: list[object] = [(k.name, k.geometries, k.date_field, [(f.name, f.type, f.private) for f in k.fields])
            for k in KINDS.values()]
    spec.append(("views", K_MIN, PUBLIC_VIEW_CELL, PUBLIC_KINDS, 3))
    return hashlib.sha256(json.dumps(spec, default=str).encode()).hexdigest()[:16]


def kind_ddl(kind: Kind, srid: int, existing: set[str]) -> list[str]:
    """Statements that create or extend the table of ``kind`` (idempotent)."""
    t = quote(kind.name)
    gtype = "Point" if kind.is_point_only else "Geometry"
    out = []
    if not existing:
        out.append(f"CREATE TABLE {t} (fid bigserial PRIMARY KEY, {RECORD_ID} text NOT NULL, "
                   f"{IMPORT_ID} integer NOT NULL, geom geometry({gtype}, {srid}), "
                   f"CONSTRAINT {quote(kind.name + '_record_id_key')} UNIQUE ({RECORD_ID}))")
        out.append(f"CREATE INDEX {quote(kind.name + '_geom_idx')} ON {t} USING gist (geom)")
        out.append(f"CREATE TRIGGER lagebild_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION lagebild_bump_version()")
    for f in kind.fields:
        if f.name not in existing:
            out.append(f"ALTER TABLE {t} ADD COLUMN {quote(f.name)} {SQL_TYPES.get(f.type, 'text')}")
    if kind.date_field:
        out.append(f"CREATE INDEX IF NOT EXISTS {quote(kind.name + '_date_idx')} ON {t} ({quote(kind.date_field)})")
    out.append(f"REVOKE ALL ON {t} FROM PUBLIC")
    out.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO lagebild_analyse")  # UPDATE: location flags
    out.append(f"GRANT USAGE ON SEQUENCE {quote(kind.name + '_fid_seq')} TO lagebild_analyse")
    if kind.name in PUBLIC_KINDS:
        out.append(f"GRANT SELECT ON {t} TO lagebild_rapport, lagebild_oeffentlich")
    out.append(rapport_view_sql(kind, existing))
    out.append(f"GRANT SELECT ON {quote('rapport_' + kind.name)} TO lagebild_analyse, lagebild_rapport")
    return out


def rapport_view_sql(kind: Kind, existing: set[str] | list[str]) -> str:
    """``CREATE VIEW rapport_<kind>``: the kind's columns without its private fields, plus the
    quality columns (time windows, location flags) of ``existing`` – the role ``rapport`` leaves Sammelpunkte
    out of its statistics like ``analyse``."""
    private = set(private_fields(kind))
    quality = [c for c in QUALITY_COLUMNS if c in existing]
    cols = ", ".join(quote(c) for c in ("fid", RECORD_ID, IMPORT_ID, *kind.field_names, "geom", *quality)
                     if c not in private)
    return f"CREATE VIEW {quote('rapport_' + kind.name)} AS SELECT {cols} FROM {quote(kind.name)}"


def public_view_sql(srid: int) -> str:
    """The aggregated, small-count-suppressed view for the role ``oeffentlich``."""
    s = float(PUBLIC_VIEW_CELL)
    parts = []
    for name in REPORT_KINDS:
        k = KINDS[name]
        value = f"sum({quote(k.weight_field)})::double precision" if k.weight_field else "count(*)::double precision"
        centre = "ST_PointOnSurface(geom)"
        parts.append(
            f"SELECT '{name}'::text AS kind, to_char({quote(str(k.date_field))}, 'YYYY-MM') AS month, "
            f"floor(ST_X({centre}) / {s})::bigint AS cell_i, floor(ST_Y({centre}) / {s})::bigint AS cell_j, "
            f"count(*) AS events, {value} AS value FROM {quote(name)} "
            f"WHERE geom IS NOT NULL AND {quote(str(k.date_field))} IS NOT NULL GROUP BY 1, 2, 3, 4")
    union = "\nUNION ALL\n".join(parts)
    return (f"CREATE VIEW {PUBLIC_VIEW} AS SELECT kind, month, {s} AS cell_size, cell_i, cell_j, events, value, "
            f"ST_MakeEnvelope(cell_i * {s}, cell_j * {s}, (cell_i + 1) * {s}, (cell_j + 1) * {s}, {srid}) AS geom "
            f"FROM ({union}) c WHERE events >= {int(K_MIN)}")


def schema_state(conn) -> tuple[int, int | None, str]:
    """(last migration applied, SRID of the geometries or None, schema fingerprint) of a database."""
    has = conn.execute("SELECT to_regclass(%s), to_regclass(%s)", (VERSION_TABLE, STATE_TABLE)).fetchone()
    if has[0] is None:
        return 0, None, ""
    done = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
    if has[1] is None:
        return int(done), None, ""
    srid, schema_hash = conn.execute(f"SELECT srid, schema_hash FROM {STATE_TABLE}").fetchone()
    return int(done), int(srid), schema_hash


def run_migrations(conn, srid: int) -> None:
    """Apply the outstanding :data:`MIGRATIONS`, then reconcile the kinds' tables and the role views.

    The caller holds :data:`SCHEMA_LOCK_KEY` in the same transaction.
    """
    conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer PRIMARY KEY, "
                 "applied_at timestamptz NOT NULL DEFAULT now())")
    done = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
    for number, script in MIGRATIONS:
        if number > done:
            conn.execute(script.replace("{srid}", str(srid)))
            conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (number,))
    if schema_state(conn)[1] != srid:
        return  # the caller reports the mismatch
    # the kinds' tables follow the schema: views first (they depend on the columns)
    conn.execute(f"DROP VIEW IF EXISTS {PUBLIC_VIEW}")
    for kind in KINDS.values():
        conn.execute(f"DROP VIEW IF EXISTS {quote('rapport_' + kind.name)}")
        existing = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s", (kind.name,))}
        for stmt in kind_ddl(kind, srid, existing):
            conn.execute(stmt)
    conn.execute(public_view_sql(srid))
    conn.execute(f"GRANT SELECT ON {PUBLIC_VIEW} TO lagebild_analyse, lagebild_rapport, lagebild_oeffentlich")
    # the public import history: number, time and kind only (geo.data.access.restrict_history)
    conn.execute(f"GRANT SELECT ({', '.join(PUBLIC_IMPORT_COLUMNS)}) ON {IMPORTS_TABLE} TO lagebild_oeffentlich")
    from geo.data.pgpublic import public_functions_sql

    for stmt in public_functions_sql():
        conn.execute(stmt)
    conn.execute(f"UPDATE {STATE_TABLE} SET schema_hash = %s", (schema_fingerprint(),))


def add_quality_columns(conn, kind: Kind, columns: list[str]) -> None:
    """Add the quality ``columns`` a kind's table lacks (they come with the first rows that carry them, as in the
    GeoPackage) and extend its ``rapport`` view by them, within ``conn``'s transaction."""
    if not columns:
        return
    have = {r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s", (kind.name,))}
    missing = [c for c in columns if c not in have]
    for c in missing:
        conn.execute(f"ALTER TABLE {quote(kind.name)} ADD COLUMN IF NOT EXISTS {quote(c)} "
                     f"{SQL_TYPES.get(QUALITY_COLUMNS[c], 'text')}")
    if missing:  # dropped and created: a column may come before those the view has
        view = quote("rapport_" + kind.name)
        conn.execute(f"DROP VIEW IF EXISTS {view}")
        conn.execute(rapport_view_sql(kind, have | set(missing)))
        conn.execute(f"GRANT SELECT ON {view} TO lagebild_analyse, lagebild_rapport")
