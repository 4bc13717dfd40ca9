"""German formatting (geo/core/fmt.py): fixed examples and round-trip properties."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd
from hypothesis import given
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
    assert fmt.area_km2(1234.5, 0) == "1.234 km²"
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
