"""Tests of geo.analysis.emerging: Mann–Kendall (hand computations), pattern rules, the demo's growing place, CLI."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy.stats import kendalltau, norm

from geo.analysis.emerging import (
    NO_PATTERN,
    PATTERNS,
    classify_patterns,
    emerging_hotspots,
    mann_kendall,
    space_time_counts,
)
from geo.analysis.timeseries import slice_periods
from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.grid import make_grid
from geo.core.period import Period
from geo.data.demo import EMERGING_PLACE, SCENE_PLACES, generate_demo


# ---------------------------------------------------------------------------- Mann–Kendall
def test_mann_kendall_by_hand_without_ties():
    # x = 1, 3, 2, 5: pairs (i<j): +1 +1 +1 -1 +1 +1 -> S = 4; var = 4*3*13/18 = 26/3
    res = mann_kendall(np.array([[1.0, 3.0, 2.0, 5.0]])).iloc[0]
    assert res["s"] == 4
    assert res["var_s"] == pytest.approx(26 / 3)
    z = (4 - 1) / np.sqrt(26 / 3)
    assert res["z"] == pytest.approx(z)
    assert res["p"] == pytest.approx(2 * norm.sf(z))
    assert res["tau"] == pytest.approx(4 / 6)


def test_mann_kendall_by_hand_with_ties():
    # x = 2, 2, 1, 3, 3: S = 0 -1 +1 +1 | -1 +1 +1 | +1 +1 | 0 = 4
    # ties: two groups of size 2 -> var = (5*4*15 - 2*(2*1*9)) / 18 = (300 - 36) / 18
    res = mann_kendall(np.array([2.0, 2.0, 1.0, 3.0, 3.0])).iloc[0]
    assert res["s"] == 4
    assert res["var_s"] == pytest.approx(264 / 18)
    assert res["z"] == pytest.approx(3 / np.sqrt(264 / 18))


def test_mann_kendall_vectorised_rows_and_reference():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 12))
    res = mann_kendall(x, chunk=7)
    for row, r in zip(x, res.itertuples(), strict=True):
        tau, _ = kendalltau(np.arange(12), row)
        assert r.s == pytest.approx(tau * 66)
    const = mann_kendall(np.ones((2, 6)))
    assert (const["z"] == 0).all() and (const["p"] == 1).all()
    down = mann_kendall(np.arange(10.0)[::-1][None, :]).iloc[0]
    assert down["s"] == -45 and down["z"] < -3


# ---------------------------------------------------------------------------- patterns
def _classify(hot_rows, cold_rows, z=0.0, p=1.0):
    hot = np.array(hot_rows, dtype=bool)
    cold = np.array(cold_rows, dtype=bool)
    n = len(hot)
    return classify_patterns(hot, cold, np.full(n, z), np.full(n, p)).tolist()


def test_pattern_rules():
    f, t = False, True
    none = [f] * 10
    cases = {
        "new_hot": ([f] * 9 + [t], none),
        "consecutive_hot": ([f] * 7 + [t, t, t], none),
        "sporadic_hot": ([t, f, t, f, f, f, f, f, t, t], none),
        "oscillating_hot": ([f] * 9 + [t], [t] + [f] * 9),
        "persistent_hot": ([t] * 10, none),
        "historical_hot": ([t] * 9 + [f], none),
        "new_cold": (none, [f] * 9 + [t]),
        "consecutive_cold": (none, [f] * 8 + [t, t]),
        "historical_cold": (none, [t] * 9 + [f]),
        NO_PATTERN: ([t, t, f, f, f, f, f, f, f, f], none),
    }
    got = _classify([h for h, _ in cases.values()], [c for _, c in cases.values()])
    assert got == list(cases)


def test_trend_decides_intensifying_and_diminishing():
    hot = np.ones((3, 10), dtype=bool)
    cold = np.zeros((3, 10), dtype=bool)
    codes = classify_patterns(hot, cold, np.array([3.0, -3.0, 3.0]), np.array([0.001, 0.001, 0.2]))
    assert codes.tolist() == ["intensifying_hot", "diminishing_hot", "persistent_hot"]
    codes = classify_patterns(cold, hot, np.array([-3.0, 3.0, 0.0]), np.array([0.001, 0.001, 1.0]))
    assert codes.tolist() == ["intensifying_cold", "diminishing_cold", "persistent_cold"]


def test_every_pattern_has_label_colour_definition():
    assert len(PATTERNS) == 17
    for label, colour, definition in PATTERNS.values():
        assert label and colour.startswith("#") and definition.endswith(".")


# ---------------------------------------------------------------------------- analysis
def test_space_time_counts():
    grid = make_grid(shapely.box(0, 0, 300, 300), 100, "square")
    slices = slice_periods(Period(date(2026, 1, 1), date(2026, 3, 31)))
    t = np.array(["2026-01-05", "2026-02-10", "2026-02-11", "2026-03-31T23:00", "2026-04-01"], dtype="datetime64[ns]")
    counts = space_time_counts(grid, np.array([50, 50, 150, 50, 50.0]), np.full(5, 50.0), t, slices)
    assert counts.shape == (grid.n, 3)
    cell0, cell1 = grid.cell_ids_at(np.array([50.0, 150.0]), np.array([50.0, 50.0]))
    assert counts[cell0].tolist() == [1, 1, 1] and counts[cell1].tolist() == [0, 1, 0]
    assert counts.sum() == 4  # April is outside the slices


def test_growing_place_is_intensifying_or_new():
    demo = generate_demo()
    area = leipziger_osten()
    period = Period(date(2024, 11, 1), date(2026, 10, 31))
    res = emerging_hotspots(demo["syringe_find"], "syringe_find", period, area)  # automatic cell size and band
    assert len(res.slices) == 24 and res.z.shape == (len(res.cells), 24)
    assert "Zellgröße" in res.scale_rule and "Distanzband" in res.scale_rule
    lat, lon = SCENE_PLACES[EMERGING_PLACE]
    x, y = Transformer.from_crs("EPSG:4326", area.crs, always_xy=True).transform(lon, lat)
    grid = make_grid(area.boundary, res.cell)
    near = res.cells[np.hypot(grid.x - x, grid.y - y) <= res.cell * 1.01]  # the place's cell and its neighbours
    assert len(near) >= 3
    assert near["pattern"].isin(["intensifying_hot", "new_hot"]).all()
    assert (near["trend_z"] > 2).all() and (near["trend_p"] < 0.05).all()
    counts = res.pattern_counts()
    assert sum(counts.values()) == len(res.cells) and counts[NO_PATTERN] > 0.5 * len(res.cells)


def test_too_few_slices_refused():
    with pytest.raises(UserError, match="Zeitabschnitte"):
        emerging_hotspots(generate_demo()["syringe_find"], "syringe_find", Period(date(2026, 1, 1), date(2026, 2, 28)),
                          leipziger_osten(), cell=200, band=400)


def test_cli_emerging(demo_store, tmp_path, capsys):
    out = tmp_path / "trend.geojson"
    rc = main(["emerging", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2024-11-01",
               "--to", "2026-10-31", "--slice", "2months", "--cell", "150", "--band", "300", "--out", str(out)])
    assert rc == 0
    cells = gpd.read_file(out)
    assert {"pattern", "pattern_label", "trend_z", "trend_p", "n_hot"} <= set(cells.columns)
    assert set(cells["pattern"]) <= set(PATTERNS)
    text = capsys.readouterr().out
    assert "12 Zeitabschnitte" in text and "Sich verstärkender Hotspot" in text
