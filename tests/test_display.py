"""German display tables (geo.report.display): no None/nan, decimal comma, thousands dot, German dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from geo.report.display import MISSING, german_column, german_table, p_value_text


def test_numbers_missing_and_bools_read_german():
    df = pd.DataFrame({"n": [3320, 12], "r": [0.5907, np.nan], "ok": [True, False], "t": ["a", None],
                       "mixed": [None, 1.11]})
    t = german_table(df, decimals={"r": 2})
    assert t["n"].tolist() == ["3.320", "12"]
    assert t["r"].tolist() == ["0,59", MISSING]
    assert t["ok"].tolist() == ["ja", "nein"]
    assert t["t"].tolist() == ["a", MISSING]
    assert t["mixed"].tolist() == [MISSING, "1,11"]
    text = " ".join(t.to_numpy().ravel())
    for english in ("None", "nan", "NaN", "True", "False", "0.59", "3320"):
        assert english not in text


def test_iso_timestamps_become_german_date_times():
    df = pd.DataFrame({"imported_at": ["2026-10-31T14:05:59", None], "d": pd.to_datetime(["2026-01-02", None])})
    t = german_table(df, datetimes=("imported_at",))
    assert t["imported_at"].tolist() == ["31.10.2026 14:05", MISSING]
    assert t["d"].tolist() == ["02.01.2026", MISSING]


def test_geometry_columns_are_dropped():
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:25833")
    assert list(german_table(gdf).columns) == ["a"]


def test_p_values():
    assert p_value_text(0.0) == "< 0,001"
    assert p_value_text(0.00049) == "< 0,001"
    assert p_value_text(0.0493) == "0,049"
    assert p_value_text(float("nan")) == MISSING


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_float_columns_have_no_decimal_point_and_round_trip(x):
    text = german_column(pd.Series([x]), 2).iloc[0]
    assert "." not in text.split(",")[-1]  # only thousands dots, before the comma
    back = float(text.replace(".", "").replace(",", "."))
    assert abs(back - round(x, 2)) < 0.006
