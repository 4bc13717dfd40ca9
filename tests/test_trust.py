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
    src.write_text(csv_text(ok_row(0) + ";Polizei", ok_row(1) + ";Polizei", f"kein Datum;51.3439;12.4033;1;{SECRET}",
                            header=HEADER + ";Quelle"), encoding="utf-8")
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
    assert {"user", "file_name", "notes", "rejects_file"}.isdisjoint(public.columns)
    assert public["stored"].tolist() == [2]
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
    history = at.dataframe[-1].value
    assert ("history_rejects_download" in buttons) == (role == "analyse")
    assert ("durch" in history.columns) == (role != "oeffentlich")
    assert "Datei" not in history.columns or role != "oeffentlich"
    for b in buttons.values():  # deferred: the bytes are made on an authorised click, never at render time
        assert b.proto.url == "", b.key
    if role == "analyse":
        assert buttons["history_rejects_download"].proto.deferred_file_id
    assert at.session_state["media_files"] == 0  # nothing in Streamlit's media store, so nothing under /media/
    assert _exports(rejecting_store) == []  # rendering the page released nothing
