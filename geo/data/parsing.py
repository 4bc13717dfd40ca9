"""Cell values of imported rows: text, numbers and dates as German and international tools write
them, and the reasons rows are rejected (:class:`RowReasons`). Vectorised (pandas/Arrow), no row loops.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_GERMAN_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%d.%m.%Y, %H:%M",
)


class RowReasons:
    """Collects the German reasons why rows are rejected, without a Python loop over rows.

    ``add(rows, reason)`` records a reason (one text or one per row) for the rows of a mask
    or index array; :meth:`mask` tells which rows have any reason, :meth:`joined` gives their
    reasons joined with ``"; "`` in the order they were found.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, rows: np.ndarray, reason: str | list[str] | np.ndarray) -> None:
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        if len(rows) == 0:
            return
        if isinstance(reason, str):
            texts = np.full(len(rows), reason, dtype=object)
        else:
            texts = np.asarray(reason, dtype=object)
        self.parts.append((rows, texts))

    def add_at(self, row: int, reason: str) -> None:
        self.add(np.array([row]), reason)

    def mask(self) -> np.ndarray:
        m = np.zeros(self.n, dtype=bool)
        for rows, _ in self.parts:
            m[rows] = True
        return m

    def joined(self, mask: np.ndarray) -> np.ndarray:
        if not self.parts:
            return np.array([], dtype=object)
        rows = np.concatenate([r for r, _ in self.parts])
        texts = np.concatenate([t for _, t in self.parts])
        s = pd.Series(texts, index=rows)
        # keep the order in which problems were found per row
        order = np.argsort(rows, kind="stable")
        s = s.iloc[order]
        joined = s.groupby(level=0, sort=True).agg("; ".join)
        return joined.reindex(np.flatnonzero(mask)).to_numpy(dtype=object)


def as_text(series: pd.Series) -> pd.Series:
    """Values as stripped strings (Arrow-backed, vectorised); missing → ``""``."""
    if isinstance(series.dtype, pd.StringDtype):
        s = series
    else:
        s = series.astype(object).astype("string")
    return s.fillna("").str.strip()


def is_blank(series: pd.Series) -> np.ndarray:
    """Mask of empty cells (missing or only whitespace)."""
    return (as_text(series) == "").to_numpy(dtype=bool)


def parse_datetimes(series: pd.Series) -> pd.Series:
    """Parse dates and times as written by German and international tools.

    Accepts ISO 8601 (``2026-11-21T14:30``, with or without seconds; with an offset or
    ``Z`` it is converted to German local time), German ``21.11.2026 14:30``,
    ``21.11.2026``, ``21.11.26`` and datetimes already parsed by a reader. Returns naive
    local ``datetime64[ns]``; unparsable values become ``NaT``.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        out = pd.to_datetime(series)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("Europe/Berlin").dt.tz_localize(None)
        return out.astype("datetime64[ns]")
    s = as_text(series)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s != ""
    has_tz = s.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True) & s.str.contains("-", regex=False)
    if (todo & has_tz).any():
        part = pd.to_datetime(s[todo & has_tz], format="ISO8601", errors="coerce", utc=True)
        out[todo & has_tz] = part.dt.tz_convert("Europe/Berlin").dt.tz_localize(None).astype("datetime64[ns]")
        todo &= ~has_tz
    iso = todo & s.str.match(r"^\d{4}-\d\d-\d\d")
    if iso.any():
        out[iso] = pd.to_datetime(s[iso], format="ISO8601", errors="coerce").astype("datetime64[ns]")
    todo &= ~iso
    german = todo.to_numpy() & s.str.match(r"^\d{1,2}\.\d{1,2}\.\d{2,4}").to_numpy()
    if german.any():
        out[german] = _parse_german(s[german]).to_numpy()
    return out


def _parse_german(s: pd.Series) -> pd.Series:
    """German day-first dates with Arrow's vectorised strptime; impossible dates (31.02.) → NaT."""
    arr = pa.array(s.array)
    result = pa.nulls(len(arr), pa.timestamp("s"))
    four_digit_year = pc.match_substring_regex(arr, r"^\d{1,2}\.\d{1,2}\.\d{4}(?:\D|$)")
    none = pa.scalar(None, pa.timestamp("s"))
    for fmt in _GERMAN_FORMATS:
        fits = four_digit_year if "%Y" in fmt else pc.invert(four_digit_year)
        todo = np.flatnonzero(pc.and_(fits, pc.is_null(result)).to_numpy(zero_copy_only=False))
        if len(todo) == 0:
            continue
        parsed = pc.strptime(arr.take(todo), format=fmt, unit="s", error_is_null=True).to_numpy(zero_copy_only=False)
        merged = result.to_numpy(zero_copy_only=False).copy()
        merged[todo] = parsed
        result = pa.array(merged, type=pa.timestamp("s"))
    # Arrow rolls 31.02. over into March: keep only dates whose day and month survive
    parts = pc.extract_regex(arr, r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.")
    day = pc.cast(pc.struct_field(parts, "d"), pa.int64())
    month = pc.cast(pc.struct_field(parts, "m"), pa.int64())
    same = pc.and_(pc.equal(day, pc.day(result)), pc.equal(month, pc.month(result)))
    result = pc.if_else(pc.fill_null(same, False), result, none)
    return pd.Series(result.to_numpy(zero_copy_only=False), index=s.index).astype("datetime64[ns]")


def parse_numbers(series: pd.Series) -> pd.Series:
    """Parse numbers with decimal point or German decimal comma; invalid → NaN."""
    if pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    arr = pa.array(as_text(series).array)
    arr = pc.replace_substring(pc.replace_substring(arr, "\u2212", "-"), " ", "")
    # a single comma and no point is a German decimal comma
    german = pc.and_(pc.equal(pc.count_substring(arr, ","), 1), pc.invert(pc.match_substring(arr, ".")))
    arr = pc.if_else(german, pc.replace_substring(arr, ",", "."), arr)
    number = pc.match_substring_regex(arr, r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|nan)$",
                                      ignore_case=True)
    arr = pc.if_else(number, arr, "nan")
    return pd.Series(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), index=series.index)
