"""Deletion on request and retention: purge or aggregate old reports, audited, atomic."""

from __future__ import annotations

import os
from datetime import date, datetime

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.data.ingest import import_frame
from geo.data.retention import (
    AGGREGATE_LAYER,
    check_ids,
    cutoff_date,
    delete_records,
    purge,
    read_aggregates,
)
from geo.data.store import Store

AREA = leipziger_osten()
NOW = datetime(2026, 11, 22, 12, 0)
TODAY = date(2026, 11, 21)
X0, Y0 = AREA.to_metric.transform(12.4033, 51.3439)

# (month, number of finds, syringes each, x offset in m): all finds of a row at one spot
FINDS = [("2024-09", 3, 2, 0), ("2024-10", 2, 1, 0), ("2025-10", 4, 3, 500), ("2025-11", 1, 1, 0),
         ("2026-11", 2, 1, 0)]


def _finds() -> gpd.GeoDataFrame:
    rows = [(pd.Timestamp(f"{m}-15 10:00") + pd.Timedelta(minutes=i), c, dx, i)
            for m, n, c, dx in FINDS for i in range(n)]
    return gpd.GeoDataFrame(
        {"found_at": [r[0] for r in rows], "count": [r[1] for r in rows], "source": "Stadtreinigung",
         "reporter": "Herr Muster"},
        geometry=[shapely.Point(X0 + dx + i * 0.5, Y0) for _, _, dx, i in rows], crs=AREA.crs)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "lagebild.gpkg", AREA)
    import_frame(_finds(), "syringe_find", s, source="funde", now=NOW)
    complaints = gpd.GeoDataFrame(
        {"received_at": pd.to_datetime(["2024-09-03", "2026-10-03"]), "category": "Lärm",
         "text": ["Herr Muster aus Nr. 12 beschwert sich", "neu"], "reporter": "X"},
        geometry=[shapely.Point(X0, Y0 + 100), shapely.Point(X0, Y0 + 200)], crs=AREA.crs)
    import_frame(complaints, "complaint", s, source="beschwerden", now=NOW)
    bins = gpd.GeoDataFrame({"installed_at": pd.to_datetime(["2020-01-01"]), "label": ["alt"]},
                            geometry=[shapely.Point(X0, Y0)], crs=AREA.crs)
    import_frame(bins, "disposal_bin", s, source="behaelter", now=NOW)
    return s


def test_cutoff_is_the_first_of_a_month():
    assert cutoff_date(12, date(2026, 11, 21)) == date(2025, 11, 1)
    assert cutoff_date(1, date(2026, 1, 31)) == date(2025, 12, 1)
    assert cutoff_date(25, date(2026, 3, 1)) == date(2024, 2, 1)
    with pytest.raises(UserError, match="mindestens 1 Monat"):
        cutoff_date(0, TODAY)


def test_purge_deletes_old_reports_only(store):
    result = purge(store, 12, today=TODAY, user="dsb")
    assert result.cutoff == date(2025, 11, 1)
    assert result.deleted == {"syringe_find": 9, "complaint": 1}
    finds = store.read("syringe_find")
    assert len(finds) == 3 and (finds["found_at"] >= pd.Timestamp("2025-11-01")).all()
    assert store.read("complaint")["text"].tolist() == ["neu"]
    assert store.count("disposal_bin") == 1  # measures are never purged
    assert read_aggregates(store).empty  # nothing aggregated without --aggregate
    log = store.audit_log()
    purged = log[log["action"] == "purge"]
    assert purged[["user", "kind", "count"]].values.tolist() == [["dsb", "syringe_find", 9], ["dsb", "complaint", 1]]
    assert (purged["detail"] == "Meldungen vor 01.11.2025 gelöscht").all()
    # the deleted texts are gone from the file, not just unlinked
    assert b"Herr Muster aus Nr. 12" not in store.path.read_bytes()


def test_purge_with_aggregation_keeps_monthly_cell_counts(store):
    old = store.read("syringe_find")
    old = old[old["found_at"] < pd.Timestamp("2025-11-01")]
    result = purge(store, 12, aggregate=True, today=TODAY, kinds=["syringe_find"])
    assert result.deleted == {"syringe_find": 9} and store.count("complaint") == 2
    agg = read_aggregates(store)
    assert list(agg.columns) == ["kind", "month", "cell_size", "shape", "cell_i", "cell_j", "records", "weight",
                                 "geometry"]
    assert agg[["month", "records", "weight"]].values.tolist() == [["2024-09", 3, 6.0], ["2024-10", 2, 2.0],
                                                                     ["2025-10", 4, 12.0]]
    assert (agg["kind"] == "syringe_find").all() and (agg["cell_size"] == 100.0).all()
    assert agg.crs == AREA.crs and agg.geom_type.eq("Polygon").all()
    # each purged find lies in the cell its month's row describes
    for month, group in old.groupby(old["found_at"].dt.strftime("%Y-%m")):
        cell = agg.loc[agg["month"] == month, "geometry"].iloc[0]
        assert group.within(cell).all()
    assert "reporter" not in agg and "text" not in agg


def test_second_purge_adds_to_existing_cells(store):
    purge(store, 24, aggregate=True, today=TODAY)  # cut-off 01.11.2024: September and October 2024
    first = read_aggregates(store)
    assert first[["kind", "month", "records"]].values.tolist() == [["complaint", "2024-09", 1],
                                                                    ["syringe_find", "2024-09", 3],
                                                                    ["syringe_find", "2024-10", 2]]
    late = _finds().iloc[:2].assign(found_at=pd.Timestamp("2024-09-20 08:00"))  # a late delivery for September 2024
    import_frame(late, "syringe_find", store, source="nachtrag", now=NOW)
    purge(store, 12, aggregate=True, today=TODAY)
    agg = read_aggregates(store)
    rows = agg[agg["kind"] == "syringe_find"][["month", "records"]].values.tolist()
    assert rows == [["2024-09", 5], ["2024-10", 2], ["2025-10", 4]]  # September merged, not duplicated
    assert store.count("syringe_find") == 3


def test_dry_run_changes_nothing(store):
    version = store.version()
    result = purge(store, 12, today=TODAY, dry_run=True)
    assert result.total == 10 and "würden gelöscht" in result.summary()
    assert store.version() == version and "purge" not in set(store.audit_log()["action"])


def test_old_rejects_files_are_purged(store):
    store.rejects_dir.mkdir(exist_ok=True)
    old, new = store.rejects_dir / "import-00001-alt.csv", store.rejects_dir / "import-00009-neu.csv"
    old.write_text("row;reason\n1;x\n")
    new.write_text("row;reason\n1;x\n")
    stamp = datetime(2025, 3, 1).timestamp()
    os.utime(old, (stamp, stamp))
    result = purge(store, 12, today=TODAY)
    assert result.rejects_files == ["import-00001-alt.csv"]
    assert not old.exists() and new.exists()


def test_purge_refuses_measures(store):
    with pytest.raises(UserError, match="Nur Meldungen"):
        purge(store, 12, kinds=["disposal_bin"], today=TODAY)


def test_purge_failure_leaves_the_store_unchanged(store, monkeypatch):
    version = store.version()
    monkeypatch.setattr(store, "_commit", lambda tmp: (_ for _ in ()).throw(OSError("Platte voll")))
    with pytest.raises(OSError):
        purge(store, 12, aggregate=True, today=TODAY)
    assert store.version() == version and store.count("syringe_find") == 12
    assert not list(store.path.parent.glob("*.tmp-*"))


# ---------------------------------------------------------------------------- deletion on request
def test_delete_records_with_reason(store):
    complaints = store.read("complaint")
    target = complaints.loc[complaints["text"].str.startswith("Herr Muster"), "record_id"].iloc[0]
    result = delete_records(store, "complaint", [target.upper(), "0" * 16], reason="  Löschersuchen Art. 17, Az 4 ",
                            user="dsb")
    assert result.deleted == [target] and result.missing == ["0" * 16]
    assert store.count("complaint") == 1
    assert b"Herr Muster aus Nr. 12" not in store.path.read_bytes()
    entry = store.audit_log().iloc[-1]
    assert (entry["action"], entry["user"], entry["kind"], entry["count"]) == ("delete", "dsb", "complaint", 1)
    assert entry["detail"] == f"Grund: Löschersuchen Art. 17, Az 4; IDs: {target}"


@pytest.mark.parametrize(("ids", "reason", "message"), [
    (["abc"], "Grund", "Ungültige Datensatz-ID"),
    ([], "Grund", "Keine Datensatz-ID"),
    (["0" * 16], "", "Grund"),
    (["0" * 16], "Grund", "nichts gelöscht"),
])
def test_delete_records_refusals(store, ids, reason, message):
    version = store.version()
    with pytest.raises(UserError, match=message):
        delete_records(store, "complaint", ids, reason=reason, user="x")
    assert store.version() == version


def test_check_ids_normalises():
    assert check_ids([" ABCDEF0123456789 ", "abcdef0123456789"]) == ["abcdef0123456789"]


def test_cli_delete_and_purge(store, capsys):
    rid = store.read("syringe_find")["record_id"].iloc[0]
    args = ["--store", str(store.path), "--user", "dsb"]
    assert main(["delete", "--kind", "syringe_find", "--id", rid, "--reason", "Löschersuchen", *args]) == 0
    assert "gelöscht: 1" in capsys.readouterr().out
    assert main(["delete", "--kind", "syringe_find", "--id", rid, "--reason", "nochmal", *args]) == 2
    assert "nichts gelöscht" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --reason is required
        main(["delete", "--kind", "syringe_find", "--id", rid, *args])
    capsys.readouterr()
    assert main(["purge", "--older-than", "12", "--aggregate", *args]) == 0
    out = capsys.readouterr().out
    assert "Stichtag" in out and AGGREGATE_LAYER in out
    assert store.audit_log()["action"].tolist()[-2:] == ["purge", "purge"]
