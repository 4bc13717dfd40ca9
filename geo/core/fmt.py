"""German formatting of numbers, shares, dates, periods, areas and p-values, in one place.

Every text a user reads (app, map layers, handout, CLI, CSV cells that are text) formats
values with these functions: decimal comma, thousands dot, ``–`` for a missing value,
dates as ``31.01.2026``. No function here depends on the locale of the machine.

>>> number(1234567.891, 2), percent(0.253), area_km2(12.157), p_value(0.0004)
('1.234.567,89', '25 %', '12,16 km²', '< 0,001')
"""

from __future__ import annotations

import math
from datetime import date as _date
from datetime import datetime as _datetime
from typing import Any, Protocol

import pandas as pd

#: The text shown for a missing value.
MISSING = "–"
#: strftime patterns of :func:`date` and :func:`datetime_`, for whole columns (``Series.dt.strftime``).
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"


class _HasStartEnd(Protocol):
    @property
    def start(self) -> Any: ...

    @property
    def end(self) -> Any: ...


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _german(text: str) -> str:
    """Swap the separators of an English-formatted number (``1,234.5`` → ``1.234,5``)."""
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def number(x: float | None, decimals: int = 0, *, sign: bool = False) -> str:
    """A German number with ``decimals`` decimal places: ``1.234,5``; ``–`` when missing.

    ``sign`` puts ``+`` before positive values and writes zero as ``±0``; a value that rounds
    to zero never shows as ``-0``.

    >>> number(1234.5, 1), number(-3, sign=True), number(0, sign=True), number(float("nan"))
    ('1.234,5', '-3', '±0', '–')
    >>> number(-0.2), number(0.5907, 2), number(3320)
    ('0', '0,59', '3.320')
    """
    if _missing(x):
        return MISSING
    value = float(x)  # type: ignore[arg-type]
    if math.isinf(value):
        return MISSING
    if round(value, decimals) == 0:
        value = 0.0  # no "-0"
    text = _german(f"{value:{'+' if sign else ''},.{decimals}f}")
    return "±0" if sign and value == 0 else text


def percent(x: float | None, decimals: int = 0, *, sign: bool = False) -> str:
    """A share (``0.253``) as a German percentage: ``25 %``; ``–`` when missing.

    >>> percent(0.253), percent(0.1234, 1), percent(-0.2, sign=True), percent(None)
    ('25 %', '12,3 %', '-20 %', '–')
    """
    if _missing(x):
        return MISSING
    text = number(100.0 * float(x), decimals, sign=sign)  # type: ignore[arg-type]
    return text if text == MISSING else f"{text} %"


def metres(x: float | None) -> str:
    """A distance in metres: whole metres from 100 m or when (nearly) whole, else one decimal.

    >>> metres(1250), metres(37.5), metres(99.98)
    ('1.250 m', '37,5 m', '100 m')
    """
    if _missing(x):
        return MISSING
    v = float(x)  # type: ignore[arg-type]
    decimals = 0 if abs(v - round(v)) < 0.05 or v >= 100 else 1
    return f"{number(v, decimals)} m"


def area_km2(x: float | None, decimals: int = 2) -> str:
    """An area given in km²: ``12,16 km²`` (never ``12.157 km²``, which reads as twelve thousand).

    >>> area_km2(12.157), area_km2(0.5, 1), area_km2(1234.5, 0)
    ('12,16 km²', '0,5 km²', '1.234 km²')
    """
    text = number(x, decimals)
    return text if text == MISSING else f"{text} km²"


def p_value(p: float | None, decimals: int = 3) -> str:
    """A p-value with ``decimals`` places; below ``10 ** -decimals`` it reads ``< 0,001``, and one that rounds
    to 1 reads ``1`` (``1,000`` would read as a thousand to many).

    >>> p_value(0.0004), p_value(0.0493), p_value(1.0), p_value(0.00149), p_value(None)
    ('< 0,001', '0,049', '1', '0,001', '–')
    """
    if _missing(p):
        return MISSING
    value = float(p)  # type: ignore[arg-type]
    limit = 10.0 ** -decimals
    if value < limit and round(value, decimals) < limit:
        return f"< {number(limit, decimals)}"
    if round(value, decimals) >= 1.0:
        return "1"
    return number(value, decimals)


def _timestamp(d: object) -> pd.Timestamp | None:
    if _missing(d):
        return None
    if isinstance(d, str):
        d = pd.Timestamp(d)
    return pd.Timestamp(d)


def date(d: _date | _datetime | pd.Timestamp | str | None) -> str:
    """A date as ``31.01.2026``; ``–`` when missing.

    >>> from datetime import date as d_
    >>> date(d_(2026, 1, 31)), date("2026-02-01 14:05"), date(None)
    ('31.01.2026', '01.02.2026', '–')
    """
    t = _timestamp(d)
    return MISSING if t is None else t.strftime(DATE_FORMAT)


def datetime_(d: _datetime | pd.Timestamp | str | None) -> str:
    """A date and time as ``31.01.2026 14:05``; ``–`` when missing.

    >>> datetime_("2026-01-31T14:05:59"), datetime_(None)
    ('31.01.2026 14:05', '–')
    """
    t = _timestamp(d)
    return MISSING if t is None else t.strftime(DATETIME_FORMAT)


def period(p: _HasStartEnd) -> str:
    """A period (anything with ``start`` and ``end`` dates) as ``01.01.2026 – 28.02.2026``.

    >>> from datetime import date as d_
    >>> from types import SimpleNamespace
    >>> period(SimpleNamespace(start=d_(2026, 1, 1), end=d_(2026, 2, 28)))
    '01.01.2026 – 28.02.2026'
    """
    return f"{date(p.start)} – {date(p.end)}"

