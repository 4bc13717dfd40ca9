"""Lagebild – the Streamlit app for the Drogenrapport (``streamlit run app.py`` or ``lagebild app``).

Pages (``app_pages/*.py``, each a ``render()`` function): Lagekarte, Vergleich, Tageszeiten,
Behälter, Daten, Vereinbarungen, Meldung erfassen. The sidebar's period and filters apply to all pages.
Leaflet and its plugins are served by the app itself from ``static/`` (filled from the installed packages at start),
so the app works without internet.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import streamlit as st

from app_support import state, upload_guard
from app_support.files import upload_limit_mb
from app_support.pages import PAGES
from geo.core.errors import UserError
from geo.data.access import may_import, may_see_points
from layers.assets import ensure_static, german_ui_script

APP_DIR = Path(__file__).resolve().parent
log = logging.getLogger("lagebild")
if not log.handlers:  # every page error goes to the server's log with its traceback (Streamlit's own is quiet)
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

# "auto": expanded on wide screens, folded on phones (the sidebar would cover the whole page)
st.set_page_config(page_title="Lagebild", layout="wide", initial_sidebar_state="auto")


@st.cache_resource(show_spinner=False)
def _static_assets() -> Path:
    """Copy Leaflet & Co. from the installed packages into ``static/`` once per process."""
    return ensure_static(APP_DIR / "static")


def _page(module: str, title: str, url: str, *, default: bool = False) -> st.Page:
    """A page from ``app_pages.<module>.render``, imported when the page is first opened.

    Importing every page at start cost seconds (the Vergleich page alone pulls in scipy.stats).
    """
    def render() -> None:
        importlib.import_module(f"app_pages.{module}").render()

    render.__name__ = f"page_{module}"  # the page's identity in st.navigation
    return st.Page(render, title=title, url_path=url, default=default)


def _guarded(run) -> None:
    """Run a page; show a German message instead of a traceback."""
    try:
        run()
    except UserError as exc:
        st.error(str(exc))
    except Exception:  # noqa: BLE001 - no traceback reaches a user
        log.exception("Fehler auf der Seite")
        st.error("Ein unerwarteter Fehler ist aufgetreten. Bitte die Seite neu laden; "
                 "bleibt der Fehler, die Protokollausgabe des Servers an die Betreuung geben.")


#: Less empty space above the page title (static CSS, no data).
_CSS = "<style>.block-container{padding-top:2.2rem;} [data-testid='stMetricValue']{font-size:1.9rem;}</style>"


def main() -> None:
    _static_assets()
    st.markdown(_CSS, unsafe_allow_html=True)
    st.sidebar.html(german_ui_script(), unsafe_allow_javascript=True)  # Streamlit's own texts in German
    try:
        user = state.login()
    except BaseException:  # login page shown (st.stop) or rerun: this session may not upload
        upload_guard.apply(False, 0)
        raise
    upload_guard.apply(may_import(user.role), int(upload_limit_mb() * 1024**2))
    partner = may_see_points(user.role)  # the public role is not offered pages that would only refuse it
    pages = [_page(p.module, p.title, p.url_path, default=i == 0)
             for i, p in enumerate(PAGES) if partner or not p.partners_only]
    nav = st.navigation(pages)
    with st.sidebar:
        st.markdown("## Lagebild")
        st.caption(f"{state.get_store().area.name} · angemeldet: {user.name}")
    state.sidebar_filters()
    _guarded(nav.run)


_guarded(main)
