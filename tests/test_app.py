"""Streamlit AppTest of the app's logic: period presets, filters, key figures, sensitive
places table (and zoom), drawn area, measures, Daten page (upload with rejects, limits,
history, exports)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from app_pages import data_page, map_page
from app_support import files, state
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.schema import MEASURE_KINDS
from geo.data.store import Store
from geo.report.figures import format_change, format_number, measures_list, sensitive_place_table
from tests.apptables import html_tables

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RAPPORT = Period(date(2026, 9, 1), date(2026, 10, 31))
QUARTER = Period(date(2026, 7, 1), date(2026, 9, 30))


@pytest.fixture(scope="module")
def store(demo_store, tmp_path_factory) -> Store:
    """A private copy of the demo store (the Daten tests import into it)."""
    path = tmp_path_factory.mktemp("app") / "app.gpkg"
    shutil.copyfile(demo_store.path, path)
    old = os.environ.get("LAGEBILD_STORE")
    os.environ["LAGEBILD_STORE"] = str(path)
    yield Store(path)
    if old is None:
        os.environ.pop("LAGEBILD_STORE", None)
    else:
        os.environ["LAGEBILD_STORE"] = old


def _app(store: Store) -> AppTest:
    assert os.environ["LAGEBILD_STORE"] == str(store.path)
    at = AppTest.from_file(APP, default_timeout=180)
    return at.run()


def _data_page_script() -> None:
    """The Daten page as the app runs it (sidebar filters first)."""
    from app_pages import data_page
    from app_support import state

    state.login()
    state.sidebar_filters()
    data_page.render()


def _data_page(store: Store) -> AppTest:
    assert os.environ["LAGEBILD_STORE"] == str(store.path)
    return AppTest.from_function(_data_page_script, default_timeout=180).run()


def _map_args(at: AppTest) -> dict:
    """The arguments the map component received (scripts of base map, layers, layer control)."""
    import json

    (component,) = at.get("component_instance")
    return json.loads(component.proto.json_args)


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def _delta(now: int, before: int, period: Period) -> str:
    """The metric's delta text (geo.report.keychanges; the verdict is the delta's description)."""
    from geo.report.keychanges import count_change

    return count_change(now, before, period.days, period.previous().days).text


def _finds(store: Store, period: Period):
    return store.read("syringe_find", period)


def test_rapport_period_is_the_default_and_figures_match_the_store(store):
    at = _app(store)
    assert not at.exception and not at.error
    assert at.selectbox(key=state.K_PRESET).value == "letzter Rapport-Zeitraum (2 Monate)"
    assert "01.09.2026 – 31.10.2026" in at.caption[0].value
    finds, before = _finds(store, RAPPORT), _finds(store, RAPPORT.previous())
    complaints = store.read("complaint", RAPPORT)
    m = _metrics(at)
    assert m["Spritzenfunde"] == (format_number(len(finds)), _delta(len(finds), len(before), RAPPORT))
    assert m["Spritzenfunde"][1].startswith(format_change(len(finds), len(before)))
    assert m["Spritzen"][0] == format_number(finds["count"].sum())
    assert m["Beschwerden"][0] == format_number(len(complaints))
    assert int(m["Hotspots"][0].replace(".", "")) > 0
    # the map: offline assets, stable base map, the layers as feature groups
    args = _map_args(at)
    assert all(u.startswith("/app/static/lagebild/") for u in args["js_links"] + args["css_links"])
    assert "var drawnItems = LB.drawTool(" in args["script"]
    for name in ("Kerndichte", "Hotspot-Zellen", f"Spritzenfunde ({format_number(len(finds))})",
                 "besonders sensible Orte (7)", "LB.applyHidden"):
        assert name in args["layer_control"]
    assert args["feature_group"].count("LB.points(") == 3 and args["returned_objects"] == ["all_drawings"]
    assert args["script"] == _map_args(at.run())["script"]  # base map unchanged across reruns


def test_presets_and_free_range_change_all_numbers(store):
    at = _app(store)
    at.selectbox(key=state.K_PRESET).set_value("letztes Quartal").run()
    assert _metrics(at)["Spritzenfunde"][0] == format_number(len(_finds(store, QUARTER)))
    at.selectbox(key=state.K_PRESET).set_value("letzte 12 Monate").run()
    year = Period(date(2025, 11, 1), date(2026, 10, 31))
    assert _metrics(at)["Spritzenfunde"][0] == format_number(len(_finds(store, year)))
    at.selectbox(key=state.K_PRESET).set_value(state.FREE_RANGE).run()
    at.date_input(key=state.K_FROM).set_value(date(2026, 3, 1))
    at.date_input(key=state.K_TO).set_value(date(2026, 3, 31)).run()
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    finds, before = _finds(store, march), _finds(store, march.previous())
    assert _metrics(at)["Spritzenfunde"] == (format_number(len(finds)), _delta(len(finds), len(before), march))
    assert not at.exception
    # a start after the end: a German message, and no figures for any period
    at.date_input(key=state.K_FROM).set_value(date(2026, 4, 15)).run()
    assert any("Beginn 15.04.2026 liegt nach dem Ende 31.03.2026" in e.value for e in at.error)
    assert not at.metric and not at.exception


def test_kind_category_and_source_filters(store):
    at = _app(store)
    at.multiselect(key=state.K_CATEGORIES).set_value(["Drogenhandel"]).run()
    complaints = store.read("complaint", RAPPORT)
    assert _metrics(at)["Beschwerden"][0] == format_number((complaints["category"] == "Drogenhandel").sum())
    at.multiselect(key=state.K_SOURCES).set_value(["Polizei"]).run()
    finds = _finds(store, RAPPORT)
    assert _metrics(at)["Spritzenfunde"][0] == format_number((finds["source"] == "Polizei").sum())
    at.multiselect(key=state.K_KINDS).set_value(["syringe_find"]).run()
    assert "Beschwerden" not in _metrics(at) and "Spritzenfunde" in _metrics(at)
    assert not at.exception


def test_sensitive_places_table_threshold_and_zoom_on_selection(store):
    at = _app(store)
    places = store.read("sensitive_place")
    expected = sensitive_place_table(places, _finds(store, RAPPORT), store.read("complaint", RAPPORT),
                                     _finds(store, RAPPORT.previous()), store.read("complaint", RAPPORT.previous()))
    table = html_tables(at)["places"]  # a static HTML table: no data-grid code for a new session to load
    assert table["Name"].tolist() == expected["name"].tolist()
    assert table["Spritzenfunde"].tolist() == [format_number(v) for v in expected["finds"]]
    assert (table["auffällig"] == "⚠ auffällig").sum() == int(expected["flagged"].sum())
    n_flagged = int(expected["flagged"].sum())
    assert n_flagged > 1 and any(c.value.endswith(f"(Funde + Beschwerden): {n_flagged} Orte.") for c in at.caption)
    at.number_input(key=map_page.THRESHOLD_KEY).set_value(1000).run()
    assert (html_tables(at)["places"]["auffällig"] == "").all()
    assert any(c.value.endswith("(Funde + Beschwerden): 0 Orte.") for c in at.caption)  # not »0 Ort(e)«
    # choosing a place under the table centres the map on it
    name = table["Name"].iloc[1]
    at.selectbox(key=map_page.TABLE_KEY).set_value(name).run()
    view = at.session_state[map_page.VIEW_KEY]
    lat, lon = expected.set_index("name").loc[name, ["lat", "lon"]]
    assert view["zoom"] == map_page.PLACE_ZOOM
    assert view["center"][0] == pytest.approx(lat, abs=1e-6) and view["center"][1] == pytest.approx(lon, abs=1e-6)


def test_hotspot_tile_names_the_kind_of_its_hotspots(store):
    """Issue 17 walk: with »Hotspots und Dichte für: Beschwerden« the tile still said only »Hotspots« (2, where the
    finds have 9), under the finds' figures."""
    at = _app(store)
    assert "Hotspots" in _metrics(at)
    at.selectbox(key=map_page.HOTSPOT_KIND_KEY).set_value("complaint").run()
    assert not at.exception
    labels = set(_metrics(at))
    assert "Hotspots (Beschwerden)" in labels and "Hotspots" not in labels
    # the handout keeps the finds' hotspots (its tables count finds and syringes): it listed the complaints'
    # hotspot areas with the finds in them, 2 hotspots against the Lagekarte's 9
    handout = AppTest.from_function(_lagekarte_handout_script, default_timeout=180)
    handout.session_state[map_page.HOTSPOT_KIND_KEY] = "complaint"
    handout.run()
    assert not handout.exception, handout.exception
    assert handout.session_state["handout_hotspots"] == int(_metrics(_app(store))["Hotspots"][0]) > 2


def _lagekarte_handout_script() -> None:
    """The Lagekarte; then its handout's deferred callable runs with ``build_handout`` replaced by a spy that keeps
    the number of hotspots it was given (in ``session_state["handout_hotspots"]``)."""
    import streamlit as st
    from streamlit.runtime import Runtime

    from app_pages import map_page
    from app_support import state
    from geo.report import handout
    from geo.report.figures import count_hotspots

    state.login()
    state.sidebar_filters()
    map_page.render()
    seen: dict = {}
    real = handout.build_handout
    handout.build_handout = lambda *a, **kw: seen.update(kw) or b"%PDF"
    try:
        for entry in list(Runtime.instance().media_file_mgr._deferred_callables.values()):
            if str(entry["filename"]).endswith(".pdf"):
                entry["callable"]()
    finally:
        handout.build_handout = real
    st.session_state["handout_hotspots"] = count_hotspots(seen["hotspots"].cells)


def test_drawn_polygon_restricts_figures_and_tables(store):
    at = _app(store)
    finds = _finds(store, RAPPORT)
    poly_m = shapely.Point(finds.geometry.x.median(), finds.geometry.y.median()).buffer(400)
    poly = gpd.GeoSeries([poly_m], crs=store.area.crs).to_crs("EPSG:4326").iloc[0]
    drawing = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(poly)}
    at.session_state[map_page.MAP_KEY] = {"all_drawings": [drawing]}
    at.run()
    inside = shapely.intersects(poly_m, finds.geometry.values).sum()
    assert 0 < inside < len(finds)
    assert _metrics(at)["Spritzenfunde"][0] == format_number(inside)
    assert any("gezeichnete Fläche" in i.value for i in at.info)
    n_places = shapely.intersects(poly_m, store.read("sensitive_place").geometry.values).sum()
    assert len(html_tables(at)["places"]) == n_places
    at.session_state[map_page.MAP_KEY] = {"all_drawings": []}  # deleted on the map
    at.run()
    assert _metrics(at)["Spritzenfunde"][0] == format_number(len(finds))


def test_measures_list_of_the_period(store):
    at = _app(store)
    expected = measures_list({k: store.read(k, RAPPORT) for k in MEASURE_KINDS}, RAPPORT)
    shown = html_tables(at)["measures"]
    assert len(shown) == len(expected) > 0
    assert shown["Maßnahme"].tolist() == expected["measure"].tolist()
    assert [b.label for b in at.get("download_button")] == ["Handout (PDF)"]


def test_daten_counts_agree_with_the_maps(store):
    """Issue 17: the Daten page counted 4 bins while the maps showed the 3 active ones. Now it shows both
    numbers (stored, in the period by the maps' rule) and says why they differ."""
    import json

    from geo.core.schema import DISPOSAL_BIN, KINDS

    bins_label = KINDS[DISPOSAL_BIN].label_plural
    stored, active = store.count(DISPOSAL_BIN), len(store.read(DISPOSAL_BIN, RAPPORT))
    assert (stored, active) == (4, 3)  # the demo's Lene-Voigt-Park bin was removed on 30.06.2025
    at = _data_page(store)
    assert not at.exception
    table = html_tables(at)["stored"].set_index("Art")
    assert table.loc[bins_label, ["gespeichert", "im Zeitraum"]].tolist() == ["4", "3"]
    assert table.loc[KINDS["syringe_find"].label_plural, "im Zeitraum"] == format_number(len(_finds(store, RAPPORT)))
    captions = [c.value for c in at.caption]
    assert f"{bins_label}: 4 gespeichert, davon 3 im Zeitraum aktiv (1 vor dem Zeitraum entfernt)." in captions
    # the same 3 on the Lagekarte: its bin layer and its list of measures
    lagekarte = _app(store)
    assert json.dumps(f"{bins_label} (3)") in _map_args(lagekarte)["layer_control"]  # JS string, umlaut escaped
    measures = html_tables(lagekarte)["measures"]
    assert (measures["Maßnahme"] == KINDS[DISPOSAL_BIN].label).sum() == 3


def test_public_role_sees_only_published_cells(store, monkeypatch):
    from app_support import login
    from geo.data.auth import User

    monkeypatch.setattr(login, "require_login", lambda: User("gast", "oeffentlich"))
    at = _app(store)
    assert not at.exception and not at.error
    assert _metrics(at)["Spritzenfunde"][0] == format_number(len(_finds(store, RAPPORT)))
    assert "Hotspots" not in _metrics(at)
    assert not html_tables(at) and not at.dataframe  # no places, no measures
    assert any("nur als Zellen" in c.value for c in at.caption)
    args = _map_args(at)
    assert "Spritzenfunde je Zelle (ab 5)" in args["layer_control"]
    assert "LB.points" not in args["feature_group"] and "LB.cells" in args["feature_group"]
    assert "drawTool" not in args["script"]  # no drawing: small areas would reveal single finds
    assert at.get("download_button")[0].proto.disabled


# ---------------------------------------------------------------------------- Daten page
GOOD_AND_BAD = (
    "Datum;Breite;Länge;Anzahl;Quelle\n"
    "03.10.2026 10:00;51,3452;12,4050;2;Polizei\n"
    "04.10.2026 11:00;51,3455;12,4060;1;=HYPERLINK(\"http://x\")\n"
    "kein Datum;51,3452;12,4050;2;Polizei\n"
    "05.10.2026 12:00;99,0;12,4050;2;Polizei\n"
)


def test_upload_shows_stored_and_rejected_rows(store):
    at = _data_page(store)
    assert not at.exception
    n_before = store.count("syringe_find")
    at.selectbox(key="import_kind").set_value("syringe_find")
    at.file_uploader(key="import_file").upload("funde.csv", GOOD_AND_BAD.encode("utf-8"), "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error
    assert any("2 gespeichert" in w.value and "2 abgelehnt" in w.value for w in at.warning)
    assert store.count("syringe_find") == n_before + 2
    reasons, rejects = at.dataframe[0].value, at.dataframe[1].value
    assert reasons["Anzahl"].astype(int).sum() == 2 and len(rejects) == 2
    assert list(rejects.columns[:2]) == ["Zeile", "Grund"] and rejects["Zeile"].tolist() == ["3", "4"]
    labels = [b.label for b in at.get("download_button")]
    assert "Abgelehnte Zeilen als CSV" in labels
    history = html_tables(at)["history"]
    assert history.iloc[0]["Datei"] == "funde.csv" and history.iloc[0]["abgelehnt"] == "2"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", history.iloc[0]["Zeitpunkt"])  # German, not ISO
    # the new finds count on the map page at once (cache keyed on the store's content)
    at = _app(store)
    assert _metrics(at)["Spritzenfunde"][0] == format_number(len(_finds(store, RAPPORT)))


def test_upload_refused_file_and_size_limit(store, monkeypatch):
    at = _data_page(store)
    at.file_uploader(key="import_file").upload("kaputt.gpkg", b"not a geopackage at all", "application/octet-stream")
    at.run()
    at.button(key="import_go").click().run()
    assert len(at.error) == 1 and not at.exception
    monkeypatch.setattr(files, "MAX_UPLOAD_MB", 0.00001)
    at.button(key="import_go").click().run()
    assert "erlaubt sind höchstens" in at.error[0].value


def test_check_upload_size_and_rejects_csv():
    files.check_upload_size(1000, 1)
    with pytest.raises(UserError, match="höchstens 1 MB"):
        files.check_upload_size(2 * 1024**2, 1)
    with pytest.raises(UserError, match="leer"):
        files.check_upload_size(0, 1)
    import pandas as pd

    csv = data_page.rejects_csv(pd.DataFrame({"Quelle": ["=cmd|' /C calc'!A0", "ok"], "Grund": ["x", "y"]}))
    assert csv.startswith("\ufeff".encode()) and b"'=cmd" in csv and b";" in csv
    rej = data_page.rejects_csv(pd.DataFrame({"row": [3], "reason": ["Datum nicht lesbar"], "Datum": ["x"]}))
    assert rej.decode("utf-8-sig").splitlines()[0] == "Zeile;Grund;Datum"


def test_export_section_offers_filtered_records_and_map(store):
    at = _data_page(store)
    labels = [b.label for b in at.get("download_button")]
    n = len(_finds(store, RAPPORT))
    assert f"{n} Datensätze herunterladen" in labels
    assert "Aktuelle Karte als HTML-Datei" in labels
    gdf = _finds(store, RAPPORT)
    csv = files.export_bytes(gdf, ".csv").decode("utf-8-sig")
    assert csv.count("\n") == len(gdf) + 1
    geo = files.export_bytes(gdf, ".geojson")
    assert geo.startswith(b"{") and np.isclose(len(gpd.read_file(io_bytes(geo))), len(gdf))


def io_bytes(data: bytes):
    import io

    return io.BytesIO(data)


def test_forecast_layer_is_on_the_map_but_off_by_default(store):
    import re

    at = _app(store)
    assert not at.exception
    args = _map_args(at)
    found = re.search(r'"Prognose n\\u00e4chster Zeitraum \((\d+)\)" : (\w+),', args["layer_control"])
    assert found, args["layer_control"]
    assert int(found.group(1)) > 0
    group = found.group(2)
    fg = args["feature_group"]
    assert f"{group} = L.featureGroup(" in fg and fg.count("LB.cells(") >= 2  # hot spots and forecast
    assert f"{group}.addTo(map_div)" not in fg  # switched off until the user turns it on
    assert "feature_group_feature_group_1.addTo(map_div)" in fg  # the others are on
