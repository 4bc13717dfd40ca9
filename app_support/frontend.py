"""Streamlit's own frontend files served from memory, and its page in German (issue 17: a new session's speed).

A new browser opens the app by loading Streamlit's frontend: ``index.html`` and about 115 content-hashed
JavaScript, CSS and font files (5 MB). Streamlit serves each through Starlette's ``StaticFiles`` (a ``stat``, a
file opened and read in a worker thread, ≈ 1.7 ms of server CPU per file), which was most of the server's CPU per
new session, and every file the page asks for while the app's script runs waits for the interpreter.
:class:`FrontendFiles`, an ASGI middleware in front of Streamlit (:mod:`app_support.serve`), answers those GET
requests from memory instead:

* **hashed files** (``/static/…`` of Streamlit's build): the bytes read once, sent with Streamlit's own
  ``Cache-Control: public, immutable`` – only paths that are files of the installed build are answered (a fixed
  table made from the build's folder, so no request path reaches the file system); anything else goes on to
  Streamlit;
* **the page** (``/`` and the app's page paths, Streamlit's ``index.html``, ``no-cache`` as Streamlit sends it)
  with ``lang="de"`` (a screen reader reads the German app as German), ``<link rel="modulepreload">`` for the
  code chunks the Lagekarte needs (:data:`PRELOAD`) and ``<link rel="prefetch">`` for those the other pages add
  (:data:`PREFETCH`): Streamlit's frontend would fetch each only when the first element needing it arrives, one
  round of requests after the other; preloaded, they arrive during the frontend's start, prefetched, while the
  Lagekarte is looked at, before the first switch to another page.

Nothing here reads or changes data; a chunk name missing from an update of Streamlit only drops its preload
(``tests/test_app_frontend.py`` fails then, so the lists are kept current).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from app_support.side_doors import route_path

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Streamlit's code chunks (folder/name before the content hash) the Lagekarte needs: the map component, key
#: figures, sidebar widgets (date range, select boxes, check boxes, number input), HTML, downloads.
PRELOAD = tuple(f"js/{name}" for name in (
    "ComponentInstance", "IFrameUtil", "urls", "withCalculatedWidth", "Metric", "CustomTheme", "printWidthCap",
    "formatNumber", "numbro", "sprintfjs", "Html", "purify.es", "Selectbox", "useMenuTrigger", "Autocomplete",
    "useLoadMoreSentinel", "useSyncComboBoxEnterTargetFocus", "useCollator", "Input", "sortBy", "useFormValidation",
    "_baseMap", "useFormReset", "useTextField", "useField", "useFilter", "Cancel.esm", "ErrorOutline.esm",
    "WidgetLabel", "WidgetLabelHelpIcon", "WidgetLabelHelpIconInline", "useBasicWidgetState", "requiredField",
    "Multiselect", "Checkbox", "useSlot", "checkboxIndicatorStyles", "rehype-raw", "hastscript", "web-namespaces",
    "NumberInput", "TextField", "InputInstructions", "DownloadButton", "createDownloadLinkElement",
))
#: The chunks the other pages add (tables, charts, date fields, forms, uploads; collected by clicking through every
#: page after the Lagekarte): fetched with low priority once the page has loaded (``rel="prefetch"``), so the first
#: switch to a page does not wait for them.
PREFETCH = ("css/DataFrame",) + tuple(f"js/{name}" for name in (
    "ArrowVegaLiteChart", "Button", "DataFrame", "DateField", "DateInput", "Delete.esm", "FileDownload.esm",
    "FileUploader", "Quiver", "Radio", "ReorderedSegments", "Slider", "TableChart.esm", "TextArea", "TextInput",
    "TimeInput", "UploadFileInfo", "_baseAssignValue", "_baseIndexOf", "_hasUnicode", "arrowFormatUtils", "colors",
    "cubic", "defaultLocale", "dist", "downloadDataUrl", "embed", "formatMoment", "init", "inputUtils", "isEmpty",
    "isString", "linear", "loadVegaEmbed", "moment", "ordinal", "pandasStylerUtils", "range", "reactJsonViewCompat",
    "recordbatch", "resolveDefaultExport", "serialization", "string", "threshold", "time", "toConsumableArray",
    "treemap", "unzip", "useDebouncedCallback", "useTextInputAutoExpand", "useUpdateUiValue", "utils", "value",
    "vega-interpreter", "withFullScreenWrapper", "zip",
))
#: Cache header of the hashed files (as Streamlit sends them) and of the page.
IMMUTABLE = b"public, immutable, max-age=31536000"
NO_CACHE = b"no-cache"


def static_dir() -> Path:
    """Folder of Streamlit's built frontend (``index.html`` and ``static/``)."""
    from streamlit import file_util

    return Path(file_util.get_static_dir())


@cache
def hashed_files() -> dict[str, Path]:
    """URL path (``/static/js/….js``) → file, for every file of Streamlit's build under ``static/``."""
    root = static_dir()
    return {"/" + p.relative_to(root).as_posix(): p for p in sorted((root / "static").rglob("*")) if p.is_file()}


@cache
def _by_name() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for url in hashed_files():
        match = re.fullmatch(r"/static/(js|css)/(.+)\.[\w-]{8}\.(?:js|css)", url)
        if match:
            out.setdefault(f"{match.group(1)}/{match.group(2)}", []).append(url)
    return {name: tuple(urls) for name, urls in out.items()}


def chunk_paths(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each chunk name (``js/Metric``) → its URL paths in the installed build (``/static/js/Metric.MSVuxtnf.js``;
    empty where the build has none; some names have several files)."""
    return {name: _by_name().get(name, ()) for name in names}


@cache
def page_html() -> bytes:
    """Streamlit's ``index.html`` in German with the preloads of :data:`PRELOAD` and the prefetches of :data:`PREFETCH`
    (relative URLs, like its own)."""
    html = (static_dir() / "index.html").read_text(encoding="utf-8")
    html = re.sub(r'<html lang="[^"]*"', '<html lang="de"', html, count=1)
    links = [f'<link rel="modulepreload" crossorigin href=".{url}">'
             for urls in chunk_paths(PRELOAD).values() for url in urls]
    links += [f'<link rel="prefetch" crossorigin href=".{url}">' for urls in chunk_paths(PREFETCH).values()
              for url in urls]
    return html.replace("</head>", "".join(f"\n    {link}" for link in links) + "\n  </head>", 1).encode()


@cache
def _file(url: str) -> tuple[bytes, bytes]:
    path = hashed_files()[url]
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype == "application/javascript":
        ctype += "; charset=utf-8"
    return path.read_bytes(), ctype.encode()


async def _send(send: Send, body: bytes, ctype: bytes, cache_control: bytes, head: bool) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", cache_control)]})
    await send({"type": "http.response.body", "body": b"" if head else body})


class FrontendFiles:
    """ASGI middleware: Streamlit's hashed frontend files from memory, its page in German with preloads.

    ``pages`` are the app's page paths (``st.Page(url_path=…)``) that are answered with the page as ``/`` is.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], pages: Iterable[str] = ()) -> None:
        self.app = app
        self.pages = {"/", "/index.html"} | {"/" + p.strip("/") for p in pages}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD"):
            path = route_path(scope.get("path", ""))
            head = scope["method"] == "HEAD"
            if path in hashed_files():
                body, ctype = _file(path)
                await _send(send, body, ctype, IMMUTABLE, head)
                return
            if path in self.pages:
                await _send(send, page_html(), b"text/html; charset=utf-8", NO_CACHE, head)
                return
        await self.app(scope, receive, send)
