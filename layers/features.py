"""GeoJSON for the smaller layers (places, measures, hot-spot cells) with popup rows.

Each feature's properties carry what ``LB.geojson`` (``layers/js/lagebild.js``) needs:
``_title``, ``_rows`` ([label, value] pairs shown as plain text), ``_tip`` (tooltip text),
``_style`` (Leaflet path options) and ``_radius`` for points.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.schema import Kind, get_kind
from layers.escape import js_json


def _trimmed(text: str, digits: int) -> str:
    """``1,50`` → ``1,5``, ``3,00`` → ``3`` (trailing zeros of the decimals only)."""
    return text.rstrip("0").rstrip(",") if digits else text


def format_values(series: pd.Series, ftype: str, digits: int = 2) -> np.ndarray:
    """German display strings of one column (dates ``31.01.2026 14:05``, numbers ``1.234,5`` with at most
    ``digits`` decimals, rounded by :func:`geo.core.fmt.number`: half away from zero, never pre-round).

    Missing values become empty strings.
    """
    if ftype == "datetime":
        t = pd.to_datetime(series)
        with_time = t.dt.strftime(fmt.DATETIME_FORMAT)
        no_time = (t.dt.hour == 0) & (t.dt.minute == 0)
        out = with_time.where(~no_time, t.dt.strftime(fmt.DATE_FORMAT))
        return out.astype(object).where(t.notna(), "").to_numpy(dtype=object)
    if ftype in ("int", "float"):
        num = pd.to_numeric(series, errors="coerce")
        text = num.map(lambda v: "" if pd.isna(v) else _trimmed(fmt.number(v, digits), digits))
        return text.to_numpy(dtype=object)
    return series.astype(object).where(series.notna(), "").astype(str).to_numpy(dtype=object)


def popup_rows(
    gdf: pd.DataFrame,
    kind: Kind | str,
    extra: pd.DataFrame | None = None,
) -> list[list[list[str]]]:
    """For each record the ``[label, value]`` rows of its popup.

    Parameters
    ----------
    gdf : records of ``kind``; its schema fields present become rows with German labels.
    kind : record kind.
    extra : further columns (same index/order as ``gdf``); column names are the labels.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    labels: list[str] = []
    columns: list[np.ndarray] = []
    for f in kind.fields:
        if f.name in gdf:
            labels.append(f.label)
            columns.append(format_values(gdf[f.name], f.type))
    if extra is not None:
        for col in extra.columns:
            labels.append(str(col))
            columns.append(format_values(extra[col], "float" if pd.api.types.is_numeric_dtype(extra[col]) else "str"))
    return [[[lab, val] for lab, val in zip(labels, vals, strict=True)] for vals in zip(*columns, strict=True)] \
        if columns else [[] for _ in range(len(gdf))]


def _round(coords, digits: int):
    if len(coords) and isinstance(coords[0], float | int):
        return [round(float(c), digits) for c in coords]
    return [_round(c, digits) for c in coords]


#: Geometries with more points than this are simplified for the map (to about 1 m, :data:`DISPLAY_TOLERANCE_DEG`).
DISPLAY_MAX_VERTICES = 2_000
DISPLAY_TOLERANCE_DEG = 0.00001


def simplify_for_display(geoms: np.ndarray) -> np.ndarray:
    """WGS84 geometries with more than :data:`DISPLAY_MAX_VERTICES` points simplified to about 1 m (topology kept);
    the others as they are. Returns a new array."""
    out = np.array(geoms, dtype=object)
    present = np.array([g is not None for g in out], dtype=bool)
    if not present.any():
        return out
    big = np.zeros(len(out), dtype=bool)
    big[present] = shapely.get_num_coordinates(out[present]) > DISPLAY_MAX_VERTICES
    if big.any():
        out[big] = shapely.simplify(out[big], DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    return out


def feature_collection(
    geoms: Sequence | np.ndarray | gpd.GeoSeries,
    properties: Sequence[dict],
    *,
    crs: object | None = None,
    digits: int = 6,
) -> dict:
    """A GeoJSON FeatureCollection in EPSG:4326.

    Parameters
    ----------
    geoms : geometries in ``crs`` (a GeoSeries brings its own); reprojected to EPSG:4326.
    properties : one dict per geometry.
    digits : decimals kept (6 ≈ 0.1 m).
    """
    series = geoms if isinstance(geoms, gpd.GeoSeries) else gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs)
    if series.crs is not None:
        series = series.to_crs(DISPLAY_CRS)
    values = simplify_for_display(np.asarray(series.values, dtype=object))
    feats = []
    for geom, props in zip(values, properties, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        g = shapely.geometry.mapping(geom)
        feats.append({"type": "Feature", "geometry": {"type": g["type"], "coordinates": _round(g["coordinates"],
                                                                                               digits)},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def geojson_js(fc: dict, *, order: int, interactive: bool = True) -> str:
    """JavaScript expression ``LB.geojson(...)`` for a FeatureCollection made here."""
    return f"LB.geojson({js_json(fc)}, {js_json({'order': order, 'interactive': interactive})})"
