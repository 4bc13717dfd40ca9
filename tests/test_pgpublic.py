"""The public view read as the database role ``oeffentlich`` (geo/data/pgpublic.py, app_support/public.py), and the
app reading as the user's database role on PostGIS.

The database's cells and totals must equal what the app computes from the records on a GeoPackage
(:func:`geo.data.access.public_cells`, :func:`geo.report.figures.key_figures`), and the role must not be
able to read anything else. The app tests make every read through the owner connection fail.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.quality import spatial_records
from geo.core.schema import COMPLAINT, COMPLAINT_CATEGORIES, KINDS, LOCATION_FLAG, REPORT_KINDS, SYRINGE_FIND
from geo.data.access import K_MIN, public_cells
from geo.report.figures import report_totals

psycopg = pytest.importorskip("psycopg")

from geo.data.pgstore import PgStore  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: The demo's last Rapport block and one a year earlier.
BLOCKS = (Period(date(2026, 9, 1), date(2026, 10, 31)), Period(date(2025, 11, 1), date(2025, 12, 31)))


@pytest.fixture
def demo_pg(demo_store, pg_url, tmp_path) -> PgStore:
    """The demo data in a PostGIS database, some finds of the busiest cell flagged as a Sammelpunkt."""
    from geo.data.storecopy import copy_store

    owner = PgStore(pg_url, demo_store.area, local_dir=tmp_path)
    copy_store(demo_store, owner)
    finds = owner.read(SYRINGE_FIND, BLOCKS[0])
    cells = public_cells(finds, owner.area.boundary, weight="count", crs=owner.area.crs)
    busiest = cells.geometry.iloc[int(np.argmax(cells["events"]))]
    inside = finds[finds.within(busiest)]
    assert owner.set_location_flag(SYRINGE_FIND, inside["record_id"].iloc[:3], "Sammelpunkt") == 3
    return owner


def _expected_cells(owner: PgStore, kind: str, block: Period):
    records = spatial_records(owner.read(kind, block))[0]
    return public_cells(records, owner.area.boundary, weight=KINDS[kind].weight_field, crs=owner.area.crs)


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_the_databases_public_cells_equal_those_the_app_computes(demo_pg, pg_url, tmp_path, kind):
    public = PgStore(pg_url, demo_pg.area, role="oeffentlich", local_dir=tmp_path)
    for block in BLOCKS:
        expected = _expected_cells(demo_pg, kind, block)
        got = public.public_grid(kind, block)
        assert_geodataframe_equal(got, expected)
        assert (got["events"] >= K_MIN).all()
    if kind == SYRINGE_FIND:
        expected = _expected_cells(demo_pg, kind, BLOCKS[0])
        assert len(expected) > 3 and expected["value"].sum() > expected["events"].sum()  # weights are syringes
        # the flagged finds are left out: the busiest cell lost 3 events against all records
        all_cells = public_cells(demo_pg.read(kind, BLOCKS[0]), demo_pg.area.boundary, weight="count",
                                 crs=demo_pg.area.crs)
        assert all_cells["events"].sum() - expected["events"].sum() == 3


def test_the_databases_totals_and_counts_are_the_records_suppressed_below_k(demo_pg, pg_url, tmp_path):
    public = PgStore(pg_url, demo_pg.area, role="oeffentlich", local_dir=tmp_path)
    for block in BLOCKS:
        records = {k: demo_pg.read(k, block) for k in REPORT_KINDS}
        records[COMPLAINT] = records[COMPLAINT][records[COMPLAINT]["category"].isin(COMPLAINT_CATEGORIES)]
        expected = report_totals(records)
        got = public.public_totals(block)
        assert got[SYRINGE_FIND] == (expected["finds"], expected["syringes"])
        assert got[COMPLAINT][0] == expected["complaints"] > K_MIN
    table = public.public_overview()
    assert table.loc[SYRINGE_FIND, "records"] == demo_pg.count(SYRINGE_FIND)
    latest = max(demo_pg.attributes(k, [KINDS[k].date_field])[KINDS[k].date_field].max() for k in REPORT_KINDS)
    assert max(table.loc[list(REPORT_KINDS), "latest"]) == latest.date()


def test_small_counts_are_suppressed_by_the_database(pg_url, tmp_path):
    import geopandas as gpd
    import shapely

    from geo.core.area import leipziger_osten
    from geo.data.ingest import import_frame

    area = leipziger_osten()
    owner = PgStore(pg_url, area, local_dir=tmp_path)
    x, y = area.to_metric.transform(12.4033, 51.3439)
    finds = gpd.GeoDataFrame({"found_at": pd.Timestamp("2026-10-05 10:00") + pd.to_timedelta(np.arange(K_MIN - 1),
                                                                                               "min"), "count": 2},
                             geometry=[shapely.Point(x + i, y) for i in range(K_MIN - 1)], crs=area.crs)
    import_frame(finds, SYRINGE_FIND, owner, source="funde", now=pd.Timestamp("2026-11-22 12:00").to_pydatetime())
    public = PgStore(pg_url, area, role="oeffentlich", local_dir=tmp_path)
    assert len(public.public_grid(SYRINGE_FIND, BLOCKS[0])) == 0
    assert all(np.isnan(v) for v in public.public_totals(BLOCKS[0])[SYRINGE_FIND])
    assert np.isnan(public.public_overview().loc[SYRINGE_FIND, "records"])
    assert len(_expected_cells(owner, SYRINGE_FIND, BLOCKS[0])) == 0  # the same as the app computes


def test_oeffentlich_may_run_only_the_suppressing_functions(demo_pg, pg_url, tmp_path):
    public = PgStore(pg_url, demo_pg.area, role="oeffentlich", local_dir=tmp_path)
    with public.connection() as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "lagebild_oeffentlich"
    for sql in ("SELECT * FROM syringe_find", "SELECT text FROM complaint", "SELECT * FROM rapport_complaint",
                "SELECT notes FROM lagebild_agreements", "SELECT * FROM lagebild_imports",
                "SELECT file_name FROM lagebild_imports"):
        with pytest.raises(UserError, match="Keine Berechtigung"), public.connection() as conn:
            conn.execute(sql)
    # of the import history only number, time and kind (column grants), as restrict_history releases them
    hist = public.imports()
    assert len(hist) == len(demo_pg.imports()) and hist["kind"].notna().all()
    assert hist["file_name"].isna().all() and hist["user"].isna().all() and hist["stored"].isna().all()
    # a period that is not a block of the fixed grid is refused by the database itself (no differencing)
    with pytest.raises(psycopg.errors.RaiseException, match="kein Block"), public.connection() as conn:
        conn.execute("SELECT * FROM lagebild_public_grid('syringe_find', '2026-10-01')")
    with pytest.raises(UserError, match="Zwei-Monats"):
        public.public_grid(SYRINGE_FIND, Period(date(2026, 9, 1), date(2026, 9, 30)))
    # the functions are not executable by just any login (PUBLIC)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS lagebild_fremd")
        conn.execute("CREATE ROLE lagebild_fremd NOLOGIN")
        try:
            conn.execute("GRANT lagebild_fremd TO CURRENT_USER")
            conn.execute("SET ROLE lagebild_fremd")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT * FROM lagebild_public_totals('2026-09-01')")
        finally:
            conn.execute("RESET ROLE")
            conn.execute("DROP ROLE lagebild_fremd")


def test_rapport_views_carry_the_location_flags(demo_pg, pg_url, tmp_path):
    """The role ``rapport`` leaves Sammelpunkte out of its statistics like ``analyse`` (the view has the flags)."""
    rapport = PgStore(pg_url, demo_pg.area, role="rapport", local_dir=tmp_path)
    got = rapport.read(SYRINGE_FIND, BLOCKS[0])
    assert (got[LOCATION_FLAG] == "Sammelpunkt").sum() == 3
    own = demo_pg.read(SYRINGE_FIND, BLOCKS[0])
    assert got["record_id"].tolist() == own["record_id"].tolist()
    assert len(spatial_records(got)[0]) == len(spatial_records(own)[0]) == len(own) - 3


# ---------------------------------------------------------------------------- the app reads as the user's role
#: Store methods that read data; on PostGIS the app must call them on a store of the user's database role.
_READS = ("read", "attributes", "count", "agreements", "read_base", "public_grid", "public_totals",
          "public_overview", "is_empty", "audit_log", "read_aggregates", "imports", "ids")
#: Page → its title (proves the page was drawn).
_TITLES = {None: "Lagekarte", "data_page": "Daten", "agreements": "Vereinbarungen",
           "compare": "Vergleich", "times_page": "Tageszeiten und Wiederholungsorte",
           "bins": "Spritzenbehälter", "report_form": "Meldung erfassen"}
_PAGES = {"oeffentlich": (None, "data_page", "agreements"), "rapport": tuple(_TITLES)}


@pytest.fixture
def owner_reads_fail(monkeypatch):
    """Make every data read through the owner connection (a PgStore without role) raise; record the roles read as."""
    seen: list[tuple[str | None, str]] = []

    def guard(name):
        original = getattr(PgStore, name)

        def wrapped(self, *args, **kwargs):
            seen.append((self.role, name))
            if self.role is None:
                raise AssertionError(f"PgStore.{name} read through the owner connection")
            return original(self, *args, **kwargs)
        return wrapped

    for name in _READS:
        monkeypatch.setattr(PgStore, name, guard(name))
    return seen


def _page_script(module: str) -> None:
    import importlib

    from app_support import state

    state.login()
    state.sidebar_filters()
    importlib.import_module(f"app_pages.{module}").render()


def _run_app(pg_url, monkeypatch, role: str, page: str | None = None):
    """The whole app (its default page, the Lagekarte) or one page module with the login and the sidebar."""
    from streamlit.testing.v1 import AppTest

    from app_support import login
    from geo.data.auth import User

    monkeypatch.setenv("LAGEBILD_STORE", pg_url)
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    monkeypatch.setattr(login, "require_login", lambda: User("nutzer", role))
    if page is None:
        return AppTest.from_file(str(REPO / "app.py"), default_timeout=240).run()
    return AppTest.from_function(_page_script, args=(page,), default_timeout=240).run()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["oeffentlich", "rapport"])
def test_the_app_reads_as_the_users_database_role(demo_pg, demo_store, pg_url, monkeypatch, owner_reads_fail, role):
    from geo.report.figures import format_number

    for page in _PAGES[role]:
        at = _run_app(pg_url, monkeypatch, role, page)
        assert not at.exception and not at.error, (page, [e.value for e in at.error], at.exception)
        assert [t.value for t in at.title] == [_TITLES[page]]
    at = _run_app(pg_url, monkeypatch, role)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spritzenfunde"] == format_number(len(demo_store.read(SYRINGE_FIND, BLOCKS[0])))
    roles = {r for r, _ in owner_reads_fail}
    assert roles == {role}, roles
    names = {n for _, n in owner_reads_fail}
    if role == "oeffentlich":
        assert {"public_grid", "public_totals", "public_overview", "agreements", "imports", "read_base"} <= names
    else:
        assert {"read", "attributes", "agreements", "imports", "read_base"} <= names
