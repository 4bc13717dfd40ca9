"""The app with the shared buildings imported as base map, in headless Chromium (offline): buildings
beneath the hotspots on the Lagekarte, the base sent once as a static versioned file, the layer
control's German entries, the one-line offline notice, the Top-Hotspots table with names."""

from __future__ import annotations

import io
import os
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geo.cli import main
from geo.core.schema import BASE_STYLES
from geo.data.store import Store
from tests.e2e_server import running_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT = 120_000


@pytest.fixture(scope="module")
def server(demo_store, shared_data, tmp_path_factory):
    """The app on the demo data with the shared buildings and districts imported."""
    tmp = tmp_path_factory.mktemp("base-e2e")
    store = Store(tmp / "s.gpkg")
    shutil.copyfile(demo_store.path, store.path)
    assert main(["basemap", "import", str(shared_data / "leipzig_osten_gebaeude_osm.geojson"),
                 "--store", str(store.path)]) == 0
    assert main(["import", str(shared_data / "leipzig_ortsteile.geojson"), "--kind", "district",
                 "--store", str(store.path)]) == 0
    env = {**os.environ, "LAGEBILD_STORE": str(store.path), "LAGEBILD_DEMO": "0"}
    env.pop("LAGEBILD_TILES", None)  # the default online background, which fails offline
    with running_app(tmp, env) as url:
        yield url, store


def _pixels(png: bytes, theme: str) -> int:
    fill = BASE_STYLES[theme]["fill"]
    rgb = np.array([int(fill[i:i + 2], 16) for i in (1, 3, 5)])
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(img - rgb).sum(axis=2) <= 6).sum())


def test_lagekarte_shows_buildings_beneath_the_hotspots(server, chromium, block_outside):
    url, store = server
    context = chromium.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    blocked = block_outside(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    base_requests: list[str] = []
    page.on("request", lambda r: base_requests.append(r.url) if "/app/static/lagebild/base/" in r.url else None)
    page.goto(url, timeout=TIMEOUT)
    page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT)
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_selector(".leaflet-control-layers", timeout=TIMEOUT)
    frame.wait_for_function("() => window.LB && window.LB.ready() && Object.keys(LB.baseData).length === 1",
                            timeout=TIMEOUT)
    frame.wait_for_selector(".lb-offline-note", timeout=TIMEOUT)
    page.wait_for_timeout(800)
    # the base map came as one static, versioned file – not inside the page's script
    assert len(base_requests) == 1 and base_requests[0].endswith(".js")
    version = frame.evaluate("() => Object.keys(LB.baseData)[0]")
    assert version in base_requests[0]
    assert f'LB.baseData["{version}"]=' not in frame.content()
    with urllib.request.urlopen(base_requests[0]) as r:
        assert r.status == 200 and len(r.read()) > 100_000
        validator = r.headers.get("ETag") or r.headers.get("Last-Modified")
    assert validator  # a browser revalidates the (unchanged, versioned) file instead of downloading it again
    # layer control (collapsed) with the German entries, one quiet offline line
    assert frame.locator(".leaflet-control-layers-expanded").count() == 0
    frame.evaluate("() => document.querySelectorAll('.leaflet-control-layers')"
                   ".forEach(c => c.classList.add('leaflet-control-layers-expanded'))")
    names = frame.eval_on_selector_all(".leaflet-control-layers-overlays label", "e => e.map(x => x.innerText.trim())")
    for expected in ("Gebäude", "Straßen", "Ortsteile"):
        assert expected in names, names
    assert frame.locator(".lb-offline-note").count() == 1
    assert frame.locator("img.leaflet-tile").count() == 0
    assert frame.locator(".leaflet-control-scale-line").count() == 1  # metric only
    # buildings visible in the map (screenshot pixels in the building colour)
    shot = page.locator("iframe[title*='st_folium']").screenshot()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "lagekarte_grundkarte.png").write_bytes(shot)
    assert _pixels(shot, "building") > 2000
    page.get_by_text("Top-Hotspots").first.wait_for(timeout=TIMEOUT)  # the table: tests/test_app_hotspots.py
    # a rerun (another period) does not send the base again
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="letztes Quartal").click()
    page.wait_for_timeout(3000)
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_function("() => window.LB && window.LB.ready()", timeout=TIMEOUT)
    assert len(base_requests) == 1
    assert blocked == [] and errors == []
    context.close()
