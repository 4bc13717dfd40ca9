"""Side doors of the web server closed (issue 16, findings 1 and 8): an ASGI middleware in front of Streamlit.

Streamlit 1.67 serves a few HTTP routes to anyone, without a session or login, and checks the ``Host`` header
(``server.allowedHosts``) only on the websocket. :class:`SideDoors` runs before every Streamlit route (it is
passed to ``st.App(middleware=…)`` by :mod:`app_support.serve`, which ``lagebild app`` starts) and

* refuses every HTTP request whose ``Host`` is not one of ``server.allowedHosts`` (HTTP 403; same rule as
  Streamlit's websocket check, :func:`streamlit.web.server.starlette.starlette_websocket.is_host_allowed`), so
  a page on another name that resolves to this machine (DNS rebinding) reads nothing, not even ``/media/``;
* answers ``/_stcore/metrics`` with 404 unless ``LAGEBILD_METRICS=1`` (it shows, without login, how many
  sessions run and how much memory caches and uploads hold);
* serves a download made by a click (a file in Streamlit's media store that no session refers to — a
  deferred download's result) **once**: after the first complete ``GET`` it is deleted, so its ``/media/`` URL
  is no way around login afterwards (Streamlit would keep it until a clean-up two script runs later).

Nothing here reads or changes data; it only decides whether Streamlit's own handler answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)

#: ``LAGEBILD_METRICS=1`` serves Streamlit's ``/_stcore/metrics`` (for monitoring behind a proxy with login).
METRICS_VARIABLE = "LAGEBILD_METRICS"


def metrics_enabled(env: MutableMapping[str, str] | None = None) -> bool:
    """Whether ``/_stcore/metrics`` is served (``LAGEBILD_METRICS=1``)."""
    return (os.environ if env is None else env).get(METRICS_VARIABLE, "").strip() == "1"


def host_allowed(host: str | None) -> bool:
    """Streamlit's own rule for ``server.allowedHosts`` (empty list: any host)."""
    from streamlit.web.server.starlette.starlette_websocket import is_host_allowed

    return is_host_allowed(host)


def _route(path: str) -> str:
    """``path`` without ``server.baseUrlPath`` (``/base/_stcore/metrics`` → ``/_stcore/metrics``)."""
    from streamlit import config

    base = "/" + (config.get_option("server.baseUrlPath") or "").strip("/")
    if base != "/" and (path == base or path.startswith(base + "/")):
        path = path[len(base):] or "/"
    return path


def media_id(path: str) -> str | None:
    """The media file id of a ``/media/<id>.<ext>`` route, else ``None``."""
    route = _route(path)
    if not route.startswith("/media/"):
        return None
    return os.path.splitext(route[len("/media/"):])[0] or None


def drop_if_unreferenced_download(file_id: str) -> bool:
    """Delete ``file_id`` from Streamlit's media store if it is a download no session refers to (the result of
    a deferred download); return whether it was deleted. Files a page shows (a session refers to them) stay."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.media_file_storage import MediaFileKind

    if not Runtime.exists():
        return False
    mgr = Runtime.instance().media_file_mgr
    with mgr._lock:  # the manager's own lock, as its clean-up takes it
        meta = mgr._file_metadata.get(file_id)
        if meta is None or meta.kind != MediaFileKind.DOWNLOADABLE:
            return False
        if any(file_id in by_coord.values() for by_coord in mgr._files_by_session_and_coord.values()):
            return False
        mgr._delete_file(file_id)
    return True


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


class SideDoors:
    """ASGI middleware: Host check on every HTTP request, no metrics, one-time download URLs."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)  # websocket: Streamlit checks the Host itself
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host")
        if not host_allowed(host.decode("latin-1") if host is not None else None):
            await _plain(send, 403, "Unbekannter Hostname.")
            return
        path = scope.get("path", "")
        if _route(path).rstrip("/") == "/_stcore/metrics" and not metrics_enabled():
            await _plain(send, 404, "Nicht gefunden.")
            return
        file_id = media_id(path) if scope.get("method") == "GET" else None
        if file_id is None:
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body") and status == 200:
                drop_if_unreferenced_download(file_id)

        await self.app(scope, receive, send_and_watch)
