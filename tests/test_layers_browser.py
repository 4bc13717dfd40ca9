"""The map in a real browser (headless Chromium): offline rendering, popups and tooltips
show hostile texts as plain text, layer toggling, the three point drawing modes."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.area import leipziger_osten
from geo.core.period import Period
from layers.map import MapContent, Overlay, overlay_scripts, standalone_html
from layers.records import records_js

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)> ${alert(1)} `tick`"
AREA = leipziger_osten()
PERIOD = Period(date(2026, 9, 1), date(2026, 10, 31))
CENTRE = AREA.boundary.centroid


def _find(n: int = 1, source: str = EVIL) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    xy = np.column_stack([CENTRE.x + rng.normal(0, 300, n), CENTRE.y + rng.normal(0, 300, n)])
    xy[0] = [CENTRE.x, CENTRE.y]
    return gpd.GeoDataFrame({"found_at": [pd.Timestamp("2026-09-03 14:05")] * n, "count": [3] * n,
                             "source": [source] + ["Polizei"] * (n - 1), "reporter": [EVIL] * n},
                            geometry=shapely.points(xy), crs=AREA.crs)


def _open(chromium, block_outside, tmp_path, html: str):
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1100, "height": 800})
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    blocked = block_outside(page)
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-control-layers", timeout=20_000)
    page.evaluate("() => { window.__map = window[Object.keys(window).find(k => k.startsWith('map_'))]; }")
    page.hover(".leaflet-control-layers")  # the control is collapsed until hovered
    return page, dialogs, errors, blocked


def _click_at(page, lat: float, lon: float) -> None:
    pt = page.evaluate(f"() => {{ const p = __map.latLngToContainerPoint([{lat}, {lon}]);"
                       " const r = __map.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }")
    page.mouse.click(pt[0], pt[1])


def _centre_latlon() -> tuple[float, float]:
    p = gpd.GeoSeries([CENTRE], crs=AREA.crs).to_crs("EPSG:4326").iloc[0]
    return p.y, p.x


def test_hostile_texts_stay_text_in_popups_tooltips_labels_and_layer_names(chromium, block_outside, tmp_path):
    places = gpd.GeoDataFrame({"name": [EVIL], "place_type": ["Kita"], "buffer_m": [80.0]},
                              geometry=[shapely.Point(CENTRE.x + 150, CENTRE.y)], crs=AREA.crs)
    districts = gpd.GeoDataFrame({"name": [EVIL]}, geometry=[AREA.boundary.buffer(-300)], crs=AREA.crs)
    overlays = overlay_scripts(MapContent(records={"syringe_find": _find()}, places=places))
    overlays.append(Overlay(EVIL, (records_js(_find(1).iloc[0:0], "complaint"),)))
    page, dialogs, errors, blocked = _open(chromium, block_outside, tmp_path,
                                           standalone_html(AREA, overlays, districts=districts, title=EVIL))
    lat, lon = _centre_latlon()
    page.evaluate(f"() => {{ __map.setView([{lat}, {lon}], 17, {{animate: false}}); }}")
    page.wait_for_timeout(300)
    _click_at(page, lat, lon)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    text = popup.inner_text()
    assert "<img src=x onerror=alert(1)>" in text and "${alert(1)}" in text and "`tick`" in text
    assert "Quelle" in text and "03.09.2026 14:05" in text and "Meldende Person" in text
    assert popup.query_selector("img") is None
    # tooltip of the place
    place = gpd.GeoSeries([places.geometry.iloc[0]], crs=AREA.crs).to_crs("EPSG:4326").iloc[0]
    page.evaluate(f"() => {{ __map.closePopup(); __map.setView([{place.y}, {place.x}], 17, {{animate: false}}); }}")
    page.wait_for_timeout(300)
    pt = page.evaluate(f"() => {{ const p = __map.latLngToContainerPoint([{place.y}, {place.x}]);"
                       " const r = __map.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }")
    page.mouse.move(pt[0] - 20, pt[1] - 20)
    page.mouse.move(pt[0], pt[1], steps=5)
    tip = page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    assert EVIL in tip.inner_text() and tip.query_selector("img") is None
    # layer control, district label, caption
    page.hover(".leaflet-control-layers")  # collapsed until hovered
    control = page.inner_text(".leaflet-control-layers")
    assert EVIL in control
    labels = page.eval_on_selector_all(".lb-label", "els => els.map(e => e.textContent)")
    assert EVIL in labels
    assert EVIL in page.title()
    assert page.query_selector_all("img[src='x']") == []
    assert dialogs == [] and errors == [] and blocked == []


def test_layer_toggle_hides_layer_and_its_legend(chromium, block_outside, tmp_path):
    overlays = overlay_scripts(MapContent(records={"syringe_find": _find(50), "complaint": _find(20, "x")}))
    page, _, errors, blocked = _open(chromium, block_outside, tmp_path, standalone_html(AREA, overlays))
    legend_row = page.locator(".lb-legend [data-key='Spritzenfunde']")
    assert legend_row.is_visible()
    n_layers = page.evaluate("() => Object.keys(__map._layers).length")
    page.get_by_text("Spritzenfunde (50)").click()
    page.wait_for_timeout(200)
    assert not legend_row.is_visible()
    assert page.evaluate("() => Object.keys(__map._layers).length") < n_layers - 49
    page.get_by_text("Spritzenfunde (50)").click()
    page.wait_for_timeout(200)
    assert legend_row.is_visible()
    assert page.evaluate("() => Object.keys(__map._layers).length") == n_layers
    assert errors == [] and blocked == []


@pytest.mark.parametrize("mode", ["cluster", "dots"])
def test_cluster_and_dot_modes_render_and_open_popups(chromium, block_outside, tmp_path, mode):
    finds = _find(3000)
    overlays = [Overlay("Spritzenfunde", (records_js(finds, "syringe_find", mode=mode),))]
    page, _, errors, blocked = _open(chromium, block_outside, tmp_path, standalone_html(AREA, overlays))
    if mode == "cluster":
        page.wait_for_selector(".lb-cluster", timeout=10_000)
        counts = page.eval_on_selector_all(".lb-cluster", "els => els.map(e => +e.textContent.replace(/\\./g, ''))")
        assert sum(counts) <= 3000 and len(counts) >= 2
    else:
        assert page.query_selector("canvas.lb-dots") is not None
    lat, lon = _centre_latlon()
    page.evaluate(f"() => {{ __map.setView([{lat}, {lon}], 19, {{animate: false}}); }}")
    page.wait_for_timeout(800)
    _click_at(page, lat, lon)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    assert "Spritzenfund" in popup.inner_text() and "Anzahl" in popup.inner_text()
    assert errors == [] and blocked == []


def test_hotspot_cells_are_drawn_with_popup_and_tooltip(chromium, block_outside, tmp_path):
    from geo.analysis.hotspots import hotspot_analysis

    finds = _find(400)
    cells = hotspot_analysis(finds, AREA, weight="count").cells
    hot = cells[cells["gi_class"] == 3]
    assert len(hot)
    page, _, errors, blocked = _open(chromium, block_outside, tmp_path,
                                     standalone_html(AREA, overlay_scripts(MapContent(hotspot_cells=cells))))
    assert page.query_selector(".leaflet-pane canvas.lb-cells") is not None
    centre = gpd.GeoSeries([hot.geometry.iloc[0].centroid], crs=AREA.crs).to_crs("EPSG:4326").iloc[0]
    page.evaluate(f"() => {{ __map.setView([{centre.y}, {centre.x}], 18, {{animate: false}}); }}")
    page.wait_for_timeout(300)
    pt = page.evaluate(f"() => {{ const p = __map.latLngToContainerPoint([{centre.y}, {centre.x}]);"
                       " const r = __map.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }")
    page.mouse.move(pt[0] - 3, pt[1] - 3)
    page.mouse.move(pt[0], pt[1], steps=3)
    assert page.wait_for_selector(".leaflet-tooltip", timeout=5_000).inner_text() == "Hotspot, 99 % Konfidenz"
    page.mouse.click(pt[0], pt[1])
    text = page.wait_for_selector(".leaflet-popup-content", timeout=5_000).inner_text()
    assert "Hotspot-Zelle" in text and "Stärke der Häufung (Gi*-z-Wert)" in text
    assert "Zufallswahrscheinlichkeit (p-Wert" in text
    # the pixel under the centre has the 99 % colour
    rgb = page.evaluate(f"""() => {{ const c = document.querySelector('canvas.lb-cells');
        const r = window.devicePixelRatio || 1; const p = __map.latLngToContainerPoint([{centre.y}, {centre.x}]);
        return Array.from(c.getContext('2d').getImageData(p.x * r, p.y * r, 1, 1).data); }}""")
    assert rgb[0] > 180 and rgb[2] < 120 and rgb[3] > 100  # red-ish fill (#d62f27 at 62 %)
    assert errors == [] and blocked == []


def test_german_ui_script_translates_chart_and_table_toolbars(chromium):
    """Streamlit's element toolbars (Altair charts, dataframes) and screen-reader labels in German;
    data texts stay as they are."""
    from layers.assets import german_ui_script

    page = chromium.new_page()
    page.set_content(
        '<body><div id="tip"><p>Show data</p></div>'
        '<button id="b1" aria-label="Show data: Spritzenfunde je Monat"></button>'
        '<button id="b2" aria-label="Download as PNG"></button>'
        '<button id="b3" aria-label="Copy Vega-Lite spec: Lorenzkurve"></button>'
        '<button id="b4" aria-label="Show/hide columns"></button>'
        '<button id="b5" aria-label="Collapse sidebar"></button>'
        '<span id="b6" role="button" aria-label="Remove Spritzenfunde"></span>'
        '<p id="data">Show data about Eisenbahnstraße</p></body>')
    page.add_script_tag(content=german_ui_script().removeprefix("<script>").removesuffix("</script>"))
    # a tooltip that appears later (hover) is translated too
    page.evaluate("() => { const d = document.createElement('div'); d.id = 'later';"
                  " d.appendChild(document.createTextNode('Show chart')); document.body.appendChild(d); }")
    page.wait_for_function("() => document.getElementById('later').textContent === 'Diagramm anzeigen'",
                           timeout=5_000)
    label = lambda i: page.get_attribute(f"#{i}", "aria-label")  # noqa: E731
    assert page.inner_text("#tip") == "Daten anzeigen"
    assert label("b1") == "Daten anzeigen: Spritzenfunde je Monat"
    assert label("b2") == "Als PNG herunterladen"
    assert label("b3") == "Diagrammbeschreibung kopieren: Lorenzkurve"
    assert label("b4") == "Spalten ein-/ausblenden"
    assert label("b5") == "Seitenleiste einklappen"
    assert label("b6") == "Spritzenfunde entfernen"
    assert page.inner_text("#data") == "Show data about Eisenbahnstraße"  # not a whole framework text
    page.close()


def test_german_ui_script_translates_page_not_found_and_the_select_button(chromium):
    """Issue 17 walk: /lagekarte (the first page lives at the root address) showed Streamlit's English »Page not
    found … Running the app's main page.«; every select box's button was announced as »Open«."""
    from layers.assets import german_ui_script

    page = chromium.new_page()
    page.set_content('<body><button id="open" aria-label="Open"></button></body>')
    page.add_script_tag(content=german_ui_script().removeprefix("<script>").removesuffix("</script>"))
    page.evaluate("() => { const d = document.createElement('div'); d.id = 'dialog';"
                  " d.innerHTML = '<h2>Page not found</h2><p>The page that you have requested does not seem to exist."
                  " Running the app\\'s main page.</p>'; document.body.appendChild(d); }")
    page.wait_for_function("() => !document.getElementById('dialog').innerText.includes('Page')", timeout=5_000)
    assert page.inner_text("#dialog h2") == "Seite nicht gefunden"
    assert page.inner_text("#dialog p") == "Diese Adresse gehört zu keiner Seite; die Startseite wird angezeigt."
    assert page.get_attribute("#open", "aria-label") == "Auswahl öffnen"
    page.close()
