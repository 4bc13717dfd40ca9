"""The Tageszeiten page (app_pages/times_page.py) in Streamlit's AppTest on the demo store."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit.testing.v1")


def _page():  # the script AppTest runs
    from app_pages import times_page
    from app_support import state

    state.sidebar_filters()
    times_page.render()


@pytest.fixture
def app(run_page):
    return lambda role="analyse": run_page(_page, role)


def test_times_tab_shows_slots_and_comparison(app):
    at = app()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [t.label for t in at.tabs] == ["Tageszeiten", "Wiederholungsorte"]
    text = " ".join(m.value for m in at.markdown)
    assert "Vorschlag für Präsenz und Streetwork:" in text and "Uhr" in text
    assert any("Vergleich mit" in m.value for m in at.markdown)
    where = at.selectbox(key="tz_where")
    assert "Gesamtgebiet" in where.options and "Hotspot 1" in where.options
    assert "Stadtteilpark Rabet" in where.options
    # a sensitive place: the sentence names it
    where.set_value("Stadtteilpark Rabet").run()
    assert not at.exception, at.exception
    assert any("bei Stadtteilpark Rabet" in m.value for m in at.markdown)
    at.radio(key="tz_multiples").set_value("hotspots").run()
    assert not at.exception, at.exception


def test_repeat_places_tab(app):
    at = app()
    at.session_state["tz_tabs"] = "Wiederholungsorte"
    at.run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "Gini-Koeffizient" in labels and "Top 5 % der Zellen" in labels
    frames = [d.value for d in at.dataframe]
    assert any("Trend" in f.columns for f in frames)


def test_public_role_sees_no_analysis(app):
    at = app("oeffentlich")
    assert not at.exception
    assert [i.value for i in at.info] == ["Diese Seite steht nur den Partnern des Drogenrapports zur Verfügung."]
