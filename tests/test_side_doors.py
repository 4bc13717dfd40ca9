"""Issue 16, findings 1 and 8: the middleware in front of Streamlit's routes (``app_support.side_doors``).

Called directly over ASGI with a stand-in for Streamlit's routes that answers 200; the running server (and the
binding of a download URL to one browser) is tested end to end in ``tests/test_e2e_roles.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from streamlit import config
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from app_support.side_doors import SideDoors, browser_key, media_id, metrics_enabled


async def _streamlit(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _status(path: str, host: str = "localhost:8501", method: str = "GET") -> int:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": [(b"host", host.encode())]}
    # in a thread of its own: a browser test before (Playwright's sync API) leaves a loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, SideDoors(_streamlit)(scope, receive, send)).result()
    return sent[0]["status"]


@pytest.fixture
def allowed_hosts():
    before = config.get_option("server.allowedHosts")
    config.set_option("server.allowedHosts", ["localhost", "127.0.0.1"])
    yield
    config.set_option("server.allowedHosts", before)


def test_metrics_are_not_served_unless_switched_on(monkeypatch):
    monkeypatch.delenv("LAGEBILD_METRICS", raising=False)
    assert _status("/_stcore/metrics") == 404 and _status("/_stcore/metrics/") == 404
    assert _status("/_stcore/health") == 200
    monkeypatch.setenv("LAGEBILD_METRICS", "1")
    assert metrics_enabled() and _status("/_stcore/metrics") == 200


def test_http_requests_for_another_host_name_are_refused(allowed_hosts):
    assert _status("/", "localhost:8501") == 200
    assert _status("/media/abc.csv", "127.0.0.1:8501") == 200  # an unknown id: Streamlit's own 404 then
    for host in ("rebind.example:8501", "localhost.evil.example", "evil.example@localhost"):
        assert _status("/", host) == 403, host
        assert _status("/_stcore/host-config", host) == 403, host
        assert _status("/media/abc.csv", host) == 403, host


def test_media_ids_and_the_browser_key_of_streamlits_cookie():
    assert media_id("/media/0123abcd.csv") == "0123abcd" and media_id("/_stcore/health") is None
    token = b"\x01" * 32
    first, second = generate_xsrf_token_string(token, 1), generate_xsrf_token_string(token, 1)
    assert first != second  # re-masked on every response …
    keys = [browser_key({"headers": [(b"cookie", f"a=b; _streamlit_xsrf={c}".encode())]}) for c in (first, second)]
    assert keys == [token, token]  # … the token inside stays the browser's key
    assert browser_key({"headers": []}) is None  # curl without the cookie
