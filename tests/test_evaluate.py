"""Tests of geo.analysis.evaluate: WDD against the published values, WDQ and DiD by hand, the demo's bin and
police presence, measure lookup and the CLI."""

from __future__ import annotations

import math
from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.analysis.evaluate import (
    VERDICTS,
    did_ratio,
    evaluate_measure,
    evaluate_measures,
    evaluation_windows,
    find_measure,
    measure_areas,
    verdict,
    wdd,
    wdq,
)
from geo.analysis.timeseries import measure_table
from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.period import Period
from geo.data.demo import BIN_INSTALLED, BIN_PLACE, DISPLACEMENT_START, generate_demo

#: Radius and buffer for the displacement check at the Rabet: the police area itself
#: (500 m x 200 m) and a 500 m ring that reaches Neustädter Markt (about 450 m north of the Rabet).
RABET_RADIUS_M = 0.0
RABET_BUFFER_M = 500.0


@pytest.fixture(scope="module")
def demo():
    return generate_demo()


@pytest.fixture(scope="module")
def measures(demo):
    return measure_table(demo)


@pytest.fixture(scope="module")
def area():
    return leipziger_osten()


def _measure(measures, kind: str, start: date):
    hit = measures[(measures["kind"] == kind) & (measures["start"] == np.datetime64(start))]
    assert len(hit) == 1
    return hit.iloc[0]


# ---------------------------------------------------------------------------- statistics
def test_wdd_reproduces_wheeler_ratcliffe_paper():
    # Wheeler & Ratcliffe (2018), also the test of ptools::wdd: WDD -118, SE sqrt(1568), Z -2.98, CI -196..-40
    res = wdd((308, 318), (207, 110), (150, 140), (178, 157), alpha=0.05)
    assert res["est_local"] == -107 and res["est_displace"] == -11 and res["est_total"] == -118
    assert res["se_total"] == pytest.approx(math.sqrt(1568))
    assert round(res["z"], 2) == -2.98
    assert (round(res["ci_low"]), round(res["ci_high"])) == (-196, -40)


def test_wdd_time_and_area_weights_as_ptools():
    res = wdd((100, 50), (80, 20), time_weights=(2, 1), alpha=0.05)
    assert res["est_total"] == pytest.approx(-20) and res["se_total"] == pytest.approx(math.sqrt(115))
    res = wdd((308, 318), (207, 110), (150, 140), (178, 157), area_weights=(0.9, 1.2, 1.6, 1.5), alpha=0.05)
    assert res["est_total"] == pytest.approx(-99.69444444)
    assert res["se_total"] == pytest.approx(35.4280755)
    assert res["z"] == pytest.approx(-2.813995483)
    assert (res["ci_low"], res["ci_high"]) == (pytest.approx(-169.1321965), pytest.approx(-30.25669241))


def test_wdq_by_hand():
    # T 100 -> 50, D 50 -> 75, C 200 -> 200: (75/200 - 50/200) / (50/200 - 100/200) = 0.125 / -0.25 = -0.5
    assert wdq((100, 50), (50, 75), (200, 200)) == pytest.approx(-0.5)
    assert wdq((100, 50), (50, 25), (200, 200)) == pytest.approx(0.5)
    assert math.isnan(wdq((10, 10), (5, 5), (0, 3)))


def test_did_ratio_by_hand():
    res = did_ratio((100, 50), (200, 220))
    assert res["ratio"] == pytest.approx(0.5 / 1.1)
    se = math.sqrt(1 / 100 + 1 / 50 + 1 / 200 + 1 / 220)
    assert res["ci_high"] == pytest.approx(math.exp(math.log(0.5 / 1.1) + 1.959963985 * se))
    assert res["expected"] == pytest.approx(110) and res["difference"] == pytest.approx(-60)
    zero = did_ratio((0, 4), (10, 10))
    assert zero["corrected"] == 1.0 and zero["ratio"] == pytest.approx((4.5 / 0.5) / 1.0)


def test_verdict_rules():
    drop = {"ratio": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    flat = {"ratio": 1.0, "ci_low": 0.8, "ci_high": 1.2}
    up = {"ratio": 1.5, "ci_low": 1.2, "ci_high": 1.8}
    assert verdict(flat, up) == "no_effect"
    assert verdict(drop, up) == "displacement"
    assert verdict(drop, drop) == "diffusion"
    assert verdict(drop, flat) == "effect"
    assert {VERDICTS[c][0] for c in VERDICTS} >= {"Wirkung", "Verdrängung", "Ausstrahlung", "kein Effekt"}


def test_windows_are_equal_and_shortened():
    data = Period(date(2024, 11, 1), date(2026, 10, 31))
    before, after, notes = evaluation_windows(date(2025, 11, 1), window_days=180, data=data)
    assert before == Period(date(2025, 5, 5), date(2025, 10, 31)) and after.days == before.days == 180 and not notes
    before, after, notes = evaluation_windows(date(2026, 5, 1), end=date(2026, 5, 31), data=data)
    assert after == Period(date(2026, 5, 1), date(2026, 5, 31)) and before.days == 31 and notes
    assert evaluation_windows(date(2024, 11, 10), data=data)[0] is None


def test_measure_areas_are_disjoint(area):
    point = shapely.Point(area.boundary.centroid)
    areas = measure_areas(point, area.boundary, buffer_m=300)
    treated, ring, control = areas.geometry.values
    assert treated.area == pytest.approx(math.pi * 150**2, rel=0.01)
    assert ring.area == pytest.approx(math.pi * (450**2 - 150**2), rel=0.01)
    assert shapely.intersection(treated, ring).area < 1 and shapely.intersection(ring, control).area < 1
    assert treated.area + ring.area + control.area == pytest.approx(area.boundary.area, rel=1e-6)
    with pytest.raises(UserError):
        measure_areas(point, area.boundary, radius_m=0)


# ---------------------------------------------------------------------------- demo effects
def test_bin_shows_significant_drop_within_150_m(demo, measures, area):
    row = _measure(measures, "disposal_bin", BIN_INSTALLED)
    assert BIN_PLACE in row["title"]
    ev = evaluate_measure(row, demo["syringe_find"], "syringe_find", area, radius_m=150)
    t0, t1 = ev.counts.loc["treated", ["before", "after"]]
    assert t1 < 0.7 * t0
    assert ev.did["ci_high"] < 1 and ev.did["p"] < 0.001
    assert 0.4 < ev.did["ratio"] < 0.8  # planted: each find kept with probability 0.6
    assert ev.wdd_local["z"] < -3
    assert ev.verdict == "effect" and ev.verdict_label == "Wirkung"


def test_police_presence_at_rabet_displaces_to_neustaedter_markt(demo, measures, area):
    row = _measure(measures, "police_presence", DISPLACEMENT_START)
    ev = evaluate_measure(row, demo["syringe_find"], "syringe_find", area, radius_m=RABET_RADIUS_M,
                          buffer_m=RABET_BUFFER_M)
    assert ev.before.days == ev.after.days == 180
    assert ev.did["ci_high"] < 1
    assert ev.wdq < 0
    assert ev.buffer_did["ci_low"] > 1
    assert ev.verdict == "displacement" and ev.verdict_label == "Verdrängung"
    assert ev.wdd_net["est_total"] > ev.wdd_local["est_total"]  # the buffer ring gained
    summary = ev.summary()
    assert summary["verdict"] == "displacement" and summary["treated_before"] > summary["treated_after"]


def test_evaluate_all_measures(demo, measures, area):
    table = evaluate_measures(measures, demo["syringe_find"], "syringe_find", area)
    assert len(table) == len(measures)
    assert set(table["verdict"]) <= set(VERDICTS)
    # bins installed before the data begin cannot be evaluated
    old = table["start"] < np.datetime64("2024-11-01")
    assert (table.loc[old, "verdict"] == "not_evaluable").all() and old.sum() == 3


def test_find_measure_by_prefix(demo_store):
    from geo.core.schema import MEASURE_KINDS

    measures = measure_table({k: demo_store.read(k) for k in MEASURE_KINDS})
    rid = measures["record_id"].iloc[0]
    assert measures["record_id"].is_unique and len(rid) == 16
    assert find_measure(measures, rid[:12].upper())["title"] == measures["title"].iloc[0]
    assert find_measure(measures, rid)["title"] == measures["title"].iloc[0]
    with pytest.raises(UserError, match="Keine Maßnahme"):
        find_measure(measures, "zzzz")
    title = measures["title"].iloc[0]
    assert find_measure(measures, title.upper())["record_id"] == rid  # by its name, case-insensitive
    with pytest.raises(UserError, match="passt auf"):
        find_measure(measures, "e")  # a part of many names


def test_verdict_sensitivity_shows_the_flip_at_the_rabet(demo, measures, area):
    from geo.analysis.sensitivity import verdict_sensitivity

    police = _measure(measures, "police_presence", DISPLACEMENT_START)
    records = {k: demo[k] for k in ("syringe_find", "scene_observation")}
    sens = verdict_sensitivity(police, records, area, kind="syringe_find", radius_m=0, buffers_m=(300, 500))
    table = sens.table.set_index(["report_kind", "buffer_m"])
    assert len(table) == 4 and table["default"].sum() == 1 and table.loc[("syringe_find", 300.0), "default"]
    assert table.loc[("syringe_find", 500.0), "verdict"] == "displacement"
    assert table.loc[("syringe_find", 300.0), "verdict"] != "displacement"
    assert not sens.stable and sens.sentence().startswith("Vorsicht") and "Ring 500 m: Verdrängung" in sens.sentence()
    direct = evaluate_measure(police, demo["scene_observation"], "scene_observation", area, radius_m=0,
                              buffer_m=500)
    assert table.loc[("scene_observation", 500.0), "verdict"] == direct.verdict
    assert math.isclose(table.loc[("scene_observation", 500.0), "did_ratio"], direct.did["ratio"])


# ---------------------------------------------------------------------------- CLI
def _police_id(store) -> str:
    table = measure_table({"police_presence": store.read("police_presence")})
    return str(table.loc[table["start"] == np.datetime64(DISPLACEMENT_START), "record_id"].iloc[0])


def test_cli_evaluate_one_measure(demo_store, tmp_path, capsys):
    rid = _police_id(demo_store)
    out = tmp_path / "areas.geojson"
    rc = main(["evaluate", "--store", str(demo_store.path), "--measure", rid[:10], "--radius", "0",
               "--buffer", "500", "--window-days", "180", "--kind", "syringe_find", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "Ergebnis: Verdrängung" in text and "WDQ -2," in text
    assert "* Spritzenfunde, Ring 500 m: Verdrängung" in text and "Wie sicher ist das Ergebnis?" in text
    areas = gpd.read_file(out)
    assert areas["role"].tolist() == ["treated", "buffer", "control"] and (areas["before"] > 0).all()


def test_cli_evaluate_lists_and_refuses(demo_store, capsys):
    assert main(["evaluate", "--store", str(demo_store.path)]) == 0
    assert "Wirkung" in capsys.readouterr().out
    assert main(["evaluate", "--store", str(demo_store.path), "--measure", "nonexistent"]) == 2
    assert "Keine Maßnahme" in capsys.readouterr().err
    assert main(["evaluate", "--store", str(demo_store.path), "--measure", "Torgauer Platz"]) == 0
    assert "Spritzenentsorgungsbehälter: Torgauer Platz (ab 01.11.2025)" in capsys.readouterr().out
    assert main(["evaluate", "--store", str(demo_store.path), "--measure", "Rabet"]) == 2  # three measures
    assert "passt auf 3 Maßnahmen" in capsys.readouterr().err
