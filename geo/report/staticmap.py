"""A static map of the Lagebild for print (matplotlib, no web tiles, no internet).

Layers, bottom to top: the offline base map (green areas, water, buildings, railways, streets and
street names from :meth:`geo.data.store.Store.read_base`, drawn in :data:`geo.core.schema.BASE_STYLES`),
hot spot cells coloured by Gi* class (:data:`geo.core.schema.HOTSPOT_CLASSES`),
optionally individual finds, district outlines with names, the study area outline,
sensitive places with their protective-distance rings (red when flagged), disposal bins.
A legend, a scale bar and a north arrow are added. Geometries come in the metric CRS
(EPSG:25833) and are drawn in WGS84 (EPSG:4326) with the aspect ratio of the map centre.

Uses :class:`matplotlib.figure.Figure` directly (no ``pyplot`` state), so it is safe in
threads (Streamlit) and headless. Nothing here imports streamlit or folium.
"""

from __future__ import annotations

import io
import math
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geo.analysis.placenames import street_label_points
from geo.core import fmt
from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.schema import (
    AREA_OUTLINE_COLOUR,
    BASE_STYLES,
    BASE_THEMES,
    DISPOSAL_BIN,
    DISTRICT,
    DISTRICT_LINE_COLOUR,
    HOTSPOT_CLASSES,
    KINDS,
    SENSITIVE_PLACE,
    SYRINGE_FIND,
)
from geo.report.figures import place_buffers

#: Default figure size in inches (17 cm × 12.5 cm: the text width of an A4 page).
FIGSIZE = (17 / 2.54, 12.5 / 2.54)
FLAG_COLOUR = "#c62828"
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
#: Smallest width and height (m) of a map zoomed to the data.
MIN_EXTENT_M = 1200.0
_NICE_LENGTHS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)


def _display(gdf: gpd.GeoDataFrame | gpd.GeoSeries | None, crs) -> gpd.GeoSeries | None:
    """Geometries in WGS84 (input without CRS is taken to be in ``crs``)."""
    if gdf is None or not len(gdf):
        return None
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if geoms.crs is None:
        geoms = geoms.set_crs(crs)
    return geoms.to_crs(DISPLAY_CRS)


def _scale_length(width_m: float) -> int:
    """A round length (m) of about a fifth of the map width."""
    target = width_m / 5
    return min(_NICE_LENGTHS, key=lambda v: abs(math.log(v / target)))


def _scale_bar(ax, area: StudyArea) -> None:
    """Scale bar in the lower left corner (length measured in the metric CRS)."""
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    centre = gpd.GeoSeries(shapely.points([(x_lo + x_hi) / 2], [(y_lo + y_hi) / 2]), crs=DISPLAY_CRS).to_crs(area.crs)
    cx, cy = float(centre.x.iloc[0]), float(centre.y.iloc[0])
    edge = gpd.GeoSeries(shapely.points([x_lo], [(y_lo + y_hi) / 2]), crs=DISPLAY_CRS).to_crs(area.crs)
    length = _scale_length(2 * (cx - float(edge.x.iloc[0])))
    pts = gpd.GeoSeries(shapely.points([cx, cx + length], [cy, cy]), crs=area.crs).to_crs(DISPLAY_CRS)
    dlon = float(pts.x.iloc[1] - pts.x.iloc[0])
    x0 = x_lo + 0.04 * (x_hi - x_lo)
    y0 = y_lo + 0.04 * (y_hi - y_lo)
    h = 0.012 * (y_hi - y_lo)
    for i, colour in enumerate(("#222222", "white")):
        ax.add_patch(_rect(x0 + i * dlon / 2, y0, dlon / 2, h, colour))
    km = length / 1000
    label = f"{fmt.number(km, len(f'{km:g}'.partition('.')[2]))} km" if length >= 1000 else f"{fmt.number(length)} m"
    ax.text(x0 + dlon, y0 + 1.8 * h, label, ha="center", va="bottom", fontsize=7, path_effects=_HALO, zorder=20)
    ax.text(x0, y0 + 1.8 * h, "0", ha="center", va="bottom", fontsize=7, path_effects=_HALO, zorder=20)


def _rect(x: float, y: float, w: float, h: float, colour: str) -> Rectangle:
    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="#222222", linewidth=0.6, zorder=20)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.95, 0.96), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center", va="top",
                fontsize=8, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.2},
                zorder=20, path_effects=_HALO)


def _hot_cells(hotspots) -> gpd.GeoDataFrame | None:
    """The cells GeoDataFrame of a HotspotResult (or the cells themselves)."""
    if hotspots is None:
        return None
    cells = getattr(hotspots, "cells", hotspots)
    return cells if isinstance(cells, gpd.GeoDataFrame) and "gi_class" in cells else None


class _Layers:
    """The map's layers, reprojected to WGS84 once for the main map and the overview."""

    def __init__(self, area: StudyArea, hotspots, districts, places, bins, finds, base=None,
                 hotspot_labels=None) -> None:
        crs = area.crs
        self.area = area
        self.base = None
        self.street_labels: list = []
        if base is not None and len(base):
            metric = base.to_crs(crs)
            self.base = gpd.GeoDataFrame({"theme": metric["theme"].to_numpy()},
                                         geometry=metric.geometry.to_crs(DISPLAY_CRS).values, crs=DISPLAY_CRS)
            pts = street_label_points(metric, stretch_m=450.0)
            if pts:
                wgs = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]), crs=crs)
                wgs = wgs.to_crs(DISPLAY_CRS)
                self.street_labels = [(q.x, q.y, p[2], p[3]) for q, p in zip(wgs, pts, strict=True)]
        self.hotspot_labels = None
        if hotspot_labels is not None and len(hotspot_labels):
            shown = hotspot_labels.geometry.to_crs(DISPLAY_CRS)
            self.hotspot_labels = (shown.representative_point(), hotspot_labels["label"].astype(str).to_numpy())
        self.outline = gpd.GeoSeries([area.boundary], crs=crs).to_crs(DISPLAY_CRS)
        cells = _hot_cells(hotspots)
        self.cells: gpd.GeoDataFrame | None = None
        self.klass: np.ndarray = np.zeros(0, dtype=int)  # Gi* class per cell (with cells)
        if cells is not None:
            self.klass = pd.to_numeric(cells["gi_class"], errors="coerce").fillna(0).astype(int).to_numpy()
            self.cells = _display(cells, crs)
        self.finds = _display(finds, crs)
        self.districts = _display(districts, crs)
        has_names = self.districts is not None and "name" in districts
        self.district_names = districts["name"].astype(str).to_numpy() if has_names else None
        self.bins = _display(bins, crs)
        self.places: gpd.GeoSeries | None = None
        self.rings: Any = None  # buffers around the places (with places)
        self.flagged: np.ndarray = np.zeros(0, dtype=bool)  # per place (with places)
        if places is not None and len(places):
            metric = places.geometry.set_crs(crs) if places.crs is None else places.geometry.to_crs(crs)
            self.places = _display(metric, crs)
            self.rings = _display(gpd.GeoSeries(shapely.buffer(np.asarray(metric.values, dtype=object),
                                                                place_buffers(places)), crs=crs), crs)
            self.flagged = places["flagged"].to_numpy(dtype=bool) if "flagged" in places \
                else np.zeros(len(places), dtype=bool)

    def data_bounds(self) -> np.ndarray:
        """WGS84 bounds of what is worth looking at: significant cells, places, bins, finds."""
        parts = []
        if self.cells is not None and (self.klass != 0).any():
            parts.append(self.cells[self.klass != 0].total_bounds)
        for layer in (self.rings, self.bins, self.finds):
            if layer is not None:
                parts.append(layer.total_bounds)
        area = self.outline.total_bounds
        if not parts:
            return area
        b = np.array(parts)
        lo = np.maximum(np.nanmin(b[:, :2], axis=0), area[:2])
        hi = np.minimum(np.nanmax(b[:, 2:], axis=0), area[2:])
        return area if np.any(hi <= lo) else np.concatenate([lo, hi])


def _draw_base(ax, layers: _Layers, *, labels: bool) -> list:
    """The offline base map beneath everything (only what lies in the axes' view is drawn)."""
    handles: list = []
    if layers.base is None:
        return handles
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    view = layers.base[layers.base.intersects(shapely.box(x_lo, y_lo, x_hi, y_hi))]
    for order, theme in enumerate(("green", "water", "building", "railway", "street")):
        part = view[(view["theme"] == theme).to_numpy()]
        if not len(part):
            continue
        style = BASE_STYLES[theme]
        if style["fill"]:
            part.plot(ax=ax, facecolor=style["fill"], edgecolor=style["line"], linewidth=0.2, zorder=0.2 + order / 10)
            handles.append(Patch(facecolor=style["fill"], edgecolor=style["line"], label=BASE_THEMES[theme]))
        else:
            width = float(style["width"]) * (0.5 if labels else 0.2)
            if style.get("casing"):
                part.plot(ax=ax, color=style["casing"], linewidth=width + 0.6, zorder=0.2 + order / 10)
            part.plot(ax=ax, color=style["line"], linewidth=width, zorder=0.25 + order / 10)
    ax.set_xlim(x_lo, x_hi)  # plotting must not move the view or label the axes
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if labels:
        for x, y, name, angle in layers.street_labels:
            if x_lo < x < x_hi and y_lo < y < y_hi:
                ax.text(x, y, name, parse_math=False, rotation=-angle, rotation_mode="anchor", ha="center",
                        va="center", fontsize=4.5, color="#5f6368", style="italic", path_effects=_HALO, zorder=1.5,
                        clip_on=True)
    return handles


def plot_base(ax, base: gpd.GeoDataFrame | None, *, line_scale: float = 0.5, zorder: float = 0.2) -> None:
    """The base map on any matplotlib axes in the base's own CRS (e.g. metres for density images),
    in :data:`geo.core.schema.BASE_STYLES`; the view (limits) is kept."""
    if base is None or not len(base):
        return
    limits = ax.get_xlim(), ax.get_ylim()
    for order, theme in enumerate(("green", "water", "building", "railway", "street")):
        part = base[(base["theme"] == theme).to_numpy()]
        if not len(part):
            continue
        style = BASE_STYLES[theme]
        z = zorder + order / 100
        if style["fill"]:
            part.plot(ax=ax, facecolor=style["fill"], edgecolor=style["line"], linewidth=0.2, zorder=z)
        else:
            width = float(style["width"]) * line_scale
            if style.get("casing"):
                part.plot(ax=ax, color=style["casing"], linewidth=width + 0.6, zorder=z)
            part.plot(ax=ax, color=style["line"], linewidth=width, zorder=z + 0.001)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _draw(ax, layers: _Layers, *, labels: bool) -> list:
    """Draw all layers on ``ax``; return legend handles (with ``labels``: place numbers and names too).

    The base map is drawn by :func:`_draw_base` after the view is set (it depends on the limits)."""
    handles: list = [Line2D([], [], color=AREA_OUTLINE_COLOUR, linewidth=1.4, label=f"Gebiet: {layers.area.name}")]
    if layers.cells is not None:
        present = sorted({int(k) for k in layers.klass if k != 0}, reverse=True)
        for c in present:
            label, colour = HOTSPOT_CLASSES[c]
            layers.cells[layers.klass == c].plot(ax=ax, color=colour, edgecolor="none", zorder=2)
            handles.append(Patch(facecolor=colour, edgecolor="none", label=label))
        if not present:
            handles.append(Patch(facecolor="white", edgecolor="#999999", label="keine signifikanten Hotspots"))
    if layers.finds is not None:
        kind = KINDS[SYRINGE_FIND]
        size = float(np.clip(2000.0 / max(len(layers.finds), 1), 2.0, 12.0))  # fewer finds, larger dots
        ax.scatter(layers.finds.x, layers.finds.y, s=size if labels else size / 3, color=kind.colour, alpha=0.6,
                   linewidths=0, zorder=3)
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=3, color=kind.colour,
                              label=kind.label_plural))
    if layers.districts is not None:
        layers.districts.boundary.plot(ax=ax, color=DISTRICT_LINE_COLOUR, linewidth=0.6, linestyle=(0, (4, 2)),
                                       zorder=4)
        if labels and layers.district_names is not None:
            pts = layers.districts.representative_point()
            for x, y, name in zip(pts.x, pts.y, layers.district_names, strict=True):
                ax.text(x, y, name, parse_math=False, ha="center", va="center", fontsize=6, color="#546e7a",
                        style="italic", path_effects=_HALO, zorder=5, clip_on=True)
        handles.append(Line2D([], [], color=DISTRICT_LINE_COLOUR, linewidth=0.8, linestyle=(0, (4, 2)),
                              label=KINDS[DISTRICT].label_plural))
    layers.outline.boundary.plot(ax=ax, color=AREA_OUTLINE_COLOUR, linewidth=1.4 if labels else 0.8, zorder=6)
    if layers.places is not None:
        kind = KINDS[SENSITIVE_PLACE]
        flagged = layers.flagged
        if (~flagged).any():
            layers.rings[~flagged].boundary.plot(ax=ax, color=kind.colour, linewidth=0.9, linestyle="--", zorder=7)
        if flagged.any():
            layers.rings[flagged].boundary.plot(ax=ax, color=FLAG_COLOUR, linewidth=1.3, zorder=7)
        polygons = layers.places[shapely.get_type_id(np.asarray(layers.places.values, dtype=object)) >= 3]
        if len(polygons):
            polygons.plot(ax=ax, facecolor="none", edgecolor=kind.colour, linewidth=0.8, zorder=7)
        pts = layers.places.representative_point()
        ax.scatter(pts.x, pts.y, s=22 if labels else 6, marker="o", color=kind.colour, edgecolor="white",
                   linewidths=0.6 if labels else 0.2, zorder=9)
        if labels:
            for i, (x, y) in enumerate(zip(pts.x, pts.y, strict=True), start=1):
                ax.annotate(str(i), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6.5,
                            fontweight="bold", color=kind.colour, path_effects=_HALO, zorder=10)
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=5, color=kind.colour,
                              markeredgecolor="white", label="sensibler Ort (Nr. wie Tabelle)"))
        handles.append(Line2D([], [], color=kind.colour, linewidth=0.9, linestyle="--", label="Schutzabstand"))
        if flagged.any():
            handles.append(Line2D([], [], color=FLAG_COLOUR, linewidth=1.3, label="Schutzabstand, auffälliger Ort"))
    if layers.bins is not None:
        kind = KINDS[DISPOSAL_BIN]
        pts = layers.bins.representative_point()
        ax.scatter(pts.x, pts.y, s=20 if labels else 5, marker=kind.marker, color=kind.colour, edgecolor="white",
                   linewidths=0.6 if labels else 0.2, zorder=11)
        handles.append(Line2D([], [], linestyle="", marker=kind.marker, markersize=5, color=kind.colour,
                              markeredgecolor="white", label=kind.label))
    if labels and layers.hotspot_labels is not None:
        pts, texts = layers.hotspot_labels
        for x, y, text in zip(pts.x, pts.y, texts, strict=True):
            ax.text(x, y, text, parse_math=False, ha="center", va="center", fontsize=7, fontweight="bold",
                    color="#7f0000", path_effects=_HALO, zorder=12, clip_on=True)
        handles.append(Line2D([], [], linestyle="", marker="$H$", markersize=6, color="#7f0000",
                              label="Hotspot (Nr. wie Tabelle)"))
    return handles


def _frame(ax, bounds, lat: float) -> None:
    """Limits widened to fill the axes box at true aspect (latitude ``lat``); no ticks, thin frame."""
    aspect = 1.0 / math.cos(math.radians(lat))
    pos = ax.get_position(original=True)
    fig_w, fig_h = ax.figure.get_size_inches()
    box_ratio = (pos.height * fig_h) / (pos.width * fig_w)  # height / width of the axes box
    centre = (np.asarray(bounds[:2]) + np.asarray(bounds[2:])) / 2
    w, h = bounds[2] - bounds[0], bounds[3] - bounds[1]
    if h * aspect / w > box_ratio:
        w = h * aspect / box_ratio
    else:
        h = w * box_ratio / aspect
    ax.set_xlim(centre[0] - w / 2, centre[0] + w / 2)
    ax.set_ylim(centre[1] - h / 2, centre[1] + h / 2)
    ax.set_aspect(aspect, adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#90a4ae")


def render_map(
    area: StudyArea,
    *,
    hotspots=None,
    districts: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    bins: gpd.GeoDataFrame | None = None,
    finds: gpd.GeoDataFrame | None = None,
    base: gpd.GeoDataFrame | None = None,
    hotspot_labels: gpd.GeoDataFrame | None = None,
    extent: Literal["data", "area"] = "data",
    figsize: tuple[float, float] = FIGSIZE,
) -> Figure:
    """Draw the static map.

    Parameters
    ----------
    area : study area (metric CRS, e.g. EPSG:25833).
    hotspots : :class:`geo.analysis.hotspots.HotspotResult` or its ``cells`` GeoDataFrame
        (``gi_class``, metric CRS); significant cells are filled with the class colour.
    districts : district polygons with ``name`` (outlines and names).
    places : sensitive places with ``buffer_m`` (metres) — raw records or the table of
        :func:`geo.report.figures.sensitive_place_table` (then ``flagged`` places get a red ring).
        Each place is labelled with its row number (1, 2, …), matching the table order.
    bins : disposal bins (points).
    finds : syringe finds drawn as small dots (e.g. when there is no hot spot result).
    base : the offline base map (``theme`` + geometry, any CRS; :meth:`geo.data.store.Store.read_base`),
        drawn beneath everything with street names.
    hotspot_labels : hotspots (polygons) with a ``label`` column (e.g. ``"H1"``) written on the map.
    extent : ``"data"`` zooms to significant cells, places, bins and finds (at least
        :data:`MIN_EXTENT_M` wide) and shows the whole area in an overview beside the
        legend; ``"area"`` shows the whole study area.
    figsize : inches (default: 17 cm × 12.5 cm).

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; save it with ``fig.savefig`` or use :func:`map_png`.
    """
    layers = _Layers(area, hotspots, districts, places, bins, finds, base, hotspot_labels)
    area_bounds = layers.outline.total_bounds
    lat = float(area_bounds[1] + area_bounds[3]) / 2
    bounds = layers.data_bounds() if extent == "data" else area_bounds
    # pad by 8 % and widen to MIN_EXTENT_M (converted at the centre latitude)
    deg_x = MIN_EXTENT_M / (111_320.0 * math.cos(math.radians(lat)))
    half = np.maximum((bounds[2:] - bounds[:2]) * 0.54, [deg_x / 2, MIN_EXTENT_M / 111_320.0 / 2])
    centre = (bounds[:2] + bounds[2:]) / 2
    bounds = np.concatenate([centre - half, centre + half])
    zoomed = bool(np.any(bounds[:2] > area_bounds[:2]) or np.any(bounds[2:] < area_bounds[2:]))

    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.005, 0.01, 0.66, 0.98))
    handles = _draw(ax, layers, labels=True)
    _frame(ax, bounds, lat)
    handles[1:1] = _draw_base(ax, layers, labels=True)
    _scale_bar(ax, area)
    _north_arrow(ax)
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.685, 0.99), fontsize=7, frameon=False,
                        title="Legende", title_fontsize=8, alignment="left", borderaxespad=0.0, handlelength=1.6)
    for text in legend.get_texts():
        text.set_parse_math(False)  # labels from data ($ would start mathtext)
    if zoomed:
        inset = fig.add_axes((0.685, 0.13, 0.30, 0.36))
        _draw(inset, layers, labels=False)
        pad = 0.03 * (area_bounds[2:] - area_bounds[:2])
        _frame(inset, np.concatenate([area_bounds[:2] - pad, area_bounds[2:] + pad]), lat)
        _draw_base(inset, layers, labels=False)
        (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
        inset.add_patch(Rectangle((x_lo, y_lo), x_hi - x_lo, y_hi - y_lo, facecolor="none",
                                  edgecolor=AREA_OUTLINE_COLOUR,
                                  linewidth=0.9, linestyle=":", zorder=30))
        inset.set_title("Übersicht (Ausschnitt gepunktet)", fontsize=6.5, color="#455a64", loc="left", pad=2)
    source = "Grundkarte: importierte Gebäude/Straßen" if layers.base is not None else "ohne Hintergrundkarte"
    fig.text(0.685, 0.01, f"Darstellung WGS84 ({DISPLAY_CRS}), Berechnung {area.crs} (Meter); {source}",
             fontsize=5.5, color="#607d8b", va="bottom", wrap=True)
    return fig


def map_png(area: StudyArea, *, dpi: int = 200, **layers) -> bytes:
    """:func:`render_map` as PNG bytes (``dpi`` dots per inch); ``layers`` as there."""
    fig = render_map(area, **layers)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
