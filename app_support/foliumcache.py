"""A folium map for Streamlit built once and sent many times: streamlit-folium's component arguments as a value.

``streamlit_folium.st_folium`` renders the whole folium map on every call: it runs folium's Jinja templates, turns
every element into JavaScript, rewrites variable names with regular expressions over the whole script (megabytes
with 100,000 finds) and hashes it. None of that depends on the browser session. :func:`build_payload` calls
``st_folium`` once and keeps the arguments it would send to its component (:class:`MapPayload`), so a cache
keyed on the map's inputs can hold them; :func:`show_map` sends a payload, with this session's view (centre,
zoom), as ``st_folium`` would have.

How the arguments are taken: ``streamlit_folium`` sends them through its module attribute ``_component_func``.
:func:`_install` replaces that attribute once by a dispatcher that passes every call through, except in the
thread that is inside :func:`build_payload`, where it records the arguments instead (so other sessions' maps,
drawn at the same moment in other threads, are not affected). ``tests/test_app_foliumcache.py`` checks that the
payload sent by :func:`show_map` equals what ``st_folium`` sends, so an update of streamlit-folium that changes
this cannot pass unnoticed.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import folium
import streamlit_folium

#: Arguments that belong to one session's view of the map, not to the map itself.
PER_SESSION = ("center", "zoom")

_local = threading.local()
_lock = threading.Lock()


@dataclass(frozen=True)
class MapPayload:
    """What ``st_folium`` sends to its component for one map (immutable; share it between sessions).

    ``kwargs`` are the component's arguments (scripts, header, feature groups, layer control, asset links, the
    component key derived from the map's script, the default return value and the callback that copies the
    returned value to the widget key); ``size`` is the length of the scripts in characters.
    """

    kwargs: MappingProxyType
    size: int


def _dispatch(**kwargs: Any):
    capture = getattr(_local, "capture", None)
    if capture is not None:
        capture.append(kwargs)
        return None
    return _dispatch.real(**kwargs)


def _install() -> None:
    """Put :func:`_dispatch` in front of streamlit-folium's component function (once per process)."""
    with _lock:
        if streamlit_folium._component_func is not _dispatch:
            _dispatch.real = streamlit_folium._component_func
            streamlit_folium._component_func = _dispatch


def build_payload(
    m: folium.Map,
    *,
    key: str,
    height: int,
    feature_group_to_add: list[folium.FeatureGroup] | None = None,
    layer_control: folium.LayerControl | None = None,
    returned_objects: list[str] | None = None,
    use_container_width: bool = True,
) -> MapPayload:
    """Render ``m`` (with its feature groups and layer control) the way ``st_folium`` does, without sending it.

    The arguments are those of ``st_folium``; ``center`` and ``zoom`` are given to :func:`show_map` instead.
    """
    _install()
    captured: list[dict] = []
    _local.capture = captured
    try:
        streamlit_folium.st_folium(
            m, key=key, height=height, use_container_width=use_container_width,
            feature_group_to_add=feature_group_to_add, layer_control=layer_control,
            returned_objects=returned_objects,
        )
    finally:
        _local.capture = None
    (kwargs,) = captured
    kwargs = {k: v for k, v in kwargs.items() if k not in PER_SESSION}
    size = sum(len(kwargs.get(k) or "") for k in ("script", "header", "html", "feature_group", "layer_control"))
    return MapPayload(MappingProxyType(kwargs), size)


def show_map(payload: MapPayload, *, center: tuple[float, float] | None = None, zoom: int | None = None):
    """Send ``payload`` to the browser as ``st_folium`` would (this session's ``center``/``zoom``); returns the
    component's value like ``st_folium``."""
    _install()
    kwargs = dict(payload.kwargs)
    kwargs["default"] = copy.deepcopy(kwargs.get("default"))
    return _dispatch.real(**kwargs, center=center, zoom=zoom)
