"""End to end, issue 16: every role logs in, visits every page, takes every download it is offered, and the
``/media/`` URLs of the analyst's downloads are tried from the other roles' browsers and without a session.

One server per module, started as ``lagebild app`` starts it (``geo.cli.app.server_command``: ``app.py`` behind
``app_support.side_doors``), with an account file (``ana`` analyse, ``rita`` rapport, ``gast`` oeffentlich) and a
copy of the demo store plus one import of complaints that carry a secret text, a secret reporting person and an
exact point, and one rejected row naming a secret person. Headless Debian Chromium via Playwright, every request
to another host blocked.

What is checked for each download: it is audited (a new ``export`` line of that user and role), and its content
obeys the role — ``analyse`` receives the secrets (the control that the checks can fail), ``rapport`` neither
texts nor persons, ``oeffentlich`` additionally no point of a record; reject files only for ``analyse``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from geo.cli.app import server_command
from tests.e2e_server import running_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 180_000  # ms; the first run of a page computes hot spots, density and forecasts
ACCOUNTS = {"analyse": ("ana", "Geheim-Analyse-2026"), "rapport": ("rita", "Geheim-Rapport-2026"),
            "oeffentlich": ("gast", "Geheim-Gast-2026")}
#: Navigation entry -> the page's title (h1).
PAGES = {"Lagekarte": "Lagekarte", "Vergleich": "Vergleich", "Tageszeiten": "Tageszeiten", "Behälter":
         "Spritzenbehälter", "Daten": "Daten", "Vereinbarungen": "Vereinbarungen", "Meldung erfassen": "Meldung"}
#: Pages for the Drogenrapport's partners only: the public role is not offered them.
PARTNER_PAGES = ("Vergleich", "Tageszeiten", "Meldung erfassen")
SECRET_TEXT = "Zeugin Wilhelmine Quast sah den Handel"
SECRET_PERSON = "Wilhelmine Quast"
REJECT_PERSON = "Kunigunde Rejektowski"
#: The exact point of the secret complaints (5 decimals are enough to recognise it, in CSV "51,34567" too).
LAT, LON = "51.345671", "12.412347"


def _secret_complaints(path: Path, day: str) -> Path:
    rows = [f"{day} 1{i}:00;Drogenhandel;{SECRET_TEXT} ({i});{SECRET_PERSON};{LAT};{LON}" for i in range(6)]
    rows.append(f"kein Datum;Konsum;ohne Datum;{REJECT_PERSON};{LAT};{LON}")
    path.write_text("Datum;Kategorie;Text;Melder;Breite;Länge\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    """The app as ``lagebild app`` runs it; yields ``(url, store)``."""
    from geo.core.schema import COMPLAINT
    from geo.data.auth import add_user
    from geo.data.ingest import import_file
    from geo.data.store import Store

    tmp = tmp_path_factory.mktemp("e2e_roles")
    store = Store(tmp / "roles.gpkg", demo_store.area)
    shutil.copyfile(demo_store.path, store.path)
    latest = store.read(COMPLAINT)["received_at"].max()
    day = (latest - __import__("pandas").Timedelta(days=2)).strftime("%d.%m.%Y")
    report = import_file(_secret_complaints(tmp / "beschwerden.csv", day), COMPLAINT, store)
    assert (report.stored, report.rejected) == (6, 1)
    accounts = tmp / "accounts.toml"
    for role, (name, password) in ACCOUNTS.items():
        add_user(accounts, name, password, role)
    env = {**os.environ, "LAGEBILD_STORE": str(store.path), "LAGEBILD_ACCOUNTS": str(accounts),
           "LAGEBILD_TILES": "", "LAGEBILD_DEMO": "0"}
    env.pop("LAGEBILD_METRICS", None)
    with running_app(tmp, env, lambda port: server_command(port, "127.0.0.1")) as url:
        yield url, store


# ------------------------------------------------------------------------------------------------ browser helpers
def _idle(page) -> None:
    """Wait until Streamlit has finished the current run and the page stays the same for a second (no status
    widget, no skeletons, no stale elements, the same elements twice in a row)."""
    script = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid^=\"stSkeleton\"], "
              "[data-testid=\"stAppSkeleton\"], [data-stale=\"true\"]')")
    shape = "() => Array.from(document.querySelectorAll('[data-testid]')).map(e => e.dataset.testid).join()"
    page.wait_for_timeout(500)
    last = None
    deadline = time.time() + TIMEOUT / 1000
    while time.time() < deadline:
        page.wait_for_function(script, timeout=TIMEOUT)
        now = page.evaluate(shape)
        if now == last:
            return
        last = now
        page.wait_for_timeout(1000)
    raise AssertionError("the page did not settle")


def _login(page, url: str, role: str) -> None:
    name, password = ACCOUNTS[role]
    page.goto(url, timeout=TIMEOUT)
    page.get_by_label("Benutzername").fill(name)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.locator("[data-testid='stSidebarNav']").wait_for(timeout=TIMEOUT)
    _idle(page)


def _go(page, name: str, title: str, role: str) -> None:
    """Open the page ``name`` from the navigation; its title (drawn first) shows it opened. A click while a
    previous run still finishes can be lost, so it is repeated."""
    heading = page.locator("h1", has_text=title).first
    for _ in range(6):
        page.locator("[data-testid='stSidebarNav'] a", has_text=name).first.click()
        try:
            heading.wait_for(timeout=30_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout: click again
            _idle(page)
    page.screenshot(path=str(REPO / "test-artifacts" / f"roles-{role}-{title}.png"))
    raise AssertionError(f"{role}: page {name} not drawn: {page.evaluate('() => document.body.innerText')[:800]}")


def _audit_lines(store) -> list[dict]:
    if not store.audit_path.is_file():
        return []
    return [json.loads(line) for line in store.audit_path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _media_in_page(page) -> list[str]:
    """Every ``/media/`` URL the drawn page refers to (links, images, any attribute)."""
    html = page.content()
    return sorted(set(re.findall(r"/media/[0-9a-f]{20,}[.\w]*", html)))


@dataclass
class Download:
    role: str
    page: str
    label: str
    file_name: str
    url: str
    content: bytes
    audit: list[dict]
    anonymous_status: int = 0  # the same URL fetched at once without any session


@dataclass
class Tour:
    role: str
    offered: dict[str, list[str]] = field(default_factory=dict)  # page -> labels of download buttons (all)
    disabled: dict[str, list[str]] = field(default_factory=dict)  # page -> labels of disabled ones
    downloads: list[Download] = field(default_factory=list)
    media_in_pages: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    frames: list[bytes] = field(default_factory=list)  # websocket messages the server sent (visitor only)
    nav: list[str] = field(default_factory=list)  # the navigation's entries


def _status(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _click_downloads(page, tour: Tour, name: str, store) -> None:
    """Click every download button of the drawn page once (by label: a rerun can briefly show a stale copy)."""
    buttons = page.locator("[data-testid='stDownloadButton'] button")
    labels = list(dict.fromkeys(t.strip().splitlines()[-1].strip() for t in buttons.all_inner_texts()))  # no icon
    tour.offered[name] = labels
    for label in labels:
        button = buttons.filter(has_text=label).first
        if button.is_disabled():
            tour.disabled.setdefault(name, []).append(label)
            continue
        before = len(_audit_lines(store))
        try:
            with page.expect_download(timeout=TIMEOUT) as info:
                button.click()
            download = info.value
        except Exception as exc:
            raise AssertionError(f"{tour.role} / {name} / {label}: no download ({tour.offered})") from exc
        try:
            content = Path(download.path()).read_bytes()
        except Exception as exc:
            raise AssertionError(f"{tour.role} / {name} / {label}: download failed ({download.url})") from exc
        anonymous = _status(download.url)  # at once, before any other session runs: one-time URL
        tour.downloads.append(Download(tour.role, name, label, download.suggested_filename, download.url,
                                       content, _audit_lines(store)[before:], anonymous))
        _idle(page)


def _select(page, label: str, option: str) -> None:
    """Choose ``option`` in the Streamlit selectbox labelled ``label``."""
    label_el = page.locator("label", has_text=re.compile(rf"^{re.escape(label)}$"))
    box = page.locator("[data-testid='stSelectbox']").filter(has=label_el).first
    box.click()
    box.locator("input").fill(option)
    page.keyboard.press("Enter")
    _idle(page)
    _idle(page)


def _tour(chromium, block_outside, url: str, store, role: str | None) -> tuple[Tour, object]:
    """Log in as ``role`` (``None``: not at all), visit every page, take every download; returns the tour and
    the (open) browser context."""
    context = chromium.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    blocked = block_outside(page)
    tour = Tour(role or "ohne Anmeldung")
    if role is None:
        frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, bytes) else payload.encode())))
        for path in ("", "lagekarte", "behaelter", "daten"):
            page.goto(f"{url}/{path}", timeout=TIMEOUT)
            page.get_by_label("Passwort", exact=True).wait_for(timeout=TIMEOUT)
            _idle(page)
            tour.texts[path] = page.evaluate("() => document.body.innerText")
            tour.offered[path] = page.locator("[data-testid='stDownloadButton']").all_inner_texts()
            tour.media_in_pages += _media_in_page(page)
        tour.frames = frames
        return tour, context
    _login(page, url, role)
    page.locator("[data-testid='stSidebarNav'] a").first.wait_for(timeout=TIMEOUT)
    tour.nav = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    for name, title in PAGES.items():
        if name not in tour.nav:
            continue
        _go(page, name, title, role)
        _idle(page)
        tour.media_in_pages += _media_in_page(page)
        tour.texts[name] = page.evaluate("() => document.body.innerText")
        if name == "Daten" and role != "oeffentlich":  # the export of the kind that carries texts and persons
            _select(page, "Daten", "Beschwerden")
        _click_downloads(page, tour, name, store)
        tour.media_in_pages += _media_in_page(page)
    assert not blocked, blocked
    return tour, context


@pytest.fixture(scope="module")
def tours(server, chromium, block_outside):
    """The tour of every role (and of a visitor who does not log in); contexts stay open for the media test."""
    url, store = server
    done, contexts = {}, []
    try:
        for role in ("analyse", "rapport", "oeffentlich", None):
            tour, context = _tour(chromium, block_outside, url, store, role)
            done[role] = tour
            contexts.append(context)
        yield done, dict(zip(("analyse", "rapport", "oeffentlich", None), contexts, strict=True))
    finally:
        for context in contexts:
            context.close()


# ----------------------------------------------------------------------------------------------------- content
def _text(d: Download) -> str:
    if d.file_name.endswith(".pdf"):
        if shutil.which("pdftotext") is None:
            pytest.skip("pdftotext (poppler-utils) not installed")
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=d.content, capture_output=True, check=True)
        return out.stdout.decode("utf-8", "replace")
    return d.content.decode("utf-8-sig", "replace")


def _has_point(text: str) -> bool:
    """Whether ``text`` holds the secret complaints' exact point (decimal point or comma)."""
    lat, lon = (re.escape(v[:8]).replace(r"\.", "[.,]") for v in (LAT, LON))
    return bool(re.search(lat, text)) and bool(re.search(lon, text))


def _assert_audited(d: Download, name: str) -> None:
    exports = [a for a in d.audit if a.get("action") == "export"]
    assert len(exports) == 1, f"{d.page} / {d.label}: audit lines {d.audit}"
    assert exports[0]["user"] == name and f"(Rolle {d.role})" in exports[0]["detail"], exports[0]


def test_not_logged_in_gets_the_login_page_only(tours):
    tour = tours[0][None]
    assert all("Benutzername" in t and "Lagekarte" not in t for t in tour.texts.values()), tour.texts
    assert not any(tour.offered.values()) and not tour.media_in_pages
    assert all(SECRET_PERSON not in t for t in tour.texts.values())
    wire = b"".join(tour.frames)
    assert b"Benutzername" in wire  # the login page came over the websocket …
    assert platform.python_version().encode() not in wire and platform.system().encode() not in wire  # … no versions


def test_analyse_gets_every_download_with_full_content_audited(tours):
    tour = tours[0]["analyse"]
    assert [n for n in PAGES if n in tour.nav] == list(PAGES), tour.nav  # every page offered and visited
    labels = [d.label for d in tour.downloads]
    # every page's downloads were found and taken: the export, HTML map, handout, bin plan, reject files
    for expected in ("Datensätze herunterladen", "Aktuelle Karte als HTML-Datei", "Handout (PDF)", "CSV (Excel)",
                     "GeoJSON (GIS)", "Herunterladen"):
        assert any(expected in label for label in labels), (expected, labels)
    assert not tour.media_in_pages  # nothing is in the media store before a click
    for d in tour.downloads:
        _assert_audited(d, "ana")
    export = next(d for d in tour.downloads if "Datensätze herunterladen" in d.label)
    assert export.file_name.startswith("beschwerden_"), export.file_name  # the kind chosen in the export
    text = _text(export)
    assert SECRET_TEXT in text and SECRET_PERSON in text and _has_point(text)  # the control: checks can fail
    rejects = next(d for d in tour.downloads if d.label == "Herunterladen")
    assert REJECT_PERSON in _text(rejects)


@pytest.mark.parametrize("role", ["rapport", "oeffentlich"])
def test_other_roles_get_no_texts_persons_or_reject_files(tours, role):
    tour = tours[0][role]
    name = ACCOUNTS[role][0]
    assert not tour.media_in_pages
    offered = [label for labels in tour.offered.values() for label in labels]
    assert "Herunterladen" not in offered and not any("Abgelehnte" in label for label in offered), offered
    taken = [d.label for d in tour.downloads]
    assert "Aktuelle Karte als HTML-Datei" in taken, taken  # every role may take the map (restricted)
    if role == "rapport":
        assert {"Handout (PDF)", "CSV (Excel)", "GeoJSON (GIS)"} <= set(taken), taken
    for d in tour.downloads:
        _assert_audited(d, name)
        text = _text(d)
        assert SECRET_TEXT[:20] not in text and SECRET_PERSON not in text and REJECT_PERSON not in text, d.label
        if role == "oeffentlich":
            assert not _has_point(text), d.label
    for page_text in tour.texts.values():
        assert SECRET_PERSON not in page_text and REJECT_PERSON not in page_text
    if role == "rapport":  # exact points without texts: the export holds the complaints' point
        export = next(d for d in tour.downloads if "Datensätze herunterladen" in d.label)
        assert _has_point(_text(export))
    else:  # pages that would only refuse the public role are not offered
        assert [n for n in PAGES if n in tour.nav] == [n for n in PAGES if n not in PARTNER_PAGES], tour.nav
        assert "Handout (PDF)" in tour.disabled.get("Lagekarte", [])
        assert "ana" not in tour.texts["Daten"].split()  # the import history without user names


def test_media_urls_of_analyse_downloads_are_no_way_around_login(server, tours):
    url, _ = server
    done, contexts = tours
    downloads = done["analyse"].downloads
    assert downloads and all("/media/" in d.url for d in downloads)
    assert [d.anonymous_status for d in downloads] == [404] * len(downloads)  # fetched at once, no session
    for role in ("rapport", "oeffentlich", None):
        request = contexts[role].request
        statuses = [request.get(d.url).status for d in downloads]
        assert statuses == [404] * len(downloads), (role, statuses)
    assert [_status(d.url) for d in downloads] == [404] * len(downloads)


def test_metrics_and_foreign_host_names_are_refused(server):
    url, _ = server
    assert _status(f"{url}/_stcore/health") == 200
    assert _status(f"{url}/_stcore/metrics") == 404
    port = url.rsplit(":", 1)[1]
    for path in ("", "_stcore/health", "media/0123456789abcdef0123456789abcdef.csv", "_stcore/host-config"):
        assert _status(f"{url}/{path}", {"Host": f"rebind.example:{port}"}) == 403, path
        assert _status(f"{url}/{path}".replace("127.0.0.1", "localhost")) in (200, 404), path
