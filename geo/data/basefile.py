"""Read offline base layers (buildings, streets, green areas, water, railways) from a user's file.

Sources:

* an OpenStreetMap extract (``.osm.pbf`` or ``.osm``), read through GDAL's OSM driver (pyogrio):
  the ``multipolygons`` layer gives buildings (``building=*``, with ``addr:street`` and
  ``addr:housenumber`` from ``other_tags``), green areas (``leisure=park|playground|garden``,
  ``landuse=grass|meadow|recreation_ground|cemetery|allotments|forest``, ``natural=wood|scrub``)
  and water (``natural=water``, ``waterway=riverbank``); the ``lines`` layer gives streets
  (``highway=*`` with their ``name``), waterways and railways (``railway=rail|tram|light_rail``);
* GeoJSON, GeoPackage or a zipped Shapefile (e.g. the city's ALKIS/ATKIS export), read with
  :func:`geo.data.readers.read_table`: OSM-style columns (``building``, ``highway``, ``addr:street``,
  …) are used when present; otherwise polygons become buildings and lines streets, the name
  coming from a ``name``/``Name``/``strassenname`` column.

Only what lies in the study area or within :data:`NEAR_M` of it is kept. Every problem with
the file as a whole raises :class:`~geo.core.errors.ImportRefused` with one German line.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.errors import ImportRefused
from geo.core.schema import BASE_COLUMNS, BASE_THEMES
from geo.data.readers import check_size, read_table, safe_display_name

#: Features within this distance of the study area are kept (metres).
NEAR_M = 300.0
#: Untagged polygons larger than this are not taken as buildings (m²).
MAX_BUILDING_M2 = 50_000.0
#: OSM values of the green-area theme.
GREEN_TAGS: dict[str, tuple[str, ...]] = {
    "leisure": ("park", "playground", "garden", "pitch", "recreation_ground", "common"),
    "landuse": ("grass", "meadow", "recreation_ground", "cemetery", "allotments", "forest", "village_green"),
    "natural": ("wood", "scrub", "grassland"),
}
#: Highway values that are not streets a crew walks along (left out).
SKIP_HIGHWAYS = ("proposed", "construction", "abandoned", "platform", "raceway", "bus_stop")
RAIL_VALUES = ("rail", "tram", "light_rail", "subway", "narrow_gauge")
_OTHER_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
_NAME_COLUMNS = ("name", "strassenname", "straßenname", "strname", "bezeichnung", "bez")


def base_name_for(path: str | os.PathLike) -> str:
    """The name a base import is listed under: the file name without extensions (``leipzig.osm.pbf`` → ``leipzig``)."""
    name = Path(path).name
    for suffix in (".osm.pbf", ".pbf", ".osm", ".geojson", ".json", ".gpkg", ".zip", ".shp"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return safe_display_name(name)[:80] or "Grundkarte"


def read_base_file(path: str | os.PathLike, area: StudyArea, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Base layer features of ``path`` in and near ``area``.

    Returns
    -------
    GeoDataFrame
        Columns ``theme`` (a key of :data:`geo.core.schema.BASE_THEMES`), ``name``, ``street``,
        ``housenumber`` (strings, ``""`` when unknown) and the geometry in the area's metric CRS.

    Raises
    ------
    ImportRefused
        Unreadable, too large, without coordinate system, or nothing usable in the area.
    """
    path = Path(path)
    name = safe_display_name(path.name)
    check_size(path, name)
    lower = path.name.lower()
    if lower.endswith((".pbf", ".osm")):
        gdf = _read_osm(path, area, name)
    else:
        gdf = _read_vector(path, area, name, layer)
    if gdf.empty:
        raise ImportRefused(f"{name}: keine Gebäude, Straßen, Grün- oder Wasserflächen im Untersuchungsgebiet "
                            "(anderes Gebiet oder falsches Koordinatensystem?).")
    return gdf


# ---------------------------------------------------------------------------- OSM
def _osm_layer(path: Path, name: str, layer: str, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyogrio.read_dataframe(path, layer=layer, bbox=bbox)
    except Exception as exc:  # noqa: BLE001 - any GDAL failure on a broken extract becomes one German line
        raise ImportRefused(f"{name}: OSM-Datei nicht lesbar (beschädigt oder kein OSM-Format: "
                            f"{str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}).") from None


def _tags(other: pd.Series) -> list[dict[str, str]]:
    return [dict(_OTHER_TAG.findall(t)) if isinstance(t, str) else {} for t in other]


def _col(gdf: pd.DataFrame, col: str) -> pd.Series:
    return gdf[col].fillna("").astype(str) if col in gdf else pd.Series([""] * len(gdf), index=gdf.index)


def _read_osm(path: Path, area: StudyArea, name: str) -> gpd.GeoDataFrame:
    try:
        info = pyogrio.list_layers(path)
    except Exception:  # noqa: BLE001
        raise ImportRefused(f"{name}: OSM-Datei nicht lesbar (beschädigt oder kein OSM-Format).") from None
    layers = {str(n) for n in info[:, 0]}
    if not {"lines", "multipolygons"} & layers:
        raise ImportRefused(f"{name}: keine OSM-Daten gefunden.")
    near = gpd.GeoSeries([area.boundary.buffer(NEAR_M)], crs=area.crs).to_crs(DISPLAY_CRS)
    b = near.total_bounds
    bbox = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    parts: list[gpd.GeoDataFrame] = []
    if "multipolygons" in layers:
        poly = _osm_layer(path, name, "multipolygons", bbox)
        if len(poly):
            tags = _tags(_col(poly, "other_tags"))
            building = _col(poly, "building")
            theme = np.full(len(poly), "", dtype=object)
            theme[(building != "").to_numpy()] = "building"
            for key, values in GREEN_TAGS.items():
                hit = _col(poly, key).isin(values).to_numpy() & (theme == "")
                theme[hit] = "green"
            water = (_col(poly, "natural") == "water") | _col(poly, "waterway").isin(["riverbank", "dock"])
            theme[water.to_numpy() & (theme == "")] = "water"
            parts.append(gpd.GeoDataFrame({
                "theme": theme, "name": _col(poly, "name").to_numpy(),
                "street": [t.get("addr:street", "") for t in tags],
                "housenumber": [t.get("addr:housenumber", "") for t in tags],
            }, geometry=poly.geometry.values, crs=poly.crs or DISPLAY_CRS))
    if "lines" in layers:
        lines = _osm_layer(path, name, "lines", bbox)
        if len(lines):
            tags = _tags(_col(lines, "other_tags"))
            highway = _col(lines, "highway")
            railway = np.array([t.get("railway", "") for t in tags], dtype=object)
            if "railway" in lines:
                railway = np.where(_col(lines, "railway").to_numpy() != "", _col(lines, "railway").to_numpy(), railway)
            theme = np.full(len(lines), "", dtype=object)
            theme[((highway != "") & ~highway.isin(SKIP_HIGHWAYS)).to_numpy()] = "street"
            theme[np.isin(railway, RAIL_VALUES) & (theme == "")] = "railway"
            theme[(_col(lines, "waterway").isin(["river", "canal", "stream"])).to_numpy() & (theme == "")] = "water"
            parts.append(gpd.GeoDataFrame({
                "theme": theme, "name": _col(lines, "name").to_numpy(), "street": "", "housenumber": "",
            }, geometry=lines.geometry.values, crs=lines.crs or DISPLAY_CRS))
    if not parts:
        return _empty(area)
    gdf = pd.concat(parts, ignore_index=True)
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=parts[0].crs)
    return _finish(gdf[gdf["theme"] != ""], area)


# ---------------------------------------------------------------------------- other vector files
def _read_vector(path: Path, area: StudyArea, name: str, layer: str | None) -> gpd.GeoDataFrame:
    raw = read_table(path, layer=layer)
    if raw.geometry is None:
        raise ImportRefused(f"{name}: keine Geometrien – für die Grundkarte bitte GeoJSON, GeoPackage, "
                            "Shapefile (gezippt) oder einen OSM-Auszug angeben.")
    if not raw.crs:
        raise ImportRefused(f"{name}: kein Koordinatensystem angegeben.")
    data = raw.data.reset_index(drop=True)
    cols = {c.lower(): c for c in data.columns}

    def col(*names: str) -> pd.Series:
        for n in names:
            if n in cols:
                return data[cols[n]].fillna("").astype(str)
        return pd.Series([""] * len(data))

    geoms = np.asarray(raw.geometry, dtype=object)
    types = shapely.get_type_id(geoms)
    is_poly = np.isin(types, (3, 6))
    is_line = np.isin(types, (1, 2, 5))
    theme = np.full(len(data), "", dtype=object)
    if "theme" in cols:
        t = col("theme").to_numpy()
        theme = np.where(np.isin(t, list(BASE_THEMES)), t, "")
    osm_style = any(c in cols for c in ("building", "highway", "railway", "landuse", "leisure", "natural"))
    if osm_style:
        theme[(col("building") != "").to_numpy() & is_poly & (theme == "")] = "building"
        for key, values in GREEN_TAGS.items():
            theme[col(key).isin(values).to_numpy() & is_poly & (theme == "")] = "green"
        theme[((col("natural") == "water") | (col("waterway") != "")).to_numpy() & (theme == "")] = "water"
        theme[((col("highway") != "") & ~col("highway").isin(SKIP_HIGHWAYS)).to_numpy() & is_line
              & (theme == "")] = "street"
        theme[col("railway").isin(RAIL_VALUES).to_numpy() & is_line & (theme == "")] = "railway"
    else:
        theme[is_poly & (theme == "")] = "building?"  # checked by size below
        theme[is_line & (theme == "")] = "street"
    gdf = gpd.GeoDataFrame({
        "theme": theme, "name": col(*_NAME_COLUMNS).to_numpy(),
        "street": col("addr:street", "addr_street", "strasse", "straße").to_numpy(),
        "housenumber": col("addr:housenumber", "addr_housenumber", "hausnummer", "hnr").to_numpy(),
    }, geometry=geoms, crs=raw.crs)
    out = _finish(gdf[(gdf["theme"] != "") & ~gdf.geometry.isna()], area)
    # untagged polygons are buildings only at a building's size (district or parcel outlines are not)
    guessed = (out["theme"] == "building?").to_numpy()
    big = guessed & (shapely.area(out.geometry.values) > MAX_BUILDING_M2)
    out.loc[guessed, "theme"] = "building"
    return out[~big].reset_index(drop=True)


# ---------------------------------------------------------------------------- shared
def _empty(area: StudyArea) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in BASE_COLUMNS[1:]},
                            geometry=gpd.GeoSeries([], crs=area.crs), crs=area.crs)


def _finish(gdf: gpd.GeoDataFrame, area: StudyArea) -> gpd.GeoDataFrame:
    """Reproject, drop empty geometries, keep what lies in or near the area, repair polygons."""
    if gdf.empty:
        return _empty(area)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gdf.to_crs(area.crs)
    except Exception:  # noqa: BLE001 - coordinates that cannot be transformed: wrong CRS
        return _empty(area)
    geoms = gdf.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & np.isfinite(shapely.bounds(geoms)).all(axis=1)
    gdf = gdf[ok]
    near = area.boundary.buffer(NEAR_M)
    shapely.prepare(near)
    gdf = gdf[shapely.intersects(near, gdf.geometry.values)]
    if gdf.empty:
        return _empty(area)
    invalid = ~shapely.is_valid(gdf.geometry.values)
    if invalid.any():
        fixed = gdf.geometry.values.copy()
        fixed[invalid] = shapely.make_valid(fixed[invalid])
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, crs=gdf.crs, index=gdf.index))
    out = gdf[["theme", "name", "street", "housenumber", gdf.geometry.name]].reset_index(drop=True)
    for c in ("theme", "name", "street", "housenumber"):
        out[c] = out[c].astype(object).fillna("").astype(str).str.slice(0, 200)
    out = gpd.GeoDataFrame(out, geometry=gdf.geometry.name, crs=area.crs)
    return out if out.geometry.name == "geometry" else out.rename_geometry("geometry")
