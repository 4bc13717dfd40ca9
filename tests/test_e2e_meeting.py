"""Browser walk of the three users of the Drogenrapport (issue 17): German everywhere, one story.

* meeting chair: Lagekarte (key figures, map with only the main layers on) and the handout;
* street cleaning: the Behälter page and the crews' CSV;
* analyst: Vergleich (same arrows as the Lagekarte, verdict table) and Daten (uploader, history, export).

Checks read the page's visible text (``innerText``): none of Streamlit's English default words may
appear, numbers use the decimal comma and the thousands dot. ``streamlit run app.py`` on a copy of
the demo store, Debian's Chromium via Playwright, every request to another host blocked.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.e2e_server import demo_copy, offline_env, running_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 180_000  # ms
#: Framework defaults in English that must never reach a user (word-bounded, case-sensitive).
ENGLISH = ("Skip to main content", "Drag and drop", "Browse files", "Upload", "per file", "Limit", "Select…",
           "Select...", "Choose",
           "No results", "None", "NaN", "nan", "NaT", "Running", "Deploy", "Press Enter", "Clear all",
           "January", "February", "March", "June", "July", "October", "December", "True", "False")
#: A number written the English way: thousands comma or decimal point between digits (dates excepted).
ENGLISH_NUMBER = re.compile(r"(?<![\d.])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])|(?<![\d.])\d+\.\d{1,2}(?![\d.])")


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    """The app on a free port with a copy of the demo store; yields ``(url, store)``."""
    tmp = tmp_path_factory.mktemp("meeting")
    store = demo_copy(demo_store, tmp)
    with running_app(tmp, offline_env(store)) as url:
        yield url, store


@pytest.fixture(scope="module")
def page(server, chromium, block_outside):
    url, _ = server
    context = chromium.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True,
                                   locale="en-US")  # an English browser: the app must still speak German
    pg = context.new_page()
    pg.blocked = block_outside(pg)
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(url, timeout=TIMEOUT)
    yield pg
    context.close()


#: What the Lagekarte showed for the finds (arrow direction or None), for the Vergleich page.
SEEN: dict[str, object] = {}


def _idle(page) -> None:
    """Wait until Streamlit has finished the current run and every widget is drawn (no skeletons)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid^=\"stSkeleton\"], "
        "[data-testid=\"stAppSkeleton\"]')", timeout=TIMEOUT)
    page.wait_for_timeout(500)


def _text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def _assert_german(text: str, where: str) -> None:
    for word in ENGLISH:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), f"{where}: English '{word}'"
    bad = [m.group(0) for m in ENGLISH_NUMBER.finditer(text)]
    assert not bad, f"{where}: numbers written the English way: {bad[:5]}"


def _metric_box(page, label: str):
    return page.locator("[data-testid='stMetric']", has_text=label).first


def _arrow(box) -> str | None:
    """``up`` / ``down`` when the metric's change carries an arrow, else ``None``."""
    if box.locator("[data-testid='stMetricDeltaIcon-Up']").count():
        return "up"
    if box.locator("[data-testid='stMetricDeltaIcon-Down']").count():
        return "down"
    return None


def _go(page, name: str, marker: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=name).click()
    page.get_by_text(marker).first.wait_for(timeout=TIMEOUT)
    _idle(page)


def _download_text(page, button) -> str:
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    return Path(info.value.path()).read_bytes().decode("utf-8-sig")


def test_chair_sees_a_german_lagekarte_with_meaningful_arrows_and_gets_the_handout(page):
    page.locator("[data-testid='stMetric']", has_text="Spritzenfunde").first.wait_for(timeout=TIMEOUT)
    page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT)
    frame = next(f for f in page.frames if "st_folium" in f.url)
    frame.wait_for_selector(".leaflet-control-layers", timeout=TIMEOUT)
    frame.wait_for_function("() => window.LB && window.LB.ready()", timeout=TIMEOUT)
    _idle(page)
    _assert_german(_text(page), "Lagekarte")
    # key figures: an arrow only with a significant change, otherwise the words say so
    for label in ("Spritzenfunde", "Spritzen", "Beschwerden", "Szenebeobachtungen", "Hotspots"):
        box = _metric_box(page, label)
        delta = box.locator("[data-testid='stMetricDelta']")
        if not delta.count():
            continue
        text, arrow = box.inner_text(), _arrow(box)
        assert ("im Rahmen des Zufalls" in text) == (arrow is None) or "ohne Signifikanztest" in text, (label, text)
        assert ("signifikante" in text) == (arrow is not None), (label, text)
        assert not ("±0 %" in text and arrow), (label, text)
        if label == "Spritzenfunde":
            SEEN["finds"] = (arrow, delta.inner_text().split("\n")[0].strip())
    assert "finds" in SEEN
    # only the main layers start switched on
    checked = frame.eval_on_selector_all(
        ".leaflet-control-layers-overlays label",
        "e => e.filter(x => x.querySelector('input').checked).map(x => x.innerText.trim())")
    assert len(checked) == 3 and any(c.startswith("Spritzenfunde") for c in checked), checked
    assert not any(c.startswith(("Kerndichte", "Beschwerden", "Polizeipräsenz")) for c in checked), checked
    # the handout
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("button", name="Handout (PDF)").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    assert page.blocked == [] and page.errors == []


def test_street_cleaning_gets_a_german_bin_page_and_crew_csv(page):
    _go(page, "Behälter", "Behälterplan für die Einsatzteams")
    _assert_german(_text(page), "Behälter")
    text = _download_text(page, page.get_by_role("button", name="CSV (Excel)"))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["Art", "Rang", "Datensatz-ID", "Standort"], header
    assert {"Breite", "Länge", "Geometrie (WKT, WGS84)"} <= set(header)
    for english in ("status", "rank", "record_id", "suggested", "existing"):
        assert english not in text
    assert {r[0] for r in rows[1:]} <= {"Vorschlag", "bestehend"}


def test_analyst_sees_the_same_arrow_on_vergleich_and_the_verdict_table(page):
    _go(page, "Vergleich", "Zeitraum A (vorher)")
    box = _metric_box(page, "B: ")
    box.wait_for(timeout=TIMEOUT)
    _idle(page)
    arrow, change = SEEN["finds"]
    assert _arrow(box) == arrow  # the Lagekarte's finds and period B of the Vergleich page: one test, one arrow
    assert box.locator("[data-testid='stMetricDelta']").inner_text().split("\n")[0].strip() == change
    _assert_german(_text(page), "Vergleich/Zeiträume")
    page.get_by_role("tab", name="Maßnahmen").click()
    page.get_by_text("Wie sicher ist das Ergebnis?").wait_for(timeout=TIMEOUT)
    _idle(page)
    text = _text(page)
    assert "(Standard)" in text
    assert ("hält bei allen geprüften Ringbreiten" in text) or ("kippt je nach Annahme" in text)
    _assert_german(text, "Vergleich/Maßnahmen")


def test_analyst_daten_page_uploader_history_and_export_are_german(page):
    _go(page, "Daten", "Import-Verlauf")
    text = _text(page)
    assert "Datei auswählen" in text and "höchstens 50 MB je Datei" in text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text)  # no ISO timestamps
    _assert_german(text, "Daten")
    csv_text = _download_text(page, page.get_by_role("button", name=re.compile("Datensätze herunterladen")))
    header = next(csv.reader(io.StringIO(csv_text), delimiter=";"))
    assert header[:3] == ["Datensatz-ID", "Import-Nr.", "Fundzeit"], header
    assert header[-3:] == ["Breite", "Länge", "Geometrie (WKT, WGS84)"]


def _leave_field(page) -> None:
    """Click on the sidebar's title so the date field loses focus (Streamlit takes the date on blur). Not the
    page's own heading: the run that refuses the period removes it, a fast run before the click lands; forced,
    because a closing calendar popover may still lie over it for a moment."""
    page.get_by_role("heading", name="Lagebild", exact=True).click(force=True, timeout=TIMEOUT)


def test_a_reversed_date_range_says_what_is_wrong(page):
    _go(page, "Lagekarte", "Kennzahlen")
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="freier Zeitraum").click()
    fields = page.locator("[data-testid='stSidebar'] [data-testid='stDateInput']")
    fields.nth(1).wait_for(timeout=TIMEOUT)
    _idle(page)
    # type the dates as one does, the start after the end: day, month and year segments
    fields.nth(0).locator("[data-type='day']").click()
    page.keyboard.type("31102026", delay=60)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _leave_field(page)  # leave the field: Streamlit takes the date
    _idle(page)
    fields.nth(1).locator("[data-type='day']").click()
    page.keyboard.type("01092026", delay=60)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _leave_field(page)
    alert = page.locator("[data-testid='stAlert']", has_text="liegt nach dem Ende")
    alert.first.wait_for(timeout=TIMEOUT)
    _idle(page)
    assert "Beginn 31.10.2026" in alert.first.inner_text()
    assert not page.locator("[data-testid='stMetric']").count()  # no figures for the old period
    _assert_german(_text(page), "freier Zeitraum")
    # the calendar speaks German too
    fields.nth(1).locator("button").first.click()
    grid = page.locator("[role='grid']").first
    grid.wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(500)
    text = _text(page)
    _assert_german(text, "Kalender")
    assert "Date range" not in text
