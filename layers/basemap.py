"""The stable base map: offline Leaflet, study area outline, districts, legend, drawing tool.

The base map holds nothing that changes with the period or the filters, so Streamlit keeps
the same map (and the user's view) across reruns; data come as separate feature groups
(see :mod:`layers.map`). Beneath the data, from bottom to top:

* an online background (:mod:`layers.tiles`; basemap.de grey by default, ``$LAGEBILD_TILES`` or the
  study area's ``tiles`` choose another or ``off``). Without internet it is removed and one quiet
  line says so – the map never depends on it;
* the offline base map from the store (:mod:`layers.baselayers`: "Gebäude", "Straßen" with names
  from zoom 16, "Grünflächen", …), one static versioned script loaded once by the browser;
* the district outlines ("Ortsteile") and the study area outline.

The map opens fitted to ``fit`` (the data's bounds) or else the study area – refitted once its frame has
its final size (``LB.keepFit``), until the user moves it – with a collapsed layer
control (:class:`layers.elements.LayerControl`) and a metric scale bar.
"""

from __future__ import annotations

import os

import folium
import geopandas as gpd
import shapely

from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.schema import DISTRICT, DISTRICT_LINE_COLOUR, KINDS
from layers.assets import STATIC_URL, asset_urls
from layers.baselayers import LABEL_MIN_ZOOM, BaseLayers, theme_label, theme_style
from layers.elements import JsCall, JsLayer, RawHtml
from layers.escape import escape_text, js_json
from layers.features import feature_collection
from layers.legend import legend_html
from layers.tiles import BLANK_TILE, OFFLINE_NOTICE, TILES_ENV, TileProvider, configured_provider, provider_for

__all__ = ["TILES_ENV", "OfflineMap", "base_map", "tiles_from_env"]
#: Closest zoom a map opens at when fitted (a single point would otherwise open at zoom 19).
FIT_MAX_ZOOM = 17
#: Style of the drawn polygon.
DRAW_STYLE = {"color": "#111111", "weight": 2, "dashArray": "6 4", "fillOpacity": 0.05}


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose scripts and styles come from the app itself (no CDN).

    ``default_js``/``default_css`` are what folium writes into the page header and what
    streamlit-folium loads into its frame; here they point to :func:`layers.assets.asset_urls`.
    """

    def __init__(self, *args, asset_base: str = STATIC_URL, bundle: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default_js, self.default_css = asset_urls(asset_base, bundle=bundle)


def tiles_from_env() -> str | None:
    """The raw tile setting in ``$LAGEBILD_TILES`` (``None`` when unset or ``off``); :func:`base_map`
    resolves the effective provider itself (:func:`layers.tiles.configured_provider`)."""
    url = os.environ.get(TILES_ENV, "").strip()
    return url if url and url.lower() not in ("0", "off", "aus", "none") else None


def _outline_geojson(gdf: gpd.GeoDataFrame) -> dict:
    """Boundaries as GeoJSON (EPSG:4326, simplified to about 1 m, coordinates rounded)."""
    shown = gdf.geometry.to_crs(DISPLAY_CRS)
    simple = gpd.GeoSeries(shapely.simplify(shown.values, 0.00001, preserve_topology=True), crs=DISPLAY_CRS)
    return feature_collection(simple, [{} for _ in range(len(simple))])


#: The map's own panes (name, z-index): kernel density above the tiles, base layers beneath the data, base labels
#: above the data; none of them takes clicks.
PANES = (("lbDensity", 350), ("lbBase", 250), ("lbBaseLabels", 390))


def base_map(
    area: StudyArea,
    *,
    districts: gpd.GeoDataFrame | None = None,
    tiles: str | TileProvider | None = "auto",
    base: BaseLayers | None = None,
    base_inline: bool = False,
    fit: tuple[float, float, float, float] | None = None,
    height: int | str = "100%",
    asset_base: str = STATIC_URL,
    draw: bool = True,
    draw_lines: bool = False,
    legend: bool = True,
    legend_open: bool = True,
    bundle: bool = True,
    sync: str | None = None,
) -> OfflineMap:
    """The base map of the study area.

    Parameters
    ----------
    area : study area (boundary in its metric CRS); the map is fitted to it.
    districts : district polygons (any CRS) with a ``name`` column; drawn as a toggleable
        overlay "Ortsteile" with their names as tooltips.
    tiles : online background: ``"auto"`` (``$LAGEBILD_TILES``, the area's setting, else
        basemap.de), a provider key or URL (:func:`layers.tiles.provider_for`), a
        :class:`layers.tiles.TileProvider`, or ``None`` for none.
    base : the offline base map (:func:`layers.baselayers.build_base_layers`); ``None``: none.
    base_inline : put the base map's data into the page (exported HTML) instead of loading the
        served, versioned file ``asset_base/base/<version>.js`` (the app).
    fit : (south, west, north, east) in WGS84 the map opens fitted to (the data); default the area.
    height : map height (CSS or pixels).
    asset_base : URL prefix of the offline assets.
    draw : add the polygon drawing tool (its layer is the global ``drawnItems``).
    draw_lines : the drawing tool also draws lines ("Linie zeichnen"; an agreement's place).
    legend : add the legend (sections follow the overlays' visibility).
    legend_open : show the legend unfolded (the user can fold it).
    bundle : load the offline scripts as one file (:func:`layers.assets.bundle_file`): a map's frame loads its
        scripts one after the other, so one file saves three round trips per map; ``False``: each file apart.
    sync : a channel name: maps of one page given the same name pan and zoom together in the browser
        (``LB.syncView``; no rerun of the page).

    Returns
    -------
    OfflineMap
    """
    outline = area.boundary_display
    minx, miny, maxx, maxy = outline.bounds
    m = OfflineMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=14, tiles=None, prefer_canvas=True,
        control_scale=False, height=height, max_zoom=19, min_zoom=10, asset_base=asset_base, bundle=bundle,
    )
    m.options.update(maxZoom=19, minZoom=10)  # folium gives these only to tile layers; markercluster needs them
    m.add_child(JsCall("LB.init({map});"))
    m.add_child(JsCall("".join(f"{{map}}.createPane('{name}'); {{map}}.getPane('{name}').style.zIndex = {z};"
                               f"{{map}}.getPane('{name}').style.pointerEvents = 'none';" for name, z in PANES)))
    m.add_child(JsCall("L.control.scale({metric: true, imperial: false, maxWidth: 140}).addTo({map});"))
    provider = configured_provider(area) if tiles == "auto" else (
        provider_for(tiles) if isinstance(tiles, str) else tiles)
    if provider is not None:
        _add_tiles(m, provider)
    if base is not None:
        _add_base(m, base, inline=base_inline, asset_base=asset_base)
    if districts is not None and len(districts):
        m.add_child(_districts_layer(districts))
    area_fc = _outline_geojson(area.frame())
    m.add_child(JsCall(
        f"L.geoJSON({js_json(area_fc)}, {{style: {js_json({'color': '#263238', 'weight': 2.5, 'fill': False})},"
        " interactive: false}).addTo({map});"
    ))
    if draw:
        opts = {"style": DRAW_STYLE, "lines": True} if draw_lines else {"style": DRAW_STYLE}
        m.add_child(JsCall(f"var drawnItems = LB.drawTool({{map}}, {js_json(opts)});"))
    if legend:
        m.add_child(JsCall(f"LB.legend({{map}}, {js_json(legend_html(open_=legend_open))}, 'bottomleft');"))
    _add_view(m, fit if fit is not None else (miny, minx, maxy, maxx), sync)
    return m


def _add_view(m: folium.Map, bounds: tuple[float, float, float, float], sync: str | None) -> None:
    """Fit ``m`` to (south, west, north, east), again once its frame has its final size (Streamlit
    sizes the frame after the map script ran; ``LB.keepFit``), and couple it to the maps on ``sync``."""
    south, west, north, east = bounds
    m.fit_bounds([[south, west], [north, east]], max_zoom=FIT_MAX_ZOOM)
    m.add_child(JsCall(f"LB.keepFit({{map}}, {js_json([[south, west], [north, east]])});"))
    if sync:
        m.add_child(JsCall(f"LB.syncView({{map}}, {js_json(str(sync))});"))


def _districts_layer(districts: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """The overlay "Ortsteile": district outlines with their names as labels."""
    fc = _outline_geojson(districts)
    style = {"color": DISTRICT_LINE_COLOUR, "weight": 1.2, "fill": False, "interactive": False}
    inner = gpd.GeoSeries(shapely.point_on_surface(districts.geometry.values), crs=districts.crs)
    inner = inner.to_crs(DISPLAY_CRS)
    names = districts["name"].astype(str).tolist() if "name" in districts else [""] * len(districts)
    labels = [[round(p.y, 6), round(p.x, 6), n] for p, n in zip(inner, names, strict=True) if n]
    return _static_geojson(KINDS[DISTRICT].label_plural, fc, style, labels)


def _add_tiles(m: folium.Map, provider: TileProvider) -> None:
    """The online background with the offline fallback of ``LB.tiles``."""
    if provider.kind == "wms":
        layer = folium.WmsTileLayer(provider.url, layers=provider.wms_layers, fmt="image/png", transparent=False,
                                    attr=provider.attribution, name=provider.label, overlay=False, control=False,
                                    max_zoom=19)
    else:
        layer = folium.TileLayer(tiles=provider.url, attr=provider.attribution, name=provider.label, overlay=False,
                                 control=False, max_zoom=19, max_native_zoom=provider.max_native_zoom,
                                 errorTileUrl=BLANK_TILE)
    m.add_child(layer)
    m.add_child(JsCall(f"LB.tiles({{map}}, {layer.get_name()}, {js_json(OFFLINE_NOTICE)});"))


def _add_base(m: OfflineMap, base: BaseLayers, *, inline: bool, asset_base: str) -> None:
    """The offline base map's overlays ("Gebäude", "Straßen", …) and where their data come from."""
    if inline:
        body = base.script.replace("</", "<\\/")
        m.get_root().header.add_child(RawHtml(f"<script>{body}</script>"))
    else:
        m.default_js = [*m.default_js, (f"lagebild_base_{base.version}", f"{asset_base.rstrip('/')}/{base.file}")]
    version = js_json(base.version)
    order = ["building", "street", "green", "water", "railway"]
    for theme in order:
        exprs = []
        if theme in base.themes:
            exprs.append(f"LB.base({version}, {js_json(theme)}, {js_json(theme_style(theme))})")
        if theme == "street" and base.has_labels:
            exprs.append(f"LB.baseLabels({version}, {LABEL_MIN_ZOOM})")
        if exprs:
            group = folium.FeatureGroup(name=theme_label(theme), show=True)
            for e in exprs:
                group.add_child(JsLayer(e))
            m.add_child(group)


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
