"""The offline base map (buildings, streets, green areas, water, railways) as one static script.

The base layers of the store (:meth:`geo.data.store.Store.read_base`) are turned into one
JavaScript file ``LB.baseData["<version>"] = {...}`` whose name carries a hash of its content:
the app serves it as a static asset (``static/lagebild/base/<version>.js``, loaded once and
cached by the browser, never re-sent with a Streamlit rerun); exported HTML maps inline it.
The map's layers (``LB.base(version, theme, style)``) only name it.

Encoding: coordinates in WGS84, as integers of 1e-5° (about 1 m) relative to the first vertex
of each ring and delta-encoded – small numbers, a compact file. Street names become labels
(``[lat, lon, text, angle°]``, placed by :func:`geo.analysis.placenames.street_label_points`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.analysis.placenames import street_label_points
from geo.core.area import DISPLAY_CRS
from geo.core.schema import BASE_STYLES, BASE_THEMES
from layers.escape import js_json

#: Scale of the integer coordinates (1e-5° ≈ 1.1 m north–south).
SCALE = 100_000
#: Simplification tolerance before encoding (metres).
SIMPLIFY_M = 0.7
#: Stretch of a street that gets one label (metres).
LABEL_STRETCH_M = 350.0
#: Street names are shown from this zoom level on.
LABEL_MIN_ZOOM = 16
#: Drawing order (bottom to top).
THEME_ORDER: tuple[str, ...] = ("green", "water", "building", "railway", "street")
#: Subfolder of the served assets.
BASE_SUBDIR = "base"


@dataclass(frozen=True)
class BaseLayers:
    """The encoded base map.

    Attributes
    ----------
    version : hash of the content (names the served file).
    script : the JavaScript defining ``LB.baseData[version]``.
    themes : themes present, in drawing order.
    has_labels : street name labels present.
    """

    version: str
    script: str
    themes: tuple[str, ...]
    has_labels: bool

    @property
    def file(self) -> str:
        """Path of the served file relative to the asset folder."""
        return f"{BASE_SUBDIR}/{self.version}.js"


def _rings_ints(rings: np.ndarray) -> list[list[int]]:
    """Each ring (or line) as a flat list of delta-encoded integer lon/lat pairs (vectorised)."""
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    q = np.round(coords * SCALE).astype(np.int64)
    start = np.r_[True, idx[1:] != idx[:-1]]
    d = q.copy()
    d[1:] -= q[:-1]
    d[start] = q[start]
    keep = start | (d != 0).any(axis=1)  # vertices repeated after rounding
    d, idx = d[keep], idx[keep]
    bounds = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    counts = np.bincount(idx, minlength=len(rings))
    pieces = np.split(d.ravel(), 2 * bounds[1:])
    out: list[list[int]] = [[] for _ in range(len(rings))]
    for ring, piece in zip(np.unique(idx), pieces, strict=True):
        out[ring] = piece.tolist() if counts[ring] else []
    return out


def _encode(geoms: np.ndarray) -> tuple[str, list]:
    """``("area"|"line", features)``: each area feature a list of rings, each line a flat ring."""
    parts = shapely.get_parts(geoms)
    types = shapely.get_type_id(parts)
    if (types == 3).any():
        polys = parts[types == 3]
        rings, owner = shapely.get_rings(polys, return_index=True)
        enc = _rings_ints(rings)
        feats: list[list] = [[] for _ in range(len(polys))]
        for r, o in zip(enc, owner, strict=True):
            feats[o].append(r)
        return "area", [f for f in feats if f and len(f[0]) >= 6]
    lines = parts[types == 1]
    return "line", [r for r in _rings_ints(lines) if len(r) >= 4] if len(lines) else []


def street_labels(base: gpd.GeoDataFrame) -> list[list]:
    """``[[lat, lon, name, angle], ...]`` of the named streets (see ``placenames.street_label_points``)."""
    points = street_label_points(base, stretch_m=LABEL_STRETCH_M)
    if not points:
        return []
    arr = np.asarray([[p[0], p[1]] for p in points])
    wgs = gpd.GeoSeries(gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs=base.crs).to_crs(DISPLAY_CRS)
    return [[round(p.y, 6), round(p.x, 6), lab[2], lab[3]] for p, lab in zip(wgs, points, strict=True)]


def build_base_layers(base: gpd.GeoDataFrame | None) -> BaseLayers | None:
    """Encode ``base`` (columns ``theme, name, street, housenumber``, any CRS); ``None`` when empty."""
    if base is None or not len(base):
        return None
    metric = base if base.crs is None or base.crs.is_projected else base.to_crs(base.estimate_utm_crs())
    data: dict = {"s": SCALE}
    themes = []
    for theme in THEME_ORDER:
        rows = metric[(metric["theme"] == theme).to_numpy()]
        if not len(rows):
            continue
        simple = shapely.simplify(rows.geometry.values, SIMPLIFY_M, preserve_topology=True)
        wgs = gpd.GeoSeries(simple, crs=metric.crs).to_crs(DISPLAY_CRS).values
        kind, feats = _encode(np.asarray(wgs, dtype=object))
        if feats:
            data[theme] = {"k": kind, "g": feats}
            themes.append(theme)
    labels = street_labels(metric)
    data["labels"] = labels
    if not themes and not labels:
        return None
    body = js_json(data)
    version = hashlib.sha256(body.encode()).hexdigest()[:16]
    script = f"window.LB=window.LB||{{}};LB.baseData=LB.baseData||{{}};LB.baseData[{js_json(version)}]={body};"
    return BaseLayers(version, script, tuple(themes), bool(labels))


def ensure_base_asset(asset_dir: str | Path, layers: BaseLayers) -> Path:
    """Write ``layers`` to ``asset_dir/base/<version>.js`` unless it is there; return the path."""
    target = Path(asset_dir) / layers.file
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(layers.script, encoding="utf-8")
        tmp.replace(target)  # atomic: a browser never gets half a file
    return target


def theme_style(theme: str) -> dict:
    """Leaflet path options of a theme (from :data:`geo.core.schema.BASE_STYLES`)."""
    s = BASE_STYLES[theme]
    return {"line": s["line"], "fill": s["fill"], "width": s["width"], "casing": s.get("casing")}


def theme_label(theme: str) -> str:
    return BASE_THEMES[theme]
