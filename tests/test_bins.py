"""Tests for geo.analysis.bins: coverage of finds by disposal bins, siting of new bins, the plan export."""

from __future__ import annotations

import json
import math
from datetime import date
from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.analysis.bins import (
    StreetNetwork,
    aggregate_demand,
    analyse_coverage,
    candidate_grid,
    covered_weight,
    pairs_within,
    plan_table,
    reduce_model,
    solve_exact,
    solve_greedy,
    solve_mclp,
    suggest_bins,
)
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.period import Period
from geo.data.exports import neutralise_formulas, write_table
from geo.data.sitefiles import read_candidates, read_street_lines

CRS = "EPSG:25833"
X0, Y0 = 319000.0, 5691000.0  # Leipziger Osten, EPSG:25833
JAN = Period(date(2026, 1, 1), date(2026, 1, 31))
TO_METRIC = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def finds_frame(xy, counts=None, found_at="2026-01-10") -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    found = pd.to_datetime(found_at if not isinstance(found_at, str) else [found_at] * n, format="ISO8601")
    return gpd.GeoDataFrame(
        {"record_id": [f"f{i}" for i in range(n)], "found_at": found,
         "count": np.ones(n, dtype=int) if counts is None else np.asarray(counts)},
        geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS,
    )


def bins_frame(xy, installed=None, removed=None, labels=None) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    return gpd.GeoDataFrame(
        {"record_id": [f"B{i}" for i in range(n)],
         "installed_at": pd.to_datetime(installed or ["2025-01-01"] * n),
         "removed_at": pd.to_datetime(removed or [None] * n),
         "owner": "Stadtreinigung",
         "label": labels or [f"Behälter {i}" for i in range(n)]},
        geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS,
    )


def site_offsets(sites: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([sites.geometry.x - X0, sites.geometry.y - Y0])


# --------------------------------------------------------------------------------------
# coverage
# --------------------------------------------------------------------------------------


@pytest.fixture
def hand_case():
    """Five January finds on a line, two active bins, one idle, two inactive.

    f0 (0, 1 syringe)    B0 at 50 (d 50)
    f1 (150, 2)          B0 (100) and B1 at 250 (100)
    f2 (200, 3)          B0 (150, on the radius) and B1 (50)
    f3 (360, 4)          B1 (110)
    f4 (1000, 5)         none: B3 removed before January, B4 installed after it
    f5 (0, 6)            found in December: outside the period
    """
    finds = finds_frame(
        [(0, 0), (150, 0), (200, 0), (360, 0), (1000, 0), (0, 0)], [1, 2, 3, 4, 5, 6],
        found_at=["2026-01-10", "2026-01-31 23:59", "2026-01-01 00:00", "2026-01-15", "2026-01-20", "2025-12-31 23:59"],
    )
    bins = bins_frame(
        [(50, 0), (250, 0), (3000, 0), (1000, 0), (1010, 0)],
        installed=["2025-01-01", "2026-01-31", "2024-01-01", "2024-01-01", "2026-02-01"],
        removed=[None, None, "2026-01-01", "2025-12-31", None],
        labels=["A", "B", "leer", "abgebaut", "künftig"],
    )
    return finds, bins


def test_coverage_hand_made_exact_values(hand_case):
    finds, bins = hand_case
    cov = analyse_coverage(finds, bins, period=JAN, radius_m=150)
    assert cov.n_finds == 5 and cov.n_syringes == 15
    assert cov.covered_finds == 4 and cov.covered_syringes == 10
    assert cov.share_finds == pytest.approx(0.8)
    assert cov.share_syringes == pytest.approx(10 / 15)
    assert cov.finds["record_id"].tolist() == ["f0", "f1", "f2", "f3", "f4"]
    assert cov.finds["n_bins"].tolist() == [1, 2, 2, 1, 0]
    np.testing.assert_allclose(cov.finds["nearest_bin_m"], [50, 100, 50, 110, 750])
    assert cov.uncovered_finds["record_id"].tolist() == ["f4"]
    b = cov.bins.set_index("label")
    assert b.index.tolist() == ["A", "B", "leer"]  # removed on 1 Jan still counts; future/old ones do not
    assert b["covered_finds"].tolist() == [3, 3, 0]
    assert b["covered_syringes"].tolist() == [6, 9, 0]
    assert b["unique_finds"].tolist() == [1, 1, 0]
    assert b["unique_syringes"].tolist() == [1, 4, 0]
    assert b["idle"].tolist() == [False, False, True]
    assert cov.idle_bins["label"].tolist() == ["leer"]
    assert b["rank"].tolist() == [2, 1, 3]
    assert cov.removal_ranking["label"].tolist() == ["leer", "A", "B"]
    summary = cov.summary()
    assert summary["idle_bins"] == 1 and summary["bins"] == 3


def test_coverage_radius_and_weight_options(hand_case):
    finds, bins = hand_case
    small = analyse_coverage(finds, bins, period=JAN, radius_m=100)
    assert small.finds["n_bins"].tolist() == [1, 2, 1, 0, 0]  # f2 at 150 from A drops out, f3 at 110 too
    assert small.covered_syringes == 6
    by_finds = analyse_coverage(finds, bins, period=JAN, weight="finds")
    # A and B both cover one find alone and three in all: tie broken by input order
    assert by_finds.bins["rank"].tolist() == [1, 2, 3]
    everything = analyse_coverage(finds, bins)  # no period: all finds, all bins
    assert everything.n_finds == 6 and len(everything.bins) == 5
    assert everything.covered_finds == 6
    with pytest.raises(UserError):
        analyse_coverage(finds, bins, radius_m=0)


def test_coverage_without_bins_or_finds(hand_case):
    finds, bins = hand_case
    cov = analyse_coverage(finds, bins.iloc[:0], period=JAN)
    assert cov.covered_finds == 0 and cov.share_finds == 0.0
    assert cov.finds["nearest_bin_m"].isna().all()
    empty = analyse_coverage(finds.iloc[:0], bins, period=JAN)
    assert empty.n_finds == 0 and math.isnan(empty.share_syringes)
    assert empty.bins["idle"].all()


def test_uncovered_hot_cells(hand_case):
    finds, bins = hand_case
    cells = gpd.GeoDataFrame(
        {"gi_class": [3, 1, -2, 0]},
        geometry=[shapely.box(X0 + x - 25, Y0 - 25, X0 + x + 25, Y0 + 25) for x in (0, 1000, 2000, 360)],
        crs=CRS,
    )
    cov = analyse_coverage(finds, bins, period=JAN, hot_cells=cells)
    assert cov.hot_cells["gi_class"].tolist() == [3, 1]  # only hot cells
    assert cov.hot_cells["covered"].tolist() == [True, False]
    assert cov.uncovered_hot_cells["gi_class"].tolist() == [1]
    res = suggest_bins(cov, 1, grid_m=10)
    assert res.hot_cells["covered_after"].tolist() == [True, True]


# --------------------------------------------------------------------------------------
# street network
# --------------------------------------------------------------------------------------


@pytest.fixture
def u_network():
    """A U of streets open to the west: bottom (0,0)-(100,0), east side, top (100,100)-(0,100)."""
    lines = gpd.GeoDataFrame(
        {"name": ["Unten", "Ostseite", "Oben"]},
        geometry=[
            shapely.LineString([(X0, Y0), (X0 + 100, Y0)]),
            shapely.MultiLineString([[(X0 + 100, Y0), (X0 + 100, Y0 + 50)],
                                     [(X0 + 100, Y0 + 50), (X0 + 100, Y0 + 100)]]),
            shapely.LineString([(X0 + 100, Y0 + 100), (X0, Y0 + 100)]),
        ],
        crs=CRS,
    )
    return lines


def test_network_distances_hand_made(u_network):
    net = StreetNetwork.from_lines(u_network)
    assert net.n_nodes == 5 and net.n_edges == 4
    assert net.total_length_km == pytest.approx(0.3)
    finds = np.array([[0, 100], [100, 40], [50, -20], [30, 100]], float) + [X0, Y0]
    bins = np.array([[0, 0], [60, 100]], float) + [X0, Y0]
    ia, ib, d = net.pairs_within(finds, bins, 150)
    got = {(int(a), int(b)): float(x) for a, b, x in zip(ia, ib, d, strict=True)}
    assert got == pytest.approx({
        (1, 0): 140.0,  # up the east side 40, along the bottom 100
        (2, 0): 70.0,   # 20 off the street + 50 along it
        (0, 1): 60.0,   # same segment as the bin
        (1, 1): 100.0,  # 60 up + 40 along the top
        (3, 1): 30.0,
    })
    ia_s, _, _ = pairs_within(finds, bins, 150)  # straight line: all of them
    assert len(ia_s) == 8
    assert net.street_names(finds).tolist() == ["Oben", "Ostseite", "Unten", "Oben"]


def test_network_coverage_differs_from_straight_line(u_network, tmp_path):
    finds = finds_frame([(0, 100), (100, 40), (50, -20), (30, 100)], [1, 2, 3, 4])
    bins = bins_frame([(0, 0)])
    straight = analyse_coverage(finds, bins, period=JAN)
    assert straight.covered_finds == 4
    # through a file in WGS84, as users supply it
    path = tmp_path / "streets.geojson"
    u_network.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    net = StreetNetwork.from_lines(read_street_lines(path, CRS), CRS)
    along = analyse_coverage(finds, bins, period=JAN, network=net)
    assert along.metric == "network"
    assert along.finds["covered"].tolist() == [False, True, True, False]
    assert along.covered_syringes == 5
    # and siting along the network covers the two western finds on the top street
    res = suggest_bins(along, 1, grid_m=10, min_dist_bins_m=0)
    assert res.curve["covered_finds"].tolist() == [2, 4]
    assert res.sites["street"].tolist() == ["Oben"]
    assert res.sites["label"].iloc[0] == "Vorschlag 1 – Oben"


def test_network_crossing_without_shared_vertex_is_not_connected():
    lines = gpd.GeoSeries([shapely.LineString([(X0, Y0), (X0 + 100, Y0)]),
                           shapely.LineString([(X0 + 50, Y0 - 50), (X0 + 50, Y0 + 50)])], crs=CRS)
    net = StreetNetwork.from_lines(lines)
    a = np.array([[X0 + 10, Y0]])
    b = np.array([[X0 + 50, Y0 + 40]])
    assert len(net.pairs_within(a, b, 150)[0]) == 0  # a bridge, not a crossing
    noded = StreetNetwork.from_lines(gpd.GeoSeries([shapely.node(shapely.union_all(lines.values))], crs=CRS))
    assert noded.pairs_within(a, b, 150)[2] == pytest.approx([80.0])
    with pytest.raises(UserError):
        StreetNetwork.from_lines(gpd.GeoSeries([shapely.Point(X0, Y0)], crs=CRS))


# --------------------------------------------------------------------------------------
# solvers
# --------------------------------------------------------------------------------------


def random_instance(seed: int, n_dem: int = 60, n_cand: int = 70, radius: float = 150.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1200, (5, 2))
    dem = centres[rng.integers(0, 5, n_dem)] + rng.normal(0, 120, (n_dem, 2))
    cand = rng.uniform(-100, 1300, (n_cand, 2))
    w = rng.integers(1, 8, n_dem).astype(float)
    dist = np.hypot(*(dem[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    return dist, w, radius


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_exact_equals_spopt_mclp():
    pulp = pytest.importorskip("pulp")
    spopt_locate = pytest.importorskip("spopt.locate")
    for seed, k in ((1, 2), (2, 4)):
        dist, w, radius = random_instance(seed, n_dem=40, n_cand=30)
        mclp = spopt_locate.MCLP.from_cost_matrix(dist, w, service_radius=radius, p_facilities=k)
        mclp = mclp.solve(pulp.PULP_CBC_CMD(msg=False))
        spopt_value = pulp.value(mclp.problem.objective)
        spopt_sites = np.array([j for j, v in enumerate(mclp.fac_vars) if v.value() > 0.5])
        ours = solve_exact(dist <= radius, w, k)
        assert ours.optimal and ours.method == "exact"
        assert ours.objective == pytest.approx(spopt_value)
        assert covered_weight(dist <= radius, w, spopt_sites) == pytest.approx(ours.objective)
        assert len(ours.selected) <= k
        assert covered_weight(dist <= radius, w, ours.selected) == pytest.approx(ours.objective)


def test_exact_beats_greedy_on_the_classic_trap():
    # sites: S0 = {1,2,3,4}, S1 = {0,1,2}, S2 = {3,4,5}; greedy takes S0 first and ends at 5 of 6
    cover = np.zeros((6, 3), dtype=bool)
    cover[[1, 2, 3, 4], 0] = True
    cover[[0, 1, 2], 1] = True
    cover[[3, 4, 5], 2] = True
    w = np.ones(6)
    greedy = solve_greedy(cover, w, 2)
    exact = solve_exact(cover, w, 2)
    assert greedy.selected[0] == 0 and greedy.objective == 5
    assert greedy.gains.tolist() == [4, 1]
    assert exact.objective == 6 and sorted(exact.selected.tolist()) == [1, 2]
    assert exact.gains.tolist() == [3, 3]


@pytest.mark.parametrize("seed", range(6))
def test_greedy_reaches_one_minus_one_over_e(seed):
    dist, w, radius = random_instance(seed)
    for k in (1, 3, 5):
        exact = solve_exact(dist <= radius, w, k)
        greedy = solve_greedy(dist <= radius, w, k)
        assert exact.optimal
        assert greedy.objective <= exact.objective + 1e-9
        assert greedy.objective >= (1 - 1 / math.e) * exact.objective
        assert np.all(np.diff(greedy.gains) <= 1e-9)  # marginal gains never grow
        assert greedy.gains.sum() == pytest.approx(greedy.objective)


def test_solvers_edge_cases():
    cover = np.array([[1, 0], [1, 0], [0, 0]], dtype=bool)
    w = np.array([2.0, 3.0, 7.0])
    for solve in (solve_exact, solve_greedy):
        sol = solve(cover, w, 5)  # k larger than useful sites: only the useful one
        assert sol.selected.tolist() == [0] and sol.objective == 5.0
        assert solve(cover, w, 0).objective == 0.0
    assert len(solve_greedy(cover, w, 2, stop_when_no_gain=False).selected) == 2


def test_reduce_model_and_brute_force_optimum():
    cover = np.array([
        [1, 1, 0, 1, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 1, 0, 0],  # same sites as the row above: merged
        [0, 0, 0, 0, 0],  # covered by nobody: dropped
    ], dtype=bool)
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    a, wr, sites = reduce_model(cover, w)
    assert sites.tolist() == [0, 2]  # 1 equals 0, 3 lies within 0, 4 covers nothing
    assert sorted(wr.tolist()) == [3.0, 7.0] and a.shape == (2, 2)

    rng = np.random.default_rng(9)
    for _ in range(5):
        dem = rng.uniform(0, 600, (30, 2))
        cand = rng.uniform(0, 600, (12, 2))
        w = rng.integers(1, 9, 30).astype(float)
        cover = np.hypot(*(dem[:, None] - cand[None]).transpose(2, 0, 1)) <= 150
        for k in (2, 3):
            combos = np.array(list(combinations(range(12), k)))
            best = (w @ cover[:, combos].any(axis=2)).max()  # brute force over all site sets
            assert solve_exact(cover, w, k).objective == best
    auto = solve_mclp(cover, w, 3, max_sites=1)
    assert auto.method == "greedy"
    assert solve_mclp(cover, w, 3).method == "exact"
    with pytest.raises(ValueError):
        solve_mclp(cover, w, 3, method="simplex")


def test_aggregate_demand():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (500, 2))
    w = rng.integers(1, 5, 500).astype(float)
    d_xy, d_w, label = aggregate_demand(xy, w, 10.0)
    assert d_w.sum() == pytest.approx(w.sum())
    assert len(d_xy) <= 100 and label.max() == len(d_xy) - 1
    assert np.hypot(*(d_xy[label] - xy).T).max() <= 10 * math.sqrt(2)
    same = aggregate_demand(np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]), np.ones(3), 0)
    assert same[1].tolist() == [2.0, 1.0]


# --------------------------------------------------------------------------------------
# siting
# --------------------------------------------------------------------------------------


def test_candidate_grid_inside_boundary():
    poly = shapely.Polygon([(0, 0), (100, 0), (0, 100)])
    xy = candidate_grid(poly, 25)
    assert len(xy) == 6  # 12.5/37.5/62.5 … below the diagonal
    assert shapely.contains_xy(poly, xy[:, 0], xy[:, 1]).all()
    assert set(np.unique(xy[:, 0])) == {12.5, 37.5, 62.5}
    with pytest.raises(UserError):
        candidate_grid(poly, 0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), method=st.sampled_from(["exact", "greedy"]))
def test_curve_grows_and_matches_direct_coverage(seed, k, method):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    centres = rng.uniform(0, 800, (3, 2))
    xy = centres[rng.integers(0, 3, n)] + rng.normal(0, 80, (n, 2))
    finds = finds_frame(xy, rng.integers(1, 6, n))
    bins = bins_frame(rng.uniform(0, 800, (int(rng.integers(0, 3)), 2)))
    cov = analyse_coverage(finds, bins, period=JAN)
    res = suggest_bins(cov, k, grid_m=40, method=method, snap_m=float(rng.choice([0.0, 10.0])))
    c = res.curve
    assert len(res.sites) <= k and len(c) == len(res.sites) + 1
    assert c["covered_finds"].iloc[0] == cov.covered_finds
    assert c["covered_syringes"].iloc[0] == cov.covered_syringes
    assert np.all(np.diff(c["covered_finds"]) >= 0) and np.all(np.diff(c["covered_syringes"]) >= 0)
    assert np.all(np.diff(c["gain_syringes"].iloc[1:]) <= 0)  # each further bin adds no more
    assert c["covered_finds"].iloc[-1] <= cov.n_finds
    assert c["covered_syringes"].iloc[-1] <= cov.n_syringes
    assert (c["share_syringes"] <= 1).all()
    # the curve's end equals the coverage of old and new bins together
    together = pd.concat([bins[["geometry"]], res.sites[["geometry"]]], ignore_index=True)
    direct = analyse_coverage(finds, gpd.GeoDataFrame(together, geometry="geometry", crs=CRS))
    assert direct.covered_syringes == c["covered_syringes"].iloc[-1]
    assert direct.covered_finds == c["covered_finds"].iloc[-1]
    assert res.sites["gain_syringes"].sum() == c["covered_syringes"].iloc[-1] - cov.covered_syringes


def test_single_cluster_gets_its_centre():
    rng = np.random.default_rng(7)
    xy = rng.normal(0, 30, (80, 2)) + [400, 400]
    cov = analyse_coverage(finds_frame(xy), bins_frame(np.empty((0, 2))), period=JAN)
    res = suggest_bins(cov, 1, grid_m=10, snap_m=0)
    assert res.method == "exact" and res.optimal
    assert res.curve["covered_finds"].tolist() == [0, 80]
    assert np.hypot(*(site_offsets(res.sites)[0] - [400, 400])) < 20
    assert res.sites["label"].tolist() == ["Vorschlag 1"]


def test_min_distance_rules():
    rng = np.random.default_rng(11)
    xy = rng.normal(0, 25, (60, 2))  # one cluster at the origin
    finds = finds_frame(xy, rng.integers(1, 4, 60))
    bins = bins_frame([(-260, 0)])  # covers nothing of the cluster
    kita = (30, 0)
    schule = shapely.box(X0 - 20, Y0 + 40, X0 + 20, Y0 + 80)
    sensitive = gpd.GeoDataFrame(
        {"name": ["Kita", "Schule", "Spielplatz"], "place_type": ["Kita", "Schule", "Spielplatz"],
         "buffer_m": [100.0, 60.0, 500.0]},
        geometry=[shapely.Point(X0 + kita[0], Y0 + kita[1]), schule, shapely.Point(X0, Y0)], crs=CRS,
    )
    cov = analyse_coverage(finds, bins, period=JAN)
    free = suggest_bins(cov, 1, grid_m=10)
    free_xy = site_offsets(free.sites)[0]
    assert np.hypot(*(free_xy - kita)) < 100  # without the rules the site sits next to the Kita

    res = suggest_bins(cov, 2, grid_m=10, sensitive=sensitive, min_dist_bins_m=300)
    sites = res.sites.geometry.values
    assert len(sites) >= 1
    assert shapely.distance(sites, shapely.Point(X0 - 260, Y0)).min() >= 300
    assert shapely.distance(sites, shapely.Point(X0 + kita[0], Y0 + kita[1])).min() >= 100  # own buffer_m
    assert shapely.distance(sites, schule).min() >= 60
    assert res.stats["near_bins"] > 0 and res.stats["near_sensitive"] > 0
    assert res.params["min_dist_bins_m"] == 300 and res.params["sensitive_distance_m"] is None
    # the playground's 500 m are ignored (not a Kita or school); the site still covers most of the cluster
    assert res.curve["covered_finds"].iloc[-1] >= 40
    assert set(res.exclusion["reason"]) == {"bin", "sensitive"}
    assert len(res.exclusion) == 3  # the bin, the Kita and the school

    fixed = suggest_bins(cov, 1, grid_m=10, sensitive=sensitive, sensitive_distance_m=150)
    assert shapely.distance(fixed.sites.geometry.values, schule).min() >= 150
    assert shapely.distance(fixed.sites.geometry.values, shapely.Point(X0 + 30, Y0)).min() >= 150

    default = suggest_bins(cov, 1, grid_m=10)  # default distance to bins = the radius
    assert default.params["min_dist_bins_m"] == 150


def test_candidate_file_and_area(tmp_path):
    area = leipziger_osten()
    lat, lon = 51.3450, 12.4100
    cx, cy = TO_METRIC.transform(lon, lat)
    rng = np.random.default_rng(5)
    xy = rng.normal(0, 20, (30, 2)) + [cx - X0, cy - Y0]
    cov = analyse_coverage(finds_frame(xy), bins_frame(np.empty((0, 2))), period=JAN)
    path = tmp_path / "ecken.csv"
    path.write_text(
        "Name;Breite;Länge\n"
        "Ecke weit;51,3480;12,4100\n"
        "=Ecke nah;51,3451;12,4101\n"
        "außerhalb;51,2000;12,4100\n",
        encoding="utf-8",
    )
    cand = read_candidates(path, CRS)
    assert len(cand) == 3 and cand.crs == CRS
    res = suggest_bins(cov, 2, candidates=cand, area=area)
    assert res.stats["candidates"] == 3 and res.stats["outside_area"] == 1
    assert res.params["grid_m"] is None
    assert res.sites["candidate_Name"].tolist() == ["=Ecke nah"]  # the far corner adds nothing
    assert res.curve["covered_finds"].tolist() == [0, 30]
    table = plan_table(res)
    assert table["status"].tolist() == ["suggested"]
    assert table["lat"].iloc[0] == pytest.approx(51.3451, abs=2e-6)
    assert table["lon"].iloc[0] == pytest.approx(12.4101, abs=2e-6)
    bad = tmp_path / "leer.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(UserError):
        read_candidates(bad, CRS)


# --------------------------------------------------------------------------------------
# the plan for the crews
# --------------------------------------------------------------------------------------


def test_plan_table_and_exports(hand_case, tmp_path):
    finds, bins = hand_case
    bins.loc[0, "label"] = "=HYPERLINK(\"http://x\")"
    cov = analyse_coverage(finds, bins, period=JAN)
    res = suggest_bins(cov, 2, grid_m=10)
    table = plan_table(res)
    assert table.crs == CRS
    assert table["status"].tolist() == ["suggested", "existing", "existing", "existing"]
    assert table["rank"].tolist() == [1, 1, 2, 3]
    assert table["record_id"].tolist()[1:] == ["B1", "B0", "B2"]
    assert table["covered_finds"].tolist() == [1, 3, 3, 0]
    assert table["covered_syringes"].tolist() == [5, 9, 6, 0]
    assert table["gain_syringes"].iloc[0] == 5 and pd.isna(table["gain_syringes"].iloc[1])
    assert table["unique_syringes"].tolist()[1:] == [4, 1, 0]
    assert table["removal_rank"].tolist()[1:] == [3, 2, 1]
    assert table["share_syringes_after"].iloc[0] == pytest.approx(1.0)
    np.testing.assert_allclose(table["x"], table.geometry.x, atol=0.05)
    assert plan_table(cov)["status"].tolist() == ["existing"] * 3

    csv = write_table(table, tmp_path / "plan.csv")
    text = csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    back = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig")
    assert "geometry" not in back and {"x", "y", "lat", "lon", "status", "rank"} <= set(back.columns)
    assert back["covered_syringes"].tolist() == [5, 9, 6, 0]

    gj = write_table(table, tmp_path / "plan.geojson")
    data = json.loads(gj.read_text(encoding="utf-8"))
    lon, lat = data["features"][1]["geometry"]["coordinates"]
    assert lat == pytest.approx(table["lat"].iloc[1], abs=1e-6)
    assert lon == pytest.approx(table["lon"].iloc[1], abs=1e-6)
    assert data["features"][2]["properties"]["label"].startswith("=HYPERLINK")  # only CSV is neutralised

    gp = write_table(table, tmp_path / "plan.gpkg")
    back = gpd.read_file(gp)
    assert back.crs == CRS and len(back) == 4
    with pytest.raises(UserError):
        write_table(table, tmp_path / "plan.xlsx")
    with pytest.raises(UserError):
        write_table(table, tmp_path / "fehlt" / "plan.gpkg")


def test_neutralise_formulas():
    df = pd.DataFrame({
        "text": ["=1+1", "+49 341 123", "-12.5", "-3,2", "@SUM(A1)", "\tx", "\rx", "ok", "a=b", None],
        "num": range(10),
    })
    df["cat"] = pd.Categorical(["-x"] * 10)
    out = neutralise_formulas(df)
    assert out["text"].tolist()[:9] == [
        "'=1+1", "'+49 341 123", "-12.5", "-3,2", "'@SUM(A1)", "'\tx", "'\rx", "ok", "a=b",
    ]
    assert pd.isna(out["text"].iloc[9])
    assert out["num"].tolist() == list(range(10))
    assert out["cat"].iloc[0] == "'-x"
    assert df["text"].iloc[0] == "=1+1"  # input untouched


# --------------------------------------------------------------------------------------
# demo data and CLI
# --------------------------------------------------------------------------------------

LAST_HALF_YEAR = Period(date(2026, 5, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def demo():
    from geo.data.demo import generate_demo

    return generate_demo(20241101)


def test_demo_suggestions_fall_at_the_scene_places(demo):
    from geo.data.demo import SCENE_PLACES

    cov = analyse_coverage(demo["syringe_find"], demo["disposal_bin"], period=LAST_HALF_YEAR)
    assert sorted(cov.bins["label"]) == ["Otto-Runki-Platz", "Rabet Nord", "Torgauer Platz"]
    res = suggest_bins(cov, 3, area=leipziger_osten(), sensitive=demo["sensitive_place"])
    names = list(SCENE_PLACES)
    lat, lon = np.array(list(SCENE_PLACES.values())).T
    scene = shapely.points(np.column_stack(TO_METRIC.transform(lon, lat)))
    sites = np.asarray(res.sites.geometry.values, dtype=object)
    d = shapely.distance(sites[:, None], scene[None, :])
    assert (d.min(axis=1) <= 150).all()
    nearest = [names[i] for i in d.argmin(axis=1)]
    # the three scene places without a bin: the emerging crossing, the displaced scene, Köhlerstraße
    assert nearest == ["Hermann-Liebmann-/Eisenbahnstraße", "Neustädter Markt", "Köhlerstraße"]
    assert res.curve["share_syringes"].iloc[-1] > cov.share_syringes + 0.25
    greedy = suggest_bins(cov, 3, area=leipziger_osten(), sensitive=demo["sensitive_place"], method="greedy")
    assert greedy.objective >= (1 - 1 / math.e) * res.objective
    kitas = np.asarray(demo["sensitive_place"].query("place_type in ['Kita', 'Schule']").geometry.values)
    assert len(kitas) == 4
    assert shapely.distance(sites[:, None], kitas[None, :]).min() >= 100


def test_cli_bins(demo_store, tmp_path, capsys):
    """``demo_store`` (conftest): the full demo data in a session-wide store."""
    from geo.cli import main

    store = str(demo_store.path)
    capsys.readouterr()
    out = tmp_path / "plan.csv"
    rc = main(["bins", "--store", store, "--from", "2026-05-01", "--to", "31.10.2026",
               "--add", "2", "--method", "greedy", "--out", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "Abdeckungskurve" in printed and "Radius 150 m (Luftlinie)" in printed
    assert "Aktive Behälter: 3" in printed
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert table["status"].tolist() == ["suggested"] * 2 + ["existing"] * 3
    assert table["rank"].tolist() == [1, 2, 1, 2, 3]
    assert table["record_id"].iloc[2:].notna().all()
    assert table["lat"].between(51.33, 51.36).all() and table["lon"].between(12.385, 12.44).all()
    assert table["x"].between(318000, 323000).all()

    rc = main(["bins", "--store", store, "--from", "2026-05-01", "--to", "2026-10-31",
               "--radius", "100", "--out", str(tmp_path / "plan.geojson")])
    assert rc == 0
    assert "Radius 100 m" in capsys.readouterr().out
    assert len(gpd.read_file(tmp_path / "plan.geojson")) == 3

    rc = main(["bins", "--store", store, "--from", "2026-05-01", "--to", "2026-10-31",
               "--out", str(tmp_path / "plan.txt")])
    assert rc == 2
    assert capsys.readouterr().err.startswith("Fehler:")
