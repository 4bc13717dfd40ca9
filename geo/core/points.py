"""Small helpers for point data in metres: metric frames, coordinates, event weights.

The one place where records become coordinates and weights: the grid, the analyses and the
report tables all go through these functions.
"""

from __future__ import annotations

from typing import overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError


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


def in_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries | None, crs: object) -> gpd.GeoDataFrame | gpd.GeoSeries | None:
    """``frame`` in ``crs``: reprojected when both CRS are known and differ, else unchanged (all rows kept)."""
    if frame is None or crs is None or frame.crs is None:
        return frame
    if CRS.from_user_input(frame.crs).equals(CRS.from_user_input(crs)):
        return frame
    return frame.to_crs(crs)


def point_xy(geoms, centre: str = "surface") -> np.ndarray:
    """(n, 2) coordinates: points as they are, other geometries by one representative point.

    ``centre="surface"``: a point on the surface (always on the geometry);
    ``centre="centroid"``: the centroid. Missing and empty geometries give NaN.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.empty((0, 2))
    pts = geoms.copy()
    other = shapely.get_type_id(pts) != 0
    if other.any():
        pts[other] = shapely.centroid(pts[other]) if centre == "centroid" else shapely.point_on_surface(pts[other])
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def point_coordinates(points: object, crs: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``(x, y)`` in metres of point records.

    Parameters
    ----------
    points : GeoDataFrame / GeoSeries (reprojected to ``crs`` if its CRS differs; without
        CRS it is taken to be in ``crs``) or an array (n, 2) of metric coordinates.
    crs : target metric CRS.

    Missing and empty geometries give NaN; non-point geometries are represented by their
    centroid. Coordinates that look like degrees in a frame without CRS are refused.
    """
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = in_crs(points.geometry if isinstance(points, gpd.GeoDataFrame) else points, crs)
        assert geoms is not None
        xy = point_xy(geoms.values, centre="centroid")
        x, y = xy[:, 0].copy(), xy[:, 1].copy()
        if geoms.crs is None:
            _refuse_degrees(x, y)
        return x, y
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError("points must be a GeoDataFrame, GeoSeries or an array of shape (n, 2)")
    return arr[:, 0].copy(), arr[:, 1].copy()


def _refuse_degrees(x: np.ndarray, y: np.ndarray) -> None:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() and (np.abs(x[ok]) <= 180).all() and (np.abs(y[ok]) <= 90).all():
        raise UserError(
            "Die Punkte haben kein Koordinatensystem und sehen nach Grad (Länge/Breite) aus; "
            f"bitte ein metrisches Koordinatensystem angeben, z. B. {DEFAULT_CRS}."
        )


def column_weights(frame: pd.DataFrame | None, column: str | None) -> np.ndarray:
    """Per-record weight: the numbers of ``column`` (missing, unreadable or infinite values
    count 1), or 1 per record without such a column; an empty array for ``None``."""
    if frame is None:
        return np.zeros(0)
    if column is None or column not in frame:
        return np.ones(len(frame))
    w = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(w), w, 1.0)


def point_weights(points: object, weight: str | None, n: int) -> np.ndarray:
    """Weights of point records: the column ``weight`` (missing values count 1) or 1 each."""
    if weight is None:
        return np.ones(n)
    if not isinstance(points, gpd.GeoDataFrame) or weight not in points.columns:
        raise UserError(f"Die Gewichtsspalte '{weight}' fehlt in den Daten.")
    return column_weights(points, weight)


def find_weights(finds: pd.DataFrame) -> np.ndarray:
    """Syringes per find (``count``; missing or < 1 → 1)."""
    c = column_weights(finds, "count")
    return np.where(c >= 1, c, 1.0)
