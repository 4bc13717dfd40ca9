"""Is a key figure's change a change? The Lagekarte's arrows follow the Vergleich page's test.

A count that rises from 240 to 267 between two periods of equal length may well be chance. The
Lagekarte shows a change with a coloured arrow only when the same exact test as on the Vergleich
page (:func:`geo.analysis.compare.poisson_rate_test`: conditional binomial test of two Poisson
counts, rates per day) finds it significant at :data:`geo.analysis.compare.DEFAULT_ALPHA`;
otherwise it reads *im Rahmen des Zufalls* without an arrow.

Which count is tested
---------------------
``finds``, ``complaints``, ``scene_observations``: the records themselves. ``syringes`` (the sum
of syringes per find) is not a Poisson count – one find of 40 syringes is one event – so it takes
the verdict of the finds when it moves the same way, else none. ``hotspots`` (a count of
connected groups of cells) has no such test: its change is shown without an arrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.compare import DEFAULT_ALPHA, poisson_rate_test
from geo.report.display import p_value_text
from geo.report.figures import format_change

#: Figures tested directly, and figures that follow another figure's verdict.
TESTED = ("finds", "complaints", "scene_observations")
FOLLOWS = {"syringes": "finds"}
#: Words for the three outcomes.
WITHIN_CHANCE = "im Rahmen des Zufalls"
UP, DOWN = "signifikante Zunahme", "signifikante Abnahme"
NOT_TESTED = "ohne Signifikanztest"


@dataclass(frozen=True)
class FigureChange:
    """How one key figure changed.

    Attributes
    ----------
    text : the change in German (``+12 (+25 %)``; ``–`` without a previous value).
    direction : +1 / −1 for a significant increase / decrease, 0 otherwise.
    p : two-sided p-value of the test (NaN when not tested).
    verdict : :data:`UP`, :data:`DOWN`, :data:`WITHIN_CHANCE` or :data:`NOT_TESTED` ("" without a
        previous value).
    """

    text: str
    direction: int
    p: float
    verdict: str

    @property
    def arrow(self) -> bool:
        """Show an arrow (and colour)? Only for a significant change."""
        return self.direction != 0

    @property
    def explanation(self) -> str:
        """One line for a tooltip: the verdict with its p-value."""
        if not self.verdict:
            return ""
        if math.isnan(self.p):
            return self.verdict
        return f"{self.verdict} (p = {p_value_text(self.p)})".replace("p = <", "p <")


def count_change(value: float, previous: float, days: float, days_previous: float,
                 alpha: float = DEFAULT_ALPHA) -> FigureChange:
    """The change of one event count between two periods, tested (see the module docstring).

    >>> count_change(267, 240, 61, 61).verdict, count_change(60, 20, 61, 61).direction
    ('im Rahmen des Zufalls', 1)
    """
    text = format_change(value, previous)
    if pd.isna(value) or pd.isna(previous):
        return FigureChange(text, 0, math.nan, "")
    p = float(poisson_rate_test(np.array([previous]), np.array([value]), days_previous, days)[0])
    sign = int(np.sign(value / days - previous / days_previous))
    direction = sign if p <= alpha else 0
    return FigureChange(text, direction, p, UP if direction > 0 else DOWN if direction < 0 else WITHIN_CHANCE)


def figure_changes(figures: pd.DataFrame, days: float, days_previous: float,
                   alpha: float = DEFAULT_ALPHA) -> dict[str, FigureChange]:
    """:class:`FigureChange` per row of :func:`geo.report.figures.key_figures` (key → change).

    Parameters
    ----------
    figures : ``value`` and ``previous`` per key (``finds``, ``syringes``, …).
    days, days_previous : lengths of the two periods (the test compares rates per day).
    alpha : significance level (two-sided).
    """
    out: dict[str, FigureChange] = {}
    for key in figures.index:
        value, prev = figures.at[key, "value"], figures.at[key, "previous"]
        text = format_change(value, prev)
        if pd.isna(value) or pd.isna(prev):
            out[key] = FigureChange(text, 0, math.nan, "")
        elif key in TESTED:
            out[key] = count_change(value, prev, days, days_previous, alpha)
        else:
            out[key] = FigureChange(text, 0, math.nan, NOT_TESTED)
    for key, source in FOLLOWS.items():
        if key in out and source in out and out[key].verdict:
            base, own = out[source], out[key]
            moves = np.sign(figures.at[key, "value"] - figures.at[key, "previous"])
            direction = base.direction if base.direction == moves else 0
            verdict = (UP if direction > 0 else DOWN if direction < 0 else WITHIN_CHANCE)
            out[key] = FigureChange(own.text, direction, base.p, verdict)
    for key, change in out.items():  # "+21 (±0 %)" is no change worth an arrow
        if change.direction and "(±0 %)" in change.text:
            out[key] = FigureChange(change.text, 0, change.p, WITHIN_CHANCE)
    return out


def hotspot_changes(top: pd.DataFrame, days: float, days_previous: float,
                    alpha: float = DEFAULT_ALPHA) -> list[FigureChange]:
    """:class:`FigureChange` of each hotspot's finds (now ``finds``, before ``finds − change``, same cells),
    in the rows' order; a row without ``change`` gets no verdict.

    >>> import pandas as pd
    >>> [c.verdict for c in hotspot_changes(pd.DataFrame({"finds": [49, 105], "change": [-37, 20]}), 61, 61)]
    ['signifikante Abnahme', 'im Rahmen des Zufalls']
    """
    return [count_change(f, f - c, days, days_previous, alpha) if pd.notna(c) else FigureChange("–", 0, math.nan, "")
            for f, c in zip(top["finds"], top["change"], strict=True)]


__all__ = ["DOWN", "NOT_TESTED", "UP", "WITHIN_CHANCE", "FigureChange", "count_change", "figure_changes",
           "hotspot_changes"]
