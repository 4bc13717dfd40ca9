"""Dates as real agencies write them: detection per column, ambiguity, windows, time zones (issue 12)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.area import leipziger_osten, load_area
from geo.core.errors import ImportRefused
from geo.data.dates import AmbiguousDates, read_dates
from geo.data.ingest import ColumnOptions, import_file, validate
from geo.data.readers import read_table
from geo.data.store import Store

NOW = datetime(2026, 11, 22, 12, 0)
AREA = leipziger_osten()
LAT, LON = 51.34390, 12.40330


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# ---------------------------------------------------------------- every form, one value each
@pytest.mark.parametrize(("text", "expected", "label", "date_only"), [
    ("2026-11-21", "2026-11-21", "JJJJ-MM-TT", True),
    ("2026-11-21T14:30", "2026-11-21 14:30", "JJJJ-MM-TTThh:mm", False),
    ("2018/1/1 13:48", "2018-01-01 13:48", "JJJJ/MM/TT hh:mm", False),
    ("15.01.2025 11:30 Uhr", "2025-01-15 11:30", "TT.MM.JJJJ hh:mm", False),
    ("15.01.2025 11:30", "2025-01-15 11:30", "TT.MM.JJJJ hh:mm", False),
    ("Tatzeit: 15.01.2025", "2025-01-15", "TT.MM.JJJJ", True),
    ("Tatzeit: 15.01.2025, 23:05 Uhr", "2025-01-15 23:05", "TT.MM.JJJJ hh:mm", False),
    ("Fr., 17.01.2025 08:00", "2025-01-17 08:00", "TT.MM.JJJJ hh:mm", False),
    ("15.01.25", "2025-01-15", "TT.MM.JJ", True),
    ("15/01/2025 18:00", "2025-01-15 18:00", "TT/MM/JJJJ hh:mm", False),
    ("05/15/2015 02:40:00 PM", "2015-05-15 14:40", "MM/TT/JJJJ hh:mm:ss AM/PM", False),
    ("05/15/2015 12:10:00 AM", "2015-05-15 00:10", "MM/TT/JJJJ hh:mm:ss AM/PM", False),
    ("12/31/99", "1999-12-31", "MM/TT/JJ", True),
    ("20250115", "2025-01-15", "JJJJMMTT", True),
    ("45672", "2025-01-15", "Excel-Seriennummer", True),
    ("45672,5", "2025-01-15 12:00", "Excel-Seriennummer", False),
    ("1736937000", "2025-01-15 11:30", "Unix-Zeit (Sekunden)", False),  # 10:30 UTC = 11:30 CET
    ("1736937000000", "2025-01-15 11:30", "Unix-Zeit (Millisekunden)", False),
    ("2026-06-01T12:00:00Z", "2026-06-01 14:00", "JJJJ-MM-TTThh:mm:ssZ", False),
])
def test_every_date_form(text, expected, label, date_only):
    r = read_dates(pd.Series([text]))
    assert r.start.iloc[0] == ts(expected)
    assert r.formats == [label]
    assert bool(r.date_only[0]) is date_only


def test_impossible_and_implausible_dates_are_told_apart():
    r = read_dates(pd.Series(["31.02.2024", "9999-12-31", "0001-01-01", "gestern", "", "13.13.2024"]))
    assert r.start.isna().all()
    assert r.implausible.tolist() == [False, True, True, False, False, False]


def test_day_first_settled_by_a_value_above_twelve():
    r = read_dates(pd.Series(["03/04/2024", "13/04/2024", "01/01/2024"]))
    assert r.order == "dayfirst"
    assert r.start.tolist() == [ts("2024-04-03"), ts("2024-04-13"), ts("2024-01-01")]
    r = read_dates(pd.Series(["03/04/2024 1:15 PM", "04/13/2024 9:00 AM"]))
    assert r.order == "monthfirst"
    assert r.start.tolist() == [ts("2024-03-04 13:15"), ts("2024-04-13 09:00")]
    assert r.formats == ["MM/TT/JJJJ hh:mm AM/PM"]


def test_ambiguous_column_is_refused_naming_both_readings():
    with pytest.raises(AmbiguousDates) as exc:
        read_dates(pd.Series(["03/04/2024", "01/02/2024", "05/05/2024"]), column="Meldedatum")
    msg = str(exc.value)
    assert "\n" not in msg
    assert "'03/04/2024'" in msg and "3. April" in msg and "4. März" in msg
    assert "--dayfirst" in msg and "--monthfirst" in msg and "Meldedatum" in msg
    r = read_dates(pd.Series(["03/04/2024", "01/02/2024"]), order="monthfirst")
    assert r.start.tolist() == [ts("2024-03-04"), ts("2024-01-02")]


def test_same_day_and_month_everywhere_is_not_ambiguous():
    r = read_dates(pd.Series(["01/01/2024", "02/02/2024"]))
    assert r.start.tolist() == [ts("2024-01-01"), ts("2024-02-02")]


def test_explicit_strftime_format():
    r = read_dates(pd.Series(["15|01|2025 11h30", "x"]), date_format="%d|%m|%Y %Hh%M")
    assert r.start.iloc[0] == ts("2025-01-15 11:30")
    assert pd.isna(r.start.iloc[1])
    assert r.formats == ["vorgegeben %d|%m|%Y %Hh%M"]


# ---------------------------------------------------------------- windows
@pytest.mark.parametrize(("text", "start", "end"), [
    ("21.03.2024 bis 27.03.2024", "2024-03-21", "2024-03-27"),
    ("21.03.2024 20:00 - 22.03.2024 06:00", "2024-03-21 20:00", "2024-03-22 06:00"),
    ("zwischen 21.03.2024 20:00 und 22.03.2024 06:30", "2024-03-21 20:00", "2024-03-22 06:30"),
    ("vom 21.03.2024 bis 27.03.2024", "2024-03-21", "2024-03-27"),
    ("Tatzeit: 21.03.2024 21:00 Uhr bis 02:00 Uhr", "2024-03-21 21:00", "2024-03-22 02:00"),
    ("2024-03-21T08:00 - 2024-03-21T12:00", "2024-03-21 08:00", "2024-03-21 12:00"),
])
def test_windows_in_one_cell(text, start, end):
    r = read_dates(pd.Series([text]))
    assert r.start.iloc[0] == ts(start)
    assert r.end.iloc[0] == ts(end)


def test_window_ending_before_it_starts_is_marked():
    r = read_dates(pd.Series(["27.03.2024 bis 21.03.2024", "21.03.2024"]))
    assert r.bad_window.tolist() == [True, False]
    assert pd.isna(r.end.iloc[1])


# ---------------------------------------------------------------- property tests
_FORMS = [
    ("%d.%m.%Y %H:%M", None), ("%Y-%m-%dT%H:%M:%S", None), ("%Y/%m/%d %H:%M", None),
    ("%m/%d/%Y %I:%M:%S %p", "monthfirst"), ("%d/%m/%Y %H:%M", "dayfirst"), ("%d.%m.%Y %H:%M Uhr", None),
    ("Tatzeit: %d.%m.%Y, %H:%M Uhr", None), ("%Y%m%d", None),
]
moments = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=60, deadline=None)
@given(st.lists(moments, min_size=1, max_size=30), st.sampled_from(_FORMS))
def test_formatted_dates_read_back(values, form):
    fmt, order = form
    texts = [v.strftime(fmt) for v in values]
    r = read_dates(pd.Series(texts), order=order)
    expected = [pd.Timestamp(v).normalize() if "%H" not in fmt and "%I" not in fmt else pd.Timestamp(v)
                for v in values]
    if "%S" not in fmt:
        expected = [e.replace(second=0) for e in expected]
    assert r.start.tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(moments, min_size=1, max_size=30), st.booleans())
def test_us_and_european_slashes_decided_from_the_values(values, us):
    fmt = "%m/%d/%Y %H:%M" if us else "%d/%m/%Y %H:%M"
    texts = [v.strftime(fmt) for v in values]
    try:
        r = read_dates(pd.Series(texts))
    except AmbiguousDates:
        assert all(v.day <= 12 for v in values) and any(v.day != v.month for v in values)
        return
    decisive = [v for v in values if v.day > 12]
    if decisive:
        assert r.order == ("monthfirst" if us else "dayfirst")
        assert r.start.tolist() == [pd.Timestamp(v) for v in values]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=20))
def test_arbitrary_text_never_fails(texts):
    try:
        r = read_dates(pd.Series(texts, dtype=object))
    except AmbiguousDates:
        return
    assert len(r.start) == len(texts)
    assert r.start.dropna().between(pd.Timestamp(f"{1900}-01-01"), pd.Timestamp("2101-01-01")).all()


# ---------------------------------------------------------------- real-looking files through the importer
def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def check(path: Path, area=AREA, **opts):
    return validate(read_table(path), "syringe_find", area, options=ColumnOptions(**opts), now=NOW)


def test_police_press_file_with_labels_uhr_and_windows(tmp_path):
    text = ("Tatzeit;Breite;Länge;Beschreibung\n"
            f"Tatzeit: 15.01.2025, 11:30 Uhr;{LAT};{LON};Spritze im Gebüsch\n"
            f"21.03.2024 bis 27.03.2024;{LAT};{LON};zwischen Freitag und Mittwoch\n"
            f"14.02.2025 22:00 Uhr bis 02:00 Uhr;{LAT};{LON};nachts\n"
            f"01.01.2024 08:00 bis 31.01.2024 08:00;{LAT};{LON};ganzer Monat\n"
            f"31.02.2025;{LAT};{LON};kein Tag\n")
    res = check(write(tmp_path, "presse.csv", text))
    assert res.rows_read == 5 and len(res.valid) == 4
    v = res.valid.set_index("row")
    assert v.loc[1, "found_at"] == ts("2025-01-15 11:30") and pd.isna(v.loc[1, "time_from"])
    assert (v.loc[2, "time_from"], v.loc[2, "time_to"]) == (ts("2024-03-21"), ts("2024-03-27"))
    assert v.loc[2, "found_at"] == ts("2024-03-21") and bool(v.loc[2, "date_only"])
    assert v.loc[3, "time_to"] == ts("2025-02-15 02:00") and not bool(v.loc[3, "date_only"])
    assert v.loc[4, "time_flag"] == "Zeitfenster länger als 14 Tage" and v.loc[2, "time_flag"] == ""
    assert res.rejects["reason"].tolist() == ["Datum nicht lesbar"]
    assert res.lines[0] == "Datumsformat erkannt: TT.MM.JJJJ hh:mm (auch: TT.MM.JJJJ)"
    assert res.lines[1] == ("Zeitfenster: 3 Datensätze mit Beginn und Ende; 1 länger als 14 Tage "
                            "(gespeichert, markiert; Zeilen 4)")


def test_window_from_two_columns(tmp_path):
    text = ("Tatzeit von;Tatzeit bis;lat;lon\n"
            f"21.03.2024 20:00;22.03.2024 06:00;{LAT};{LON}\n"
            f"21.03.2024 20:00;;{LAT};{LON}\n"
            f"21.03.2024 20:00;20.03.2024;{LAT};{LON}\n")
    res = check(write(tmp_path, "zwei.csv", text), columns={"found_at": "Tatzeit von"})
    v = res.valid.set_index("row")
    assert (v.loc[1, "time_from"], v.loc[1, "time_to"]) == (ts("2024-03-21 20:00"), ts("2024-03-22 06:00"))
    assert pd.isna(v.loc[2, "time_to"])
    assert res.rejects["reason"].tolist() == ["Zeitfenster: Ende vor Beginn"]


def test_us_311_export(tmp_path):
    rows = ["Created Date,Latitude,Longitude,Descriptor"]
    for i, d in enumerate(["05/15/2015 02:40:00 PM", "01/02/2016 09:05:12 AM", "12/31/2016 11:59:59 PM"]):
        rows.append(f"{d},{LAT + i * 1e-4},{LON},Needle pickup")
    res = check(write(tmp_path, "311.csv", "\n".join(rows) + "\n"), columns={"found_at": "Created Date"})
    assert res.valid["found_at"].tolist() == [ts("2015-05-15 14:40"), ts("2016-01-02 09:05:12"),
                                              ts("2016-12-31 23:59:59")]
    assert res.lines[0] == "Datumsformat erkannt: MM/TT/JJJJ hh:mm:ss AM/PM"


def test_excel_serials_and_epoch_files(tmp_path):
    res = check(write(tmp_path, "excel.csv", f"Datum;lat;lon\n45672;{LAT};{LON}\n45672,75;{LAT};{LON + 1e-4}\n"))
    assert res.valid["found_at"].tolist() == [ts("2025-01-15"), ts("2025-01-15 18:00")]
    assert res.lines[0] == "Datumsformat erkannt: Excel-Seriennummer"
    res = check(write(tmp_path, "epoch.csv", f"date,lat,lon\n1736937000,{LAT},{LON}\n"))
    assert res.valid["found_at"].tolist() == [ts("2025-01-15 11:30")]


def test_ambiguous_file_is_refused_and_options_settle_it(tmp_path, capsys):
    from geo.cli import main

    path = write(tmp_path, "mehrdeutig.csv",
                 f"Datum;lat;lon\n03/04/2024;{LAT};{LON}\n05/06/2024;{LAT};{LON + 1e-4}\n")
    with pytest.raises(ImportRefused, match=r"mehrdeutig.csv: Spalte 'Datum': Datum mehrdeutig"):
        check(path)
    store = tmp_path / "s.gpkg"
    assert main(["import", str(path), "--kind", "syringe_find", "--store", str(store)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Fehler")]
    assert len(err) == 1 and err[0].startswith("Fehler: mehrdeutig.csv: Spalte 'Datum'") and "--dayfirst" in err[0]
    assert not store.exists()
    assert main(["import", str(path), "--kind", "syringe_find", "--store", str(store), "--monthfirst"]) == 0
    out = capsys.readouterr().out
    assert "Datumsformat erkannt: MM/TT/JJJJ" in out
    assert sorted(Store(store, AREA).read("syringe_find")["found_at"]) == [ts("2024-03-04"), ts("2024-05-06")]
    assert check(path, date_order="dayfirst").valid["found_at"].tolist() == [ts("2024-04-03"), ts("2024-06-05")]
    assert check(path, date_format="%m/%d/%Y").valid["found_at"].tolist() == [ts("2024-03-04"), ts("2024-05-06")]


def test_implausible_years_are_row_rejects(tmp_path):
    path = write(tmp_path, "jahre.csv", f"Datum;lat;lon\n9999-12-31;{LAT};{LON}\n0001-01-01;{LAT};{LON}\n"
                                        f"2025-01-15;{LAT};{LON}\n")
    res = check(path)
    assert len(res.valid) == 1
    assert res.rejects["reason"].tolist() == ["Datum unplausibel (Jahr außerhalb 1900–2100)"] * 2


# ---------------------------------------------------------------- time zone of the study area
def _new_york(tmp_path: Path, **extra) -> Path:
    boundary = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[-74.02, 40.70], [-73.93, 40.70], [-73.93, 40.80], [-74.02, 40.80],
                                            [-74.02, 40.70]]]}}]}
    (tmp_path / "nyc.geojson").write_text(json.dumps(boundary))
    lines = ['[area]', 'name = "Manhattan"', 'boundary = "nyc.geojson"', 'crs = "EPSG:32618"',
             'timezone = "America/New_York"', *extra.get("lines", [])]
    (tmp_path / "nyc.toml").write_text("\n".join(lines) + "\n")
    return tmp_path / "nyc.toml"


def test_offsets_are_converted_to_the_areas_time_zone(tmp_path):
    area = load_area(_new_york(tmp_path))
    assert area.timezone == "America/New_York"
    text = ("date,latitude,longitude\n2019-01-01T23:30-05:00,40.75,-73.98\n2019-07-01T12:00Z,40.75,-73.98\n"
            "2019-01-02 08:00,40.75,-73.98\n")
    store = Store(tmp_path / "nyc.gpkg", area)
    report = import_file(write(tmp_path, "nyc.csv", text), "syringe_find", store, now=NOW)
    assert report.stored == 3
    stored = sorted(store.read("syringe_find")["found_at"])
    assert stored == [ts("2019-01-01 23:30"), ts("2019-01-02 08:00"), ts("2019-07-01 08:00")]  # EDT = UTC-4
    # the same offset in Leipzig's area is 05:30 on the next day
    assert read_dates(pd.Series(["2019-01-01T23:30-05:00"])).start.iloc[0] == ts("2019-01-02 05:30")


def test_unknown_time_zone_is_one_german_line(tmp_path):
    from geo.core.area import AreaConfigError

    toml = _new_york(tmp_path)
    toml.write_text(toml.read_text().replace("America/New_York", "Mars/Olympus"))
    with pytest.raises(AreaConfigError, match="Zeitzone 'Mars/Olympus' unbekannt"):
        load_area(toml)


def test_default_time_zone_is_berlin():
    assert AREA.timezone == "Europe/Berlin"
    summer = read_dates(pd.Series(["2026-06-01T12:00:00+00:00"])).start.iloc[0]
    assert summer == ts("2026-06-01 14:00")
    assert np.isnat(read_dates(pd.Series([""])).start.to_numpy()).all()


def test_chunked_arrow_columns_are_read():
    """Large CSV columns arrive as chunked Arrow arrays (several blocks)."""
    import pyarrow as pa

    chunked = pa.chunked_array([["15.01.2025 11:30"] * 3, ["16.01.2025"] * 3])
    s = pd.Series(pd.arrays.ArrowExtensionArray(chunked)).astype(pd.StringDtype("pyarrow"))
    r = read_dates(s)
    assert r.start.tolist() == [ts("2025-01-15 11:30")] * 3 + [ts("2025-01-16")] * 3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(moments, st.integers(0, 30 * 24 * 60)), min_size=1, max_size=20),
       st.sampled_from([" bis ", " - ", " und "]))
def test_windows_read_back(pairs, joiner):
    texts = [("zwischen " if joiner == " und " else "") + a.strftime("%d.%m.%Y %H:%M") + joiner
             + (a + pd.Timedelta(minutes=m)).strftime("%d.%m.%Y %H:%M") for a, m in pairs]
    r = read_dates(pd.Series(texts))
    assert r.start.tolist() == [pd.Timestamp(a) for a, _ in pairs]
    assert r.end.tolist() == [pd.Timestamp(a) + pd.Timedelta(minutes=m) for a, m in pairs]
    assert not r.bad_window.any()
