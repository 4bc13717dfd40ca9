"""What the role ``oeffentlich`` reads from a PostGIS store: SQL functions that aggregate and suppress; readers.

The role ``oeffentlich`` may not select from any table of reports (see :mod:`geo.data.pgschema`). What the
public view of the app shows comes from three ``SECURITY DEFINER`` functions owned by the database owner,
which the roles may execute (``PUBLIC`` may not). Each returns aggregates only, and suppresses every
aggregate that rests on fewer than :data:`geo.data.access.K_MIN` events, so a bug in the app cannot publish
a single record:

``lagebild_public_grid(kind, block)``
    events and summed weight per cell of the public hexagon lattice (height :data:`geo.data.access.PUBLIC_CELL`,
    anchored at the CRS origin like :func:`geo.core.grid.make_grid`) in one block of the fixed two-month grid;
    records with a location flag (Sammelpunkt, ungenau) are left out as in every spatial statistic. Cells with
    fewer than K_MIN events are not returned. The lattice index of a point ``(x, y)`` is computed in SQL with the
    same arithmetic as :func:`geo.core.grid._lattice_index` (axial coordinates of flat-topped hexagons
    ``q = x / (1.5 h / √3)``, ``r = y / h − q / 2``, cube rounding), so the cells equal those of
    :func:`geo.data.access.public_cells`.
``lagebild_public_totals(block)``
    per report kind the events and the summed weight in a block (complaints of the schema's categories);
    both NULL below K_MIN.
``lagebild_public_overview()``
    per kind the number of records (NULL when 1 … K_MIN−1) and the latest report date (for the periods
    offered).

The block must be one of the fixed grid (first day of January, March, …); anything else is refused by the
database, so published figures never overlap (no differencing of periods).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.core.grid import SQRT3, make_grid
from geo.core.period import BLOCK_MONTHS, Period
from geo.core.schema import COMPLAINT, COMPLAINT_CATEGORIES, KINDS, LOCATION_FLAG, REPORT_KINDS
from geo.data.access import K_MIN, PUBLIC_CELL, check_public_period

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Any

    import shapely

    from geo.core.area import StudyArea

ROLES_SQL = "lagebild_analyse, lagebild_rapport, lagebild_oeffentlich"
_HEADER = "LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS"
_CHECK_BLOCK = (f"IF p_block IS NULL OR extract(day FROM p_block) <> 1 "
                f"OR (extract(month FROM p_block)::int - 1) % {BLOCK_MONTHS} <> 0 THEN "
                "RAISE EXCEPTION 'kein Block des festen Zwei-Monats-Rasters: %', p_block; END IF;")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _weight(kind: str) -> str:
    w = KINDS[kind].weight_field
    return f"coalesce({_q(w)}::double precision, 1.0)" if w else "1.0::double precision"


def _latest(date_field: str | None) -> str:
    return f"max({_q(date_field)})::date" if date_field else "NULL::date"


def _grid_query(kind: str, cell: float = PUBLIC_CELL) -> str:
    """The per-cell aggregation of one kind; ``%s`` takes the location-flag clause, ``$1``/``$2`` the block."""
    k = KINDS[kind]
    dx = repr(1.5 * float(cell) / SQRT3)
    h = repr(float(cell))
    pts = (f"SELECT ST_X(c) AS x, ST_Y(c) AS y, w FROM (SELECT ST_Centroid(geom) AS c, {_weight(kind)} AS w "
           f"FROM {_q(kind)} WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) AND {_q(str(k.date_field))} >= $1 "
           f"AND {_q(str(k.date_field))} < $2 %s) a")
    axial = f"SELECT x / {dx} AS q, y / {h} - (x / {dx}) / 2.0 AS r, w FROM ({pts}) b"
    cube = f"SELECT q, r, -q - r AS s, w FROM ({axial}) c"
    rounded = ("SELECT round(q) AS rq, round(r) AS rr, round(s) AS rs, abs(round(q) - q) AS dq, "
               f"abs(round(r) - r) AS dr, abs(round(s) - s) AS ds, w FROM ({cube}) d")
    lattice = ("SELECT (CASE WHEN dq > dr AND dq > ds THEN -rr - rs ELSE rq END)::bigint AS i, "
               "(CASE WHEN NOT (dq > dr AND dq > ds) AND dr > ds THEN -rq - rs ELSE rr END)::bigint AS rr, w "
               f"FROM ({rounded}) e")
    return (f"SELECT i, 2 * rr + i, count(*)::bigint, sum(w)::double precision FROM ({lattice}) f "
            f"GROUP BY 1, 2 HAVING count(*) >= {int(K_MIN)}")


def _totals_query(kind: str) -> str:
    k = KINDS[kind]
    where = f"{_q(str(k.date_field))} >= $1 AND {_q(str(k.date_field))} < $2"
    if kind == COMPLAINT:
        where += f" AND category = ANY(ARRAY[{', '.join(_lit(c) for c in COMPLAINT_CATEGORIES)}]::text[])"
    return (f"SELECT {_lit(kind)}::text, CASE WHEN n >= {int(K_MIN)} THEN n END, CASE WHEN n >= {int(K_MIN)} "
            f"THEN v END FROM (SELECT count(*)::bigint AS n, sum({_weight(kind)})::double precision AS v "
            f"FROM {_q(kind)} WHERE {where}) t")


def public_functions_sql() -> list[str]:
    """Statements that (re)create the public functions and their grants (run by the owner in the migration)."""
    branches = []
    unflagged = _lit(f" AND coalesce({LOCATION_FLAG}, '') = ''")
    for kind in REPORT_KINDS:
        flag = (f"EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = {_lit(_q(kind))}::regclass "
                f"AND attname = {_lit(LOCATION_FLAG)} AND NOT attisdropped)")
        branches.append(f"IF p_kind = {_lit(kind)} THEN RETURN QUERY EXECUTE format({_lit(_grid_query(kind))}, "
                        f"CASE WHEN {flag} THEN {unflagged} "
                        "ELSE '' END) USING p_block::timestamp, "
                        f"(p_block + interval '{BLOCK_MONTHS} months')::timestamp; RETURN; END IF;")
    grid = ("CREATE OR REPLACE FUNCTION lagebild_public_grid(p_kind text, p_block date) RETURNS TABLE "
            f"(cell_i bigint, cell_j bigint, events bigint, value double precision) {_HEADER} $fn$ BEGIN "
            f"{_CHECK_BLOCK} {' '.join(branches)} RAISE EXCEPTION 'keine Meldungsart: %', p_kind; END $fn$")
    totals = ("CREATE OR REPLACE FUNCTION lagebild_public_totals(p_block date) RETURNS TABLE "
              f"(kind text, events bigint, value double precision) {_HEADER} $fn$ BEGIN {_CHECK_BLOCK} "
              f"RETURN QUERY EXECUTE {_lit(' UNION ALL '.join(_totals_query(k) for k in REPORT_KINDS))} "
              f"USING p_block::timestamp, (p_block + interval '{BLOCK_MONTHS} months')::timestamp; END $fn$")
    parts = [f"SELECT {_lit(name)}::text, CASE WHEN n = 0 OR n >= {int(K_MIN)} THEN n END, latest FROM "
             f"(SELECT count(*)::bigint AS n, {_latest(k.date_field)} AS latest FROM {_q(name)}) t"
             for name, k in KINDS.items()]
    overview = ("CREATE OR REPLACE FUNCTION lagebild_public_overview() RETURNS TABLE (kind text, records bigint, "
                f"latest date) {_HEADER} $fn$ BEGIN RETURN QUERY EXECUTE "
                f"{_lit(' UNION ALL '.join(parts))}; END $fn$")
    out = [grid, totals, overview]
    for sig in ("lagebild_public_grid(text, date)", "lagebild_public_totals(date)", "lagebild_public_overview()"):
        out += [f"REVOKE ALL ON FUNCTION {sig} FROM PUBLIC", f"GRANT EXECUTE ON FUNCTION {sig} TO {ROLES_SQL}"]
    return out


class PgPublic:
    """Readers of the public functions (a mixin of :class:`geo.data.pgstore.PgStore`); any role may call them."""

    if TYPE_CHECKING:  # provided by geo.data.pgstore.PgStore
        area: StudyArea

        def exists(self) -> bool: ...
        def connection(self) -> AbstractContextManager[Any]: ...

    def public_grid(self, kind: str, block: Period, boundary: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
        """The published cells of ``kind`` in ``block``: like :func:`geo.data.access.public_cells` of the kind's
        spatial records (weight: the kind's weight field) over ``boundary`` (default: the area's), computed and
        suppressed by the database."""
        check_public_period(block)
        boundary = self.area.boundary if boundary is None else boundary
        grid = make_grid(boundary, PUBLIC_CELL, "hex", self.area.crs)
        rows = []
        if self.exists():
            with self.connection() as conn:
                rows = conn.execute("SELECT cell_i, cell_j, events, value FROM lagebild_public_grid(%s, %s)",
                                    (kind, block.start)).fetchall()
        dx, dy = grid.spacing
        x0, y0 = grid.origin
        ij = np.array([(int(r[0]), int(r[1])) for r in rows], dtype=np.int64).reshape(-1, 2)
        ids = grid.cell_ids_at(x0 + ij[:, 0] * dx, y0 + ij[:, 1] * dy)  # the cell whose centre is the lattice point
        found = pd.DataFrame({"cell_id": ids, "events": [int(r[2]) for r in rows],
                              "value": [float(r[3]) for r in rows]}, columns=["cell_id", "events", "value"])
        found = found[found["cell_id"] >= 0].sort_values("cell_id")
        cells = grid.cells.loc[found["cell_id"].to_numpy(), ["cell_id", grid.cells.geometry.name]]
        cells = cells.reset_index(drop=True)
        cells.insert(1, "events", found["events"].to_numpy(dtype="int64"))
        cells.insert(2, "value", found["value"].to_numpy(dtype="float64"))
        return cells

    def public_totals(self, block: Period) -> dict[str, tuple[float, float]]:
        """Per report kind ``(events, summed weight)`` in ``block``; NaN where fewer than K_MIN events."""
        check_public_period(block)
        out = {k: (0.0, 0.0) for k in REPORT_KINDS}
        if self.exists():
            with self.connection() as conn:
                for kind, events, value in conn.execute("SELECT kind, events, value FROM lagebild_public_totals(%s)",
                                                        (block.start,)):
                    out[kind] = (np.nan, np.nan) if events is None else (float(events), float(value or 0.0))
        return out

    def public_overview(self) -> pd.DataFrame:
        """Per kind (index) ``records`` (NaN when 1 … K_MIN−1) and ``latest`` report date (``None`` if none)."""
        rows: list = []
        if self.exists():
            with self.connection() as conn:
                rows = conn.execute("SELECT kind, records, latest FROM lagebild_public_overview()").fetchall()
        frame = pd.DataFrame({"records": 0.0, "latest": None}, index=pd.Index(list(KINDS), name="kind"))
        for kind, records, latest in rows:
            frame.loc[kind, "records"] = np.nan if records is None else float(records)
            frame.loc[kind, "latest"] = latest if isinstance(latest, date) else None
        return frame
