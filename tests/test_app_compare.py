"""The Vergleich page (app_pages/compare.py) in Streamlit's AppTest on the demo store."""

from __future__ import annotations

from datetime import date

import pytest

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
    dates = {d.label: d.value for d in at.date_input}
    assert (date(2026, 9, 1), date(2026, 10, 31)) in [tuple(v) for v in dates.values()], dates
    # the per-place summary lists the demo's sensitive places
    frames = [d.value for d in at.dataframe]
    assert any(f.astype(str).apply(lambda c: c.str.contains("Kita Köhlerplatz")).any().any() for f in frames)


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
    assert list(table.columns) == ["Karte", "gewählt", "PAI", "± Streuung", "Trefferquote (%)", "Stabilität (RRI)",
                                   "Zeiträume"]
    assert (table["gewählt"] == "✔").sum() == 1
    assert table["Karte"].str.contains("Zeitgewichtung").any() and table["Karte"].str.contains("Kerndichte").any()
