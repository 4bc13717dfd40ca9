"""Read a column of dates as real agencies write them; the format is decided per column, not per row.

Accepted (after a leading label such as ``Tatzeit:`` or a weekday, ``Uhr`` and commas are
removed):

* ISO, year first, with ``-``, ``/`` or ``.``: ``2026-11-21``, ``2018/1/1 13:48``,
  ``2019-01-01T23:30-05:00`` (offsets and ``Z`` are converted to the study area's zone);
* year last, German with dots (always day first): ``15.01.2025 11:30 Uhr``, ``15.01.25``;
* year last with ``/`` or ``-``: day first (``15/01/2025``) or month first with or without
  AM/PM (``05/15/2015 02:40:00 PM``). Which one is decided from the whole column: a first
  number > 12 means day first, a second number > 12 means month first. A column that stays
  ambiguous is refused (:class:`AmbiguousDates`) unless ``order`` is given;
* ``20250115`` (JJJJMMTT), Excel serial numbers (``45672`` or ``45672,5``; days since
  1899-12-30, local time), Unix time in seconds or milliseconds (UTC, converted);
* a time window in one cell: ``A bis B``, ``A - B``, ``zwischen A und B``, ``vom A bis B``; ``B``
  may be a time only (``21:00 bis 02:00`` ends on the next day).

Everything is vectorised: one RE2 pass (:func:`pyarrow.compute.extract_regex`) splits the
values into components, NumPy builds the timestamps (impossible dates such as 31.02. are
caught by comparing the day with the month's length), and only rows carrying an offset go
through a time-zone conversion. ``date_format`` (strftime) bypasses detection and uses
pandas' ``format=`` parsing.

Years outside :data:`MIN_YEAR` … :data:`MAX_YEAR` (``9999-12-31``, ``0001-01-01``) are marked
in :attr:`DateReading.implausible` instead of failing the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.core.errors import ImportRefused

Order = Literal["dayfirst", "monthfirst"]

#: Plausible years of a record; others are rejected as "Datum unplausibel".
MIN_YEAR = 1900
MAX_YEAR = 2100
#: Excel serial numbers accepted as dates (1950-01-01 … 2100-12-31).
EXCEL_RANGE = (18_264, 73_416)
#: Unix seconds accepted as dates (1973 … 2100); milliseconds: the same × 1000.
EPOCH_RANGE = (1e8, 4.1e9)

_LABEL = r"^(?:[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß .()/-]*:\s*)"
_WEEKDAY = (r"^(?:(?:Mo|Di|Mi|Do|Fr|Sa|So)(?:ntag|nstag|ttwoch|nnerstag|eitag|mstag|nnabend)?|Montag)"
            r"\.?,?\s+(\d)")
_PREFIX = r"^(?i:zwischen|vom|von|ab|am)\s+"
_WINDOW = r"^(?P<a>.+?)\s+(?:bis|und|-|–|—)\s+(?P<b>.+)$"
_TIME = (r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2})(?:[.,]\d+)?)?"
         r"\s*(?P<ampm>(?i:[ap]\.?\s?m\.?))?")
_DATE = (
    r"^(?:(?P<y1>\d{4})(?P<s1>[-/.])(?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})[./-](?P<y2>\d{4}|\d{2})"
    r"|(?P<c8>(?:19|20)\d{6}))"
    r"(?:(?P<T>T|\s+)" + _TIME + r")?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIME_ONLY = "^" + _TIME + "$"
_NUMBER = r"^\d+(?:[.,]\d+)?$"

_FAM_YFIRST, _FAM_YLAST, _FAM_COMPACT = 0, 1, 2
_SEPS = ("-", "/", ".")


class AmbiguousDates(ImportRefused):
    """Day-first and month-first readings both fit every value of a column."""


@dataclass
class DateReading:
    """Result of :func:`read_dates` (all arrays aligned with the input).

    ``start`` is the date (the start of a window), ``end`` the window's end (NaT without a
    window), both naive local ``datetime64[ns]``. ``date_only`` marks values without a time
    of day; ``implausible`` values whose year lies outside MIN_YEAR…MAX_YEAR; ``bad_window``
    windows whose end lies before their start. ``formats`` lists the German format labels
    found, most frequent first (``TT.MM.JJJJ hh:mm``).
    """

    start: pd.Series
    end: pd.Series
    date_only: np.ndarray
    implausible: np.ndarray
    bad_window: np.ndarray
    formats: list[str] = field(default_factory=list)
    order: Order | None = None


def read_dates(
    series: pd.Series,
    *,
    timezone: str = "Europe/Berlin",
    date_format: str | None = None,
    order: Order | None = None,
    windows: bool = True,
    column: str = "Datum",
) -> DateReading:
    """Parse a column of dates (see the module docstring for the accepted forms).

    Parameters
    ----------
    series : cell values (text, numbers or datetimes).
    timezone : the study area's zone; naive values are local, offsets are converted to it.
    date_format : strftime format that replaces detection (e.g. ``"%m/%d/%Y %I:%M %p"``).
    order : ``"dayfirst"`` or ``"monthfirst"`` for year-last dates with ``/`` or ``-``.
    windows : read ``A bis B`` as a time window (otherwise such a value is unreadable).
    column : column name for messages.

    Raises
    ------
    AmbiguousDates
        when day-first and month-first readings both fit and ``order`` is not given.
    """
    n = len(series)
    index = series.index
    nat = pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"), index=index)
    if pd.api.types.is_datetime64_any_dtype(series):
        out = pd.to_datetime(series)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert(timezone).dt.tz_localize(None)
        out = out.astype("datetime64[ns]")
        return DateReading(out, nat, np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool),
                           ["Datum/Zeit-Feld der Datei"] if out.notna().any() else [])
    arr = _text_array(series)
    # many rows share a value (dates without time, daily exports): parse each distinct value once
    encoded = pc.dictionary_encode(arr)
    if len(encoded.dictionary) < 0.5 * n:
        idx = encoded.indices.to_numpy(zero_copy_only=False)
        weights = np.bincount(idx, minlength=len(encoded.dictionary))
        r = _read_text(encoded.dictionary, timezone, date_format, order, windows, column, weights)
        start, end, only, implausible, bad = (np.asarray(x)[idx] for x in r[:5])
    else:
        r = _read_text(arr, timezone, date_format, order, windows, column, None)
        start, end, only, implausible, bad = r[:5]
    return DateReading(pd.Series(start, index=index), pd.Series(end, index=index), only, implausible, bad,
                       r[5], r[6])


def _read_text(arr: pa.Array, timezone: str, date_format: str | None, order: Order | None, windows: bool,
               column: str, weights: np.ndarray | None):
    """:func:`read_dates` on cleaned text: (start, end, date_only, implausible, bad_window, labels, order)."""
    n = len(arr)
    arr = _clean(arr)
    a_txt, b_txt = arr, None
    if windows:
        maybe = pc.match_substring_regex(arr, r"\s(?:bis|und|-|–|—)\s")
        if pc.any(maybe).as_py():
            split = pc.extract_regex(arr, _WINDOW)
            is_window = pc.fill_null(pc.is_valid(split), False)
            a_txt = pc.if_else(is_window, pc.struct_field(split, "a"), arr)
            b_txt = pc.if_else(is_window, pc.struct_field(split, "b"), pa.scalar(None, pa.string()))
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if date_format:
        start, only, implausible, labels = _with_format(a_txt, date_format, timezone)
        end = nat
        if b_txt is not None:
            end, _, end_bad, _ = _with_format(b_txt, date_format, timezone)
            implausible |= end_bad
        chosen = None
    else:
        start, only, done, counts = _fast_formats(a_txt, weights)
        rest = np.flatnonzero(~done)
        a_rest = a_txt.take(pa.array(rest, type=pa.int64())) if len(rest) < n else a_txt
        ca = _Components(a_rest)
        cb = _Components(b_txt) if b_txt is not None else None
        chosen = _decide_order([ca] + ([cb] if cb is not None else []), order, column)
        r_start, r_only, r_implausible, r_counts = ca.assemble(chosen, timezone,
                                                               None if weights is None else weights[rest])
        start[rest], only[rest] = r_start, r_only
        implausible = np.zeros(n, dtype=bool)
        implausible[rest] = r_implausible
        for label, c in r_counts.items():
            counts[label] = counts.get(label, 0) + c
        labels = [k for k, _ in sorted(counts.items(), key=lambda kv: -kv[1])]
        end = nat
        if cb is not None:
            end, _, end_bad, _ = cb.assemble(chosen, timezone)
            implausible |= end_bad
            end = _time_only_ends(b_txt, start, end)
    start = np.asarray(start, dtype="datetime64[ns]")
    end = np.asarray(end, dtype="datetime64[ns]")
    bad_window = ~np.isnat(start) & ~np.isnat(end) & (end < start)
    return start, end, np.asarray(only, bool), np.asarray(implausible, bool), bad_window, labels, chosen


#: Unambiguous formats tried first with Arrow's strptime (fast); a value counts only if it
#: formats back to itself (so 31.02. or a one-digit day goes to the general reader).
_FAST_FORMATS = (
    ("%d.%m.%Y %H:%M", "TT.MM.JJJJ hh:mm", False), ("%d.%m.%Y", "TT.MM.JJJJ", True),
    ("%d.%m.%Y %H:%M:%S", "TT.MM.JJJJ hh:mm:ss", False), ("%Y-%m-%d %H:%M:%S", "JJJJ-MM-TT hh:mm:ss", False),
    ("%Y-%m-%dT%H:%M:%S", "JJJJ-MM-TTThh:mm:ss", False), ("%Y-%m-%d", "JJJJ-MM-TT", True),
    ("%Y-%m-%dT%H:%M", "JJJJ-MM-TTThh:mm", False), ("%Y-%m-%d %H:%M", "JJJJ-MM-TT hh:mm", False),
)


def _fast_formats(arr: pa.Array, weights: np.ndarray | None):
    """(start ns, date_only, parsed mask, label counts) for values in one of :data:`_FAST_FORMATS`."""
    n = len(arr)
    start = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    only = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    counts: dict[str, float] = {}
    todo = np.flatnonzero(pc.fill_null(pc.not_equal(arr, ""), False).to_numpy(zero_copy_only=False))
    for fmt, label, date_only in _FAST_FORMATS:
        if len(todo) < max(1, 0.05 * n):  # a few odd values left: the general reader does them
            break
        sub = arr.take(pa.array(todo, type=pa.int64()))
        parsed = pc.strptime(sub, format=fmt, unit="s", error_is_null=True)
        same = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), sub), False).to_numpy(zero_copy_only=False)
        if not same.any():
            continue
        hit = todo[same]
        stamps = parsed.to_numpy(zero_copy_only=False)[same].astype("datetime64[ns]")
        years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
        plausible = (years >= MIN_YEAR) & (years <= MAX_YEAR)
        hit, stamps = hit[plausible], stamps[plausible]  # implausible years: the general reader marks them
        start[hit], only[hit], done[hit] = stamps, date_only, True
        counts[label] = float(len(hit) if weights is None else weights[hit].sum())
        todo = todo[~np.isin(todo, hit)]
    return start, only, done, counts


def _time_only_ends(b_txt: pa.Array, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """"21:00 bis 02:00": an end given as a time lies on the start's day (or the next one)."""
    t_only = pc.extract_regex(b_txt, _TIME_ONLY)
    has_t = pc.fill_null(pc.is_valid(t_only), False).to_numpy(zero_copy_only=False)
    if not has_t.any():
        return end
    h, m, s = (_ints(pc.struct_field(t_only, g)) for g in ("H", "M", "S"))
    h = _ampm(h, pc.struct_field(t_only, "ampm"))
    ok = has_t & (h >= 0) & (h < 24) & (m >= 0) & (m < 60)
    day = np.asarray(start, dtype="datetime64[ns]").astype("datetime64[D]")
    t_end = day + ((h * 3600 + m * 60 + np.maximum(s, 0)) * 1_000_000_000).astype("timedelta64[ns]")
    t_end = np.where(ok & ~np.isnat(t_end) & (t_end < start), t_end + np.timedelta64(1, "D"), t_end)
    return np.where(ok, t_end, end)


def _text_array(series: pd.Series) -> pa.Array:
    """Cell values as an Arrow string array, stripped; missing → ``""``."""
    if isinstance(series.dtype, pd.StringDtype):
        s = series
    else:
        s = series.astype(object).astype("string")
    arr = pa.array(s.fillna("").array, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):  # large Arrow-backed columns come in chunks
        arr = arr.combine_chunks()
    return pc.utf8_trim_whitespace(arr)


def _clean(arr: pa.Array) -> pa.Array:
    """Text without labels, weekdays, ``Uhr`` and date-time commas (only rows with such characters)."""
    odd = pc.match_substring_regex(arr, r"[^0-9 .:/-]|\s\s")
    rows = np.flatnonzero(pc.fill_null(odd, False).to_numpy(zero_copy_only=False))
    if not len(rows):
        return arr
    sub = arr.take(pa.array(rows))
    sub = pc.replace_substring_regex(sub, _LABEL, "")
    sub = pc.replace_substring_regex(sub, _PREFIX, "")
    sub = pc.replace_substring_regex(sub, _WEEKDAY, r"\1")
    sub = pc.replace_substring_regex(sub, r"(?i)\s*\bUhr\b\.?", "")
    sub = pc.replace_substring_regex(sub, r",\s+", " ")
    sub = pc.replace_substring_regex(sub, r"^(\d{1,4}[./-]\d{1,2}[./-]\d{2,4}),(\d)", r"\1 \2")
    sub = pc.utf8_trim_whitespace(pc.replace_substring_regex(sub, r"\s+", " "))
    values = arr.to_numpy(zero_copy_only=False).astype(object)
    values[rows] = sub.to_numpy(zero_copy_only=False)
    return pa.array(values, type=pa.string())


def _ints(arr: pa.Array, *, checked: bool = True) -> np.ndarray:
    """Digit strings → int64; empty or missing → -1. ``checked=False`` for regex groups of digits only."""
    if checked:
        digits = pc.fill_null(pc.match_substring_regex(arr, r"^\d{1,18}$"), False)
    else:
        digits = pc.fill_null(pc.not_equal(arr, ""), False)
    arr = pc.if_else(digits, arr, pa.scalar(None, pa.string()))
    out = pc.cast(arr, pa.int64(), safe=False) if len(arr) else pa.array([], pa.int64())
    return pc.fill_null(out, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=True)


def _ampm(hour: np.ndarray, ampm: pa.Array) -> np.ndarray:
    """12-hour clock → 24 hours (12 AM = 0, 12 PM = 12); hours > 12 with AM/PM become invalid."""
    first = pc.utf8_lower(pc.utf8_slice_codeunits(pc.fill_null(ampm, ""), 0, 1))
    pm = pc.equal(first, "p").to_numpy(zero_copy_only=False)
    am = pc.equal(first, "a").to_numpy(zero_copy_only=False)
    h = hour.copy()
    twelve = am | pm
    h[twelve & ((hour > 12) | (hour < 1))] = 99
    h[am & (hour == 12)] = 0
    h[pm & (hour >= 1) & (hour < 12)] += 12
    return h


class _Components:
    """One regex pass over text values: date parts, time parts, offset, family and format key."""

    def __init__(self, arr: pa.Array) -> None:
        self.n = len(arr)
        m = pc.extract_regex(arr, _DATE)
        self.matched = pc.fill_null(pc.is_valid(m), False).to_numpy(zero_copy_only=False)
        g = {name: pc.struct_field(m, name) for name in
             ("y1", "s1", "m1", "d1", "a", "sep", "b", "y2", "c8", "T", "H", "M", "S", "ampm", "tz")}
        def ints(name: str) -> np.ndarray:
            return _ints(g[name], checked=False)

        self.y1, self.m1, self.d1 = ints("y1"), ints("m1"), ints("d1")
        self.a, self.b, self.y2 = ints("a"), ints("b"), ints("y2")
        c8 = pc.fill_null(g["c8"], "")
        self.c8y = _ints(pc.utf8_slice_codeunits(c8, 0, 4), checked=False)
        self.c8m = _ints(pc.utf8_slice_codeunits(c8, 4, 6), checked=False)
        self.c8d = _ints(pc.utf8_slice_codeunits(c8, 6, 8), checked=False)
        self.short_year = pc.equal(pc.utf8_length(pc.fill_null(g["y2"], "")), 2).to_numpy(zero_copy_only=False)
        self.fam = np.where(self.y1 >= 0, _FAM_YFIRST, np.where(self.a >= 0, _FAM_YLAST,
                                                                  np.where(self.c8y >= 0, _FAM_COMPACT, -1)))
        self.fam[~self.matched] = -1
        sep_txt = pc.if_else(pc.equal(pc.fill_null(g["s1"], ""), ""), pc.fill_null(g["sep"], ""), g["s1"])
        self.sep = np.select([_eq(sep_txt, s) for s in _SEPS], [0, 1, 2], -1)
        self.hour = _ampm(ints("H"), g["ampm"])
        self.minute, self.second = ints("M"), ints("S")
        self.has_ampm = ~_eq(g["ampm"], "")
        self.t_sep = _eq(g["T"], "T")
        tz = pc.fill_null(g["tz"], "")
        self.tz_kind = np.select([_eq(tz, "Z") | _eq(tz, "UTC") | _eq(tz, "GMT"), ~_eq(tz, "")], [1, 2], 0)
        sign = np.where(_eq(pc.utf8_slice_codeunits(tz, 0, 1), "-"), -1, 1)
        digits = pc.replace_substring(pc.replace_substring(pc.replace_substring(tz, ":", ""), "+", ""), "-", "")
        tz_h = _ints(pc.utf8_slice_codeunits(digits, 0, 2))
        tz_m = _ints(pc.utf8_slice_codeunits(digits, 2, 4))
        self.offset_min = np.where(self.tz_kind == 2, sign * (np.maximum(tz_h, 0) * 60 + np.maximum(tz_m, 0)), 0)
        # numbers: Excel serials and Unix time
        numeric = pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)
        num = pc.if_else(numeric, pc.replace_substring(arr, ",", "."), pa.scalar(None, pa.string()))
        self.number = pc.fill_null(pc.cast(num, pa.float64(), safe=False), np.nan).to_numpy(zero_copy_only=False).copy()
        self.number[self.matched] = np.nan
        self.text = arr

    def ambiguous_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First and second number of year-last dates with ``/`` or ``-`` (German dots are day first)."""
        rows = (self.fam == _FAM_YLAST) & (self.sep != 2)
        return self.a[rows], self.b[rows], np.flatnonzero(rows)

    def assemble(self, order: Order | None, timezone: str, weights: np.ndarray | None = None):
        """Timestamps (naive local, ns), date-only flags, implausible years and format labels."""
        dayfirst = order != "monthfirst"
        ylast = self.fam == _FAM_YLAST
        german = ylast & (self.sep == 2)
        first_is_day = german | (ylast & dayfirst)
        year = np.select([self.fam == _FAM_YFIRST, ylast, self.fam == _FAM_COMPACT], [self.y1, self.y2, self.c8y], -1)
        short = ylast & self.short_year
        year = np.where(short, np.where(year < 69, 2000 + year, 1900 + year), year)
        month = np.select([self.fam == _FAM_YFIRST, first_is_day, ylast, self.fam == _FAM_COMPACT],
                          [self.m1, self.b, self.a, self.c8m], -1)
        day = np.select([self.fam == _FAM_YFIRST, first_is_day, ylast, self.fam == _FAM_COMPACT],
                        [self.d1, self.a, self.b, self.c8d], -1)
        has_time = self.hour >= 0
        ok = (self.fam >= 0) & (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1) & (year <= 9999)
        ok &= ~has_time | ((self.hour < 24) & (self.minute >= 0) & (self.minute < 60) & (self.second < 61))
        months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("timedelta64[M]")
        first = np.datetime64("1970-01", "M") + months
        length = ((first + np.timedelta64(1, "M")).astype("datetime64[D]") - first.astype("datetime64[D]"))
        ok &= day <= length.astype(np.int64)
        secs = np.where(has_time, self.hour * 3600 + self.minute * 60 + np.maximum(self.second, 0), 0)
        stamp = (first.astype("datetime64[D]") + np.where(ok, day - 1, 0).astype("timedelta64[D]")).astype(
            "datetime64[s]") + secs.astype("timedelta64[s]")
        implausible = ok & ((year < MIN_YEAR) | (year > MAX_YEAR))
        ok &= ~implausible
        # numbers: the column's kind of number decides (Excel serial or Unix time)
        kinds = _number_kinds(self.number)
        excel = kinds == 1
        epoch = (kinds == 2) | (kinds == 3)
        excel_days = np.where(excel, self.number, 0.0)
        excel_stamp = (np.datetime64("1899-12-30", "s")
                       + np.round(excel_days * 86_400).astype(np.int64).astype("timedelta64[s]"))
        epoch_s = np.where(kinds == 3, self.number / 1000.0, np.where(epoch, self.number, 0.0))
        epoch_stamp = np.datetime64("1970-01-01", "s") + np.round(epoch_s).astype(np.int64).astype("timedelta64[s]")
        stamp = np.where(excel, excel_stamp, np.where(epoch, epoch_stamp, stamp))
        ok |= excel | epoch
        out = np.where(ok, stamp, np.datetime64("NaT")).astype("datetime64[ns]")
        # offsets and UTC (Unix time) → the study area's local time
        utc_rows = ok & ((self.tz_kind > 0) | epoch)
        if utc_rows.any():
            utc = out[utc_rows] - (self.offset_min[utc_rows] * 60).astype("timedelta64[s]")
            local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(timezone).tz_localize(None)
            out[utc_rows] = local.to_numpy(dtype="datetime64[ns]")
        date_only = ok & ~has_time & ~epoch & ~(excel & (np.mod(self.number, 1) != 0))
        labels = self._labels(ok, kinds, order, weights)
        return out, date_only, implausible, labels

    def _labels(self, ok: np.ndarray, kinds: np.ndarray, order: Order | None,
                weights: np.ndarray | None) -> dict[str, float]:
        time = np.where(self.hour >= 0, np.where(self.second >= 0, 2, 1), 0)
        key = (self.fam + 1) + 4 * ((self.sep + 1) + 4 * (self.short_year.astype(int) + 2 * (
            time + 3 * (self.t_sep.astype(int) + 2 * (self.has_ampm.astype(int) + 2 * self.tz_kind)))))
        key = np.where(kinds > 0, -kinds, key)
        shifted = key[ok] + 4  # Unix/Excel kinds are -1 … -3
        counts = np.bincount(shifted, weights=None if weights is None else weights[ok])
        return {_label(int(k) - 4, order): float(counts[k]) for k in np.flatnonzero(counts)}


def _eq(arr: pa.Array, value: str) -> np.ndarray:
    return pc.fill_null(pc.equal(pc.fill_null(arr, ""), value), False).to_numpy(zero_copy_only=False)


def _number_kinds(number: np.ndarray) -> np.ndarray:
    """0 = not a date, 1 = Excel serial, 2 = Unix seconds, 3 = Unix milliseconds (one kind per column)."""
    kinds = np.zeros(len(number), dtype=np.int64)
    present = np.isfinite(number)
    if not present.any():
        return kinds
    v = number[present]
    cand = np.select([(v >= EXCEL_RANGE[0]) & (v <= EXCEL_RANGE[1]),
                      (v >= EPOCH_RANGE[0]) & (v <= EPOCH_RANGE[1]),
                      (v >= EPOCH_RANGE[0] * 1000) & (v <= EPOCH_RANGE[1] * 1000)], [1, 2, 3], 0)
    found = cand[cand > 0]
    if not len(found):
        return kinds
    winner = np.bincount(found).argmax()  # the column's kind; numbers of another kind stay unreadable
    kinds[np.flatnonzero(present)[cand == winner]] = winner
    return kinds


def _label(key: int, order: Order | None) -> str:
    if key < 0:
        return {1: "Excel-Seriennummer", 2: "Unix-Zeit (Sekunden)", 3: "Unix-Zeit (Millisekunden)"}[-key]
    fam = key % 4 - 1
    key //= 4
    sep = _SEPS[key % 4 - 1] if key % 4 else "-"
    key //= 4
    short = key % 2
    key //= 2
    time = key % 3
    key //= 3
    t_sep = key % 2
    key //= 2
    ampm = key % 2
    tz = key // 2
    year = "JJ" if short else "JJJJ"
    if fam == _FAM_YFIRST:
        date = f"JJJJ{sep}MM{sep}TT"
    elif fam == _FAM_COMPACT:
        date = "JJJJMMTT"
    elif sep == "." or order != "monthfirst":
        date = f"TT{sep}MM{sep}{year}"
    else:
        date = f"MM{sep}TT{sep}{year}"
    clock = {0: "", 1: "hh:mm", 2: "hh:mm:ss"}[time]
    if clock:
        date += ("T" if t_sep else " ") + clock + (" AM/PM" if ampm else "")
    if tz:
        date += "Z" if tz == 1 else "±hh:mm"
    return date


def _decide_order(parts: list[_Components], order: Order | None, column: str) -> Order | None:
    """Day or month first for year-last dates with ``/``/``-``, from the whole column.

    A first number > 12 settles "day first", a second number > 12 "month first"; when
    both occur the majority wins (the other values become unreadable). With no settling
    value and at least one value that reads differently both ways, the column is ambiguous.
    """
    if order is not None:
        return order
    a = np.concatenate([p.ambiguous_parts()[0] for p in parts])
    b = np.concatenate([p.ambiguous_parts()[1] for p in parts])
    if not len(a):
        return None
    day_first = int(((a > 12) & (b <= 12)).sum())
    month_first = int(((b > 12) & (a <= 12)).sum())
    if day_first or month_first:
        return "dayfirst" if day_first >= month_first else "monthfirst"
    differs = np.flatnonzero(a != b)
    if not len(differs):
        return None
    i = differs[0]
    example = ""
    for p in parts:
        _, _, rows = p.ambiguous_parts()
        if i < len(rows):
            example = str(p.text[int(rows[i])].as_py())
            break
        i -= len(rows)
    x, y = int(a[differs[0]]), int(b[differs[0]])
    raise AmbiguousDates(
        f"Spalte '{column}': Datum mehrdeutig – '{example}' kann {x}. {_MONTHS[y - 1]} (Tag zuerst) oder "
        f"{y}. {_MONTHS[x - 1]} (Monat zuerst) sein, kein Wert entscheidet; bitte --dayfirst oder "
        "--monthfirst angeben (in der App: Weitere Angaben › Daten wie 03/04/2024)."
    )


_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember")


def _with_format(arr: pa.Array, fmt: str, timezone: str):
    """Parse with a fixed strftime format (pandas ``format=``); offsets (``%z``) converted to ``timezone``."""
    s = pd.Series(arr.to_pandas(), dtype=object)
    blank = s.isna() | (s == "")
    has_tz = "%z" in fmt or "%Z" in fmt
    parsed = pd.to_datetime(s.where(~blank, None), format=fmt, errors="coerce", utc=has_tz)
    if has_tz:
        parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
    out = parsed.to_numpy(dtype="datetime64[ns]")
    years = pd.Series(out).dt.year.to_numpy()
    implausible = ~np.isnat(out) & ((years < MIN_YEAR) | (years > MAX_YEAR))
    out[implausible] = np.datetime64("NaT")
    has_clock = any(c in fmt for c in ("%H", "%I", "%M", "%X", "%c"))
    date_only = ~np.isnat(out) & (not has_clock)
    return out, date_only, implausible, [f"vorgegeben {fmt}"] if (~np.isnat(out)).any() else []


def parse_dates(series: pd.Series, **kwargs) -> pd.Series:
    """Only the dates (start of a window) of :func:`read_dates`, as naive local ``datetime64[ns]``."""
    return read_dates(series, **kwargs).start
