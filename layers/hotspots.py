"""The Gi* hot-spot grid, coloured by class like ArcGIS (red = hot, blue = cold)."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.schema import HOTSPOT_CLASSES
from layers.elements import layer_group
from layers.escape import safe_colour
from layers.features import feature_collection, format_values, geojson_js
from layers.legend import HOTSPOT_LAYER

#: Popup labels of the cell columns.
CELL_LABELS = {"count": "Anzahl in der Zelle", "gi_z": "Gi*-z-Wert", "gi_p_fdr": "p-Wert (FDR-korrigiert)"}


def shown_cells(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cells worth drawing: every significant cell and non-significant cells with events.

    Empty non-significant cells are left out (they carry no information and only cost
    payload).
    """
    cls = cells["gi_class"].to_numpy()
    count = cells["count"].to_numpy() if "count" in cells else np.ones(len(cells))
    return cells[(cls != 0) | (count > 0)]


def hotspot_js(cells: gpd.GeoDataFrame, *, order: int = 10) -> str:
    """JavaScript expression for the hot-spot grid (cells in a metric CRS).

    Parameters
    ----------
    cells : ``HotspotResult.cells`` – columns ``gi_class`` (-3..3), ``count``, ``gi_z``,
        ``gi_p_fdr`` and polygon geometry.
    """
    cells = shown_cells(cells)
    classes = cells["gi_class"].astype(int).to_numpy()
    labels = {c: lab for c, (lab, _) in HOTSPOT_CLASSES.items()}
    styles = {
        c: {"color": "#9e9e9e" if c == 0 else safe_colour(col), "weight": 0.4 if c == 0 else 0.8,
            "opacity": 0.6, "fillColor": safe_colour(col), "fillOpacity": 0.35 if c == 0 else 0.62}
        for c, (_, col) in HOTSPOT_CLASSES.items()
    }
    cols = {lab: format_values(pd.Series(cells[c].to_numpy().round(3)), "float")
            for c, lab in CELL_LABELS.items() if c in cells}
    rows = [[[lab, vals[i]] for lab, vals in cols.items()] + [["Klasse", labels.get(int(c), "")]]
            for i, c in enumerate(classes)]
    props = [{"_style": styles.get(int(c), styles[0]), "_title": "Hotspot-Zelle", "_rows": r,
              "_tip": labels.get(int(c), "")} for c, r in zip(classes, rows, strict=True)]
    return geojson_js(feature_collection(cells.geometry, props), order=order)


def hotspot_layer(cells: gpd.GeoDataFrame, *, show: bool = True, n_hot: int | None = None) -> folium.FeatureGroup:
    """Toggleable overlay of the hot-spot grid; the name carries the number of hot cells."""
    if n_hot is None:
        n_hot = int((cells["gi_class"].to_numpy() > 0).sum())
    return layer_group(f"{HOTSPOT_LAYER} ({n_hot})", hotspot_js(cells), show=show)


def public_cells_js(cells: gpd.GeoDataFrame, *, order: int = 10) -> str:
    """JavaScript expression for published grid cells (``geo.access.public_cells``): fill by
    ``value`` in five quantile classes of the density colours; popups with events and value."""
    from layers.legend import DENSITY_COLOURS

    value = cells["value"].to_numpy(float) if len(cells) else np.zeros(0)
    edges = np.unique(np.quantile(value, [0.2, 0.4, 0.6, 0.8])) if len(value) else np.zeros(0)
    cls = np.searchsorted(edges, value, side="right")
    events = format_values(cells["events"], "int") if len(cells) else []
    values = format_values(cells["value"], "float") if len(cells) else []
    props = [
        {"_style": {"color": "#795548", "weight": 0.6, "fillColor": DENSITY_COLOURS[min(int(c), 4)],
                    "fillOpacity": 0.6},
         "_title": "Zelle", "_rows": [["Funde", e], ["Spritzen", v]], "_tip": f"{v} Spritzen"}
        for c, e, v in zip(cls, events, values, strict=True)
    ]
    return geojson_js(feature_collection(cells.geometry, props), order=order)
