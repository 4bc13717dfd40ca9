"""Grid layers: the Gi* hot-spot grid coloured by class like ArcGIS (red = hot, blue = cold),
and the published cell counts of the public role.

Grid cells share one shape, so they travel compactly: each cell's centre (integer
micro-degrees) plus one corner template (``LB.cells`` in ``layers/js/lagebild.js``) – about
40 bytes per cell instead of ~450 as GeoJSON. Irregular cells fall back to GeoJSON.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.area import DISPLAY_CRS
from geo.core.schema import COUNT_CELL_COLOUR, DENSITY_COLOURS, HOTSPOT_CLASSES, NEUTRAL_CELL_COLOUR
from geo.report.display import p_value_text
from layers.escape import js_json, safe_colour
from layers.features import feature_collection, format_values, geojson_js
from layers.records import encode_column

#: Popup label of a p-value: what it means first, the technical term in brackets.
P_LABEL = "Zufallswahrscheinlichkeit (p-Wert, FDR-korrigiert)"
#: Popup rows of hot-spot cells: column → (German label, decimals).
CELL_COLUMNS = {"place": ("Hotspot", 0), "reading": ("Was heißt das?", 0), "count": ("Anzahl in der Zelle", 0),
                "gi_z": ("Stärke der Häufung (Gi*-z-Wert)", 2), "p_text": (P_LABEL, 0)}
#: Popup columns holding text (the hotspot's place name, the reading, the p-value as "< 0,001"), not numbers.
TEXT_COLUMNS = ("place", "reading", "p_text")
#: What a significant cell means: the neighbourhood carries the signal, not the cell alone.
READING_HOT = ("Die Nachbarschaft dieser Zelle (die Zelle und ihre Nachbarzellen im Suchradius) hat zusammen "
               "deutlich mehr Meldungen als im Gebiet üblich. Das Signal trägt die Umgebung, nicht die Zelle allein.")
READING_COLD = ("Die Nachbarschaft dieser Zelle (die Zelle und ihre Nachbarzellen im Suchradius) hat zusammen "
                "deutlich weniger Meldungen als im Gebiet üblich.")
READING_EMPTY = " In der Zelle selbst liegt keine Meldung: sie liegt mitten in der Ballung ringsum."
#: Centres are sent as integer multiples of 1 / SCALE degrees (about 0.1 m).
SCALE = 1_000_000


def _shared_shape(geoms: np.ndarray) -> np.ndarray | None:
    """Corner offsets (metres) common to all cells, or ``None`` when the cells differ."""
    if not len(geoms):
        return None
    n_coords = shapely.get_num_coordinates(geoms)
    if (n_coords != n_coords[0]).any() or (shapely.get_num_interior_rings(geoms) != 0).any():
        return None
    coords = shapely.get_coordinates(shapely.get_exterior_ring(geoms)).reshape(len(geoms), n_coords[0], 2)
    centres = shapely.get_coordinates(shapely.centroid(geoms))
    offsets = coords - centres[:, None, :]
    return offsets[0, :-1] if np.abs(offsets - offsets[0]).max() < 0.01 else None


def cells_js(
    cells: gpd.GeoDataFrame,
    classes: np.ndarray,
    styles: dict[int, dict],
    labels: dict[int, str],
    columns: dict[str, tuple[str, int]],
    *,
    title: str,
    order: int = 10,
) -> str:
    """JavaScript expression for grid cells (metric CRS) styled by an integer class per cell.

    Parameters
    ----------
    cells : polygons in a metric CRS (EPSG:25833).
    classes : one integer class per cell (keys of ``styles`` and ``labels``).
    styles : Leaflet path options per class; labels : tooltip text per class.
    columns : popup rows: column of ``cells`` → (German label, decimals); text columns: :data:`TEXT_COLUMNS`.
    title : popup title.
    """
    classes = np.asarray(classes, dtype="int64")
    shape = _shared_shape(np.asarray(cells.geometry.values, dtype=object))
    if shape is None:  # irregular cells: plain GeoJSON
        cols = {lab: format_values(pd.Series(cells[c].to_numpy()), "str") if c in TEXT_COLUMNS
                else format_values(pd.Series(cells[c].to_numpy()), "float", d)
                for c, (lab, d) in columns.items() if c in cells}
        props = [{"_style": styles[int(k)], "_title": title, "_tip": labels[int(k)],
                  "_rows": [[lab, vals[i]] for lab, vals in cols.items()]} for i, k in enumerate(classes)]
        return geojson_js(feature_collection(cells.geometry, props), order=order)
    centres_m = shapely.centroid(cells.geometry.values)
    centres = gpd.GeoSeries(centres_m, crs=cells.crs).to_crs(DISPLAY_CRS)
    lat, lon = centres.y.to_numpy(), centres.x.to_numpy()
    mid = int(np.argmin((lat - lat.mean()) ** 2 + (lon - lon.mean()) ** 2))
    corners = gpd.GeoSeries(shapely.points(shapely.get_coordinates(centres_m[mid]) + shape), crs=cells.crs)
    corners = corners.to_crs(DISPLAY_CRS)
    lat0, lon0 = float(np.floor(lat.min() * 100) / 100), float(np.floor(lon.min() * 100) / 100)
    cols = []
    for c, (lab, digits) in columns.items():
        if c in cells:
            cols.append({**encode_column(cells[c], "str" if c in TEXT_COLUMNS else "float", digits), "l": lab})
    data = {
        "title": title, "lat0": lat0, "lon0": lon0, "s": SCALE,
        "y": np.rint((lat - lat0) * SCALE).astype("int64").tolist(),
        "x": np.rint((lon - lon0) * SCALE).astype("int64").tolist(),
        "shape": np.round(np.column_stack([corners.y - lat[mid], corners.x - lon[mid]]), 8).tolist(),
        "cls": classes.tolist(),
        "styles": {str(k): v for k, v in styles.items()},
        "labels": {str(k): v for k, v in labels.items()},
        "cols": cols,
    }
    return f"LB.cells({js_json(data)}, {js_json({'order': order})})"


def shown_cells(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cells worth drawing: the significant ones (hot and cold spots).

    Non-significant cells are left out: they carry no finding, and with many events nearly
    every cell of the area would have to be drawn (payload and drawing time).
    """
    return cells[cells["gi_class"].to_numpy() != 0]


def with_reading(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``cells`` with the popup texts ``reading`` (what the class means, and why a cell without
    events can be hot) and ``p_text`` (the FDR p-value as ``< 0,001``)."""
    cls = cells["gi_class"].to_numpy()
    count = pd.to_numeric(cells["count"], errors="coerce").fillna(0).to_numpy() if "count" in cells \
        else np.ones(len(cells))
    reading = np.where(cls > 0, READING_HOT, np.where(cls < 0, READING_COLD, ""))
    reading = np.where((cls > 0) & (count == 0), np.char.add(reading.astype(str), READING_EMPTY), reading)
    p = cells["gi_p_fdr"] if "gi_p_fdr" in cells else pd.Series(np.nan, index=cells.index)
    return cells.assign(reading=reading.astype(object), p_text=[p_value_text(v) for v in p])


def hotspot_js(cells: gpd.GeoDataFrame, *, order: int = 10) -> str:
    """JavaScript expression for the hot-spot grid (cells in a metric CRS).

    Parameters
    ----------
    cells : ``HotspotResult.cells`` – columns ``gi_class`` (-3..3), ``count``, ``gi_z``,
        ``gi_p_fdr`` and polygon geometry; optional ``place`` (the hotspot's name, shown first).
    """
    cells = with_reading(shown_cells(cells))
    styles = {
        c: {"color": NEUTRAL_CELL_COLOUR if c == 0 else safe_colour(col), "weight": 0.4 if c == 0 else 0.8,
            "opacity": 0.6, "fillColor": safe_colour(col), "fillOpacity": 0.35 if c == 0 else 0.62}
        for c, (_, col) in HOTSPOT_CLASSES.items()
    }
    labels = {c: lab for c, (lab, _) in HOTSPOT_CLASSES.items()}
    return cells_js(cells, cells["gi_class"].to_numpy(), styles, labels, CELL_COLUMNS, title="Hotspot-Zelle",
                    order=order)


def public_cells_js(cells: gpd.GeoDataFrame, *, order: int = 10) -> str:
    """JavaScript expression for published grid cells (:func:`geo.data.access.public_cells`): fill
    by ``value`` in five quantile classes of the density colours; popups with events and value."""
    value = cells["value"].to_numpy(float)
    edges = np.unique(np.quantile(value, [0.2, 0.4, 0.6, 0.8])) if len(value) else np.zeros(0)
    classes = np.minimum(np.searchsorted(edges, value, side="right"), len(DENSITY_COLOURS) - 1)
    styles = {k: {"color": COUNT_CELL_COLOUR, "weight": 0.6, "fillColor": c, "fillOpacity": 0.6}
              for k, c in enumerate(DENSITY_COLOURS)}
    labels = {k: f"Klasse {k + 1} von {len(DENSITY_COLOURS)}" for k in styles}
    return cells_js(cells, classes, styles, labels, {"events": ("Funde", 0), "value": ("Spritzen", 0)},
                    title="Zelle", order=order)
