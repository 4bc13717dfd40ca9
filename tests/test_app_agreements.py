"""AppTest of the pages Vereinbarungen and Meldung erfassen: list, roles, status in one click, single reports."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from geo.data.store import Store
from tests.apptables import html_tables


@pytest.fixture
def store(demo_store, tmp_path, monkeypatch) -> Store:
    s = Store(tmp_path / "s.gpkg")
    shutil.copyfile(demo_store.path, s.path)
    monkeypatch.setenv("LAGEBILD_STORE", str(s.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    monkeypatch.setenv("LAGEBILD_TODAY", "2026-11-10")
    return s


def _page(role: str = "analyse"):
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    def script() -> None:
        from app_pages import agreements

        agreements.render()

    at = AppTest.from_function(script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(name="anna", role=role)
    return at.run()


def _texts(at) -> str:
    return " ".join(str(x.value) for x in [*at.caption, *at.markdown, *at.success, *at.error, *at.info, *at.text])


def test_list_overdue_first_with_effects(store):
    at = _page()
    assert not at.exception
    df = _list(at)
    assert len(df) == 11 and df["Status"].iloc[0].endswith("überfällig") and df["Status"].iloc[1].endswith(
        "überfällig")
    # 14 export columns folded into seven, so all are readable at 1400 px (issue 17): kind and place under the
    # title, the dates in one column
    assert list(df.columns) == ["Nr.", "Vereinbarung", "zuständig", "Termine", "Status", "Notizen", "Wirkung"]
    assert df["Termine"].str.startswith("vereinbart\u00a0").all() and df["Termine"].str.contains("fällig\u00a0").all()
    assert (df["Vereinbarung"].str.split("\n").str.len() == 2).all()
    assert "Behälter Torgauer Platz: umgesetzt 01.11.2025 — Wirkung: −54 % Funde im Umkreis" in set(df["Wirkung"])
    assert "2 überfällig" in _texts(at)
    assert _red_rows(at) == {0, 1}  # the overdue ones highlighted, nothing else


def _list(at) -> pd.DataFrame:
    """The list of agreements as text cells (a static HTML table, :mod:`app_support.htmltable`)."""
    return html_tables(at)["agreements"]


def _red_rows(at) -> set[int]:
    """Rows of the list with the overdue highlight (the inline style of their ``<tr>``)."""
    from geo.core.schema import OVERDUE_COLOUR

    body = next(e.proto.body for e in at.get("html") if 'data-table="agreements"' in e.proto.body)
    rows = re.findall(r"<tr(?: style=\"([^\"]*)\")?>", body.split("<tbody>", 1)[1])
    return {i for i, style in enumerate(rows) if OVERDUE_COLOUR.lower() in style.lower() and "#ffebee" in style}


def test_filters_open_overdue_and_body(store):
    at = _page()
    at.radio(key="agreements_show").set_value("überfällig").run()
    assert len(_list(at)) == 2 and _red_rows(at) == {0, 1}
    at.radio(key="agreements_show").set_value("offen").run()
    at.multiselect(key="agreements_bodies").set_value(["Stadtreinigung"]).run()
    df = _list(at)
    assert list(df["zuständig"]) == ["Stadtreinigung"] and len(df) == 1 and _red_rows(at) == set()


def test_public_role_sees_only_public_agreements_without_notes(store):
    at = _page("oeffentlich")
    assert not at.exception
    df = _list(at)
    assert len(df) == 9 and "Notizen" not in df.columns
    assert "Spielplatz Rabet" not in " ".join(df["Vereinbarung"])
    assert not at.button  # no status buttons, no form
    assert "Öffentliche Ansicht" in _texts(at)


def test_status_change_in_one_click_is_audited(store):
    at = _page()
    at.selectbox(key="status_pick").set_value(8).run()
    at.button(key="status_to_done").click().run()
    assert not at.exception
    row = store.agreements().set_index("agreement_id").loc[8]
    assert row["status"] == "done" and row["measure_id"]
    log = store.audit_log().iloc[-1]
    assert log["user"] == "anna" and "status: in_progress → done" in log["detail"]
    assert "Vereinbarung Nr. 8: umgesetzt." in _texts(at)


def test_form_without_place_gives_a_german_message(store):
    at = _page()
    before = store.version()
    form_inputs = [t for t in at.text_input if t.label == "Titel"]
    form_inputs[0].set_value("Neue Vereinbarung")
    at.button[-1].click().run()  # the form's submit button comes last
    assert "Kein Ort angegeben" in _texts(at)
    assert store.version() == before


def test_form_with_due_before_agreed_gives_a_german_message(store):
    from datetime import date

    at = _page()
    before, log = store.version(), len(store.audit_log())
    [t for t in at.text_input if t.label == "Titel"][0].set_value("Mauer erhöhen")
    [s for s in at.selectbox if s.label == "oder sensibler Ort"][0].set_value("Kita Köhlerplatz")
    [d for d in at.date_input if d.label == "vereinbart am"][0].set_value(date(2026, 11, 10))
    [d for d in at.date_input if d.label == "fällig bis"][0].set_value(date(2026, 10, 1))
    at.button[-1].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Die Frist (01.10.2026) liegt vor dem Datum der Vereinbarung (10.11.2026)."]
    assert store.version() == before and len(store.audit_log()) == log


def test_form_with_sensitive_place_stores_it(store):
    at = _page()
    [t for t in at.text_input if t.label == "Titel"][0].set_value("Mauer erhöhen")
    [s for s in at.selectbox if s.label == "oder sensibler Ort"][0].set_value("Kita Köhlerplatz")
    [s for s in at.selectbox if s.label == "zuständig"][0].set_value("Jugendamt")
    at.button[-1].click().run()
    assert not at.exception
    row = store.agreements().iloc[-1]
    assert row["title"] == "Mauer erhöhen" and row["place"] == "Kita Köhlerplatz" and row["responsible"] == "Jugendamt"


def test_report_form_adds_a_find_by_coordinates(store):
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    def script() -> None:
        from app_pages import report_form

        report_form.render()

    at = AppTest.from_function(script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(name="feld", role="rapport")
    at.run()
    n = store.count("syringe_find")
    at.text_input(key="report_lat").set_value("51,3452")
    at.text_input(key="report_lon").set_value("12,4050")
    at.number_input(key="add_count").set_value(4)
    at.button[0].click().run()
    assert not at.exception
    assert store.count("syringe_find") == n + 1
    assert any("Spritzenfund gespeichert" in str(s.value) for s in at.success)
    at2 = AppTest.from_function(script, default_timeout=180)
    at2.session_state[USER_KEY] = LocalUser(name="gast", role="oeffentlich")
    at2.run()
    assert "nur die Rollen" in " ".join(str(i.value) for i in at2.info)


def test_form_with_a_suggested_bin_site_or_hotspot(store):
    at = _page()
    at.toggle(key="agreement_analysis").set_value(True).run()
    pick = at.selectbox(key="agreement_place_pick")
    options = list(pick.options)
    hot = [o for o in options if o.startswith("Hotspot Nr. 1 (")]
    sites = [o for o in options if o.startswith("Behälter-Vorschlag")]
    assert hot and 1 <= len(sites) <= 5
    [t for t in at.text_input if t.label == "Titel"][0].set_value("Neuer Behälter")
    pick.set_value(sites[0])
    at.button[-1].click().run()
    assert not at.exception
    row = store.agreements().iloc[-1]
    assert row["title"] == "Neuer Behälter" and row["place"] == sites[0] and row.geometry.geom_type == "Point"


def test_form_with_a_forecast_area(store):
    from datetime import date

    from geo.analysis.forecast import forecast, forecast_areas
    from geo.core.period import Period
    from geo.data.agreements import forecast_places

    at = _page()
    at.toggle(key="agreement_analysis").set_value(True).run()
    assert not at.exception
    pick = at.selectbox(key="agreement_place_pick")
    assert pick.label == "oder sensibler Ort, Hotspot, Prognosefläche, Behälter-Vorschlag"
    areas = [o for o in pick.options if o.startswith("Prognosefläche Nr. ")]
    # the sidebar's period (the last Rapport period, Sep–Oct 2026) → the forecast for Nov–Dec 2026
    assert areas[0] == "Prognosefläche Nr. 1 (01.11.2026 – 31.12.2026)" and 1 < len(areas) <= 10
    [t for t in at.text_input if t.label == "Titel"][0].set_value("Streetwork im Prognosegebiet")
    [s for s in at.selectbox if s.label == "Art der Maßnahme"][0].set_value("streetwork")
    [s for s in at.selectbox if s.label == "zuständig"][0].set_value("Streetwork")
    pick.set_value(areas[0])
    at.button[-1].click().run()
    assert not at.exception and not at.error
    row = store.agreements().iloc[-1]
    assert row["title"] == "Streetwork im Prognosegebiet" and row["place"] == areas[0]
    assert row["kind"] == "streetwork"
    top = forecast_places(forecast_areas(forecast(store.read("syringe_find"), "syringe_find", store.area,
                                                  Period(date(2026, 9, 1), date(2026, 10, 31))))).geometry.iloc[0]
    assert row.geometry.symmetric_difference(top).area < 1.0 and row.geometry.area > 50_000


def test_report_form_finds_a_typed_place_or_says_it_does_not_know_it(store):
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    def script() -> None:
        from app_pages import report_form

        report_form.render()

    at = AppTest.from_function(script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(name="feld", role="rapport")
    at.run()
    at.text_input(key="report_address").set_value("Kita Köhlerplatz").run()
    at.button(key="report_address_go").click().run()
    assert not at.exception and not at.error
    lat = float(at.text_input(key="report_lat").value.replace(",", "."))
    lon = float(at.text_input(key="report_lon").value.replace(",", "."))
    assert 51.33 < lat < 51.36 and 12.385 < lon < 12.44
    at.text_input(key="report_address").set_value("Nirgendwostraße 5").run()
    at.button(key="report_address_go").click().run()
    assert "nicht gefunden" in at.error[0].value


def _with_base(store: Store) -> None:
    """A few buildings and a street as the store's base map (as `lagebild basemap import` leaves them)."""
    import geopandas as gpd
    import shapely

    c = store.area.boundary.centroid
    rows = [("building", "", "Eisenbahnstraße", str(n), shapely.box(c.x + 20 * n, c.y + 15, c.x + 20 * n + 12,
                                                                    c.y + 27)) for n in range(1, 6)]
    rows.append(("street", "Eisenbahnstraße", "", "", shapely.LineString([(c.x - 100, c.y), (c.x + 300, c.y)])))
    store.write_base("test", gpd.GeoDataFrame(rows, columns=["theme", "name", "street", "housenumber", "geometry"],
                                              crs=store.area.crs))


def _map_script(at) -> str:
    import json

    (comp,) = at.get("component_instance")
    return json.loads(comp.proto.json_args)["script"]


def _fit(script: str) -> tuple[float, float, float, float]:
    s, w, n, e = map(float, re.search(r"LB\.keepFit\([^,]+, \[\[([\d.]+),([\d.]+)\],\[([\d.]+),([\d.]+)\]\]\)",
                                      script).groups())
    return s, w, n, e


def _report_form(store):
    """The page 'Meldung erfassen' for a rapport user, with the base map imported, after one run."""
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    _with_base(store)

    def script() -> None:
        from app_pages import report_form

        report_form.render()

    at = AppTest.from_function(script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(name="feld", role="rapport")
    at.run()
    assert not at.exception, at.exception
    return at


def test_report_form_and_agreements_maps_show_the_base_map_fitted_to_the_data(store):
    """'Meldung erfassen' was an empty box at 1 km scale ("auf die Karte tippen" – where?) and the
    Vereinbarungen map far out without buildings: both show the base map and open fitted to the data."""
    at = _report_form(store)
    area = store.area.boundary_display.bounds  # minx, miny, maxx, maxy
    for page_at in (at, _page("rapport")):
        assert not page_at.exception, page_at.exception
        script_text = _map_script(page_at)
        assert re.search(r'LB\.base\("[0-9a-f]+", "building"', script_text)  # the buildings layer
        s, w, n, e = _fit(script_text)
        assert area[1] <= s < n <= area[3] and area[0] <= w < e <= area[2]
        # closer than the whole study area (which opened at 1 km scale)
        assert (n - s) * (e - w) < 0.8 * (area[3] - area[1]) * (area[2] - area[0])


def test_new_agreement_is_due_by_the_next_rapport_not_today(store):
    """"fällig bis" defaulted to today, the same as "vereinbart am": a new agreement is due at the next
    Rapport (two months on)."""
    from datetime import date

    from geo.data.agreements import default_due

    assert default_due(date(2026, 11, 10)) == date(2027, 1, 10)
    assert default_due(date(2026, 12, 31)) == date(2027, 2, 28)
    at = _page()
    dates = {d.label: d.value for d in at.date_input}
    assert dates["vereinbart am"] == date(2026, 11, 10)  # $LAGEBILD_TODAY
    assert dates["fällig bis"] == date(2027, 1, 10)


def test_report_correction_lists_records_by_date_place_and_count(store):
    """'Meldung korrigieren' listed records as "31.10.2026 22:05 · afc6f114e6bf4427" (a hash): it names
    the place (from the base map) and what was reported."""
    at = _report_form(store)
    options = at.selectbox(key="report_fix_id").options
    assert options and all(re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d · .+ · \d+ Spritzen?", o) for o in options), \
        options[:3]
    assert not any(re.search(r"[0-9a-f]{16}", o) for o in options), options[:3]
