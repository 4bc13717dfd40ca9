"""Meldung erfassen: one find, complaint or observation by map click or coordinates; correct or delete one.

Made for the phone (street cleaning in the field): one column, a small map, big buttons; works on a
390 px wide screen. Everything goes through :mod:`geo.data.single_records` (the import checks,
atomic writes, the audit log; deleting needs a reason). Roles ``analyse`` and ``rapport`` may write;
fields a role may not see (complaint texts, reporting persons) are neither shown nor lost.
"""

from __future__ import annotations

from datetime import datetime, time

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app_support import state
from geo.core.errors import UserError
from geo.core.schema import (
    COMPLAINT,
    COMPLAINT_CATEGORIES,
    COMPLAINT_CHANNELS,
    FIND_SOURCES,
    KINDS,
    REPORT_KINDS,
    SYRINGE_FIND,
)
from geo.data import single_records as sr
from layers.basemap import base_map, tiles_from_env
from layers.map import core_bounds

WRITE_ROLES = ("analyse", "rapport")
MAP_KEY = "report_map"
MAP_HEIGHT = 380
LAT_KEY, LON_KEY = "report_lat", "report_lon"
#: How many of the latest records can be picked for a correction.
LATEST = 30


def _coordinates_from_map() -> None:
    ret = st.session_state.get(MAP_KEY)
    clicked = ret.get("last_clicked") if isinstance(ret, dict) else None
    if clicked and clicked != st.session_state.get("_report_last_click"):
        st.session_state["_report_last_click"] = clicked
        st.session_state[LAT_KEY] = f"{clicked['lat']:.6f}".replace(".", ",")
        st.session_state[LON_KEY] = f"{clicked['lng']:.6f}".replace(".", ",")


def _fields(kind: str, prefix: str, old: pd.Series | None, may_see_texts: bool) -> dict:
    """The kind's input widgets (prefilled from ``old``); returns field → value."""
    k = KINDS[kind]

    def val(name, default):
        return default if old is None or name not in old or pd.isna(old[name]) else old[name]

    stamp = pd.Timestamp(val(k.date_field, datetime.now().replace(second=0, microsecond=0)))
    d = st.date_input(k.field(k.date_field).label, value=stamp.date(), format="DD.MM.YYYY", key=f"{prefix}_date")
    t = st.time_input("Uhrzeit", value=time(stamp.hour, stamp.minute), key=f"{prefix}_time", step=300)
    values: dict = {k.date_field: datetime.combine(d, t)}
    if kind == SYRINGE_FIND:
        values["count"] = st.number_input("Anzahl Spritzen", min_value=1, max_value=10_000, step=1,
                                          value=int(val("count", 1)), key=f"{prefix}_count")
        src = str(val("source", FIND_SOURCES[0]))
        options = list(dict.fromkeys([*FIND_SOURCES, src]))
        values["source"] = st.selectbox("Quelle", options, index=options.index(src), key=f"{prefix}_source")
    elif kind == COMPLAINT:
        cat = str(val("category", COMPLAINT_CATEGORIES[0]))
        values["category"] = st.selectbox("Kategorie", COMPLAINT_CATEGORIES, key=f"{prefix}_category",
                                          index=COMPLAINT_CATEGORIES.index(cat) if cat in COMPLAINT_CATEGORIES else 0)
        ch = str(val("channel", COMPLAINT_CHANNELS[0]))
        options = list(dict.fromkeys([*COMPLAINT_CHANNELS, ch]))
        values["channel"] = st.selectbox("Eingangskanal", options, index=options.index(ch), key=f"{prefix}_channel")
        if may_see_texts:
            values["text"] = st.text_area("Text", value=str(val("text", "")), key=f"{prefix}_text", height=80)
    else:
        values["persons"] = st.number_input("Personen", min_value=1, max_value=1000, step=1,
                                            value=int(val("persons", 1)), key=f"{prefix}_persons")
        src = str(val("source", "Streetwork"))
        options = list(dict.fromkeys([*FIND_SOURCES, src]))
        values["source"] = st.selectbox("Quelle", options, index=options.index(src), key=f"{prefix}_source")
    return values


def _coordinates_from_address(address: str, store) -> None:
    """Fill Breite/Länge from a typed address or place name (offline: from the store's base map and places)."""
    from geo.analysis.placenames import locate_address
    from geo.core.area import DISPLAY_CRS

    point = locate_address(address, state.place_context(store.version()))
    if point is None:
        st.error(f"»{address}« nicht gefunden – bitte auf die Karte tippen oder Koordinaten eingeben. "
                 "Adressen kommen aus der importierten Grundkarte (lagebild basemap import).")
        return
    ll = gpd.GeoSeries([point], crs=store.area.crs).to_crs(DISPLAY_CRS).iloc[0]
    st.session_state[LAT_KEY] = f"{ll.y:.6f}".replace(".", ",")
    st.session_state[LON_KEY] = f"{ll.x:.6f}".replace(".", ",")
    st.rerun()


def _focus(token: str) -> tuple[float, float, float, float] | None:
    """Where most reports are, at street level (the map opens there; the study area is one zoom out)."""
    return core_bounds([state.load_records(k, None, restricted=False) for k in REPORT_KINDS])


def _add_section(store, user) -> None:
    kind = st.radio("Art", REPORT_KINDS, format_func=lambda k: KINDS[k].label, horizontal=True, key="report_kind")
    _coordinates_from_map()
    token = store.version()
    # the base map (buildings, streets with names) and the Lagekarte's view: one can see where to tap
    m = base_map(store.area, tiles=tiles_from_env(), asset_base=state.asset_base(), draw=False, legend=False,
                 base=state.base_layers(token), districts=state.districts(token), fit=_focus(token))
    st_folium(m, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True, returned_objects=["last_clicked"])
    st.caption("Ort: auf die Karte tippen, eine Adresse eingeben (aus der importierten Grundkarte) oder "
               "Koordinaten (Dezimalgrad, WGS84).")
    address = st.text_input("Adresse oder Ort", key="report_address", placeholder="z. B. Eisenbahnstraße 52")
    if address.strip() and st.button("Adresse suchen", key="report_address_go"):
        _coordinates_from_address(address, store)
    c1, c2 = st.columns(2)
    lat = c1.text_input("Breite", key=LAT_KEY, placeholder="51,3452")
    lon = c2.text_input("Länge", key=LON_KEY, placeholder="12,4050")
    with st.form("report_add"):
        values = _fields(kind, "add", None, user.role == "analyse")
        go = st.form_submit_button("Meldung speichern", type="primary", width="stretch")
    if go:
        if not (lat.strip() and lon.strip()):
            st.error("Bitte einen Ort angeben: auf die Karte tippen oder Breite und Länge eingeben.")
            return
        try:
            res = sr.add_report(store, kind, values, lat, lon, user=user.name)
        except UserError as exc:
            st.error(str(exc))
        else:
            st.session_state["report_flash"] = res.message
            st.session_state["report_fix_pick"] = res.record_id
            st.session_state.setdefault("report_session_ids", []).append(res.record_id)
            st.rerun()


def record_labels(rows: pd.DataFrame, kind: str, ctx) -> dict[str, str]:
    """How a record is offered for correction: ``31.10.2026 22:05 · Eisenbahnstraße, vor Nr. 52 · 3 Spritzen``
    (date, place from the base map, what was reported; ``rows`` indexed by ``record_id``)."""
    from geo.analysis.placenames import address_of

    out = {}
    for rid, row in rows.iterrows():
        when = pd.Timestamp(row[KINDS[kind].date_field])
        if kind == SYRINGE_FIND:
            what = f"{int(row['count'])} {'Spritze' if int(row['count']) == 1 else 'Spritzen'}"
        elif kind == COMPLAINT:
            what = str(row.get("category", "") or "")
        else:
            n = int(row.get("persons", 0) or 0)
            what = f"{n} {'Person' if n == 1 else 'Personen'}" if n else ""
        place = address_of(shapely.centroid(row.geometry), ctx) if row.geometry is not None else ""
        out[str(rid)] = " · ".join(p for p in (f"{when:%d.%m.%Y %H:%M}", place, what) if p)
    return out


def _fix_section(store, user) -> None:
    st.subheader("Meldung korrigieren oder löschen")
    kind = st.selectbox("Art", REPORT_KINDS, format_func=lambda k: KINDS[k].label_plural, key="report_fix_kind")
    records = state.user_store().read(kind)  # PostGIS: read as the user's database role
    k = KINDS[kind]
    latest = records.sort_values(k.date_field, ascending=False).head(LATEST)
    ids = latest["record_id"].astype(str).tolist()
    wanted = st.session_state.get("report_fix_pick")
    stored = set(records["record_id"])
    mine = [i for i in st.session_state.get("report_session_ids", []) if i in stored and i not in ids]
    ids = [*reversed(mine), *ids]  # records entered in this session stay pickable
    if not ids:
        st.info("Keine Meldungen dieser Art gespeichert.")
        return
    by_id = records.set_index("record_id")
    if wanted in ids:  # the record just saved is picked (set before the widget exists in this run)
        st.session_state["report_fix_id"] = st.session_state.pop("report_fix_pick")
    if st.session_state.get("report_fix_id") not in ids:
        st.session_state.pop("report_fix_id", None)
    labels = record_labels(by_id.loc[ids], kind, state.place_context(store.version()))
    pick = st.selectbox(f"Meldung (die {LATEST} neuesten)", ids, key="report_fix_id", format_func=labels.get)
    old = by_id.loc[pick]
    pt = pd.Series([old.geometry], dtype=object)
    import geopandas as gpd

    from geo.core.area import DISPLAY_CRS

    ll = gpd.GeoSeries(pt, crs=store.area.crs).to_crs(DISPLAY_CRS).iloc[0]
    with st.form("report_fix"):
        prefix = f"fix_{pick}"  # widgets per record: another record shows its own values
        values = _fields(kind, prefix, old, user.role == "analyse")
        c1, c2 = st.columns(2)
        lat = c1.text_input("Breite", value=f"{ll.y:.6f}".replace(".", ","), key=f"{prefix}_lat")
        lon = c2.text_input("Länge", value=f"{ll.x:.6f}".replace(".", ","), key=f"{prefix}_lon")
        save = st.form_submit_button("Korrektur speichern", type="primary", width="stretch")
    if save:
        try:
            res = sr.correct_report(store, kind, pick, values, lat, lon, user=user.name)
        except UserError as exc:
            st.error(str(exc))
        else:
            st.session_state["report_flash"] = res.message
            st.session_state["report_fix_pick"] = res.record_id
            st.session_state.setdefault("report_session_ids", []).append(res.record_id)
            st.rerun()
    with st.form("report_delete"):
        reason = st.text_input("Grund der Löschung (Pflicht, wird protokolliert)", key="delete_reason")
        delete = st.form_submit_button("Meldung löschen", width="stretch")
    if delete:
        try:
            res = sr.delete_report(store, kind, pick, reason=reason, user=user.name)
        except UserError as exc:
            st.error(str(exc))
        else:
            st.session_state["report_flash"] = res.message
            st.session_state.pop("report_fix_pick", None)
            st.rerun()


def render() -> None:
    """Draw the Meldung erfassen page."""
    store = state.get_store()
    user = state.current_user()
    st.title("Meldung erfassen")
    if user.role not in WRITE_ROLES:
        st.info("Meldungen erfassen dürfen nur die Rollen »analyse« und »rapport«.")
        return
    flash = st.session_state.pop("report_flash", None)
    if flash:
        st.success(flash)
    _add_section(store, user)
    st.divider()
    _fix_section(store, user)
