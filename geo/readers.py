"""Read an input file into a raw table: original cell values plus geometries, nothing validated.

Accepted: CSV (comma, semicolon or tab; UTF-8, UTF-8 with BOM, Windows-1252/Latin-1),
GeoJSON, GeoPackage (one layer, chosen with ``layer``) and zipped Shapefiles. Vector
formats are read with pyogrio (GDAL). A file that is not a readable table raises
:class:`~geo.errors.ImportRefused` with one German line.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.errors import ImportRefused

#: Largest accepted uncompressed size of a zip's contents and of any single file (bytes).
MAX_UNZIPPED_BYTES = 2 * 1024**3
#: Largest accepted compression ratio of a zip (more looks like a zip bomb).
MAX_ZIP_RATIO = 200
#: Longest accepted CSV cell (characters); longer cells are rejected row by row.
MAX_FIELD_CHARS = 1_000_000

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class RawTable:
    """Rows of an input file, unvalidated.

    ``data`` holds the attribute values (strings for CSV; native types for vector files)
    with a 0-based index; row *i* is reported to users as row *i + 1*. ``geometry`` is
    an object array of shapely geometries in ``crs`` for vector formats (None for CSV).
    ``row_errors`` maps row positions to a German reason found while reading (e.g. a CSV
    row with the wrong number of fields).
    """

    data: pd.DataFrame
    format: str
    source: str
    geometry: np.ndarray | None = None
    crs: str | None = None
    layer: str | None = None
    row_errors: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)


def read_table(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    crs: str | None = None,
    display_name: str | None = None,
) -> RawTable:
    """Read ``path`` into a :class:`RawTable`.

    Parameters
    ----------
    path : the file. The format is taken from the extension and, failing that, sniffed
        from the content.
    layer : GeoPackage layer to read (required when the file has several).
    crs : CRS to assume for a Shapefile without ``.prj`` (otherwise the file is refused).
    display_name : name used in messages (defaults to the file name).
    """
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise ImportRefused(f"Datei {name} nicht gefunden.")
    if path.stat().st_size == 0:
        raise ImportRefused(f"Datei {name} ist leer.")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    fmt = _detect_format(path, head)
    if fmt == "csv":
        return read_csv(path, display_name=name)
    if fmt == "zip":
        return _read_zip(path, name, crs=crs)
    if fmt in ("geojson", "gpkg"):
        return _read_vector(str(path), name, "GeoJSON" if fmt == "geojson" else "GeoPackage", layer=layer)
    raise ImportRefused(
        f"{name}: Format nicht erkannt. Erlaubt sind CSV, GeoJSON, GeoPackage und gezippte Shapefiles."
    )


def _detect_format(path: Path, head: bytes) -> str:
    ext = path.suffix.lower()
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if ext in (".geojson", ".json") or text.startswith(b"{"):
        return "geojson"
    if ext in (".gpkg", ".zip", ".shp"):
        # the extension promises a binary format the content does not have
        return "unknown"
    if b"\x00" in head:
        return "unknown"
    if ext in (".csv", ".txt", ".tsv", "") or _looks_like_text(head):
        return "csv"
    return "unknown"


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    controls = sum(b < 9 or 13 < b < 32 for b in head)
    return controls / len(head) < 0.01


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "UTF-8 mit BOM"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_csv(path: str | os.PathLike, *, display_name: str | None = None) -> RawTable:
    """Read a CSV file with unknown delimiter and encoding; every cell stays a string.

    Rows whose number of fields differs from the header are kept and marked in
    ``row_errors`` so they can be rejected with their row number (nothing is dropped).
    """
    path = Path(path)
    name = display_name or path.name
    raw = path.read_bytes()
    if b"\x00" in raw[:1_000_000]:
        raise ImportRefused(f"{name}: keine Textdatei (Binärdaten) – erwartet CSV, GeoJSON, GeoPackage oder ZIP.")
    text, encoding = _decode(raw)
    del raw
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'))
    except csv.Error as exc:
        raise ImportRefused(f"{name}: CSV nicht lesbar ({exc}).") from None
    del text
    rows = [r for r in rows if r]  # csv yields [] for blank lines; they are not records
    if not rows:
        raise ImportRefused(f"{name}: Datei enthält keine Zeilen.")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    if len(header) < 2 or not any(header):
        raise ImportRefused(
            f"{name}: keine Tabelle erkannt (Kopfzeile mit Spaltennamen und Trennzeichen ; oder , erwartet)."
        )
    body = rows[1:]
    del rows
    width = len(header)
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    bad = np.flatnonzero(lengths != width)
    for i in bad.tolist():  # only the malformed rows: pad or cut them to the header's width
        body[i] = (body[i] + [""] * width)[:width]
    frame = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(width), dtype=object)
    del body
    # keep the header's columns; pad short rows, cut long rows (they are rejected anyway)
    frame = frame.reindex(columns=range(width))
    frame.columns = _unique_names(header)
    frame = frame.fillna("").astype(object)
    row_errors: dict[int, str] = {}
    for i in bad.tolist():
        row_errors[i] = (
            f"Zeile hat {lengths[i]} statt {width} Felder (Trennzeichen gemischt oder Anführungszeichen offen?)"
        )
    notes = [f"Kodierung {encoding}, Trennzeichen '{delimiter}'"]
    return RawTable(frame, "CSV", name, row_errors=row_errors, notes=notes)


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        h = h or f"Spalte_{i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h}_{seen[h]}"
        else:
            seen[h] = 0
        out.append(h)
    return out


def _read_vector(source: str, name: str, fmt: str, *, layer: str | None = None, crs: str | None = None) -> RawTable:
    try:
        layers = pyogrio.list_layers(source)
    except Exception:  # noqa: BLE001 - GDAL says "not recognized as a supported file format" etc.
        raise ImportRefused(f"{name}: Datei ist beschädigt oder kein gültiges {fmt}.") from None
    names = [str(n) for n in layers[:, 0]] if len(layers) else []
    if not names:
        raise ImportRefused(f"{name}: enthält keine Ebene mit Daten.")
    if layer is None:
        if len(names) > 1:
            raise ImportRefused(
                f"{name}: enthält mehrere Ebenen ({', '.join(names)}); bitte eine wählen (--layer)."
            )
        layer = names[0]
    elif layer not in names:
        raise ImportRefused(f"{name}: Ebene '{layer}' nicht vorhanden (vorhanden: {', '.join(names)}).")
    try:
        info = pyogrio.read_info(source, layer=layer)
        gdf = pyogrio.read_dataframe(source, layer=layer, use_arrow=False, on_invalid="ignore")
    except Exception as exc:  # noqa: BLE001
        raise ImportRefused(f"{name}: {fmt} nicht lesbar ({_first_line(exc)}).") from None
    file_crs = info.get("crs")
    if "geometry" not in gdf:
        raise ImportRefused(f"{name}: Ebene '{layer}' hat keine Geometrie.")
    if file_crs is None and gdf.geometry.notna().any():
        if crs is None:
            raise ImportRefused(
                f"{name}: Koordinatensystem unbekannt (keine .prj-Datei); bitte angeben, z. B. --crs EPSG:25833."
            )
        file_crs = crs
    data = pd.DataFrame(gdf.drop(columns="geometry"))
    geometry = np.asarray(gdf.geometry.values, dtype=object)
    notes = []
    if info.get("geometry_type") and "Z" in str(info.get("geometry_type")).upper().replace("ZIP", ""):
        notes.append("3D-Geometrien: Höhenwerte werden verworfen")
    return RawTable(data.reset_index(drop=True), fmt, name, geometry=geometry, crs=file_crs, layer=layer,
                    notes=notes)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _read_zip(path: Path, name: str, *, crs: str | None) -> RawTable:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(f"{name}: ZIP-Archiv beschädigt.") from None
    total = 0
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or info.filename.startswith("/"):
            raise ImportRefused(f"{name}: ZIP enthält unzulässigen Pfad '{info.filename}' – abgelehnt.")
        total += info.file_size
        if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_ZIP_RATIO and info.file_size > 10e6:
            raise ImportRefused(f"{name}: ZIP ist verdächtig stark komprimiert (ZIP-Bombe?) – abgelehnt.")
    if total > MAX_UNZIPPED_BYTES:
        raise ImportRefused(f"{name}: ZIP-Inhalt zu groß ({total / 1e9:.1f} GB entpackt).")
    members = [i.filename for i in infos if not i.is_dir()]
    shps = [m for m in members if m.lower().endswith(".shp")]
    others = [m for m in members if m.lower().endswith((".geojson", ".json", ".gpkg", ".csv"))]
    if len(shps) > 1:
        raise ImportRefused(f"{name}: ZIP enthält mehrere Shapefiles ({', '.join(shps)}); bitte einzeln importieren.")
    if not shps:
        if len(others) == 1:
            raise ImportRefused(f"{name}: ZIP enthält kein Shapefile; bitte {others[0]} entpackt importieren.")
        raise ImportRefused(f"{name}: ZIP enthält kein Shapefile (.shp).")
    stem = shps[0][:-4]
    lower = {m.lower() for m in members}
    if f"{stem}.dbf".lower() not in lower:
        raise ImportRefused(f"{name}: Shapefile ohne .dbf-Datei (Attribute fehlen).")
    if f"{stem}.shx".lower() not in lower:
        raise ImportRefused(f"{name}: Shapefile ohne .shx-Datei.")
    if f"{stem}.prj".lower() not in lower and crs is None:
        raise ImportRefused(
            f"{name}: Shapefile ohne .prj – Koordinatensystem unbekannt; bitte angeben, z. B. --crs EPSG:25833."
        )
    return _read_vector(f"/vsizip/{path.resolve()}/{shps[0]}", name, "Shapefile", crs=crs)


def geometry_type_names(geoms: np.ndarray) -> np.ndarray:
    """Geometry type names of an object array (``None`` for missing)."""
    out = shapely.get_type_id(geoms)
    names = np.array(
        ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
         "GeometryCollection"], dtype=object,
    )
    res = np.full(len(geoms), None, dtype=object)
    ok = out >= 0
    res[ok] = names[out[ok]]
    return res
