"""Cell values of imported rows: text, numbers and dates as German and international tools write
them, and the reasons rows are rejected (:class:`RowReasons`). Vectorised (pandas/Arrow), no row loops.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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


def parse_datetimes(series: pd.Series, *, timezone: str = "Europe/Berlin",
                    order: Literal["dayfirst", "monthfirst"] | None = None) -> pd.Series:
    """Parse dates and times as written by German and international tools (no windows).

    See :mod:`geo.data.dates` for the accepted forms: ISO 8601 (offsets and ``Z`` converted
    to ``timezone``), German ``21.11.2026 14:30``, ``21.11.26``, US ``05/15/2015 02:40 PM``,
    Excel serials, Unix time and datetimes already parsed by a reader. Returns naive local
    ``datetime64[ns]``; unparsable values become ``NaT``.
    """
    from geo.data.dates import read_dates

    return read_dates(series, timezone=timezone, order=order, windows=False).start


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
