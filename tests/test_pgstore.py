"""What only the PostGIS backend has: migrations, SQL-side filters and indexes, transactions under
``kill -9``, concurrent writers, roles enforced by the database, copies between backends.

The server is the throwaway cluster of ``tests/pgcluster.py`` (fixtures ``pg_cluster``/``pg_url``).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.schema import KINDS, Field
from geo.data.access import K_MIN
from geo.data.ingest import import_file, import_frame
from geo.data.store import Store, open_store
from geo.data.storecopy import store_checksums

psycopg = pytest.importorskip("psycopg")

from geo.data.pgschema import PUBLIC_VIEW  # noqa: E402
from geo.data.pgstore import MIGRATIONS, PgStore, close_pools  # noqa: E402

AREA = leipziger_osten()
NOW = datetime(2026, 11, 22, 12, 0)
X0, Y0 = AREA.to_metric.transform(12.4033, 51.3439)
IN_LAT, IN_LON = 51.34390, 12.40330
REPO = Path(__file__).resolve().parents[1]


def _env(files: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if files is not None:
        env["LAGEBILD_STORE_FILES"] = str(files)
    return env


def _big_csv(path: Path, n: int, *, seed: int, day: int = 1) -> Path:
    """``n`` distinct valid finds (distinct times) around the Rabet."""
    rng = np.random.default_rng(seed)
    times = pd.Timestamp(f"2026-10-{day:02d}") + pd.to_timedelta(np.arange(n) + seed * 60, unit="s")
    times = times[times < pd.Timestamp("2026-11-20")]
    frame = pd.DataFrame({
        "Datum": times.strftime("%d.%m.%Y %H:%M:%S"),
        "Breite": np.round(IN_LAT + rng.uniform(-0.002, 0.002, len(times)), 6),
        "Länge": np.round(IN_LON + rng.uniform(-0.002, 0.002, len(times)), 6),
        "Anzahl": rng.integers(1, 5, len(times)),
    })
    frame.to_csv(path, sep=";", index=False)
    return path


def _psql(url: str, sql: str, params=None, *, role: str | None = None):
    with psycopg.connect(url, autocommit=True) as conn:
        if role:
            conn.execute(f"SET ROLE {role}")
        return conn.execute(sql, params).fetchall()


# ---------------------------------------------------------------------------- schema
def test_migrations_are_numbered_recorded_and_idempotent(pg_url, tmp_path):
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    assert store.schema_version() == 0 and not store.exists()
    assert store.migrate() == len(MIGRATIONS)
    rows = _psql(pg_url, "SELECT version FROM lagebild_schema_version ORDER BY version")
    assert [r[0] for r in rows] == [n for n, _ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    PgStore(pg_url, AREA, local_dir=tmp_path).migrate()  # a second process: nothing to do
    assert len(_psql(pg_url, "SELECT * FROM lagebild_schema_version")) == len(MIGRATIONS)
    # every kind has a table with a GiST index on a geometry column in the area's metric CRS
    for name, kind in KINDS.items():
        srid, gtype = _psql(pg_url, "SELECT srid, type FROM geometry_columns WHERE f_table_name = %s",
                            (name,))[0]
        assert srid == 25833 and gtype == ("POINT" if kind.is_point_only else "GEOMETRY")
        indexes = " ".join(r[0] for r in _psql(pg_url, "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
                                                (name,)))
        assert "USING gist (geom)" in indexes and "UNIQUE" in indexes and "(record_id)" in indexes
    # the area filter is pushed into SQL and can use the index
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute("EXPLAIN SELECT * FROM syringe_find WHERE geom && ST_MakeEnvelope(0, 0, 1, 1, 25833)"
                            ).fetchall()
    assert "syringe_find_geom_idx" in " ".join(r[0] for r in plan)


def test_new_schema_fields_become_columns(pg_url, tmp_path, monkeypatch):
    """Other kinds/fields declared in the schema (e.g. time windows) get columns on the next open."""
    PgStore(pg_url, AREA, local_dir=tmp_path).migrate()
    kind = KINDS["syringe_find"]
    extended = dataclasses.replace(kind, fields=(*kind.fields, Field("closed_at", "datetime", "bis"),
                                                  Field("checked", "bool", "geprüft"),
                                                  Field("agreement_ref", "str", "Absprache", default="")))
    monkeypatch.setitem(KINDS, "syringe_find", extended)
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    rows = gpd.GeoDataFrame({"record_id": ["a" * 16, "b" * 16], "found_at": pd.to_datetime(["2026-10-01"] * 2),
                             "count": [1, 2], "source": "x", "reporter": "", "closed_at": pd.to_datetime(
                                 ["2026-10-02 10:00", None]), "checked": [True, False],
                             "agreement_ref": ["", "A-7"]},
                            geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 1, Y0)], crs=AREA.crs)
    with store.lock():
        store.write_import(extended, rows, {"file_name": "neu.csv", "kind": "syringe_find"})
    back = store.read("syringe_find")
    assert list(back["agreement_ref"]) == ["", "A-7"]
    assert back["closed_at"].iloc[0] == pd.Timestamp("2026-10-02 10:00") and pd.isna(back["closed_at"].iloc[1])
    assert list(back["checked"].astype(bool)) == [True, False]


def test_open_store_chooses_the_backend(pg_url, tmp_path, monkeypatch):
    assert isinstance(open_store(pg_url), PgStore)
    assert isinstance(open_store(tmp_path / "a.gpkg"), Store)
    monkeypatch.setenv("LAGEBILD_STORE", pg_url)
    assert isinstance(open_store(), PgStore) and open_store().url == pg_url


def test_unreachable_database_is_one_german_line(tmp_path, capsys):
    url = f"postgresql://niemand@/nirgends?host={tmp_path}"
    assert main(["export", "--kind", "syringe_find", "--store", url, "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fehler: ") and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------------------- transactions
def test_failed_import_leaves_nothing(pg_url, tmp_path, monkeypatch):
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    import_file(_big_csv(tmp_path / "a.csv", 50, seed=1), "syringe_find", store, now=NOW)
    before = store.version()

    def boom(self, *args, **kwargs):
        raise OSError("Verbindung abgebrochen (simuliert)")

    monkeypatch.setattr(PgStore, "_copy_rows", boom)
    with pytest.raises(OSError):
        import_file(_big_csv(tmp_path / "b.csv", 50, seed=2), "syringe_find", store, now=NOW)
    assert store.count("syringe_find") == 50 and len(store.imports()) == 1 and store.version() == before


def test_rows_stored_by_a_concurrent_import_fail_the_whole_import(pg_url, tmp_path):
    """The unique constraint is the backstop when a writer bypasses the lock."""
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    import_file(_big_csv(tmp_path / "a.csv", 20, seed=1), "syringe_find", store, now=NOW)
    rows = store.read("syringe_find").iloc[:5]
    fresh = rows.copy()
    fresh["record_id"] = [f"{i:016x}" for i in range(5)]
    both = pd.concat([fresh, rows], ignore_index=True)
    from geo.core.errors import UserError

    with pytest.raises(UserError, match="gleichzeitig"):
        store.write_import(KINDS["syringe_find"], gpd.GeoDataFrame(both, crs=AREA.crs), {"kind": "syringe_find"})
    assert store.count("syringe_find") == 20 and len(store.imports()) == 1


def _wait_for(pred, proc, timeout=60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if pred():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["reading", "lock held", "copying"])
def test_kill_9_during_import_leaves_all_or_none(pg_url, tmp_path, moment):
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    import_file(_big_csv(tmp_path / "first.csv", 1000, seed=9), "syringe_find", store, now=NOW)
    n = 150_000
    path = _big_csv(tmp_path / "big.csv", n, seed=3)
    proc = subprocess.Popen([sys.executable, "-m", "geo", "import", str(path), "--kind", "syringe_find",
                             "--store", pg_url], env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if moment == "reading":
            time.sleep(0.8)
            reached = proc.poll() is None
        elif moment == "lock held":
            reached = _wait_for(lambda: _psql(pg_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                                      "AND granted")[0][0] > 0, proc)
        else:
            reached = _wait_for(lambda: _psql(pg_url, "SELECT count(*) FROM pg_stat_activity WHERE "
                                                      "query ILIKE 'COPY%%' AND state = 'active'")[0][0] > 0, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert reached, f"import ended before the moment '{moment}'"
    count = store.count("syringe_find")
    history = store.imports()
    assert count == 1000 and len(history) == 1  # none of the killed import
    # the server has ended the killed session: a new import runs and stores all
    report = import_file(path, "syringe_find", store, now=NOW)
    assert report.stored == n and store.count("syringe_find") == 1000 + n


WRITER = """
import sys
from datetime import datetime
from geo.core.area import leipziger_osten
from geo.data.ingest import import_file
from geo.data.pgstore import PgStore
url, files = sys.argv[1], sys.argv[2:]
store = PgStore(url, leipziger_osten(), local_dir=sys.argv[0].rsplit('/', 1)[0])
for f in files:
    r = import_file(f, "syringe_find", store, now=datetime(2026, 11, 22, 12, 0))
    print(r.stored, r.rejected, flush=True)
"""


@pytest.mark.slow
def test_four_concurrent_writers_lose_and_double_nothing(pg_url, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    shared = _big_csv(tmp_path / "shared.csv", 3000, seed=50)
    own = [_big_csv(tmp_path / f"own{w}.csv", 8000, seed=60 + w) for w in range(4)]
    PgStore(pg_url, AREA, local_dir=tmp_path).migrate()
    procs = [subprocess.Popen([sys.executable, str(script), pg_url, *([str(own[w]), str(shared)] if w % 2
                                                                    else [str(shared), str(own[w])])],
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outputs]
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    assert store.count("syringe_find") == 4 * 8000 + 3000
    assert store.ids("syringe_find").is_unique
    hist = store.imports()
    assert len(hist) == 8 and hist["stored"].sum() == 4 * 8000 + 3000
    shared_imports = hist[hist["file_name"] == "shared.csv"]
    assert sorted(shared_imports["stored"]) == [0, 0, 0, 3000]
    assert (hist["stored"] + hist["rejected"] == hist["rows_read"]).all()


def test_another_process_sees_an_import_at_once(pg_url, tmp_path):
    """Two app processes on one database: the version both use for their caches moves with the other's import."""
    mine = PgStore(pg_url, AREA, local_dir=tmp_path)
    import_file(_big_csv(tmp_path / "a.csv", 10, seed=1), "syringe_find", mine, now=NOW)
    seen = mine.version()
    path = _big_csv(tmp_path / "b.csv", 7, seed=2)
    out = subprocess.run([sys.executable, "-m", "geo", "import", str(path), "--kind", "syringe_find",
                          "--store", pg_url], env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert mine.version() != seen and mine.count("syringe_find") == 17


# ---------------------------------------------------------------------------- roles
def _cluster_points(n: int, dx: float) -> list[shapely.Point]:
    """``n`` points inside one 250-m square of the public view (near its centre)."""
    cx = (np.floor(X0 / 250) + 0.5) * 250 + dx
    cy = (np.floor(Y0 / 250) + 0.5) * 250
    return [shapely.Point(cx + i, cy) for i in range(n)]


@pytest.fixture
def role_db(pg_url, tmp_path):
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    finds = gpd.GeoDataFrame({"found_at": pd.Timestamp("2026-10-05 10:00") + pd.to_timedelta(np.arange(9), "min"),
                              "count": 2, "reporter": "Frau Geheim"},
                             geometry=_cluster_points(K_MIN, 0) + _cluster_points(K_MIN - 1, 500), crs=AREA.crs)
    import_frame(finds, "syringe_find", store, source="funde", now=NOW)
    complaints = gpd.GeoDataFrame({"received_at": pd.to_datetime(["2026-10-03"]), "category": "Lärm",
                                   "text": ["Herr Muster aus Nr. 12"], "reporter": "Nachbar"},
                                  geometry=[shapely.Point(X0, Y0)], crs=AREA.crs)
    import_frame(complaints, "complaint", store, source="beschwerden", now=NOW)
    return store


def test_oeffentlich_reads_only_the_suppressed_view(role_db, pg_url, tmp_path):
    for table in ("syringe_find", "complaint", "rapport_syringe_find", "lagebild_imports", "lagebild_audit"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _psql(pg_url, f"SELECT * FROM {table}", role="lagebild_oeffentlich")
    cells = _psql(pg_url, f"SELECT kind, month, events, value FROM {PUBLIC_VIEW}", role="lagebild_oeffentlich")
    assert cells == [("syringe_find", "2026-10", K_MIN, 2.0 * K_MIN)]  # the cell with K_MIN - 1 finds is absent
    assert min(r[0] for r in _psql(pg_url, f"SELECT events FROM {PUBLIC_VIEW}")) >= K_MIN
    public = PgStore(pg_url, AREA, role="oeffentlich", local_dir=tmp_path)
    assert len(public.read("syringe_find")) == 0 and public.count("syringe_find") == 0
    assert list(public.public_cells()["events"]) == [K_MIN]
    # the cell lies where the points are
    cell = public.public_cells().geometry.iloc[0]
    assert cell.contains(_cluster_points(1, 0)[0]) and cell.area == pytest.approx(250.0 ** 2)


def test_rapport_reads_views_without_texts_and_reporters(role_db, pg_url, tmp_path):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _psql(pg_url, "SELECT text FROM complaint", role="lagebild_rapport")
    with pytest.raises(psycopg.errors.UndefinedColumn):
        _psql(pg_url, "SELECT text FROM rapport_complaint", role="lagebild_rapport")
    cols = [r[0] for r in _psql(pg_url, "SELECT column_name FROM information_schema.columns "
                                         "WHERE table_name = 'rapport_complaint' ORDER BY ordinal_position")]
    assert "text" not in cols and "reporter" not in cols and "category" in cols
    rapport = PgStore(pg_url, AREA, role="rapport", local_dir=tmp_path)
    complaints = rapport.read("complaint")
    assert list(complaints["category"]) == ["Lärm"] and list(complaints["text"]) == [""]
    assert set(rapport.read("syringe_find")["reporter"]) == {""} and rapport.count("syringe_find") == 9
    # the analyst reads everything
    analyse = PgStore(pg_url, AREA, role="analyse", local_dir=tmp_path)
    assert list(analyse.read("complaint")["text"]) == ["Herr Muster aus Nr. 12"]
    # every role may write the audit log (exports are logged), only analyse reads it
    rapport.audit("export", user="r", detail="CSV")
    assert analyse.audit_log()["action"].tolist()[-1] == "export"


# ---------------------------------------------------------------------------- copies
def test_store_copy_both_directions(demo_store, pg_cluster, tmp_path, capsys):
    url = pg_cluster.url(pg_cluster.new_database())
    try:
        assert main(["store", "copy", str(demo_store.path), url]) == 0
        out = capsys.readouterr().out
        assert "Prüfsummen und Anzahlen stimmen überein" in out
        pg = PgStore(url, demo_store.area, local_dir=tmp_path)
        assert store_checksums(pg) == store_checksums(demo_store)
        for kind in demo_store.layers():
            pd.testing.assert_frame_equal(pd.DataFrame(pg.read(kind)).drop(columns="geometry"),
                                          pd.DataFrame(demo_store.read(kind)).drop(columns="geometry"))
        back = tmp_path / "zurueck.gpkg"
        assert main(["store", "copy", url, str(back)]) == 0
        assert store_checksums(Store(back, demo_store.area)) == store_checksums(demo_store)
        # never into a store that holds data
        assert main(["store", "copy", str(demo_store.path), url]) == 2
        assert "nicht leer" in capsys.readouterr().err
    finally:
        close_pools(url)
        pg_cluster.drop_database(url.split("?")[0].rsplit("/", 1)[1])


# ---------------------------------------------------------------------------- the app on PostGIS
@pytest.mark.slow
@pytest.mark.parametrize("role", ["analyse", "rapport", "oeffentlich"])
def test_app_on_postgis_shows_the_figures_of_the_store(demo_store, pg_url, monkeypatch, role):
    from streamlit.testing.v1 import AppTest

    from app_support import login
    from geo.core.period import Period
    from geo.data.auth import User
    from geo.data.storecopy import copy_store
    from geo.report.figures import format_number

    copy_store(demo_store, PgStore(pg_url, demo_store.area))
    monkeypatch.setenv("LAGEBILD_STORE", pg_url)
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    monkeypatch.setattr(login, "require_login", lambda: User("nutzer", role))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180).run()
    assert not at.exception and not at.error
    rapport = Period(datetime(2026, 9, 1).date(), datetime(2026, 10, 31).date())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spritzenfunde"] == format_number(len(demo_store.read("syringe_find", rapport)))
    assert ("Hotspots" in metrics) == (role != "oeffentlich")


def _data_page_script() -> None:
    from app_pages import data_page
    from app_support import state

    state.login()
    state.sidebar_filters()
    data_page.render()


def test_upload_on_the_daten_page_goes_into_the_database(pg_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    store = PgStore(pg_url, AREA)
    import_file_text = ("Datum;Breite;Länge;Anzahl;Quelle\n03.10.2026 10:00;51,3452;12,4050;2;Polizei\n"
                        "kein Datum;51,3452;12,4050;2;Polizei\n")
    monkeypatch.setenv("LAGEBILD_STORE", pg_url)
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    at = AppTest.from_function(_data_page_script, default_timeout=180).run()
    assert not at.exception
    at.selectbox(key="import_kind").set_value("syringe_find")
    at.file_uploader(key="import_file").upload("funde.csv", import_file_text.encode("utf-8"), "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error
    assert any("1 gespeichert" in w.value and "1 abgelehnt" in w.value for w in at.warning)
    assert store.count("syringe_find") == 1
    assert Path(store.imports()["rejects_file"].iloc[0]).is_file()


# ---------------------------------------------------------------------------- agreements and base maps (migration 3)
def _agreement_and_base(store) -> None:
    from geo.data import agreements as ag

    place = ag.place_from_latlon(store.area, 51.3452, 12.4050)
    common = dict(kind="Spritzenentsorgungsbehälter", geometry=place, agreed="2026-09-08",
                  responsible="Stadtreinigung", due="2026-10-31", notes="Hausmeister Meier fragen")
    ag.add_agreement(store, title="Intern", **common)
    ag.add_agreement(store, title="Öffentlich", public=True, **common)
    houses = [shapely.box(X0 + 30 * i, Y0, X0 + 30 * i + 20, Y0 + 15) for i in range(3)]
    store.write_base("osten", gpd.GeoDataFrame({"theme": "building", "name": "", "street": "Eisenbahnstraße",
                                                "housenumber": ["1", "2", "3"]}, geometry=houses, crs=AREA.crs))


def test_agreements_and_base_maps_are_tables_with_spatial_indexes(role_db, pg_url, tmp_path):
    _agreement_and_base(role_db)
    for table in ("lagebild_agreements", "lagebild_base"):
        indexes = [r[0] for r in _psql(pg_url, "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,))]
        assert any("USING gist (geom)" in d for d in indexes), indexes
        srid = _psql(pg_url, f"SELECT DISTINCT ST_SRID(geom) FROM {table}")
        assert srid == [(25833,)]
    # the agreement's place is queryable in SQL, in metres
    x, y = AREA.to_metric.transform(12.4050, 51.3452)
    near = _psql(pg_url, "SELECT agreement_id FROM lagebild_agreements WHERE "
                         "ST_DWithin(geom, ST_SetSRID(ST_MakePoint(%s, %s), 25833), 1) ORDER BY 1", (x, y))
    assert near == [(1,), (2,)]


def test_oeffentlich_reads_only_public_agreements_without_notes(role_db, pg_url, tmp_path):
    _agreement_and_base(role_db)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _psql(pg_url, "SELECT notes FROM lagebild_agreements", role="lagebild_oeffentlich")
    public = PgStore(pg_url, AREA, role="oeffentlich", local_dir=tmp_path)
    table = public.agreements()
    assert table["title"].tolist() == ["Öffentlich"] and table["notes"].tolist() == [""]
    assert len(public.read_base()) == 3  # the base map is context, not personal data
    rapport = PgStore(pg_url, AREA, role="rapport", local_dir=tmp_path)
    assert rapport.agreements()["notes"].tolist() == ["Hausmeister Meier fragen"] * 2
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _psql(pg_url, "DELETE FROM lagebild_base", role="lagebild_rapport")


def test_copy_with_agreements_and_base_maps_both_directions(pg_url, tmp_path):
    from geo.data.storecopy import copy_store

    src = Store(tmp_path / "quelle.gpkg", AREA)
    import_file(_big_csv(tmp_path / "a.csv", 20, seed=1), "syringe_find", src, now=NOW)
    _agreement_and_base(src)
    result = copy_store(src, PgStore(pg_url, AREA, local_dir=tmp_path))
    assert (result.agreements, result.base_features) == (2, 3)
    assert "Vereinbarungen: 2" in result.summary() and "Grundkarte: 3 Objekte" in result.summary()
    pg = PgStore(pg_url, AREA, local_dir=tmp_path)
    assert store_checksums(pg) == store_checksums(src)
    pd.testing.assert_frame_equal(pd.DataFrame(pg.agreements()).drop(columns="geometry"),
                                  pd.DataFrame(src.agreements()).drop(columns="geometry"))
    back = Store(tmp_path / "zurueck.gpkg", AREA)
    copy_store(pg, back)
    assert store_checksums(back) == store_checksums(src)
    assert back.base_layers().values.tolist() == [["osten", "building", 3]]


def test_a_database_of_schema_2_is_migrated_to_3_keeping_its_data(pg_url, tmp_path, monkeypatch):
    import geo.data.pgschema as pgschema
    import geo.data.pgstore as pgstore

    monkeypatch.setattr(pgschema, "MIGRATIONS", MIGRATIONS[:2])
    monkeypatch.setattr(pgstore, "MIGRATIONS", MIGRATIONS[:2])
    old = PgStore(pg_url, AREA, local_dir=tmp_path)
    import_file(_big_csv(tmp_path / "a.csv", 10, seed=2), "syringe_find", old, now=NOW)
    assert old.schema_version() == 2 and _psql(pg_url, "SELECT to_regclass('lagebild_agreements')") == [(None,)]
    monkeypatch.undo()
    close_pools(pg_url)
    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    assert store.count("syringe_find") == 10 and store.schema_version() == 3
    _agreement_and_base(store)
    assert len(store.agreements()) == 2 and len(store.read_base()) == 3


def test_density_map_takes_the_base_map_of_a_postgis_store(pg_url, tmp_path):
    from argparse import Namespace

    from geo.cli.density import _store_base

    store = PgStore(pg_url, AREA, local_dir=tmp_path)
    store.write_base("osten", gpd.GeoDataFrame({"theme": ["building"], "name": "", "street": "", "housenumber": ""},
                                               geometry=[shapely.box(X0, Y0, X0 + 20, Y0 + 15)], crs=AREA.crs))
    base = _store_base(Namespace(store=pg_url), AREA)
    assert base is not None and base["theme"].tolist() == ["building"]
    assert _store_base(Namespace(store=str(tmp_path / "fehlt.gpkg")), AREA) is None
