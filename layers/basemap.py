"""The stable base map: offline Leaflet, study area outline, districts, legend, drawing tool.

The base map holds nothing that changes with the period or the filters, so Streamlit keeps
the same map (and the user's view) across reruns; data come as separate feature groups
(see :mod:`layers.map`). No tiles are needed: the study area outline and, when imported,
the district outlines are always drawn. An online tile layer is optional (``tiles``, e.g.
from ``$LAGEBILD_TILES``) and off by default.
"""

from __future__ import annotations

import os

import folium
import geopandas as gpd
import shapely

from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.schema import DISTRICT, DISTRICT_LINE_COLOUR, KINDS
from layers.assets import STATIC_URL, asset_urls
from layers.elements import JsCall, JsLayer
from layers.escape import escape_text, js_json
from layers.features import feature_collection
from layers.legend import legend_html

#: Environment variable with an XYZ tile URL (``{z}/{x}/{y}``) for an optional background.
TILES_ENV = "LAGEBILD_TILES"
#: Style of the drawn polygon.
DRAW_STYLE = {"color": "#111111", "weight": 2, "dashArray": "6 4", "fillOpacity": 0.05}


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose scripts and styles come from the app itself (no CDN).

    ``default_js``/``default_css`` are what folium writes into the page header and what
    streamlit-folium loads into its frame; here they point to :func:`layers.assets.asset_urls`.
    """

    def __init__(self, *args, asset_base: str = STATIC_URL, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default_js, self.default_css = asset_urls(asset_base)


def tiles_from_env() -> str | None:
    """The tile URL configured in ``$LAGEBILD_TILES`` (``None`` when unset or ``off``)."""
    url = os.environ.get(TILES_ENV, "").strip()
    return url if url and url.lower() not in ("0", "off", "aus", "none") else None


def _outline_geojson(gdf: gpd.GeoDataFrame) -> dict:
    """Boundaries as GeoJSON (EPSG:4326, simplified to about 1 m, coordinates rounded)."""
    shown = gdf.geometry.to_crs(DISPLAY_CRS)
    simple = gpd.GeoSeries(shapely.simplify(shown.values, 0.00001, preserve_topology=True), crs=DISPLAY_CRS)
    return feature_collection(simple, [{} for _ in range(len(simple))])


def base_map(
    area: StudyArea,
    *,
    districts: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
    tiles_attribution: str = "Kartendaten: Anbieter laut Konfiguration",
    height: int | str = "100%",
    asset_base: str = STATIC_URL,
    draw: bool = True,
    legend: bool = True,
    legend_open: bool = True,
) -> OfflineMap:
    """The base map of the study area.

    Parameters
    ----------
    area : study area (boundary in its metric CRS); the map is fitted to it.
    districts : district polygons (any CRS) with a ``name`` column; drawn as a toggleable
        overlay "Ortsteile" with their names as tooltips.
    tiles : XYZ tile URL for an optional online background (overlay, off by default in
        the app); ``None`` for none.
    height : map height (CSS or pixels).
    asset_base : URL prefix of the offline assets.
    draw : add the polygon drawing tool (its layer is the global ``drawnItems``).
    legend : add the legend (sections follow the overlays' visibility).
    legend_open : show the legend unfolded (the user can fold it).

    Returns
    -------
    OfflineMap
    """
    outline = area.boundary_display
    minx, miny, maxx, maxy = outline.bounds
    m = OfflineMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=14, tiles=None, prefer_canvas=True,
        control_scale=True, height=height, max_zoom=19, min_zoom=10, asset_base=asset_base,
    )
    m.options.update(maxZoom=19, minZoom=10)  # folium gives these only to tile layers; markercluster needs them
    m.add_child(JsCall("LB.init({map});"))
    m.add_child(JsCall("{map}.createPane('lbDensity'); {map}.getPane('lbDensity').style.zIndex = 350;"
                       "{map}.getPane('lbDensity').style.pointerEvents = 'none';"))
    if tiles:
        folium.TileLayer(tiles=tiles, attr=escape_text(tiles_attribution), name="Hintergrundkarte (online)",
                         overlay=True, control=True, show=True, max_zoom=19).add_to(m)
    if districts is not None and len(districts):
        fc = _outline_geojson(districts)
        style = {"color": DISTRICT_LINE_COLOUR, "weight": 1.2, "fill": False, "interactive": False}
        inner = gpd.GeoSeries(shapely.point_on_surface(districts.geometry.values), crs=districts.crs)
        inner = inner.to_crs(DISPLAY_CRS)
        names = districts["name"].astype(str).tolist() if "name" in districts else [""] * len(districts)
        labels = [[round(p.y, 6), round(p.x, 6), n] for p, n in zip(inner, names, strict=True) if n]
        m.add_child(_static_geojson(KINDS[DISTRICT].label_plural, fc, style, labels))
    area_fc = _outline_geojson(area.frame())
    m.add_child(JsCall(
        f"L.geoJSON({js_json(area_fc)}, {{style: {js_json({'color': '#263238', 'weight': 2.5, 'fill': False})},"
        " interactive: false}).addTo({map});"
    ))
    if draw:
        m.add_child(JsCall(f"var drawnItems = LB.drawTool({{map}}, {{style: {js_json(DRAW_STYLE)}}});"))
    if legend:
        m.add_child(JsCall(f"LB.legend({{map}}, {js_json(legend_html(open_=legend_open))}, 'bottomleft');"))
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _static_geojson(name: str, fc: dict, style: dict, labels: list | None = None) -> folium.FeatureGroup:
    """A toggleable overlay of the base map (districts), optionally with name labels
    (``[[lat, lon, text], ...]``, shown as plain text)."""

    group = folium.FeatureGroup(name=escape_text(name), show=True)
    group.add_child(JsLayer(
        f"L.geoJSON({js_json(fc)}, {{style: {js_json(style)}, interactive: false}})"
    ))
    if labels:
        group.add_child(JsLayer(f"LB.labels({js_json(labels)})"))
    return group
