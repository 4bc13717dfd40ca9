"""The Lagekarte's map payload: built once and shared (app_support/foliumcache.py, app_support/mapdata.py).

What must hold: the cached payload sends exactly what ``st_folium`` sends; one payload per store version,
filters, role and settings, shared by every session with the same key; the public role never gets a payload built
for another role; a new store version builds a new payload; the app's map loads its scripts as one bundle file.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from app_support.state import USER_KEY, LocalUser
from layers import assets


@pytest.fixture
def store_copy(demo_store, tmp_path, monkeypatch):
    """A private copy of the demo store (its version is changed by a test)."""
    path = tmp_path / "copy.gpkg"
    shutil.copyfile(demo_store.path, path)
    monkeypatch.setenv("LAGEBILD_STORE", str(path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    return path


def _payload_script() -> None:
    """Builds the Lagekarte payload for the session's role on fixed filters and keeps what the test checks."""
    import streamlit as st

    from app_pages.map_page import MAP_HEIGHT, MAP_KEY
    from app_support import state
    from app_support.foliumcache import show_map
    from app_support.mapdata import lagekarte_payload

    store = state.get_store()
    role = state.current_user().role
    payload = lagekarte_payload(store.version(), state.default_filters(), role, "syringe_find", 5, None,
                                key=MAP_KEY, height=MAP_HEIGHT)
    show_map(payload)
    st.session_state["payload_id"] = id(payload)
    st.session_state["token"] = store.version()


def _run(role: str) -> AppTest:
    at = AppTest.from_function(_payload_script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(role=role)
    at.run()
    assert not at.exception, at.exception
    return at


def _args(at: AppTest) -> dict:
    (component,) = at.get("component_instance")
    return json.loads(component.proto.json_args)


def test_payload_is_shared_per_role_and_rebuilt_for_a_new_store_version(store_copy):
    first = _run("analyse")
    again = _run("analyse")  # a new session with the same role, store version and settings
    assert again.session_state["payload_id"] == first.session_state["payload_id"]  # shared, not rebuilt
    analyst = _args(first)
    assert "LB.points" in analyst["feature_group"] and "drawTool" in analyst["script"]

    public = _run("oeffentlich")  # same filters and store version, other role
    assert public.session_state["payload_id"] != first.session_state["payload_id"]
    shown = _args(public)
    assert "LB.points" not in shown["feature_group"] and "LB.cells" in shown["feature_group"]
    assert "Spritzenfunde je Zelle (ab 5)" in shown["layer_control"]
    assert "drawTool" not in shown["script"]
    assert shown["feature_group"] != analyst["feature_group"]

    stat = os.stat(store_copy)  # any write changes the store's version (Store.version: inode, mtime, size)
    os.utime(store_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = _run("analyse")
    assert after.session_state["token"] != first.session_state["token"]
    assert after.session_state["payload_id"] != first.session_state["payload_id"]  # rebuilt
    assert _args(after)["feature_group"] == analyst["feature_group"]  # same content: nothing else changed


def _direct_script() -> None:
    """The same map sent by ``st_folium`` and by the cached path (different widget keys)."""
    from streamlit_folium import st_folium

    from app_support.foliumcache import build_payload, show_map
    from geo.core.area import leipziger_osten
    from layers.basemap import base_map
    from layers.elements import LayerControl, layer_group

    def parts():
        m = base_map(leipziger_osten(), tiles=None, legend_open=False)
        groups = [layer_group("Eins", ["L.layerGroup()"]),
                  layer_group("Zwei", ["L.layerGroup()"], show=False)]
        return m, groups, LayerControl(["Zwei"])

    m, groups, control = parts()
    st_folium(m, key="direct", height=300, use_container_width=True, feature_group_to_add=groups,
              layer_control=control, returned_objects=["all_drawings"], center=(51.34, 12.40), zoom=15)
    m, groups, control = parts()
    payload = build_payload(m, key="cached", height=300, feature_group_to_add=groups, layer_control=control,
                            returned_objects=["all_drawings"])
    show_map(payload, center=(51.34, 12.40), zoom=15)


def test_cached_payload_sends_what_st_folium_sends(store_copy):
    at = AppTest.from_function(_direct_script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser()
    at.run()
    assert not at.exception, at.exception
    direct, cached = (json.loads(c.proto.json_args) for c in at.get("component_instance"))
    assert set(direct) == set(cached)
    for name in set(direct) - {"key"}:  # the component key hashes the widget key, which differs here
        assert direct[name] == cached[name], name
    assert direct["center"] == [51.34, 12.40] and direct["zoom"] == 15


def test_bundle_holds_all_scripts_and_is_served_and_inlined(tmp_path):
    text = assets.bundle_script()
    for a in assets.assets():
        if a.is_js:
            assert a.source.read_text(encoding="utf-8") in text
    target = assets.ensure_static(tmp_path)
    assert (target / assets.bundle_file()).read_text(encoding="utf-8") == text
    js, css = assets.asset_urls("/base/", bundle=True)
    assert js == [(assets.BUNDLE_NAME, f"/base/{assets.bundle_file()}")]
    assert css == assets.asset_urls("/base/")[1]
    html = f'<script src="/base/{assets.bundle_file()}"></script>'
    inlined = assets.inline_assets(html, base="/base")
    assert inlined.startswith("<script>/*") and 'src="/base/' not in inlined
    assert "L.MarkerClusterGroup" in inlined and inlined.endswith("</script>")
