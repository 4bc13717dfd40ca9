"""German locale of the Vega-Lite charts (geo.report.charts)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from geo.report.charts import VEGA_LOCALE, german_chart


def test_chart_spec_carries_german_months_and_decimal_comma():
    data = pd.DataFrame({"Monat": pd.to_datetime(["2026-04-01", "2026-07-01", "2026-10-01"]), "n": [1.5, 2, 3]})
    chart = german_chart(alt.layer(alt.Chart(data).mark_line().encode(x="Monat:T", y="n:Q")))
    spec = chart.to_dict()
    locale = spec["config"]["locale"]
    assert locale["time"]["months"][9] == "Oktober"
    assert locale["time"]["shortMonths"][2] == "Mrz"
    assert locale["number"]["decimal"] == "," and locale["number"]["thousands"] == "."
    assert locale == VEGA_LOCALE
