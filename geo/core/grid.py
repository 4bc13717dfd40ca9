"""Regular analysis grids (squares or hexagons) over the study area, in its metric CRS.

A grid is a set of equal cells on a regular lattice. Each cell centre lies on integer
lattice coordinates ``(i, j)``::

    x = x0 + i * dx,     y = y0 + j * dy      (metres, in the grid's metric CRS)

* **square**: ``dx = dy = cell``; ``(i, j)`` are column and row; the cell edges lie on
  multiples of ``cell`` (``x0 = y0 = cell / 2``), so grids of the same cell size line up
  across periods and areas.
* **hex**: flat-topped hexagons whose *height* (distance between two opposite, parallel
  sides) is ``cell`` – the convention of ArcGIS ("the cell size is used as the height of
  the hexagon"). Neighbouring centres are ``cell`` apart, the edge length is
  ``cell / sqrt(3)`` and the area ``sqrt(3) / 2 * cell**2``. Centres use "doubled"
  coordinates: ``dx = 1.5 * cell / sqrt(3)`` (column spacing), ``dy = cell / 2``, and only
  lattice points with ``i + j`` even are hexagon centres (``x0 = y0 = 0``).

Because the lattice is regular, the cells within a distance band of a cell form a fixed
*stencil* of lattice offsets. :meth:`Grid.window_sum` uses this to compute neighbour sums
with prefix sums along lattice rows: ``O(n * rows_in_stencil)`` time, ``O(n)`` memory, no
neighbour lists.

A cell belongs to the grid when its **centre lies inside the boundary** (polygon edges
count as outside). Cells at the edge may therefore reach a little beyond the boundary and
small slivers of the area at the boundary may be covered by no cell; points there are not
counted by :func:`aggregate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo.core import fmt
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.points import point_coordinates, point_weights

GridShape = Literal["hex", "square"]

SQRT3 = math.sqrt(3.0)
#: Upper limit for the number of cells of one grid (memory and run time stay small).
MAX_CELLS = 5_000_000
#: Relative tolerance for distance bands: a neighbour at exactly ``band`` metres is included
#: even if floating point puts it a hair beyond.
BAND_RTOL = 1e-9


def check_metric_crs(crs: object) -> str:
    """Return ``crs`` as a string if it is a projected CRS in metres; raise :class:`UserError` otherwise.

    Distances in degrees are meaningless for hot spot statistics, so geographic CRS
    (e.g. EPSG:4326) are refused with a German message.
    """
    if crs is None:
        raise UserError(f"Kein Koordinatensystem angegeben; Analysen brauchen ein metrisches, z. B. {DEFAULT_CRS}.")
    try:
        parsed = CRS.from_user_input(crs)
    except Exception:  # noqa: BLE001 - any parse error becomes one German line
        raise UserError(f"Unbekanntes Koordinatensystem {crs!r}.") from None
    unit = parsed.axis_info[0].unit_name if parsed.axis_info else ""
    if parsed.is_geographic or not parsed.is_projected or unit not in ("metre", "meter"):
        raise UserError(
            f"Das Koordinatensystem {parsed.to_string()} ist nicht metrisch (Grad statt Meter); "
            f"Abstände und Zellgrößen brauchen ein metrisches System, z. B. {DEFAULT_CRS}."
        )
    return crs if isinstance(crs, str) else parsed.to_string()


@dataclass(frozen=True, eq=False)
class Grid:
    """A regular grid of square or hexagonal cells.

    Attributes
    ----------
    cells : GeoDataFrame with ``cell_id`` (int, ``0 .. n-1``, equal to the row position)
        and polygon ``geometry`` in ``crs``.
    x, y : float64 arrays (n,) of cell centres, metres in ``crs``.
    i, j : int64 arrays (n,) of lattice coordinates (see module docstring); for hexagons
        ``i + j`` is even.
    cell : cell size in metres (square side, or hexagon height = centre spacing).
    shape : ``"hex"`` or ``"square"``.
    crs : the metric CRS, e.g. ``"EPSG:25833"``.
    """

    cells: gpd.GeoDataFrame
    x: np.ndarray
    y: np.ndarray
    i: np.ndarray
    j: np.ndarray
    cell: float
    shape: GridShape
    crs: str

    # -- lattice geometry -------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of cells."""
        return len(self.x)

    def __len__(self) -> int:
        return self.n

    @property
    def spacing(self) -> tuple[float, float]:
        """Lattice spacing ``(dx, dy)`` in metres."""
        return _spacing(self.cell, self.shape)

    @property
    def origin(self) -> tuple[float, float]:
        """Centre ``(x0, y0)`` of lattice point ``(0, 0)`` in metres."""
        return _origin(self.cell, self.shape)

    @property
    def cell_area(self) -> float:
        """Area of one cell in m²."""
        return self.cell**2 if self.shape == "square" else SQRT3 / 2.0 * self.cell**2

    @property
    def ij(self) -> np.ndarray:
        """Lattice coordinates as an int64 array (n, 2)."""
        return np.column_stack([self.i, self.j])

    @property
    def xy(self) -> np.ndarray:
        """Cell centres as a float64 array (n, 2), metres."""
        return np.column_stack([self.x, self.y])

    @cached_property
    def _table(self) -> tuple[int, int, np.ndarray]:
        """``(i_min, j_min, ids)``: a 2-D lookup table lattice → cell_id (-1 where no cell)."""
        if self.n == 0:
            return 0, 0, np.full((0, 0), -1, dtype=np.int64)
        i0, j0 = int(self.i.min()), int(self.j.min())
        table = np.full((int(self.i.max()) - i0 + 1, int(self.j.max()) - j0 + 1), -1, dtype=np.int64)
        table[self.i - i0, self.j - j0] = np.arange(self.n)
        return i0, j0, table

    def lattice_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lattice coordinates ``(i, j)`` of the cell (of the infinite lattice) containing each point.

        Parameters
        ----------
        x, y : coordinates in metres (grid CRS).
        """
        return _lattice_index(np.asarray(x, dtype=float), np.asarray(y, dtype=float), self.cell, self.shape)

    def cell_ids_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``cell_id`` of the grid cell containing each point, ``-1`` if it is in no cell.

        Vectorised: the lattice index is computed arithmetically from the coordinates and
        looked up in a table; no geometric predicate per point. Non-finite coordinates give -1.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        out = np.full(x.shape, -1, dtype=np.int64)
        if self.n == 0 or x.size == 0:
            return out
        finite = np.isfinite(x) & np.isfinite(y)
        ii, jj = self.lattice_index(x[finite], y[finite])
        i0, j0, table = self._table
        ii = ii - i0
        jj = jj - j0
        inside = (ii >= 0) & (ii < table.shape[0]) & (jj >= 0) & (jj < table.shape[1])
        ids = np.full(ii.shape, -1, dtype=np.int64)
        ids[inside] = table[ii[inside], jj[inside]]
        out[finite] = ids
        return out

    # -- distance bands ---------------------------------------------------------------
    def stencil(self, band: float) -> np.ndarray:
        """Lattice offsets ``(di, dj)`` of all cells whose centres are within ``band`` metres.

        Includes ``(0, 0)``. Distances ≤ ``band * (1 + 1e-9)`` count (a neighbour at exactly
        ``band`` is included). Returns an int64 array (k, 2).
        """
        rows = _stencil_rows(band, self.cell, self.shape)
        parts = [
            np.column_stack([np.full(len(r), di), r])
            for di, h in rows
            for r in [np.arange(-h, h + 1, 2 if self.shape == "hex" else 1)]
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros((0, 2), dtype=np.int64)

    def window_sum(self, values: np.ndarray, band: float) -> np.ndarray:
        """Sum of ``values`` over all cells within ``band`` metres of each cell, the cell itself included.

        Parameters
        ----------
        values : array (n,) or (n, m), aligned with ``cell_id``.
        band : distance band in metres (between cell centres).

        Returns
        -------
        float64 array of the same shape as ``values``.

        Notes
        -----
        The values are placed on the lattice table and prefix-summed along ``j``; the band
        is a union of ``j``-runs, one per stencil row ``di``, each summed as the difference
        of two prefix sums. Exact for integer-valued counts; for other floats the rounding
        error is of the order of machine epsilon times a lattice row's sum.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.shape[0] != self.n:
            raise ValueError(f"values has {values.shape[0]} rows, grid has {self.n} cells")
        if self.n == 0:
            return values.copy()
        i0, j0, table = self._table
        na, nb = table.shape
        rest = values.shape[1:]
        lattice = np.zeros((na, nb, *rest), dtype=np.float64)
        ii = self.i - i0
        jj = self.j - j0
        lattice[ii, jj] = values
        prefix = np.zeros((na, nb + 1, *rest), dtype=np.float64)
        np.cumsum(lattice, axis=1, out=prefix[:, 1:])
        del lattice
        out = np.zeros_like(values)
        for di, h in _stencil_rows(band, self.cell, self.shape):
            if abs(di) >= na:
                continue
            rows = ii + di
            ok = (rows >= 0) & (rows < na)
            if not ok.any():
                continue
            r = rows[ok]
            lo = np.clip(jj[ok] - h, 0, nb)
            hi = np.clip(jj[ok] + h + 1, 0, nb)
            out[ok] += prefix[r, hi] - prefix[r, lo]
        return out

    def neighbour_counts(self, band: float) -> np.ndarray:
        """Number of cells within ``band`` metres of each cell, itself included (int64, n)."""
        return np.rint(self.window_sum(np.ones(self.n), band)).astype(np.int64)


# -- helpers ---------------------------------------------------------------------------


def _spacing(cell: float, shape: GridShape) -> tuple[float, float]:
    if shape == "square":
        return cell, cell
    return 1.5 * cell / SQRT3, cell / 2.0


def _origin(cell: float, shape: GridShape) -> tuple[float, float]:
    return (cell / 2.0, cell / 2.0) if shape == "square" else (0.0, 0.0)


def _lattice_index(x: np.ndarray, y: np.ndarray, cell: float, shape: GridShape) -> tuple[np.ndarray, np.ndarray]:
    """Lattice coordinates of the cells containing points ``(x, y)`` (metres), vectorised."""
    if shape == "square":
        return np.floor(x / cell).astype(np.int64), np.floor(y / cell).astype(np.int64)
    # Axial coordinates of flat-topped hexagons, then cube rounding.
    q = x / (1.5 * cell / SQRT3)
    r = y / cell - q / 2.0
    s = -q - r
    rq, rr, rs = np.rint(q), np.rint(r), np.rint(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    qi = rq.astype(np.int64)
    return qi, (2 * rr.astype(np.int64) + qi)


def _stencil_rows(band: float, cell: float, shape: GridShape) -> list[tuple[int, int]]:
    """``(di, h)`` pairs: lattice row offset and half-width of the run of neighbours in ``j``.

    For hexagons the run holds only every second ``j`` (parity ``di + dj`` even), but the
    lattice table is zero at the other positions, so summing the whole run is correct.
    """
    if not (band >= 0 and math.isfinite(band)):
        raise UserError(f"Ungültiges Distanzband {band!r} m; es muss eine positive Zahl sein.")
    dx, dy = _spacing(cell, shape)
    reach = band * (1.0 + BAND_RTOL)
    rows: list[tuple[int, int]] = []
    amax = int(math.floor(reach / dx))
    for di in range(-amax, amax + 1):
        rest = reach**2 - (di * dx) ** 2
        if rest < 0:
            continue
        h = int(math.floor(math.sqrt(rest) / dy * (1.0 + 1e-12)))
        if shape == "hex" and (h - di) % 2:  # j-offsets must have the parity of di
            h -= 1
        if h >= 0:
            rows.append((di, h))
    return rows


def _candidate_lattice(bounds: tuple[float, float, float, float], cell: float, shape: GridShape):
    minx, miny, maxx, maxy = bounds
    dx, dy = _spacing(cell, shape)
    x0, y0 = _origin(cell, shape)
    i_lo, i_hi = math.floor((minx - x0) / dx) - 1, math.ceil((maxx - x0) / dx) + 1
    j_lo, j_hi = math.floor((miny - y0) / dy) - 2, math.ceil((maxy - y0) / dy) + 2
    total = (i_hi - i_lo + 1) * (j_hi - j_lo + 1) / (2 if shape == "hex" else 1)
    if total > 4 * MAX_CELLS:
        raise UserError(
            f"Zellgröße {cell:g} m ist für dieses Gebiet zu klein (etwa {fmt.number(total)} Zellen); "
            "bitte eine größere Zellgröße wählen."
        )
    ii_2d, jj_2d = np.meshgrid(np.arange(i_lo, i_hi + 1), np.arange(j_lo, j_hi + 1), indexing="ij")
    ii, jj = ii_2d.ravel(), jj_2d.ravel()
    if shape == "hex":
        keep = (ii + jj) % 2 == 0
        ii, jj = ii[keep], jj[keep]
    return ii.astype(np.int64), jj.astype(np.int64), x0 + ii * dx, y0 + jj * dy


def _polygons(x: np.ndarray, y: np.ndarray, cell: float, shape: GridShape) -> np.ndarray:
    if shape == "square":
        h = cell / 2.0
        ox = np.array([-h, h, h, -h, -h])
        oy = np.array([-h, -h, h, h, -h])
    else:
        radius = cell / SQRT3
        ang = np.deg2rad(np.arange(0, 361, 60) % 360)
        ox = radius * np.cos(ang)
        oy = radius * np.sin(ang)
    coords = np.stack([x[:, None] + ox[None, :], y[:, None] + oy[None, :]], axis=-1)
    # Round to micrometres so that neighbouring cells share bit-identical vertices.
    return shapely.polygons(np.round(coords, 6))


def make_grid(
    boundary: shapely.Geometry,
    cell: float,
    shape: GridShape = "hex",
    crs: str = DEFAULT_CRS,
) -> Grid:
    """Build a square or hexagonal grid over ``boundary``.

    Parameters
    ----------
    boundary : polygon or multipolygon in ``crs`` (metres).
    cell : cell size in metres: side of a square, or height (= distance between
        neighbouring centres) of a flat-topped hexagon.
    shape : ``"hex"`` (default) or ``"square"``.
    crs : metric CRS of ``boundary`` and of the result; geographic CRS are refused with
        a :class:`~geo.core.errors.UserError`.

    Returns
    -------
    Grid
        Cells whose **centre lies inside** ``boundary``, numbered ``cell_id = 0 .. n-1``
        in lattice order (``i``, then ``j``). The lattice is anchored at the CRS origin, so
        the same cell size always gives the same cells.
    """
    crs = check_metric_crs(crs)
    if shape not in ("hex", "square"):
        raise UserError(f"Unbekannte Zellform {shape!r}; erlaubt sind 'hex' und 'square'.")
    try:
        cell = float(cell)
    except (TypeError, ValueError):
        raise UserError(f"Ungültige Zellgröße {cell!r}.") from None
    if not (cell > 0 and math.isfinite(cell)):
        raise UserError(f"Ungültige Zellgröße {cell!r} m; sie muss größer als 0 sein.")
    if boundary is None or shapely.is_empty(boundary):
        raise UserError("Das Gebiet ist leer; es kann kein Raster erzeugt werden.")
    area = shapely.make_valid(boundary)
    ii, jj, x, y = _candidate_lattice(area.bounds, cell, shape)
    shapely.prepare(area)
    inside = shapely.contains_xy(area, x, y)
    ii, jj, x, y = ii[inside], jj[inside], x[inside], y[inside]
    if len(x) > MAX_CELLS:
        raise UserError(
            f"Zellgröße {cell:g} m ergibt {fmt.number(len(x))} Zellen (höchstens {fmt.number(MAX_CELLS)}); "
            "bitte größer wählen."
        )
    cells = gpd.GeoDataFrame(
        {"cell_id": np.arange(len(x), dtype=np.int64)},
        geometry=_polygons(x, y, cell, shape),
        crs=crs,
    )
    return Grid(cells=cells, x=x, y=y, i=ii, j=jj, cell=cell, shape=shape, crs=crs)


def aggregate(grid: Grid, points: gpd.GeoDataFrame, weight: str | None = None) -> np.ndarray:
    """Count (or sum a weight of) points per grid cell.

    Parameters
    ----------
    grid : the grid (its ``crs`` is metric).
    points : point records; a GeoDataFrame/GeoSeries (reprojected to ``grid.crs`` if
        needed) or an array (n, 2) of coordinates in ``grid.crs`` (metres).
    weight : column to sum (e.g. ``"count"`` for syringe finds, see
        ``KINDS[kind].weight_field``); missing values count 1. ``None``: each record
        counts 1.

    Returns
    -------
    float64 array (n_cells,), aligned with ``cell_id``; cells without points are 0.
    Points outside all cells (and missing geometries) are ignored.

    Notes
    -----
    Vectorised: each point's lattice index is computed arithmetically from its
    coordinates, looked up in a table and accumulated with ``np.bincount``.
    """
    x, y = point_coordinates(points, grid.crs)
    w = point_weights(points, weight, len(x))
    return aggregate_xy(grid, x, y, w)


def aggregate_xy(grid: Grid, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Like :func:`aggregate` for coordinate arrays ``x, y`` (metres, ``grid.crs``) and weights ``w``."""
    ids = grid.cell_ids_at(x, y)
    ok = ids >= 0
    weights = None if w is None else np.asarray(w, dtype=float)[ok]
    return np.bincount(ids[ok], weights=weights, minlength=grid.n).astype(np.float64)
