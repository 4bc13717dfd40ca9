"""Issue 16 ("Trust, round two"): side doors – one test (or more) per finding, files generated here.

1. reject files leave the server only for ``analyse``, only from the store's rejects folder, always audited;
   the public role sees no user names in the import history; no media file is made before an authorised click.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bad_files import AREA, HEADER, csv_text, ok_row  # noqa: E402

from geo.core.errors import UserError  # noqa: E402
from geo.data import access  # noqa: E402
from geo.data.auth import User  # noqa: E402
from geo.data.ingest import import_file  # noqa: E402
from geo.data.store import Store  # noqa: E402
from tests.apptables import html_tables  # noqa: E402

NOW = datetime(2026, 11, 22, 12, 0)
ANALYSE, RAPPORT, PUBLIC = User("ana", "analyse"), User("rita", "rapport"), User("gast", "oeffentlich")
#: A rejected row carrying what must not leak: a reporter's name in a text column and exact coordinates.
SECRET = "Erika Mustermann, Tel. 0341 555"


def _exports(store: Store) -> list[dict]:
    log = store.audit_log()
    return log[log["action"] == "export"].to_dict("records")


@pytest.fixture
def rejecting_store(tmp_path) -> Store:
    """A store with one import whose rejected row holds a name (in its own folder)."""
    store = Store(tmp_path / "s" / "lagebild.gpkg", AREA)
    src = tmp_path / "funde.csv"
    rows = [ok_row(0, day=31) + ";Polizei", ok_row(1) + ";Polizei", f"kein Datum;51.3439;12.4033;1;{SECRET}"]
    src.write_text(csv_text(*rows, header=HEADER + ";Quelle"), encoding="utf-8")
    report = import_file(src, "syringe_find", store, now=NOW)
    assert report.stored == 2 and report.rejected == 1 and report.rejects_file.is_file()
    return store


# ---------------------------------------------------------------------------- 1. reject files
def test_reject_files_only_for_analyse_and_every_release_is_audited(rejecting_store):
    store = rejecting_store
    value = store.imports().iloc[0]["rejects_file"]
    for user in (RAPPORT, PUBLIC):
        with pytest.raises(UserError, match="nur die Rolle »analyse«"):
            access.release_rejects(store, user, value)
    assert _exports(store) == []  # a refusal releases nothing
    data = access.release_rejects(store, ANALYSE, value)
    assert SECRET in data.decode("utf-8-sig")
    (entry,) = _exports(store)
    assert entry["user"] == "ana" and entry["count"] == 1
    assert entry["detail"].startswith("Abgelehnte Zeilen import-00001-funde.csv") and "Rolle analyse" in entry["detail"]


def _hostile_paths(store: Store, tmp_path: Path) -> dict[str, str]:
    """History entries a crafted or tampered store could hold, each pointing at something secret."""
    secret = store.path.parent / "accounts.toml"
    secret.write_text('[users.ana]\npassword_hash = "x"\n', encoding="utf-8")
    rejects = store.rejects_dir
    link = rejects / "import-00099-link.csv"
    os.symlink(secret, link)  # a name Lagebild writes, but a link to the accounts
    other = tmp_path / "other" / "x.rejects"
    other.mkdir(parents=True)
    (other / "import-00001-fremd.csv").write_text("Zeile;Grund\n1;x\n", encoding="utf-8")
    (rejects / "import-00098-ordner.csv").mkdir()
    return {
        "passwd": "/etc/passwd",
        "relative": "lagebild.rejects/import-00001-funde.csv",
        "dotdot": str(rejects / ".." / "accounts.toml"),
        "symlink": str(link),
        "other store": str(other / "import-00001-fremd.csv"),
        "folder": str(rejects / "import-00098-ordner.csv"),
        "missing": str(rejects / "import-00097-weg.csv"),
        "empty": "",
    }


def test_reject_paths_outside_the_store_are_never_released(rejecting_store, tmp_path):
    store = rejecting_store
    for label, value in _hostile_paths(store, tmp_path).items():
        with pytest.raises(UserError, match="nicht freigegeben"):
            access.release_rejects(store, ANALYSE, value)
        assert not _exports(store), label


def test_import_history_of_the_public_role_names_nobody(rejecting_store):
    hist = rejecting_store.imports()
    public = access.restrict_history(hist, "oeffentlich")
    assert list(public.columns) == ["import_id", "imported_at", "kind"]  # no names, no files, no counts
    assert "user" in access.restrict_history(hist, "rapport")
    assert all("rejects_file" not in access.restrict_history(hist, r) for r in access.ROLES)


def _data_page_script() -> None:
    import streamlit as st
    from streamlit.runtime import Runtime

    from app_pages import data_page
    from app_support import state

    state.sidebar_filters()
    data_page.render()
    st.session_state["media_files"] = len(Runtime.instance().media_file_mgr._file_metadata)


@pytest.mark.parametrize("role", ["analyse", "rapport", "oeffentlich"])
def test_daten_page_offers_reject_files_only_to_analyse_and_puts_nothing_into_media(rejecting_store, monkeypatch,
                                                                                     role):
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    monkeypatch.setenv("LAGEBILD_STORE", str(rejecting_store.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    at = AppTest.from_function(_data_page_script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser(name="ana", role=role)
    at.run()
    assert not at.exception and not at.error
    buttons = {b.key: b for b in at.get("download_button")}
    history = html_tables(at)["history"]
    assert ("history_rejects_download" in buttons) == (role == "analyse")
    assert ("durch" in history.columns) == (role != "oeffentlich")
    assert ("gespeichert" in history.columns) == (role != "oeffentlich")
    stored = html_tables(at)["stored"]
    totals = dict(stored[["Art", "gespeichert"]].to_numpy())
    assert totals["Spritzenfunde"] == ("unter 5" if role == "oeffentlich" else "2")
    assert "Datei" not in history.columns or role != "oeffentlich"
    for b in buttons.values():  # deferred: the bytes are made on an authorised click, never at render time
        assert b.proto.url == "", b.key
    if role == "analyse":
        assert buttons["history_rejects_download"].proto.deferred_file_id
    assert at.session_state["media_files"] == 0  # nothing in Streamlit's media store, so nothing under /media/
    assert _exports(rejecting_store) == []  # rendering the page released nothing


# ---------------------------------------------------------------------------- 3. differencing
def test_public_periods_are_one_block_of_a_fixed_two_month_grid():
    from datetime import date

    from geo.core.period import Period, block_of, complete_blocks, is_block

    assert block_of(date(2026, 12, 31)) == Period(date(2026, 11, 1), date(2026, 12, 31))
    assert block_of(date(2026, 1, 1)) == Period(date(2026, 1, 1), date(2026, 2, 28))
    assert complete_blocks(date(2026, 11, 1), 3) == [Period(date(2026, 9, 1), date(2026, 10, 31)),
                                                     Period(date(2026, 7, 1), date(2026, 8, 31)),
                                                     Period(date(2026, 5, 1), date(2026, 6, 30))]
    assert complete_blocks(date(2027, 1, 1), 1) == [Period(date(2026, 11, 1), date(2026, 12, 31))]
    access.check_public_period(Period(date(2026, 9, 1), date(2026, 10, 31)))
    # the attack of the review: two periods one day apart; and unions/shifts of whole months
    for start, end in [((2026, 9, 1), (2026, 10, 30)), ((2026, 9, 2), (2026, 10, 31)), ((2026, 10, 1), (2026, 11, 30)),
                       ((2026, 9, 1), (2026, 12, 31)), ((2026, 10, 1), (2026, 10, 31))]:
        p = Period(date(*start), date(*end))
        assert not is_block(p)
        with pytest.raises(UserError, match="feste Zwei-Monats-Zeiträume"):
            access.check_public_period(p)


def test_public_key_figures_suppress_fewer_than_five_events():
    import numpy as np

    from geo.report.figures import key_figures

    def frames(finds: int, syringes_each: int, complaints: int) -> dict:
        import geopandas as gpd

        f = gpd.GeoDataFrame({"count": [syringes_each] * finds}, geometry=gpd.points_from_xy([0] * finds, [0] * finds))
        c = gpd.GeoDataFrame({"category": ["Lärm"] * complaints},
                             geometry=gpd.points_from_xy([0] * complaints, [0] * complaints))
        return {"syringe_find": f, "complaint": c}

    figures = key_figures(frames(4, 10, 7), frames(6, 1, 3), hotspots=2, hotspots_previous=1)
    pub = access.public_figures(figures)
    assert list(pub.index) == ["finds", "syringes", "complaints", "scene_observations"]  # no hotspot count
    assert np.isnan(pub.loc["finds", "value"]) and np.isnan(pub.loc["syringes", "value"])  # 40 syringes of 4 finds
    assert pub.loc["finds", "previous"] == 6 and pub.loc["syringes", "previous"] == 6
    assert pub.loc["complaints", "value"] == 7 and np.isnan(pub.loc["complaints", "previous"])
    assert pub[["change", "change_pct"]].isna().all().all()  # a change against a suppressed figure is suppressed
    assert np.isnan(pub.loc["scene_observations", "value"])  # zero events: not published either
    assert figures.loc["finds", "value"] == 4  # the input is unchanged


def _public_app(store: Store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app_support import login

    monkeypatch.setenv("LAGEBILD_STORE", str(store.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    monkeypatch.setattr(login, "require_login", lambda: User("gast", "oeffentlich"))
    return AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)


def test_public_view_fixed_periods_no_data_texts_small_figures_suppressed_map_without_cells(rejecting_store,
                                                                                            monkeypatch):
    """Two finds in October 2026 (with the source text "Polizei"): every cell and figure is below 5."""
    from datetime import date

    from geo.core.period import Period

    at = _public_app(rejecting_store, monkeypatch)
    at.run()
    assert not at.exception and not at.error  # also: the public map with every cell suppressed
    sidebar_options = [str(o) for w in (*at.sidebar.selectbox, *at.sidebar.multiselect) for o in w.options]
    assert not any("Polizei" in o for o in sidebar_options)  # no data values in the public sidebar
    assert [w.label for w in at.sidebar.multiselect] == ["Meldungen"]  # no category or source filter
    (period_box,) = at.sidebar.selectbox
    assert period_box.value == Period(date(2026, 9, 1), date(2026, 10, 31))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spritzenfunde"] == "unter 5" and metrics["Spritzen"] == "unter 5"


# ---------------------------------------------------------------------------- 8. the small ones
def test_formula_in_the_header_row_of_a_reject_file_is_neutralised(tmp_path):
    store = Store(tmp_path / "lagebild.gpkg", AREA)
    src = tmp_path / "kopf.csv"
    src.write_text(csv_text(ok_row(0) + ";x", "kein Datum;51.3439;12.4033;1;y",
                            header=HEADER + ';=HYPERLINK("http://evil","klick")'), encoding="utf-8")
    report = import_file(src, "syringe_find", store, now=NOW)
    assert report.rejected == 1
    header = report.rejects_file.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "'=HYPERLINK" in header and ";=HYPERLINK" not in header


def test_markdown_in_an_uploaded_file_name_is_shown_as_text(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser
    from layers.escape import escape_markdown

    assert escape_markdown("**x** [a](http://e.de) :red[b]") == \
        "\\*\\*x\\*\\* \\[a\\]\\(http\\://e\\.de\\) \\:red\\[b\\]"
    monkeypatch.setenv("LAGEBILD_STORE", str(tmp_path / "s.gpkg"))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    at = AppTest.from_function(_data_page_script, default_timeout=180)
    at.session_state[USER_KEY] = LocalUser()
    at.run()
    name = "**fett** [klick](http://evil.example) ![b](http://evil.example/x.png).csv"
    at.file_uploader(key="import_file").upload(name, csv_text(ok_row(0)).encode(), "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert not at.exception
    (msg,) = at.success
    assert msg.value.startswith("**" + escape_markdown(name) + "**")


def test_store_audit_rejects_and_backups_are_private(tmp_path):
    from geo.data.backup import backup, backup_dir, restore
    from geo.data.private import is_private

    old = os.umask(0o022)  # the usual umask: files would be world-readable
    try:
        store = Store(tmp_path / "daten" / "lagebild.gpkg", AREA)
        src = tmp_path / "f.csv"
        src.write_text(csv_text(ok_row(0), "kein Datum;51.3439;12.4033;1"), encoding="utf-8")
        report = import_file(src, "syringe_find", store, now=NOW)
        made = backup(store, now=NOW)
        restore(store, made.path, now=datetime(2026, 11, 23))
        files = [store.path, store.audit_path, report.rejects_file, made.path, store.lock_path,
                 *backup_dir(store).glob("*.gpkg")]
        assert len(files) == 6
        for path in files:
            assert is_private(path), f"{path.name}: {oct(path.stat().st_mode)}"
        for folder in (store.rejects_dir, backup_dir(store)):
            assert (folder.stat().st_mode & 0o777) == 0o700, folder
    finally:
        os.umask(old)


def test_a_killed_backup_leaves_no_copy_behind(tmp_path):
    import subprocess

    from geo.data.backup import backup, backup_dir

    store = Store(tmp_path / "lagebild.gpkg", AREA)
    src = tmp_path / "f.csv"
    src.write_text(csv_text(ok_row(0)), encoding="utf-8")
    import_file(src, "syringe_find", store, now=NOW)
    folder = backup_dir(store)
    folder.mkdir()
    # a backup process killed with SIGKILL mid-run: its snapshot (a full copy of the store) and partial ZIP remain
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc.kill()
    proc.wait()
    dead, alive = proc.pid, os.getpid()
    stale = [folder / f".x.zip.partial-{dead}", folder / f".x.zip.snapshot-{dead}.gpkg",
             store.path.parent / f".lagebild.restore-{dead}.gpkg"]
    running = folder / f".y.zip.snapshot-{alive}.gpkg"  # a backup still running: kept
    for path in [*stale, running]:
        path.write_bytes(store.path.read_bytes())
    backup(store, now=NOW)
    assert [p.exists() for p in stale] == [False, False, False] and running.exists()


def test_a_polygon_with_a_million_vertices_is_rejected_and_large_ones_are_simplified_for_the_map(tmp_path):
    import geopandas as gpd
    import numpy as np
    import shapely
    from bad_files import IN_LAT, IN_LON

    from geo.core.schema import SENSITIVE_PLACE
    from geo.data.geometries import MAX_VERTICES
    from layers.features import DISPLAY_MAX_VERTICES, feature_collection

    def circle(n: int, r_deg: float = 0.001) -> shapely.Polygon:
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return shapely.Polygon(np.c_[IN_LON + r_deg * np.cos(t), IN_LAT + 0.6 * r_deg * np.sin(t)])

    gdf = gpd.GeoDataFrame({"Name": ["Riesig", "Kita"], "Art": ["Kita", "Kita"]},
                           geometry=[circle(1_000_000), circle(40)], crs="EPSG:4326")
    path = tmp_path / "orte.gpkg"
    gdf.to_file(path, driver="GPKG")
    store = Store(tmp_path / "lagebild.gpkg", AREA)
    report = import_file(path, SENSITIVE_PLACE, store, now=NOW)
    assert (report.stored, report.rejected) == (1, 1)
    assert report.rejects["reason"].iloc[0] == f"Geometrie mit zu vielen Punkten (mehr als {MAX_VERTICES:,})".replace(
        ",", ".")
    assert report.rejects["geometry_wkt"].iloc[0] == "(1.000.001 Punkte, nicht wiedergegeben)"  # ring closed
    assert report.rejects_file.stat().st_size < 10_000
    # below the cap, but heavy for a map: simplified to about 1 m
    big = gpd.GeoSeries([circle(50_000)], crs="EPSG:4326").to_crs(AREA.crs)
    fc = feature_collection(big, [{}])
    n = len(fc["features"][0]["geometry"]["coordinates"][0])
    assert 10 < n <= DISPLAY_MAX_VERTICES
    small = feature_collection(gpd.GeoSeries([circle(40)], crs="EPSG:4326"), [{}])
    assert len(small["features"][0]["geometry"]["coordinates"][0]) == 41  # untouched


def test_public_bin_shares_need_five_finds_inside_and_outside():
    from types import SimpleNamespace

    from app_pages.bins import public_shares

    def cov(inside: int, total: int) -> SimpleNamespace:
        return SimpleNamespace(covered_finds=inside, n_finds=total, share_finds=inside / total, share_syringes=0.5)

    assert public_shares(cov(4, 20)) == ("unter 5 Funde", "unter 5 Funde")  # 4 finds near a bin
    assert public_shares(cov(16, 20)) == ("unter 5 Funde", "unter 5 Funde")  # 4 finds away from every bin
    assert public_shares(cov(5, 10)) == ("50,0 %", "50,0 %")


# ---------------------------------------------------------------------------- 7. deletion that really deletes
PERSON = "Hanna Beispiel"
COMPLAINTS_HEADER = "Datum;Breite;Länge;Kategorie;Text;Melder"


def _complaints(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([COMPLAINTS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def complaint_store(tmp_path) -> tuple[Store, Path, str]:
    """A store with two complaints, one by PERSON; returns the store, the source file and PERSON's record id."""
    store = Store(tmp_path / "daten" / "lagebild.gpkg", AREA)
    src = _complaints(tmp_path, "beschwerden.csv",
                      f"03.10.2026 10:00;51.3439;12.4033;Konsum;Spritzen im Hof, Haus 12;{PERSON}",
                      "04.10.2026 11:00;51.3441;12.4036;Drogenhandel;Übergabe am Eingang;")
    assert import_file(src, "complaint", store, now=NOW).stored == 2
    stored = store.read("complaint")
    rid = stored.loc[stored["reporter"] == PERSON, "record_id"].iloc[0]
    return store, src, rid


def test_a_deleted_record_is_not_stored_again_by_a_reimport(complaint_store):
    from geo.data.ingest import REASON_DELETED
    from geo.data.retention import delete_records

    store, src, rid = complaint_store
    result = delete_records(store, "complaint", [rid], reason="Löschersuchen Art. 17", user="ana")
    assert result.deleted == [rid] and store.tombstones("complaint") == {"complaint": {rid}}
    report = import_file(src, "complaint", store, now=NOW)
    assert (report.stored, report.rejected) == (0, 2)
    reasons = dict(zip(report.rejects["row"], report.rejects["reason"], strict=True))
    assert reasons[1] == REASON_DELETED and reasons[2].startswith("Duplikat")
    assert PERSON not in report.rejects_file.read_text(encoding="utf-8-sig")  # not copied into a reject file
    assert rid not in set(store.ids("complaint")) and len(store.read("complaint")) == 1


def test_restoring_an_older_backup_does_not_bring_deleted_records_back(complaint_store):
    from geo.data.backup import backup, restore
    from geo.data.retention import delete_records

    store, _src, rid = complaint_store
    old = backup(store, now=NOW)
    result = delete_records(store, "complaint", [rid], reason="Löschersuchen", user="ana")
    assert result.backups == [old.path]  # said: this copy still holds the record
    info = restore(store, old.path, now=datetime(2026, 11, 23))
    assert info.removed == {"complaint": 1} and info.records == 1
    assert rid not in set(store.ids("complaint")) and store.tombstones("complaint") == {"complaint": {rid}}
    assert PERSON not in set(store.read("complaint")["reporter"])
    assert not list(store.path.parent.glob(".*restore*"))  # no staged copy or lock left


def test_deletion_scrubs_the_person_from_reject_files(complaint_store, tmp_path):
    from geo.data.retention import delete_records

    store, _src, rid = complaint_store
    later = _complaints(tmp_path, "nachtrag.csv", f"kein Datum;51.3439;12.4033;Konsum;Nachtrag;{PERSON}",
                        "kein Datum;51.3439;12.4033;Konsum;anderes;Jemand Anderes")
    report = import_file(later, "complaint", store, now=NOW)
    assert PERSON in report.rejects_file.read_text(encoding="utf-8-sig")
    result = delete_records(store, "complaint", [rid], reason="Löschersuchen", user="ana")
    assert (result.scrubbed_rows, result.scrubbed_files) == (1, 1)
    text = report.rejects_file.read_text(encoding="utf-8-sig")
    assert PERSON not in text and "Jemand Anderes" in text
    from geo.data.private import is_private

    assert is_private(report.rejects_file)


def test_a_killed_purge_or_deletion_leaves_nothing_a_later_run_does_not_remove(complaint_store):
    from datetime import date

    from geo.data.retention import purge

    store, _src, _rid = complaint_store
    # what a writer killed with SIGKILL mid-run leaves: its copy of the store and SQLite's journal of old pages
    left = [store.path.with_name(f"{store.path.stem}.tmp-{n}-0.gpkg{sfx}")
            for n, sfx in ((4242, ""), (4242, "-journal"), (4243, "-wal"))]
    for path in left:
        path.write_bytes(store.path.read_bytes())
    result = purge(store, 1, today=date(2026, 10, 15))  # nothing before 01.09.2026: nothing to delete
    assert result.total == 0
    assert [p.exists() for p in left] == [False, False, False]


def test_cli_delete_says_where_copies_remain(complaint_store, capsys):
    from geo.cli import main
    from geo.data.backup import backup

    store, _src, rid = complaint_store
    old = backup(store, now=NOW)
    code = main(["delete", "--kind", "beschwerde", "--id", rid, "--reason", "Löschersuchen", "--store",
                 str(store.path)])
    out = capsys.readouterr().out
    assert code == 0 and "gelöscht: 1" in out and "Löschvermerk" in out
    assert "1 ältere Sicherung(en) enthalten die Datensätze weiterhin" in out and str(old.path) in out


def _bins_page_script() -> None:
    from app_pages import bins
    from app_support import state

    state.sidebar_filters()
    bins.render()


@pytest.mark.parametrize("role,uploaders", [("analyse", 2), ("rapport", 0)])
def test_behaelter_offers_uploads_only_to_roles_the_server_accepts_them_from(run_page, role, uploaders):
    at = run_page(_bins_page_script, role)
    assert not at.exception and not at.error
    assert len(at.get("file_uploader")) == uploaders
    assert any("nur die Rolle »analyse«" in c.value for c in at.caption) == (uploaders == 0)
