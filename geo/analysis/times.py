"""When things happen: weekday × hour tables with aoristic weighting, suggested time slots, two periods compared.

The heat table
--------------
A :class:`TimeTable` holds a 7 × 24 table (rows Monday … Sunday, columns the wall-clock hours
0 … 23 of the study area's time zone, ``Europe/Berlin`` for Leipzig). Each record carries the
weight 1 (or its own weight) and is spread over the hours it could have happened in
(**aoristic weighting**, Ratcliffe 2000/2002):

* a record with a **time window** ``[time_from, time_to]`` (columns of the team contract; naive
  local datetimes) gives every hour ``h`` the share of the window's real duration that falls into
  ``h``:

  .. math::  w_h = w \\cdot \\frac{|[t_{from}, t_{to}] \\cap h|}{t_{to} - t_{from}}

  so a window 23:30–01:30 gives ¼ to 23 h, ½ to 0 h (next day) and ¼ to 1 h;
* a record with a **point time** (no window, or ``time_from == time_to``) puts its whole weight into
  its hour;
* a record with **only a date** (``date_only`` true: the source gave no time of day) is *not*
  put at 00:00: it is counted apart, per weekday (:attr:`TimeTable.date_only`);
* a record without any usable time (NaT) is counted in :attr:`TimeTable.n_undated`.

``table.sum() == n_windowed + n_point`` (weighted: the records' weights), so the table's total
equals the number of records it stands for.

Daylight saving time (the rule)
-------------------------------
Windows are naive local wall-clock times. They are turned into real instants, the weight is
spread over **real elapsed time**, and each real hour is booked to the wall-clock hour it shows:

* spring forward (last Sunday in March, 02:00 → 03:00): the hour 2 h does not exist and gets
  nothing; a window 01:30–03:30 lasts one real hour: ½ to 1 h, ½ to 3 h. A window end or start
  that falls into the gap (e.g. 02:30) is read as 03:00, the first instant after the gap;
* fall back (last Sunday in October, 03:00 → 02:00): the hour 2 h happens twice and collects
  both; a window 01:30–03:30 lasts three real hours: ⅙ to 1 h, ⅔ to 2 h, ⅙ to 3 h. An
  *ambiguous* start (02:00–02:59 on that day) is read as its first occurrence (summer time) and an
  ambiguous end as its second occurrence (winter time): the window is taken as wide as the data
  allow, never narrower (the event could have happened at any time in between);
* an ambiguous or non-existent *point* time counts in its wall-clock hour (2 h on those days).

Time zones whose offsets are not whole hours are handled when the fractional part is constant
(e.g. +05:30); zones whose fractional offset changes (Lord Howe Island) are refused.

Computation
-----------
Vectorised numpy, no loop over records: local → real instants through a per-hour offset table
(pandas ``tz_localize`` on the distinct local hours only); partial first and last hours with
``np.bincount``, the full hours in between with a difference array and ``np.cumsum`` over the
timeline of real hours; finally each real hour is mapped once to its (weekday, hour) cell.
1,000,000 windowed records take well under a second (``bench/bench_times.py``).

Suggested time slots
--------------------
:func:`suggest_slots` picks the ``k`` blocks of ``block_hours`` hours (blocks aligned at 0, 2, 4 …
per weekday) that hold the most weight — blocks do not overlap, so the ``k`` largest are the best
choice — and says it in one German sentence ("Di–Fr 18–22 Uhr: 41 % der Funde am Rabet").

Two periods
-----------
:func:`compare_patterns` compares the shares per hour of day and per weekday of two tables:
the differences in percentage points, the share of the pattern that moved (total variation
distance ½ Σ |a_h − b_h|) and a chi-square test of homogeneity on the hour-of-day profile
(approximate: aoristic weights are fractional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.area import DEFAULT_TIMEZONE
from geo.core.errors import UserError
from geo.core.schema import get_kind

#: German short weekday names, Monday first (``datetime.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WEEKDAY_NAMES: tuple[str, ...] = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
HOURS: tuple[int, ...] = tuple(range(24))

#: Columns of the team contract (issue 12): window and "date only" flag.
TIME_FROM, TIME_TO, DATE_ONLY = "time_from", "time_to", "date_only"
#: Longest timeline (hours between the earliest and latest record) the table accepts (200 years).
MAX_SPAN_HOURS = 200 * 366 * 24

_NS = 1_000_000_000
_H = 3600


# ---------------------------------------------------------------------------- formatting
def _percent(share: float) -> str:
    """German percentage without decimals: ``0.413`` → ``"41 %"``.  # TODO(fmt): geo.core.fmt.percent"""
    if share is None or not np.isfinite(share):
        return "–"
    return f"{round(100 * share):d} %"


def _number(x: float, decimals: int = 0) -> str:
    """German number (``1.234,5``).  # TODO(fmt): geo.core.fmt.number"""
    if x is None or not np.isfinite(x):
        return "–"
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def timezone_of(area: object | None) -> str:
    """The study area's time zone name (``area.timezone``), default :data:`DEFAULT_TIMEZONE`."""
    tz = getattr(area, "timezone", None) or DEFAULT_TIMEZONE
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"Unbekannte Zeitzone '{tz}' (erwartet z. B. Europe/Berlin).") from None
    return str(tz)


# ---------------------------------------------------------------------------- local time → real time
def _local_hours_offsets(h0: int, n: int, tz: str, ambiguous_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """UTC offsets (s) of the local wall-clock hours ``h0 … h0+n-1`` (hours since 1970, naive).

    Returns ``(offset, gap)``: ``gap`` marks hours that do not exist (spring forward); their
    offset is that of the following hour. Ambiguous hours take the first (``ambiguous_first``,
    summer time) or the second occurrence.
    """
    local = pd.DatetimeIndex((np.arange(h0, h0 + n, dtype=np.int64) * _H * _NS).astype("datetime64[ns]"))
    amb = np.full(n, bool(ambiguous_first))
    aware = local.tz_localize(tz, ambiguous=amb, nonexistent="NaT")
    gap = np.asarray(aware.isna())
    utc = aware.tz_convert("UTC").tz_localize(None).asi8 // _NS
    offset = np.where(gap, 0, local.asi8 // _NS - np.where(gap, 0, utc))
    if gap.any():  # a missing hour takes the offset of the next existing hour (gaps are short)
        s = pd.Series(np.where(gap, np.nan, offset.astype(float)))
        offset = s.bfill().ffill().to_numpy().astype(np.int64)
    return offset, gap


def local_to_real(t_local_s: np.ndarray, tz: str, *, side: str = "start") -> np.ndarray:
    """Real instants (seconds since 1970 UTC) of naive local times (seconds since 1970, wall clock).

    ``side="start"`` reads an ambiguous time (fall back) as its first occurrence, ``"end"`` as its
    second; a time in the spring-forward gap becomes the first instant after the gap. See the
    module docstring for why.
    """
    t = np.asarray(t_local_s, dtype=np.int64)
    if len(t) == 0:
        return t.copy()
    h = t // _H
    h0, h1 = int(h.min()), int(h.max())
    n = h1 - h0 + 2
    if n > MAX_SPAN_HOURS:
        raise UserError("Die Zeitangaben umfassen mehr als 200 Jahre; bitte Datumsangaben prüfen.")
    offset, gap = _local_hours_offsets(h0, n, tz, ambiguous_first=(side == "start"))
    i = h - h0
    real = t - offset[i]
    in_gap = gap[i]
    if in_gap.any():  # first instant after the gap: start of the next local hour, in real time
        nxt = (h[in_gap] + 1) * _H
        real[in_gap] = nxt - offset[i[in_gap] + 1]
    return real


def _hour_cells(k0: int, n: int, frac: int, tz: str) -> np.ndarray:
    """Cell index ``weekday * 24 + hour`` (local wall clock) of the real hours ``k0 … k0+n-1``.

    Real hour ``k`` is the interval starting at ``k * 3600 - frac`` seconds UTC.
    """
    start = (np.arange(k0, k0 + n, dtype=np.int64) * _H - frac) * _NS
    local = pd.DatetimeIndex(start.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)
    return (local.day_of_week.to_numpy() * 24 + local.hour.to_numpy()).astype(np.int64)


def _fraction_of_offsets(tz: str, lo_s: int, hi_s: int) -> int:
    """Constant fractional part (s) of the zone's UTC offsets between two instants."""
    days = pd.date_range(pd.Timestamp(lo_s, unit="s") - pd.Timedelta(days=1),
                         pd.Timestamp(hi_s, unit="s") + pd.Timedelta(days=1), freq="D", tz="UTC")
    off = np.asarray([d.tz_convert(tz).utcoffset().total_seconds() for d in days[:: max(1, len(days) // 400)]])
    frac = np.unique(np.mod(off, _H).astype(np.int64))
    if len(frac) > 1:
        raise UserError(f"Die Zeitzone {tz} wechselt zwischen Versätzen mit und ohne halbe Stunden; "
                        "das wird nicht unterstützt.")
    return int(frac[0]) if len(frac) else 0


# ---------------------------------------------------------------------------- the core
def aoristic_hours(start_local: np.ndarray, end_local: np.ndarray, weights: np.ndarray | None = None,
                   tz: str = DEFAULT_TIMEZONE) -> np.ndarray:
    """Aoristic weekday × hour table (7, 24) of time windows (vectorised).

    Parameters
    ----------
    start_local, end_local : naive local ``datetime64`` (wall clock of ``tz``), no NaT; a record
        with ``end <= start`` is a point time (its hour gets the whole weight).
    weights : weight of each record (default 1).
    tz : IANA time zone of the wall clock.

    Returns
    -------
    float64 array (7, 24): rows Monday … Sunday, columns hours 0 … 23; sums to ``weights.sum()``.
    """
    s_loc = np.asarray(start_local, dtype="datetime64[s]").astype(np.int64)
    e_loc = np.asarray(end_local, dtype="datetime64[s]").astype(np.int64)
    n = len(s_loc)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if n == 0:
        return np.zeros((7, 24))
    point = e_loc <= s_loc
    out = np.zeros(7 * 24)
    if point.any():  # a point time is booked to the hour on its wall clock (also 2 h on DST days)
        hp = s_loc[point] // _H
        days = hp // 24
        cell = ((days + 3) % 7) * 24 + hp % 24  # 1970-01-01 was a Thursday (weekday 3)
        out += np.bincount(cell, weights=w[point], minlength=168)
    win = ~point
    if win.any():
        s = local_to_real(s_loc[win], tz, side="start")
        e = local_to_real(e_loc[win], tz, side="end")
        ww = w[win]
        frac = _fraction_of_offsets(tz, int(s.min()), int(e.max()))
        s, e = s + frac, e + frac  # real hours now start where local hours start
        same = e <= s  # both ends in one spring-forward gap: the first instant after it
        if same.any():
            hs = s[same] // _H
            k0 = int(hs.min())
            cells = _hour_cells(k0, int(hs.max()) - k0 + 1, frac, tz)
            out += np.bincount(cells[hs - k0], weights=ww[same], minlength=168)
            s, e, ww = s[~same], e[~same], ww[~same]
        if len(s):
            hs, he = s // _H, e // _H
            k0 = int(hs.min())
            n_h = int(he.max()) - k0 + 2
            if n_h > MAX_SPAN_HOURS:
                raise UserError("Die Zeitangaben umfassen mehr als 200 Jahre; bitte Datumsangaben prüfen.")
            dens = ww / (e - s).astype(float)  # weight per second
            per_hour = np.zeros(n_h)
            one = hs == he
            per_hour += np.bincount(hs[one] - k0, weights=ww[one], minlength=n_h)
            many = ~one
            hs_m, he_m, d_m = hs[many], he[many], dens[many]
            first = ((hs_m + 1) * _H - s[many]) * d_m
            last = (e[many] - he_m * _H) * d_m
            per_hour += np.bincount(hs_m - k0, weights=first, minlength=n_h)
            per_hour += np.bincount(he_m - k0, weights=last, minlength=n_h)
            diff = np.bincount(hs_m + 1 - k0, weights=d_m * _H, minlength=n_h + 1)
            diff -= np.bincount(he_m - k0, weights=d_m * _H, minlength=n_h + 1)
            per_hour += np.cumsum(diff)[:n_h]
            cells = _hour_cells(k0, n_h, frac, tz)
            out += np.bincount(cells, weights=per_hour, minlength=168)
    return out.reshape(7, 24)


def aoristic_hours_naive(start_local, end_local, weights=None, tz: str = DEFAULT_TIMEZONE) -> np.ndarray:
    """Reference implementation of :func:`aoristic_hours`: a Python loop over records and hours.

    Same rules (see the module docstring), written plainly with :mod:`zoneinfo`; used by the tests
    and the benchmark.
    """
    from datetime import UTC, datetime, timedelta

    zone = ZoneInfo(tz)
    out = np.zeros((7, 24))
    starts = pd.to_datetime(pd.Series(start_local)).dt.to_pydatetime()
    ends = pd.to_datetime(pd.Series(end_local)).dt.to_pydatetime()
    w = np.ones(len(starts)) if weights is None else np.asarray(weights, dtype=float)

    def real(t: datetime, side: str) -> datetime:
        for fold in ((0, 1) if side == "start" else (1, 0)):
            aware = t.replace(tzinfo=zone, fold=fold)
            back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            if back == t:  # exists (for ambiguous times both folds round-trip; the first is taken)
                return aware.astimezone(UTC)
        # in the gap: the first instant after it = start of the next local hour
        nxt = t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return nxt.replace(tzinfo=zone, fold=0).astimezone(UTC)

    for s_loc, e_loc, wi in zip(starts, ends, w, strict=True):
        if e_loc <= s_loc:
            out[s_loc.weekday(), s_loc.hour] += wi
            continue
        s, e = real(s_loc, "start"), real(e_loc, "end")
        if e <= s:
            loc = s.astimezone(zone)
            out[loc.weekday(), loc.hour] += wi
            continue
        total = (e - s).total_seconds()
        t = s
        while t < e:  # hour by hour in real time; local hours start where (UTC + fraction) is whole
            loc = t.astimezone(zone)
            frac = timedelta(seconds=loc.utcoffset().total_seconds() % 3600)
            nxt = min(e, (t + frac).replace(minute=0, second=0, microsecond=0) - frac + timedelta(hours=1))
            out[loc.weekday(), loc.hour] += wi * (nxt - t).total_seconds() / total
            t = nxt
    return out


# ---------------------------------------------------------------------------- result object
@dataclass(frozen=True, eq=False)
class TimeTable:
    """Weekday × hour table of one set of records (:func:`time_table`).

    Attributes
    ----------
    table : float64 (7, 24), Monday … Sunday × 0 … 23 h (wall clock of ``timezone``).
    date_only : float64 (7,): weight of the records with a date only, per weekday (not in ``table``).
    n_records : all records given.
    n_windowed : records spread over a time window (> 0 long).
    n_point : records with a point time.
    n_date_only : records with a date only (counted apart).
    n_undated : records without a usable time.
    timezone : IANA name of the wall clock.
    start, end : the inputs: naive local ``datetime64[ns]`` per record (window or point; NaT when
        undated).
    is_date_only : the input flag per record.
    weights : the input weight per record.
    label : German plural of what is counted (e.g. ``"Spritzenfunde"``).
    """

    table: np.ndarray
    date_only: np.ndarray
    n_records: int
    n_windowed: int
    n_point: int
    n_date_only: int
    n_undated: int
    timezone: str = DEFAULT_TIMEZONE
    start: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[ns]"), repr=False)
    end: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[ns]"), repr=False)
    is_date_only: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool), repr=False)
    weights: np.ndarray = field(default_factory=lambda: np.array([]), repr=False)
    label: str = "Meldungen"

    @property
    def total(self) -> float:
        """Sum of the table (= weight of the records with a time)."""
        return float(self.table.sum())

    def frame(self) -> pd.DataFrame:
        """The table in long form: ``weekday`` (Mo … So), ``hour`` (0 … 23), ``weight`` (168 rows)."""
        return pd.DataFrame({"weekday": np.repeat(WEEKDAYS, 24), "hour": np.tile(np.arange(24), 7),
                             "weight": self.table.reshape(-1)})

    def wide(self) -> pd.DataFrame:
        """The table as 7 rows (Mo … So) × 24 columns (0 … 23)."""
        return pd.DataFrame(self.table, index=list(WEEKDAYS), columns=list(HOURS))

    def by_hour(self) -> np.ndarray:
        """Weight per hour of day (24,)."""
        return self.table.sum(axis=0)

    def by_weekday(self) -> np.ndarray:
        """Weight per weekday (7,), without the date-only records."""
        return self.table.sum(axis=1)

    def share(self, weekdays, hours) -> float:
        """Share (0–1) of the table's total in the given weekdays (0 = Mo) and hours."""
        if self.total <= 0:
            return float("nan")
        return float(self.table[np.ix_(list(weekdays), list(hours))].sum() / self.total)

    def summary(self) -> str:
        """One German line: how many records, how they were counted."""
        parts = [f"{_number(self.n_records)} {self.label}"]
        if self.n_windowed:
            parts.append(f"{_number(self.n_windowed)} mit Zeitfenster (anteilig auf die Stunden verteilt)")
        if self.n_point:
            parts.append(f"{_number(self.n_point)} mit Uhrzeit")
        if self.n_date_only:
            parts.append(f"{_number(self.n_date_only)} nur mit Datum (gesondert gezählt, nicht um 0 Uhr)")
        if self.n_undated:
            parts.append(f"{_number(self.n_undated)} ohne Zeitangabe")
        return ": ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def _column(records: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in records:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(records[name], errors="coerce").to_numpy(dtype="datetime64[ns]")


def time_table(records: pd.DataFrame, kind: str, *, timezone: str = DEFAULT_TIMEZONE,
               weight: str | None = None) -> TimeTable:
    """Weekday × hour table of report records with aoristic weighting.

    Parameters
    ----------
    records : records of ``kind``; optional columns ``time_from``, ``time_to`` (naive local,
        NaT = not given) and ``date_only`` (bool) — missing columns mean "no window" / False.
    kind : report kind; its ``date_field`` is the point time when a record has no window.
    timezone : the study area's time zone (:func:`timezone_of`).
    weight : column to spread instead of 1 per record (e.g. ``"count"``; missing values = 1).

    Window rule per record: ``start = time_from`` if given else the date field, ``end = time_to``
    if given else the date field; ``end < start`` (contradictory) falls back to the date field as a
    point time.
    """
    k = get_kind(kind)
    n = len(records)
    if k.date_field is None:
        raise UserError(f"{k.label_plural} haben keine Zeitangabe.")
    t = _column(records, k.date_field, n)
    t_from, t_to = _column(records, TIME_FROM, n), _column(records, TIME_TO, n)
    start = np.where(np.isnat(t_from), t, t_from)
    end = np.where(np.isnat(t_to), t, t_to)
    bad = ~np.isnat(start) & ~np.isnat(end) & (end < start)
    start = np.where(bad, t, start)
    end = np.where(bad, t, end)
    one_missing = np.isnat(start) ^ np.isnat(end)  # window with one end only and no date: a point
    start = np.where(one_missing & np.isnat(start), end, start)
    end = np.where(one_missing & np.isnat(end), start, end)
    if DATE_ONLY in records:
        flag = records[DATE_ONLY].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        flag = np.zeros(n, dtype=bool)
    if weight is not None and weight in records:
        w = pd.to_numeric(records[weight], errors="coerce").fillna(1.0).to_numpy(dtype=float)
    else:
        w = np.ones(n)
    return table_from_arrays(start, end, flag, w, timezone=timezone, label=k.label_plural)


def table_from_arrays(start: np.ndarray, end: np.ndarray, date_only: np.ndarray | None = None,
                      weights: np.ndarray | None = None, *, timezone: str = DEFAULT_TIMEZONE,
                      label: str = "Meldungen") -> TimeTable:
    """:class:`TimeTable` from plain arrays (naive local ``datetime64``; NaT = no time).

    A record flagged ``date_only`` is counted apart (on the weekday of ``start``) even when it has a
    window: the flag says the source gave no time of day.
    """
    start = np.asarray(start, dtype="datetime64[ns]")
    end = np.asarray(end, dtype="datetime64[ns]")
    n = len(start)
    flag = np.zeros(n, dtype=bool) if date_only is None else np.asarray(date_only, dtype=bool)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    undated = np.isnat(start) | np.isnat(end)
    apart = flag & ~undated
    timed = ~flag & ~undated
    table = aoristic_hours(start[timed], end[timed], w[timed], timezone)
    day = np.asarray(start[apart], dtype="datetime64[D]").astype(np.int64)
    date_only_w = np.bincount((day + 3) % 7, weights=w[apart], minlength=7).astype(float)
    windowed = timed & (end > start)
    return TimeTable(
        table=table, date_only=date_only_w, n_records=n, n_windowed=int(windowed.sum()),
        n_point=int((timed & ~windowed).sum()), n_date_only=int(apart.sum()), n_undated=int(undated.sum()),
        timezone=timezone, start=start, end=end, is_date_only=flag, weights=w, label=label,
    )


# ---------------------------------------------------------------------------- places
def records_in(records: gpd.GeoDataFrame, zone: shapely.Geometry) -> gpd.GeoDataFrame:
    """Records whose point lies in ``zone`` (same CRS; points on the edge count as inside)."""
    # TODO(stacks): go through geo.core.quality.spatial_records (stacked fallback points are no place)
    if not len(records):
        return records
    geoms = np.asarray(records.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    inside = np.zeros(len(records), dtype=bool)
    prepared = shapely.buffer(zone, 0) if not zone.is_valid else zone
    shapely.prepare(prepared)
    inside[ok] = shapely.intersects(prepared, geoms[ok])
    return records.loc[inside]


def tables_by_zone(records: gpd.GeoDataFrame, kind: str, zones: gpd.GeoDataFrame, *,
                   timezone: str = DEFAULT_TIMEZONE, name: str = "zone") -> dict[str, TimeTable]:
    """A :class:`TimeTable` per zone (small multiples): ``zones[name]`` → table of the records inside."""
    return {str(z[name]): time_table(records_in(records, z.geometry), kind, timezone=timezone)
            for _, z in zones.iterrows()}


# ---------------------------------------------------------------------------- suggested slots
@dataclass(frozen=True, eq=False)
class SlotSuggestion:
    """The ``k`` hour blocks with the most weight (:func:`suggest_slots`).

    Attributes
    ----------
    blocks : DataFrame ``weekday`` (0 = Mo), ``day`` (Mo …), ``start_hour``, ``end_hour``, ``weight``,
        ``share`` (0–1 of the table's total), best first.
    share : share of the table's total in all chosen blocks (0–1).
    sentence : the plain German sentence.
    k, block_hours : the inputs.
    """

    blocks: pd.DataFrame
    share: float
    sentence: str
    k: int
    block_hours: int


def _day_ranges(days: list[int]) -> str:
    """``[1, 2, 3, 4]`` → ``"Di–Fr"``, ``[0, 2]`` → ``"Mo, Mi"``, ``[5, 6]`` → ``"Sa, So"``."""
    days = sorted(days)
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for r in runs:
        if len(r) >= 3:
            parts.append(f"{WEEKDAYS[r[0]]}–{WEEKDAYS[r[-1]]}")
        else:
            parts.extend(WEEKDAYS[d] for d in r)
    return ", ".join(parts)


def _hour_ranges(hours: list[tuple[int, int]]) -> str:
    """Merged contiguous blocks: ``[(18, 20), (20, 22)]`` → ``"18–22 Uhr"``."""
    merged: list[list[int]] = []
    for a, b in sorted(hours):
        if merged and a == merged[-1][1]:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return " und ".join(f"{a}–{b}" for a, b in merged) + " Uhr"


def slot_phrase(blocks: pd.DataFrame) -> str:
    """The chosen blocks in German: days with the same hours grouped (``"Di–Fr 18–22 Uhr; Sa 20–24 Uhr"``)."""
    per_day: dict[int, list[tuple[int, int]]] = {}
    for r in blocks.itertuples():
        per_day.setdefault(int(r.weekday), []).append((int(r.start_hour), int(r.end_hour)))
    groups: dict[str, list[int]] = {}
    for day, hours in per_day.items():
        groups.setdefault(_hour_ranges(hours), []).append(day)
    ordered = sorted(groups.items(), key=lambda g: min(g[1]))
    return "; ".join(f"{_day_ranges(days)} {hours}" for hours, days in ordered)


def suggest_slots(table: TimeTable, k: int = 8, block_hours: int = 2, *, where: str = "") -> SlotSuggestion:
    """The ``k`` weekday hour blocks that cover the most events, with a German sentence.

    Parameters
    ----------
    table : the place's :class:`TimeTable`.
    k : number of blocks (1 … 7 · 24 / block_hours).
    block_hours : block length; must divide 24 (blocks start at 0, ``block_hours``, …).
    where : place phrase for the sentence, e.g. ``"am Rabet"``.

    Blocks are disjoint, so taking the ``k`` heaviest maximises the covered share. Ties are broken
    by weekday and hour (earliest first), so the result is reproducible.
    """
    if block_hours < 1 or 24 % block_hours:
        raise UserError("Die Blocklänge muss 24 teilen (1, 2, 3, 4, 6, 8 oder 12 Stunden).")
    n_blocks = 7 * 24 // block_hours
    if not 1 <= k <= n_blocks:
        raise UserError(f"Zahl der Zeitblöcke muss zwischen 1 und {n_blocks} liegen.")
    sums = table.table.reshape(7, 24 // block_hours, block_hours).sum(axis=2).reshape(-1)
    order = np.lexsort((np.arange(n_blocks), -sums))[:k]
    order = order[sums[order] > 0] if table.total > 0 else order[:0]
    total = table.total
    blocks = pd.DataFrame({
        "weekday": order // (24 // block_hours),
        "day": [WEEKDAYS[i] for i in order // (24 // block_hours)],
        "start_hour": (order % (24 // block_hours)) * block_hours,
        "end_hour": (order % (24 // block_hours)) * block_hours + block_hours,
        "weight": sums[order],
        "share": sums[order] / total if total > 0 else np.zeros(len(order)),
    })
    share = float(blocks["weight"].sum() / total) if total > 0 else float("nan")
    what = table.label + (f" {where}" if where else "")
    if not len(blocks):
        sentence = f"Keine {what} mit Uhrzeit – kein Zeitvorschlag möglich."
    else:
        sentence = f"{slot_phrase(blocks)}: {_percent(share)} der {what}"
        if table.n_date_only:
            sentence += f" (ohne {_number(table.n_date_only)} nur mit Datum gemeldete)"
        sentence += "."
    return SlotSuggestion(blocks=blocks.reset_index(drop=True), share=share, sentence=sentence, k=k,
                          block_hours=block_hours)


# ---------------------------------------------------------------------------- two periods
@dataclass(frozen=True, eq=False)
class PatternComparison:
    """Two tables' patterns compared (:func:`compare_patterns`).

    Attributes
    ----------
    a, b : the two :class:`TimeTable` (inputs).
    hours : DataFrame ``hour``, ``share_a``, ``share_b``, ``diff_pp`` (percentage points B − A).
    weekdays : DataFrame ``weekday`` (Mo …), ``share_a``, ``share_b``, ``diff_pp``.
    moved : total variation distance of the weekday × hour shares, ½ Σ |a − b| (0 = same pattern,
        1 = no overlap): the share of the pattern that moved.
    chi2, p_value, dof : chi-square test of homogeneity of the hour-of-day profiles (hours with
        weight in neither table left out); approximate, aoristic weights are fractional.
    """

    a: TimeTable
    b: TimeTable
    hours: pd.DataFrame
    weekdays: pd.DataFrame
    moved: float
    chi2: float
    p_value: float
    dof: int

    def sentence(self, name_a: str = "A", name_b: str = "B") -> str:
        """German summary: the hours whose share changed most and how much of the pattern moved."""
        if not (self.a.total > 0 and self.b.total > 0):
            return "Für einen Vergleich fehlen Meldungen mit Uhrzeit in einem der Zeiträume."
        up = self.hours.loc[self.hours["diff_pp"].idxmax()]
        down = self.hours.loc[self.hours["diff_pp"].idxmin()]
        sig = "deutlich (p < 0,05)" if self.p_value < 0.05 else "nicht deutlich (p ≥ 0,05)"
        return (f"Zwischen {name_a} und {name_b} haben sich {_percent(self.moved)} des Wochenmusters verschoben; "
                f"die Tageszeiten unterscheiden sich {sig}. Stärkste Zunahme {int(up.hour)}–{int(up.hour) + 1} Uhr "
                f"({_number(up.diff_pp, 1)} Prozentpunkte), stärkste Abnahme {int(down.hour)}–{int(down.hour) + 1} "
                f"Uhr ({_number(down.diff_pp, 1)} Prozentpunkte).")


def _shares(x: np.ndarray) -> np.ndarray:
    s = x.sum()
    return x / s if s > 0 else np.zeros_like(x, dtype=float)


def compare_patterns(a: TimeTable, b: TimeTable) -> PatternComparison:
    """Compare the time patterns of two tables (e.g. before and after police presence began)."""
    from scipy.stats import chi2_contingency

    ha, hb = _shares(a.by_hour()), _shares(b.by_hour())
    da, db = _shares(a.by_weekday()), _shares(b.by_weekday())
    moved = float(0.5 * np.abs(_shares(a.table.reshape(-1)) - _shares(b.table.reshape(-1))).sum())
    obs = np.vstack([a.by_hour(), b.by_hour()])
    obs = obs[:, obs.sum(axis=0) > 0]
    if obs.shape[1] >= 2 and (obs.sum(axis=1) > 0).all():
        res = chi2_contingency(obs, correction=False)
        chi2, p, dof = float(res.statistic), float(res.pvalue), int(res.dof)
    else:
        chi2, p, dof = float("nan"), float("nan"), 0
    return PatternComparison(
        a=a, b=b,
        hours=pd.DataFrame({"hour": np.arange(24), "share_a": ha, "share_b": hb, "diff_pp": 100 * (hb - ha)}),
        weekdays=pd.DataFrame({"weekday": list(WEEKDAYS), "share_a": da, "share_b": db,
                               "diff_pp": 100 * (db - da)}),
        moved=moved, chi2=chi2, p_value=p, dof=dof,
    )
