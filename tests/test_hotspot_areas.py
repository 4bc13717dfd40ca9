"""Connected hot cells as numbered hot spot areas."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.analysis.hotspot_areas import hotspot_areas


def _cells(spec):
    """spec: (col, row, count, gi_class) on a 100 m square lattice."""
    return gpd.GeoDataFrame(
        {"cell_id": range(len(spec)), "count": [s[2] for s in spec], "gi_class": [s[3] for s in spec]},
        geometry=[shapely.box(c * 100, r * 100, c * 100 + 100, r * 100 + 100) for c, r, *_ in spec],
        crs="EPSG:25833")


def test_hot_cells_sharing_an_edge_form_one_area_ranked_by_count():
    cells = _cells([
        (0, 0, 5, 3), (1, 0, 4, 2),            # area A: 9 in 2 cells
        (5, 5, 20, 1),                         # area B: 20 in 1 cell
        (3, 0, 50, 0),                         # not hot
        (8, 0, 3, -2),                         # cold
        (9, 9, 2, 1), (10, 10, 2, 1),          # corner only: two areas of 2
    ])
    areas = hotspot_areas(cells)
    assert areas["rank"].tolist() == [1, 2, 3, 4]
    assert areas["name"].tolist()[:2] == ["Hotspot 1", "Hotspot 2"]
    assert areas["count"].tolist() == [20, 9, 2, 2]
    assert areas["n_cells"].tolist() == [1, 2, 1, 1]
    assert areas["max_class"].tolist()[:2] == [1, 3]
    assert areas.geometry.iloc[1].area == 20_000


def test_min_class_and_no_hot_cells():
    cells = _cells([(0, 0, 5, 3), (1, 0, 4, 1)])
    assert hotspot_areas(cells, min_class=2)["count"].tolist() == [5]
    assert len(hotspot_areas(_cells([(0, 0, 5, 0)]))) == 0
