"""Gi* hot spots: agreement with esda/statsmodels, FDR classes, degenerate input, scale rule, CLI."""

from __future__ import annotations

import warnings
from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda import G_Local, Moran
from libpysal.weights import DistanceBand
from statsmodels.stats.multitest import multipletests

from geo.analysis.hotspots import (
    HotspotResult,
    choose_scale,
    fdr_bh,
    gi_classes,
    gi_star,
    hotspot_analysis,
    moran_i,
)
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.grid import aggregate_xy, make_grid

CRS = "EPSG:25833"
IRREGULAR = shapely.Polygon(
    [(0, 0), (1200, 0), (1200, 500), (600, 500), (600, 1100), (0, 1100)]
).difference(shapely.Point(300, 300).buffer(120))


def _esda(xy: np.ndarray, y: np.ndarray, band: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(xy, threshold=band, binary=True, silence_warnings=True)
        return w, G_Local(y, w, transform="B", star=True, permutations=0)


def _values(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(1.2, n) + rng.gamma(0.3, 2.0, n)


GRIDS = {
    "square-box": (shapely.box(0, 0, 900, 700), 40.0, "square"),
    "hex-box": (shapely.box(0, 0, 900, 700), 40.0, "hex"),
    "hex-irregular": (IRREGULAR, 35.0, "hex"),
    "square-irregular": (IRREGULAR, 45.0, "square"),
}


@pytest.mark.parametrize("name", list(GRIDS))
@pytest.mark.parametrize("band_cells", [1.01, 1.9, 3.3])
def test_z_equals_esda_g_local_star(name, band_cells):
    boundary, cell, shape = GRIDS[name]
    grid = make_grid(boundary, cell, shape, CRS)
    band = band_cells * cell
    y = _values(grid.n, int(band))
    w, ref = _esda(grid.xy, y, band)
    res = gi_star(grid, y, band)
    np.testing.assert_allclose(res["gi_z"], ref.Zs, rtol=0, atol=1e-9)
    # esda's p_norm is one-sided; ours is two-sided and uncorrected (as ArcGIS)
    np.testing.assert_allclose(res["gi_p"], 2 * ref.p_norm, rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(res["n_neighbours"], np.array([w.cardinalities[i] for i in w.id_order]) + 1)
    # the k-d tree path for arbitrary points gives the same
    res_xy = gi_star(grid.xy, y, band)
    np.testing.assert_allclose(res_xy["gi_z"], ref.Zs, rtol=0, atol=1e-9)
    assert list(res.columns) == ["gi_z", "gi_p", "gi_p_fdr", "gi_class", "n_neighbours"]
    assert np.abs(res["gi_z"]).max() > 2  # the comparison is not between zeros


def test_bh_equals_statsmodels_and_classes_follow_arcgis():
    grid = make_grid(IRREGULAR, 30.0, "hex", CRS)
    rng = np.random.default_rng(11)
    y = rng.poisson(0.8, grid.n).astype(float)
    y[np.hypot(grid.x - 900, grid.y - 250) < 150] += rng.poisson(3, 1)[0] + 2
    y[np.hypot(grid.x - 200, grid.y - 900) < 100] = 0
    res = gi_star(grid, y, 80.0)
    p = res["gi_p"].to_numpy()
    np.testing.assert_allclose(res["gi_p_fdr"], multipletests(p, method="fdr_bh")[1], rtol=1e-12, atol=0)
    # ArcGIS FDR: per confidence level, the BH step-up threshold on the sorted p-values
    n = len(p)
    expected = np.zeros(n, dtype=int)
    for level, alpha in ((1, 0.10), (2, 0.05), (3, 0.01)):
        ps = np.sort(p)
        passed = np.nonzero(ps <= alpha * np.arange(1, n + 1) / n)[0]
        if len(passed):
            crit = ps[passed[-1]]
            expected[p <= crit] = level
    expected = expected * np.sign(res["gi_z"].to_numpy()).astype(int)
    np.testing.assert_array_equal(res["gi_class"], expected)
    assert (res["gi_class"] == 3).sum() > 5
    # without FDR the plain p-values decide (more cells are significant)
    plain = gi_star(grid, y, 80.0, fdr=False)
    np.testing.assert_array_equal(plain["gi_class"], gi_classes(plain["gi_z"], p))
    assert (plain["gi_class"] != 0).sum() > (res["gi_class"] != 0).sum()
    assert set(np.unique(plain["gi_class"])) <= set(range(-3, 4))


def test_fdr_bh_edge_cases():
    assert fdr_bh(np.array([])).size == 0
    np.testing.assert_allclose(fdr_bh(np.array([0.01, 0.04, 0.03, 0.5])), [0.04, 0.16 / 3, 0.16 / 3, 0.5])
    np.testing.assert_array_equal(fdr_bh(np.ones(5)), np.ones(5))


@pytest.mark.parametrize(
    "values",
    [np.zeros(50), np.full(50, 3.0), np.r_[np.ones(49), 1 + 1e-15]],
    ids=["all-zero", "constant", "constant-with-rounding"],
)
def test_degenerate_values_give_no_hotspots(values):
    grid = make_grid(shapely.box(0, 0, 500, 500), 70.0, "square", CRS)
    y = np.resize(values, grid.n)
    res = gi_star(grid, y, 150.0, permutations=99)
    assert np.isfinite(res.select_dtypes("number").to_numpy()).all()
    assert (res["gi_z"] == 0).all() and (res["gi_p"] == 1).all() and (res["gi_class"] == 0).all()
    assert (res["gi_p_sim"] == 1).all()


def test_islands_single_cell_and_full_band():
    grid = make_grid(shapely.box(0, 0, 500, 500), 50.0, "hex", CRS)
    y = _values(grid.n, 5)
    islands = gi_star(grid, y, 30.0)  # band below the cell size: nobody has a neighbour
    assert (islands["n_neighbours"] == 1).all()
    assert (islands["gi_z"] == 0).all() and (islands["gi_p"] == 1).all() and (islands["gi_class"] == 0).all()
    everyone = gi_star(grid, y, 1e6)  # every cell neighbours every cell: z is 0 by definition
    assert (everyone["n_neighbours"] == grid.n).all() and (everyone["gi_z"] == 0).all()
    one = gi_star(np.array([[10.0, 10.0]]), np.array([4.0]), 100.0, permutations=9)
    assert one.loc[0, "gi_z"] == 0 and one.loc[0, "gi_p"] == 1 and one.loc[0, "gi_class"] == 0
    # mixed: a cluster of close points plus a far-away point (island among neighbours)
    xy = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5], [1000, 1000]], dtype=float)
    y2 = np.array([5, 1, 0, 2, 3, 9], dtype=float)
    res = gi_star(xy, y2, 20.0)
    assert res.loc[5, "n_neighbours"] == 1 and res.loc[5, "gi_z"] == 0
    assert np.isfinite(res["gi_z"]).all()
    with pytest.raises(ValueError):
        gi_star(grid, y[:-1], 100.0)
    with pytest.raises(UserError):
        gi_star(grid, y, float("nan"))


def test_random_pattern_has_almost_no_hotspots_and_calibrated_p():
    boundary = leipziger_osten().boundary
    minx, miny, maxx, maxy = boundary.bounds
    share_p05, significant = [], []
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        xy = np.column_stack([rng.uniform(minx, maxx, 500), rng.uniform(miny, maxy, 500)])
        res = hotspot_analysis(xy, boundary)
        significant.append(float((res.cells["gi_class"] != 0).mean()))
        share_p05.append(float((res.cells["gi_p"] < 0.05).mean()))
    assert max(significant) <= 0.01  # at most 1 % of the cells after FDR, in every run
    assert np.mean(significant) <= 0.003
    # uncorrected p-values are calibrated: about 5 % of the cells below 0.05
    assert 0.02 <= np.mean(share_p05) <= 0.09


def _clustered(rng, centres, per_cluster=80, spread=60.0, background=200, boundary=None):
    minx, miny, maxx, maxy = boundary.bounds
    bg = np.column_stack([rng.uniform(minx, maxx, background), rng.uniform(miny, maxy, background)])
    cl = np.concatenate([rng.normal(c, spread, (per_cluster, 2)) for c in centres])
    return np.concatenate([bg, cl])


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_planted_clusters_are_99_percent_hotspots(shape):
    boundary = leipziger_osten().boundary
    minx, miny, _, _ = boundary.bounds
    centres = [(minx + 900, miny + 1100), (minx + 2600, miny + 2300), (minx + 3100, miny + 700)]
    rng = np.random.default_rng(7)
    xy = _clustered(rng, centres, boundary=boundary)
    res = hotspot_analysis(xy, boundary, shape=shape)
    assert isinstance(res, HotspotResult)
    cells = res.cells
    for cx, cy in centres:
        hit = cells[cells.geometry.contains(shapely.Point(cx, cy))]
        assert len(hit) == 1 and hit["gi_class"].iloc[0] == 3
    far = np.min([np.hypot(cells.geometry.centroid.x - cx, cells.geometry.centroid.y - cy)
                  for cx, cy in centres], axis=0)
    assert (cells.loc[far > 800, "gi_class"] == 3).sum() == 0  # no hot spot far from the clusters
    assert res.cells["count"].sum() == res.n_points
    assert res.n_points + res.n_ignored == len(xy)
    assert list(cells.columns[:7]) == ["cell_id", "count", "gi_z", "gi_p", "gi_p_fdr", "gi_class", "n_neighbours"]
    assert cells.crs.to_epsg() == 25833 and res.shape == shape
    assert res.class_counts()[3] == (cells["gi_class"] == 3).sum()


def test_demo_scene_places_are_hotspots():
    """The scene places planted in the demo data come out as +3 hot spots."""
    from pyproj import Transformer

    from geo.data.demo import SCENE_PLACES, generate_demo

    area = leipziger_osten()
    finds = generate_demo()["syringe_find"]
    to_metric = Transformer.from_crs("EPSG:4326", area.crs, always_xy=True)

    def classes(records) -> dict[str, int]:
        res = hotspot_analysis(records, area, weight="count")
        out = {}
        for name, (lat, lon) in SCENE_PLACES.items():
            pt = shapely.Point(*to_metric.transform(lon, lat))
            out[name] = int(res.cells.loc[res.cells.geometry.contains(pt), "gi_class"].iloc[0])
        return out

    # all 24 months, and the last six months (after the displacement): every scene place
    assert classes(finds) == {name: 3 for name in SCENE_PLACES}
    assert classes(finds[finds["found_at"] >= "2026-05-01"]) == {name: 3 for name in SCENE_PLACES}
    # the six months before the displacement: the five active scenes, Neustädter Markt not yet
    before = classes(finds[(finds["found_at"] >= "2025-11-01") & (finds["found_at"] < "2026-05-01")])
    assert before.pop("Neustädter Markt") == 0
    assert set(before.values()) == {3}


def test_permutation_p_matches_exact_conditional_distribution():
    """Against full enumeration of the conditional randomisation on a tiny example."""
    xy = np.column_stack([np.arange(9) * 10.0, np.zeros(9)])
    y = np.array([0.0, 1, 5, 2, 8, 3, 0, 4, 7])
    band = 10.0  # neighbours: the cells left and right
    res = gi_star(xy, y, band, permutations=20_000, seed=4)
    k = res["n_neighbours"].to_numpy()
    for i in range(9):
        others = np.delete(y, i)
        observed = sum(y[j] for j in range(9) if abs(j - i) == 1)
        sums = np.array([sum(c) for c in combinations(others, k[i] - 1)])
        exact = min((sums >= observed - 1e-12).mean(), (sums <= observed + 1e-12).mean())
        assert res.loc[i, "gi_p_sim"] == pytest.approx(exact, abs=0.015), i


def test_permutations_against_esda_reproducible_and_vectorised():
    grid = make_grid(shapely.box(0, 0, 800, 700), 40.0, "hex", CRS)
    rng = np.random.default_rng(2)
    y = rng.gamma(0.6, 2.0, grid.n)
    y[np.hypot(grid.x - 250, grid.y - 300) < 120] += 3
    band = 90.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(grid.xy, threshold=band, binary=True, silence_warnings=True)
        ref = G_Local(y, w, transform="B", star=True, permutations=999, seed=1)
    ours = gi_star(grid, y, band, permutations=999, seed=1)
    diff = ours["gi_p_sim"].to_numpy() - ref.p_sim
    assert np.abs(diff).mean() < 0.03
    assert np.corrcoef(ours["gi_p_sim"], ref.p_sim)[0, 1] > 0.97
    assert ((ours["gi_p_sim"] > 0) & (ours["gi_p_sim"] <= 1)).all()
    assert ours["gi_p_sim"].min() == pytest.approx(1 / 1000)  # the planted cluster is extreme
    again = gi_star(grid, y, band, permutations=999, seed=1)
    np.testing.assert_array_equal(again["gi_p_sim"], ours["gi_p_sim"])
    other = gi_star(grid, y, band, permutations=999, seed=2)
    assert not np.array_equal(other["gi_p_sim"], ours["gi_p_sim"])
    # analytical columns do not depend on the permutations
    np.testing.assert_array_equal(other["gi_z"], ours["gi_z"])


@pytest.mark.parametrize("band", [45.0, 120.0])
def test_moran_equals_esda(band):
    grid = make_grid(IRREGULAR, 40.0, "square", CRS)
    y = _values(grid.n, 9)
    y[grid.x < 400] += 1.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(grid.xy, threshold=band, binary=True, silence_warnings=True)
        w.transform = "B"
        ref = Moran(y, w, transformation="B", permutations=0)
    i_stat, z = moran_i(grid, y, band)
    assert i_stat == pytest.approx(ref.I, abs=1e-12)
    assert z == pytest.approx(ref.z_rand, abs=1e-9)
    assert z > 3
    assert moran_i(grid, np.ones(grid.n), band) == (0.0, 0.0)


def test_choose_scale_rules():
    boundary = leipziger_osten().boundary
    minx, miny, _, _ = boundary.bounds
    rng = np.random.default_rng(3)
    xy = _clustered(rng, [(minx + 1200, miny + 1500), (minx + 2800, miny + 1900)], boundary=boundary)
    cell, band, rule = choose_scale(xy, boundary)
    uniq = np.unique(xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])], axis=0)
    from scipy.spatial import cKDTree

    dnn = cKDTree(uniq).query(uniq, k=2)[0][:, 1].mean()
    assert abs(cell - dnn) <= 2.5 and cell % 5 == 0  # nearest-neighbour distance, rounded to 5 m
    n_cells = boundary.area / (np.sqrt(3) / 2 * cell**2)
    assert 100 <= n_cells <= 10_000
    assert band / cell - 0.5 == pytest.approx(round(band / cell - 0.5))  # one of 1.5, 2.5, … cells
    assert "erstes Maximum" in rule and "Zellgröße" in rule and "Distanzband" in rule
    # the chosen band is where Moran's I z-score peaks first
    grid = make_grid(boundary, cell, "hex", CRS)
    counts = aggregate_xy(grid, xy[:, 0], xy[:, 1])
    zs = {b: moran_i(grid, counts, b)[1] for b in (band - cell, band, band + cell) if b > cell}
    assert zs[band] == max(zs.values())
    # no clustering: fallback to the mean distance to the nearest cells
    u = np.column_stack([rng.uniform(*boundary.bounds[::2], 400), rng.uniform(*boundary.bounds[1::2], 400)])
    _, _, rule_u = choose_scale(u, boundary, shape="square")
    assert "kein signifikantes Maximum" in rule_u or "erstes Maximum" in rule_u
    # a single point: area rule, about 1000 cells
    cell1, band1, rule1 = choose_scale(xy[:1], boundary)
    assert "zu wenige" in rule1 and 700 <= boundary.area / (np.sqrt(3) / 2 * cell1**2) <= 1400
    assert band1 >= 1.5 * cell1
    with pytest.raises(UserError, match="nicht metrisch"):
        choose_scale(xy, boundary, crs="EPSG:4326")


def test_hotspot_analysis_inputs():
    area = leipziger_osten()
    minx, miny, _, _ = area.boundary.bounds
    rng = np.random.default_rng(5)
    xy = _clustered(rng, [(minx + 1500, miny + 1500)], boundary=area.boundary)
    pts = gpd.GeoDataFrame({"count": rng.integers(1, 4, len(xy))}, geometry=shapely.points(xy), crs=CRS)
    by_count = hotspot_analysis(pts, area.boundary, weight="count", cell=100, band=250)
    assert by_count.cells["count"].sum() == pts["count"][shapely.contains_xy(
        shapely.union_all(by_count.cells.geometry.values), xy[:, 0], xy[:, 1])].sum()
    assert by_count.scale_rule == "Zellgröße 100 m: vorgegeben. Distanzband 250 m: vorgegeben."
    # WGS84 input is reprojected; a StudyArea is accepted as boundary
    wgs = hotspot_analysis(pts.to_crs("EPSG:4326"), area, weight="count", cell=100, band=250)
    np.testing.assert_allclose(wgs.cells["count"], by_count.cells["count"])
    np.testing.assert_allclose(wgs.cells["gi_z"], by_count.cells["gi_z"], atol=1e-9)
    # analysis in a geographic CRS is refused
    with pytest.raises(UserError, match="nicht metrisch"):
        hotspot_analysis(pts.to_crs("EPSG:4326"), area.boundary, crs="EPSG:4326")
    # given cell, automatic band; permutations add gi_p_sim
    res = hotspot_analysis(pts, area.boundary, cell=80, shape="square", permutations=49, seed=3)
    assert res.cell == 80 and res.band > 80 and "Distanzband" in res.scale_rule
    assert "gi_p_sim" in res.cells.columns
    # no events at all: a valid, empty result
    empty = hotspot_analysis(pts.iloc[:0], area.boundary, cell=200)
    assert (empty.cells["count"] == 0).all() and (empty.cells["gi_class"] == 0).all()
    assert empty.n_points == 0


def test_cli_hotspots_from_input_file(tmp_path, capsys):
    from geo.cli import main

    area = leipziger_osten()
    minx, miny, _, _ = area.boundary.bounds
    rng = np.random.default_rng(8)
    xy = _clustered(rng, [(minx + 1500, miny + 1500), (minx + 3000, miny + 2500)], boundary=area.boundary)
    lon, lat = area.to_metric.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
    days = pd.date_range("2026-01-01", "2026-02-27", periods=len(xy))
    table = pd.DataFrame({"datum": days.strftime("%Y-%m-%d"), "lat": lat, "lon": lon,
                          "anzahl": rng.integers(1, 4, len(xy))})
    table.loc[len(table)] = ["2026-03-15", lat[0], lon[0], 99]  # outside the period
    src = tmp_path / "funde.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "hs.geojson"
    code = main(["hotspots", "--kind", "syringe_find", "--from", "2026-01-01", "--to", "2026-02-28",
                 "--input", str(src), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Zellgröße:" in printed and "Distanzband:" in printed and "Hotspot, 99 % Konfidenz" in printed
    cells = gpd.read_file(out)
    assert cells.crs.to_epsg() == 4326
    assert {"cell_id", "count", "gi_z", "gi_p", "gi_p_fdr", "gi_class"} <= set(cells.columns)
    # the find outside the period (99 syringes) is not counted; a few points outside the area are rejected
    assert 0.9 * table["anzahl"].iloc[:-1].sum() <= cells["count"].sum() <= table["anzahl"].iloc[:-1].sum()
    assert (cells["gi_class"] == 3).sum() > 0
    csv = tmp_path / "hs.csv"
    assert main(["hotspots", "--input", str(src), "--grid", "square", "--cell", "150", "--band", "400",
                 "--out", str(csv)]) == 0
    table_out = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig")
    assert {"cell_id", "count", "gi_z", "gi_p", "gi_p_fdr", "gi_class", "wkt"} <= set(table_out.columns)
    assert "Zellgröße: 150 m (Quadrate), Distanzband: 400 m" in capsys.readouterr().out
    assert main(["hotspots", "--input", str(src), "--cell", "-5", "--out", str(csv)]) == 2
    assert main(["hotspots", "--input", str(src), "--out", str(tmp_path / "x.txt")]) == 2


def test_gi_star_z_from_band_sums_equals_gi_star():
    from geo.analysis.hotspots import gi_star_z

    grid = make_grid(shapely.box(0, 0, 2000, 1500), 100, "hex")
    v = np.random.default_rng(2).poisson(0.7, (grid.n, 3)).astype(float)
    lag, k = grid.window_sum(v, 250.0), grid.neighbour_counts(250.0)
    for col in range(3):
        want = gi_star(grid, v[:, col], 250.0)["gi_z"].to_numpy()
        assert gi_star_z(v[:, col], lag[:, col], k) == pytest.approx(want, abs=1e-12)
