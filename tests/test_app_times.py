"""The Tageszeiten page (app_pages/times_page.py) in Streamlit's AppTest on the demo store."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit.testing.v1")

from tests.apptables import html_tables  # noqa: E402


def _page():  # the script AppTest runs
    from app_pages import times_page
    from app_support import state

    state.sidebar_filters()
    times_page.render()


@pytest.fixture
def app(run_page):
    return lambda role="analyse": run_page(_page, role)


def test_times_tab_shows_slots_and_comparison(app):
    at = app()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [t.label for t in at.tabs] == ["Tageszeiten", "Wiederholungsorte"]
    text = " ".join(m.value for m in at.markdown)
    assert "Vorschlag für Präsenz und Streetwork:" in text and "Uhr" in text
    assert any("Vergleich mit" in m.value for m in at.markdown)
    where = at.selectbox(key="tz_where")
    assert "Gesamtgebiet" in where.options and "Hotspot 1" in where.options
    assert "Stadtteilpark Rabet" in where.options
    # a sensitive place: the sentence names it
    where.set_value("Stadtteilpark Rabet").run()
    assert not at.exception, at.exception
    assert any("bei Stadtteilpark Rabet" in m.value for m in at.markdown)
    at.radio(key="tz_multiples").set_value("hotspots").run()
    assert not at.exception, at.exception


def test_repeat_places_tab(app):
    at = app()
    at.session_state["tz_tabs"] = "Wiederholungsorte"
    at.run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "Ballung (Gini-Koeffizient)" in labels and "Top 5 % der Zellen" in labels
    places = html_tables(at)["repeat_places"]  # a wrapping HTML table: all columns readable in a narrow column
    assert list(places.columns) == ["Rang", "in der Nähe von", "Spritzenfunde", "Anteil", "1. Hälfte", "2. Hälfte",
                                    "Trend"]
    assert places["Rang"].tolist()[:3] == ["1", "2", "3"]
    # issue 17: German thousands, and the finds outside the area said so the total agrees with the Lagekarte
    caption = next(c.value for c in at.caption if "Zellen (100 m)" in c.value)
    assert "634 der 637 Spritzenfunde (3 außerhalb des Gebiets) auf 1.476 Zellen (100 m)." in caption
    assert any(m.value.startswith("**Wiederholungsorte** (62 Zellen, in denen es mindestens 2 Spritzenfunde gab)")
               for m in at.markdown)


def test_hour_table_has_a_row_per_hour_and_a_column_per_weekday(app):
    """24 hour columns were cut off at a 1400 px wide window (issue 17): the table stands on its side now."""
    at = app()
    assert not at.exception, at.exception
    hours = html_tables(at)["hours"]
    assert list(hours.columns) == ["Uhrzeit", "Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    assert hours["Uhrzeit"].tolist()[:2] == ["0–1 Uhr", "1–2 Uhr"] and len(hours) == 24
    cells = hours.drop(columns="Uhrzeit").stack()
    assert cells.str.fullmatch(r"(\d+,\d)?").all() and (cells != "").any()  # empty: none in that hour


def test_public_role_sees_no_analysis(app):
    at = app("oeffentlich")
    assert not at.exception
    assert [i.value for i in at.info] == ["Diese Seite steht nur den Partnern des Drogenrapports zur Verfügung."]


def _chart_columns(at) -> list[set[str]]:
    """Per Vega-Lite chart on the page: the columns of its data (what "Daten anzeigen" shows)."""
    import io

    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        cols: set[str] = set()
        tables = [chart.proto.data] if chart.proto.HasField("data") else []
        tables += [d.data for d in chart.proto.datasets]
        for t in tables:
            if t.data:
                cols |= set(pa.ipc.open_stream(io.BytesIO(t.data)).read_all().column_names)
        out.append(cols - {"__index__", "index"} - {c for c in cols if c.startswith("__index_level")})
    return out


def test_charts_carry_german_data_and_whole_counts(app):
    """'Daten anzeigen' on a chart shows its data: German column names only (not ``weight``, ``hour``,
    ``Wert (de)``); the suggested time blocks count whole finds (``36``, not ``36,0``)."""
    at = app()
    assert not at.exception, at.exception
    charts = _chart_columns(at)
    assert len(charts) == 3, charts  # the heat table, the comparison by hour, the small tables per place
    assert charts[0] == {"Tag", "Stunde", "Meldungen"}, charts[0]
    assert {"Stunde", "Zeitraum", "Anteil (%)"} == charts[1], charts[1]
    assert charts[2] == {"Ort", "Tag", "Stunde", "Anteil (%)"}, charts[2]
    blocks = html_tables(at)["slots"]
    counts = blocks["Spritzenfunde"].astype(str)
    assert counts.str.fullmatch(r"\d+(,\d)?").all() and not counts.str.endswith(",0").any(), counts.tolist()


def test_heat_tables_give_each_weekday_a_fixed_row_height(app):
    """A fixed total height was shared with the title and axes when Streamlit fits a chart: the small
    tables' rows shrank until the weekday labels (Mo … So) overlapped. Rows have a step height now."""
    import json

    at = app()
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    specs += [s["spec"] for s in specs if "facet" in s]  # the small tables: one table per place
    heat = [s for s in specs if s.get("mark", {}).get("type") == "rect"]
    assert len(heat) == 2, len(specs)
    assert all(s["height"] == {"step": s["height"]["step"]} and s["height"]["step"] >= 16 for s in heat), \
        [s.get("height") for s in heat]


def test_small_tables_are_one_chart_with_a_table_per_place_busiest_first(app):
    """The places' small heat tables are one faceted chart: one table per place (name and count as its title,
    busiest first), each place's shares of its own total."""
    import io
    import json
    import re

    import pyarrow as pa

    at = app()
    assert not at.exception, at.exception
    (chart,) = [c for c in at.get("vega_lite_chart") if "facet" in json.loads(c.proto.spec)]
    spec = json.loads(chart.proto.spec)
    titles = spec["facet"]["sort"]
    assert spec["columns"] == 2 and 2 <= len(titles) <= 6, titles
    counts = [int(re.fullmatch(r".+ \((\d+)\)", t).group(1)) for t in titles]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 0, titles
    data = pa.ipc.open_stream(io.BytesIO(chart.proto.datasets[0].data.data)).read_all().to_pandas()
    assert set(data["Ort"]) == set(titles)
    sums = data.groupby("Ort")["Anteil (%)"].sum()
    assert ((sums - 100).abs() < 2).all(), sums  # each share rounded to 0.1
