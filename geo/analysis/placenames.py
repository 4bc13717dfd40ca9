"""Short German names for hotspots and sites, from the base map and the store (pure functions).

A *hotspot* is a connected group of significant hot cells (cells sharing an edge or a corner,
``gi_class ≥ 1``); a group wider than :data:`SPLIT_M` is divided at its peaks (:func:`hotspot_groups`).
Each gets a name the meeting recognises from what lies around its *core* (the cells within
:data:`CORE_M` of its peak), tried in this order:

1. **main part** – a named square or green area the core lies in (``"Rabet"``); otherwise
   the streets around it: each named street scores the addressed buildings within
   :data:`NEAR_M` of the core plus its street length inside that zone / :data:`STREET_M_PER_POINT`.
   When the second street scores at least :data:`CROSSING_SHARE` of the first, the group is a
   crossing (``"Hermann-Liebmann-/Eisenbahnstraße"``); otherwise the first street with the range of
   its house numbers near the group (``"Eisenbahnstraße 52–60"``);
2. **sensitive place it touches** (within :data:`TOUCH_M`) is added after a slash
   (``"Rabet / Spielplatz Rabet"``; a street the place is named after wins over the others), or is
   the name when there is no main part;
3. fallbacks: ``"nahe <street>"`` (within :data:`NEARBY_STREET_M`), ``"bei <nearest sensitive place>"``
   (within :data:`NEARBY_PLACE_M`), the district
   the centre lies in, then the coordinates (``"51,3452° N, 12,4062° O"``).

Names are unique within one list of hotspots (:func:`geo.analysis.uniquenames.distinct_names`):
hotspots that would share a name get the direction in which they lie from the others
(``"bei Spielplatz Volkmarsdorfer Markt (Nord)"`` and ``"… (Süd)"``), and a number (``"… (2)"``) only
when even that is the same.

A *site* (e.g. a suggested disposal bin) gets an address: ``"Torgauer Platz, vor Nr. 3"`` from the
nearest addressed building within :data:`ADDRESS_M`, else the nearest named street, else as above.

All geometries in one metric CRS (metres). Nothing here reads a file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.analysis.uniquenames import distinct_names
from geo.core.area import DISPLAY_CRS

#: A connected group wider than this (m) is divided at its peaks (see :func:`hotspot_groups`).
SPLIT_M = 300.0
#: Peaks of one group lie at least this far apart (m).
PEAK_SEPARATION_M = 200.0
#: A part of a divided group keeps at least this share of the group's events (else it joins its neighbour).
MIN_PART_SHARE = 0.1
#: A group of hot cells whose cells together hold fewer events (sum of the weight) than this is no
#: hotspot: its significance comes from its neighbours, not from anything found there (e.g. two cells
#: with one find beside a large hotspot), so it is neither counted nor named.
MIN_HOTSPOT_EVENTS = 5.0
#: A hotspot is named after what lies around its core: the cells within this distance (m) of its peak.
CORE_M = 90.0
#: Buildings and streets within this distance of a hotspot name it (m).
NEAR_M = 25.0
#: Street length (m) inside the zone that counts like one addressed building.
STREET_M_PER_POINT = 20.0
#: A second street with at least this share of the first street's score makes a crossing.
CROSSING_SHARE = 0.5
#: A sensitive place this close to a hotspot (m) is part of its name.
TOUCH_M = 30.0
#: Fallback: nearest named street or address within this distance (m).
NEARBY_STREET_M = 150.0
#: Fallback: nearest sensitive place within this distance (m).
NEARBY_PLACE_M = 400.0
#: A site's address: nearest addressed building / named street within this distance (m).
ADDRESS_M = 60.0
_NUMBER = re.compile(r"\d+")


@dataclass
class PlaceContext:
    """What names are made from (all in ``crs``, metres).

    Attributes
    ----------
    addresses : points (building centroids) with ``street`` and ``housenumber``.
    streets : named street lines with ``name``.
    squares : named squares and green areas (polygons) with ``name``.
    places : sensitive places with ``name`` (points or polygons).
    districts : districts with ``name``.
    crs : the metric CRS.
    """

    addresses: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    squares: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    crs: str

    @property
    def has_base(self) -> bool:
        return bool(len(self.addresses) or len(self.streets) or len(self.squares))


def _empty(crs: str, *cols: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in cols}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _named(gdf: gpd.GeoDataFrame | None, crs: str, col: str = "name") -> gpd.GeoDataFrame:
    if gdf is None or not len(gdf) or col not in gdf:
        return _empty(crs, col)
    out = gdf.to_crs(crs)
    names = out[col].fillna("").astype(str).str.strip()
    keep = (names != "").to_numpy() & ~shapely.is_empty(out.geometry.values) & ~shapely.is_missing(out.geometry.values)
    return gpd.GeoDataFrame({col: names[keep].to_numpy()}, geometry=out.geometry.values[keep], crs=crs)


def place_context(
    base: gpd.GeoDataFrame | None,
    crs: str,
    *,
    places: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
) -> PlaceContext:
    """Collect the naming sources: ``base`` as from :meth:`geo.data.store.Store.read_base`
    (``theme, name, street, housenumber``), sensitive ``places`` and ``districts`` (``name``)."""
    addresses = _empty(crs, "street", "housenumber")
    streets = squares = _empty(crs, "name")
    if base is not None and len(base):
        base = base.to_crs(crs)
        has_addr = (base["street"].fillna("").astype(str).str.strip() != "") & \
                   (base["housenumber"].fillna("").astype(str).str.strip() != "")
        a = base[has_addr.to_numpy()]
        addresses = gpd.GeoDataFrame(
            {"street": a["street"].astype(str).str.strip().to_numpy(),
             "housenumber": a["housenumber"].astype(str).str.strip().to_numpy()},
            geometry=shapely.centroid(a.geometry.values), crs=crs)
        streets = _named(base[(base["theme"] == "street").to_numpy()], crs)
        poly = shapely.get_type_id(base.geometry.values)
        areal = base["theme"].isin(["green", "street"]).to_numpy() & np.isin(poly, (3, 6))
        sq = base[areal]
        squares = _named(sq, crs)
    return PlaceContext(addresses, streets, squares, _named(places, crs), _named(districts, crs), crs)


# ---------------------------------------------------------------------------- hotspot groups
def _peaks(xy: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Part label per cell of one connected group: the group is divided at its peaks.

    Peaks are the local maxima of ``z`` (Gi* z-score: highest within :data:`PEAK_SEPARATION_M`),
    taken by descending ``z``, each at least that far from the ones before; every cell joins
    its nearest peak; parts with less than :data:`MIN_PART_SHARE` of the group's weight ``w``
    are dissolved into the remaining parts.
    """
    # candidates: cells whose z is the highest within PEAK_SEPARATION_M (local maxima)
    tree = cKDTree(xy)
    near = tree.query_ball_point(xy, PEAK_SEPARATION_M - 1e-6)
    local_max = np.array([z[i] >= z[nb].max() for i, nb in enumerate(near)])
    order = [i for i in np.argsort(-z, kind="stable") if local_max[i]]
    peaks: list[int] = []
    for i in order:
        if not peaks or np.hypot(*(xy[peaks] - xy[i]).T).min() >= PEAK_SEPARATION_M:
            peaks.append(int(i))
    while True:
        label = cKDTree(xy[peaks]).query(xy)[1]
        share = np.array([w[label == k].sum() for k in range(len(peaks))]) / max(w.sum(), 1e-12)
        if len(peaks) == 1 or share.min() >= MIN_PART_SHARE:
            return np.array(peaks)[label]
        peaks.pop(int(np.argmin(share)))


def hotspot_groups(cells: gpd.GeoDataFrame, *, min_class: int = 1, weight: str = "count",
                   min_events: float = MIN_HOTSPOT_EVENTS) -> gpd.GeoDataFrame:
    """Hotspots: connected groups of hot cells (``gi_class ≥ min_class``; touching edges or corners)
    that hold at least ``min_events`` events (sum of ``weight``; see :data:`MIN_HOTSPOT_EVENTS`).

    A group wider than :data:`SPLIT_M` (e.g. a whole street with a park beside it) is divided at
    its peaks (:func:`_peaks`) so that each hotspot has one centre a name can describe.

    Returns
    -------
    GeoDataFrame
        One row per hotspot, largest ``weight`` sum first: ``group`` (1, 2, …), ``n_cells``,
        ``count`` (sum of the cells' ``weight``), ``max_class``, ``cell_ids`` (list), ``core``
        (the cells within :data:`CORE_M` of the peak, a geometry), the union of the cells as
        geometry (``cells``' CRS).
    """
    hot = cells[cells["gi_class"].to_numpy() >= min_class]
    cols = ["group", "n_cells", "count", "max_class", "cell_ids", "core"]
    if hot.empty:
        return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in cols},
                                geometry=gpd.GeoSeries([], crs=cells.crs), crs=cells.crs)
    geoms = hot.geometry.values
    tree = shapely.STRtree(geoms)
    tol = 0.01 * float(np.sqrt(np.median(shapely.area(geoms)))) + 1e-6
    left, right = tree.query(shapely.buffer(geoms, tol), predicate="intersects")
    n = len(geoms)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    w = hot[weight].to_numpy(dtype=float) if weight in hot else np.ones(n)
    z = hot["gi_z"].to_numpy(dtype=float) if "gi_z" in hot else w
    ids = hot["cell_id"].to_numpy() if "cell_id" in hot else hot.index.to_numpy()
    cent = shapely.centroid(geoms)
    xy = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
    parts = np.empty(n, dtype=int)
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        x0, y0 = xy[idx].min(axis=0)
        x1, y1 = xy[idx].max(axis=0)
        if max(x1 - x0, y1 - y0) > SPLIT_M:
            parts[idx] = idx[_peaks(xy[idx], z[idx], w[idx])]
        else:
            parts[idx] = idx[int(np.argmax(z[idx]))]
    rows = []
    for peak in np.unique(parts):
        m = parts == peak
        core = m & (np.hypot(xy[:, 0] - xy[peak, 0], xy[:, 1] - xy[peak, 1]) <= CORE_M)
        rows.append({"n_cells": int(m.sum()), "count": float(w[m].sum()),
                     "max_class": int(hot["gi_class"].to_numpy()[m].max()), "cell_ids": list(ids[m]),
                     "core": shapely.union_all(geoms[core]), "geometry": shapely.union_all(geoms[m])})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=cells.crs)
    out = out[out["count"].to_numpy() >= min_events]
    out = out.sort_values(["count", "n_cells"], ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "group", np.arange(1, len(out) + 1))
    return out


# ---------------------------------------------------------------------------- names
def house_number(text: str) -> int | None:
    """The leading number of a house number (``"52a"`` → 52, ``"52-54"`` → 52), ``None`` without one."""
    m = _NUMBER.search(str(text))
    return int(m.group()) if m else None


def number_range(numbers) -> str:
    """``"52–60"`` (en dash) for the numbers' range, ``"52"`` for one, ``""`` for none."""
    nums = sorted({n for n in (house_number(t) for t in numbers) if n is not None})
    if not nums:
        return ""
    return str(nums[0]) if nums[0] == nums[-1] else f"{nums[0]}–{nums[-1]}"


def crossing_name(a: str, b: str) -> str:
    """Two streets as one crossing name, German style.

    >>> crossing_name("Hermann-Liebmann-Straße", "Eisenbahnstraße")
    'Hermann-Liebmann-/Eisenbahnstraße'
    >>> crossing_name("Eisenbahnstraße", "Hermann-Liebmann-Straße")
    'Hermann-Liebmann-/Eisenbahnstraße'
    >>> crossing_name("Torgauer Straße", "Rabet")
    'Torgauer Straße / Rabet'
    """
    for x, y in ((a, b), (b, a)):
        if x.endswith("-Straße") and y.lower().endswith("straße"):
            return f"{x[: -len('Straße')]}/{y}"
    for x, y in ((a, b), (b, a)):
        if x.endswith("straße") and " " not in x and y.lower().endswith("straße"):
            return f"{x[: -len('straße')]}-/{y}"
    return f"{a} / {b}"


def _street_scores(zone: shapely.Geometry, ctx: PlaceContext) -> tuple[pd.Series, pd.DataFrame]:
    """Score per street name in ``zone`` and the addressed buildings there."""
    scores: dict[str, float] = {}
    near_addr = ctx.addresses.iloc[0:0]
    if len(ctx.addresses):
        hit = shapely.intersects(zone, ctx.addresses.geometry.values)
        near_addr = ctx.addresses[hit]
        for street, n in near_addr["street"].value_counts().items():
            scores[street] = scores.get(street, 0.0) + float(n)
    if len(ctx.streets):
        inside = shapely.length(shapely.intersection(zone, ctx.streets.geometry.values))
        for name, length in pd.Series(inside, index=ctx.streets["name"].to_numpy()).groupby(level=0).sum().items():
            if length > 0:
                scores[name] = scores.get(name, 0.0) + float(length) / STREET_M_PER_POINT
    s = pd.Series(scores, dtype=float)
    return s.sort_values(ascending=False, kind="stable"), near_addr


def _square_at(geom: shapely.Geometry, ctx: PlaceContext) -> str:
    if not len(ctx.squares):
        return ""
    c = shapely.point_on_surface(geom)
    inside = shapely.contains(ctx.squares.geometry.values, c)
    if inside.any():
        areas = shapely.area(ctx.squares.geometry.values)
        idx = np.flatnonzero(inside)
        return str(ctx.squares["name"].iloc[idx[np.argmin(areas[idx])]])
    return ""


def _touching_place(geom: shapely.Geometry, ctx: PlaceContext) -> str:
    if not len(ctx.places):
        return ""
    d = shapely.distance(ctx.places.geometry.values, geom)
    i = int(np.argmin(d))
    return str(ctx.places["name"].iloc[i]) if d[i] <= TOUCH_M else ""


def _fallback(geom: shapely.Geometry, ctx: PlaceContext) -> str:
    c = shapely.point_on_surface(geom)
    if len(ctx.places):
        d = shapely.distance(ctx.places.geometry.values, c)
        i = int(np.argmin(d))
        if d[i] <= NEARBY_PLACE_M:
            return f"bei {ctx.places['name'].iloc[i]}"
    if len(ctx.districts):
        inside = shapely.contains(ctx.districts.geometry.values, c)
        if inside.any():
            return str(ctx.districts["name"].iloc[int(np.flatnonzero(inside)[0])])
    return coordinates_text(c, ctx.crs)


def coordinates_text(point: shapely.Point, crs: str) -> str:
    """``"51,3452° N, 12,4062° O"`` (WGS84, four decimals, German decimal comma)."""
    lon, lat = Transformer.from_crs(crs, DISPLAY_CRS, always_xy=True).transform(point.x, point.y)
    return f"{lat:.4f}° N, {lon:.4f}° O".replace(".", ",")  # TODO(fmt): geo.core.fmt.number(x, 4)


def name_area(geom: shapely.Geometry, ctx: PlaceContext) -> str:
    """The short German name of an area (e.g. a hotspot's cells); see the module docstring."""
    main = _square_at(geom, ctx)
    place = _touching_place(geom, ctx)
    if not main:
        zone = shapely.buffer(geom, NEAR_M)
        scores, near_addr = _street_scores(zone, ctx)
        # a touching place named after one of the streets tells which street the hotspot belongs to
        named_in_place = [str(s) for s in scores.index[:3] if place and _word_in(str(s), place)]
        if named_in_place:
            main = named_in_place[0]
        elif len(scores):
            first = str(scores.index[0])
            if len(scores) > 1 and scores.iloc[1] >= CROSSING_SHARE * scores.iloc[0]:
                main = crossing_name(first, str(scores.index[1]))
            else:
                rng = number_range(near_addr.loc[near_addr["street"] == first, "housenumber"])
                main = f"{first} {rng}".strip()
    if main and place and place.lower() not in main.lower():
        return f"{main} / {place}"
    return main or place or _near_street(geom, ctx) or _fallback(geom, ctx)


def place_names(cells: gpd.GeoDataFrame, ctx: PlaceContext) -> list[str]:
    """The short German name of each cell (or area) in ``cells`` (see :func:`name_area`), in order."""
    crs_cells = cells.to_crs(ctx.crs) if cells.crs is not None else cells
    return [name_area(g, ctx) for g in crs_cells.geometry.values]


def _street_key(text: str) -> str:
    """A street name folded for matching: lower case, ß → ss, "str." → "strasse", no spaces or hyphens."""
    s = str(text).strip().casefold().replace("ß", "ss")
    s = re.sub(r"str\.?(?=$|\s)", "strasse", s)
    return re.sub(r"[\s\-.]", "", s)


def locate_address(text: str, ctx: PlaceContext) -> shapely.Point | None:
    """The point of a typed address or place name, from the base map's addresses and names (``None``: unknown).

    ``"Eisenbahnstraße 52"`` / ``"Eisenbahnstr. 52a"`` → that building's centre; a street without number →
    the middle of its addressed buildings (or of its line); a sensitive place, square or district by its name.
    Offline: only what the imported base map and the store know can be found.

    >>> ctx = place_context(None, "EPSG:25833")
    >>> locate_address("Nirgendwo 1", ctx) is None
    True
    """
    text = str(text or "").strip()
    if not text:
        return None
    m = re.match(r"^(.*?)[\s,]+(\d+\s*[a-zA-Z]?)$", text)
    street, number = (m.group(1), m.group(2).replace(" ", "").lower()) if m else (text, "")
    key = _street_key(street)
    addr = ctx.addresses
    if len(addr):
        same = addr["street"].map(_street_key).to_numpy() == key
        if number:
            hit = same & (addr["housenumber"].astype(str).str.replace(" ", "").str.lower().to_numpy() == number)
            if hit.any():
                return shapely.centroid(addr.geometry.values[hit][0])
        elif same.any():
            xy = shapely.get_coordinates(addr.geometry.values[same])
            return shapely.Point(np.median(xy[:, 0]), np.median(xy[:, 1]))
    for table in (ctx.streets, ctx.squares, ctx.places, ctx.districts):
        if len(table):
            hit = table["name"].astype(str).map(_street_key).to_numpy() == key
            if hit.any() and not number:
                return shapely.point_on_surface(shapely.union_all(table.geometry.values[hit]))
    return None


def _word_in(word: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word.lower()) + r"(?!\w)", text.lower()) is not None


def _near_street(geom: shapely.Geometry, ctx: PlaceContext) -> str:
    """``"nahe Wurzner Straße"``: the nearest named street or address within :data:`NEARBY_STREET_M`."""
    best, name = np.inf, ""
    for frame, col in ((ctx.streets, "name"), (ctx.addresses, "street")):
        if len(frame):
            d = shapely.distance(frame.geometry.values, geom)
            i = int(np.argmin(d))
            if d[i] < best:
                best, name = float(d[i]), str(frame[col].iloc[i])
    return f"nahe {name}" if best <= NEARBY_STREET_M else ""


def address_of(point: shapely.Point, ctx: PlaceContext) -> str:
    """An address for a site: ``"Torgauer Platz, vor Nr. 3"`` (nearest addressed building within
    :data:`ADDRESS_M`), else the nearest named street or square, else :func:`name_area`'s fallbacks."""
    if len(ctx.addresses):
        d = shapely.distance(ctx.addresses.geometry.values, point)
        i = int(np.argmin(d))
        if d[i] <= ADDRESS_M:
            row = ctx.addresses.iloc[i]
            return f"{row['street']}, vor Nr. {row['housenumber']}"
    square = _square_at(point, ctx)
    if square:
        return square
    if len(ctx.streets):
        d = shapely.distance(ctx.streets.geometry.values, point)
        i = int(np.argmin(d))
        if d[i] <= ADDRESS_M:
            return str(ctx.streets["name"].iloc[i])
    return _touching_place(point, ctx) or _fallback(point, ctx)


def name_hotspots(cells: gpd.GeoDataFrame, ctx: PlaceContext, *, min_class: int = 1) -> tuple[gpd.GeoDataFrame,
                                                                                               pd.Series]:
    """Hotspot groups with their names, and a ``place`` per cell.

    Returns
    -------
    (groups, place)
        ``groups`` from :func:`hotspot_groups` plus ``place`` (unique: :mod:`geo.analysis.uniquenames`);
        ``place`` is a Series aligned with ``cells`` (the group's name for hot cells, ``""`` elsewhere).
    """
    groups = hotspot_groups(cells, min_class=min_class)
    names = distinct_names([name_area(g, ctx) for g in groups["core"]], groups["core"].to_numpy())
    groups["place"] = pd.Series(names, index=groups.index, dtype=object)
    place = pd.Series("", index=cells.index, dtype=object)
    if len(groups):
        key = cells["cell_id"] if "cell_id" in cells else pd.Series(cells.index, index=cells.index)
        lookup = {cid: n for ids, n in zip(groups["cell_ids"], names, strict=True) for cid in ids}
        place = key.map(lookup).fillna("").astype(object)
    return groups, place


def top_hotspots(
    groups: gpd.GeoDataFrame,
    finds: gpd.GeoDataFrame,
    finds_prev: gpd.GeoDataFrame | None = None,
    *,
    weight: str | None = "count",
    limit: int = 10,
) -> pd.DataFrame:
    """The "Top-Hotspots" table: ``rank, place, finds, syringes, change`` per named group.

    ``finds`` / ``finds_prev`` are point records (same CRS as ``groups``); ``syringes`` sums
    ``weight`` (the number of syringes per find); ``change`` = finds − finds in the previous period
    in the same cells (``NA`` without a previous period).
    """
    cols = ["rank", "place", "finds", "syringes", "change"]
    if groups is None or not len(groups):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})

    def per_group(points: gpd.GeoDataFrame | None) -> tuple[np.ndarray, np.ndarray]:
        n = np.zeros(len(groups), dtype=int)
        s = np.zeros(len(groups), dtype=float)
        if points is None or not len(points):
            return n, s
        pts = points.to_crs(groups.crs).geometry.values
        w = points[weight].to_numpy(dtype=float) if weight and weight in points else np.ones(len(points))
        tree = shapely.STRtree(pts)
        for i, g in enumerate(groups.geometry.values):
            idx = tree.query(g, predicate="intersects")
            n[i] = len(idx)
            s[i] = float(w[idx].sum())
        return n, s

    # TODO(stacks): count through geo.core.quality.spatial_records once issue 12 is merged (stacked fallback points)
    n_now, s_now = per_group(finds)
    out = pd.DataFrame({"rank": np.arange(1, len(groups) + 1), "place": groups["place"].to_numpy(),
                        "finds": n_now, "syringes": s_now.round().astype(int)})
    if finds_prev is not None:
        n_prev, _ = per_group(finds_prev)
        out["change"] = (n_now - n_prev).astype(int)
    else:
        out["change"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out = out.sort_values(["finds", "syringes"], ascending=False, kind="stable").head(limit)
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


def site_addresses(geoms, ctx: PlaceContext) -> list[str]:
    """:func:`address_of` for each point (any geometry: its centroid) of ``geoms`` (metric CRS)."""
    return [address_of(shapely.centroid(g), ctx) for g in np.asarray(geoms, dtype=object)]


def label_sites(sites: gpd.GeoDataFrame, ctx: PlaceContext, prefix: str = "Vorschlag") -> gpd.GeoDataFrame:
    """``sites`` (with ``rank``) with an ``address`` column and labels such as
    ``"Vorschlag 1 – Torgauer Platz, vor Nr. 3"`` for the crews (a copy)."""
    out = sites.copy()
    addresses = site_addresses(out.geometry.values, ctx) if len(out) else []
    out["address"] = pd.Series(addresses, index=out.index, dtype=object)
    ranks = out["rank"] if "rank" in out else pd.Series(np.arange(1, len(out) + 1), index=out.index)
    out["label"] = [f"{prefix} {int(r)} – {a}" for r, a in zip(ranks, addresses, strict=True)]
    return out


# ---------------------------------------------------------------------------- street labels
def _angle(dx: float, dy: float) -> float:
    """Screen angle (degrees, clockwise, text never upside down) of a direction in metres (x east, y north)."""
    a = -math.degrees(math.atan2(dy, dx))
    if a > 90:
        a -= 180
    if a < -90:
        a += 180
    return round(a, 1)


def street_label_points(base: gpd.GeoDataFrame, *, stretch_m: float = 350.0) -> list[tuple[float, float, str, float]]:
    """Where street names go on a map: ``(x, y, name, angle°)`` in the base's metric CRS.

    From named street lines: one label per ``stretch_m`` of each merged street. Without street
    lines (a buildings-only base): per street, the addressed buildings are ordered along their
    principal axis and cut into stretches; the label goes to the mean of each stretch's buildings –
    the mean of both rows of houses lies on the street – turned along the axis.
    """
    out: list[tuple[float, float, str, float]] = []
    if base is None or not len(base):
        return out
    streets = base[(base["theme"] == "street").to_numpy() & (base["name"].astype(str) != "").to_numpy()]
    streets = streets[np.isin(shapely.get_type_id(streets.geometry.values), (1, 5))]
    if len(streets):
        for name, rows in streets.groupby("name"):
            merged = shapely.line_merge(shapely.union_all(rows.geometry.values))
            for line in shapely.get_parts(merged):
                if line.length < 60:
                    continue
                n = max(1, int(line.length // stretch_m))
                for k in range(n):
                    at = (k + 0.5) * line.length / n
                    p0 = line.interpolate(max(0.0, at - 10))
                    p1 = line.interpolate(min(line.length, at + 10))
                    mid = line.interpolate(at)
                    out.append((mid.x, mid.y, str(name), _angle(p1.x - p0.x, p1.y - p0.y)))
        return out
    addr = base[(base["street"].astype(str) != "").to_numpy() & (base["housenumber"].astype(str) != "").to_numpy()]
    if not len(addr):
        return out
    cent = shapely.centroid(addr.geometry.values)
    xy = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
    names = addr["street"].astype(str).to_numpy()
    for name in np.unique(names):
        pts = xy[names == name]
        if len(pts) < 4:
            continue
        centre = pts.mean(axis=0)
        axis = np.linalg.svd(pts - centre, full_matrices=False)[2][0]
        t = (pts - centre) @ axis
        n = max(1, int((t.max() - t.min()) // stretch_m))
        edges = np.linspace(t.min(), t.max() + 1e-9, n + 1)
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            sel = (t >= a) & (t < b)
            if sel.sum() >= 3:
                mid = pts[sel].mean(axis=0)
                out.append((float(mid[0]), float(mid[1]), str(name), _angle(axis[0], axis[1])))
    return out
