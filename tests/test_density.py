"""Kernel density: exact sum, FFT accuracy, default bandwidth, raster geometry, contours, CLI."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.density import DensityResult, default_bandwidth, density_contours, kde
from geo.core.area import leipziger_osten
from geo.core.errors import UserError

CRS = "EPSG:25833"


def _direct_sum(xy, w, xs, ys, h, kernel):
    """Density per km² at pixel centres, one point at a time (written independently of geo.analysis.density)."""
    out = np.zeros((len(ys), len(xs)))
    gx, gy = np.meshgrid(xs, ys)
    for (px, py), wi in zip(xy, w, strict=True):
        d2 = (gx - px) ** 2 + (gy - py) ** 2
        if kernel == "quartic":
            k = np.where(d2 < h * h, 3 / (math.pi * h * h) * (1 - d2 / (h * h)) ** 2, 0.0)
        else:
            k = np.exp(-d2 / (2 * h * h)) / (2 * math.pi * h * h)
        out += wi * k
    return out * 1e6


def _clustered(n: int, seed: int, extent=(0.0, 0.0, 4000.0, 3500.0)) -> np.ndarray:
    """Realistic event pattern: half in a few clusters of different spread, half background."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = extent
    centres = rng.uniform([minx + 400, miny + 400], [maxx - 400, maxy - 400], (6, 2))
    k = n // 2
    spread = rng.choice([40.0, 120.0, 300.0], (k, 1))
    cl = centres[rng.integers(0, 6, k)] + rng.normal(0, 1, (k, 2)) * spread
    bg = np.column_stack([rng.uniform(minx, maxx, n - k), rng.uniform(miny, maxy, n - k)])
    return np.concatenate([cl, bg])


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_exact_equals_direct_sum(kernel):
    xy = np.array([[105.0, 220.0], [130.0, 260.0], [300.0, 90.0], [-40.0, 150.0], [260.0, 410.0]])
    w = np.array([1.0, 3.0, 2.0, 1.5, 1.0])
    bounds = (0.0, 0.0, 330.0, 270.0)
    res = kde(xy, w, bounds=bounds, cell=30.0, bandwidth=90.0, kernel=kernel, method="exact")
    assert res.shape == (9, 11)
    xs = 15.0 + 30.0 * np.arange(11)
    ys = 255.0 - 30.0 * np.arange(9)  # north-up: row 0 is the top
    np.testing.assert_allclose(res.x, xs)
    np.testing.assert_allclose(res.y, ys)
    expected = _direct_sum(xy, w, xs, ys, 90.0, kernel)
    np.testing.assert_allclose(res.density, expected, rtol=1e-12, atol=1e-12 * expected.max())
    assert expected.max() > 0
    if kernel == "quartic":  # compact support: pixels beyond the radius of every point are exactly 0
        assert (res.density == 0).sum() > 5
    else:
        assert (res.density > 0).all()
    assert res.bandwidth == 90.0 and res.kernel == kernel and res.crs == CRS


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
@pytest.mark.parametrize("cell", [10.0, 40.0, 120.0])
def test_fft_within_one_percent_of_exact(kernel, cell):
    """FFT vs exact on a realistic clustered set, at fine and coarse pixels (coarse: internal oversampling).

    Error measure: maximum absolute difference relative to the maximum density (≤ 1 %); and
    where the density exceeds 10 % of its maximum, the relative error is ≤ 2 %.
    """
    xy = _clustered(1500, seed=int(cell))
    w = np.random.default_rng(1).integers(1, 4, len(xy)).astype(float)
    bounds = (0.0, 0.0, 4000.0, 3500.0)
    h = 150.0 if kernel == "quartic" else 60.0
    shape = (int(3500 / cell), int(4000 / cell))
    if cell == 10.0:  # keep the exact sum small: a window around the clusters
        bounds, shape = (1000.0, 1000.0, 2500.0, 2200.0), (120, 150)
    exact = kde(xy, w, bounds=bounds, shape=shape, bandwidth=h, kernel=kernel, method="exact")
    fast = kde(xy, w, bounds=bounds, shape=shape, bandwidth=h, kernel=kernel, method="fft")
    top = exact.density.max()
    err = np.abs(fast.density - exact.density)
    assert err.max() / top <= 0.01
    dense = exact.density > 0.1 * top
    assert (err[dense] / exact.density[dense]).max() <= 0.02
    assert fast.transform == exact.transform


def test_default_bandwidth_formula():
    # points on a circle: standard distance and median distance both equal the radius
    n, radius = 64, 500.0
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    circle = np.column_stack([1000 + radius * np.cos(t), 2000 + radius * np.sin(t)])
    assert default_bandwidth(circle) == pytest.approx(0.9 * radius * n**-0.2)
    # general case, written out
    xy = _clustered(999, seed=4)
    d = np.hypot(*(xy - xy.mean(axis=0)).T)
    sd = math.sqrt(np.mean(d**2))
    dm = np.median(d)
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * len(xy) ** -0.2
    assert default_bandwidth(xy) == pytest.approx(expected, rel=1e-12)
    # integer weights act like repeated points (n = sum of weights)
    w = np.random.default_rng(2).integers(1, 4, len(xy))
    rep = np.repeat(xy, w, axis=0)
    d_rep = np.hypot(*(rep - rep.mean(axis=0)).T)
    expected_w = 0.9 * min(math.sqrt(np.mean(d_rep**2)), math.sqrt(1 / math.log(2)) * np.median(d_rep)) \
        * len(rep) ** -0.2
    assert default_bandwidth(xy, w) == pytest.approx(expected_w, rel=2e-3)
    # a single point: the shorter side of the extent / 30
    assert default_bandwidth(xy[:1], bounds=(0, 0, 3000, 1500)) == 50.0
    assert kde(xy, bounds=(0, 0, 4000, 3500), cell=50).bandwidth == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_mass_orientation_and_outside_points(kernel):
    # total mass: density integrates to the summed weight when the raster holds all of it
    xy = _clustered(3000, seed=9, extent=(1000.0, 1000.0, 3000.0, 2500.0))
    w = np.full(len(xy), 2.0)
    res = kde(xy, w, bounds=(0, 0, 4000, 3500), cell=20.0, bandwidth=80.0, kernel=kernel)
    assert isinstance(res, DensityResult)
    assert res.density.sum() * res.pixel_area_km2 == pytest.approx(w.sum(), rel=2e-3)
    # north-up: a single point in the north-east shows up at the right pixel
    one = kde(np.array([[3510.0, 3010.0]]), bounds=(0, 0, 4000, 3500), cell=20.0, bandwidth=100.0, kernel=kernel)
    assert one.transform.e < 0 and one.transform.a > 0
    r, c = np.unravel_index(np.argmax(one.density), one.shape)
    assert abs(one.x[c] - 3510.0) <= 10 and abs(one.y[r] - 3010.0) <= 10
    assert one.density.max() == pytest.approx(1e6 * (3 / math.pi if kernel == "quartic" else 0.5 / math.pi) / 1e4,
                                              rel=0.02)
    # points just outside the raster contribute like in the exact sum
    edge = np.array([[-50.0, 500.0], [4030.0, 1000.0], [2000.0, 3560.0]])
    fast = kde(edge, bounds=(0, 0, 4000, 3500), cell=50.0, bandwidth=150.0, kernel=kernel)
    exact = kde(edge, bounds=(0, 0, 4000, 3500), cell=50.0, bandwidth=150.0, kernel=kernel, method="exact")
    assert exact.density.max() > 0
    assert np.abs(fast.density - exact.density).max() <= 0.01 * exact.density.max()
    # doubling the weights doubles the density
    double = kde(xy, 2 * w, bounds=(0, 0, 4000, 3500), cell=20.0, bandwidth=80.0, kernel=kernel)
    np.testing.assert_allclose(double.density, 2 * res.density, rtol=1e-5, atol=1e-9 * res.density.max())


def test_inputs_crs_and_raster_geometry():
    xy = _clustered(400, seed=3, extent=(317500.0, 5689800.0, 321000.0, 5692800.0))
    gdf = gpd.GeoDataFrame({"count": np.arange(len(xy)) % 3 + 1}, geometry=shapely.points(xy), crs=CRS)
    bounds = (317500.0, 5689800.0, 321000.0, 5692800.0)
    by_col = kde(gdf, "count", bounds=bounds, cell=25.0)
    by_arr = kde(xy, gdf["count"].to_numpy(), bounds=bounds, cell=25.0)
    np.testing.assert_array_equal(by_col.density, by_arr.density)
    # a WGS84 frame is reprojected, never used as degrees
    wgs = kde(gdf.to_crs("EPSG:4326"), "count", bounds=bounds, cell=25.0)
    np.testing.assert_allclose(wgs.density, by_arr.density, rtol=1e-6, atol=1e-6 * by_arr.density.max())
    with pytest.raises(UserError, match="nicht metrisch"):
        kde(gdf.to_crs("EPSG:4326"), bounds=(12.38, 51.33, 12.44, 51.36), cell=0.001, crs="EPSG:4326")
    # cell: whole pixels, the raster grows east and north; shape: pixels tile the bounds
    grown = kde(xy, bounds=(0, 0, 1010, 495), cell=100.0)
    assert grown.shape == (5, 11) and grown.bounds == (0, 0, 1100, 500)
    tiled = kde(xy, bounds=(0, 0, 1000, 500), shape=(4, 8))
    assert tiled.bounds == (0, 0, 1000, 500) and tiled.transform.a == 125.0
    with pytest.raises(ValueError):
        kde(xy, bounds=bounds)
    with pytest.raises(UserError):
        kde(xy, bounds=bounds, cell=25.0, bandwidth=-3)
    with pytest.raises(UserError):
        kde(xy, bounds=bounds, cell=25.0, kernel="epanechnikov")  # type: ignore[arg-type]
    empty = kde(xy[:0], bounds=bounds, cell=50.0)
    assert empty.density.shape == (60, 70) and (empty.density == 0).all()


def test_density_contours():
    xy = _clustered(2000, seed=5)
    res = kde(xy, bounds=(0, 0, 4000, 3500), cell=20.0, bandwidth=120.0)
    top = res.density.max()
    levels = [0.1 * top, 0.4 * top, 0.8 * top]
    poly = density_contours(res, levels + [2 * top])
    assert poly.crs.to_epsg() == 25833
    assert poly["level"].tolist() == pytest.approx(levels)  # the unreached level is left out
    areas = poly.geometry.area.to_numpy()
    assert (np.diff(areas) < 0).all()  # nested: higher levels cover less
    assert poly.geometry.is_valid.all()
    assert set(poly.geom_type) <= {"Polygon", "MultiPolygon"}
    r, c = np.unravel_index(np.argmax(res.density), res.shape)
    peak = shapely.Point(res.x[c], res.y[r])
    assert poly.geometry.contains(peak).all()
    # the polygons agree with the raster: pixel centres inside ~ pixels above the level
    for level, geom in zip(poly["level"], poly.geometry, strict=True):
        gx, gy = np.meshgrid(res.x, res.y)
        inside = shapely.contains_xy(geom, gx, gy)
        above = res.density >= level
        assert (inside != above).mean() < 0.01
    # an int gives evenly spaced levels; clipping keeps the polygons inside the area
    clip = shapely.box(500, 500, 3000, 3000)
    auto = density_contours(res, 4, clip=clip)
    assert auto["level"].tolist() == pytest.approx([top * k / 5 for k in range(1, 5)])
    assert all(clip.buffer(1e-6).contains(g) for g in auto.geometry)
    assert len(density_contours(kde(xy[:0], bounds=(0, 0, 100, 100), cell=10), 3)) == 0


def test_cli_density_outputs(tmp_path, capsys):
    import rasterio

    from geo.cli import main

    area = leipziger_osten()
    minx, miny, maxx, maxy = area.boundary.bounds
    xy = _clustered(300, seed=2, extent=(minx + 300, miny + 300, maxx - 300, maxy - 300))
    lon, lat = area.to_metric.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
    src = tmp_path / "funde.csv"
    pd.DataFrame({"datum": "2026-01-15", "lat": lat, "lon": lon, "anzahl": 2}).to_csv(src, index=False)
    tif = tmp_path / "d.tif"
    assert main(["density", "--input", str(src), "--out", str(tif)]) == 0
    printed = capsys.readouterr().out
    assert "Bandbreite:" in printed and "Pixelgröße:" in printed
    with rasterio.open(tif) as ds:
        assert ds.crs.to_epsg() == 25833 and ds.transform.e < 0
        band = ds.read(1)
        cell = ds.transform.a
    # weighted by the number of syringes: the raster integrates to ~2 per find
    assert band.sum() * cell * cell / 1e6 == pytest.approx(2 * 300, rel=0.05)
    png = tmp_path / "d.png"
    assert main(["density", "--input", str(src), "--kernel", "gaussian", "--cell", "20", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    geojson = tmp_path / "d.geojson"
    assert main(["density", "--input", str(src), "--bandwidth", "150", "--levels", "50,100", "--out",
                 str(geojson)]) == 0
    contours = gpd.read_file(geojson)
    assert contours.crs.to_epsg() == 4326 and contours["level"].tolist() == [50.0, 100.0]
    assert main(["density", "--input", str(src), "--levels", "abc", "--out", str(geojson)]) == 2
    assert main(["density", "--input", str(src), "--out", str(tmp_path / "d.bmp")]) == 2
