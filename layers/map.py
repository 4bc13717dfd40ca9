"""Assembling the Lagebild map: data overlays on top of the stable base map.

The expensive part – turning records and analysis results into JavaScript – is
:func:`overlay_scripts`, which returns plain strings (easy to cache by the store's content);
:func:`overlay_groups` wraps them into ``folium.FeatureGroup`` objects. The Streamlit page
hands those groups to ``st_folium(feature_group_to_add=...)``; :func:`standalone_html`
renders everything into one self-contained HTML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.schema import KINDS, MEASURE_KINDS, REPORT_KINDS, SYRINGE_FIND
from layers.assets import inline_assets
from layers.baselayers import BaseLayers
from layers.basemap import DRAW_STYLE, base_map
from layers.density import density_js
from layers.elements import JsCall, LayerControl, RawHtml, layer_group
from layers.escape import escape_text, js_json
from layers.forecast import FORECAST_LAYER, forecast_js
from layers.hotspots import hotspot_js
from layers.legend import DENSITY_LAYER, HOTSPOT_LAYER, PLACES_LAYER
from layers.measures import measure_js
from layers.places import places_js
from layers.records import layer_name, records_js


@dataclass(frozen=True)
class Overlay:
    """One toggleable overlay: its name (shown in the layer control) and JavaScript expressions."""

    name: str
    scripts: tuple[str, ...]
    show: bool = True
    #: (south, west, north, east) of what it shows in WGS84, for fitting the map (``None``: not used).
    bounds: tuple[float, float, float, float] | None = None


def frame_bounds(gdf: gpd.GeoDataFrame | None) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) in WGS84 of a frame's geometries (``None`` when there are none)."""
    if gdf is None or not len(gdf):
        return None
    geoms = gdf.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if not len(geoms):
        return None
    b = (geoms.to_crs(DISPLAY_CRS) if geoms.crs is not None else geoms).total_bounds
    if not np.all(np.isfinite(b)):
        return None
    return float(b[1]), float(b[0]), float(b[3]), float(b[2])


def core_bounds(frames: list[gpd.GeoDataFrame], *, share: float = 0.5,
                pad_m: float = 150.0) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) in WGS84 around the central ``share`` of the frames' geometries
    (per axis: the ``(1 - share) / 2`` and ``(1 + share) / 2`` quantiles of the centroids), padded by
    ``pad_m`` metres: a street-level view of where most reports are (frames in a metric CRS).
    ``None`` without geometries."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return None
    crs = frames[0].crs
    xy = np.concatenate([shapely.get_coordinates(shapely.centroid(f.to_crs(crs).geometry.values)) for f in frames])
    if not len(xy):
        return None
    tail = 50 * (1 - share)
    lo, hi = np.percentile(xy, [tail, 100 - tail], axis=0)
    box = gpd.GeoSeries([shapely.box(lo[0] - pad_m, lo[1] - pad_m, hi[0] + pad_m, hi[1] + pad_m)], crs=crs)
    return frame_bounds(gpd.GeoDataFrame(geometry=box))


def data_bounds(overlays: list[Overlay]) -> tuple[float, float, float, float] | None:
    """Union of the overlays' bounds: what the map opens fitted to (``None`` without data)."""
    boxes = [o.bounds for o in overlays if o.bounds is not None]
    if not boxes:
        return None
    arr = np.asarray(boxes, dtype=float)
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())


@dataclass
class MapContent:
    """What the map shows (all frames in the metric CRS, already filtered to the period).

    Attributes
    ----------
    records : report kind → records (``syringe_find``, ``complaint``, ``scene_observation``).
    places : sensitive places (``None``: no layer).
    place_stats : optional figures per place (same index as ``places``) for their popups.
    measures : measure kind → measures active in the period.
    hotspot_cells : ``HotspotResult.cells`` (``None``: no layer).
    density : a :class:`geo.analysis.density.DensityResult` (``None``: no layer).
    main_kind : the report kind whose points start switched on (the hot-spot analysis' kind).
    forecast_cells : ``ForecastResult.cells`` of :mod:`geo.analysis.forecast` (``None``: no layer);
        the overlay is switched off by default.
    """

    records: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    places: gpd.GeoDataFrame | None = None
    place_stats: pd.DataFrame | None = None
    measures: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    hotspot_cells: gpd.GeoDataFrame | None = None
    density: object | None = None
    forecast_cells: gpd.GeoDataFrame | None = None
    main_kind: str = SYRINGE_FIND



def overlay_scripts(content: MapContent) -> list[Overlay]:
    """The overlays of ``content`` in drawing order (density, grid, places, measures, points).

    Only the main overlays start switched on (``Overlay.show``): the hot spots, the sensitive
    places and the records of ``content.main_kind`` (the kind of the hot-spot analysis). Density,
    the other report kinds and the measures start off – nine layers at once pile up.
    """
    out: list[Overlay] = []
    if content.density is not None:
        d = content.density
        out.append(Overlay(DENSITY_LAYER, (density_js(d.density, d.transform, d.crs),), show=False))
    if content.hotspot_cells is not None and len(content.hotspot_cells):
        hot = content.hotspot_cells["gi_class"].to_numpy() > 0
        out.append(Overlay(f"{HOTSPOT_LAYER} ({int(hot.sum())})", (hotspot_js(content.hotspot_cells),),
                           bounds=frame_bounds(content.hotspot_cells[hot])))
    if content.forecast_cells is not None and len(content.forecast_cells):
        out.append(Overlay(f"{FORECAST_LAYER} ({len(content.forecast_cells)})",
                           (forecast_js(content.forecast_cells),), show=False))
    if content.places is not None and len(content.places):
        out.append(Overlay(f"{PLACES_LAYER} ({len(content.places)})",
                           (places_js(content.places, content.place_stats),), bounds=frame_bounds(content.places)))
    for k in MEASURE_KINDS:
        gdf = content.measures.get(k)
        if gdf is not None and len(gdf):
            out.append(Overlay(f"{KINDS[k].label_plural} ({len(gdf)})", (measure_js(gdf, k),), show=False))
    for k in REPORT_KINDS:
        gdf = content.records.get(k)
        if gdf is not None:
            out.append(Overlay(layer_name(k, len(gdf)), (records_js(gdf, k),), show=k == content.main_kind,
                               bounds=frame_bounds(gdf)))
    return out


def default_off(overlays: list[Overlay]) -> list[str]:
    """Names of the overlays that start switched off (for :class:`layers.elements.LayerControl`)."""
    return [o.name for o in overlays if not o.show]


def restore_drawing_js(geometry: dict | None) -> str:
    """JavaScript that puts a drawn polygon (GeoJSON geometry, WGS84) back after a reload."""
    if not geometry:
        return ""
    return f"LB.restoreDrawing(window.drawnItems, {js_json(geometry)}, {js_json(DRAW_STYLE)});"


def overlay_groups(overlays: list[Overlay], *, drawing: dict | None = None) -> list[folium.FeatureGroup]:
    """``folium.FeatureGroup`` objects for :func:`overlay_scripts`' result.

    ``drawing`` (a GeoJSON geometry) is restored into the drawing layer when the map was
    rebuilt (e.g. after switching pages) so the map shows the area the figures refer to.
    """
    groups = [layer_group(o.name, list(o.scripts), show=o.show) for o in overlays]
    if drawing and groups:
        groups[-1].add_child(JsCall(restore_drawing_js(drawing)))
    return groups


def standalone_html(
    area: StudyArea,
    overlays: list[Overlay],
    *,
    districts: gpd.GeoDataFrame | None = None,
    title: str = "Lagebild",
    subtitle: str = "",
    tiles: str | None = "auto",
    base: BaseLayers | None = None,
) -> str:
    """The map as one self-contained HTML document (all scripts and styles inlined).

    Parameters
    ----------
    area : study area.
    overlays : from :func:`overlay_scripts`.
    districts : optional district outlines.
    title, subtitle : shown in the page head and as a caption on the map (escaped).
    tiles : online background (see :func:`layers.basemap.base_map`; without internet the file shows
        the map without it and says so).
    base : the offline base map (:func:`layers.baselayers.build_base_layers`), inlined into the file.
    """
    m = base_map(area, districts=districts, tiles=tiles, draw=False, base=base, base_inline=True,
                 fit=data_bounds(overlays))
    for group in overlay_groups(overlays):
        m.add_child(group)
    m.add_child(LayerControl())
    caption = escape_text(title) + (f" – {escape_text(subtitle)}" if subtitle else "")
    # RawHtml, not folium.Element: folium compiles an Element's text as a Jinja template
    m.get_root().header.add_child(RawHtml(f"<title>{caption}</title>"))
    m.get_root().html.add_child(RawHtml(
        f'<div style="position:fixed;top:8px;left:60px;z-index:1000;background:rgba(255,255,255,.9);'
        f'padding:4px 10px;border-radius:4px;font:600 14px sans-serif">{caption}</div>'
    ))
    return inline_assets(m.get_root().render())
