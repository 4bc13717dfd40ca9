"""Vergleich: two periods side by side, change map, emerging hot spots, measures, forecast, time series.

All numbers follow the sidebar's filters (kinds, complaint categories, sources); period B
defaults to the sidebar's period and A to the period of equal length before it. Only
aggregates are shown (cells, zones, counts), so records are read without the role's field
restrictions; the public role does not see this page. Heavy computations are cached on
the store's content token and their parameters.
"""

from __future__ import annotations

import os
import re

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_support import mapdata, state
from app_support.foliumcache import MapPayload, build_payload, show_map
from app_support.hotspottable import show_hotspots
from app_support.htmltable import show_table
from geo.analysis.compare import (
    DEFAULT_CELL_M,
    analysis_grid,
    change_summary,
    compare_periods,
    prediction_series,
    zone_comparison,
)
from geo.analysis.emerging import NO_PATTERN, PATTERNS, emerging_hotspots
from geo.analysis.evaluate import (
    CONTROLS,
    DEFAULT_BUFFER_M,
    DEFAULT_CONTROL_WIDTH_M,
    DEFAULT_WINDOW_DAYS,
    VERDICTS,
    evaluate_measure,
    evaluate_measures,
)
from geo.analysis.timeseries import (
    district_zones,
    measure_marks,
    measure_table,
    measure_zones,
    monthly_series,
    place_zones,
    slice_periods,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.period import Period, picked_period
from geo.core.schema import (
    CHANGE_CLASSES,
    DISPOSAL_BIN,
    DISTRICT,
    KINDS,
    MEASURE_KINDS,
    MEASURE_MARK_COLOUR,
    MEASURE_RADIUS_M,
    REPORT_KINDS,
    SENSITIVE_PLACE,
)
from geo.report.charts import german_chart, mark_labels
from geo.report.display import german_table
from geo.report.keychanges import CELL_TEST_HELP, CELLS_DOWN, CELLS_UP, count_change
from geo.report.verdicts import OVERVIEW_HELP, measures_overview_table, sensitivity_table
from geo.report.verdicts import RATIO_COLUMN as DID_LABEL
from geo.report.verdicts import WDQ_COLUMN as WDQ_LABEL
from layers.basemap import TILES_ENV
from layers.compare import (
    RATIO_LABEL,
    areas_layer,
    change_layer,
    count_breaks,
    count_layer,
    count_legend_items,
    emerging_layer,
    emerging_legend_items,
    legend_html,
    period_map,
)
from layers.map import frame_bounds

MAP_HEIGHT = 430
#: Plain headings of the per-place comparison (the method's terms stay in their tooltips).
RATIO_COLUMN = RATIO_LABEL
SURE_COLUMN = "Veränderung gesichert?"
ZONE_HELP = {
    RATIO_COLUMN: "Meldungen je Tag in B geteilt durch Meldungen je Tag in A: 2 = doppelt so viele, "
                  "0,5 = halb so viele (Ratenverhältnis B/A).",
    SURE_COLUMN: "»ja«, wenn eine so große Veränderung kaum Zufall sein kann. In Klammern die "
                 "Zufallswahrscheinlichkeit p (korrigiert für die vielen Orte, FDR nach Benjamini-Hochberg); "
                 "gesichert heißt p höchstens 0,05.",
}
#: Plain headings of the forecast check (technical terms in the tooltips and the sentence above the table).
PAI_COLUMN = "besser als Zufall (PAI)"
RRI_COLUMN = "Stabilität"
FORECAST_HELP = {
    PAI_COLUMN: "Wie viel mehr Meldungen die vorhergesagten Zellen treffen als gleich viel Fläche im Zufall: "
                "über 1 = besser als zufällig (PAI = Trefferquote / Flächenanteil).",
    "± Streuung": "Wie stark dieser Wert von Zeitraum zu Zeitraum schwankt (Standardabweichung).",
    RRI_COLUMN: "Wie ähnlich die Karte von Zeitraum zu Zeitraum bleibt: 1 = gleich (Recapture Rate Index, RRI).",
}
#: The coupled maps' channel (``LB.syncView`` makes it one per browser tab).
SYNC_CHANNEL = "vergleich"
_HASH = {state.Filters: lambda f: f.key()}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


# ---------------------------------------------------------------------------- helpers
def md(text: object) -> str:
    """Escape a data text for Streamlit markdown (no links, images or formatting from data)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def de(v: float, digits: int = 2) -> str:
    """German number (``0,49``); ``–`` for missing values."""
    return fmt.number(v, digits)


def records(kind: str, period: Period | None, filters: state.Filters, *, spatial: bool = True) -> gpd.GeoDataFrame:
    """Records of ``kind`` (all dates when ``period`` is None) after the sidebar filters; with ``spatial``
    only those fit for spatial statistics (Sammelpunkte only with the sidebar's switch). Time series keep all."""
    rows = state.apply_filters(state.load_records(kind, period, restricted=False), kind, filters)
    return state.spatial(rows, filters) if spatial else rows


def _store_frames(kinds) -> dict[str, gpd.GeoDataFrame]:
    return {k: state.load_records(k, None, restricted=False) for k in kinds}


@st.cache_data(max_entries=8, show_spinner=False)
def _measures(token: str) -> gpd.GeoDataFrame:
    return measure_table(_store_frames(MEASURE_KINDS), state.get_store().area.crs)


@st.cache_data(max_entries=8, show_spinner=False)
def _zones(token: str) -> dict[str, gpd.GeoDataFrame]:
    area = state.get_store().area
    frames = _store_frames((SENSITIVE_PLACE, DISTRICT))
    return {"Sensible Orte": place_zones(frames[SENSITIVE_PLACE], area.crs),
            KINDS[DISTRICT].label_plural: district_zones(frames[DISTRICT], area)}


@st.cache_resource(max_entries=16, show_spinner="Karten werden vorbereitet …", hash_funcs=_HASH)
def _period_maps(token: str, filters: state.Filters, kind: str, a: str, b: str, cell: float, coupled: bool,
                 asset_base: str, tiles: str) -> tuple[MapPayload, MapPayload, MapPayload]:
    """The maps A, B and A → B of the Zeiträume tab as streamlit-folium's arguments (:mod:`app_support.foliumcache`),
    built once per store content, filters and settings and shared by every session (the served assets' address and
    the tile setting are named in the maps' scripts).

    No map reports anything back (``returned_objects=[]``): a map that reports its view reruns the whole page ~3 s
    after it loaded, and a click in the navigation during that rerun is lost. Coupled maps (``coupled``) follow each
    other in the browser instead, on a channel of their browser tab (``LB.syncView``).
    """
    from geo.core.period import parse_period

    pa, pb = parse_period(a), parse_period(b)
    cells = comparison(token, filters, kind, a, b, cell, "hex")[0]
    area = state.get_store().area
    breaks = count_breaks(cells["count_a"], cells["count_b"])
    legend = legend_html(f"{KINDS[kind].label_plural} je Zelle", count_legend_items(breaks))
    base = state.base_layers(token)
    busy = cells[(cells["count_a"].to_numpy() + cells["count_b"].to_numpy()) > 0].geometry  # legend away
    fit = frame_bounds(cells[(cells["count_a"].to_numpy() > 0) | (cells["count_b"].to_numpy() > 0)])
    channel = SYNC_CHANNEL if coupled else None
    maps = [period_map(area, [count_layer(cells, column, f"{name}: {p.label()}", breaks)], legend,
                       asset_base=asset_base, base=base, fit=fit, data=busy, sync=channel)
            for column, name, p in (("count_a", "A", pa), ("count_b", "B", pb))]
    maps.append(period_map(area, [change_layer(cells)],
                           legend_html("Veränderung", [(lab, col) for lab, col in CHANGE_CLASSES.values()]),
                           asset_base=asset_base, base=base, fit=fit, data=busy))
    keys, heights = ("cmp_map_a", "cmp_map_b", "cmp_change"), (MAP_HEIGHT, MAP_HEIGHT, MAP_HEIGHT + 60)
    map_a, map_b, change = (build_payload(m, key=k, height=h, returned_objects=[])
                            for m, k, h in zip(maps, keys, heights, strict=True))
    return map_a, map_b, change


# ---------------------------------------------------------------------------- cached analyses
@st.cache_data(max_entries=16, show_spinner="Zeiträume werden verglichen …", hash_funcs=_HASH)
def comparison(token: str, filters: state.Filters, kind: str, a: str, b: str, cell: float, shape: str):
    """Cells of the comparison and the change per sensitive place / district."""
    from geo.core.period import parse_period

    pa, pb = parse_period(a), parse_period(b)
    rec_a, rec_b = records(kind, pa, filters), records(kind, pb, filters)
    grid, note = analysis_grid([rec_a, rec_b], state.get_store().area, shape=shape, cell=cell)
    cells = compare_periods(rec_a, rec_b, pa, pb, grid)
    zones = {name: zone_comparison(z, rec_a, rec_b, pa, pb) for name, z in _zones(token).items() if len(z)}
    return cells, zones, note, (len(rec_a), len(rec_b))


@st.cache_data(max_entries=8, show_spinner="Trends der Hotspots werden berechnet …", hash_funcs=_HASH)
def emerging(token: str, filters: state.Filters, kind: str, period: str, slice_months: int, cell: float | None):
    from geo.core.period import parse_period

    p = parse_period(period)
    return emerging_hotspots(records(kind, p, filters), kind, p, state.get_store().area,
                             slice_months=slice_months, cell=cell)


@st.cache_data(max_entries=8, show_spinner="Maßnahmen werden ausgewertet …", hash_funcs=_HASH)
def measure_overview(token: str, filters: state.Filters, kind: str, options: tuple) -> pd.DataFrame:
    return evaluate_measures(_measures(token), records(kind, None, filters), kind, state.get_store().area,
                             **dict(options))


@st.cache_data(max_entries=8, show_spinner="Prognose wird rückblickend geprüft …", hash_funcs=_HASH)
def forecast_result(token: str, filters: state.Filters, kind: str, period: str, share: float, cell: float):
    """:func:`geo.analysis.forecast.forecast` on all filtered records of ``kind`` up to the period's end."""
    from geo.analysis.forecast import forecast
    from geo.core.period import parse_period

    return forecast(records(kind, None, filters), kind, state.get_store().area, parse_period(period),
                    share=share, cell=cell)


@st.cache_data(max_entries=8, show_spinner="Vorhersagegüte wird berechnet …", hash_funcs=_HASH)
def prediction(token: str, filters: state.Filters, kind: str, periods: tuple[str, ...], cell: float):
    from geo.core.period import parse_period

    ps = [parse_period(p) for p in periods]
    span = Period(ps[0].start, ps[-1].end)
    rec = records(kind, span, filters)
    grid, _ = analysis_grid([rec], state.get_store().area, cell=cell)
    return prediction_series(rec, KINDS[kind].date_field, ps, grid)


# ---------------------------------------------------------------------------- page
def render() -> None:
    """Draw the Vergleich page."""
    picked = state.partner_page("Vergleich", "cmp_kind")
    if picked is None:
        return
    store, filters, kind = picked
    state.stacks_caption(kind, filters)
    # lazy tabs: only the open tab computes (each analysis takes seconds on a cold cache)
    sections = {"Zeiträume": _periods_tab, "Trend der Hotspots": _emerging_tab, "Maßnahmen": _measures_tab,
                "Prognose": _forecast_tab, "Zeitreihen": _series_tab}
    tabs = st.tabs(list(sections), key="cmp_tabs", on_change="rerun")
    token = store.version()
    for tab, draw in zip(tabs, sections.values(), strict=True):
        if tab.open:
            with tab:
                draw(token, filters, kind)


def _period_input(label: str, default: Period, key: str) -> Period | None:
    """A period as two date fields; ``None`` (with a German message under them) while it is reversed.

    Two fields, not a range field: a range field keeps a reversed range in the browser and the
    page would silently stay on the old period.
    """
    st.markdown(f"**{label}**")
    left, right = st.columns(2)
    start = left.date_input("von", value=default.start, key=f"{key}_from", format="DD.MM.YYYY")
    end = right.date_input("bis", value=default.end, key=f"{key}_to", format="DD.MM.YYYY")
    try:
        return picked_period((start, end))
    except UserError as exc:
        st.error(str(exc))
        return None


def _periods_tab(token: str, filters: state.Filters, kind: str) -> None:
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    with c1:
        a = _period_input("Zeitraum A (vorher)", filters.previous, "cmp_a")
    with c2:
        b = _period_input("Zeitraum B (nachher)", filters.period, "cmp_b")
    with c3:
        cell = st.number_input("Zellgröße (m)", 50, 1000, int(DEFAULT_CELL_M), step=25, key="cmp_cell")
    with c4:
        sync = st.toggle("Karten koppeln", value=True, key="cmp_sync",
                         help="Verschieben oder Zoomen einer Karte bewegt die andere mit.")
    if a is None or b is None:
        st.info("Der Vergleich erscheint, sobald beide Zeiträume vollständig und gültig sind.")
        return
    cells, zones, note, (n_a, n_b) = comparison(token, filters, kind, str(a), str(b), float(cell), "hex")
    counts = change_summary(cells)
    m1, m2, m3, m4 = st.columns(4)
    change = count_change(n_b, n_a, b.days, a.days)  # the Lagekarte's test and arrows
    m1.metric(f"A: {a.label()}", fmt.number(n_a), help=f"{a.days} Tage")
    m2.metric(f"B: {b.label()}", fmt.number(n_b), help=f"{b.days} Tage. {change.explanation}",
              delta=change.text, delta_color="inverse" if change.arrow else "off",
              delta_arrow="auto" if change.arrow else "off", delta_description=change.verdict or None)
    m3.metric(CELLS_UP, fmt.number(counts[1]), help=CELL_TEST_HELP)
    m4.metric(CELLS_DOWN, fmt.number(counts[-1]), help=CELL_TEST_HELP)
    st.caption(f"{note} Raten je Tag, wenn die Zeiträume verschieden lang sind. Als Zu- oder Abnahme zählt eine "
               "Zelle nur, wenn die Veränderung in ihr allein kaum Zufall sein kann (exakter Test je Zelle, "
               "FDR-korrigiert nach Benjamini-Hochberg, 5 %); ganze Hotspots: Tabelle »Hotspots« unten.")

    map_a, map_b, change_map = _period_maps(token, filters, kind, str(a), str(b), float(cell), sync,
                                            state.asset_base(), os.environ.get(TILES_ENV, ""))
    for col, payload in zip(st.columns(2), (map_a, map_b), strict=True):
        with col:
            show_map(payload)
    st.subheader("Veränderung A → B")
    show_map(change_map)
    st.markdown("**Hotspots**")  # the Lagekarte's Top-Hotspots in A and B: the same areas, names and test
    show_hotspots(mapdata.hotspots_between(token, filters, kind, str(a), str(b)), kind, b.days, a.days,
                  name="compare_hotspots", caption=f"Die Top-Hotspots der Lagekarte ({filters.period.label()}): "
                  f"{KINDS[kind].label_plural} in B, Veränderung gegenüber A, getestet über die ganze Hotspot-"
                  "Fläche: so kann eine Abnahme hier gesichert sein, auch wenn sie es in keiner Zelle ist.")
    for name, table in zones.items():  # static tables: the page loads no data grid (≈ 0.4 s on its first visit)
        st.markdown(f"**{name}**")
        show_table(_zone_table(table), numeric={"A", "B", RATIO_COLUMN}, name=f"zones: {name}", titles=ZONE_HELP)


def _zone_table(table: pd.DataFrame) -> pd.DataFrame:
    sure = [f"{'ja' if c != 0 else 'nein'} (p {'' if fmt.p_value(p).startswith('<') else '= '}{fmt.p_value(p)})"
            if pd.notna(p) else "–" for p, c in zip(table["p_fdr"], table["change_class"], strict=True)]
    return german_table(pd.DataFrame({
        "Ort": table["zone"], "A": table["count_a"], "B": table["count_b"],
        RATIO_COLUMN: table["rate_ratio"], SURE_COLUMN: sure,
        "Einordnung": table["change_class"].map(lambda c: CHANGE_CLASSES[int(c)][0]),
    }))


def _column_help(help_texts: dict[str, str]) -> dict[str, st.column_config.Column]:
    """Tooltips on the headings of ``st.dataframe``: the plain heading's meaning and the method's term."""
    return {c: st.column_config.Column(help=h) for c, h in help_texts.items()}


def _emerging_tab(token: str, filters: state.Filters, kind: str) -> None:
    c1, c2, c3 = st.columns(3)
    end = filters.period.end
    with c1:
        months = st.select_slider("Monate bis Ende des gewählten Zeitraums", [6, 12, 18, 24], value=12,
                                  key="em_months")
    with c2:
        step = st.radio("Zeitabschnitt", [1, 2], format_func=lambda m: "Monat" if m == 1 else "Doppelmonat",
                        horizontal=True, key="em_step")
    with c3:
        auto = st.toggle("Zellgröße automatisch", value=True, key="em_auto")
        cell = None if auto else float(st.number_input("Zellgröße (m)", 50, 1000, 150, step=25, key="em_cell"))
    first = (pd.Timestamp(end) + pd.Timedelta(days=1) - pd.DateOffset(months=months)).date()
    period = Period(first, end)
    result = emerging(token, filters, kind, str(period), step, cell)
    st.caption(f"{period.label()}, {len(result.slices)} Abschnitte. Je Abschnitt werden die statistisch gesicherten "
               "Häufungen bestimmt, dann je Zelle, ob ihre Häufung über die Abschnitte zu- oder abnimmt. "
               f"Methode: {result.scale_rule} Getis-Ord Gi* je Abschnitt (FDR, 95 %), Mann-Kendall-Trend der "
               "z-Werte je Zelle (5 %).")
    left, right = st.columns([3, 1.2])
    with left:
        m = period_map(state.get_store().area, [emerging_layer(result.cells)],
                       legend_html("Trend der Hotspots", emerging_legend_items(result.cells)),
                       asset_base=state.asset_base(), base=state.base_layers(token),
                       fit=frame_bounds(result.cells[result.cells["pattern"].astype(str).to_numpy() != "no_pattern"])
                       if "pattern" in result.cells else None,
                       data=result.cells[result.cells["pattern"].to_numpy() != NO_PATTERN].geometry)
        st_folium(m, key="em_map", height=MAP_HEIGHT + 60, use_container_width=True, returned_objects=[])
    with right:
        counts = result.pattern_counts()
        table = pd.DataFrame({"Muster": [PATTERNS[c][0] for c in counts], "Zellen": list(counts.values())})
        st.dataframe(german_table(table[table["Zellen"] > 0]), hide_index=True, width="stretch")
    with st.expander("Was bedeuten die Muster?"):
        st.dataframe(pd.DataFrame({"Muster": [v[0] for v in PATTERNS.values()],
                                   "Bedeutung": [v[2] for v in PATTERNS.values()]}),
                     hide_index=True, width="stretch")


def _measures_tab(token: str, filters: state.Filters, kind: str) -> None:
    with st.expander("Einstellungen der Auswertung", expanded=False):
        c1, c2, c3, c4 = st.columns(4)
        radius = c1.number_input("Radius um Punkte/Linien (m)", 25, 1000, int(MEASURE_RADIUS_M), step=25,
                                 key="ev_radius",
                                 help="Flächen (z. B. Polizeipräsenz) werden ohne Radius ausgewertet.")
        buffer = c2.number_input("Pufferring (m)", 50, 2000, int(DEFAULT_BUFFER_M), step=50, key="ev_buffer",
                                 help="Wie weit könnte das Geschehen ausweichen? Der Ring prüft Verdrängung.")
        window = c3.number_input("Zeitfenster (Tage)", 28, 365, DEFAULT_WINDOW_DAYS, step=7, key="ev_window")
        control = c4.selectbox("Kontrollgebiet", list(CONTROLS), format_func=CONTROLS.get, key="ev_control")
    options = (("radius_m", None if radius == MEASURE_RADIUS_M else float(radius)), ("buffer_m", float(buffer)),
               ("window_days", int(window)), ("control", control), ("control_width_m", DEFAULT_CONTROL_WIDTH_M))
    overview = measure_overview(token, filters, kind, options)
    if not len(overview):
        st.info("Keine Maßnahmen im Speicher.")
        return
    shown = measures_overview_table(overview)
    show_table(shown, numeric={"vorher", "nachher", DID_LABEL, WDQ_LABEL}, name="measures_overview",
               titles=OVERVIEW_HELP)
    st.caption(f"{DID_LABEL}: unter 1 = im Maßnahmengebiet weniger Meldungen als ohne Maßnahme zu erwarten "
               f"(Differenz-in-Differenzen). {WDQ_LABEL}: unter 0 = ins Umfeld ausgewichen, über 0 = das Umfeld "
               "profitiert mit (WDQ). »–« mit dem Grund unter »Hinweis«, wo eine Zahl nicht sinnvoll ist.")
    rank = overview["verdict"].map({"displacement": 0, "effect": 1, "diffusion": 2, "no_effect": 3})
    evaluable = rank.dropna().sort_values(kind="stable").index.tolist()  # measures with a finding first
    if not evaluable:
        return
    pick = st.selectbox("Maßnahme im Detail", evaluable, format_func=lambda i: overview.at[i, "measure"],
                        key="ev_pick")
    measures = _measures(token)
    row = measures.iloc[int(pick)]
    ev = evaluate_measure(row, records(kind, None, filters), kind, state.get_store().area, **dict(options))
    st.markdown(f"#### {md(row['title'])}")
    label, colour, text = VERDICTS[ev.verdict]
    st.markdown(f"**Ergebnis: {label}** – {text}")
    for note in ev.notes:
        st.caption(md(note))
    _sensitivity_section(token, filters, kind, int(pick), options)
    if ev.did:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Maßnahmengebiet gegen Kontrolle", de(ev.did["ratio"]),
                  help=f"Differenz-in-Differenzen (Verhältnis), 95 %: {de(ev.did['ci_low'])} – {de(ev.did['ci_high'])}")
        c2.metric("Pufferring gegen Kontrolle", de(ev.buffer_did["ratio"]),
                  help=f"95 %: {de(ev.buffer_did['ci_low'])} – {de(ev.buffer_did['ci_high'])}")
        c3.metric(WDQ_LABEL, de(ev.wdq) if ev.did["ratio"] < 1 else "–", help=OVERVIEW_HELP[WDQ_LABEL])
        c4.metric("Veränderung in Meldungen", de(ev.wdd_local["est_total"], 1),
                  help="Geschätzte Zu- oder Abnahme der Meldungen durch die Maßnahme, gegen das Vergleichsgebiet "
                       "gerechnet (negativ = weniger); "
                       f"mit Pufferring {de(ev.wdd_net['est_total'], 1)}. Methode: gewichtete Verdrängungsdifferenz "
                       f"WDD, z = {de(ev.wdd_local['z'])} (Wheeler & Ratcliffe 2018)")
    table = ev.counts.rename(columns={"name": "Gebiet", "area_km2": "Fläche (km²)", "before": "vorher",
                                      "after": "nachher", "change": "Veränderung"})
    st.caption(f"Je {ev.window_days} Tage: vorher {ev.before.label()}, nachher {ev.after.label()}")
    st.dataframe(german_table(table, decimals={"Fläche (km²)": 3}), hide_index=True, width="stretch")
    left, right = st.columns([1.2, 1])
    with left:
        treated = ev.areas[ev.areas["role"].astype(str) != "control"] if "role" in ev.areas else ev.areas
        m = period_map(state.get_store().area, [areas_layer(ev.areas, ev.counts)], asset_base=state.asset_base(),
                       base=state.base_layers(token), fit=frame_bounds(treated))
        st_folium(m, key="ev_map", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
    with right:
        zones = measure_zones(measures.iloc[[int(pick)]], None if radius == MEASURE_RADIUS_M else float(radius))
        series = monthly_series(records(kind, None, filters), kind, zones)
        st.altair_chart(_chart(series, measure_marks(measures.iloc[[int(pick)]])), width="stretch")


@st.cache_data(max_entries=8, show_spinner="Ergebnis wird über Ringbreiten und Meldungsarten geprüft …",
               hash_funcs=_HASH)
def sensitivity(token: str, filters: state.Filters, kind: str, pick: int, options: tuple):
    """:func:`geo.analysis.sensitivity.verdict_sensitivity` of measure ``pick`` (all report kinds of the filters)."""
    from geo.analysis.sensitivity import verdict_sensitivity

    opts = dict(options)
    buffer = opts.pop("buffer_m")
    kinds = [k for k in REPORT_KINDS if k in filters.kinds] or [kind]
    frames = {k: records(k, None, filters) for k in kinds}
    return verdict_sensitivity(_measures(token).iloc[pick], frames, state.get_store().area, kind=kind,
                               buffer_m=buffer, **opts)


def _sensitivity_section(token: str, filters: state.Filters, kind: str, pick: int, options: tuple) -> None:
    """How sure is the verdict? The same evaluation across ring widths and report kinds."""
    st.markdown("##### Wie sicher ist das Ergebnis?")
    sens = sensitivity(token, filters, kind, pick, options)
    (st.success if sens.stable else st.warning)(md(sens.sentence()))
    st.dataframe(sensitivity_table(sens), hide_index=True, width="stretch")
    st.caption("Dasselbe Verfahren mit anderen Breiten des Pufferrings und anderen Meldungsarten; in Klammern die "
               "Veränderung im Maßnahmengebiet gegenüber dem Kontrollgebiet. »◀ Standard« = die oben gewählte "
               "Einstellung. Die Seite »Vereinbarungen« prüft dieselbe Maßnahme nur mit Spritzenfunden.")


def _forecast_tab(token: str, filters: state.Filters, kind: str) -> None:
    """Prognose: which map would have predicted the user's own past periods best, and where next."""
    from geo.analysis.forecast import DEFAULT_CELL_M as FORECAST_CELL_M
    from geo.analysis.forecast import backtest_sentence, period_text
    from geo.analysis.forecast_surfaces import default_candidates
    from geo.core.errors import UserError

    c1, c2 = st.columns(2)
    share = c1.select_slider("Fläche der Prognose", [0.01, 0.02, 0.03, 0.05, 0.1], value=0.03,
                             format_func=lambda v: f"{100 * v:g} %", key="fc_share",
                             help="So viel der Fläche kann eine Streife oder ein Reinigungstrupp abdecken.")
    cell = c2.number_input("Zellgröße (m)", 50, 500, int(FORECAST_CELL_M), step=25, key="fc_cell")
    period = filters.period
    try:
        result = forecast_result(token, filters, kind, str(period), float(share), float(cell))
    except UserError as exc:
        st.info(f"Keine Prognose möglich: {exc}")
        _prediction_section(token, filters, kind)
        return
    bt = result.backtest
    noun = KINDS[kind].label_plural
    st.markdown(f"**{md(backtest_sentence(bt, result.method, period, noun))}**")
    auto = bt.row("auto")
    ptext = period_text(period)
    each = f"{ptext}n" if ptext.endswith(("Monate", "Tage")) else ptext  # "von je 2 Monaten"
    st.caption(
        f"Rückschau: Jeder der letzten {int(auto['periods'])} Zeiträume von je {each} wurde nur aus "
        "den Daten davor vorhergesagt. Trefferquote = Anteil der Meldungen des Zeitraums in den vorhergesagten "
        "Zellen; PAI = Trefferquote / Flächenanteil (über 1: besser als zufällig). Streuung = Schwankung des PAI "
        f"über die Zeiträume. Die automatische Wahl (nur mit den Zeiträumen davor getroffen) erreichte im Mittel "
        f"einen PAI von {de(auto['pai'], 1)}. Prognose für {result.target.label()}: Lagekarte, Ebene "
        "„Prognose nächster Zeitraum“."
    )
    table = bt.table
    # the methods in months or days, as the sentence above says them ("Halbwertszeit 4 Monate")
    labels = {c.name: c.label(bt.grid.cell, ptext) for c in default_candidates()}
    st.dataframe(german_table(pd.DataFrame({
        "Karte": [labels.get(m, lab) for m, lab in zip(table["method"], table["label"], strict=True)],
        "gewählt": table["chosen"].map({True: "✔", False: ""}),
        PAI_COLUMN: table["pai"], "± Streuung": table["pai_sd"],
        "Trefferquote (%)": 100 * table["hit_rate"], RRI_COLUMN: table["rri"],
        "Zeiträume": table["periods"],
    }), decimals={PAI_COLUMN: 1, "± Streuung": 1, "Trefferquote (%)": 0, RRI_COLUMN: 2, "Zeiträume": 0}),
        hide_index=True, width="stretch", column_config=_column_help(FORECAST_HELP))
    if st.toggle("Auch die Hotspot-Karte von Doppelmonat zu Doppelmonat prüfen", value=False, key="fc_pairs"):
        _prediction_section(token, filters, kind)


def _prediction_section(token: str, filters: state.Filters, kind: str) -> None:
    end = filters.period.end
    first = (pd.Timestamp(end) + pd.Timedelta(days=1) - pd.DateOffset(months=12)).date()
    periods = slice_periods(Period(first, end), 2)
    cell = st.number_input("Zellgröße (m)", 50, 1000, int(DEFAULT_CELL_M), step=25, key="pred_cell")
    table = prediction(token, filters, kind, tuple(str(p) for p in periods), float(cell))
    st.caption("Wie gut sagt die Karte eines Doppelmonats den nächsten voraus? Trefferquote = Anteil der "
               "Ereignisse des nächsten Zeitraums in den ausgewählten Zellen; PAI = Trefferquote / Flächenanteil "
               "(über 1: besser als zufällig). Auswahl: Hotspots (Gi*, 95 %) bzw. die 5 % Zellen mit den meisten "
               "Ereignissen.")
    if not len(table):
        st.info("Zu kurzer Zeitraum für die Vorhersagegüte.")
        return
    pai_hot, pai_top = f"{PAI_COLUMN}: Hotspots", f"{PAI_COLUMN}: Top 5 %"
    shown = german_table(pd.DataFrame({
        "Zeitraum → nächster": table["label"],
        "Hotspot-Zellen": table["hotspot_cells"], "Trefferquote Hotspots (%)": 100 * table["hotspot_hit_rate"],
        pai_hot: table["hotspot_pai"], "Top-5-%-Zellen": table["top_cells"],
        "Trefferquote Top 5 % (%)": 100 * table["top_hit_rate"], pai_top: table["top_pai"],
    }), decimals=dict.fromkeys(("Trefferquote Hotspots (%)", pai_hot, "Trefferquote Top 5 % (%)", pai_top), 1))
    # a static table: its seven headings wrap, a data grid cut the last column off at 1400 px
    show_table(shown, numeric=set(shown.columns[1:]), name="prediction",
               titles={pai_hot: FORECAST_HELP[PAI_COLUMN], pai_top: FORECAST_HELP[PAI_COLUMN]})


#: Zeitreihen: height of the plot itself and of one legend line (px).
PLOT_HEIGHT_PX, LEGEND_ROW_PX = 240, 30


def _chart(series: pd.DataFrame, marks: pd.DataFrame) -> alt.LayerChart:
    """Monthly counts per zone (lines) with measure dates as numbered vertical rules, named in a legend
    (:func:`geo.report.charts.mark_labels`: ``1: Behälter Torgauer Platz ab 01.11.2025``)."""
    # only German columns: the chart's data are what "Daten anzeigen" shows
    data = series.rename(columns={"zone": "Bereich", "month": "Monat", "count": "Anzahl"})[["Bereich", "Monat",
                                                                                          "Anzahl"]]
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("Monat:T", title=None, axis=alt.Axis(format="%b %Y")),  # a year on every label (narrow charts)
        y=alt.Y("Anzahl:Q", title="Ereignisse je Monat"),
        color=alt.Color("Bereich:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=400)),
        tooltip=["Bereich", alt.Tooltip("Monat:T", format="%m/%Y"), "Anzahl"],
    )
    if not len(marks):
        return german_chart(alt.layer(lines))
    months = pd.to_datetime(series["month"]) if len(series) else pd.to_datetime(marks["date"])
    labels = mark_labels(marks, span_days=max(31.0, (months.max() - months.min()).days + 31.0))
    names = alt.Color("Beschriftung:N", scale=alt.Scale(domain=labels["Beschriftung"].tolist(),
                                                        range=[MEASURE_MARK_COLOUR]),
                      legend=alt.Legend(title="Maßnahmen (gestrichelt)", orient="bottom", columns=1,
                                        labelLimit=600, symbolType="stroke", symbolDash=[4, 3]))
    tooltip = ["Maßnahme", "was", alt.Tooltip("Datum:T", format=fmt.DATE_FORMAT)]
    marked = alt.Chart(labels)
    rules = marked.mark_rule(strokeDash=[4, 3]).encode(x="Datum:T", color=names, tooltip=tooltip)
    numbers = marked.transform_calculate(oben="2 + 14 * datum.Zeile").mark_text(  # rows of 14 px from the top
        baseline="top", align="left", dx=3, fontSize=12, fontWeight="bold", color=MEASURE_MARK_COLOUR).encode(
        x="Datum:T", y=alt.Y("oben:Q", scale=None, axis=None), text="Nr:N", tooltip=tooltip)
    # the areas' legend above the chart, the measures' below: two legends side by side are cut off in narrow columns
    lines = lines.encode(color=alt.Color("Bereich:N", legend=alt.Legend(orient="top", columns=1, labelLimit=400)))
    rows = data["Bereich"].nunique() + len(labels)  # legend lines; the height includes the legends
    return german_chart(alt.layer(lines, rules, numbers).resolve_scale(color="independent")
                        .properties(height=PLOT_HEIGHT_PX + LEGEND_ROW_PX * rows + 130))  # + titles, axis


def _series_tab(token: str, filters: state.Filters, kind: str) -> None:
    zones = _zones(token)
    measures = _measures(token)
    choice = st.radio("Bereiche", ["Sensible Orte", KINDS[DISTRICT].label_plural, "Maßnahmen"], horizontal=True,
                      key="ts_type")
    end = filters.period.end
    first = (pd.Timestamp(end) + pd.Timedelta(days=1) - pd.DateOffset(months=24)).date()
    period = Period(first, end)
    if choice == "Maßnahmen":
        active = period.select(measures, "start", "end")
        radius_txt = fmt.metres(MEASURE_RADIUS_M)
        picked = st.multiselect(f"Maßnahmen (Radius {radius_txt} um Punkte und Linien)", active.index.tolist(),
                                default=active.index[-1:].tolist(), format_func=lambda i: measures.at[i, "title"],
                                key="ts_measures")
        zone_table, marks = measure_zones(measures.loc[picked]), measure_marks(measures.loc[picked], period)
    else:
        zone_table = zones[choice]
        names = zone_table["zone"].tolist()
        picked = st.multiselect("Auswahl", list(range(len(names))), default=list(range(min(4, len(names)))),
                                format_func=lambda i: names[i], key=f"ts_{choice}")
        zone_table = zone_table.iloc[picked]
        show_marks = st.multiselect("Maßnahmen markieren", list(MEASURE_KINDS), default=[DISPOSAL_BIN],
                                    format_func=lambda k: KINDS[k].label_plural, key="ts_mark_kinds")
        marks = measure_marks(measures[measures["kind"].isin(show_marks)], period)
    if not len(zone_table):
        st.info("Bitte mindestens einen Bereich wählen.")
        return
    series = monthly_series(records(kind, period, filters, spatial=False), kind, zone_table, period)
    st.altair_chart(_chart(series, marks), width="stretch")
    st.caption(f"{KINDS[kind].label_plural} je Monat, {period.label()}; gestrichelt und nummeriert: Beginn/Ende "
               "von Maßnahmen (Liste unter der Grafik). "
               "Sensible Orte mit ihrem Schutzabstand.")
