"""The forecast layer: the cells where the most events are expected in the next period.

Cells come from :attr:`geo.analysis.forecast.ForecastResult.cells` (metric CRS) and travel
in the compact grid encoding of :func:`layers.hotspots.cells_js`. Three shades by rank
(1–5, 6–10, the rest); the popup shows rank and expected events. The overlay is switched
off by default (the page passes ``show=False``): the forecast answers a different question
than the hot spot map of the period.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from geo.core.schema import FORECAST_CLASSES
from layers.escape import safe_colour
from layers.hotspots import cells_js
from layers.legend import FORECAST_LAYER

__all__ = ["FORECAST_COLUMNS", "FORECAST_LAYER", "forecast_js", "rank_classes"]
#: Popup rows: column → (German label, decimals).
FORECAST_COLUMNS = {"rank": ("Rang", 0), "expected": ("erwartete Ereignisse", 1)}


def rank_classes(rank: np.ndarray) -> np.ndarray:
    """0 for ranks 1–5, 1 for 6–10, 2 for the rest."""
    rank = np.asarray(rank, dtype="int64")
    return np.where(rank <= 5, 0, np.where(rank <= 10, 1, 2)).astype("int64")


def forecast_js(cells: gpd.GeoDataFrame, *, order: int = 11) -> str:
    """JavaScript expression for the forecast cells (``rank``, ``expected``, polygon geometry)."""
    styles = {k: {"color": safe_colour(c), "weight": 1.6, "opacity": 0.9, "fillColor": safe_colour(c),
                  "fillOpacity": 0.45, "dashArray": "4 3"} for k, (_, c) in FORECAST_CLASSES.items()}
    labels = {k: lab for k, (lab, _) in FORECAST_CLASSES.items()}
    return cells_js(cells, rank_classes(cells["rank"].to_numpy()), styles, labels, FORECAST_COLUMNS,
                    title="Prognose-Zelle", order=order)
