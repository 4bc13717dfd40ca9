"""Significance-aware key figure changes (geo.report.keychanges) against scipy's binomial test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from geo.report.keychanges import NOT_TESTED, WITHIN_CHANCE, count_change, figure_changes


def _figures(**rows) -> pd.DataFrame:
    return pd.DataFrame({"value": [v for v, _ in rows.values()], "previous": [p for _, p in rows.values()]},
                        index=pd.Index(list(rows), name="key"))


@pytest.mark.parametrize(("now", "before", "days", "days_prev"), [(267, 240, 61, 61), (60, 20, 61, 61),
                                                                  (30, 45, 30, 61), (0, 9, 61, 61)])
def test_p_value_is_scipys_conditional_binomial_test(now, before, days, days_prev):
    ch = count_change(now, before, days, days_prev)
    expected = binomtest(before, now + before, days_prev / (days + days_prev)).pvalue
    assert ch.p == pytest.approx(expected, rel=1e-9)
    assert ch.arrow == (expected <= 0.05)


def test_chance_change_has_no_arrow_and_says_so():
    ch = figure_changes(_figures(finds=(267, 240)), 61, 61)["finds"]
    assert ch.text == "+27 (+11 %)"
    assert not ch.arrow and ch.verdict == WITHIN_CHANCE
    assert ch.explanation.startswith("im Rahmen des Zufalls (p = 0,")


def test_significant_change_has_arrow_and_small_p_reads_below():
    ch = figure_changes(_figures(complaints=(400, 200)), 61, 61)["complaints"]
    assert ch.direction == 1 and ch.arrow
    assert "p < 0,001" in ch.explanation


def test_syringes_follow_finds_and_zero_percent_never_has_an_arrow():
    ch = figure_changes(_figures(finds=(400, 200), syringes=(5021, 5000)), 61, 61)
    assert ch["finds"].arrow
    assert ch["syringes"].text == "+21 (±0 %)"
    assert not ch["syringes"].arrow
    down = figure_changes(_figures(finds=(400, 200), syringes=(4000, 5000)), 61, 61)["syringes"]
    assert not down.arrow  # moves against the finds: no verdict of its own


def test_hotspots_are_not_tested_and_missing_previous_gives_no_verdict():
    ch = figure_changes(_figures(hotspots=(11, 8), scene_observations=(5, np.nan)), 61, 61)
    assert ch["hotspots"].verdict == NOT_TESTED and not ch["hotspots"].arrow
    assert math.isnan(ch["scene_observations"].p) and ch["scene_observations"].text == "–"
