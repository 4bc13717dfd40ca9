"""The aoristic engine: spread time windows over the wall-clock hours of a week (vectorised).

Each record's weight is split over the hours its window ``[start, end]`` overlaps, in proportion to the
overlap (Ratcliffe's aoristic method); the result is a 7 × 24 table (Monday … Sunday × 0 … 23 h) of the
time zone's wall clock. Used by :mod:`geo.analysis.times`.

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
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.core.area import DEFAULT_TIMEZONE
from geo.core.errors import UserError

#: Longest timeline (hours between the earliest and latest record) the table accepts (200 years).
MAX_SPAN_HOURS = 200 * 366 * 24

_NS = 1_000_000_000
_H = 3600


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
            offset = loc.utcoffset() or timedelta(0)  # always set for a ZoneInfo time
            frac = timedelta(seconds=offset.total_seconds() % 3600)
            nxt = min(e, (t + frac).replace(minute=0, second=0, microsecond=0) - frac + timedelta(hours=1))
            out[loc.weekday(), loc.hour] += wi * (nxt - t).total_seconds() / total
            t = nxt
    return out
