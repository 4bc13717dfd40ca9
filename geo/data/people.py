"""Tables meant for people (the app's downloads): German headings and values, coordinates to read.

The command line keeps its documented English columns (a contract for scripts); what the app
hands to people – the data export of the Daten page, the bin plan for the crews – goes through
this module first:

* headings are the German field labels of :mod:`geo.core.schema` (``Fundzeit``, ``Anzahl`` …);
* values a person reads are German (``Vorschlag`` / ``bestehend``, dates as ``31.10.2026 14:05``
  and yes/no as ``ja`` / ``nein`` in CSV), and the file is named in German (:func:`file_name`);
* every row gets ``Breite`` / ``Länge`` (WGS84, a point on the geometry) besides the geometry as
  WKT (CSV) or the GeoJSON geometry.

Write the result with :func:`geo.data.exports.write_table` (CSV for Excel, GeoJSON).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.period import Period
from geo.core.schema import IMPORT_ID, QUALITY_LABELS, RECORD_ID, get_kind

#: Headings of the columns every stored record carries, and of the optional quality columns (schema).
SYSTEM_LABELS: dict[str, str] = {RECORD_ID: "Datensatz-ID", IMPORT_ID: "Import-Nr.", **QUALITY_LABELS}
LAT, LON, WKT = "Breite", "Länge", "Geometrie (WKT, WGS84)"

#: German headings of :func:`geo.analysis.siting.plan_table`'s columns.
PLAN_LABELS: dict[str, str] = {
    "status": "Art", "rank": "Rang", "record_id": "Datensatz-ID", "label": "Standort", "owner": "Eigentümer",
    "installed_at": "aufgestellt am", "covered_finds": "Funde im Radius", "covered_syringes": "Spritzen im Radius",
    "unique_finds": "nur hier: Funde", "unique_syringes": "nur hier: Spritzen",
    "removal_rank": "Versetzen prüfen (1 = zuerst)", "removal_reason": "Begründung",
    "gain_finds": "neu abgedeckt: Funde", "gain_syringes": "neu abgedeckt: Spritzen",
    "share_syringes_after": "Spritzen im Radius danach (%)",
    "x": "Rechtswert (ETRS89/UTM 33N)", "y": "Hochwert (ETRS89/UTM 33N)", "lat": LAT, "lon": LON,
}
#: German values of the plan's ``status`` column.
PLAN_STATUS: dict[str, str] = {"suggested": "Vorschlag", "existing": "bestehend"}


def lat_lon_columns(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (WGS84, 6 decimals) of a point on each geometry; NaN without one."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    lat = np.full(len(gdf), np.nan)
    lon = np.full(len(gdf), np.nan)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.zeros(0, bool)
    if ok.any():
        pts = gpd.GeoSeries(shapely.point_on_surface(geoms[ok]), crs=gdf.crs)
        if gdf.crs is not None:
            pts = pts.to_crs(DISPLAY_CRS)
        lat[ok] = np.round(pts.y.to_numpy(), 6)
        lon[ok] = np.round(pts.x.to_numpy(), 6)
    return lat, lon


def _german_datetimes(df: pd.DataFrame) -> pd.DataFrame:
    """Date columns as ``31.10.2026`` or ``31.10.2026 14:05`` text (missing: empty)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            t = out[col]
            with_time = bool((t.notna() & ((t.dt.hour != 0) | (t.dt.minute != 0))).any())
            out[col] = t.dt.strftime(fmt.DATETIME_FORMAT if with_time else fmt.DATE_FORMAT).where(t.notna(), "")
    return out


def _german_booleans(df: pd.DataFrame) -> pd.DataFrame:
    """Yes/no columns (bool, or objects holding only bools and gaps) as ``ja`` / ``nein`` (missing: empty)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        values = s.dropna()
        if pd.api.types.is_bool_dtype(s.dtype) or (
                s.dtype == object and len(values) and values.map(lambda v: isinstance(v, bool | np.bool_)).all()):
            out[col] = s.map(lambda v: "" if pd.isna(v) else ("ja" if v else "nein")).astype(object)
    return out


def file_name(kind: str, period: Period, suffix: str) -> str:
    """A German file name for an export: ``spritzenfunde_20260901-20261031.csv`` (umlauts spelled out).

    >>> from geo.core.period import parse_period
    >>> file_name("disposal_bin", parse_period("2026-09-01/2026-10-31"), ".geojson")
    'spritzenentsorgungsbehaelter_20260901-20261031.geojson'
    """
    stem = get_kind(kind).label_plural.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), (" ", "-")):
        stem = stem.replace(a, b)
    return f"{stem}_{period.start:%Y%m%d}-{period.end:%Y%m%d}{suffix}"


def _for_file(gdf: gpd.GeoDataFrame, labels: dict[str, str], suffix: str) -> pd.DataFrame:
    """Rename by ``labels``, add Breite/Länge; for CSV add WKT and write dates the German way."""
    table = gdf.rename(columns={c: labels[c] for c in gdf.columns if c in labels})
    if LAT not in table and LON not in table:
        lat, lon = lat_lon_columns(gdf)
        table = table.assign(**{LAT: lat, LON: lon})
    if suffix != ".csv":
        return table
    geoms = gdf.geometry.to_crs(DISPLAY_CRS) if gdf.crs is not None else gdf.geometry
    plain = pd.DataFrame(table.drop(columns=[table.geometry.name]))
    plain[WKT] = geoms.to_wkt().to_numpy()
    return _german_booleans(_german_datetimes(plain))


def records_for_people(gdf: gpd.GeoDataFrame, kind: str, suffix: str = ".csv") -> pd.DataFrame:
    """Records of ``kind`` with German headings (schema labels) and Breite/Länge.

    ``suffix`` ``.csv`` gives a plain table with the geometry as WKT (WGS84) and German dates;
    ``.geojson`` a GeoDataFrame (its geometry stays the geometry).
    """
    k = get_kind(kind)
    labels = {**SYSTEM_LABELS, **{f.name: f.label for f in k.fields}}
    return _for_file(gdf, labels, suffix)


def plan_for_people(plan: gpd.GeoDataFrame, suffix: str = ".csv") -> pd.DataFrame:
    """The bin plan (:func:`geo.analysis.siting.plan_table`) with German headings and values."""
    out = plan.copy()
    if "status" in out:
        out["status"] = out["status"].map(lambda s: PLAN_STATUS.get(s, s))
    if "share_syringes_after" in out:
        out["share_syringes_after"] = fmt.rounded(100.0 * pd.to_numeric(out["share_syringes_after"]), 1)
    return _for_file(out, PLAN_LABELS, suffix)


__all__ = ["PLAN_LABELS", "PLAN_STATUS", "SYSTEM_LABELS", "file_name", "lat_lon_columns", "plan_for_people",
           "records_for_people"]
