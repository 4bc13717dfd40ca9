"""The Drogenrapport's agreements (Vereinbarungen): who does what, where, by when – and whether it happened.

An agreement has a title, a measure kind (:data:`geo.core.schema.AGREEMENT_KINDS`), a place (point, line
or area in the store's metric CRS; drawn, from coordinates, a sensitive place, a hot spot cell or a forecast
area), the meeting date it was agreed at, the responsible body (:data:`geo.core.schema.RESPONSIBLE_BODIES`), a
due date, a status (vereinbart → in Umsetzung → umgesetzt → beendet, or verworfen with a reason; see
:data:`geo.core.schema.AGREEMENT_TRANSITIONS`), notes and a public flag.

When an agreement of a measure kind is carried out (status ``done``), the measure record is created in
the same atomic write, with the real date and the agreement's geometry (a disposal bin at the place's
representative point, a line as a corridor 25 m either side for police presence and street work), and linked via
``measure_id``; the measure evaluation then uses it like any imported measure. Ending it (``ended``)
sets the end date of measures that have one (bins: removed, police presence, street work).

Everything goes through :meth:`geo.data.store.Store.save_agreement` (atomic, audited: who, when,
old → new). A bad entry raises :class:`~geo.core.errors.UserError` with a German message and
changes nothing.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import fmt
from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.errors import UserError
from geo.core.period import BLOCK_MONTHS, parse_date
from geo.core.schema import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    AGREEMENT_TRANSITIONS,
    DISPOSAL_BIN,
    GREENERY_CUT,
    KINDS,
    OPEN_STATUSES,
    OVERDUE_LABEL,
    POLICE_PRESENCE,
    RECORD_ID,
    RESPONSIBLE_BODIES,
    STRUCTURAL_CHANGE,
    normalise_name,
)
from geo.data.store import Store

#: Distance (m) either side of a line: the corridor (50 m wide) a line becomes when the measure kind takes no
#: lines (police presence, street work); the evaluation then adds its buffer ring around the corridor.
LINE_CORRIDOR_M = 25.0
#: Extra German words accepted for the kinds (normalised with :func:`normalise_name`).
_KIND_WORDS: dict[str, str] = {
    "behaelter": DISPOSAL_BIN, "spritzenbehaelter": DISPOSAL_BIN, "entsorgungsbehaelter": DISPOSAL_BIN,
    "bin": DISPOSAL_BIN, "gruenschnitt": GREENERY_CUT, "rueckschnitt": GREENERY_CUT,
    "rueckschnitt_von_gruen": GREENERY_CUT, "bauliche_aenderungen": STRUCTURAL_CHANGE, "bau": STRUCTURAL_CHANGE,
    "polizei": POLICE_PRESENCE, "sonstiges": "other", "sonstige": "other", "andere": "other",
}
_STATUS_WORDS: dict[str, str] = {"offen": "agreed", "in_arbeit": "in_progress", "erledigt": "done"}

#: German column names of :func:`agreement_table` (list, CSV export for the minutes).
TABLE_COLUMNS: dict[str, str] = {
    "agreement_id": "Nr.", "title": "Vereinbarung", "kind_label": "Art", "place": "Ort", "agreed": "vereinbart am",
    "responsible": "zuständig", "due": "fällig bis", "status_label": "Status", "overdue": "überfällig",
    "done": "umgesetzt am", "ended": "beendet am", "reason": "Grund (verworfen)", "notes": "Notizen",
    "public": "öffentlich", "lat": "Breite", "lon": "Länge", "measure_id": "Maßnahmen-ID",
}


#: ``$LAGEBILD_TODAY`` (ISO date) overrides today's date for "overdue" (tests, demonstrations).
TODAY_ENV = "LAGEBILD_TODAY"


def today() -> date:
    """Today's date, or ``$LAGEBILD_TODAY`` when set (the reference for "overdue")."""
    text = os.environ.get(TODAY_ENV, "").strip()
    return parse_date(text) if text else date.today()


def default_due(agreed: date) -> date:
    """When an agreement is due unless the meeting says otherwise: the next Rapport, which meets every
    :data:`geo.core.period.BLOCK_MONTHS` (2) months – ``agreed`` plus two months (the month's last day
    when that day does not exist: 31.12. → 28./29.02.)."""
    return (pd.Timestamp(agreed) + pd.DateOffset(months=BLOCK_MONTHS)).date()


# ---------------------------------------------------------------------------- words
def _match(text: str, labels: dict[str, str], extra: dict[str, str], what: str) -> str:
    key = normalise_name(str(text or ""))
    for ident, label in labels.items():
        if key in (normalise_name(ident), normalise_name(label)):
            return ident
    if key in extra:
        return extra[key]
    known = ", ".join(f"{label} ({ident})" for ident, label in labels.items())
    raise UserError(f"Unbekannte {what} '{text}'; möglich: {known}.")


def parse_kind(text: str) -> str:
    """Schema id of a measure kind given as id (``disposal_bin``) or German word (``Spritzenentsorgungsbehälter``)."""
    return _match(text, AGREEMENT_KINDS, _KIND_WORDS, "Maßnahmenart")


def parse_status(text: str) -> str:
    """Schema id of a status given as id (``done``) or German word (``umgesetzt``, ``in Umsetzung``)."""
    return _match(text, AGREEMENT_STATUSES, _STATUS_WORDS, "Status")


def parse_body(text: str) -> str:
    """The responsible body as spelled in :data:`RESPONSIBLE_BODIES` (case and umlauts ignored)."""
    key = normalise_name(str(text or ""))
    for body in RESPONSIBLE_BODIES:
        if key == normalise_name(body):
            return body
    raise UserError(f"Unbekannte zuständige Stelle '{text}'; möglich: {', '.join(RESPONSIBLE_BODIES)}.")


def as_date(value) -> date:
    """A date from ``date``/``datetime``/``Timestamp`` or text (``2026-01-31``, ``31.01.2026``)."""
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(str(value))


# ---------------------------------------------------------------------------- places
def check_place(geometry, area: StudyArea) -> shapely.Geometry:
    """The place if it is a usable geometry in the study area (metric CRS); German error otherwise."""
    if geometry is None or not isinstance(geometry, shapely.Geometry) or shapely.is_empty(geometry):
        raise UserError("Kein Ort angegeben: bitte Koordinaten, einen sensiblen Ort oder einen Hotspot angeben "
                        "bzw. auf der Karte zeichnen.")
    if geometry.geom_type not in ("Point", "LineString", "Polygon", "MultiPolygon", "MultiLineString"):
        raise UserError(f"Ort als {geometry.geom_type} nicht möglich (Punkt, Linie oder Fläche).")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if not shapely.intersects(area.boundary, geometry):
        raise UserError("Der Ort liegt außerhalb des Untersuchungsgebiets.")
    return geometry


def place_from_latlon(area: StudyArea, lat: float, lon: float) -> shapely.Point:
    """A point from WGS84 latitude/longitude, in the area's metric CRS."""
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise UserError(f"Koordinaten {lat}, {lon} ungültig (Breite −90…90, Länge −180…180).")
    x, y = gpd.GeoSeries([shapely.Point(lon, lat)], crs=DISPLAY_CRS).to_crs(area.crs).iloc[0].coords[0]
    return check_place(shapely.Point(x, y), area)


def place_from_name(places: gpd.GeoDataFrame, name: str) -> tuple[str, shapely.Geometry]:
    """A sensitive place by name (exact, else a unique part of it; case ignored): ``(name, geometry)``."""
    wanted = str(name or "").strip().casefold()
    if not wanted:
        raise UserError("Bitte den Namen eines sensiblen Ortes angeben.")
    names = places["name"].astype(str) if len(places) else pd.Series(dtype=str)
    hits = places[(names.str.casefold() == wanted).to_numpy()] if len(places) else places
    if not len(hits) and len(places):
        hits = places[names.str.casefold().str.contains(wanted, regex=False).to_numpy()]
    if len(hits) == 1:
        return str(hits.iloc[0]["name"]), hits.geometry.iloc[0]
    if not len(hits):
        known = ", ".join(names.head(8)) or "keine gespeichert"
        raise UserError(f"Kein sensibler Ort '{name}' gefunden (gespeichert: {known}).")
    raise UserError(f"'{name}' passt auf {len(hits)} Orte ({', '.join(hits['name'].astype(str))}); "
                    "bitte genauer angeben.")


def hot_cells(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Hot spot cells (``gi_class > 0``) numbered 1, 2, … from the highest z-score (``number`` column)."""
    hot = cells[cells["gi_class"].to_numpy() > 0].sort_values(["gi_z"], ascending=False, kind="stable")
    hot = hot.reset_index(drop=True)
    hot.insert(0, "number", np.arange(1, len(hot) + 1))
    return hot


def place_from_hotspot(cells: gpd.GeoDataFrame, number: int) -> tuple[str, shapely.Geometry]:
    """The ``number``-th hot spot cell of :func:`hot_cells` as ``(label, polygon)``."""
    hot = hot_cells(cells)
    if not len(hot):
        raise UserError("Im Zeitraum gibt es keine Hotspot-Zellen.")
    if not 1 <= int(number) <= len(hot):
        raise UserError(f"Hotspot Nr. {number} gibt es nicht; im Zeitraum sind es {len(hot)} (1 bis {len(hot)}).")
    return f"Hotspot Nr. {int(number)}", hot.geometry.iloc[int(number) - 1]


#: Cells of a forecast closer than this (m) form one forecast area (touching cells, rounding gaps).
FORECAST_JOIN_M = 0.5


def forecast_places(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Forecast areas as places: touching forecast cells (:func:`geo.analysis.forecast.forecast_areas`,
    columns ``rank``, ``expected``) united into one area each, numbered 1, 2, … by the events expected
    in the area ``E_A = Σ_{c ∈ A} E_c``, highest first (ties: the area holding the better-ranked cell).

    Returns columns ``number``, ``expected``, ``n_cells``, ``period`` (when ``cells`` has it) and the
    united polygons (coordinates on a 1 cm grid), in ``cells``' CRS.
    """
    columns = ["number", "expected", "n_cells", "period"]
    if not len(cells):
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=cells.crs)
    geoms = np.asarray(cells.geometry.values, dtype=object)
    joined = shapely.get_parts(shapely.union_all(shapely.buffer(geoms, FORECAST_JOIN_M / 2)))
    tree = shapely.STRtree(joined)
    group = tree.query(shapely.point_on_surface(geoms), predicate="within")
    part = np.empty(len(geoms), dtype=np.int64)
    part[group[0]] = group[1]
    frame = pd.DataFrame({"part": part, "expected": cells["expected"].to_numpy(dtype=float),
                          "rank": cells["rank"].to_numpy() if "rank" in cells else np.arange(len(cells))})
    agg = frame.groupby("part").agg(expected=("expected", "sum"), n_cells=("expected", "size"),
                                    best=("rank", "min"))
    agg = agg.sort_values(["expected", "best"], ascending=[False, True], kind="stable")
    # snapped to 1 cm, so cells whose shared edges differ by rounding unite into one polygon
    united = [shapely.union_all(geoms[part == p], grid_size=0.01) for p in agg.index]
    period = str(cells["period"].iloc[0]) if "period" in cells else ""
    return gpd.GeoDataFrame({"number": np.arange(1, len(agg) + 1), "expected": agg["expected"].to_numpy(),
                             "n_cells": agg["n_cells"].to_numpy(), "period": period},
                            geometry=united, crs=cells.crs)


def place_from_forecast(areas: gpd.GeoDataFrame, number: int) -> tuple[str, shapely.Geometry]:
    """The ``number``-th area of :func:`forecast_places` as ``(label, polygon)``."""
    if not len(areas):
        raise UserError("Die Prognose hat keine Flächen.")
    if not 1 <= int(number) <= len(areas):
        raise UserError(f"Prognosefläche Nr. {number} gibt es nicht; die Prognose hat {len(areas)} "
                        f"(1 bis {len(areas)}).")
    return f"Prognosefläche Nr. {int(number)}", areas.geometry.iloc[int(number) - 1]


# ---------------------------------------------------------------------------- reading
def get_agreement(store: Store, agreement_id: int | str) -> pd.Series:
    """One agreement by number; German error if there is none."""
    try:
        ident = int(str(agreement_id).strip().lstrip("#"))
    except ValueError:
        raise UserError(f"Ungültige Nummer einer Vereinbarung: '{agreement_id}'.") from None
    table = store.agreements()
    hit = table[table["agreement_id"] == ident]
    if not len(hit):
        raise UserError(f"Keine Vereinbarung mit der Nummer {ident}.")
    return hit.iloc[0]


#: Roles that may see every agreement with its notes (and write); others see public ones without notes.
WRITE_ROLES: tuple[str, ...] = ("analyse", "rapport")


def for_role(agreements: gpd.GeoDataFrame, role: str) -> gpd.GeoDataFrame:
    """The agreements ``role`` may receive: all for analyse/rapport; otherwise public ones, notes emptied."""
    if role in WRITE_ROLES:
        return agreements.reset_index(drop=True)
    out = agreements[agreements["public"].to_numpy(dtype=bool)].copy()
    out["notes"] = ""
    return out.reset_index(drop=True)


def overdue(agreements: pd.DataFrame, today: date) -> np.ndarray:
    """Open agreements (vereinbart, in Umsetzung) whose due date lies before ``today``."""
    if not len(agreements):
        return np.zeros(0, dtype=bool)
    due = pd.to_datetime(agreements["due"])
    return (agreements["status"].isin(OPEN_STATUSES) & (due < pd.Timestamp(today))).to_numpy()


def agreement_table(agreements: gpd.GeoDataFrame, today: date, *, notes: bool = True) -> pd.DataFrame:
    """Agreements with German labels, ``overdue`` and the place as WGS84 ``lat``/``lon`` (representative point).

    Sorted: overdue first, then open ones by due date, then the rest by number. Without ``notes``
    the ``notes`` column is left out (role ``oeffentlich``).
    """
    t = pd.DataFrame(agreements.drop(columns=agreements.geometry.name)).copy()
    t["kind_label"] = t["kind"].map(AGREEMENT_KINDS).fillna(t["kind"])
    t["status_label"] = t["status"].map(AGREEMENT_STATUSES).fillna(t["status"])
    t["overdue"] = overdue(agreements, today)
    if len(agreements):
        pts = gpd.GeoSeries(shapely.point_on_surface(agreements.geometry.values), crs=agreements.crs)
        pts = pts.to_crs(DISPLAY_CRS)
        t["lat"], t["lon"] = pts.y.round(6).to_numpy(), pts.x.round(6).to_numpy()
    else:
        t["lat"], t["lon"] = pd.Series(dtype=float), pd.Series(dtype=float)
    is_open = t["status"].isin(OPEN_STATUSES)
    t["_rank"] = np.where(t["overdue"], 0, np.where(is_open, 1, 2))
    t["_due"] = pd.to_datetime(t["due"])
    t = t.sort_values(["_rank", "_due", "agreement_id"], kind="stable").drop(columns=["_rank", "_due"])
    if not notes:
        t = t.drop(columns=["notes"])
    return t.reset_index(drop=True)


def german_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement_table` with German headings and German dates (for the CSV export and the app)."""
    out = table[[c for c in TABLE_COLUMNS if c in table]].copy()
    for c in ("agreed", "due", "done", "ended"):
        if c in out:
            out[c] = [fmt.date(v) if pd.notna(v) else "" for v in pd.to_datetime(out[c])]
    for c in ("overdue", "public"):
        if c in out:
            out[c] = out[c].map({True: "ja", False: "nein"})
    return out.rename(columns=TABLE_COLUMNS)


# ---------------------------------------------------------------------------- writing
def add_agreement(
    store: Store,
    *,
    title: str,
    kind: str,
    geometry,
    agreed,
    responsible: str,
    due,
    place: str = "",
    notes: str = "",
    public: bool = False,
    user: str = "lokal",
) -> int:
    """Check and store a new agreement (status ``vereinbart``); return its number.

    Raises
    ------
    UserError
        Empty title, unknown kind or body, no place or one outside the area, a date that cannot be
        read, or due before agreed. Nothing is stored then.
    """
    if not store.exists():
        raise UserError(f"Speicher {store.path} existiert noch nicht – erst importieren oder 'lagebild demo'.")
    title = " ".join(str(title or "").split())
    if not title:
        raise UserError("Bitte einen Titel der Vereinbarung angeben.")
    kind = parse_kind(kind)
    body = parse_body(responsible)
    geometry = check_place(geometry, store.area)
    agreed, due = as_date(agreed), as_date(due)
    if due < agreed:
        raise UserError(f"Die Frist ({due:%d.%m.%Y}) liegt vor dem Datum der Vereinbarung ({agreed:%d.%m.%Y}).")
    row = {"agreement_id": None, "title": title, "kind": kind, "place": str(place or "").strip(),
           "geometry": geometry, "agreed": agreed, "responsible": body, "due": due, "status": "agreed",
           "notes": str(notes or "").strip(), "public": bool(public)}
    return store.save_agreement(row, user=user)


def edit_agreement(store: Store, agreement_id: int, *, user: str = "lokal", **changes) -> int:
    """Change fields of an agreement (title, kind, geometry, place, agreed, responsible, due, notes, public).

    The same checks as :func:`add_agreement`; the status is changed with :func:`set_status` only.
    """
    current = get_agreement(store, agreement_id)
    allowed = {"title", "kind", "geometry", "place", "agreed", "responsible", "due", "notes", "public"}
    unknown = set(changes) - allowed
    if unknown:
        raise UserError(f"Nicht änderbar: {', '.join(sorted(unknown))}.")
    row = dict(changes)
    if "title" in row:
        row["title"] = " ".join(str(row["title"] or "").split())
        if not row["title"]:
            raise UserError("Bitte einen Titel der Vereinbarung angeben.")
    if "kind" in row:
        row["kind"] = parse_kind(row["kind"])
        if current["measure_id"] and row["kind"] != current["kind"]:
            raise UserError("Die Art einer umgesetzten Vereinbarung kann nicht mehr geändert werden.")
    if "responsible" in row:
        row["responsible"] = parse_body(row["responsible"])
    if "geometry" in row:
        row["geometry"] = check_place(row["geometry"], store.area)
    agreed = as_date(row.get("agreed", current["agreed"]))
    due = as_date(row.get("due", current["due"]))
    row["agreed"], row["due"] = agreed, due
    if due < agreed:
        raise UserError(f"Die Frist ({due:%d.%m.%Y}) liegt vor dem Datum der Vereinbarung ({agreed:%d.%m.%Y}).")
    row["agreement_id"] = int(current["agreement_id"])
    return store.save_agreement(row, user=user)


def measure_rows(agreement: pd.Series | dict, when: date, area: StudyArea, *, end: date | None = None
                 ) -> gpd.GeoDataFrame:
    """The measure record an agreement becomes when carried out on ``when`` (validated, with ``record_id``).

    Raises
    ------
    UserError
        The record does not pass the import checks (e.g. a date in the future).
    """
    from geo.data.ingest import frame_to_raw, validate

    kind = KINDS[agreement["kind"]]
    geom = agreement["geometry"]
    allowed = set(kind.geometries)
    if geom.geom_type not in allowed and geom.geom_type.removeprefix("Multi") not in allowed:
        if "Polygon" in allowed and "LineString" in geom.geom_type:
            geom = shapely.buffer(geom, LINE_CORRIDOR_M)
        else:
            geom = shapely.point_on_surface(geom)
    start = pd.Timestamp(when)
    stop = pd.Timestamp(end) if end is not None else pd.NaT
    values: dict[str, object] = {str(kind.date_field): start}
    if kind.end_field:
        values[kind.end_field] = stop
    if kind.name == DISPOSAL_BIN:
        owner = agreement["responsible"] if agreement["responsible"] == "Stadtreinigung" else "Stadtreinigung"
        values |= {"owner": owner, "label": agreement.get("place") or agreement["title"]}
    else:
        values["description"] = agreement["title"]
    frame = gpd.GeoDataFrame({k: [v] for k, v in values.items()}, geometry=[geom], crs=area.crs)
    checked = validate(frame_to_raw(frame, "Vereinbarung"), kind, area)
    if not len(checked.valid):
        raise UserError(f"Die Maßnahme kann nicht gespeichert werden: {checked.rejects['reason'].iloc[0]}.")
    return checked.valid.drop(columns=["row"])


def set_status(
    store: Store,
    agreement_id: int | str,
    status: str,
    *,
    done=None,
    reason: str = "",
    user: str = "lokal",
    today: date | None = None,
) -> pd.Series:
    """Move an agreement to ``status`` (id or German word); return the changed agreement.

    * ``umgesetzt`` (``done``): ``done`` is the real date (default today); for a measure kind the
      measure record is created with that date and linked (``measure_id``).
    * ``beendet`` (``ended``): ``done`` is the end date (default today); a linked measure with an
      end field (bin: removed, police presence, street work) gets it.
    * ``verworfen`` (``rejected``): needs a ``reason``.

    Raises
    ------
    UserError
        Unknown status, a change not allowed from the current status (e.g. back from umgesetzt to
        vereinbart), a date before the agreement or in the future, no reason for verworfen.
    """
    current = get_agreement(store, agreement_id)
    status = parse_status(status)
    today = today or date.today()
    old = current["status"]
    if status == old:
        raise UserError(f"Die Vereinbarung Nr. {current['agreement_id']} ist bereits "
                        f"»{AGREEMENT_STATUSES[status]}«.")
    if status not in AGREEMENT_TRANSITIONS.get(old, ()):
        allowed = ", ".join(AGREEMENT_STATUSES[s] for s in AGREEMENT_TRANSITIONS.get(old, ())) or "keiner"
        raise UserError(f"Von »{AGREEMENT_STATUSES.get(old, old)}« nach »{AGREEMENT_STATUSES[status]}« ist nicht "
                        f"möglich (erlaubt: {allowed}).")
    reason = " ".join(str(reason or "").split())
    when = as_date(done) if done not in (None, "") else today
    agreed = as_date(current["agreed"])
    row: dict = {"agreement_id": int(current["agreement_id"]), "status": status}
    extra: dict = {}
    if status == "rejected":
        if not reason:
            raise UserError("Bitte einen Grund angeben, warum die Vereinbarung verworfen wird (--reason).")
        row["reason"] = reason
    elif reason:
        row["reason"] = reason
    if status in ("done", "ended"):
        if when < agreed:
            raise UserError(f"Das Datum {when:%d.%m.%Y} liegt vor der Vereinbarung ({agreed:%d.%m.%Y}).")
        if when > today:
            raise UserError(f"Das Datum {when:%d.%m.%Y} liegt in der Zukunft.")
    if status == "done":
        row["done"] = when
        if current["kind"] in KINDS:
            rows = measure_rows(current, when, store.area)
            row["measure_id"] = str(rows[RECORD_ID].iloc[0])
            extra = {"measure_kind": current["kind"], "measure": rows}
    if status == "ended":
        started = current["done"]
        if pd.notna(started) and when < as_date(started):
            raise UserError(f"Das Ende {when:%d.%m.%Y} liegt vor der Umsetzung ({as_date(started):%d.%m.%Y}).")
        row["ended"] = when
        kind = KINDS.get(current["kind"])
        if kind is not None and kind.end_field and current["measure_id"] and pd.notna(started):
            rows = measure_rows(current, as_date(started), store.area, end=when)
            row["measure_id"] = str(rows[RECORD_ID].iloc[0])
            extra = {"measure_kind": kind.name, "measure": rows, "drop_measure": current["measure_id"]}
    store.save_agreement(row, user=user, **extra)
    return get_agreement(store, row["agreement_id"])


def link_measure(store: Store, agreement_id: int, measure_id: str, *, user: str = "lokal") -> int:
    """Link an agreement to an existing measure record (e.g. one imported from a file)."""
    get_agreement(store, agreement_id)
    return store.save_agreement({"agreement_id": int(agreement_id), "measure_id": str(measure_id)}, user=user)


def status_label(status: str, is_overdue: bool = False) -> str:
    """German status, with ``überfällig`` appended for overdue open agreements."""
    label = AGREEMENT_STATUSES.get(status, status)
    return f"{label}, {OVERDUE_LABEL}" if is_overdue else label


__all__ = [
    "TABLE_COLUMNS", "WRITE_ROLES", "add_agreement", "agreement_table", "as_date", "check_place", "edit_agreement",
    "for_role", "forecast_places", "german_table", "get_agreement", "hot_cells", "link_measure", "measure_rows",
    "overdue", "parse_body", "parse_kind", "parse_status", "place_from_forecast", "place_from_hotspot",
    "place_from_latlon", "place_from_name",
    "default_due", "set_status", "status_label", "today",
]
