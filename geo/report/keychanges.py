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

Hotspots and cells
------------------
The Top-Hotspots (Lagekarte, Vergleich, handout) test each hotspot's *whole area* with this test
(:func:`hotspot_changes`); the Vergleich page's change map and its cell counts test each grid
cell on its own, corrected for the many cells (FDR). A hotspot with 37 finds fewer can be a
significant decrease while none of its cells is – both pages say which of the two they count
(:data:`HOTSPOT_TEST_HELP`, :data:`CELL_TEST_HELP`, :data:`CELLS_UP`, :data:`CELLS_DOWN`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.compare import DEFAULT_ALPHA, poisson_rate_test
from geo.core import fmt
from geo.core.schema import KINDS, SYRINGE_FIND
from geo.report.display import p_value_text
from geo.report.figures import format_change

#: Figures tested directly, and figures that follow another figure's verdict.
TESTED = ("finds", "complaints", "scene_observations")
FOLLOWS = {"syringes": "finds"}
#: Words for the three outcomes.
WITHIN_CHANCE = "im Rahmen des Zufalls"
UP, DOWN = "signifikante Zunahme", "signifikante Abnahme"
NOT_TESTED = "ohne Signifikanztest"
#: What the Vergleich page's counts of changed cells are (not hotspots, not places: grid cells).
CELLS_UP, CELLS_DOWN = "Zellen mit gesicherter Zunahme", "Zellen mit gesicherter Abnahme"
#: Headings of the Top-Hotspots table's change and verdict (Lagekarte and Vergleich).
CHANGE_COLUMN, VERDICT_COLUMN = "Veränderung", "Bewertung"
#: The verdict's meaning in a hotspot table (tooltip of :data:`VERDICT_COLUMN`).
HOTSPOT_TEST_HELP = (
    "Getestet wird die ganze Hotspot-Fläche: alle Meldungen in ihren Zellen gegen den Vorzeitraum in denselben "
    "Zellen (exakter Test wie bei den Kennzahlen, 5 %). Die Zellen-Zahlen der Seite »Vergleich« testen dagegen "
    "jede Rasterzelle für sich, korrigiert für die vielen Zellen: eine Abnahme über einen ganzen Hotspot kann "
    "gesichert sein, auch wenn sie es in keiner einzelnen Zelle ist.")
#: The meaning of the Vergleich page's cell counts (tooltip of :data:`CELLS_UP` / :data:`CELLS_DOWN`).
CELL_TEST_HELP = (
    "Rasterzellen, in denen die Veränderung für sich allein kaum Zufall sein kann (exakter Test je Zelle, "
    "korrigiert für die vielen Zellen: FDR nach Benjamini-Hochberg, 5 %). Eine Zelle hat nur wenige Meldungen; "
    "ob ein ganzer Hotspot gesichert ab- oder zugenommen hat, zeigt die Tabelle »Hotspots« weiter unten "
    "(derselbe Test wie in den Top-Hotspots der Lagekarte).")


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


def hotspot_table(top: pd.DataFrame, kind: str, days: float, days_previous: float,
                  alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
    """The Top-Hotspots table in German text, as the Lagekarte and the Vergleich page show it.

    ``Rang, Ort,`` the count (``Funde`` for syringe finds, else the kind's plural), ``Spritzen`` (finds only),
    :data:`CHANGE_COLUMN` (``▼ -37``: an arrow only for a significant change of the whole hotspot,
    :func:`hotspot_changes`), :data:`VERDICT_COLUMN` (``signifikante Abnahme (p = 0,002)``).
    ``top`` as from :func:`geo.analysis.placenames.top_hotspots`; ``days`` / ``days_previous`` the periods' lengths.
    """
    changes = hotspot_changes(top, days, days_previous, alpha)
    is_finds = kind == SYRINGE_FIND
    return pd.DataFrame({
        "Rang": [fmt.number(v) for v in top["rank"]], "Ort": top["place"].astype(str).tolist(),
        ("Funde" if is_finds else KINDS[kind].label_plural): [fmt.number(v) for v in top["finds"]],
        **({"Spritzen": [fmt.number(v) for v in top["syringes"]]} if is_finds else {}),
        CHANGE_COLUMN: [("▲ " if c.direction > 0 else "▼ " if c.direction < 0 else "") + fmt.number(v, sign=True)
                        if pd.notna(v) else "–" for v, c in zip(top["change"], changes, strict=True)],
        VERDICT_COLUMN: [c.explanation or "–" for c in changes],
    })


__all__ = ["CELLS_DOWN", "CELLS_UP", "CELL_TEST_HELP", "CHANGE_COLUMN", "DOWN", "HOTSPOT_TEST_HELP", "NOT_TESTED",
           "UP", "VERDICT_COLUMN", "WITHIN_CHANCE", "FigureChange", "count_change", "figure_changes",
           "hotspot_changes", "hotspot_table"]
