"""The Vergleich page in a real browser (issue 17 review): it settles once, coupled maps agree.

After its maps had loaded, the page ran a second time (~3 s later: the A/B maps reported their view
to Streamlit) and a click in the navigation during that run was lost. ``streamlit run app.py`` on a
copy of the demo store, Debian's Chromium via Playwright, every request to another host blocked.
"""

from __future__ import annotations

import pytest

from tests.test_e2e_meeting import TIMEOUT, server  # noqa: F401 - the app server fixture

pytestmark = pytest.mark.browser

#: JavaScript: the Leaflet maps of the page's st_folium frames, as [zoom, lat, lng] each.
VIEWS = """() => Array.from(document.querySelectorAll('iframe')).map(f => {
  try { const m = f.contentWindow.map; if (!m) return null; const c = m.getCenter();
        return [m.getZoom(), c.lat, c.lng]; } catch (e) { return null; } }).filter(v => v)"""


@pytest.fixture
def page(server, chromium, block_outside):  # noqa: F811
    url, _ = server
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="de-DE")
    pg = context.new_page()
    pg.blocked = block_outside(pg)
    pg.goto(url, timeout=TIMEOUT)
    yield pg
    context.close()


def test_vergleich_runs_once_maps_agree_and_the_next_click_is_not_lost(page):
    page.locator("[data-testid='stSidebarNav'] a", has_text="Vergleich").click()
    page.get_by_text("Veränderung A → B").first.wait_for(timeout=TIMEOUT)
    page.wait_for_function(f"() => ({VIEWS})().length === 3", timeout=TIMEOUT)
    # from now on: does the page run again by itself?
    page.evaluate("""() => { window.__reruns = 0;
      new MutationObserver(() => { if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"],'
        + ' [data-testid="stElementContainer"][data-stale="true"]')) window.__reruns += 1; })
        .observe(document.body, {subtree: true, childList: true, attributes: true}); }""")
    page.wait_for_timeout(6000)
    assert page.evaluate("() => window.__reruns") == 0
    (za, *a), (zb, *b), (zc, *_) = page.evaluate(VIEWS)
    assert za == zb and a == pytest.approx(b, abs=1e-9)  # "Karten koppeln": B opens as A
    assert zc >= za >= 13  # the change map is fitted like A and B, not far out (was 1 km scale)
    # a zoom by the user in A moves B, in the browser (no rerun)
    page.evaluate("""() => { const f = Array.from(document.querySelectorAll('iframe'))
        .filter(f => { try { return !!f.contentWindow.map; } catch (e) { return false; } })[0];
      const m = f.contentWindow.map; m.getContainer().dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
      m.setZoom(m.getZoom() + 1, {animate: false}); }""")
    page.wait_for_function(f"() => {{ const v = ({VIEWS})(); return v[1][0] === v[0][0]; }}", timeout=10_000)
    assert page.evaluate(VIEWS)[1][0] == za + 1
    assert page.evaluate("() => window.__reruns") == 0
    # the next click in the navigation is not swallowed
    page.locator("[data-testid='stSidebarNav'] a", has_text="Behälter").click()
    page.wait_for_url("**/beh*", timeout=10_000)
