"""Siting new disposal bins, and the bin plan for the crews.

:func:`suggest_bins`: where should *K* new bins go so that they cover the most finds
(weighted by syringes) not yet covered? A maximal covering location problem solved by
:func:`geo.analysis.covering.solve_mclp`. Candidate sites are a grid in the study area or a
user file, minus sites too close to existing bins or to Kitas/schools. :func:`plan_table`
turns a result into the table for the crews (CSV/GeoJSON via
:func:`geo.data.exports.write_table`). All coordinates are metres in the coverage's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.analysis.coverage import CoverageResult
from geo.analysis.covering import (
    DEFAULT_SNAP_M,
    DEFAULT_TIME_LIMIT_S,
    Method,
    Solution,
    aggregate_demand,
    dedupe_columns,
    solve_greedy,
    solve_mclp,
)
from geo.analysis.streets import EPS_M, pair_matrix, pairs_within
from geo.core.area import DISPLAY_CRS, StudyArea
from geo.core.errors import UserError
from geo.core.points import point_xy, to_metric

#: Default spacing of the candidate grid (m).
DEFAULT_GRID_M = 25.0
#: Place types new bins keep away from (``sensitive_place.place_type``).
DEFAULT_SENSITIVE_TYPES: tuple[str, ...] = ("Kita", "Schule")
#: Protective distance (m) for sensitive places without a ``buffer_m`` value.
FALLBACK_SENSITIVE_M = 100.0

METHOD_LABELS: dict[str, str] = {"exact": "exakt (Optimierung)", "greedy": "schrittweise (Greedy)", "none": "–"}


def candidate_grid(boundary: shapely.Geometry, spacing_m: float = DEFAULT_GRID_M) -> np.ndarray:
    """Grid points with ``spacing_m`` metres spacing inside ``boundary``.

    Parameters
    ----------
    boundary : polygon in a metric CRS.
    spacing_m : grid spacing in metres (> 0).

    Returns
    -------
    (n, 2) array of coordinates (metres), row by row from the south-west.
    """
    if spacing_m <= 0:
        raise UserError(f"Rasterabstand muss größer als 0 m sein (angegeben: {spacing_m}).")
    x0, y0, x1, y1 = shapely.bounds(boundary)
    xs = np.arange(np.floor(x0 / spacing_m) * spacing_m + spacing_m / 2, x1, spacing_m)
    ys = np.arange(np.floor(y0 / spacing_m) * spacing_m + spacing_m / 2, y1, spacing_m)
    if len(xs) * len(ys) > 5_000_000:
        raise UserError(f"Kandidatenraster zu fein ({len(xs) * len(ys):,} Punkte); bitte größeren Abstand wählen.")
    mesh_x, mesh_y = np.meshgrid(xs, ys)
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    prepared = shapely.buffer(boundary, 0)
    shapely.prepare(prepared)
    inside = shapely.contains_xy(prepared, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def _sensitive_points(
    sensitive: gpd.GeoDataFrame | None, crs: str, types: tuple[str, ...], distance_m: float | None
) -> tuple[np.ndarray, np.ndarray, gpd.GeoDataFrame | None]:
    """Geometries and protective distances (m) of the sensitive places of ``types``."""
    if sensitive is None or len(sensitive) == 0:
        return np.empty(0, dtype=object), np.empty(0), None
    places = to_metric(sensitive, crs)
    if "place_type" in places:
        places = places.loc[places["place_type"].isin(types).to_numpy()].reset_index(drop=True)
    if distance_m is not None:
        dist = np.full(len(places), float(distance_m))
    elif "buffer_m" in places:
        dist = pd.to_numeric(places["buffer_m"], errors="coerce").fillna(FALLBACK_SENSITIVE_M).to_numpy(dtype=float)
    else:
        dist = np.full(len(places), FALLBACK_SENSITIVE_M)
    return np.asarray(places.geometry.values, dtype=object), dist, places


def _too_close(xy: np.ndarray, geoms: np.ndarray, dist_m: np.ndarray) -> np.ndarray:
    """Mask: which points lie closer than ``dist_m[k]`` to some ``geoms[k]`` (strictly)."""
    out = np.zeros(len(xy), dtype=bool)
    if len(xy) == 0 or len(geoms) == 0 or not np.any(dist_m > 0):
        return out
    pts = shapely.points(xy)
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(pts, predicate="dwithin", distance=float(dist_m.max()))
    close = shapely.distance(pts[pi], geoms[gi]) < dist_m[gi] - EPS_M
    out[pi[close]] = True
    return out


@dataclass(frozen=True, eq=False)
class SitingResult:
    """Suggested new bin sites and what they add.

    Attributes
    ----------
    coverage : the coverage by existing bins this builds on.
    sites : suggested sites (metric CRS) in order of addition: ``rank`` (1 = added first,
        largest gain), ``x``/``y`` (metres), ``covered_finds`` / ``covered_syringes`` (all
        the period's finds within the radius), ``gain_finds`` / ``gain_syringes`` (newly
        covered when added in rank order), ``share_finds_after`` /
        ``share_syringes_after`` (0–1), ``street`` (nearest street name with a named
        network, else None), ``label`` (German, e.g. "Vorschlag 1") and any columns of a
        candidate file.
    curve : one row per number of new bins (0 = existing only): ``new_bins``,
        ``covered_finds``, ``covered_syringes``, ``share_finds``, ``share_syringes``,
        ``gain_finds``, ``gain_syringes``. Evaluated on the individual finds; gains are
        non-increasing and the covered totals never exceed the period's totals.
    hot_cells : the coverage's hot cells with ``covered_after`` (None without cells).
    exclusion : GeoDataFrame of the no-go zones (circles, metric CRS) with ``reason``
        (``"bin"`` or ``"sensitive"``), ``distance_m`` and ``name`` — for maps.
    method : ``"exact"``, ``"greedy"`` or ``"none"`` (nothing to solve).
    optimal : the model optimum is proven.
    objective : weight covered by the sites on the aggregated demand points (model value).
    k : number of sites asked for (``len(sites)`` may be smaller when further sites would
        add nothing).
    stats : counts: ``candidates`` (before rules), ``outside_area``, ``near_bins``,
        ``near_sensitive``, ``useful`` (cover some uncovered demand), ``distinct`` (distinct
        coverage sets, the model size), ``demand_points``.
    params : the rules used: ``min_dist_bins_m``, ``sensitive_distance_m`` (None = each
        place's own ``buffer_m``), ``sensitive_types``, ``grid_m`` (None with a candidate
        file), ``snap_m``.
    """

    coverage: CoverageResult
    sites: gpd.GeoDataFrame
    curve: pd.DataFrame
    hot_cells: gpd.GeoDataFrame | None
    exclusion: gpd.GeoDataFrame
    method: str
    optimal: bool
    objective: float
    k: int
    stats: dict[str, int] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)

    @property
    def method_label(self) -> str:
        label = METHOD_LABELS.get(self.method, self.method)
        if self.method == "exact" and not self.optimal:
            label += ", Zeitlimit erreicht – nicht bewiesen optimal"
        return label


def _empty_sites(crs: str) -> gpd.GeoDataFrame:
    cols = {
        "rank": pd.Series(dtype=np.int64), "x": pd.Series(dtype=float), "y": pd.Series(dtype=float),
        "covered_finds": pd.Series(dtype=np.int64), "covered_syringes": pd.Series(dtype=np.int64),
        "gain_finds": pd.Series(dtype=np.int64), "gain_syringes": pd.Series(dtype=np.int64),
        "share_finds_after": pd.Series(dtype=float), "share_syringes_after": pd.Series(dtype=float),
        "street": pd.Series(dtype=object), "label": pd.Series(dtype=object),
    }
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


@dataclass(frozen=True)
class _Finds:
    """The coverage's finds as arrays: position (m), syringes, weight maximised, not yet covered."""

    xy: np.ndarray
    syringes: np.ndarray
    weight: np.ndarray
    open: np.ndarray


@dataclass(frozen=True)
class _Candidates:
    """Candidate sites: positions (m), attributes of a candidate file (else None), grid spacing used."""

    xy: np.ndarray
    attrs: pd.DataFrame | None
    grid_m: float | None


@dataclass(frozen=True)
class _Model:
    """The covering model: 0/1 matrix and distances (demand × site), demand weights, and for
    each model column its index into the candidate positions."""

    cover: sparse.csc_array
    dist: sparse.csc_array
    weights: np.ndarray
    site_idx: np.ndarray


@dataclass(frozen=True)
class _Ordered:
    """Chosen sites in order of addition: positions (m), candidate index, and the pairs
    (find ``fi`` – site rank ``sj``) within the radius."""

    xy: np.ndarray
    chosen: np.ndarray
    fi: np.ndarray
    sj: np.ndarray


def _finds_arrays(coverage: CoverageResult, demand_weights: np.ndarray | None = None) -> _Finds:
    """Phase 1: the finds of the coverage as arrays; weight = syringes or 1 per find, or ``demand_weights``."""
    finds = coverage.finds
    syr = finds["count"].to_numpy(dtype=float)
    weight = syr if coverage.weight == "syringes" else np.ones(len(finds))
    if demand_weights is not None:
        weight = np.asarray(demand_weights, dtype=float).ravel()
        if weight.shape != (len(finds),) or not np.isfinite(weight).all() or (weight < 0).any():
            raise ValueError("demand_weights needs one finite, non-negative weight per find")
    return _Finds(point_xy(finds.geometry.values), syr, weight, ~finds["covered"].to_numpy(dtype=bool))


def _candidate_sites(
    coverage: CoverageResult, candidates: gpd.GeoDataFrame | None, area: StudyArea | None, grid_m: float,
    f_xy: np.ndarray, stats: dict[str, int],
) -> _Candidates:
    """Phase 2: candidate sites — the finite points of ``candidates`` inside ``area``, or a
    ``grid_m`` grid over the area (without area: over the finds' extent plus the radius).
    Counts ``candidates`` and ``outside_area`` in ``stats``."""
    if candidates is not None:
        cand = to_metric(candidates, coverage.crs)
        c_xy = point_xy(cand.geometry.values)
        finite = np.isfinite(c_xy).all(axis=1)
        cand, c_xy = cand.loc[finite].reset_index(drop=True), c_xy[finite]
        stats["candidates"] = len(c_xy)
        if area is not None and len(c_xy):
            inside = area.contains(shapely.points(c_xy))
            stats["outside_area"] = int((~inside).sum())
            cand, c_xy = cand.loc[inside].reset_index(drop=True), c_xy[inside]
        return _Candidates(c_xy, pd.DataFrame(cand.drop(columns=cand.geometry.name)), None)
    if area is not None:
        boundary = area.boundary
    elif len(f_xy):
        boundary = shapely.box(*shapely.bounds(shapely.multipoints(f_xy))).buffer(coverage.radius_m)
    else:
        boundary = shapely.Polygon()
    c_xy = candidate_grid(boundary, grid_m) if not boundary.is_empty else np.empty((0, 2))
    stats["candidates"] = len(c_xy)
    return _Candidates(c_xy, None, float(grid_m))


def _allowed_sites(
    c_xy: np.ndarray, b_xy: np.ndarray, min_bins_m: float, s_geoms: np.ndarray, s_dist: np.ndarray,
    stats: dict[str, int],
) -> np.ndarray:
    """Phase 3: indices of the candidates not closer than ``min_bins_m`` to an active bin
    nor than the protective distance to a sensitive place (straight line, strict).
    Counts ``near_bins`` and ``near_sensitive`` (only those not already near a bin)."""
    near_bins = _too_close(c_xy, shapely.points(b_xy) if len(b_xy) else np.empty(0, object),
                           np.full(len(b_xy), min_bins_m))
    near_sens = _too_close(c_xy, s_geoms, s_dist)
    stats["near_bins"] = int(near_bins.sum())
    stats["near_sensitive"] = int((near_sens & ~near_bins).sum())
    return np.flatnonzero(~near_bins & ~near_sens)


def _covering_model(
    finds: _Finds, c_xy: np.ndarray, allowed: np.ndarray, coverage: CoverageResult, snap_m: float,
    stats: dict[str, int],
) -> _Model:
    """Phase 4: demand = uncovered finds aggregated on a ``snap_m`` grid; sites = allowed
    candidates covering some demand, one per distinct covered set (the one closest to its
    demand, weighted). Counts ``demand_points``, ``useful`` and ``distinct``."""
    d_xy, d_w, _ = aggregate_demand(finds.xy[finds.open], finds.weight[finds.open], snap_m)
    stats["demand_points"] = len(d_xy)
    di, cj, dd = pairs_within(d_xy, c_xy[allowed], coverage.radius_m, coverage.network)
    useful = np.unique(cj)
    stats["useful"] = len(useful)
    remap = np.full(len(allowed), -1, dtype=np.int64)
    remap[useful] = np.arange(len(useful))
    shape = (len(d_xy), len(useful))
    a = pair_matrix(di, remap[cj], np.ones(len(di)), shape).tocsc()
    dist = pair_matrix(di, remap[cj], dd + EPS_M, shape).tocsc()
    cost = dist.T @ d_w
    keep = dedupe_columns(a, cost)
    stats["distinct"] = len(keep)
    return _Model(a[:, keep], dist[:, keep], d_w, allowed[useful[keep]])


def _solve(model: _Model, k: int, method: Method, time_limit_s: float) -> tuple[Solution, str]:
    """Phase 5: solve the model for ``k`` sites; the method used is ``"none"`` when there is
    nothing to solve."""
    if k == 0 or model.cover.shape[1] == 0:
        return Solution(np.empty(0, np.int64), np.empty(0), 0.0, "greedy", True), "none"
    sol = solve_mclp(model.cover, model.weights, k, method=method, dist=model.dist, time_limit_s=time_limit_s)
    return sol, sol.method


def _order_sites(
    finds: _Finds, s_xy: np.ndarray, chosen: np.ndarray, coverage: CoverageResult
) -> _Ordered:
    """Phase 6: order the chosen sites by greedy gain on the individual uncovered finds
    (not the aggregated demand), so the curve is evaluated on the finds themselves."""
    fi, sj, fd = pairs_within(finds.xy, s_xy, coverage.radius_m, coverage.network)
    n_new = len(s_xy)
    if n_new:
        open_rows = finds.open[fi]
        shape = (len(finds.xy), n_new)
        raw_a = pair_matrix(fi[open_rows], sj[open_rows], np.ones(open_rows.sum()), shape)
        raw_d = pair_matrix(fi[open_rows], sj[open_rows], fd[open_rows] + EPS_M, shape)
        order = solve_greedy(raw_a, finds.weight, n_new, dist=raw_d, stop_when_no_gain=False).selected
    else:
        order = np.empty(0, np.int64)
    rank_of = np.empty(n_new, dtype=np.int64)
    rank_of[order] = np.arange(n_new)
    return _Ordered(s_xy[order], chosen[order], fi, rank_of[sj])


def _gains(finds: _Finds, ordered: _Ordered) -> tuple[np.ndarray, np.ndarray]:
    """Finds and syringes newly covered by each site when added in rank order."""
    n_new = len(ordered.xy)
    first = np.full(len(finds.xy), n_new, dtype=np.int64)
    np.minimum.at(first, ordered.fi, ordered.sj)
    newly = finds.open & (first < n_new)
    gain_f = np.bincount(first[newly], minlength=n_new)
    gain_s = np.bincount(first[newly], weights=finds.syringes[newly], minlength=n_new)
    return gain_f, gain_s


def _coverage_curve(coverage: CoverageResult, finds: _Finds, gain_f: np.ndarray, gain_s: np.ndarray) -> pd.DataFrame:
    """Phase 7a: one row per number of new bins (0 = existing only) with covered totals and shares."""
    n_new = len(gain_f)
    n_f, n_s = len(finds.xy), float(finds.syringes.sum())
    cov_f = coverage.covered_finds + np.r_[0, np.cumsum(gain_f)]
    cov_s = coverage.covered_syringes + np.r_[0, np.cumsum(gain_s)]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_f = cov_f / n_f if n_f else np.full(n_new + 1, np.nan)
        share_s = cov_s / n_s if n_s else np.full(n_new + 1, np.nan)
    return pd.DataFrame({
        "new_bins": np.arange(n_new + 1),
        "covered_finds": cov_f.astype(np.int64),
        "covered_syringes": np.rint(cov_s).astype(np.int64),
        "share_finds": share_f,
        "share_syringes": share_s,
        "gain_finds": np.r_[0, gain_f].astype(np.int64),
        "gain_syringes": np.rint(np.r_[0, gain_s]).astype(np.int64),
    })


def _sites_table(
    coverage: CoverageResult, finds: _Finds, ordered: _Ordered, gains: tuple[np.ndarray, np.ndarray],
    curve: pd.DataFrame, cand_attrs: pd.DataFrame | None,
) -> gpd.GeoDataFrame:
    """Phase 7b: the suggested sites as a table (see :attr:`SitingResult.sites`)."""
    crs, network, s_xy, sj = coverage.crs, coverage.network, ordered.xy, ordered.sj
    n_new = len(s_xy)
    if not n_new:
        return _empty_sites(crs)
    gain_f, gain_s = gains
    streets = network.street_names(s_xy) if network is not None else np.full(n_new, None, dtype=object)
    labels = [f"Vorschlag {i + 1}" + (f" – {s}" if s else "") for i, s in enumerate(streets)]
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, n_new + 1),
            "x": s_xy[:, 0], "y": s_xy[:, 1],
            "covered_finds": np.bincount(sj, minlength=n_new).astype(np.int64),
            "covered_syringes": np.rint(np.bincount(sj, weights=finds.syringes[ordered.fi],
                                                    minlength=n_new)).astype(np.int64),
            "gain_finds": gain_f.astype(np.int64),
            "gain_syringes": np.rint(gain_s).astype(np.int64),
            "share_finds_after": curve["share_finds"].to_numpy()[1:],
            "share_syringes_after": curve["share_syringes"].to_numpy()[1:],
            "street": streets,
            "label": labels,
        },
        geometry=shapely.points(s_xy), crs=crs,
    )
    if cand_attrs is not None:
        extra = cand_attrs.iloc[ordered.chosen].reset_index(drop=True)
        extra = extra.drop(columns=[c for c in extra.columns if c in sites.columns or c == "geometry"])
        sites = gpd.GeoDataFrame(pd.concat([sites, extra.add_prefix("candidate_")], axis=1),
                                 geometry="geometry", crs=crs)
    return sites


def _hot_cells_after(coverage: CoverageResult, s_xy: np.ndarray) -> gpd.GeoDataFrame | None:
    """Phase 8: the coverage's hot cells with ``covered_after`` (centre within reach of a
    bin or a new site)."""
    cells = coverage.hot_cells
    if cells is None:
        return None
    ci, _, _ = pairs_within(point_xy(shapely.centroid(cells.geometry.values)), s_xy, coverage.radius_m,
                            coverage.network)
    return cells.assign(covered_after=cells["covered"].to_numpy() | (np.bincount(ci, minlength=len(cells)) > 0))


def _exclusion_zones(
    coverage: CoverageResult, b_xy: np.ndarray, min_bins_m: float,
    s_geoms: np.ndarray, s_dist: np.ndarray, s_places: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Phase 9: the no-go zones around active bins and sensitive places (for maps)."""
    crs = coverage.crs
    zones = [gpd.GeoDataFrame({"reason": [], "distance_m": [], "name": []}, geometry=[], crs=crs)]
    if len(b_xy) and min_bins_m > 0:
        zones.append(gpd.GeoDataFrame(
            {"reason": "bin", "distance_m": min_bins_m,
             "name": coverage.bins.get("label", pd.Series([None] * len(b_xy))).to_numpy(dtype=object)},
            geometry=shapely.buffer(shapely.points(b_xy), min_bins_m), crs=crs,
        ))
    if s_places is not None and len(s_places):
        zones.append(gpd.GeoDataFrame(
            {"reason": "sensitive", "distance_m": s_dist,
             "name": s_places.get("name", pd.Series([None] * len(s_places))).to_numpy(dtype=object)},
            geometry=shapely.buffer(s_geoms, s_dist), crs=crs,
        ))
    return gpd.GeoDataFrame(pd.concat(zones, ignore_index=True), geometry="geometry", crs=crs)


def suggest_bins(
    coverage: CoverageResult,
    k: int,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    area: StudyArea | None = None,
    grid_m: float = DEFAULT_GRID_M,
    sensitive: gpd.GeoDataFrame | None = None,
    sensitive_types: tuple[str, ...] = DEFAULT_SENSITIVE_TYPES,
    sensitive_distance_m: float | None = None,
    min_dist_bins_m: float | None = None,
    method: Method = "auto",
    snap_m: float = DEFAULT_SNAP_M,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    demand_weights: np.ndarray | None = None,
) -> SitingResult:
    """Suggest up to ``k`` new bin sites covering the most finds not yet covered.

    Demand = the period's finds outside the existing bins' radius, weighted by
    ``coverage.weight`` (syringes by default), aggregated on a ``snap_m`` grid. Candidate
    sites = ``candidates`` (e.g. street corners) or a ``grid_m`` grid over ``area`` (without
    area: over the finds' extent); candidates outside ``area`` are dropped. Rules
    (straight-line, strict): no site closer than ``min_dist_bins_m`` to an active bin, nor
    closer than the protective distance to a sensitive place of ``sensitive_types``
    (points or polygons). Coverage uses ``coverage.radius_m`` and its network, if any.

    Parameters
    ----------
    coverage : result of :func:`analyse_coverage`.
    k : number of new bins (≥ 0).
    candidates : candidate sites (any geometry; non-points by a point on their surface).
    area : study area (grid extent and filter for candidates).
    grid_m : candidate grid spacing in metres (ignored with ``candidates``).
    sensitive : ``sensitive_place`` records.
    sensitive_types : ``place_type`` values that are kept away from.
    sensitive_distance_m : protective distance in metres; None = each place's ``buffer_m``
        (fallback :data:`FALLBACK_SENSITIVE_M`).
    min_dist_bins_m : minimum distance to existing bins in metres; None = the radius.
    method : ``"exact"``, ``"greedy"`` or ``"auto"`` (exact up to
        :data:`~geo.analysis.covering.EXACT_MAX_CANDIDATES` sites and
        :data:`~geo.analysis.covering.EXACT_MAX_NNZ` matrix entries after
        :func:`~geo.analysis.covering.reduce_model`).
    snap_m : demand aggregation cell in metres (0 = exact positions only).
    time_limit_s : time limit of the exact solver in seconds.
    demand_weights : a weight per find replacing ``coverage.weight``, e.g. the forecast's (plan for the next period).

    Returns
    -------
    SitingResult
    """
    if k < 0:
        raise UserError(f"Zahl neuer Behälter darf nicht negativ sein (angegeben: {k}).")
    if method not in ("auto", "exact", "greedy"):
        raise ValueError(f"method must be 'auto', 'exact' or 'greedy', not {method!r}")
    crs = coverage.crs
    min_bins = coverage.radius_m if min_dist_bins_m is None else float(min_dist_bins_m)
    stats = dict.fromkeys(("candidates", "outside_area", "near_bins", "near_sensitive", "useful", "distinct"), 0)
    stats["demand_points"] = 0
    finds = _finds_arrays(coverage, demand_weights)
    b_xy = point_xy(coverage.bins.geometry.values)
    cand = _candidate_sites(coverage, candidates, area, grid_m, finds.xy, stats)
    s_geoms, s_dist, s_places = _sensitive_points(sensitive, crs, sensitive_types, sensitive_distance_m)
    allowed = _allowed_sites(cand.xy, b_xy, min_bins, s_geoms, s_dist, stats)
    model = _covering_model(finds, cand.xy, allowed, coverage, snap_m, stats)
    sol, used_method = _solve(model, k, method, time_limit_s)
    chosen = model.site_idx[sol.selected]
    ordered = _order_sites(finds, cand.xy[chosen], chosen, coverage)
    gains = _gains(finds, ordered)
    curve = _coverage_curve(coverage, finds, *gains)
    return SitingResult(
        coverage=coverage, sites=_sites_table(coverage, finds, ordered, gains, curve, cand.attrs), curve=curve,
        hot_cells=_hot_cells_after(coverage, ordered.xy),
        exclusion=_exclusion_zones(coverage, b_xy, min_bins, s_geoms, s_dist, s_places),
        method=used_method, optimal=bool(sol.optimal and used_method == "exact"),
        objective=float(sol.objective), k=int(k), stats=stats,
        params={
            "min_dist_bins_m": min_bins, "sensitive_distance_m": sensitive_distance_m,
            "sensitive_types": tuple(sensitive_types), "grid_m": cand.grid_m, "snap_m": float(snap_m),
        },
    )


# --------------------------------------------------------------------------------------
# the plan for the crews
# --------------------------------------------------------------------------------------

#: Columns of :func:`plan_table`, in order.
PLAN_COLUMNS: tuple[str, ...] = (
    "status", "rank", "record_id", "label", "owner", "installed_at",
    "covered_finds", "covered_syringes", "unique_finds", "unique_syringes", "removal_rank", "removal_reason",
    "gain_finds", "gain_syringes", "share_syringes_after", "x", "y", "lat", "lon",
)
_INT_COLUMNS = ("rank", "covered_finds", "covered_syringes", "unique_finds", "unique_syringes",
                "removal_rank", "gain_finds", "gain_syringes")


def plan_table(result: CoverageResult | SitingResult) -> gpd.GeoDataFrame:
    """The bin plan as one table: suggested sites (by rank), then existing bins (by rank).

    Columns (:data:`PLAN_COLUMNS`): ``status`` (``"suggested"`` / ``"existing"``),
    ``rank`` (suggested: order of addition; existing: 1 = largest loss if removed),
    ``record_id``, ``label``, ``owner``, ``installed_at`` (existing only),
    ``covered_finds`` / ``covered_syringes`` (finds within the radius),
    ``unique_finds`` / ``unique_syringes`` / ``removal_rank`` / ``removal_reason`` (existing only; no removal rank
    for a bin whose own evaluation shows it works),
    ``gain_finds`` / ``gain_syringes`` / ``share_syringes_after`` (suggested only; share 0–1,
    4 decimals),
    ``x`` / ``y`` (metres in the metric CRS, default EPSG:25833, 0.1 m) and ``lat`` /
    ``lon`` (WGS84, 6 decimals ≈ 0.1 m). Integer columns are nullable (``Int64``).

    Returns
    -------
    GeoDataFrame in the metric CRS (write with :func:`geo.data.exports.write_table`).
    """
    coverage = result.coverage if isinstance(result, SitingResult) else result
    crs = coverage.crs
    bins = coverage.bins.sort_values("rank")
    existing = pd.DataFrame({
        "status": "existing",
        "rank": bins["rank"].to_numpy(),
        "record_id": bins["record_id"].to_numpy(dtype=object) if "record_id" in bins else None,
        "label": bins["label"].to_numpy(dtype=object) if "label" in bins else None,
        "owner": bins["owner"].to_numpy(dtype=object) if "owner" in bins else None,
        "installed_at": pd.to_datetime(bins["installed_at"]).to_numpy() if "installed_at" in bins else pd.NaT,
        "covered_finds": bins["covered_finds"].to_numpy(),
        "covered_syringes": bins["covered_syringes"].to_numpy(),
        "unique_finds": bins["unique_finds"].to_numpy(),
        "unique_syringes": bins["unique_syringes"].to_numpy(),
        "removal_rank": bins["removal_rank"].to_numpy(),
        "removal_reason": bins["removal_reason"].to_numpy(dtype=object) if "removal_reason" in bins else None,
    }, index=pd.RangeIndex(len(bins)))
    geoms = [np.asarray(bins.geometry.values, dtype=object)]
    frames = []
    if isinstance(result, SitingResult) and len(result.sites):
        s = result.sites
        frames.append(pd.DataFrame({
            "status": "suggested",
            "rank": s["rank"].to_numpy(),
            "label": s["label"].to_numpy(dtype=object),
            "covered_finds": s["covered_finds"].to_numpy(),
            "covered_syringes": s["covered_syringes"].to_numpy(),
            "gain_finds": s["gain_finds"].to_numpy(),
            "gain_syringes": s["gain_syringes"].to_numpy(),
            "share_syringes_after": np.round(s["share_syringes_after"].to_numpy(dtype=float), 4),
        }))
        geoms.insert(0, np.asarray(s.geometry.values, dtype=object))
    frames.append(existing)
    table = pd.concat(frames, ignore_index=True)
    geom = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    xy = point_xy(geom)
    table["x"], table["y"] = np.round(xy[:, 0], 1), np.round(xy[:, 1], 1)
    if len(xy):
        lonlat = gpd.GeoSeries(shapely.points(xy), crs=crs).to_crs(DISPLAY_CRS)
        table["lon"], table["lat"] = np.round(lonlat.x.to_numpy(), 6), np.round(lonlat.y.to_numpy(), 6)
    else:
        table["lon"], table["lat"] = np.empty(0), np.empty(0)
    table = table.reindex(columns=list(PLAN_COLUMNS))
    for col in _INT_COLUMNS:
        table[col] = pd.array(pd.to_numeric(table[col]), dtype="Int64")
    for col in ("status", "record_id", "label", "owner"):
        table[col] = table[col].astype(object).where(table[col].notna(), None)
    table["installed_at"] = pd.to_datetime(table["installed_at"])
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(shapely.points(xy) if len(xy) else [], crs=crs), crs=crs)
