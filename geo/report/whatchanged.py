"""What changed since the last meeting, in three plain German sentences (page 1 of the handout).

The meeting reads the handout before it reads any table, so its first lines say in words what the
tables show – and only call a change a change where the test of :mod:`geo.report.keychanges`
(conditional binomial test of two Poisson counts, rates per day, two-sided, α =
:data:`geo.analysis.compare.DEFAULT_ALPHA`) finds it significant; otherwise they say *im Rahmen des
Zufalls*.

The three sentences
-------------------
1. **All finds**: how many finds (and syringes) were reported, the difference to the previous
   period, and whether that difference is more than chance.
2. **Hotspots**: how many hotspots there are; which grew and which shrank beyond chance (finds in the
   same cells now vs. before, the same test per hotspot); where no hotspot changed beyond chance, the
   one with the most finds.
3. **Complaints and sensitive places**: the complaints with their tested change, and how many
   sensitive places reached the threshold (the busiest named).
"""

from __future__ import annotations

import pandas as pd

from geo.core import fmt
from geo.report.keychanges import DOWN, UP, FigureChange, hotspot_changes


def _amount(n: float, one: str, many: str) -> str:
    """``"1 Fund"`` / ``"1.234 Funde"``."""
    return f"{fmt.number(n)} {one if n == 1 else many}"


def _difference(change: FigureChange, value: float, previous: float, what: str) -> str:
    """``"18 weniger als im Vorzeitraum (−3 %), im Rahmen des Zufalls"``."""
    if pd.isna(previous):
        return "kein Vergleich mit dem Vorzeitraum möglich"
    diff = value - previous
    if diff == 0:
        return f"genauso viele {what} wie im Vorzeitraum"
    pct = f" ({fmt.number(100.0 * diff / previous, sign=True)} %)" if previous else ""
    words = f"{fmt.number(abs(diff))} {'mehr' if diff > 0 else 'weniger'} als im Vorzeitraum{pct}"
    verdict = {UP: "eine deutliche Zunahme", DOWN: "ein deutlicher Rückgang"}.get(change.verdict,
                                                                             "im Rahmen des Zufalls")
    return f"{words}, {verdict}"


def finds_sentence(figures: pd.DataFrame, changes: dict[str, FigureChange]) -> str:
    """Sentence 1: all finds and syringes of the period against the previous period."""
    value, previous = figures.at["finds", "value"], figures.at["finds", "previous"]
    syringes = figures.at["syringes", "value"] if "syringes" in figures.index else float("nan")
    with_syringes = f" mit {_amount(syringes, 'Spritze', 'Spritzen')}" if pd.notna(syringes) else ""
    return (f"Gemeldet wurden {_amount(value, 'Spritzenfund', 'Spritzenfunde')}{with_syringes} – "
            f"{_difference(changes['finds'], value, previous, 'Funde')}.")


def _at(place: object) -> str:
    """``an Eisenbahnstraße 20–50``; a name that brings its own preposition stays as it is (``bei Kita …``)."""
    text = str(place)
    return text if text.startswith(("bei ", "nahe ", "an ", "am ", "vor ")) else f"an {text}"


def hotspots_sentence(top: pd.DataFrame | None, days: float, days_previous: float, n_hotspots: int | None = None
                      ) -> str:
    """Sentence 2: the hotspots that grew or shrank beyond chance (the same test per hotspot);
    ``n_hotspots``: all hotspots of the period (``top`` may list only the first ones)."""
    if top is None or not len(top):
        return "Es gibt im Zeitraum keinen Hotspot, an dem sich Spritzenfunde mehr als zufällig häufen."
    n = _amount(len(top) if n_hotspots is None else n_hotspots, "Hotspot", "Hotspots")
    biggest = top.sort_values("finds", ascending=False, kind="stable").iloc[0]
    most = f"die meisten Funde gab es {_at(biggest['place'])} ({fmt.number(biggest['finds'])})"
    if top["change"].isna().all():
        return f"{n}; {most}."
    tested = [(r, c) for r, c in zip(top.itertuples(), hotspot_changes(top, days, days_previous), strict=True)
              if pd.notna(r.change)]
    grew = max((x for x in tested if x[1].verdict == UP), key=lambda x: x[0].change, default=None)
    shrank = min((x for x in tested if x[1].verdict == DOWN), key=lambda x: x[0].change, default=None)
    if grew is None and shrank is None:
        return f"{n}; an keinem hat sich die Zahl der Funde mehr als zufällig verändert, {most}."
    parts = []
    if grew is not None:
        parts.append(f"deutlich mehr Funde {_at(grew[0].place)} ({fmt.number(grew[0].change, sign=True)})")
    if shrank is not None:
        parts.append(f"deutlich weniger Funde {_at(shrank[0].place)} ({fmt.number(shrank[0].change, sign=True)})")
    return f"{n}; {' und '.join(parts)}."


def places_sentence(figures: pd.DataFrame, changes: dict[str, FigureChange],
                    places: pd.DataFrame | None, threshold: int) -> str:
    """Sentence 3: complaints with their tested change, and the sensitive places at the threshold."""
    text = ""
    if "complaints" in figures.index:
        value, previous = figures.at["complaints", "value"], figures.at["complaints", "previous"]
        text = (f"{_amount(value, 'Beschwerde', 'Beschwerden')} – "
                f"{_difference(changes['complaints'], value, previous, 'Beschwerden')}")
    if places is not None and len(places):
        flagged = places[places["flagged"].astype(bool)]
        if len(flagged):
            top = flagged.sort_values("reports", ascending=False, kind="stable").iloc[0]
            where = (f"{fmt.number(len(flagged))} von {_amount(len(places), 'sensiblem Ort', 'sensiblen Orten')} "
                     f"mit mindestens {fmt.number(threshold)} Funden und Beschwerden, die meisten am Ort "
                     f"{top['name']} ({fmt.number(top['reports'])})")
        else:
            where = (f"kein sensibler Ort mit mindestens {fmt.number(threshold)} Funden und Beschwerden")
        text = f"{text}; {where}" if text else where[0].upper() + where[1:]
    return f"{text}." if text else "Keine Beschwerden und keine sensiblen Orte erfasst."


def what_changed(figures: pd.DataFrame, changes: dict[str, FigureChange], top: pd.DataFrame | None,
                 places: pd.DataFrame | None, *, days: float, days_previous: float, threshold: int) -> list[str]:
    """The three sentences of the handout's first page (see the module docstring).

    Parameters
    ----------
    figures : :func:`geo.report.figures.key_figures` of the period (``finds`` required).
    changes : :func:`geo.report.keychanges.figure_changes` of ``figures``.
    top : :func:`geo.analysis.placenames.top_hotspots` (``place``, ``finds``, ``change``), or ``None``;
        the number of hotspots is the ``hotspots`` figure where given (``top`` may be cut short).
    places : :func:`geo.report.figures.sensitive_place_table`, or ``None``.
    days, days_previous : lengths of the period and the previous period (days).
    threshold : the finds + complaints that flag a sensitive place.

    Returns
    -------
    list of str
        Exactly three sentences; text from data (place names) is not escaped here.
    """
    n = int(figures.at["hotspots", "value"]) if "hotspots" in figures.index else None
    return [finds_sentence(figures, changes), hotspots_sentence(top, days, days_previous, n),
            places_sentence(figures, changes, places, threshold)]


__all__ = ["finds_sentence", "hotspots_sentence", "places_sentence", "what_changed"]
