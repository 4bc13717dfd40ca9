"""Property-based tests of the parsers: whatever the bytes, the readers raise nothing but
``ImportRefused``, and every row read is either stored or rejected (none lost, none twice)."""

from __future__ import annotations

import csv
import io
import os
import uuid
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.core.area import leipziger_osten
from geo.core.errors import ImportRefused
from geo.data.ingest import import_file, validate
from geo.data.readers import (
    MAX_FIELD_CHARS,
    check_zip_members,
    detect_format,
    read_table,
    sniff_delimiter,
    unique_names,
)
from geo.data.store import Store

AREA = leipziger_osten()
NOW = datetime(2026, 11, 22, 12, 0)
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
IN_LAT, IN_LON = "51.34390", "12.40330"

# text without surrogates (not encodable) and without NUL (refused as binary, tested below)
cell_text = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=25)
tricky = st.sampled_from(['"', '""', ";", ",", "\t", "\n", "\r\n", "\r", " ", "=1+1", "nan", "inf", "-", "é", "\ufeff",
                          "01.10.2026", "2026-10-01T10:00", IN_LAT, IN_LON, "51,3439", "12,4033", "1e400", ""])
any_cell = st.one_of(cell_text, tricky, st.lists(tricky, max_size=4).map("".join))


def _conserved(raw, kind: str = "syringe_find") -> None:
    """Validation accounts for every row read exactly once."""
    try:
        res = validate(raw, kind, AREA, now=NOW)
    except ImportRefused:
        return
    rows = sorted([*res.valid["row"], *res.rejects["row"]])
    assert rows == list(range(1, len(raw) + 1))
    assert res.rows_read == len(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".geojson", ".json", ".gpkg", ".zip", ".txt",
                                                                "", ".xlsx", ".shp"]))
def test_random_bytes_only_ever_refused_or_conserved(tmp_path, data, suffix):
    path = tmp_path / f"zufall{suffix}"
    path.write_bytes(data)
    try:
        raw = read_table(path)
    except ImportRefused as exc:
        assert "\n" not in str(exc)
        return
    _conserved(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=600))
def test_random_text_as_csv(tmp_path, content):
    path = tmp_path / "text.csv"
    path.write_text(content, encoding="utf-8")
    try:
        raw = read_table(path)
    except ImportRefused:
        return
    assert len(raw.data.columns) == len(set(raw.data.columns))  # unique column names, always
    _conserved(raw)


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
@given(rows=st.lists(st.tuples(any_cell, any_cell, any_cell, any_cell, any_cell), min_size=1, max_size=25),
       delimiter=st.sampled_from([";", ",", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_csv_written_by_a_spreadsheet_round_trips(tmp_path, rows, delimiter, encoding):
    """Quotes, delimiters and line breaks inside quoted cells: row count and cell values are kept."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Datum", "Breite", "Länge", "Anzahl", "Text"])
    writer.writerows(rows)
    path = tmp_path / "tabelle.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    raw = read_table(path)
    assert len(raw) == len(rows)
    assert list(raw.data.columns) == ["Datum", "Breite", "Länge", "Anzahl", "Text"]
    assert [tuple(r) for r in raw.data.itertuples(index=False)] == [tuple(r) for r in rows]
    assert raw.row_errors == {}
    _conserved(raw)


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(rows=st.lists(st.tuples(st.sampled_from(["01.10.2026 10:00", "2026-10-02", "", "31.02.2026", "x"]),
                               st.sampled_from([IN_LAT, "51,3440", "nan", "", "0"]),
                               st.sampled_from([IN_LON, "12,4034", "inf", "abc"]), any_cell), max_size=15))
def test_import_conserves_rows_and_stores_what_it_reports(tmp_path, rows):
    store = Store(tmp_path / f"s{uuid.uuid4().hex}.gpkg", AREA)  # a fresh store per example
    path = tmp_path / "import.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Datum", "Breite", "Länge", "Anzahl"])
        w.writerows(rows)
    try:
        report = import_file(path, "syringe_find", store, now=NOW)
    except ImportRefused:
        assert not rows  # only a header: refused
        return
    assert report.rows_read == len(rows)
    assert report.stored + report.rejected == len(rows)
    assert store.count("syringe_find") == report.stored
    assert store.ids("syringe_find").is_unique


def test_overlong_cells_are_cut_and_their_rows_rejected(tmp_path):
    path = tmp_path / "lang.csv"
    long = "x" * (MAX_FIELD_CHARS + 1)
    path.write_text(f"Datum;Breite;Länge;Text\n01.10.2026;{IN_LAT};{IN_LON};{long}\n01.10.2026;{IN_LAT};{IN_LON};ok\n",
                    encoding="utf-8")
    raw = read_table(path)
    assert len(raw.data["Text"].iloc[0]) == 201 and raw.data["Text"].iloc[1] == "ok"
    assert raw.row_errors == {0: f"Feld 'Text' zu lang (> {MAX_FIELD_CHARS} Zeichen)"}


@given(st.lists(st.text(max_size=6), max_size=12))
def test_unique_names_are_unique_and_keep_order(header):
    names = unique_names(header)
    assert len(names) == len(header) and len(set(names)) == len(names) and all(names)
    assert all(n == h for n, h in zip(names, header, strict=True) if h and header.count(h) == 1
               and not any(o != h and o.startswith(h + "_") for o in header))


@given(st.lists(st.lists(st.text(alphabet="ab;,|\t\" ", max_size=5), min_size=2, max_size=6), min_size=1, max_size=4),
       st.sampled_from([";", ",", "\t", "|"]))
def test_sniffed_delimiter_splits_the_header_at_least_as_well(rows, delimiter):
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    text = buf.getvalue()
    chosen = sniff_delimiter(text)
    width = len(next(csv.reader(io.StringIO(text, newline=""), delimiter=chosen)))
    assert width >= len(rows[0]) or width > 1


@given(st.binary(max_size=200), st.sampled_from(["", ".csv", ".gpkg", ".zip", ".json", ".xlsx", ".shp", ".dbf"]))
def test_detect_format_is_total(head, suffix):
    assert detect_format(suffix, head) in {"csv", "geojson", "gpkg", "zip", "excel", "shapefile_part", "binary",
                                           "mismatch", "unknown"}


@given(st.lists(st.lists(st.sampled_from(["a", "b.shp", "..", ".", "", "C:", "x..y"]), min_size=1, max_size=4)
                .map("/".join), min_size=1, max_size=5), st.booleans())
def test_zip_paths_with_parent_or_absolute_parts_are_refused(names, absolute):
    names = ["/" + names[0], *names[1:]] if absolute else names
    infos = [zipfile.ZipInfo(n) for n in names]
    # would extracting below /base leave it?
    escapes = any(not os.path.normpath(os.path.join("/base", n)).startswith("/base") for n in names)
    harmless = all(not n.startswith("/") and ".." not in n.split("/") and ":" not in n for n in names)
    try:
        check_zip_members(infos, "test.zip")
    except ImportRefused as exc:
        assert not harmless and "unzulässigen Pfad" in str(exc)
        return
    assert not escapes


@pytest.mark.parametrize("name", ["../x.csv", "a/../../x.shp", "/etc/passwd", "C:\\x.shp", "..\\..\\x.csv"])
def test_zip_traversal_names(name):
    with pytest.raises(ImportRefused, match="unzulässigen Pfad"):
        check_zip_members([zipfile.ZipInfo(name)], "t.zip")


def test_read_table_on_a_folder_and_a_missing_file(tmp_path: Path):
    with pytest.raises(ImportRefused, match="keine gewöhnliche Datei"):
        read_table(tmp_path)
    with pytest.raises(ImportRefused, match="nicht gefunden"):
        read_table(tmp_path / "fehlt.csv")


# ---------------------------------------------------------------- issue 16 item 5: an unclosed quote
@pytest.mark.parametrize("rows_after", [0, 3, 200])
def test_unclosed_quote_is_one_rejected_row_not_the_rest_of_the_file(tmp_path: Path, rows_after):
    lines = ["Datum;lat;lon;Text", "01.03.2025;51.3439;12.4033;ok", '02.03.2025;51.3439;12.4033;"offen']
    lines += [f"{3 + i % 20:02d}.03.2025;51.3439;{12.4034 + i * 1e-6:.7f};x" for i in range(rows_after)]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_table(path)
    assert len(raw) == 2 + rows_after
    assert raw.row_errors == {1: "Anführungszeichen in Zeile 3 der Datei nicht geschlossen"}
    res = validate(raw, "syringe_find", leipziger_osten(), now=datetime(2026, 11, 22))
    assert len(res.valid) == 1 + rows_after and res.rejects["row"].tolist() == [2]


def test_quoted_line_breaks_before_an_unclosed_quote_count_as_one_record(tmp_path: Path):
    text = ('Datum;lat;lon;Text\n01.03.2025;51.3439;12.4033;"zwei\nZeilen"\n'
            '02.03.2025;51.3439;12.4034;"offen\n03.03.2025;51.3439;12.4035;x\n')
    path = tmp_path / "q.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_table(path)
    assert len(raw) == 3 and raw.data["Text"].iloc[0] == "zwei\nZeilen"
    assert raw.row_errors == {1: "Anführungszeichen in Zeile 4 der Datei nicht geschlossen"}
