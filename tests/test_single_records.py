"""Single reports entered by hand: checked like an import, corrected and deleted with an audit trail."""

from __future__ import annotations

import shutil
from datetime import datetime

import pandas as pd
import pytest

from geo.core.errors import UserError
from geo.data import single_records as sr
from geo.data.store import Store

NOW = datetime(2026, 11, 10, 12, 0)


@pytest.fixture
def store(demo_store, tmp_path) -> Store:
    s = Store(tmp_path / "s.gpkg")
    shutil.copyfile(demo_store.path, s.path)
    return s


def _find(store, **kw):
    values = {"found_at": "09.11.2026 14:30", "count": 3, "source": "Stadtreinigung"} | kw.pop("values", {})
    return sr.add_report(store, "syringe_find", values, kw.pop("lat", "51,3452"), kw.pop("lon", 12.4050),
                         user="feld", now=NOW)


def test_add_a_find(store):
    n = store.count("syringe_find")
    res = _find(store)
    assert len(res.record_id) == 16 and res.message.startswith("Spritzenfund gespeichert")
    row = sr.get_report(store, "syringe_find", res.record_id)
    assert row["count"] == 3 and row["found_at"] == pd.Timestamp("2026-11-09 14:30") and store.count(
        "syringe_find") == n + 1
    assert store.audit_log().iloc[-1]["action"] == "import" and store.audit_log().iloc[-1]["user"] == "feld"


@pytest.mark.parametrize(("kw", "message"), [
    ({"values": {"found_at": "01.01.2027"}}, "Zukunft"),
    ({"values": {"count": 0}}, "Anzahl"),
    ({"lat": 52.52, "lon": 13.4}, "außerhalb"),
    ({"lat": "abc"}, "nicht lesbar"),
])
def test_bad_find_is_refused_and_nothing_stored(store, kw, message):
    n = store.count("syringe_find")
    with pytest.raises(UserError, match=message):
        _find(store, **kw)
    assert store.count("syringe_find") == n


def test_complaint_needs_a_known_category(store):
    with pytest.raises(UserError, match="Kategorie"):
        sr.add_report(store, "complaint", {"received_at": "2026-11-09", "category": "Wetter"}, 51.3452, 12.405,
                      user="x", now=NOW)
    res = sr.add_report(store, "complaint", {"received_at": "2026-11-09", "category": "Konsum", "text": "im Hof"},
                        51.3452, 12.405, user="x", now=NOW)
    assert sr.get_report(store, "complaint", res.record_id)["text"] == "im Hof"


def test_correct_replaces_and_logs(store):
    first = _find(store)
    n = store.count("syringe_find")
    fixed = sr.correct_report(store, "syringe_find", first.record_id, {"count": 5}, 51.3453, 12.4051, user="feld",
                              now=NOW)
    assert fixed.record_id != first.record_id and store.count("syringe_find") == n
    assert sr.get_report(store, "syringe_find", fixed.record_id)["count"] == 5
    with pytest.raises(UserError, match="Keine Spritzenfund-Meldung"):
        sr.get_report(store, "syringe_find", first.record_id)
    log = store.audit_log().iloc[-1]
    assert log["action"] == "delete" and f"Korrektur, ersetzt durch {fixed.record_id}" in log["detail"]
    with pytest.raises(UserError, match="ändert nichts"):
        sr.correct_report(store, "syringe_find", fixed.record_id, {}, 51.3453, 12.4051, user="feld", now=NOW)


def test_delete_needs_a_reason(store):
    res = _find(store)
    with pytest.raises(UserError, match="Grund"):
        sr.delete_report(store, "syringe_find", res.record_id, reason=" ", user="feld")
    sr.delete_report(store, "syringe_find", res.record_id, reason="doppelt erfasst", user="feld")
    assert "doppelt erfasst" in store.audit_log().iloc[-1]["detail"]
    with pytest.raises(UserError, match="nur Meldungen"):
        sr.add_report(store, "disposal_bin", {}, 51.3452, 12.405, user="x")
