"""Streamlit's frontend from memory and its page in German (``app_support.frontend``, issue 17).

Called over ASGI with a stand-in for Streamlit's routes (answers 299, so a passed-on request is recognisable);
that ``lagebild app`` serves the page through the middleware is checked in ``tests/test_cli_app.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re

from app_pages import PAGES
from app_support.frontend import (
    IMMUTABLE,
    NO_CACHE,
    PREFETCH,
    PRELOAD,
    FrontendFiles,
    chunk_paths,
    hashed_files,
    static_dir,
)


async def _streamlit(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"streamlit"})


def _get(path: str, method: str = "GET") -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    app = FrontendFiles(_streamlit, pages=[p.url_path for p in PAGES])
    scope = {"type": "http", "method": method, "path": path, "headers": [(b"host", b"localhost")]}
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright may leave a loop in this thread
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def test_every_preloaded_chunk_is_in_the_installed_streamlit():
    for names in (PRELOAD, PREFETCH):
        missing = [name for name, urls in chunk_paths(names).items() if not urls]
        assert not missing, f"Streamlit's build has changed; update PRELOAD/PREFETCH: {missing}"
    assert not set(PRELOAD) & set(PREFETCH)
    assert len(chunk_paths(["js/range"])["js/range"]) == 2  # two chunks of that name: both are fetched


def _one(name: str) -> str:
    (url,) = chunk_paths([name])[name]
    return url


def test_hashed_files_come_from_memory_with_streamlits_cache_header():
    url = _one("js/Metric")
    status, headers, body = _get(url)
    assert status == 200 and body == hashed_files()[url].read_bytes()
    assert headers[b"cache-control"] == IMMUTABLE
    assert headers[b"content-type"].startswith(b"application/javascript") or headers[b"content-type"].startswith(
        b"text/javascript")
    assert int(headers[b"content-length"]) == len(body)
    status, headers, body = _get(url, method="HEAD")
    assert status == 200 and body == b"" and int(headers[b"content-length"]) > 0


def test_anything_else_goes_on_to_streamlit():
    for path in ("/static/js/nope.js", "/static/../index.html", "/static/js/../../index.html", "/_stcore/health",
                 "/media/abc.csv", "/component/streamlit_folium.st_folium/index.html", "/app/static/lagebild/x.js",
                 "/unbekannt"):
        assert _get(path)[0] == 299, path
    assert _get(_one("js/Metric"), method="POST")[0] == 299


def test_the_page_is_german_and_preloads_the_pages_chunks():
    original = (static_dir() / "index.html").read_text(encoding="utf-8")
    for path in ["/", "/index.html"] + [f"/{p.url_path}" for p in PAGES]:
        status, headers, body = _get(path)
        assert status == 200 and headers[b"cache-control"] == NO_CACHE, path
    html = body.decode()
    assert '<html lang="de"' in html and 'lang="en"' not in html
    preloads = re.findall(r'<link rel="modulepreload" crossorigin href="\.(/static/js/[^"]+)">', html)
    assert {url for urls in chunk_paths(PRELOAD).values() for url in urls} <= set(preloads)
    prefetches = re.findall(r'<link rel="prefetch" crossorigin href="\.(/static/(?:js|css)/[^"]+)">', html)
    assert {url for urls in chunk_paths(PREFETCH).values() for url in urls} == set(prefetches)
    assert _one("css/DataFrame") in prefetches
    # Streamlit's own scripts and preloads are all still there
    for src in re.findall(r'(?:src|href)="([^"]+)"', original):
        assert src in html, src
