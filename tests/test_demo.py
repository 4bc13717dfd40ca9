"""Demo data: reproducible, inside the study area, valid for import, with the documented planted effects."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from geo.core.area import leipziger_osten
from geo.data import demo
from geo.data.store import Store


@pytest.fixture(scope="module")
def data():
    return demo.generate_demo()


def _xy(name):
    tr = demo._Gen(0, leipziger_osten()).tr
    lat, lon = demo.SCENE_PLACES.get(name) or demo.LANDMARKS[name]
    return np.array(tr.transform(lon, lat))


def _near(gdf, name, radius):
    x, y = _xy(name)
    return gdf[np.hypot(gdf.geometry.x - x, gdf.geometry.y - y) <= radius]


def test_same_seed_same_data_other_seed_other_data(data):
    again = demo.generate_demo()
    for kind, frame in data.items():
        pd.testing.assert_frame_equal(frame.drop(columns="geometry"), again[kind].drop(columns="geometry"))
        assert frame.geometry.geom_equals_exact(again[kind].geometry, tolerance=0).all()
    other = demo.generate_demo(seed=1)
    assert len(other["syringe_find"]) != len(data["syringe_find"]) or not np.allclose(
        other["syringe_find"].geometry.x, data["syringe_find"].geometry.x)


def test_volume_period_and_area(data):
    finds = data["syringe_find"]
    assert 4000 < len(finds) < 12000
    assert finds["found_at"].min() >= pd.Timestamp(demo.DEMO_START)
    assert finds["found_at"].max() < pd.Timestamp("2026-11-01")
    assert leipziger_osten().contains(finds.geometry.values).all()
    assert set(data) >= {"syringe_find", "complaint", "scene_observation", "sensitive_place", "disposal_bin",
                         "greenery_cut", "structural_change", "police_presence", "streetwork"}
    assert "Kita Köhlerplatz" in set(data["sensitive_place"]["name"])
    assert data["structural_change"]["description"].str.contains("Kita Köhlerplatz").all()


def test_planted_bin_effect(data):
    finds = _near(data["syringe_find"], demo.BIN_PLACE, demo.BIN_EFFECT_RADIUS_M)
    t = finds["found_at"]
    start = pd.Timestamp(demo.BIN_INSTALLED)
    before = ((t >= start - pd.DateOffset(months=12)) & (t < start)).sum()
    after = ((t >= start) & (t < start + pd.DateOffset(months=12))).sum()
    assert 0.5 < after / before < 0.7  # about −40 %


def test_planted_displacement(data):
    finds = data["syringe_find"]
    start = pd.Timestamp(demo.DISPLACEMENT_START)

    def counts(name):
        t = _near(finds, name, 150)["found_at"]
        return (((t >= start - pd.DateOffset(months=6)) & (t < start)).sum(), (t >= start).sum())

    old_before, old_after = counts(demo.DISPLACEMENT_FROM)
    new_before, new_after = counts(demo.DISPLACEMENT_TO)
    assert old_after < 0.7 * old_before
    assert new_after > 3 * max(new_before, 1)


def test_planted_emerging_place_grows_steadily(data):
    t = _near(data["syringe_find"], demo.EMERGING_PLACE, 120)["found_at"]
    monthly = t.dt.to_period("M").value_counts().sort_index()
    slope = np.polyfit(np.arange(len(monthly)), monthly.to_numpy(), 1)[0]
    assert slope > 1.0
    assert monthly.iloc[-6:].mean() > 3 * monthly.iloc[:6].mean()


def test_demo_imports_without_rejects(tmp_path):
    store = Store(tmp_path / "demo.gpkg", leipziger_osten())
    reports = demo.load_demo(store, now=datetime(2026, 11, 22))
    assert all(r.rejected == 0 for r in reports)
    assert store.count("syringe_find") == len(demo.generate_demo()["syringe_find"])
    again = demo.load_demo(store, now=datetime(2026, 11, 22))
    assert sum(r.stored for r in again) == 0
