"""Tests for geo.analysis.covering: the maximal covering location solvers (exact, greedy, reductions)."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from geo.analysis.covering import (
    aggregate_demand,
    covered_weight,
    reduce_model,
    solve_exact,
    solve_greedy,
    solve_mclp,
)


def random_instance(seed: int, n_dem: int = 60, n_cand: int = 70, radius: float = 150.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1200, (5, 2))
    dem = centres[rng.integers(0, 5, n_dem)] + rng.normal(0, 120, (n_dem, 2))
    cand = rng.uniform(-100, 1300, (n_cand, 2))
    w = rng.integers(1, 8, n_dem).astype(float)
    dist = np.hypot(*(dem[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    return dist, w, radius


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_exact_equals_spopt_mclp():
    pulp = pytest.importorskip("pulp")
    spopt_locate = pytest.importorskip("spopt.locate")
    for seed, k in ((1, 2), (2, 4)):
        dist, w, radius = random_instance(seed, n_dem=40, n_cand=30)
        mclp = spopt_locate.MCLP.from_cost_matrix(dist, w, service_radius=radius, p_facilities=k)
        mclp = mclp.solve(pulp.PULP_CBC_CMD(msg=False))
        spopt_value = pulp.value(mclp.problem.objective)
        spopt_sites = np.array([j for j, v in enumerate(mclp.fac_vars) if v.value() > 0.5])
        ours = solve_exact(dist <= radius, w, k)
        assert ours.optimal and ours.method == "exact"
        assert ours.objective == pytest.approx(spopt_value)
        assert covered_weight(dist <= radius, w, spopt_sites) == pytest.approx(ours.objective)
        assert len(ours.selected) <= k
        assert covered_weight(dist <= radius, w, ours.selected) == pytest.approx(ours.objective)


def test_exact_beats_greedy_on_the_classic_trap():
    # sites: S0 = {1,2,3,4}, S1 = {0,1,2}, S2 = {3,4,5}; greedy takes S0 first and ends at 5 of 6
    cover = np.zeros((6, 3), dtype=bool)
    cover[[1, 2, 3, 4], 0] = True
    cover[[0, 1, 2], 1] = True
    cover[[3, 4, 5], 2] = True
    w = np.ones(6)
    greedy = solve_greedy(cover, w, 2)
    exact = solve_exact(cover, w, 2)
    assert greedy.selected[0] == 0 and greedy.objective == 5
    assert greedy.gains.tolist() == [4, 1]
    assert exact.objective == 6 and sorted(exact.selected.tolist()) == [1, 2]
    assert exact.gains.tolist() == [3, 3]


@pytest.mark.parametrize("seed", range(6))
def test_greedy_reaches_one_minus_one_over_e(seed):
    dist, w, radius = random_instance(seed)
    for k in (1, 3, 5):
        exact = solve_exact(dist <= radius, w, k)
        greedy = solve_greedy(dist <= radius, w, k)
        assert exact.optimal
        assert greedy.objective <= exact.objective + 1e-9
        assert greedy.objective >= (1 - 1 / math.e) * exact.objective
        assert np.all(np.diff(greedy.gains) <= 1e-9)  # marginal gains never grow
        assert greedy.gains.sum() == pytest.approx(greedy.objective)


def test_solvers_edge_cases():
    cover = np.array([[1, 0], [1, 0], [0, 0]], dtype=bool)
    w = np.array([2.0, 3.0, 7.0])
    for solve in (solve_exact, solve_greedy):
        sol = solve(cover, w, 5)  # k larger than useful sites: only the useful one
        assert sol.selected.tolist() == [0] and sol.objective == 5.0
        assert solve(cover, w, 0).objective == 0.0
    assert len(solve_greedy(cover, w, 2, stop_when_no_gain=False).selected) == 2


def test_reduce_model_and_brute_force_optimum():
    cover = np.array([
        [1, 1, 0, 1, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 1, 0, 0],  # same sites as the row above: merged
        [0, 0, 0, 0, 0],  # covered by nobody: dropped
    ], dtype=bool)
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    a, wr, sites = reduce_model(cover, w)
    assert sites.tolist() == [0, 2]  # 1 equals 0, 3 lies within 0, 4 covers nothing
    assert sorted(wr.tolist()) == [3.0, 7.0] and a.shape == (2, 2)

    rng = np.random.default_rng(9)
    for _ in range(5):
        dem = rng.uniform(0, 600, (30, 2))
        cand = rng.uniform(0, 600, (12, 2))
        w = rng.integers(1, 9, 30).astype(float)
        cover = np.hypot(*(dem[:, None] - cand[None]).transpose(2, 0, 1)) <= 150
        for k in (2, 3):
            combos = np.array(list(combinations(range(12), k)))
            best = (w @ cover[:, combos].any(axis=2)).max()  # brute force over all site sets
            assert solve_exact(cover, w, k).objective == best
    auto = solve_mclp(cover, w, 3, max_sites=1)
    assert auto.method == "greedy"
    assert solve_mclp(cover, w, 3).method == "exact"
    with pytest.raises(ValueError):
        solve_mclp(cover, w, 3, method="simplex")


def test_aggregate_demand():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (500, 2))
    w = rng.integers(1, 5, 500).astype(float)
    d_xy, d_w, label = aggregate_demand(xy, w, 10.0)
    assert d_w.sum() == pytest.approx(w.sum())
    assert len(d_xy) <= 100 and label.max() == len(d_xy) - 1
    assert np.hypot(*(d_xy[label] - xy).T).max() <= 10 * math.sqrt(2)
    same = aggregate_demand(np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]), np.ones(3), 0)
    assert same[1].tolist() == [2.0, 1.0]

