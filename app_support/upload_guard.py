"""Uploads only for logged-in users who may import, bounded per session and freed at once.

Streamlit's upload endpoint (``PUT /_stcore/upload_file/<session>/<file>``, Streamlit 1.67:
``web/server/starlette/starlette_routes.py::_upload_put``) accepts a file from every open browser session,
logged in or not: it checks only ``runtime.is_active_session(session)``, reads the whole body (up to
``server.maxUploadSize``) and hands it to ``MemoryUploadedFileManager.add_file``, which keeps it in memory until
the session ends. :func:`install` guards both steps on the running server:

* ``Runtime.is_active_session`` answers ``False`` for a session the app has not allowed, so such a ``PUT`` is
  refused (HTTP 400) *before its body is read*;
* ``add_file`` refuses (HTTP 403) a file of a session that is not allowed (a second line, should a Streamlit
  version check differently), and keeps a session's files within its byte limit: older files of the session
  are dropped first (the import widget holds one file), a single file over the limit is refused.

The app calls :func:`allow` after login for a role that may import and :func:`forbid` otherwise (every run,
so a logout or role change applies at once), and :func:`release` after an import has read the file.
The upload manager is Streamlit's own ``MemoryUploadedFileManager``; nothing here changes how it stores files.
"""

from __future__ import annotations

import threading
from typing import Any

_allowed: dict[str, int] = {}  # session id -> byte limit of all its files together
_lock = threading.Lock()

try:  # the error Streamlit's server turns into an HTTP status (starlette is how Streamlit 1.67 serves)
    from starlette.exceptions import HTTPException as _HTTPError
except ImportError:  # pragma: no cover - other servers: a plain error (HTTP 500)
    class _HTTPError(Exception):  # type: ignore[no-redef]
        def __init__(self, status_code: int, detail: str = "") -> None:
            super().__init__(detail)
            self.status_code, self.detail = status_code, detail


class UploadRefused(_HTTPError):
    """An upload from a session that may not upload, or beyond its limit (HTTP 403)."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=403, detail=detail)


def allow(session_id: str, limit_bytes: int) -> None:
    """Let ``session_id`` hold up to ``limit_bytes`` of uploads in all (after login, for roles that may import)."""
    with _lock:
        _allowed[session_id] = int(limit_bytes)


def forbid(session_id: str, manager: Any | None = None) -> None:
    """No uploads from ``session_id`` (before login, after logout, roles that may not import); with ``manager``,
    files it holds already are dropped."""
    with _lock:
        _allowed.pop(session_id, None)
    if manager is not None:
        manager.remove_session_files(session_id)


def allowed(session_id: str) -> bool:
    """Whether ``session_id`` may upload now."""
    with _lock:
        return session_id in _allowed


def guard(manager: Any) -> None:
    """Wrap ``manager.add_file`` (a Streamlit ``MemoryUploadedFileManager``) with the session rules; idempotent."""
    if getattr(manager, "_lagebild_guarded", False):
        return
    original = manager.add_file

    def add_file(session_id: str, file: Any) -> None:
        size = len(file.data)
        with _lock:  # check and add in one step: two parallel uploads cannot both slip under the limit
            limit = _allowed.get(session_id)
            if limit is None:
                raise UploadRefused("Hochladen nur nach Anmeldung mit einer Rolle, die importieren darf.")
            if size > limit:
                raise UploadRefused(f"Die Datei ist größer als die Grenze von {limit // 1024**2} MB.")
            held = [f for f in manager.get_files(session_id, _file_ids(manager, session_id))
                    if f.file_id != file.file_id]
            total = sum(len(f.data) for f in held)
            for old in held:  # oldest first (dicts keep insertion order)
                if total + size <= limit:
                    break
                manager.remove_file(session_id, old.file_id)
                total -= len(old.data)
            original(session_id, file)

    manager.add_file = add_file
    manager._lagebild_guarded = True


def _file_ids(manager: Any, session_id: str) -> list[str]:
    """Ids of the files ``session_id`` holds, oldest first (a copy, read under the manager's own rules)."""
    storage = getattr(manager, "file_storage", {})
    for _ in range(3):  # another thread may change the dict while it is copied
        try:
            return list(storage.get(session_id, {}))
        except RuntimeError:
            continue
    return []


def held_bytes(manager: Any, session_id: str) -> int:
    """Bytes of uploads ``session_id`` holds in ``manager``."""
    return sum(len(f.data) for f in manager.get_files(session_id, _file_ids(manager, session_id)))


def release(manager: Any, session_id: str) -> None:
    """Free every file ``session_id`` uploaded (after an import has read it)."""
    manager.remove_session_files(session_id)


def guard_runtime(runtime: Any) -> None:
    """Guard a Streamlit ``Runtime``: its upload manager (:func:`guard`) and the session check of the upload
    route, so a ``PUT`` from a session that may not upload is refused before its body is read; idempotent."""
    guard(runtime.uploaded_file_mgr)
    if getattr(runtime, "_lagebild_guarded", False):
        return
    original = runtime.is_active_session

    def is_active_session(session_id: str) -> bool:
        return allowed(session_id) and original(session_id)

    runtime.is_active_session = is_active_session
    runtime._lagebild_guarded = True


def install() -> Any | None:
    """Guard the running server (no-op outside a Streamlit server); return its upload manager."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    runtime = Runtime.instance()
    guard_runtime(runtime)
    return runtime.uploaded_file_mgr


def _context() -> Any | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx()


def apply(may_upload: bool, limit_bytes: int) -> None:
    """Once per script run: allow this session (``may_upload``) up to ``limit_bytes``, or forbid it and drop
    what it holds. Installs the guard on first use."""
    install()
    ctx = _context()
    if ctx is None:
        return
    if may_upload:
        allow(ctx.session_id, limit_bytes)
    else:
        forbid(ctx.session_id, ctx.uploaded_file_mgr)


def release_current(file_id: str | None = None) -> None:
    """Free an upload of this script run's session (after an import has read it): ``file_id``, or all of the
    session's files. The manager is the one the run's widgets read from (the server's own)."""
    ctx = _context()
    if ctx is None:
        return
    if file_id is None:
        release(ctx.uploaded_file_mgr, ctx.session_id)
    else:
        ctx.uploaded_file_mgr.remove_file(ctx.session_id, file_id)
