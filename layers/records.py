"""Point layers of reports (syringe finds, complaints, scene observations).

Points travel to the browser in a compact columnar form (integer offsets of 1e-5 degrees,
dictionary-coded texts, minutes for times): about 20–25 bytes per record, so 100,000 finds
stay well under 5 MB. The browser draws them, depending on their number, as

* ``"plain"``   single circle markers (up to :data:`PLAIN_MAX`),
* ``"cluster"`` a marker cluster (up to :data:`CLUSTER_MAX`),
* ``"dots"``    one canvas with all points (beyond); a click opens the nearest point.

Popups list the record's fields with their German labels; texts are set as plain text in
the browser (never as HTML).
"""

from __future__ import annotations

import functools
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.schema import Kind, get_kind
from layers.escape import js_json, safe_colour

Mode = Literal["plain", "cluster", "dots"]
#: Up to this many points are drawn as single markers.
PLAIN_MAX = 1_500
#: Up to this many points are clustered; more are drawn as one canvas of dots.
CLUSTER_MAX = 25_000
#: Coordinates are sent as integer multiples of 1 / SCALE degrees (about 1 m).
SCALE = 100_000


def auto_mode(n: int) -> Mode:
    """Drawing mode for ``n`` points (see the module docstring)."""
    return "plain" if n <= PLAIN_MAX else "cluster" if n <= CLUSTER_MAX else "dots"


def _lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat of each record (points as they are, other geometries' inner point)."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if gdf.crs is not None and (shapely.get_type_id(geoms) == 0).all():
        # points: transform the coordinates only (no new geometry objects, ~4x faster)
        x, y = _to_display(CRS.from_user_input(gdf.crs).to_wkt()).transform(shapely.get_x(geoms), shapely.get_y(geoms))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    geoms = gdf.geometry.to_crs(DISPLAY_CRS).values if gdf.crs is not None else gdf.geometry.values
    geoms = np.asarray(geoms, dtype=object)
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    return shapely.get_x(geoms), shapely.get_y(geoms)


@functools.lru_cache(maxsize=8)
def _to_display(crs_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), DISPLAY_CRS, always_xy=True)


def encode_column(series: pd.Series, ftype: str, digits: int = 2) -> dict:
    """One popup column in compact form: ``t`` type, ``v`` values (``d`` dictionary for texts,
    ``f`` decimals shown for numbers, ``t0`` for times: ``v`` = minutes since ``t0``, which
    is minutes since 1970 in wall-clock time)."""
    if ftype == "datetime":
        t = pd.to_datetime(series)
        missing = t.isna().to_numpy()
        minutes = t.to_numpy(dtype="datetime64[m]").astype("int64")
        t0 = int(minutes[~missing].min()) if (~missing).any() else 0
        values = np.where(missing, None, minutes - t0).tolist()  # small numbers: shorter payload
        return {"t": "time", "t0": t0, "v": values}
    if ftype in ("int", "float"):
        num = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
        rounded = fmt.rounded(num, digits)  # half away from zero, as fmt.number
        ints = np.isfinite(rounded) & (rounded == np.round(rounded))
        values = np.where(ints, rounded, None).astype(object)
        values[ints] = rounded[ints].astype("int64")
        frac = np.isfinite(rounded) & ~ints
        values[frac] = rounded[frac]
        return {"t": "num", "v": values.tolist(), "f": digits}
    text = series.astype(object).where(series.notna(), "").astype(str)
    codes, uniques = pd.factorize(text, sort=False)
    return {"t": "cat", "v": codes.tolist(), "d": [str(u) for u in uniques]}


def compact_points(
    gdf: gpd.GeoDataFrame,
    kind: Kind | str,
    *,
    mode: Mode | None = None,
    title: str | None = None,
) -> dict:
    """The compact browser form of a report layer.

    Parameters
    ----------
    gdf : records of ``kind`` (any CRS with a definition; converted to EPSG:4326).
    kind : record kind; its fields present in ``gdf`` become the popup rows (German labels).
    mode : drawing mode; ``None`` chooses by the number of records (:func:`auto_mode`).
    title : popup title (default: the kind's label).

    Returns
    -------
    dict
        ``{key, title, colour, n, lat0, lon0, s, y, x, r, cols, mode}`` – see ``LB.points``
        in ``layers/js/lagebild.js``; ``lat = lat0 + y / s``.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    n = len(gdf)
    lon, lat = _lonlat(gdf) if n else (np.zeros(0), np.zeros(0))
    ok = np.isfinite(lon) & np.isfinite(lat)
    gdf, lon, lat = (gdf[ok], lon[ok], lat[ok]) if not ok.all() else (gdf, lon, lat)
    n = len(gdf)
    lat0 = float(np.floor(lat.min() * 100) / 100) if n else 0.0
    lon0 = float(np.floor(lon.min() * 100) / 100) if n else 0.0
    radius = None
    if kind.weight_field and kind.weight_field in gdf and n:
        w = pd.to_numeric(gdf[kind.weight_field], errors="coerce").fillna(1).clip(lower=1).to_numpy(float)
        radius = np.clip(np.rint(4 + np.log2(w)), 4, 8).astype("int64").tolist()
    cols = []
    for f in kind.fields:
        if f.name in gdf:
            col = encode_column(gdf[f.name], f.type)
            col["l"] = f.label
            cols.append(col)
    return {
        "key": kind.name,
        "title": title or kind.label,
        "colour": safe_colour(kind.colour),
        "n": n,
        "lat0": lat0,
        "lon0": lon0,
        "s": SCALE,
        "y": np.rint((lat - lat0) * SCALE).astype("int64").tolist(),
        "x": np.rint((lon - lon0) * SCALE).astype("int64").tolist(),
        "r": radius,
        "cols": cols,
        "mode": mode or auto_mode(n),
    }


def records_js(gdf: gpd.GeoDataFrame, kind: Kind | str, *, mode: Mode | None = None, order: int = 40) -> str:
    """JavaScript expression creating the layer of ``gdf`` (``LB.points(...)``)."""
    return f"LB.points({js_json(compact_points(gdf, kind, mode=mode))}, {js_json({'order': order})})"


def layer_name(kind: Kind | str, n: int) -> str:
    """Overlay name with the number of records, e.g. ``Spritzenfunde (612)``."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    return f"{kind.label_plural} ({fmt.number(n)})"
