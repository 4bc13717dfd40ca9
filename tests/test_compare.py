"""Tests of geo.analysis.compare: exact Poisson rate test, FDR, change classes, zones, prediction, CLI."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from geo.analysis.compare import (
    analysis_grid,
    change_summary,
    compare_periods,
    hit_rate_pai,
    poisson_rate_test,
    prediction_accuracy,
    prediction_series,
    rate_comparison,
    select_top_cells,
    zone_comparison,
)
from geo.analysis.timeseries import district_zones, place_zones, slice_periods
from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.grid import make_grid
from geo.core.period import Period, parse_period
from geo.data.demo import DISPLACEMENT_FROM, DISPLACEMENT_START, DISPLACEMENT_TO, SCENE_PLACES, generate_demo

BEFORE = Period(date(2025, 11, 1), date(2026, 4, 30))
AFTER = Period(DISPLACEMENT_START, date(2026, 10, 31))


@pytest.fixture(scope="module")
def demo():
    return generate_demo()


@pytest.fixture(scope="module")
def area():
    return leipziger_osten()


def place_xy(name: str) -> tuple[float, float]:
    lat, lon = SCENE_PLACES[name]
    return Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True).transform(lon, lat)


# ---------------------------------------------------------------------------- the test
def test_rate_test_matches_scipy_binomtest():
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 80, 400), rng.integers(0, 80, 400)
    ta, tb = rng.uniform(5, 200, 400), rng.uniform(5, 200, 400)
    p = poisson_rate_test(a, b, ta, tb)
    ref = [binomtest(int(x), int(x + y), s / (s + t)).pvalue if x + y else 1.0
           for x, y, s, t in zip(a, b, ta, tb, strict=True)]
    np.testing.assert_allclose(p, ref, rtol=1e-12, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 3000), st.integers(0, 3000), st.integers(1, 400), st.integers(1, 400))
def test_rate_test_matches_binomtest_property(a, b, ta, tb):
    p = float(poisson_rate_test(a, b, ta, tb))
    ref = binomtest(a, a + b, ta / (ta + tb)).pvalue if a + b else 1.0
    assert p == pytest.approx(ref, rel=1e-10, abs=1e-300)


def test_rate_test_known_values():
    # equal periods: 10 vs 0 events -> 2 * 0.5**10
    assert float(poisson_rate_test(10, 0)) == pytest.approx(2 * 0.5**10)
    assert float(poisson_rate_test(0, 0)) == 1.0
    # equal rates in periods of different length: no evidence of change
    assert float(poisson_rate_test(10, 20, 30, 60)) == pytest.approx(1.0)


def test_rate_comparison_fdr_and_classes():
    a = np.array([0, 40, 5, 12, 0, 30])
    b = np.array([0, 10, 6, 30, 1, 31])
    table = rate_comparison(a, b, 60, 60)
    tested = (a + b) > 0
    ref = multipletests(table["p"][tested], method="fdr_bh")[1]
    np.testing.assert_allclose(table["p_fdr"][tested], ref)
    assert table["p_fdr"][~tested].tolist() == [1.0]
    assert table["change_class"].tolist() == [0, -1, 0, 1, 0, 0]
    assert table["rate_ratio"].iloc[1] == pytest.approx(0.25)
    assert np.isnan(table["rate_ratio"].iloc[0])


def test_rates_scale_with_period_length():
    # 60 events in 30 days vs 60 in 60 days: the rate halved
    table = rate_comparison(np.array([60]), np.array([60]), 30, 60)
    assert table["rate_ratio"].iloc[0] == pytest.approx(0.5)
    assert table["difference"].iloc[0] == pytest.approx(60 - 120)
    assert table["change_class"].iloc[0] == -1


def test_overlapping_periods_are_refused(demo, area):
    grid = make_grid(area.boundary, 300)
    finds = demo["syringe_find"]
    with pytest.raises(UserError, match="überschneiden"):
        compare_periods(finds, finds, parse_period("2026-01-01/2026-03-31"), parse_period("2026-03-01/2026-04-30"),
                        grid, date_field="found_at")


# ---------------------------------------------------------------------------- demo
def test_displacement_shows_as_decrease_and_increase(demo, area):
    finds = demo["syringe_find"]
    grid, _ = analysis_grid([finds], area)  # 150 m hexagons
    cells = compare_periods(finds, finds, BEFORE, AFTER, grid, date_field="found_at")
    centres = shapely.centroid(cells.geometry.values)

    def near(name: str, r: float = 160.0) -> gpd.GeoDataFrame:
        x, y = place_xy(name)
        return cells[np.hypot(shapely.get_x(centres) - x, shapely.get_y(centres) - y) <= r]

    old, new = near(DISPLACEMENT_FROM), near(DISPLACEMENT_TO)
    assert (old["change_class"] == -1).any() and not (old["change_class"] == 1).any()
    assert (new["change_class"] == 1).any() and not (new["change_class"] == -1).any()
    assert old["count_b"].sum() < 0.75 * old["count_a"].sum()
    assert new["count_b"].sum() > 2 * new["count_a"].sum()
    summary = change_summary(cells)
    assert sum(summary.values()) == len(cells) and summary[1] >= 1 and summary[-1] >= 1
    assert {"count_a", "count_b", "rate_ratio", "p", "p_fdr", "change_class"} <= set(cells.columns)


def test_zone_comparison_on_demo(demo, area):
    finds = demo["syringe_find"]
    zones = place_zones(demo["sensitive_place"])
    table = zone_comparison(zones, finds, finds, BEFORE, AFTER, date_field="found_at").set_index("zone")
    assert table.loc["Spielplatz Rabet", "change_class"] == -1
    assert table.loc["Spielplatz Rabet", "rate_ratio"] < 0.8
    whole = zone_comparison(district_zones(None, area), finds, finds, BEFORE, AFTER, date_field="found_at")
    n_a = int(BEFORE.contains(finds["found_at"]).sum())
    assert whole["count_a"].iloc[0] == n_a


# ---------------------------------------------------------------------------- prediction
def test_hit_rate_and_pai_by_hand():
    selected = np.array([True, False, False, False])
    area_share, hit, pai = hit_rate_pai(selected, np.array([6.0, 2.0, 2.0, 0.0]))
    assert (area_share, hit, pai) == (0.25, 0.6, pytest.approx(2.4))
    assert np.isnan(hit_rate_pai(selected, np.zeros(4))[1])


def test_select_top_cells_takes_highest_counts():
    counts = np.array([0, 5, 9, 1, 0, 3, 9, 0, 0, 0])
    mask = select_top_cells(counts, 0.2)
    assert np.flatnonzero(mask).tolist() == [2, 6]
    assert select_top_cells(np.zeros(10), 0.5).sum() == 0


def test_last_periods_hot_spots_predict_the_next(demo, area):
    finds = demo["syringe_find"]
    grid = make_grid(area.boundary, 100)
    periods = slice_periods(Period(date(2026, 1, 1), date(2026, 8, 31)), 2)
    table = prediction_series(finds, "found_at", periods, grid, band=200)
    assert len(table) == 3
    assert (table["top_pai"] > 3).all() and (table["hotspot_pai"] > 2).all()
    assert ((table["top_hit_rate"] > 0) & (table["top_hit_rate"] < 1)).all()
    assert table["top_area_share"].iloc[0] == pytest.approx(np.ceil(0.05 * grid.n) / grid.n)
    acc = prediction_accuracy(grid, np.ones(grid.n), np.ones(grid.n), band=200)
    assert acc["hotspot_cells"] == 0 and np.isnan(acc["hotspot_pai"])


# ---------------------------------------------------------------------------- CLI
def test_cli_compare_writes_cells(demo_store, tmp_path, capsys):
    out = tmp_path / "change.gpkg"
    rc = main(["compare", "--store", str(demo_store.path), "--a", "2025-11-01/2026-04-30",
               "--b", "2026-05-01/2026-10-31", "--kind", "syringe_find", "--cell", "150", "--out", str(out)])
    assert rc == 0
    cells = gpd.read_file(out)
    assert {"count_a", "count_b", "rate_ratio", "p", "p_fdr", "change_class"} <= set(cells.columns)
    assert set(cells["change_class"].unique()) <= {-1, 0, 1}
    assert (cells["change_class"] == -1).sum() >= 1 and (cells["change_class"] == 1).sum() >= 1
    text = capsys.readouterr().out
    assert "Spielplatz Rabet" in text and "signifikante Abnahme" in text


def test_cli_compare_refuses_bad_input(demo_store, tmp_path, capsys):
    rc = main(["compare", "--store", str(demo_store.path), "--a", "2026-01-01/2026-02-28",
               "--b", "2026-02-01/2026-03-31", "--out", str(tmp_path / "x.csv")])
    assert rc == 2 and "überschneiden" in capsys.readouterr().err
    rc = main(["compare", "--store", str(demo_store.path), "--a", "2026-01-01/2026-02-28",
               "--b", "2026-03-01/2026-04-30", "--out", str(tmp_path / "x.txt")])
    assert rc == 2 and "Endung" in capsys.readouterr().err


# ---------------------------------------------------------------------------- map layers
def test_change_map_layers_offline_and_escaped(demo, area):
    from layers.assets import external_references, inline_assets
    from layers.compare import change_layer, count_breaks, count_layer, count_legend_items, legend_html, period_map

    finds = demo["syringe_find"]
    grid, _ = analysis_grid([finds], area, cell=300)
    cells = compare_periods(finds, finds, BEFORE, AFTER, grid, date_field="found_at")
    breaks = count_breaks(cells["count_a"], cells["count_b"])
    assert np.all(np.diff(breaks) > 0) and breaks[-1] < max(cells["count_a"].max(), cells["count_b"].max())
    assert count_legend_items(np.array([2.0, 7.0]))[0] == ("1 – 2", "#ffffb2")
    legend = legend_html("<script>alert(1)</script>", [("x", "red;background:url(evil)")])
    assert "<script>" not in legend and "url(evil)" not in legend
    m = period_map(area, [count_layer(cells, "count_a", "A", breaks), change_layer(cells)], legend)
    html = inline_assets(m.get_root().render())
    assert external_references(html) == []
    assert "signifikante Abnahme" in html and "Zeitraum B" in html
