"""Verdict tables of the Vergleich page (geo.report.verdicts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.analysis.sensitivity import VerdictSensitivity
from geo.report.verdicts import DEFAULT_MARK, REASON_NO_DECREASE, measures_overview_table, sensitivity_table


def test_overview_shows_dash_with_reason_never_none():
    overview = pd.DataFrame({
        "measure": ["Behälter Torgauer Platz", "Streife Rabet", "Neuer Behälter"],
        "verdict": ["effect", "no_effect", "not_evaluable"],
        "verdict_label": ["Wirkung", "kein Effekt", "nicht auswertbar"],
        "treated_before": [40, 30, None], "treated_after": [18, 33, None],
        "did_ratio": [0.4567, 1.1, np.nan], "wdq": [0.25, np.nan, np.nan],
        "notes": ["", "", "Zu kurzes Zeitfenster nach der Maßnahme."]})
    t = measures_overview_table(overview)
    assert list(t.columns) == ["Maßnahme", "Ergebnis", "vorher", "nachher", "Faktor gegen Vergleichsgebiet",
                               "Verdrängung / Ausstrahlung", "Hinweis"]  # plain German, no "DiD"/"WDQ"
    assert t["Faktor gegen Vergleichsgebiet"].tolist() == ["0,46", "1,10", "–"]
    assert t["Verdrängung / Ausstrahlung"].tolist() == ["0,25", "–", "–"]
    assert t.at[1, "Hinweis"] == REASON_NO_DECREASE
    assert t.at[2, "Hinweis"] == "nicht auswertbar: Zu kurzes Zeitfenster nach der Maßnahme."
    assert t.at[2, "vorher"] == "–"
    assert "None" not in t.to_string() and "nan" not in t.to_string()


def _sens(verdicts: dict[tuple[str, float], tuple[str, str, float]]) -> VerdictSensitivity:
    rows = [{"report_kind": k, "kind_label": k.title(), "buffer_m": w, "verdict": code, "verdict_label": label,
             "did_ratio": ratio, "change_pct": (ratio - 1) * 100 if np.isfinite(ratio) else np.nan, "reason": "",
             "default": (k, w) == ("finds", 300.0)}
            for (k, w), (code, label, ratio) in verdicts.items()]
    return VerdictSensitivity(pd.Series({"title": "x"}), pd.DataFrame(rows), "finds", 300.0)


def test_sensitivity_table_marks_default_and_flip_sentence():
    sens = _sens({("finds", 200.0): ("effect", "Wirkung", 0.6), ("finds", 300.0): ("effect", "Wirkung", 0.62),
                  ("finds", 500.0): ("displacement", "Verdrängung", 0.7),
                  ("complaints", 300.0): ("not_evaluable", "nicht auswertbar", np.nan)})
    t = sensitivity_table(sens)
    assert list(t.columns) == ["Meldungen", "Ring 200 m", "Ring 300 m (Standard)", "Ring 500 m"]
    row = t.set_index("Meldungen").loc["Finds"]
    assert row["Ring 300 m (Standard)"] == f"Wirkung (-38 %) {DEFAULT_MARK}"
    assert row["Ring 500 m"] == "Verdrängung (-30 %)"
    assert t.set_index("Meldungen").loc["Complaints", "Ring 300 m (Standard)"] == "nicht auswertbar"
    assert t.set_index("Meldungen").loc["Complaints", "Ring 200 m"] == "–"
    assert "kippt" in sens.sentence() and "Verdrängung" in sens.sentence()
    # issue 17: the sentence says what it tried, so two pages checking different kinds say why they differ
    assert sens.sentence() == ("Vorsicht: das Ergebnis »Wirkung« (Standard) kippt je nach Annahme – Finds, Ring 500 m: "
                               "Verdrängung. Geprüft: Finds und Complaints, je Ring 200, 300 und 500 m.")
    holds = _sens({("finds", 200.0): ("effect", "Wirkung", 0.6), ("finds", 300.0): ("effect", "Wirkung", 0.62)})
    assert holds.sentence() == ("Das Ergebnis »Wirkung« hält bei allen geprüften Ringbreiten. "
                                "Geprüft: nur Finds, Ring 200 und 300 m.")
