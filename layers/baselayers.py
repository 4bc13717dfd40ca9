"""The offline base map (buildings, streets, green areas, water, railways) as one static script.

The base layers of the store (:meth:`geo.data.store.Store.read_base`) are turned into one
JavaScript file ``LB.baseData["<version>"] = {...}`` whose name carries a hash of its content:
the app serves it as a static asset (``static/lagebild/base/<version>.js``, loaded once and
cached by the browser, never re-sent with a Streamlit rerun); exported HTML maps inline it.
The map's layers (``LB.base(version, theme, style)``) only name it.

Encoding: coordinates in WGS84, as integers of 1e-5° (about 1 m) relative to the first vertex
of each ring and delta-encoded – small numbers, a compact file. Street names become labels
(``[lat, lon, text, angle°]``): at the middle of each named street line, or, when the base has
no street lines (a buildings-only import), at the mean of the addressed buildings of each street
in stretches of :data:`LABEL_STRETCH_M` – the mean of both rows of houses lies on the street.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

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


def _ring_ints(coords: np.ndarray) -> list[int]:
    q = np.round(coords * SCALE).astype(np.int64)
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    keep = np.ones(len(d), dtype=bool)
    keep[1:] = (d[1:] != 0).any(axis=1)  # repeated vertices after rounding
    return d[keep].ravel().tolist()


def _encode(geoms: np.ndarray) -> tuple[str, list]:
    """``("area"|"line", features)``: each area feature a list of rings, each line a flat ring."""
    parts = shapely.get_parts(geoms)
    types = shapely.get_type_id(parts)
    out: list = []
    if np.isin(types, (3,)).any():
        for poly in parts[types == 3]:
            rings = [poly.exterior, *poly.interiors]
            enc = [_ring_ints(np.asarray(r.coords)[:, :2]) for r in rings]
            if len(enc[0]) >= 6:
                out.append(enc)
        return "area", out
    for line in parts[types == 1]:
        enc = _ring_ints(np.asarray(line.coords)[:, :2])
        if len(enc) >= 4:
            out.append(enc)
    return "line", out


def _angle(dx_m: float, dy_m: float) -> float:
    """Screen angle of a direction (degrees, text never upside down)."""
    a = -math.degrees(math.atan2(dy_m, dx_m))
    if a > 90:
        a -= 180
    if a < -90:
        a += 180
    return round(a, 1)


def street_labels(base: gpd.GeoDataFrame) -> list[list]:
    """``[[lat, lon, name, angle], ...]`` for the named streets (see the module docstring)."""
    labels: list[list] = []
    to_wgs = None
    streets = base[(base["theme"] == "street").to_numpy() & (base["name"].astype(str) != "").to_numpy()]
    streets = streets[np.isin(shapely.get_type_id(streets.geometry.values), (1, 5))]
    if len(streets):
        for name, rows in streets.groupby("name"):
            merged = shapely.line_merge(shapely.union_all(rows.geometry.values))
            for line in shapely.get_parts(merged):
                if line.length < 60:
                    continue
                for k in range(max(1, int(line.length // LABEL_STRETCH_M))):
                    at = (k + 0.5) * line.length / max(1, int(line.length // LABEL_STRETCH_M))
                    p0 = line.interpolate(max(0.0, at - 10))
                    p1 = line.interpolate(min(line.length, at + 10))
                    mid = line.interpolate(at)
                    labels.append([mid.x, mid.y, str(name), _angle(p1.x - p0.x, p1.y - p0.y)])
    else:
        addr = base[(base["street"].astype(str) != "").to_numpy() & (base["housenumber"].astype(str) != "").to_numpy()]
        if len(addr):
            cent = shapely.centroid(addr.geometry.values)
            xy = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
            streets_of = addr["street"].astype(str).to_numpy()
            for name in np.unique(streets_of):
                pts = xy[streets_of == name]
                if len(pts) < 4:
                    continue
                centre = pts.mean(axis=0)
                u, s, vt = np.linalg.svd(pts - centre, full_matrices=False)
                axis = vt[0]
                t = (pts - centre) @ axis
                span = t.max() - t.min()
                n = max(1, int(span // LABEL_STRETCH_M))
                edges = np.linspace(t.min(), t.max() + 1e-9, n + 1)
                for a, b in zip(edges[:-1], edges[1:], strict=True):
                    sel = (t >= a) & (t < b)
                    if sel.sum() < 3:
                        continue
                    mid = pts[sel].mean(axis=0)
                    labels.append([mid[0], mid[1], str(name), _angle(axis[0], axis[1])])
    if not labels:
        return []
    arr = np.asarray([[lab[0], lab[1]] for lab in labels])
    to_wgs = gpd.GeoSeries(gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs=base.crs).to_crs(DISPLAY_CRS)
    return [[round(p.y, 6), round(p.x, 6), lab[2], lab[3]] for p, lab in zip(to_wgs, labels, strict=True)]


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
