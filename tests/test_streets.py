"""Tests for geo.analysis.streets: straight-line and street-network distances."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bins_cases import CRS, JAN, X0, Y0, bins_frame, finds_frame  # noqa: E402

from geo.analysis.coverage import analyse_coverage  # noqa: E402
from geo.analysis.siting import suggest_bins  # noqa: E402
from geo.analysis.streets import StreetNetwork, pairs_within  # noqa: E402
from geo.core.errors import UserError  # noqa: E402
from geo.data.sitefiles import read_street_lines  # noqa: E402


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

