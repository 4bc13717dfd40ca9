"""Import: formats, encodings, column names, every reject reason, conservation, atomicity, idempotence."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.core.area import leipziger_osten
from geo.core.errors import ImportRefused
from geo.data.ingest import ColumnOptions, import_file, validate
from geo.data.parsing import parse_datetimes, parse_numbers
from geo.data.readers import read_table
from geo.data.store import Store

NOW = datetime(2026, 11, 22, 12, 0)
AREA = leipziger_osten()
# a point in the Rabet (inside) and one in Leipzig's west (outside)
IN_LAT, IN_LON = 51.34390, 12.40330
OUT_LAT, OUT_LON = 51.3300, 12.3000


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.gpkg", AREA)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def check(path: Path, kind: str = "syringe_find", **opts):
    raw = read_table(path, layer=opts.pop("layer", None), crs=opts.get("crs"))
    return validate(raw, kind, AREA, options=ColumnOptions(**opts), now=NOW)


# ---------------------------------------------------------------- CSV dialects and encodings
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
@pytest.mark.parametrize("sep", [";", ","])
def test_csv_encodings_and_delimiters(tmp_path, encoding, sep):
    dec = "," if sep == ";" else "."
    lat, lon = f"{IN_LAT}".replace(".", dec), f"{IN_LON}".replace(".", dec)
    text = (f"Datum{sep}Breite{sep}Länge{sep}Anzahl{sep}Quelle\n"
            f"21.11.2026 14:30{sep}{lat}{sep}{lon}{sep}3{sep}Bürger\n"
            f"2026-11-20T08:15:00{sep}{lat}{sep}{lon}{sep}{sep}Straßenreinigung\n")
    res = check(write(tmp_path, "f.csv", text, encoding))
    assert res.rows_read == 2 and len(res.rejects) == 0
    v = res.valid
    assert list(v["count"]) == [3, 1]  # empty count → default 1
    assert list(v["source"]) == ["Bürger", "Straßenreinigung"]  # umlauts survive every encoding
    assert v["found_at"].iloc[0] == pd.Timestamp("2026-11-21 14:30")
    assert v["found_at"].iloc[1] == pd.Timestamp("2026-11-20 08:15")
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    assert v.geometry.iloc[0].x == pytest.approx(x, abs=0.01)
    assert v.geometry.iloc[0].y == pytest.approx(y, abs=0.01)
    assert v.crs.to_epsg() == 25833


def test_english_column_names_and_iso_dates_with_offset(tmp_path):
    text = f"date,latitude,longitude,count\n2026-06-01T12:00:00Z,{IN_LAT},{IN_LON},2\n"
    res = check(write(tmp_path, "en.csv", text))
    # 12:00 UTC is 14:00 in Leipzig in summer
    assert res.valid["found_at"].iloc[0] == pd.Timestamp("2026-06-01 14:00")
    assert res.valid["count"].iloc[0] == 2


def test_xy_columns_need_a_crs(tmp_path):
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    text = f"Datum;Rechtswert;Hochwert\n01.10.2026;{x:.2f};{y:.2f}\n".replace(".", ",", 0)
    path = write(tmp_path, "xy.csv", text)
    with pytest.raises(ImportRefused, match="--crs"):
        check(path)
    res = check(path, crs="EPSG:25833")
    assert len(res.valid) == 1
    assert res.valid.geometry.iloc[0].distance(shapely.Point(x, y)) < 0.02


def test_explicit_column_mapping(tmp_path):
    text = f"Wann;N;E\n01.10.2026;{IN_LAT};{IN_LON}\n"
    path = write(tmp_path, "m.csv", text)
    with pytest.raises(ImportRefused, match="Pflichtspalte für Fundzeit"):
        check(path)
    res = check(path, columns={"found_at": "Wann"}, lat="N", lon="E")
    assert len(res.valid) == 1


def test_quotes_and_newlines_inside_fields(tmp_path):
    text = ('Datum;Kategorie;Text;lat;lon\n'
            f'01.10.2026;Lärm;"Zeile eins\nZeile zwei; mit Semikolon";{IN_LAT};{IN_LON}\n'
            f'02.10.2026;Konsum;"sagt ""hallo""";{IN_LAT};{IN_LON}\n')
    res = check(write(tmp_path, "q.csv", text), kind="complaint")
    assert res.rows_read == 2 and len(res.valid) == 2
    assert res.valid["text"].iloc[0] == "Zeile eins\nZeile zwei; mit Semikolon"
    assert res.valid["text"].iloc[1] == 'sagt "hallo"'


# ---------------------------------------------------------------- every reject reason
def test_every_reject_reason_is_reported_with_row_and_original_values(tmp_path):
    rows = [
        f"21.11.2026 14:30;{IN_LAT};{IN_LON};1",        # 1 ok
        f";{IN_LAT};{IN_LON};1",                        # 2 missing date
        f"31.02.2026;{IN_LAT};{IN_LON};1",              # 3 unparsable date
        f"01.01.2027;{IN_LAT};{IN_LON};1",              # 4 future
        "01.10.2026;;;1",                               # 5 missing coordinates
        "01.10.2026;abc;12,4;1",                        # 6 invalid coordinates
        f"01.10.2026;{OUT_LAT};{OUT_LON};1",            # 7 outside
        f"01.10.2026;{IN_LON};{IN_LAT};1",              # 8 swapped
        f"01.10.2026;{IN_LAT};{IN_LON};0",              # 9 count < 1
        f"01.10.2026;{IN_LAT};{IN_LON};1,5",            # 10 not an integer
        f"21.11.2026 14:30;{IN_LAT};{IN_LON};1",        # 11 duplicate of row 1
        f"01.10.2026;{IN_LAT};{IN_LON};1;zu viel",      # 12 wrong field count
    ]
    text = "Datum;Breite;Länge;Anzahl\n" + "\n".join(rows) + "\n"
    res = check(write(tmp_path, "bad.csv", text))
    assert res.rows_read == 12
    assert list(res.valid["row"]) == [1]
    reasons = dict(zip(res.rejects["row"], res.rejects["reason"], strict=True))
    assert reasons[2] == "Datum fehlt"
    assert reasons[3] == "Datum nicht lesbar"
    assert reasons[4] == "Datum liegt in der Zukunft"
    assert reasons[5] == "Koordinaten fehlen"
    assert reasons[6] == "Koordinaten ungültig"
    assert reasons[7] == "außerhalb des Untersuchungsgebiets"
    assert reasons[8] == "außerhalb des Untersuchungsgebiets (Breite/Länge vertauscht?)"
    assert reasons[9] == "Anzahl < 1"
    assert reasons[10] == "Anzahl keine ganze Zahl"
    assert reasons[11] == "Duplikat von Zeile 1"
    assert reasons[12].startswith("Zeile hat 5 statt 4 Felder")
    # original values are kept next to the reason
    assert res.rejects.loc[res.rejects["row"] == 9, "Anzahl"].item() == "0"
    assert res.rejects.loc[res.rejects["row"] == 7, "Breite"].item() == f"{OUT_LAT}"


def test_unknown_category_and_category_normalisation(tmp_path):
    text = ("Datum;Kategorie;lat;lon\n"
            f"01.10.2026;muell / spritzen;{IN_LAT};{IN_LON}\n"
            f"01.10.2026;LÄRM;{IN_LAT};{IN_LON}\n"
            f"01.10.2026;Falschparker;{IN_LAT};{IN_LON}\n")
    res = check(write(tmp_path, "c.csv", text), kind="complaint")
    assert list(res.valid["category"]) == ["Müll/Spritzen", "Lärm"]
    assert res.rejects["reason"].tolist() == ["unbekannte Kategorie 'Falschparker'"]


def test_several_problems_in_one_row_are_all_named(tmp_path):
    text = f"Datum;lat;lon;Anzahl\n01.01.2030;{OUT_LAT};{OUT_LON};-2\n"
    reason = check(write(tmp_path, "m.csv", text)).rejects["reason"].item()
    assert reason == "Datum liegt in der Zukunft; Anzahl < 1; außerhalb des Untersuchungsgebiets"


def test_missing_required_column_refuses_the_file(tmp_path, store):
    path = write(tmp_path, "nodate.csv", f"lat;lon\n{IN_LAT};{IN_LON}\n")
    with pytest.raises(ImportRefused, match="Pflichtspalte für Fundzeit fehlt"):
        import_file(path, "syringe_find", store, now=NOW)
    assert not store.exists()


def test_no_coordinates_refuses_the_file(tmp_path):
    with pytest.raises(ImportRefused, match="keine Koordinaten"):
        check(write(tmp_path, "nocoord.csv", "Datum;Ort\n01.10.2026;Rabet\n"))


# ---------------------------------------------------------------- vector formats
def _points_gdf(n: int = 3) -> gpd.GeoDataFrame:
    lon = IN_LON + np.arange(n) * 1e-4
    return gpd.GeoDataFrame(
        {"Datum": pd.to_datetime(["2026-10-01 10:00"] * n) + pd.to_timedelta(np.arange(n), "h"),
         "Anzahl": np.arange(1, n + 1)},
        geometry=gpd.points_from_xy(lon, [IN_LAT] * n), crs="EPSG:4326",
    )


def test_geojson(tmp_path):
    path = tmp_path / "p.geojson"
    _points_gdf().to_file(path, driver="GeoJSON")
    res = check(path)
    assert len(res.valid) == 3 and list(res.valid["count"]) == [1, 2, 3]
    assert res.valid["found_at"].iloc[2] == pd.Timestamp("2026-10-01 12:00")


def test_geopackage_layer_choice_and_reprojection(tmp_path):
    path = tmp_path / "p.gpkg"
    _points_gdf(2).to_crs(25832).to_file(path, layer="funde")  # other UTM zone: reprojected
    _points_gdf(1).to_file(path, layer="andere")
    with pytest.raises(ImportRefused, match="mehrere Ebenen"):
        check(path)
    res = check(path, layer="funde")
    assert len(res.valid) == 2
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    assert res.valid.geometry.iloc[0].distance(shapely.Point(x, y)) < 0.01


def test_zipped_shapefile(tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _points_gdf(4).assign(Datum=lambda d: d["Datum"].dt.strftime("%d.%m.%Y %H:%M")).to_file(shp_dir / "funde.shp")
    zpath = tmp_path / "funde.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    res = check(zpath)
    assert len(res.valid) == 4 and res.rows_read == 4


def test_polygons_are_repaired_and_reported(tmp_path):
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    bowtie = shapely.Polygon([(x, y), (x + 50, y + 50), (x + 50, y), (x, y + 50)])
    good = shapely.box(x, y, x + 30, y + 30)
    gdf = gpd.GeoDataFrame({"name": ["Schleife", "Kasten"], "Art": ["Park", "Kita"]},
                           geometry=[bowtie, good], crs=AREA.crs)
    path = tmp_path / "orte.gpkg"
    gdf.to_file(path)
    res = check(path, kind="sensitive_place")
    assert res.repaired == 1 and len(res.valid) == 2
    assert res.valid.geometry.is_valid.all()
    assert res.valid.geometry.iloc[0].area == pytest.approx(1250.0, rel=1e-6)
    assert any("repariert" in n for n in res.notes)
    assert list(res.valid["buffer_m"]) == [100.0, 100.0]


def test_wrong_geometry_type_missing_and_empty_geometry(tmp_path):
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    gdf = gpd.GeoDataFrame({"Datum": ["01.10.2026"] * 4},
                           geometry=[shapely.Point(x, y), shapely.box(x, y, x + 5, y + 5), None, shapely.Point()],
                           crs=AREA.crs)
    path = tmp_path / "g.gpkg"
    gdf.to_file(path)
    res = check(path)
    reasons = dict(zip(res.rejects["row"], res.rejects["reason"], strict=True))
    assert list(res.valid["row"]) == [1]
    assert reasons[2] == "Geometrietyp Polygon nicht erlaubt (Point)"
    assert reasons[3] == "Geometrie fehlt"
    assert reasons[4] == "Geometrie leer"


# ---------------------------------------------------------------- parsers
def test_parse_datetimes_formats():
    s = pd.Series(["21.11.2026 14:30", "2026-11-21", "21.11.26", "2026-11-21T14:30:05+01:00", "", "gestern",
                   "21.11.2026"])
    out = parse_datetimes(s)
    assert out.iloc[0] == pd.Timestamp("2026-11-21 14:30")
    assert out.iloc[1] == pd.Timestamp("2026-11-21")
    assert out.iloc[2] == pd.Timestamp("2026-11-21")
    assert out.iloc[3] == pd.Timestamp("2026-11-21 14:30:05")  # CET = UTC+1 = local
    assert out.iloc[4:6].isna().all()
    assert out.iloc[6] == pd.Timestamp("2026-11-21")


def test_parse_numbers_decimal_comma():
    out = parse_numbers(pd.Series(["51,3459", "12.40", " -3,5 ", "1e3", "x", "", "inf"]))
    assert out.iloc[:4].tolist() == [51.3459, 12.40, -3.5, 1000.0]
    assert out.iloc[4:6].isna().all()
    assert np.isinf(out.iloc[6])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12)), max_size=20))
def test_random_cells_never_raise_and_rows_are_conserved(tmp_path, cells):
    """Whatever the cells hold, every row is either valid or rejected — none lost, no crash."""
    frame = pd.DataFrame(cells, columns=["Datum", "Breite", "Länge"], dtype=object)
    if len(frame):
        frame.iloc[::3] = ["01.10.2026", str(IN_LAT), str(IN_LON)]  # some valid rows too
    path = tmp_path / "r.csv"
    frame.to_csv(path, sep=";", index=False)
    try:
        res = check(path)
    except ImportRefused:
        return
    assert len(res.valid) + len(res.rejects) == res.rows_read
    assert sorted([*res.valid["row"], *res.rejects["row"]]) == list(range(1, res.rows_read + 1))


# ---------------------------------------------------------------- store: idempotence, atomicity, concurrency
def _csv(tmp_path: Path, name: str, n: int, day: int = 1) -> Path:
    lat = IN_LAT + np.arange(n) * 1e-5
    df = pd.DataFrame({"Datum": f"{day:02d}.10.2026 10:00", "Breite": lat, "Länge": IN_LON, "Anzahl": 1})
    path = tmp_path / name
    df.to_csv(path, sep=";", index=False, decimal=",")
    return path


def test_reimport_stores_nothing_new(tmp_path, store):
    path = _csv(tmp_path, "a.csv", 50)
    first = import_file(path, "syringe_find", store, now=NOW)
    assert (first.stored, first.rejected) == (50, 0)
    second = import_file(path, "syringe_find", store, now=NOW)
    assert (second.stored, second.rejected) == (0, 50)
    assert set(second.rejects["reason"]) == {"Duplikat eines gespeicherten Datensatzes"}
    assert second.earlier_import is not None
    assert store.count("syringe_find") == 50
    hist = store.imports()
    assert list(hist["stored"]) == [0, 50] and list(hist["rejected"]) == [50, 0]
    # rejects were written beside the store
    assert Path(second.rejects_file).parent == store.rejects_dir
    assert len(pd.read_csv(second.rejects_file, sep=";")) == 50


def test_summary_names_counts_reasons_and_rejects_file(tmp_path, store):
    text = f"Datum;Breite;Länge\n01.10.2026;{IN_LAT};{IN_LON}\n;{IN_LAT};{IN_LON}\n"
    report = import_file(write(tmp_path, "s.csv", text), "syringe_find", store, now=NOW)
    lines = report.summary().splitlines()
    assert lines[0] == "gespeichert: 1, abgelehnt: 1"
    assert lines[1] == "häufigste Gründe: Datum fehlt: 1"
    assert lines[2] == f"abgelehnte Zeilen: {report.rejects_file}"


def test_failure_mid_import_leaves_store_unchanged(tmp_path, store, monkeypatch):
    import_file(_csv(tmp_path, "a.csv", 10), "syringe_find", store, now=NOW)
    before = store.version()
    rows_before = store.read("syringe_find")

    def boom(*args, **kwargs):
        raise OSError("Festplatte voll (simuliert)")

    monkeypatch.setattr(pyogrio, "write_dataframe", boom)
    with pytest.raises(OSError):
        import_file(_csv(tmp_path, "b.csv", 10, day=2), "syringe_find", store, now=NOW)
    assert store.version() == before
    pd.testing.assert_frame_equal(store.read("syringe_find"), rows_before)
    assert len(store.imports()) == 1
    assert not list(tmp_path.glob("store.tmp-*"))


def test_query_by_kind_period_and_area(tmp_path, store):
    from datetime import date

    from geo.core.period import Period

    import_file(_csv(tmp_path, "a.csv", 5, day=1), "syringe_find", store, now=NOW)
    import_file(_csv(tmp_path, "b.csv", 7, day=20), "syringe_find", store, now=NOW)
    assert len(store.read("syringe_find", Period(date(2026, 10, 1), date(2026, 10, 1)))) == 5
    assert len(store.read("syringe_find", Period(date(2026, 10, 2), date(2026, 10, 31)))) == 7
    assert len(store.read("complaint")) == 0
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    near = store.read("syringe_find", bbox=(x - 1, y - 1, x + 1, y + 2))  # first 2 rows of each file
    assert len(near) == 4


def test_two_processes_importing_at_once_lose_nothing(tmp_path, store):
    paths = [_csv(tmp_path, f"p{i}.csv", 300, day=i + 1) for i in range(2)]
    script = textwrap.dedent(f"""
        import sys
        from datetime import datetime
        from geo.core.area import leipziger_osten
        from geo.data.ingest import import_file
        from geo.data.store import Store
        r = import_file(sys.argv[1], "syringe_find", Store({str(store.path)!r}, leipziger_osten()),
                        now=datetime(2026, 11, 22))
        print(r.stored)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(p)], stdout=subprocess.PIPE, text=True)
             for p in paths]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs == ["300", "300"]
    ids = store.ids("syringe_find")
    assert len(ids) == 600 and ids.is_unique
    assert sorted(store.imports()["import_id"]) == [1, 2]


def test_cli_import_exit_codes(tmp_path):
    good = _csv(tmp_path, "g.csv", 3)
    bad = write(tmp_path, "bad.csv", "nur eine spalte\nx\n")
    cmd = [sys.executable, "-m", "geo", "import"]
    store_path = tmp_path / "cli.gpkg"
    ok = subprocess.run([*cmd, str(good), "--kind", "syringe_find", "--store", str(store_path)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("gespeichert: 3, abgelehnt: 0")
    refused = subprocess.run([*cmd, str(bad), "--kind", "syringe_find", "--store", str(store_path)],
                             capture_output=True, text=True)
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("Fehler: ")
    assert json.loads(json.dumps(store_path.exists())) is True


# ---------------------------------------------------------------- issue 16 item 5: bad values are row rejects
def test_category_column_without_any_valid_value_rejects_rows(tmp_path, store):
    text = f"Datum;Kategorie;lat;lon\n01.03.2025;xyz;{IN_LAT};{IN_LON}\n02.03.2025;;{IN_LAT};{IN_LON}\n"
    report = import_file(write(tmp_path, "kat.csv", text), "complaint", store, now=NOW)
    assert (report.stored, report.rejected) == (0, 2)
    assert report.rejects["reason"].tolist() == ["unbekannte Kategorie 'xyz'", "Pflichtfeld Kategorie fehlt"]


def test_out_of_range_years_among_good_rows_are_row_rejects(tmp_path, store):
    text = (f"Datum;lat;lon\n9999-12-31;{IN_LAT};{IN_LON}\n0001-01-01 00:00;{IN_LAT};{IN_LON}\n"
            f"2025-01-15;{IN_LAT};{IN_LON}\n")
    report = import_file(write(tmp_path, "jahre.csv", text), "syringe_find", store, now=NOW)
    assert (report.stored, report.rejected) == (1, 2)
    assert set(report.rejects["reason"]) == {"Datum unplausibel (Jahr außerhalb 1900–2100)"}
