"""Grids (squares, hexagons), point aggregation and distance-band window sums."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from geo.core.errors import UserError
from geo.core.grid import SQRT3, aggregate, aggregate_xy, make_grid

CRS = "EPSG:25833"
#: An irregular study area in UTM 33N around Leipzig: an L-shape with a hole.
L_SHAPE = shapely.Polygon(
    [(317000, 5689000), (319500, 5689000), (319500, 5690200), (318200, 5690200), (318200, 5691800),
     (317000, 5691800)]
).difference(shapely.Point(317600, 5689700).buffer(250))


def _brute_cell_ids(grid, x, y) -> np.ndarray:
    """Cell of each point by point-in-polygon (covers), -1 where none; independent of the lattice maths."""
    pts = shapely.points(x, y)
    tree = shapely.STRtree(grid.cells.geometry.values)
    pi, ci = tree.query(pts, predicate="within")
    out = np.full(len(x), -1)
    out[pi] = grid.cells["cell_id"].to_numpy()[ci]
    return out


def test_square_grid_geometry():
    grid = make_grid(shapely.box(0, 0, 1000, 600), 100, "square", CRS)
    assert grid.n == 60
    assert grid.cells["cell_id"].tolist() == list(range(60))
    assert grid.cells.crs.to_epsg() == 25833
    np.testing.assert_allclose(grid.cells.geometry.area, 10_000.0)
    c = grid.cells.geometry.centroid
    np.testing.assert_allclose(c.x, grid.x)
    np.testing.assert_allclose(c.y, grid.y)
    assert set(np.round(grid.x)) == {50.0 + 100 * k for k in range(10)}
    assert set(np.round(grid.y)) == {50.0 + 100 * k for k in range(6)}
    # the squares tile the box exactly
    assert shapely.union_all(grid.cells.geometry.values).area == pytest.approx(600_000.0)
    assert grid.cell_area == 10_000.0


def test_hex_grid_geometry():
    grid = make_grid(L_SHAPE, 50.0, "hex", CRS)
    assert grid.n > 1000
    area = SQRT3 / 2 * 50.0**2
    np.testing.assert_allclose(grid.cells.geometry.area, area, rtol=1e-6)
    assert grid.cell_area == pytest.approx(area)
    bounds = grid.cells.geometry.bounds
    np.testing.assert_allclose(bounds.maxy - bounds.miny, 50.0, atol=1e-5)  # height = cell size
    np.testing.assert_allclose(bounds.maxx - bounds.minx, 100.0 / SQRT3, atol=1e-5)  # flat-topped
    # neighbouring centres are exactly one cell size apart, six neighbours inside the area
    d, _ = cKDTree(grid.xy).query(grid.xy, k=7)
    np.testing.assert_allclose(d[:, 1], 50.0, rtol=1e-9)
    assert (np.abs(d[:, 1:] - 50.0) < 1e-6).all(axis=1).sum() > 0.8 * grid.n
    # no overlaps, no gaps between neighbours: the union has the summed area
    assert shapely.union_all(grid.cells.geometry.values).area == pytest.approx(grid.n * area, rel=1e-6)
    assert ((grid.i + grid.j) % 2 == 0).all()
    np.testing.assert_allclose(grid.cells.geometry.centroid.x, grid.x, atol=1e-6)


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_cells_are_those_with_centre_inside(shape):
    grid = make_grid(L_SHAPE, 80.0, shape, CRS)
    assert shapely.contains_xy(L_SHAPE, grid.x, grid.y).all()
    # a grid over the bounding box has the same lattice; its cells with centre inside are ours
    full = make_grid(shapely.box(*L_SHAPE.bounds), 80.0, shape, CRS)
    inside = shapely.contains_xy(L_SHAPE, full.x, full.y)
    assert grid.n == inside.sum()
    ours = set(zip(grid.i.tolist(), grid.j.tolist(), strict=True))
    assert ours == set(zip(full.i[inside].tolist(), full.j[inside].tolist(), strict=True))
    # cells whose centre is outside are dropped even where they overlap the area (edge, hole)
    dropped = full.cells.geometry.values[~inside]
    assert shapely.intersects(dropped, L_SHAPE).sum() > 10


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_lattice_is_anchored(shape):
    """The same cell size gives the same cells, whatever the area: periods and areas line up."""
    a = make_grid(shapely.box(317000, 5689000, 318000, 5690000), 75.0, shape, CRS)
    b = make_grid(shapely.box(317333, 5689444, 317777, 5689888), 75.0, shape, CRS)
    keys_a = set(zip(a.i.tolist(), a.j.tolist(), strict=True))
    assert set(zip(b.i.tolist(), b.j.tolist(), strict=True)) <= keys_a
    ia = {k: n for n, k in enumerate(zip(a.i.tolist(), a.j.tolist(), strict=True))}
    idx = [ia[k] for k in zip(b.i.tolist(), b.j.tolist(), strict=True)]
    np.testing.assert_allclose(a.x[idx], b.x)
    np.testing.assert_allclose(a.y[idx], b.y)


def test_refuses_geographic_crs_and_bad_sizes():
    with pytest.raises(UserError, match="nicht metrisch"):
        make_grid(shapely.box(12.38, 51.33, 12.44, 51.36), 0.001, "hex", "EPSG:4326")
    with pytest.raises(UserError, match="Zellgröße"):
        make_grid(L_SHAPE, 0, "hex", CRS)
    with pytest.raises(UserError, match="Zellgröße"):
        make_grid(L_SHAPE, float("nan"), "square", CRS)
    with pytest.raises(UserError, match="zu klein|größer"):
        make_grid(L_SHAPE, 0.5, "square", CRS)
    with pytest.raises(UserError, match="Zellform"):
        make_grid(L_SHAPE, 50, "triangle", CRS)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="leer"):
        make_grid(shapely.Polygon(), 50, "hex", CRS)


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_aggregate_matches_point_in_polygon(shape):
    grid = make_grid(L_SHAPE, 60.0, shape, CRS)
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = L_SHAPE.bounds
    x = rng.uniform(minx - 200, maxx + 200, 20_000)
    y = rng.uniform(miny - 200, maxy + 200, 20_000)
    w = rng.integers(1, 6, x.size).astype(float)
    ids = grid.cell_ids_at(x, y)
    ref = _brute_cell_ids(grid, x, y)
    # points exactly on an edge may go either way; with random floats there are none
    np.testing.assert_array_equal(ids, ref)
    counts = aggregate_xy(grid, x, y, w)
    expected = np.bincount(ref[ref >= 0], weights=w[ref >= 0], minlength=grid.n)
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.float64 and counts.shape == (grid.n,)
    assert (ref == -1).sum() > 1000  # many points fall outside all cells and are ignored


def test_aggregate_geodataframe_weights_and_crs():
    grid = make_grid(shapely.box(317000, 5689000, 317400, 5689400), 100.0, "square", CRS)
    pts = gpd.GeoDataFrame(
        {"count": [3, np.nan, 2, 7, 1]},
        geometry=[shapely.Point(317050, 5689050), shapely.Point(317060, 5689070), shapely.Point(317350, 5689350),
                  shapely.Point(316000, 5689000), None],
        crs=CRS,
    )
    by_count = aggregate(grid, pts, weight="count")
    by_record = aggregate(grid, pts)
    first = grid.cell_ids_at([317050], [5689050])[0]
    last = grid.cell_ids_at([317350], [5689350])[0]
    assert by_count[first] == 4.0  # 3 + missing count (counts 1)
    assert by_count[last] == 2.0
    assert by_count.sum() == 6.0  # the point outside and the missing geometry are ignored
    assert by_record[first] == 2.0 and by_record.sum() == 3.0
    # the same points in WGS84 are reprojected, not treated as metres
    np.testing.assert_allclose(aggregate(grid, pts.to_crs("EPSG:4326"), weight="count"), by_count)
    with pytest.raises(UserError, match="Gewichtsspalte"):
        aggregate(grid, pts, weight="persons")
    # coordinates in degrees without CRS are refused
    with pytest.raises(UserError, match="Grad"):
        aggregate(grid, gpd.GeoDataFrame(geometry=[shapely.Point(12.4, 51.34)]))


@pytest.mark.parametrize("shape", ["hex", "square"])
@pytest.mark.parametrize("band", [10.0, 50.0, 70.0, 100.0, 173.3, 260.0, 10_000.0])
def test_window_sum_equals_brute_force(shape, band):
    grid = make_grid(L_SHAPE, 50.0, shape, CRS)
    rng = np.random.default_rng(int(band))
    values = rng.poisson(2.0, grid.n).astype(float)
    pairs = cKDTree(grid.xy).query_pairs(band * (1 + 1e-9), output_type="ndarray")
    expected = values.copy()
    np.add.at(expected, pairs[:, 0], values[pairs[:, 1]])
    np.add.at(expected, pairs[:, 1], values[pairs[:, 0]])
    np.testing.assert_array_equal(grid.window_sum(values, band), expected)
    k = grid.neighbour_counts(band)
    assert k.min() >= 1
    if band == 50.0:  # exactly one cell size: the direct neighbours are included
        assert k.max() == (7 if shape == "hex" else 5)
    if band == 10_000.0:
        assert (k == grid.n).all()
    # the stencil agrees with the distances it promises
    st_ = grid.stencil(band)
    dx, dy = grid.spacing
    assert (np.hypot(st_[:, 0] * dx, st_[:, 1] * dy) <= band * (1 + 1e-9)).all()


@settings(max_examples=300, deadline=None)
@given(
    x=st.floats(-5e5, 5e5, allow_nan=False),
    y=st.floats(-5e5, 6e6, allow_nan=False),
    cell=st.sampled_from([7.0, 50.0, 123.4]),
)
def test_hex_lattice_index_is_nearest_centre(x, y, cell):
    """The hexagon a point falls in is the one whose centre is nearest (hexagons are Voronoi cells)."""
    grid = make_grid(shapely.box(0, 0, 3 * cell, 3 * cell), cell, "hex", CRS)
    i, j = grid.lattice_index(np.array([x]), np.array([y]))
    dx, dy = grid.spacing
    cx, cy = i[0] * dx, j[0] * dy
    assert (i[0] + j[0]) % 2 == 0
    d = math.hypot(x - cx, y - cy)
    for di, dj in ((0, 2), (0, -2), (1, 1), (1, -1), (-1, 1), (-1, -1)):
        assert d <= math.hypot(x - (i[0] + di) * dx, y - (j[0] + dj) * dy) + 1e-6 * cell
    assert d <= cell / SQRT3 + 1e-6 * cell  # within the circumradius
