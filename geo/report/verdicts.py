"""Measure verdicts as the Vergleich page shows them: the overview and the sensitivity table.

Pure formatting of :func:`geo.analysis.evaluate.evaluate_measures` and
:func:`geo.analysis.sensitivity.verdict_sensitivity` results into German text tables. A number
that cannot be given reads ``–`` and the row says why (``Hinweis``), never ``None`` or ``nan``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geo.analysis.sensitivity import VerdictSensitivity
from geo.report.display import MISSING
from geo.report.figures import format_number

#: Plain headings of the overview's two measures of effect (the method's terms stay in :data:`OVERVIEW_HELP`).
RATIO_COLUMN = "Faktor gegen Vergleichsgebiet"
WDQ_COLUMN = "Verdrängung / Ausstrahlung"
#: What the plain headings mean, with the technical term (tooltips of the headings, the page's method note).
OVERVIEW_HELP = {
    RATIO_COLUMN: "Wie hat sich das Maßnahmengebiet gegenüber dem Vergleichsgebiet verändert? Unter 1 = dort "
                  "weniger Meldungen als ohne Maßnahme zu erwarten (Differenz-in-Differenzen, DiD-Verhältnis).",
    WDQ_COLUMN: "Ist das Geschehen in die Umgebung (Pufferring) ausgewichen? Unter 0 = Verdrängung, über 0 = "
                "die Umgebung profitiert mit (Ausstrahlung); nur bei einer Abnahme im Maßnahmengebiet "
                "(gewichteter Verdrängungsquotient WDQ, Bowers & Johnson 2003).",
}
#: Why the two columns are empty, by case.
REASON_NOT_EVALUABLE = "nicht auswertbar"
REASON_NO_DECREASE = "Verdrängung/Ausstrahlung nur bei einer Abnahme im Maßnahmengebiet"
#: Mark of the default combination in the sensitivity table.
DEFAULT_MARK = "◀ Standard"


def _value(v: object, digits: int = 2) -> str:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return MISSING
    return MISSING if not math.isfinite(x) else format_number(x, digits)


def _count(v: object) -> str:
    return _value(v, 0)


def measures_overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """The Maßnahmen overview: one row per measure with verdict, counts, DiD ratio (:data:`RATIO_COLUMN`),
    WDQ (:data:`WDQ_COLUMN`) and a reason.

    ``overview`` as from :func:`geo.analysis.evaluate.evaluate_measures` (``measure``,
    ``verdict``, ``verdict_label``, ``treated_before``, ``treated_after``, ``did_ratio``, ``wdq``,
    ``notes``). Where DiD or WDQ cannot be given, the cell reads ``–`` and ``Hinweis`` says why:
    the evaluation's own note for measures that cannot be evaluated, or that the WDQ needs a
    decrease in the treated area.

    >>> t = measures_overview_table(pd.DataFrame({"measure": ["A", "B"], "verdict": ["effect", "not_evaluable"],
    ...     "verdict_label": ["Wirkung", "nicht auswertbar"], "treated_before": [40, None],
    ...     "treated_after": [20, None], "did_ratio": [0.5, np.nan], "wdq": [0.2, np.nan],
    ...     "notes": ["", "Keine Ereignisse vor der Maßnahme."]}))
    >>> t.iloc[1].tolist()
    ['B', 'nicht auswertbar', '–', '–', '–', '–', 'nicht auswertbar: Keine Ereignisse vor der Maßnahme.']
    """
    n = len(overview)

    def col(name: str) -> pd.Series:
        return overview[name] if name in overview else pd.Series([None] * n, index=overview.index, dtype=object)

    verdict, ratio, wdq, notes = col("verdict").astype(str), col("did_ratio"), col("wdq"), col("notes")
    reasons = []
    for v, r, w, note in zip(verdict, ratio, wdq, notes, strict=True):
        text = "" if note is None or (isinstance(note, float) and math.isnan(note)) else str(note).strip()
        if v == "not_evaluable":
            reasons.append(f"{REASON_NOT_EVALUABLE}: {text}" if text else REASON_NOT_EVALUABLE)
        elif _value(w) == MISSING and _value(r) != MISSING:
            reasons.append(REASON_NO_DECREASE)
        else:
            reasons.append(text)
    return pd.DataFrame({
        "Maßnahme": col("measure").astype(object).map(lambda s: MISSING if s is None else str(s)).to_numpy(),
        "Ergebnis": col("verdict_label").astype(object).map(lambda s: MISSING if s is None else str(s)).to_numpy(),
        "vorher": [_count(v) for v in col("treated_before")],
        "nachher": [_count(v) for v in col("treated_after")],
        RATIO_COLUMN: [_value(v) for v in ratio],
        WDQ_COLUMN: [_value(v) if r != "not_evaluable" else MISSING for v, r in zip(wdq, verdict, strict=True)],
        "Hinweis": reasons,
    }, index=overview.index)


def sensitivity_table(sens: VerdictSensitivity) -> pd.DataFrame:
    """The verdict across report kinds (rows) and ring widths (columns), default marked.

    Each cell reads the verdict and the change of the treated area against the control
    (``Wirkung (−38 %)``); the default combination carries :data:`DEFAULT_MARK`; a combination that
    cannot be evaluated reads ``nicht auswertbar``.
    """
    t = sens.table
    widths = sorted(t["buffer_m"].unique())
    kinds = list(dict.fromkeys(t["kind_label"]))
    rows = []
    for label in kinds:
        row: dict[str, str] = {"Meldungen": label}
        for width in widths:
            hit = t[(t["kind_label"] == label) & (t["buffer_m"] == width)]
            if not len(hit):
                row[_width_label(width, sens)] = MISSING
                continue
            r = hit.iloc[0]
            text = str(r["verdict_label"])
            if np.isfinite(r["change_pct"]):
                text += f" ({format_number(r['change_pct'], 0, sign=True)} %)"
            if bool(r["default"]):
                text += f" {DEFAULT_MARK}"
            row[_width_label(width, sens)] = text
        rows.append(row)
    return pd.DataFrame(rows)


def _width_label(width: float, sens: VerdictSensitivity) -> str:
    text = f"Ring {format_number(width, 0)} m"
    return f"{text} (Standard)" if float(width) == float(sens.default_buffer_m) else text


__all__ = ["DEFAULT_MARK", "OVERVIEW_HELP", "RATIO_COLUMN", "WDQ_COLUMN", "measures_overview_table",
           "sensitivity_table"]
