"""Hot spot areas: connected hot cells of a Gi* result as numbered places ("Hotspot 1", "Hotspot 2", …).

A hot spot *area* is a maximal group of hot cells (``gi_class >= min_class``, default 1 = at least
90 % confidence, as the handout counts hot cells) that share an edge; areas are numbered by the sum
of their cells' counts, largest first (ties: the lower first cell id first). Used to ask questions of
"the top hotspot" – e.g. at which hours its events happen (:mod:`geo.analysis.times`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

#: Smallest Gi_Bin class of a hot cell (1 = 90 %, 2 = 95 %, 3 = 99 % confidence).
DEFAULT_MIN_CLASS = 1


def hotspot_areas(cells: gpd.GeoDataFrame, min_class: int = DEFAULT_MIN_CLASS) -> gpd.GeoDataFrame:
    """Connected hot cells as areas.

    Parameters
    ----------
    cells : ``HotspotResult.cells`` (``cell_id``, ``count``, ``gi_class``, polygon geometry).
    min_class : smallest ``gi_class`` of a hot cell.

    Returns
    -------
    GeoDataFrame with ``rank`` (1 = most events), ``name`` (``"Hotspot 1"`` …), ``n_cells``,
    ``count`` (sum of the cells' counts), ``max_class`` and the merged polygon; empty without hot cells.
    """
    hot = cells[cells["gi_class"] >= min_class]
    crs = cells.crs
    if not len(hot):
        return gpd.GeoDataFrame({"rank": [], "name": [], "n_cells": [], "count": [], "max_class": []},
                                geometry=[], crs=crs)
    geoms = np.asarray(hot.geometry.values, dtype=object)
    parts = shapely.get_parts(shapely.union_all(geoms))
    # cell → area by its representative point (cells of one area lie inside its union)
    tree = shapely.STRtree(parts)
    cell_idx, part_idx = tree.query(shapely.point_on_surface(geoms), predicate="intersects")
    first = np.r_[True, cell_idx[1:] != cell_idx[:-1]] if len(cell_idx) else np.array([], dtype=bool)
    cell_idx, part_idx = cell_idx[first], part_idx[first]
    n = len(parts)
    counts = np.bincount(part_idx, weights=hot["count"].to_numpy(dtype=float)[cell_idx], minlength=n)
    n_cells = np.bincount(part_idx, minlength=n)
    max_class = np.zeros(n, dtype=int)
    np.maximum.at(max_class, part_idx, hot["gi_class"].to_numpy(dtype=int)[cell_idx])
    first_id = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_id, part_idx, hot["cell_id"].to_numpy(dtype=np.int64)[cell_idx])
    order = np.lexsort((first_id, -counts))
    rank = np.arange(1, n + 1)
    return gpd.GeoDataFrame(
        {"rank": rank, "name": [f"Hotspot {r}" for r in rank], "n_cells": n_cells[order],
         "count": counts[order], "max_class": max_class[order]},
        geometry=parts[order], crs=crs,
    )
