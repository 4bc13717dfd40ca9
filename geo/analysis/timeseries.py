"""Zones and monthly time series: events per sensitive place, district and measure radius.

A *zone* is a polygon in the study area's metric CRS (EPSG:25833) with a name:

* a sensitive place buffered by its protective distance ``buffer_m``
  (:func:`place_zones`);
* a district (Ortsteil) polygon, plus the whole study area as ``Gesamtgebiet``
  (:func:`district_zones`);
* a measure's geometry buffered by a radius (:func:`measure_zones`).

Zones may overlap; an event inside two zones counts in both. Counting is vectorised: one
STRtree query pairs every event with the zones containing it (points on a zone's edge
count as inside), then ``np.bincount`` sums per zone (and month).

Times are naive local datetimes (Europe/Berlin wall clock); months are calendar months.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import fmt
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.points import point_coordinates, point_weights
from geo.core.schema import DISTRICT, KINDS, MEASURE_KINDS, MEASURE_RADIUS_M, PLACE_BUFFER_M, RECORD_ID, get_kind

#: Columns of a zone table (plus ``geometry``).
ZONE_COLUMNS: tuple[str, ...] = ("zone", "zone_type")
#: German names of the zone types.
ZONE_TYPES: dict[str, str] = {"place": "sensibler Ort", DISTRICT: KINDS[DISTRICT].label, "area": "Gesamtgebiet",
                              "measure": "Maßnahme"}
#: Name of the zone covering the whole study area.
WHOLE_AREA = "Gesamtgebiet"
#: Default radius (m) around point and line measures (walking distance to a disposal bin).
DEFAULT_MEASURE_RADIUS_M = MEASURE_RADIUS_M


# ---------------------------------------------------------------------------- events
def event_arrays(records: gpd.GeoDataFrame, kind: str, crs: str | None = None,
                 *, weighted: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, times and weights of report records as plain arrays.

    Parameters
    ----------
    records : records of ``kind`` (GeoDataFrame; reprojected to ``crs`` if it differs).
    kind : report kind; its ``date_field`` gives the time, its ``weight_field`` the weight.
    crs : metric CRS of the returned coordinates (default: the records' CRS).
    weighted : weights from ``weight_field`` (syringes per find, persons per observation);
        ``False``: every record weighs 1.

    Returns
    -------
    ``(x, y, t, w)`` – metres (NaN for missing geometries), ``datetime64[ns]``, float weights.
    """
    k = get_kind(kind)
    if k.date_field is None:
        raise UserError(f"{k.label_plural} haben kein Datum und können nicht gezählt werden.")
    x, y = point_coordinates(records, crs)
    t = pd.to_datetime(records[k.date_field]).to_numpy(dtype="datetime64[ns]") if len(records) else np.array(
        [], dtype="datetime64[ns]")
    w = point_weights(records, k.weight_field if weighted else None, len(x))
    return x, y, t, w


def month_index(t: np.ndarray) -> np.ndarray:
    """Months since year 0 (``year * 12 + month - 1``) of ``datetime64`` values (int64)."""
    m = np.asarray(t, dtype="datetime64[M]").astype(np.int64)  # months since 1970-01
    return m + 1970 * 12


def month_starts(period: Period) -> pd.DatetimeIndex:
    """First days of the calendar months that overlap ``period``."""
    return pd.date_range(pd.Timestamp(period.start).to_period("M").to_timestamp(),
                         pd.Timestamp(period.end), freq="MS")


def slice_periods(period: Period, months: int = 1) -> list[Period]:
    """Consecutive time slices of ``months`` calendar months covering ``period``.

    The first slice starts at ``period.start``; each slice is ``months`` months long (same
    day of month, see ``pd.DateOffset``); the last one ends at ``period.end`` and may be
    shorter.

    Examples
    --------
    >>> from datetime import date
    >>> [str(p) for p in slice_periods(Period(date(2026, 1, 1), date(2026, 4, 30)), 2)]
    ['2026-01-01/2026-02-28', '2026-03-01/2026-04-30']
    """
    if months < 1:
        raise UserError("Eine Zeitscheibe muss mindestens einen Monat lang sein.")
    starts = pd.date_range(pd.Timestamp(period.start), pd.Timestamp(period.end), freq=pd.DateOffset(months=months))
    ends = [*(s - pd.Timedelta(days=1) for s in starts[1:]), pd.Timestamp(period.end)]
    return [Period(s.date(), e.date()) for s, e in zip(starts, ends, strict=True)]


# ---------------------------------------------------------------------------- zones
def _zone_frame(names, types, geoms, crs: str, **extra) -> gpd.GeoDataFrame:
    data = {"zone": pd.array(list(names), dtype="string"), "zone_type": pd.array(list(types), dtype="string"),
            **extra}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geoms), crs=crs).values, crs=crs)


def empty_zones(crs: str) -> gpd.GeoDataFrame:
    """A zone table without rows."""
    return _zone_frame([], [], [], crs)


def place_zones(places: gpd.GeoDataFrame, crs: str | None = None) -> gpd.GeoDataFrame:
    """Sensitive places as zones: each geometry buffered by its ``buffer_m`` (metres).

    Parameters
    ----------
    places : records of ``sensitive_place`` (points or polygons) in a metric CRS.
    crs : metric CRS of the result (default: the places' CRS).

    Returns
    -------
    GeoDataFrame with ``zone`` (name), ``zone_type`` (``"place"``), ``place_type`` and the
    buffered polygon.
    """
    crs = crs or str(places.crs)
    if not len(places):
        return empty_zones(crs)
    places = places.to_crs(crs) if places.crs is not None and str(places.crs) != crs else places
    dist = pd.to_numeric(places.get("buffer_m", pd.Series(PLACE_BUFFER_M, index=places.index)), errors="coerce")
    geoms = shapely.buffer(places.geometry.values, dist.fillna(PLACE_BUFFER_M).to_numpy(dtype=float))
    kind_col = places["place_type"].astype("string").to_numpy() if "place_type" in places else None
    extra = {"place_type": kind_col} if kind_col is not None else {}
    return _zone_frame(places["name"].astype("string"), ["place"] * len(places), geoms, crs, **extra)


def district_zones(districts: gpd.GeoDataFrame | None, area=None, crs: str | None = None) -> gpd.GeoDataFrame:
    """Districts (Ortsteile) as zones, plus the whole study area as :data:`WHOLE_AREA`.

    Parameters
    ----------
    districts : records of ``district`` (polygons) or ``None``.
    area : :class:`~geo.core.area.StudyArea`; when given, a zone ``Gesamtgebiet`` is appended.
    crs : metric CRS (default: the area's, else the districts').
    """
    crs = crs or (area.crs if area is not None else str(getattr(districts, "crs", None)))
    parts = []
    if districts is not None and len(districts):
        d = districts.to_crs(crs) if districts.crs is not None and str(districts.crs) != crs else districts
        parts.append(_zone_frame(d["name"].astype("string"), [DISTRICT] * len(d), d.geometry.values, crs))
    if area is not None:
        parts.append(_zone_frame([WHOLE_AREA], ["area"], [area.boundary], crs))
    if not parts:
        return empty_zones(crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


def measure_table(measures: Mapping[str, gpd.GeoDataFrame] | gpd.GeoDataFrame, crs: str | None = None
                  ) -> gpd.GeoDataFrame:
    """All measures in one table with a German label.

    Parameters
    ----------
    measures : kind name → records of that measure kind (e.g. ``generate_demo()``; other
        kinds are ignored), or a frame that already has a ``kind`` column.
    crs : metric CRS of the result (default: the first frame's).

    Returns
    -------
    GeoDataFrame with ``record_id`` (empty if the frame has none), ``kind``, ``kind_label``,
    ``label`` (bin location or description), ``start``, ``end`` (NaT = open), ``title``
    (German one-liner such as ``Spritzenentsorgungsbehälter: Torgauer Platz (ab 01.11.2025)``)
    and the measure's geometry. Sorted by start date.
    """
    if isinstance(measures, gpd.GeoDataFrame):
        frames = {str(k): measures[measures["kind"] == k] for k in pd.unique(measures["kind"])}
    else:
        frames = {k: v for k, v in measures.items() if k in MEASURE_KINDS and v is not None and len(v)}
    if crs is None:
        crs = next((str(v.crs) for v in frames.values() if v.crs is not None), DEFAULT_CRS)
    parts = []
    for kind, gdf in frames.items():
        k = KINDS[kind]
        gdf = gdf.to_crs(crs) if gdf.crs is not None and str(gdf.crs) != crs else gdf
        label = gdf["label"] if "label" in gdf else gdf.get("description", pd.Series("", index=gdf.index))
        start = pd.to_datetime(gdf[k.date_field])
        end = pd.to_datetime(gdf[k.end_field]) if k.end_field and k.end_field in gdf else pd.Series(
            pd.NaT, index=gdf.index, dtype="datetime64[ns]")
        ids = gdf[RECORD_ID].astype("string") if RECORD_ID in gdf else pd.Series("", index=gdf.index, dtype="string")
        parts.append(pd.DataFrame({
            RECORD_ID: ids.to_numpy(), "kind": kind, "kind_label": k.label,
            "label": label.fillna("").astype("string").to_numpy(),
            "start": start.to_numpy(dtype="datetime64[ns]"), "end": end.to_numpy(dtype="datetime64[ns]"),
            "geometry": gdf.geometry.values,
        }))
    if not parts:
        table = pd.DataFrame({RECORD_ID: pd.Series(dtype="string"), "kind": pd.Series(dtype="string"),
                              "kind_label": pd.Series(dtype="string"), "label": pd.Series(dtype="string"),
                              "start": pd.Series(dtype="datetime64[ns]"), "end": pd.Series(dtype="datetime64[ns]"),
                              "geometry": gpd.GeoSeries([], crs=crs).values})
    else:
        table = pd.concat(parts, ignore_index=True)
    for col in ("kind", "kind_label", "label", RECORD_ID):
        table[col] = table[col].astype("string")
    start_txt = pd.Series(table["start"]).dt.strftime(fmt.DATE_FORMAT).fillna("?")
    label_txt = table["label"].fillna("").str.strip()
    title = table["kind_label"] + np.where(label_txt != "", ": " + label_txt, "") + " (ab " + start_txt + ")"
    table["title"] = title.astype("string")
    out = gpd.GeoDataFrame(table, geometry="geometry", crs=crs)
    return out.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)


def treated_radius(geom_type: str | np.ndarray, radius_m: float | None) -> np.ndarray:
    """Radius (m) of the treated area: ``radius_m``, or by default 150 m around points and
    lines and 0 m (the area itself) for polygons."""
    types = np.atleast_1d(np.asarray(geom_type, dtype=object)).astype(str)
    if radius_m is not None:
        if not (np.isfinite(radius_m) and radius_m >= 0):
            raise UserError(f"Ungültiger Radius {radius_m!r} m; er muss 0 oder größer sein.")
        return np.full(types.shape, float(radius_m))
    is_area = np.char.find(types.astype(str), "Polygon") >= 0
    return np.where(is_area, 0.0, DEFAULT_MEASURE_RADIUS_M)


def measure_zones(measures: gpd.GeoDataFrame, radius_m: float | None = None) -> gpd.GeoDataFrame:
    """Measures (a :func:`measure_table`) as zones: each geometry buffered by the radius.

    ``radius_m=None`` uses :func:`treated_radius` (150 m around points/lines, polygons
    as they are). Keeps ``record_id``, ``kind``, ``start``, ``end``; ``zone`` is the title.
    """
    crs = str(measures.crs)
    if not len(measures):
        return empty_zones(crs)
    r = treated_radius(measures.geometry.geom_type.to_numpy(), radius_m)
    geoms = shapely.buffer(measures.geometry.values, r)
    return _zone_frame(measures["title"], ["measure"] * len(measures), geoms, crs,
                       **{RECORD_ID: measures[RECORD_ID].to_numpy(), "kind": measures["kind"].to_numpy(),
                          "start": measures["start"].to_numpy(), "end": measures["end"].to_numpy()})


def zone_hits(zones: gpd.GeoDataFrame | np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(event index, zone index)`` for every event inside (or on the edge of) a zone.

    Parameters
    ----------
    zones : zone table or an array of polygons, same metric CRS as ``x, y``.
    x, y : event coordinates in metres; non-finite coordinates are in no zone.
    """
    geoms = np.asarray(zones.geometry.values if isinstance(zones, gpd.GeoDataFrame) else zones, dtype=object)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(geoms) or not len(ok):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tree = shapely.STRtree(geoms)
    ev, zi = tree.query(shapely.points(x[ok], y[ok]), predicate="intersects")
    return ok[ev].astype(np.int64), zi.astype(np.int64)


def zone_counts(zones: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Number (or weight sum) of events in each zone (float64, aligned with ``zones``)."""
    ev, zi = zone_hits(zones, x, y)
    weights = None if w is None else np.asarray(w, dtype=float)[ev]
    return np.bincount(zi, weights=weights, minlength=len(zones)).astype(np.float64)


# ---------------------------------------------------------------------------- series
def monthly_series(records: gpd.GeoDataFrame, kind: str, zones: gpd.GeoDataFrame,
                   period: Period | None = None) -> pd.DataFrame:
    """Monthly counts of events per zone.

    Parameters
    ----------
    records : report records of ``kind`` (metric CRS, reprojected to the zones' CRS).
    kind : report kind (its ``date_field`` places an event in a month).
    zones : zone table (:func:`place_zones`, :func:`district_zones`, :func:`measure_zones`).
    period : months shown (default: from the first to the last event). Events outside
        the period are not counted; a month cut by the period counts only its part.

    Returns
    -------
    Long table, one row per zone and month (months without events included): ``zone``,
    ``zone_type``, ``zone_index`` (row of ``zones``), ``month`` (first day, Timestamp),
    ``count`` (records) and ``weighted`` (sum of the kind's weight field, e.g. syringes;
    equal to ``count`` for kinds without one).
    """
    crs = str(zones.crs)
    x, y, t, w = event_arrays(records, kind, crs, weighted=True)
    if period is None:
        if not len(t) or np.isnat(t).all():
            return _empty_series()
        first, last = pd.Timestamp(np.nanmin(t)), pd.Timestamp(np.nanmax(t))
        period = Period(first.date(), last.date())
    inside = period.contains(t) if len(t) else np.zeros(0, dtype=bool)
    months = month_starts(period)
    m0 = month_index(months.to_numpy()[:1])[0] if len(months) else 0
    nm = len(months)
    ev, zi = zone_hits(zones, x, y)
    keep = inside[ev]
    ev, zi = ev[keep], zi[keep]
    mi = month_index(t[ev]) - m0
    flat = zi * nm + mi
    size = len(zones) * nm
    count = np.bincount(flat, minlength=size)
    weighted = np.bincount(flat, weights=w[ev], minlength=size)
    zone_idx = np.repeat(np.arange(len(zones)), nm)
    return pd.DataFrame({
        "zone": pd.array(zones["zone"].to_numpy()[zone_idx], dtype="string"),
        "zone_type": pd.array(zones["zone_type"].to_numpy()[zone_idx], dtype="string"),
        "zone_index": zone_idx,
        "month": np.tile(months.to_numpy(), len(zones)),
        "count": count.astype(np.int64),
        "weighted": weighted.astype(np.float64),
    })


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame({"zone": pd.Series(dtype="string"), "zone_type": pd.Series(dtype="string"),
                         "zone_index": pd.Series(dtype="int64"), "month": pd.Series(dtype="datetime64[ns]"),
                         "count": pd.Series(dtype="int64"), "weighted": pd.Series(dtype="float64")})


def measure_marks(measures: gpd.GeoDataFrame, period: Period | None = None) -> pd.DataFrame:
    """Dates to mark in a time series chart: one row per measure start (and end, if any).

    Returns ``date``, ``what`` (``"Beginn"``/``"Ende"``), ``title``, ``kind``, ``label`` (bin
    location or description); only dates within ``period`` when given.
    """
    label = (measures["label"] if "label" in measures else pd.Series("", index=measures.index)).to_numpy()
    starts = pd.DataFrame({"date": measures["start"].to_numpy(), "what": "Beginn",
                           "title": measures["title"].to_numpy(), "kind": measures["kind"].to_numpy(),
                           "label": label})
    ends = pd.DataFrame({"date": measures["end"].to_numpy(), "what": "Ende",
                         "title": measures["title"].to_numpy(), "kind": measures["kind"].to_numpy(),
                         "label": label})
    marks = pd.concat([starts, ends[ends["date"].notna()]], ignore_index=True)
    if period is not None and len(marks):
        marks = marks[period.contains(marks["date"])]
    return marks.sort_values("date", kind="stable").reset_index(drop=True)


def data_period(records: gpd.GeoDataFrame, kind: str) -> Period | None:
    """The dates from the first to the last event of ``records`` (``None`` without events)."""
    field = get_kind(kind).date_field
    if not len(records) or field is None:
        return None
    t = pd.to_datetime(records[field]).dropna()
    if not len(t):
        return None
    return Period(t.min().date(), t.max().date())


__all__ = [
    "DEFAULT_MEASURE_RADIUS_M", "WHOLE_AREA", "ZONE_TYPES", "data_period", "district_zones", "event_arrays",
    "measure_marks", "measure_table", "measure_zones", "month_index", "month_starts", "monthly_series",
    "place_zones", "slice_periods", "treated_radius", "zone_counts", "zone_hits",
]
