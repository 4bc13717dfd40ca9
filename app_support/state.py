"""State shared by all pages: the store, cached records, the sidebar filters and the user.

Every page reads data through this module, so caching and access rules live in one place:

* :func:`get_store` opens the store once per process (demo data are loaded into an
  empty or missing store unless ``LAGEBILD_DEMO=0``);
* :func:`load_records` caches by the store's content token (:meth:`Store.version`), the
  kind and the period, and applies the user's access rules (:mod:`geo.data.access`);
* :func:`sidebar_filters` draws the period and filter widgets (once per run, in ``app.py``)
  and :func:`current_filters` / :func:`current_period` / :func:`previous_period` read them.

Periods are referenced to the latest date in the data, not to "today": the demo data end
in October 2026 and the Rapport preset then shows September–October 2026.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geo.core.errors import UserError
from geo.core.period import PRESETS, Period, complete_blocks, is_block, picked_period
from geo.core.schema import COMPLAINT_CATEGORIES, DISTRICT, KINDS, REPORT_KINDS
from geo.data import facts
from geo.data.access import restrict
from geo.data.store import Store, default_store_location, open_store

#: Label of the free period choice (besides :data:`geo.core.period.PRESETS`).
FREE_RANGE = "freier Zeitraum"
PERIOD_CHOICES: tuple[str, ...] = (*PRESETS, FREE_RANGE)
#: Report kinds with a ``source`` field (filterable by source).
SOURCE_KINDS: tuple[str, ...] = tuple(k for k in REPORT_KINDS if "source" in KINDS[k].field_names)

# session_state keys of the sidebar widgets
K_PRESET, K_KINDS, K_CATEGORIES, K_SOURCES, K_BLOCK = (
    "flt_preset", "flt_kinds", "flt_categories", "flt_sources", "flt_block",
)
#: The free period: two date fields (a range field keeps a reversed range in the browser, silently).
K_FROM, K_TO = "flt_from", "flt_to"
#: The preset label of the public view: one block of the fixed two-month grid.
PUBLIC_PRESET = "fester Zwei-Monats-Zeitraum"
#: How many past blocks the public role may choose from.
PUBLIC_BLOCKS = 12
K_STACKS = "flt_keep_stacks"


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects; every page's numbers and layers follow it.

    Attributes
    ----------
    period : the selected period (dates inclusive).
    preset : label of the chosen preset (one of :data:`PERIOD_CHOICES`).
    kinds : report kinds to show and count.
    categories : complaint categories to include.
    sources : sources of finds/observations to include (``None`` = all).
    keep_stacks : records on a Sammelpunkt (and coarse ones) enter the spatial statistics.
    """

    period: Period
    preset: str = next(iter(PRESETS))
    kinds: tuple[str, ...] = REPORT_KINDS
    categories: tuple[str, ...] = COMPLAINT_CATEGORIES
    sources: tuple[str, ...] | None = None
    keep_stacks: bool = False

    @property
    def previous(self) -> Period:
        """The period of equal length directly before :attr:`period`."""
        return self.period.previous()

    def key(self) -> tuple:
        """A hashable summary for cache keys."""
        return (str(self.period), self.kinds, self.categories, self.sources, self.keep_stacks)


@dataclass(frozen=True)
class LocalUser:
    """A user without login (local single-user mode; tests set other roles): like
    :class:`geo.data.auth.User` with defaults."""

    name: str = "lokal"
    role: str = "analyse"
    local_mode: bool = True


# ---------------------------------------------------------------------------- store
def _demo_wanted() -> bool:
    return os.environ.get("LAGEBILD_DEMO", "1").strip().lower() not in ("0", "no", "nein", "false")


@st.cache_resource(show_spinner="Speicher wird geöffnet …")
def _open_store(path: str, demo: bool) -> Store:
    store = open_store(path)
    if demo and (not store.exists() or store.is_empty()):
        from geo.data.demo import load_demo

        with st.spinner("Demodaten werden geladen …"):
            load_demo(store)
    return store


def _location() -> str:
    location = default_store_location()
    return location if isinstance(location, str) else str(location.resolve())


def get_store() -> Store:
    """The app's store (``$LAGEBILD_STORE``: a GeoPackage path or a ``postgresql://`` URL; default
    ``data/lagebild.gpkg``), opened once per process.

    An empty or missing store is filled with the synthetic demo data (set ``LAGEBILD_DEMO=0``
    to start empty).
    """
    return _open_store(_location(), _demo_wanted())


@st.cache_resource(show_spinner=False)
def _role_store(location: str, role: str):
    return open_store(location, get_store().area, role=role)


def _on_postgis(store: Store) -> bool:
    return getattr(store, "backend", "geopackage") == "postgis"


def _db_role(store: Store) -> str | None:
    """The current user's role where the database enforces it (PostGIS), else ``None`` (cache keys)."""
    return current_user().role if _on_postgis(store) else None


def user_db_role() -> str | None:
    """The current user's role if the store is a PostGIS database (for cache keys of reads as that role), else
    ``None``."""
    return _db_role(get_store())


def user_store() -> Store:
    """:func:`role_store` of the current user's role (the GeoPackage store itself)."""
    return role_store(current_user().role)


def role_store(role: str) -> Store:
    """The store as the database role of ``role`` sees it (PostGIS: ``SET ROLE lagebild_<role>``, so the
    database refuses what the role may not read); the GeoPackage store itself otherwise."""
    store = get_store()
    if getattr(store, "backend", "geopackage") != "postgis":
        return store
    return _role_store(_location(), role)


# ---------------------------------------------------------------------------- records
@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_records(path: str, token: str, kind: str, period: str | None, role: str | None = None
                    ) -> gpd.GeoDataFrame:
    """Read records once per store content (``token``), kind, period and database role.

    Kept as one shared object (``cache_resource``: no pickling, which costs about 0.1 s per
    100,000 records and call); callers must not modify it. The token (:meth:`Store.version`,
    which both backends provide: a PostGIS store counts its writes in the database, so
    several app processes see each other's imports) changes with every write, so a new
    import is read at once.
    """
    from geo.core.period import parse_period

    store = get_store() if role is None else role_store(role)
    return store.read(kind, parse_period(period) if period else None)


def load_records(kind: str, period: Period | None, *, restricted: bool = True) -> gpd.GeoDataFrame:
    """Records of ``kind`` in ``period`` (all when ``None``), in the store's metric CRS (EPSG:25833).

    Cached on the store's content token, the kind and the period. With ``restricted`` (the
    default) fields and records the current user's role may not see are removed
    (:func:`geo.data.access.restrict`; the result is a copy). ``restricted=False`` returns the
    shared cached frame itself: read-only, and only for aggregates. Reports are filtered by
    date, measures by validity (active during the period), places not at all.
    """
    store = get_store()
    role = current_user().role
    db_role = role if _on_postgis(store) else None  # PostGIS: read as the user's database role, also for aggregates
    gdf = _cached_records(_location(), store.version(), kind, str(period) if period else None, db_role)
    if restricted:
        gdf = restrict(gdf, kind, role)
    return gdf


def apply_filters(
    gdf: gpd.GeoDataFrame, kind: str, filters: Filters, within: shapely.Geometry | None = None
) -> gpd.GeoDataFrame:
    """Keep the records of ``kind`` that the sidebar filters allow (and inside ``within``).

    A report kind not in ``filters.kinds`` yields an empty frame; categories apply to
    complaints, sources to finds and observations; ``within`` is a polygon in the store's
    metric CRS (e.g. the area drawn on the map). Other kinds pass the kind/category/source
    filters unchanged.
    """
    from geo.report.figures import filter_records

    if kind in REPORT_KINDS and kind not in filters.kinds:
        return gdf.iloc[0:0]
    fields = KINDS[kind].field_names
    categories = filters.categories if "category" in fields and kind in REPORT_KINDS else None
    sources = filters.sources if "source" in fields and kind in SOURCE_KINDS else None
    if categories is None and sources is None and within is None:
        return gdf
    return filter_records(gdf, kind, categories=categories, sources=sources, within=within)


def filtered_records(
    kind: str, period: Period | None = None, filters: Filters | None = None, *, within: shapely.Geometry | None = None
) -> gpd.GeoDataFrame:
    """Records of ``kind`` in ``period`` (default: the selected one) after the sidebar filters,
    restricted to the user's role."""
    filters = filters or current_filters()
    return apply_filters(load_records(kind, filters.period if period is None else period), kind, filters, within)


@st.cache_data(show_spinner=False, max_entries=16)
def _data_facts(path: str, token: str, role: str | None = None) -> tuple[date | None, tuple[str, ...]]:
    """Latest report date and all sources in the store (for the presets and the source filter), read as
    ``role`` on PostGIS (the role ``oeffentlich`` learns only the latest date, from the database's overview)."""
    if role == "oeffentlich":
        from app_support import public

        return public.latest_date(), ()
    store = get_store() if role is None else role_store(role)
    latest: list[pd.Timestamp] = []
    sources: set[str] = set()
    for kind in REPORT_KINDS:
        date_field = KINDS[kind].date_field
        table = store.attributes(kind, [date_field, *(["source"] if kind in SOURCE_KINDS else [])])
        if len(table):
            latest.append(pd.to_datetime(table[date_field]).max())
        if "source" in table and len(table):
            sources.update(str(s) for s in table["source"].dropna().unique())
    last = max(latest).date() if latest else None
    return last, tuple(sorted(sources))


def latest_data_date() -> date | None:
    """The latest date of any report in the store (``None`` if there are none)."""
    store = get_store()
    return _data_facts(_location(), store.version(), _db_role(store))[0]


def known_sources() -> tuple[str, ...]:
    """All sources of finds and observations in the store, sorted."""
    store = get_store()
    return _data_facts(_location(), store.version(), _db_role(store))[1]


# ---------------------------------------------------------------------------- periods
def reference_date() -> date:
    """The day after the latest report: the "today" the presets are computed from.

    Data up to 31 October make the Rapport preset September–October; without data the
    real today is used.
    """
    return facts.reference_date(latest_data_date())


def preset_period(label: str, reference: date | None = None) -> Period:
    """The period of a preset label from :data:`geo.core.period.PRESETS`."""
    return PRESETS[label](reference or reference_date())


def default_filters() -> Filters:
    """Filters before the user changed anything: last Rapport period, everything included."""
    label = next(iter(PRESETS))
    return Filters(period=preset_period(label), preset=label)


def public_filters(period: Period | None = None, kinds: tuple[str, ...] = REPORT_KINDS) -> Filters:
    """The only filters of the role ``oeffentlich``: one block of the fixed grid (default the latest complete one),
    all categories and sources (a filter would let two published figures differ by a few records)."""
    if period is None or not is_block(period):
        period = complete_blocks(reference_date(), 1)[0]
    return Filters(period=period, preset=PUBLIC_PRESET, kinds=tuple(k for k in kinds if k in REPORT_KINDS))


def _is_public() -> bool:
    user = st.session_state.get(USER_KEY)
    return user is not None and getattr(user, "role", None) == "oeffentlich"


def current_filters() -> Filters:
    """The filters chosen in the sidebar in this session (defaults before the sidebar ran).

    For the role ``oeffentlich`` whatever is stored is forced onto :func:`public_filters`."""
    flt = st.session_state.get("filters")
    flt = flt if isinstance(flt, Filters) else default_filters()
    if _is_public() and (flt.preset != PUBLIC_PRESET or not is_block(flt.period) or flt.sources is not None
                         or flt.keep_stacks
                         or flt.categories != COMPLAINT_CATEGORIES):
        flt = public_filters(flt.period, flt.kinds)
    return flt


def current_period() -> Period:
    """The selected period."""
    return current_filters().period


def previous_period() -> Period:
    """The period of equal length directly before the selected one."""
    return current_period().previous()


def _public_sidebar() -> Filters:
    """The sidebar of the role ``oeffentlich``: a block of the fixed grid and the kinds (from the schema)."""
    sb = st.sidebar
    sb.markdown("### Zeitraum")
    blocks = complete_blocks(reference_date(), PUBLIC_BLOCKS)
    period = sb.selectbox("Zeitraum", blocks, key=K_BLOCK, format_func=lambda p: p.label(),
                          label_visibility="collapsed")
    sb.caption(f"**{period.label()}**  \nVergleich mit {period.previous().label()}")
    sb.markdown("### Filter")
    kinds = sb.multiselect("Meldungen", REPORT_KINDS, default=list(REPORT_KINDS), key=K_KINDS,
                           format_func=lambda k: KINDS[k].label_plural)
    sb.caption("Öffentliche Ansicht: nur feste Zwei-Monats-Zeiträume, immer alle Kategorien und Quellen; "
               "Zahlen unter 5 werden nicht gezeigt.")
    filters = public_filters(period, tuple(kinds))
    st.session_state["filters"] = filters
    return filters


def sidebar_filters() -> Filters:
    """Draw the period and filter widgets in the sidebar; store and return the :class:`Filters`.

    The role ``oeffentlich`` gets :func:`_public_sidebar` instead: fixed periods, lists from the schema only."""
    if _is_public():
        return _public_sidebar()
    sb = st.sidebar
    sb.markdown("### Zeitraum")
    preset = sb.selectbox("Zeitraum", PERIOD_CHOICES, key=K_PRESET, label_visibility="collapsed")
    ref = reference_date()
    if preset == FREE_RANGE:
        default = preset_period(next(iter(PRESETS)), ref)
        start = sb.date_input("Von", value=default.start, key=K_FROM, format="DD.MM.YYYY")
        end = sb.date_input("Bis", value=default.end, key=K_TO, format="DD.MM.YYYY")
        try:
            period = picked_period((start, end))
        except UserError as exc:  # say what is wrong; no figure stays silently on the old period
            sb.error(str(exc))
            st.error(f"{exc} Bis dahin werden keine Zahlen angezeigt.")
            st.stop()
    else:
        period = preset_period(preset, ref)
    prev = period.previous()
    sb.caption(f"**{period.label()}** ({period.days} Tage)  \nVergleich mit {prev.label()}")

    sb.markdown("### Filter")
    kinds = sb.multiselect("Meldungen", REPORT_KINDS, default=list(REPORT_KINDS), key=K_KINDS,
                           format_func=lambda k: KINDS[k].label_plural)
    categories = sb.multiselect("Beschwerde-Kategorien", COMPLAINT_CATEGORIES, default=list(COMPLAINT_CATEGORIES),
                                key=K_CATEGORIES)
    all_sources = known_sources()
    sources = sb.multiselect("Quellen (Funde, Beobachtungen)", all_sources, default=list(all_sources),
                             key=K_SOURCES)
    keep_stacks = sb.toggle("Sammelpunkte räumlich auswerten", value=False, key=K_STACKS,
                            help="Datensätze an Ersatzkoordinaten der Geokodierung (Sammelpunkte) und ungenau "
                                 "verortete in Hotspots, Dichte, Vergleich und Behälterplanung einbeziehen. "
                                 "Zählungen und Zeitreihen enthalten sie immer.")
    filters = Filters(
        period=period, preset=preset, kinds=tuple(kinds), categories=tuple(categories),
        sources=None if set(sources) >= set(all_sources) else tuple(sources), keep_stacks=bool(keep_stacks),
    )
    st.session_state["filters"] = filters
    return filters


def spatial(gdf: gpd.GeoDataFrame, filters: Filters | None = None) -> gpd.GeoDataFrame:
    """Records fit for spatial statistics under the sidebar's switch (:func:`geo.core.quality.spatial_records`)."""
    from geo.core.quality import spatial_records

    keep = bool(filters.keep_stacks) if filters is not None else False
    return spatial_records(gdf, keep_stacks=keep)[0]


@st.cache_data(max_entries=32, show_spinner=False)
def _left_out_line(path: str, token: str, kind: str, period: str, keep_stacks: bool) -> str:
    from geo.core.period import parse_period
    from geo.core.quality import left_out_line

    return left_out_line(load_records(kind, parse_period(period), restricted=False), kind, keep_stacks=keep_stacks)


def stacks_caption(kind: str, filters: Filters) -> None:
    """One caption line: how many records of the period a spatial statistic leaves out (or includes); computed
    once per store content, kind, period and switch."""
    line = _left_out_line(str(get_store().path), get_store().version(), kind, str(filters.period),
                          filters.keep_stacks)
    if line:
        st.caption(line.replace("(--keep-stacks)", "(Schalter in der Seitenleiste)"))


# ---------------------------------------------------------------------------- user
USER_KEY = "_lagebild_user"


def login():
    """Run the login (:func:`app_support.login.require_login`, which may show a login form and
    stop the run) once per run – ``app.py`` calls this first – and remember the user.

    Without the login module everyone is the local analyst with full access.
    """
    try:
        from app_support.login import require_login
    except ImportError:  # app without login: the local analyst
        user = LocalUser()
    else:
        user = require_login()
    st.session_state[USER_KEY] = user
    return user


def current_user():
    """The user of this session (``.name``, ``.role``, ``.local_mode``), as set by :func:`login`."""
    user = st.session_state.get(USER_KEY)
    return user if user is not None else login()


def asset_base() -> str:
    """URL prefix of the offline assets (respects ``server.baseUrlPath``)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static/lagebild" if base else "/app/static/lagebild"


@st.cache_data(max_entries=4, show_spinner=False)
def districts(token: str) -> gpd.GeoDataFrame | None:
    """Districts touching the study area (for the base map)."""
    d = load_records(DISTRICT, None)
    if not len(d):
        return None
    area = get_store().area
    return d[shapely.intersects(area.boundary, d.geometry.values)]


@st.cache_data(max_entries=8, show_spinner=False)
def _store_layers(path: str, token: str, role: str | None) -> tuple[str, ...]:
    return tuple((get_store() if role is None else role_store(role)).layers())


@st.cache_data(max_entries=8, show_spinner=False)
def _store_counts(path: str, token: str, role: str | None) -> dict[str, int]:
    store = get_store() if role is None else role_store(role)
    return {k: store.count(k) for k in KINDS}


def store_counts() -> dict[str, int]:
    """Records per kind in the app's store (:meth:`Store.count`; 0 for a kind without a layer), counted once per
    store content (on PostGIS as the current user's database role)."""
    store = get_store()
    return dict(_store_counts(str(store.path), store.version(), _db_role(store)))


def store_layers() -> list[str]:
    """Kinds with a layer in the app's store (:meth:`Store.layers`), looked up once per store content (on
    PostGIS as the current user's database role)."""
    store = get_store()
    return list(_store_layers(str(store.path), store.version(), _db_role(store)))


def store_is_empty(store: Store) -> bool:
    """Whether the store holds no data: for the app's GeoPackage store looked up once per store content; on
    PostGIS as the current user's database role may count them."""
    if not _on_postgis(store):
        if store is not get_store():
            return store.is_empty()
        return not any(_store_counts(str(store.path), store.version(), None).values())  # the Daten page's counts
    if current_user().role == "oeffentlich":
        from app_support import public

        table = public.overview()
        return table is not None and not (table["records"].fillna(1.0) > 0).any()
    return user_store().is_empty()


def empty_store_notice(store: Store) -> bool:
    """Tell the user when the store holds no data yet; True if so (the page then stops)."""
    if store_is_empty(store):
        st.info("Der Speicher enthält noch keine Daten. Bitte auf der Seite »Daten« eine Datei importieren.")
        return True
    return False


# ---------------------------------------------------------------------------- base map and place names
#: Folder the app serves at ``/app/static`` (``app.py`` fills ``lagebild/`` with the map assets).
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@st.cache_resource(show_spinner=False, max_entries=4)
def _base_layers(path: str, token: str, role: str | None = None):
    """The store's base map encoded once per store content and written as a static, versioned file (read as
    ``role`` on PostGIS)."""
    from layers.assets import STATIC_SUBDIR
    from layers.baselayers import build_base_layers, ensure_base_asset

    layers = build_base_layers((get_store() if role is None else role_store(role)).read_base())
    if layers is not None:
        ensure_base_asset(STATIC_DIR / STATIC_SUBDIR, layers)
    return layers


def base_layers(token: str | None = None):
    """The offline base map (:class:`layers.baselayers.BaseLayers`, ``None`` without one): the maps
    only name its versioned file, so the browser loads it once and caches it."""
    store = get_store()
    return _base_layers(str(store.path), token or store.version(), _db_role(store))


@st.cache_resource(show_spinner=False, max_entries=4)
def _place_context(path: str, token: str, role: str | None = None):
    from geo.report.places import store_place_context

    return store_place_context(get_store() if role is None else role_store(role))


def place_context(token: str | None = None):
    """Naming context for hotspots and sites (:mod:`geo.analysis.placenames`), cached per store content."""
    store = get_store()
    return _place_context(str(store.path), token or store.version(), _db_role(store))


@st.cache_data(max_entries=4, show_spinner=False)
def data_bounds(token: str) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) in WGS84 of all reports in the store (0.5–99.5 % quantiles, so a
    stray record does not zoom the map out): the Lagekarte opens fitted to it. Independent of the
    period, so the map and the user's view stay the same when the period changes."""
    import numpy as np

    from geo.core.area import DISPLAY_CRS

    xs, ys = [], []
    for kind in REPORT_KINDS:
        gdf = load_records(kind, None, restricted=False)
        if len(gdf):
            pts = shapely.get_coordinates(shapely.centroid(gdf.geometry.values))
            xs.append(pts[:, 0])
            ys.append(pts[:, 1])
    if not xs:
        return None
    x, y = np.concatenate(xs), np.concatenate(ys)
    lo = gpd.GeoSeries(shapely.points([np.quantile(x, 0.005)], [np.quantile(y, 0.005)]), crs=get_store().area.crs)
    hi = gpd.GeoSeries(shapely.points([np.quantile(x, 0.995)], [np.quantile(y, 0.995)]), crs=get_store().area.crs)
    lo, hi = lo.to_crs(DISPLAY_CRS).iloc[0], hi.to_crs(DISPLAY_CRS).iloc[0]
    return float(lo.y), float(lo.x), float(hi.y), float(hi.x)


# ---------------------------------------------------------------------------- agreements
@st.cache_data(max_entries=8, show_spinner="Wirkung der umgesetzten Vereinbarungen wird berechnet …")
def _agreement_follow_ups(path: str, token: str, role: str | None = None) -> pd.DataFrame:
    from geo.report.followup import follow_up_from_store

    return follow_up_from_store(get_store() if role is None else role_store(role), sensitivity=True)


@st.cache_data(max_entries=8, show_spinner=False)
def _store_agreements(path: str, token: str, role: str | None) -> gpd.GeoDataFrame:
    return get_store().agreements() if role is None else role_store(role).agreements()


def store_agreements() -> gpd.GeoDataFrame:
    """The agreements in the store (:meth:`Store.agreements`), read once per store content – on PostGIS as the
    current user's database role (its view); restrict them with :func:`geo.data.agreements.for_role` before
    showing them."""
    store = get_store()
    return _store_agreements(str(store.path), store.version(), _db_role(store))


def agreements_for_user() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The agreements the current user may see and their follow-up lines (cached on the store's content).

    The role ``oeffentlich`` gets no follow-up lines: they count finds in a 150-m ring, numbers that rest on
    single records and that its database role could not compute (it reads no records)."""
    from geo.data.agreements import for_role

    store = get_store()
    role = current_user().role
    agreements = for_role(store_agreements(), role)  # PostGIS: the database's view for the role
    if role == "oeffentlich":
        from geo.report.followup import FOLLOW_UP_COLUMNS

        return agreements, pd.DataFrame(columns=list(FOLLOW_UP_COLUMNS))
    lines = _agreement_follow_ups(str(store.path), store.version(), _db_role(store))
    return agreements, lines[lines["agreement_id"].isin(agreements["agreement_id"])].reset_index(drop=True)


def partner_page(title: str, kind_key: str) -> tuple[Store, Filters, str] | None:
    """The head of an analysis page for the Drogenrapport's partners: title, the refusal for the public role,
    the empty-store notice and the choice of report kind. ``(store, filters, kind)``, or ``None`` when the page
    has nothing more to show."""
    st.title(title)
    if current_user().role == "oeffentlich":
        st.info("Diese Seite steht nur den Partnern des Drogenrapports zur Verfügung.")
        return None
    store = get_store()
    if empty_store_notice(store):
        return None
    filters = current_filters()
    kinds = [k for k in REPORT_KINDS if k in filters.kinds] or list(REPORT_KINDS)
    kind = st.selectbox("Meldungen", kinds, format_func=lambda k: KINDS[k].label_plural, key=kind_key)
    return store, filters, kind
