"""Agreements register: storage in the store (atomic, audited), checks, status changes, measure records."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest
import shapely

from geo.core.errors import UserError
from geo.core.schema import AGREEMENT_KINDS, AGREEMENT_STATUSES, RESPONSIBLE_BODIES
from geo.data import agreements as ag
from geo.data.demo import BIN_INSTALLED, DISPLACEMENT_START
from geo.data.store import Store

TODAY = date(2026, 11, 10)


@pytest.fixture
def store(demo_store, tmp_path) -> Store:
    """A writable copy of the demo store (with its agreements)."""
    s = Store(tmp_path / "s.gpkg")
    shutil.copyfile(demo_store.path, s.path)
    return s


def _point(store, lat=51.3452, lon=12.4050):
    return ag.place_from_latlon(store.area, lat, lon)


def _add(store, **kw):
    args = dict(title="Behälter Torgauer Straße", kind="Spritzenentsorgungsbehälter", geometry=_point(store),
                agreed="2026-09-08", responsible="Stadtreinigung", due="2026-10-31", user="anna")
    return ag.add_agreement(store, **(args | kw))


def test_words_and_ids_are_accepted():
    assert ag.parse_kind("Spritzenentsorgungsbehälter") == "disposal_bin"
    assert ag.parse_kind("disposal_bin") == "disposal_bin"
    assert ag.parse_kind("Grünrückschnitt") == "greenery_cut"
    assert ag.parse_kind("bauliche Änderung") == "structural_change"
    assert ag.parse_status("in Umsetzung") == "in_progress"
    assert ag.parse_status("umgesetzt") == "done"
    assert ag.parse_status("VERWORFEN") == "rejected"
    assert ag.parse_body("amt fuer stadtgruen") == "Amt für Stadtgrün"
    assert set(AGREEMENT_KINDS) >= {"disposal_bin", "greenery_cut", "structural_change", "police_presence",
                                    "streetwork", "other"}
    assert list(AGREEMENT_STATUSES.values()) == ["vereinbart", "in Umsetzung", "umgesetzt", "beendet", "verworfen"]
    assert "Jugendamt" in RESPONSIBLE_BODIES and "Wohnungsbaugesellschaft" in RESPONSIBLE_BODIES
    with pytest.raises(UserError, match="Unbekannte Maßnahmenart 'Rakete'"):
        ag.parse_kind("Rakete")
    with pytest.raises(UserError, match="Unbekannte zuständige Stelle 'Feuerwehr'"):
        ag.parse_body("Feuerwehr")


def test_demo_history_is_consistent_with_planted_measures(demo_store):
    table = demo_store.agreements()
    assert len(table) == 11
    assert (table["status"] == "rejected").sum() == 1
    assert table.loc[table["status"] == "rejected", "reason"].iloc[0].startswith("Standort zu nah")
    bins = demo_store.read("disposal_bin")
    torgau = table[table["title"].str.contains("Torgauer Platz")].iloc[0]
    linked = bins[bins["record_id"] == torgau["measure_id"]].iloc[0]
    assert linked["label"] == "Torgauer Platz" and linked["installed_at"].date() == BIN_INSTALLED
    assert torgau["done"].date() == BIN_INSTALLED
    police = demo_store.read("police_presence")
    rabet = table[table["title"].str.contains("Polizeipräsenz")].iloc[0]
    assert police.set_index("record_id").loc[rabet["measure_id"], "start"].date() == DISPLACEMENT_START
    # every carried-out measure kind agreement is linked to a stored record
    done = table[table["status"].isin(["done", "ended"])]
    assert len(done) == 6 and (done["measure_id"] != "").all()
    late = ag.overdue(table, TODAY)
    assert sorted(table.loc[late, "title"]) == ["Rückschnitt Gebüsch am Neustädter Markt",
                                                "Stellenerweiterung im Bereich Streetwork"]
    # meetings every two months
    assert set(table["agreed"].dt.month.unique()) <= {1, 3, 5, 7, 9, 11}


def test_add_is_stored_and_audited(store):
    before = len(store.agreements())
    new = _add(store, notes="mit Hausverwaltung klären", public=True)
    assert new == before + 1
    row = ag.get_agreement(store, new)
    assert row["kind"] == "disposal_bin" and row["status"] == "agreed" and row["responsible"] == "Stadtreinigung"
    assert row["due"] == pd.Timestamp("2026-10-31") and row["public"] and row["notes"] == "mit Hausverwaltung klären"
    assert row.geometry.distance(_point(store)) < 0.01
    log = store.audit_log().iloc[-1]
    assert log["user"] == "anna" and log["action"] == "agreement_add"
    assert f"Vereinbarung Nr. {new}" in log["detail"] and "status: – → agreed" in log["detail"]


@pytest.mark.parametrize(("change", "message"), [
    ({"due": "2026-09-01"}, "Frist .* vor dem Datum der Vereinbarung"),
    ({"geometry": None}, "Kein Ort angegeben"),
    ({"responsible": "Feuerwehr"}, "Unbekannte zuständige Stelle"),
    ({"title": "  "}, "Titel"),
    ({"agreed": "32.13.2026"}, "nicht lesbar"),
    ({"geometry": shapely.Point(0, 0)}, "außerhalb des Untersuchungsgebiets"),
])
def test_bad_entry_changes_nothing(store, change, message):
    before = store.version()
    log = len(store.audit_log())
    with pytest.raises(UserError, match=message):
        _add(store, **change)
    assert store.version() == before and len(store.audit_log()) == log


@pytest.mark.parametrize(("change", "message"), [
    ({"due": "2026-09-01"}, "Frist .* vor dem Datum der Vereinbarung"),
    ({"agreed": "2026-11-05"}, "Frist .* vor dem Datum der Vereinbarung"),
    ({"geometry": None}, "Kein Ort angegeben"),
    ({"geometry": shapely.LineString([(0, 0), (10, 10)])}, "außerhalb des Untersuchungsgebiets"),
    ({"responsible": "Feuerwehr"}, "Unbekannte zuständige Stelle"),
    ({"title": ""}, "Titel"),
    ({"status": "done"}, "Nicht änderbar: status"),
])
def test_bad_edit_changes_nothing(store, change, message):
    new = _add(store)
    before, log = store.version(), len(store.audit_log())
    row = ag.get_agreement(store, new)
    with pytest.raises(UserError, match=message):
        ag.edit_agreement(store, new, user="carla", **change)
    assert store.version() == before and len(store.audit_log()) == log
    assert ag.get_agreement(store, new).drop("geometry").equals(row.drop("geometry"))


def test_lifecycle_creates_the_measure_record_and_ends_it(store):
    new = _add(store, kind="Polizeipräsenz", responsible="Polizeidirektion",
               geometry=shapely.buffer(_point(store), 80))
    n_police = store.count("police_presence")
    ag.set_status(store, new, "in Umsetzung", user="bernd", today=TODAY)
    row = ag.set_status(store, new, "umgesetzt", done="2026-10-05", user="bernd", today=TODAY)
    assert row["status"] == "done" and row["done"] == pd.Timestamp("2026-10-05") and row["measure_id"]
    police = store.read("police_presence")
    assert len(police) == n_police + 1
    rec = police.set_index("record_id").loc[row["measure_id"]]
    assert rec["start"] == pd.Timestamp("2026-10-05") and pd.isna(rec["end"])
    assert rec.geometry.equals_exact(row.geometry, 0.01)
    ended = ag.set_status(store, new, "beendet", done="2026-11-01", user="bernd", today=TODAY)
    police = store.read("police_presence")
    assert len(police) == n_police + 1  # replaced, not added
    assert police.set_index("record_id").loc[ended["measure_id"], "end"] == pd.Timestamp("2026-11-01")
    assert row["measure_id"] not in set(police["record_id"])
    details = " ".join(store.audit_log()["detail"].tail(3))
    assert "status: agreed → in_progress" in details and "status: in_progress → done" in details
    assert "status: done → ended" in details and "Maßnahme police_presence ersetzt" in details


def test_line_becomes_point_for_a_bin(store):
    line = shapely.LineString([(0, 0), (40, 0)])
    line = shapely.affinity.translate(line, *_point(store).coords[0])
    new = _add(store, geometry=line)
    row = ag.set_status(store, new, "done", done="2026-10-01", today=TODAY)
    rec = store.read("disposal_bin").set_index("record_id").loc[row["measure_id"]]
    assert rec.geometry.geom_type == "Point" and rec.geometry.distance(line) < 0.01
    assert rec["label"] == "Behälter Torgauer Straße"


@pytest.mark.parametrize(("steps", "message"), [
    ([("verworfen", {})], "Grund"),
    ([("umgesetzt", {"done": "2026-12-01"})], "Zukunft"),
    ([("umgesetzt", {"done": "2026-01-01"})], "vor der Vereinbarung"),
    ([("umgesetzt", {"done": "2026-10-01"}), ("vereinbart", {})], "nicht möglich"),
    ([("erledigt", {"done": "2026-10-01"}), ("erledigt", {})], "bereits"),
    ([("fertig", {})], "Unbekannte Status"),
])
def test_wrong_status_changes_are_refused(store, steps, message):
    new = _add(store)
    *ok, (last, kw) = steps
    for status, args in ok:
        ag.set_status(store, new, status, today=TODAY, **args)
    before, n = store.version(), store.count("disposal_bin")
    with pytest.raises(UserError, match=message):
        ag.set_status(store, new, last, today=TODAY, **kw)
    assert store.version() == before and store.count("disposal_bin") == n


def test_reject_and_edit(store):
    new = _add(store)
    row = ag.set_status(store, new, "verworfen", reason="kein Platz", today=TODAY)
    assert row["status"] == "rejected" and row["reason"] == "kein Platz" and not row["measure_id"]
    ag.edit_agreement(store, new, title="Neuer Titel", due="2026-12-31", user="carla")
    row = ag.get_agreement(store, new)
    assert row["title"] == "Neuer Titel" and row["due"] == pd.Timestamp("2026-12-31")
    assert "title: Behälter Torgauer Straße → Neuer Titel" in store.audit_log().iloc[-1]["detail"]
    with pytest.raises(UserError, match="Keine Vereinbarung mit der Nummer 999"):
        ag.get_agreement(store, 999)


def test_places_from_names_and_hotspots(store):
    places = store.read("sensitive_place")
    name, geom = ag.place_from_name(places, "kita köhlerplatz")
    assert name == "Kita Köhlerplatz" and geom.geom_type == "Point"
    with pytest.raises(UserError, match="passt auf 2 Orte"):
        ag.place_from_name(places, "Kita")
    cells = pd.DataFrame({"gi_class": [0, 2, 3, -1], "gi_z": [0.1, 2.5, 3.9, -2.0]})
    import geopandas as gpd

    cells = gpd.GeoDataFrame(cells, geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)])
    label, poly = ag.place_from_hotspot(cells, 1)
    assert label == "Hotspot Nr. 1" and poly.bounds[0] == 2  # the highest z first
    with pytest.raises(UserError, match="Hotspot Nr. 3 gibt es nicht"):
        ag.place_from_hotspot(cells, 3)


def test_table_puts_overdue_first_and_hides_notes(demo_store):
    t = ag.agreement_table(demo_store.agreements(), TODAY)
    assert t["overdue"].iloc[:2].all() and not t["overdue"].iloc[2:].any()
    assert t["lat"].between(51.3, 51.4).all()
    public = ag.agreement_table(demo_store.agreements(), TODAY, notes=False)
    assert "notes" not in public
    g = ag.german_table(t)
    assert list(g.columns[:3]) == ["Nr.", "Vereinbarung", "Art"]
    assert g["überfällig"].iloc[0] == "ja" and g["fällig bis"].iloc[0].count(".") == 2


def _spellings(label: str):
    from hypothesis import strategies as st

    plain = label.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return st.sampled_from([label, plain]).flatmap(
        lambda t: st.lists(st.booleans(), min_size=len(t), max_size=len(t)).map(
            lambda flags: "".join(c.upper() if f else c.lower() for c, f in zip(t, flags, strict=True))))


def test_parsers_accept_every_spelling_of_the_schema_words():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None)
    @given(st.sampled_from(list(AGREEMENT_KINDS.items())).flatmap(
        lambda kv: st.tuples(st.just(kv[0]), _spellings(kv[1]))),
        st.sampled_from(list(AGREEMENT_STATUSES.items())).flatmap(
        lambda kv: st.tuples(st.just(kv[0]), _spellings(kv[1]))),
        st.sampled_from(RESPONSIBLE_BODIES).flatmap(lambda b: st.tuples(st.just(b), _spellings(b))),
        st.text(max_size=12))
    def check(kind, status, body, junk):
        assert ag.parse_kind(kind[1]) == kind[0] and ag.parse_kind(kind[0]) == kind[0]
        assert ag.parse_status(status[1]) == status[0]
        assert ag.parse_body(body[1]) == body[0]
        try:
            got = ag.parse_kind(junk)
        except UserError as exc:
            assert str(exc).startswith("Unbekannte Maßnahmenart")
        else:
            assert got in AGREEMENT_KINDS

    check()


def test_drawn_line_is_stored_as_a_line_and_audited(store):
    start = _point(store)
    line = shapely.LineString([start.coords[0], (start.x + 80, start.y + 10), (start.x + 150, start.y - 20)])
    new = _add(store, kind="Grünrückschnitt", responsible="Amt für Stadtgrün", geometry=line, place="Hecke")
    row = ag.get_agreement(store, new)
    assert row.geometry.geom_type == "LineString" and row.geometry.equals_exact(line, 0.01)
    assert store.agreements().crs.to_epsg() == 25833
    assert "geometry_wkt: – → LINESTRING (" in store.audit_log().iloc[-1]["detail"]
    # carried out, the greenery cut keeps the line; police presence gets a corridor 25 m either side
    cut = ag.set_status(store, new, "umgesetzt", done="2026-10-01", today=TODAY)
    rec = store.read("greenery_cut").set_index("record_id").loc[cut["measure_id"]]
    assert rec.geometry.geom_type == "LineString" and rec.geometry.equals_exact(line, 0.01)
    police = _add(store, kind="Polizeipräsenz", responsible="Polizeidirektion", geometry=line)
    done = ag.set_status(store, police, "umgesetzt", done="2026-10-01", today=TODAY)
    rec = store.read("police_presence").set_index("record_id").loc[done["measure_id"]]
    assert rec.geometry.geom_type == "Polygon"
    assert rec.geometry.area == pytest.approx(shapely.buffer(line, ag.LINE_CORRIDOR_M).area, rel=1e-3)
    assert line.hausdorff_distance(rec.geometry.boundary) == pytest.approx(ag.LINE_CORRIDOR_M, rel=0.05)


def _hexes(centres, r=50.0):
    """Regular hexagons (circumradius ``r``) around ``centres`` – neighbours share an edge."""
    import numpy as np

    angles = np.deg2rad(np.arange(0, 360, 60))
    return [shapely.Polygon([(x + r * np.cos(a), y + r * np.sin(a)) for a in angles]) for x, y in centres]


def test_forecast_places_unite_touching_cells_and_rank_by_expected_finds():
    import geopandas as gpd
    import numpy as np

    r = 50.0
    dx, dy = 1.5 * r, r * np.sqrt(3) / 2  # hex neighbours (flat top)
    centres = [(0, 0), (dx, dy), (1000, 0), (1000 + dx, -dy), (1000, 2 * dy), (3000, 0)]
    cells = gpd.GeoDataFrame({"rank": [1, 4, 2, 3, 5, 6], "expected": [9.0, 1.0, 5.0, 4.0, 2.5, 11.5],
                              "method": "counts", "period": "01.11.2026 – 31.12.2026"},
                             geometry=_hexes(centres, r), crs="EPSG:25833")
    places = ag.forecast_places(cells)
    # three areas: {0, 1} (10), {2, 3, 4} (11.5), {5} (11.5; tie: its best cell ranks 6 → after the group)
    assert places["number"].tolist() == [1, 2, 3]
    assert places["expected"].tolist() == pytest.approx([11.5, 11.5, 10.0])
    assert places["n_cells"].tolist() == [3, 1, 2]
    assert places.geometry.iloc[0].area == pytest.approx(cells.geometry.iloc[2:5].area.sum(), rel=1e-4)
    assert places.geometry.iloc[0].geom_type == "Polygon" and places.geometry.iloc[2].geom_type == "Polygon"
    assert places.geometry.iloc[1].hausdorff_distance(cells.geometry.iloc[5]) < 0.01
    assert set(places["period"]) == {"01.11.2026 – 31.12.2026"} and places.crs.to_epsg() == 25833
    label, geom = ag.place_from_forecast(places, 3)
    assert label == "Prognosefläche Nr. 3" and geom.equals(places.geometry.iloc[2])
    with pytest.raises(UserError, match="Prognosefläche Nr. 4 gibt es nicht; die Prognose hat 3"):
        ag.place_from_forecast(places, 4)
    with pytest.raises(UserError, match="keine Flächen"):
        ag.place_from_forecast(ag.forecast_places(cells.iloc[0:0]), 1)


def test_forecast_area_of_the_demo_is_a_place(demo_store, store):
    from geo.analysis.forecast import forecast, forecast_areas
    from geo.core.period import Period

    result = forecast(demo_store.read("syringe_find"), "syringe_find", demo_store.area,
                      Period(date(2026, 9, 1), date(2026, 10, 31)))
    cells = forecast_areas(result)
    places = ag.forecast_places(cells)
    assert places["n_cells"].sum() == len(cells) and places["expected"].sum() == pytest.approx(cells["expected"].sum())
    assert (places["expected"].diff().dropna() <= 1e-9).all()
    # the top forecast area holds the top-ranked cell's neighbourhood: the largest scene
    assert places.geometry.iloc[0].contains(cells.geometry.iloc[0].representative_point())
    label, geom = ag.place_from_forecast(places, 1)
    new = _add(store, kind="Streetwork", responsible="Streetwork", geometry=geom, place=label)
    row = ag.get_agreement(store, new)
    assert row["place"] == "Prognosefläche Nr. 1" and row.geometry.area == pytest.approx(geom.area, rel=1e-6)
