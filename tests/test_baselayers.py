"""The offline base map on every map: encoding, the static versioned asset, the exported HTML map,
the handout's static map (geo.report.staticmap) – and in a real browser (marked ``browser``)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image

from geo.core.area import leipziger_osten
from geo.core.period import Period
from geo.core.schema import BASE_STYLES
from geo.data.basefile import read_base_file
from layers.baselayers import SCALE, build_base_layers, ensure_base_asset
from layers.basemap import base_map
from layers.elements import LayerControl
from layers.map import MapContent, overlay_scripts, standalone_html

AREA = leipziger_osten()
X0, Y0 = AREA.boundary.centroid.x, AREA.boundary.centroid.y
RAPPORT = Period(date(2026, 9, 1), date(2026, 10, 31))


def _base() -> gpd.GeoDataFrame:
    rows = [("building", "", "Eisenbahnstraße", str(n), shapely.box(X0 + 20 * n, Y0 + 15, X0 + 20 * n + 12, Y0 + 27))
            for n in range(1, 9)]
    rows.append(("street", "Eisenbahnstraße", "", "", shapely.LineString([(X0 - 100, Y0), (X0 + 300, Y0)])))
    rows.append(("green", "Rabet", "", "", shapely.box(X0, Y0 - 200, X0 + 200, Y0 - 50)))
    return gpd.GeoDataFrame(rows, columns=["theme", "name", "street", "housenumber", "geometry"], crs=AREA.crs)


def _decode(ring: list[int]) -> np.ndarray:
    """The inverse of the encoding, as ``LB.BaseLayer`` in lagebild.js does it: (lat, lon) pairs."""
    d = np.asarray(ring, dtype=np.int64).reshape(-1, 2).cumsum(axis=0) / SCALE
    return d[:, ::-1]


def test_encoding_round_trips_to_about_a_metre():
    base = _base()
    layers = build_base_layers(base)
    assert layers.themes == ("green", "building", "street") and layers.has_labels
    data = json.loads(re.search(r"=(\{.*\});$", layers.script).group(1))
    assert data["s"] == SCALE and data["building"]["k"] == "area" and len(data["building"]["g"]) == 8
    first = _decode(data["building"]["g"][0][0])
    expected = gpd.GeoSeries([base.geometry.iloc[0]], crs=AREA.crs).to_crs("EPSG:4326").iloc[0]
    ring = np.asarray(expected.exterior.coords)[:, ::-1]
    assert first.shape == ring.shape and np.abs(first - ring).max() < 1.5 / SCALE
    street = _decode(data["street"]["g"][0])
    assert street.shape == (2, 2)
    assert data["labels"] and data["labels"][0][2] == "Eisenbahnstraße" and abs(data["labels"][0][3]) < 1
    assert build_base_layers(None) is None and build_base_layers(base.iloc[0:0]) is None
    assert build_base_layers(base).version == layers.version  # content-addressed
    assert build_base_layers(base.iloc[1:]).version != layers.version


def test_served_map_names_the_versioned_file_and_export_inlines_it(tmp_path):
    layers = build_base_layers(_base())
    path = ensure_base_asset(tmp_path / "lagebild", layers)
    assert path == tmp_path / "lagebild" / "base" / f"{layers.version}.js"
    assert path.read_text(encoding="utf-8") == layers.script
    m = base_map(AREA, base=layers, tiles=None, asset_base="/app/static/lagebild")
    m.add_child(LayerControl())
    html = m.get_root().render()
    assert f'src="/app/static/lagebild/base/{layers.version}.js"' in html
    assert f'LB.baseData["{layers.version}"]' not in html  # the data are not in the page: the browser caches the file
    names = [json.dumps(n) for n in ("Gebäude", "Straßen", "Grünflächen")]  # as the layer control writes them
    assert all(n in html for n in names)
    assert html.index(names[0]) < html.index(names[1]) < html.index(names[2])
    assert "LB.baseLabels(" in html and "L.control.scale({metric: true, imperial: false" in html
    assert '"collapsed": true' in html
    exported = standalone_html(AREA, [], base=layers, tiles=None)
    assert f'LB.baseData["{layers.version}"]=' in exported and f"/base/{layers.version}.js" not in exported


def test_maps_open_fitted_to_the_data():
    finds = gpd.GeoDataFrame({"found_at": [np.datetime64("2026-09-01")] * 2, "count": [1, 1], "source": "",
                              "reporter": ""}, geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 300, Y0 + 200)],
                             crs=AREA.crs)
    html = standalone_html(AREA, overlay_scripts(MapContent(records={"syringe_find": finds})), tiles=None)
    fit = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", html)
    south, west, north, east = map(float, fit.groups())
    pts = finds.to_crs("EPSG:4326").geometry
    assert south == pytest.approx(pts.y.min()) and north == pytest.approx(pts.y.max())
    assert west == pytest.approx(pts.x.min()) and east == pytest.approx(pts.x.max())


def _pixels(png: bytes, theme: str = "building") -> int:
    """Pixels of a theme's fill colour."""
    fill = BASE_STYLES[theme]["fill"]
    rgb = np.array([int(fill[i:i + 2], 16) for i in (1, 3, 5)])
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(img - rgb).sum(axis=2) <= 6).sum())


def _building_pixels(png: bytes) -> int:
    return _pixels(png, "building")


def test_static_map_draws_the_base_beneath():
    from geo.report.staticmap import map_png

    without = map_png(AREA, dpi=100, extent="area")
    with_base = map_png(AREA, dpi=100, extent="area", base=_base())
    assert _pixels(without, "green") == 0 and _pixels(with_base, "green") > 100
    assert _building_pixels(with_base) > _building_pixels(without) + 10


def test_density_image_draws_the_base_beneath(tmp_path):
    from geo.analysis.density import kde
    from geo.cli.density import write_png

    pts = gpd.GeoDataFrame({"count": [1] * 5}, geometry=[shapely.Point(X0 + 1500 + 10 * i, Y0) for i in range(5)],
                           crs=AREA.crs)
    result = kde(pts, "count", bounds=AREA.boundary.bounds, cell=20.0, crs=AREA.crs)
    write_png(result, tmp_path / "ohne.png", AREA.boundary, "Dichte")
    write_png(result, tmp_path / "mit.png", AREA.boundary, "Dichte", base=_base())
    without, with_base = ((tmp_path / f"{n}.png").read_bytes() for n in ("ohne", "mit"))
    assert _pixels(without, "green") == 0 and _pixels(with_base, "green") > 100


# ---------------------------------------------------------------------------- with the shared buildings
@pytest.fixture(scope="module")
def shared_base(shared_data) -> gpd.GeoDataFrame:
    return read_base_file(shared_data / "leipzig_osten_gebaeude_osm.geojson", AREA)


def test_handout_pdf_shows_the_base_map_and_names_the_hotspots(demo_store, shared_base, tmp_path):
    from geo.report.handout import handout_from_store

    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils not installed")
    pdfs = {}
    for label, base in (("ohne", shared_base.iloc[0:0]), ("mit", shared_base)):
        pdfs[label] = handout_from_store(demo_store, RAPPORT, base=base)
    pixels = {}
    for label, pdf in pdfs.items():
        (tmp_path / f"{label}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / f"{label}.pdf"),
                        str(tmp_path / label)], check=True)
        pixels[label] = _building_pixels(next(tmp_path.glob(f"{label}-*1.png")).read_bytes())
    assert pixels["ohne"] == 0 and pixels["mit"] > 1000  # page 1's map is two thirds of the text width
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "mit.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Top-Hotspots" in text and "Hermann-Liebmann-/Eisenbahnstraße" in text and "Rabet" in text


def test_exported_html_contains_the_base_layer(demo_store, shared_base):
    layers = build_base_layers(shared_base)
    assert layers.themes == ("building",) and layers.has_labels
    assert len(layers.script) < 600_000  # 7,600 buildings in a compact file
    html = standalone_html(AREA, [], base=layers)
    assert html.count(f'LB.baseData["{layers.version}"]=') == 1
    assert json.dumps("Gebäude") in html and json.dumps("Straßen") in html
    assert "Eisenbahnstraße" in html


@pytest.mark.browser
def test_base_map_in_the_browser_offline(chromium, block_outside, shared_base, tmp_path):
    """Buildings drawn beneath the data, street names at street zoom, one offline notice, no broken images."""
    from geo.analysis.hotspots import hotspot_analysis

    cells = hotspot_analysis(gpd.GeoDataFrame(geometry=gpd.points_from_xy(
        X0 + np.random.default_rng(1).normal(0, 80, 300), Y0 + np.random.default_rng(2).normal(0, 80, 300)),
        crs=AREA.crs), AREA).cells
    html = standalone_html(AREA, overlay_scripts(MapContent(hotspot_cells=cells)), base=build_base_layers(shared_base))
    (tmp_path / "map.html").write_text(html, encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1100, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    blocked = block_outside(page)
    page.goto((tmp_path / "map.html").as_uri())
    page.wait_for_selector(".leaflet-control-layers", timeout=20_000)
    page.wait_for_selector(".lb-offline-note", timeout=20_000)  # the tiles fail offline …
    page.wait_for_timeout(500)
    assert blocked == [] and blocked.tiles  # … because they were tried, and nothing else left the machine
    assert page.locator(".lb-offline-note").count() == 1
    assert page.inner_text(".lb-offline-note") == "Hintergrundkarte nicht erreichbar – Karte ohne Hintergrund."
    assert page.locator("img.leaflet-tile").count() == 0  # the tile layer is gone: no broken images
    shot = page.screenshot()
    assert _building_pixels(shot) > 3000
    page.evaluate("() => { const m = window[Object.keys(window).find(k => k.startsWith('map_'))];"
                  " m.setView([51.3456, 12.4062], 17, {animate: false}); }")
    page.wait_for_timeout(300)
    streets = page.eval_on_selector_all(".lb-street span", "e => e.map(x => x.textContent)")
    assert "Eisenbahnstraße" in streets and "Hermann-Liebmann-Straße" in streets
    page.evaluate("() => { const m = window[Object.keys(window).find(k => k.startsWith('map_'))];"
                  " m.setZoom(14, {animate: false}); }")
    page.wait_for_timeout(300)
    assert page.locator(".lb-street").count() == 0  # names only at street zoom
    page.screenshot(path=str(tmp_path / "base.png"))
    assert errors == []
