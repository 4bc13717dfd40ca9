"""Tests for layers/: escaping, offline assets, compact points, places, measures, hot spots,
density image, legend, base map and standalone HTML (no browser needed)."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from geo.core.area import DISPLAY_CRS, leipziger_osten
from geo.core.period import Period
from geo.core.schema import HOTSPOT_CLASSES
from layers import assets
from layers.basemap import OfflineMap, base_map, tiles_from_env
from layers.density import density_image
from layers.elements import JsCall, LayerControl
from layers.escape import escape_text, js_json, safe_colour
from layers.features import format_values, popup_rows
from layers.hotspots import hotspot_js, shown_cells
from layers.legend import HOTSPOT_LAYER, legend_html
from layers.map import MapContent, overlay_groups, overlay_scripts, standalone_html
from layers.places import buffer_rings, places_js
from layers.records import CLUSTER_MAX, PLAIN_MAX, auto_mode, compact_points, layer_name, records_js

EVIL = "<img src=x onerror=alert(1)> ${alert(1)} `tick` </script>"
AREA = leipziger_osten()
PERIOD = Period(date(2026, 9, 1), date(2026, 10, 31))


def _json_arg(expr: str, func: str) -> dict:
    """The first JSON argument of ``func(...)`` in a layer expression."""
    assert expr.startswith(func + "(")
    decoder = json.JSONDecoder()
    obj, _ = decoder.raw_decode(expr[len(func) + 1:])
    return obj


def _finds(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = AREA.boundary.bounds
    xy = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    return gpd.GeoDataFrame(
        {
            "record_id": [f"{i:016x}" for i in range(n)],
            "found_at": pd.Timestamp("2026-09-01 08:30") + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), "m"),
            "count": rng.integers(1, 20, n),
            "source": rng.choice(["Stadtreinigung", "Polizei", EVIL], n),
            "reporter": "",
        },
        geometry=shapely.points(xy),
        crs=AREA.crs,
    )


# ---------------------------------------------------------------------------- escaping
def test_escape_text_neutralises_html_and_template_literals():
    out = escape_text(EVIL)
    assert "<" not in out and ">" not in out and "`" not in out and "${" not in out
    assert out.startswith("&lt;img src=x onerror=alert(1)&gt; &#36;{alert(1)} &#96;tick&#96;")
    assert escape_text(None) == "" and escape_text(float("nan")) == "" and escape_text(3) == "3"
    assert escape_text('a"b\'c') == "a&quot;b&#x27;c"


def test_js_json_is_inert_inside_script_and_round_trips():
    value = {"t": EVIL, "n": np.int64(3), "f": np.float64(2.5), "arr": np.arange(3), "ls": "\u2028"}
    text = js_json(value)
    for bad in ("<", ">", "`", "$", "\u2028"):
        assert bad not in text
    back = json.loads(text)
    assert back == {"t": EVIL, "n": 3, "f": 2.5, "arr": [0, 1, 2], "ls": "\u2028"}


def test_safe_colour_rejects_css_injection():
    assert safe_colour("#d62f27") == "#d62f27"
    assert safe_colour("red;background:url(http://x)") == "#777777"
    assert safe_colour("#abc") == "#abc"


# ---------------------------------------------------------------------------- assets
def test_assets_come_from_installed_packages_and_are_copied(tmp_path):
    names = [a.name for a in assets.assets()]
    assert names[:3] == ["leaflet", "jquery", "markercluster"]
    for a in assets.assets():
        assert a.source.is_file(), a.source
    target = assets.ensure_static(tmp_path)
    leaflet = target / "leaflet" / "leaflet.js"
    assert leaflet.read_bytes() == assets.assets()[0].source.read_bytes()
    assert (target / "leaflet" / "images" / "layers.png").is_file()
    mtime = leaflet.stat().st_mtime_ns
    assets.ensure_static(tmp_path)  # unchanged files are not rewritten
    assert leaflet.stat().st_mtime_ns == mtime
    js, css = assets.asset_urls("/base/")
    assert js[0] == ("leaflet", "/base/leaflet/leaflet.js")
    assert all(url.startswith("/base/") for _, url in js + css)


def test_inline_assets_makes_page_self_contained():
    m = base_map(AREA, draw=False)
    html = m.get_root().render()
    assert f'src="/app/static/lagebild/{assets.bundle_file()}"' in html
    apart = base_map(AREA, draw=False, bundle=False).get_root().render()
    assert 'src="/app/static/lagebild/leaflet/leaflet.js"' in apart
    assert assets.external_references(html) == []
    inlined = assets.inline_assets(html)
    assert "/app/static/lagebild/" not in inlined
    assert "url(images/" not in inlined and "data:image/png;base64," in inlined
    assert inlined.count("<script>") >= 4
    assert assets.external_references(inlined) == []
    assert assets.external_references('<script src="https://cdn.x/y.js"></script><a href="https://x.org">') == [
        "https://cdn.x/y.js"]


# ---------------------------------------------------------------------------- records
def test_auto_mode_thresholds():
    assert auto_mode(0) == "plain" and auto_mode(PLAIN_MAX) == "plain"
    assert auto_mode(PLAIN_MAX + 1) == "cluster" and auto_mode(CLUSTER_MAX) == "cluster"
    assert auto_mode(CLUSTER_MAX + 1) == "dots"


def test_compact_points_round_trip_coordinates_fields_and_texts():
    finds = _finds(500)
    data = compact_points(finds, "syringe_find")
    assert data["n"] == 500 and data["mode"] == "plain" and data["title"] == "Spritzenfund"
    lonlat = finds.to_crs(DISPLAY_CRS).geometry
    lat = data["lat0"] + np.array(data["y"]) / data["s"]
    lon = data["lon0"] + np.array(data["x"]) / data["s"]
    assert np.abs(lat - lonlat.y.to_numpy()).max() <= 0.5e-5 + 1e-12
    assert np.abs(lon - lonlat.x.to_numpy()).max() <= 0.5e-5 + 1e-12
    cols = {c["l"]: c for c in data["cols"]}
    assert list(cols) == ["Fundzeit", "Anzahl", "Quelle", "Meldende Person"]  # German labels, schema order
    minutes = np.array(cols["Fundzeit"]["v"], dtype="int64") + cols["Fundzeit"]["t0"]
    assert (minutes.astype("datetime64[m]") == finds["found_at"].to_numpy().astype("datetime64[m]")).all()
    assert cols["Anzahl"]["v"] == finds["count"].tolist()
    src = cols["Quelle"]
    assert [src["d"][c] for c in src["v"]] == finds["source"].tolist()  # raw text: shown with textContent
    assert data["r"] is not None and min(data["r"]) >= 4 and max(data["r"]) <= 8


def test_compact_points_size_per_record_is_small():
    data = js_json(compact_points(_finds(20_000), "syringe_find"))
    assert len(data) / 20_000 < 40  # bytes per find: 100,000 finds stay far below 5 MB


def test_compact_points_handles_empty_and_missing_geometry():
    empty = compact_points(_finds(0), "syringe_find")
    assert empty["n"] == 0 and empty["y"] == []
    finds = _finds(5)
    finds.loc[2, "geometry"] = None
    assert compact_points(finds, "syringe_find")["n"] == 4


def test_records_js_and_layer_name():
    expr = records_js(_finds(3), "syringe_find", mode="dots")
    assert _json_arg(expr, "LB.points")["mode"] == "dots"
    assert layer_name("syringe_find", 12345) == "Spritzenfunde (12.345)"


# ---------------------------------------------------------------------------- features, places, measures
def test_format_values_german():
    assert format_values(pd.Series([1234.5, 3.0, np.nan]), "float").tolist() == ["1.234,5", "3", ""]
    ts = pd.Series(pd.to_datetime(["2026-01-31 14:05", "2026-02-01 00:00", None]))
    assert format_values(ts, "datetime").tolist() == ["31.01.2026 14:05", "01.02.2026", ""]
    # rounded once, by fmt: half away from zero (no numpy pre-rounding, which goes half to even)
    assert format_values(pd.Series([12.25, 12.5, -0.04, 2.0]), "float", 1).tolist() == ["12,3", "12,5", "0", "2"]
    assert format_values(pd.Series([0.5, 2.5, 10.0]), "float", 0).tolist() == ["1", "3", "10"]


def test_popup_rows_use_german_labels_and_extra_columns():
    places = gpd.GeoDataFrame({"name": [EVIL], "place_type": ["Kita"], "buffer_m": [150.0]},
                              geometry=[shapely.Point(318000, 5696000)], crs=AREA.crs)
    rows = popup_rows(places, "sensitive_place", pd.DataFrame({"Funde": [4]}))
    assert rows == [[["Name", EVIL], ["Art", "Kita"], ["Schutzabstand (m)", "150"], ["Funde", "4"]]]


def test_buffer_rings_use_each_places_distance():
    places = gpd.GeoDataFrame({"buffer_m": [50.0, np.nan, -3]}, geometry=shapely.points([[0, 0], [1000, 0], [2000, 0]]),
                              crs=AREA.crs)
    rings = buffer_rings(places)
    radius = np.sqrt(rings.area.to_numpy() / np.pi)
    assert radius == pytest.approx([50, 100, 100], rel=2e-3)


def test_places_js_has_rings_and_places_with_popups():
    places = gpd.GeoDataFrame({"name": ["Kita A", "Schule B"], "place_type": ["Kita", "Schule"],
                               "buffer_m": [100.0, 200.0]},
                              geometry=shapely.points([[318000, 5696000], [318500, 5696200]]), crs=AREA.crs)
    fc = _json_arg(places_js(places), "LB.geojson")
    types = [f["geometry"]["type"] for f in fc["features"]]
    assert types == ["Polygon", "Polygon", "Point", "Point"]
    assert fc["features"][2]["properties"]["_title"] == "Kita A"
    assert ["Schutzabstand (m)", "200"] in fc["features"][3]["properties"]["_rows"]


def test_measures_one_overlay_per_kind_with_records():
    bins = gpd.GeoDataFrame({"installed_at": [pd.Timestamp("2025-11-01")], "removed_at": [pd.NaT],
                             "owner": ["Stadtreinigung"], "label": ["Torgauer Platz"]},
                            geometry=[shapely.Point(318000, 5696000)], crs=AREA.crs)
    police = gpd.GeoDataFrame({"start": [pd.Timestamp("2026-05-01")], "end": [pd.NaT], "description": ["Rabet"]},
                              geometry=[shapely.box(318000, 5696000, 318200, 5696200)], crs=AREA.crs)
    content = MapContent(measures={"disposal_bin": bins, "police_presence": police, "streetwork": bins.iloc[0:0]})
    overlays = overlay_scripts(content)
    assert [o.name for o in overlays] == ["Spritzenentsorgungsbehälter (1)", "Polizeipräsenz (1)"]
    fc = _json_arg(overlays[1].scripts[0], "LB.geojson")
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
    assert fc["features"][0]["properties"]["_tip"] == "Polizeipräsenz: Rabet"


# ---------------------------------------------------------------------------- hot spots, density, legend
def _cells() -> gpd.GeoDataFrame:
    boxes = [shapely.box(318000 + 50 * i, 5696000, 318050 + 50 * i, 5696050) for i in range(7)]
    return gpd.GeoDataFrame({"cell_id": range(7), "count": [9, 5, 2, 0, 0, 1, 0], "gi_z": np.linspace(3, -3, 7),
                             "gi_p_fdr": [0.001, 0.02, 0.08, 0.5, 0.5, 0.02, 0.001],
                             "gi_class": [3, 2, 1, 0, 0, -2, -3]}, geometry=boxes, crs=AREA.crs)


def test_hotspot_cells_coloured_by_class_and_sent_compactly():
    cells = _cells()
    assert shown_cells(cells)["cell_id"].tolist() == [0, 1, 2, 5, 6]  # non-significant cells left out
    data = _json_arg(hotspot_js(cells), "LB.cells")
    assert data["cls"] == [3, 2, 1, -2, -3]
    assert {k: v["fillColor"] for k, v in data["styles"].items()} == {str(c): col for c, (_, col) in
                                                                      HOTSPOT_CLASSES.items()}
    assert data["labels"]["3"] == "Hotspot, 99 % Konfidenz"
    cols = {c["l"]: c["v"] if c["t"] != "cat" else [c["d"][v] for v in c["v"]] for c in data["cols"]}
    assert cols["Anzahl in der Zelle"] == [9, 5, 2, 1, 0]
    assert cols["Zufallswahrscheinlichkeit (p-Wert, FDR-korrigiert)"] == ["0,001", "0,020", "0,080", "0,020", "0,001"]
    # the popup says that the neighbourhood carries the signal
    assert all("Nachbarschaft" in r for r in cols["Was heißt das?"])
    assert "mehr Meldungen" in cols["Was heißt das?"][0] and "weniger" in cols["Was heißt das?"][4]


def test_hot_cell_without_events_explains_itself():
    cells = _cells().assign(count=[0, 5, 2, 0, 0, 1, 0], gi_p_fdr=[0.00001, 0.02, 0.08, 0.5, 0.5, 0.02, 0.001])
    data = _json_arg(hotspot_js(cells), "LB.cells")
    cols = {c["l"]: c["v"] if c["t"] != "cat" else [c["d"][v] for v in c["v"]] for c in data["cols"]}
    assert cols["Anzahl in der Zelle"][0] == 0
    assert cols["Zufallswahrscheinlichkeit (p-Wert, FDR-korrigiert)"][0] == "< 0,001"
    assert "In der Zelle selbst liegt keine Meldung" in cols["Was heißt das?"][0]
    assert "keine Meldung" not in cols["Was heißt das?"][1]
    # the corner template rebuilds each cell to within the rounding of its centre
    shown = shown_cells(cells).to_crs(DISPLAY_CRS)
    for i, geom in enumerate(shown.geometry):
        lat = data["lat0"] + data["y"][i] / data["s"]
        lon = data["lon0"] + data["x"][i] / data["s"]
        ring = np.array([[lon + o[1], lat + o[0]] for o in data["shape"]])
        assert np.abs(ring - np.asarray(geom.exterior.coords)[:-1]).max() < 1e-6  # about 10 cm


def test_irregular_cells_fall_back_to_geojson():
    cells = _cells()
    cells.loc[0, "geometry"] = shapely.box(318000, 5696000, 318030, 5696050)
    cells.loc[3, "count"] = 7  # non-significant cells are left out even with events
    fc = _json_arg(hotspot_js(cells), "LB.geojson")
    assert len(fc["features"]) == 5 and fc["features"][0]["properties"]["_tip"] == "Hotspot, 99 % Konfidenz"


def test_density_image_is_placed_and_coloured_where_the_density_is():
    from affine import Affine

    dens = np.zeros((100, 120))
    dens[20:30, 80:90] = 50.0  # hot block in the north-east
    transform = Affine(10.0, 0, 317000.0, 0, -10.0, 5697000.0)
    url, bounds, vmax = density_image(dens, transform, "EPSG:25833")
    assert vmax == 50.0
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert img.shape[2] == 4
    alpha = img[..., 3]
    rows, cols = np.nonzero(alpha)
    assert rows.mean() / img.shape[0] == pytest.approx(0.25, abs=0.05)
    assert cols.mean() / img.shape[1] == pytest.approx(0.708, abs=0.05)
    corners = gpd.GeoSeries([shapely.box(317000, 5696000, 318200, 5697000)], crs="EPSG:25833").to_crs(DISPLAY_CRS)
    (s, w), (n, e) = bounds
    minx, miny, maxx, maxy = corners.total_bounds
    assert s <= miny + 1e-4 and n >= maxy - 1e-4 and w <= minx + 1e-4 and e >= maxx - 1e-4


def test_legend_lists_classes_and_is_escaped():
    html = legend_html()
    for label, _ in HOTSPOT_CLASSES.values():
        assert label in html
    assert f'data-key="{escape_text(HOTSPOT_LAYER)}"' in html
    assert "<details open>" in html and "<details>" in legend_html(open_=False)


# ---------------------------------------------------------------------------- base map and assembly
def test_base_map_is_offline_and_has_outline_draw_tool_and_districts():
    districts = gpd.GeoDataFrame({"name": ["Volkmarsdorf"]}, geometry=[AREA.boundary.buffer(-500)], crs=AREA.crs)
    m = base_map(AREA, districts=districts)
    assert isinstance(m, OfflineMap)
    m.add_child(LayerControl())
    html = m.get_root().render()
    assert assets.external_references(html) == []
    assert "cdn" not in html.lower()
    assert "var drawnItems = LB.drawTool(" in html
    assert 'LB.labels([[' in html and '"Volkmarsdorf"]]' in html and '"Ortsteile"' in html
    assert "LB.applyHidden(" in html
    # the online background is basemap.de by default, with the offline fallback and attribution
    assert "de_basemapde_web_raster_grau" in html and "LB.tiles(" in html and "basemap.de\\u003c/a\\u003e / BKG" in html
    assert "L.tileLayer" not in base_map(AREA, tiles=None).get_root().render()


def test_tiles_from_env(monkeypatch):
    monkeypatch.delenv("LAGEBILD_TILES", raising=False)
    assert tiles_from_env() is None
    monkeypatch.setenv("LAGEBILD_TILES", "off")
    assert tiles_from_env() is None
    monkeypatch.setenv("LAGEBILD_TILES", "http://localhost:8080/{z}/{x}/{y}.png")
    assert tiles_from_env() == "http://localhost:8080/{z}/{x}/{y}.png"
    m = base_map(AREA)  # the environment chooses the background of every map
    m.add_child(LayerControl())
    html = m.get_root().render()
    assert 'L.tileLayer(\n                "http://localhost:8080/{z}/{x}/{y}.png"' in html
    assert "Hintergrund: localhost" in html and "geodatenzentrum" not in html
    monkeypatch.setenv("LAGEBILD_TILES", "off")
    assert "L.tileLayer" not in base_map(AREA).get_root().render()


def test_overlay_scripts_order_and_names(demo_store):
    recs = {k: demo_store.read(k, PERIOD) for k in ("syringe_find", "complaint")}
    content = MapContent(records=recs, places=demo_store.read("sensitive_place"), hotspot_cells=_cells())
    names = [o.name for o in overlay_scripts(content)]
    assert names == [f"{HOTSPOT_LAYER} (3)", "besonders sensible Orte (7)",
                     layer_name("syringe_find", len(recs["syringe_find"])),
                     layer_name("complaint", len(recs["complaint"]))]
    groups = overlay_groups(overlay_scripts(content), drawing={"type": "Polygon", "coordinates": []})
    assert len(groups) == 4
    codes = [getattr(c, "code", "") for g in groups for c in g._children.values()]
    assert [c for c in codes if c] == ['LB.restoreDrawing(window.drawnItems, {"type":"Polygon","coordinates":[]}, '
                                       '{"color":"#111111","weight":2,"dashArray":"6 4","fillOpacity":0.05});']
    assert isinstance(list(groups[-1]._children.values())[-1], JsCall)


def test_standalone_html_is_self_contained_and_escaped(demo_store):
    finds = demo_store.read("syringe_find", PERIOD)
    finds.loc[finds.index[0], "source"] = EVIL
    html = standalone_html(AREA, overlay_scripts(MapContent(records={"syringe_find": finds})),
                           title="Lagebild <b>", subtitle=EVIL)
    assert assets.external_references(html) == []
    assert "/app/static/" not in html
    assert "<img src=x" not in html and "<b>" not in html.split("<body>", 1)[1]
    assert "&lt;b&gt;" in html
    assert f"Spritzenfunde ({len(finds)})" in html
    assert re.search(r"LB\.points\(\{", html)


def test_template_syntax_in_data_is_not_evaluated_in_exported_maps(demo_store):
    """folium compiles element templates with Jinja: data text must never reach that compiler."""
    finds = demo_store.read("syringe_find", PERIOD)
    finds.loc[finds.index[0], "source"] = "{{ 7*7 }}"
    finds.loc[finds.index[1], "source"] = "{% if true %}x"
    html = standalone_html(AREA, overlay_scripts(MapContent(records={"syringe_find": finds})),
                           title="Lagebild {{ 6*7 }}", subtitle="{% endif %}")
    assert "{{ 7*7 }}" in html and "{% if true %}x" in html
    assert "Lagebild {{ 6*7 }}" in html and "42" not in html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "{% endif %}" in html


def test_only_main_overlays_start_switched_on():
    from layers.map import default_off

    pts = gpd.GeoDataFrame({"found_at": [pd.Timestamp("2026-10-01")], "count": [1]},
                           geometry=[shapely.Point(318000, 5696000)], crs=AREA.crs)
    police = gpd.GeoDataFrame({"start": [pd.Timestamp("2026-05-01")], "end": [pd.NaT], "description": ["Rabet"]},
                              geometry=[shapely.box(318000, 5696000, 318200, 5696200)], crs=AREA.crs)
    content = MapContent(records={"syringe_find": pts, "complaint": pts.iloc[0:0]},
                         measures={"police_presence": police}, hotspot_cells=_cells())
    overlays = overlay_scripts(content)
    on = [o.name for o in overlays if o.show]
    assert on == ["Hotspot-Zellen (3)", "Spritzenfunde (1)"]
    assert default_off(overlays) == ["Polizeipräsenz (1)", "Beschwerden (0)"]
    content.main_kind = "complaint"
    assert [o.name for o in overlay_scripts(content) if o.show] == ["Hotspot-Zellen (3)", "Beschwerden (0)"]


def test_layer_control_hides_default_off_overlays_once():
    m = folium.Map()
    LayerControl(default_off=["Kerndichte"]).add_to(m)
    html = m.get_root().render()
    assert 'LB.hideByDefault(["Kerndichte"]);' in html
    js = (Path(__file__).resolve().parents[1] / "layers" / "js" / "lagebild.js").read_text()
    assert "LB.seen[k] = true" in js  # a user's "switch on" is not undone by the next rebuild


def test_legend_goes_to_the_emptiest_corner():
    from layers.legend import legend_corner

    bounds = (0.0, 0.0, 100.0, 100.0)
    assert legend_corner(bounds, None) == "bottomright"
    busy_bottom = shapely.points([[90, 5], [10, 5], [60, 20], [20, 30]])
    assert legend_corner(bounds, busy_bottom) == "topright"
    right = shapely.points([[90, 5], [90, 90], [70, 60]])
    assert legend_corner(bounds, right) == "bottomleft"


def test_emerging_patterns_have_distinct_colours_and_symbols():
    from geo.analysis.emerging import PATTERNS
    from geo.core.schema import EMERGING_SYMBOLS
    from layers.compare import emerging_layer, emerging_legend_items, legend_html

    hot = [c for c in PATTERNS if c.endswith("_hot")]
    assert len({PATTERNS[c][1] for c in PATTERNS}) == len(PATTERNS)  # every pattern its own colour

    def rgb(h: str) -> np.ndarray:
        return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)

    for group in ("_hot", "_cold"):  # colours far apart within each group (the old reds: 38 apart at worst)
        cols = [rgb(PATTERNS[c][1]) for c in PATTERNS if c.endswith(group)]
        gaps = [np.linalg.norm(a - b) for i, a in enumerate(cols) for b in cols[i + 1:]]
        assert min(gaps) >= 45, (group, min(gaps))
    assert len({EMERGING_SYMBOLS[c] for c in hot}) == len(hot)  # and every hot pattern its own symbol
    boxes = [shapely.box(318000 + 50 * i, 5696000, 318050 + 50 * i, 5696050) for i in range(3)]
    cells = gpd.GeoDataFrame({"pattern": ["new_hot", "persistent_hot", "no_pattern"], "trend_z": [1.0, 0.0, 0.0],
                              "trend_p": [0.3, 0.9, 1.0], "n_hot": [1, 8, 0], "n_cold": [0, 0, 0],
                              "count_total": [4, 20, 0]}, geometry=boxes, crs=AREA.crs)
    exprs = [child.expression for child in emerging_layer(cells)._children.values()]
    glyphs = _json_arg(exprs[1], "LB.glyphs")
    assert [g[2] for g in glyphs] == [EMERGING_SYMBOLS["new_hot"], EMERGING_SYMBOLS["persistent_hot"]]
    items = emerging_legend_items(cells)
    assert [i[2] for i in items] == [EMERGING_SYMBOLS["new_hot"], EMERGING_SYMBOLS["persistent_hot"]]
    assert "lb-glyph-sym" in legend_html("Trend", items) and "★" in legend_html("Trend", items)


def test_emerging_symbols_only_from_the_zoom_where_cells_are_wider_than_a_symbol():
    """40 m cells at the opening zoom (~15) are 13 px wide: 14-px symbols on each would hide the
    pattern colours (a black mass). Symbols appear only where a cell is ≥ 18 px wide."""
    from geo.analysis.emerging import PATTERNS
    from layers.compare import emerging_layer, glyph_min_zoom

    assert glyph_min_zoom(40, 51.34) == 16  # 40 m = 26 px at zoom 16, 13 px at zoom 15
    assert glyph_min_zoom(150, 51.34) == 14
    assert glyph_min_zoom(400, 51.34) == 13
    for cell_m, zoom in ((40, 16), (150, 14)):
        boxes = [shapely.box(318000 + cell_m * i, 5696000, 318000 + cell_m * (i + 1), 5696000 + cell_m)
                 for i in range(3)]
        cells = gpd.GeoDataFrame({"pattern": ["new_hot", "persistent_hot", "sporadic_hot"], "trend_z": 0.0,
                                  "trend_p": 1.0, "n_hot": 1, "n_cold": 0, "count_total": 3},
                                 geometry=boxes, crs=AREA.crs)
        exprs = [child.expression for child in emerging_layer(cells)._children.values()]
        assert re.search(rf"^LB\.glyphs\(\[.*\], {zoom}\)$", exprs[1]), exprs[1][-40:]
        # cells filled with their pattern's colour, thin outlines
        fc = _json_arg(exprs[0], "LB.geojson")
        styles = [f["properties"]["_style"] for f in fc["features"]]
        assert [s["fillColor"] for s in styles] == [PATTERNS[p][1] for p in cells["pattern"]]
        assert all(s["weight"] <= 0.5 and s["fillOpacity"] >= 0.7 for s in styles)


def test_german_ui_script_survives_st_html():
    """``st.html`` sanitises what looks like a tag, even inside the script: a comment with
    ``<chart title>`` stopped the whole translation script in the app. No tag-like text in it."""
    from layers.assets import german_ui_script

    body = german_ui_script().removeprefix("<script>").removesuffix("</script>")
    assert not re.search(r"<[A-Za-z/!?]", body), re.search(r".{20}<[A-Za-z/!?].{20}", body)
