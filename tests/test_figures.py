"""Tests for geo.report.figures: key figures, sensitive places, measures, districts, formatting."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.core.errors import UserError
from geo.core.period import Period, records_in
from geo.core.schema import KINDS
from geo.data.demo import LANDMARKS, generate_demo
from geo.report.figures import (
    GERMAN_COLUMNS,
    active_note,
    count_hotspots,
    district_summary,
    filter_records,
    format_change,
    format_number,
    key_figures,
    measures_list,
    sensitive_place_table,
    to_german,
)

CRS = "EPSG:25833"
X0, Y0 = 319_000.0, 5_691_000.0  # Leipziger Osten, metres


def pts(xy, **cols) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=shapely.points(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS)


def finds(xy, counts=None, when="2026-05-10", source="Stadtreinigung") -> gpd.GeoDataFrame:
    n = len(np.asarray(xy).reshape(-1, 2))
    return pts(xy, found_at=pd.to_datetime([when] * n), count=counts if counts is not None else [1] * n,
               source=[source] * n if isinstance(source, str) else source)


def complaints(xy, categories=None) -> gpd.GeoDataFrame:
    n = len(np.asarray(xy).reshape(-1, 2))
    return pts(xy, received_at=pd.to_datetime(["2026-05-12"] * n), category=categories or ["Konsum"] * n,
               text=["x"] * n)


# -- formatting -----------------------------------------------------------------------------


def test_format_number_german():
    assert format_number(1234567) == "1.234.567"
    assert format_number(1234.56, 1) == "1.234,6"
    assert format_number(-0.2) == "0"
    assert format_number(5, sign=True) == "+5"
    assert format_number(-5, sign=True) == "-5"
    assert format_number(0, sign=True) == "±0"
    assert format_number(np.nan) == "–"
    assert format_number(None) == "–"


def test_format_change():
    assert format_change(60, 48) == "+12 (+25 %)"
    assert format_change(40, 50) == "-10 (-20 %)"
    assert format_change(7, 7) == "±0 (±0 %)"
    assert format_change(3, 0) == "+3"
    assert format_change(1234, 1000) == "+234 (+23 %)"
    assert format_change(3, np.nan) == "–"


def test_to_german_renames_known_columns_only():
    df = pd.DataFrame({"finds": [1], "flagged": [True], "geometry": [None]})
    assert list(to_german(df).columns) == ["Spritzenfunde", "auffällig", "geometry"]
    assert len(set(GERMAN_COLUMNS.values())) == len(GERMAN_COLUMNS)  # no two columns share a heading


# -- filter_records -------------------------------------------------------------------------


def test_filter_records_categories_sources_within():
    c = complaints([[0, 0], [10, 0], [500, 0]], categories=["Konsum", "Lärm", "Lärm"])
    assert filter_records(c, "complaint", categories=["Lärm"]).index.tolist() == [1, 2]
    assert filter_records(c, "complaint", categories=[]).empty
    zone = shapely.box(X0 - 5, Y0 - 5, X0 + 10, Y0 + 5)  # point 1 lies on the edge: kept
    assert filter_records(c, "complaint", within=zone).index.tolist() == [0, 1]
    assert filter_records(c, "complaint", categories=["Lärm"], within=zone).index.tolist() == [1]
    f = finds([[0, 0], [1, 1]], source=["Polizei", "Bürger"])
    assert filter_records(f, "syringe_find", sources=["Bürger"]).index.tolist() == [1]
    assert len(filter_records(f, "syringe_find")) == 2


def test_filter_records_refuses_filter_the_kind_does_not_have():
    with pytest.raises(UserError, match="Kategorie"):
        filter_records(finds([[0, 0]]), "syringe_find", categories=["Lärm"])
    with pytest.raises(UserError, match="Quelle"):
        filter_records(complaints([[0, 0]]), "complaint", sources=["Polizei"])


# -- key figures ----------------------------------------------------------------------------


def test_key_figures_exact():
    now = {"syringe_find": finds([[0, 0]] * 5, counts=[1, 2, 3, 4, 5]), "complaint": complaints([[0, 0]] * 3)}
    before = {"syringe_find": finds([[0, 0]] * 4, counts=[1, 1, 1, 1]), "scene_observation": pts([[0, 0]] * 2)}
    kf = key_figures(now, before, hotspots=6, hotspots_previous=4)
    assert kf.index.tolist() == ["finds", "syringes", "complaints", "scene_observations", "hotspots"]
    assert kf.loc["finds", ["value", "previous", "change", "change_pct"]].tolist() == [5, 4, 1, 25.0]
    assert kf.loc["syringes", ["value", "previous", "change", "change_pct"]].tolist() == [15, 4, 11, 275.0]
    assert kf.loc["complaints", ["value", "previous", "change"]].tolist() == [3, 0, 3]
    assert np.isnan(kf.loc["complaints", "change_pct"])  # previous 0
    assert kf.loc["scene_observations", ["value", "previous", "change", "change_pct"]].tolist() == [0, 2, -2, -100]
    assert kf.loc["hotspots", ["value", "previous", "change", "change_pct"]].tolist() == [6, 4, 2, 50.0]
    assert kf.loc["finds", "figure"] == "Spritzenfunde (Fundstellen)"


def test_key_figures_without_hotspots_or_previous():
    kf = key_figures({"syringe_find": finds([[0, 0]])}, None, None)
    assert "hotspots" not in kf.index
    assert kf.loc["finds", "value"] == 1
    assert kf["previous"].isna().all() and kf["change_pct"].isna().all()


def test_count_hotspots_counts_connected_groups_not_cells():
    from shapely.geometry import box

    # a row of squares: cells 0-1 touch (one hotspot), cell 3 stands alone, cell 5 alone but only class 1
    cls = [3, 2, 0, 2, -3, 1]
    cells = gpd.GeoDataFrame({"gi_class": cls, "gi_z": [3.0, 2.5, 0, 2.4, -3, 1.7], "count": [5, 4, 0, 6, 0, 7]},
                             geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(6)], crs="EPSG:25833")
    assert count_hotspots(cells) == 3
    assert count_hotspots(cells, min_class=2) == 2
    assert count_hotspots(cells.assign(gi_class=0)) == 0
    assert count_hotspots(cells.assign(count=[1, 1, 0, 6, 0, 7])) == 2  # 2 events in cells 0-1: no hotspot
    assert count_hotspots(None) is None


# -- sensitive places -----------------------------------------------------------------------


def _places() -> gpd.GeoDataFrame:
    square = shapely.box(X0 + 1000, Y0, X0 + 1100, Y0 + 100)
    return gpd.GeoDataFrame(
        {"name": ["Kita A", "Park B", "Schule C"], "place_type": ["Kita", "Park", "Schule"],
         "buffer_m": [100.0, 50.0, np.nan]},
        geometry=[shapely.Point(X0, Y0), square, shapely.Point(X0 + 150, Y0)], crs=CRS,
    )


def test_sensitive_place_table_exact_counts():
    # Kita A (100 m): finds at 50, 99.9, 100 (edge counts) and 100.1 m (out); the find at 75 m east is also
    # 75 m from Schule C (default 100 m), so it counts for both.
    f = finds([[50, 0], [0, 99.9], [-100, 0], [0, -100.1], [75, 0],
               # Park B (square 1000..1100 x 0..100, 50 m): inside, 49 m beyond the edge, 51 m beyond
               [1050, 50], [1149, 50], [1050, 151]],
              counts=[1, 2, 3, 4, 5, 6, 7, 8])
    c = complaints([[0, 10], [1050, -30], [2000, 2000]])
    f_prev = finds([[0, 0]] * 4, counts=[1, 1, 1, 1])
    table = sensitive_place_table(_places(), f, c, f_prev, None, threshold=4).set_index("name")
    kita = table.loc["Kita A"]
    assert (kita.finds, kita.syringes, kita.complaints, kita.reports) == (4, 11, 1, 5)
    assert (kita.finds_prev, kita.syringes_prev, kita.complaints_prev, kita.reports_prev) == (4, 4, 0, 4)
    assert kita.change == 1 and kita.flagged  # 4 finds + 1 complaint >= 4
    park = table.loc["Park B"]
    assert (park.finds, park.syringes, park.complaints, park.change, park.flagged) == (2, 13, 1, 3, False)
    schule = table.loc["Schule C"]
    assert schule.buffer_m == 100.0  # missing buffer → default
    assert (schule.finds, schule.syringes, schule.complaints) == (2, 6, 0)  # at 100 m (x=50) and 75 m (x=75)
    # sorted: flagged first, then by reports
    assert table.index.tolist() == ["Kita A", "Park B", "Schule C"]
    lat, lon = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(X0, Y0)[::-1]
    assert kita.lat == pytest.approx(lat, abs=1e-6) and kita.lon == pytest.approx(lon, abs=1e-6)
    assert table.crs == CRS and table.geometry.iloc[0].equals(shapely.Point(X0, Y0))


def test_sensitive_place_table_threshold_is_inclusive_and_handles_no_records():
    f = finds([[0, 0]] * 3)
    assert sensitive_place_table(_places(), f, None, threshold=3).set_index("name").loc["Kita A", "flagged"]
    assert not sensitive_place_table(_places(), f, None, threshold=4).set_index("name").loc["Kita A", "flagged"]
    empty = sensitive_place_table(_places(), None, None, threshold=1)
    assert empty[["finds", "complaints", "reports_prev", "change"]].to_numpy().sum() == 0
    assert not empty["flagged"].any()


def test_sensitive_place_table_reprojects_records():
    f = finds([[10, 0]]).to_crs("EPSG:4326")
    table = sensitive_place_table(_places(), f, None, threshold=1).set_index("name")
    assert table.loc["Kita A", "finds"] == 1 and table.loc["Park B", "finds"] == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-300, 300), st.floats(-300, 300)), min_size=0, max_size=40),
       st.floats(1, 250))
def test_sensitive_place_counts_match_brute_force(xy, radius):
    place = gpd.GeoDataFrame({"name": ["P"], "buffer_m": [radius]}, geometry=[shapely.Point(X0, Y0)], crs=CRS)
    xy = np.array(xy, dtype=float).reshape(-1, 2)
    table = sensitive_place_table(place, finds(xy), None, threshold=1)
    # compare away from the edge (floating point at exactly the radius is undefined either way)
    d = np.hypot(xy[:, 0], xy[:, 1])
    clear = np.abs(d - radius) > 1e-6
    expected = int((d[clear] <= radius).sum())
    got = int(table.loc[0, "finds"])
    assert expected <= got <= expected + int((~clear).sum())


# -- measures -------------------------------------------------------------------------------


def test_measures_list_records_in():
    period = Period(date(2026, 5, 1), date(2026, 6, 30))
    bins = pts([[0, 0], [10, 0], [20, 0], [30, 0]],
               installed_at=pd.to_datetime(["2024-01-01", "2026-06-15", "2026-07-01", "2023-01-01"]),
               removed_at=pd.to_datetime([None, None, None, "2026-04-30"]),
               owner=["Stadtreinigung", "", "X", "Y"], label=["Nord", "", "Zukunft", "Alt"])
    cuts = pts([[0, 0], [0, 0]], done_at=pd.to_datetime(["2026-06-30 18:00", "2026-07-01 00:00"]),
               description=["Hecke", "später"])
    police = gpd.GeoDataFrame(
        {"start": pd.to_datetime(["2026-04-01", "2026-05-20"]), "end": pd.to_datetime(["2026-05-01", "2026-05-20"]),
         "description": ["Einsatz A", "Einsatz B"]},
        geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.Point(X0, Y0)], crs=CRS,
    )
    out = measures_list({"disposal_bin": bins, "greenery_cut": cuts, "police_presence": police,
                         "syringe_find": finds([[0, 0]])}, period)
    assert out["description"].tolist() == [
        "Nord (Stadtreinigung)", "Einsatz A", "Einsatz B", "ohne Bezeichnung", "Hecke"]
    assert out["when"].tolist() == ["seit 01.01.2024", "01.04.2026 – 01.05.2026", "20.05.2026", "seit 15.06.2026",
                                    "30.06.2026"]
    assert out["measure"].tolist() == ["Spritzenentsorgungsbehälter", "Polizeipräsenz", "Polizeipräsenz",
                                       "Spritzenentsorgungsbehälter", "Grünrückschnitt"]
    assert out["new_in_period"].tolist() == [False, False, True, True, True]
    assert out["lat"].between(51.3, 51.4).all() and out["lon"].between(12.3, 12.5).all()
    assert out["end"].isna().tolist() == [True, False, False, True, True]


def test_measures_list_empty():
    out = measures_list({}, Period(date(2026, 1, 1), date(2026, 1, 31)))
    assert out.empty and "when" in out.columns and "lat" in out.columns


def test_active_in_period_places_unchanged():
    period = Period(date(2026, 5, 1), date(2026, 6, 30))
    assert len(records_in(_places(), "sensitive_place", period)) == 3
    f = pd.concat([finds([[0, 0]], when="2026-04-30 23:59"), finds([[0, 0]], when="2026-06-30 23:59")])
    assert len(records_in(f, "syringe_find", period)) == 1


# -- districts ------------------------------------------------------------------------------


def test_district_summary_counts_each_record_once():
    districts = gpd.GeoDataFrame(
        {"name": ["West", "Ost"], "number": ["01", "02"]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000), shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 500)],
        crs=CRS,
    )
    f = finds([[10, 10], [500, 500], [1000, 200], [1500, 100], [5000, 5000]], counts=[1, 2, 3, 4, 5])
    c = complaints([[1500, 400]])
    out = district_summary(districts, {"syringe_find": f, "complaint": c}).set_index("name")
    # the find on the shared edge (x = 1000) counts once, for the first district
    assert out.loc["West", ["finds", "syringes", "complaints"]].tolist() == [3, 6, 0]
    assert out.loc["Ost", ["finds", "syringes", "complaints"]].tolist() == [1, 4, 1]
    assert out.loc["West", "area_km2"] == 1.0 and out.loc["Ost", "area_km2"] == 0.5
    assert out.loc["Ost", ["finds_per_km2", "syringes_per_km2", "complaints_per_km2"]].tolist() == [2.0, 8.0, 2.0]
    assert out.loc["Ost", "number"] == "02"
    assert out["scene_observations"].tolist() == [0, 0]


# -- demo data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return generate_demo()


def _direct_counts(demo, name: str, period: Period) -> tuple[int, int, int]:
    """Finds, syringes and complaints within 100 m of a landmark, computed with plain NumPy."""
    x, y = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(*LANDMARKS[name][::-1])
    f = demo["syringe_find"][period.contains(demo["syringe_find"]["found_at"])]
    c = demo["complaint"][period.contains(demo["complaint"]["received_at"])]
    near_f = np.hypot(f.geometry.x - x, f.geometry.y - y) <= 100
    near_c = np.hypot(c.geometry.x - x, c.geometry.y - y) <= 100
    return int(near_f.sum()), int(f.loc[near_f, "count"].sum()), int(near_c.sum())


@pytest.mark.parametrize("name", ["Kita Köhlerplatz", "Spielplatz Rabet"])
def test_demo_sensitive_places_match_direct_computation(demo, name):
    period = Period(date(2026, 5, 1), date(2026, 6, 30))
    prev = period.previous()

    def pick(kind: str, p: Period) -> gpd.GeoDataFrame:
        return records_in(demo[kind], kind, p)

    table = sensitive_place_table(
        demo["sensitive_place"], pick("syringe_find", period), pick("complaint", period),
        pick("syringe_find", prev), pick("complaint", prev), threshold=20,
    ).set_index("name")
    row = table.loc[name]
    finds_n, syringes, compl = _direct_counts(demo, name, period)
    assert (row.finds, row.syringes, row.complaints) == (finds_n, syringes, compl)
    p_finds, p_syringes, p_compl = _direct_counts(demo, name, prev)
    assert (row.finds_prev, row.syringes_prev, row.complaints_prev) == (p_finds, p_syringes, p_compl)
    assert row.change == (finds_n + compl) - (p_finds + p_compl)
    assert row.flagged == (finds_n + compl >= 20)
    assert finds_n > 0  # the scene is near both places in the demo
    assert row.lat == pytest.approx(LANDMARKS[name][0], abs=1e-5)


def test_demo_key_figures_and_measures(demo):
    period = Period(date(2026, 5, 1), date(2026, 6, 30))
    current = {k: records_in(g, k, period) for k, g in demo.items()}
    kf = key_figures(current, None, None)
    f = demo["syringe_find"]
    in_period = (f["found_at"] >= "2026-05-01") & (f["found_at"] < "2026-07-01")
    assert kf.loc["finds", "value"] == in_period.sum()
    assert kf.loc["syringes", "value"] == f.loc[in_period, "count"].sum()
    measures = measures_list(demo, period)
    # bins standing in May/June 2026: Rabet Nord, Otto-Runki-Platz, Torgauer Platz (Lene-Voigt-Park removed 2025)
    bins = measures[measures["kind"] == "disposal_bin"]
    assert sorted(bins["description"]) == ["Otto-Runki-Platz (Stadtreinigung)", "Rabet Nord (Stadtreinigung)",
                                           "Torgauer Platz (Stadtreinigung)"]
    police = measures[measures["kind"] == "police_presence"]
    assert police["when"].tolist() == ["01.05.2026 – 31.10.2026"] and police["new_in_period"].all()
    assert set(measures["kind"]) <= set(KINDS)


def test_active_note_says_how_many_lasting_measures_are_active():
    """Issue 17: »4 Behälter, davon 3 aktiv« – by the rule of records_in, with the reason for the others."""
    bins = gpd.GeoDataFrame(
        {"installed_at": pd.to_datetime(["2023-05-15", "2024-02-01", "2025-11-01", "2022-04-01", "2027-01-01"]),
         "removed_at": pd.to_datetime([None, None, None, "2025-06-30", None])},
        geometry=[shapely.Point(i, 0) for i in range(5)], crs=CRS)
    period = Period(date(2026, 9, 1), date(2026, 10, 31))
    assert len(records_in(bins, "disposal_bin", period)) == 3
    assert active_note(bins, "disposal_bin", period) == (
        "Spritzenentsorgungsbehälter: 5 gespeichert, davon 3 im Zeitraum aktiv "
        "(1 vor dem Zeitraum entfernt; 1 erst danach aufgestellt).")
    assert active_note(bins.iloc[:3], "disposal_bin", period) is None  # all active: nothing to explain
    assert active_note(bins.iloc[0:0], "disposal_bin", period) is None
    cuts = gpd.GeoDataFrame({"done_at": pd.to_datetime(["2025-03-10"])}, geometry=[shapely.Point(0, 0)])
    assert active_note(cuts, "greenery_cut", period) is None  # one-day measures: dated, not active
    police = gpd.GeoDataFrame({"start": pd.to_datetime(["2026-05-01", "2025-04-01"]),
                               "end": pd.to_datetime(["2026-10-31", "2025-04-30"])},
                              geometry=[shapely.Point(0, 0)] * 2)
    kind = KINDS["police_presence"]
    police = police.rename(columns={"start": kind.date_field, "end": kind.end_field})
    assert active_note(police, "police_presence", period) == (
        f"{kind.label_plural}: 2 gespeichert, davon 1 im Zeitraum aktiv (1 vor dem Zeitraum beendet).")
