"""Streamlit pages of the Lagebild app; each module exposes ``render()``.

:data:`PAGES` is the navigation in order (``app.py`` builds ``st.navigation`` from it; ``app_support.serve``
answers the page paths with the German page, :mod:`app_support.frontend`).
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
