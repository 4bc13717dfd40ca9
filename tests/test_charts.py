"""German locale of the Vega-Lite charts (geo.report.charts)."""

from __future__ import annotations

from datetime import date

import altair as alt
import geopandas as gpd
import pandas as pd
import shapely

from geo.core.area import DEFAULT_CRS as CRS
from geo.report.charts import VEGA_LOCALE, german_chart, mark_labels


def test_chart_spec_carries_german_months_and_decimal_comma():
    data = pd.DataFrame({"Monat": pd.to_datetime(["2026-04-01", "2026-07-01", "2026-10-01"]), "n": [1.5, 2, 3]})
    chart = german_chart(alt.layer(alt.Chart(data).mark_line().encode(x="Monat:T", y="n:Q")))
    spec = chart.to_dict()
    locale = spec["config"]["locale"]
    assert locale["time"]["months"][9] == "Oktober"
    assert locale["time"]["shortMonths"][2] == "Mrz"
    assert locale["number"]["decimal"] == "," and locale["number"]["thousands"] == "."
    assert locale == VEGA_LOCALE


def _marks() -> pd.DataFrame:
    """Measure dates as geo.analysis.timeseries.measure_marks gives them: two close (a bin removed on 30.06.,
    street work starting 01.07.), one far."""
    from geo.analysis.timeseries import measure_marks, measure_table
    from geo.core.period import Period

    bins = gpd.GeoDataFrame({"installed_at": pd.to_datetime(["2022-04-01", "2025-11-01"]),
                             "removed_at": pd.to_datetime(["2025-06-30", None]),
                             "label": ["Lene-Voigt-Park", "Torgauer Platz"]},
                            geometry=[shapely.Point(0, 0), shapely.Point(1, 0)], crs=CRS)
    work = gpd.GeoDataFrame({"start": pd.to_datetime(["2025-07-01"]), "end": pd.to_datetime(["2025-08-31"]),
                             "description": ["Aufsuchende Sozialarbeit, zwei Termine pro Woche am Rabet"]},
                            geometry=[shapely.Point(2, 0)], crs=CRS)
    table = measure_table({"disposal_bin": bins, "streetwork": work}, CRS)
    return measure_marks(table, Period(date(2024, 11, 1), date(2026, 10, 31)))


def test_mark_labels_number_and_name_every_measure_line_in_german():
    labels = mark_labels(_marks(), span_days=730)
    assert labels["Beschriftung"].tolist() == [
        "1: Behälter Lene-Voigt-Park bis 30.06.2025",
        "2: Streetwork (Aufsuchende Sozialarbeit, zwei Termine…) ab 01.07.2025",
        "3: Streetwork (Aufsuchende Sozialarbeit, zwei Termine…) bis 31.08.2025",
        "4: Behälter Torgauer Platz ab 01.11.2025",
    ]
    assert labels["Nr"].tolist() == ["1", "2", "3", "4"]
    # 1 day apart (< 3 % of two years): the second number goes one row lower; 2 months apart: back to the top
    assert labels["Zeile"].tolist() == [0, 1, 0, 0]
    assert labels["Maßnahme"].iloc[0] == "Spritzenentsorgungsbehälter: Lene-Voigt-Park (ab 01.04.2022)"
    cut = mark_labels(_marks().assign(kind="greenery_cut", what="Beginn").iloc[:1], span_days=730)
    assert cut["Beschriftung"].iloc[0] == "1: Grünrückschnitt (Lene-Voigt-Park) am 30.06.2025"  # one day: »am«


def test_time_series_chart_names_its_measure_lines():
    """Issue 17: the Zeitreihen drew dashed lines nobody could tell apart. Each line now has its number at the
    top and the legend »Maßnahmen« names it with its date."""
    from app_pages.compare import _chart

    months = pd.date_range("2024-11-01", "2026-10-01", freq="MS")
    series = pd.DataFrame({"zone": "Spielplatz Rabet", "month": months, "count": range(len(months))})
    spec = _chart(series, _marks()).to_dict()
    layers = spec["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["line", "rule", "text"]
    rules, numbers = layers[1], layers[2]
    legend = rules["encoding"]["color"]
    assert legend["legend"]["title"] == "Maßnahmen (gestrichelt)"
    assert legend["scale"]["domain"][0] == "1: Behälter Lene-Voigt-Park bis 30.06.2025"
    assert len(legend["scale"]["domain"]) == 4
    assert numbers["encoding"]["text"]["field"] == "Nr"
    data = spec["datasets"][rules["data"]["name"]]
    assert [row["Nr"] for row in data] == ["1", "2", "3", "4"]
    assert spec["resolve"]["scale"]["color"] == "independent"  # the areas keep their own colour legend
    # areas above, measures below (side by side the second legend was cut off in a narrow column); the height
    # grows with the legends' lines so the plot keeps its size; every month label with its year
    assert (layers[0]["encoding"]["color"]["legend"]["orient"], legend["legend"]["orient"]) == ("top", "bottom")
    assert spec["height"] > _chart(series.iloc[:0], _marks().iloc[:1]).to_dict()["height"]
    assert layers[0]["encoding"]["x"]["axis"]["format"] == "%b %Y"
