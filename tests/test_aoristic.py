"""The aoristic engine: hand computations (midnight, DST), the reference loop, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis import aoristic
from geo.analysis.aoristic import aoristic_hours, aoristic_hours_naive

MO, DI, SO = 0, 1, 6


def _t(*values):
    return np.array([np.datetime64(v) for v in values], dtype="datetime64[ns]")


def _one(start, end):
    return aoristic_hours(_t(start), _t(end))


# -------------------------------------------------------------------------------- hand computations
def test_window_within_one_hour_and_point_time():
    tab = _one("2026-06-01T20:10", "2026-06-01T20:40")  # Monday
    assert tab[MO, 20] == 1.0 and tab.sum() == 1.0
    tab = _one("2026-06-02T07:05", "2026-06-02T07:05")  # Tuesday, point time
    assert tab[DI, 7] == 1.0 and tab.sum() == 1.0


def test_window_across_midnight_is_split_by_overlap():
    # Monday 23:30 – Tuesday 01:30: 30 + 60 + 30 minutes of 120
    tab = _one("2026-06-01T23:30", "2026-06-02T01:30")
    assert tab[MO, 23] == pytest.approx(0.25)
    assert tab[DI, 0] == pytest.approx(0.5)
    assert tab[DI, 1] == pytest.approx(0.25)
    assert tab.sum() == pytest.approx(1.0)
    assert np.count_nonzero(tab) == 3


def test_street_cleaning_window_from_evening_to_morning():
    # Sunday 18:00 – Monday 08:00: 14 hours, 1/14 each
    tab = _one("2026-06-07T18:00", "2026-06-08T08:00")
    assert tab[SO, 18:24] == pytest.approx(np.full(6, 1 / 14))
    assert tab[MO, 0:8] == pytest.approx(np.full(8, 1 / 14))
    assert tab.sum() == pytest.approx(1.0)


def test_spring_forward_the_missing_hour_gets_nothing():
    # 2026-03-29 (Sunday) 02:00 → 03:00 in Europe/Berlin; 01:30–03:30 lasts one real hour
    tab = _one("2026-03-29T01:30", "2026-03-29T03:30")
    assert tab[SO, 1] == pytest.approx(0.5)
    assert tab[SO, 2] == 0.0
    assert tab[SO, 3] == pytest.approx(0.5)
    assert tab.sum() == pytest.approx(1.0)


def test_spring_forward_end_in_the_gap_is_read_as_03_00():
    # 01:00–02:30: 02:30 does not exist → 03:00 → one real hour, all in 1 h
    tab = _one("2026-03-29T01:00", "2026-03-29T02:30")
    assert tab[SO, 1] == pytest.approx(1.0)
    assert tab.sum() == pytest.approx(1.0)


def test_fall_back_the_double_hour_collects_both():
    # 2026-10-25 (Sunday) 03:00 → 02:00; 01:30–03:30 lasts three real hours
    tab = _one("2026-10-25T01:30", "2026-10-25T03:30")
    assert tab[SO, 1] == pytest.approx(0.5 / 3)
    assert tab[SO, 2] == pytest.approx(2 / 3)
    assert tab[SO, 3] == pytest.approx(0.5 / 3)
    assert tab.sum() == pytest.approx(1.0)


def test_fall_back_ambiguous_start_is_read_widest():
    # start 02:30 is ambiguous → first occurrence (summer time): 02:30 CEST – 03:30 CET = 2 real hours,
    # 1.5 of them in 2 h (02:30–03:00 CEST and 02:00–03:00 CET)
    tab = _one("2026-10-25T02:30", "2026-10-25T03:30")
    assert tab[SO, 2] == pytest.approx(0.75)
    assert tab[SO, 3] == pytest.approx(0.25)
    # an ambiguous end is read as its second occurrence: 01:00 – 02:30 CET = 2.5 real hours
    tab = _one("2026-10-25T01:00", "2026-10-25T02:30")
    assert tab[SO, 1] == pytest.approx(1 / 2.5)
    assert tab[SO, 2] == pytest.approx(1.5 / 2.5)


def test_local_to_real_rules():
    s = _t("2026-10-25T02:30", "2026-03-29T02:30", "2026-06-01T12:00").astype("datetime64[s]").astype(np.int64)
    start = aoristic.local_to_real(s, "Europe/Berlin", side="start")
    end = aoristic.local_to_real(s, "Europe/Berlin", side="end")
    utc = lambda v: pd.Timestamp(v, tz="UTC").value // 10**9  # noqa: E731
    assert start[0] == utc("2026-10-25T00:30") and end[0] == utc("2026-10-25T01:30")
    assert start[1] == end[1] == utc("2026-03-29T01:00")  # 03:00 CEST
    assert start[2] == end[2] == utc("2026-06-01T10:00")


def test_half_hour_time_zone():
    # India (+05:30, no DST): local hours still get their overlap
    tab = aoristic_hours(_t("2026-06-01T10:15"), _t("2026-06-01T11:45"), tz="Asia/Kolkata")
    assert tab[MO, 10] == pytest.approx(0.5) and tab[MO, 11] == pytest.approx(0.5)


def test_vectorised_equals_naive_reference_on_random_windows():
    rng = np.random.default_rng(3)
    n = 400
    base = np.datetime64("2026-03-20T00:00", "s").astype(np.int64)
    s = base + rng.integers(0, 250 * 86400, n)  # spans both DST changes of 2026
    d = rng.choice([0, 60, 1800, 3600 * 3, 3600 * 14, 3600 * 40, 86400 * 8], n) + rng.integers(0, 3600, n)
    d[::7] = 0
    s[:4] = np.datetime64("2026-03-29T01:45", "s").astype(np.int64)  # into / over the gap
    s[4:8] = np.datetime64("2026-10-25T02:15", "s").astype(np.int64)  # ambiguous starts
    start = s.astype("datetime64[s]")
    end = (s + d).astype("datetime64[s]")
    w = rng.integers(1, 4, n).astype(float)
    fast = aoristic_hours(start, end, w)
    slow = aoristic_hours_naive(start, end, w)
    np.testing.assert_allclose(fast, slow, atol=1e-9)
    assert fast.sum() == pytest.approx(w.sum())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400 * 86400), st.integers(0, 3 * 86400), st.floats(0.5, 5)),
                min_size=1, max_size=30))
def test_aoristic_total_is_kept_and_equals_reference(rows):
    base = np.datetime64("2026-01-01T00:00", "s")
    start = np.array([base + np.timedelta64(s, "s") for s, _, _ in rows])
    end = np.array([base + np.timedelta64(s + d, "s") for s, d, _ in rows])
    w = np.array([x for _, _, x in rows])
    fast = aoristic_hours(start, end, w)
    assert (fast >= -1e-12).all() and fast.sum() == pytest.approx(w.sum())
    np.testing.assert_allclose(fast, aoristic_hours_naive(start, end, w), atol=1e-9)
