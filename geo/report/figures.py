"""Figures for the Drogenrapport: key figures, sensitive places, measures, districts.

Pure functions: GeoDataFrames in the study area's metric CRS (default EPSG:25833, metres)
in, (Geo)DataFrames with English column names out. :data:`GERMAN_COLUMNS` and
:func:`to_german` give the German headings for display; :func:`format_change` and
:func:`geo.core.fmt.number` format numbers the German way. Used by the app, the CLI and the
printable handout (:mod:`geo.report.handout`). Nothing here imports streamlit or folium.

Record dictionaries (``dict[kind, GeoDataFrame]``) are keyed by the kind names of
:data:`geo.core.schema.KINDS`; a missing kind counts as "no records".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.placenames import hotspot_groups
from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.errors import UserError
from geo.core.period import Period, records_in
from geo.core.points import column_weights, in_crs
from geo.core.schema import (
    COMPLAINT,
    DISPOSAL_BIN,
    KINDS,
    MEASURE_KINDS,
    PLACE_BUFFER_M,
    SCENE_OBSERVATION,
    SYRINGE_FIND,
    get_kind,
)

#: Protective distance (m) of a sensitive place without a usable ``buffer_m``.
DEFAULT_BUFFER_M = PLACE_BUFFER_M
#: Default of ``threshold`` in :func:`sensitive_place_table`: a place is flagged when at
#: least this many finds + complaints lie within its protective distance in the period.
DEFAULT_PLACE_THRESHOLD = 10
#: Smallest Gi* class counted as a hot spot cell (1 = hot spot at ≥ 90 % confidence, FDR).
HOT_CLASS_MIN = 1

#: Plural labels of the report kinds (schema), used in headings.
_FINDS, _COMPLAINTS, _OBSERVATIONS = (KINDS[k].label_plural for k in (SYRINGE_FIND, COMPLAINT, SCENE_OBSERVATION))

#: Key figures of :func:`key_figures`: row key → German label.
KEY_FIGURES: dict[str, str] = {
    "finds": f"{_FINDS} (Fundstellen)",
    "syringes": "Spritzen",
    "complaints": _COMPLAINTS,
    "scene_observations": _OBSERVATIONS,
    "hotspots": "Hotspots",
}

#: German column headings for every table this module returns.
GERMAN_COLUMNS: dict[str, str] = {
    # key figures
    "figure": "Kennzahl",
    "value": "Zeitraum",
    "previous": "Vorzeitraum",
    "change": "Veränderung",
    "change_pct": "Veränderung (%)",
    # sensitive places
    "name": "Name",
    "place_type": "Art",
    "buffer_m": "Schutzabstand (m)",
    "finds": _FINDS,
    "syringes": "Spritzen",
    "complaints": _COMPLAINTS,
    "reports": "Funde + Beschwerden",
    "finds_prev": f"{_FINDS} Vorzeitraum",
    "syringes_prev": "Spritzen Vorzeitraum",
    "complaints_prev": f"{_COMPLAINTS} Vorzeitraum",
    "reports_prev": "Funde + Beschwerden Vorzeitraum",
    "flagged": "auffällig",
    "lat": "Breite",
    "lon": "Länge",
    # measures
    "kind": "Schlüssel",
    "measure": "Maßnahme",
    "description": "Beschreibung/Standort",
    "when": "Datum/Zeitraum",
    "start": "Beginn",
    "end": "Ende",
    "new_in_period": "neu im Zeitraum",
    # districts
    "number": "Nummer",
    "area_km2": "Fläche (km²)",
    "scene_observations": _OBSERVATIONS,
    "finds_per_km2": f"{_FINDS} je km²",
    "syringes_per_km2": "Spritzen je km²",
    "complaints_per_km2": f"{_COMPLAINTS} je km²",
}


def to_german(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with German column headings (:data:`GERMAN_COLUMNS`).

    Columns without a German heading (e.g. ``geometry``) keep their name.
    """
    return df.rename(columns={c: GERMAN_COLUMNS[c] for c in df.columns if c in GERMAN_COLUMNS})


# -- formatting ---------------------------------------------------------------------------


#: German number (``1.234,5``; ``–`` when missing): :func:`geo.core.fmt.number`, kept under this name.
format_number = fmt.number


def format_change(value: float | None, previous: float | None) -> str:
    """Change from ``previous`` to ``value`` in German, e.g. ``"+12 (+25 %)"``.

    The percentage is left out when ``previous`` is 0 (``"+3"``); ``"–"`` when either
    value is missing. No change is ``"±0 (±0 %)"``.

    >>> format_change(60, 48), format_change(3, 0), format_change(40, 50)
    ('+12 (+25 %)', '+3', '-10 (-20 %)')
    """
    if value is None or previous is None or pd.isna(value) or pd.isna(previous):
        return "–"
    diff = float(value) - float(previous)
    text = fmt.number(diff, sign=True)
    if float(previous) == 0:
        return text
    return f"{text} ({fmt.number(100.0 * diff / float(previous), sign=True)} %)"


# -- helpers ------------------------------------------------------------------------------


def _geoms(gdf: gpd.GeoDataFrame | None) -> np.ndarray:
    if gdf is None or not len(gdf):
        return np.empty(0, dtype=object)
    return np.asarray(gdf.geometry.values, dtype=object)


def zone_pairs(
    zones: np.ndarray, records: gpd.GeoDataFrame | None, distance: np.ndarray | float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (zone index, record index) of records in zones.

    Parameters
    ----------
    zones : geometries (metric CRS).
    records : records in the same CRS.
    distance : with a distance (metres, scalar or one per zone) a record belongs to a zone
        when its distance to the zone is at most that (inside a polygon the distance is 0);
        without, when it intersects the zone.

    Returns
    -------
    tuple of int arrays
        Zone indices and record indices, one entry per pair.
    """
    geoms = _geoms(records)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) if len(geoms) else np.zeros(0, bool)
    if not len(zones) or not ok.any():
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    keep = np.flatnonzero(ok)
    tree = shapely.STRtree(geoms[keep])
    if distance is None:
        zi, ri = tree.query(zones, predicate="intersects")
    else:
        zi, ri = tree.query(zones, predicate="dwithin", distance=distance)
    return zi, keep[ri]


def _sum_per_zone(n_zones: int, zone_idx: np.ndarray, record_idx: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = weights[record_idx] if len(record_idx) else np.zeros(0)
    return np.bincount(zone_idx, weights=w, minlength=n_zones)


def lat_lon(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (WGS84, 6 decimals) of a point on each geometry.

    Polygons and lines use :func:`shapely.point_on_surface` (always on the geometry);
    missing geometries give NaN.
    """
    if not len(geoms):
        return np.zeros(0), np.zeros(0)
    pts = gpd.GeoSeries(shapely.point_on_surface(np.asarray(geoms.values, dtype=object)), crs=geoms.crs)
    if geoms.crs is not None:
        pts = pts.to_crs(DISPLAY_CRS)
    lon = np.round(shapely.get_x(pts.values), 6)
    lat = np.round(shapely.get_y(pts.values), 6)
    return lat, lon


def _text(gdf: pd.DataFrame, column: str, default: str) -> np.ndarray:
    """A text column as an object array, missing values (or a missing column) as ``default``."""
    if column not in gdf:
        return np.full(len(gdf), default, dtype=object)
    return gdf[column].astype(object).where(gdf[column].notna(), default).to_numpy(dtype=object)


def _count(records: Mapping[str, gpd.GeoDataFrame] | None, kind: str) -> int:
    gdf = _records(records, kind)
    return 0 if gdf is None else len(gdf)


def _records(records: Mapping[str, gpd.GeoDataFrame] | None, kind: str) -> gpd.GeoDataFrame | None:
    if not records:
        return None
    gdf = records.get(kind)
    return gdf if gdf is not None and len(gdf) else None


# -- filtering ----------------------------------------------------------------------------


def filter_records(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    categories: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    within: shapely.Geometry | None = None,
) -> gpd.GeoDataFrame:
    """Records of one kind that match the filters (all filters combined with AND).

    Parameters
    ----------
    gdf : records of ``kind`` in the metric CRS.
    kind : kind name; ``categories`` needs a ``category`` field (complaints), ``sources`` a
        ``source`` field (finds, scene observations).
    categories, sources : allowed values; ``None`` = no filter, an empty list keeps nothing.
    within : polygon in the same metric CRS; keeps records that intersect it (points inside
        or on its edge).

    Returns
    -------
    GeoDataFrame
        The matching rows (original index kept).

    Raises
    ------
    UserError
        The kind has no field for a given filter.
    """
    k = get_kind(kind)
    mask = np.ones(len(gdf), dtype=bool)
    for field, values, what in (("category", categories, "Kategorie"), ("source", sources, "Quelle")):
        if values is None:
            continue
        if field not in k.field_names:
            raise UserError(f"{k.label_plural} haben keine {what}; Filter nach {what} nicht möglich.")
        allowed = [str(v) for v in values]
        mask &= gdf[field].astype(object).isin(allowed).to_numpy(dtype=bool)
    if within is not None and len(gdf):
        zone = shapely.buffer(within, 0) if not within.is_valid else within
        shapely.prepare(zone)
        geoms = _geoms(gdf)
        ok = ~shapely.is_missing(geoms)
        inside = np.zeros(len(gdf), dtype=bool)
        inside[ok] = shapely.intersects(zone, geoms[ok])
        mask &= inside
    return gdf.loc[mask]


# -- key figures --------------------------------------------------------------------------


def report_totals(records: Mapping[str, gpd.GeoDataFrame] | None) -> dict[str, float]:
    """Totals of the report kinds: ``finds``, ``syringes``, ``complaints``, ``scene_observations``.

    ``finds`` counts syringe-find records, ``syringes`` sums their ``count``.
    """
    finds = _records(records, SYRINGE_FIND)
    return {
        "finds": float(0 if finds is None else len(finds)),
        "syringes": float(column_weights(finds, KINDS[SYRINGE_FIND].weight_field).sum()),
        "complaints": float(_count(records, COMPLAINT)),
        "scene_observations": float(_count(records, SCENE_OBSERVATION)),
    }


def count_hotspots(cells: pd.DataFrame | None, min_class: int = HOT_CLASS_MIN) -> int | None:
    """Number of hotspots: connected groups of hot cells (``gi_class >= min_class``), as
    :func:`geo.analysis.placenames.hotspot_groups` forms and names them – the number the meeting
    reads in the Top-Hotspots table, not the number of grid cells (``None`` without cells)."""
    if cells is None or "gi_class" not in cells:
        return None
    return len(hotspot_groups(cells, min_class=min_class))


def key_figures(
    current: Mapping[str, gpd.GeoDataFrame],
    previous: Mapping[str, gpd.GeoDataFrame] | None,
    hotspots: int | None,
    hotspots_previous: int | None = None,
) -> pd.DataFrame:
    """Key figures of a period compared with the previous one.

    Parameters
    ----------
    current, previous : records of the period / previous period per kind (report kinds
        are used; missing kinds count 0; ``previous=None`` gives NaN comparisons).
    hotspots : number of hotspots in the period (see :func:`count_hotspots`); ``None`` leaves
        the row out.
    hotspots_previous : the same for the previous period, if known.

    Returns
    -------
    DataFrame
        Index ``key`` (``finds``, ``syringes``, ``complaints``, ``scene_observations``,
        ``hotspots``); columns ``figure`` (German label), ``value``, ``previous``,
        ``change`` (value − previous) and ``change_pct`` (percent; NaN when previous is 0
        or unknown), all float.
    """
    now = report_totals(current)
    before = report_totals(previous) if previous is not None else dict.fromkeys(now, np.nan)
    return figures_from_totals(now, before, hotspots, hotspots_previous)


def figures_from_totals(now: dict[str, float], before: dict[str, float], hotspots: int | None = None,
                        hotspots_previous: int | None = None) -> pd.DataFrame:
    """:func:`key_figures` from totals (:func:`report_totals` of both periods, or the totals a database
    computed): ``change = value − previous``, ``change_pct = 100 · change / previous`` (NaN when previous ≤ 0)."""
    now, before = dict(now), dict(before)
    if hotspots is not None:
        now["hotspots"] = float(hotspots)
        before["hotspots"] = np.nan if hotspots_previous is None else float(hotspots_previous)
    keys = list(now)
    value = np.array([now[k] for k in keys], dtype=float)
    prev = np.array([before[k] for k in keys], dtype=float)
    change = value - prev
    pct = np.where(prev > 0, 100.0 * change / np.where(prev > 0, prev, 1.0), np.nan)
    return pd.DataFrame(
        {"figure": [KEY_FIGURES[k] for k in keys], "value": value, "previous": prev, "change": change,
         "change_pct": pct},
        index=pd.Index(keys, name="key"),
    )


# -- sensitive places ---------------------------------------------------------------------


def place_buffers(places: pd.DataFrame) -> np.ndarray:
    """Protective distance (m) per place: ``buffer_m``, or :data:`DEFAULT_BUFFER_M` when missing or ≤ 0."""
    raw = places["buffer_m"] if "buffer_m" in places else pd.Series(np.nan, index=places.index)
    buffer = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(buffer) & (buffer > 0), buffer, DEFAULT_BUFFER_M)


def sensitive_place_table(
    places: gpd.GeoDataFrame,
    finds: gpd.GeoDataFrame | None,
    complaints: gpd.GeoDataFrame | None,
    finds_prev: gpd.GeoDataFrame | None = None,
    complaints_prev: gpd.GeoDataFrame | None = None,
    *,
    threshold: int = DEFAULT_PLACE_THRESHOLD,
) -> gpd.GeoDataFrame:
    """Finds and complaints within the protective distance of each sensitive place.

    A record counts for a place when its distance to the place is at most the place's
    ``buffer_m`` (metres; for a polygon the distance to its edge, 0 inside; missing or
    non-positive values use :data:`DEFAULT_BUFFER_M`). A record near two places counts
    for both.

    Parameters
    ----------
    places : sensitive places (points or polygons) with ``name``, ``place_type``,
        ``buffer_m``, in the metric CRS (EPSG:25833).
    finds, complaints : records of the period (same CRS, reprojected otherwise).
    finds_prev, complaints_prev : records of the previous period (``None``: counts 0).
    threshold : a place is ``flagged`` when ``finds + complaints >= threshold`` in the
        period (``finds`` = find records, not syringes).

    Returns
    -------
    GeoDataFrame
        One row per place, in the places' CRS and geometry: ``name``, ``place_type``,
        ``buffer_m``, ``finds``, ``syringes``, ``complaints``, ``reports``
        (= finds + complaints), the same with suffix ``_prev`` for the previous period,
        ``change`` (= reports − reports_prev), ``flagged`` (bool) and ``lat`` / ``lon``
        (WGS84 point on the place). Sorted: flagged first, then by ``reports`` descending,
        then by name.
    """
    crs = places.crs
    n = len(places)
    geoms = _geoms(places)
    buffer = place_buffers(places)
    weight_field = KINDS[SYRINGE_FIND].weight_field

    def counts(records: gpd.GeoDataFrame | None, weight: str | None) -> tuple[np.ndarray, np.ndarray]:
        records = in_crs(records, crs)
        zi, ri = zone_pairs(geoms, records, buffer)
        return (np.bincount(zi, minlength=n).astype(np.int64),
                _sum_per_zone(n, zi, ri, column_weights(records, weight)).astype(np.int64))

    f_n, f_w = counts(finds, weight_field)
    c_n, _ = counts(complaints, None)
    fp_n, fp_w = counts(finds_prev, weight_field)
    cp_n, _ = counts(complaints_prev, None)
    lat, lon = lat_lon(places.geometry)
    table = gpd.GeoDataFrame(
        {
            "name": _text(places, "name", ""), "place_type": _text(places, "place_type", "Sonstiges"),
            "buffer_m": buffer,
            "finds": f_n, "syringes": f_w, "complaints": c_n, "reports": f_n + c_n,
            "finds_prev": fp_n, "syringes_prev": fp_w, "complaints_prev": cp_n, "reports_prev": fp_n + cp_n,
            "change": (f_n + c_n) - (fp_n + cp_n), "flagged": (f_n + c_n) >= threshold,
            "lat": lat, "lon": lon,
        },
        geometry=places.geometry.values, crs=crs,
    )
    table = table.sort_values(["flagged", "reports", "name"], ascending=[False, False, True], kind="stable")
    return table.reset_index(drop=True)


# -- measures -----------------------------------------------------------------------------


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime(fmt.DATE_FORMAT).astype(object)


def _start_end(gdf: pd.DataFrame, kind: str) -> tuple[pd.Series, pd.Series]:
    """Start and end (NaT when open or without end field) of measure records."""
    k = KINDS[kind]
    start = pd.to_datetime(gdf[k.date_field])
    if k.end_field and k.end_field in gdf:
        return start, pd.to_datetime(gdf[k.end_field])
    return start, pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ns]")


def measures_list(measures: Mapping[str, gpd.GeoDataFrame], period: Period | None) -> pd.DataFrame:
    """What was done where and when in a period.

    A measure with an end field (disposal bins, police presence, street work) is listed
    when it was active at some time in the period (started before its end, not ended
    before its start; empty end = still active), so bins standing during the period are
    listed however long ago they were installed. Other measures (greenery cuts,
    structural changes) are listed when their date lies in the period.

    Parameters
    ----------
    measures : records per measure kind (other kinds are ignored), metric CRS.
    period : the period; ``None`` lists everything.

    Returns
    -------
    DataFrame
        ``kind``, ``measure`` (German label of the kind), ``description`` (the record's
        description; for bins the location label and owner), ``when`` (German date
        ``15.03.2026``, range ``01.05.2026 – 31.10.2026`` or ``seit 01.11.2025``),
        ``start``, ``end`` (datetime, NaT when open), ``new_in_period`` (started in the
        period) and ``lat`` / ``lon`` (WGS84 point on the geometry); sorted by start.
    """
    frames = []
    for kind_name in MEASURE_KINDS:
        gdf = _records(measures, kind_name)
        if gdf is None:
            continue
        kind = KINDS[kind_name]
        gdf = records_in(gdf, kind_name, period)
        if not len(gdf):
            continue
        start, end = _start_end(gdf, kind_name)
        if kind_name == DISPOSAL_BIN:
            label = _text(gdf, "label", "").astype(str)
            owner = _text(gdf, "owner", "").astype(str)
            description = np.where(np.char.strip(label) != "", label, "ohne Bezeichnung")
            description = np.where(np.char.strip(owner) != "", description + " (" + owner + ")", description)
        else:
            description = _text(gdf, "description", "").astype(str)
        s_txt, e_txt = _dates(start), _dates(end)
        if kind.end_field:
            when = np.where(end.isna(), "seit " + s_txt.fillna(""),
                            np.where(s_txt == e_txt, s_txt, s_txt + " – " + e_txt.fillna("")))
        else:
            when = s_txt.to_numpy()
        lat, lon = lat_lon(gdf.geometry)
        frames.append(pd.DataFrame({
            "kind": kind_name, "measure": kind.label,
            "description": description.astype(object), "when": np.asarray(when, dtype=object),
            "start": start.to_numpy(dtype="datetime64[ns]"), "end": end.to_numpy(dtype="datetime64[ns]"),
            "new_in_period": period.contains(start) if period is not None else np.ones(len(gdf), dtype=bool),
            "lat": lat, "lon": lon,
        }))
    columns = ["kind", "measure", "description", "when", "start", "end", "new_in_period", "lat", "lon"]
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.astype({"start": "datetime64[ns]", "end": "datetime64[ns]", "new_in_period": bool,
                             "lat": float, "lon": float})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["start", "measure"], kind="stable").reset_index(drop=True)[columns]


def active_note(records: pd.DataFrame, kind: str, period: Period) -> str | None:
    """How many stored records of a lasting measure kind (one with an end field: bins, police
    presence, street work) the maps show for ``period``, and why not the others.

    Active in the period = :func:`geo.core.period.records_in` (started before its end, not ended
    before its start), the rule of maps, key figures and measure lists; e.g. ``Spritzenentsorgungsbehälter: 4
    gespeichert, davon 3 im Zeitraum aktiv (1 vor dem Zeitraum entfernt).`` ``None`` for kinds without an
    end field, without records or when all are active.
    """
    k = KINDS[kind]
    if not k.end_field or not len(records):
        return None
    _, end = _start_end(records, kind)
    active = len(records_in(records, kind, period))
    if active == len(records):
        return None
    ended = int((end < period.start_ts).sum())
    later = len(records) - active - ended
    why = [f"{fmt.number(ended)} vor dem Zeitraum beendet" if ended else "",
           f"{fmt.number(later)} erst danach begonnen" if later else ""]
    if kind == DISPOSAL_BIN:
        why = [w.replace("beendet", "entfernt").replace("begonnen", "aufgestellt") for w in why]
    why_text = "; ".join(w for w in why if w)
    return (f"{k.label_plural}: {fmt.number(len(records))} gespeichert, davon {fmt.number(active)} im Zeitraum "
            f"aktiv" + (f" ({why_text})." if why_text else "."))


# -- districts ----------------------------------------------------------------------------


def district_summary(districts: gpd.GeoDataFrame, records: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Reports per district (Ortsteil) and per km².

    Each record is counted in exactly one district: the first (in table order) that
    contains it or has it on its edge; records outside every district are not counted.

    Parameters
    ----------
    districts : district polygons with ``name`` and ``number`` in the metric CRS.
    records : records per report kind (``syringe_find``, ``complaint``,
        ``scene_observation``), same CRS.

    Returns
    -------
    DataFrame
        ``name``, ``number``, ``area_km2`` (district area in km², from the metric CRS),
        ``finds``, ``syringes``, ``complaints``, ``scene_observations`` and
        ``finds_per_km2``, ``syringes_per_km2``, ``complaints_per_km2``; in the order of
        ``districts``.
    """
    crs = districts.crs
    n = len(districts)
    zones = _geoms(districts)

    def counts(kind: str) -> tuple[np.ndarray, np.ndarray]:
        gdf = in_crs(_records(records, kind), crs)
        zi, ri = zone_pairs(zones, gdf)
        first = np.lexsort((zi, ri))  # by record, then by district order
        ri, zi = ri[first], zi[first]
        uniq = np.ones(len(ri), dtype=bool)
        uniq[1:] = ri[1:] != ri[:-1]
        zi, ri = zi[uniq], ri[uniq]
        w = _sum_per_zone(n, zi, ri, column_weights(gdf, KINDS[kind].weight_field))
        return np.bincount(zi, minlength=n).astype(np.int64), w

    finds, syringes = counts(SYRINGE_FIND)
    complaints, _ = counts(COMPLAINT)
    observations, _ = counts(SCENE_OBSERVATION)
    area = shapely.area(zones) / 1e6 if n else np.zeros(0)

    def per(x: np.ndarray) -> np.ndarray:
        return np.where(area > 0, np.round(x / np.where(area > 0, area, 1.0), 1), np.nan)

    return pd.DataFrame({
        "name": _text(districts, "name", ""), "number": _text(districts, "number", ""), "area_km2": np.round(area, 2),
        "finds": finds, "syringes": syringes.astype(np.int64), "complaints": complaints,
        "scene_observations": observations,
        "finds_per_km2": per(finds), "syringes_per_km2": per(syringes), "complaints_per_km2": per(complaints),
    })
