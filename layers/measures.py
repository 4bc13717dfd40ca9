"""Measures of the period: disposal bins, greenery cuts, structural changes, police presence,
street work – one toggleable overlay per kind."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.core.schema import get_kind
from layers.escape import safe_colour
from layers.features import feature_collection, geojson_js, popup_rows

#: Field whose text is the tooltip of a measure (besides the kind's label).
_TIP_FIELDS = ("label", "description")


def measure_js(gdf: gpd.GeoDataFrame, kind: str, *, order: int = 35) -> str:
    """JavaScript expression for the measures of one kind (points, lines or areas)."""
    k = get_kind(kind)
    colour = safe_colour(k.colour)
    rows = popup_rows(gdf, k)
    types = shapely.get_type_id(gdf.geometry.values)
    tip_field = next((f for f in _TIP_FIELDS if f in gdf), None)
    tips = gdf[tip_field].astype(str).tolist() if tip_field else [""] * len(gdf)
    point = {"color": "#ffffff", "weight": 2, "fillColor": colour, "fillOpacity": 1.0}
    line = {"color": colour, "weight": 4, "opacity": 0.9}
    area = {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.12}
    by_type = {0: point, 4: point, 1: line, 5: line}  # shapely type ids; polygons otherwise
    props = [
        {"_style": by_type.get(int(t), area), "_radius": 7, "_title": k.label, "_rows": r,
         "_tip": f"{k.label}: {tip}" if tip else k.label}
        for t, r, tip in zip(types, rows, tips, strict=True)
    ]
    return geojson_js(feature_collection(gdf.geometry, props), order=order)
