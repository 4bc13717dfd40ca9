"""Periods: presets, previous period, parsing."""

from datetime import date

import pandas as pd
import pytest

from geo.core.errors import UserError
from geo.core.period import (
    Period,
    parse_date,
    parse_period,
    quarter_period,
    rapport_period,
    records_in,
    year_period,
)
from geo.core.schema import KINDS


def test_rapport_quarter_year_presets():
    assert rapport_period(date(2026, 11, 22)) == Period(date(2026, 9, 1), date(2026, 10, 31))
    assert rapport_period(date(2026, 10, 31)) == Period(date(2026, 9, 1), date(2026, 10, 31))
    assert quarter_period(date(2026, 11, 22)) == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert quarter_period(date(2026, 9, 30)) == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert year_period(date(2026, 10, 31)) == Period(date(2025, 11, 1), date(2026, 10, 31))
    assert rapport_period(date(2026, 1, 15)) == Period(date(2025, 11, 1), date(2025, 12, 31))


def test_previous_period_has_equal_length():
    p = Period(date(2026, 3, 10), date(2026, 4, 30))
    assert p.days == 52
    assert p.previous() == Period(date(2026, 1, 17), date(2026, 3, 9))
    assert p.previous().days == 52


def test_previous_of_whole_months_is_the_same_number_of_months_before():
    # Sep–Oct is compared with Jul–Aug (the last Rapport period), not with 61 days before
    assert Period(date(2026, 9, 1), date(2026, 10, 31)).previous() == Period(date(2026, 7, 1), date(2026, 8, 31))
    assert Period(date(2026, 3, 1), date(2026, 4, 30)).previous() == Period(date(2026, 1, 1), date(2026, 2, 28))
    assert Period(date(2026, 1, 1), date(2026, 3, 31)).previous() == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert Period(date(2026, 1, 1), date(2026, 1, 31)).whole_months == 1
    assert Period(date(2026, 1, 1), date(2026, 1, 30)).whole_months == 0


def test_contains_is_inclusive_of_the_whole_last_day():
    p = Period(date(2026, 1, 1), date(2026, 1, 31))
    times = ["2025-12-31 23:59", "2026-01-01 00:00", "2026-01-31 23:59", "2026-02-01"]
    t = pd.Series(pd.to_datetime(times, format="ISO8601"))
    assert p.contains(t).tolist() == [False, True, True, False]
    ends = pd.Series(pd.to_datetime([None, "2025-12-31", "2026-01-15"]))
    starts = pd.Series(pd.to_datetime(["2025-01-01", "2025-01-01", "2026-01-10"]))
    assert p.overlaps(starts, ends).tolist() == [True, False, True]


def test_parsing():
    assert parse_date("31.01.2026") == date(2026, 1, 31)
    assert parse_period("2026-01-01/2026-02-28") == Period(date(2026, 1, 1), date(2026, 2, 28))
    with pytest.raises(UserError, match="nicht lesbar"):
        parse_date("2026-02-30")
    with pytest.raises(UserError, match="Ende"):
        parse_period("2026-03-01/2026-02-01")


JAN = Period(date(2026, 1, 1), date(2026, 1, 31))


def test_select_reports_by_date_both_ends_inclusive():
    finds = pd.DataFrame({"found_at": pd.to_datetime(
        ["2025-12-31 23:59", "2026-01-01 00:00", "2026-01-15", "2026-01-31 23:59", "2026-02-01 00:00", None],
        format="ISO8601"), "n": range(6)}, index=[10, 11, 12, 13, 14, 15])
    got = JAN.select(finds, "found_at")
    assert got.index.tolist() == [11, 12, 13]  # index kept; a missing date is never in a period
    assert records_in(finds, "syringe_find", JAN).index.tolist() == [11, 12, 13]
    assert records_in(finds, KINDS["syringe_find"], JAN).index.tolist() == [11, 12, 13]
    assert records_in(finds, "syringe_find", None) is finds
    assert JAN.select(finds, None) is finds and JAN.select(finds, "fehlt") is finds


def test_select_measures_active_at_some_time_in_the_period():
    bins = pd.DataFrame({
        "installed_at": pd.to_datetime(["2025-01-01", "2026-01-31 23:59", "2026-02-01", "2024-01-01",
                                        "2024-01-01", None, "2026-01-10"], format="ISO8601"),
        "removed_at": pd.to_datetime([None, None, None, "2025-12-31 23:59", "2026-01-01", None, "2026-01-12"],
                                     format="ISO8601"),
    })
    # still standing / installed on the last evening / not yet / removed before / removed on day one /
    # no installation date ("always there") / within the period
    assert JAN.select(bins, "installed_at", "removed_at").index.tolist() == [0, 1, 4, 5, 6]
    assert records_in(bins, "disposal_bin", JAN).index.tolist() == [0, 1, 4, 5, 6]
    no_end = bins[["installed_at"]]  # without the end column nothing has ended
    assert records_in(no_end, "disposal_bin", JAN).index.tolist() == [0, 1, 3, 4, 5, 6]
    one_day = pd.DataFrame({"done_at": pd.to_datetime(["2026-01-31", "2026-02-01"])})
    assert records_in(one_day, "greenery_cut", JAN).index.tolist() == [0]


def test_places_and_empty_frames_pass_unchanged():
    places = pd.DataFrame({"name": ["Kita"]})
    assert records_in(places, "sensitive_place", JAN) is places
    empty = pd.DataFrame({"found_at": pd.Series(dtype="datetime64[ns]")})
    assert records_in(empty, "syringe_find", JAN) is empty


def test_picked_period_says_what_is_wrong():
    from datetime import date

    import pytest

    from geo.core.errors import UserError
    from geo.core.period import picked_period

    assert picked_period((date(2026, 9, 1), date(2026, 10, 31))).days == 61
    with pytest.raises(UserError, match="Beginn 31.10.2026 liegt nach dem Ende 01.09.2026"):
        picked_period((date(2026, 10, 31), date(2026, 9, 1)))
    with pytest.raises(UserError, match="auch das Ende"):
        picked_period((date(2026, 9, 1),))
    with pytest.raises(UserError, match="Beginn und Ende"):
        picked_period(())
