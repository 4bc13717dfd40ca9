"""Periods of time: the Rapport period, its predecessor, presets.

A :class:`Period` holds two calendar dates, both inclusive (``2026-01-01`` to
``2026-02-28`` is January and February). Records carry naive local datetimes
(Europe/Berlin wall clock). Which records belong to a period is decided in one place:
:meth:`Period.select` (by field names) and :func:`records_in` (by record kind).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import Kind, get_kind


@dataclass(frozen=True)
class Period:
    """An inclusive range of calendar dates."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise UserError(f"Zeitraum ungültig: Ende {fmt.date(self.end)} liegt vor Beginn {fmt.date(self.start)}.")

    @property
    def days(self) -> int:
        """Length in days (both ends included)."""
        return (self.end - self.start).days + 1

    @property
    def start_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.start)

    @property
    def end_exclusive(self) -> pd.Timestamp:
        """First instant after the period (midnight after ``end``)."""
        return pd.Timestamp(self.end + timedelta(days=1))

    @property
    def whole_months(self) -> int:
        """Number of calendar months when the period is exactly whole months (1st to month end), else 0."""
        if self.start.day != 1 or (self.end + timedelta(days=1)).day != 1:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of equal length directly before this one.

        Whole calendar months are compared with the same number of months before
        (September–October → July–August, as the last Rapport period); any other range with
        the same number of days before it.
        """
        months = self.whole_months
        if months:
            return Period(_month_start(self.start, months), self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def contains(self, times: pd.Series | np.ndarray) -> np.ndarray:
        """Boolean mask: which datetimes fall within the period."""
        t = pd.to_datetime(pd.Series(times)).to_numpy()
        return (t >= self.start_ts.to_datetime64()) & (t < self.end_exclusive.to_datetime64())

    def overlaps(self, starts: pd.Series, ends: pd.Series) -> np.ndarray:
        """Mask for things valid from ``starts`` to ``ends`` (empty end = still running)."""
        s = pd.to_datetime(pd.Series(starts)).to_numpy()
        e = pd.to_datetime(pd.Series(ends)).to_numpy()
        open_end = pd.isna(e)
        started = s < self.end_exclusive.to_datetime64()
        not_ended = open_end | (e >= self.start_ts.to_datetime64())
        return started & not_ended

    def select(self, records: pd.DataFrame, date_field: str | None, end_field: str | None = None) -> pd.DataFrame:
        """The rows of ``records`` that belong to the period (index kept): the one rule.

        * Without ``date_field``, or without that column (places): all rows.
        * With an ``end_field`` (measures valid for a time: bins, police presence, street
          work): rows valid at some time in the period — start before the midnight after
          the period's last day, and end empty (still running), without column, or on/after
          the period's first day (:meth:`overlaps`). A missing start counts as "always there".
        * Otherwise (reports, one-day measures): rows whose date falls on one of the
          period's days, both ends inclusive (:meth:`contains`).
        """
        if not date_field or date_field not in records:
            return records
        if not end_field:
            return records.loc[self.contains(records[date_field])]
        start = pd.to_datetime(records[date_field]).fillna(self.start_ts)
        end = (pd.to_datetime(records[end_field]) if end_field in records
               else pd.Series(pd.NaT, index=records.index, dtype="datetime64[ns]"))
        return records.loc[self.overlaps(start, end)]

    def label(self) -> str:
        """German label such as ``01.01.2026 – 28.02.2026``."""
        return fmt.period(self)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def records_in(records: pd.DataFrame, kind: Kind | str, period: Period | None) -> pd.DataFrame:
    """Records of ``kind`` (a :class:`geo.core.schema.Kind` or its name) that belong to
    ``period`` by the kind's date and end fields (:meth:`Period.select`); all without a
    period. Empty frames and kinds without a date (places) are returned unchanged.
    """
    if period is None or not len(records):
        return records
    if isinstance(kind, str):
        kind = get_kind(kind)
    return period.select(records, kind.date_field, kind.end_field)


def _month_start(d: date, back: int = 0) -> date:
    y, m = d.year, d.month - back
    while m < 1:
        m += 12
        y -= 1
    return date(y, m, 1)


def rapport_period(reference: date) -> Period:
    """The last Rapport period: the two full calendar months before ``reference``'s month.

    If ``reference`` is the last day of its month, that month counts as complete.
    """
    if (reference + timedelta(days=1)).month != reference.month:
        reference = reference + timedelta(days=1)
    end = _month_start(reference) - timedelta(days=1)
    return Period(_month_start(end, 1), end)


def quarter_period(reference: date) -> Period:
    """The last complete calendar quarter before ``reference`` (or ending on it)."""
    if (reference + timedelta(days=1)).month != reference.month and reference.month % 3 == 0:
        reference = reference + timedelta(days=1)
    q_start = date(reference.year, 3 * ((reference.month - 1) // 3) + 1, 1)
    end = q_start - timedelta(days=1)
    return Period(_month_start(end, 2), end)


def year_period(reference: date) -> Period:
    """The twelve full months before ``reference``'s month."""
    if (reference + timedelta(days=1)).month != reference.month:
        reference = reference + timedelta(days=1)
    end = _month_start(reference) - timedelta(days=1)
    return Period(_month_start(end, 11), end)


#: Months of one block of the fixed public grid (the Rapport's rhythm): January–February, March–April, …
BLOCK_MONTHS = 2


def block_of(d: date) -> Period:
    """The block of the fixed two-month grid (January–February, …, November–December) holding ``d``.

    >>> str(block_of(date(2026, 10, 17)))
    '2026-09-01/2026-10-31'
    """
    first = date(d.year, (d.month - 1) // BLOCK_MONTHS * BLOCK_MONTHS + 1, 1)
    last = _month_start(date(first.year + (first.month + BLOCK_MONTHS > 12),
                             (first.month + BLOCK_MONTHS - 1) % 12 + 1, 1)) - timedelta(days=1)
    return Period(first, last)


def is_block(period: Period) -> bool:
    """True if ``period`` is exactly one block of the fixed grid (:func:`block_of`)."""
    return block_of(period.start) == period


def complete_blocks(reference: date, n: int = 12) -> list[Period]:
    """The ``n`` latest blocks of the fixed grid that end before ``reference`` (newest first)."""
    blocks: list[Period] = []
    block = block_of(reference)
    if block.end >= reference:
        block = block_of(block.start - timedelta(days=1))
    while len(blocks) < n:
        blocks.append(block)
        block = block_of(block.start - timedelta(days=1))
    return blocks


PRESETS: dict[str, Callable[..., Period]] = {
    "letzter Rapport-Zeitraum (2 Monate)": rapport_period,
    "letztes Quartal": quarter_period,
    "letzte 12 Monate": year_period,
}


def parse_date(text: str) -> date:
    """Parse ``2026-01-31`` or ``31.01.2026`` (German) into a date."""
    text = str(text).strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise UserError(f"Datum '{text}' nicht lesbar (erwartet 2026-01-31 oder 31.01.2026).")


def parse_period(text: str) -> Period:
    """Parse ``2026-01-01/2026-02-28`` (also ``..`` or `` bis `` as separator)."""
    parts = re.split(r"/|\.\.| bis ", str(text).strip())
    if len(parts) != 2:
        raise UserError(f"Zeitraum '{text}' nicht lesbar (erwartet 2026-01-01/2026-02-28).")
    return Period(parse_date(parts[0]), parse_date(parts[1]))


def picked_period(picked: object) -> Period:
    """The period of a date-range widget's value, or a German :class:`UserError` saying what is wrong.

    A range picker returns ``()``, ``(start,)`` while the end is still missing, or ``(start, end)``;
    a range typed in one go can end before it starts. Nothing is guessed: an incomplete or
    reversed range is an error, so no figure silently stays on an older period.

    >>> picked_period((date(2026, 9, 1), date(2026, 10, 31))).days
    61
    >>> picked_period((date(2026, 10, 31), date(2026, 9, 1)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.core.errors.UserError: Der Zeitraum ist ungültig: der Beginn 31.10.2026 liegt nach dem Ende 01.09.2026. ...
    """
    values: list[date] = [d for d in (picked if isinstance(picked, list | tuple) else [picked])
                          if isinstance(d, date)]
    if not values:
        raise UserError("Bitte Beginn und Ende des Zeitraums wählen.")
    if len(values) == 1:
        raise UserError(f"Bitte auch das Ende des Zeitraums wählen (bisher nur der Beginn {values[0]:%d.%m.%Y}).")
    start, end = values[0], values[1]
    if end < start:
        raise UserError(f"Der Zeitraum ist ungültig: der Beginn {start:%d.%m.%Y} liegt nach dem Ende "
                        f"{end:%d.%m.%Y}. Bitte Beginn und Ende tauschen oder neu wählen.")
    return Period(start, end)
