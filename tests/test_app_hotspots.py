"""The Lagekarte names its hotspots: the "Top-Hotspots" table and the hotspot popups (AppTest)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.analysis.hotspots import hotspot_analysis
from geo.analysis.placenames import name_hotspots, top_hotspots
from geo.core import fmt
from geo.core.period import Period
from geo.data.store import Store
from geo.report.keychanges import HOTSPOT_TEST_HELP, hotspot_changes, hotspot_table
from geo.report.places import store_place_context
from layers.escape import escape_text
from tests.apptables import html_tables

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RAPPORT = Period(date(2026, 9, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def store(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("app-hot") / "app.gpkg"
    shutil.copyfile(demo_store.path, path)
    old = os.environ.get("LAGEBILD_STORE")
    os.environ["LAGEBILD_STORE"] = str(path)
    yield Store(path)
    if old is None:
        os.environ.pop("LAGEBILD_STORE", None)
    else:
        os.environ["LAGEBILD_STORE"] = old


def test_top_hotspots_table_and_popups_name_the_hotspots(store):
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert "Top-Hotspots" in [s.value for s in at.subheader]
    table = html_tables(at)["top_hotspots"]
    assert list(table.columns) == ["Rang", "Ort", "Funde", "Spritzen", "Veränderung", "Bewertung"]
    finds = store.read("syringe_find", RAPPORT)
    hs = hotspot_analysis(finds, store.area, weight="count")
    groups, _ = name_hotspots(hs.cells, store_place_context(store))
    expected = top_hotspots(groups, finds, store.read("syringe_find", RAPPORT.previous()))
    assert table["Rang"].tolist() == [str(i) for i in range(1, len(expected) + 1)]
    assert table["Ort"].tolist() == expected["place"].tolist()
    assert table["Funde"].tolist() == [fmt.number(v) for v in expected["finds"]]
    changes = hotspot_changes(expected, RAPPORT.days, RAPPORT.previous().days)
    # the number of finds more or fewer; an arrow only where the same test as for the key figures finds a change
    assert [t.removeprefix("▲ ").removeprefix("▼ ") for t in table["Veränderung"]] == [
        fmt.number(c, sign=True) for c in expected["change"]]
    assert [t[0] in "▲▼" for t in table["Veränderung"]] == [c.arrow for c in changes]
    assert table["Bewertung"].tolist() == [c.explanation for c in changes]
    # issue 17: the Vergleich page shows this very table (hotspot_table), and says that it tests the whole area
    assert table.to_dict("list") == hotspot_table(expected, "syringe_find", RAPPORT.days,
                                                  RAPPORT.previous().days).to_dict("list")
    assert table["Ort"].is_unique, table["Ort"].tolist()  # ranks 5 and 9 were both »bei Spielplatz …«
    body = "".join(h.proto.body for h in at.get("html") if 'data-table="top_hotspots"' in h.proto.body)
    assert f'title="{escape_text(HOTSPOT_TEST_HELP)}">Bewertung<' in body
    assert any(not c.arrow for c in changes)  # the demo has changes within chance
    assert (table["Ort"] != "").all()
    # without a base map the names come from the sensitive places of the demo
    assert any("Rabet" in name for name in table["Ort"])
    (component,) = at.get("component_instance")
    args = json.loads(component.proto.json_args)
    layers = args["feature_group"]
    assert '"l":"Hotspot"' in layers.replace(" ", "")  # the popup row "Hotspot: <name>"
    assert json.dumps(expected["place"].iloc[0])[1:-1] in layers  # the popups carry the names
