"""The handout's three sentences of what changed (geo/report/whatchanged.py)."""

from __future__ import annotations

import pandas as pd
from scipy.stats import binomtest

from geo.report.keychanges import figure_changes
from geo.report.whatchanged import finds_sentence, hotspots_sentence, places_sentence, what_changed


def _figures(**rows) -> pd.DataFrame:
    return pd.DataFrame({"value": [v for v, _ in rows.values()], "previous": [p for _, p in rows.values()]},
                        index=pd.Index(list(rows), name="key"))


def _top(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rank", "place", "finds", "syringes", "change"])


PLACES = pd.DataFrame({"name": ["Kita Köhlerplatz", "Spielplatz Rabet", "Schule am Rabet"],
                       "reports": [30, 47, 4], "flagged": [True, True, False]})


def test_finds_sentence_says_chance_or_change_as_the_test_does():
    small = _figures(finds=(637, 655), syringes=(1130, 1219))
    assert finds_sentence(small, figure_changes(small, 61, 62)) == (
        "Gemeldet wurden 637 Spritzenfunde mit 1.130 Spritzen – 18 weniger als im Vorzeitraum (-3 %), "
        "im Rahmen des Zufalls.")
    big = _figures(finds=(400, 200), syringes=(800, 400))
    assert binomtest(200, 600, 0.5).pvalue < 0.05  # the same test: clearly more than chance
    assert finds_sentence(big, figure_changes(big, 61, 61)).endswith(
        "200 mehr als im Vorzeitraum (+100 %), eine deutliche Zunahme.")
    one = _figures(finds=(1, float("nan")))
    assert finds_sentence(one, figure_changes(one, 61, 61)) == (
        "Gemeldet wurden 1 Spritzenfund – kein Vergleich mit dem Vorzeitraum möglich.")


def test_hotspots_sentence_names_only_changes_beyond_chance():
    top = _top((1, "Eisenbahnstraße 20–50", 105, 202, 20), (2, "Rabet / Spielplatz Rabet", 65, 124, -8),
               (3, "Eisenbahn-/Edlichstraße", 49, 102, -37))
    # 105 vs 85 is within chance (p ≈ 0,17); 49 vs 86 is not (p ≈ 0,002)
    assert binomtest(85, 190, 0.5).pvalue > 0.05 and binomtest(86, 135, 0.5).pvalue < 0.01
    assert hotspots_sentence(top, 61, 61, 11) == "11 Hotspots; deutlich weniger Funde an Eisenbahn-/Edlichstraße (-37)."
    calm = top.assign(change=[3, -2, 1])
    assert hotspots_sentence(calm, 61, 61) == (
        "3 Hotspots; an keinem hat sich die Zahl der Funde mehr als zufällig verändert, die meisten Funde gab es an "
        "Eisenbahnstraße 20–50 (105).")
    grew = top.assign(change=[60, -2, -37])
    assert hotspots_sentence(grew, 61, 61) == ("3 Hotspots; deutlich mehr Funde an Eisenbahnstraße 20–50 (+60) und "
                                               "deutlich weniger Funde an Eisenbahn-/Edlichstraße (-37).")
    assert hotspots_sentence(top.assign(change=pd.NA), 61, 61) == (
        "3 Hotspots; die meisten Funde gab es an Eisenbahnstraße 20–50 (105).")
    assert "keinen Hotspot" in hotspots_sentence(None, 61, 61)
    # a name that brings its preposition: not »an bei …« (issue 17, the handout of the demo)
    near = top.assign(place=["Eisenbahnstraße 20–50", "Spielplatz Rabet", "bei Spielplatz Volkmarsdorfer Markt"])
    assert hotspots_sentence(near, 61, 61, 9) == (
        "9 Hotspots; deutlich weniger Funde bei Spielplatz Volkmarsdorfer Markt (-37).")


def test_places_sentence_counts_flagged_places_and_tests_complaints():
    figs = _figures(finds=(10, 10), complaints=(128, 148))
    assert places_sentence(figs, figure_changes(figs, 61, 62), PLACES, 10) == (
        "128 Beschwerden – 20 weniger als im Vorzeitraum (-14 %), im Rahmen des Zufalls; 2 von 3 sensiblen Orten mit "
        "mindestens 10 Funden und Beschwerden, die meisten am Ort Spielplatz Rabet (47).")
    quiet = PLACES.assign(flagged=False)
    assert places_sentence(_figures(finds=(1, 1)), {}, quiet, 10) == (
        "Kein sensibler Ort mit mindestens 10 Funden und Beschwerden.")


def test_what_changed_gives_three_sentences_and_counts_all_hotspots():
    figs = _figures(finds=(637, 655), syringes=(1130, 1219), complaints=(128, 148), hotspots=(11, 8))
    top = _top((1, "Eisenbahnstraße 20–50", 105, 202, 3))
    out = what_changed(figs, figure_changes(figs, 61, 62), top, PLACES, days=61, days_previous=62, threshold=10)
    assert len(out) == 3 and all(s.endswith(".") for s in out)
    assert out[1].startswith("11 Hotspots;")  # the key figure, not the rows listed
