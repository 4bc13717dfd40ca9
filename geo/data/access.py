"""Roles: which data leave the server for whom.

Three roles, from most to least:

``analyse``
    everything: exact points, complaint texts, who reported.
``rapport``
    exact points and places, but without free texts and without the reporting person:
    schema fields with ``private="text"`` or ``private="person"`` are removed, and so is
    any other text column that is not a known schema field.
``oeffentlich``
    no records at all (no points, no texts), only aggregated grid counts from
    :func:`public_cells`, where cells with fewer than :data:`K_MIN` events are suppressed;
    plus the district outlines (open data of the city) as a base map.

The role decides what data are *released*, not only what is drawn: call :func:`restrict`
(or :func:`release`, which also writes the audit log) on every table before it is shown,
downloaded or put into a map or handout. Rejected-row files leave only through
:func:`release_rejects` (role ``analyse``, files inside the store's rejects folder, logged);
the import history only through :func:`restrict_history`. Apart from those two and the audit
line of :func:`release`/:func:`log_release`, everything here is a pure function of its inputs.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.schema import DISTRICT, KINDS, LOCATION_FLAG, SYSTEM_COLUMNS, TIME_FLAG, Kind, get_kind

if TYPE_CHECKING:
    from geo.data.auth import User
    from geo.data.store import Store

Role = Literal["analyse", "rapport", "oeffentlich"]

#: All roles, from most to least access.
ROLES: tuple[str, ...] = ("analyse", "rapport", "oeffentlich")
#: German labels for the UI.
ROLE_LABELS: dict[str, str] = {
    "analyse": "Analyse – alle Daten, exakte Punkte und Beschwerdetexte",
    "rapport": "Rapport – exakte Punkte ohne Freitexte und ohne meldende Personen",
    "oeffentlich": "Öffentlich – nur zusammengefasste Zellen mit mindestens 5 Ereignissen",
}
#: Smallest number of events a published cell must hold (k-anonymity threshold).
K_MIN = 5
#: Default cell size of published grids (m, hexagon height).
PUBLIC_CELL = 250.0
#: Kinds the role ``oeffentlich`` may receive as records (public base data without persons).
PUBLIC_KINDS: tuple[str, ...] = (DISTRICT,)


def check_role(role: str) -> str:
    """Return ``role`` if it is known; raise :class:`UserError` (German) otherwise."""
    if role not in ROLES:
        raise UserError(f"Unbekannte Rolle '{role}'; möglich sind {', '.join(ROLES)}.")
    return role


def private_fields(kind: Kind | str) -> list[str]:
    """Fields of ``kind`` marked ``private`` (free texts and reporting persons)."""
    kind = get_kind(kind) if isinstance(kind, str) else kind
    return [f.name for f in kind.fields if f.private is not None]


def may_see_points(role: str) -> bool:
    """Whether ``role`` may receive individual records (exact points)."""
    return check_role(role) in ("analyse", "rapport")


def may_see_texts(role: str) -> bool:
    """Whether ``role`` may receive free texts and reporting persons."""
    return check_role(role) == "analyse"


def may_import(role: str) -> bool:
    """Whether ``role`` may import files (and therefore upload them to the app at all)."""
    return check_role(role) == "analyse"


def may_see_rejects(role: str) -> bool:
    """Whether ``role`` may receive rejected-row files (raw rows: texts, persons, exact coordinates)."""
    return check_role(role) == "analyse"


#: Columns of the import history (``Store.imports``) each role may see. ``oeffentlich`` sees neither who
#: imported nor file names (which can name persons) nor row counts (an import of one complaint would be a
#: published count of one, dated) nor where reject files lie.
HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "analyse": ("import_id", "imported_at", "file_name", "kind", "rows_read", "stored", "rejected", "repaired",
                "user", "notes"),
    "rapport": ("import_id", "imported_at", "file_name", "kind", "rows_read", "stored", "rejected", "repaired",
                "user", "notes"),
    "oeffentlich": ("import_id", "imported_at", "kind"),
}


def restrict_history(hist: pd.DataFrame, role: str) -> pd.DataFrame:
    """The columns of the import history ``hist`` that ``role`` may see (never ``rejects_file``)."""
    return hist[[c for c in HISTORY_COLUMNS[check_role(role)] if c in hist]].copy()


#: Names of private fields of any kind; columns starting with one (case-insensitive) never leave for
#: ``rapport``/``oeffentlich``, whatever their kind or dtype (e.g. a complaint text joined onto finds).
PRIVATE_NAMES: tuple[str, ...] = tuple(sorted({f.name.casefold() for k in KINDS.values() for f in k.fields
                                               if f.private}))


def _released_columns(gdf: pd.DataFrame, kind: Kind) -> list[str]:
    """Columns the role ``rapport`` receives: schema fields that are not private, system columns,
    the geometry, and derived columns that cannot carry text (numbers, dates, booleans)."""
    private = set(private_fields(kind))
    known = set(SYSTEM_COLUMNS) | {f.name for f in kind.fields} | {LOCATION_FLAG, TIME_FLAG}  # fixed vocabularies
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) and gdf._geometry_column_name in gdf else None
    keep = []
    for col in gdf.columns:
        if col in private or (col != geometry and str(col).casefold().startswith(PRIVATE_NAMES)):
            continue
        s = gdf[col]
        derived_ok = (
            pd.api.types.is_numeric_dtype(s.dtype)
            or pd.api.types.is_datetime64_any_dtype(s.dtype)
            or pd.api.types.is_bool_dtype(s.dtype)
        )
        if col == geometry or col in known or derived_ok:
            keep.append(col)
    return keep


def restrict(gdf: pd.DataFrame, kind: Kind | str, role: str) -> pd.DataFrame:
    """The part of ``gdf`` (records of ``kind``) that ``role`` may receive.

    Parameters
    ----------
    gdf : records, e.g. from :meth:`geo.data.store.Store.read`; not modified.
    kind : their record kind.
    role : ``analyse``, ``rapport`` or ``oeffentlich``.

    Returns
    -------
    DataFrame or GeoDataFrame
        ``analyse``: a copy of everything. ``rapport``: private fields (and text columns
        unknown to the schema) removed. ``oeffentlich``: no rows at all, except for the
        kinds in :data:`PUBLIC_KINDS`; use :func:`public_cells` for counts.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    role = check_role(role)
    if role == "analyse":
        return gdf.copy()
    out = gdf[_released_columns(gdf, kind)].copy()
    if role == "oeffentlich" and kind.name not in PUBLIC_KINDS:
        out = out.iloc[0:0]
    return out


def public_cells(
    points: gpd.GeoDataFrame,
    boundary: shapely.Geometry,
    *,
    cell: float = PUBLIC_CELL,
    k: int = K_MIN,
    weight: str | None = None,
    shape: Literal["hex", "square"] = "hex",
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Grid counts fit for publication: cells with fewer than ``k`` events are left out.

    Parameters
    ----------
    points : point records in a metric CRS (the store's); other geometries count at their
        centroid, missing ones not at all.
    boundary : study area polygon in the same CRS.
    cell : cell size in metres (hexagon height or square side).
    k : least number of *events* (records) a published cell holds; a single find of
        eight syringes is one event and is never published alone.
    weight : column to sum as ``value`` (e.g. ``"count"``); ``None``: ``value = events``.
    shape : ``"hex"`` or ``"square"`` (see :func:`geo.core.grid.make_grid`).
    crs : CRS of ``boundary`` (default: that of ``points``, else EPSG:25833).

    Returns
    -------
    GeoDataFrame
        ``cell_id``, ``events`` (int), ``value`` (float) and the cell polygon; only cells
        with ``events >= k``. No column of ``points`` is carried over.

    Notes
    -----
    Suppressed and empty cells are both absent, so an absent cell only says "fewer than
    k". Publishing the same data on several cell sizes or periods allows differencing;
    keep public outputs to one fixed grid.
    """
    from geo.core.grid import aggregate, make_grid

    if int(k) < 1:
        raise UserError(f"Schwelle k = {k} ungültig; sie muss mindestens 1 sein.")
    crs = crs or (points.crs.to_string() if getattr(points, "crs", None) is not None else DEFAULT_CRS)
    grid = make_grid(boundary, cell, shape, crs)
    events = aggregate(grid, points, None)
    value = aggregate(grid, points, weight) if weight else events
    keep = events >= int(k)
    cells = grid.cells.loc[keep, ["cell_id", grid.cells.geometry.name]].reset_index(drop=True)
    cells.insert(1, "events", events[keep].astype("int64"))
    cells.insert(2, "value", np.asarray(value, dtype="float64")[keep])
    return cells


def release(
    gdf: pd.DataFrame,
    kind: Kind | str,
    user: User,
    store: Store,
    *,
    what: str,
) -> pd.DataFrame:
    """Restrict ``gdf`` to ``user``'s role and record the release in the audit log.

    Use for every export (CSV, handout, HTML map) so the log says who received which
    records when. ``what`` names the export, e.g. ``"CSV-Download"``.
    """
    kind = get_kind(kind) if isinstance(kind, str) else kind
    out = restrict(gdf, kind, user.role)
    log_release(store, user, what=what, kind=kind.name, count=len(out))
    return out


def log_release(store: Store, user: User, *, what: str, kind: str | None = None, count: int | None = None) -> None:
    """Record in the audit log that ``user`` received an export ``what`` (e.g. ``"Handout 01.09.2026 – …"``).

    :func:`release` calls it for records it restricts itself; exports built from data that
    was restricted earlier (a bin plan, an HTML map, the handout) call it directly. The log
    line reads ``export`` with ``detail = "<what> (Rolle <role>)"``.
    """
    store.audit("export", user=user.name, kind=kind, count=count, detail=f"{what} (Rolle {user.role})")


def rejects_file(store: Store, value: object) -> Path:
    """The rejected-rows file an import-history entry ``value`` names, if it is one Lagebild wrote.

    It must pass :func:`geo.data.backup.rejects_path_ok` (``…/<store>.rejects/import-N-….csv``) *and*, with
    every symbolic link resolved, lie directly in this store's :attr:`~geo.data.store.Store.rejects_dir` as a
    regular file. Anything else raises :class:`UserError` (German), whatever the history says.
    """
    from geo.data.backup import rejects_path_ok

    folder = store.rejects_dir.resolve()
    text = "" if value is None or value != value else str(value)
    path = Path(text)
    if not text or not rejects_path_ok(text) or path.is_symlink():
        raise UserError("Diese Datei gehört nicht zu den abgelehnten Zeilen des Speichers; nicht freigegeben.")
    resolved = path.resolve()
    if resolved.parent != folder or not resolved.is_file():
        raise UserError("Diese Datei gehört nicht zu den abgelehnten Zeilen des Speichers; nicht freigegeben.")
    return resolved


def release_rejects(store: Store, user: User, value: object, *, what: str = "Abgelehnte Zeilen") -> bytes:
    """The bytes of a rejected-rows file for ``user``, logged in the audit log.

    Only the role ``analyse`` receives them (they hold the raw rows: complaint texts, reporting persons,
    exact coordinates), and only files inside the store's rejects folder (:func:`rejects_file`).

    Raises
    ------
    UserError
        Another role, or a path that is not one of the store's reject files; nothing is logged as released.
    """
    if not may_see_rejects(user.role):
        raise UserError(f"Abgelehnte Zeilen erhält nur die Rolle »analyse«, nicht »{user.role}«.")
    path = rejects_file(store, value)
    data = path.read_bytes()
    rows = max(0, sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""),
                                             delimiter=";")) - 1)
    log_release(store, user, what=f"{what} {path.name}", count=rows)
    return data


# ---------------------------------------------------------------------------- the public view and differencing
#: Key figures and the figure whose number of events decides whether they may be published
#: (the syringes of fewer than k finds are not published either).
FIGURE_EVENTS: dict[str, str] = {"finds": "finds", "syringes": "finds", "complaints": "complaints",
                                 "scene_observations": "scene_observations"}


def check_public_period(period) -> None:
    """Raise :class:`UserError` unless ``period`` is one block of the fixed two-month grid
    (:func:`geo.core.period.is_block`): the only periods the role ``oeffentlich`` receives figures for.

    Blocks never overlap, so no two published figures can be subtracted to isolate a few days.
    """
    from geo.core.period import is_block

    if not is_block(period):
        raise UserError(f"Die öffentliche Ansicht zeigt nur feste Zwei-Monats-Zeiträume (Januar–Februar, "
                        f"März–April, …), nicht {period.label()}.")


def public_figures(figures: pd.DataFrame, k: int = K_MIN) -> pd.DataFrame:
    """Key figures fit for publication: values resting on fewer than ``k`` events become NaN.

    ``figures`` is :func:`geo.report.figures.key_figures` (index ``finds``, ``syringes``, …; columns ``value``,
    ``previous``). Each figure is suppressed in a period when its events (:data:`FIGURE_EVENTS`) number less
    than ``k`` there – the current and the previous period separately – and so is its change. Figures that
    rest on no events (``hotspots``) are removed.
    """
    out = figures.loc[[i for i in figures.index if i in FIGURE_EVENTS]].copy()
    for col in ("value", "previous"):
        events = np.array([figures.loc[FIGURE_EVENTS[i], col] if FIGURE_EVENTS[i] in figures.index else np.nan
                           for i in out.index], dtype=float)
        out.loc[~(events >= k), col] = np.nan
    for col in ("change", "change_pct"):
        if col in out:
            out.loc[out["value"].isna() | out["previous"].isna(), col] = np.nan
    return out
