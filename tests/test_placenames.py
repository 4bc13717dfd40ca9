"""Place names of hotspots and sites (geo.analysis.placenames), in ``lagebild hotspots`` and ``bins``."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.placenames import (
    MIN_HOTSPOT_EVENTS,
    address_of,
    crossing_name,
    hotspot_groups,
    name_area,
    name_hotspots,
    number_range,
    place_context,
    street_label_points,
    top_hotspots,
)
from geo.analysis.uniquenames import distinct_names
from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.period import Period

AREA = leipziger_osten()
CRS = AREA.crs
X0, Y0 = AREA.boundary.centroid.x, AREA.boundary.centroid.y
RAPPORT = Period(date(2026, 9, 1), date(2026, 10, 31))


def _cells(spec: dict[tuple[int, int], tuple[int, float]], size: float = 50.0) -> gpd.GeoDataFrame:
    """Square cells at grid positions (i, j) → (gi_class, gi_z), count = 10 · z."""
    keys = list(spec)
    geoms = [shapely.box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size) for i, j in keys]
    return gpd.GeoDataFrame({"cell_id": np.arange(len(keys)), "gi_class": [spec[k][0] for k in keys],
                             "gi_z": [spec[k][1] for k in keys], "count": [10.0 * spec[k][1] for k in keys]},
                            geometry=geoms, crs=CRS)


def _base() -> gpd.GeoDataFrame:
    """Street A runs east (y = Y0), street B north (x = X0 + 500); houses every 20 m on both sides."""
    rows = []
    for k in range(25):
        x = X0 + k * 20.0
        for side, off in (("even", -15.0), ("odd", 15.0)):
            n = 2 * k + (2 if side == "even" else 1)
            rows.append(("building", "", "Astraße", str(n), shapely.box(x - 5, Y0 + off - 5, x + 5, Y0 + off + 5)))
    for k in range(25):
        y = Y0 + k * 20.0
        rows.append(("building", "", "Bodenweg", str(k + 1), shapely.box(X0 + 515 - 5, y - 5, X0 + 515 + 5, y + 5)))
    rows.append(("street", "Bodenweg", "", "", shapely.LineString([(X0 + 500, Y0 - 300), (X0 + 500, Y0 + 500)])))
    rows.append(("green", "Rabet", "", "", shapely.box(X0 - 400, Y0 + 200, X0 - 200, Y0 + 400)))
    return gpd.GeoDataFrame(rows, columns=["theme", "name", "street", "housenumber", "geometry"], crs=CRS)


def _places(*items) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [n for n, _ in items]}, geometry=[p for _, p in items], crs=CRS)


def test_crossings_and_number_ranges():
    assert crossing_name("Hermann-Liebmann-Straße", "Eisenbahnstraße") == "Hermann-Liebmann-/Eisenbahnstraße"
    assert crossing_name("Eisenbahnstraße", "Mariannenstraße") == "Eisenbahn-/Mariannenstraße"
    assert crossing_name("Torgauer Straße", "Rabet") == "Torgauer Straße / Rabet"
    assert number_range(["60-62", "52", "54a", "x"]) == "52–60"
    assert number_range(["7"]) == "7" and number_range([]) == ""


def test_groups_are_connected_hot_cells_and_long_ones_split_at_their_peaks():
    spec = {(0, 0): (3, 5.0), (1, 0): (2, 4.0), (2, 1): (1, 3.0),  # (2,1) touches (1,0) at a corner
            (10, 10): (3, 6.0), (20, 20): (0, 0.5), (30, 30): (-3, -4.0)}
    groups = hotspot_groups(_cells(spec))
    assert groups["n_cells"].tolist() == [3, 1]  # cold and insignificant cells are no hotspots
    assert groups["count"].tolist() == [120.0, 60.0] and groups["group"].tolist() == [1, 2]
    assert sorted(groups["cell_ids"].iloc[0]) == [0, 1, 2]
    # a 1 km strip with two peaks becomes two hotspots, each around one peak
    z = {(i, 0): (3, 10.0 - abs(i - 3) if i < 10 else 10.0 - abs(i - 16)) for i in range(20)}
    strip = hotspot_groups(_cells(z))
    assert len(strip) == 2 and sorted(strip["n_cells"]) == [10, 10]
    assert hotspot_groups(_cells({(0, 0): (2, 3.0)}), min_class=3).empty


def test_hot_cells_with_almost_nothing_in_them_are_no_hotspot():
    # significant only through their neighbours: together 4 events < MIN_HOTSPOT_EVENTS
    cells = _cells({(0, 0): (3, 5.0), (10, 10): (1, 2.0), (11, 10): (1, 2.0)})
    cells["count"] = [40.0, 3.0, 1.0]
    groups = hotspot_groups(cells)
    assert groups["count"].tolist() == [40.0] and MIN_HOTSPOT_EVENTS == 5
    assert len(hotspot_groups(cells, min_events=4)) == 2


def test_names_from_streets_crossings_squares_and_places():
    ctx = place_context(_base(), CRS, places=_places(("Spielplatz Rabet", shapely.Point(X0 - 300, Y0 + 300)),
                                                     ("Kita Sonnenschein", shapely.Point(X0 + 200, Y0 + 40))))
    assert ctx.has_base
    on_a = shapely.box(X0 + 40, Y0 - 10, X0 + 120, Y0 + 10)
    assert name_area(on_a, ctx) == "Astraße 3–16"
    crossing = shapely.box(X0 + 470, Y0 - 20, X0 + 530, Y0 + 20)
    assert name_area(crossing, ctx) == "Bodenweg / Astraße"  # the street line makes Bodenweg the first
    park = shapely.box(X0 - 320, Y0 + 280, X0 - 280, Y0 + 320)
    assert name_area(park, ctx) == "Rabet / Spielplatz Rabet"
    near_kita = shapely.box(X0 + 180, Y0 - 10, X0 + 220, Y0 + 10)
    assert name_area(near_kita, ctx).endswith(" / Kita Sonnenschein")
    assert address_of(shapely.Point(X0 + 100, Y0 - 25), ctx) == "Astraße, vor Nr. 12"
    assert address_of(shapely.Point(X0 + 450, Y0 + 700), ctx) != ""  # nothing near: a fallback, never empty


def test_fallbacks_without_base_data():
    district = gpd.GeoDataFrame({"name": ["Volkmarsdorf"]}, geometry=[shapely.Point(X0, Y0).buffer(3000)], crs=CRS)
    ctx = place_context(None, CRS, places=_places(("Kita Köhlerplatz", shapely.Point(X0, Y0))), districts=district)
    assert not ctx.has_base
    assert name_area(shapely.Point(X0 + 10, Y0).buffer(5), ctx) == "Kita Köhlerplatz"  # touches it
    assert name_area(shapely.Point(X0 + 200, Y0).buffer(5), ctx) == "bei Kita Köhlerplatz"
    assert name_area(shapely.Point(X0 + 1000, Y0).buffer(5), ctx) == "Volkmarsdorf"
    bare = place_context(None, CRS)
    text = name_area(shapely.Point(X0, Y0).buffer(5), bare)
    lat, lon = gpd.GeoSeries([shapely.Point(X0, Y0)], crs=CRS).to_crs("EPSG:4326").iloc[0].coords[0][::-1]
    assert text == f"{lat:.4f}° N, {lon:.4f}° O".replace(".", ",")


def test_two_hotspots_near_the_same_place_get_distinct_names():
    # issue 17: two hotspots 250 m south and north of one playground were both "bei Spielplatz …"
    ctx = place_context(None, CRS, places=_places(("Spielplatz Volkmarsdorfer Markt",
                                                   shapely.Point(X0 + 50, Y0 + 275))))
    cells = _cells({(0, 0): (3, 5.0), (1, 0): (3, 5.0), (0, 10): (3, 4.0), (1, 10): (2, 3.0), (30, 5): (3, 4.5)})
    assert name_area(cells.geometry.iloc[0], ctx) == name_area(cells.geometry.iloc[2], ctx) \
        == "bei Spielplatz Volkmarsdorfer Markt"
    groups, place = name_hotspots(cells, ctx)
    assert groups["place"].tolist()[:2] == ["bei Spielplatz Volkmarsdorfer Markt (Süd)",
                                            "bei Spielplatz Volkmarsdorfer Markt (Nord)"]
    assert groups["place"].is_unique and "(" not in groups["place"].iloc[2]  # a name of its own stays as it was
    # the cells (hotspot files' column "place") and the Top-Hotspots table carry the same distinct names
    assert place.tolist()[:4] == [groups["place"].iloc[0]] * 2 + [groups["place"].iloc[1]] * 2
    finds = gpd.GeoDataFrame({"count": [1, 1]}, geometry=[shapely.Point(X0 + 10, Y0 + 10),
                             shapely.Point(X0 + 10, Y0 + 510)], crs=CRS)
    assert top_hotspots(groups, finds)["place"].is_unique


def test_distinct_names_directions_and_numbers():
    pts = [shapely.Point(0, 0), shapely.Point(500, 40), shapely.Point(0, 900), shapely.Point(5, 5)]
    assert distinct_names(["A", "A", "B", "C"], pts) == ["A (West)", "A (Ost)", "B", "C"]
    # three alike: eight directions from their common centre (167, 313)
    assert distinct_names(["A", "A", "A", "C"], pts[:3] + pts[3:]) == ["A (Südwest)", "A (Südost)", "A (Nord)", "C"]
    # the same centre: no direction tells them apart, a number does (the first keeps the name)
    same = [shapely.Point(0, 0)] * 3
    assert distinct_names(["A", "A", "A"], same) == ["A", "A (2)", "A (3)"]
    assert distinct_names([], []) == []


def test_top_hotspots_counts_finds_syringes_and_change():
    cells = _cells({(0, 0): (3, 5.0), (1, 0): (3, 5.0), (10, 0): (3, 4.0)})
    groups, place = name_hotspots(cells, place_context(_base(), CRS))
    assert place.tolist() == [groups["place"].iloc[0]] * 2 + [groups["place"].iloc[1]]
    now = gpd.GeoDataFrame({"count": [1, 2, 3, 5]}, geometry=[shapely.Point(X0 + 10, Y0 + 10),
                           shapely.Point(X0 + 60, Y0 + 10), shapely.Point(X0 + 510, Y0 + 10),
                           shapely.Point(X0 - 900, Y0)], crs=CRS)
    before = now.iloc[[0, 2, 2]]
    top = top_hotspots(groups, now, before)
    assert top[["rank", "finds", "syringes", "change"]].values.tolist() == [[1, 2, 3, 1], [2, 1, 3, -1]]
    assert top["change"].dtype == np.int64
    assert top_hotspots(groups, now)["change"].isna().all()


def test_street_labels_lie_on_the_street_between_the_houses():
    pts = street_label_points(_base()[lambda d: d["theme"] == "building"], stretch_m=200)
    a = [p for p in pts if p[2] == "Astraße"]
    assert len(a) == 2 and all(abs(p[1] - Y0) < 1 and abs(p[3]) < 1 for p in a)  # on y = Y0, horizontal
    lines = street_label_points(_base(), stretch_m=400)
    assert [p[2] for p in lines] == ["Bodenweg", "Bodenweg"] and all(abs(abs(p[3]) - 90) < 1 for p in lines)


# ---------------------------------------------------------------------------- the demo with the shared buildings
@pytest.fixture(scope="module")
def demo_with_buildings(demo_store, shared_data, tmp_path_factory):
    import shutil

    from geo.data.basefile import read_base_file
    from geo.data.store import Store

    store = Store(tmp_path_factory.mktemp("names") / "s.gpkg")
    shutil.copyfile(demo_store.path, store.path)
    store.write_base("gebaeude", read_base_file(shared_data / "leipzig_osten_gebaeude_osm.geojson", store.area))
    return store


def _group_at(groups: gpd.GeoDataFrame, lat: float, lon: float) -> str:
    p = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(groups.crs).iloc[0]
    d = shapely.distance(groups["core"].to_numpy(), p)
    assert d.min() < 60, d.min()
    return str(groups["place"].iloc[int(np.argmin(d))])


def test_demo_hotspots_are_named_by_their_streets_and_places(demo_with_buildings):
    from geo.analysis.hotspots import hotspot_analysis
    from geo.report.places import store_place_context

    store = demo_with_buildings
    assert len(store.read_base()) > 7000
    ctx = store_place_context(store)
    for period in (RAPPORT, Period(date(2025, 9, 1), date(2025, 10, 31))):
        hs = hotspot_analysis(store.read("syringe_find", period), store.area, weight="count")
        groups, _ = name_hotspots(hs.cells, ctx)
        rabet = _group_at(groups, 51.34390, 12.40330)  # Rabet park (demo scene)
        assert "Rabet" in rabet, rabet
    # the emerging hotspot of the demo (grows to about 50 finds a month by autumn 2026)
    hs = hotspot_analysis(store.read("syringe_find", RAPPORT), store.area, weight="count")
    groups, _ = name_hotspots(hs.cells, ctx)
    crossing = _group_at(groups, 51.34560, 12.40621)
    assert crossing.startswith("Hermann-Liebmann-/Eisenbahnstraße"), crossing
    assert groups["place"].str.contains("Eisenbahnstraße").sum() >= 2


def test_cli_hotspots_writes_place_and_lists_top_hotspots(demo_with_buildings, tmp_path, capsys):
    out = tmp_path / "h.csv"
    assert main(["hotspots", "--store", str(demo_with_buildings.path), "--from", "2026-09-01", "--to",
                 "2026-10-31", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Top-Hotspots (5 von " in printed and "1. Hermann-Liebmann-/Eisenbahnstraße" in printed
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns[:9]) == ["cell_id", "count", "gi_z", "gi_p", "gi_p_fdr", "gi_class", "gi_label",
                                       "place", "n_neighbours"]
    hot = table["gi_class"] > 0
    unnamed = hot & (table["place"] == "")  # hot only through their neighbours: no hotspot, no name
    assert (table.loc[~hot, "place"] == "").all() and unnamed.sum() < 0.05 * hot.sum()
    assert (table.loc[unnamed, "count"] < MIN_HOTSPOT_EVENTS).all()
    assert table.loc[hot, "place"].str.contains("Rabet").any()


def test_cli_bins_gives_suggested_sites_an_address(demo_with_buildings, tmp_path, capsys):
    out = tmp_path / "b.csv"
    assert main(["bins", "--store", str(demo_with_buildings.path), "--from", "2026-09-01", "--to", "2026-10-31",
                 "--add", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Vorgeschlagene Standorte:" in printed and ", vor Nr. " in printed
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    labels = table.loc[table["status"] == "suggested", "label"].tolist()
    assert len(labels) == 2 and all(lab.startswith(f"Vorschlag {i} – ") and ", vor Nr. " in lab
                                    for i, lab in enumerate(labels, start=1))


def test_locate_address_finds_buildings_streets_and_places():
    from geo.analysis.placenames import locate_address, place_context

    crs = "EPSG:25833"
    base = gpd.GeoDataFrame(
        {"theme": ["building", "building", "street"], "name": ["", "", "Eisenbahnstraße"],
         "street": ["Eisenbahnstraße", "Eisenbahnstraße", ""], "housenumber": ["52", "54a", ""]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10), shapely.LineString([(-50, 15), (80, 15)])],
        crs=crs)
    places = gpd.GeoDataFrame({"name": ["Rabet"]}, geometry=[shapely.Point(500, 500)], crs=crs)
    ctx = place_context(base, crs, places=places)
    assert locate_address("Eisenbahnstraße 52", ctx).equals(shapely.Point(5, 5))
    assert locate_address("eisenbahnstr. 54 A", ctx).equals(shapely.Point(25, 5))
    assert locate_address("Eisenbahnstraße", ctx).equals(shapely.Point(15, 5))  # middle of its buildings
    assert locate_address("rabet", ctx).equals(shapely.Point(500, 500))
    assert locate_address("Eisenbahnstraße 99", ctx) is None and locate_address("", ctx) is None
