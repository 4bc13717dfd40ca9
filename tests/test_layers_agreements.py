"""The agreements layer (layers/agreements.py): points, lines and areas, coloured by status, overdue in red;
and the drawing tool with lines on the Vereinbarungen map (layers/basemap.py)."""

from __future__ import annotations

import json
import re
from datetime import date

from geo.core.area import leipziger_osten
from geo.core.schema import AGREEMENT_STATUS_COLOURS, OVERDUE_COLOUR
from geo.data import agreements as ag
from layers.agreements import agreements_js
from layers.basemap import base_map

TODAY = date(2026, 11, 10)


def _features(js: str) -> list[dict]:
    return json.loads(re.match(r"LB\.geojson\((.*), \{\"order\"", js).group(1))["features"]


def test_points_lines_and_areas_with_status_colours(demo_store):
    table = demo_store.agreements()
    feats = _features(agreements_js(table, TODAY))
    assert len(feats) == len(table) == 11
    types = {f["geometry"]["type"] for f in feats}
    assert {"Point", "LineString", "Polygon"} <= types  # the demo has all three (street, wall, Rabet)
    late = ag.overdue(table, TODAY)
    for f, (_, row), is_late in zip(feats, table.iterrows(), late, strict=True):
        style = f["properties"]["_style"]
        colour = OVERDUE_COLOUR if is_late else AGREEMENT_STATUS_COLOURS[row["status"]]
        if f["geometry"]["type"] == "Point":
            assert style["fillColor"] == colour and style["color"] == "#ffffff"
        else:  # lines and areas are drawn in the status colour
            assert style["color"] == colour and style["weight"] == 3
        assert f["properties"]["_title"] == f"Vereinbarung Nr. {row['agreement_id']}: {row['title']}"
    line = next(f for f in feats if f["geometry"]["type"] == "LineString")
    lon, lat = line["geometry"]["coordinates"][0]
    assert 12.3 < lon < 12.5 and 51.3 < lat < 51.4  # WGS84 on the map
    assert "notes" not in json.dumps(feats) and "Eigentümerin angeschrieben" not in json.dumps(feats)


def test_line_drawing_only_where_asked():
    area = leipziger_osten()
    with_lines = base_map(area, tiles=None, draw=True, draw_lines=True).get_root().render()
    assert re.search(r'var drawnItems = LB\.drawTool\(map_\w+, \{"style":\{[^}]*\},"lines":true\}\);', with_lines)
    plain = base_map(area, tiles=None, draw=True).get_root().render()
    assert "var drawnItems = LB.drawTool(" in plain and '"lines"' not in plain
