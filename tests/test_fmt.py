"""German formatting (geo/core/fmt.py): fixed examples and round-trip properties."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from geo.core import fmt
from geo.core.period import Period

GERMAN_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})*(?:,\d+)?$")


def _parse(text: str) -> float:
    """Read a German number back (the inverse of :func:`fmt.number`)."""
    return float(text.replace(".", "").replace(",", ".").replace("±", ""))


def test_number_examples() -> None:
    assert fmt.number(1234567) == "1.234.567"
    assert fmt.number(1234.56, 1) == "1.234,6"
    assert fmt.number(1.11, 2) == "1,11"
    assert fmt.number(0.5907, 4) == "0,5907"
    assert fmt.number(-0.2) == "0"
    assert fmt.number(5, sign=True) == "+5"
    assert fmt.number(0, sign=True) == "±0"
    assert fmt.number(np.nan) == "–"
    assert fmt.number(None) == "–"
    assert fmt.number(pd.NA) == "–"
    assert fmt.number(float("inf")) == "–"


def test_other_examples() -> None:
    assert fmt.percent(0.253) == "25 %"
    assert fmt.percent(0.0749, 1) == "7,5 %"
    assert fmt.area_km2(12.157) == "12,16 km²"
    assert fmt.area_km2(1234.5, 0) == "1.235 km²"  # half away from zero, not half to even
    assert fmt.p_value(0.0004) == "< 0,001"
    assert fmt.p_value(0.0) == "< 0,001"
    assert fmt.p_value(0.049) == "0,049"
    assert fmt.p_value(0.00004, 4) == "< 0,0001"
    assert fmt.metres(1250) == "1.250 m"
    assert fmt.metres(37.5) == "37,5 m"
    assert fmt.date(datetime(2026, 3, 4, 23, 59)) == "04.03.2026"
    assert fmt.datetime_(pd.Timestamp("2026-03-04 07:05")) == "04.03.2026 07:05"
    assert fmt.datetime_(pd.NaT) == "–"
    assert fmt.period(Period(date(2026, 1, 1), date(2026, 2, 28))) == "01.01.2026 – 28.02.2026"


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_number_round_trips_and_has_german_separators(x: float, decimals: int) -> None:
    text = fmt.number(x, decimals)
    assert GERMAN_NUMBER.match(text), text
    assert abs(_parse(text) - x) <= 0.5 * 10.0 ** -decimals + 1e-9 * max(1.0, abs(x))
    assert text.count(",") == (1 if decimals else 0)
    assert not text.startswith("-0") or any(c in "123456789" for c in text)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_signed_number_carries_its_sign(x: float) -> None:
    text = fmt.number(x, 1, sign=True)
    value = _parse(text)
    if value > 0:
        assert text.startswith("+")
    elif value < 0:
        assert text.startswith("-")
    else:
        assert text == "±0"


@given(st.floats(min_value=0, max_value=1, allow_nan=False), st.integers(min_value=1, max_value=5))
def test_p_value_is_never_printed_as_zero(p: float, decimals: int) -> None:
    text = fmt.p_value(p, decimals)
    if text.startswith("< "):
        assert p < 10.0 ** -decimals
        assert _parse(text[2:]) == 10.0 ** -decimals
    else:
        assert _parse(text) > 0
        assert abs(_parse(text) - p) <= 0.5 * 10.0 ** -decimals + 1e-12


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_date_round_trips(d: date) -> None:
    text = fmt.date(d)
    assert datetime.strptime(text, "%d.%m.%Y").date() == d
    assert fmt.date(datetime.combine(d, datetime.min.time())) == text
    assert fmt.date(pd.Timestamp(d)) == text


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)))
def test_datetime_round_trips_to_the_minute(t: datetime) -> None:
    text = fmt.datetime_(t)
    assert datetime.strptime(text, fmt.DATETIME_FORMAT) == t.replace(second=0, microsecond=0)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_area_and_percent_units(x: float) -> None:
    assert fmt.area_km2(x).endswith(" km²")
    assert abs(_parse(fmt.area_km2(x).removesuffix(" km²")) - x) <= 0.005 + 1e-9 * x
    assert fmt.percent(x / 1e6, 1).endswith(" %")


# ---------------------------------------------------------------------------- rounding half away from zero
def _grouped(whole: str) -> str:
    """``1234567`` → ``1.234.567`` (written out here, independent of fmt)."""
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return ".".join([whole, *groups])


def _german_units(units: int, decimals: int) -> str:
    """The German text of ``units / 10**decimals`` (an exact integer count of the last place)."""
    digits = str(abs(units)).rjust(decimals + 1, "0")
    whole, frac = (digits[:-decimals], digits[-decimals:]) if decimals else (digits, "")
    text = _grouped(whole) + ("," + frac if frac else "")
    return "-" + text if units < 0 else text


def _reference(x: float, decimals: int) -> str:
    """fmt's rule spelled out: the float's 15 significant digits, rounded half away from zero."""
    d = Decimal(format(x, ".15g")).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return _german_units(int(d.scaleb(decimals)), decimals)


def test_walk_examples_round_half_up() -> None:
    """Issue 17's walk: 'Hotspots 9, +1 (+12 %)' – one more of eight is 12,5 % and reads +13 %."""
    assert fmt.percent((9 - 8) / 8, sign=True) == "+13 %"
    assert fmt.percent(1 / 8) == "13 %"
    assert fmt.percent(-1 / 8, sign=True) == "-13 %"
    assert fmt.percent(0.145) == "15 %"  # 100 * 0.145 is 14.499999999999998 as a float
    assert fmt.percent(0.0125, 1) == "1,3 %"
    assert fmt.number(12.5) == "13"
    assert fmt.number(0.125 * 100) == "13"
    assert fmt.number(12.500000000000002) == "13"
    assert fmt.number(0.285 * 100) == "29"  # 28.499999999999996 as a float
    assert fmt.number(2.675, 2) == "2,68"  # stored as 2.67499999999999982236431605997495353221893310546875
    assert fmt.number(1.005, 2) == "1,01"
    assert fmt.number(-2.5) == "-3"
    assert fmt.number(0.5) == "1"
    assert fmt.number(-0.5) == "-1"
    assert fmt.number(-0.45, 1, sign=True) == "-0,5"
    assert fmt.number(-0.049, 1, sign=True) == "±0"
    assert fmt.number(2.5, sign=True) == "+3"
    assert fmt.number(1234.5) == "1.235"
    assert fmt.number(np.int64(1234567)) == "1.234.567"
    assert fmt.number(10**17 + 1) == "100.000.000.000.000.001"
    assert fmt.metres(12.25) == "12,3 m"
    assert fmt.metres(37.95) == "38 m"  # not "38,0 m"
    assert fmt.metres(100.5) == "101 m"
    assert fmt.area_km2(0.125) == "0,13 km²"
    assert fmt.p_value(0.0125, 3) == "0,013"
    assert fmt.p_value(0.0005) == "0,001"
    assert fmt.p_value(0.9995) == "1"


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=4), st.booleans())
@example(12, 0, False)  # 12,5 → 13
@example(2, 0, True)  # -2,5 → -3
@example(267, 2, False)  # 2,675 → 2,68
def test_ties_written_as_decimals_round_away_from_zero(k: int, decimals: int, negative: bool) -> None:
    """A decimal literal ending in 5 one place past ``decimals`` rounds up in magnitude, whatever binary
    value the float holds; the expected text is built from integers alone."""
    literal = _german_units(10 * k + 5, decimals + 1).replace(".", "").replace(",", ".")
    x = float(("-" if negative else "") + literal)
    expected = _german_units(-(k + 1) if negative else k + 1, decimals)
    assert fmt.number(x, decimals) == expected
    assert fmt.number(x, decimals, sign=True) == (expected if negative else "+" + expected)


@given(st.floats(min_value=-1e11, max_value=1e11, allow_nan=False), st.integers(min_value=0, max_value=4))
@example(2.675, 2)
@example(-0.0, 1)
@example(0.49999999999999994, 0)
def test_number_follows_the_decimal_rule_and_is_symmetric(x: float, decimals: int) -> None:
    """Every float (fast path or not) gives fmt's documented rule; ``-x`` reads as ``x`` with a minus,
    and a value that rounds to zero never reads ``-0``."""
    text = fmt.number(x, decimals)
    assert text == _reference(x, decimals)
    assert not re.fullmatch(r"-0(,0+)?", text)
    mirrored = fmt.number(-x, decimals)
    zero = not any(c in "123456789" for c in text)
    assert mirrored == (text if zero else text.removeprefix("-") if x < 0 else "-" + text)
    signed = fmt.number(x, decimals, sign=True)
    assert signed == ("±0" if zero else text if text.startswith("-") else "+" + text)


@given(st.integers(min_value=-10**6, max_value=10**6), st.integers(min_value=1, max_value=10**6),
       st.integers(min_value=0, max_value=2))
@example(1, 8, 0)
@example(-1, 8, 0)
@example(1, 40, 0)
@example(29, 200, 0)
def test_percent_of_a_count_ratio_rounds_like_exact_arithmetic(a: int, b: int, decimals: int) -> None:
    """``percent(a / b)`` is the exact fraction rounded half away from zero (float division and the
    15-digit reading do not move a count ratio across a tie)."""
    exact = Fraction(a, b) * 100 * 10**decimals
    units = int(abs(exact) + Fraction(1, 2)) * (1 if exact >= 0 else -1)
    assert fmt.percent(a / b, decimals) == _german_units(units, decimals) + " %"


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), max_size=20),
       st.integers(min_value=0, max_value=3))
@example([2.5, -2.5, 0.125, 2.675, -0.04, 12.25], 1)
def test_rounded_numbers_agree_with_the_texts(values: list[float], decimals: int) -> None:
    """``fmt.rounded`` (numbers for the browser and charts) rounds exactly as ``fmt.number`` writes."""
    out = fmt.rounded(values, decimals)
    assert out.shape == (len(values),)
    for x, r in zip(values, out, strict=True):
        assert _parse(fmt.number(x, decimals)) == r
        assert not (r == 0 and np.signbit(r))  # no -0.0
    assert np.isnan(fmt.rounded([np.nan])).all()
