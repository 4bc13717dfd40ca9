"""German formatting of numbers, shares, dates, periods, areas and p-values, in one place.

Every text a user reads (app, map layers, handout, CLI, CSV cells that are text) formats
values with these functions: decimal comma, thousands dot, ``–`` for a missing value,
dates as ``31.01.2026``. No function here depends on the locale of the machine.

Rounding is *kaufmännisch* (half away from zero, as Excel's ``RUNDEN`` and German readers expect):
``12,5 %`` shows as ``13 %``, ``-2,5`` as ``-3`` – never Python's half-to-even (``round(12.5) == 12``).
A binary float is not the decimal it was typed or computed as (``2.675`` is stored as ``2.67499…``,
``0.285 * 100`` is ``28.499999999999996``), so every value is first read as the decimal of its 15
significant digits (``decimal.Decimal(format(x, ".15g"))``, the precision Excel shows and computes
with; floats are good for 15–17 digits, so this absorbs the noise in the last bits) and only then
rounded with ``decimal.ROUND_HALF_UP``. Integers (``int``, numpy integers) are taken exactly, shares
are scaled to percent in decimal (``0.145`` → ``14,5`` → ``15 %``), not by a float ``* 100``.

>>> number(1234567.891, 2), percent(0.253), area_km2(12.157), p_value(0.0004)
('1.234.567,89', '25 %', '12,16 km²', '< 0,001')
"""

from __future__ import annotations

import math
from datetime import date as _date
from datetime import datetime as _datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd

#: The text shown for a missing value.
MISSING = "–"
#: strftime patterns of :func:`date` and :func:`datetime_`, for whole columns (``Series.dt.strftime``).
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"
#: Significant decimal digits a float is read as before rounding (see the module docstring).
SIGNIFICANT_DIGITS = 15
#: Room for every finite float (up to 309 integer digits) plus decimals: quantize never overflows.
_CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP)


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


def decimal_value(x: object) -> Decimal | None:
    """The decimal a value stands for, ``None`` when missing or infinite.

    A float is read as its :data:`SIGNIFICANT_DIGITS` significant digits (``2.675`` → ``Decimal('2.675')``,
    ``0.285 * 100`` → ``Decimal('28.5')``); from 10¹⁵ on, where 15 digits would cut whole digits, a float
    is taken exactly (its binary value), and so is every integer.

    >>> decimal_value(2.675), decimal_value(0.285 * 100), decimal_value(10**17 + 1), decimal_value(None)
    (Decimal('2.675'), Decimal('28.5'), Decimal('100000000000000001'), None)
    """
    if _missing(x):
        return None
    if isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_):
        return Decimal(int(x))
    value = float(x)  # type: ignore[arg-type]
    if not math.isfinite(value):
        return None
    if abs(value) >= 1e15:
        return Decimal(value)  # a whole number; every digit of it is meant
    return Decimal(format(value, f".{SIGNIFICANT_DIGITS}g"))


def round_half_up(d: Decimal, decimals: int = 0) -> Decimal:
    """``d`` rounded to ``decimals`` places, ties away from zero; never a negative zero.

    >>> round_half_up(Decimal("12.5")), round_half_up(Decimal("-2.5")), round_half_up(Decimal("2.675"), 2)
    (Decimal('13'), Decimal('-3'), Decimal('2.68'))
    >>> round_half_up(Decimal("-0.04"), 1)
    Decimal('0.0')
    """
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_CONTEXT)
    return q.copy_abs() if q.is_zero() else q


def _text(d: Decimal | None, decimals: int, sign: bool) -> str:
    """A decimal as German text with ``decimals`` places (see :func:`number`)."""
    if d is None:
        return MISSING
    q = round_half_up(d, decimals)
    if sign and q.is_zero():
        return "±0"
    return _german(f"{q:{'+' if sign else ''},.{decimals}f}")


def _float_text(value: float, decimals: int, sign: bool) -> str | None:
    """The same text as ``_text(decimal_value(value), …)``, only faster: away from a tie, Python's own
    float formatting rounds the same way; ``None`` near a tie (``|frac − ½| ≤ 10⁻⁶ + 10⁻¹⁴·scaled``,
    more than the float noise) and for huge or missing values, which go the decimal way."""
    scaled = abs(value) * 10.0 ** decimals
    if not scaled < 1e12:  # also NaN and infinity
        return None
    if abs(scaled % 1.0 - 0.5) <= 1e-6 + 1e-14 * scaled:
        return None
    if scaled < 0.5:
        return "±0" if sign else _german(f"{0.0:.{decimals}f}")
    return _german(f"{value:{'+' if sign else ''},.{decimals}f}")


def number(x: float | None, decimals: int = 0, *, sign: bool = False) -> str:
    """A German number with ``decimals`` decimal places: ``1.234,5``; ``–`` when missing.

    Ties round away from zero (``2,5`` → ``3``, ``-2,5`` → ``-3``, ``2.675`` → ``2,68``; see the module
    docstring). ``sign`` puts ``+`` before positive values and writes zero as ``±0``; a value that
    rounds to zero never shows as ``-0``.

    >>> number(1234.5, 1), number(-3, sign=True), number(0, sign=True), number(float("nan"))
    ('1.234,5', '-3', '±0', '–')
    >>> number(-0.2), number(0.5907, 2), number(3320), number(2.5), number(2.675, 2)
    ('0', '0,59', '3.320', '3', '2,68')
    """
    if isinstance(x, float):  # also numpy's float64
        text = _float_text(x, decimals, sign)
        if text is not None:
            return text
    return _text(decimal_value(x), decimals, sign)


def rounded(values: Any, decimals: int = 0) -> np.ndarray:
    """Numbers rounded as :func:`number` rounds them (half away from zero), still as floats – for values
    that leave as numbers and are written out elsewhere (a popup formatted in the browser, a chart); NaN
    stays NaN, ``-0.0`` becomes ``0.0``. Vectorised: only values near a tie take the decimal way.

    >>> rounded([2.5, -2.5, 12.25, 2.675, 0.1, float("nan")], 1).tolist()
    [2.5, -2.5, 12.3, 2.7, 0.1, nan]
    >>> rounded([0.5, 1.5, 2.5, -0.4]).tolist()
    [1.0, 2.0, 3.0, 0.0]
    """
    x = np.array(values, dtype=float, ndmin=1)
    out = np.round(x, decimals)
    with np.errstate(invalid="ignore"):
        scaled = np.abs(x) * 10.0 ** decimals
        near = np.isfinite(x) & ~(np.abs(scaled % 1.0 - 0.5) > 1e-6 + 1e-14 * scaled)  # as in _float_text
        near |= np.isfinite(x) & (scaled >= 1e12)
    for i in np.flatnonzero(near):
        out[i] = float(round_half_up(decimal_value(float(x[i])), decimals))  # type: ignore[arg-type]
    return out + 0.0  # -0.0 + 0.0 is 0.0


def percent(x: float | None, decimals: int = 0, *, sign: bool = False) -> str:
    """A share (``0.253``) as a German percentage: ``25 %``; ``–`` when missing.

    The share is scaled to percent in decimal, then rounded half away from zero: one more of eight
    (``1 / 8``) reads ``+13 %``, not ``+12 %``.

    >>> percent(0.253), percent(0.1234, 1), percent(-0.2, sign=True), percent(None)
    ('25 %', '12,3 %', '-20 %', '–')
    >>> percent(1 / 8, sign=True), percent(0.145), percent(-0.125)
    ('+13 %', '15 %', '-13 %')
    """
    text = _float_text(100.0 * x, decimals, sign) if isinstance(x, float) else None
    if text is None:
        d = decimal_value(x)
        text = _text(None if d is None else d.scaleb(2, context=_CONTEXT), decimals, sign)
    return text if text == MISSING else f"{text} %"


def metres(x: float | None) -> str:
    """A distance in metres: whole metres from 100 m, else one decimal unless that is ``,0``.

    >>> metres(1250), metres(37.5), metres(99.98), metres(37.95), metres(12.25), metres(100.5)
    ('1.250 m', '37,5 m', '100 m', '38 m', '12,3 m', '101 m')
    """
    d = decimal_value(x)
    if d is None:
        return MISSING
    one = round_half_up(d, 1)
    decimals = 0 if abs(one) >= 100 or one == one.to_integral_value() else 1
    return f"{_text(d, decimals, False)} m"


def area_km2(x: float | None, decimals: int = 2) -> str:
    """An area given in km²: ``12,16 km²`` (never ``12.157 km²``, which reads as twelve thousand).

    >>> area_km2(12.157), area_km2(0.5, 1), area_km2(1234.5, 0)
    ('12,16 km²', '0,5 km²', '1.235 km²')
    """
    text = number(x, decimals)
    return text if text == MISSING else f"{text} km²"


def p_value(p: float | None, decimals: int = 3) -> str:
    """A p-value with ``decimals`` places; below ``10 ** -decimals`` it reads ``< 0,001``, and one that rounds
    to 1 reads ``1`` (``1,000`` would read as a thousand to many).

    >>> p_value(0.0004), p_value(0.0493), p_value(1.0), p_value(0.00149), p_value(None)
    ('< 0,001', '0,049', '1', '0,001', '–')
    """
    d = decimal_value(p)
    if d is None:
        return MISSING
    limit = Decimal(1).scaleb(-decimals)
    rounded = round_half_up(d, decimals)
    if rounded < limit:
        return f"< {_text(limit, decimals, False)}"
    if rounded >= 1:
        return "1"
    return _text(d, decimals, False)


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

