"""The online background: one list of providers, how a setting picks one, the offline fallback in the page."""

from __future__ import annotations

import pytest

from geo.core.area import leipziger_osten, load_area
from layers.basemap import base_map
from layers.tiles import PROVIDERS, configured_provider, provider_for

AREA = leipziger_osten()


def test_default_is_basemap_de_grey_with_cc_by_attribution():
    p = provider_for(None)
    assert p is PROVIDERS["basemapde"]
    assert "de_basemapde_web_raster_grau" in p.url and "{z}/{y}/{x}" in p.url
    assert "basemap.de" in p.attribution and "BKG" in p.attribution and "CC BY 4.0" in p.attribution
    assert provider_for("osm").host == "tile.openstreetmap.org"
    assert "OpenStreetMap" in provider_for("OSM").attribution


@pytest.mark.parametrize("word", ["off", "OFF", "aus", "0", "none", "kein-url"])
def test_off_and_unknown_words_switch_the_background_off(word):
    assert provider_for(word) is None


def test_xyz_and_wms_urls():
    xyz = provider_for("https://tiles.example.org/{z}/{x}/{y}.png")
    assert xyz.kind == "xyz" and xyz.url == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert xyz.attribution == "Hintergrund: tiles.example.org"
    wms = provider_for("https://geo.example.org/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=stadtplan&map=x")
    assert wms.kind == "wms" and wms.wms_layers == "stadtplan" and wms.url == "https://geo.example.org/wms?map=x"
    html = base_map(AREA, tiles=wms).get_root().render()
    assert "L.tileLayer.wms(" in html and '"layers": "stadtplan"' in html and "LB.tiles(" in html
    assert provider_for("wms:https://geo.example.org/ows?layers=a,b").wms_layers == "a,b"


def test_environment_overrides_the_area_which_overrides_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("LAGEBILD_TILES", raising=False)
    boundary = tmp_path / "b.geojson"
    AREA.frame().to_file(boundary)
    (tmp_path / "a.toml").write_text('[area]\nname = "X"\nboundary = "b.geojson"\ntiles = "osm"\n', encoding="utf-8")
    area = load_area(tmp_path / "a.toml")
    assert area.tiles == "osm" and configured_provider(area).key == "osm"
    assert configured_provider(AREA).key == "basemapde"
    monkeypatch.setenv("LAGEBILD_TILES", "off")
    assert configured_provider(area) is None
    assert "L.tileLayer" not in base_map(area).get_root().render()
    monkeypatch.setenv("LAGEBILD_TILES", "osm")
    assert configured_provider(AREA).key == "osm"


def test_tiles_never_show_broken_images_and_fail_into_one_notice():
    html = base_map(AREA, tiles="basemapde").get_root().render()
    assert '"errorTileUrl": "data:image/gif;base64,' in html  # a failing tile is transparent
    assert "Hintergrundkarte nicht erreichbar" in html
    assert html.count("LB.tiles(") == 1
