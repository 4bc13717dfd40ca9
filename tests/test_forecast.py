"""Tests of geo.analysis.forecast: surfaces, selection, PAI/hit rate, the rolling-origin backtest, the CLI."""

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

from geo.analysis.compare import select_top_cells
from geo.analysis.forecast import (
    Candidate,
    backtest,
    backtest_sentence,
    blend_surface,
    counts_surface,
    decay_surface,
    default_candidates,
    demand_weights,
    forecast,
    forecast_areas,
    forecast_from_counts,
    history_periods,
    kde_surface,
    neighbour_sums,
    next_period,
    period_counts,
    quartic_kernel,
    recapture_rate_index,
    top_cells,
)
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.grid import make_grid
from geo.core.period import Period
from geo.data.demo import generate_demo


def monthly(n: int, first: date = date(2024, 1, 1)) -> list[Period]:
    out = [Period(first, (pd.Timestamp(first) + pd.DateOffset(months=1)).date() - pd.Timedelta(days=1))]
    while len(out) < n:
        out.append(next_period(out[-1]))
    return out


@pytest.fixture(scope="module")
def box_grid():
    return make_grid(shapely.box(0, 0, 3000, 3000), 100, "square")


@pytest.fixture(scope="module")
def demo():
    return generate_demo()


@pytest.fixture(scope="module")
def area():
    return leipziger_osten()


# ---------------------------------------------------------------------------- surfaces
def test_surfaces_follow_their_formulas():
    h = np.array([[1.0, 0, 2], [0, 3, 1], [4, 0, 0]])  # oldest first
    assert counts_surface(h, 1).tolist() == [4, 0, 0]
    assert counts_surface(h, 2).tolist() == [4, 3, 1]
    assert counts_surface(h, 99).tolist() == [5, 3, 3]
    assert decay_surface(h, 1.0) == pytest.approx([4 + 0 + 0.25, 0.5 * 3, 0.5 + 0.25 * 2])
    assert decay_surface(h, 2.0)[0] == pytest.approx(4 + 2 ** -1 * 1)
    assert blend_surface(h, 0.5, 1, 3) == pytest.approx(0.5 * np.array([4, 0, 0]) + 0.5 * np.array([5, 3, 3]) / 3)
    with pytest.raises(UserError):
        decay_surface(h, 0)


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_kde_surface_equals_direct_kernel_sum(shape):
    grid = make_grid(shapely.box(0, 0, 1500, 1200), 60, shape)
    rng = np.random.default_rng(3)
    counts = np.zeros(grid.n)
    counts[rng.integers(0, grid.n, 40)] += rng.integers(1, 5, 40)
    for b in (45.0, 150.0, 333.0):
        got = kde_surface(grid, counts, b)
        d2 = (grid.x[:, None] - grid.x[None, :]) ** 2 + (grid.y[:, None] - grid.y[None, :]) ** 2
        want = quartic_kernel(d2, b) @ counts
        assert np.allclose(got, want, rtol=1e-9, atol=1e-12 * want.max())
        assert (got[want == 0] == 0).all()
    both = kde_surface(grid, np.column_stack([counts, 2 * counts]), 150.0)
    assert np.allclose(both[:, 1], 2 * kde_surface(grid, counts, 150.0))


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


def test_forecast_ignores_records_after_to(demo, area):
    finds = demo["syringe_find"]
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    a = forecast(finds, "syringe_find", area, period)
    extra = finds[finds["found_at"] > pd.Timestamp("2026-05-01")].copy()
    extra["geometry"] = shapely.points(np.full(len(extra), 319_500.0), np.full(len(extra), 5_690_500.0))
    b = forecast(pd.concat([finds, extra], ignore_index=True), "syringe_find", area, period)
    assert a.cells["cell_id"].tolist() == b.cells["cell_id"].tolist()
    assert a.target == Period(date(2026, 5, 1), date(2026, 6, 30))
    assert a.n_records == b.n_records < len(finds)


# ---------------------------------------------------------------------------- auto picks the right one
def _stable(grid, n_periods: int, rng) -> np.ndarray:
    rate = np.full(grid.n, 0.15)
    hot = rng.choice(grid.n, 40, replace=False)  # scattered single cells (doorways, corners)
    rate[hot] = rng.uniform(0.8, 2.0, 40)
    return rng.poisson(rate, size=(n_periods, grid.n)).astype(float)


def _drifting(grid, n_periods: int, rng) -> np.ndarray:
    """A sparse scene (6 finds a month, spread 150 m) that moves 20 m east every month."""
    out = np.zeros((n_periods, grid.n))
    centre = np.array([1500.0 - 10.0 * n_periods, 1500.0])
    for p in range(n_periods):
        centre = centre + [20.0, rng.normal(0, 10)]
        xy = centre + rng.normal(0, 150, size=(6, 2))
        ids = grid.cell_ids_at(xy[:, 0], xy[:, 1])
        out[p] += np.bincount(ids[ids >= 0], minlength=grid.n)
        out[p] += rng.poisson(0.01, grid.n)
    return out


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


# ---------------------------------------------------------------------------- forecast result
def test_forecast_cells_are_ranked_and_cover_the_share(box_grid):
    counts = _stable(box_grid, 12, np.random.default_rng(4))
    result = forecast_from_counts(box_grid, counts, monthly(12), share=0.03, method="counts")
    cells = result.cells
    assert len(cells) == math.ceil(0.03 * box_grid.n)
    assert cells["rank"].tolist() == list(range(1, len(cells) + 1))
    assert (np.diff(cells["value"].to_numpy()) <= 0).all()
    assert result.expected.sum() == pytest.approx(counts[-3:].sum(axis=1).mean())
    assert result.method.family == "counts" and set(cells["method"]) == {result.method.name}
    assert result.target == next_period(monthly(12)[-1])
    polys = forecast_areas(result)
    assert len(polys) == len(cells) and set(polys.geom_type) == {"Polygon"}
    assert len(forecast_areas(result, dissolve=True)) == 1
    xs, ys = box_grid.x[cells["cell_id"]], box_grid.y[cells["cell_id"]]
    w = demand_weights(result, xs, ys)
    assert w == pytest.approx(cells["expected"].to_numpy())
    w2 = demand_weights(result, np.r_[xs[:1], xs[:1] + 10], np.r_[ys[:1], ys[:1]])  # two finds, one cell
    assert w2 == pytest.approx([cells["expected"].iloc[0] / 2] * 2)
    assert demand_weights(result, xs[:1], ys[:1], share_cell=False) == pytest.approx(cells["expected"].iloc[:1])
    assert demand_weights(result, np.array([-500.0]), np.array([-500.0])).tolist() == [0.0]
    with pytest.raises(UserError):
        forecast_from_counts(box_grid, counts, monthly(12), method="magic")


def test_periods_and_counts():
    p = Period(date(2026, 9, 1), date(2026, 10, 31))
    assert next_period(p) == Period(date(2026, 11, 1), date(2026, 12, 31))
    assert next_period(Period(date(2026, 1, 5), date(2026, 1, 14))) == Period(date(2026, 1, 15), date(2026, 1, 24))
    hist = history_periods(p, pd.Timestamp("2026-02-10"))
    assert [str(h) for h in hist] == ["2026-01-01/2026-02-28", "2026-03-01/2026-04-30", "2026-05-01/2026-06-30",
                                      "2026-07-01/2026-08-31", "2026-09-01/2026-10-31"]
    assert len(history_periods(p, pd.Timestamp("2000-01-01"), 5)) == 5
    grid = make_grid(shapely.box(0, 0, 200, 200), 100, "square")
    t = np.array(["2025-12-31T23:00", "2026-01-01", "2026-02-28T23:59", "2026-03-01", "2026-11-01"],
                 dtype="datetime64[ns]")
    c = period_counts(grid, np.full(5, 50.0), np.full(5, 50.0), t, hist)
    assert c[:, 0].tolist() == [2, 1, 0, 0, 0] and c.sum() == 3


def test_sentence_in_plain_german(box_grid):
    counts = _stable(box_grid, 12, np.random.default_rng(4))
    periods = [Period(date(2024, 1, 1), date(2024, 12, 31))]
    for _ in range(11):
        periods.append(next_period(periods[-1]))
    bt = backtest(box_grid, counts, periods, candidates=[Candidate("decay", 2.0, 0), Candidate("decay", 0.5, 0),
                                                        Candidate("counts", 1, 1)])
    text = backtest_sentence(bt, Candidate("counts", 1, 1))
    assert text.startswith("Die Karte aus den Funden der letzten 12 Monate hätte in den letzten 11 Zeiträumen "
                           "im Mittel ")
    assert "% der Funde auf 3 % der Fläche vorhergesagt" in text
    assert "Zeitgewichtung (Halbwertszeit 24 Monate)" in backtest_sentence(bt, Candidate("decay", 2.0, 0))
    assert "Halbwertszeit 6 Monate" in backtest_sentence(bt, Candidate("decay", 0.5, 0))
    assert {c.name for c in default_candidates()} >= {"counts w=1", "decay h=1", "kde b=ArcGIS w=1",
                                                      "gistar d=1.5c", "blend a=0.5"}


def test_empty_history_is_a_german_error(area, demo):
    finds = demo["syringe_find"]
    with pytest.raises(UserError, match="Keine Datensätze"):
        forecast(finds, "syringe_find", area, Period(date(2020, 1, 1), date(2020, 1, 31)))
    with pytest.raises(UserError, match="Flächenanteil"):
        forecast(finds, "syringe_find", area, Period(date(2026, 1, 1), date(2026, 1, 31)), share=3)
    empty = gpd.GeoDataFrame({"found_at": pd.Series([], dtype="datetime64[ns]")}, geometry=[], crs=area.crs)
    with pytest.raises(UserError):
        forecast(empty, "syringe_find", area, Period(date(2026, 1, 1), date(2026, 1, 31)))


# ---------------------------------------------------------------------------- CLI
def test_cli_forecast_writes_ranked_cells_and_prints_the_backtest(demo_store, tmp_path, capsys):
    from geo.cli import main

    out = tmp_path / "prognose.geojson"
    rc = main(["forecast", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-07-01",
               "--to", "2026-08-31", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    cells = gpd.read_file(out)
    assert list(cells.columns[:3]) == ["rank", "expected", "method"]
    assert cells["rank"].tolist() == list(range(1, len(cells) + 1))
    assert (cells["expected"] > 0).all() and cells["method"].nunique() == 1
    grid = make_grid(leipziger_osten().boundary, 100, "hex")
    assert len(cells) == math.ceil(0.03 * grid.n)
    for word in ("Methode", "PAI", "Trefferquote", "Zeiträume", "auto", "Gewählt:", "01.09.2026 – 31.10.2026"):
        assert word in text
    chosen = cells["method"].iloc[0]
    assert f"→ {chosen}" in text
    # only records up to --to: the period after is not in the history
    assert "bis 31.08.2026" in text


def test_cli_forecast_method_and_share(demo_store, tmp_path, capsys):
    from geo.cli import main

    out = tmp_path / "p.csv"
    rc = main(["forecast", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "01.09.2026",
               "--to", "30.09.2026", "--share", "0.1", "--method", "kde", "--out", str(out)])
    assert rc == 0
    cells = pd.read_csv(out, sep=";", decimal=",")
    assert cells["method"].str.startswith("kde").all()
    grid = make_grid(leipziger_osten().boundary, 100, "hex")
    assert len(cells) <= math.ceil(0.1 * grid.n)
    capsys.readouterr()


@pytest.mark.parametrize("argv, message", [
    (["--share", "2"], "--share"),
    (["--out", "x.txt"], "Endung"),
    (["--from", "2026-09-30", "--to", "2026-09-01"], "Zeitraum ungültig"),
    (["--from", "2019-01-01", "--to", "2019-01-31"], "Keine Datensätze"),
])
def test_cli_forecast_refuses_bad_input(demo_store, tmp_path, capsys, argv, message):
    from geo.cli import main

    base = {"--kind": "syringe_find", "--from": "2026-09-01", "--to": "2026-09-30",
            "--out": str(tmp_path / "x.csv"), "--share": "0.03"}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value if flag != "--out" else str(tmp_path / value)
    args = ["forecast", "--store", str(demo_store.path)] + [v for kv in base.items() for v in kv]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("Fehler:") and message in err, err
    assert "Traceback" not in err


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


# ---------------------------------------------------------------------------- bin siting with the forecast
def test_bin_siting_weights_demand_by_the_forecast(demo, area):
    from geo.analysis.coverage import analyse_coverage
    from geo.analysis.siting import suggest_bins
    from geo.core.grid import point_coordinates

    period = Period(date(2026, 5, 1), date(2026, 10, 31))
    cov = analyse_coverage(demo["syringe_find"], demo["disposal_bin"], period=period, crs=area.crs)
    result = forecast(demo["syringe_find"], "syringe_find", area, period)
    x, y = point_coordinates(cov.finds, area.crs)
    w = demand_weights(result, x, y)
    assert w.sum() > 0 and (w >= 0).all()
    # the switch is used: with all demand on one uncovered find, the one new bin goes next to it
    open_ = np.flatnonzero(~cov.finds["covered"].to_numpy(bool))
    one = np.zeros(len(w))
    one[open_[0]] = 1.0
    res = suggest_bins(cov, 1, area=area, method="greedy", demand_weights=one)
    site = np.asarray(res.sites.geometry.values)[0]
    assert shapely.distance(site, cov.finds.geometry.values[open_[0]]) <= cov.radius_m + 1e-6
    with pytest.raises(ValueError):
        suggest_bins(cov, 1, area=area, demand_weights=np.ones(3))


def test_cli_bins_demand_forecast(demo_store, tmp_path, capsys):
    from geo.cli import main

    rc = main(["bins", "--store", str(demo_store.path), "--from", "2026-09-01", "--to", "2026-10-31", "--add", "2",
               "--method", "greedy", "--demand", "forecast", "--out", str(tmp_path / "plan.csv")])
    out = capsys.readouterr().out
    assert rc == 0 and "Bedarf: Prognose für 01.11.2026 – 31.12.2026" in out
