"""Benchmark: switching pages in the app on a warm server (issue 17: page switches ≤ 1 s).

Run::

    .venv/bin/python -m bench.run pages
    .venv/bin/python bench/bench_pages.py --reference 6552e93   # also another commit's app, same run
    .venv/bin/python bench/bench_pages.py --rounds 5

What is measured
----------------
The app on the demo store (offline, as ``bench_sessions``). A browser session opens the Lagekarte and then clicks
through the navigation: every page of ``app_support.pages.PAGES`` in order and back to the Lagekarte, looking at each
page for ``--pause`` seconds (1 s) before the next click. One switch lasts from the click until the page's last visible
change, once it is complete: its title shown, Streamlit's run finished (no running indicator, skeletons or stale
elements) and every map on the page drawn (``LB.ready()``), and nothing has changed for half a second since. A first
round (not counted) fills the server's caches of each page, as the first person to open a page in the morning
does; then the median over ``--rounds`` further rounds, each in a new browser session (the page's code chunks are
then in that browser's cache, as after the first switch of a real session). With ``--reference`` both apps'
servers run at once and the rounds alternate between them.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app_support.pages import PAGES  # noqa: E402
from bench.bench_map import WAIT_READY  # noqa: E402
from bench.bench_sessions import app_server, browser_and_apps, cpu_seconds, demo_store  # noqa: E402

TARGET_S = 1.0
#: Seconds a page is looked at before the next click (a person reads it; the browser fetches ahead meanwhile).
PAUSE_S = 1.0
#: Before the click: note the click's time and every later change of the page (and of the maps' frames).
ARM = """() => {
  const w = window;
  w.__lbSwitch = {click: null, last: performance.now(), watched: new Set()};
  const note = () => { w.__lbSwitch.last = performance.now(); };
  const watch = (doc) => {
    if (!doc || w.__lbSwitch.watched.has(doc)) return;
    w.__lbSwitch.watched.add(doc);
    new MutationObserver(note).observe(doc, {subtree: true, childList: true, attributes: true, characterData: true});
  };
  watch(document);
  w.__lbSwitch.watch = watch;
  document.addEventListener('click', () => { w.__lbSwitch.click = performance.now(); note(); },
                            {capture: true, once: true});
}"""
#: Seconds from the click to the page's last change (or the moment it became complete), once the page is complete
#: (its title shown, Streamlit idle, every map drawn) and nothing has changed for QUIET_MS: complete and quiet, not
#: merely started.
QUIET_MS = 500
WAIT_COMPLETE = """([title, quietMs]) => new Promise(resolve => {
  const s = window.__lbSwitch;
  const check = () => {
    const busy = document.querySelector('[data-testid="stStatusWidget"], [data-testid^="stSkeleton"], '
      + '[data-testid="stAppSkeleton"], [data-stale="true"]');
    const heading = Array.from(document.querySelectorAll('h1')).some(h => h.innerText.trim().startsWith(title));
    const maps = Array.from(document.querySelectorAll("iframe[title*='st_folium']")).map(f => {
      try { s.watch(f.contentDocument); return f.contentWindow; } catch (e) { return null; } });
    const drawn = maps.every(w => w && w.LB && w.LB.ready() && w.document.querySelector('.leaflet-map-pane'));
    if (busy || !heading || !drawn) s.last = performance.now();  // complete only from now on
    if (s.click !== null && !busy && heading && drawn && performance.now() - s.last >= quietMs) {
      resolve((s.last - s.click) / 1000);
    } else { setTimeout(check, 20); }
  };
  check();
})"""
#: What a page shows as its title (the Behälter page's title names what it plans).
HEADINGS = {"Behälter": "Spritzenbehälter"}


def _route() -> list[str]:
    """The navigation titles in the order clicked: every page after the Lagekarte, then back to it."""
    titles = [p.title for p in PAGES]
    return titles[1:] + titles[:1]


def time_round(browser, url: str, pause_s: float = PAUSE_S, timeout_ms: int = 300_000) -> dict[str, float]:
    """Seconds of each page switch in one new browser session (title → seconds); ``pause_s`` on each page before
    the next click."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.evaluate(WAIT_READY)
    out = {}
    for title in _route():
        page.wait_for_timeout(pause_s * 1000)
        link = page.locator("[data-testid='stSidebarNav'] a", has_text=title).first
        link.wait_for(timeout=timeout_ms)
        page.evaluate(ARM)
        link.click()
        out[title] = page.evaluate(WAIT_COMPLETE, [HEADINGS.get(title, title), QUIET_MS])
    ctx.close()
    if errors:
        raise RuntimeError(f"Fehler im Browser: {errors[0]}")
    return out


def measure(apps: dict[str, Path], store: Path, browser, rounds: int, pause_s: float = PAUSE_S) -> dict[str, dict]:
    """Per app: median seconds per page switch and median server CPU seconds per round."""
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(app_server(folder, store)) for name, folder in apps.items()}
        for url, _pid in servers.values():
            time_round(browser, url)  # the pages' caches, as the first person to open each page fills them
        times: dict[str, list] = {name: [] for name in apps}
        cpu: dict[str, list] = {name: [] for name in apps}
        for _ in range(rounds):
            for name, (url, pid) in servers.items():
                c0 = cpu_seconds(pid)
                times[name].append(time_round(browser, url, pause_s))
                cpu[name].append(cpu_seconds(pid) - c0)
    return {name: {"switch_s": {t: float(np.median([r[t] for r in times[name]])) for t in _route()},
                   "cpu_s": float(np.median(cpu[name]))} for name in apps}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark: Seitenwechsel in der App")
    parser.add_argument("--reference", default=None, metavar="COMMIT", help="auch die App dieses Commits messen")
    parser.add_argument("--rounds", type=int, default=3, help="Runden je App (Median)")
    parser.add_argument("--pause", type=float, default=PAUSE_S, help="Sekunden auf jeder Seite vor dem nächsten Klick")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="lagebild-bench-pages-") as tmp, \
            browser_and_apps(args.reference) as (browser, apps):
        results = measure(apps, demo_store(Path(tmp)), browser, args.rounds, args.pause)
    route = _route()
    print(f"Seitenwechsel mit den Demodaten (Chromium, offline, warmer Server, {args.pause:g} s auf jeder Seite, "
          f"Median aus {args.rounds} Runden):")
    print(f"  {'App':<12}" + "".join(f"{t[:12]:>14}" for t in route) + f"{'CPU/Runde':>12}")
    for name, r in results.items():
        print(f"  {name:<12}" + "".join(f"{r['switch_s'][t]:>12.2f} s" for t in route) + f"{r['cpu_s']:>10.2f} s")
    now = results["heute"]["switch_s"]
    slow = [t for t in route if now[t] > TARGET_S]
    print(f"  Ziel: jeder Seitenwechsel ≤ {TARGET_S:.0f} s -> "
          + ("erreicht" if not slow else "VERFEHLT bei " + ", ".join(slow)))
    if args.reference:
        ref = results[args.reference[:10]]["switch_s"]
        print("  Verhältnis Referenz/heute: " + ", ".join(f"{t} {ref[t] / now[t]:.2f}×" for t in route))


if __name__ == "__main__":
    main()
