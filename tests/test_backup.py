"""Backup and restore: one command each, validated, atomic, audited."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from datetime import datetime

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.core.area import StudyArea, leipziger_osten
from geo.core.errors import UserError
from geo.data import backup as backup_module
from geo.data.backup import backup, check_store_file, restore
from geo.data.ingest import import_frame
from geo.data.store import Store

AREA = leipziger_osten()
NOW = datetime(2026, 11, 22, 12, 0)
X0, Y0 = AREA.to_metric.transform(12.4033, 51.3439)


def _finds(n: int, dx: float = 0.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"found_at": pd.Timestamp("2026-10-01 10:00") + pd.to_timedelta(range(n), "min"),
                             "count": 1}, geometry=[shapely.Point(X0 + dx + i, Y0) for i in range(n)], crs=AREA.crs)


def _content(store: Store) -> tuple:
    return ({k: sorted(store.ids(k)) for k in store.layers()}, store.imports()["import_id"].tolist())


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "daten" / "lagebild.gpkg", AREA)
    import_frame(_finds(30), "syringe_find", s, source="a", now=NOW)
    import_frame(gpd.GeoDataFrame({"name": ["Kita"], "place_type": ["Kita"]}, geometry=[shapely.Point(X0, Y0)],
                                  crs=AREA.crs), "sensitive_place", s, source="b", now=NOW)
    return s


def test_backup_and_restore_round_trip(tmp_path, store):
    info = backup(store, user="admin", now=NOW)
    assert info.path == store.path.parent / "backups" / "lagebild-20261122-120000.zip"
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    with zipfile.ZipFile(info.path) as zf:
        assert sorted(zf.namelist()) == ["audit.jsonl", "manifest.json", "store.gpkg"]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["counts"] == {"syringe_find": 30, "sensitive_place": 1} and manifest["imports"] == 2
    assert manifest["crs"] == "EPSG:25833" and manifest["format"] == "lagebild-backup"
    saved = _content(store)

    import_frame(_finds(5, dx=100), "syringe_find", store, source="c", now=NOW)  # later changes …
    store.delete("sensitive_place", store.ids("sensitive_place"))
    changed_digest = _digest(store.path)
    result = restore(store, info.path, user="admin", now=datetime(2026, 11, 23, 9, 0))
    assert _content(store) == saved  # … are undone
    assert result.check.counts == {"syringe_find": 30, "sensitive_place": 1}
    assert result.previous.name == "lagebild-vor-wiederherstellung-20261123-090000.gpkg"
    assert _digest(result.previous) == changed_digest  # the replaced state is kept
    actions = store.audit_log()["action"].tolist()
    assert actions == ["import", "import", "backup", "import", "restore"]
    assert not list(store.path.parent.glob(".*restore*"))
    # the kept copy restores too (plain GeoPackage)
    restore(store, result.previous, user="admin")
    assert store.count("syringe_find") == 35


def test_restore_on_a_new_machine_brings_the_audit_log(tmp_path, store):
    info = backup(store, tmp_path / "sicherung.zip", user="admin")
    fresh = Store(tmp_path / "neu" / "lagebild.gpkg", AREA)
    result = restore(fresh, info.path, user="admin")
    assert result.previous is None and _content(fresh) == _content(store)
    assert fresh.audit_log()["action"].tolist() == ["import", "import", "restore"]  # log as of the backup


def _rewrite_member(path, name: str, transform) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = transform(members[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def _flip(data: bytes) -> bytes:
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]


@pytest.mark.parametrize(("damage", "message"), [
    (lambda p: _rewrite_member(p, "store.gpkg", _flip), "Prüfsumme"),
    (lambda p: _rewrite_member(p, "audit.jsonl", lambda d: d + b'{"x": 1}\n'), "Prüfsumme"),
    (lambda p: _rewrite_member(p, "manifest.json", lambda d: d.replace(b"lagebild-backup", b"fremd")),
     "Manifest fehlt oder fremd"),
    (lambda p: _rewrite_member(p, "manifest.json", lambda d: d.replace(b'"version": 1', b'"version": 9')),
     "neueren Lagebild-Version"),
    (lambda p: _rewrite_member(p, "manifest.json", lambda d: b"{kein json"), "Manifest oder Audit-Log"),
    (lambda p: p.write_bytes(p.read_bytes()[:-200]), "beschädigt"),
    (lambda p: p.write_bytes(b"hallo"), "keine Lagebild-Sicherung"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("../evil.gpkg", b"x"), "keine Lagebild-Sicherung"),
])
def test_damaged_backups_are_refused_and_the_store_stays(tmp_path, store, damage, message):
    info = backup(store, tmp_path / "sicherung.zip")
    damage(info.path)
    import_frame(_finds(3, dx=200), "syringe_find", store, source="neu", now=NOW)
    before = _digest(store.path), store.version()
    with pytest.raises(UserError, match=message):
        restore(store, info.path)
    assert (_digest(store.path), store.version()) == before
    assert not list(store.path.parent.glob(".*restore*"))


def test_restore_refuses_a_store_of_another_area(tmp_path, store):
    other = StudyArea("Westen", shapely.box(300000, 5690000, 310000, 5700000), "EPSG:25832")
    foreign = Store(tmp_path / "west" / "west.gpkg", other)
    import_frame(gpd.GeoDataFrame({"found_at": [pd.Timestamp("2026-10-01")], "count": [1]},
                                  geometry=[shapely.Point(305000, 5695000)], crs=other.crs),
                 "syringe_find", foreign, source="w", now=NOW)
    with pytest.raises(UserError, match="falsches Gebiet"):
        restore(store, foreign.path)
    assert store.count("syringe_find") == 30


def test_restore_refuses_foreign_geopackages_and_broken_databases(tmp_path, store):
    plain = tmp_path / "fremd.gpkg"
    _finds(2).to_file(plain, layer="irgendwas")
    with pytest.raises(UserError, match="Importprotokoll"):
        check_store_file(plain, AREA)
    broken = tmp_path / "kaputt.gpkg"
    data = bytearray(store.path.read_bytes())
    data[5000:9000] = os.urandom(4000)
    broken.write_bytes(bytes(data))
    with pytest.raises(UserError, match="beschädigt|nicht lesbar"):
        restore(store, broken)
    with pytest.raises(UserError, match="nicht gefunden"):
        restore(store, tmp_path / "fehlt.zip")


def test_failed_replace_leaves_the_store_unchanged(tmp_path, store, monkeypatch):
    info = backup(store, tmp_path / "sicherung.zip")
    import_frame(_finds(3, dx=300), "syringe_find", store, source="neu", now=NOW)
    before = _digest(store.path)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_module.os, "replace", failing_replace)
    with pytest.raises(UserError, match="Wiederherstellung nicht möglich"):
        restore(store, info.path)
    assert _digest(store.path) == before and store.count("syringe_find") == 33
    assert not list(store.path.parent.glob(".*restore*"))


def test_backup_refusals(tmp_path, store):
    with pytest.raises(UserError, match="existiert nicht"):
        backup(Store(tmp_path / "leer.gpkg", AREA))
    out = tmp_path / "s.zip"
    backup(store, out)
    with pytest.raises(UserError, match="existiert bereits"):
        backup(store, out)
    with pytest.raises(UserError, match="existiert bereits"):
        backup(store, store.path)  # never over the store itself


def test_cli_backup_and_restore(tmp_path, store, capsys):
    out = tmp_path / "cli.zip"
    assert main(["backup", "--out", str(out), "--store", str(store.path), "--user", "admin"]) == 0
    assert "31 Datensätze" in capsys.readouterr().out
    store.delete("syringe_find", store.ids("syringe_find")[:10])
    assert main(["restore", str(out), "--store", str(store.path), "--user", "admin"]) == 0
    assert "Wiederhergestellt: 31 Datensätze" in capsys.readouterr().out
    assert store.count("syringe_find") == 30
    (tmp_path / "kaputt.zip").write_bytes(b"PK\x03\x04kaputt")
    assert main(["restore", str(tmp_path / "kaputt.zip"), "--store", str(store.path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Fehler: ") and "\n" not in err


# ---------------------------------------------------------------------------- crafted stores (issue 16.4)
def _crafted(tmp_path, store, sql: str):
    """A copy of ``store`` as a plain .gpkg with ``sql`` applied (what an attacker would hand over)."""
    import shutil
    import sqlite3

    crafted = tmp_path / "crafted.gpkg"
    shutil.copyfile(store.path, crafted)
    con = sqlite3.connect(crafted)
    con.executescript(sql)
    con.commit()
    con.close()
    return crafted


@pytest.mark.parametrize(("sql", "message"), [
    ("CREATE TABLE keep(record_id TEXT, text TEXT);"
     "CREATE TRIGGER keep_deleted AFTER DELETE ON syringe_find BEGIN "
     "INSERT INTO keep VALUES (OLD.record_id, OLD.reporter); END;", "fremde Tabelle 'keep'"),
    ("CREATE TRIGGER rtree_syringe_find_geom_delete2 AFTER DELETE ON syringe_find BEGIN "
     "INSERT INTO lagebild_imports(file_name) VALUES (OLD.reporter); END;", "fremden Trigger"),
    ("CREATE VIEW everything AS SELECT * FROM syringe_find;", "Sicht 'everything'"),
    ("UPDATE lagebild_imports SET rejects_file = '/etc/passwd';", "außerhalb des Speichers"),
    ("UPDATE lagebild_imports SET rejects_file = '/srv/x.rejects/../accounts.toml';", "außerhalb des Speichers"),
], ids=["copy-trigger", "disguised-trigger", "view", "passwd", "dotdot"])
def test_restore_refuses_what_lagebild_never_writes(tmp_path, store, sql, message):
    crafted = _crafted(tmp_path, store, sql)
    before = _digest(store.path)
    with pytest.raises(UserError, match=message):
        restore(store, crafted, user="admin", now=NOW)
    assert _digest(store.path) == before


def test_rejects_paths_lagebild_writes_are_accepted():
    assert backup_module.rejects_path_ok("/srv/lagebild/data/lagebild.gpkg.rejects/import-00003-funde_okt.csv")
    assert backup_module.rejects_path_ok(None) and backup_module.rejects_path_ok("")
    assert not backup_module.rejects_path_ok("data/lagebild.gpkg.rejects/import-00003-x.csv")  # relative
    assert not backup_module.rejects_path_ok("/srv/lagebild/data/accounts.toml")
