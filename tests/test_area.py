"""Study area: default Leipziger Osten, TOML configuration for another area."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.core.area import AreaConfigError, StudyArea, leipziger_osten, load_area

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_default_area_is_metric_and_covers_the_east():
    area = leipziger_osten()
    assert area.crs == "EPSG:25833"
    assert 12 < area.area_km2 < 14  # 0.055° lon x 0.03° lat at 51.3° N ≈ 3.8 km x 3.3 km
    minx, miny, maxx, maxy = area.boundary_display.bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((12.385, 51.330, 12.440, 51.360), abs=1e-6)
    x, y = area.to_metric.transform(12.40330, 51.34390)  # Rabet
    assert area.contains(np.array([shapely.Point(x, y)])).tolist() == [True]


def test_toml_configured_area(tmp_path):
    poly = shapely.box(13.70, 51.04, 13.76, 51.08)  # somewhere in Dresden
    gpd.GeoDataFrame({"n": [1]}, geometry=[poly], crs=4326).to_file(tmp_path / "b.geojson")
    (tmp_path / "area.toml").write_text('[area]\nname = "Dresden Test"\nboundary = "b.geojson"\n'
                                       'crs = "EPSG:25833"\n', encoding="utf-8")
    area = load_area(tmp_path / "area.toml")
    assert area.name == "Dresden Test"
    assert area.boundary_display.bounds == pytest.approx(poly.bounds, abs=1e-6)


def test_bad_configurations_give_german_errors(tmp_path):
    with pytest.raises(AreaConfigError, match="nicht gefunden"):
        load_area(tmp_path / "fehlt.toml")
    (tmp_path / "a.toml").write_text('[area]\nname = "X"\n', encoding="utf-8")
    with pytest.raises(AreaConfigError, match="'boundary' fehlt"):
        load_area(tmp_path / "a.toml")
    with pytest.raises(AreaConfigError, match="nicht metrisch"):
        StudyArea("Grad", shapely.box(0, 0, 1, 1), "EPSG:4326")


@pytest.mark.skipif(not (SHARED / "leipzig_ortsteile.geojson").exists(), reason="../shared not present")
def test_area_from_real_districts(tmp_path):
    src = SHARED / "leipzig_ortsteile.geojson"
    ot = gpd.read_file(src)
    east = ot[ot["Name"].isin(["Neustadt-Neuschönefeld", "Volkmarsdorf"])]
    assert len(east) == 2
    east.to_file(tmp_path / "osten.gpkg")
    (tmp_path / "a.toml").write_text('name = "Osten"\nboundary = "osten.gpkg"\n', encoding="utf-8")
    area = load_area(tmp_path / "a.toml")
    assert area.area_km2 == pytest.approx(east.to_crs(25833).area.sum() / 1e6, rel=1e-6)


def test_area_config_error_is_a_user_error_on_the_cli(tmp_path, capsys):
    from geo.cli import main
    from geo.core.errors import UserError

    assert issubclass(AreaConfigError, UserError)
    code = main(["export", "--kind", "complaint", "--out", str(tmp_path / "x.csv"),
                 "--store", str(tmp_path / "s.gpkg"), "--area", str(tmp_path / "fehlt.toml")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [f"Fehler: Gebietsdatei {tmp_path / 'fehlt.toml'} nicht gefunden."]


def test_area_config_error_is_a_german_message_in_the_app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.data import auth

    (tmp_path / "a.toml").write_text('[area]\nname = "X"\n', encoding="utf-8")
    monkeypatch.setenv("LAGEBILD_STORE", str(tmp_path / "s.gpkg"))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    monkeypatch.setenv("LAGEBILD_AREA", str(tmp_path / "a.toml"))
    monkeypatch.delenv("LAGEBILD_ACCOUNTS", raising=False)
    monkeypatch.setattr(auth, "DEFAULT_ACCOUNTS", tmp_path / "keine-konten.toml")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Gebietsdatei {tmp_path / 'a.toml'}: Eintrag 'boundary' fehlt."]
def test_area_time_zone_from_toml_and_refused_when_unknown(tmp_path):
    import json

    boundary = tmp_path / "b.geojson"
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [[[12.38, 51.33], [12.44, 51.33], [12.44, 51.36],
                                                                         [12.38, 51.33]]]}}]}))
    toml = tmp_path / "a.toml"
    toml.write_text('[area]\nname = "X"\nboundary = "b.geojson"\ntimezone = "Europe/Lisbon"\n')
    assert load_area(toml).timezone == "Europe/Lisbon"
    toml.write_text('[area]\nname = "X"\nboundary = "b.geojson"\n')
    assert load_area(toml).timezone == "Europe/Berlin"
    toml.write_text('[area]\nname = "X"\nboundary = "b.geojson"\ntimezone = "Mond/Krater"\n')
    with pytest.raises(AreaConfigError, match="Zeitzone"):
        load_area(toml)
