"""The Vergleich page (app_pages/compare.py) in Streamlit's AppTest on the demo store."""

from __future__ import annotations

from datetime import date

import pytest

from tests.apptables import html_tables

pytest.importorskip("streamlit.testing.v1")



def _page():  # the script AppTest runs
    from app_pages import compare
    from app_support import state

    state.sidebar_filters()
    compare.render()


@pytest.fixture
def app(run_page):
    """``app(role) -> AppTest`` of the page on the demo store, already run once."""
    return lambda role="analyse": run_page(_page, role)


def test_periods_tab_compares_the_rapport_period_with_the_one_before(app):
    at = app()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [t.label for t in at.tabs] == ["Zeiträume", "Trend der Hotspots", "Maßnahmen", "Prognose",
                                          "Zeitreihen"]
    # period inputs default to the Rapport period (Sep–Oct 2026) and the one before it
    dates = {d.key: d.value for d in at.date_input}
    assert (dates["cmp_b_from"], dates["cmp_b_to"]) == (date(2026, 9, 1), date(2026, 10, 31)), dates
    assert (dates["cmp_a_from"], dates["cmp_a_to"]) == (date(2026, 7, 1), date(2026, 8, 31)), dates
    # period B's count carries the Lagekarte's test: no arrow unless significant
    (b_metric,) = [m for m in at.metric if m.label.startswith("B: ")]
    assert b_metric.delta.startswith(("+", "-", "±"))
    # the per-place summary lists the demo's sensitive places
    zones = html_tables(at)["zones: Sensible Orte"]  # static tables (no data grid to load on this page)
    assert "Kita Köhlerplatz" in zones["Ort"].tolist() and "zones: Ortsteile" in html_tables(at)
    # … under plain German headings (issue 17: no "p (FDR)", no "Verhältnis B/A"); the p-value stays in brackets
    assert list(zones.columns) == ["Ort", "A", "B", "Faktor B zu A", "Veränderung gesichert?", "Einordnung"]
    sure = zones["Veränderung gesichert?"]
    assert sure.str.fullmatch(r"(ja|nein) \(p (< 0,001|= (0,\d{3}|1))\)").all(), sure.tolist()
    assert (sure.str.startswith("ja") == zones["Einordnung"].str.startswith("signifikante")).all()
    # a reversed period A: a German message, no comparison
    at.date_input(key="cmp_a_from").set_value(date(2026, 9, 15)).run()
    assert any("liegt nach dem Ende 31.08.2026" in e.value for e in at.error)
    assert not [m for m in at.metric if m.label.startswith("B: ")]


def test_periods_tab_counts_cells_and_shows_the_lagekarte_hotspots(app, demo_store):
    """Issue 17: the Lagekarte's Top-Hotspots said »signifikante Abnahme (p = 0,002)« for a hotspot while this page
    counted »signifikante Abnahme 0« – one tests the whole hotspot, the other each grid cell (FDR). The page names its
    counts as cells, says why they differ, and shows the Lagekarte's hotspot table itself: same names, same numbers,
    same verdicts."""
    from geo.analysis.hotspots import hotspot_analysis
    from geo.analysis.placenames import name_hotspots, top_hotspots
    from geo.core.period import Period
    from geo.core.schema import SYRINGE_FIND
    from geo.report.keychanges import CELL_TEST_HELP, CELLS_DOWN, CELLS_UP, HOTSPOT_TEST_HELP, hotspot_table
    from geo.report.places import store_place_context
    from layers.escape import escape_text
    from tests.apptables import html_tables

    at = app()
    assert not at.exception, at.exception
    metrics = {m.label: m for m in at.metric}
    assert {CELLS_UP, CELLS_DOWN} <= set(metrics) and "signifikante Abnahme" not in metrics, list(metrics)
    assert metrics[CELLS_DOWN].help == CELL_TEST_HELP and "Tabelle »Hotspots«" in CELL_TEST_HELP
    # the Lagekarte's table (tests/test_app_hotspots.py reads the same from the Lagekarte), from the store itself
    rapport = Period(date(2026, 9, 1), date(2026, 10, 31))
    finds = demo_store.read(SYRINGE_FIND, rapport)
    cells = hotspot_analysis(finds, demo_store.area, weight="count").cells
    groups, _ = name_hotspots(cells, store_place_context(demo_store))
    top = top_hotspots(groups, finds, demo_store.read(SYRINGE_FIND, rapport.previous()))
    expected = hotspot_table(top, SYRINGE_FIND, rapport.days, rapport.previous().days)
    table = html_tables(at)["compare_hotspots"]
    assert table.to_dict("list") == expected.to_dict("list")
    assert list(table.columns) == ["Rang", "Ort", "Funde", "Spritzen", "Veränderung", "Bewertung"]
    assert table["Ort"].is_unique, table["Ort"].tolist()  # two »bei Spielplatz Volkmarsdorfer Markt« no more
    # the demo's case: a hotspot with a significant decrease, though no single cell has one
    assert table["Bewertung"].str.startswith("signifikante Abnahme").any(), table["Bewertung"].tolist()
    assert metrics[CELLS_DOWN].value == "0"
    body = "".join(h.proto.body for h in at.get("html"))
    assert f'title="{escape_text(HOTSPOT_TEST_HELP)}"' in body  # the verdict's heading says what it tests
    captions = " ".join(c.value for c in at.caption)
    assert "Top-Hotspots der Lagekarte" in captions and "ganze Hotspot-Fläche" in captions


def test_public_role_sees_no_analysis(app):
    at = app("oeffentlich")
    assert not at.exception
    assert [i.value for i in at.info] == ["Diese Seite steht nur den Partnern des Drogenrapports zur Verfügung."]
    assert not at.dataframe


def test_forecast_tab_explains_the_backtest_in_plain_german(demo_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    monkeypatch.setenv("LAGEBILD_STORE", str(demo_store.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    at = AppTest.from_function(_page, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(role="analyse")
    at.session_state["cmp_tabs"] = "Prognose"
    at.run()
    assert not at.exception, at.exception
    texts = " ".join(m.value for m in at.markdown)
    assert "Die Karte aus " in texts and "% der Fläche vorhergesagt" in texts, texts
    table = next(d.value for d in at.dataframe if "Karte" in d.value.columns)
    assert list(table.columns) == ["Karte", "gewählt", "besser als Zufall (PAI)", "± Streuung", "Trefferquote (%)",
                                   "Stabilität", "Zeiträume"]
    assert (table["gewählt"] == "✔").sum() == 1
    assert table["Karte"].str.contains("Zeitgewichtung").any() and table["Karte"].str.contains("Kerndichte").any()
    # German numbers like the sentence above ("PAI 22,9"), never "22.9"; whole percentages as "30 %"
    for col in ("besser als Zufall (PAI)", "± Streuung", "Stabilität"):
        assert table[col].str.fullmatch(r"–|-?\d+(,\d+)?").all(), table[col].tolist()
        assert table[col].str.contains(",").any(), table[col].tolist()
    assert not table["Karte"].str.contains(r"\d,\d\d %").any(), table["Karte"].tolist()
    # the table names spans as the sentence does: months, not "Zeiträume"
    assert table["Karte"].str.contains("Halbwertszeit 4 Monate").any(), table["Karte"].tolist()
    assert not table["Karte"].str.contains(r"\d Zeitr").any(), table["Karte"].tolist()
    captions = " ".join(c.value for c in at.caption)
    assert "von je 2 Monaten " in captions, captions


def _folium_args(at) -> list[dict]:
    """The arguments of every st_folium map on the page (in page order)."""
    import json

    return [json.loads(c.proto.json_args) for c in at.get("component_instance")]


def test_periods_maps_never_report_back_and_coupled_maps_sync_in_the_browser(app):
    """A map that reports its view (``returned_objects``) reruns the page seconds after it loaded and a
    navigation click during that rerun is lost: no map on the page reports anything. "Karten koppeln"
    couples A and B in the browser on one channel, and every map refits once its frame has its size."""
    import re

    from app_pages.compare import SYNC_CHANNEL

    at = app()
    assert not at.exception, at.exception
    maps = _folium_args(at)
    assert len(maps) == 3  # A, B, Veränderung A → B
    assert [m["returned_objects"] for m in maps] == [[], [], []]
    channels = [re.findall(r'LB\.syncView\([^,]+, "(\w+)"\)', m["script"]) for m in maps]
    assert channels[0] == channels[1] == [SYNC_CHANNEL] and not channels[2]  # one per browser tab (LB.syncView)
    fits = [re.findall(r"LB\.keepFit\([^,]+, (\[\[.*?\]\])\)", m["script"]) for m in maps]
    assert fits[0] and fits[0] == fits[1] == fits[2]  # the change map opens like A and B
    # a rerun keeps the scripts (a changed script would draw the maps anew)
    at.run()
    assert [m["script"] for m in _folium_args(at)] == [m["script"] for m in maps]
    # uncoupled: no channel
    at.toggle(key="cmp_sync").set_value(False).run()
    assert not any("LB.syncView" in m["script"] for m in _folium_args(at))


def test_period_maps_are_built_once_and_sent_to_every_session(app, monkeypatch):
    """The Zeiträume tab's three maps are built once per store content, filters and settings and shared by every
    session (``compare._period_maps``)."""
    from app_pages import compare

    built = []
    real = compare.build_payload
    monkeypatch.setattr(compare, "build_payload", lambda *a, **k: built.append(k["key"]) or real(*a, **k))
    compare._period_maps.clear()
    first, second = app(), app()
    assert not first.exception and not second.exception
    assert built == ["cmp_map_a", "cmp_map_b", "cmp_change"]
    assert _folium_args(first) == _folium_args(second)
