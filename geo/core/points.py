"""Small helpers for point data in metres: metric frames, coordinates, event weights."""

from __future__ import annotations

from typing import overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


@overload
def to_metric(gdf: None, crs: str) -> None: ...
@overload
def to_metric(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame: ...
def to_metric(gdf: gpd.GeoDataFrame | None, crs: str) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs`` with usable (non-missing, non-empty) geometries, 0-based index."""
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError("expected a GeoDataFrame")
    if gdf.crs is None:
        gdf = gdf.set_crs(crs)
    elif gdf.crs != crs:
        gdf = gdf.to_crs(crs)
    geoms = gdf.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return gdf.loc[ok].reset_index(drop=True)


def point_xy(geoms) -> np.ndarray:
    """(n, 2) coordinates: points as they are, other geometries by a point on their surface."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.empty((0, 2))
    pts = geoms.copy()
    other = shapely.get_type_id(pts) != 0
    if other.any():
        pts[other] = shapely.point_on_surface(pts[other])
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def find_weights(finds: pd.DataFrame) -> np.ndarray:
    """Syringes per find (``count``; missing or < 1 → 1)."""
    if "count" not in finds:
        return np.ones(len(finds))
    c = pd.to_numeric(finds["count"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(c) & (c >= 1), c, 1.0)
