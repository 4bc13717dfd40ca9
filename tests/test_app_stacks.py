"""The app and Sammelpunkte: the Daten page lists them, ``analyse`` may confirm or clear a flag
(audited), other roles only see them; the sidebar switch puts them into spatial statistics."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from streamlit.testing.v1 import AppTest

from geo.core.area import leipziger_osten
from geo.core.period import Period
from geo.data.ingest import import_file
from geo.data.store import Store

NOW = datetime(2026, 11, 22, 12, 0)


@pytest.fixture
def stack_store(tmp_path, monkeypatch) -> Store:
    from tests.test_stacks import city_file

    store = Store(tmp_path / "s.gpkg", leipziger_osten())
    import_file(city_file(tmp_path / "stadt.csv", seed=11), "syringe_find", store, now=NOW)
    monkeypatch.setenv("LAGEBILD_STORE", str(store.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    return store


def _page() -> None:
    from app_pages import data_page
    from app_support import state

    state.sidebar_filters()
    data_page.render()


def _run(role: str) -> AppTest:
    from app_support.state import USER_KEY, LocalUser

    at = AppTest.from_function(_page, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(name="anna", role=role)
    return at.run()


def _stack_rows(at: AppTest):
    return next(d.value for d in at.dataframe if "Hinweis" in d.value.columns)


def test_daten_page_lists_the_sammelpunkt_and_analyse_clears_it(stack_store):
    at = _run("analyse")
    assert not at.exception
    rows = _stack_rows(at)
    assert rows.iloc[0]["Hinweis"] == "Sammelpunkt" and rows.iloc[0]["Datensätze"] == 500
    assert (rows.iloc[0]["Breite"], rows.iloc[0]["Länge"]) == (51.353, 12.428)
    at.button(key="stack_confirm").click().run()
    assert any("Bestätigt" in s.value for s in at.success)
    at.button(key="stack_clear").click().run()
    assert not at.exception
    assert any("Markierung von 500 Datensätzen aufgehoben" in s.value for s in at.success)
    assert (stack_store.read("syringe_find")["location_flag"] == "").all()
    log = stack_store.audit_log()
    flags = log[log["action"] == "location_flag"]
    assert flags["user"].tolist() == ["anna", "anna"]
    assert "bestätigt" in flags["detail"].iloc[0] and "aufgehoben" in flags["detail"].iloc[1]


def test_rapport_sees_the_stacks_but_cannot_change_them(stack_store):
    at = _run("rapport")
    assert not at.exception
    assert len(_stack_rows(at)) == 1
    keys = {b.key for b in at.button}
    assert "stack_clear" not in keys and "stack_confirm" not in keys


def test_public_role_sees_no_stack_table(stack_store):
    at = _run("oeffentlich")
    assert not at.exception
    assert not any("Hinweis" in d.value.columns for d in at.dataframe)


def test_sidebar_switch_controls_spatial_records(stack_store):
    from app_support import state

    finds = stack_store.read("syringe_find")
    period = Period(date(2025, 1, 1), date(2025, 12, 31))
    assert len(state.spatial(finds, state.Filters(period))) == len(finds) - 500
    assert len(state.spatial(finds, state.Filters(period, keep_stacks=True))) == len(finds)
    assert state.Filters(period).key() != state.Filters(period, keep_stacks=True).key()


def test_import_with_the_date_order_choice(stack_store):
    text = "Datum;Breite;Länge\n03/04/2025;51,3439;12,4033\n05/06/2025;51,3440;12,4034\n"
    at = _run("analyse")
    at.selectbox(key="import_kind").set_value("syringe_find")
    at.file_uploader(key="import_file").upload("mehrdeutig.csv", text.encode("utf-8"), "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert len(at.error) == 1 and "Datum mehrdeutig" in at.error[0].value
    assert "Daten wie 03/04/2024" in at.error[0].value
    at.radio(key="import_date_order").set_value("Monat zuerst (MM/TT)")
    at.button(key="import_go").click().run()
    assert not at.error and any("2 gespeichert" in s.value for s in at.success)
    assert any("Datumsformat erkannt: MM/TT/JJJJ" in c.value for c in at.caption)
    stored = stack_store.read("syringe_find")
    assert {"2025-03-04", "2025-05-06"} <= set(stored["found_at"].dt.strftime("%Y-%m-%d"))
