"""Weekday × hour tables with aoristic weighting, suggested slots, two periods compared."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.times import (
    WEEKDAYS,
    compare_patterns,
    suggest_slots,
    table_from_arrays,
    time_table,
)

MO, DI, SO = 0, 1, 6


def _t(*values):
    return np.array([np.datetime64(v) for v in values], dtype="datetime64[ns]")


# -------------------------------------------------------------------------------- records
def _records(rows, crs="EPSG:25833"):
    df = pd.DataFrame(rows)
    for c in ("found_at", "time_from", "time_to"):
        if c in df:
            df[c] = pd.to_datetime(df[c])
    return gpd.GeoDataFrame(df, geometry=[shapely.Point(0, 0)] * len(df), crs=crs)


def test_table_total_equals_record_count_and_date_only_apart():
    rec = _records({
        "found_at": ["2026-06-01 08:00", "2026-06-02 14:20", "2026-06-03 00:00", "2026-06-04 00:00", None],
        "time_from": ["2026-05-31 18:00", None, None, None, None],
        "time_to": ["2026-06-01 08:00", None, None, None, None],
        "date_only": [False, False, True, True, False],
    })
    tab = time_table(rec, "syringe_find")
    assert tab.n_records == 5
    assert (tab.n_windowed, tab.n_point, tab.n_date_only, tab.n_undated) == (1, 1, 2, 1)
    assert tab.total == pytest.approx(2.0)  # the records with a time
    assert tab.total + tab.date_only.sum() + tab.n_undated == pytest.approx(tab.n_records)
    assert tab.table[:, 0].sum() == pytest.approx(1 / 14)  # nothing of the date-only records at 00:00
    assert tab.date_only.tolist() == [0, 0, 1, 1, 0, 0, 0]  # Wednesday and Thursday
    assert tab.table[DI, 14] == 1.0
    assert "nur mit Datum" in tab.summary()


def test_missing_columns_mean_no_window():
    rec = _records({"found_at": ["2026-06-01 21:15", "2026-06-01 21:45"]})
    tab = time_table(rec, "syringe_find")
    assert tab.table[MO, 21] == 2.0 and tab.n_windowed == 0 and tab.n_date_only == 0


def test_contradictory_window_falls_back_to_the_date():
    rec = _records({"found_at": ["2026-06-01 09:00"], "time_from": ["2026-06-01 12:00"],
                    "time_to": ["2026-06-01 10:00"]})
    assert time_table(rec, "syringe_find").table[MO, 9] == 1.0


def test_frame_has_the_csv_columns():
    tab = table_from_arrays(_t("2026-06-01T20:10"), _t("2026-06-01T20:10"))
    f = tab.frame()
    assert list(f.columns) == ["weekday", "hour", "weight"] and len(f) == 168
    assert f.loc[(f.weekday == "Mo") & (f.hour == 20), "weight"].item() == 1.0


# -------------------------------------------------------------------------------- slots
def _table(cells: dict[tuple[int, int], float]):
    start = []
    w = []
    for (day, hour), weight in cells.items():
        start.append(np.datetime64("2026-06-01T00:30") + np.timedelta64(day, "D") + np.timedelta64(hour, "h"))
        w.append(weight)
    s = np.array(start, dtype="datetime64[ns]")
    return table_from_arrays(s, s, None, np.array(w), label="Funde")


def test_suggest_slots_picks_heaviest_blocks_and_says_it():
    cells = {(d, h): 5.0 for d in (1, 2, 3, 4) for h in (18, 19, 20, 21)}  # Di–Fr 18–22: 80
    cells |= {(0, 9): 6.0, (6, 3): 6.0, (5, 12): 8.0}  # 20 elsewhere (total 100), no block above 8
    slots = suggest_slots(_table(cells), k=8, block_hours=2, where="am Rabet")
    assert slots.share == pytest.approx(0.8)
    assert len(slots.blocks) == 8
    assert set(zip(slots.blocks.weekday, slots.blocks.start_hour, strict=True)) == {
        (d, h) for d in (1, 2, 3, 4) for h in (18, 20)}
    assert slots.sentence == "Di–Fr 18–22 Uhr: 80 % der Funde am Rabet."


def test_slot_phrase_groups_days_and_hours():
    cells = {(0, 8): 3.0, (2, 8): 3.0, (5, 22): 4.0, (5, 23): 4.0, (6, 0): 1.0}
    slots = suggest_slots(_table(cells), k=3, block_hours=2)
    assert slots.sentence == "Mo, Mi 8–10 Uhr; Sa 22–24 Uhr: 93 % der Funde."
    with pytest.raises(Exception, match="24 teilen"):
        suggest_slots(_table(cells), block_hours=5)


def test_suggest_slots_share_is_brute_force_optimum():
    rng = np.random.default_rng(0)
    cells = {(int(d), int(h)): float(rng.integers(1, 9)) for d, h in zip(rng.integers(0, 7, 60),
                                                                          rng.integers(0, 24, 60), strict=True)}
    tab = _table(cells)
    slots = suggest_slots(tab, k=5, block_hours=3)
    blocks = tab.table.reshape(7, 8, 3).sum(axis=2).reshape(-1)
    assert slots.share == pytest.approx(np.sort(blocks)[-5:].sum() / tab.total)


# -------------------------------------------------------------------------------- two periods
def test_compare_patterns_shares_and_moved():
    a = _table({(0, 20): 10.0, (1, 20): 10.0})
    b = _table({(0, 20): 10.0, (1, 2): 10.0})
    cmp = compare_patterns(a, b)
    assert cmp.moved == pytest.approx(0.5)
    h = cmp.hours.set_index("hour")
    assert h.loc[20, "diff_pp"] == pytest.approx(-50) and h.loc[2, "diff_pp"] == pytest.approx(50)
    from scipy.stats import chi2_contingency

    ref = chi2_contingency(np.array([[0, 20], [10, 10]]), correction=False)
    assert cmp.chi2 == pytest.approx(ref.statistic) and cmp.p_value == pytest.approx(ref.pvalue)
    assert "50 %" in cmp.sentence("vorher", "nachher")
    assert list(cmp.weekdays["weekday"]) == list(WEEKDAYS)


# -------------------------------------------------------------------------------- planted demo pattern
@pytest.fixture(scope="module")
def demo_data():
    from geo.data.demo import generate_demo

    return generate_demo()


def _near_rabet(gdf, radius=150.0):
    from geo.core.area import leipziger_osten
    from geo.data.demo import LANDMARKS

    lat, lon = LANDMARKS["Rabet"]
    x, y = leipziger_osten().to_metric.transform(lon, lat)
    return gdf[np.hypot(gdf.geometry.x - x, gdf.geometry.y - y) <= radius]


def test_demo_finds_at_the_rabet_happen_at_night_though_reported_in_the_morning(demo_data):
    finds = _near_rabet(demo_data["syringe_find"])
    tab = time_table(finds, "syringe_find")
    assert tab.n_windowed > 300 and tab.n_point > 300 and tab.n_date_only > 20
    assert tab.total + tab.date_only.sum() == pytest.approx(len(finds))
    hours = tab.by_hour()
    assert 18 <= int(np.argmax(hours)) <= 23  # aoristic: the evening
    assert hours[18:].sum() / tab.total > 0.4
    # counting the report time only would put the peak into street cleaning's morning round
    naive = time_table(finds.drop(columns=["time_from", "time_to"]), "syringe_find")
    assert 6 <= int(np.argmax(naive.by_hour())) <= 9
    # date-only finds are not piled up at midnight
    assert hours[0] < hours[21]
    slots = suggest_slots(tab, k=8, block_hours=2, where="am Rabet")
    assert set(slots.blocks["start_hour"]) <= {18, 20, 22}
    assert slots.sentence.endswith("der Spritzenfunde am Rabet (ohne 69 nur mit Datum gemeldete).")


def test_demo_scene_evenings_thursday_to_saturday_are_recovered(demo_data):
    tab = time_table(demo_data["scene_observation"], "scene_observation")
    busy = tab.table[[3, 4, 5], 18:].sum(axis=1).mean()
    other = tab.table[[0, 1, 2, 6], 18:].sum(axis=1).mean()
    assert busy / other > 1.5  # planted: 2.5
    slots = suggest_slots(tab, k=6, block_hours=2)
    assert set(slots.blocks["weekday"]) <= {3, 4, 5}
    assert set(slots.blocks["start_hour"]) <= {18, 20, 22}
    assert slots.sentence.startswith("Do 20–24 Uhr; Fr, Sa 18–22 Uhr: ")



# -------------------------------------------------------------------------------- CLI
def _cli(args, capsys):
    from geo.cli import main

    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _read_csv(path):
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")


def _in_period(store, kind, start, end):
    from datetime import date

    from geo.core.period import Period

    return store.read(kind, Period(date.fromisoformat(start), date.fromisoformat(end)))


def test_cli_times_whole_area_writes_the_table(demo_store, tmp_path, capsys):
    out = tmp_path / "zeiten.csv"
    rc, text, err = _cli(["times", "--store", str(demo_store.path), "--kind", "scene_observation",
                          "--from", "2026-05-01", "--to", "2026-10-31", "--out", str(out)], capsys)
    assert rc == 0, err
    table = _read_csv(out)
    assert list(table.columns) == ["weekday", "hour", "weight"] and len(table) == 168
    assert list(table["weekday"].unique()) == list(WEEKDAYS) and table["hour"].tolist()[:24] == list(range(24))
    rec = _in_period(demo_store, "scene_observation", "2026-05-01", "2026-10-31")
    apart = int(rec["date_only"].sum()) if "date_only" in rec else 0
    assert table["weight"].sum() + apart == pytest.approx(len(rec))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    assert "Vorschlag: " in text and "Szenebeobachtungen" in text


def test_cli_times_for_a_place_and_a_hotspot(demo_store, tmp_path, capsys):
    from geo.analysis.timeseries import place_zones

    out = tmp_path / "rabet.csv"
    rc, text, err = _cli(["times", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-05-01",
                          "--to", "2026-10-31", "--place", "stadtteilpark rabet", "--out", str(out)], capsys)
    assert rc == 0, err
    rec = _in_period(demo_store, "syringe_find", "2026-05-01", "2026-10-31")
    zone = place_zones(demo_store.read("sensitive_place"))
    zone = zone[zone["zone"] == "Stadtteilpark Rabet"].geometry.iloc[0]
    inside = rec[shapely.intersects(zone, np.asarray(rec.geometry.values))]
    apart = int(inside["date_only"].sum()) if "date_only" in inside else 0
    assert _read_csv(out)["weight"].sum() + apart == pytest.approx(len(inside)) and len(inside) > 50
    assert "bei Stadtteilpark Rabet" in text
    rc, text, err = _cli(["times", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-05-01",
                          "--to", "2026-10-31", "--hotspot", "1", "--out", str(out)], capsys)
    assert rc == 0, err
    assert "im Hotspot 1" in text and _read_csv(out)["weight"].sum() > 0
    rc, text, err = _cli(["times", "--store", str(demo_store.path), "--kind", "scene_observation", "--from",
                          "2026-05-01", "--to", "2026-10-31", "--place", "Stadtteilpark Rabet", "--compare",
                          "2025-11-01/2026-04-30", "--out", str(out)], capsys)
    assert rc == 0, err
    assert "Vergleich mit 01.11.2025 – 30.04.2026: Zwischen dem Vergleichszeitraum und dem Zeitraum haben sich" in text


@pytest.mark.parametrize(("extra", "message"), [
    (["--place", "Rabet"], "nicht eindeutig"),
    (["--place", "Mond"], "nicht gefunden"),
    (["--hotspot", "99"], "Hotspots"),
    (["--hotspot", "0"], "1 oder größer"),
])
def test_cli_times_refuses_with_one_german_line(demo_store, tmp_path, capsys, extra, message):
    rc, _, err = _cli(["times", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-05-01",
                       "--to", "2026-10-31", *extra, "--out", str(tmp_path / "x.csv")], capsys)
    assert rc == 2 and err.startswith("Fehler: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_cli_times_wants_a_csv(demo_store, tmp_path, capsys):
    rc, _, err = _cli(["times", "--store", str(demo_store.path), "--kind", "syringe_find", "--from", "2026-05-01",
                       "--to", "2026-10-31", "--out", str(tmp_path / "x.geojson")], capsys)
    assert rc == 2 and "Endung muss .csv sein" in err
