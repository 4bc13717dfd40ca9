"""German axes and labels for the app's Vega-Lite (Altair) charts: month names, weekday names, decimal comma,
numbered measure dates.

Vega-Lite formats axis labels with d3's locale, English by default ("April, July, October",
"1,234.5"). :data:`VEGA_LOCALE` is d3's German locale (``de-DE``) as Vega-Lite's ``config.locale``
expects it; :func:`german_chart` puts it into a chart. :func:`mark_labels` names the dashed measure
lines of a time series. Nothing here imports Altair: the function only calls the chart's own
``configure`` method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.core import fmt
from geo.core.schema import DISPOSAL_BIN, KINDS, MEASURE_SHORT_LABELS

#: d3-format and d3-time-format locale definitions for German (as in d3's ``de-DE.json``).
VEGA_LOCALE: dict[str, dict[str, Any]] = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0€"]},
    "time": {
        "dateTime": "%A, der %e. %B %Y, %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "months": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                   "Oktober", "November", "Dezember"],
        "shortMonths": ["Jan", "Feb", "Mrz", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    },
}


def german_chart(chart: Any) -> Any:
    """``chart`` (an Altair chart or layer) with the German locale for axis labels and tooltips.

    Returns a new chart (``chart.configure(locale=…)``); configure it last, as Vega-Lite allows a
    configuration only on the top-level chart.
    """
    return chart.configure(locale=VEGA_LOCALE)


#: Longest measure description in a chart label (characters; longer ones end in "…").
LABEL_CHARS = 40
#: Measure lines closer than this share of the chart's time span get their numbers on separate rows.
MIN_GAP_SHARE = 0.03


def _short_name(kind: str, label: str) -> str:
    """``Behälter Torgauer Platz``, ``Polizeipräsenz (Schwerpunkteinsatz Eisenbahnstraße)``."""
    short = MEASURE_SHORT_LABELS.get(kind, KINDS[kind].label if kind in KINDS else "Maßnahme")
    label = " ".join(str(label or "").split())
    if len(label) > LABEL_CHARS:
        label = label[:LABEL_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:(") + "…"  # at a word
    if not label:
        return short
    return f"{short} {label}" if kind == DISPOSAL_BIN else f"{short} ({label})"


def mark_labels(marks: pd.DataFrame, span_days: float | None = None) -> pd.DataFrame:
    """Numbers and German labels for the measure dates of a time series chart.

    Parameters
    ----------
    marks : :func:`geo.analysis.timeseries.measure_marks` (``date``, ``what``, ``title``, ``kind``, ``label``).
    span_days : the chart's time span in days (default: from the first to the last mark, at least a year).

    Returns
    -------
    DataFrame in date order with ``Nr`` (``"1"``, ``"2"`` …), ``Datum``, ``Maßnahme`` (the full title),
    ``was`` (Beginn/Ende), ``Beschriftung`` (``1: Behälter Torgauer Platz ab 01.11.2025``; ``bis`` for an
    end, ``am`` for a one-day measure) and ``Zeile`` (0, 1, …): a number goes one row lower when an
    earlier number in its row is less than ``MIN_GAP_SHARE · span_days`` days before it, so numbers of
    close lines never overlap.
    """
    marks = marks.sort_values("date", kind="stable").reset_index(drop=True)
    dates = pd.to_datetime(marks["date"])
    if span_days is None:
        span_days = max(365.0, (dates.max() - dates.min()).days if len(dates) else 0.0)
    gap = pd.Timedelta(days=MIN_GAP_SHARE * float(span_days))
    rows: list[int] = []
    last: list[pd.Timestamp] = []  # the latest date in each row
    for d in dates:
        row = next((i for i, t in enumerate(last) if d - t >= gap), None)
        if row is None:
            row = len(last)
            last.append(d)
        last[row] = d
        rows.append(row)
    kinds = marks["kind"].astype(str) if "kind" in marks else pd.Series("", index=marks.index)
    labels = marks["label"] if "label" in marks else pd.Series("", index=marks.index)
    lasting = kinds.map(lambda k: bool(k in KINDS and KINDS[k].end_field)).to_numpy(dtype=bool)
    word = np.where(marks["what"].to_numpy() == "Ende", "bis", np.where(lasting, "ab", "am"))
    nr = [str(i + 1) for i in range(len(marks))]
    text = [f"{n}: {_short_name(k, lab)} {w} {fmt.date(d)}"
            for n, k, lab, w, d in zip(nr, kinds, labels, word, dates, strict=True)]
    return pd.DataFrame({"Nr": nr, "Datum": dates.to_numpy(), "Maßnahme": marks["title"].to_numpy(),
                         "was": marks["what"].to_numpy(), "Beschriftung": text, "Zeile": rows})


__all__ = ["LABEL_CHARS", "MIN_GAP_SHARE", "VEGA_LOCALE", "german_chart", "mark_labels"]
