"""Read an input file into a raw table: original cell values plus geometries, nothing validated.

Accepted: CSV (comma, semicolon, tab or ``|``; UTF-8, UTF-8 with BOM, UTF-16 with BOM as
written by Excel's "Unicode-Text", Windows-1252/Latin-1), GeoJSON, GeoPackage (one layer,
chosen with ``layer``) and ZIP archives holding one Shapefile (or one CSV, GeoJSON or
GeoPackage). Vector formats are read with pyogrio (GDAL).

Input comes from several organisations and may be broken or hostile. The rules:

* every problem with the file as a whole raises :class:`~geo.core.errors.ImportRefused` with
  one German line, before anything is stored; nothing else escapes this module;
* a problem with a single row is recorded in :attr:`RawTable.row_errors` so the row can be
  rejected with its number (no row is dropped silently);
* the file size is checked before a single byte is read (:data:`MAX_FILE_BYTES`);
* ZIP archives are inspected before extraction: the central directory's size, the number
  of members, absolute paths and ``..`` entries, encryption, the declared unpacked size and
  the compression ratio (zip bombs). Members are extracted by this module with a byte limit
  into a private temporary folder and only then handed to GDAL;
* GeoPackages must carry the GeoPackage ``application_id``; other SQLite databases are
  refused before GDAL opens them;
* overlong cells are cut to :data:`TRUNCATED_CHARS` characters and their rows rejected.

Well-formed CSV files are parsed by Arrow (vectorised); anything irregular – rows with the
wrong number of fields, a header spanning lines – goes through the csv module instead, so
every malformed row can be reported with its number.
"""

from __future__ import annotations

import csv
import io
import os
import struct
import sys
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyogrio
import shapely

from geo.core import fmt
from geo.core.area import DEFAULT_CRS
from geo.core.errors import ImportRefused
from geo.data.csvquotes import close_open_quote
from geo.data.gpkg_guard import check_bounded

#: Largest accepted input file (bytes); checked with ``stat`` before the file is read.
#: Override with the environment variable ``LAGEBILD_MAX_FILE_MB``.
MAX_FILE_BYTES = int(float(os.environ.get("LAGEBILD_MAX_FILE_MB", "256")) * 1024**2)
#: Largest accepted unpacked size of the members extracted from a ZIP archive (bytes).
MAX_UNZIPPED_BYTES = 4 * MAX_FILE_BYTES
#: Largest accepted compression ratio of a ZIP member larger than :data:`ZIP_RATIO_MIN_BYTES`.
MAX_ZIP_RATIO = 200
ZIP_RATIO_MIN_BYTES = 10 * 1024**2
#: Most members a ZIP archive may list, and the largest central directory (bytes).
MAX_ZIP_MEMBERS = 1_000
MAX_ZIP_DIRECTORY_BYTES = 1024**2
#: Longest accepted cell (characters); longer cells are cut and their rows rejected.
MAX_FIELD_CHARS = 100_000
#: Characters kept of an overlong cell (so the rejects file stays small).
TRUNCATED_CHARS = 200
#: Most columns a table may have.
MAX_COLUMNS = 500

#: The csv module's own limit is set above ours so overlong cells reach the per-row check.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".geojson", ".json", ".gpkg")
_CSV_DELIMITERS = (";", ",", "\t", "|")
_ALLOWED = "Erlaubt sind CSV, GeoJSON, GeoPackage und gezippte Shapefiles."


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
    path : the file. The format is taken from the content (magic bytes) and, failing
        that, from the extension.
    layer : GeoPackage layer to read (required when the file has several spatial layers).
    crs : CRS to assume for a Shapefile without ``.prj`` (otherwise the file is refused).
    display_name : name used in messages (defaults to the file name).

    Raises
    ------
    ImportRefused
        The file cannot be read as a table (one German line); nothing else is raised.
    """
    return _read_any(Path(path), layer=layer, crs=crs, name=safe_display_name(display_name or Path(path).name))


def safe_display_name(name: str) -> str:
    """A file name fit for a one-line message: control characters removed, at most 120 characters.

    >>> safe_display_name("a\\nb.csv")
    'a b.csv'
    """
    text = "".join(ch if ch.isprintable() else " " for ch in str(name)).strip()
    return (text[:117] + "…") if len(text) > 120 else (text or "Datei")


def check_size(path: Path, name: str) -> int:
    """Refuse a missing, special or too large file without reading it; return its size in bytes."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ImportRefused(f"Datei {name} nicht gefunden.") from None
    except OSError as exc:
        raise ImportRefused(f"Datei {name} nicht lesbar ({exc.strerror}).") from None
    if not path.is_file():
        raise ImportRefused(f"{name} ist keine gewöhnliche Datei.")
    if st.st_size == 0:
        raise ImportRefused(f"Datei {name} ist leer.")
    if st.st_size > MAX_FILE_BYTES:
        raise ImportRefused(
            f"Datei {name} ist zu groß ({_mb(st.st_size)}; höchstens {_mb(MAX_FILE_BYTES)}) – "
            "bitte aufteilen oder nur den benötigten Zeitraum exportieren."
        )
    return st.st_size


def _mb(n: float) -> str:
    return f"{fmt.number(n / 1024**2)} MB"


def _read_any(path: Path, *, layer: str | None, crs: str | None, name: str, nested: bool = False) -> RawTable:
    check_size(path, name)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ImportRefused(f"Datei {name} nicht lesbar ({exc.strerror}).") from None
    fmt = detect_format(path.suffix, head)
    if fmt == "csv":
        return read_csv(path, display_name=name)
    if fmt == "gpkg" and head[68:72] not in GPKG_APPLICATION_IDS:
        raise ImportRefused(f"{name}: SQLite-Datenbank, aber kein GeoPackage – abgelehnt.")
    if fmt == "gpkg":
        check_bounded(path, name)  # no views or virtual tables: reading must end (issue 16.5)
    if fmt in ("geojson", "gpkg"):
        label, ext = ("GeoJSON", (".geojson", ".json")) if fmt == "geojson" else ("GeoPackage", (".gpkg",))
        if path.suffix.lower() in ext:
            return _read_vector(str(path), name, label, layer=layer)
        # GDAL picks its driver by extension first (a GeoJSON named .csv would be read as CSV)
        with tempfile.TemporaryDirectory(prefix="lagebild-") as tmp:
            link = Path(tmp) / f"data{ext[0]}"
            os.symlink(path.resolve(), link)
            return _read_vector(str(link), name, label, layer=layer)
    if fmt == "zip" and nested:
        raise ImportRefused(f"{name}: verschachteltes ZIP-Archiv – bitte entpacken und einzeln importieren.")
    if fmt == "zip":
        return _read_zip(path, name, layer=layer, crs=crs)
    raise ImportRefused(_REFUSALS.get(fmt, "{name}: Format nicht erkannt. " + _ALLOWED).format(
        name=name, ext=path.suffix.lower() or "(ohne)"))


_REFUSALS = {
    "excel": "{name}: Excel-/Tabellenkalkulationsdatei – bitte als CSV (UTF-8, Trennzeichen ;) speichern.",
    "shapefile_part": "{name}: einzelne Shapefile-Datei – bitte .shp, .shx, .dbf und .prj zusammen als ZIP.",
    "binary": "{name}: keine Textdatei (Binärdaten) – " + _ALLOWED,
    "mismatch": "{name}: Inhalt passt nicht zur Dateiendung {ext} (Datei beschädigt oder falsch benannt?).",
}


def detect_format(suffix: str, head: bytes) -> str:
    """The format of a file from its first bytes and extension.

    Returns one of ``csv``, ``geojson``, ``gpkg``, ``zip`` (readable) or ``excel``,
    ``shapefile_part``, ``binary``, ``mismatch``, ``unknown`` (refused).
    """
    ext = suffix.lower()
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "excel" if ext in (".xlsx", ".xlsm", ".ods") else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0") or ext in (".xls", ".xlsx", ".xlsm", ".ods"):
        return "excel"
    if head.startswith(b"\x00\x00\x27\x0a") or ext in _SHAPEFILE_PARTS:
        return "shapefile_part"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text with BOM (Excel "Unicode-Text")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "geojson"
    if ext in (".gpkg", ".zip", ".geojson", ".json"):
        return "mismatch"  # the extension promises a format the content does not have
    if b"\x00" in head or (ext not in (".csv", ".txt", ".tsv") and not _looks_like_text(head)):
        return "binary"
    return "csv"


def _looks_like_text(head: bytes) -> bool:
    controls = sum(b < 9 or 13 < b < 32 for b in head)
    return bool(head) and controls / len(head) < 0.01


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "UTF-8 mit BOM"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first record (quotes respected) into the most fields.

    Ties go to ``;`` (German Excel), then ``,``, tab and ``|``.

    >>> sniff_delimiter('"a,b";c;d\\n1;2;3')
    ';'
    """
    sample = text[:65536]
    best, width = ",", 1
    for d in _CSV_DELIMITERS:
        first = next(csv.reader(io.StringIO(sample, newline=""), delimiter=d), [])
        if len(first) > width:
            best, width = d, len(first)
    return best


def read_csv(path: str | os.PathLike, *, display_name: str | None = None) -> RawTable:
    """Read a CSV file with unknown delimiter and encoding; every cell stays a string.

    Rows whose number of fields differs from the header are kept and marked in
    ``row_errors`` so they can be rejected with their row number (nothing is dropped).
    Quoted fields may hold delimiters, quotes (doubled) and line breaks.
    """
    path = Path(path)
    name = safe_display_name(display_name or path.name)
    check_size(path, name)
    with open(path, "rb") as fh:
        raw = fh.read(MAX_FILE_BYTES + 1)  # never more than the limit, even if the file grew since the check
    if len(raw) > MAX_FILE_BYTES:
        raise ImportRefused(f"Datei {name} ist zu groß (höchstens {_mb(MAX_FILE_BYTES)}).")
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in raw[:1_000_000]:
        raise ImportRefused(_REFUSALS["binary"].format(name=name))
    text, encoding = _decode(raw)
    del raw
    text = text.replace("\x00", "")  # NULs would stop the csv module; they are no data
    delimiter = sniff_delimiter(text)
    text, open_quote = close_open_quote(text, delimiter)
    fast = _read_clean_csv(text, delimiter)
    if fast is not None:  # the common case: a well-formed file, parsed by Arrow without a Python loop
        row_errors: dict[int, str] = dict([open_quote] if open_quote else [])
        _mark_long_cells(fast, row_errors)
        notes = [f"Kodierung {encoding}, Trennzeichen '{'Tab' if delimiter == chr(9) else delimiter}'"]
        return RawTable(fast, "CSV", name, row_errors=row_errors, notes=notes)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'))
    except csv.Error as exc:  # pragma: no cover - the csv module is lenient; kept as a last guard
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
    if len(header) > MAX_COLUMNS:
        raise ImportRefused(f"{name}: zu viele Spalten ({len(header)}; höchstens {MAX_COLUMNS}).")
    body = rows[1:]
    del rows
    if not body:
        raise ImportRefused(f"{name}: Datei enthält nur die Kopfzeile, keine Datensätze.")
    width = len(header)
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    bad = np.flatnonzero(lengths != width)
    for i in bad.tolist():  # only the malformed rows, not a loop over the file
        body[i] = (body[i] + [""] * width)[:width]  # pad short rows, cut long ones (they are rejected)
    frame = pd.DataFrame(body, columns=unique_names(header), dtype=object)
    del body
    row_errors = {
        i: f"Zeile hat {lengths[i]} statt {width} Felder (Trennzeichen gemischt oder Anführungszeichen offen?)"
        for i in bad.tolist()
    }
    if open_quote:
        i, reason = open_quote
        row_errors[i] = f"{reason}; {row_errors[i]}" if i in row_errors else reason
    _mark_long_cells(frame, row_errors)
    notes = [f"Kodierung {encoding}, Trennzeichen '{'Tab' if delimiter == chr(9) else delimiter}'"]
    return RawTable(frame, "CSV", name, row_errors=row_errors, notes=notes)


def _read_clean_csv(text: str, delimiter: str) -> pd.DataFrame | None:
    """Parse a well-formed CSV with Arrow (multi-threaded, vectorised); every cell a string.

    Returns None whenever the file needs the exact, row-by-row path of :func:`read_csv`:
    a header spanning lines, fewer than two columns, no data rows, or any row whose
    number of fields differs from the header (those rows must be reported, not skipped).
    """
    first = text.split("\n", 1)[0]
    try:
        header = next(csv.reader([first], delimiter=delimiter, quotechar='"'))
    except (csv.Error, StopIteration):
        return None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len(header) < 2 or len(header) > MAX_COLUMNS or not any(header) or first.count('"') % 2:
        return None
    names = unique_names(header)
    malformed = []

    def on_invalid(row) -> str:
        malformed.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                             newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if malformed or table.num_rows == 0:
        return None
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def unique_names(header: list[str]) -> list[str]:
    """Column names made unique and non-empty: ``["a", "", "a"]`` → ``["a", "Spalte_2", "a_2"]``."""
    seen: set[str] = set()
    out = []
    for i, h in enumerate(header):
        base = str(h) or f"Spalte_{i + 1}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _mark_long_cells(frame: pd.DataFrame, row_errors: dict[int, str]) -> None:
    """Cut text cells longer than :data:`MAX_FIELD_CHARS` in place and record their rows."""
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        try:
            lengths = pd.to_numeric(s.str.len(), errors="coerce").fillna(0).to_numpy()
        except AttributeError:  # no text column (e.g. binary values)
            continue
        long_rows = np.flatnonzero(lengths > MAX_FIELD_CHARS)
        if not len(long_rows):
            continue
        values = s.to_numpy(dtype=object, copy=True)
        values[long_rows] = [str(v)[:TRUNCATED_CHARS] + "…" for v in values[long_rows]]
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
        reason = f"Feld '{safe_display_name(str(col))[:40]}' zu lang (> {MAX_FIELD_CHARS} Zeichen)"
        for i in long_rows.tolist():
            row_errors[i] = f"{row_errors[i]}; {reason}" if i in row_errors else reason


def _read_vector(source: str, name: str, fmt: str, *, layer: str | None = None, crs: str | None = None) -> RawTable:
    try:
        layers = pyogrio.list_layers(source)
    except Exception:  # noqa: BLE001 - GDAL says "not recognized as a supported file format" etc.
        raise ImportRefused(f"{name}: Datei ist beschädigt oder kein gültiges {fmt}.") from None
    names = [str(n) for n in layers[:, 0]] if len(layers) else []
    spatial = [str(n) for n, g in layers if g is not None] if len(layers) else []
    listed = safe_display_name(", ".join(spatial or names))
    if not names:
        raise ImportRefused(f"{name}: enthält keine Ebene mit Daten.")
    if layer is None:
        if len(spatial) > 1:
            raise ImportRefused(
                f"{name}: enthält mehrere Ebenen ({listed}); bitte eine wählen (--layer)."
            )
        if not spatial:
            raise ImportRefused(f"{name}: enthält keine Ebene mit Geometrien.")
        layer = spatial[0]
    elif layer not in names:
        raise ImportRefused(f"{name}: Ebene '{safe_display_name(layer)}' nicht vorhanden (vorhanden: {listed}).")
    try:
        with warnings.catch_warnings():  # GDAL's warnings on broken features; those rows are rejected anyway
            warnings.simplefilter("ignore", RuntimeWarning)
            info = pyogrio.read_info(source, layer=layer)
            gdf = pyogrio.read_dataframe(source, layer=layer, use_arrow=False, on_invalid="ignore")
    except Exception as exc:  # noqa: BLE001
        raise ImportRefused(f"{name}: {fmt} nicht lesbar ({_first_line(exc)}).") from None
    if "geometry" not in gdf:
        raise ImportRefused(f"{name}: Ebene '{safe_display_name(layer)}' hat keine Geometrie.")
    if len(gdf) == 0:
        raise ImportRefused(f"{name}: Ebene '{safe_display_name(layer)}' enthält keine Datensätze.")
    if len(gdf.columns) > MAX_COLUMNS:
        raise ImportRefused(f"{name}: zu viele Spalten ({len(gdf.columns)}; höchstens {MAX_COLUMNS}).")
    file_crs = info.get("crs")
    if file_crs is None and gdf.geometry.notna().any():
        if crs is None:
            raise ImportRefused(
                f"{name}: Koordinatensystem unbekannt (keine .prj-Datei); bitte angeben, z. B. {DEFAULT_CRS} "
                f"(Befehlszeile: --crs {DEFAULT_CRS})."
            )
        file_crs = crs
    data = pd.DataFrame(gdf.drop(columns="geometry")).reset_index(drop=True)
    data.columns = unique_names([str(c) for c in data.columns])
    geometry = np.asarray(gdf.geometry.values, dtype=object)
    row_errors: dict[int, str] = {}
    _mark_long_cells(data, row_errors)
    return RawTable(data, fmt, name, geometry=geometry, crs=file_crs, layer=layer, row_errors=row_errors)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


# ---------------------------------------------------------------------- ZIP archives
def check_zip_directory(path: Path, name: str) -> None:
    """Refuse archives whose central directory is too large, before :mod:`zipfile` parses it."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 65_557))  # end record (22 bytes) plus the longest comment
        tail = fh.read()
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or len(tail) - pos < 22:
            raise ImportRefused(f"{name}: ZIP-Archiv beschädigt.")
        entries, dir_size = struct.unpack("<HI", tail[pos + 10 : pos + 16])
        if entries == 0xFFFF or dir_size == 0xFFFFFFFF:  # ZIP64: the real numbers are elsewhere
            loc = tail.rfind(b"PK\x06\x07", 0, pos)
            if loc < 0:
                raise ImportRefused(f"{name}: ZIP-Archiv beschädigt.")
            (offset,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
            fh.seek(offset)
            record = fh.read(56)
            if len(record) < 56 or not record.startswith(b"PK\x06\x06"):
                raise ImportRefused(f"{name}: ZIP-Archiv beschädigt.")
            entries, dir_size = struct.unpack("<QQ", record[32:48])
    if entries > MAX_ZIP_MEMBERS or dir_size > MAX_ZIP_DIRECTORY_BYTES:
        raise ImportRefused(f"{name}: ZIP enthält zu viele Dateien ({entries}; höchstens {MAX_ZIP_MEMBERS}).")


def check_zip_members(infos: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse unsafe archives: absolute or ``..`` paths, encryption, zip bombs, too many members."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ImportRefused(f"{name}: ZIP enthält zu viele Dateien ({len(infos)}; höchstens {MAX_ZIP_MEMBERS}).")
    total = 0
    for info in infos:
        raw_name = info.filename.replace("\\", "/")
        parts = PurePosixPath(raw_name).parts
        if raw_name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            shown = safe_display_name(info.filename)
            raise ImportRefused(f"{name}: ZIP enthält unzulässigen Pfad '{shown}' – abgelehnt.")
        if info.flag_bits & 0x1:
            raise ImportRefused(f"{name}: ZIP ist verschlüsselt – bitte ohne Passwort packen.")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_ZIP_RATIO and info.file_size > ZIP_RATIO_MIN_BYTES:
            raise ImportRefused(f"{name}: ZIP ist verdächtig stark komprimiert (ZIP-Bombe?) – abgelehnt.")
    if total > MAX_UNZIPPED_BYTES:
        raise ImportRefused(
            f"{name}: ZIP-Inhalt zu groß ({_mb(total)} entpackt; höchstens {_mb(MAX_UNZIPPED_BYTES)})."
        )


def extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, name: str) -> None:
    """Extract one member to ``dest``, never writing more than its declared size (checked CRC)."""
    left = info.file_size
    try:
        with zf.open(info) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                left -= len(chunk)
                if left < 0:
                    raise ImportRefused(f"{name}: ZIP-Inhalt größer als angegeben (ZIP-Bombe?) – abgelehnt.")
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
        raise ImportRefused(f"{name}: ZIP-Archiv beschädigt oder nicht unterstütztes Packverfahren.") from None


def _read_zip(path: Path, name: str, *, layer: str | None, crs: str | None) -> RawTable:
    check_zip_directory(path, name)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        raise ImportRefused(f"{name}: ZIP-Archiv beschädigt.") from None
    with zf:
        infos = zf.infolist()
        check_zip_members(infos, name)
        files = [i for i in infos if not i.is_dir() and not PurePosixPath(i.filename).name.startswith(".")
                 and "__MACOSX" not in i.filename]
        by_lower = {i.filename.replace("\\", "/").lower(): i for i in files}
        if "xl/workbook.xml" in by_lower or "content.xml" in by_lower:
            raise ImportRefused(_REFUSALS["excel"].format(name=name))
        shps = [i for i in files if i.filename.lower().endswith(".shp")]
        if len(shps) > 1:
            listed = ", ".join(safe_display_name(i.filename) for i in shps[:5])
            raise ImportRefused(f"{name}: ZIP enthält mehrere Shapefiles ({listed}); bitte einzeln importieren.")
        if shps:
            stem = shps[0].filename.replace("\\", "/")[:-4].lower()
            parts = {ext: by_lower.get(stem + ext) for ext in _SHAPEFILE_PARTS}
            if parts[".dbf"] is None:
                raise ImportRefused(f"{name}: Shapefile ohne .dbf-Datei (Attribute fehlen).")
            if parts[".shx"] is None:
                raise ImportRefused(f"{name}: Shapefile ohne .shx-Datei.")
            if parts[".prj"] is None and crs is None:
                raise ImportRefused(
                    f"{name}: Shapefile ohne .prj – Koordinatensystem unbekannt; bitte angeben, z. B. {DEFAULT_CRS} "
                    f"(Befehlszeile: --crs {DEFAULT_CRS})."
                )
            with tempfile.TemporaryDirectory(prefix="lagebild-zip-") as tmp:
                for ext, info in parts.items():
                    if info is not None:
                        extract_member(zf, info, Path(tmp) / f"data{ext}", name)
                return _read_vector(str(Path(tmp) / "data.shp"), name, "Shapefile", crs=crs)
        data = [i for i in files if i.filename.lower().endswith(_DATA_SUFFIXES)]
        if len(data) != 1:
            raise ImportRefused(
                f"{name}: ZIP enthält kein Shapefile (.shp)" + (" und mehrere Dateien; bitte entpacken." if data
                                                                else ".")
            )
        member = data[0]
        suffix = PurePosixPath(member.filename.replace("\\", "/")).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="lagebild-zip-") as tmp:
            dest = Path(tmp) / f"data{suffix}"
            extract_member(zf, member, dest, name)
            inner = safe_display_name(f"{name}/{PurePosixPath(member.filename).name}")
            return _read_any(dest, layer=layer, crs=crs, name=inner, nested=True)


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
