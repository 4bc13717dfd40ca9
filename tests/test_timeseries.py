"""Tests of geo.analysis.timeseries: zones, counting in zones, monthly series, slices, measure marks."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.timeseries import (
    WHOLE_AREA,
    district_zones,
    measure_marks,
    measure_table,
    measure_zones,
    monthly_series,
    place_zones,
    slice_periods,
    zone_counts,
)
from geo.core.area import leipziger_osten
from geo.core.period import Period
from geo.data.demo import BIN_INSTALLED, generate_demo

CRS = "EPSG:25833"


def _finds(xy, times) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame({"found_at": pd.to_datetime(times), "count": 2},
                            geometry=shapely.points(xy[:, 0], xy[:, 1]), crs=CRS)


def test_slice_periods():
    months = slice_periods(Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert [str(p) for p in months] == ["2026-01-01/2026-01-31", "2026-02-01/2026-02-28", "2026-03-01/2026-03-31"]
    two = slice_periods(Period(date(2025, 11, 1), date(2026, 3, 31)), 2)
    assert [str(p) for p in two] == ["2025-11-01/2025-12-31", "2026-01-01/2026-02-28", "2026-03-01/2026-03-31"]


def test_zone_counts_overlapping_zones_and_edges():
    zones = gpd.GeoDataFrame({"zone": ["a", "b"], "zone_type": "place"},
                             geometry=[shapely.box(0, 0, 10, 10), shapely.box(5, 0, 20, 10)], crs=CRS)
    x = np.array([1.0, 7.0, 10.0, 15.0, 50.0, np.nan])
    y = np.array([1.0, 5.0, 5.0, 5.0, 5.0, 1.0])
    assert zone_counts(zones, x, y).tolist() == [3, 3]  # x=7 in both, x=10 on a's edge counts
    assert zone_counts(zones, x, y, np.full(6, 2.0)).tolist() == [6, 6]


def test_place_zones_buffer_by_protective_distance():
    places = gpd.GeoDataFrame({"name": ["Kita A", "Park"], "place_type": ["Kita", "Park"], "buffer_m": [100.0, 50.0]},
                              geometry=[shapely.Point(0, 0), shapely.box(0, 0, 100, 100)], crs=CRS)
    zones = place_zones(places)
    assert zones["zone"].tolist() == ["Kita A", "Park"] and zones["zone_type"].tolist() == ["place", "place"]
    assert zones.geometry.iloc[0].area == pytest.approx(np.pi * 100**2, rel=0.01)
    assert zones.geometry.iloc[1].bounds == pytest.approx((-50, -50, 150, 150))


def test_monthly_series_counts_per_zone_and_month():
    zones = gpd.GeoDataFrame({"zone": ["z"], "zone_type": "district"}, geometry=[shapely.box(0, 0, 10, 10)], crs=CRS)
    finds = _finds([(1, 1), (2, 2), (3, 3), (50, 50)],
                   ["2026-01-31 23:59", "2026-03-01 00:00", "2026-03-15 08:00", "2026-02-10 12:00"])
    series = monthly_series(finds, "syringe_find", zones, Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert series["month"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02", "2026-03"]
    assert series["count"].tolist() == [1, 0, 2]
    assert series["weighted"].tolist() == [2.0, 0.0, 4.0]  # two syringes per find


def test_demo_measure_series_show_the_bin_effect():
    demo = generate_demo()
    measures = measure_table(demo)
    assert {"record_id", "kind", "kind_label", "label", "start", "end", "title"} <= set(measures.columns)
    assert measures["start"].is_monotonic_increasing
    bins = measures[(measures["kind"] == "disposal_bin") & (measures["start"] == np.datetime64(BIN_INSTALLED))]
    assert bins["title"].iloc[0] == "Spritzenentsorgungsbehälter: Torgauer Platz (ab 01.11.2025)"
    zones = measure_zones(bins)
    assert zones.geometry.iloc[0].area == pytest.approx(np.pi * 150**2, rel=0.01)
    series = monthly_series(demo["syringe_find"], "syringe_find", zones)
    assert len(series) == 24
    month = series["month"].to_numpy()
    before = series["count"][month < np.datetime64(BIN_INSTALLED)].iloc[-6:].mean()
    after = series["count"][month >= np.datetime64(BIN_INSTALLED)].iloc[:6].mean()
    assert after < 0.75 * before
    marks = measure_marks(measures, Period(date(2025, 1, 1), date(2025, 12, 31)))
    assert marks["date"].between("2025-01-01", "2025-12-31").all()
    assert {"Beginn", "Ende"} == set(marks["what"])


def test_district_zones_include_whole_area():
    area = leipziger_osten()
    districts = gpd.GeoDataFrame({"name": ["Volkmarsdorf"], "number": ["01"]},
                                 geometry=[shapely.buffer(area.boundary.centroid, 500)], crs=CRS)
    zones = district_zones(districts, area)
    assert zones["zone"].tolist() == ["Volkmarsdorf", WHOLE_AREA]
    assert zones["zone_type"].tolist() == ["district", "area"]
    assert len(district_zones(None, None, CRS)) == 0
