"""Tests for geo.analysis.coverage: coverage of finds by disposal bins, hot cells, removal ranking."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bins_cases import CRS, JAN, X0, Y0, hand_case_frames  # noqa: E402

from geo.analysis.coverage import analyse_coverage  # noqa: E402
from geo.analysis.siting import suggest_bins  # noqa: E402
from geo.core.errors import UserError  # noqa: E402


@pytest.fixture
def hand_case():
    """See :func:`bins_cases.hand_case_frames`."""
    return hand_case_frames()


def test_coverage_hand_made_exact_values(hand_case):
    finds, bins = hand_case
    cov = analyse_coverage(finds, bins, period=JAN, radius_m=150)
    assert cov.n_finds == 5 and cov.n_syringes == 15
    assert cov.covered_finds == 4 and cov.covered_syringes == 10
    assert cov.share_finds == pytest.approx(0.8)
    assert cov.share_syringes == pytest.approx(10 / 15)
    assert cov.finds["record_id"].tolist() == ["f0", "f1", "f2", "f3", "f4"]
    assert cov.finds["n_bins"].tolist() == [1, 2, 2, 1, 0]
    np.testing.assert_allclose(cov.finds["nearest_bin_m"], [50, 100, 50, 110, 750])
    assert cov.uncovered_finds["record_id"].tolist() == ["f4"]
    b = cov.bins.set_index("label")
    assert b.index.tolist() == ["A", "B", "leer"]  # removed on 1 Jan still counts; future/old ones do not
    assert b["covered_finds"].tolist() == [3, 3, 0]
    assert b["covered_syringes"].tolist() == [6, 9, 0]
    assert b["unique_finds"].tolist() == [1, 1, 0]
    assert b["unique_syringes"].tolist() == [1, 4, 0]
    assert b["idle"].tolist() == [False, False, True]
    assert cov.idle_bins["label"].tolist() == ["leer"]
    assert b["rank"].tolist() == [2, 1, 3]
    assert cov.removal_ranking["label"].tolist() == ["leer", "A", "B"]
    summary = cov.summary()
    assert summary["idle_bins"] == 1 and summary["bins"] == 3


def test_coverage_radius_and_weight_options(hand_case):
    finds, bins = hand_case
    small = analyse_coverage(finds, bins, period=JAN, radius_m=100)
    assert small.finds["n_bins"].tolist() == [1, 2, 1, 0, 0]  # f2 at 150 from A drops out, f3 at 110 too
    assert small.covered_syringes == 6
    by_finds = analyse_coverage(finds, bins, period=JAN, weight="finds")
    # A and B both cover one find alone and three in all: tie broken by input order
    assert by_finds.bins["rank"].tolist() == [1, 2, 3]
    everything = analyse_coverage(finds, bins)  # no period: all finds, all bins
    assert everything.n_finds == 6 and len(everything.bins) == 5
    assert everything.covered_finds == 6
    with pytest.raises(UserError):
        analyse_coverage(finds, bins, radius_m=0)


def test_coverage_without_bins_or_finds(hand_case):
    finds, bins = hand_case
    cov = analyse_coverage(finds, bins.iloc[:0], period=JAN)
    assert cov.covered_finds == 0 and cov.share_finds == 0.0
    assert cov.finds["nearest_bin_m"].isna().all()
    empty = analyse_coverage(finds.iloc[:0], bins, period=JAN)
    assert empty.n_finds == 0 and math.isnan(empty.share_syringes)
    assert empty.bins["idle"].all()


def test_uncovered_hot_cells(hand_case):
    finds, bins = hand_case
    cells = gpd.GeoDataFrame(
        {"gi_class": [3, 1, -2, 0]},
        geometry=[shapely.box(X0 + x - 25, Y0 - 25, X0 + x + 25, Y0 + 25) for x in (0, 1000, 2000, 360)],
        crs=CRS,
    )
    cov = analyse_coverage(finds, bins, period=JAN, hot_cells=cells)
    assert cov.hot_cells["gi_class"].tolist() == [3, 1]  # only hot cells
    assert cov.hot_cells["covered"].tolist() == [True, False]
    assert cov.uncovered_hot_cells["gi_class"].tolist() == [1]
    res = suggest_bins(cov, 1, grid_m=10)
    assert res.hot_cells["covered_after"].tolist() == [True, True]

