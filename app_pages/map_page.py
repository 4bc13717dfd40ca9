"""Lagekarte: the Drogenrapport map with key figures, sensitive places and measures.

Everything follows the sidebar (period, kinds, categories, sources). A polygon drawn on the
map restricts the key figures and tables to it. The base map stays the same across reruns
(Streamlit keeps the map and its view); data layers are sent as feature groups, built from
cached strings keyed on the store's content.
"""

from __future__ import annotations

import importlib.util

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from app_support import state
from app_support.foliumcache import show_map
from app_support.hotspottable import show_hotspots
from app_support.htmltable import show_table
from app_support.mapdata import (
    HOTSPOT_KIND_KEY,
    THRESHOLD_KEY,
    analysis,
    forecast_result,
    lagekarte_payload,
    measures_table,
    named_hotspots,
    page_figures,
    place_table,
)
from geo.core import fmt
from geo.core.area import DISPLAY_CRS
from geo.core.schema import (
    COMPLAINT,
    KINDS,
    REPORT_KINDS,
    SCENE_OBSERVATION,
    SYRINGE_FIND,
)
from geo.data.access import K_MIN
from geo.report.display import german_table
from geo.report.figures import (
    DEFAULT_PLACE_THRESHOLD,
    to_german,
)

MAP_KEY = "lagekarte"
TABLE_KEY = "places_table"
DRAWN_KEY = "drawn_polygon"
VIEW_KEY = "map_view"
MAP_HEIGHT = 640
#: Zoom level when a place is selected in the table.
PLACE_ZOOM = 17

# ---------------------------------------------------------------------------- drawn area
def drawn_polygon() -> tuple[dict | None, shapely.Geometry | None]:
    """The area drawn on the map: GeoJSON geometry (WGS84) and polygon in the metric CRS.

    Reads the map's last reported drawings (``all_drawings``; ``None`` = no news, keep the
    stored polygon; ``[]`` = deleted).
    """
    ret = st.session_state.get(MAP_KEY)
    if isinstance(ret, dict) and ret.get("all_drawings") is not None:
        polys = [d.get("geometry") for d in ret["all_drawings"] if (d.get("geometry") or {}).get("type") == "Polygon"]
        st.session_state[DRAWN_KEY] = polys[-1] if polys else None
    geometry = st.session_state.get(DRAWN_KEY)
    if not geometry:
        return None, None
    try:
        poly = shapely.geometry.shape(geometry)
        metric = gpd.GeoSeries([poly], crs=DISPLAY_CRS).to_crs(state.get_store().area.crs).iloc[0]
        metric = shapely.make_valid(metric)
    except (ValueError, TypeError, shapely.errors.GEOSException):
        return None, None
    return (geometry, metric) if not metric.is_empty and metric.area > 0 else (None, None)


# ---------------------------------------------------------------------------- view
def _selected_place(table: gpd.GeoDataFrame) -> tuple[float, float] | None:
    """(lat, lon) of the sensitive place chosen under the table ("Auf der Karte zeigen"), else ``None``."""
    name = st.session_state.get(TABLE_KEY)
    rows = table[table["name"] == name] if name else table.iloc[0:0]
    if not len(rows):
        return None
    return float(rows.iloc[0]["lat"]), float(rows.iloc[0]["lon"])


#: Shown instead of a suppressed figure (fewer than :data:`geo.data.access.K_MIN` events).
SUPPRESSED = f"unter {K_MIN}"


def _metric(col, label: str, row: pd.Series, change) -> None:
    """A key figure; its change carries an arrow only when significant (:mod:`geo.report.keychanges`).
    A suppressed figure (public view, fewer than K_MIN events) shows no number and no change."""
    if pd.isna(row["value"]) or pd.isna(row["previous"]):
        value = SUPPRESSED if pd.isna(row["value"]) else fmt.number(row["value"])
        before = SUPPRESSED if pd.isna(row["previous"]) else fmt.number(row["previous"])
        col.metric(label, value, help=f"Vorzeitraum: {before}")
        return
    delta = None if change.text == "–" else change.text
    col.metric(label, fmt.number(row["value"]), delta=delta, delta_color="inverse" if change.arrow else "off",
               delta_arrow="auto" if change.arrow else "off", delta_description=change.verdict or None,
               help=f"Vorzeitraum: {fmt.number(row['previous'])}. {change.explanation}".strip())


# ---------------------------------------------------------------------------- page
def render() -> None:
    """Draw the Lagekarte page."""
    store = state.get_store()
    user = state.current_user()
    filters = state.current_filters()
    token = store.version()
    public = user.role == "oeffentlich"
    st.title("Lagekarte")
    st.caption(f"Zeitraum **{filters.period.label()}** · Vergleich mit {filters.previous.label()} · "
               f"Gebiet: {store.area.name}")
    if state.empty_store_notice(store):
        return

    hotspot_kinds = [k for k in REPORT_KINDS if k in filters.kinds] or list(REPORT_KINDS)
    if st.session_state.get(HOTSPOT_KIND_KEY) not in hotspot_kinds:
        st.session_state[HOTSPOT_KIND_KEY] = hotspot_kinds[0]
    hotspot_kind = st.session_state[HOTSPOT_KIND_KEY]
    threshold = int(st.session_state.get(THRESHOLD_KEY, DEFAULT_PLACE_THRESHOLD))
    geometry, within = (None, None) if public else drawn_polygon()
    if not public:
        state.stacks_caption(hotspot_kind, filters)

    table = place_table(filters, threshold, within, token, user.role) if not public else None
    view = _map_view(table)

    left, right = st.columns([2.7, 1.1], gap="medium")
    with left:
        payload = lagekarte_payload(token, filters, user.role, hotspot_kind, threshold, geometry,
                                    key=MAP_KEY, height=MAP_HEIGHT)
        show_map(payload, center=view["center"] if view else None, zoom=view["zoom"] if view else None)
        if public:
            st.caption("Öffentliche Ansicht: Spritzenfunde nur als Zellen mit mindestens 5 Funden.")
        else:
            st.caption("Fläche zeichnen (oben links): Kennzahlen und Tabellen gelten dann nur für diese Fläche. "
                       "Klick auf einen Punkt zeigt seine Angaben.")

    hs, _hot_prev, _dens, note = analysis(token, filters, hotspot_kind) if not public else (None, None, None, "")
    figures, changes = page_figures(token, filters, user.role, hotspot_kind, within)

    with right:
        st.subheader("Kennzahlen")
        if within is not None:
            st.info(f"Nur gezeichnete Fläche ({fmt.area_km2(within.area / 1e6)})", icon=":material/edit:")
        _figure_tiles(figures, changes, filters, hotspot_kind)
        st.caption(f"Veränderung gegenüber {filters.previous.label()}. Pfeil und Farbe nur bei einer signifikanten "
                   "Veränderung (exakter Test wie auf der Seite »Vergleich«, 5 %); rot = Zunahme.")
        if not public:
            with st.expander("Analyse-Einstellungen", expanded=False):
                st.selectbox("Hotspots und Dichte für", hotspot_kinds, key=HOTSPOT_KIND_KEY,
                             format_func=lambda k: KINDS[k].label_plural)
                st.number_input("Schwelle auffälliger Orte (Funde + Beschwerden)", min_value=1, max_value=1000,
                                value=DEFAULT_PLACE_THRESHOLD, step=1, key=THRESHOLD_KEY)
                if note:
                    st.caption(note)
        # the handout shows the finds' hotspots (its tables count finds and syringes), whichever kind is chosen here
        finds_hs = hs if hotspot_kind == SYRINGE_FIND or public else analysis(token, filters, SYRINGE_FIND)[0]
        _handout_button(user, filters, finds_hs, threshold, within,
                        forecast_result(token, filters, SYRINGE_FIND)
                        if SYRINGE_FIND in filters.kinds and not public else None)

    if public:
        return
    _places_section(table, threshold)
    _measures_section(token, filters, user.role, within)
    _top_hotspots_section(token, filters, hotspot_kind)


def _figure_tiles(figures: pd.DataFrame, changes: dict, filters: state.Filters,
                  hotspot_kind: str = SYRINGE_FIND) -> None:
    """The key figures as metric tiles, one per row (only the kinds chosen in the sidebar); a change carries an
    arrow only when significant (:func:`geo.report.keychanges.figure_changes`). Hotspots of another kind than
    the finds say whose they are (»Hotspots (Beschwerden)«)."""
    hotspots = "Hotspots" if hotspot_kind == SYRINGE_FIND else f"Hotspots ({KINDS[hotspot_kind].label_plural})"
    labels = {"finds": KINDS[SYRINGE_FIND].label_plural, "syringes": "Spritzen",
              "complaints": KINDS[COMPLAINT].label_plural,
              "scene_observations": KINDS[SCENE_OBSERVATION].label_plural, "hotspots": hotspots}
    shown = {"finds": SYRINGE_FIND, "syringes": SYRINGE_FIND, "complaints": COMPLAINT,
             "scene_observations": SCENE_OBSERVATION, "hotspots": None}
    pairs = [(k, lab) for k, lab in labels.items() if k in figures.index
             and (shown[k] is None or shown[k] in filters.kinds)]
    for k, lab in pairs:  # one per row: the verdict beside the change ("im Rahmen des Zufalls") stays readable
        _metric(st, lab, figures.loc[k], changes[k])


def _top_hotspots_section(token: str, filters: state.Filters, kind: str) -> None:
    """The "Top-Hotspots" table: rank, name, finds, syringes, change against the previous period."""
    named = named_hotspots(token, filters, kind)
    st.subheader("Top-Hotspots")
    top = named[2] if named is not None else pd.DataFrame()
    show_hotspots(top, kind, filters.period.days, filters.previous.days, name="top_hotspots", caption=(
        f"Zusammenhängende Hotspot-Zellen ({KINDS[kind].label_plural}), benannt nach Straße, Kreuzung oder "
        f"sensiblem Ort; Veränderung gegenüber {filters.previous.label()} in denselben Zellen, mit Pfeil nur wenn "
        "mehr als zufällig. Getestet wird die ganze Hotspot-Fläche (derselbe Test wie bei den Kennzahlen; die "
        "Seite »Vergleich« zählt daneben einzelne Rasterzellen)."))


def _map_view(table: gpd.GeoDataFrame | None) -> dict | None:
    """Centre and zoom of the map: on the place selected in the table (once per selection), else as left."""
    view = st.session_state.get(VIEW_KEY)
    target = _selected_place(table) if table is not None else None
    if target is not None and (view is None or view.get("target") != target):
        nudge = 1e-9 * ((view or {}).get("n", 0) + 1)  # a new value each time, so the map moves again
        view = {"target": target, "center": (target[0] + nudge, target[1]), "zoom": PLACE_ZOOM,
                "n": (view or {}).get("n", 0) + 1}
        st.session_state[VIEW_KEY] = view
    return view


def _places_section(table: gpd.GeoDataFrame, threshold: int) -> None:
    st.subheader("Sensible Orte")
    if table is None or not len(table):
        st.info("Keine sensiblen Orte erfasst (bzw. keine in der gezeichneten Fläche).")
        return
    shown = pd.DataFrame({
        "name": table["name"], "place_type": table["place_type"],
        "flagged": table["flagged"].map({True: "⚠ auffällig", False: ""}),
        "finds": table["finds"], "syringes": table["syringes"], "complaints": table["complaints"],
        "reports": table["reports"], "reports_prev": table["reports_prev"], "change": table["change"],
    })
    n_flag = int(table["flagged"].sum())
    st.caption(f"Funde und Beschwerden im Schutzabstand je Ort. Auffällig ab {threshold} "
               f"(Funde + Beschwerden): {fmt.number(n_flag)} {'Ort' if n_flag == 1 else 'Orte'}.")
    shown = german_table(to_german(shown.rename(columns={"reports_prev": "Vorzeitraum"})))
    shown["Veränderung"] = [fmt.number(v, sign=True) for v in table["change"]]
    show_table(shown, numeric=set(shown.columns[3:]), name="places")
    st.selectbox("Auf der Karte zeigen", [None, *table["name"]], key=TABLE_KEY,
                 format_func=lambda n: "–" if n is None else n, help="zoomt die Karte auf den gewählten Ort")


def _measures_section(token: str, filters: state.Filters, role: str, within: shapely.Geometry | None) -> None:
    st.subheader("Maßnahmen im Zeitraum")
    shown = measures_table(token, filters, role, within)
    if not len(shown):
        st.info("Keine Maßnahmen im Zeitraum.")
        return
    show_table(shown, name="measures")


def _handout_button(user, filters: state.Filters, hs, threshold: int, within, forecast=None) -> None:
    if importlib.util.find_spec("geo.report.handout") is None:
        return
    store = state.user_store()  # PostGIS: everything the handout holds is read as the user's database role
    kinds = state.store_layers()
    periods = (filters.period, filters.previous)
    from geo.data.agreements import for_role

    agreements = for_role(state.store_agreements(), user.role)  # cheap; their effect is computed on click

    def make() -> bytes:  # runs in another thread when clicked: no Streamlit calls here
        from geo.data.access import log_release, restrict
        from geo.report.followup import follow_up_from_store
        from geo.report.handout import build_handout, is_demo_data

        # the records are read here, on click, not in every run of the page; filtered and restricted to the role
        cur, prev = ({k: restrict(state.apply_filters(store.read(k, p), k, filters), k, user.role) for k in kinds}
                     for p in periods)
        log_release(store, user, what=f"Handout {filters.period.label()}")
        follow_ups = follow_up_from_store(store, agreements, sensitivity=True)  # cautions as on »Vereinbarungen«
        return build_handout(cur, prev, store.area, filters.period, hotspots=hs, threshold=threshold,
                             demo=is_demo_data(store.imports()), base=store.read_base(),
                             agreements=agreements, follow_ups=follow_ups,
                             forecast=forecast)

    st.download_button(
        "Handout (PDF)", data=make, file_name=f"drogenrapport_{filters.period.start:%Y-%m}.pdf",
        mime="application/pdf", width="stretch", disabled=user.role == "oeffentlich",
        help="Kennzahlen, Karte, sensible Orte und Maßnahmen des Zeitraums als PDF (ganzes Gebiet).", on_click="ignore",
    )
