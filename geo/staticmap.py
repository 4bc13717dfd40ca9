"""A static map of the Lagebild for print (matplotlib, no web tiles, no internet).

Layers, bottom to top: hot spot cells coloured by Gi* class (:data:`geo.schema.HOTSPOT_CLASSES`),
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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geo.area import DISPLAY_CRS, StudyArea
from geo.figures import DEFAULT_BUFFER_M
from geo.schema import HOTSPOT_CLASSES, KINDS

#: Default figure size in inches (17 cm × 12.5 cm: the text width of an A4 page).
FIGSIZE = (17 / 2.54, 12.5 / 2.54)
FLAG_COLOUR = "#c62828"
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
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
    label = f"{length / 1000:g} km".replace(".", ",") if length >= 1000 else f"{length} m"
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


def render_map(
    area: StudyArea,
    *,
    hotspots=None,
    districts: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    bins: gpd.GeoDataFrame | None = None,
    finds: gpd.GeoDataFrame | None = None,
    figsize: tuple[float, float] = FIGSIZE,
) -> Figure:
    """Draw the static map.

    Parameters
    ----------
    area : study area; its boundary (metric CRS) frames the map.
    hotspots : :class:`geo.hotspots.HotspotResult` or its ``cells`` GeoDataFrame
        (``gi_class``, metric CRS); significant cells are filled with the class colour.
    districts : district polygons with ``name`` (outlines and names).
    places : sensitive places with ``buffer_m`` (metres) — raw records or the table of
        :func:`geo.figures.sensitive_place_table` (then ``flagged`` places get a red ring).
        Each place is labelled with its row number (1, 2, …), matching the table order.
    bins : disposal bins (points).
    finds : syringe finds drawn as small dots (e.g. when there is no hot spot result).
    figsize : inches.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; save it with ``fig.savefig`` or :func:`map_png`.
    """
    crs = area.crs
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.01, 0.02, 0.64, 0.96))
    outline = gpd.GeoSeries([area.boundary], crs=crs).to_crs(DISPLAY_CRS)
    minx, miny, maxx, maxy = outline.total_bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    handles: list = []

    cells = _hot_cells(hotspots)
    if cells is not None:
        klass = pd.to_numeric(cells["gi_class"], errors="coerce").fillna(0).astype(int).to_numpy()
        shown = _display(cells, crs)
        for c in sorted({int(k) for k in klass if k != 0}, reverse=True):
            label, colour = HOTSPOT_CLASSES[c]
            shown[klass == c].plot(ax=ax, color=colour, edgecolor="none", zorder=2)
            handles.append(Patch(facecolor=colour, edgecolor="none", label=label))
        if not (klass != 0).any():
            handles.append(Patch(facecolor="white", edgecolor="#999999", label="keine signifikanten Hotspots"))

    shown = _display(finds, crs)
    if shown is not None:
        kind = KINDS["syringe_find"]
        ax.scatter(shown.x, shown.y, s=2, color=kind.colour, alpha=0.45, linewidths=0, zorder=3)
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=3, color=kind.colour,
                              label=kind.label_plural))

    shown = _display(districts, crs)
    if shown is not None:
        shown.boundary.plot(ax=ax, color="#78909c", linewidth=0.6, linestyle=(0, (4, 2)), zorder=4)
        if "name" in districts:
            pts = shown.representative_point()
            for x, y, name in zip(pts.x, pts.y, districts["name"].astype(str), strict=True):
                ax.text(x, y, name, ha="center", va="center", fontsize=6, color="#546e7a", style="italic",
                        path_effects=_HALO, zorder=5, clip_on=True)
        handles.append(Line2D([], [], color="#78909c", linewidth=0.8, linestyle=(0, (4, 2)),
                              label=KINDS["district"].label_plural))

    outline.boundary.plot(ax=ax, color="#263238", linewidth=1.4, zorder=6)
    handles.insert(0, Line2D([], [], color="#263238", linewidth=1.4, label=f"Gebiet: {area.name}"))

    if places is not None and len(places):
        kind = KINDS["sensitive_place"]
        metric = places.geometry if places.crs is None or places.crs == crs else places.geometry.to_crs(crs)
        buffer = pd.to_numeric(places["buffer_m"], errors="coerce").to_numpy(dtype=float) if "buffer_m" in places \
            else np.full(len(places), DEFAULT_BUFFER_M)
        buffer = np.where(np.isfinite(buffer) & (buffer > 0), buffer, DEFAULT_BUFFER_M)
        flagged = places["flagged"].to_numpy(dtype=bool) if "flagged" in places else np.zeros(len(places), bool)
        rings = _display(gpd.GeoSeries(shapely.buffer(np.asarray(metric.values, dtype=object), buffer),
                                       crs=places.crs or crs), crs)
        rings[~flagged].boundary.plot(ax=ax, color=kind.colour, linewidth=0.9, linestyle="--", zorder=7)
        rings[flagged].boundary.plot(ax=ax, color=FLAG_COLOUR, linewidth=1.3, zorder=7)
        is_polygon = shapely.get_type_id(np.asarray(metric.values, dtype=object)) >= 3
        shown = _display(metric, crs)
        if is_polygon.any():
            shown[is_polygon].plot(ax=ax, facecolor="none", edgecolor=kind.colour, linewidth=0.8, zorder=7)
        pts = shown.representative_point()
        ax.scatter(pts.x, pts.y, s=22, marker="o", color=kind.colour, edgecolor="white", linewidths=0.6,
                   zorder=9)
        for i, (x, y) in enumerate(zip(pts.x, pts.y, strict=True), start=1):
            ax.annotate(str(i), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6.5,
                        fontweight="bold", color=kind.colour, path_effects=_HALO, zorder=10)
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=5, color=kind.colour,
                              markeredgecolor="white", label="Sensibler Ort (Nr. wie Tabelle)"))
        handles.append(Line2D([], [], color=kind.colour, linewidth=0.9, linestyle="--", label="Schutzabstand"))
        if flagged.any():
            handles.append(Line2D([], [], color=FLAG_COLOUR, linewidth=1.3, label="Schutzabstand, auffällig"))

    shown = _display(bins, crs)
    if shown is not None:
        kind = KINDS["disposal_bin"]
        pts = shown.representative_point()
        ax.scatter(pts.x, pts.y, s=20, marker=kind.marker, color=kind.colour, edgecolor="white",
                   linewidths=0.6, zorder=11)
        handles.append(Line2D([], [], linestyle="", marker=kind.marker, markersize=5, color=kind.colour,
                              markeredgecolor="white", label=kind.label))

    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect(1.0 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#90a4ae")
    _scale_bar(ax, area, bounds)
    _north_arrow(ax, bounds)
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.665, 0.98), fontsize=7, frameon=False,
               title="Legende", title_fontsize=8, alignment="left", borderaxespad=0.0, handlelength=1.6)
    fig.text(0.665, 0.03, "Darstellung: WGS84 (EPSG:4326)\nBerechnung: " + str(crs) + ", Meter\n"
             "ohne Hintergrundkarte", fontsize=6, color="#607d8b", va="bottom")
    return fig


def map_png(area: StudyArea, *, dpi: int = 200, **layers) -> bytes:
    """:func:`render_map` as PNG bytes (``dpi`` dots per inch); ``layers`` as there."""
    fig = render_map(area, **layers)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
