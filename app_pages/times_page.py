"""Tageszeiten: when events happen (weekday × hour, aoristic) and where they repeat (concentration).

Two tabs:

* **Tageszeiten** – heat table of the sidebar's period for the whole area, a sensitive place or
  district, or a hot spot area (:mod:`geo.analysis.times`); suggested time slots for police presence
  and street work; the period compared with the one before; small multiples per sensitive place.
* **Wiederholungsorte** – share of events at the top 1/5/10 % of cells, Lorenz curve, Gini and the
  ranked repeat places with their trend (:mod:`geo.analysis.concentration`).

Only aggregates are shown, so records are read without the role's field restrictions; the public
role does not see this page. Analyses are cached on the store's content token and their parameters.
"""

from __future__ import annotations

import re

import altair as alt
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app_support import state
from app_support.htmltable import show_table
from geo.analysis.concentration import concentration_analysis
from geo.analysis.hotspot_areas import hotspot_areas
from geo.analysis.hotspots import hotspot_analysis
from geo.analysis.times import (
    WEEKDAYS,
    compare_patterns,
    records_inside,
    suggest_slots,
    tables_by_zone,
    time_table,
    timezone_of,
)
from geo.analysis.timeseries import district_zones, place_zones
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.period import Period, parse_period
from geo.core.schema import DISTRICT, KINDS, SENSITIVE_PLACE
from geo.report.charts import german_chart
from geo.report.display import german_table

_HASH = {state.Filters: lambda f: f.key()}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
WHOLE = "Gesamtgebiet"
#: The concentration measure in plain German, the technical name in brackets.
GINI_LABEL = "Ballung (Gini-Koeffizient)"
#: Most places drawn as small multiples.
MAX_MULTIPLES = 6


def records(kind: str, period: Period, filters: state.Filters):
    return state.apply_filters(state.load_records(kind, period, restricted=False), kind, filters)


# ---------------------------------------------------------------------------- cached analyses
@st.cache_data(max_entries=8, show_spinner=False)
def _zones(token: str):
    area = state.get_store().area
    places = place_zones(state.load_records(SENSITIVE_PLACE, None, restricted=False), area.crs)
    districts = district_zones(state.load_records(DISTRICT, None, restricted=False), None, area.crs)
    return places, districts


@st.cache_data(max_entries=8, show_spinner="Hotspots werden bestimmt …", hash_funcs=_HASH)
def _hotspots(token: str, filters: state.Filters, kind: str, period: str):
    rec = records(kind, parse_period(period), filters)
    area = state.get_store().area
    if not len(rec):
        return gpd.GeoDataFrame({"rank": [], "name": []}, geometry=[], crs=area.crs)
    try:
        return hotspot_areas(hotspot_analysis(rec, area, weight=KINDS[kind].weight_field).cells)
    except UserError:  # too few records for a scale: no hot spot areas to choose
        return gpd.GeoDataFrame({"rank": [], "name": []}, geometry=[], crs=area.crs)


def _zone_geometry(token: str, filters: state.Filters, kind: str, period: Period, where: str):
    if where == WHOLE:
        return None
    if where.startswith("Hotspot "):
        areas = _hotspots(token, filters, kind, str(period))
        return areas[areas["name"] == where].geometry.iloc[0]
    places, districts = _zones(token)
    both = pd.concat([places, districts], ignore_index=True)
    return both[both["zone"] == where].geometry.iloc[0]


@st.cache_data(max_entries=16, show_spinner="Tageszeiten werden berechnet …", hash_funcs=_HASH)
def _table(token: str, filters: state.Filters, kind: str, period: str, where: str):
    p = parse_period(period)
    rec = records(kind, p, filters)
    zone = _zone_geometry(token, filters, kind, p, where)
    if zone is not None:
        rec = records_inside(rec, zone)
    return time_table(rec, kind, timezone=timezone_of(state.get_store().area))


@st.cache_data(max_entries=8, show_spinner="Orte werden verglichen …", hash_funcs=_HASH)
def _multiples(token: str, filters: state.Filters, kind: str, period: str, which: str = "places"):
    """Tables of the sensitive places (``which="places"``) or of the hot spot areas, busiest first."""
    if which == "hotspots":
        zones, column = _hotspots(token, filters, kind, period).head(MAX_MULTIPLES), "name"
    else:
        zones, column = _zones(token)[0], "zone"
    if not len(zones):
        return {}
    tables = tables_by_zone(records(kind, parse_period(period), filters), kind, zones,
                            timezone=timezone_of(state.get_store().area), name=column)
    ranked = sorted(tables.items(), key=lambda kv: -kv[1].total)
    return dict(ranked[:MAX_MULTIPLES])


@st.cache_data(max_entries=8, show_spinner="Konzentration wird berechnet …", hash_funcs=_HASH)
def _concentration(token: str, filters: state.Filters, kind: str, period: str, cell: float):
    p = parse_period(period)
    area = state.get_store().area
    return concentration_analysis(records(kind, p, filters), area, date_field=KINDS[kind].date_field, period=p,
                                  cell_m=cell, named=state.load_records(SENSITIVE_PLACE, None, restricted=False),
                                  context=state.place_context(token))


# ---------------------------------------------------------------------------- charts
def _heat_data(table, share: bool) -> pd.DataFrame:
    """German columns of a heat table: ``Tag``, ``Stunde`` and ``Meldungen`` or ``Anteil (%)`` (of its total)."""
    value = "Anteil (%)" if share else "Meldungen"
    frame = table.frame()
    total = table.total
    weight = frame["weight"] / total * 100 if share and total > 0 else frame["weight"]
    return pd.DataFrame({"Tag": frame["weekday"], "Stunde": frame["hour"], value: fmt.rounded(weight, 1)})


def _heat_marks(chart: alt.Chart, value: str, row_px: int) -> alt.Chart:
    return chart.mark_rect().encode(
        x=alt.X("Stunde:O", title="Stunde"),
        y=alt.Y("Tag:O", sort=list(WEEKDAYS), title=None, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="orangered"), title=value),
        tooltip=["Tag", "Stunde", alt.Tooltip(f"{value}:Q", format=",.1~f")],  # 3 not 3,0; 2,5 stays
    ).properties(height=alt.Step(row_px))


def heat_chart(table, title: str = "", *, share: bool = False, row_px: int = 18) -> alt.Chart:
    """Weekday × hour heat table (altair rects).

    The chart's data are what "Daten anzeigen" shows: German columns only (``Tag``, ``Stunde`` and
    ``Meldungen`` or ``Anteil (%)``); tooltips in German number format, whole counts without decimals.
    Each weekday row is ``row_px`` high (a step size): a fixed total height is shared with the title and
    the axes when Streamlit fits the chart, which squeezed the rows of the small tables until the
    weekday labels overlapped.
    """
    data = _heat_data(table, share)
    chart = alt.Chart(data, title=title) if title else alt.Chart(data)
    return german_chart(_heat_marks(chart, data.columns[-1], row_px))


def multiples_chart(tables: dict, *, row_px: int = 16, hour_px: int = 15) -> alt.Chart:
    """The small heat tables of several places as one chart (one table per place, two per row): each place's
    shares of its own total, titled with its name and count. One chart instead of one per place: the browser
    draws one Vega view, the server converts one chart.

    Data columns (what "Daten anzeigen" shows): ``Ort``, ``Tag``, ``Stunde``, ``Anteil (%)``.
    """
    titles = [f"{name} ({int(round(t.total))})" for name, t in tables.items()]
    data = pd.concat([_heat_data(t, share=True).assign(Ort=title) for title, t in zip(titles, tables.values(),
                                                                                      strict=True)],
                     ignore_index=True)
    chart = _heat_marks(alt.Chart(data), "Anteil (%)", row_px).properties(width=alt.Step(hour_px))
    return german_chart(chart.facet(
        facet=alt.Facet("Ort:N", sort=titles, title=None, header=alt.Header(labelAnchor="start", labelFontSize=13,
                                                                            labelFontWeight="bold")),
        columns=2, spacing={"row": 18, "column": 40},
    ).resolve_scale(color="independent").resolve_axis(y="independent"))


def _count_text(v: float) -> str:
    """A count of reports: whole numbers without decimals (``36``); aoristic shares keep one (``2,5``)."""
    text = fmt.number(v, 1)
    return fmt.number(v) if text.endswith(",0") else text  # 2,96 → 3, never 3,0


def wide_table(table) -> pd.DataFrame:
    """The heat table as German text cells (one decimal, decimal comma): one row per hour (``0–1 Uhr`` …), one
    column per weekday – seven columns fit any page; 24 hour columns were cut off at a 1400 px wide window."""
    wide = table.wide().T
    out = wide.map(lambda v: "" if fmt.number(v, 1) == "0,0" else fmt.number(v, 1))  # rounded once, by fmt
    out.insert(0, "Uhrzeit", [f"{h}–{h + 1} Uhr" for h in range(len(out))])
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------- page
def render() -> None:
    """Draw the page."""
    picked = state.partner_page("Tageszeiten und Wiederholungsorte", "tz_kind")
    if picked is None:
        return
    store, filters, kind = picked
    sections = {"Tageszeiten": _times_tab, "Wiederholungsorte": _repeat_tab}
    tabs = st.tabs(list(sections), key="tz_tabs", on_change="rerun")
    token = store.version()
    for tab, draw in zip(tabs, sections.values(), strict=True):
        if tab.open:
            with tab:
                draw(token, filters, kind)


def _times_tab(token: str, filters: state.Filters, kind: str) -> None:
    period = filters.period
    places, districts = _zones(token)
    hot = _hotspots(token, filters, kind, str(period))
    options = [WHOLE, *hot["name"].tolist(), *places["zone"].astype(str), *districts["zone"].astype(str)]
    c1, c2, c3 = st.columns([2, 1, 1])
    where = c1.selectbox("Bereich", options, key="tz_where",
                         help="Hotspots: zusammenhängende Hotspot-Zellen (Gi*, 90 %) des Zeitraums, nach Zahl der "
                              "Meldungen nummeriert. Sensible Orte mit ihrem Schutzabstand.")
    k = int(c2.number_input("Zeitblöcke", 1, 24, 8, key="tz_k"))
    block = int(c3.selectbox("Blocklänge (Stunden)", [1, 2, 3, 4], index=1, key="tz_block"))
    table = _table(token, filters, kind, str(period), where)
    label = KINDS[kind].label_plural
    st.caption(f"{period.label()} · {where}. {table.summary()}. Uhrzeiten in Ortszeit ({table.timezone}); "
               "Meldungen mit Zeitfenster sind anteilig auf die möglichen Stunden verteilt (aoristisch).")
    if table.total <= 0:
        st.info(f"Keine {label} mit Uhrzeit in diesem Bereich und Zeitraum.")
        return
    where_text = "" if where == WHOLE else (f"im {where}" if where.startswith("Hotspot ") else f"bei {where}")
    slots = suggest_slots(table, k=k, block_hours=block, where=where_text)
    st.markdown(f"**Vorschlag für Präsenz und Streetwork:** {state_escape(slots.sentence)}")
    st.altair_chart(heat_chart(table), width="stretch")
    if table.n_date_only:
        days = " · ".join(f"{d}: {int(v)}" for d, v in zip(WEEKDAYS, table.date_only, strict=True))
        st.caption(f"Nur mit Datum gemeldet (nicht in der Tabelle, nicht um 0 Uhr): {days}")
    left, right = st.columns([1, 1.3])
    with left:
        st.markdown("**Vorgeschlagene Zeitblöcke**")
        show_table(pd.DataFrame({
            "Tag": slots.blocks["day"],
            "Zeit": [f"{a}–{b} Uhr" for a, b in zip(slots.blocks["start_hour"], slots.blocks["end_hour"],
                                                    strict=True)],
            label: slots.blocks["weight"].map(_count_text),
            "Anteil": slots.blocks["share"].map(lambda v: fmt.percent(v, 1)),
        }), numeric={label, "Anteil"}, name="slots")
    with right:
        prev = filters.previous
        before = _table(token, filters, kind, str(prev), where)
        cmp = compare_patterns(before, table)
        st.markdown(f"**Vergleich mit {prev.label()}**")
        st.caption(state_escape(cmp.sentence("dem Vorzeitraum", "dem gewählten Zeitraum")))
        hours = cmp.hours.melt(id_vars="hour", value_vars=["share_a", "share_b"], var_name="Zeitraum",
                               value_name="Anteil (%)").rename(columns={"hour": "Stunde"})
        hours["Zeitraum"] = hours["Zeitraum"].map({"share_a": "Vorzeitraum", "share_b": "gewählter Zeitraum"})
        hours["Anteil (%)"] = fmt.rounded(100 * hours["Anteil (%)"], 1)
        st.altair_chart(german_chart(alt.Chart(hours).mark_line(point=True).encode(
            x=alt.X("Stunde:O", title="Stunde"), y=alt.Y("Anteil (%):Q", title="Anteil (%)"),
            color=alt.Color("Zeitraum:N", legend=alt.Legend(orient="bottom")),
            tooltip=["Zeitraum", "Stunde", alt.Tooltip("Anteil (%):Q", format=",.1~f")],
        ).properties(height=340)), width="stretch")  # the height includes axis and legend: ~180 px of plot
    with st.expander("Tabelle (Stunde × Wochentag)"):
        shown = wide_table(table)
        show_table(shown, numeric=set(shown.columns[1:]), name="hours")
    st.subheader("Orte im Vergleich")
    which = st.radio("Kleine Tabellen je", ["places", "hotspots"], horizontal=True, key="tz_multiples",
                     format_func={"places": "sensiblem Ort", "hotspots": "Hotspot"}.get)
    multiples = _multiples(token, filters, kind, str(period), which)
    shown = {n: t for n, t in multiples.items() if t.total > 0}
    if not shown:
        st.caption("Keine Meldungen mit Uhrzeit an diesen Orten.")
        return
    st.altair_chart(multiples_chart(shown), width="content")
    st.caption("Anteile je Ort (jede Tabelle für sich); sensible Orte mit ihrem Schutzabstand, die Orte mit den "
               "meisten Meldungen zuerst.")


def state_escape(text: object) -> str:
    """Escape a sentence with names from the data for Streamlit markdown (no links or formatting from data)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _repeat_tab(token: str, filters: state.Filters, kind: str) -> None:
    period = filters.period
    cell = float(st.number_input("Zellgröße (m)", 25, 500, 100, step=25, key="rp_cell"))
    res = _concentration(token, filters, kind, str(period), cell)
    label = KINDS[kind].label_plural
    if res.n_events == 0:
        st.info(f"Keine {label} im Zeitraum.")
        return
    m = st.columns(5)
    for col, (share, value) in zip(m, res.top_shares.items(), strict=False):
        col.metric(f"Top {100 * share:.0f} % der Zellen", fmt.percent(value), help=f"Anteil der {label}")
    m[3].metric("Zellen mit der Hälfte", fmt.percent(res.half, 1),
                help=f"So wenige Zellen (Anteil an allen Zellen) tragen die Hälfte der {label}.")
    gini_help = ("Wie stark ballen sich die Meldungen auf wenige Zellen? 0 = gleichmäßig verteilt, "
                 "1 = alles an einem Ort.")
    if res.gini_generalised != res.gini and np.isfinite(res.gini_generalised):
        g_gen = fmt.number(res.gini_generalised, 2)
        gini_help += (f" Weniger {label} als Zellen: gemessen an der gleichmäßigsten möglichen Verteilung "
                      f"(Bernasco & Steenbeek 2017) {g_gen}.")
    m[4].metric(GINI_LABEL, fmt.number(res.gini, 2), help=gini_help)
    counted = (f"{fmt.number(res.n_events)} {label}" if not res.n_left_out else
               f"{fmt.number(res.n_events)} der {fmt.number(res.n_events + res.n_left_out)} {label} "
               f"({fmt.number(res.n_left_out)} außerhalb des Gebiets)")
    st.caption(f"{period.label()}: {counted} auf {fmt.number(len(res.counts))} Zellen ({fmt.metres(cell)}). "
               "Wenige Orte mit vielen Meldungen: dort wirken Maßnahmen am meisten.")
    left, right = st.columns([1, 1.4])
    with left:
        x, y = res.lorenz
        step = max(1, len(x) // 400)
        curve = pd.DataFrame({"Anteil der Zellen (%)": 100 * x[::step], "Anteil der Meldungen (%)": 100 * y[::step]})
        diag = pd.DataFrame({"Anteil der Zellen (%)": [0, 100], "Anteil der Meldungen (%)": [0, 100]})
        st.altair_chart(german_chart(alt.layer(
            alt.Chart(curve).mark_line(color="#c62828").encode(x="Anteil der Zellen (%):Q",
                                                               y="Anteil der Meldungen (%):Q"),
            alt.Chart(diag).mark_line(strokeDash=[4, 3], color="#888").encode(x="Anteil der Zellen (%):Q",
                                                                              y="Anteil der Meldungen (%):Q"),
        ).properties(title="Lorenzkurve", height=300)), width="stretch")
    with right:
        places = res.repeat_places()
        st.markdown(f"**Wiederholungsorte** ({fmt.number(len(places))} Zellen, in denen es mindestens 2 {label} "
                    "gab)")
        top = places.head(30)
        shown = pd.DataFrame({
            "Rang": top["rank"], "in der Nähe von": top["name"].astype(str),
            label: top["count"].astype(int), "Anteil": top["share"].map(lambda v: fmt.percent(v, 1)),
            "1. Hälfte": top["count_first"].astype(int), "2. Hälfte": top["count_second"].astype(int),
            "Trend": top["trend"],
        })
        show_table(german_table(shown), numeric={"Rang", label, "Anteil", "1. Hälfte", "2. Hälfte"},
                   name="repeat_places")
        st.caption("Trend: erste gegen zweite Hälfte des Zeitraums, exakter Test (5 %).")
