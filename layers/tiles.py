"""Online backgrounds of the maps: the one list of tile providers and how a setting picks one.

The default is the official German ``basemap.de`` web raster in grey (BKG and the surveying
authorities of the Länder, WMTS, CC BY 4.0): calm under the data, and what a German authority
would choose for data-protection reasons. ``osm`` selects OpenStreetMap's tiles; any other
XYZ/WMTS URL (with ``{z}``, ``{x}``, ``{y}``) or a WMS URL (``…?SERVICE=WMS&LAYERS=…``) can be
given; ``off`` switches the background off.

Where the setting comes from, first match wins: ``$LAGEBILD_TILES``, the study area's TOML
(``[area] tiles = …``), the default. The map never depends on the tiles: when they cannot be
loaded (no internet) the tile layer is removed and one quiet line says so
(``LB.tiles`` in ``layers/js/lagebild.js``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Environment variable choosing the online background (provider key, URL or ``off``).
TILES_ENV = "LAGEBILD_TILES"
#: Settings that switch the online background off.
OFF_WORDS = ("0", "off", "aus", "none", "nein", "false")
#: Shown (once) when the tiles cannot be loaded.
OFFLINE_NOTICE = "Hintergrundkarte nicht erreichbar – Karte ohne Hintergrund."
#: A transparent 1×1 GIF: a failing tile shows nothing instead of a broken-image icon.
BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@dataclass(frozen=True)
class TileProvider:
    """One online background.

    Attributes
    ----------
    key : short name used in settings (``basemapde``, ``osm``, ``custom``).
    label : German name in the layer control.
    url : XYZ template (``{z}/{x}/{y}``) or, for ``wms``, the service URL without WMS parameters.
    attribution : HTML attribution (static text from this module, or the escaped URL's host).
    kind : ``"xyz"`` or ``"wms"``.
    wms_layers : the WMS ``LAYERS`` parameter.
    max_native_zoom : highest zoom level the service has tiles for.
    """

    key: str
    label: str
    url: str
    attribution: str
    kind: str = "xyz"
    wms_layers: str = ""
    max_native_zoom: int = 19

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


#: The known providers (the single source: maps, README and tests read this).
PROVIDERS: dict[str, TileProvider] = {
    "basemapde": TileProvider(
        "basemapde", "Hintergrund: basemap.de (grau)",
        "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_grau/default/"
        "GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png",
        '© <a href="https://basemap.de">basemap.de</a> / BKG '
        '(<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>)',
        max_native_zoom=18,
    ),
    "osm": TileProvider(
        "osm", "Hintergrund: OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende',
        max_native_zoom=19,
    ),
}
DEFAULT_PROVIDER = "basemapde"


def provider_for(setting: str | None) -> TileProvider | None:
    """The provider a setting names (``None`` when it is ``off``).

    ``None`` or ``""`` → the default (basemap.de); a key of :data:`PROVIDERS`; a URL with
    ``SERVICE=WMS`` (or ``wms:`` before it) → WMS with its ``LAYERS``; any other URL → XYZ/WMTS.
    An unknown word is treated as ``off`` rather than guessed.
    """
    text = (setting or "").strip()
    if not text:
        return PROVIDERS[DEFAULT_PROVIDER]
    if text.lower() in OFF_WORDS:
        return None
    if text.lower() in PROVIDERS:
        return PROVIDERS[text.lower()]
    is_wms = text.lower().startswith("wms:")
    if is_wms:
        text = text[4:].strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    from layers.escape import escape_text

    attribution = escape_text(f"Hintergrund: {parts.hostname}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if is_wms or query.get("SERVICE", query.get("service", "")).upper() == "WMS":
        layers = next((v for k, v in query.items() if k.lower() == "layers"), "")
        kept = {k: v for k, v in query.items()
                if k.lower() not in ("service", "request", "layers", "version", "format", "bbox", "width", "height",
                                     "crs", "srs", "styles", "transparent")}
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))
        return TileProvider("custom", "Hintergrund (WMS)", base, attribution, kind="wms", wms_layers=layers)
    return TileProvider("custom", "Hintergrund (online)", text, attribution)


def tiles_setting(area_setting: str | None = None) -> str | None:
    """The effective setting: ``$LAGEBILD_TILES`` if set, else the study area's, else ``None`` (default)."""
    env = os.environ.get(TILES_ENV)
    if env is not None and env.strip():
        return env
    return area_setting


def configured_provider(area=None) -> TileProvider | None:
    """The provider for maps of ``area`` (a :class:`geo.core.area.StudyArea` or ``None``)."""
    return provider_for(tiles_setting(getattr(area, "tiles", None)))
