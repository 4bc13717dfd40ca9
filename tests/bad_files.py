"""A corpus of broken and hostile input files, built at test time into a temporary folder.

Each :class:`Case` knows how to write its file and what the importer must do with it:
refuse the whole file with a German one-line message matching ``refused``, or store
``stored`` rows and reject ``rejected`` rows whose reasons contain ``reasons``. Nothing
large is committed: big files are sparse or generated.

Used by ``tests/test_bad_input.py``; run ``python tests/bad_files.py DIR`` to write the
corpus to a folder for manual checks (e.g. uploading the files in the app).
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.core.area import leipziger_osten

AREA = leipziger_osten()
#: A point in the Rabet park (inside the study area), WGS84.
IN_LAT, IN_LON = 51.34390, 12.40330
IN_X, IN_Y = AREA.to_metric.transform(IN_LON, IN_LAT)
HEADER = "Datum;Breite;Länge;Anzahl"


def ok_row(i: int = 0, day: int = 1) -> str:
    """A valid CSV row (``HEADER``) with a point ``i`` metres-ish east of the Rabet."""
    return f"{day:02d}.10.2026 10:00;{IN_LAT};{IN_LON + i * 1e-5:.5f};1"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def points_gdf(n: int = 3) -> gpd.GeoDataFrame:
    """``n`` valid syringe finds as a GeoDataFrame in WGS84."""
    lon = IN_LON + np.arange(n) * 1e-4
    return gpd.GeoDataFrame({"Datum": [f"0{1 + i % 9}.10.2026 10:00" for i in range(n)], "Anzahl": 1},
                            geometry=shapely.points(lon, np.full(n, IN_LAT)), crs="EPSG:4326")


def feature(geometry: dict | None, day: int = 1) -> dict:
    return {"type": "Feature", "properties": {"Datum": f"{day:02d}.10.2026"}, "geometry": geometry}


def geojson(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


# ------------------------------------------------------------------------------- builders
def text(content: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda p: p.write_bytes(content.encode(encoding))


def raw(content: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(content)


def garbage(n: int = 64 * 1024, seed: int = 7) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _shapefile_dir(tmp: Path, crs: str | None = "EPSG:4326") -> Path:
    folder = tmp.with_suffix(".shpdir")
    folder.mkdir(exist_ok=True)
    gdf = points_gdf(4)
    if crs is None:
        gdf = gdf.set_crs(None, allow_override=True)
    gdf.to_file(folder / "funde.shp")
    return folder


def shapefile_zip(*, drop: tuple[str, ...] = ()) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        folder = _shapefile_dir(path)
        with zipfile.ZipFile(path, "w") as zf:
            for f in sorted(folder.iterdir()):
                if f.suffix.lower() not in drop:
                    zf.write(f, f"funde/{f.name}")
    return build


def zip_entries(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in entries.items():
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return build


def zip_bomb(size: int = 120 * 1024**2) -> Callable[[Path], None]:
    """A member of ``size`` zero bytes (compresses about 1000:1)."""
    def build(path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            with zf.open("funde.csv", "w", force_zip64=True) as fh:
                block = b"\0" * (1 << 20)
                for _ in range(size >> 20):
                    fh.write(block)
    return build


def _patch_zip(path: Path, *, file_size: int | None = None, flags: int | None = None) -> None:
    """Rewrite the first member's header fields in place (local header and central directory)."""
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    for offset, size_at, flag_at in ((0, 22, 6), (central, 24, 8)):
        if file_size is not None:
            data[offset + size_at: offset + size_at + 4] = struct.pack("<I", file_size)
        if flags is not None:
            data[offset + flag_at: offset + flag_at + 2] = struct.pack("<H", flags)
    path.write_bytes(bytes(data))


def lying_zip(path: Path) -> None:
    """A member that claims 100 bytes but holds 5 MB: extraction must stop at the claim."""
    zip_entries({"funde.csv": csv_text(*[ok_row(i) for i in range(100_000)]).encode()})(path)
    _patch_zip(path, file_size=100)


def encrypted_zip(path: Path) -> None:
    zip_entries({"funde.csv": csv_text(ok_row()).encode()})(path)
    _patch_zip(path, flags=0x1)


def sparse(size: int) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        with open(path, "wb") as fh:
            fh.truncate(size)
    return build


def gpkg_layers(*names: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        for name in names:
            points_gdf(2).to_file(path, layer=name, driver="GPKG")
    return build


def gpkg_without_layers(path: Path) -> None:
    points_gdf(1).to_file(path, layer="weg", driver="GPKG")
    with sqlite3.connect(path) as con:
        con.execute("DELETE FROM gpkg_contents")
        con.execute("DELETE FROM gpkg_geometry_columns")
        con.execute("DROP TABLE weg")


def gpkg_attributes_only(path: Path) -> None:
    pyogrio.write_dataframe(pd.DataFrame({"Datum": ["01.10.2026"], "Anzahl": [1]}), path, layer="tabelle",
                            driver="GPKG")


def plain_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a TEXT)")
        con.execute("INSERT INTO t VALUES ('x')")


def excel_zip(path: Path) -> None:
    zip_entries({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})(path)


def gpkg_named_csv(path: Path) -> None:
    proper = path.with_suffix(".gpkg")
    points_gdf(3).to_file(proper, driver="GPKG", layer="funde")
    proper.rename(path)


def many_members(path: Path) -> None:
    zip_entries({f"f{i}.txt": b"" for i in range(1_001)}, zipfile.ZIP_STORED)(path)


def utf16_tab(path: Path) -> None:
    body = csv_text(ok_row(0), ok_row(1), header=HEADER).replace(";", "\t")
    path.write_bytes(body.encode("utf-16"))


def nested_zip(path: Path) -> None:
    inner = path.with_name("inner.zip")
    zip_entries({"funde.csv": csv_text(ok_row()).encode()})(inner)
    zip_entries({"inner.zip": inner.read_bytes()})(path)


def wrong_crs_geojson(path: Path) -> None:
    """UTM coordinates in a GeoJSON (which is WGS84 by definition)."""
    path.write_text(geojson(feature({"type": "Point", "coordinates": [IN_X, IN_Y]}),
                            feature({"type": "Point", "coordinates": [IN_LON, IN_LAT]}, day=2)))


# ------------------------------------------------------------------------------- the corpus
@dataclass(frozen=True)
class Case:
    """One bad file and the expected outcome (``refused`` xor ``stored``/``rejected``)."""

    id: str
    filename: str
    build: Callable[[Path], None]
    refused: str | None = None
    stored: int | None = None
    rejected: int | None = None
    reasons: tuple[str, ...] = ()
    kind: str = "syringe_find"
    options: dict = field(default_factory=dict)


_MIXED = geojson(
    feature({"type": "Point", "coordinates": [IN_LON, IN_LAT]}, 1),
    feature(None, 2),
    feature({"type": "Point", "coordinates": []}, 3),
    feature({"type": "LineString", "coordinates": [[IN_LON, IN_LAT], [IN_LON + 0.001, IN_LAT]]}, 4),
    feature({"type": "MultiPoint", "coordinates": [[IN_LON + 1e-4, IN_LAT]]}, 5),
    feature({"type": "MultiPoint", "coordinates": [[IN_LON, IN_LAT], [IN_LON + 2e-4, IN_LAT]]}, 6),
    feature({"type": "GeometryCollection", "geometries": []}, 7),
    {"type": "Feature", "properties": {"Datum": "08.10.2026"}},
    feature({"type": "Point", "coordinates": [IN_LON, IN_LAT, 1e6]}, 9),
)
_FORMULAS = csv_text(
    f'01.10.2026;{IN_LAT};{IN_LON};Drogenhandel;"=HYPERLINK(""http://evil.example"",""klick"")";@SUMME(A1)',
    f'02.10.2026;{IN_LAT};{IN_LON};"=1+1";+49 341 000;-cmd|calc',
    header="Datum;Breite;Länge;Kategorie;Text;Melder",
)

CASES: tuple[Case, ...] = (
    # --- not a table at all
    Case("empty", "leer.csv", text(""), refused="leer"),
    Case("whitespace", "leer2.csv", text("\n\n  \n"), refused="keine Zeilen|keine Tabelle"),
    Case("header_only", "kopf.csv", text(HEADER + "\n"), refused="nur die Kopfzeile"),
    Case("one_column", "eine.csv", text("Datum\n01.10.2026\n"), refused="keine Tabelle"),
    Case("binary_csv", "muell.csv", raw(garbage()), refused="Binärdaten"),
    Case("binary_noext", "muell", raw(garbage(seed=8)), refused="Binärdaten"),
    Case("pdf", "bericht.csv", raw(b"%PDF-1.7\n" + garbage(4096)), refused="Binärdaten"),
    Case("png", "bild.png", raw(b"\x89PNG\r\n\x1a\n" + garbage(4096)), refused="Binärdaten"),
    Case("xls", "tabelle.xls", raw(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + garbage(4096)), refused="Excel"),
    Case("xlsx_as_zip", "tabelle.zip", excel_zip, refused="Excel"),
    Case("csv_named_gpkg", "funde.gpkg", text(csv_text(ok_row())), refused="passt nicht zur Dateiendung"),
    Case("csv_named_zip", "funde.zip", text(csv_text(ok_row())), refused="passt nicht zur Dateiendung"),
    Case("lone_shp", "funde.shp", raw(b"\x00\x00\x27\x0a" + bytes(96)), refused="als ZIP"),
    Case("too_large", "riesig.csv", sparse(1024**3), refused="zu groß"),
    Case("too_many_columns", "breit.csv", text(";".join(f"c{i}" for i in range(600)) + "\n" + ";" * 599 + "\n"),
         refused="zu viele Spalten"),
    # --- GeoJSON
    Case("truncated_geojson", "abgebrochen.geojson", text(geojson(feature(None))[:-25]), refused="beschädigt"),
    Case("json_array", "liste.json", text("[1, 2, 3]"), refused="passt nicht zur Dateiendung"),
    Case("geojson_no_features", "leer.geojson", text(geojson()), refused="keine Datensätze"),
    Case("geojson_inf", "unendlich.geojson",
         text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"Datum":"01.10.2026"},'
              '"geometry":{"type":"Point","coordinates":[1e400, 51.3]}}]}'), refused="beschädigt"),
    Case("geojson_nan", "nan.geojson",
         text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"Datum":"01.10.2026"},'
              '"geometry":{"type":"Point","coordinates":[NaN, 51.3]}},'
              f'{{"type":"Feature","properties":{{"Datum":"02.10.2026"}},'
              f'"geometry":{{"type":"Point","coordinates":[{IN_LON}, {IN_LAT}]}}}}]}}'),
         stored=1, rejected=1, reasons=("Koordinaten ungültig",)),
    # stored: the Point, the one-part MultiPoint and the 3D point (height dropped)
    Case("geojson_mixed", "gemischt.geojson", text(_MIXED), stored=3, rejected=6,
         reasons=("Geometrie fehlt", "Geometrietyp LineString nicht erlaubt", "Geometrietyp MultiPoint nicht erlaubt",
                  "Geometrie leer")),
    Case("geojson_3d", "hoehe.geojson",
         text(geojson(*(feature({"type": "Point", "coordinates": [IN_LON + i * 1e-4, IN_LAT, 112.5]}, i + 1)
                        for i in range(3)))), stored=3, rejected=0),
    Case("geojson_wrong_crs", "utm.geojson", wrong_crs_geojson, stored=1, rejected=1,
         reasons=("Koordinaten ungültig|außerhalb",)),
    Case("geojson_as_csv", "eigentlich.csv", text(geojson(feature({"type": "Point", "coordinates": [IN_LON, IN_LAT]}))),
         stored=1, rejected=0),
    Case("sensitive_multipolygon", "orte.geojson", text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"Name": "Park", "Art": "Park"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[[[IN_LON, IN_LAT], [IN_LON + 1e-3, IN_LAT],
                                                                [IN_LON, IN_LAT + 1e-3], [IN_LON, IN_LAT]]]]}},
        {"type": "Feature", "properties": {"Name": "Linie", "Art": "Park"},
         "geometry": {"type": "MultiLineString", "coordinates": [[[IN_LON, IN_LAT], [IN_LON + 1e-3, IN_LAT]]]}}]})),
         kind="sensitive_place", stored=1, rejected=1, reasons=("Geometrietyp MultiLineString nicht erlaubt",)),
    # --- GeoPackage
    Case("gpkg_two_layers", "zwei.gpkg", gpkg_layers("funde", "andere"), refused="mehrere Ebenen"),
    Case("gpkg_no_layers", "keine.gpkg", gpkg_without_layers, refused="keine Ebene|beschädigt"),
    Case("gpkg_attributes_only", "tabelle.gpkg", gpkg_attributes_only, refused="keine Ebene mit Geometrien"),
    Case("sqlite_not_gpkg", "datenbank.gpkg", plain_sqlite, refused="kein GeoPackage"),
    Case("gpkg_named_csv", "funde.csv", gpkg_named_csv, stored=3, rejected=0),
    # --- Shapefile ZIPs and hostile archives
    Case("shapefile_ok", "funde.zip", shapefile_zip(), stored=4, rejected=0),
    Case("shapefile_no_prj", "ohne_prj.zip", shapefile_zip(drop=(".prj",)), refused="ohne .prj.*EPSG"),
    Case("shapefile_no_prj_crs_given", "ohne_prj2.zip", shapefile_zip(drop=(".prj",)), stored=4, rejected=0,
         options={"crs": "EPSG:4326"}),
    Case("shapefile_no_dbf", "ohne_dbf.zip", shapefile_zip(drop=(".dbf",)), refused="ohne .dbf"),
    Case("shapefile_no_shx", "ohne_shx.zip", shapefile_zip(drop=(".shx",)), refused="ohne .shx"),
    Case("zip_traversal", "boese.zip", zip_entries({"../../etc/cron.d/x.csv": b"a;b\n1;2\n"}),
         refused="unzulässigen Pfad"),
    Case("zip_absolute", "boese2.zip", zip_entries({"/tmp/x.shp": b"x"}), refused="unzulässigen Pfad"),
    Case("zip_drive", "boese3.zip", zip_entries({"C:/x.shp": b"x"}), refused="unzulässigen Pfad"),
    Case("zip_bomb", "bombe.zip", zip_bomb(), refused="ZIP-Bombe"),
    Case("zip_lying_size", "luege.zip", lying_zip, refused="ZIP-Bombe|beschädigt"),
    Case("zip_encrypted", "geheim.zip", encrypted_zip, refused="verschlüsselt"),
    Case("zip_many_members", "viele.zip", many_members, refused="zu viele Dateien"),
    Case("zip_nested", "verschachtelt.zip", nested_zip, refused="kein Shapefile"),
    Case("zip_empty", "leer.zip", raw(b"PK\x05\x06" + bytes(18)), refused="kein Shapefile"),
    Case("zip_truncated", "kaputt.zip", lambda p: (shapefile_zip()(p), p.write_bytes(p.read_bytes()[:300])),
         refused="beschädigt"),
    Case("zip_one_csv", "csv.zip", zip_entries({"daten/funde.csv": csv_text(ok_row(0), ok_row(1)).encode()}),
         stored=2, rejected=0),
    # --- messy CSV
    Case("mixed_delimiters", "gemischt.csv", text(csv_text(ok_row(0), ok_row(1).replace(";", ","), ok_row(2))),
         stored=2, rejected=1, reasons=("Zeile hat 1 statt 4 Felder",)),
    Case("quotes_newlines", "zitate.csv", text(csv_text(
        f'01.10.2026;{IN_LAT};{IN_LON};Konsum;"Er sagte ""Hallo"";\nund ging; dann weg"',
        f'02.10.2026;{IN_LAT};{IN_LON};Lärm;"mehrzeilig\r\nmit CRLF"',
        header="Datum;Breite;Länge;Kategorie;Text")), kind="complaint", stored=2, rejected=0),
    # the unclosed quote no longer swallows the next row (issue 16.5): that row is read and stored
    Case("unterminated_quote", "offen.csv", text(csv_text(ok_row(0), '"01.10.2026;1;2;3', ok_row(1))),
         stored=2, rejected=1, reasons=("Anführungszeichen in Zeile 3 der Datei nicht geschlossen",)),
    Case("formulas", "formeln.csv", text(_FORMULAS), kind="complaint", stored=1, rejected=1,
         reasons=("unbekannte Kategorie",)),
    Case("long_cell", "lang.csv", text(csv_text(ok_row(0), ok_row(1) + "x" * 200_000)), stored=1, rejected=1,
         reasons=("zu lang",)),
    Case("long_text", "langtext.csv", text(csv_text(f"01.10.2026;{IN_LAT};{IN_LON};Konsum;{'Wort ' * 3000}",
                                                     header="Datum;Breite;Länge;Kategorie;Text")),
         kind="complaint", stored=0, rejected=1, reasons=("Text zu lang",)),
    Case("many_fields_row", "feldflut.csv", text(csv_text(ok_row(0), ok_row(1) + ";1" * 200_000)),
         stored=1, rejected=1, reasons=("statt 4 Felder",)),
    Case("nan_inf", "nan.csv", text(csv_text(ok_row(0), "01.10.2026;nan;12.4;1", "01.10.2026;51.34;inf;1",
                                             "01.10.2026;-inf;NaN;1", "01.10.2026;1e999;12.4;1")),
         stored=1, rejected=4, reasons=("Koordinaten ungültig",)),
    Case("utm_in_latlon", "utm.csv", text(csv_text(f"01.10.2026;{IN_Y:.1f};{IN_X:.1f};1", ok_row(1))),
         stored=1, rejected=1, reasons=("außerhalb|ungültig",)),
    Case("swapped_latlon", "vertauscht.csv", text(csv_text(f"01.10.2026;{IN_LON};{IN_LAT};1", ok_row(1))),
         stored=1, rejected=1, reasons=("vertauscht",)),
    Case("utf16_excel", "unicode.txt", utf16_tab, stored=2, rejected=0),
    Case("duplicate_headers", "doppelt.csv", text(csv_text(ok_row(0) + ";a;b;c", header=HEADER + ";x;x;x_2")),
         stored=1, rejected=0),
    Case("nul_byte", "nul.csv", raw(csv_text(*[ok_row(i) for i in range(3)]).encode() + b"\x00"),
         refused="Binärdaten"),
    Case("control_chars", "steuer.csv", text(csv_text("\x1b[31m;\u202e;\x07;", ok_row(0), ok_row(1))),
         stored=2, rejected=1, reasons=("Datum nicht lesbar",)),
    Case("weird_file_name", "na\nme\x1b.csv", text(""), refused="leer"),
)


def build(case: Case, directory: Path) -> Path:
    """Write ``case``'s file into ``directory`` and return its path."""
    path = directory / case.filename
    case.build(path)
    return path


if __name__ == "__main__":  # write the corpus for manual checks
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-files")
    out.mkdir(parents=True, exist_ok=True)
    for c in CASES:
        sub = out / c.id
        sub.mkdir(exist_ok=True)
        print(build(c, sub), os.path.getsize(sub / c.filename))
