"""Shared fixtures.

``demo_store``   session-wide GeoPackage store filled with the demo data (read-only use!).
``fresh_store``  an empty store in a per-test temporary folder (write freely).
``shared_data``  ``../shared/data`` beside the repository; tests using it skip when absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.data.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


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


@pytest.fixture(scope="session")
def block_outside():
    """``block_outside(page) -> list``: abort every request of ``page`` that leaves this machine;
    the returned list collects the blocked URLs (tests assert it stays empty)."""

    def install(page) -> list[str]:
        blocked: list[str] = []

        def route(r):
            if r.request.url.startswith(LOCAL_PREFIXES):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        return blocked

    return install
