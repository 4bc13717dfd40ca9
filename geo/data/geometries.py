"""Geometries of imported rows: located, checked, repaired, moved to metres and tested against the area.

:func:`row_geometries` runs the steps below in order; each records the German reason of every
row it rejects (``reasons``) and leaves ``None`` or the unusable geometry in place (the row is
rejected anyway):

1. :func:`read_geometries` — the file's own geometries, or points from latitude/longitude or
   x/y columns, or WKT text;
2. :func:`usable_geometries` — missing and empty geometries out; :func:`vertex_limit` — geometries with
   more than :data:`MAX_VERTICES` points out (one such polygon would make every map load tens of MB);
3. :func:`drop_z` — heights dropped (vector files);
4. :func:`finite_coordinates` — NaN/inf coordinates out;
5. :func:`allowed_types` — single-part MultiPoints become points; types the kind does not
   allow out;
6. :func:`repair_invalid` — invalid polygons and lines repaired with ``make_valid``;
7. :func:`to_area_crs` — transformed to the area's metric CRS;
8. :func:`check_inside_area` — rows outside the study area out, with a hint when swapping
   latitude and longitude would put them inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.core import fmt
from geo.core.area import DEFAULT_CRS, DISPLAY_CRS, StudyArea
from geo.core.errors import ImportRefused
from geo.core.schema import LAT_ALIASES, LON_ALIASES, WKT_ALIASES, X_ALIASES, Y_ALIASES, Kind, normalise_name
from geo.data.parsing import RowReasons, is_blank, parse_numbers
from geo.data.readers import RawTable, geometry_type_names

if TYPE_CHECKING:
    from geo.data.ingest import ColumnOptions

#: Shapely geometry types accepted for each geometry of a kind's schema.
ALLOWED_TYPES = {
    "Point": ("Point",),
    "LineString": ("LineString", "MultiLineString"),
    "Polygon": ("Polygon", "MultiPolygon"),
}


@dataclass
class SourceGeometries:
    """Geometries as read, before any check.

    ``geoms`` (object array, one per row, None when missing), ``crs`` (their CRS),
    ``latlon`` (the parsed latitude/longitude columns, for the swapped-axes hint) and German
    ``notes`` on how they were read.
    """

    geoms: np.ndarray
    crs: object
    latlon: tuple[np.ndarray, np.ndarray] | None = None
    notes: list[str] = field(default_factory=list)


def row_geometries(
    raw: RawTable, kind: Kind, area: StudyArea, options: ColumnOptions, mapping: dict[str, str | None],
    reasons: RowReasons,
) -> tuple[np.ndarray, list[str], int]:
    """Geometries of all rows of ``raw`` in ``area.crs`` (metres); rejects go to ``reasons``.

    ``mapping`` (field → column) keeps the kind's field columns from being taken for WKT.

    Returns
    -------
    geoms : object array, one geometry (or None) per row; only rows without a reason are used.
    notes : German notes (WKT read as WGS84, heights dropped, geometries repaired).
    repaired : number of repaired geometries.

    Raises
    ------
    ImportRefused
        when coordinates cannot be located at all or their CRS is unknown.
    """
    source = read_geometries(raw, area, options, mapping, reasons)
    geoms, notes = source.geoms, list(source.notes)
    is_vector = raw.geometry is not None
    usable = usable_geometries(geoms, reasons, report_missing=is_vector)
    usable &= vertex_limit(geoms, usable, reasons)
    if is_vector:
        notes.extend(drop_z(geoms, usable))
    usable &= finite_coordinates(geoms, usable, reasons)
    usable &= allowed_types(geoms, usable, kind, reasons)
    repaired, repair_notes = repair_invalid(geoms, usable, kind, reasons)
    notes.extend(repair_notes)
    usable &= to_area_crs(geoms, usable, source.crs, area, raw.source, reasons)
    check_inside_area(geoms, usable, area, source, is_vector, reasons)
    return geoms, notes, repaired


# ---------------------------------------------------------------------------- 1. reading


def _find(by_norm: dict[str, str], explicit: str | None, aliases: tuple[str, ...]) -> str | None:
    """The column named ``explicit`` (normalised), else the first column matching an alias."""
    if explicit:
        return by_norm.get(normalise_name(explicit))
    for a in aliases:
        if a in by_norm:
            return by_norm[a]
    return None


def read_geometries(
    raw: RawTable, area: StudyArea, options: ColumnOptions, mapping: dict[str, str | None], reasons: RowReasons
) -> SourceGeometries:
    """Step 1: the geometries of a vector file, or built from coordinate columns.

    Columns are looked for in this order: latitude/longitude (WGS84, straight to metres),
    x/y (needs ``options.crs``), WKT (in ``options.crs``, else read as WGS84 with a note).
    Blank and unreadable coordinates are recorded in ``reasons``.
    """
    if raw.geometry is not None:
        source = SourceGeometries(np.asarray(raw.geometry, dtype=object).copy(), raw.crs)
    else:
        used = {c for c in mapping.values() if c}
        by_norm = {normalise_name(c): c for c in raw.data.columns if c not in used}
        by_norm_all = {normalise_name(c): c for c in raw.data.columns}
        lat = _find(by_norm_all, options.lat, LAT_ALIASES)
        lon = _find(by_norm_all, options.lon, LON_ALIASES)
        x = _find(by_norm_all, options.x, X_ALIASES)
        y = _find(by_norm_all, options.y, Y_ALIASES)
        wkt = _find(by_norm, None, WKT_ALIASES)
        if lat and lon:
            source = _from_lat_lon(raw, lat, lon, area, reasons)
        elif x and y:
            source = _from_x_y(raw, x, y, options.crs, area, reasons)
        elif wkt:
            source = _from_wkt(raw, wkt, options.crs, reasons)
        else:
            raise ImportRefused(
                f"{raw.source}: keine Koordinaten gefunden (erwartet Spalten Breite/Länge, lat/lon, x/y oder WKT)."
            )
    if source.crs is None:
        raise ImportRefused(f"{raw.source}: Koordinatensystem unbekannt; bitte angeben, z. B. --crs {DEFAULT_CRS}.")
    return source


def _from_lat_lon(raw: RawTable, lat: str, lon: str, area: StudyArea, reasons: RowReasons) -> SourceGeometries:
    """Points from WGS84 latitude/longitude columns, transformed straight to the area's metres."""
    la, lo = parse_numbers(raw.data[lat]).to_numpy(), parse_numbers(raw.data[lon]).to_numpy()
    ok = np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180)
    blank = is_blank(raw.data[lat]) | is_blank(raw.data[lon])
    reasons.add(blank, "Koordinaten fehlen")
    reasons.add(~ok & ~blank, "Koordinaten ungültig")
    geoms = np.full(len(raw.data), None, dtype=object)
    mx, my = area.to_metric.transform(lo[ok], la[ok])  # straight to metres, no detour via points
    geoms[ok] = shapely.points(mx, my)
    return SourceGeometries(geoms, area.crs, latlon=(la, lo))


def _from_x_y(raw: RawTable, x: str, y: str, crs: str | None, area: StudyArea, reasons: RowReasons) -> SourceGeometries:
    """Points from x/y columns in ``crs`` (required), transformed to the area's metres."""
    if not crs:
        raise ImportRefused(
            f"{raw.source}: Spalten {x}/{y} ohne Koordinatensystem; bitte angeben, z. B. --crs {DEFAULT_CRS}."
        )
    xs, ys = parse_numbers(raw.data[x]).to_numpy(), parse_numbers(raw.data[y]).to_numpy()
    ok = np.isfinite(xs) & np.isfinite(ys)
    blank = is_blank(raw.data[x]) | is_blank(raw.data[y])
    reasons.add(blank, "Koordinaten fehlen")
    reasons.add(~ok & ~blank, "Koordinaten ungültig")
    geoms = np.full(len(raw.data), None, dtype=object)
    try:
        tr = Transformer.from_crs(crs, area.crs, always_xy=True)
    except Exception:  # noqa: BLE001
        raise ImportRefused(f"{raw.source}: Koordinatensystem '{crs}' unbekannt.") from None
    mx, my = tr.transform(xs[ok], ys[ok])
    geoms[ok] = shapely.points(mx, my)
    return SourceGeometries(geoms, area.crs)


def _from_wkt(raw: RawTable, wkt: str, crs: str | None, reasons: RowReasons) -> SourceGeometries:
    """Geometries from a WKT column in ``crs`` (WGS84 with a note when not given)."""
    text = raw.data[wkt].astype(object).where(raw.data[wkt].notna(), None).to_numpy()
    blank = is_blank(raw.data[wkt])
    geoms = np.full(len(raw.data), None, dtype=object)
    if (~blank).any():
        geoms[~blank] = shapely.from_wkt(text[~blank], on_invalid="ignore")
    reasons.add(blank, "Geometrie fehlt")
    reasons.add(~blank & shapely.is_missing(geoms), "Geometrie nicht lesbar (WKT)")
    notes = [] if crs else [f"WKT ohne Angabe des Koordinatensystems: als WGS84 ({DISPLAY_CRS}) gelesen"]
    return SourceGeometries(geoms, crs or DISPLAY_CRS, notes=notes)


# ---------------------------------------------------------------------------- 2.–6. checks


def usable_geometries(geoms: np.ndarray, reasons: RowReasons, *, report_missing: bool) -> np.ndarray:
    """Step 2: mask of rows with a geometry that is neither missing nor empty.

    Empty geometries are always recorded; missing ones only when ``report_missing`` (a
    vector file — coordinate columns have recorded their own reasons already).
    """
    missing = shapely.is_missing(geoms)
    if report_missing:
        reasons.add(missing, "Geometrie fehlt")
    present = ~missing
    empty = np.zeros(len(geoms), dtype=bool)
    empty[present] = shapely.is_empty(geoms[present])
    reasons.add(empty, "Geometrie leer")
    return present & ~empty


#: Most points (vertices) one geometry may have. A district outline has a few thousand, a building a few dozen.
MAX_VERTICES = 100_000


def vertex_limit(geoms: np.ndarray, usable: np.ndarray, reasons: RowReasons) -> np.ndarray:
    """Step 2b: mask of rows whose geometry has at most :data:`MAX_VERTICES` points; the others are rejected."""
    n = np.zeros(len(geoms), dtype=np.int64)
    if usable.any():
        n[usable] = shapely.get_num_coordinates(geoms[usable])
    too_many = usable & (n > MAX_VERTICES)
    reasons.add(too_many, f"Geometrie mit zu vielen Punkten (mehr als {fmt.number(MAX_VERTICES)})")
    return ~too_many


def drop_z(geoms: np.ndarray, usable: np.ndarray) -> list[str]:
    """Step 3: drop heights (Z) of the usable geometries in place; a note if there were any."""
    if usable.any() and shapely.has_z(geoms[usable]).any():
        geoms[usable] = shapely.force_2d(geoms[usable])
        return ["Höhenwerte (Z) verworfen"]
    return []


def finite_coordinates(geoms: np.ndarray, usable: np.ndarray, reasons: RowReasons) -> np.ndarray:
    """Step 4: mask of rows whose coordinates are all finite (NaN/inf come from broken files)."""
    coords_ok = np.ones(len(geoms), dtype=bool)
    if usable.any():
        bounds = shapely.bounds(geoms[usable])
        coords_ok[usable] = np.isfinite(bounds).all(axis=1)
        reasons.add(usable & ~coords_ok, "Koordinaten ungültig")
    return coords_ok


def allowed_types(geoms: np.ndarray, usable: np.ndarray, kind: Kind, reasons: RowReasons) -> np.ndarray:
    """Step 5: single-part MultiPoints become points (in place); mask of rows whose geometry
    type the kind allows (:data:`ALLOWED_TYPES`)."""
    types = geometry_type_names(geoms)
    multipoint = usable & (types == "MultiPoint")
    if multipoint.any():
        single = multipoint.copy()
        single[multipoint] = shapely.get_num_geometries(geoms[multipoint]) == 1
        geoms[single] = shapely.get_geometry(geoms[single], 0)
        types[single] = "Point"
    allowed = {t for g in kind.geometries for t in ALLOWED_TYPES[g]}
    wrong = usable & ~np.isin(types.astype(str), list(allowed))
    if wrong.any():
        allowed_de = "/".join(kind.geometries)
        reasons.add(wrong, "Geometrietyp " + types[wrong].astype(str).astype(object) + f" nicht erlaubt ({allowed_de})")
    return ~wrong


def _polygon_parts(fixed: np.ndarray) -> np.ndarray:
    """Repaired geometries of a polygon kind: polygons kept, collections reduced to their
    polygon parts (a MultiPolygon when several), None when none is left."""
    parts, idx = shapely.get_parts(fixed, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    merged = np.full(len(fixed), None, dtype=object)
    if keep.any():
        grouped = pd.Series(parts[keep]).groupby(idx[keep]).agg(
            lambda p: shapely.multipolygons(list(p)) if len(p) > 1 else p.iloc[0]
        )
        merged[grouped.index.to_numpy()] = grouped.to_numpy()
    return np.where(np.isin(shapely.get_type_id(fixed), [3, 6]), fixed, merged)


def repair_invalid(geoms: np.ndarray, usable: np.ndarray, kind: Kind, reasons: RowReasons) -> tuple[int, list[str]]:
    """Step 6: repair invalid lines and polygons in place (``make_valid``; points are always
    valid). Geometries that cannot be repaired are recorded in ``reasons`` (their rows stay
    "usable" here but are rejected). Returns the number repaired and a German note."""
    if not usable.any():
        return 0, []
    invalid = usable & (geometry_type_names(geoms) != "Point")
    if invalid.any():
        invalid[invalid] = ~shapely.is_valid(geoms[invalid])
    if not invalid.any():
        return 0, []
    fixed = shapely.make_valid(geoms[invalid])
    if "Polygon" in kind.geometries:
        fixed = _polygon_parts(fixed)
    still_bad = shapely.is_missing(fixed) | shapely.is_empty(fixed)
    rows = np.flatnonzero(invalid)
    reasons.add(rows[still_bad], "Geometrie ungültig (nicht reparierbar)")
    ok_rows = rows[~still_bad]
    geoms[ok_rows] = fixed[~still_bad]
    repaired = int(len(ok_rows))
    if not repaired:
        return 0, []
    return repaired, [f"{repaired} ungültige Geometrie(n) repariert (make_valid), Zeilen: "
                      + ", ".join(str(r + 1) for r in ok_rows[:20]) + (" …" if repaired > 20 else "")]


# ---------------------------------------------------------------------------- 7.–8. metres and area


def to_area_crs(
    geoms: np.ndarray, usable: np.ndarray, src_crs: object, area: StudyArea, source: str, reasons: RowReasons
) -> np.ndarray:
    """Step 7: transform the usable geometries from ``src_crs`` to ``area.crs`` in place;
    mask of rows whose transformed coordinates are finite."""
    finite = np.ones(len(geoms), dtype=bool)
    if not usable.any():
        return finite
    try:
        same = CRS.from_user_input(src_crs) == CRS.from_user_input(area.crs)
    except Exception:  # noqa: BLE001
        raise ImportRefused(f"{source}: Koordinatensystem '{src_crs}' unbekannt.") from None
    if same:
        return finite
    tr = Transformer.from_crs(src_crs, area.crs, always_xy=True)
    geoms[usable] = shapely.transform(geoms[usable], lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    finite[usable] = np.isfinite(shapely.bounds(geoms[usable])).all(axis=1)
    reasons.add(usable & ~finite, "Koordinaten ungültig (Transformation fehlgeschlagen)")
    return finite


def _swapped_inside(
    geoms: np.ndarray, outside: np.ndarray, area: StudyArea, source: SourceGeometries, is_vector: bool
) -> np.ndarray:
    """Mask of the ``outside`` rows that swapping latitude and longitude would put inside the area
    (coordinate columns; points of a vector file in a geographic CRS)."""
    swapped = np.zeros(len(geoms), dtype=bool)
    if source.latlon is not None:
        la, lo = source.latlon
        sx, sy = area.to_metric.transform(la[outside], lo[outside])
        fin = np.isfinite(sx) & np.isfinite(sy)
        hit = np.zeros(len(sx), dtype=bool)
        hit[fin] = shapely.contains_xy(area.prepared, sx[fin], sy[fin])
        swapped[outside] = hit
    elif is_vector and source.crs and CRS.from_user_input(source.crs).is_geographic:
        pts = outside & (shapely.get_type_id(geoms) == 0)
        if pts.any():
            orig = gpd.GeoSeries(geoms[pts], crs=area.crs).to_crs(source.crs)
            sx, sy = area.to_metric.transform(orig.y.to_numpy(), orig.x.to_numpy())
            swapped[pts] = shapely.contains_xy(area.prepared, sx, sy)
    return swapped


def check_inside_area(
    geoms: np.ndarray, usable: np.ndarray, area: StudyArea, source: SourceGeometries, is_vector: bool,
    reasons: RowReasons,
) -> None:
    """Step 8: record usable rows outside the study area, hinting at swapped latitude/longitude."""
    inside = np.zeros(len(geoms), dtype=bool)
    inside[usable] = area.contains(geoms[usable])
    outside = usable & ~inside
    if outside.any():
        swapped = _swapped_inside(geoms, outside, area, source, is_vector)
        reasons.add(outside & swapped, "außerhalb des Untersuchungsgebiets (Breite/Länge vertauscht?)")
        reasons.add(outside & ~swapped, "außerhalb des Untersuchungsgebiets")
