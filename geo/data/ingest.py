"""Validate raw input rows against the schema: every row is either accepted or rejected with a reason.

The pipeline is vectorised (pandas/NumPy/shapely 2) so a million CSV rows validate in
seconds. For each row all problems are collected; the German reasons are joined with
``"; "``. Conservation holds by construction: ``len(valid) + len(rejects) == rows read``.

Reasons (German, stable wording):
``Datum fehlt``, ``Datum nicht lesbar``, ``Datum liegt in der Zukunft``,
``Geometrie fehlt``, ``Geometrie leer``, ``Koordinaten ungültig``, ``Geometrie ungültig``,
``Geometrietyp … nicht erlaubt``, ``außerhalb des Untersuchungsgebiets`` (with
``(Breite/Länge vertauscht?)`` when swapping would put it inside), ``unbekannte Kategorie``,
``Anzahl < 1``, ``… keine ganze Zahl``, ``Pflichtfeld … fehlt``, ``Text zu lang``,
``Duplikat eines gespeicherten Datensatzes``, ``Duplikat von Zeile N``, and read errors such
as a CSV row with the wrong number of fields.

Cell values are parsed by :mod:`geo.data.parsing` (which also collects the reasons); the
geometry of each row is located, checked, repaired and moved to metres by
:func:`geo.data.geometries.row_geometries`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import fmt
from geo.core.area import StudyArea
from geo.core.errors import ImportRefused
from geo.core.schema import (
    RECORD_ID,
    TIME_FROM_ALIASES,
    TIME_TO,
    Kind,
    get_kind,
    normalise_name,
)
from geo.data.geometries import MAX_VERTICES, row_geometries
from geo.data.parsing import RowReasons, as_text, is_blank, parse_numbers
from geo.data.private import open_private, private_dir
from geo.data.readers import RawTable, read_table
from geo.data.rowquality import DateContext, location_quality, parse_date_field, time_windows
from geo.data.store import Store

#: Longest accepted text value (characters).
MAX_TEXT_CHARS = 10_000

REASON_DUPLICATE_STORED = "Duplikat eines gespeicherten Datensatzes"
#: Reason of rows whose content was deleted for data protection (a tombstone, see ``Store.delete``).
REASON_DELETED = "gelöscht (Datenschutz)"



@dataclass
class ColumnOptions:
    """How to find coordinates and fields in a table (all optional).

    ``columns`` maps field names to the file's column names (``{"found_at": "Funddatum"}``;
    also ``time_to`` for the end of a time window and ``location_precision``);
    ``lat``/``lon`` or ``x``/``y`` name coordinate columns; ``crs`` is the CRS of x/y or
    WKT coordinates (lat/lon are always WGS84). ``date_format`` (strftime) replaces the
    date detection; ``date_order`` (``"dayfirst"``/``"monthfirst"``) settles ``03/04/2024``.
    """

    columns: dict[str, str] = field(default_factory=dict)
    lat: str | None = None
    lon: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    date_format: str | None = None
    date_order: str | None = None


@dataclass
class Validated:
    """Result of :func:`validate`.

    ``valid`` is a GeoDataFrame in the area's metric CRS with the kind's fields, ``record_id``
    (a content hash, identical for identical records) and ``row`` (1-based input row).
    ``rejects`` has ``row``, ``reason`` and the original values. ``lines`` are summary lines
    printed as they are (``Datumsformat erkannt: …``, ``Sammelpunkt: …``).
    """

    kind: Kind
    valid: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows_read: int
    notes: list[str] = field(default_factory=list)
    repaired: int = 0
    originals: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    lines: list[str] = field(default_factory=list)

    def reject_stored_duplicates(self, stored_ids: pd.Index | set | np.ndarray) -> Validated:
        """Move rows whose ``record_id`` is already stored into the rejects."""
        if len(self.valid) == 0 or len(stored_ids) == 0:
            return self
        dup = self.valid[RECORD_ID].isin(pd.Index(stored_ids)).to_numpy()
        if not dup.any():
            return self
        return self._move_to_rejects(dup, REASON_DUPLICATE_STORED)

    def reject_deleted(self, tombstones: set[str] | pd.Index) -> Validated:
        """Move rows whose ``record_id`` was deleted for data protection into the rejects, *without* their values
        (row number and reason only): the deleted content is neither stored again nor copied into a reject file."""
        if len(self.valid) == 0 or len(tombstones) == 0:
            return self
        gone = self.valid[RECORD_ID].isin(pd.Index(list(tombstones))).to_numpy()
        return self._move_to_rejects(gone, REASON_DELETED, keep_values=False) if gone.any() else self

    def _move_to_rejects(self, mask: np.ndarray, reason: str, *, keep_values: bool = True) -> Validated:
        moved = self.originals.loc[self.valid.index[mask]].copy()
        if not keep_values:
            moved = pd.DataFrame(index=moved.index, columns=moved.columns, dtype=object)
        moved.insert(0, "reason", reason)
        moved.insert(0, "row", self.valid.loc[mask, "row"].to_numpy())
        rejects = pd.concat([self.rejects, moved], ignore_index=True).sort_values("row", kind="stable")
        return Validated(self.kind, self.valid.loc[~mask], rejects.reset_index(drop=True), self.rows_read,
                         list(self.notes), self.repaired, self.originals, list(self.lines))

    def reason_counts(self) -> pd.Series:
        """How often each reason occurs (a row with two problems counts for both)."""
        if self.rejects.empty:
            return pd.Series(dtype="int64")
        reasons = self.rejects["reason"].str.split("; ").explode()
        reasons = reasons.str.replace(r" '.*'$| \(.*\)$| von Zeile \d+$", "", regex=True)
        return reasons.value_counts()


def validate(
    raw: RawTable,
    kind: Kind | str,
    area: StudyArea,
    *,
    options: ColumnOptions | None = None,
    now: datetime | None = None,
    places: gpd.GeoDataFrame | None = None,
) -> Validated:
    """Check every row of ``raw`` against ``kind``'s schema and the study area.

    Parameters
    ----------
    raw : rows as read by :func:`geo.data.readers.read_table`.
    kind : record kind (name or :class:`~geo.core.schema.Kind`).
    area : study area; accepted geometries are transformed to ``area.crs`` (metres).
    options : column names and CRS for coordinates.
    now : reference time for "date in the future" (default: current local time of the area).
    places : named places (sensitive places, districts) to name the nearest one of a
        geocoding fallback point ("Sammelpunkt") in the summary.

    Returns
    -------
    Validated
        accepted rows (``valid``) and rejected rows with German reasons (``rejects``).

    Raises
    ------
    ImportRefused
        when required columns are missing or coordinates cannot be located at all;
        nothing of the file is used then.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    options = options or ColumnOptions()
    now = now or datetime.now(ZoneInfo(area.timezone)).replace(tzinfo=None)  # the area's local time
    data = raw.data
    n = len(data)
    reasons = RowReasons(n)
    for i, reason in raw.row_errors.items():
        reasons.add_at(i, reason)

    mapping = _map_columns(data.columns, kind, options, raw.source)
    dates = DateContext(area.timezone, options, raw.source)
    values = _parse_values(data, kind, mapping, reasons, now, dates)
    lines = dates.lines()
    quality: dict[str, object] = {}
    if kind.family == "report":
        quality = time_windows(data, kind, mapping, options, reasons, dates, lines)

    geoms, notes, repaired = row_geometries(raw, kind, area, options, mapping, reasons)
    notes = [*raw.notes, *notes]

    frame = pd.DataFrame(values, index=data.index)
    window_end = quality.get(TIME_TO)
    record_id = _record_ids(frame, geoms, window_end if isinstance(window_end, np.ndarray) else None,
                            ~reasons.mask())
    # duplicates within the file, among rows that are otherwise valid
    candidates = np.flatnonzero(~reasons.mask())
    ids = record_id.to_numpy()[candidates]
    repeated = pd.Series(ids).duplicated(keep="first").to_numpy()
    if repeated.any():
        first_pos = pd.Series(candidates, index=ids)
        first_pos = first_pos[~first_pos.index.duplicated(keep="first")]
        orig = first_pos.loc[ids[repeated]].to_numpy()
        reasons.add(candidates[repeated], "Duplikat von Zeile " + (orig + 1).astype(str).astype(object))

    bad = reasons.mask()
    originals = _original_values(raw)
    rejects = originals.loc[bad].copy()
    rejects.insert(0, "reason", reasons.joined(bad))
    rejects.insert(0, "row", np.flatnonzero(bad) + 1)
    ok = ~bad
    if kind.family == "report" and kind.date_field:
        quality.update(location_quality(data, geoms, ok, values[kind.date_field], kind, area, options, places,
                                         lines))
    valid = _valid_frame(frame, quality, geoms, record_id, ok, area.crs)
    return Validated(kind, valid, rejects.reset_index(drop=True), n, notes, repaired, originals, lines)


def _parse_values(data: pd.DataFrame, kind: Kind, mapping: dict, reasons: RowReasons, now: datetime,
                  dates: DateContext) -> dict[str, pd.Series]:
    """Every field of ``kind`` parsed from its column (dates with per-column format detection)."""
    values: dict[str, pd.Series] = {}
    for f in kind.fields:
        col = mapping.get(f.name)
        series = data[col] if col is not None else pd.Series([None] * len(data), index=data.index, dtype=object)
        if f.type == "datetime":
            values[f.name] = parse_date_field(series, f, kind, reasons, now, dates, col)
        else:
            values[f.name] = _parse_field(series, f, kind, reasons, now)
    return values


def _valid_frame(frame: pd.DataFrame, quality: dict, geoms: np.ndarray, record_id: pd.Series, ok: np.ndarray,
                 crs: str) -> gpd.GeoDataFrame:
    """The accepted rows: ``record_id``, ``row``, the fields, the quality columns and the geometry."""
    attrs = frame.loc[ok].copy()
    for col, value in quality.items():
        attrs[col] = np.asarray(value)[ok]
    valid = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms[ok], index=frame.index[ok]), crs=crs)
    valid.insert(0, RECORD_ID, record_id[ok].to_numpy())
    valid.insert(1, "row", np.flatnonzero(ok) + 1)
    return valid


def _map_columns(columns: pd.Index, kind: Kind, options: ColumnOptions, source: str) -> dict[str, str | None]:
    coordinate_columns = {normalise_name(c) for c in (options.lat, options.lon, options.x, options.y) if c}
    by_norm: dict[str, str] = {}
    for c in columns:
        if normalise_name(c) not in coordinate_columns:
            by_norm.setdefault(normalise_name(c), c)
    mapping: dict[str, str | None] = {}
    for f in kind.fields:
        explicit = options.columns.get(f.name)
        if explicit is not None:
            col = by_norm.get(normalise_name(explicit))
            if col is None:
                raise ImportRefused(f"{source}: Spalte '{explicit}' (für {f.label}) nicht vorhanden.")
            mapping[f.name] = col
            continue
        col = None
        window_start = TIME_FROM_ALIASES if f.name == kind.date_field and kind.family == "report" else ()
        for alias in (f.name, normalise_name(f.label), *f.aliases, *window_start):
            col = by_norm.get(normalise_name(alias))
            if col is not None:
                break
        if col is None and f.required:
            names = ", ".join(dict.fromkeys([f.label, f.name, *f.aliases[:3]]))
            raise ImportRefused(f"{source}: Pflichtspalte für {f.label} fehlt (erwartet eine von: {names}).")
        mapping[f.name] = col
    return mapping


def _parse_field(series: pd.Series, f, kind: Kind, reasons: RowReasons, now: datetime) -> pd.Series:
    blank = is_blank(series)
    if f.type in ("int", "float"):
        num = parse_numbers(series)
        bad = ~blank & ~(num.abs() <= 1e15).to_numpy()  # NaN, ±inf and absurdly large values
        reasons.add(bad, f"{f.label} ungültig")
        if f.required:
            reasons.add(blank, f"Pflichtfeld {f.label} fehlt")
        num = num.where(~blank, f.default if f.default is not None else np.nan)
        if f.type == "int":
            frac = ~bad & num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy()
            reasons.add(frac, f"{f.label} keine ganze Zahl")
        if f.minimum is not None:
            small = ~bad & (num < f.minimum).to_numpy()
            label = "Anzahl" if f.name == "count" else f.label
            reasons.add(small, f"{label} < {f.minimum:g}")
        if f.type == "int":
            return num.where(~bad, 0).fillna(0).round().astype("int64")  # rejected rows: any value, no crash
        return num.astype("float64")
    # text and category
    s = as_text(series)
    if f.required:
        reasons.add(blank, f"Pflichtfeld {f.label} fehlt")
    too_long = (s.str.len() > MAX_TEXT_CHARS).to_numpy()
    reasons.add(too_long, f"{f.label}: Text zu lang (> {MAX_TEXT_CHARS} Zeichen)")
    if f.type == "category":
        canon = {normalise_name(c): c for c in f.choices}
        lookup = {u: canon.get(normalise_name(u)) for u in s.unique()}  # per distinct value only
        mapped = s.map(lookup).astype(object)  # object: a column with no valid value must not become Arrow null
        unknown = ~blank & mapped.isna().to_numpy()
        if unknown.any():
            reasons.add(unknown, ("unbekannte Kategorie '" if f.name == "category" else f"unbekannte {f.label} '")
                        + s[unknown].str.slice(0, 60).to_numpy(dtype=object) + "'")
        s = mapped.where(~blank, f.default if f.default is not None else "").fillna("")
    elif f.default is not None:
        s = s.where(~blank, f.default)
    return s.astype("string")


def _record_ids(frame: pd.DataFrame, geoms: np.ndarray, window_end: np.ndarray | None = None,
                usable: np.ndarray | None = None) -> pd.Series:
    """Content hash per row (16 hex digits): parsed fields and geometry rounded to centimetres.

    A time window's end enters the hash only where there is one, so records without a
    window keep the ids they had before windows existed. Only rows marked ``usable`` (default: all) get
    their geometry rounded – the costly step (minutes for a polygon with a million points); the others
    are rejected anyway and hash their geometry as it is.
    """
    parts = {c: frame[c] for c in frame.columns}
    present = ~shapely.is_missing(geoms)
    present[present] = ~shapely.is_empty(geoms[present])
    is_point = np.zeros(len(geoms), dtype=bool)
    is_point[present] = shapely.get_type_id(geoms[present]) == 0
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[is_point] = np.round(shapely.get_x(geoms[is_point]), 2)
    y[is_point] = np.round(shapely.get_y(geoms[is_point]), 2)
    wkb = np.full(len(geoms), "", dtype=object)
    other = present & ~is_point
    rounded = other if usable is None else other & usable
    if rounded.any():
        wkb[rounded] = shapely.to_wkb(shapely.set_precision(geoms[rounded], 0.01), hex=True)
    if (other & ~rounded).any():
        wkb[other & ~rounded] = shapely.to_wkb(geoms[other & ~rounded], hex=True)
    parts.update(_x=x, _y=y, _wkb=pd.Series(wkb, index=frame.index, dtype="string"))
    h = pd.util.hash_pandas_object(pd.DataFrame(parts, index=frame.index), index=False).to_numpy()
    if window_end is not None:
        end = np.asarray(window_end, dtype="datetime64[ns]")
        has = ~np.isnat(end)
        if has.any():
            h = h.copy()
            h[has] = h[has] * np.uint64(1_000_003) + pd.util.hash_array(end[has].astype(np.int64))
    return pd.Series(hex_ids(h), index=frame.index, dtype=object)


def hex_ids(h: np.ndarray) -> np.ndarray:
    """uint64 hashes → 16-digit lower-case hex strings, vectorised."""
    b = np.ascontiguousarray(h.astype(">u8")).view(np.uint8).reshape(-1, 8)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((len(b), 16), dtype=np.uint8)
    out[:, 0::2] = digits[b >> 4]
    out[:, 1::2] = digits[b & 15]
    return out.view("S16").ravel().astype("U16").astype(object)


def _original_values(raw: RawTable) -> pd.DataFrame:
    out = raw.data.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].astype(str)
    if raw.geometry is not None:
        g = np.asarray(raw.geometry, dtype=object)
        wkt = np.full(len(g), "", dtype=object)
        present = ~shapely.is_missing(g)
        n = np.zeros(len(g), dtype=np.int64)
        n[present] = shapely.get_num_coordinates(g[present])
        huge = present & (n > MAX_VERTICES)  # rejected for it; 40 MB of text would help nobody
        wkt[huge] = [f"({fmt.number(k)} Punkte, nicht wiedergegeben)" for k in n[huge]]
        if (present & ~huge).any():
            wkt[present & ~huge] = shapely.to_wkt(g[present & ~huge], rounding_precision=7, trim=True)
        out["geometry_wkt"] = wkt
    return out


def frame_to_raw(frame: pd.DataFrame | gpd.GeoDataFrame, source: str) -> RawTable:
    """Wrap an in-memory (Geo)DataFrame (e.g. demo data) as a raw table for :func:`validate`."""
    if isinstance(frame, gpd.GeoDataFrame):
        data = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
        crs = frame.crs.to_string() if frame.crs is not None else None
        return RawTable(data, "GeoDataFrame", source, geometry=np.asarray(frame.geometry.values, dtype=object),
                        crs=crs)
    return RawTable(frame.reset_index(drop=True), "DataFrame", source)


@dataclass
class ImportReport:
    """What an import did. ``stored + rejected == rows_read`` always holds."""

    import_id: int
    kind: str
    file_name: str
    sha256: str
    rows_read: int
    stored: int
    rejected: int
    repaired: int
    reasons: pd.Series
    rejects: pd.DataFrame
    rejects_file: Path | None
    notes: list[str]
    earlier_import: str | None = None
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """German summary, e.g. ``gespeichert: 980, abgelehnt: 20``, plus the top reasons."""
        lines = [f"gespeichert: {self.stored}, abgelehnt: {self.rejected}"]
        if self.rejected:
            top = "; ".join(f"{r}: {n}" for r, n in self.reasons.head(5).items())
            lines.append(f"häufigste Gründe: {top}")
        if self.rejects_file is not None:
            lines.append(f"abgelehnte Zeilen: {self.rejects_file}")
        lines.extend(self.lines)
        if self.earlier_import:
            lines.append(f"Hinweis: diese Datei wurde bereits am {self.earlier_import} importiert.")
        lines.extend(f"Hinweis: {n}" for n in self.notes)
        return "\n".join(lines)


Progress = Callable[[str, float], None]


def _noop(stage: str, fraction: float) -> None:  # pragma: no cover - default callback
    return None


def import_file(
    path: str | os.PathLike,
    kind: Kind | str,
    store: Store,
    *,
    layer: str | None = None,
    options: ColumnOptions | None = None,
    display_name: str | None = None,
    user: str = "lokal",
    now: datetime | None = None,
    progress: Progress = _noop,
) -> ImportReport:
    """Read, validate and store a file atomically.

    All valid rows are stored in one atomic write, or none if anything fails. Rejected
    rows go to a CSV in ``store.rejects_dir``. A file that cannot be read raises
    :class:`~geo.core.errors.ImportRefused` and leaves the store unchanged.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    path = Path(path)
    name = display_name or path.name
    progress("Datei lesen", 0.0)
    raw = read_table(path, layer=layer, crs=options.crs if options else None, display_name=name)
    sha = _sha256(path)  # after read_table: its size check refuses huge or missing files before any read
    progress("Zeilen prüfen", 0.3)
    checked = validate(raw, kind, store.area, options=options, now=now)
    return _store(checked, store, name, sha, user, progress)


def import_frame(
    frame: pd.DataFrame | gpd.GeoDataFrame,
    kind: Kind | str,
    store: Store,
    *,
    source: str,
    options: ColumnOptions | None = None,
    user: str = "lokal",
    now: datetime | None = None,
    progress: Progress = _noop,
) -> ImportReport:
    """Like :func:`import_file` for an in-memory table (e.g. generated demo data)."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    raw = frame_to_raw(frame, source)
    sha = hashlib.sha256(pd.util.hash_pandas_object(raw.data.astype(str), index=False).to_numpy().tobytes()
                         ).hexdigest()
    checked = validate(raw, kind, store.area, options=options, now=now)
    return _store(checked, store, source, sha, user, progress)


def _store(checked: Validated, store: Store, name: str, sha: str, user: str, progress: Progress) -> ImportReport:
    kind = checked.kind
    progress("Speichern", 0.7)
    with store.lock():
        earlier = store.find_import(sha, kind.name)
        checked = checked.reject_deleted(store.tombstones(kind).get(kind.name, set()))
        checked = checked.reject_stored_duplicates(store.ids(kind))
        import_id = store._next_import_id()
        rejects_file = None
        if len(checked.rejects):
            private_dir(store.rejects_dir)
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(name).stem)[:60]
            rejects_file = store.rejects_dir / f"import-{import_id:05d}-{safe}.csv"
            write_rejects(checked.rejects, rejects_file)
        record = {
            "file_name": name, "sha256": sha, "kind": kind.name,
            "imported_at": datetime.now().isoformat(timespec="seconds"),
            "rows_read": checked.rows_read, "stored": len(checked.valid), "rejected": len(checked.rejects),
            "repaired": checked.repaired, "rejects_file": str(rejects_file) if rejects_file else None,
            "user": user, "notes": "; ".join([*checked.lines, *checked.notes]),
        }
        written = store.write_import(kind, checked.valid, record)
        assert written == import_id
    store.audit("import", user=user, kind=kind.name, count=len(checked.valid),
                detail=f"{name}: gespeichert {len(checked.valid)}, abgelehnt {len(checked.rejects)}")
    progress("fertig", 1.0)
    assert len(checked.valid) + len(checked.rejects) == checked.rows_read
    return ImportReport(
        import_id=import_id, kind=kind.name, file_name=name, sha256=sha, rows_read=checked.rows_read,
        stored=len(checked.valid), rejected=len(checked.rejects), repaired=checked.repaired,
        reasons=checked.reason_counts(), rejects=checked.rejects, rejects_file=rejects_file,
        notes=checked.notes, earlier_import=None if earlier is None else str(earlier["imported_at"]),
        lines=list(checked.lines),
    )


def write_rejects(rejects: pd.DataFrame, path: Path) -> None:
    """Write rejected rows as CSV (UTF-8 with BOM for Excel, ``;``), formula-safe."""
    from geo.data.exports import CSV_OPTIONS, neutralise_formulas

    options = {k: v for k, v in CSV_OPTIONS.items() if k != "encoding"}
    with open_private(path, "w", encoding=CSV_OPTIONS["encoding"], newline="") as fh:
        neutralise_formulas(rejects).to_csv(fh, **options)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
