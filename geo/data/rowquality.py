"""Time and place quality of imported rows: date columns read with per-column detection, time
windows (``time_from``/``time_to``/``date_only``/``time_flag``) and location flags
(``location_precision``/``location_flag``) of report kinds (issue 12).

Used by :func:`geo.data.ingest.validate`; ``options`` is its :class:`~geo.data.ingest.ColumnOptions`
(``columns``, ``date_format``, ``date_order``).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from geo.core import fmt
from geo.core.area import StudyArea
from geo.core.errors import ImportRefused
from geo.core.schema import (
    DATE_ONLY,
    FLAG_COARSE,
    FLAG_STACK,
    LOCATION_FLAG,
    LOCATION_PRECISION,
    MAX_WINDOW_DAYS,
    TIME_FLAG,
    TIME_FROM,
    TIME_TO,
    TIME_TO_ALIASES,
    WINDOW_FLAG,
    Kind,
    normalise_name,
)
from geo.data.dates import AmbiguousDates, DateReading, read_dates
from geo.data.parsing import RowReasons, as_text, is_blank
from geo.data.stacks import address_column, coarse_precision, find_precision_column, flag_stacks, street_only


class DateContext:
    """Options for reading the date columns of one file, and what was found (for the summary)."""

    def __init__(self, timezone: str, options, source: str) -> None:
        self.timezone = timezone
        self.date_format = options.date_format
        self.order = options.date_order
        self.source = source
        self.readings: dict[str, DateReading] = {}

    def read(self, series: pd.Series, name: str, *, windows: bool) -> DateReading:
        try:
            reading = read_dates(series, timezone=self.timezone, date_format=self.date_format, order=self.order,
                                 windows=windows, column=name)
        except AmbiguousDates as exc:
            raise ImportRefused(f"{self.source}: {exc}") from None
        if reading.order is not None and self.order is None:
            self.order = reading.order  # the other date columns of the file are read the same way
        return reading

    def lines(self) -> list[str]:
        """``Datumsformat erkannt: TT.MM.JJJJ hh:mm`` (the main date column first)."""
        formats = list(dict.fromkeys(f for r in self.readings.values() for f in r.formats))
        if not formats:
            return []
        if self.date_format:
            return [f"Datumsformat vorgegeben: {self.date_format}"]
        return ["Datumsformat erkannt: " + formats[0] + (f" (auch: {', '.join(formats[1:])})" if formats[1:] else "")]


def parse_date_field(series: pd.Series, f, kind: Kind, reasons: RowReasons, now: datetime, dates: DateContext,
                 column: str | None) -> pd.Series:
    """A datetime field read with per-column format detection; the date field may hold a window."""
    is_date = f.name == kind.date_field
    windows = is_date and kind.family == "report"
    reading = dates.read(series, column or f.label, windows=windows)
    if column is not None:
        dates.readings[f.name] = reading
    parsed = reading.start
    blank = is_blank(series)
    if f.required:
        reasons.add(blank, "Datum fehlt" if is_date else f"{f.label} fehlt")
    prefix = "" if is_date else f"{f.label}: "
    reasons.add(reading.implausible, f"{prefix}Datum unplausibel (Jahr außerhalb 1900–2100)")
    unparsable = ~blank & parsed.isna().to_numpy() & ~reading.implausible
    reasons.add(unparsable, f"{prefix}Datum nicht lesbar")
    future = (parsed > pd.Timestamp(now)).to_numpy()
    reasons.add(future, "Datum liegt in der Zukunft" if is_date else f"{f.label} liegt in der Zukunft")
    if windows:
        reasons.add(reading.bad_window, "Zeitfenster: Ende vor Beginn")
    return parsed


def time_windows(data: pd.DataFrame, kind: Kind, mapping: dict, options, reasons: RowReasons,
                  dates: DateContext, lines: list[str]) -> dict[str, object]:
    """``time_from``/``time_to``/``date_only``/``time_flag`` of report rows.

    The window comes from one cell (``A bis B``) or from a second column (``time_to`` or one
    of :data:`~geo.core.schema.TIME_TO_ALIASES`); the record's date is the window's start.
    """
    n = len(data)
    reading = dates.readings.get(kind.date_field or "")
    start = reading.start.to_numpy() if reading is not None else np.full(n, np.datetime64("NaT"), "M8[ns]")
    end = reading.end.to_numpy() if reading is not None else np.full(n, np.datetime64("NaT"), "M8[ns]")
    date_only = reading.date_only if reading is not None else np.zeros(n, dtype=bool)
    used = {c for c in mapping.values() if c}
    end_col = _find_column(data.columns, options.columns.get(TIME_TO), TIME_TO_ALIASES, used, data_source=dates.source)
    if end_col is not None:
        second = dates.read(data[end_col], end_col, windows=False)
        blank = is_blank(data[end_col])
        reasons.add(~blank & second.start.isna().to_numpy() & ~second.implausible, "Ende des Zeitfensters nicht lesbar")
        reasons.add(second.implausible, "Ende des Zeitfensters unplausibel (Jahr außerhalb 1900–2100)")
        has = ~blank & second.start.notna().to_numpy()
        # an end given as a date only ends with that day
        end = np.where(has, second.start.to_numpy(), end)
        backwards = has & ~np.isnat(start) & (end < start)
        reasons.add(backwards, "Zeitfenster: Ende vor Beginn")
    has_window = ~np.isnat(end)
    time_from = np.where(has_window, start, np.datetime64("NaT")).astype("datetime64[ns]")
    time_to = end.astype("datetime64[ns]")
    length = (time_to - time_from) / np.timedelta64(1, "D")
    long = has_window & (np.nan_to_num(length, nan=0.0) > MAX_WINDOW_DAYS)
    flag = np.where(long, WINDOW_FLAG, "").astype(object)
    if has_window.any():
        ok = ~reasons.mask()
        line = f"Zeitfenster: {fmt.number((has_window & ok).sum())} Datensätze mit Beginn und Ende"
        if (long & ok).any():
            rows = np.flatnonzero(long & ok) + 1
            line += (f"; {fmt.number(len(rows))} länger als {MAX_WINDOW_DAYS} Tage (gespeichert, markiert; Zeilen "
                     + ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "") + ")")
        lines.append(line)
    return {TIME_FROM: time_from, TIME_TO: time_to, DATE_ONLY: np.asarray(date_only, dtype=bool), TIME_FLAG: flag}


def location_quality(data: pd.DataFrame, geoms: np.ndarray, ok: np.ndarray, dates: pd.Series, kind: Kind,
                      area: StudyArea, options, places, lines: list[str]) -> dict[str, object]:
    """``location_precision`` and ``location_flag`` (Sammelpunkt / ungenau) of report rows."""
    n = len(data)
    flag = np.full(n, "", dtype=object)
    precision = np.full(n, "", dtype=object)
    prec_col = find_precision_column(data.columns, options.columns.get(LOCATION_PRECISION))
    if prec_col is not None:
        precision = as_text(data[prec_col]).to_numpy(dtype=object)
        coarse = coarse_precision(data[prec_col]) & ok
        flag[coarse] = FLAG_COARSE
        if coarse.any():
            lines.append(f"Ungenau verortet: {fmt.number(coarse.sum())} Datensätze (Spalte '{prec_col}': gröber als "
                         "eine Adresse) – gespeichert, aber nicht räumlich ausgewertet")
    else:
        addr_col = address_column(data.columns)
        coarse = street_only(data[addr_col]) & ok if addr_col is not None else np.zeros(n, dtype=bool)
        precision[coarse] = "nur Straße/Ort"
        flag[coarse] = FLAG_COARSE
        if coarse.any():
            lines.append(f"Ungenau verortet: {fmt.number(coarse.sum())} Datensätze (Spalte '{addr_col}': nur Straße "
                         "oder Ort, keine Hausnummer) – gespeichert, aber nicht räumlich ausgewertet")
    stacked, stack_lines = flag_stacks(data, geoms, ok, dates, area, places)
    flag[stacked] = FLAG_STACK
    lines.extend(stack_lines)
    return {LOCATION_PRECISION: precision, LOCATION_FLAG: flag}


def _find_column(columns: pd.Index, explicit: str | None, aliases: tuple[str, ...], used: set,
                 *, data_source: str) -> str | None:
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise_name(c), c)
    if explicit:
        col = by_norm.get(normalise_name(explicit))
        if col is None:
            raise ImportRefused(f"{data_source}: Spalte '{explicit}' nicht vorhanden.")
        return col
    for a in aliases:
        col = by_norm.get(a)
        if col is not None and col not in used:
            return col
    return None
