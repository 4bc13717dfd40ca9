"""German axes for the app's Vega-Lite (Altair) charts: month names, weekday names, decimal comma.

Vega-Lite formats axis labels with d3's locale, English by default ("April, July, October",
"1,234.5"). :data:`VEGA_LOCALE` is d3's German locale (``de-DE``) as Vega-Lite's ``config.locale``
expects it; :func:`german_chart` puts it into a chart. Nothing here imports Altair: the function
only calls the chart's own ``configure`` method.
"""

from __future__ import annotations

from typing import Any

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


__all__ = ["VEGA_LOCALE", "german_chart"]
