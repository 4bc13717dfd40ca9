"""Tests of geo.analysis.forecast: the forecast from records, its outputs, the CLI, bin siting with it."""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from forecast_cases import monthly
from forecast_cases import stable as _stable

from geo.analysis.forecast import (
    Candidate,
    backtest,
    backtest_sentence,
    default_candidates,
    demand_weights,
    forecast,
    forecast_areas,
    forecast_from_counts,
    history_periods,
    next_period,
    period_counts,
)
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
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


def test_stacked_points_are_left_out(demo, area):
    finds = demo["syringe_find"].copy()
    finds["location_flag"] = ""
    finds.loc[finds.index[:50], "location_flag"] = "Sammelpunkt"
    period = Period(date(2026, 9, 1), date(2026, 10, 31))
    result = forecast(finds, "syringe_find", area, period)
    assert result.n_left_out == 50
    assert result.n_records == forecast(finds.iloc[50:], "syringe_find", area, period).n_records
