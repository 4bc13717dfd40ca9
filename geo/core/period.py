"""Periods of time: the Rapport period, its predecessor, presets.

A :class:`Period` holds two calendar dates, both inclusive (``2026-01-01`` to
``2026-02-28`` is January and February). Records carry naive local datetimes
(Europe/Berlin wall clock).
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

    def label(self) -> str:
        """German label such as ``01.01.2026 – 28.02.2026``."""
        return fmt.period(self)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


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
