"""End to end (headless Chromium): an agreement drawn on the map (an area; a line), moved through its states,
overdue, in the handout PDF; a single find added and corrected on a phone-sized screen.

One server on a copy of the demo store; ``LAGEBILD_TODAY=2026-11-10`` fixes "overdue". Tests run in file order.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import shapely

from tests.e2e_server import demo_copy, offline_env, running_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT = 120_000
TITLE = "E2E Rückschnitt Hecke <b>Ecke</b>"


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e_agreements")
    store = demo_copy(demo_store, tmp)
    with running_app(tmp, offline_env(store, LAGEBILD_TODAY="2026-11-10")) as url:
        yield url, store


def _page(chromium, block_outside, viewport):
    context = chromium.new_context(viewport=viewport, accept_downloads=True)
    pg = context.new_page()
    pg.blocked = block_outside(pg)
    pg.errors, pg.dialogs = [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    return context, pg


def _map_frame(page):
    page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT)
    deadline = time.time() + TIMEOUT / 1000
    while not any("st_folium" in f.url for f in page.frames):
        if time.time() > deadline:
            raise AssertionError("no map frame")
        page.wait_for_timeout(200)
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_function("() => window.LB && window.LB.ready()", timeout=TIMEOUT)
    return frame


def _draw(page, frame, button: str, spots: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Start the drawing tool's ``button`` and click the map at ``spots`` (fractions of the map's width and
    height, so the shape scales with the map, whatever its size); return the clicked places (lon, lat)."""
    page.locator("iframe[title*='st_folium']").scroll_into_view_if_needed()
    frame.locator(button).click()
    box = page.locator("iframe[title*='st_folium']").bounding_box()
    rect = frame.evaluate("() => { const r = window.map.getContainer().getBoundingClientRect();"
                          " return [r.left, r.top, r.width, r.height]; }")
    clicked = []
    for fx, fy in spots:
        x, y = round(rect[2] * fx), round(rect[3] * fy)
        page.mouse.click(box["x"] + rect[0] + x, box["y"] + rect[1] + y)
        clicked.append(tuple(frame.evaluate(
            "([x, y]) => { const p = window.map.containerPointToLatLng([x, y]); return [p.lng, p.lat]; }", [x, y])))
        page.wait_for_timeout(400)
    return clicked


def _shows(frame, check: str, arg) -> bool:
    """``check(arg)`` in ``frame``; False while the frame is being replaced."""
    from playwright.sync_api import Error

    try:
        return not frame.is_detached() and bool(frame.evaluate(check, arg))
    except Error:
        return False


def _metric(store, lonlat: list[tuple[float, float]]):
    """Clicked places (lon, lat) in the store's metric CRS."""
    import geopandas as gpd
    import shapely

    return gpd.GeoSeries(shapely.points(lonlat), crs="EPSG:4326").to_crs(store.area.crs)


def _set_date(page, label: str, text: str) -> None:
    """Type a date ``DD.MM.YYYY`` into a Streamlit date input (segments day, month, year)."""
    d, m, y = text.split(".")
    day = page.locator(f"[aria-label='day, {label}']")
    day.scroll_into_view_if_needed()
    day.click()
    page.keyboard.type(d)
    page.locator(f"[aria-label='month, {label}']").click()
    page.keyboard.type(m)
    page.locator(f"[aria-label='year, {label}']").click()
    page.keyboard.type(y)
    page.keyboard.press("Tab")
    assert page.locator(f"[aria-label='year, {label}']").inner_text() == y


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the select box labelled ``label`` (typing filters the long, virtualised lists)."""
    page.locator("[data-testid='stSelectbox']", has_text=label).first.click()
    page.keyboard.type(option[:8])
    page.get_by_role("option", name=option).first.click()


def _pdf_text(page, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    page.locator("[data-testid='stSidebarNav'] a", has_text="Lagekarte").click()
    button = page.get_by_role("button", name="Handout (PDF)")
    button.wait_for(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    out = subprocess.run(["pdftotext", "-layout", info.value.path(), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out[out.index("Vereinbarungen"):].split())


def test_agreement_drawn_moved_through_states_overdue_and_in_the_handout(server, chromium, block_outside,
                                                                         tmp_path):
    url, store = server
    context, page = _page(chromium, block_outside, {"width": 1500, "height": 1100})
    try:
        page.goto(f"{url}/vereinbarungen", timeout=TIMEOUT)
        page.get_by_text("Vereinbarung anlegen oder bearbeiten").wait_for(timeout=TIMEOUT)
        frame = _map_frame(page)
        frame.evaluate("() => { window.map.setView([51.3436, 12.4085], 17, {animate: false}); }")
        page.wait_for_timeout(500)
        corners = _draw(page, frame, ".lb-draw-start", [(0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6), (0.4, 0.4)])
        page.get_by_text("Ort: gezeichnete Fläche").wait_for(timeout=TIMEOUT)

        ARTIFACTS.mkdir(exist_ok=True)
        page.get_by_label("Titel").fill(TITLE)
        _pick(page, "Art der Maßnahme", "Grünrückschnitt")
        _pick(page, "zuständig", "Amt für Stadtgrün")
        page.screenshot(path=str(ARTIFACTS / "vereinbarungen_form.png"), full_page=True)
        _set_date(page, "vereinbart am", "01.09.2026")
        _set_date(page, "fällig bis", "15.10.2026")
        page.get_by_role("button", name="Vereinbarung speichern").click()
        page.get_by_text("Vereinbarung Nr. 12 gespeichert.").wait_for(timeout=TIMEOUT)
        row = store.agreements().set_index("agreement_id").loc[12]
        assert row["title"] == TITLE and row["kind"] == "greenery_cut" and row.geometry.geom_type == "Polygon"
        clicked = shapely.Polygon(_metric(store, corners[:4]).get_coordinates().to_numpy())
        assert row.geometry.area == pytest.approx(clicked.area, rel=0.03)  # the clicked corners, whatever the zoom
        assert row.geometry.area > 100  # not a sliver
        assert str(row["agreed"].date()) == "2026-09-01" and str(row["due"].date()) == "2026-10-15"

        # overdue: counted, and shown as such when picked
        page.get_by_text("3 überfällig (rot)").wait_for(timeout=TIMEOUT)
        _pick(page, "Vereinbarung", f"Nr. 12: {TITLE}")
        page.get_by_text("vereinbart, überfällig").first.wait_for(timeout=TIMEOUT)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vereinbarungen.png"), full_page=True)

        text = _pdf_text(page, tmp_path)
        assert "Offen (5, davon 3 überfällig)" in text
        assert re.search(r"12 E2E Rückschnitt Hecke <b>Ecke</b> Amt für Stadtgrün 01\.09\.2026 15\.10\.2026 "
                         r"überfällig", text), text[:800]

        page.locator("[data-testid='stSidebarNav'] a", has_text="Vereinbarungen").click()
        page.get_by_text("Status ändern").wait_for(timeout=TIMEOUT)
        _pick(page, "Vereinbarung", f"Nr. 12: {TITLE}")
        for button, status in (("→ in Umsetzung", "in Umsetzung"), ("→ umgesetzt", "umgesetzt"),
                               ("→ beendet", "beendet")):
            page.get_by_role("button", name=button).click()
            page.get_by_text(f"Vereinbarung Nr. 12: {status}.").wait_for(timeout=TIMEOUT)
        row = store.agreements().set_index("agreement_id").loc[12]
        assert row["status"] == "ended" and row["measure_id"]
        cut = store.read("greenery_cut").set_index("record_id").loc[row["measure_id"]]
        assert cut["description"] == TITLE and cut.geometry.equals_exact(row.geometry, 0.01)
        details = " ".join(store.audit_log()["detail"].tail(4))
        assert "agreed → in_progress" in details and "in_progress → done" in details and "done → ended" in details

        text = _pdf_text(page, tmp_path)
        assert "Offen (4, davon 2 überfällig)" in text
        done = text[text.index("Umgesetzt seit 01.09.2026"):]
        assert "12 E2E Rückschnitt Hecke" in done and "<b>Ecke</b>" in done, done[:600]
        assert page.blocked == [] and page.errors == [] and page.dialogs == []
    finally:
        context.close()


def test_single_find_added_and_corrected_on_a_phone(server, chromium, block_outside):
    url, store = server
    context, page = _page(chromium, block_outside, {"width": 390, "height": 844})
    try:
        n = store.count("syringe_find")
        page.goto(f"{url}/meldung", timeout=TIMEOUT)
        page.get_by_text("Meldung korrigieren oder löschen").wait_for(timeout=TIMEOUT)
        frame = _map_frame(page)
        frame.evaluate("() => { window.map.setView([51.3452, 12.4050], 17, {animate: false}); }")
        page.wait_for_timeout(500)
        box = page.locator("iframe[title*='st_folium']").bounding_box()
        assert box["width"] <= 390
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        lat = page.locator(".st-key-report_lat input")
        deadline = time.time() + 60
        while not lat.input_value().startswith("51,3"):  # the tapped point, wherever the map shows
            if time.time() > deadline:
                raise AssertionError(f"map click did not set the coordinates: {lat.input_value()!r}")
            page.wait_for_timeout(300)
        assert page.locator(".st-key-report_lon input").input_value().startswith("12,4")
        count = page.get_by_label("Anzahl Spritzen").first
        count.fill("3")
        count.press("Tab")
        page.get_by_role("button", name="Meldung speichern").click()
        page.get_by_text("Spritzenfund gespeichert (ID").wait_for(timeout=TIMEOUT)
        assert store.count("syringe_find") == n + 1
        new = store.read("syringe_find").iloc[-1]
        assert new["count"] == 3 and abs(new.geometry.y - store.read("syringe_find").geometry.y.iloc[-1]) < 1e-6

        fix = page.get_by_label("Anzahl Spritzen").nth(1)
        deadline = time.time() + 60  # the correction form shows the new find once the page has run again
        while fix.input_value() != "3" or page.locator("[data-testid='stStatusWidget']").count():
            if time.time() > deadline:
                raise AssertionError(f"correction form did not show the new find: {fix.input_value()!r}")
            page.wait_for_timeout(200)
        done = page.get_by_text("Spritzenfund korrigiert (neue ID")
        for _attempt in range(3):
            # in full runs the typed 5 was lost once in a while ("Die Korrektur ändert nichts …"): a rerun
            # between typing and the click; typed again then (noted in the closing note, cause not found)
            fix.fill("5")
            fix.press("Tab")
            page.wait_for_timeout(300)
            if fix.input_value() != "5":
                continue
            page.get_by_role("button", name="Korrektur speichern").click()
            unchanged = page.get_by_text("Die Korrektur ändert nichts")
            done.or_(unchanged).first.wait_for(timeout=TIMEOUT)
            if done.count():
                break
        done.wait_for(timeout=TIMEOUT)
        stored = store.read("syringe_find")
        assert len(stored) == n + 1 and new["record_id"] not in set(stored["record_id"])
        assert (stored["count"] == 5).any()
        assert "Korrektur, ersetzt durch" in store.audit_log().iloc[-1]["detail"]
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "meldung_390.png"), full_page=True)
        assert page.blocked == [] and page.errors == [] and page.dialogs == []
    finally:
        context.close()


def test_agreement_drawn_as_a_line_is_stored_and_shown_as_a_line(server, chromium, block_outside):
    url, store = server
    title = "E2E Polizeipräsenz Eisenbahnstraße (Linie)"
    context, page = _page(chromium, block_outside, {"width": 1500, "height": 1100})
    try:
        new = int(store.agreements()["agreement_id"].max()) + 1
        page.goto(f"{url}/vereinbarungen", timeout=TIMEOUT)
        page.get_by_text("Vereinbarung anlegen oder bearbeiten").wait_for(timeout=TIMEOUT)
        frame = _map_frame(page)
        assert frame.locator(".lb-draw-line").inner_text() == "╱ Linie zeichnen"
        frame.evaluate("() => { window.map.setView([51.3452, 12.4060], 17, {animate: false}); }")
        page.wait_for_timeout(500)
        # three points; clicking the last one again finishes the line
        spots = _draw(page, frame, ".lb-draw-line", [(0.3, 0.45), (0.5, 0.55), (0.7, 0.5), (0.7, 0.5)])
        page.get_by_text("Ort: gezeichnete Linie").wait_for(timeout=TIMEOUT)
        assert frame.locator(".lb-draw-line").inner_text() == "╱ Linie zeichnen"  # drawing finished

        page.get_by_label("Titel").fill(title)
        _pick(page, "Art der Maßnahme", "Polizeipräsenz")
        _pick(page, "zuständig", "Polizeidirektion")
        page.get_by_role("button", name="Vereinbarung speichern").click()
        page.get_by_text(f"Vereinbarung Nr. {new} gespeichert.").wait_for(timeout=TIMEOUT)

        row = store.agreements().set_index("agreement_id").loc[new]
        assert row["title"] == title and row["kind"] == "police_presence"
        assert row.geometry.geom_type == "LineString" and store.agreements().crs.to_epsg() == 25833
        expected = _metric(store, spots[:3])
        got = shapely.points(row.geometry.coords)
        assert len(got) == 3 and (shapely.distance(got, expected.values) < 1.5).all()  # metres
        assert row.geometry.length == pytest.approx(shapely.LineString(expected.values).length, rel=0.02)
        assert "geometry_wkt: – → LINESTRING (" in store.audit_log().iloc[-1]["detail"]

        # on the agreements layer as a line (a Leaflet polyline, not an area or a point); the saved page
        # replaces the map's frame, so look in whichever map frame is current
        check = """(t) => { let hit = false;
            if (!window.map || !window.L) return false;
            window.map.eachLayer(l => { const f = l.feature;
              if (f && f.properties && (f.properties._title || '').includes(t) && l instanceof L.Polyline
                  && !(l instanceof L.Polygon) && f.geometry.type === 'LineString') hit = true; });
            return hit; }"""
        deadline = time.time() + TIMEOUT / 1000
        while not any(_shows(f, check, title) for f in page.frames if "st_folium" in f.url):
            if time.time() > deadline:
                raise AssertionError("the new line is not on the agreements layer")
            page.wait_for_timeout(300)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vereinbarungen_linie.png"), full_page=True)
        assert page.blocked == [] and page.errors == [] and page.dialogs == []
    finally:
        context.close()
