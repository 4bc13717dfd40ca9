"""The app's pages in navigation order: which ``app_pages.<module>.render`` each is, its German title, URL path and
whether only the Drogenrapport's partners see it (``app.py`` builds ``st.navigation`` from :data:`PAGES`;
``app_support.serve`` answers the page paths with the German page, :mod:`app_support.frontend`).

Names only (no page is imported here): the pages are imported by ``app.py`` when first opened.
"""

from __future__ import annotations

from typing import NamedTuple


class PageEntry(NamedTuple):
    """One page: ``app_pages.<module>.render``, its German title, URL path and whether only partners see it."""

    module: str
    title: str
    url_path: str
    partners_only: bool = False


PAGES = (
    PageEntry("map_page", "Lagekarte", "lagekarte"),
    PageEntry("compare", "Vergleich", "vergleich", partners_only=True),
    PageEntry("times_page", "Tageszeiten", "tageszeiten", partners_only=True),
    PageEntry("bins", "Behälter", "behaelter"),
    PageEntry("data_page", "Daten", "daten"),
    PageEntry("agreements", "Vereinbarungen", "vereinbarungen"),
    PageEntry("report_form", "Meldung erfassen", "meldung", partners_only=True),
)
