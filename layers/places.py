"""Sensitive places (Kitas, schools, playgrounds …) with their protective buffer rings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.schema import KINDS, SENSITIVE_PLACE
from geo.report.figures import DEFAULT_BUFFER_M
from layers.escape import safe_colour
from layers.features import feature_collection, geojson_js, popup_rows

KIND = KINDS[SENSITIVE_PLACE]


def buffer_rings(places: gpd.GeoDataFrame, default_m: float = DEFAULT_BUFFER_M) -> gpd.GeoSeries:
    """Each place's protective area: its geometry buffered by ``buffer_m`` metres.

    ``places`` must be in a metric CRS (EPSG:25833); missing or non-positive buffers use
    ``default_m``. Returns a GeoSeries in the same CRS and index.
    """
    dist = pd.to_numeric(places.get("buffer_m", pd.Series(default_m, index=places.index)), errors="coerce")
    dist = dist.where(dist > 0, default_m).fillna(default_m).to_numpy(float)
    return gpd.GeoSeries(shapely.buffer(places.geometry.values, dist, quad_segs=16), index=places.index,
                         crs=places.crs)


def places_js(places: gpd.GeoDataFrame, stats: pd.DataFrame | None = None, *, order: int = 30) -> str:
    """JavaScript expression for the places layer: buffer rings (dashed) under the places.

    Parameters
    ----------
    places : sensitive places in a metric CRS.
    stats : optional figures per place (same index), shown as extra popup rows.
    """
    colour = safe_colour(KIND.colour)
    rows = popup_rows(places, KIND, stats)
    names = places["name"].astype(str).tolist() if "name" in places else [KIND.label] * len(places)
    rings = buffer_rings(places)
    ring_style = {"color": colour, "weight": 1.5, "dashArray": "5 4", "fillColor": colour, "fillOpacity": 0.07}
    place_style = {"color": "#ffffff", "weight": 1.5, "fillColor": colour, "fillOpacity": 0.95}
    is_point = shapely.get_type_id(places.geometry.values) == 0
    ring_props = [{"_style": ring_style, "_tip": f"{n}: Schutzabstand", "_title": n, "_rows": r}
                  for n, r in zip(names, rows, strict=True)]
    place_props = [{"_style": place_style if p else {**place_style, "fillOpacity": 0.45, "color": colour},
                    "_radius": 7, "_tip": n, "_title": n, "_rows": r}
                   for n, r, p in zip(names, rows, is_point, strict=True)]
    fc = feature_collection(
        np.concatenate([rings.values, places.geometry.values]), ring_props + place_props, crs=places.crs
    )
    return geojson_js(fc, order=order)
