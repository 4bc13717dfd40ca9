"""Files the bin planning reads besides reports: candidate sites and a street network.

All file reading lives in ``geo.data``; ``geo.analysis`` (coverage, siting) gets GeoDataFrames and arrays only.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np

from geo.core.area import DEFAULT_CRS, DISPLAY_CRS
from geo.core.errors import UserError
from geo.core.points import point_xy, to_metric
from geo.core.schema import LAT_ALIASES, LON_ALIASES, WKT_ALIASES, X_ALIASES, Y_ALIASES, normalise_name
from geo.data.parsing import parse_numbers
from geo.data.readers import read_table


def read_candidates(path: str | os.PathLike, crs: str = DEFAULT_CRS, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read candidate sites from a file: GeoPackage/GeoJSON/zipped Shapefile or CSV.

    A CSV needs columns lat/lon (WGS84; also Breite/Länge), x/y (taken as ``crs``) or WKT
    (WGS84). Non-point geometries are represented by a point on their surface.

    Returns
    -------
    GeoDataFrame in ``crs`` (all input columns kept).

    Raises
    ------
    UserError
        Unreadable file or no coordinates (German message).
    """
    raw = read_table(path, layer=layer, crs=crs)
    if raw.geometry is not None:
        gdf = gpd.GeoDataFrame(raw.data, geometry=gpd.GeoSeries(raw.geometry, crs=raw.crs), crs=raw.crs)
    else:
        by_norm = {normalise_name(c): c for c in raw.data.columns}

        def pick(aliases):
            return next((by_norm[a] for a in aliases if a in by_norm), None)

        lat, lon, x, y, wkt = (pick(a) for a in (LAT_ALIASES, LON_ALIASES, X_ALIASES, Y_ALIASES, WKT_ALIASES))
        if lat and lon:
            geoms = gpd.points_from_xy(parse_numbers(raw.data[lon]), parse_numbers(raw.data[lat]), crs=DISPLAY_CRS)
        elif x and y:
            geoms = gpd.points_from_xy(parse_numbers(raw.data[x]), parse_numbers(raw.data[y]), crs=crs)
        elif wkt:
            geoms = gpd.GeoSeries.from_wkt(raw.data[wkt].astype(str), on_invalid="ignore", crs=DISPLAY_CRS)
        else:
            raise UserError(f"{raw.source}: keine Koordinaten gefunden (erwartet lat/lon, x/y oder WKT).")
        gdf = gpd.GeoDataFrame(raw.data, geometry=geoms)
    out = to_metric(gdf, crs)
    xy = point_xy(out.geometry.values)
    ok = np.isfinite(xy).all(axis=1)
    out = out.loc[ok].reset_index(drop=True)
    if len(out) == 0:
        raise UserError(f"{raw.source}: keine gültigen Kandidatenstandorte.")
    return out


def read_street_lines(path: str | os.PathLike, crs: str = DEFAULT_CRS, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a line layer (GeoPackage, GeoJSON, zipped Shapefile) for a street network, in ``crs``.

    Build the network with :meth:`geo.analysis.streets.StreetNetwork.from_lines`.

    Raises
    ------
    UserError
        File unreadable or without geodata (German message).
    """
    raw = read_table(path, layer=layer)
    if raw.geometry is None:
        raise UserError(f"Straßennetz {raw.source}: keine Geodaten (GeoPackage oder GeoJSON mit Linien erwartet).")
    gdf = gpd.GeoDataFrame(raw.data, geometry=gpd.GeoSeries(raw.geometry, crs=raw.crs), crs=raw.crs)
    return gdf.set_crs(crs) if gdf.crs is None else gdf.to_crs(crs)
