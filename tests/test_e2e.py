"""End to end: ``streamlit run app.py`` on localhost, driven by headless Chromium (Playwright),
with every request to another host blocked (the app must work offline).

One server per module on a random free port with a copy of the demo store. The tests run
in file order; the upload test (which changes the store) comes last.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest

from geo.core.period import Period
from geo.report.figures import format_number
from tests.e2e_server import demo_copy, offline_env, running_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT = 120_000  # ms; generous: the first run computes hot spots and density
QUARTER = Period(date(2026, 7, 1), date(2026, 9, 30))
RAPPORT = Period(date(2026, 9, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    """The app on a free port; yields ``(url, store)``."""
    tmp = tmp_path_factory.mktemp("e2e")
    store = demo_copy(demo_store, tmp)
    with running_app(tmp, offline_env(store)) as url:
        yield url, store


@pytest.fixture(scope="module")
def page(server, chromium, block_outside):
    """One browser page on the Lagekarte (shared by the tests of this module)."""
    url, _ = server
    context = chromium.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.blocked = block_outside(pg)
    pg.errors = []
    pg.dialogs = []  # an alert() would mean injected script ran
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(url, timeout=TIMEOUT)
    yield pg
    context.close()


def _map_frame(page):
    page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT)
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_selector(".leaflet-control-layers", timeout=TIMEOUT)
    frame.wait_for_function("() => window.LB && window.LB.ready()", timeout=TIMEOUT)
    return frame


def _expand_layers(frame) -> None:
    """Open the (collapsed) layer control, as hovering does."""
    frame.evaluate("() => document.querySelectorAll('.leaflet-control-layers')"
                   ".forEach(c => c.classList.add('leaflet-control-layers-expanded'))")


def _overlay_names(frame) -> str:
    _expand_layers(frame)
    labels = frame.eval_on_selector_all(".leaflet-control-layers-overlays label", "e => e.map(x => x.innerText)")
    return " | ".join(labels)


def _checked_overlays(frame) -> list[str]:
    """Names of the overlays that are switched on in the layer control."""
    return frame.eval_on_selector_all(
        ".leaflet-control-layers-overlays label",
        "e => e.filter(x => x.querySelector('input').checked).map(x => x.innerText.trim())")


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text(timeout=TIMEOUT).strip()


def _wait_metric(page, label: str, value: str) -> None:
    deadline = time.time() + TIMEOUT / 1000
    while _metric(page, label) != value:
        if time.time() > deadline:
            raise AssertionError(f"{label}: {_metric(page, label)!r} != {value!r}")
        page.wait_for_timeout(250)


def test_map_renders_offline_with_its_layers(page, server):
    _, store = server
    frame = _map_frame(page)
    n_finds = len(store.read("syringe_find", RAPPORT))
    names = _overlay_names(frame)
    for expected in (f"Spritzenfunde ({format_number(n_finds)})", "Beschwerden (", "Szenebeobachtungen (",
                     "besonders sensible Orte (7)", "Hotspot-Zellen", "Kerndichte", "Streetwork-Einsätze"):
        assert expected in names, names
    assert frame.evaluate("() => Object.keys(window.map._layers).length") > n_finds
    assert frame.query_selector(".lb-legend") is not None and frame.query_selector(".lb-draw") is not None
    assert _metric(page, "Spritzenfunde") == format_number(n_finds)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lagekarte.png"), full_page=True)
    assert page.blocked == [] and page.errors == [] and page.dialogs == []


def test_layer_toggles_off_and_on(page):
    frame = _map_frame(page)
    frame.hover(".leaflet-control-layers")  # the collapsed control opens on hover …
    page.wait_for_timeout(100)  # … and ignores clicks in the same instant (Leaflet's _expandSafely)
    label = frame.locator(".leaflet-control-layers-overlays label", has_text="Spritzenfunde")
    before = frame.evaluate("() => Object.keys(window.map._layers).length")
    label.locator("input").uncheck()
    frame.wait_for_function(f"() => Object.keys(window.map._layers).length < {before}", timeout=10_000)
    assert not frame.locator(".lb-legend [data-key='Spritzenfunde']").is_visible()
    label.locator("input").check()
    frame.wait_for_function(f"() => Object.keys(window.map._layers).length === {before}", timeout=10_000)


def test_changing_the_period_changes_the_figures_and_keeps_the_view(page, server):
    _, store = server
    frame = _map_frame(page)
    frame.evaluate("() => { window.map.setView([51.3455, 12.405], 16, {animate: false}); }")
    switched_on = len(_checked_overlays(frame))
    assert switched_on >= 3
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="letztes Quartal").click()
    _wait_metric(page, "Spritzenfunde", format_number(len(store.read("syringe_find", QUARTER))))
    assert page.get_by_text("01.07.2026 – 30.09.2026").first.is_visible()
    frame = _map_frame(page)
    names = _overlay_names(frame)
    assert f"Spritzenfunde ({format_number(len(store.read('syringe_find', QUARTER)))})" in names
    # the rebuilt data layers stay switched on (only a click in the layer control hides one)
    page.wait_for_timeout(500)
    assert len(_checked_overlays(frame)) == switched_on
    assert frame.evaluate("() => window.map.getZoom()") == 16  # same map, same view: only the layers changed
    centre = frame.evaluate("() => window.map.getCenter()")
    assert abs(centre["lat"] - 51.3455) < 1e-4 and abs(centre["lng"] - 12.405) < 1e-4
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="letzter Rapport-Zeitraum (2 Monate)").click()
    _wait_metric(page, "Spritzenfunde", format_number(len(store.read("syringe_find", RAPPORT))))


def test_drawing_an_area_restricts_the_figures(page, server):
    frame = _map_frame(page)
    total = _metric(page, "Spritzenfunde")
    frame.locator(".lb-draw-start").click()
    box = page.locator("iframe[title*='st_folium']").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(cx - 120, cy - 90), (cx + 120, cy - 90), (cx + 120, cy + 90), (cx - 120, cy + 90)]
    for x, y in corners:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
    page.mouse.click(*corners[0])  # back on the first corner closes the polygon
    page.get_by_text("Nur gezeichnete Fläche").wait_for(timeout=TIMEOUT)
    inside = _metric(page, "Spritzenfunde")
    assert int(inside.replace(".", "")) < int(total.replace(".", ""))
    frame = _map_frame(page)
    assert frame.evaluate("() => window.drawnItems.getLayers().length") == 1
    frame.locator(".lb-draw-clear").click()
    _wait_metric(page, "Spritzenfunde", total)


def test_handout_downloads_as_pdf(page):
    pytest.importorskip("geo.report.handout")
    button = page.get_by_role("button", name="Handout (PDF)")
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert page.blocked == []


def test_upload_of_a_bad_file_shows_its_rejects(page, tmp_path):
    page.locator("[data-testid='stSidebarNav'] a", has_text="Daten").click()
    page.get_by_text("Datei importieren").wait_for(timeout=TIMEOUT)
    bad = tmp_path / "funde_fehlerhaft.csv"
    bad.write_text("Datum;Breite;Länge;Anzahl\n03.10.2026;51,3452;12,4050;2\nkein Datum;51,3452;12,4050;2\n"
                   "04.10.2026;99;12,4050;<img src=x onerror=alert(1)>\n", encoding="utf-8")
    page.locator("input[type='file']").set_input_files(str(bad))
    page.get_by_text("funde_fehlerhaft.csv").first.wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Importieren").click()
    msg = page.locator("[data-testid='stAlert']", has_text="abgelehnt")
    msg.wait_for(timeout=TIMEOUT)
    assert re.search(r"1 gespeichert\W+2 abgelehnt", msg.inner_text().replace("*", ""))
    # the rejects' tables load the data grid's code first (no table of the page's first view needs it): wait for them
    page.get_by_role("button", name="Abgelehnte Zeilen als CSV").wait_for(timeout=TIMEOUT)
    assert page.get_by_text("Abgelehnte Zeilen", exact=True).is_visible()
    page.locator("[data-testid='stDataFrame']").nth(1).wait_for(timeout=TIMEOUT)  # reasons, rows as they stood
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "daten.png"), full_page=True)
    assert page.blocked == [] and page.errors == [] and page.dialogs == []
