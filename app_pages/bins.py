"""Behälter: how well the disposal bins cover the syringe finds, and where new bins would do most.

For the street cleaning service (issue 6): key figures of the coverage in the sidebar's
period, a map (bins with their radius, covered and uncovered finds, suggested sites,
exclusion zones, hot spots without a bin), the coverage curve (what the 1st, 2nd, … new bin
adds), the existing bins ranked by what they cover alone (candidates for moving), the
suggested sites, and the plan for the crews as CSV and GeoJSON (:func:`geo.analysis.siting.plan_table`).

Optional uploads: candidate sites (e.g. street corners) and a street network (distances
along streets); both are read from temporary copies, errors are shown in German. The
computation is cached on the store's content token and the parameters (uploads by their
content hash). The public role sees only the aggregated key figures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st

from app_support import state
from app_support.files import check_upload_size, export_bytes, upload_limit_mb
from app_support.foliumcache import MapPayload, build_payload, show_map
from app_support.htmltable import show_table
from geo.analysis.coverage import DEFAULT_RADIUS_M, CoverageResult
from geo.analysis.siting import SitingResult, plan_table
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DISPOSAL_BIN, PLACE_BUFFER_M, SENSITIVE_PLACE, SYRINGE_FIND
from geo.data.access import K_MIN, log_release, may_import, may_see_points, restrict
from geo.data.people import plan_for_people
from geo.report.charts import german_chart
from geo.report.display import german_table
from layers.basemap import TILES_ENV, base_map
from layers.bins import (
    BIN_COLOUR,
    SITE_COLOUR,
    bins_legend_corner,
    bins_legend_html,
    bins_overlays,
    focus_bounds,
)
from layers.elements import JsCall, LayerControl
from layers.escape import js_json
from layers.map import Overlay, overlay_groups

log = logging.getLogger("lagebild")

MAP_KEY = "bins_map"
RADIUS_KEY, K_KEY, SENSITIVE_KEY = "bins_radius", "bins_k", "bins_sensitive_m"
CANDIDATES_KEY, NETWORK_KEY = "bins_candidates", "bins_network"
MAP_HEIGHT = 640
K_MAX = 10
DEFAULT_K = 3
#: Default minimum distance of new bins to Kitas and schools (m).
DEFAULT_SENSITIVE_M = int(PLACE_BUFFER_M)
CANDIDATE_TYPES = ["csv", "txt", "geojson", "json", "gpkg", "zip"]
NETWORK_TYPES = ["geojson", "json", "gpkg", "zip"]


@dataclass(frozen=True)
class Params:
    """The page's settings; the uploads enter by name and content hash (``""`` = none)."""

    radius_m: float = DEFAULT_RADIUS_M
    k: int = DEFAULT_K
    sensitive_m: float = DEFAULT_SENSITIVE_M
    candidates: str = ""
    network: str = ""
    forecast: bool = False


@dataclass(frozen=True)
class Uploads:
    """Parsed uploads (``None`` = not given or not readable)."""

    candidates: gpd.GeoDataFrame | None = None
    network: object | None = None  # geo.analysis.streets.StreetNetwork


#: Cache keys of the non-primitive arguments (primitives only; GeoDataFrames are never hashed).
_HASH = {state.Filters: lambda f: f.key(), Params: dataclasses.astuple}


# ---------------------------------------------------------------------------- formatting
def pct(share: float) -> str:
    """A share 0–1 as German percent (``34,4 %``; ``–`` when missing)."""
    return fmt.percent(share, 1)


def de(value: float, digits: int = 0) -> str:
    """A German number (``1.234``, ``67,3``)."""
    return fmt.number(value, digits)


# ---------------------------------------------------------------------------- uploads
def _temp_name(name: str) -> str:
    """A harmless file name for the temporary copy (messages mention it), keeping the extension."""
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = re.sub(r"[^\w\-]+", "_", stem).strip("_")[:80] or "upload"
    return stem + re.sub(r"[^\w.]+", "", suffix)[:10]


@st.cache_resource(max_entries=8, show_spinner="Datei wird gelesen …")
def _read_upload(what: str, digest: str, name: str, crs: str, _data: bytes):
    """Read an uploaded file once per content (``digest``): candidate sites or a street network."""
    from geo.analysis.streets import StreetNetwork
    from geo.data.sitefiles import read_candidates, read_street_lines

    with tempfile.TemporaryDirectory(prefix="lagebild-upload-") as tmp:
        path = Path(tmp) / _temp_name(name)
        path.write_bytes(_data)
        if what == "candidates":
            gdf = read_candidates(path, crs)
            if not len(gdf):
                raise UserError(f"{name}: keine Standorte mit Koordinaten gefunden.")
            return gdf
        return StreetNetwork.from_lines(read_street_lines(path, crs), crs)


def _upload(what: str, upload, crs: str) -> tuple[object | None, str]:
    """The parsed upload and its cache key (``name:digest``); a German error and ``(None, "")`` on failure."""
    if upload is None:
        return None, ""
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:20]
    try:
        check_upload_size(len(data), upload_limit_mb())
        return _read_upload(what, digest, upload.name, crs, data), f"{upload.name}:{digest}"
    except UserError as exc:
        st.error(f"{upload.name}: {exc}" if upload.name not in str(exc) else str(exc))
    except Exception:  # noqa: BLE001 - no traceback reaches a user
        log.exception("Upload %s nicht lesbar", what)
        st.error(f"Die Datei {upload.name} konnte nicht gelesen werden. Bitte Format und Inhalt prüfen "
                 "(GeoPackage, GeoJSON, CSV oder gezipptes Shapefile).")
    st.caption("Es wird ohne diese Datei gerechnet.")
    return None, ""


# ---------------------------------------------------------------------------- cached analyses
@st.cache_data(max_entries=16, show_spinner="Hotspots werden berechnet …", hash_funcs=_HASH)
def hot_cells(token: str, filters: state.Filters) -> gpd.GeoDataFrame | None:
    """Gi* cells of the period's finds (as on the Lagekarte), or ``None`` with fewer than 3 finds."""
    from geo.analysis.hotspots import hotspot_analysis

    finds = _finds(filters)
    if len(finds) < 3:
        return None
    try:
        return hotspot_analysis(finds, state.get_store().area, weight="count").cells
    except UserError:
        return None


def _finds(filters: state.Filters) -> gpd.GeoDataFrame:
    """The period's finds after the sidebar's source filter (all fields: only aggregates and
    role-restricted points leave this page)."""
    return state.spatial(state.apply_filters(state.load_records(SYRINGE_FIND, filters.period, restricted=False),
                                             SYRINGE_FIND, filters), filters)


@st.cache_data(max_entries=16, show_spinner="Abdeckung und Standorte werden berechnet …", hash_funcs=_HASH)
def analysis(token: str, filters: state.Filters, params: Params, _uploads: Uploads = Uploads()) -> SitingResult:
    """Coverage of the period's finds by the active bins and ``params.k`` suggested sites.

    ``_uploads`` is not hashed: ``params`` carries the uploads' content hashes.
    """
    from geo.analysis.coverage import analyse_coverage, bin_effects
    from geo.analysis.siting import suggest_bins

    area = state.get_store().area
    bins = state.load_records(DISPOSAL_BIN, None, restricted=False)
    all_finds = state.spatial(state.load_records(SYRINGE_FIND, None, restricted=False), filters)  # no Sammelpunkte
    effects = bin_effects(bins, all_finds, area, crs=area.crs)
    coverage = analyse_coverage(_finds(filters), bins, period=filters.period, radius_m=params.radius_m,
                                network=_uploads.network, hot_cells=hot_cells(token, filters), crs=area.crs,
                                effects=effects)
    demand, problem = _forecast_demand(filters, coverage, area) if params.forecast else (None, "")
    result = suggest_bins(
        coverage, params.k, candidates=_uploads.candidates, area=area,
        sensitive=state.load_records(SENSITIVE_PLACE, None, restricted=False),
        sensitive_distance_m=params.sensitive_m, demand_weights=demand,
    )
    result = dataclasses.replace(result, params={**result.params, "demand": "finds" if demand is None else "forecast",
                                                 "forecast_problem": problem})
    if len(result.sites):  # an address for the crews: "Vorschlag 1 – Torgauer Platz, vor Nr. 3"
        from geo.analysis.placenames import label_sites

        result = dataclasses.replace(result, sites=label_sites(result.sites, state.place_context(token)))
    return result


def _forecast_demand(filters: state.Filters, coverage, area):
    """Demand of the period's finds from the forecast of the next period, and ``""``; ``(None, why)`` when
    no forecast is possible (``why``: the German reason)."""
    from geo.analysis.forecast import demand_weights, forecast
    from geo.core.errors import UserError
    from geo.core.grid import point_coordinates

    try:
        result = forecast(state.apply_filters(state.load_records(SYRINGE_FIND, None, restricted=False),
                                              SYRINGE_FIND, filters), SYRINGE_FIND, area, filters.period)
    except UserError as exc:
        return None, str(exc)
    return demand_weights(result, *point_coordinates(coverage.finds, area.crs)), ""


@st.cache_data(max_entries=16, show_spinner="Karte wird vorbereitet …", hash_funcs=_HASH)
def overlays(token: str, filters: state.Filters, params: Params, role: str, _result: SitingResult) -> list[Overlay]:
    """The map's overlays for ``role`` (finds restricted to what the role may see)."""
    finds = restrict(_result.coverage.finds, SYRINGE_FIND, role) if may_see_points(role) else None
    return bins_overlays(_result.coverage, _result, finds=finds)


# ---------------------------------------------------------------------------- page
def render() -> None:
    """Draw the Behälter page."""
    store = state.get_store()
    user = state.current_user()
    filters = state.current_filters()
    token = store.version()
    st.title("Spritzenbehälter")
    st.caption(f"Zeitraum **{filters.period.label()}** · Spritzenfunde und Spritzenentsorgungsbehälter · "
               f"Gebiet: {store.area.name}")
    if state.empty_store_notice(store):
        return
    if SYRINGE_FIND not in filters.kinds:
        st.info("Spritzenfunde sind in der Seitenleiste abgewählt. Bitte unter »Meldungen« wieder auswählen.")
        return
    if not may_see_points(user.role):
        st.info("Öffentliche Ansicht: nur zusammengefasste Kennzahlen, ohne Karte und ohne einzelne Fundorte; "
                f"Anteile nur, wenn innerhalb und außerhalb des Radius mindestens {K_MIN} Funde liegen.")
        _public_key_figures(analysis(token, filters, Params(k=0)))
        return

    state.stacks_caption(SYRINGE_FIND, filters)
    params, uploads = _controls(store.area.crs)
    result = analysis(token, filters, params, uploads)
    if params.forecast:  # say what the switch changed: the same settings without it (usually cached already)
        without = analysis(token, filters, dataclasses.replace(params, forecast=False), uploads)
        st.caption(forecast_note(result.sites, without.sites, used=result.params.get("demand") == "forecast",
                                 problem=str(result.params.get("forecast_problem", ""))))
    cov = result.coverage
    _key_figures(result)

    left, right = st.columns([2.4, 1.1], gap="medium")
    with left:
        show_map(map_payload(token, filters, params, user.role, state.asset_base(), os.environ.get(TILES_ENV, ""),
                             result))
        st.caption(f"Radius {de(cov.radius_m)} m, {cov.metric_label}"
                   + (" (Kreise zeigen die Luftlinie; entlang der Straßen reicht ein Behälter weniger weit)"
                      if cov.metric == "network" else "")
                   + ". Blau: Behälter mit Radius · hellviolett: Fund im Radius · dunkelviolett: Fund außerhalb · "
                   "orange Zahl: Vorschlag · grün gestrichelt: Schutzabstand Kita/Schule · rot: Hotspot ohne Behälter. "
                   "Klick auf einen Behälter, Fund oder Vorschlag zeigt seine Angaben.")
    with right:
        _curve_section(result)

    plan = plan_table(result)
    _sites_section(result, plan)
    _bins_section(plan)
    _downloads(plan, filters, user)


@st.cache_resource(max_entries=16, show_spinner="Karte wird vorbereitet …", hash_funcs=_HASH)
def map_payload(token: str, filters: state.Filters, params: Params, role: str, asset_base: str, tiles: str,
                _result: SitingResult) -> MapPayload:
    """The map as streamlit-folium's component arguments (:mod:`app_support.foliumcache`), built once per store
    content, filters, settings and role and shared by every session (the served assets' address and the tile
    setting are named in its script; ``_result`` is :func:`analysis` of the same key)."""
    area = state.get_store().area
    ov = overlays(token, filters, params, role, _result)
    bounds = focus_bounds(_result.coverage)
    m = base_map(area, districts=state.districts(token), base=state.base_layers(token), asset_base=asset_base,
                 draw=False, legend=False, fit=(*bounds[0], *bounds[1]) if bounds else None)
    corner = bins_legend_corner(_result)  # an unfolded legend must not hide a suggested site
    m.add_child(JsCall(f"LB.legend({{map}}, {js_json(bins_legend_html(open_=False))}, {js_json(corner)});"))
    return build_payload(m, key=MAP_KEY, height=MAP_HEIGHT, feature_group_to_add=overlay_groups(ov),
                         layer_control=LayerControl(), returned_objects=[])


def _controls(crs: str) -> tuple[Params, Uploads]:
    c1, c2, c3 = st.columns(3)
    radius = c1.number_input("Radius (m)", min_value=25, max_value=1000, value=int(DEFAULT_RADIUS_M), step=25,
                             key=RADIUS_KEY, help="Wie weit gehen Menschen, um eine Spritze zu entsorgen? "
                             "Ein Fund gilt als abgedeckt, wenn ein Behälter höchstens so weit entfernt ist.")
    k = c2.slider("Anzahl neuer Behälter K", min_value=0, max_value=K_MAX, value=DEFAULT_K, key=K_KEY,
                  help="So viele neue Standorte werden vorgeschlagen – dort, wo sie die meisten noch nicht "
                       "abgedeckten Spritzen erreichen.")
    sensitive = c3.number_input("Mindestabstand zu Kitas/Schulen (m)", min_value=0, max_value=500,
                                value=DEFAULT_SENSITIVE_M, step=10, key=SENSITIVE_KEY,
                                help="Neue Behälter halten mindestens diesen Abstand (Luftlinie) zu Kitas und "
                                     "Schulen. Zu bestehenden Behältern halten sie mindestens den Radius.")
    candidates = network = cand_key = net_key = None
    if not may_import(state.current_user().role):  # the server refuses uploads of roles that may not import
        st.caption("Eigene Dateien (mögliche Standorte, Straßennetz) kann nur die Rolle »analyse« hochladen.")
    else:
        with st.expander("Eigene Dateien (optional): mögliche Standorte, Straßennetz"):
            u1, u2 = st.columns(2)
            cand_file = u1.file_uploader(
                "Mögliche Standorte, z. B. Straßenecken (CSV mit lat/lon, GeoJSON, GeoPackage, gezipptes Shapefile)",
                type=CANDIDATE_TYPES, key=CANDIDATES_KEY,
                help="Ohne Datei wird ein Raster (25 m) im ganzen Gebiet geprüft.")
            net_file = u2.file_uploader(
                "Straßennetz (Linien als GeoJSON, GeoPackage oder gezipptes Shapefile)", type=NETWORK_TYPES,
                key=NETWORK_KEY,
                help="Mit Straßennetz werden Entfernungen entlang der Straßen gemessen statt Luftlinie.")
            with u1:
                candidates, cand_key = _upload("candidates", cand_file, crs)
                if candidates is not None:
                    st.caption(f"{de(len(candidates))} mögliche Standorte gelesen.")
            with u2:
                network, net_key = _upload("network", net_file, crs)
                if network is not None:
                    st.caption(f"Straßennetz: {de(network.n_edges)} Abschnitte, {de(network.total_length_km, 1)} km.")
    fc = st.toggle("Bedarf nach Prognose", value=False, key="bins_forecast",
                   help="Neue Standorte für die Prognose des nächsten Zeitraums statt für die Funde des gewählten "
                        "Zeitraums (je Zelle die erwarteten Funde, verteilt auf ihre Fundstellen; "
                        "Vergleich → Prognose).")
    params = Params(radius_m=float(radius), k=int(k), sensitive_m=float(sensitive), candidates=cand_key,
                    network=net_key, forecast=bool(fc))
    return params, Uploads(candidates=candidates, network=network)


def _site_keys(sites: pd.DataFrame) -> list[tuple[float, float]]:
    """The sites' positions (metres, to 0,1 m) in rank order: the same place in two results."""
    return [(round(float(x), 1), round(float(y), 1)) for x, y in zip(sites["x"], sites["y"], strict=True)]


def _place(sites: pd.DataFrame, i: int) -> str:
    """The address part of a site's label (``Torgauer Platz, vor Nr. 3``), ``""`` without one."""
    return str(sites["label"].iloc[i]).partition(" – ")[2] if "label" in sites else ""


def _site_name(sites: pd.DataFrame, i: int) -> str:
    """``Nr. 2 – Torgauer Platz, vor Nr. 3`` (rank and address)."""
    place = _place(sites, i)
    return f"Nr. {i + 1}" + (f" – {place}" if place else "")


def forecast_note(sites: pd.DataFrame, without: pd.DataFrame, *, used: bool, problem: str = "") -> str:
    """What the switch »Bedarf nach Prognose« changed, in plain German: the suggested ``sites`` (demand =
    the forecast) compared by position with ``without`` (the same settings, demand = the period's finds):
    the same sites in the same order, the same in another order (which rank was which), or which are new
    and which dropped out. ``used`` = a forecast could be made; else ``problem`` says why not and the
    sites are the period's. E.g. ``… Ergebnis: dieselben 3 Standorte in derselben Reihenfolge wie nach
    den Funden des Zeitraums – die erwartete Nachfrage ändert hier nichts.``
    """
    if not used:
        why = f" ({problem.rstrip('.')})" if problem else ""
        return (f"Bedarf nach Prognose: für den nächsten Zeitraum ist keine Prognose möglich{why} – die Standorte "
                "sind wie ohne Prognose nach den Funden des Zeitraums berechnet.")
    head = "Bedarf nach Prognose: die erwarteten Funde des nächsten Zeitraums statt der Funde des Zeitraums."
    now, before = _site_keys(sites), _site_keys(without)
    n = len(now)
    same = "derselbe Standort" if n == 1 else f"dieselben {n} Standorte"
    if now == before:
        if not n:
            return f"{head} Ergebnis: wie ohne Prognose kein neuer Standort."
        order = "" if n == 1 else " in derselben Reihenfolge"
        return (f"{head} Ergebnis: {same}{order} wie nach den Funden des Zeitraums – "
                "die erwartete Nachfrage ändert hier nichts.")
    if sorted(now) == sorted(before):
        moved = [f"{_site_name(sites, i)} (vorher Nr. {before.index(key) + 1})"
                 for i, key in enumerate(now) if before[i] != key]
        return f"{head} Ergebnis: {same} wie nach den Funden des Zeitraums, in anderer Reihenfolge: {', '.join(moved)}."
    new = [_site_name(sites, i) for i, key in enumerate(now) if key not in before]
    gone = [(f"{_place(without, j)} " if _place(without, j) else "") + f"(vorher Nr. {j + 1})"
            for j, key in enumerate(before) if key not in now]
    parts = [f"{len(new)} von {n} Standorten anders als nach den Funden des Zeitraums – neu: {', '.join(new)}"
             if n else f"kein neuer Standort (ohne Prognose: {len(before)})"]
    if gone:
        parts.append(f"nicht mehr dabei: {', '.join(gone)}")
    return f"{head} Ergebnis: {'; '.join(parts)}."


def _key_figures(result: SitingResult) -> None:
    cov: CoverageResult = result.coverage
    n_bins = len(cov.bins)
    cols = st.columns(5 if len(result.sites) else 4)
    cols[0].metric("Funde im Radius", pct(cov.share_finds),
                   help=f"{de(cov.covered_finds)} von {de(cov.n_finds)} Spritzenfunden des Zeitraums liegen "
                        f"höchstens {de(cov.radius_m)} m ({cov.metric_label}) von einem Behälter entfernt.")
    cols[1].metric("Spritzen im Radius", pct(cov.share_syringes),
                   help=f"{de(cov.covered_syringes)} von {de(cov.n_syringes)} gefundenen Spritzen.")
    per_bin = cov.bins["covered_finds"].mean() if n_bins else None
    cols[2].metric("Funde je Behälter", de(per_bin, 1),
                   help="Durchschnittliche Zahl der Funde im Radius eines Behälters (ein Fund im Radius "
                        "zweier Behälter zählt bei beiden).")
    cols[3].metric("Behälter ohne Fund", f"{de(len(cov.idle_bins))} von {de(n_bins)}",
                   help="Im Zeitraum aufgestellte Behälter ohne einen Fund im Radius.")
    if len(result.sites):
        after = result.curve["share_syringes"].iloc[-1]
        cols[4].metric(f"Mit {len(result.sites)} neuen Behältern", pct(after),
                       delta=f"{fmt.number(_points(after, cov.share_syringes), 1, sign=True)} Prozentpunkte",
                       help="Anteil der Spritzen im Radius, wenn die vorgeschlagenen Behälter dazukommen.")


def _points(after: float, before: float) -> float:
    """The change in percentage points between the two shares as shown (one decimal each), so that the
    delta always equals the difference of the two figures on the page (70,4 % − 34,4 % = +36,0)."""
    shown = fmt.rounded([100 * after, 100 * before], 1)
    return float(shown[0] - shown[1])


def public_shares(cov: CoverageResult, k: int = K_MIN) -> tuple[str, str]:
    """Shares of finds and syringes in the radius for the public role: published only when at least ``k`` finds
    lie inside and ``k`` outside the radius (else a share of 1 of 3 would point at single finds)."""
    inside, outside = cov.covered_finds, cov.n_finds - cov.covered_finds
    if inside < k or outside < k:
        return f"unter {k} Funde", f"unter {k} Funde"
    return pct(cov.share_finds), pct(cov.share_syringes)


def _public_key_figures(result: SitingResult) -> None:
    """The public role's figures: shares only (:func:`public_shares`), no counts, nothing per bin."""
    cov: CoverageResult = result.coverage
    finds, syringes = public_shares(cov)
    cols = st.columns(3)
    cols[0].metric("Funde im Radius", finds, help=f"Anteil der Spritzenfunde des Zeitraums höchstens "
                                                  f"{de(cov.radius_m)} m ({cov.metric_label}) von einem Behälter.")
    cols[1].metric("Spritzen im Radius", syringes)
    cols[2].metric("Behälter", de(len(cov.bins)))


def curve_table(result: SitingResult) -> pd.DataFrame:
    """The coverage curve for display: one row per number of new bins (0 = existing only)."""
    c = result.curve
    labels = ["nur bestehende", *result.sites["label"].astype(str).tolist()]
    return pd.DataFrame({
        "Neu": c["new_bins"].to_numpy(),
        "hinzu kommt": labels[: len(c)],
        "Spritzen im Radius": [pct(v) for v in c["share_syringes"]],
        "+ Spritzen": c["gain_syringes"].to_numpy(),
        "Funde im Radius": [pct(v) for v in c["share_finds"]],
    })


def _curve_section(result: SitingResult) -> None:
    st.subheader("Was bringen neue Behälter?")
    if result.k == 0:
        st.info("K = 0: keine neuen Standorte gesucht. Für Vorschläge oben die Anzahl erhöhen.")
        return
    if not len(result.sites):
        st.info("Kein zulässiger neuer Standort erreicht weitere Funde (alle Funde abgedeckt oder alle "
                "möglichen Standorte in Sperrzonen).")
        return
    table = curve_table(result)
    data = table.assign(**{"Spritzen im Radius (%)": fmt.rounded(100 * result.curve["share_syringes"], 1),
                           "Art": ["bestehend"] + ["neu"] * (len(table) - 1)})
    base = alt.Chart(data).encode(
        x=alt.X("Neu:O", title="Zahl neuer Behälter", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Spritzen im Radius (%):Q", title="Spritzen im Radius (%)", scale=alt.Scale(domain=[0, 100])),
    )
    bars = base.mark_bar(size=28).encode(
        color=alt.Color("Art:N", scale=alt.Scale(domain=["bestehend", "neu"], range=[BIN_COLOUR, SITE_COLOUR]),
                        legend=None),
        tooltip=["hinzu kommt", "Spritzen im Radius", "+ Spritzen", "Funde im Radius"],
    )
    text = base.mark_text(dy=-8, fontSize=12).encode(text="Spritzen im Radius")
    st.altair_chart(german_chart((bars + text).properties(height=250)), width="stretch")
    if len(result.sites) < result.k:
        st.caption(f"Nur {len(result.sites)} neue Standorte bringen zusätzliche Abdeckung.")
    show_table(german_table(table[["hinzu kommt", "Spritzen im Radius", "+ Spritzen"]]),
               numeric={"Spritzen im Radius", "+ Spritzen"}, name="curve")
    s = result.stats
    st.caption(f"Jeder weitere Behälter bringt höchstens so viel wie der vorige. Geprüft: {de(s['candidates'])} "
               f"mögliche Standorte, davon {de(s['near_bins'])} zu nah an Behältern und "
               f"{de(s['near_sensitive'])} zu nah an Kitas/Schulen. Verfahren: {result.method_label}.")


def _sites_section(result: SitingResult, plan: gpd.GeoDataFrame) -> None:
    if not len(result.sites):
        return
    st.subheader("Vorgeschlagene Standorte")
    sug = plan[plan["status"] == "suggested"]
    shown = pd.DataFrame({
        "Nr.": sug["rank"], "Vorschlag": sug["label"].astype(str).str.replace(r"^Vorschlag \d+ – ", "", regex=True),
        "Funde im Radius": sug["covered_finds"],
        "Spritzen im Radius": sug["covered_syringes"], "neu abgedeckt: Funde": sug["gain_finds"],
        "neu abgedeckt: Spritzen": sug["gain_syringes"],
        "Spritzen im Radius danach": sug["share_syringes_after"].astype(float).map(pct),
        "Breite": sug["lat"], "Länge": sug["lon"],
    })
    show_table(german_table(shown, decimals={"Breite": 6, "Länge": 6}), numeric=set(shown.columns) - {"Vorschlag"},
               name="sites")
    st.caption("Reihenfolge = Nutzen: Nr. 1 erreicht die meisten noch nicht abgedeckten Spritzen. Vorschläge sind "
               "Rechenergebnisse – vor Ort prüfen (Eigentum, Gehweg, Sichtbarkeit).")


def _bins_section(plan: gpd.GeoDataFrame) -> None:
    st.subheader("Bestehende Behälter")
    ex = plan[plan["status"] == "existing"].sort_values("removal_rank")
    if not len(ex):
        st.info("Im Zeitraum war kein Behälter aufgestellt.")
        return
    shown = pd.DataFrame({
        "Versetzen (1 = zuerst)": ex["removal_rank"].map(lambda r: "–" if pd.isna(r) else str(int(r))),
        "Standort": ex["label"], "Eigentümer": ex["owner"],
        "seit": ex["installed_at"].dt.strftime(fmt.DATE_FORMAT),
        "Funde": ex["covered_finds"], "Spritzen": ex["covered_syringes"],
        "nur hier: Funde": ex["unique_finds"], "nur hier: Spritzen": ex["unique_syringes"],
        "Rang nach Nutzen": ex["rank"],
        "Begründung": ex["removal_reason"],
    })
    show_table(german_table(shown), numeric=set(shown.columns) - {"Standort", "Eigentümer", "seit", "Begründung"},
               name="bins")
    st.caption("Funde und Spritzen im Radius des Behälters; »nur hier« = nur dieser Behälter erreicht sie – das ginge "
               "verloren, wenn er wegkäme. »Versetzen« 1 = kostet am wenigsten, zuerst prüfen; »Rang nach Nutzen« "
               "1 = der wichtigste Behälter. Ein Behälter, dessen eigene Auswertung eine Wirkung zeigt, wird nie "
               "zum Versetzen vorgeschlagen: wenige Funde in seiner Nähe heißen dann, dass er wirkt.")


def plan_file(plan: gpd.GeoDataFrame, suffix: str, *, store, user, period) -> bytes:
    """The bin plan as ``.csv`` (formula-safe) or ``.geojson`` bytes; the download is written
    to the audit log. Runs when a download button is clicked (no Streamlit calls here)."""
    file_format = "CSV" if suffix == ".csv" else "GeoJSON"
    log_release(store, user, what=f"Behälterplan {file_format} {period.label()}", kind=DISPOSAL_BIN,
                count=len(plan))
    return export_bytes(plan_for_people(plan, suffix), suffix)  # German headings and values for the crews


def _downloads(plan: gpd.GeoDataFrame, filters: state.Filters, user) -> None:
    name = f"behaelterplan_{filters.period.start:%Y%m%d}-{filters.period.end:%Y%m%d}"
    make = partial(plan_file, plan, store=state.get_store(), user=user, period=filters.period)
    st.markdown("**Behälterplan für die Einsatzteams** (vorgeschlagene und bestehende Standorte mit Koordinaten "
                "in WGS84 und ETRS89/UTM 33N)")
    c1, c2, _ = st.columns([1, 1, 2])
    c1.download_button("CSV (Excel)", data=partial(make, ".csv"), file_name=name + ".csv", mime="text/csv",
                       key="bins_csv", icon=":material/download:", width="stretch", on_click="ignore")
    c2.download_button("GeoJSON (GIS)", data=partial(make, ".geojson"), file_name=name + ".geojson",
                       mime="application/geo+json", key="bins_geojson", icon=":material/download:", width="stretch",
                       on_click="ignore")
