"""Tests for geo.core.points: the one place where records become metric coordinates and weights."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.errors import UserError
from geo.core.points import column_weights, find_weights, in_crs, point_coordinates, point_weights, point_xy


def test_point_xy_surface_and_centroid():
    ring = shapely.Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])  # an L: centroid outside
    geoms = [shapely.Point(1, 2), ring, None]
    surface = point_xy(geoms)
    centroid = point_xy(geoms, centre="centroid")
    assert surface[0].tolist() == [1.0, 2.0] and centroid[0].tolist() == [1.0, 2.0]
    assert shapely.contains_xy(ring, *surface[1])
    assert centroid[1] == pytest.approx(np.array(shapely.centroid(ring).coords[0]))
    assert np.isnan(surface[2:]).all() and np.isnan(centroid[2:]).all()
    assert point_xy([]).shape == (0, 2)


def test_in_crs_and_point_coordinates():
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(12.41, 51.345)], crs="EPSG:4326")
    metric = in_crs(pts, "EPSG:25833")
    assert str(metric.crs) == "EPSG:25833" and metric.geometry.x.iloc[0] == pytest.approx(319_400, abs=2_000)
    assert in_crs(metric, "EPSG:25833") is metric and in_crs(None, "EPSG:25833") is None
    x, y = point_coordinates(pts, "EPSG:25833")
    assert (x[0], y[0]) == pytest.approx((metric.geometry.x.iloc[0], metric.geometry.y.iloc[0]))
    with pytest.raises(UserError):  # degrees without CRS
        point_coordinates(gpd.GeoSeries([shapely.Point(12.41, 51.345)]), "EPSG:25833")
    x, y = point_coordinates(np.array([[1.0, 2.0]]))
    assert x.tolist() == [1.0] and y.tolist() == [2.0]


def test_weights():
    frame = gpd.GeoDataFrame({"count": pd.array([3, None, 0], dtype="Int64")},
                             geometry=[shapely.Point(0, 0)] * 3, crs="EPSG:25833")
    assert column_weights(frame, "count").tolist() == [3.0, 1.0, 0.0]
    assert column_weights(frame, "fehlt").tolist() == [1.0, 1.0, 1.0]
    assert column_weights(None, "count").tolist() == []
    assert find_weights(frame).tolist() == [3.0, 1.0, 1.0]  # below 1 counts 1
    assert point_weights(frame, "count", 3).tolist() == [3.0, 1.0, 0.0]
    assert point_weights(frame, None, 3).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(UserError):
        point_weights(frame, "fehlt", 3)
