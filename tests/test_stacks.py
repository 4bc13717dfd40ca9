"""Geocoding fallbacks ("Sammelpunkte") and coarse points: found at import, left out of spatial statistics.

The synthetic city-wide file: a quarter of the records sit on one fallback point (a police
station in the north-east of the area), the real hotspot is the Rabet; every spatial command
must put the Rabet first by default and the fallback first only with ``--keep-stacks``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.core.area import leipziger_osten, load_area
from geo.core.quality import left_out_line, spatial_records
from geo.data.ingest import ColumnOptions, import_file, validate
from geo.data.readers import read_table
from geo.data.stacks import coarse_precision, find_stacks
from geo.data.store import Store

NOW = datetime(2026, 11, 22, 12, 0)
AREA = leipziger_osten()
HOT = (12.4033, 51.3439)       # Rabet (lon, lat)
FALLBACK = (12.4280, 51.3530)  # "Polizeirevier" in the north-east
N = 2000


def _metric(lon, lat):
    return AREA.to_metric.transform(lon, lat)


def city_file(path: Path, seed: int = 7) -> Path:
    """2,000 finds in 2025: 25 % on the fallback point, 20 % around the Rabet, the rest spread out."""
    rng = np.random.default_rng(seed)
    n_stack, n_hot = N // 4, N // 5
    n_bg = N - n_stack - n_hot
    hx, hy = _metric(*HOT)
    to_wgs = __import__("pyproj").Transformer.from_crs(AREA.crs, "EPSG:4326", always_xy=True)
    hot_lon, hot_lat = to_wgs.transform(rng.normal(hx, 45, n_hot), rng.normal(hy, 45, n_hot))
    lon = np.concatenate([hot_lon, rng.uniform(12.387, 12.438, n_bg)])
    lat = np.concatenate([hot_lat, rng.uniform(51.332, 51.358, n_bg)])
    lon = np.concatenate([lon, np.full(n_stack, FALLBACK[0])])
    lat = np.concatenate([lat, np.full(n_stack, FALLBACK[1])])
    # the hotspot and the fallback grow over the year (second half busier); the background is even
    t_hot = rng.beta(2.0, 1.0, n_hot) * 364
    t_bg = rng.uniform(0, 364, n_bg)
    t_stack = rng.beta(2.5, 1.0, n_stack) * 364
    days = np.concatenate([t_hot, t_bg, t_stack])
    when = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.floor(days * 24 * 60), unit="min")
    streets = np.array(["Eisenbahnstraße", "Hermann-Liebmann-Straße", "Konradstraße", "Mariannenstraße",
                        "Ludwigstraße", "Wurzner Straße", "Bergstraße", "Rosa-Luxemburg-Straße"])
    address = [f"{s} {h}" for s, h in zip(rng.choice(streets, N), rng.integers(1, 120, N), strict=True)]
    df = pd.DataFrame({"Datum": when.strftime("%d.%m.%Y %H:%M"), "Breite": np.round(lat, 6),
                       "Länge": np.round(lon, 6), "Anzahl": rng.integers(1, 4, N), "Adresse": address})
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df.to_csv(path, sep=";", index=False, decimal=",")
    return path


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("city")
    path = city_file(tmp / "stadt.csv")
    store_path = tmp / "stadt.gpkg"
    store = Store(store_path, AREA)
    report = import_file(path, "syringe_find", store, now=NOW)
    return path, store_path, report


def _near(point, lonlat, metres=150.0) -> bool:
    x, y = _metric(*lonlat)
    return float(np.hypot(point.x - x, point.y - y)) <= metres


# ---------------------------------------------------------------- import
def test_import_names_the_sammelpunkt_and_keeps_every_row(city):
    _, store_path, report = city
    assert report.stored + report.rejected == report.rows_read == N
    lines = [line for line in report.summary().splitlines() if line.startswith("Sammelpunkt:")]
    assert lines == ["Sammelpunkt: 51,35300 N, 12,42800 O – 500 Datensätze (25,0 %) an "
                     + lines[0].split(" an ")[1].split(" Tagen")[0]
                     + " Tagen, nächster bekannter Ort: keiner hinterlegt – gespeichert, aber nicht räumlich "
                       "ausgewertet"]
    stored = Store(store_path, AREA).read("syringe_find")
    assert (stored["location_flag"] == "Sammelpunkt").sum() == 500
    assert set(stored["location_flag"]) == {"", "Sammelpunkt"}
    on_point = stored.geometry.distance(shapely.Point(*_metric(*FALLBACK))) < 1
    assert (stored.loc[on_point, "location_flag"] == "Sammelpunkt").all()


def test_spatial_records_and_the_left_out_line(city):
    _, store_path, _ = city
    stored = Store(store_path, AREA).read("syringe_find")
    kept, left = spatial_records(stored)
    assert (len(kept), left) == (N - 500, 500)
    assert spatial_records(stored, keep_stacks=True)[1] == 0
    assert left_out_line(stored, "syringe_find") == "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet"
    no_column = stored.drop(columns=["location_flag"])
    assert spatial_records(no_column) == (no_column, 0)


def _run(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_hotspots_rank_the_real_hotspot_first(city, tmp_path, capsys):
    _, store_path, _ = city
    out = _run(capsys, "hotspots", "--store", store_path, "--out", tmp_path / "h.gpkg")
    assert "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet" in out
    cells = gpd.read_file(tmp_path / "h.gpkg")
    assert _near(cells.loc[cells["gi_z"].idxmax()].geometry.centroid, HOT)
    out = _run(capsys, "hotspots", "--store", store_path, "--out", tmp_path / "k.gpkg", "--keep-stacks")
    assert "räumlich mit ausgewertet" in out
    cells = gpd.read_file(tmp_path / "k.gpkg")
    assert _near(cells.loc[cells["gi_z"].idxmax()].geometry.centroid, FALLBACK)


def _density_peak(path: Path):
    import rasterio

    with rasterio.open(path) as src:
        band = src.read(1)
        r, c = np.unravel_index(np.argmax(band), band.shape)
        x, y = src.xy(r, c)
    return shapely.Point(x, y)


def test_density_peak(city, tmp_path, capsys):
    _, store_path, _ = city
    out = _run(capsys, "density", "--store", store_path, "--out", tmp_path / "d.tif")
    assert "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet" in out
    assert _near(_density_peak(tmp_path / "d.tif"), HOT)
    _run(capsys, "density", "--store", store_path, "--out", tmp_path / "k.tif", "--keep-stacks")
    assert _near(_density_peak(tmp_path / "k.tif"), FALLBACK)


def test_compare_largest_increase(city, tmp_path, capsys):
    _, store_path, _ = city
    args = ["compare", "--store", store_path, "--a", "2025-01-01/2025-06-30", "--b", "2025-07-01/2025-12-31"]
    out = _run(capsys, *args, "--out", tmp_path / "c.gpkg")
    assert "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet" in out
    cells = gpd.read_file(tmp_path / "c.gpkg")
    top = cells[cells["change_class"] == 1].sort_values("difference", ascending=False)
    assert _near(top.iloc[0].geometry.centroid, HOT, 250)
    _run(capsys, *args, "--out", tmp_path / "k.gpkg", "--keep-stacks")
    cells = gpd.read_file(tmp_path / "k.gpkg")
    top = cells[cells["change_class"] == 1].sort_values("difference", ascending=False)
    assert _near(top.iloc[0].geometry.centroid, FALLBACK, 250)


def _emerging_first(path: Path):
    """The hot-pattern cell (new, intensifying, persistent, …) with the most finds."""
    cells = gpd.read_file(path)
    hot = cells[cells["pattern"].str.endswith("_hot")]
    return hot.sort_values("count_total", ascending=False).iloc[0].geometry.centroid, cells


def test_emerging_hot_cells(city, tmp_path, capsys):
    _, store_path, _ = city
    args = ["emerging", "--store", store_path, "--from", "2025-01-01", "--to", "2025-12-31"]
    out = _run(capsys, *args, "--out", tmp_path / "e.gpkg")
    assert "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet" in out
    first, cells = _emerging_first(tmp_path / "e.gpkg")
    assert _near(first, HOT, 250)
    fallback_cells = cells[cells.geometry.centroid.distance(shapely.Point(*_metric(*FALLBACK))) < 100]
    assert not fallback_cells["pattern"].str.endswith("_hot").any()
    _run(capsys, *args, "--out", tmp_path / "k.gpkg", "--keep-stacks")
    first, cells = _emerging_first(tmp_path / "k.gpkg")
    assert _near(first, FALLBACK, 250)
    on_point = cells[cells.geometry.centroid.distance(shapely.Point(*_metric(*FALLBACK))) < 40]
    assert "intensifying_hot" in set(on_point["pattern"])  # the artefact the issue describes


def test_bins_first_suggested_site(city, tmp_path, capsys):
    _, store_path, _ = city
    args = ["bins", "--store", store_path, "--from", "2025-01-01", "--to", "2025-12-31", "--add", "1"]
    out = _run(capsys, *args, "--out", tmp_path / "b.csv")
    assert "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet" in out
    _run(capsys, *args, "--out", tmp_path / "b.gpkg")
    plan = gpd.read_file(tmp_path / "b.gpkg")
    assert _near(plan.geometry.iloc[0], HOT, 200)
    _run(capsys, *args, "--out", tmp_path / "k.gpkg", "--keep-stacks")
    plan = gpd.read_file(tmp_path / "k.gpkg")
    assert _near(plan.geometry.iloc[0], FALLBACK, 200)


def test_counts_keep_the_flagged_records(city):
    _, store_path, _ = city
    stored = Store(store_path, AREA).read("syringe_find")
    assert len(stored) == N  # reading (counts, time series) keeps everything


# ---------------------------------------------------------------- detection rules
def test_a_real_address_repeated_is_not_a_fallback():
    x = np.zeros(100)
    y = np.zeros(100)
    dates = (np.datetime64("2025-01-01") + np.arange(100)).astype("datetime64[ns]")
    same_address = np.full(100, "Eisenbahnstraße 1", dtype=object)
    assert not find_stacks(x, y, dates, same_address)[0].any()
    many = np.array([f"Straße {i}" for i in range(100)], dtype=object)
    mask, stacks = find_stacks(x, y, dates, many)
    assert mask.all() and stacks[0][0] == 100
    # few days: a one-off event, not a fallback
    assert not find_stacks(x, y, np.full(100, np.datetime64("2025-01-01", "ns")), many)[0].any()


def test_small_files_and_spread_points_are_not_flagged():
    rng = np.random.default_rng(0)
    dates = (np.datetime64("2025-01-01") + rng.integers(0, 300, 1000)).astype("datetime64[ns]")
    assert not find_stacks(rng.uniform(0, 3000, 1000), rng.uniform(0, 3000, 1000), dates)[0].any()
    assert not find_stacks(np.zeros(15), np.zeros(15), dates[:15])[0].any()


def _leipzig_area_file(tmp_path: Path, extra: str = "") -> Path:
    boundary = gpd.GeoDataFrame(geometry=[AREA.boundary], crs=AREA.crs).to_crs(4326)
    (tmp_path / "osten.geojson").write_text(boundary.to_json())
    (tmp_path / "osten.toml").write_text('[area]\nname = "Osten"\nboundary = "osten.geojson"\n' + extra)
    return tmp_path / "osten.toml"


def test_known_fallback_points_of_the_area_are_always_flagged(tmp_path):
    toml = _leipzig_area_file(tmp_path, "[[area.fallback_points]]\nname = \"Polizeirevier Ost\"\n"
                                         f"lat = {FALLBACK[1]}\nlon = {FALLBACK[0]}\n")
    area = load_area(toml)
    assert area.fallback_points == (("Polizeirevier Ost", FALLBACK[0], FALLBACK[1]),)
    text = "Datum;lat;lon\n" + "".join(f"0{d}.03.2025 10:00;{FALLBACK[1]};{FALLBACK[0]}\n" for d in range(1, 4))
    text += f"01.03.2025 10:00;{HOT[1]};{HOT[0]}\n"
    (tmp_path / "f.csv").write_text(text)
    res = validate(read_table(tmp_path / "f.csv"), "syringe_find", area, now=NOW)
    assert res.valid["location_flag"].tolist() == ["Sammelpunkt"] * 3 + [""]
    line = next(line for line in res.lines if line.startswith("Sammelpunkt:"))
    assert "3 Datensätze (75,0 %)" in line and "nächster bekannter Ort: Polizeirevier Ost" in line


def test_precision_column_is_kept_and_coarse_points_flagged(tmp_path):
    text = ("Datum;lat;lon;Genauigkeit\n"
            f"01.03.2025 10:00;{HOT[1]};{HOT[0]};Hausnummer\n"
            f"02.03.2025 10:00;{HOT[1]};{HOT[0] + 1e-4};Straße\n"
            f"03.03.2025 10:00;{HOT[1]};{HOT[0] + 2e-4};250\n"
            f"04.03.2025 10:00;{HOT[1]};{HOT[0] + 3e-4};8 m\n")
    (tmp_path / "p.csv").write_text(text)
    store = Store(tmp_path / "s.gpkg", AREA)
    report = import_file(tmp_path / "p.csv", "syringe_find", store, now=NOW)
    assert "Ungenau verortet: 2 Datensätze (Spalte 'Genauigkeit': gröber als eine Adresse) – gespeichert, aber " \
           "nicht räumlich ausgewertet" in report.summary()
    stored = store.read("syringe_find").sort_values("found_at")
    assert stored["location_precision"].tolist() == ["Hausnummer", "Straße", "250", "8 m"]
    assert stored["location_flag"].tolist() == ["", "ungenau", "ungenau", ""]
    assert left_out_line(stored, "syringe_find") == "2 Funde ungenau verortet nicht räumlich ausgewertet"
    assert coarse_precision(pd.Series(["ROOFTOP", "APPROXIMATE", "GEOMETRIC_CENTER", None])).tolist() == [
        False, True, True, False]


def test_flag_can_be_cleared_and_confirmed_with_audit(tmp_path):
    path = city_file(tmp_path / "stadt.csv", seed=3)
    store = Store(tmp_path / "s.gpkg", AREA)
    import_file(path, "syringe_find", store, now=NOW, options=ColumnOptions())
    stored = store.read("syringe_find")
    ids = stored.loc[stored["location_flag"] == "Sammelpunkt", "record_id"].tolist()
    store.confirm_location_flag("syringe_find", ids[:10], user="anna")
    assert store.set_location_flag("syringe_find", ids, "", user="anna", note="echter Ort") == 500
    assert (store.read("syringe_find")["location_flag"] == "").all()
    log = store.audit_log()
    assert log["action"].tolist()[-2:] == ["location_flag", "location_flag"]
    assert "bestätigt" in log["detail"].iloc[-2] and "aufgehoben: echter Ort" in log["detail"].iloc[-1]
    assert log["user"].iloc[-1] == "anna"


def test_older_layers_get_the_new_columns_on_append(tmp_path):
    """A store written before issue 12 (no quality columns) takes a new import with them."""
    store = Store(tmp_path / "s.gpkg", AREA)
    old = pd.DataFrame({"Datum": ["01.03.2025 10:00"], "lat": [HOT[1]], "lon": [HOT[0]]})
    import_file(_csv(tmp_path, "alt.csv", old), "syringe_find", store, now=NOW)
    import sqlite3
    with sqlite3.connect(store.path) as con:  # make it look old: drop the new columns
        for c in ("time_from", "time_to", "date_only", "time_flag", "location_flag", "location_precision"):
            con.execute(f'ALTER TABLE syringe_find DROP COLUMN "{c}"')
    assert "location_flag" not in store.read("syringe_find")
    new = pd.DataFrame({"Datum": ["02.03.2025 10:00 bis 03.03.2025 08:00"], "lat": [HOT[1]], "lon": [HOT[0]]})
    assert import_file(_csv(tmp_path, "neu.csv", new), "syringe_find", store, now=NOW).stored == 1
    stored = store.read("syringe_find").sort_values("found_at")
    assert stored["location_flag"].tolist() == ["", ""]
    assert stored["time_to"].isna().tolist() == [True, False]


def _csv(tmp_path: Path, name: str, df: pd.DataFrame) -> Path:
    df.to_csv(tmp_path / name, sep=";", index=False)
    return tmp_path / name


def test_area_fallback_list_needs_coordinates(tmp_path):
    from geo.core.area import AreaConfigError

    toml = _leipzig_area_file(tmp_path, "[[area.fallback_points]]\nname = \"x\"\n")
    with pytest.raises(AreaConfigError, match="fallback_points Nr. 1 braucht lat und lon"):
        load_area(toml)


def test_fallback_json_roundtrip_is_plain(tmp_path):
    # the summary line is one line of plain text (no newline, no markup)
    path = city_file(tmp_path / "x.csv", seed=5)
    res = validate(read_table(path), "syringe_find", AREA, now=NOW)
    assert all("\n" not in line for line in res.lines)
    assert json.loads(json.dumps(res.lines)) == res.lines


def test_handout_hotspots_leave_the_sammelpunkt_out(city):
    from geo.report.handout import _auto_hotspots, _hotspot_caption

    _, store_path, _ = city
    finds = Store(store_path, AREA).read("syringe_find")
    result, note = _auto_hotspots(finds, AREA)
    assert note == "500 Funde an einem Sammelpunkt nicht räumlich ausgewertet"
    assert result.n_points == N - 500
    assert _hotspot_caption(result, note).startswith("500 Funde an einem Sammelpunkt nicht räumlich ausgewertet. ")


def test_rows_with_only_a_street_or_district_are_flagged_coarse(tmp_path, fresh_store):
    from geo.data.ingest import import_file

    csv = tmp_path / "funde.csv"
    csv.write_text("Datum;Breite;Länge;Adresse\n"
                   "01.09.2026;51,3452;12,4050;Eisenbahnstraße 52\n"
                   "02.09.2026;51,3460;12,4062;Eisenbahnstraße 70\n"
                   "03.09.2026;51,3440;12,4001;Eisenbahnstraße\n"
                   "04.09.2026;51,3430;12,4100;Volkmarsdorf\n", encoding="utf-8")
    report = import_file(csv, "syringe_find", fresh_store)
    assert report.stored == 4 and report.rejected == 0
    stored = fresh_store.read("syringe_find").sort_values("found_at")
    assert stored["location_flag"].tolist() == ["", "", "ungenau", "ungenau"]
    assert any(line.startswith("Ungenau verortet: 2 Datensätze (Spalte 'Adresse': nur Straße") for line in report.lines)
