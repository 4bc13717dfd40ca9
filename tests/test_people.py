"""Tables for people (geo.data.people): German headings and values, Breite/Länge besides WKT."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo.core.period import parse_period
from geo.data.exports import write_table
from geo.data.people import LAT, LON, WKT, file_name, plan_for_people, records_for_people


def _finds() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"record_id": ["a1"], "import_id": [3], "found_at": pd.to_datetime(["2026-10-31 14:05"]), "count": [2],
         "source": ["Polizei"], "reporter": [""]},
        geometry=[shapely.Point(318_000, 5_690_000)], crs="EPSG:25833")


def test_record_export_has_german_headings_lat_lon_and_wkt(tmp_path):
    path = write_table(records_for_people(_finds(), "syringe_find", ".csv"), tmp_path / "x.csv")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert list(back.columns) == ["Datensatz-ID", "Import-Nr.", "Fundzeit", "Anzahl", "Quelle", "Meldende Person",
                                  LAT, LON, WKT]
    assert back.at[0, "Fundzeit"] == "31.10.2026 14:05"
    lon, lat = gpd.GeoSeries([shapely.Point(318_000, 5_690_000)], crs="EPSG:25833").to_crs(4326).iloc[0].coords[0]
    assert abs(back.at[0, LAT] - lat) < 1e-6 and abs(back.at[0, LON] - lon) < 1e-6
    assert back.at[0, WKT].startswith("POINT (12.")


def test_yes_no_columns_read_ja_nein_and_files_have_german_names(tmp_path):
    finds = _finds().assign(date_only=[True], extra=pd.Series([None], dtype=object))
    finds = pd.concat([finds, finds.assign(record_id="b2", date_only=False)], ignore_index=True)
    path = write_table(records_for_people(finds, "syringe_find", ".csv"), tmp_path / "x.csv")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False)
    assert back["nur Datum"].tolist() == ["ja", "nein"]
    assert file_name("syringe_find", parse_period("2026-09-01/2026-10-31"), ".csv") == (
        "spritzenfunde_20260901-20261031.csv")


def test_record_geojson_keeps_geometry_with_german_properties(tmp_path):
    out = records_for_people(_finds(), "syringe_find", ".geojson")
    path = write_table(out, tmp_path / "x.geojson")
    back = gpd.read_file(path)
    assert {"Fundzeit", "Anzahl", LAT, LON} <= set(back.columns)
    assert back.crs.to_epsg() == 4326


def test_plan_has_german_headings_and_values():
    plan = gpd.GeoDataFrame(
        {"status": ["suggested", "existing"], "rank": [1, 1], "record_id": [None, "b"], "label": ["x", "y"],
         "share_syringes_after": [0.4567, None], "lat": [51.3, 51.31], "lon": [12.4, 12.41]},
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs="EPSG:25833")
    out = plan_for_people(plan, ".csv")
    assert out["Art"].tolist() == ["Vorschlag", "bestehend"]
    assert "status" not in out and "rank" not in out and "record_id" not in out
    assert out["Spritzen im Radius danach (%)"].iloc[0] == 45.7
    assert out[LAT].tolist() == [51.3, 51.31]
    text = out.to_csv()
    assert "suggested" not in text and "existing" not in text
