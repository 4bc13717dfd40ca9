"""Shared fixtures.

``demo_store``   session-wide GeoPackage store filled with the demo data (read-only use!).
``fresh_store``  an empty store in a per-test temporary folder (write freely).
``shared_data``  ``../shared/data`` beside the repository; tests using it skip when absent.
``pg_cluster``   session-wide throwaway PostgreSQL/PostGIS server on a Unix socket (tests/pgcluster.py);
                 skips, naming the reason, where no PostgreSQL binaries are installed.
``pg_url``       a fresh database on it (``postgresql://`` URL), dropped after the test.
``any_store``    an empty store on each backend (parametrised: ``gpkg`` and ``postgis``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.data.store import Store

REPO = Path(__file__).resolve().parents[1]
#: ``../shared/data`` beside the repository (``$LAGEBILD_SHARED`` names another ``shared`` folder, e.g. for a
#: git worktree that is not beside it).
SHARED_DATA = Path(os.environ.get("LAGEBILD_SHARED") or REPO.parent / "shared") / "data"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Store:
    """A store with the full demo data (24 months), built once per test session.

    Treat it as read-only; tests that import or delete use :func:`fresh_store`.
    """
    from geo.data.demo import load_demo

    store = Store(tmp_path_factory.mktemp("demo") / "demo.gpkg")
    load_demo(store)
    return store


@pytest.fixture
def run_page(demo_store, monkeypatch):
    """``run_page(script, role="analyse") -> AppTest``: a page script in AppTest on the demo store, run once.

    ``script`` is a self-contained function (AppTest executes its source) that draws one page.
    """
    from streamlit.testing.v1 import AppTest

    from app_support.state import USER_KEY, LocalUser

    monkeypatch.setenv("LAGEBILD_STORE", str(demo_store.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")

    def run(script, role: str = "analyse") -> AppTest:
        at = AppTest.from_function(script, default_timeout=180)
        at.session_state[USER_KEY] = LocalUser(role=role)
        return at.run()

    return run


@pytest.fixture
def fresh_store(tmp_path) -> Store:
    """An empty store (the file does not exist yet) in this test's temporary folder."""
    return Store(tmp_path / "store.gpkg")


_PG_SKIPPED: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    """Say why the PostGIS tests were skipped (also without ``-rs``)."""
    if _PG_SKIPPED:
        terminalreporter.write_line(f"PostGIS-Tests übersprungen: {_PG_SKIPPED[0]}", yellow=True)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server with PostGIS for this test session (see tests/pg.py)."""
    from pgcluster import ClusterUnavailable, start_cluster

    pytest.importorskip("psycopg", reason="psycopg not installed (scripts/setup.sh test)")
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        _PG_SKIPPED.append(str(exc))
        pytest.skip(f"PostgreSQL/PostGIS nicht verfügbar: {exc}")
    yield cluster
    from geo.data.pgstore import close_pools

    close_pools()
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster, tmp_path, monkeypatch) -> str:
    """URL of a fresh, empty PostGIS database (dropped after the test); files beside it (rejects,
    backups) go to ``tmp_path`` (``$LAGEBILD_STORE_FILES``)."""
    monkeypatch.setenv("LAGEBILD_STORE_FILES", str(tmp_path))
    name = pg_cluster.new_database()
    url = pg_cluster.url(name)
    yield url
    from geo.data.pgstore import close_pools

    close_pools(url)
    pg_cluster.drop_database(name)


@pytest.fixture(params=["gpkg", "postgis"])
def any_store(request, tmp_path):
    """An empty store on each backend: a GeoPackage in ``tmp_path`` or a fresh PostGIS database
    (files beside it, rejects and backups, in ``tmp_path``)."""
    if request.param == "gpkg":
        return Store(tmp_path / "store.gpkg")
    from geo.data.pgstore import PgStore

    return PgStore(request.getfixturevalue("pg_url"), local_dir=tmp_path)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder (Leipzig Ortsteile, landmarks); skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not available at {SHARED_DATA}")
    return SHARED_DATA


#: Debian's chromium (Playwright's own browser downloads are not used).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (Playwright) for browser tests; skips when unavailable."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "file:")


class BlockedList(list):
    """Blocked URLs (tests assert none); ``.tiles`` holds the blocked requests for the online background
    (:data:`layers.tiles.PROVIDERS`), which every map makes and which must fail quietly offline."""

    def __init__(self) -> None:
        super().__init__()
        self.tiles: list[str] = []


@pytest.fixture(scope="session")
def block_outside():
    """``block_outside(page) -> list``: abort every request of ``page`` that leaves this machine;
    the returned list collects the blocked URLs (tests assert it stays empty) – except the tile
    requests of the online background, collected in its ``.tiles``."""

    from urllib.parse import urlsplit

    from layers.tiles import PROVIDERS

    tile_hosts = {p.host for p in PROVIDERS.values()}

    def install(page) -> list[str]:
        blocked = BlockedList()

        def route(r):
            if r.request.url.startswith(LOCAL_PREFIXES):
                r.continue_()
            elif urlsplit(r.request.url).hostname in tile_hosts:
                blocked.tiles.append(r.request.url)  # the online background: expected to fail offline
                r.abort()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        return blocked

    return install
