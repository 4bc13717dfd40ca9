"""Map layers of the Behälter page: bins with their radius, covered and uncovered finds,
suggested new sites with rank numbers, exclusion zones and hot-spot cells without a bin.

Built from :class:`geo.analysis.coverage.CoverageResult` and :class:`geo.analysis.siting.SitingResult` (metric CRS,
shown in EPSG:4326). Like every Lagebild layer, the results are JavaScript expressions
(plain strings, cheap to cache) for ``LB.points`` / ``LB.geojson`` / ``LB.cells``
(``layers/js/lagebild.js``): data texts travel as JSON (:func:`layers.escape.js_json`) and
are set as text in the browser, never as HTML. Finds are canvas circle markers (one canvas
of dots when there are very many); the numbered suggestions are the only ``L.marker``
objects (at most K).

:func:`bins_overlays` assembles all overlays; :func:`bins_legend_html` is the matching
legend (its sections hide with their overlays).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.coverage import CoverageResult
from geo.analysis.siting import SitingResult
from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.schema import DISPOSAL_BIN, HOTSPOT_CLASSES, KINDS, SENSITIVE_PLACE, SYRINGE_FIND, Field
from layers.escape import js_json, safe_colour
from layers.features import feature_collection, format_values, geojson_js, popup_rows
from layers.hotspots import CELL_COLUMNS, cells_js, with_reading
from layers.legend import legend_corner, legend_group, legend_row
from layers.map import Overlay
from layers.records import compact_points

# overlay names (also the legend's section keys; the count is appended on the map)
BINS_LAYER = "Behälter mit Radius"
COVERED_LAYER = "Funde im Radius"
UNCOVERED_LAYER = "Funde außerhalb der Radien"
SITES_LAYER = "Vorschläge für neue Behälter"
EXCLUSION_LAYER = "Sperrzonen für neue Behälter"
HOT_LAYER = "Hotspots ohne Behälter"

BIN_COLOUR = safe_colour(KINDS[DISPOSAL_BIN].colour)
#: Finds outside every radius carry the find colour of the schema; covered finds a muted tone of it.
UNCOVERED_COLOUR = safe_colour(KINDS[SYRINGE_FIND].colour)
COVERED_COLOUR = "#b39ddb"
SITE_COLOUR = "#e65100"
SENSITIVE_COLOUR = safe_colour(KINDS[SENSITIVE_PLACE].colour)
#: Up to this many finds per layer are single canvas circle markers; more become one canvas of dots.
FINDS_PLAIN_MAX = 4_000
#: Columns of a candidate file shown in a suggestion's popup (at most this many).
CANDIDATE_ROWS_MAX = 4

_FIND = KINDS[SYRINGE_FIND]
_FIND_EXTRA = (Field("nearest_bin_m", "int", "Nächster Behälter (m)"),
               Field("n_bins", "int", "Behälter im Radius"))
_BIN_STYLE = {"color": "#ffffff", "weight": 2, "fillColor": BIN_COLOUR, "fillOpacity": 1.0}
_IDLE_STYLE = {"color": BIN_COLOUR, "weight": 2.5, "fillColor": "#ffffff", "fillOpacity": 1.0}
_RADIUS_STYLE = {"color": BIN_COLOUR, "weight": 1.5, "opacity": 0.8, "fillColor": BIN_COLOUR, "fillOpacity": 0.08}
_IDLE_RADIUS_STYLE = {**_RADIUS_STYLE, "dashArray": "4 4", "fillOpacity": 0.03}
_SITE_RADIUS_STYLE = {"color": SITE_COLOUR, "weight": 2, "dashArray": "6 4", "fillColor": SITE_COLOUR,
                      "fillOpacity": 0.07}
_ZONE_STYLES = {
    "sensitive": {"color": SENSITIVE_COLOUR, "weight": 1.5, "dashArray": "2 4", "fillColor": SENSITIVE_COLOUR,
                  "fillOpacity": 0.14},
    "bin": {"color": BIN_COLOUR, "weight": 1, "dashArray": "2 5", "fill": False},
}
_ZONE_LABELS = {"sensitive": "Schutzabstand Kita/Schule", "bin": "Mindestabstand zu einem Behälter"}
_RANK_ICON_CSS = (
    "width:26px;height:26px;border-radius:50%;box-sizing:border-box;border:2px solid #fff;"
    f"background:{SITE_COLOUR};color:#fff;font:700 13px/22px sans-serif;text-align:center;"
    "box-shadow:0 1px 5px rgba(0,0,0,.5)"
)
#: Numbered markers: items [{lat, lon, n, title, rows, tip}]; every text is set with textContent.
_RANK_MARKERS = (
    "(function (items, css) {{ return L.layerGroup(items.map(function (it) {{"
    " var d = LB.el('div', null, it.n); d.style.cssText = css;"
    " var m = L.marker([it.lat, it.lon], {{icon: L.divIcon({{html: d, className: 'lb-rank-icon',"
    " iconSize: [26, 26], iconAnchor: [13, 13]}}), riseOnHover: true, keyboard: false}});"
    " m.bindPopup(function () {{ return LB.popup(it.title, it.rows); }}, {{minWidth: 220}});"
    " m.bindTooltip(function () {{ return LB.el('span', null, it.tip); }}, {{direction: 'top', offset: [0, -12]}});"
    " return m; }})); }})({items}, {css})"
)


def _ints(values) -> np.ndarray:
    return format_values(pd.Series(np.asarray(values)), "int")


def _circles(points: gpd.GeoSeries, radius_m: float) -> np.ndarray:
    """Circles of ``radius_m`` metres around points in a metric CRS."""
    return shapely.buffer(np.asarray(points.values, dtype=object), float(radius_m), quad_segs=16)


def _lat_lon(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    pts = geoms.to_crs(DISPLAY_CRS) if geoms.crs is not None else geoms
    return np.round(pts.y.to_numpy(), 6), np.round(pts.x.to_numpy(), 6)


# ---------------------------------------------------------------------------- existing bins
def bin_stats(bins: pd.DataFrame) -> pd.DataFrame:
    """The coverage figures of each bin with short German labels (popups; same order as ``bins``).

    "nur hier" = covered by this bin alone (lost if it is removed); "Versetzen" = order
    in which bins could be moved at the least loss.
    """
    return pd.DataFrame({
        "Funde im Radius": bins["covered_finds"].to_numpy(),
        "Spritzen im Radius": bins["covered_syringes"].to_numpy(),
        "nur hier: Funde": bins["unique_finds"].to_numpy(),
        "nur hier: Spritzen": bins["unique_syringes"].to_numpy(),
        "Versetzen (1 = zuerst)": bins["removal_rank"].to_numpy(),
        "Begründung": bins["removal_reason"].to_numpy(dtype=object) if "removal_reason" in bins else "",
    }, index=bins.index)


def bins_js(bins: gpd.GeoDataFrame, radius_m: float, *, circle_order: int = 16, order: int = 45) -> tuple[str, str]:
    """The active bins: their radius as circles (under the finds) and the bins as dots on top.

    Parameters
    ----------
    bins : ``CoverageResult.bins`` (metric CRS, with the coverage columns).
    radius_m : the radius in metres; drawn as a straight-line circle (along streets the
        reach is smaller).

    Returns
    -------
    (circles, points) : two JavaScript expressions. Bins without a find in the radius
        are drawn hollow with a dashed circle.
    """
    idle = bins["idle"].to_numpy(dtype=bool) if "idle" in bins else np.zeros(len(bins), dtype=bool)
    labels = bins["label"].fillna("").astype(str).to_numpy() if "label" in bins else np.full(len(bins), "")
    names = np.where(labels != "", labels, KINDS[DISPOSAL_BIN].label)
    finds = _ints(bins["covered_finds"])
    circle_props = [{"_style": _IDLE_RADIUS_STYLE if i else _RADIUS_STYLE} for i in idle]
    rows = popup_rows(bins, DISPOSAL_BIN, bin_stats(bins))
    point_props = [
        {"_style": _IDLE_STYLE if i else _BIN_STYLE, "_radius": 8, "_title": n, "_rows": r,
         "_tip": f"{n}: {'kein Fund' if i else f'{f} Funde'} im Radius"}
        for n, r, i, f in zip(names, rows, idle, finds, strict=True)
    ]
    circles = geojson_js(feature_collection(_circles(bins.geometry, radius_m), circle_props, crs=bins.crs),
                         order=circle_order, interactive=False)
    points = geojson_js(feature_collection(bins.geometry, point_props), order=order)
    return circles, points


# ---------------------------------------------------------------------------- finds
def finds_js(finds: gpd.GeoDataFrame, *, covered: bool, order: int = 40) -> str:
    """Finds as canvas circle markers (size by syringes), in the covered or uncovered colour.

    ``finds`` are rows of ``CoverageResult.finds`` – already restricted to what the user's
    role may see (:func:`geo.data.access.restrict`). Popups show the find's fields, the distance
    to the nearest bin and the number of bins in the radius.
    """
    kind = dataclasses.replace(
        _FIND,
        name="syringe_find_covered" if covered else "syringe_find_uncovered",
        label=f"{_FIND.label} ({'im Radius eines Behälters' if covered else 'außerhalb der Radien'})",
        colour=COVERED_COLOUR if covered else UNCOVERED_COLOUR,
        fields=_FIND.fields + _FIND_EXTRA,
    )
    if "nearest_bin_m" in finds:
        finds = finds.assign(nearest_bin_m=fmt.rounded(pd.to_numeric(finds["nearest_bin_m"], errors="coerce")))
    mode = "plain" if len(finds) <= FINDS_PLAIN_MAX else "dots"
    return f"LB.points({js_json(compact_points(finds, kind, mode=mode))}, {js_json({'order': order})})"


# ---------------------------------------------------------------------------- suggestions
def site_rows(sites: gpd.GeoDataFrame) -> list[list[list[str]]]:
    """Popup rows of each suggested site (figures, position, street, columns of a candidate file)."""
    pct = format_values(pd.Series(100 * sites["share_syringes_after"].to_numpy(dtype=float)), "float", 1)
    lat, lon = _lat_lon(sites.geometry)
    columns = [
        ("Funde im Radius", _ints(sites["covered_finds"])),
        ("Spritzen im Radius", _ints(sites["covered_syringes"])),
        ("neu: Funde", _ints(sites["gain_finds"])),
        ("neu: Spritzen", _ints(sites["gain_syringes"])),
        ("Spritzen danach", [f"{p} %" for p in pct]),
        # decimal comma, as the crew CSV and the fields on "Meldung erfassen" (Breite, Länge)
        ("Breite (WGS84)", [f"{la:.6f}".replace(".", ",") for la in lat]),
        ("Länge (WGS84)", [f"{lo:.6f}".replace(".", ",") for lo in lon]),
    ]
    if "street" in sites:
        columns.append(("Straße", format_values(sites["street"], "str")))
    extra = [c for c in sites.columns if str(c).startswith("candidate_")][:CANDIDATE_ROWS_MAX]
    columns += [(f"Kandidat: {str(c)[len('candidate_'):]}", format_values(sites[c], "str")) for c in extra]
    return [[[lab, vals[i]] for lab, vals in columns] for i in range(len(sites))]


def sites_js(sites: gpd.GeoDataFrame, radius_m: float, *, circle_order: int = 17) -> tuple[str, str]:
    """Suggested sites: dashed radius circles and numbered markers (number = rank).

    Returns
    -------
    (circles, markers) : two JavaScript expressions.
    """
    circles = geojson_js(
        feature_collection(_circles(sites.geometry, radius_m), [{"_style": _SITE_RADIUS_STYLE}] * len(sites),
                           crs=sites.crs),
        order=circle_order, interactive=False,
    )
    lat, lon = _lat_lon(sites.geometry)
    gains = _ints(sites["gain_syringes"])
    items = [
        {"lat": la, "lon": lo, "n": str(int(rank)), "title": str(label), "rows": rows,
         "tip": f"{label}: +{g} Spritzen"}
        for la, lo, rank, label, rows, g in zip(lat, lon, sites["rank"], sites["label"], site_rows(sites), gains,
                                                strict=True)
    ]
    return circles, _RANK_MARKERS.format(items=js_json(items), css=js_json(_RANK_ICON_CSS))


# ---------------------------------------------------------------------------- zones and cells
def exclusion_js(exclusion: gpd.GeoDataFrame, *, order: int = 14) -> tuple[str, ...]:
    """No-go zones of :attr:`geo.analysis.siting.SitingResult.exclusion`: around Kitas/schools (with a
    tooltip) and around existing bins (outline only, not clickable)."""
    out = []
    reasons = exclusion["reason"].astype(str).to_numpy()
    for reason, interactive in (("bin", False), ("sensitive", True)):
        part = exclusion[reasons == reason]
        if not len(part):
            continue
        names = format_values(part["name"], "str")
        dist = _ints(fmt.rounded(part["distance_m"].to_numpy(dtype=float)))
        label = _ZONE_LABELS[reason]
        props = [{"_style": _ZONE_STYLES[reason], "_title": n or label,
                  "_rows": [["Sperrzone", label], ["Abstand (m)", d]],
                  "_tip": f"{n}: {label} {d} m – hier kein neuer Behälter" if n else label}
                 for n, d in zip(names, dist, strict=True)]
        out.append(geojson_js(feature_collection(part.geometry, props), order=order, interactive=interactive))
    return tuple(out)


def hot_cells_js(cells: gpd.GeoDataFrame, *, order: int = 10) -> str:
    """Hot-spot cells (``gi_class`` ≥ 1) whose centre no existing bin reaches.

    ``cells`` as ``CoverageResult.hot_cells`` or ``SitingResult.hot_cells`` (with
    ``covered_after``: reached by a suggested site – drawn with an orange outline).
    """
    shown = cells[~cells["covered"].to_numpy(dtype=bool)]
    after = shown["covered_after"].to_numpy(dtype=bool) if "covered_after" in shown else np.zeros(len(shown), bool)
    classes = np.clip(shown["gi_class"].astype(int).to_numpy(), 1, 3) + 10 * after
    styles, labels = {}, {}
    for c in (1, 2, 3):
        label, colour = HOTSPOT_CLASSES[c]
        for a in (0, 1):
            styles[c + 10 * a] = {"color": SITE_COLOUR if a else safe_colour(colour), "weight": 1.2 if a else 0.8,
                                  "fillColor": safe_colour(colour), "fillOpacity": 0.5}
            labels[c + 10 * a] = f"{label}, kein Behälter im Radius" + (" – ein Vorschlag erreicht sie" if a else "")
    return cells_js(with_reading(shown), classes, styles, labels, CELL_COLUMNS, title="Hotspot ohne Behälter",
                    order=order)


# ---------------------------------------------------------------------------- assembly
def _name(layer: str, n: int) -> str:
    return f"{layer} ({fmt.number(n)})"


def bins_overlays(
    coverage: CoverageResult,
    siting: SitingResult | None = None,
    *,
    finds: gpd.GeoDataFrame | None,
) -> list[Overlay]:
    """All overlays of the Behälter map, in drawing order.

    Parameters
    ----------
    coverage : coverage of the period's finds by the active bins.
    siting : suggested sites and exclusion zones (``None``: neither).
    finds : the find points to draw – ``coverage.finds`` restricted to the user's role
        (:func:`geo.data.access.restrict`, keeps ``covered``) – or ``None`` to draw no finds
        (roles without access to exact points).
    """
    out: list[Overlay] = []
    cells = siting.hot_cells if siting is not None and siting.hot_cells is not None else coverage.hot_cells
    if cells is not None and len(cells):
        n = int((~cells["covered"].to_numpy(dtype=bool)).sum())
        if n:
            out.append(Overlay(_name(HOT_LAYER, n), (hot_cells_js(cells),)))
    if siting is not None and len(siting.exclusion):
        n = int((siting.exclusion["reason"] == "sensitive").sum())
        out.append(Overlay(_name(EXCLUSION_LAYER, n), exclusion_js(siting.exclusion)))
    if finds is not None:
        covered = finds["covered"].to_numpy(dtype=bool)
        for flag, layer in ((True, COVERED_LAYER), (False, UNCOVERED_LAYER)):
            part = finds[covered == flag]
            out.append(Overlay(_name(layer, len(part)), (finds_js(part, covered=flag),)))
    if len(coverage.bins):
        out.append(Overlay(_name(BINS_LAYER, len(coverage.bins)), bins_js(coverage.bins, coverage.radius_m)))
    if siting is not None and len(siting.sites):
        out.append(Overlay(_name(SITES_LAYER, len(siting.sites)), sites_js(siting.sites, coverage.radius_m)))
    return out


def bins_legend_html(*, open_: bool = True) -> str:
    """The legend of the Behälter map (sections hide with their overlays; all texts escaped)."""
    ring = "background:transparent"
    parts = [
        legend_group(BINS_LAYER, [
            legend_row("lb-dot", BIN_COLOUR, "Behälter mit Radius (Luftlinie)"),
            legend_row("lb-dot", BIN_COLOUR, "Behälter ohne Fund im Radius",
                       extra_style="background:#fff;border-width:2px"),
        ]),
        legend_group(COVERED_LAYER, [legend_row("lb-dot", COVERED_COLOUR, "Fund im Radius eines Behälters")]),
        legend_group(UNCOVERED_LAYER, [legend_row("lb-dot", UNCOVERED_COLOUR, "Fund außerhalb der Radien")]),
        legend_group(SITES_LAYER, [legend_row("lb-dot", SITE_COLOUR, "Vorschlag (Zahl = Reihenfolge) mit Radius")]),
        legend_group(EXCLUSION_LAYER, [
            legend_row("lb-ring", SENSITIVE_COLOUR, _ZONE_LABELS["sensitive"], extra_style=ring),
            legend_row("lb-ring", BIN_COLOUR, _ZONE_LABELS["bin"], extra_style=ring),
        ]),
        legend_group(HOT_LAYER, [legend_row("", HOTSPOT_CLASSES[3][1], "Hotspot ohne Behälter (statistisch "
                                            "gesicherte Häufung; heller = weniger sicher)")]),
    ]
    return f'<details{" open" if open_ else ""}><summary>Legende</summary>{"".join(parts)}</details>'


def focus_bounds(coverage: CoverageResult, *, share: float = 0.5, pad_m: float = 300.0) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` (WGS84) around the active bins and the central
    ``share`` of the period's finds (per axis), padded by ``pad_m`` metres.

    Independent of the radius and of the suggestions, so the map keeps its view while
    these are changed; ``None`` without bins and finds.
    """
    xy = [shapely.get_coordinates(np.asarray(coverage.bins.geometry.values, dtype=object))]
    finds = shapely.get_coordinates(np.asarray(coverage.finds.geometry.values, dtype=object))
    if len(finds):
        tail = 50 * (1 - share)
        xy.append(np.percentile(finds, [tail, 100 - tail], axis=0))
    xy = np.concatenate(xy)
    if not len(xy):
        return None
    (x0, y0), (x1, y1) = xy.min(axis=0) - pad_m, xy.max(axis=0) + pad_m
    w, s, e, n = gpd.GeoSeries([shapely.box(x0, y0, x1, y1)], crs=coverage.crs).to_crs(DISPLAY_CRS).total_bounds
    return [[round(float(s), 6), round(float(w), 6)], [round(float(n), 6), round(float(e), 6)]]


def bins_legend_corner(result: CoverageResult | SitingResult) -> str:
    """The corner of the Behälter map where the open legend hides no suggested site if it can:
    :func:`layers.legend.legend_corner` over the :func:`focus_bounds` view, each suggested site
    weighing like 100 finds, each bin like 10."""
    coverage = result.coverage if isinstance(result, SitingResult) else result
    view = focus_bounds(coverage)
    if view is None:
        return "bottomleft"
    parts = [np.repeat(np.asarray(coverage.bins.geometry.values, dtype=object), 10),
             np.asarray(coverage.finds.geometry.values, dtype=object)]
    if isinstance(result, SitingResult) and len(result.sites):
        parts.append(np.repeat(np.asarray(result.sites.geometry.values, dtype=object), 100))
    geoms = gpd.GeoSeries(np.concatenate(parts), crs=coverage.crs).to_crs(DISPLAY_CRS)
    (s, w), (n, e) = view
    return legend_corner((w, s, e, n), geoms, corners=("bottomleft", "bottomright", "topright"))


__all__ = [
    "BINS_LAYER", "COVERED_LAYER", "EXCLUSION_LAYER", "HOT_LAYER", "SITES_LAYER", "UNCOVERED_LAYER",
    "bin_stats", "bins_js", "bins_legend_corner", "bins_legend_html", "bins_overlays", "exclusion_js", "finds_js",
    "focus_bounds", "hot_cells_js", "site_rows", "sites_js",
]
