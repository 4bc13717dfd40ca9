"""The Lagekarte's data: filtered records, cached hot spot and density analyses, the places table and
the map overlays – shared by the map page and the HTML map export of the Daten page.

Caches are keyed on the store's content token, the sidebar filters, the role and the page's
settings (hot-spot kind, place threshold), so every session sees the same computed layers.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from app_support import state
from app_support.foliumcache import MapPayload, build_payload
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import (
    COMPLAINT,
    DEFAULT_REPORT_KIND,
    KINDS,
    MEASURE_KINDS,
    REPORT_KINDS,
    SENSITIVE_PLACE,
    SYRINGE_FIND,
)
from geo.report.figures import DEFAULT_PLACE_THRESHOLD, count_hotspots, sensitive_place_table
from layers.basemap import base_map
from layers.elements import LayerControl
from layers.map import MapContent, Overlay, default_off, overlay_groups, overlay_scripts
from layers.tiles import TILES_ENV

#: session_state keys of the map page's settings (read here for the export, too).
THRESHOLD_KEY = "place_threshold"
HOTSPOT_KIND_KEY = "hotspot_kind"

_HASH = {state.Filters: lambda f: f.key()}


# ---------------------------------------------------------------------------- data
def records(kind: str, period, filters: state.Filters, *, restricted: bool = True,
            within: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
    """Records of ``kind`` in ``period`` after the filters (role-restricted by default)."""
    return state.apply_filters(state.load_records(kind, period, restricted=restricted), kind, filters, within)


def frames(period, filters: state.Filters, kinds, *, restricted: bool = True,
            within: shapely.Geometry | None = None) -> dict[str, gpd.GeoDataFrame]:
    """:func:`records` for several kinds (kind → frame)."""
    return {k: records(k, period, filters, restricted=restricted, within=within) for k in kinds}


@st.cache_resource(max_entries=32, show_spinner="Hotspots und Dichte werden berechnet …", hash_funcs=_HASH)
def analysis(token: str, filters: state.Filters, kind: str):
    """Gi* hot spots (period), hot cells of the previous period on the same grid, kernel density.

    One shared result per store content, filters and kind (``cache_resource``: no copy per call, which cost a
    new session ~0.02 s): callers must not modify it.

    Computed on all records of ``kind`` that pass the filters (not role-restricted: only
    aggregates leave this function). Returns ``(HotspotResult | None, int | None,
    DensityResult | None, note)``.
    """
    from geo.analysis.density import kde
    from geo.analysis.hotspots import hotspot_analysis

    area = state.get_store().area
    weight = KINDS[kind].weight_field
    points = state.spatial(records(kind, filters.period, filters, restricted=False), filters)
    if len(points) < 3:
        return None, None, None, f"Zu wenige {KINDS[kind].label_plural} im Zeitraum für eine Hotspot-Analyse."
    try:
        hs = hotspot_analysis(points, area, weight=weight)
        before = state.spatial(records(kind, filters.previous, filters, restricted=False), filters)
        prev = hotspot_analysis(before, area, weight=weight, cell=hs.cell, band=hs.band, shape=hs.shape) \
            if len(before) else None
        dens = kde(points, weight, bounds=area.boundary.bounds, cell=15.0, crs=area.crs)
    except UserError as exc:
        return None, None, None, f"Hotspot-Analyse nicht möglich: {exc}"
    return hs, (count_hotspots(prev.cells) if prev is not None else 0), dens, hs.scale_rule


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=_HASH)
def named_hotspots(token: str, filters: state.Filters, kind: str):
    """``(groups, place per cell, top table)``: the period's hotspots named by street, crossing or place
    (:mod:`geo.analysis.placenames`) and the "Top-Hotspots" table; ``None`` without hot spots. Shared, read-only."""
    from geo.analysis.placenames import name_hotspots, top_hotspots

    hs = analysis(token, filters, kind)[0]
    if hs is None:
        return None
    groups, place = name_hotspots(hs.cells, state.place_context(token))
    weight = KINDS[kind].weight_field
    now = records(kind, filters.period, filters, restricted=False)
    before = records(kind, filters.previous, filters, restricted=False)
    return groups, place, top_hotspots(groups, now, before, weight=weight)


@st.cache_data(max_entries=16, show_spinner=False, hash_funcs=_HASH)
def hotspots_between(token: str, filters: state.Filters, kind: str, before: str, after: str) -> pd.DataFrame:
    """The "Top-Hotspots" table of the Lagekarte (its hotspot areas: the sidebar period's) counted in two other
    periods: ``finds`` in ``after``, ``change`` against ``before`` (the Vergleich page's A and B). With the
    sidebar's period and the one before it, it is the Lagekarte's table itself. Empty without hotspots."""
    from geo.analysis.placenames import top_hotspots
    from geo.core.period import parse_period

    named = named_hotspots(token, filters, kind)
    if named is None:
        return top_hotspots(None, None)
    if (after, before) == (str(filters.period), str(filters.previous)):
        return named[2]
    now = records(kind, parse_period(after), filters, restricted=False)
    then = records(kind, parse_period(before), filters, restricted=False)
    return top_hotspots(named[0], now, then, weight=KINDS[kind].weight_field)


@st.cache_resource(max_entries=16, show_spinner="Prognose wird berechnet …", hash_funcs=_HASH)
def forecast_result(token: str, filters: state.Filters, kind: str):
    """Forecast for the period after the selected one (:func:`geo.analysis.forecast.forecast` on all
    filtered records of ``kind`` up to the period's end; aggregates only). ``None`` when impossible.
    Shared, read-only (one object for all sessions, no copy per call: ~0.06 s per new session)."""
    from geo.analysis.forecast import forecast

    try:
        return forecast(records(kind, None, filters, restricted=False), kind, state.get_store().area,
                        filters.period)
    except UserError:
        return None


@st.cache_data(max_entries=16, show_spinner="Karte wird vorbereitet …", hash_funcs=_HASH)
def overlays(token: str, filters: state.Filters, role: str, hotspot_kind: str, threshold: int) -> list[Overlay]:
    """The map's data overlays as JavaScript strings (cached by store content and settings)."""
    if role == "oeffentlich":
        return public_overlays(filters)
    period = filters.period
    content = MapContent(
        records=frames(period, filters, [k for k in REPORT_KINDS if k in filters.kinds]),
        measures=frames(period, filters, MEASURE_KINDS),
    )
    hs, _, dens, _ = analysis(token, filters, hotspot_kind)
    content.hotspot_cells = hs.cells if hs is not None else None
    named = named_hotspots(token, filters, hotspot_kind)
    if named is not None:  # the hotspot popups name their place
        content.hotspot_cells = hs.cells.assign(place=named[1].to_numpy())
    content.main_kind = hotspot_kind
    content.density = dens
    fc = forecast_result(token, filters, hotspot_kind)
    content.forecast_cells = fc.cells if fc is not None else None
    places = state.load_records(SENSITIVE_PLACE, None)
    if len(places):
        table = place_table(filters, threshold, None, token, role)
        content.places = table
        content.place_stats = pd.DataFrame({
            "Spritzenfunde im Zeitraum": table["finds"].to_numpy(),
            "Beschwerden im Zeitraum": table["complaints"].to_numpy(),
            "Veränderung zum Vorzeitraum": table["change"].to_numpy(),
        }, index=table.index)
    return overlay_scripts(content)


def lagekarte_payload(token: str, filters: state.Filters, role: str, hotspot_kind: str, threshold: int,
                      drawing: dict | None, *, key: str, height: int) -> MapPayload:
    """The Lagekarte as streamlit-folium's component arguments (:mod:`app_support.foliumcache`), built once per
    store content, filters, role, page settings and drawn area and shared by every session that asks for the
    same: a new session only sends it.

    The role is part of the key (the public role's map holds other layers and no drawing tool), and so are the
    served assets' address and the tile setting, which the map's script names.
    """
    drawn = None if drawing is None or role == "oeffentlich" else json.dumps(drawing, sort_keys=True)
    return _lagekarte_payload(token, filters, role, hotspot_kind, threshold, drawn, state.asset_base(),
                              os.environ.get(TILES_ENV, ""), key, height)


@st.cache_resource(max_entries=16, show_spinner="Karte wird vorbereitet …", hash_funcs=_HASH)
def _lagekarte_payload(token: str, filters: state.Filters, role: str, hotspot_kind: str, threshold: int,
                       drawing: str | None, asset_base: str, tiles: str, key: str, height: int) -> MapPayload:
    public = role == "oeffentlich"
    ov = overlays(token, filters, role, hotspot_kind, threshold)
    m = base_map(state.get_store().area, districts=state.districts(token), base=state.base_layers(token),
                 asset_base=asset_base, draw=not public, legend_open=False, fit=state.data_bounds(token))
    return build_payload(m, key=key, height=height,
                         feature_group_to_add=overlay_groups(ov, drawing=json.loads(drawing) if drawing else None),
                         layer_control=LayerControl(default_off(ov)), returned_objects=["all_drawings"])


def public_overlays(filters: state.Filters) -> list[Overlay]:
    """For the public role: finds only as grid cells with at least k events."""
    from app_support import public
    from geo.data.access import K_MIN
    from layers.hotspots import public_cells_js

    cells = public.cells(filters, SYRINGE_FIND)  # PostGIS: computed and suppressed by the database, never Sammelpunkte
    return [Overlay(f"Spritzenfunde je Zelle (ab {K_MIN})", (public_cells_js(cells),))]


def place_table(filters: state.Filters, threshold: int, within: shapely.Geometry | None,
                token: str = "", role: str = "") -> gpd.GeoDataFrame:
    """:func:`geo.report.figures.sensitive_place_table` for the filtered records (places inside ``within``).

    Cached by filters, threshold, ``within`` (as WKB), ``token`` (store content) and ``role``; one shared frame
    (read-only) for every session asking for the same.
    """
    return _place_table(filters, threshold, None if within is None else shapely.to_wkb(within, hex=True), token,
                        role)


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=_HASH)
def _place_table(filters: state.Filters, threshold: int, within_wkb: str | None, token: str,
                 role: str) -> gpd.GeoDataFrame:
    within = None if within_wkb is None else shapely.from_wkb(within_wkb)
    places = state.load_records(SENSITIVE_PLACE, None)
    if within is not None and len(places):
        places = places[shapely.intersects(within, places.geometry.values)]
    cur = {k: records(k, filters.period, filters) for k in (SYRINGE_FIND, COMPLAINT)}
    prev = {k: records(k, filters.previous, filters) for k in (SYRINGE_FIND, COMPLAINT)}
    return sensitive_place_table(places, cur[SYRINGE_FIND], cur[COMPLAINT], prev[SYRINGE_FIND],
                                 prev[COMPLAINT], threshold=threshold)


def page_figures(token: str, filters: state.Filters, role: str, kind: str,
                 within: shapely.Geometry | None = None) -> tuple[pd.DataFrame, dict]:
    """The Lagekarte's key figures (:func:`geo.report.figures.key_figures`, hot cells of ``kind``) and their
    changes (:func:`geo.report.keychanges.figure_changes`), inside ``within`` if given.

    Cached by store content, filters, role and area: the role ``oeffentlich`` gets
    :func:`geo.data.access.public_figures` (fewer than k events are not published) and no hot cells.
    """
    wkb = None if within is None else shapely.to_wkb(within, hex=True)
    return _page_figures(token, filters, role, kind, wkb)


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=_HASH)
def _page_figures(token: str, filters: state.Filters, role: str, kind: str,
                  within_wkb: str | None) -> tuple[pd.DataFrame, dict]:
    from app_support import public as public_view
    from geo.report.figures import key_figures
    from geo.report.keychanges import figure_changes

    within = None if within_wkb is None else shapely.from_wkb(within_wkb)
    if role == "oeffentlich":  # fewer than k events: not published, nor the change (PostGIS: the database's totals)
        figures = public_view.key_figures(
            filters, lambda: frames(filters.period, filters, REPORT_KINDS, restricted=False),
            lambda: frames(filters.previous, filters, REPORT_KINDS, restricted=False))
    else:
        hs, hot_prev = analysis(token, filters, kind)[:2]
        cur = frames(filters.period, filters, REPORT_KINDS, restricted=False, within=within)
        prev = frames(filters.previous, filters, REPORT_KINDS, restricted=False, within=within)
        hot_now, hot_prev = hotspot_counts(hs, hot_prev, within)
        figures = key_figures(cur, prev, hot_now, hot_prev)
    return figures, figure_changes(figures, filters.period.days, filters.previous.days)


def hotspot_counts(hs, hot_prev: int | None, within) -> tuple[int | None, int | None]:
    """Hotspots now (from the hot cells inside the drawn area, if any) and before (None with a drawn
    area: the previous grid is not restricted to it, so no comparison)."""
    if hs is None:
        return None, hot_prev
    cells = hs.cells if within is None else hs.cells[shapely.intersects(within, hs.cells.geometry.values)]
    return count_hotspots(cells), (None if within is not None else hot_prev)


def measures_table(token: str, filters: state.Filters, role: str,
                   within: shapely.Geometry | None = None) -> pd.DataFrame:
    """The measures of the period (inside ``within``) as the German table the Lagekarte shows; cached by store
    content, filters, role (measures are role-restricted records) and area."""
    wkb = None if within is None else shapely.to_wkb(within, hex=True)
    return _measures_table(token, filters, role, wkb)


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=_HASH)
def _measures_table(token: str, filters: state.Filters, role: str, within_wkb: str | None) -> pd.DataFrame:
    from geo.report.display import german_table
    from geo.report.figures import measures_list, to_german

    within = None if within_wkb is None else shapely.from_wkb(within_wkb)
    table = measures_list(frames(filters.period, filters, MEASURE_KINDS, within=within), filters.period)
    if not len(table):
        return pd.DataFrame()
    shown = table[["measure", "description", "when", "new_in_period"]].copy()
    shown["new_in_period"] = shown["new_in_period"].map({True: "neu", False: ""})
    return german_table(to_german(shown))


def map_overlays_for_export():
    """``(area, overlays, districts, subtitle, base)`` of the current map (period, filters, role) for
    :func:`layers.map.standalone_html` – computed here, in the script run, so a download
    callback only has to render."""
    store = state.get_store()
    filters = state.current_filters()
    token = store.version()
    hotspot_kind = st.session_state.get(HOTSPOT_KIND_KEY, DEFAULT_REPORT_KIND)
    threshold = int(st.session_state.get(THRESHOLD_KEY, DEFAULT_PLACE_THRESHOLD))
    ov = overlays(token, filters, state.current_user().role, hotspot_kind, threshold)
    subtitle = f"{filters.period.label()} · erstellt {fmt.datetime_(datetime.now())}"
    return store.area, ov, state.districts(token), subtitle, state.base_layers(token)
