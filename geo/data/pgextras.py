"""Agreements, offline base maps and location flags of the PostGIS store (a mixin of :class:`geo.data.pgstore.PgStore`).

The same methods as the GeoPackage :class:`geo.data.store.Store` (issues 11, 12, 13), on the tables of
migration 3 in :mod:`geo.data.pgschema`:

``lagebild_agreements``
    one row per agreement (columns :data:`geo.data.agreement_rows.AGREEMENT_COLUMNS`; dates as ``date``,
    ``public`` boolean, the place as ``geometry_wkt`` – the text both backends store – plus a generated
    ``geom`` in the metric CRS with a GiST index). The role ``oeffentlich`` reads only the view
    ``oeffentlich_vereinbarungen`` (public agreements, notes empty).
``lagebild_base``
    the features of every base map (``base_name, theme, name, street, housenumber, geom``), geometries in
    the area's metric CRS with a GiST index. Context, never reports: not counted, exported or purged.

Every write is one transaction under the writer lock, and its audit line is written in the same
transaction (the GeoPackage appends it right after the rename); the lines' content is the same on both
backends (:func:`geo.data.agreement_rows.agreement_audit`).
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.errors import UserError
from geo.core.schema import (
    BASE_COLUMNS,
    FLAG_STACK,
    IMPORT_ID,
    LOCATION_FLAG,
    LOCATION_FLAGS,
    RECORD_ID,
    Kind,
    get_kind,
)
from geo.data.agreement_rows import (
    AGREEMENT_COLUMNS,
    AGREEMENT_DATES,
    AGREEMENTS_TABLE,
    agreement_audit,
    agreement_frame,
    agreement_values,
    measure_import,
    merge_agreement,
)
from geo.data.pgcopy import ewkb_hex
from geo.data.pgschema import AUDIT_TABLE, BASE_TABLE, IMPORT_COLUMNS, PUBLIC_AGREEMENTS_VIEW, PUBLIC_VIEW, quote
from geo.data.store import IMPORTS_TABLE

if TYPE_CHECKING:
    from geo.core.area import StudyArea

_BASE_FEATURE_COLUMNS = ("theme", "name", "street", "housenumber")


def insert_audit(conn, action: str, *, user: str, kind: str | None = None, count: int | None = None,
                 detail: str = "") -> None:
    """One audit row within the transaction of ``conn`` (the same fields as :meth:`PgStore.audit`)."""
    at = datetime.now().isoformat(timespec="seconds")
    conn.execute(f'INSERT INTO {AUDIT_TABLE} (at, "user", action, kind, count, detail) '
                 "VALUES (%s, %s, %s, %s, %s, %s)", (at, user, action, kind, count, detail))


def _sql_values(values: dict) -> list:
    """An agreement's plain values (:func:`agreement_values`) as the driver wants them (dates, bool)."""
    out = []
    for c in AGREEMENT_COLUMNS:
        v = values[c]
        if c in AGREEMENT_DATES:
            v = date.fromisoformat(v) if v else None
        elif c == "public":
            v = bool(v)
        out.append(v)
    return out


class PgExtras:
    """Agreements, base maps and location flags of :class:`geo.data.pgstore.PgStore`."""

    if TYPE_CHECKING:  # provided by geo.data.pgstore.PgStore
        area: StudyArea
        srid: int
        role: str | None

        def exists(self) -> bool: ...
        def layers(self) -> list[str]: ...
        def lock(self) -> AbstractContextManager[None]: ...
        def connection(self) -> AbstractContextManager[Any]: ...
        def transaction(self) -> AbstractContextManager[Any]: ...
        def audit(self, action: str, *, user: str = "lokal", kind: str | None = None, detail: str = "",
                  count: int | None = None) -> None: ...
        def _copy_rows(self, conn, kind: Kind, frame: pd.DataFrame, geoms: np.ndarray,
                       chunk: int = 50_000) -> None: ...

    # ------------------------------------------------------------------ agreements (Vereinbarungen)
    def agreements(self) -> gpd.GeoDataFrame:
        """All agreements, oldest first (see :meth:`geo.data.store.Store.agreements`).

        The role ``oeffentlich`` gets the public ones only, notes empty (the database's view).
        """
        cols = list(AGREEMENT_COLUMNS)
        rows = pd.DataFrame(columns=cols)
        if self.exists():
            source = PUBLIC_AGREEMENTS_VIEW if self.role == "oeffentlich" else AGREEMENTS_TABLE
            with self.connection() as conn:
                data = conn.execute(f"SELECT {', '.join(cols)} FROM {source} ORDER BY agreement_id").fetchall()
            if data:
                rows = pd.DataFrame.from_records(data, columns=cols)
        return agreement_frame(rows, self.area.crs)

    def save_agreement(
        self,
        row: dict,
        *,
        user: str,
        measure_kind: str | None = None,
        measure: gpd.GeoDataFrame | None = None,
        drop_measure: str | None = None,
    ) -> int:
        """Insert or update one agreement in one transaction; return its id.

        Same parameters and behaviour as :meth:`geo.data.store.Store.save_agreement`: the measure
        records (with their import history row) are added and ``drop_measure`` is deleted in the
        same transaction, and the audit line is written in it too.

        Raises
        ------
        UserError
            The agreement to update does not exist; the measure record is already stored.
        """
        import psycopg

        with self.lock():
            at = datetime.now().isoformat(timespec="seconds")
            new_id, old, values = merge_agreement(self.agreements(), row, user, at)
            adding = measure is not None and len(measure) > 0 and measure_kind is not None
            ids = list(measure[RECORD_ID].astype(str)) if measure is not None and len(measure) else None
            action, detail = agreement_audit(new_id, old, values, measure_kind=measure_kind, measure_ids=ids,
                                             drop_measure=drop_measure)
            try:
                with self.transaction() as conn:
                    if measure_kind is not None and drop_measure:
                        conn.execute(f"DELETE FROM {quote(get_kind(measure_kind).name)} WHERE {RECORD_ID} = %s",
                                     (str(drop_measure),))
                    if adding and measure is not None and measure_kind is not None:
                        self._add_measure(conn, new_id, get_kind(measure_kind), measure, at=at, user=user)
                    self._upsert_agreement(conn, values)
                    insert_audit(conn, action, user=user, kind="agreement", count=1, detail=detail)
            except psycopg.errors.UniqueViolation:
                raise UserError(f"Vereinbarung Nr. {new_id}: die Maßnahme ist bereits gespeichert; "
                                "nichts geändert.") from None
        return new_id

    def _add_measure(self, conn, agreement_id: int, kind: Kind, measure: gpd.GeoDataFrame, *, at: str,
                     user: str) -> None:
        """The measure records of an agreement and their import history row (within ``conn``'s transaction)."""
        import_id = int(conn.execute(f"SELECT coalesce(max(import_id), 0) + 1 FROM {IMPORTS_TABLE}").fetchone()[0])
        rec = measure_import(agreement_id, kind.name, len(measure), at=at, user=user)
        rec["import_id"] = import_id
        conn.execute(f"INSERT INTO {IMPORTS_TABLE} ({', '.join(quote(c) for c in IMPORT_COLUMNS)}) "
                     f"VALUES ({', '.join(['%s'] * len(IMPORT_COLUMNS))})", [rec[c] for c in IMPORT_COLUMNS])
        out = measure[[RECORD_ID, *kind.field_names]].copy()
        out.insert(1, IMPORT_ID, import_id)
        self._copy_rows(conn, kind, out, measure.geometry.to_numpy())

    @staticmethod
    def _upsert_agreement(conn, values: dict) -> None:
        cols = list(AGREEMENT_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != "agreement_id")
        conn.execute(f"INSERT INTO {AGREEMENTS_TABLE} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) "
                     f"ON CONFLICT (agreement_id) DO UPDATE SET {updates}", _sql_values(values))

    # ------------------------------------------------------------------ offline base maps
    def base_layers(self) -> pd.DataFrame:
        """The imported base maps: ``base_name, theme, features`` (one row per name and theme)."""
        cols = ["base_name", "theme", "features"]
        if not self.exists():
            return pd.DataFrame(columns=cols)
        with self.connection() as conn:
            rows = conn.execute(f"SELECT base_name, theme, count(*) FROM {BASE_TABLE} GROUP BY 1, 2").fetchall()
        if not rows:
            return pd.DataFrame(columns=cols)
        out = pd.DataFrame.from_records(rows, columns=cols).astype({"features": "int64"})
        return out.sort_values(["base_name", "theme"], kind="stable").reset_index(drop=True)

    def read_base(self, themes: list[str] | tuple[str, ...] | None = None) -> gpd.GeoDataFrame:
        """Base map features (columns :data:`geo.core.schema.BASE_COLUMNS`) in the store's CRS; the theme
        filter runs in SQL."""
        crs = self.area.crs
        rows: list = []
        if self.exists():
            where, params = ("", []) if themes is None else (" WHERE theme = ANY(%s)", [list(themes)])
            with self.connection() as conn:
                rows = conn.execute(f"SELECT {', '.join(BASE_COLUMNS)}, ST_AsBinary(geom) FROM {BASE_TABLE}"
                                    f"{where} ORDER BY fid", params).fetchall()
        frame = pd.DataFrame.from_records([r[:-1] for r in rows], columns=list(BASE_COLUMNS)) if rows else \
            pd.DataFrame({c: pd.Series(dtype=object) for c in BASE_COLUMNS})
        for c in BASE_COLUMNS:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), "")
        geoms = shapely.from_wkb([None if r[-1] is None else bytes(r[-1]) for r in rows]) if rows else []
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)

    def write_base(self, name: str, features: gpd.GeoDataFrame) -> int:
        """Store ``features`` (columns ``theme, name, street, housenumber``) as base map ``name``, replacing an
        earlier base map of that name, in one transaction; return the count. Takes the lock."""
        rows = features[[*_BASE_FEATURE_COLUMNS, features.geometry.name]].copy()
        rows.insert(0, "base_name", name)
        for c in BASE_COLUMNS:
            rows[c] = rows[c].astype(object).fillna("").astype(str)
        rows = rows.to_crs(self.area.crs)
        with self.lock(), self.transaction() as conn:
            conn.execute(f"DELETE FROM {BASE_TABLE} WHERE base_name = %s", (name,))
            self._copy_base(conn, rows)
        return len(rows)

    def _copy_base(self, conn, rows: gpd.GeoDataFrame) -> None:
        if not len(rows):
            return
        frame = pd.DataFrame({c: rows[c].to_numpy() for c in BASE_COLUMNS})
        frame["geom"] = ewkb_hex(rows.geometry.to_numpy(), self.srid)
        buf = io.StringIO()
        frame.to_csv(buf, header=False, index=False, na_rep="", quoting=2, lineterminator="\n")
        cols = ", ".join([*BASE_COLUMNS, "geom"])
        with conn.cursor() as cur, cur.copy(f"COPY {BASE_TABLE} ({cols}) FROM STDIN WITH (FORMAT csv, "
                                            "FORCE_NULL (geom))") as cp:
            cp.write(buf.getvalue())

    def remove_base(self, name: str) -> int:
        """Remove base map ``name`` (one transaction); return how many features were removed. Takes the lock."""
        if not self.exists():
            return 0
        with self.lock(), self.transaction() as conn:
            return int(conn.execute(f"DELETE FROM {BASE_TABLE} WHERE base_name = %s", (name,)).rowcount)

    # ------------------------------------------------------------------ whole-store writes
    def replace_extras(self, conn, agreements: gpd.GeoDataFrame, base: gpd.GeoDataFrame) -> None:
        """Replace all agreements and base maps within ``conn``'s transaction (copy, restore)."""
        conn.execute(f"TRUNCATE {AGREEMENTS_TABLE}, {BASE_TABLE}")
        for record in agreements.to_dict("records"):
            self._upsert_agreement(conn, agreement_values(record))
        if len(base):
            self._copy_base(conn, base.to_crs(self.area.crs) if base.crs is not None else base)

    # ------------------------------------------------------------------ location flags (issue 12)
    def set_location_flag(self, kind: Kind | str, record_ids: list[str] | np.ndarray, flag: str, *,
                          user: str = "lokal", note: str = "") -> int:
        """Set ``location_flag`` of some records ("" clears it) in one transaction with its audit line;
        return the count changed (see :meth:`geo.data.store.Store.set_location_flag`)."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        if flag not in LOCATION_FLAGS:
            raise UserError(f"Unbekannter Ortshinweis '{flag}'.")
        ids = [str(i) for i in record_ids]
        if not ids or kind.name not in self.layers():
            return 0
        what = f"Ortshinweis '{flag}' gesetzt" if flag else "Ortshinweis aufgehoben"
        with self.lock(), self.transaction() as conn:
            has = conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                               "AND table_name = %s AND column_name = %s", (kind.name, LOCATION_FLAG)).fetchone()
            if not has:
                return 0
            changed = int(conn.execute(f"UPDATE {quote(kind.name)} SET {LOCATION_FLAG} = %s "
                                       f"WHERE {RECORD_ID} = ANY(%s)", (flag, ids)).rowcount)
            insert_audit(conn, "location_flag", user=user, kind=kind.name, count=changed,
                         detail=f"{what}{': ' + note if note else ''}")
        return changed

    def confirm_location_flag(self, kind: Kind | str, record_ids: list[str] | np.ndarray, *, user: str = "lokal",
                              note: str = "") -> None:
        """Record in the audit log that a user checked a Sammelpunkt and keeps its flag."""
        kind = get_kind(kind) if isinstance(kind, str) else kind
        self.audit("location_flag", user=user, kind=kind.name, count=len(record_ids),
                   detail=f"{FLAG_STACK} bestätigt{': ' + note if note else ''}")

    # ------------------------------------------------------------------ the public view
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
