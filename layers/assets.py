"""Offline JavaScript and CSS for the maps: Leaflet, jQuery and markercluster from the installed
``xstatic-*`` packages plus Lagebild's own ``layers/js/lagebild.{js,css}``.

Nothing is loaded from the internet. Two ways to deliver the files:

* **served** – :func:`ensure_static` copies them into the app's ``static/lagebild/`` folder,
  which Streamlit serves at ``/app/static/lagebild/`` (``server.enableStaticServing``);
  the maps reference them with :func:`asset_urls` (in the app all scripts as one bundle file,
  :func:`bundle_file`, which saves sequential requests).
* **inline** – :func:`inline_assets` replaces the ``<script src>``/``<link href>`` tags of a
  rendered map by the files' contents (standalone HTML export; images in CSS become
  ``data:`` URLs).
"""

from __future__ import annotations

import base64
import filecmp
import hashlib
import re
import shutil
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path

from layers.escape import escape_text

#: Where Lagebild's own JavaScript/CSS lives.
OWN_DIR = Path(__file__).resolve().parent / "js"
#: Default URL prefix of the served files (Streamlit's static serving).
STATIC_URL = "/app/static/lagebild"
#: Subfolder of the app's ``static/`` folder.
STATIC_SUBDIR = "lagebild"


@dataclass(frozen=True)
class Asset:
    """One file: its name in the folium asset lists, source and served file name."""

    name: str
    source: Path
    file: str

    @property
    def is_js(self) -> bool:
        return self.file.endswith(".js")


def _xstatic(package: str, rel: str) -> Path:
    mod = import_module(f"xstatic.pkg.{package}")
    return Path(mod.BASE_DIR) / rel


@cache
def assets() -> tuple[Asset, ...]:
    """All offline assets in load order (scripts: Leaflet before its plugins)."""
    return (
        Asset("leaflet", _xstatic("leaflet", "leaflet.js"), "leaflet/leaflet.js"),
        Asset("jquery", _xstatic("jquery", "jquery.min.js"), "jquery/jquery.min.js"),
        Asset("markercluster", _xstatic("leaflet_markercluster", "leaflet.markercluster.js"),
              "markercluster/leaflet.markercluster.js"),
        Asset("lagebild", OWN_DIR / "lagebild.js", "lagebild.js"),
        Asset("leaflet_css", _xstatic("leaflet", "leaflet.css"), "leaflet/leaflet.css"),
        Asset("markercluster_css", _xstatic("leaflet_markercluster", "MarkerCluster.css"),
              "markercluster/MarkerCluster.css"),
        Asset("lagebild_css", OWN_DIR / "lagebild.css", "lagebild.css"),
    )


def _leaflet_images() -> list[tuple[Path, str]]:
    folder = _xstatic("leaflet", "images")
    return [(p, f"leaflet/images/{p.name}") for p in sorted(folder.glob("*.png"))]


#: Name of the one-file bundle of all scripts in the folium asset list.
BUNDLE_NAME = "lagebild_bundle"


@cache
def bundle_script() -> str:
    """All offline scripts in load order as one text (each file on its own lines, ``;`` between them).

    streamlit-folium loads a map's scripts one after the other, each waiting for the previous one; one file
    instead of four saves three round trips before a map in the app can start drawing.
    """
    return "\n;\n".join(a.source.read_text(encoding="utf-8") for a in assets() if a.is_js) + "\n"


@cache
def bundle_file() -> str:
    """File name of :func:`bundle_script` (with a hash of its content: a new version gets a new name)."""
    return f"lagebild-{hashlib.sha256(bundle_script().encode()).hexdigest()[:12]}.js"


def asset_urls(base: str = STATIC_URL, *, bundle: bool = False) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(default_js, default_css)`` lists of ``(name, url)`` for folium elements; with ``bundle`` the scripts
    come as one file (:func:`bundle_file`)."""
    base = base.rstrip("/")
    js = [(a.name, f"{base}/{a.file}") for a in assets() if a.is_js]
    if bundle:
        js = [(BUNDLE_NAME, f"{base}/{bundle_file()}")]
    css = [(a.name, f"{base}/{a.file}") for a in assets() if not a.is_js]
    return js, css


def ensure_static(static_dir: str | Path) -> Path:
    """Copy the assets into ``static_dir/lagebild`` (only files that are missing or changed).

    Parameters
    ----------
    static_dir : the app's ``static/`` folder (served by Streamlit at ``/app/static``).

    Returns
    -------
    Path
        The ``lagebild`` subfolder.
    """
    target = Path(static_dir) / STATIC_SUBDIR
    pairs = [(a.source, a.file) for a in assets()] + _leaflet_images()
    for source, rel in pairs:
        dest = target / rel
        if dest.is_file() and filecmp.cmp(source, dest, shallow=False):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(dest)  # atomic: a browser never gets half a file
    bundle = target / bundle_file()
    if not bundle.is_file():  # the name carries the content's hash
        tmp = bundle.with_name(bundle.name + ".tmp")
        tmp.write_text(bundle_script(), encoding="utf-8")
        tmp.replace(bundle)
    return target


@cache
def _inline_css(asset: Asset) -> str:
    text = asset.source.read_text(encoding="utf-8")
    images = {rel.split("/", 1)[1]: path for path, rel in _leaflet_images()}  # "images/layers.png" -> path

    def data_url(match: re.Match) -> str:
        path = images.get(match.group(1))
        if path is None:
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_url, text)


def inline_assets(html: str, base: str = STATIC_URL) -> str:
    """Replace references to the served assets in ``html`` by the files' contents.

    Script and style contents are made safe for inlining (``</`` cannot close the element).
    References to anything else are left untouched.
    """
    base = base.rstrip("/")
    bundle_url = escape_text(f"{base}/{bundle_file()}")
    if bundle_url in html:
        pattern = re.compile(r'<script[^>]*\ssrc="' + re.escape(bundle_url) + r'"[^>]*>\s*</script>')
        bundle_body = bundle_script().replace("</", "<\\/")
        html = pattern.sub(lambda _m: f"<script>{bundle_body}</script>", html)
    for asset in assets():
        url = escape_text(f"{base}/{asset.file}")
        if asset.is_js:
            body = asset.source.read_text(encoding="utf-8").replace("</", "<\\/")
            pattern = re.compile(r'<script[^>]*\ssrc="' + re.escape(url) + r'"[^>]*>\s*</script>')
            html = pattern.sub(lambda _m, b=body: f"<script>{b}</script>", html)
        else:
            body = _inline_css(asset).replace("</", "<\\/")
            pattern = re.compile(r'<link[^>]*\shref="' + re.escape(url) + r'"[^>]*/?>')
            html = pattern.sub(lambda _m, b=body: f"<style>{b}</style>", html)
    return html


def external_references(html: str) -> list[str]:
    """URLs the page would load from another host: ``<script src>``, ``<link href>``,
    ``<img src>``, ``<iframe src>`` (should be none; plain links are not loads)."""
    return re.findall(r'<(?:script|link|img|iframe)\b[^>]*?\s(?:src|href)="((?:https?:)?//[^"]+)"', html)


def german_ui_script() -> str:
    """The script that puts Streamlit's own widget texts into German (``js/streamlit_de.js``),
    as one ``<script>`` element for ``st.html(..., unsafe_allow_javascript=True)``."""
    return f"<script>{(OWN_DIR / 'streamlit_de.js').read_text(encoding='utf-8')}</script>"
