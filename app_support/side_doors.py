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
  deferred download's result) only to the browser that fetched it first — the one whose click made it, as
  only that session was sent the URL — recognised by the token of Streamlit's XSRF cookie; any other browser
  and any request without that cookie (``curl``) get 404, for as long as Streamlit keeps the file (until a
  clean-up two script runs later). So a ``/media/`` URL is no way around login.

:func:`hide_server_versions` (also called by :mod:`app_support.serve`, before the server starts) leaves the
Python version and the server's operating system out of the message every new browser session receives
(before login); the Streamlit version stays in it, as the page needs it and its scripts show it anyway.

Nothing here reads or changes data; it only decides whether Streamlit's own handler answers.
"""

from __future__ import annotations

import logging
import os
import threading
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


def route_path(path: str) -> str:
    """``path`` without ``server.baseUrlPath`` (``/base/_stcore/metrics`` → ``/_stcore/metrics``)."""
    from streamlit import config

    base = "/" + (config.get_option("server.baseUrlPath") or "").strip("/")
    if base != "/" and (path == base or path.startswith(base + "/")):
        path = path[len(base):] or "/"
    return path


def media_id(path: str) -> str | None:
    """The media file id of a ``/media/<id>.<ext>`` route, else ``None``."""
    route = route_path(path)
    if not route.startswith("/media/"):
        return None
    return os.path.splitext(route[len("/media/"):])[0] or None


def is_click_download(file_id: str) -> bool:
    """Whether ``file_id`` is, in Streamlit's media store, a download no session refers to: the result of a
    deferred download (made on a click). Files a page shows (a session refers to them) are not."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.media_file_storage import MediaFileKind

    if not Runtime.exists():
        return False
    mgr = Runtime.instance().media_file_mgr
    with mgr._lock:  # the manager's own lock, as its clean-up takes it
        meta = mgr._file_metadata.get(file_id)
        if meta is None or meta.kind != MediaFileKind.DOWNLOADABLE:
            return False
        return not any(file_id in by_coord.values() for by_coord in mgr._files_by_session_and_coord.values())


def browser_key(scope: Scope) -> bytes | None:
    """Who asks, as far as the server can tell without a login: the token of the browser's XSRF cookie
    (``_streamlit_xsrf``, set by Streamlit for every browser that loads the app; re-masked on every response,
    so the token inside it is compared), or the client address when XSRF protection is off."""
    from streamlit.web.server.server_util import is_xsrf_enabled
    from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string
    from streamlit.web.server.starlette.starlette_server_config import XSRF_COOKIE_NAME

    if not is_xsrf_enabled():
        client = scope.get("client")
        return str(client[0]).encode() if client else None
    cookies = {}
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                cookies[key] = val
    raw = cookies.get(XSRF_COOKIE_NAME)
    if not raw:
        return None
    token, _ = decode_xsrf_token_string(raw)
    return token or None


class DownloadOwners:
    """Binds a click download's ``/media/`` URL to the browser that fetched it first after the click that made
    it (only that session received the URL); any other browser, or a request without Streamlit's cookie, gets
    404. A file's id is a hash of its content, so another click that makes the same bytes (e.g. the same bin
    plan for another user) starts a new binding; entries of files Streamlit has dropped are forgotten."""

    def __init__(self) -> None:
        self._owners: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._hooked: object | None = None

    def hook(self) -> None:
        """Wrap the running server's ``MediaFileManager.execute_deferred`` (once): each click's file starts
        unbound, to be bound by the next fetch."""
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return
        mgr = Runtime.instance().media_file_mgr
        if self._hooked is mgr:
            return
        original = mgr.execute_deferred

        def execute_deferred(file_id: str) -> str:
            url = original(file_id)
            made = os.path.splitext(url.rsplit("/", 1)[-1])[0]
            with self._lock:
                self._owners.pop(made, None)
            return url

        mgr.execute_deferred = execute_deferred
        self._hooked = mgr

    def may_fetch(self, file_id: str, key: bytes | None) -> bool:
        """Whether the browser ``key`` may fetch ``file_id`` (binding it on the first fetch of a click's file)."""
        self._forget_missing()
        if not is_click_download(file_id):
            return True  # not a click download: Streamlit answers (404 for an unknown id)
        if key is None:
            return False
        with self._lock:
            return self._owners.setdefault(file_id, key) == key

    def _forget_missing(self) -> None:
        with self._lock:
            for file_id in [f for f in self._owners if not is_click_download(f)]:
                del self._owners[file_id]


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


class SideDoors:
    """ASGI middleware: Host check on every HTTP request, no metrics, download URLs for one browser only."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.owners = DownloadOwners()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)  # websocket: Streamlit checks the Host itself
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host")
        if not host_allowed(host.decode("latin-1") if host is not None else None):
            await _plain(send, 403, "Unbekannter Hostname.")
            return
        self.owners.hook()
        path = scope.get("path", "")
        if route_path(path).rstrip("/") == "/_stcore/metrics" and not metrics_enabled():
            await _plain(send, 404, "Nicht gefunden.")
            return
        file_id = media_id(path) if scope.get("method") in ("GET", "HEAD") else None
        if file_id is not None and not self.owners.may_fetch(file_id, browser_key(scope)):
            await _plain(send, 404, "Nicht gefunden.")
            return
        await self.app(scope, receive, send)


def hide_server_versions() -> None:
    """Leave the Python version and server OS out of Streamlit's ``NewSession`` message (sent to every browser
    session, logged in or not); idempotent."""
    from streamlit.runtime.app_session import AppSession

    original = AppSession._create_new_session_message
    if getattr(original, "_lagebild_quiet", False):
        return

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        msg = original(self, *args, **kwargs)
        env = msg.new_session.initialize.environment_info
        env.python_version = ""
        env.server_os = ""
        return msg

    create._lagebild_quiet = True  # type: ignore[attr-defined]
    AppSession._create_new_session_message = create
