"""Every table of the app shows all its columns in a 1400 × 900 window with the sidebar open (issue 17).

A data grid (``st.dataframe``) wider than its box gets a horizontal scroll bar that users in the walk-through
did not notice: "Begründung" (Behälter), the agreements' last columns, "Hinweis" (Vergleich/Maßnahmen) were
simply missing for them. The check walks every page of the navigation and each of its tabs, opens every
expander and measures in Chromium: a data grid's scroll area is no wider than its box, a static HTML table
(:mod:`app_support.htmltable`) ends inside its box and the window. ``streamlit run app.py`` on a copy of the
demo store, Debian's Chromium via Playwright, every request to another host blocked.
"""

from __future__ import annotations

import pytest

from app_support.pages import PAGES
from tests.test_e2e_meeting import TIMEOUT, _idle, server  # noqa: F401 - the app server fixture

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1400, 900
#: JavaScript: every visible table as {kind, name, heads, cut}; ``cut`` says why a column is out of sight.
MEASURE = """() => {
  const vw = document.documentElement.clientWidth, out = [];
  for (const d of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const r = d.getBoundingClientRect(); if (!r.width || d.closest('[inert]')) continue;  // hidden: closed, other tab
    const s = d.querySelector('.dvn-scroller');
    const heads = Array.from(d.querySelectorAll('[role="columnheader"]')).map(h => h.innerText.trim());
    const cut = !s ? 'kein Raster' : s.scrollWidth > s.clientWidth + 1 ? `${s.scrollWidth} px in ${s.clientWidth} px`
      : r.right > vw + 1 ? `rechter Rand ${r.right} px` : '';
    out.push({kind: 'grid', name: heads.join('|'), heads, cut});
  }
  for (const t of document.querySelectorAll('table[data-table]')) {
    const r = t.getBoundingClientRect(); if (!r.width || t.closest('[inert]')) continue;
    const box = t.parentElement.getBoundingClientRect();
    const ths = Array.from(t.querySelectorAll('thead th'));
    const last = ths.length ? ths[ths.length - 1].getBoundingClientRect().right : r.right;
    const cut = r.right > box.right + 1 ? `Tabelle ${r.right} px, Rahmen ${box.right} px`
      : last > vw + 1 ? `letzte Spalte endet bei ${last} px` : '';
    out.push({kind: 'html', name: t.dataset.table, heads: ths.map(h => h.innerText.trim()), cut});
  }
  return out; }"""
#: Tables that must have been seen (and measured) on the walk: the ones the users missed columns of and
#: their neighbours (static HTML tables by ``data-table`` name).
EXPECTED = {"agreements", "bins", "sites", "curve", "measures_overview", "history", "hours", "repeat_places",
            "places", "prediction"}
#: Switches that add a table to the page (Vergleich / Prognose: the forecast check period by period).
SWITCHES = ("Auch die Hotspot-Karte von Doppelmonat zu Doppelmonat prüfen",)


@pytest.fixture(scope="module")
def page(server, chromium, block_outside):  # noqa: F811
    url, _ = server
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="de-DE")
    pg = context.new_page()
    pg.blocked = block_outside(pg)
    pg.base = url
    yield pg
    context.close()


def _tables(page) -> list[dict]:
    """Open every expander (one at a time: the page may draw anew in between), then measure the tables."""
    for _ in range(20):
        closed = page.locator("[data-testid='stExpander'] details:not([open]) > summary:not([inert] *)")
        closed = [closed.nth(i) for i in range(closed.count())]
        closed = [c for c in closed if c.is_visible()]
        if not closed:
            break
        closed[0].click(timeout=10_000)
        page.wait_for_timeout(300)
    page.wait_for_timeout(800)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
        .every(d => !d.getBoundingClientRect().width || d.closest('[inert]') || d.querySelector('.dvn-scroller'))""",
                           timeout=TIMEOUT)
    page.wait_for_timeout(300)  # the grid sizes its columns once drawn
    return page.evaluate(MEASURE)


def test_every_table_shows_all_columns_at_1400_px_with_the_sidebar_open(page):
    seen: dict[str, dict] = {}
    for i, entry in enumerate(PAGES):
        page.goto(f"{page.base}/{entry.url_path if i else ''}", timeout=TIMEOUT)  # the first page is the root
        page.get_by_role("heading", name="Lagebild", exact=True).wait_for(timeout=TIMEOUT)
        _idle(page)
        sidebar = page.locator("[data-testid='stSidebar']").bounding_box()
        assert sidebar and sidebar["width"] > 200, f"{entry.title}: Seitenleiste nicht offen"
        if entry.url_path == "lagekarte":  # its tables come below the map, after it
            page.locator("table[data-table='places']").wait_for(timeout=TIMEOUT)
            _idle(page)
        tabs = page.locator("[role='tab']")
        for i in range(max(tabs.count(), 1)):
            where = entry.title
            if tabs.count():
                where += " / " + tabs.nth(i).inner_text().strip()
                tabs.nth(i).click()
                _idle(page)
            for table in _tables(page):
                seen[f"{where}: {table['name']}"] = table
            for label in SWITCHES:
                switch = page.locator("[data-testid='stCheckbox']", has_text=label)
                if switch.count() and switch.is_visible():
                    switch.click()
                    _idle(page)
                    page.locator("table[data-table='prediction']").wait_for(timeout=TIMEOUT)
                    for table in _tables(page):
                        seen[f"{where} / {label}: {table['name']}"] = table
    cut = {where: (t["heads"][-3:], t["cut"]) for where, t in seen.items() if t["cut"]}
    assert not cut, cut
    names = {t["name"] for t in seen.values() if t["kind"] == "html"}
    assert EXPECTED <= names, EXPECTED - names
    assert sum(t["kind"] == "grid" for t in seen.values()) >= 5  # the remaining data grids were measured too
    assert page.blocked == []
