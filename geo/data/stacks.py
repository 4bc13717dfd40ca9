"""Geocoding fallbacks ("Sammelpunkte") and coarse locations, found at import.

Agencies geocode what they can and put the rest on one default point (city hall, a police
station, a district centroid). Such a point carries an implausible share of a file's
records. A point is a *Sammelpunkt* when, among the file's valid point records,

* at least :data:`MIN_STACK_RECORDS` records sit on it (same coordinates to
  :data:`STACK_TOLERANCE_M`, i.e. the same 1-m grid square),
* they make up at least :data:`MIN_STACK_SHARE` of the records,
* they fall on at least :data:`MIN_STACK_DAYS` different days, and
* where the file has an address or place column with values there, at least
  :data:`MIN_TEXT_VARIETY` of them differ (one address repeated is a real place, not a
  fallback);

or when it lies within :data:`STACK_TOLERANCE_M` of a fallback point the study area lists
(``fallback_points`` in the area TOML), whatever the count.

Everything is vectorised: points are keyed by their 1-m grid square and counted with
:func:`numpy.unique`; only the few candidate squares are looked at further.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.core import fmt
from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.schema import (
    ADDRESS_ALIASES,
    COARSE_PRECISION_M,
    COARSE_PRECISION_WORDS,
    PRECISION_ALIASES,
    normalise_name,
)

#: Coordinates closer than this (metres) count as the same point.
STACK_TOLERANCE_M = 1.0
MIN_STACK_RECORDS = 20
MIN_STACK_SHARE = 0.05
MIN_STACK_DAYS = 10
#: Share of distinct address texts among a stack's non-empty addresses that marks a fallback.
MIN_TEXT_VARIETY = 0.3


@dataclass(frozen=True)
class Stack:
    """One Sammelpunkt: position (metric CRS and WGS84), records on it and their share."""

    x: float
    y: float
    lon: float
    lat: float
    count: int
    share: float
    days: int
    known: str | None = None


def find_stacks(
    x: np.ndarray,
    y: np.ndarray,
    dates: np.ndarray,
    texts: np.ndarray | None = None,
    *,
    known_xy: np.ndarray | None = None,
    known_names: list[str] | None = None,
    tolerance_m: float = STACK_TOLERANCE_M,
) -> tuple[np.ndarray, list[tuple[int, float, float, int, str | None]]]:
    """Which points sit on a fallback point.

    Parameters
    ----------
    x, y : metric coordinates of the valid point records.
    dates : their dates (``datetime64``).
    texts : an address/place text per record (``""`` = none), or None.
    known_xy, known_names : the study area's known fallback points (metric).

    Returns
    -------
    mask, stacks
        boolean mask of the records on a Sammelpunkt; per Sammelpunkt
        ``(count, x, y, distinct days, known name or None)``.
    """
    n = len(x)
    mask = np.zeros(n, dtype=bool)
    stacks: list[tuple[int, float, float, int, str | None]] = []
    if n == 0:
        return mask, stacks
    gx = np.round(np.asarray(x) / tolerance_m).astype(np.int64)
    gy = np.round(np.asarray(y) / tolerance_m).astype(np.int64)
    key = (gx - gx.min()) * (int(gy.max() - gy.min()) + 1) + (gy - gy.min())
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    days = np.asarray(dates, dtype="datetime64[D]")
    candidates = np.flatnonzero((counts >= MIN_STACK_RECORDS) & (counts >= MIN_STACK_SHARE * n))
    known_hit = np.full(len(uniq), None, dtype=object)
    if known_xy is not None and len(known_xy):
        # each known point: all grid squares within the tolerance (a record exactly there or beside it)
        for name, (kx, ky) in zip(known_names or [], known_xy, strict=False):
            near = np.flatnonzero(np.hypot(np.asarray(x) - kx, np.asarray(y) - ky) <= 2 * tolerance_m)
            for g in np.unique(inverse[near]):
                known_hit[g] = name
    groups = sorted(set(candidates.tolist()) | set(np.flatnonzero(known_hit != None).tolist()))  # noqa: E711
    for g in groups:
        rows = np.flatnonzero(inverse == g)
        n_days = int(len(np.unique(days[rows][~np.isnat(days[rows])])))
        if known_hit[g] is None:
            if n_days < MIN_STACK_DAYS:
                continue
            if texts is not None:
                t = texts[rows]
                t = t[t != ""]
                if len(t) >= MIN_STACK_RECORDS and len(np.unique(t)) < MIN_TEXT_VARIETY * len(t):
                    continue  # one address, many records: a real place
        mask[rows] = True
        stacks.append((len(rows), float(np.mean(np.asarray(x)[rows])), float(np.mean(np.asarray(y)[rows])),
                       n_days, known_hit[g]))
    stacks.sort(key=lambda s: -s[0])
    return mask, stacks


def flag_stacks(data: pd.DataFrame, geoms: np.ndarray, ok: np.ndarray, dates: pd.Series, area: StudyArea,
                places: gpd.GeoDataFrame | None) -> tuple[np.ndarray, list[str]]:
    """Records of a file on a Sammelpunkt, and one summary line per Sammelpunkt.

    The line reads ``Sammelpunkt: 51,34390 N, 12,40330 O – 4.548 Datensätze (25,0 %) an 310
    Tagen, nächster bekannter Ort: Rathaus (0 m)``.
    """
    n = len(data)
    flagged = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(ok)
    if len(rows):
        rows = rows[shapely.get_type_id(geoms[rows]) == 0]
    if not len(rows):
        return flagged, []
    x, y = shapely.get_x(geoms[rows]), shapely.get_y(geoms[rows])
    texts = None
    col = address_column(data.columns)
    if col is not None:
        texts = data[col].astype(object).where(data[col].notna(), "").astype(str).str.strip().to_numpy()[rows]
    names, known_xy = area.fallback_xy()
    mask, stacks = find_stacks(x, y, dates.to_numpy()[rows], texts, known_xy=known_xy, known_names=names)
    flagged[rows[mask]] = True
    if not stacks:
        return flagged, []
    to_wgs = Transformer.from_crs(area.crs, DISPLAY_CRS, always_xy=True)
    lines = []
    for count, sx, sy, n_days, known in stacks:
        lon, lat = to_wgs.transform(sx, sy)
        where = known or _nearest_place(sx, sy, places, area)
        lines.append(
            f"Sammelpunkt: {fmt.number(lat, 5)} N, {fmt.number(lon, 5)} O – {fmt.number(count)} Datensätze "
            f"({fmt.number(100 * count / len(rows), 1)} %)"
            f" an {fmt.number(n_days)} Tagen, nächster bekannter Ort: {where}"
            " – gespeichert, aber nicht räumlich ausgewertet"
        )
    return flagged, lines


def _nearest_place(x: float, y: float, places: gpd.GeoDataFrame | None, area: StudyArea) -> str:
    names, known_xy = area.fallback_xy()
    best: tuple[float, str] | None = None
    for name, (kx, ky) in zip(names, known_xy, strict=True):
        d = float(np.hypot(kx - x, ky - y))
        if best is None or d < best[0]:
            best = (d, name)
    if places is not None and len(places) and "name" in places:
        pt = shapely.Point(x, y)
        geoms = places.to_crs(area.crs).geometry.values if places.crs is not None else places.geometry.values
        dist = shapely.distance(np.asarray(geoms, dtype=object), pt)
        if len(dist) and np.isfinite(dist).any():
            i = int(np.nanargmin(dist))
            if best is None or dist[i] < best[0]:
                best = (float(dist[i]), str(places["name"].iloc[i]))
    if best is None:
        return "keiner hinterlegt"
    return f"{best[1]} ({fmt.number(best[0])} m)"


def address_column(columns: pd.Index) -> str | None:
    """The file's address or place-text column (one of ADDRESS_ALIASES), or ``None``."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise_name(c), c)
    for a in ADDRESS_ALIASES:
        if a in by_norm:
            return by_norm[a]
    return None


def find_precision_column(columns: pd.Index, explicit: str | None = None) -> str | None:
    """The file's precision/geocoder column (explicit name or one of PRECISION_ALIASES)."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise_name(c), c)
    if explicit:
        return by_norm.get(normalise_name(explicit))
    for a in PRECISION_ALIASES:
        if a in by_norm:
            return by_norm[a]
    return None


#: Share of a file's addresses that must carry a house number before rows without one count as coarse.
MIN_NUMBERED_SHARE = 0.3


def street_only(series: pd.Series) -> np.ndarray:
    """Rows whose address gives only a street, square or district (no house number) in a file whose addresses
    otherwise do carry numbers: such points stand for a whole street or district, coarser than the cells.

    >>> s = pd.Series(["Eisenbahnstraße 52", "Eisenbahnstraße", "Volkmarsdorf", "Torgauer Str. 3", ""])
    >>> street_only(s).tolist()
    [False, True, True, False, False]
    """
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    given = text != ""
    numbered = text.str.contains(r"\d", regex=True)
    if not given.any() or numbered[given].mean() < MIN_NUMBERED_SHARE:
        return np.zeros(len(text), dtype=bool)
    return (given & ~numbered).to_numpy(dtype=bool)


def coarse_precision(series: pd.Series) -> np.ndarray:
    """Values saying a point is coarser than an address: metres > COARSE_PRECISION_M or a coarse class.

    >>> coarse_precision(pd.Series(["5", "250", "Straße", "rooftop", "Ortsteil", ""])).tolist()
    [False, True, True, False, True, False]
    """
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    metres = pd.to_numeric(text.str.replace(",", ".", regex=False).str.replace(r"\s*m$", "", regex=True),
                           errors="coerce")
    coarse = (metres > COARSE_PRECISION_M).to_numpy()
    words = {u: normalise_name(u) for u in text.unique()}
    coarse_words = set(COARSE_PRECISION_WORDS)

    def is_coarse(norm: str) -> bool:
        return norm in coarse_words or any(part in coarse_words for part in norm.split("_"))

    lookup = {u: is_coarse(v) for u, v in words.items()}
    return coarse | text.map(lookup).to_numpy(dtype=bool)
