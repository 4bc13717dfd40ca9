"""Concentration of events on places: top shares, Lorenz curve, Gini, repeat places."""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.concentration import (
    concentration_analysis,
    gini,
    gini_generalised,
    lorenz_curve,
    places_for_share,
    top_share,
)
from geo.core.area import leipziger_osten
from geo.core.period import Period


def _gini_direct(c):
    c = np.asarray(c, dtype=float)
    return np.abs(c[:, None] - c[None, :]).sum() / (2 * len(c) ** 2 * c.mean())


def test_gini_of_uniform_is_zero_and_of_one_place_is_one_minus_one_over_n():
    assert gini(np.full(50, 7.0)) == 0.0
    assert gini(np.r_[10.0, np.zeros(9)]) == pytest.approx(0.9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=60).filter(lambda v: sum(v) > 0))
def test_gini_equals_the_mean_absolute_difference_formula(values):
    assert gini(np.array(values)) == pytest.approx(_gini_direct(values), abs=1e-12)


def test_gini_against_reference_library_when_installed():
    inequality = pytest.importorskip("inequality")
    c = np.random.default_rng(1).poisson(2.0, 300).astype(float)
    assert gini(c) == pytest.approx(inequality.gini.Gini(c).g, rel=1e-9)


def test_generalised_gini_is_zero_for_the_most_even_spread_of_few_events():
    c = np.r_[np.ones(10), np.zeros(90)]  # 10 events on 100 places, one each
    assert gini(c) == pytest.approx(0.9)
    assert gini_generalised(c) == pytest.approx(0.0)
    c = np.r_[10.0, np.zeros(99)]
    assert gini_generalised(c) == pytest.approx((gini(c) - 0.9) / 0.1)
    many = np.arange(1, 21, dtype=float)
    assert gini_generalised(many) == gini(many)


def test_top_shares_and_places_for_half_direct():
    c = np.array([50, 20, 10, 5, 5, 4, 3, 2, 1, 0] * 10, dtype=float)  # 100 places, 1000 events
    srt = np.sort(c)[::-1]
    assert top_share(c, 0.01) == pytest.approx(srt[:1].sum() / 1000)
    assert top_share(c, 0.05) == pytest.approx(srt[:5].sum() / 1000)
    assert top_share(c, 0.10) == pytest.approx(srt[:10].sum() / 1000)
    assert top_share(c, 0.10) == pytest.approx(0.5)
    assert places_for_share(c, 0.5) == pytest.approx(0.10)
    assert places_for_share(c, 0.501) == pytest.approx(0.11)
    assert top_share(np.ones(7), 0.01) == pytest.approx(1 / 7)  # at least one place


def test_lorenz_curve_ends_and_is_convex():
    x, y = lorenz_curve(np.array([5.0, 0, 1, 3]))
    np.testing.assert_allclose(x, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(y, [0, 0, 1 / 9, 4 / 9, 1])
    assert (np.diff(y, 2) >= -1e-12).all()


def _points(xy, times):
    return gpd.GeoDataFrame({"found_at": pd.to_datetime(times), "count": 1},
                            geometry=shapely.points(np.asarray(xy)), crs="EPSG:25833")


def test_concentration_on_grid_counts_every_cell_and_ranks_repeat_places():
    area = leipziger_osten()
    c = area.boundary.centroid
    rng = np.random.default_rng(5)
    hot = np.column_stack([np.full(40, c.x), np.full(40, c.y)]) + rng.normal(0, 5, (40, 2))
    other = np.column_stack([np.full(6, c.x + 1000), np.full(6, c.y + 500)])
    times = (["2026-01-10"] * 10 + ["2026-02-20"] * 30) + ["2026-01-05"] * 6  # hot place grows
    rec = _points(np.vstack([hot, other]), times)
    res = concentration_analysis(rec, area, date_field="found_at", period=Period(date(2026, 1, 1),
                                                                                 date(2026, 2, 28)))
    assert res.n_events == 46 and res.n_left_out == 0
    assert res.counts.sum() == 46 and len(res.counts) == len(res.units) > 1000
    assert res.gini == pytest.approx(_gini_direct(res.counts), abs=1e-12)
    assert res.top_shares[0.01] == pytest.approx(1.0)  # 1 % of > 1000 cells covers both places
    rep = res.repeat_places()
    assert rep["rank"].tolist()[:1] == [1] and rep["count"].sum() == 46
    top = rep.iloc[0]
    assert top["count"] >= 30 and top["trend"] == "zunehmend"
    assert rep.iloc[-1]["trend"] in {"abnehmend", "gleichbleibend"}
    assert rep["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert any("Gini" in line for line in res.summary_lines("Funde"))


def test_concentration_on_street_segments_snaps_within_reach():
    area = leipziger_osten()
    c = area.boundary.centroid
    streets = gpd.GeoDataFrame(
        {"name": ["Eisenbahnstraße", "Hermann-Liebmann-Straße"]},
        geometry=[shapely.LineString([(c.x - 500, c.y), (c.x + 500, c.y)]),
                  shapely.LineString([(c.x, c.y - 500), (c.x, c.y + 500)])], crs="EPSG:25833")
    xy = [(c.x + 200, c.y + 10)] * 5 + [(c.x + 10, c.y - 300)] * 2 + [(c.x + 300, c.y + 300)]
    res = concentration_analysis(_points(xy, ["2026-01-01"] * 8), area, streets=streets)
    assert res.unit_type == "street"
    assert res.counts.tolist() == [5.0, 2.0]
    assert res.n_left_out == 1  # 300 m from both streets
    assert res.repeat_places()["name"].tolist() == ["Eisenbahnstraße", "Hermann-Liebmann-Straße"]
    assert math.isclose(res.gini, _gini_direct([5, 2]))


def test_cli_concentration_writes_ranked_repeat_places(demo_store, tmp_path, capsys):
    from geo.cli import main

    out = tmp_path / "orte.csv"
    rc = main(["concentration", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2025-11-01",
               "--to", "2026-10-31", "--out", str(out)])
    text, err = capsys.readouterr()
    assert rc == 0, err
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert list(table.columns) == ["rank", "unit_id", "name", "count", "share", "cumulative_share", "count_first",
                                   "count_second", "trend", "trend_p", "lat", "lon"]
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert (table["count"].diff().dropna() <= 0).all() and (table["count"] >= 2).all()
    assert set(table["trend"]) <= {"zunehmend", "gleichbleibend", "abnehmend"}
    assert (table["count_first"] + table["count_second"] == table["count"]).all()
    # figures equal a direct computation on the same cells
    rec = demo_store.read("syringe_find", Period(date(2025, 11, 1), date(2026, 10, 31)))
    res = concentration_analysis(rec, demo_store.area)
    assert f"Top 5 % der Zellen: {100 * res.top_shares[0.05]:.0f} %" in text
    assert f"Gini-Koeffizient: {res.gini:.2f}".replace(".", ",") in text
    assert res.gini == pytest.approx(_gini_direct(res.counts), abs=1e-12)
    assert table["count"].sum() == res.counts[res.counts >= 2].sum()
    # the emerging crossing is among the places that grow
    assert (table["trend"] == "zunehmend").any()
    assert (table["name"].fillna("") != "").any()


def test_cli_concentration_on_street_segments(demo_store, tmp_path, capsys):
    from geo.cli import main

    streets = tmp_path / "strassen.geojson"
    gpd.GeoDataFrame({"name": ["Eisenbahnstraße", "Hermann-Liebmann-Straße"]},
                     geometry=[shapely.LineString([(12.3939, 51.3459), (12.4100, 51.34535), (12.4265, 51.3444)]),
                               shapely.LineString([(12.4062, 51.3400), (12.4062, 51.3520)])],
                     crs="EPSG:4326").to_file(streets, driver="GeoJSON")
    out = tmp_path / "abschnitte.csv"
    rc = main(["concentration", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-05-01",
               "--to", "2026-10-31", "--streets", str(streets), "--min-count", "1", "--out", str(out)])
    text, err = capsys.readouterr()
    assert rc == 0, err
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert set(table["name"]) <= {"Eisenbahnstraße", "Hermann-Liebmann-Straße"} and len(table) == 2
    assert "Straßenabschnitte" in text and "keinem Ort zugeordnet" in text
    rc = main(["concentration", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-05-01",
               "--to", "2026-10-31", "--out", str(tmp_path / "x.gpkg")])
    assert rc == 2 and "Endung muss .csv sein" in capsys.readouterr().err
