"""The store contract, run against both backends (``any_store``: GeoPackage and PostGIS).

Import, conservation of rows, dedupe, files of rejected rows, history, audit, delete, purge,
backup/restore and the content version behave identically on both; where a test needs the
same data on both backends it compares with values computed from the input, not with the
other backend.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.period import Period
from geo.data.backup import backup, restore
from geo.data.ingest import import_file, import_frame
from geo.data.retention import delete_records, purge, read_aggregates
from geo.data.storecopy import store_checksums

AREA = leipziger_osten()
NOW = datetime(2026, 11, 22, 12, 0)
X0, Y0 = AREA.to_metric.transform(12.4033, 51.3439)
IN_LAT, IN_LON = 51.34390, 12.40330


def _csv(tmp_path: Path, name: str, n: int, *, day: int = 1, bad: int = 0) -> Path:
    """``n`` valid finds on 2026-10-``day`` spread 3 m apart, then ``bad`` rows without a date."""
    lats = IN_LAT + np.arange(n) * 0.00003
    rows = [f"{day:02d}.10.2026 {8 + i % 10}:{i % 60:02d};{lat:.6f};{IN_LON};{1 + i % 4};Stadtreinigung;Frau {i}"
            for i, lat in enumerate(lats)]
    rows += [f";{IN_LAT};{IN_LON};1;Polizei;" for _ in range(bad)]
    path = tmp_path / name
    path.write_text("Datum;Breite;Länge;Anzahl;Quelle;Melder\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_conserves_rows_and_reads_back_the_values(tmp_path, any_store):
    report = import_file(_csv(tmp_path, "a.csv", 40, bad=3), "syringe_find", any_store, now=NOW)
    assert (report.rows_read, report.stored, report.rejected) == (43, 40, 3)
    assert any_store.count("syringe_find") == 40
    assert any_store.layers() == ["syringe_find"]
    gdf = any_store.read("syringe_find")
    assert list(gdf.columns)[:6] == ["record_id", "import_id", "found_at", "count", "source", "reporter"]
    assert gdf.columns[-1] == "geometry"
    assert gdf.crs.to_epsg() == 25833
    assert str(gdf["found_at"].dtype) == "datetime64[ns]" and str(gdf["count"].dtype) == "int64"
    assert gdf["count"].sum() == sum(1 + i % 4 for i in range(40))
    assert gdf["found_at"].iloc[0] == pd.Timestamp("2026-10-01 08:00")
    assert gdf["reporter"].iloc[5] == "Frau 5" and gdf["record_id"].is_unique
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    assert gdf.geometry.iloc[0].distance(shapely.Point(x, y)) < 0.01
    assert any_store.ids("syringe_find").equals(pd.Index(gdf["record_id"].astype(object)))


def test_reimport_is_deduplicated_and_rejects_are_written(tmp_path, any_store):
    path = _csv(tmp_path, "a.csv", 25)
    first = import_file(path, "syringe_find", any_store, now=NOW)
    second = import_file(path, "syringe_find", any_store, now=NOW)
    assert (first.stored, second.stored, second.rejected) == (25, 0, 25)
    assert set(second.rejects["reason"]) == {"Duplikat eines gespeicherten Datensatzes"}
    assert second.earlier_import is not None
    assert any_store.count("syringe_find") == 25
    assert Path(second.rejects_file).parent == any_store.rejects_dir
    rejects = pd.read_csv(second.rejects_file, sep=";", encoding="utf-8-sig")
    assert list(rejects["row"]) == list(range(1, 26))


def test_import_history_newest_first(tmp_path, any_store):
    import_file(_csv(tmp_path, "a.csv", 5, bad=1), "syringe_find", any_store, now=NOW, user="anna")
    import_file(_csv(tmp_path, "b.csv", 7, day=20), "syringe_find", any_store, now=NOW, user="ben")
    hist = any_store.imports()
    assert list(hist["import_id"]) == [2, 1]
    assert list(hist["file_name"]) == ["b.csv", "a.csv"]
    assert list(hist["stored"]) == [7, 5] and list(hist["rejected"]) == [0, 1]
    assert list(hist["user"]) == ["ben", "anna"]
    found = any_store.find_import(hist["sha256"].iloc[1], "syringe_find")
    assert found["file_name"] == "a.csv"
    assert sorted(any_store.read("syringe_find")["import_id"].unique()) == [1, 2]


def test_period_and_area_filters(tmp_path, any_store):
    import_file(_csv(tmp_path, "a.csv", 5, day=1), "syringe_find", any_store, now=NOW)
    import_file(_csv(tmp_path, "b.csv", 7, day=20), "syringe_find", any_store, now=NOW)
    assert len(any_store.read("syringe_find", Period(date(2026, 10, 1), date(2026, 10, 1)))) == 5
    assert len(any_store.read("syringe_find", Period(date(2026, 10, 2), date(2026, 10, 31)))) == 7
    assert len(any_store.read("complaint")) == 0
    x, y = AREA.to_metric.transform(IN_LON, IN_LAT)
    near = any_store.read("syringe_find", bbox=(x - 1, y - 1, x + 1, y + 4))  # first 2 rows of each file
    assert len(near) == 4
    # measures: active during the period (started before its end, not ended before its start)
    bins = gpd.GeoDataFrame({"installed_at": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-09-01"]),
                             "removed_at": pd.to_datetime(["2026-02-01", None, None]), "label": ["a", "b", "c"]},
                            geometry=[shapely.Point(X0, Y0 + i) for i in range(3)], crs=AREA.crs)
    import_frame(bins, "disposal_bin", any_store, source="b", now=NOW)
    active = any_store.read("disposal_bin", Period(date(2026, 4, 1), date(2026, 4, 30)))
    assert list(active["label"]) == ["b"]
    assert any_store.read("disposal_bin")["removed_at"].isna().sum() == 2


def test_audit_log_records_imports_and_deletions(tmp_path, any_store):
    import_file(_csv(tmp_path, "a.csv", 6), "syringe_find", any_store, now=NOW, user="anna")
    ids = list(any_store.ids("syringe_find")[:2])
    result = delete_records(any_store, "syringe_find", [*ids, "0" * 16], reason="Antrag Art. 17", user="dsb")
    assert result.deleted == ids and result.missing == ["0" * 16]
    assert any_store.count("syringe_find") == 4
    assert not set(ids) & set(any_store.ids("syringe_find"))
    log = any_store.audit_log()
    assert list(log["action"]) == ["import", "delete"]
    assert list(log["user"]) == ["anna", "dsb"]
    assert int(log["count"].iloc[1]) == 2 and "Antrag Art. 17" in log["detail"].iloc[1]


def test_purge_with_aggregation(any_store):
    rows = [(pd.Timestamp("2024-09-15 10:00") + pd.Timedelta(minutes=i), 2) for i in range(6)]
    rows += [(pd.Timestamp("2026-10-15 10:00") + pd.Timedelta(minutes=i), 1) for i in range(3)]
    finds = gpd.GeoDataFrame({"found_at": [r[0] for r in rows], "count": [r[1] for r in rows]},
                             geometry=[shapely.Point(X0 + i * 0.5, Y0) for i in range(len(rows))], crs=AREA.crs)
    import_frame(finds, "syringe_find", any_store, source="funde", now=NOW)
    result = purge(any_store, 12, aggregate=True, today=date(2026, 11, 21), user="dsb")
    assert result.deleted == {"syringe_find": 6} and result.aggregate_rows == 1
    assert any_store.count("syringe_find") == 3
    agg = read_aggregates(any_store)
    assert list(agg["month"]) == ["2024-09"] and list(agg["records"]) == [6] and list(agg["weight"]) == [12.0]
    again = purge(any_store, 12, aggregate=True, today=date(2026, 11, 21))
    assert again.total == 0
    assert any_store.audit_log()["action"].tolist()[-1] == "purge"


def test_version_changes_with_every_write_only(tmp_path, any_store):
    assert any_store.version() == "empty"
    import_file(_csv(tmp_path, "a.csv", 5), "syringe_find", any_store, now=NOW)
    v1 = any_store.version()
    any_store.read("syringe_find")
    any_store.imports()
    assert any_store.version() == v1
    import_file(_csv(tmp_path, "b.csv", 5, day=2), "syringe_find", any_store, now=NOW)
    v2 = any_store.version()
    any_store.delete("syringe_find", list(any_store.ids("syringe_find")[:1]))
    v3 = any_store.version()
    assert len({v1, v2, v3}) == 3


def test_backup_and_restore_round_trip(tmp_path, any_store):
    import_file(_csv(tmp_path, "a.csv", 30), "syringe_find", any_store, now=NOW)
    before = store_checksums(any_store)
    info = backup(any_store, tmp_path / "sicherung.zip", user="admin")
    assert info.check.counts == {"syringe_find": 30} and info.check.imports == 1
    import_file(_csv(tmp_path, "b.csv", 10, day=3), "syringe_find", any_store, now=NOW)
    assert any_store.count("syringe_find") == 40
    result = restore(any_store, info.path, user="admin")
    assert result.previous is not None and result.previous.exists()
    assert store_checksums(any_store) == before
    assert any_store.audit_log()["action"].tolist() == ["import", "backup", "import", "restore"]


def test_cli_commands_accept_the_store(tmp_path, any_store, capsys):
    import_file(_csv(tmp_path, "a.csv", 12), "syringe_find", any_store, now=NOW)
    location = getattr(any_store, "url", None) or str(any_store.path)
    out = tmp_path / "funde.csv"
    assert main(["export", "--kind", "syringe_find", "--store", location, "--out", str(out)]) == 0, \
        capsys.readouterr().err
    assert len(pd.read_csv(out, sep=";", encoding="utf-8-sig")) == 12
    path = _csv(tmp_path, "c.csv", 3, day=5)
    assert main(["import", str(path), "--kind", "syringe_find", "--store", location]) == 0
    assert "gespeichert: 3, abgelehnt: 0" in capsys.readouterr().out
    assert any_store.count("syringe_find") == 15


def test_quality_columns_round_trip(any_store):
    """Time windows and location flags (issue 12) are stored and read back alike on both backends."""
    from geo.core.schema import DATE_ONLY, KINDS, LOCATION_FLAG, TIME_FROM, TIME_TO

    kind = KINDS["syringe_find"]
    rows = gpd.GeoDataFrame({"record_id": ["a" * 16, "b" * 16], "found_at": pd.to_datetime(["2026-10-01"] * 2),
                             "count": [1, 2], "source": "x", "reporter": "",
                             TIME_FROM: pd.to_datetime(["2026-10-01 08:00", None]),
                             TIME_TO: pd.to_datetime(["2026-10-02 10:00", None]), DATE_ONLY: [True, False],
                             LOCATION_FLAG: ["", "Sammelpunkt"]},
                            geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 1, Y0)], crs=AREA.crs)
    with any_store.lock():
        any_store.write_import(kind, rows, {"file_name": "f.csv", "kind": "syringe_find"})
    back = any_store.read("syringe_find")
    assert list(back[LOCATION_FLAG]) == ["", "Sammelpunkt"]
    assert back[TIME_TO].iloc[0] == pd.Timestamp("2026-10-02 10:00") and pd.isna(back[TIME_FROM].iloc[1])
    assert list(back[DATE_ONLY]) == [True, False]
    assert str(back[TIME_FROM].dtype) == "datetime64[ns]"


def test_deleted_records_stay_deleted_after_reimport_and_restore(tmp_path, any_store):
    """Issue 16 (7): a data-protection deletion leaves a tombstone on every backend."""
    from geo.data.ingest import REASON_DELETED

    src = _csv(tmp_path, "a.csv", 6)
    import_file(src, "syringe_find", any_store, now=NOW)
    old = backup(any_store, tmp_path / "alt.zip", user="admin")
    ids = list(any_store.ids("syringe_find")[:2])
    delete_records(any_store, "syringe_find", ids, reason="Antrag Art. 17", user="dsb")
    assert any_store.tombstones("syringe_find") == {"syringe_find": set(ids)}
    report = import_file(src, "syringe_find", any_store, now=NOW)
    assert report.stored == 0 and (report.rejects["reason"] == REASON_DELETED).sum() == 2
    result = restore(any_store, old.path, user="admin")
    assert result.removed == {"syringe_find": 2} and any_store.count("syringe_find") == 4
    assert not set(ids) & set(any_store.ids("syringe_find"))


# ---------------------------------------------------------------------------- agreements (issue 13)
AGREED_TODAY = date(2026, 11, 10)


def _agreement(store, **kw) -> int:
    from geo.data import agreements as ag

    args = dict(title="Behälter Torgauer Straße", kind="Spritzenentsorgungsbehälter",
                geometry=ag.place_from_latlon(store.area, 51.3452, 12.4050), agreed="2026-09-08",
                responsible="Stadtreinigung", due="2026-10-31", notes="nur intern", user="anna")
    return ag.add_agreement(store, **(args | kw))


def test_agreement_is_stored_and_audited(tmp_path, any_store):
    import_file(_csv(tmp_path, "a.csv", 3), "syringe_find", any_store, now=NOW)
    assert any_store.agreements().empty
    v0 = any_store.version()
    assert _agreement(any_store) == 1 and _agreement(any_store, title="Zweiter", public=True) == 2
    assert any_store.version() != v0
    table = any_store.agreements()
    assert list(table["agreement_id"]) == [1, 2] and str(table["agreement_id"].dtype) == "int64"
    first = table.iloc[0]
    assert (first["title"], first["kind"], first["responsible"], first["status"], first["notes"]) == \
        ("Behälter Torgauer Straße", "disposal_bin", "Stadtreinigung", "agreed", "nur intern")
    assert first["agreed"] == pd.Timestamp("2026-09-08") and first["due"] == pd.Timestamp("2026-10-31")
    assert pd.isna(first["done"]) and first["measure_id"] == "" and first["updated_by"] == "anna"
    assert list(table["public"]) == [False, True] and str(table["agreed"].dtype) == "datetime64[ns]"
    x, y = AREA.to_metric.transform(12.4050, 51.3452)
    assert table.crs.to_epsg() == 25833 and first.geometry.distance(shapely.Point(x, y)) < 0.01
    log = any_store.audit_log().iloc[-2]
    assert (log["action"], log["user"], log["kind"], int(log["count"])) == ("agreement_add", "anna", "agreement", 1)
    point = first.geometry
    assert log["detail"] == (
        f"Vereinbarung Nr. 1: title: – → Behälter Torgauer Straße; kind: – → disposal_bin; geometry_wkt: – → "
        f"{shapely.to_wkt(point, rounding_precision=2, trim=True)}; agreed: – → 2026-09-08; responsible: – → "
        "Stadtreinigung; due: – → 2026-10-31; status: – → agreed; notes: – → nur intern; public: – → 0")


def test_agreement_status_change_creates_and_replaces_the_measure_record(tmp_path, any_store):
    from geo.data import agreements as ag

    import_file(_csv(tmp_path, "a.csv", 3), "syringe_find", any_store, now=NOW)
    new = _agreement(any_store)
    done = ag.set_status(any_store, new, "umgesetzt", done="2026-10-05", user="bernd", today=AGREED_TODAY)
    bins = any_store.read("disposal_bin")
    assert list(bins["record_id"]) == [done["measure_id"]] and done["status"] == "done"
    assert bins["installed_at"].iloc[0] == pd.Timestamp("2026-10-05") and pd.isna(bins["removed_at"].iloc[0])
    assert bins.geometry.iloc[0].distance(done.geometry.representative_point()) < 0.01
    hist = any_store.imports().iloc[0]
    assert (hist["file_name"], hist["kind"], int(hist["stored"]), hist["user"]) == \
        ("Vereinbarung Nr. 1", "disposal_bin", 1, "bernd")
    assert int(bins["import_id"].iloc[0]) == int(hist["import_id"]) == 2
    log = any_store.audit_log().iloc[-1]
    assert log["action"] == "agreement_change" and log["user"] == "bernd"
    assert log["detail"] == (f"Vereinbarung Nr. 1: status: agreed → done; done: – → 2026-10-05; measure_id: – → "
                             f"{done['measure_id']}; Maßnahme disposal_bin angelegt: {done['measure_id']}")
    ended = ag.set_status(any_store, new, "beendet", done="2026-11-01", user="bernd", today=AGREED_TODAY)
    bins = any_store.read("disposal_bin")
    assert list(bins["record_id"]) == [ended["measure_id"]] and ended["measure_id"] != done["measure_id"]
    assert bins["removed_at"].iloc[0] == pd.Timestamp("2026-11-01")
    assert f"Maßnahme disposal_bin ersetzt: {done['measure_id']}" in any_store.audit_log()["detail"].iloc[-1]


def test_agreement_places_as_line_and_area_and_an_edit_is_audited(tmp_path, any_store):
    """A place drawn as a line or an area keeps its type and coordinates (metric CRS, cm) on both backends;
    moving it is one audit line with who, when and old → new."""
    from geo.data import agreements as ag

    import_file(_csv(tmp_path, "a.csv", 3), "syringe_find", any_store, now=NOW)
    line = shapely.LineString([(X0, Y0), (X0 + 80.123, Y0 + 10.456), (X0 + 150, Y0 - 20)])
    area = shapely.Polygon([(X0, Y0), (X0 + 60, Y0), (X0 + 60, Y0 + 40), (X0, Y0 + 40)])
    first = _agreement(any_store, kind="greenery_cut", responsible="Amt für Stadtgrün", geometry=line)
    second = _agreement(any_store, kind="police_presence", responsible="Polizeidirektion", geometry=area)
    table = any_store.agreements().set_index("agreement_id")
    assert table.crs.to_epsg() == 25833
    assert table.geometry[first].geom_type == "LineString" and table.geometry[first].equals_exact(line, 0.006)
    assert table.geometry[second].geom_type == "Polygon" and table.geometry[second].equals_exact(area, 0.006)
    before = datetime.now()
    ag.edit_agreement(any_store, first, geometry=area, user="carla")
    after = datetime.now()
    assert any_store.agreements().set_index("agreement_id").geometry[first].equals_exact(area, 0.006)
    log = any_store.audit_log().iloc[-1]
    assert (log["action"], log["user"]) == ("agreement_change", "carla")
    assert before.replace(microsecond=0) <= pd.Timestamp(log["at"]).to_pydatetime().replace(tzinfo=None) <= after
    old, new = (shapely.to_wkt(g, rounding_precision=2, trim=True) for g in (line, area))
    assert len(new) > 80 and old.startswith("LINESTRING (")  # long texts are shortened in the log
    assert log["detail"] == f"Vereinbarung Nr. {first}: geometry_wkt: {old} → {new[:77]}…"


def test_bad_agreement_entry_changes_nothing(tmp_path, any_store):
    from geo.core.errors import UserError
    from geo.data import agreements as ag

    import_file(_csv(tmp_path, "a.csv", 3), "syringe_find", any_store, now=NOW)
    new = _agreement(any_store)
    measure_id = ag.set_status(any_store, new, "umgesetzt", done="2026-10-05", today=AGREED_TODAY)["measure_id"]
    before = (any_store.version(), len(any_store.audit_log()), len(any_store.imports()))
    table = any_store.agreements()
    with pytest.raises(UserError, match="Keine Vereinbarung mit der Nummer 7"):
        any_store.save_agreement({"agreement_id": 7, "title": "x"}, user="anna")
    with pytest.raises(UserError, match="Frist"):
        _agreement(any_store, due="2026-01-01")
    with pytest.raises(UserError, match="nach »verworfen« ist nicht"):
        ag.set_status(any_store, new, "verworfen", reason="zu spät", today=AGREED_TODAY)
    # a write failing halfway (a broken measure after the old one was deleted) leaves everything as it was
    broken = gpd.GeoDataFrame({"record_id": ["f" * 16]}, geometry=[shapely.Point(X0, Y0)], crs=AREA.crs)
    with pytest.raises(KeyError):
        any_store.save_agreement({"agreement_id": new, "status": "ended"}, user="anna", measure_kind="disposal_bin",
                                 measure=broken, drop_measure=measure_id)
    assert (any_store.version(), len(any_store.audit_log()), len(any_store.imports())) == before
    assert list(any_store.read("disposal_bin")["record_id"]) == [measure_id]
    pd.testing.assert_frame_equal(pd.DataFrame(any_store.agreements()), pd.DataFrame(table))


# ---------------------------------------------------------------------------- offline base maps (issue 11)
def _base_features(n_buildings: int = 2) -> gpd.GeoDataFrame:
    houses = [shapely.box(X0 + 30 * i, Y0, X0 + 30 * i + 20, Y0 + 15) for i in range(n_buildings)]
    street = shapely.LineString([(X0 - 50, Y0 - 10), (X0 + 200, Y0 - 10)])
    park = shapely.box(X0, Y0 + 100, X0 + 80, Y0 + 160)
    return gpd.GeoDataFrame({"theme": ["building"] * n_buildings + ["street", "green"],
                             "name": [""] * n_buildings + ["Eisenbahnstraße", "Rabet"],
                             "street": ["Eisenbahnstraße"] * n_buildings + ["", ""],
                             "housenumber": [str(50 + 2 * i) for i in range(n_buildings)] + ["", ""]},
                            geometry=[*houses, street, park], crs=AREA.crs)


def test_base_maps_write_list_read_replace_remove(any_store):
    assert any_store.base_layers().empty and any_store.read_base().empty
    features = _base_features()
    assert any_store.write_base("osten", features) == 4
    v1 = any_store.version()
    assert any_store.layers() == [] and any_store.is_empty()  # not a kind: never counted, exported or purged
    table = any_store.base_layers()
    assert list(table.columns) == ["base_name", "theme", "features"]
    assert table.values.tolist() == [["osten", "building", 2], ["osten", "green", 1], ["osten", "street", 1]]
    back = any_store.read_base()
    assert list(back.columns) == ["base_name", "theme", "name", "street", "housenumber", "geometry"]
    assert back.crs.to_epsg() == 25833 and back["housenumber"].tolist() == ["50", "52", "", ""]
    assert shapely.equals_exact(back.geometry.values, features.geometry.values, tolerance=1e-6).all()
    houses = any_store.read_base(["building", "street"])
    assert houses["theme"].tolist() == ["building", "building", "street"]
    assert any_store.read_base(["water"]).empty
    # the same name replaces, another name adds
    assert any_store.write_base("osten", _base_features(3).iloc[:3]) == 3
    assert any_store.version() != v1
    assert any_store.write_base("zweite", features.iloc[2:3]) == 1
    assert any_store.base_layers().values.tolist() == [["osten", "building", 3], ["zweite", "street", 1]]
    assert any_store.remove_base("osten") == 3 and any_store.remove_base("osten") == 0
    assert any_store.read_base()["base_name"].tolist() == ["zweite"]


def test_base_maps_from_another_crs_are_stored_in_metres(any_store):
    wgs = _base_features().to_crs("EPSG:4326")
    any_store.write_base("wgs", wgs)
    back = any_store.read_base()
    assert back.crs.to_epsg() == 25833
    assert back.geometry.iloc[0].distance(shapely.Point(X0 + 10, Y0 + 7.5)) < 0.01


def test_backup_and_restore_keep_agreements_and_base_maps(tmp_path, any_store):
    import_file(_csv(tmp_path, "a.csv", 5), "syringe_find", any_store, now=NOW)
    _agreement(any_store)
    any_store.write_base("osten", _base_features())
    counts, sums = store_checksums(any_store)
    assert {"_agreements", "_base"} <= set(sums)
    info = backup(any_store, tmp_path / "sicherung.zip", user="admin")
    _agreement(any_store, title="Nach der Sicherung")
    any_store.remove_base("osten")
    restore(any_store, info.path, user="admin")
    assert store_checksums(any_store) == (counts, sums)
    assert any_store.agreements()["title"].tolist() == ["Behälter Torgauer Straße"]
    assert len(any_store.read_base()) == 4


# ---------------------------------------------------------------------------- location flags (issue 12)
def _flagged(store, flags=("Sammelpunkt", "Sammelpunkt", "")) -> list[str]:
    from geo.core.schema import KINDS, LOCATION_FLAG

    ids = [c * 16 for c in "abc"[:len(flags)]]
    rows = gpd.GeoDataFrame({"record_id": ids, "found_at": pd.to_datetime(["2026-10-01"] * len(flags)),
                             "count": 1, "source": "x", "reporter": "", LOCATION_FLAG: list(flags)},
                            geometry=[shapely.Point(X0 + i, Y0) for i in range(len(flags))], crs=AREA.crs)
    with store.lock():
        store.write_import(KINDS["syringe_find"], rows, {"file_name": "f.csv", "kind": "syringe_find"})
    return ids


def test_location_flags_are_set_cleared_and_audited(any_store):
    from geo.core.errors import UserError
    from geo.core.schema import FLAG_STACK, LOCATION_FLAG

    ids = _flagged(any_store)
    v0 = any_store.version()
    assert any_store.set_location_flag("syringe_find", [ids[0], "0" * 16], "", user="carla", note="Hausnummer") == 1
    assert any_store.version() != v0
    assert list(any_store.read("syringe_find")[LOCATION_FLAG]) == ["", FLAG_STACK, ""]
    log = any_store.audit_log().iloc[-1]
    assert (log["action"], log["user"], log["kind"], int(log["count"]), log["detail"]) == \
        ("location_flag", "carla", "syringe_find", 1, "Ortshinweis aufgehoben: Hausnummer")
    assert any_store.set_location_flag("syringe_find", [ids[2]], FLAG_STACK, user="carla") == 1
    assert list(any_store.read("syringe_find")[LOCATION_FLAG]) == ["", FLAG_STACK, FLAG_STACK]
    assert any_store.audit_log()["detail"].iloc[-1] == "Ortshinweis 'Sammelpunkt' gesetzt"
    any_store.confirm_location_flag("syringe_find", ids[1:], user="dora", note="echter Ort")
    log = any_store.audit_log().iloc[-1]
    assert (log["user"], int(log["count"]), log["detail"]) == ("dora", 2, "Sammelpunkt bestätigt: echter Ort")
    entries, version = len(any_store.audit_log()), any_store.version()
    with pytest.raises(UserError, match="Unbekannter Ortshinweis 'Haufen'"):
        any_store.set_location_flag("syringe_find", ids, "Haufen")
    assert any_store.set_location_flag("syringe_find", [], FLAG_STACK) == 0
    assert any_store.set_location_flag("complaint", ids, FLAG_STACK) == 0  # no such records
    assert (len(any_store.audit_log()), any_store.version()) == (entries, version)


def test_location_flag_on_records_without_the_column_changes_nothing(any_store):
    from geo.core.schema import FLAG_STACK, KINDS

    rows = gpd.GeoDataFrame({"record_id": ["a" * 16], "installed_at": pd.to_datetime(["2026-01-01"]),
                             "removed_at": pd.to_datetime([None]), "owner": "x", "label": ["a"]},
                            geometry=[shapely.Point(X0, Y0)], crs=AREA.crs)
    with any_store.lock():
        any_store.write_import(KINDS["disposal_bin"], rows, {"file_name": "b.csv", "kind": "disposal_bin"})
    entries, version = len(any_store.audit_log()), any_store.version()
    assert any_store.set_location_flag("disposal_bin", ["a" * 16], FLAG_STACK) == 0
    assert (len(any_store.audit_log()), any_store.version()) == (entries, version)


def test_basemap_commands_accept_the_store(tmp_path, any_store, capsys):
    house = shapely.Polygon([(12.4000, 51.3450), (12.4003, 51.3450), (12.4003, 51.3452), (12.4000, 51.3452)])
    street = shapely.LineString([(12.399, 51.3445), (12.403, 51.3445)])
    osm = gpd.GeoDataFrame({"building": ["yes", None], "highway": [None, "primary"], "name": [None, "Eisenbahnstraße"],
                            "addr:street": ["Eisenbahnstraße", None], "addr:housenumber": ["7", None]},
                           geometry=[house, street], crs="EPSG:4326")
    osm.to_file(tmp_path / "osten.geojson")
    location = getattr(any_store, "url", None) or str(any_store.path)
    assert main(["basemap", "import", str(tmp_path / "osten.geojson"), "--store", location]) == 0, \
        capsys.readouterr().err
    assert "Grundkarte 'osten' gespeichert: 2 Objekte" in capsys.readouterr().out
    assert main(["basemap", "list", "--store", location]) == 0
    assert capsys.readouterr().out.startswith("osten: ")
    assert any_store.read_base()["housenumber"].tolist() == ["7", ""]
    assert any_store.audit_log()["action"].tolist() == ["basemap_import"]
    assert main(["basemap", "remove", "osten", "--store", location]) == 0
    assert any_store.base_layers().empty
    assert main(["basemap", "remove", "osten", "--store", location]) == 2
    assert "Keine Grundkarte 'osten'" in capsys.readouterr().err


def test_agreement_commands_accept_the_store(tmp_path, any_store, capsys, monkeypatch):
    monkeypatch.setenv("LAGEBILD_TODAY", "2026-11-10")
    monkeypatch.setenv("LAGEBILD_USER", "testerin")
    import_file(_csv(tmp_path, "a.csv", 4), "syringe_find", any_store, now=NOW)
    location = getattr(any_store, "url", None) or str(any_store.path)
    add = ["agreements", "add", "--title", "Behälter Hermann-Liebmann-Straße", "--kind", "Spritzenentsorgungsbehälter",
           "--lat", "51.3456", "--lon", "12.4062", "--agreed", "08.09.2026", "--responsible", "Stadtreinigung",
           "--due", "2026-10-31", "--store", location]
    assert main(add) == 0 and capsys.readouterr().out.strip() == "1"
    assert main(["agreements", "set", "1", "--status", "umgesetzt", "--done", "2026-10-05", "--store", location]) == 0
    capsys.readouterr()
    row = any_store.agreements().iloc[0]
    assert row["status"] == "done" and list(any_store.ids("disposal_bin")) == [row["measure_id"]]
    assert any_store.audit_log()["user"].tolist()[-2:] == ["testerin", "testerin"]
    assert main(["agreements", "set", "1", "--status", "vereinbart", "--store", location]) == 2
    assert capsys.readouterr().err.startswith("Fehler: ")
    assert main(["agreements", "list", "--store", location]) == 0
    assert "Behälter Hermann-Liebmann-Straße" in capsys.readouterr().out
