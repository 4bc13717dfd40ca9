"""Offline base layers: reading OSM extracts and vector files (geo.data.basefile), the store's base
layers (never reports), and ``lagebild basemap import|list|remove``."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.errors import ImportRefused
from geo.data.basefile import base_name_for, read_base_file
from geo.data.store import Store

AREA = leipziger_osten()


def osm_xml(ways: list[tuple[list[tuple[float, float]], dict[str, str]]]) -> str:
    """A small OSM XML file: each way given as [(lat, lon), ...] and its tags."""
    nodes, parts, nid = [], [], 0
    for wid, (coords, tags) in enumerate(ways, start=1):
        refs = []
        for lat, lon in coords:
            if refs and (lat, lon) == coords[0]:
                refs.append(refs[0])
                continue
            nid += 1
            nodes.append(f' <node id="{nid}" lat="{lat}" lon="{lon}" version="1"/>')
            refs.append(nid)
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        parts.append(f' <way id="{wid}" version="1">{body}</way>')
    return '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n' + \
        "\n".join(nodes + parts) + "\n</osm>\n"


def square(lat: float, lon: float, d: float = 0.0002) -> list[tuple[float, float]]:
    return [(lat, lon), (lat, lon + d), (lat + d, lon + d), (lat + d, lon), (lat, lon)]


WAYS = [
    (square(51.3450, 12.4000), {"building": "yes", "addr:street": "Eisenbahnstraße", "addr:housenumber": "52"}),
    (square(51.3450, 12.4004), {"building": "apartments", "addr:street": "Eisenbahnstraße",
                                "addr:housenumber": "54a"}),
    ([(51.3445, 12.3990), (51.3445, 12.4030)], {"highway": "residential", "name": "Eisenbahnstraße"}),
    ([(51.3430, 12.3990), (51.3430, 12.4030)], {"railway": "tram"}),
    (square(51.3420, 12.4020, 0.001), {"leisure": "park", "name": "Rabet"}),
    (square(51.3410, 12.4100, 0.0005), {"natural": "water"}),
    ([(51.3400, 12.3990), (51.3400, 12.4030)], {"highway": "proposed", "name": "Planstraße"}),
    (square(51.5000, 12.6000), {"building": "yes"}),  # far outside the area
]


@pytest.fixture
def osm_file(tmp_path) -> Path:
    path = tmp_path / "osten.osm"
    path.write_text(osm_xml(WAYS), encoding="utf-8")
    return path


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_osm_extract_gives_themes_names_and_addresses(osm_file):
    gdf = read_base_file(osm_file, AREA)
    assert gdf.crs == AREA.crs
    assert sorted(gdf["theme"]) == ["building", "building", "green", "railway", "street", "water"]
    b = gdf[gdf["theme"] == "building"].sort_values("housenumber")
    assert b["street"].tolist() == ["Eisenbahnstraße", "Eisenbahnstraße"] and b["housenumber"].tolist() == ["52", "54a"]
    assert gdf.loc[gdf["theme"] == "street", "name"].tolist() == ["Eisenbahnstraße"]  # "proposed" is left out
    assert gdf.loc[gdf["theme"] == "green", "name"].tolist() == ["Rabet"]
    # a 22 m square in metres (EPSG:25833), not degrees
    assert 200 < shapely.area(b.geometry.values[0]) < 400
    assert base_name_for("leipzig-osten.osm.pbf") == "leipzig-osten"


def test_vector_files_with_osm_columns_or_without(tmp_path):
    pts = [(12.4000, 51.3450), (12.4003, 51.3450), (12.4003, 51.3452), (12.4000, 51.3452)]
    house = shapely.Polygon(pts)
    big = shapely.box(12.39, 51.335, 12.41, 51.35)  # a district outline, not a building
    street = shapely.LineString([(12.399, 51.3445), (12.403, 51.3445)])
    tagged = gpd.GeoDataFrame({"building": ["yes", None], "highway": [None, "primary"],
                               "name": [None, "Eisenbahnstraße"], "addr:street": ["Eisenbahnstraße", None],
                               "addr:housenumber": ["7", None]}, geometry=[house, street], crs="EPSG:4326")
    tagged.to_file(tmp_path / "osm.geojson")
    gdf = read_base_file(tmp_path / "osm.geojson", AREA)
    assert gdf["theme"].tolist() == ["building", "street"] and gdf["housenumber"].tolist() == ["7", ""]
    plain = gpd.GeoDataFrame({"Strassenname": ["", "Torgauer Straße", ""]}, geometry=[house, street, big],
                             crs="EPSG:4326").to_crs(AREA.crs)
    plain.to_file(tmp_path / "alkis.gpkg", layer="gebaeude")
    gdf = read_base_file(tmp_path / "alkis.gpkg", AREA)
    assert gdf["theme"].tolist() == ["building", "street"]  # the large polygon is not taken as a building
    assert gdf["name"].tolist() == ["", "Torgauer Straße"]


def test_store_keeps_base_layers_apart_from_reports(fresh_store, osm_file):
    store = fresh_store
    assert store.base_layers().empty and store.read_base().empty
    n = store.write_base("osten", read_base_file(osm_file, AREA))
    assert n == 6 and store.exists()
    assert store.layers() == [] and store.is_empty()  # not a kind: never counted, exported or purged
    table = store.base_layers()
    assert dict(zip(table["theme"], table["features"], strict=True)) == {
        "building": 2, "green": 1, "railway": 1, "street": 1, "water": 1}
    assert len(store.read_base(["building"])) == 2
    store.write_base("osten", read_base_file(osm_file, AREA).iloc[:2])  # same name: replaced
    assert len(store.read_base()) == 2
    store.write_base("zweite", read_base_file(osm_file, AREA).iloc[2:3])
    assert sorted(store.base_layers()["base_name"].unique()) == ["osten", "zweite"]
    assert store.remove_base("osten") == 2 and store.remove_base("osten") == 0
    assert store.read_base()["base_name"].tolist() == ["zweite"]


def test_cli_import_list_remove(tmp_path, osm_file, capsys):
    store = tmp_path / "s.gpkg"
    assert main(["basemap", "import", str(osm_file), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "Grundkarte 'osten' gespeichert: 6 Objekte (Gebäude 2, Straßen 1, Grünflächen 1, Gewässer 1, " \
           "Bahnstrecken 1)" in out
    assert main(["basemap", "list", "--store", str(store)]) == 0
    assert "osten: Gebäude 2, Grünflächen 1, Bahnstrecken 1, Straßen 1, Gewässer 1" in capsys.readouterr().out
    audit = [json.loads(line) for line in store.with_name("s.audit.jsonl").read_text().splitlines()]
    assert audit[-1]["action"] == "basemap_import" and audit[-1]["kind"] is None
    assert main(["basemap", "remove", "nichtda", "--store", str(store)]) == 2
    assert "Fehler: Keine Grundkarte 'nichtda'" in capsys.readouterr().err
    assert main(["basemap", "remove", "osten", "--store", str(store)]) == 0
    assert main(["basemap", "list", "--store", str(store)]) == 0
    assert "Keine Grundkarte importiert" in capsys.readouterr().out


def _bad_files(tmp_path) -> dict[str, tuple[Path, str]]:
    far = tmp_path / "dresden.osm"
    far.write_text(osm_xml([(square(51.05, 13.74), {"building": "yes"})]), encoding="utf-8")
    utm = tmp_path / "falsches_crs.geojson"  # metres written into a file that says WGS84
    utm.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"building": "yes"},
        "geometry": {"type": "Polygon", "coordinates": [[[318900, 5691400], [318920, 5691400], [318920, 5691420],
                                                          [318900, 5691400]]]}}]}), encoding="utf-8")
    huge = tmp_path / "sachsen.osm.pbf"
    with open(huge, "wb") as fh:
        fh.truncate(2 * 1024**3)  # a sparse 2 GB file: refused before reading
    broken = tmp_path / "kaputt.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0d\n\tOSMHeader" + os.urandom(3000))
    return {"far": (far, "keine Gebäude, Straßen"), "crs": (utm, "keine Gebäude, Straßen"),
            "huge": (huge, "zu groß"), "broken": (broken, "nicht lesbar")}


@pytest.mark.parametrize("case", ["far", "crs", "huge", "broken"])
def test_bad_files_end_with_one_german_line_and_leave_the_store_unchanged(tmp_path, osm_file, capsys, case):
    store = tmp_path / "s.gpkg"
    assert main(["basemap", "import", str(osm_file), "--store", str(store)]) == 0
    capsys.readouterr()
    before = _digest(store)
    path, words = _bad_files(tmp_path)[case]
    with pytest.raises(ImportRefused, match=words):
        read_base_file(path, AREA)
    assert main(["basemap", "import", str(path), "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Fehler: ") and words in err[0] and "Traceback" not in err[0]
    assert _digest(store) == before
    assert len(Store(store).read_base()) == 6
