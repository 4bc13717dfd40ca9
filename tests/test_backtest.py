"""Tests of geo.analysis.backtest: selection = select_top_cells, PAI and hit rate by hand, no look-ahead, auto."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from forecast_cases import drifting as _drifting
from forecast_cases import monthly
from forecast_cases import stable as _stable
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.backtest import backtest, neighbour_sums, recapture_rate_index, top_cells
from geo.analysis.compare import select_top_cells
from geo.analysis.forecast import forecast, forecast_from_counts
from geo.analysis.forecast_surfaces import Candidate
from geo.core.area import leipziger_osten
from geo.core.grid import make_grid
from geo.core.period import Period
from geo.data.demo import generate_demo


@pytest.fixture(scope="module")
def box_grid():
    return make_grid(shapely.box(0, 0, 3000, 3000), 100, "square")


@pytest.fixture(scope="module")
def demo():
    return generate_demo()


@pytest.fixture(scope="module")
def area():
    return leipziger_osten()


# ---------------------------------------------------------------------------- selection and scores
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=120, max_size=120), st.sampled_from([0.01, 0.03, 0.1, 0.5, 1.0]))
def test_top_cells_equal_select_top_cells(values, share):
    grid = make_grid(shapely.box(0, 0, 1200, 1000), 100, "square")
    v = np.array(values[: grid.n] + [0] * max(0, grid.n - len(values)), dtype=float)
    assert (top_cells(v, share, grid=grid) == select_top_cells(v, share, grid=grid)).all()
    assert (top_cells(v, share) == select_top_cells(v, share)).all()


def test_pai_and_hit_rate_equal_a_direct_computation(box_grid):
    rng = np.random.default_rng(11)
    periods = monthly(6)
    counts = rng.poisson(rng.gamma(0.3, 1.0, box_grid.n), size=(6, box_grid.n)).astype(float)
    bt = backtest(box_grid, counts, periods, share=0.05, candidates=[Candidate("counts", 1, 1)])
    for target in range(1, 6):
        prev, nxt = counts[target - 1], counts[target]
        mask = select_top_cells(prev, 0.05, grid=box_grid)  # the reference selection (compare)
        assert mask.sum() == math.ceil(0.05 * box_grid.n)
        hit = nxt[mask].sum() / nxt.sum()
        pai = hit / (mask.sum() / box_grid.n)
        row = bt.scores[(bt.scores["method"] == "counts w=1") & (bt.scores["target"] == target)].iloc[0]
        assert row["hit_rate"] == pytest.approx(hit) and row["pai"] == pytest.approx(pai)
        assert row["area_share"] == pytest.approx(mask.mean())
        rri = (nxt[mask].sum() / prev[mask].sum()) / (nxt.sum() / prev.sum())
        assert row["rri"] == pytest.approx(rri)
    # the table is the mean over the scored periods, the spread their standard deviation
    s = bt.scores[bt.scores["method"] == "counts w=1"]
    r = bt.row("counts w=1")
    assert r["pai"] == pytest.approx(s["pai"].mean()) and r["pai_sd"] == pytest.approx(s["pai"].std(ddof=1))
    assert r["periods"] == 5 and bool(r["chosen"])


def test_pai_by_hand_on_four_cells():
    grid = make_grid(shapely.box(0, 0, 200, 200), 100, "square")
    counts = np.array([[5.0, 1, 0, 0], [6, 2, 2, 0]])
    bt = backtest(grid, counts, monthly(2), share=0.25, candidates=[Candidate("counts", 1, 1)])
    row = bt.scores.iloc[0]
    assert (row["area_share"], row["hit_rate"], row["pai"]) == (0.25, 0.6, pytest.approx(2.4))
    assert recapture_rate_index(np.array([1, 0, 0, 0], bool), counts[0], counts[1]) == pytest.approx(
        (6 / 5) / (10 / 6))


# ---------------------------------------------------------------------------- no look-ahead
def test_a_future_only_cluster_does_not_help(box_grid):
    rng = np.random.default_rng(5)
    periods = monthly(12)
    west = box_grid.x < 1500
    base = rng.poisson(0.2, size=(12, box_grid.n)) * west
    base = base.astype(float)
    planted = base.copy()
    cluster = rng.choice(np.flatnonzero(box_grid.x > 2200), 20, replace=False)
    planted[11, cluster] += 30  # appears only in the last (scored) period, far from all history
    a = backtest(box_grid, base, periods)
    b = backtest(box_grid, planted, periods)
    sa, sb = a.scores.set_index(["method", "target"]), b.scores.set_index(["method", "target"])
    earlier = sa.index.get_level_values("target") < 11
    pd.testing.assert_frame_equal(sa[earlier], sb[earlier])
    # in the period it is scored on, no method predicts the cluster: it only adds misses
    last_a, last_b = sa.xs(11, level="target"), sb.xs(11, level="target")
    n_a = base[11].sum()
    assert last_b["hit_rate"].to_numpy() == pytest.approx(last_a["hit_rate"].to_numpy() * n_a / (n_a + 600))
    assert (last_b["pai"] < last_a["pai"]).all()
    assert last_a["picked"].iloc[-1] == last_b["picked"].iloc[-1]
    # and a cluster in the future of --to never reaches the forecast
    fa = forecast_from_counts(box_grid, base[:11], periods[:11])
    fb = forecast_from_counts(box_grid, planted[:11], periods[:11])
    assert fa.cells["cell_id"].tolist() == fb.cells["cell_id"].tolist()


# ---------------------------------------------------------------------------- auto picks the right one
def test_auto_picks_counts_for_a_stable_cluster(box_grid):
    bt = backtest(box_grid, _stable(box_grid, 24, np.random.default_rng(1)), monthly(24))
    assert bt.chosen.family == "counts", bt.table.head()
    assert int(bt.chosen.param) >= 6  # a stable pattern: the longest memory predicts best


def test_auto_picks_decay_or_kde_for_a_drifting_cluster(box_grid):
    bt = backtest(box_grid, _drifting(box_grid, 24, np.random.default_rng(2)), monthly(24))
    assert bt.chosen.family in ("decay", "kde"), bt.table.head()
    best_counts = bt.table[bt.table["family"] == "counts"]["pai"].max()
    assert bt.chosen_row["pai"] > best_counts


def _auto_within_spread(bt):
    auto = bt.row("auto")
    best = bt.chosen_row
    assert best["pai"] == bt.table[bt.table["method"] != "auto"]["pai"].max()
    assert auto["pai"] >= best["pai"] - best["pai_sd"], bt.table
    assert auto["periods"] == best["periods"]


def test_auto_on_the_demo_data(demo, area):
    result = forecast(demo["syringe_find"], "syringe_find", area, Period(date(2026, 10, 1), date(2026, 10, 31)))
    bt = result.backtest
    assert len(bt.periods) == 24 and bt.row("auto")["periods"] >= 20
    _auto_within_spread(bt)
    assert bt.chosen_row["pai"] > 5  # the demo scene is concentrated
    assert bt.table["chosen"].sum() == 1 and result.method.name in result.cells["method"].unique()
    assert "im Mittel" in result.summary() and "3 % der Fläche" in result.summary()


def test_auto_on_a_noisy_synthetic_city(box_grid):
    rng = np.random.default_rng(9)
    stable = _stable(box_grid, 24, rng)
    drift = _drifting(box_grid, 24, rng)
    noise = rng.poisson(0.4, size=stable.shape)
    _auto_within_spread(backtest(box_grid, stable + drift + noise, monthly(24)))


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_neighbour_sums_equal_window_sums(shape):
    grid = make_grid(shapely.Point(0, 0).buffer(900), 70, shape)
    v = np.random.default_rng(0).poisson(1.0, grid.n).astype(float)
    ids = np.arange(0, grid.n, 3)
    for band in (105.0, 200.0):
        assert neighbour_sums(grid, v, ids, band) == pytest.approx(grid.window_sum(v, band)[ids])


def test_backtest_shortcuts_equal_the_pure_surfaces(box_grid):
    """Decay (recursive), fixed-bandwidth kde (convolved once per period), Gi* (band sums of all periods at
    once), counts and blend (prefix sums) equal surface() per origin."""
    from geo.analysis.forecast import BLEND_LONG, surface

    counts = _drifting(box_grid, 10, np.random.default_rng(8)) + _stable(box_grid, 10, np.random.default_rng(8))
    periods = monthly(10)
    cands = [Candidate("decay", 1.0, 0), Candidate("decay", 0.5, 0), Candidate("kde", 2.0, 3),
             Candidate("kde", "arcgis", 1), Candidate("kde", "arcgis", 3), Candidate("gistar", 1.5, 1),
             Candidate("gistar", 3.0, 1), Candidate("counts", 3, 3), Candidate("counts", 12, 12),
             Candidate("blend", 0.3, BLEND_LONG)]
    bt = backtest(box_grid, counts, periods, candidates=cands)
    for c in cands:
        for k in range(1, 10):
            mask = top_cells(surface(c, box_grid, counts[:k]), 0.03, grid=box_grid)
            want = counts[k][mask].sum() / counts[k].sum()
            got = bt.scores[(bt.scores["method"] == c.name) & (bt.scores["target"] == k)]["hit_rate"].iloc[0]
            assert got == pytest.approx(want), (c.name, k)
