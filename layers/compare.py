"""Map layers of the Vergleich page: counts per period, change, emerging patterns, measure areas.

All layers are ``LB.geojson`` overlays (``layers/js/lagebild.js``): popups and tooltips are
set as text in the browser, every value is embedded with :func:`layers.escape.js_json`, and
legends are built from escaped labels and checked colours. Cells come in the metric CRS
(EPSG:25833) and are shown in EPSG:4326.

Side-by-side maps (period A | period B) use :func:`period_map` twice with the same bounds
and the same colour classes (:func:`count_breaks`); ``sync`` keeps their views together in the
browser (folium's ``DualMap`` would need the Leaflet.Sync plugin from a CDN, which does not work
offline; reporting views back to Streamlit would rerun the page).
"""

from __future__ import annotations

import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.emerging import NO_PATTERN, PATTERNS
from geo.analysis.evaluate import AREA_NAMES
from geo.core import fmt
from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.schema import (
    CHANGE_CLASSES,
    COUNT_CELL_COLOUR,
    DENSITY_COLOURS,
    EMERGING_SYMBOLS,
    EVALUATION_AREAS,
    NEUTRAL_CELL_COLOUR,
)
from layers.assets import STATIC_URL
from layers.baselayers import BaseLayers
from layers.basemap import OfflineMap, base_map
from layers.elements import JsCall, layer_group
from layers.escape import escape_text, js_json, safe_colour
from layers.features import feature_collection, format_values, geojson_js
from layers.hotspots import P_LABEL
from layers.legend import legend_corner

CHANGE_LAYER = "Veränderung A → B"
EMERGING_LAYER = "Trend der Hotspots"
AREAS_LAYER = "Maßnahme: Gebiete"
#: Smallest on-screen cell width (pixels) on which the 14-px pattern symbols are drawn.
GLYPH_CELL_PX = 18.0
#: Styles of the measure evaluation areas.
AREA_STYLES: dict[str, dict] = {
    "treated": {"color": EVALUATION_AREAS["treated"][1], "weight": 2.5, "fillColor": EVALUATION_AREAS["treated"][1],
                "fillOpacity": 0.18},
    "buffer": {"color": EVALUATION_AREAS["buffer"][1], "weight": 2, "dashArray": "6 4",
               "fillColor": EVALUATION_AREAS["buffer"][1], "fillOpacity": 0.08},
    "control": {"color": EVALUATION_AREAS["control"][1], "weight": 1, "dashArray": "2 4", "fill": False},
}

#: The plain name of the rate ratio B/A (the Vergleich page's table heading and the change map's popup).
RATIO_LABEL = "Faktor B zu A"


def _num(values, digits: int = 2) -> np.ndarray:
    return format_values(pd.Series(np.asarray(values, dtype=float)), "float", digits)


def _p(values) -> np.ndarray:
    """p-values as German text, ``< 0,001`` below 0.001 (never a bare ``0``)."""
    return np.array([fmt.p_value(p) for p in np.asarray(values, dtype=float)], dtype=object)


def _int(values) -> np.ndarray:
    return format_values(pd.Series(np.asarray(values)), "int")


def legend_html(title: str, items: list[tuple[str, ...]]) -> str:
    """A collapsible legend box ``title`` with one ``(label, colour)`` or ``(label, colour, symbol)`` row
    each (escaped, colours checked; the symbol is drawn on the colour swatch).

    Uses the CSS classes of ``layers/js/lagebild.css`` (``lb-row``, ``lb-sym``).
    """
    rows = "".join(
        f'<div class="lb-row"><span class="lb-sym{" lb-glyph-sym" if item[2:] else ""}" '
        f'style="background:{safe_colour(item[1])};border-color:{safe_colour(item[1])}">'
        f'{escape_text(item[2]) if item[2:] else ""}</span>{escape_text(item[0])}</div>'
        for item in items
    )
    return f"<details open><summary>{escape_text(title)}</summary>{rows}</details>"


def count_breaks(*counts: np.ndarray, classes: int = 5) -> np.ndarray:
    """Upper class limits shared by several count maps, spaced evenly on a log scale up to the maximum.

    Event counts per cell are very skewed (a few scene cells, many cells with one event),
    so the limits are ``floor(max ** (k / classes))``, k = 1 … classes − 1 (e.g. 2, 8, 22, 63
    for a maximum of 180), without duplicates. A count ``c`` falls in class
    ``searchsorted(limits, c, side="left")``.
    """
    pooled = np.concatenate([np.zeros(1), *(np.asarray(c, dtype=float).ravel() for c in counts)])
    vmax = float(pooled.max())
    if vmax < 1:
        return np.zeros(0)
    limits = np.floor(vmax ** (np.arange(1, classes) / classes))
    return np.unique(limits[(limits >= 1) & (limits < vmax)])


def count_legend_items(breaks: np.ndarray) -> list[tuple[str, str]]:
    """Legend rows ``(range, colour)`` of :func:`count_breaks` limits, e.g. ``1 – 3``, ``4``, ``ab 9``."""
    lows = [1, *(int(b) + 1 for b in breaks)]
    highs = [*(int(b) for b in breaks), None]
    labels = [f"ab {lo}" if hi is None else str(lo) if lo == hi else f"{lo} – {hi}"
              for lo, hi in zip(lows, highs, strict=True)]
    return [(label, DENSITY_COLOURS[i]) for i, label in enumerate(labels)]


def count_layer(cells: gpd.GeoDataFrame, column: str, name: str, breaks: np.ndarray, *,
                show: bool = True) -> folium.FeatureGroup:
    """Cells with events of one period, filled by count class (shared ``breaks``)."""
    shown = cells[cells[column].to_numpy() > 0]
    cls = np.searchsorted(breaks, shown[column].to_numpy(dtype=float), side="left")
    counts = _int(shown[column])
    props = [{"_style": {"color": COUNT_CELL_COLOUR, "weight": 0.5, "fillColor": DENSITY_COLOURS[min(int(c), 4)],
                         "fillOpacity": 0.7},
              "_title": name, "_rows": [["Ereignisse", n]], "_tip": f"{n} Ereignisse"}
             for c, n in zip(cls, counts, strict=True)]
    return layer_group(f"{name} ({len(shown)})", geojson_js(feature_collection(shown.geometry, props), order=10),
                       show=show)


def change_layer(cells: gpd.GeoDataFrame, *, show: bool = True) -> folium.FeatureGroup:
    """The change map: significant increases red, decreases blue, other cells with events grey.

    ``cells`` as returned by :func:`geo.analysis.compare.compare_periods`.
    """
    cls = cells["change_class"].to_numpy()
    shown = cells[(cls != 0) | (cells["count_a"].to_numpy() + cells["count_b"].to_numpy() > 0)]
    cls = shown["change_class"].to_numpy().astype(int)
    rows = zip(_int(shown["count_a"]), _int(shown["count_b"]), _num(shown["rate_ratio"]), _p(shown["p_fdr"]),
               strict=True)
    props = []
    for c, (a, b, ratio, p) in zip(cls, rows, strict=True):
        label, colour = CHANGE_CLASSES[c]
        props.append({
            "_style": {"color": NEUTRAL_CELL_COLOUR if c == 0 else safe_colour(colour),
                       "weight": 0.4 if c == 0 else 0.9,
                       "fillColor": safe_colour(colour), "fillOpacity": 0.3 if c == 0 else 0.7},
            "_title": "Veränderung", "_tip": f"{label}: {a} → {b}",
            "_rows": [["Zeitraum A", a], ["Zeitraum B", b], [f"{RATIO_LABEL} (Verhältnis der Raten)", ratio],
                      [P_LABEL, p], ["Einordnung", label]],
        })
    n_sig = int((cls != 0).sum())
    return layer_group(f"{CHANGE_LAYER} ({n_sig})", geojson_js(feature_collection(shown.geometry, props), order=10),
                       show=show)


def emerging_layer(cells: gpd.GeoDataFrame, *, show: bool = True) -> folium.FeatureGroup:
    """Cells with an emerging hot/cold spot pattern (``EmergingResult.cells``); 'no pattern' is left out.

    Cells are filled with their pattern's colour; the pattern symbols appear only from the zoom at
    which a cell is wider than the symbol (:func:`glyph_min_zoom`), so the colours can be told apart
    at the opening zoom and the symbols tell them apart up close (and in the legend).
    """
    shown = cells[cells["pattern"].to_numpy() != NO_PATTERN]
    columns = zip(shown["pattern"].to_numpy(), _num(shown["trend_z"]), _p(shown["trend_p"]),
                  _int(shown["n_hot"]), _int(shown["n_cold"]), _int(shown["count_total"]), strict=True)
    props = []
    for code, tz, tp, n_hot, n_cold, total in columns:
        label, colour, definition = PATTERNS[str(code)]
        props.append({
            "_style": {"color": safe_colour(colour), "weight": 0.5, "fillColor": safe_colour(colour),
                       "fillOpacity": 0.75},
            "_title": label, "_tip": label,
            "_rows": [["Muster", label], ["Bedeutung", definition], ["Stärke des Trends (Mann-Kendall z)", tz],
                      ["Zufallswahrscheinlichkeit des Trends (p-Wert)", tp], ["Abschnitte als Hotspot", n_hot],
                      ["Abschnitte als Coldspot", n_cold],
                      ["Ereignisse gesamt", total]],
        })
    centres = gpd.GeoSeries(shown.geometry.centroid, crs=shown.crs).to_crs(DISPLAY_CRS) if len(shown) else []
    glyphs = [[round(float(p.y), 6), round(float(p.x), 6), EMERGING_SYMBOLS.get(str(code), "")]
              for p, code in zip(centres, shown["pattern"].to_numpy(), strict=True)]
    min_zoom = glyph_min_zoom(float(np.sqrt(np.median(shown.geometry.area))), float(np.mean([g[0] for g in glyphs])))\
        if len(shown) else 0
    return layer_group(f"{EMERGING_LAYER} ({len(shown)})",
                       [geojson_js(feature_collection(shown.geometry, props), order=10),
                        f"LB.glyphs({js_json([g for g in glyphs if g[2]])}, {min_zoom})"], show=show)


def glyph_min_zoom(cell_m: float, lat: float, *, min_px: float = GLYPH_CELL_PX) -> int:
    """First zoom at which a cell of ``cell_m`` metres is at least ``min_px`` pixels wide on the map.

    A pattern symbol is 14 px: drawn on smaller cells, the symbols overlap and hide the cells'
    colours (a black mass at the opening zoom). Web Mercator: ``m/px = 156543.03 · cos(lat) / 2^z``,
    so ``z = ceil(log2(min_px · 156543.03 · cos(lat) / cell_m))``.
    """
    if not cell_m > 0:
        return 0
    return max(0, math.ceil(math.log2(min_px * 156543.03 * math.cos(math.radians(lat)) / cell_m) - 1e-9))


def emerging_legend_items(cells: gpd.GeoDataFrame) -> list[tuple[str, str, str]]:
    """Legend rows ``(label, colour, symbol)`` of the patterns present in ``cells`` (legend order)."""
    present = set(cells["pattern"].astype(str))
    return [(label, colour, EMERGING_SYMBOLS.get(code, "")) for code, (label, colour, _) in PATTERNS.items()
            if code in present and code != NO_PATTERN]


def areas_layer(areas: gpd.GeoDataFrame, counts: pd.DataFrame, *, show: bool = True) -> folium.FeatureGroup:
    """Treated area, buffer ring and control area of a measure evaluation with their counts.

    ``areas`` from :func:`geo.analysis.evaluate.measure_areas`, ``counts`` from
    ``MeasureEvaluation.counts`` (indexed by role).
    """
    roles = areas["role"].astype(str).tolist()
    props = []
    for role in roles:
        before, after = (counts.at[role, c] if role in counts.index else 0 for c in ("before", "after"))
        name = AREA_NAMES[role]
        props.append({"_style": AREA_STYLES[role], "_title": name, "_tip": f"{name}: {before} → {after}",
                      "_rows": [["vorher", str(before)], ["nachher", str(after)]]})
    return layer_group(AREAS_LAYER, geojson_js(feature_collection(areas.geometry, props), order=20), show=show)


def period_map(area: StudyArea, groups: list[folium.FeatureGroup], legend: str | None = None, *,
               asset_base: str = STATIC_URL, districts: gpd.GeoDataFrame | None = None,
               base: BaseLayers | None = None, fit: tuple[float, float, float, float] | None = None,
               data: gpd.GeoSeries | None = None, sync: str | None = None) -> OfflineMap:
    """An offline map of the study area with the base map beneath, ``groups`` and a legend.

    Fitted to ``fit`` (south, west, north, east; the data) or else the area: side-by-side maps
    given the same ``fit`` start with the same view. The legend (collapsible) goes to the corner
    where it hides the fewest of the ``data`` geometries (area's CRS; :func:`layers.legend.legend_corner`).
    Maps given the same ``sync`` channel pan and zoom together in the browser (``LB.syncView``).
    """
    m = base_map(area, districts=districts, asset_base=asset_base, draw=False, legend=False, base=base, fit=fit,
                 sync=sync)
    for group in groups:
        m.add_child(group)
    if legend:
        corner = legend_corner(area.boundary.bounds, data)
        m.add_child(JsCall(f"LB.legend({{map}}, {js_json(legend)}, {js_json(corner)});"))
    return m


__all__ = [
    "AREAS_LAYER", "CHANGE_LAYER", "EMERGING_LAYER", "areas_layer", "change_layer", "count_breaks",
    "count_layer", "count_legend_items", "emerging_layer", "emerging_legend_items", "glyph_min_zoom", "legend_html",
    "period_map",
]
