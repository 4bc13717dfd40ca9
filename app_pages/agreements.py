"""Vereinbarungen: the Drogenrapport's agreements – list, filters, add/edit with a map, status in one click.

Roles: ``analyse`` and ``rapport`` may write (every change goes to the audit log: who, when,
old → new); ``oeffentlich`` sees only agreements marked public, without notes. Overdue ones
(open and past their due date) are listed first and highlighted. For agreements carried out long
enough ago the measure evaluation's verdict is shown (:mod:`geo.report.followup`).

The map: a click sets a point, "Linie zeichnen" a line and "Fläche zeichnen" an area (the
Lagekarte's drawing tool with lines); a sensitive place, a hot spot, a forecast area or a suggested
bin site can be picked instead.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app_support import state
from app_support.htmltable import show_table
from geo.core.area import DISPLAY_CRS
from geo.core.errors import UserError
from geo.core.schema import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    AGREEMENT_TRANSITIONS,
    DISPOSAL_BIN,
    OPEN_STATUSES,
    OVERDUE_COLOUR,
    REPORT_KINDS,
    RESPONSIBLE_BODIES,
    SENSITIVE_PLACE,
    SYRINGE_FIND,
)
from geo.data import agreements as ag
from geo.report.display import german_table
from geo.report.followup import SENSITIVITY_SCOPE_NOTE
from layers.agreements import AGREEMENTS_LAYER, agreements_js
from layers.basemap import base_map, tiles_from_env
from layers.elements import LayerControl, layer_group
from layers.map import core_bounds, frame_bounds, restore_drawing_js

#: Roles that may add and change agreements.
WRITE_ROLES = ag.WRITE_ROLES
MAP_KEY = "agreements_map"
PLACE_KEY = "agreement_place"  # (geojson geometry, source label) of the place picked on the map
SHOW_CHOICES = ("alle", "offen", "überfällig")
STATUS_BUTTON_LABELS = {s: f"→ {label}" for s, label in AGREEMENT_STATUSES.items()}
#: How the form names a place drawn on the map, by GeoJSON type.
DRAWN_LABELS = {"LineString": "gezeichnete Linie", "Polygon": "gezeichnete Fläche"}
#: How an overdue agreement's row is highlighted in the list.
OVERDUE_ROW_STYLE = f"background-color:#ffebee;color:{OVERDUE_COLOUR};font-weight:600"


def _picked_place() -> tuple[dict | None, str]:
    """The place from the map: a newly drawn line or area, else a new click (GeoJSON in WGS84); kept until saved."""
    ret = st.session_state.get(MAP_KEY)
    if isinstance(ret, dict):
        drawings = ret.get("all_drawings") or []
        drawn = (drawings[-1] or {}).get("geometry") if drawings else None
        clicked = ret.get("last_clicked")
        if drawn and drawn != st.session_state.get("_agreement_last_draw"):
            st.session_state["_agreement_last_draw"] = drawn
            st.session_state["_agreement_last_click"] = clicked  # the clicks that drew it are no point
            st.session_state[PLACE_KEY] = (drawn, DRAWN_LABELS.get(drawn.get("type"), "gezeichnete Fläche"))
        elif clicked and clicked != st.session_state.get("_agreement_last_click"):
            st.session_state["_agreement_last_click"] = clicked
            point = {"type": "Point", "coordinates": [clicked["lng"], clicked["lat"]]}
            st.session_state[PLACE_KEY] = (point, "Punkt auf der Karte")
    return st.session_state.get(PLACE_KEY) or (None, "")


@st.cache_data(max_entries=8, show_spinner="Hotspots, Prognose und Behälter-Vorschläge werden berechnet …")
def analysis_places(path: str, token: str, period_text: str, role: str | None = None) -> dict[str, str]:
    """Places from the analyses of a period: label → WKT (metric CRS) of the strongest hot spot cells
    (Gi* of the finds weighted by syringes), of the forecast areas for the next period
    (:func:`geo.data.agreements.forecast_places`) and of five suggested bin sites (:mod:`geo.analysis.siting`)."""
    from geo.analysis.coverage import analyse_coverage
    from geo.analysis.hotspots import hotspot_analysis
    from geo.analysis.siting import suggest_bins
    from geo.core.period import parse_period

    store = state.get_store() if role is None else state.role_store(role)  # PostGIS: as the user's role
    period = parse_period(period_text)
    finds = store.read(SYRINGE_FIND, period)
    out: dict[str, str] = {}
    if len(finds) < 3:
        return out
    try:
        cells = hotspot_analysis(finds, store.area, weight="count").cells
        hot = ag.hot_cells(cells).head(10)
        out |= {f"Hotspot Nr. {n} ({period.label()})": g.wkt for n, g in zip(hot["number"], hot.geometry,
                                                                               strict=True)}
    except UserError:
        pass
    out |= forecast_places_wkt(store, period)
    try:
        coverage = analyse_coverage(finds, store.read(DISPOSAL_BIN), period=period, crs=store.area.crs)
        sites = suggest_bins(coverage, 5, area=store.area, sensitive=store.read(SENSITIVE_PLACE)).sites
        out |= {f"Behälter-Vorschlag {label}": g.wkt for label, g in zip(sites["label"].astype(str), sites.geometry,
                                                                          strict=True)}
    except UserError:
        pass
    return out


def forecast_places_wkt(store, period) -> dict[str, str]:
    """``Prognosefläche Nr. N (next period)`` → WKT of the ten areas with the most finds expected in the period
    after ``period`` (:func:`geo.analysis.forecast.forecast` on all finds up to its end); none when impossible."""
    from geo.analysis.forecast import forecast, forecast_areas

    try:
        result = forecast(store.read(SYRINGE_FIND), SYRINGE_FIND, store.area, period)
    except UserError:
        return {}
    areas = ag.forecast_places(forecast_areas(result)).head(10)
    return {f"Prognosefläche Nr. {n} ({result.target.label()})": g.wkt
            for n, g in zip(areas["number"], areas.geometry, strict=True)}


def _metric_geometry(geojson: dict | None, crs: str):
    if not geojson:
        return None
    try:
        geom = shapely.geometry.shape(geojson)
    except (ValueError, TypeError, AttributeError):
        return None
    return gpd.GeoSeries([geom], crs=DISPLAY_CRS).to_crs(crs).iloc[0]


def _list_section(table: pd.DataFrame, effects: dict, public: bool) -> pd.DataFrame:
    c1, c2 = st.columns([1, 2])
    show = c1.radio("Anzeigen", SHOW_CHOICES, horizontal=True, key="agreements_show")
    bodies = c2.multiselect("zuständig", RESPONSIBLE_BODIES, key="agreements_bodies",
                            placeholder="alle Stellen")
    shown = table
    if show == "offen":
        shown = shown[shown["status"].isin(OPEN_STATUSES)]
    elif show == "überfällig":
        shown = shown[shown["overdue"]]
    if bodies:
        shown = shown[shown["responsible"].isin(bodies)]
    n_late = int(table["overdue"].sum())
    st.caption(f"{len(shown)} von {len(table)} Vereinbarungen · {n_late} überfällig (rot) · Stand "
               f"{ag.today():%d.%m.%Y}")
    if not len(shown):
        st.info("Keine Vereinbarungen mit diesen Filtern.")
        return shown
    out = _list_table(ag.german_table(shown.assign(status_label=[
        ag.status_label(s, o) for s, o in zip(shown["status"], shown["overdue"], strict=True)])), public)
    out["Wirkung"] = [effects.get(i, "") for i in shown["agreement_id"]]
    # a column with nothing in it (no notes, no effect yet) only costs width
    out = out.drop(columns=[c for c in out if not out[c].astype(str).str.strip().any()])
    show_table(out, numeric={"Nr."}, name="agreements",
               row_styles=[OVERDUE_ROW_STYLE if late else "" for late in shown["overdue"].to_numpy()])
    return shown


def _list_table(export: pd.DataFrame, public: bool) -> pd.DataFrame:
    """The list as people read it at 1400 px: the export's 14 columns (:data:`geo.data.agreements.TABLE_COLUMNS`)
    folded into seven, one fact per line – kind and place under the title, the dates in one column, the reason
    of a dropped agreement under its status; a public agreement is not marked, a partner sees "nicht öffentlich"
    (the public role sees neither notes nor that flag)."""
    col = ag.TABLE_COLUMNS

    def lines(row: pd.Series, keys: tuple[str, ...], sep: str = "\n", named: bool = False) -> str:
        # "fällig 30.09.2026" on one line: the heading's first word and the date joined by a no-break space
        parts = [f"{col[k].split()[0]}\u00a0{row[col[k]]}" if named else str(row[col[k]]) for k in keys
                 if str(row.get(col[k], "")).strip()]
        return sep.join(parts)

    rows = export.reset_index(drop=True)
    out = pd.DataFrame({
        col["agreement_id"]: rows[col["agreement_id"]],
        col["title"]: [f"{r[col['title']]}\n" + lines(r, ("kind_label", "place"), " · ")
                       + ("" if public or r.get(col["public"]) != "nein" else " · nicht öffentlich")
                       for _, r in rows.iterrows()],
        col["responsible"]: rows[col["responsible"]],
        "Termine": [lines(r, ("agreed", "due", "done", "ended"), named=True) for _, r in rows.iterrows()],
        col["status_label"]: [lines(r, ("status_label", "reason")) for _, r in rows.iterrows()],
    })
    if not public:
        out[col["notes"]] = rows[col["notes"]] if col["notes"] in rows else ""
    return out


def _status_section(table: pd.DataFrame, user) -> None:
    st.subheader("Status ändern")
    if not len(table):
        return
    ids = table["agreement_id"].tolist()
    c1, c2, c3 = st.columns([3, 1.2, 2])
    pick = c1.selectbox("Vereinbarung", ids, key="status_pick",
                        format_func=lambda i: f"Nr. {i}: {table.set_index('agreement_id').loc[i, 'title']}")
    row = table.set_index("agreement_id").loc[pick]
    when = c2.date_input("Datum (umgesetzt / beendet)", value=min(ag.today(), date.today()), format="DD.MM.YYYY",
                         key="status_date")
    reason = c3.text_input("Grund (bei verworfen)", key="status_reason")
    st.caption(f"Jetzt: **{ag.status_label(row['status'], bool(row['overdue']))}** · zuständig: "
               f"{row['responsible']} · fällig bis {pd.Timestamp(row['due']):%d.%m.%Y}")
    targets = AGREEMENT_TRANSITIONS.get(row["status"], ())
    if not targets:
        st.caption("Keine weitere Statusänderung möglich.")
        return
    cols = st.columns(len(targets))
    for col, target in zip(cols, targets, strict=True):
        if col.button(STATUS_BUTTON_LABELS[target], key=f"status_to_{target}", width="stretch"):
            try:
                ag.set_status(state.get_store(), pick, target, done=when, reason=reason, user=user.name,
                              today=max(ag.today(), date.today()))
            except UserError as exc:
                st.error(str(exc))
            else:
                st.session_state["agreements_flash"] = f"Vereinbarung Nr. {pick}: {AGREEMENT_STATUSES[target]}."
                st.rerun()


def _place_map(store, geojson: dict | None) -> None:
    """The map to pick an agreement's place on: the base map beneath, the agreements, the drawn place;
    fitted to the agreements' places (else to where most reports are)."""
    token = store.version()
    agreements = state.user_store().agreements()  # PostGIS: as the user's database role
    m = base_map(store.area, tiles=tiles_from_env(), asset_base=state.asset_base(), draw=True, draw_lines=True,
                 legend=False, base=state.base_layers(token), districts=state.districts(token),
                 fit=frame_bounds(agreements) or core_bounds(
                     [state.load_records(k, None, restricted=False) for k in REPORT_KINDS]))
    groups = [layer_group(AGREEMENTS_LAYER, [agreements_js(agreements, ag.today())])]
    if geojson and geojson.get("type") != "Point":
        groups[0].add_child(_restore(geojson))
    st_folium(m, key=MAP_KEY, height=430, use_container_width=True, feature_group_to_add=groups,
              layer_control=LayerControl(), returned_objects=["all_drawings", "last_clicked"])


def _form_section(table: pd.DataFrame, user, store) -> None:
    st.subheader("Vereinbarung anlegen oder bearbeiten")
    ids = [None, *table["agreement_id"].tolist()]
    titles = table.set_index("agreement_id")["title"].to_dict()
    edit_id = st.selectbox("Bearbeiten", ids, key="edit_pick",
                           format_func=lambda i: "neue Vereinbarung" if i is None else f"Nr. {i}: {titles[i]}")
    current = None if edit_id is None else table.set_index("agreement_id").loc[edit_id]
    geojson, source = _picked_place()
    left, right = st.columns([1.4, 1], gap="medium")
    with left:
        _place_map(store, geojson)
        st.caption("Ort: auf die Karte klicken (Punkt), »Linie zeichnen« (Punkte anklicken, letzten Punkt noch "
                   "einmal anklicken) oder »Fläche zeichnen« (Ecken anklicken, erste Ecke schließt).")
    places = state.load_records(SENSITIVE_PLACE, None)
    period = state.current_period()
    with right:
        use_analysis = st.toggle("Hotspots, Prognoseflächen und Behälter-Vorschläge als Ort anbieten",
                                 key="agreement_analysis",
                                 help=f"aus den Spritzenfunden {period.label()} (Zeitraum der Seitenleiste); die "
                                      "Prognose gilt für den Zeitraum danach")
    from_analysis = (analysis_places(str(store.path), store.version(), str(period), state.user_db_role())
                     if use_analysis else {})
    with right, st.form("agreement_form", clear_on_submit=False):
        title = st.text_input("Titel", value="" if current is None else current["title"])
        kinds = list(AGREEMENT_KINDS)
        kind = st.selectbox("Art der Maßnahme", kinds, format_func=AGREEMENT_KINDS.get,
                            index=0 if current is None else kinds.index(current["kind"]))
        place_names = ["(Ort auf der Karte)", *places["name"].astype(str).tolist(), *from_analysis]
        place_pick = st.selectbox("oder sensibler Ort" + (", Hotspot, Prognosefläche, Behälter-Vorschlag"
                                                           if from_analysis else ""),
                                  place_names, key="agreement_place_pick")
        body = st.selectbox("zuständig", RESPONSIBLE_BODIES,
                            index=0 if current is None else RESPONSIBLE_BODIES.index(current["responsible"]))
        d1, d2 = st.columns(2)
        agreed = d1.date_input("vereinbart am", format="DD.MM.YYYY",
                               value=ag.today() if current is None else pd.Timestamp(current["agreed"]).date())
        # new: by the next Rapport; from today, not from the field above (a default that follows another
        # field changes the widget's identity on submit and drops what the user typed here)
        due = d2.date_input("fällig bis", format="DD.MM.YYYY",
                            value=ag.default_due(ag.today()) if current is None
                            else pd.Timestamp(current["due"]).date(),
                            help="Vorschlag: der nächste Rapport (zwei Monate nach der Vereinbarung).")
        place_label = st.text_input("Ortsbezeichnung", value="" if current is None else current["place"])
        notes = st.text_area("Notizen (nicht öffentlich)", value="" if current is None else current["notes"],
                             height=80)
        public = st.checkbox("öffentlich sichtbar", value=False if current is None else bool(current["public"]))
        st.caption(f"Ort: {source or 'noch keiner gewählt'}" + (" (bleibt, wenn keiner gewählt)" if current is not
                                                                  None else ""))
        submitted = st.form_submit_button("Vereinbarung speichern", type="primary")
    if not submitted:
        return
    try:
        if place_pick in from_analysis:
            geom = shapely.from_wkt(from_analysis[place_pick])
            place_label = place_label or place_pick
        elif place_pick != place_names[0]:
            name, geom = ag.place_from_name(places, place_pick)
            place_label = place_label or name
        else:
            geom = _metric_geometry(geojson, store.area.crs)
        if current is None:
            new = ag.add_agreement(store, title=title, kind=kind, geometry=geom, agreed=agreed, responsible=body,
                                   due=due, place=place_label, notes=notes, public=public, user=user.name)
            msg = f"Vereinbarung Nr. {new} gespeichert."
        else:
            changes = dict(title=title, kind=kind, responsible=body, agreed=agreed, due=due, place=place_label,
                           notes=notes, public=public)
            if geom is not None:
                changes["geometry"] = geom
            ag.edit_agreement(store, edit_id, user=user.name, **changes)
            msg = f"Vereinbarung Nr. {edit_id} geändert."
    except UserError as exc:
        st.error(str(exc))
        return
    st.session_state.pop(PLACE_KEY, None)
    st.session_state["agreements_flash"] = msg
    st.rerun()


def _restore(geojson: dict):
    from layers.elements import JsCall

    return JsCall(restore_drawing_js(geojson))


#: German headings of the sensitivity table.
SENSITIVITY_COLUMNS = {"kind_label": "Meldungsart", "buffer_m": "Pufferring (m)", "verdict_label": "Ergebnis",
                       "change_pct": "Veränderung (%)"}


def _effects_section(follow_ups: pd.DataFrame) -> None:
    """The follow-up line of every carried-out agreement, with how sure the verdict is (ring widths)."""
    if not len(follow_ups):
        return
    with st.expander("Wirkung der umgesetzten Vereinbarungen", expanded=False):
        st.caption("Spritzenfunde im Umkreis von 150 m, je bis zu 180 Tage vorher und nachher, gegen das übrige "
                   "Gebiet (Differenz-in-Differenzen); ausgewertet ab acht Wochen nach der Umsetzung. "
                   f"{SENSITIVITY_SCOPE_NOTE}")
        for r in follow_ups.itertuples():
            st.text(f"• {r.text}")
            if r.sensitivity:
                st.caption(r.sensitivity)
            if isinstance(r.sensitivity_table, pd.DataFrame) and len(r.sensitivity_table):
                t = r.sensitivity_table[list(SENSITIVITY_COLUMNS)].rename(columns=SENSITIVITY_COLUMNS)
                show_table(german_table(t, decimals={"Pufferring (m)": 0, "Veränderung (%)": 0}),
                           numeric={"Pufferring (m)", "Veränderung (%)"},
                           name=f"sens_{r.agreement_id}")


def render() -> None:
    """Draw the Vereinbarungen page."""
    store = state.get_store()
    user = state.current_user()
    st.title("Vereinbarungen")
    st.caption("Was der Drogenrapport vereinbart hat: wer macht was, wo, bis wann – und hat es gewirkt?")
    flash = st.session_state.pop("agreements_flash", None)
    if flash:
        st.success(flash)
    public = user.role not in WRITE_ROLES
    agreements, follow_ups = state.agreements_for_user()
    table = ag.agreement_table(agreements, ag.today(), notes=not public)
    effects = follow_ups.set_index("agreement_id")["text"].to_dict() if len(follow_ups) else {}
    shown = _list_section(table, effects, public)
    if len(shown) and len(follow_ups):
        _effects_section(follow_ups[follow_ups["agreement_id"].isin(shown["agreement_id"])])
    if public:
        st.caption("Öffentliche Ansicht: nur als öffentlich markierte Vereinbarungen, ohne Notizen.")
        return
    st.divider()
    _status_section(table, user)
    st.divider()
    _form_section(table, user, store)

