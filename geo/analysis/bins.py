"""Disposal bins: how well they cover syringe finds, and where new bins would do most.

Three questions of the street cleaning service (issue 6):

1. **Coverage** (:func:`analyse_coverage`): which finds of a period lie within a walking
   radius of a bin active in that period; shares of finds and syringes covered, finds per
   bin, bins that cover nothing, uncovered finds and uncovered hot spot cells.
2. **Siting** (:func:`suggest_bins`): where should *K* new bins go so that they cover the
   most finds (weighted by syringes) not yet covered? A maximal covering location problem
   (MCLP, Church & ReVelle 1974), solved by :func:`solve_mclp`: exactly (mixed-integer
   programming with HiGHS via :func:`scipy.optimize.milp` on a model shrunk by the exact
   reductions of :func:`reduce_model`) where it is small enough, greedily otherwise
   (vectorised, sparse; guaranteed ≥ 1 − 1/e of the optimum). Candidate sites are a grid
   in the study area or a user file, minus sites too close to existing bins or to
   Kitas/schools.
3. **Removal** (:attr:`CoverageResult.bins`): which existing bins could be moved with the
   least loss — the weight each bin covers alone (``unique_syringes``), ranked.

Distances are straight-line by default or along streets when a :class:`StreetNetwork` is
given (snap to the nearest street segment + shortest path; scipy.sparse.csgraph).

All coordinates are metres in the study area's metric CRS (default EPSG:25833, ETRS89 /
UTM 33N). Period filters use :class:`geo.core.period.Period` (calendar dates, both inclusive).
:func:`plan_table` turns a result into the table for the crews (CSV/GeoJSON via
:func:`geo.data.exports.write_table`). Nothing here imports streamlit or folium.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.core.area import DEFAULT_CRS, DISPLAY_CRS, StudyArea
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.points import find_weights, point_xy, to_metric

#: Default walking radius (m).
DEFAULT_RADIUS_M = 150.0
#: Default spacing of the candidate grid (m).
DEFAULT_GRID_M = 25.0
#: Default cell size for aggregating finds into demand points (m).
DEFAULT_SNAP_M = 10.0
#: Place types new bins keep away from (``sensitive_place.place_type``).
DEFAULT_SENSITIVE_TYPES: tuple[str, ...] = ("Kita", "Schule")
#: Protective distance (m) for sensitive places without a ``buffer_m`` value.
FALLBACK_SENSITIVE_M = 100.0
#: ``method="auto"`` solves exactly up to this many candidate sites (after :func:`reduce_model`) …
EXACT_MAX_CANDIDATES = 2_500
#: … and this many non-zero entries of the coverage matrix; beyond, greedily.
EXACT_MAX_NNZ = 100_000
#: Default time limit (s) of the exact solver; on timeout the better of the solver's
#: incumbent and the greedy solution is used (``optimal=False``). HiGHS checks the limit
#: between its phases, so the root LP of a model far above the "auto" limits can overrun it.
DEFAULT_TIME_LIMIT_S = 30.0
#: Distance tolerance (m) when comparing with the radius (floating point noise).
EPS_M = 1e-6
#: Hot spot classes (``gi_class``) from this value upward count as hot.
HOT_MIN_CLASS = 1

Method = Literal["auto", "exact", "greedy"]
Weight = Literal["syringes", "finds"]
Metric = Literal["straight", "network"]

METRIC_LABELS: dict[str, str] = {"straight": "Luftlinie", "network": "Fußweg entlang der Straßen"}
METHOD_LABELS: dict[str, str] = {"exact": "exakt (Optimierung)", "greedy": "schrittweise (Greedy)", "none": "–"}


# --------------------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------------------


def _straight_pairs(a_xy: np.ndarray, b_xy: np.ndarray, radius_m: float):
    if len(a_xy) == 0 or len(b_xy) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    res = cKDTree(a_xy).sparse_distance_matrix(cKDTree(b_xy), radius_m + EPS_M, output_type="ndarray")
    return res["i"].astype(np.int64), res["j"].astype(np.int64), res["v"].astype(float)


def pairs_within(
    a_xy: np.ndarray, b_xy: np.ndarray, radius_m: float, network: StreetNetwork | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of points of ``a`` and ``b`` at most ``radius_m`` apart.

    Parameters
    ----------
    a_xy, b_xy : (n, 2) and (m, 2) arrays of coordinates in metres (metric CRS).
    radius_m : the radius in metres (inclusive, with a tolerance of :data:`EPS_M`).
    network : measure along streets instead of in a straight line.

    Returns
    -------
    ia, ib, dist_m : int, int and float arrays of equal length; pair *k* is
        ``a[ia[k]]``–``b[ib[k]]`` at distance ``dist_m[k]`` metres.
    """
    a_xy = np.asarray(a_xy, dtype=float).reshape(-1, 2)
    b_xy = np.asarray(b_xy, dtype=float).reshape(-1, 2)
    if network is None:
        return _straight_pairs(a_xy, b_xy, radius_m)
    return network.pairs_within(a_xy, b_xy, radius_m)


def _pair_matrix(ia, ib, values, shape) -> sparse.csr_array:
    return sparse.csr_array((values, (ia, ib)), shape=shape)


# --------------------------------------------------------------------------------------
# street network
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """An undirected street graph for walking distances.

    Build it with :meth:`from_lines` (from a file: :func:`geo.data.sitefiles.read_street_lines`).
    Lines are split at every vertex;
    vertices closer than ``tolerance_m`` are merged, so streets meeting at a shared vertex
    are connected (lines crossing without a shared vertex, e.g. bridges, are not).

    Attributes
    ----------
    node_xy : (n, 2) node coordinates in metres (``crs``).
    edges : (m, 2) node indices of each straight segment.
    length_m : (m,) segment lengths in metres.
    crs : the metric CRS.
    edge_name : (m,) street name of each segment (``name`` column of the input) or None.
    """

    node_xy: np.ndarray
    edges: np.ndarray
    length_m: np.ndarray
    crs: str = DEFAULT_CRS
    edge_name: np.ndarray | None = None

    @classmethod
    def from_lines(
        cls,
        lines: gpd.GeoDataFrame | gpd.GeoSeries,
        crs: str = DEFAULT_CRS,
        *,
        tolerance_m: float = 0.01,
        name_column: str = "name",
    ) -> StreetNetwork:
        """Build the network from (Multi)LineStrings; other geometries are ignored.

        Parameters
        ----------
        lines : line layer; reprojected to ``crs`` (assumed to be in ``crs`` without CRS).
        crs : metric CRS of the analysis.
        tolerance_m : vertices closer than this (grid snapping) become one node.
        name_column : attribute holding street names (optional).
        """
        series = lines.geometry if isinstance(lines, gpd.GeoDataFrame) else lines
        if series.crs is None:
            series = series.set_crs(crs)
        elif series.crs != crs:
            series = series.to_crs(crs)
        geoms = np.asarray(series.values, dtype=object)
        names = None
        if isinstance(lines, gpd.GeoDataFrame) and name_column in lines:
            names = lines[name_column].astype(object).where(lines[name_column].notna(), None).to_numpy()
        parts, part_row = shapely.get_parts(geoms, return_index=True)
        is_line = np.isin(shapely.get_type_id(parts), (1, 2)) & ~shapely.is_empty(parts)
        parts, part_row = parts[is_line], part_row[is_line]
        if len(parts) == 0:
            raise UserError("Straßennetz enthält keine Linien.")
        coords, ci = shapely.get_coordinates(parts, return_index=True)
        key = np.round(coords / tolerance_m).astype(np.int64)
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        node_xy = coords[first]
        same = ci[1:] == ci[:-1]
        u, v, part = inv[:-1][same], inv[1:][same], ci[:-1][same]
        keep = u != v
        a, b, part = np.minimum(u, v)[keep], np.maximum(u, v)[keep], part[keep]
        length = np.hypot(*(node_xy[a] - node_xy[b]).T)
        order = np.lexsort((length, b, a))
        a, b, length, part = a[order], b[order], length[order], part[order]
        first_of_pair = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
        a, b, length, part = a[first_of_pair], b[first_of_pair], length[first_of_pair], part[first_of_pair]
        if len(a) == 0:
            raise UserError("Straßennetz enthält keine Linien mit Länge.")
        edge_name = names[part_row[part]] if names is not None else None
        return cls(node_xy, np.column_stack([a, b]), np.maximum(length, EPS_M), str(crs), edge_name)

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    @property
    def total_length_km(self) -> float:
        return float(self.length_m.sum()) / 1000.0

    @cached_property
    def segments(self) -> np.ndarray:
        """The segments as shapely LineStrings (object array, metres)."""
        return shapely.linestrings(
            np.stack([self.node_xy[self.edges[:, 0]], self.node_xy[self.edges[:, 1]]], axis=1)
        )

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.segments)

    def snap(self, xy: np.ndarray, max_distance_m: float | None = None):
        """Snap points to their nearest segment.

        Returns
        -------
        edge : (n,) segment index (−1 if none within ``max_distance_m``).
        along_m : (n,) distance from the segment's first node to the snapped point (m).
        off_m : (n,) distance from the point to the segment (m; inf if none in reach).
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        edge = np.full(n, -1, dtype=np.int64)
        along = np.zeros(n)
        off = np.full(n, np.inf)
        if n == 0:
            return edge, along, off
        pts = shapely.points(xy)
        kw = {"max_distance": max_distance_m} if max_distance_m is not None else {}
        (src, tgt), dist = self._tree.query_nearest(pts, all_matches=False, return_distance=True, **kw)
        edge[src] = tgt
        off[src] = dist
        along[src] = shapely.line_locate_point(self.segments[tgt], pts[src])
        return edge, along, off

    def street_names(self, xy: np.ndarray) -> np.ndarray:
        """Name of the nearest street for each point (None without names)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        out = np.full(len(xy), None, dtype=object)
        if self.edge_name is None or len(xy) == 0:
            return out
        edge, _, _ = self.snap(xy)
        ok = edge >= 0
        out[ok] = self.edge_name[edge[ok]]
        return out

    def pairs_within(self, a_xy: np.ndarray, b_xy: np.ndarray, radius_m: float):
        """Pairs of points within ``radius_m`` metres along the network.

        Network distance = distance of each point to its snapped position on the nearest
        segment + shortest path between the snapped positions (two points on the same
        segment connect directly along it). Multi-source Dijkstra (scipy.sparse.csgraph)
        with ``limit=radius_m`` from the smaller side, in chunks to bound memory; only
        points with a partner within the straight-line radius take part (a network
        distance is never shorter).

        Returns
        -------
        ia, ib, dist_m : as :func:`pairs_within`.
        """
        empty = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        ia0, ib0, _ = _straight_pairs(a_xy, b_xy, radius_m)
        if len(ia0) == 0:
            return empty
        a_used, b_used = np.unique(ia0), np.unique(ib0)
        pts = np.vstack([a_xy[a_used], b_xy[b_used]])
        edge, along, off = self.snap(pts, max_distance_m=radius_m + EPS_M)
        n_nodes, n_pts = self.n_nodes, len(pts)
        pid = n_nodes + np.arange(n_pts)
        snapped = edge >= 0
        # splice the snapped points into their segments: u → p1 → p2 → … → v
        e_s, t_s, p_s = edge[snapped], along[snapped], pid[snapped]
        order = np.lexsort((t_s, e_s))
        e_s, t_s, p_s = e_s[order], t_s[order], p_s[order]
        first = np.r_[True, e_s[1:] != e_s[:-1]]
        last = np.r_[e_s[1:] != e_s[:-1], True]
        prev_p = np.r_[-1, p_s[:-1]]
        prev_t = np.r_[0.0, t_s[:-1]]
        src = np.where(first, self.edges[e_s, 0], prev_p)
        w = np.where(first, t_s, t_s - prev_t)
        rows = np.concatenate([self.edges[:, 0], src, p_s[last]])
        cols = np.concatenate([self.edges[:, 1], p_s, self.edges[e_s[last], 1]])
        wts = np.concatenate([self.length_m, w, self.length_m[e_s[last]] - t_s[last]])
        size = n_nodes + n_pts
        graph = sparse.csr_array((np.maximum(wts, 1e-9), (rows, cols)), shape=(size, size))
        a_idx = np.flatnonzero(snapped[: len(a_used)])
        b_idx = len(a_used) + np.flatnonzero(snapped[len(a_used):])
        swap = len(b_idx) < len(a_idx)
        s_idx, t_idx = (b_idx, a_idx) if swap else (a_idx, b_idx)
        if len(s_idx) == 0 or len(t_idx) == 0:
            return empty
        chunk = max(1, int(4_000_000 // size))
        out_s, out_t, out_d = [], [], []
        for start in range(0, len(s_idx), chunk):  # chunks of sources, not a loop over points
            s = s_idx[start:start + chunk]
            dist = dijkstra(graph, directed=False, indices=pid[s], limit=radius_m + EPS_M)
            total = dist[:, pid[t_idx]] + off[s][:, None] + off[t_idx][None, :]
            r, c = np.nonzero(total <= radius_m + EPS_M)
            out_s.append(s[r])
            out_t.append(t_idx[c])
            out_d.append(total[r, c])
        s_all, t_all, d = np.concatenate(out_s), np.concatenate(out_t), np.concatenate(out_d)
        pa, pb = (t_all, s_all) if swap else (s_all, t_all)
        return a_used[pa], b_used[pb - len(a_used)], d


# --------------------------------------------------------------------------------------
# coverage of finds by existing bins
# --------------------------------------------------------------------------------------


def finds_in_period(finds: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    """Finds whose ``found_at`` lies in ``period`` (all finds without a period)."""
    if period is None or "found_at" not in finds:
        return finds
    return finds.loc[period.contains(finds["found_at"])]


def active_bins(bins: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    """Bins standing at some time in ``period``.

    A bin is active if ``installed_at`` ≤ period end and (``removed_at`` empty or ≥ period
    start); a missing ``installed_at`` counts as "always there".
    """
    if period is None or len(bins) == 0:
        return bins
    installed = pd.to_datetime(bins["installed_at"]) if "installed_at" in bins else pd.Series(pd.NaT, index=bins.index)
    removed = pd.to_datetime(bins["removed_at"]) if "removed_at" in bins else pd.Series(pd.NaT, index=bins.index)
    return bins.loc[period.overlaps(installed.fillna(period.start_ts), removed)]


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """How well the active bins cover the finds of a period.

    Attributes
    ----------
    finds : the period's finds (metric CRS, 0-based index, input columns kept) plus
        ``covered`` (bool), ``n_bins`` (number of bins within the radius) and
        ``nearest_bin_m`` (straight-line distance to the nearest active bin in metres,
        NaN without bins).
    bins : the active bins plus ``covered_finds`` / ``covered_syringes`` (all finds within
        the radius; a find near two bins counts for both), ``unique_finds`` /
        ``unique_syringes`` (covered by this bin alone = coverage lost if it is removed),
        ``idle`` (covers nothing), ``rank`` (1 = largest loss if removed) and
        ``removal_rank`` (1 = smallest loss; the first candidate for moving).
    hot_cells : hot spot cells (``gi_class`` ≥ :data:`HOT_MIN_CLASS`) with ``covered``
        (the cell's centre within the radius of a bin); None if no cells were given.
    radius_m : walking radius in metres.
    metric : ``"straight"`` or ``"network"``.
    weight : ``"syringes"`` or ``"finds"`` — what the ranking (and siting) maximises.
    period : the period, or None for all records.
    crs : metric CRS of all geometries.
    network : the street network used, if any.
    """

    finds: gpd.GeoDataFrame
    bins: gpd.GeoDataFrame
    hot_cells: gpd.GeoDataFrame | None
    radius_m: float
    metric: Metric
    weight: Weight
    period: Period | None
    crs: str
    network: StreetNetwork | None = None

    @property
    def n_finds(self) -> int:
        return len(self.finds)

    @property
    def n_syringes(self) -> int:
        return int(self.finds["count"].sum()) if len(self.finds) else 0

    @property
    def covered_finds(self) -> int:
        return int(self.finds["covered"].sum())

    @property
    def covered_syringes(self) -> int:
        return int(self.finds.loc[self.finds["covered"], "count"].sum())

    @property
    def share_finds(self) -> float:
        """Share of finds covered, 0–1 (NaN without finds)."""
        return self.covered_finds / self.n_finds if self.n_finds else float("nan")

    @property
    def share_syringes(self) -> float:
        """Share of syringes covered, 0–1 (NaN without finds)."""
        return self.covered_syringes / self.n_syringes if self.n_syringes else float("nan")

    @property
    def uncovered_finds(self) -> gpd.GeoDataFrame:
        return self.finds.loc[~self.finds["covered"]]

    @property
    def idle_bins(self) -> gpd.GeoDataFrame:
        """Active bins with no find within the radius."""
        return self.bins.loc[self.bins["idle"]]

    @property
    def removal_ranking(self) -> gpd.GeoDataFrame:
        """Active bins ordered by loss if removed, smallest first."""
        return self.bins.sort_values("removal_rank")

    @property
    def uncovered_hot_cells(self) -> gpd.GeoDataFrame | None:
        return None if self.hot_cells is None else self.hot_cells.loc[~self.hot_cells["covered"]]

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.metric]

    def summary(self) -> dict[str, float | int]:
        """Key figures as a flat dict (for tables and JSON)."""
        out = {
            "radius_m": self.radius_m,
            "bins": len(self.bins),
            "idle_bins": int(self.bins["idle"].sum()),
            "finds": self.n_finds,
            "syringes": self.n_syringes,
            "covered_finds": self.covered_finds,
            "covered_syringes": self.covered_syringes,
            "share_finds": self.share_finds,
            "share_syringes": self.share_syringes,
        }
        if self.hot_cells is not None:
            out["hot_cells"] = len(self.hot_cells)
            out["uncovered_hot_cells"] = int((~self.hot_cells["covered"]).sum())
        return out


def _rank(primary: np.ndarray, secondary: np.ndarray, descending: bool) -> np.ndarray:
    """1-based ranks by (primary, secondary), ties by position."""
    sign = -1 if descending else 1
    order = np.lexsort((np.arange(len(primary)), sign * secondary, sign * primary))
    rank = np.empty(len(primary), dtype=np.int64)
    rank[order] = np.arange(1, len(primary) + 1)
    return rank


def analyse_coverage(
    finds: gpd.GeoDataFrame,
    bins: gpd.GeoDataFrame,
    *,
    period: Period | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    network: StreetNetwork | None = None,
    hot_cells: gpd.GeoDataFrame | None = None,
    weight: Weight = "syringes",
    crs: str | None = None,
) -> CoverageResult:
    """Coverage of a period's syringe finds by the bins active in that period.

    Parameters
    ----------
    finds : ``syringe_find`` records (points; ``found_at``, ``count``).
    bins : ``disposal_bin`` records (points; ``installed_at``, ``removed_at``).
    period : filter finds by ``found_at`` and bins by activity; None = take all as given.
    radius_m : walking radius in metres (> 0).
    network : measure along streets instead of straight-line.
    hot_cells : hot spot cells (polygons) with a column ``gi_class``; the hot ones
        (``gi_class`` ≥ 1) are checked for coverage by their centre.
    weight : ``"syringes"`` (``count``) or ``"finds"`` (each find 1) for rankings.
    crs : metric CRS (default: the network's, else EPSG:25833); inputs are reprojected.

    Returns
    -------
    CoverageResult
    """
    if not radius_m or radius_m <= 0 or not np.isfinite(radius_m):
        raise UserError(f"Radius muss größer als 0 m sein (angegeben: {radius_m}).")
    if weight not in ("syringes", "finds"):
        raise ValueError(f"weight must be 'syringes' or 'finds', not {weight!r}")
    crs = crs or (network.crs if network is not None else DEFAULT_CRS)
    finds = to_metric(finds_in_period(finds, period), crs)
    bins = to_metric(active_bins(bins, period), crs)
    finds = finds.assign(count=find_weights(finds).astype(np.int64))
    f_xy, b_xy = point_xy(finds.geometry.values), point_xy(bins.geometry.values)
    nf, nb = len(finds), len(bins)
    fi, bi, _ = pairs_within(f_xy, b_xy, radius_m, network)
    cover = _pair_matrix(fi, bi, np.ones(len(fi)), (nf, nb))
    n_bins = np.bincount(fi, minlength=nf)
    syr = finds["count"].to_numpy(dtype=float)
    nearest = np.full(nf, np.nan)
    if nb and nf:
        nearest = cKDTree(b_xy).query(f_xy)[0]
    finds = finds.assign(covered=n_bins > 0, n_bins=n_bins, nearest_bin_m=nearest)

    alone = (n_bins == 1).astype(float)
    covered_finds = np.bincount(bi, minlength=nb)
    covered_syr = np.bincount(bi, weights=syr[fi], minlength=nb)
    unique_finds = cover.T @ alone
    unique_syr = cover.T @ (alone * syr)
    unique_w = unique_syr if weight == "syringes" else unique_finds
    covered_w = covered_syr if weight == "syringes" else covered_finds
    bins = bins.assign(
        covered_finds=covered_finds.astype(np.int64),
        covered_syringes=np.rint(covered_syr).astype(np.int64),
        unique_finds=np.rint(unique_finds).astype(np.int64),
        unique_syringes=np.rint(unique_syr).astype(np.int64),
        idle=covered_finds == 0,
        rank=_rank(unique_w, covered_w, descending=True),
        removal_rank=_rank(unique_w, covered_w, descending=False),
    )

    cells = None
    if hot_cells is not None:
        if "gi_class" not in hot_cells:
            raise UserError("Hotspot-Zellen ohne Spalte 'gi_class'.")
        cells = to_metric(hot_cells, crs)
        cells = cells.loc[pd.to_numeric(cells["gi_class"], errors="coerce").fillna(0).to_numpy() >= HOT_MIN_CLASS]
        cells = cells.reset_index(drop=True)
        ci, _, _ = pairs_within(point_xy(shapely.centroid(cells.geometry.values)), b_xy, radius_m, network)
        cells = cells.assign(covered=np.bincount(ci, minlength=len(cells)) > 0)
    return CoverageResult(
        finds=finds, bins=bins, hot_cells=cells, radius_m=float(radius_m),
        metric="network" if network is not None else "straight", weight=weight, period=period, crs=str(crs),
        network=network,
    )


# --------------------------------------------------------------------------------------
# candidate sites and rules
# --------------------------------------------------------------------------------------


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
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
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


# --------------------------------------------------------------------------------------
# solvers for the maximal covering location problem
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Solution:
    """Chosen sites of a covering model.

    Attributes
    ----------
    selected : column indices of the chosen sites, in the order of decreasing marginal
        gain (greedy order; for the exact method the greedy order within the optimal set).
    gains : weight newly covered by each site in that order.
    objective : total covered weight.
    method : ``"exact"`` or ``"greedy"``.
    optimal : the objective is proven optimal (exact method finished in time).
    """

    selected: np.ndarray
    gains: np.ndarray
    objective: float
    method: Literal["exact", "greedy"]
    optimal: bool


def _as_csc(cover) -> sparse.csc_array:
    return sparse.csc_array(cover, dtype=float)


def solve_greedy(
    cover,
    weights: np.ndarray,
    k: int,
    *,
    dist=None,
    stop_when_no_gain: bool = True,
) -> Solution:
    """Greedy maximal covering: repeatedly add the site covering the most uncovered weight.

    Vectorised: marginal gains are kept in one array and only the rows newly covered by
    the chosen site are subtracted (sparse products), so a step costs O(candidates +
    entries of the covered rows). Greedy reaches at least 1 − 1/e ≈ 63 % of the optimum
    (Nemhauser, Wolsey & Fisher 1978) and is usually within a few percent.

    Parameters
    ----------
    cover : (n_demand, n_sites) sparse or dense 0/1 matrix; 1 = site covers the demand point.
    weights : (n_demand,) non-negative demand weights.
    k : number of sites to choose.
    dist : same shape as ``cover``, distances (m) of the covering pairs; breaks ties
        between equal gains by the smallest weighted distance to the newly covered demand
        (sites in the middle of their cluster).
    stop_when_no_gain : stop early when no site adds weight (else continue up to ``k``
        picking zero-gain sites, e.g. to order a fixed set).

    Returns
    -------
    Solution
    """
    a_csc = _as_csc(cover)
    a_csr = a_csc.tocsr()
    n_dem, n_site = a_csc.shape
    w = np.asarray(weights, dtype=float)
    k = int(min(max(k, 0), n_site))
    gain = a_csc.T @ w
    if dist is not None:
        d_csr = sparse.csr_array(dist, dtype=float)
        d_csr.data = d_csr.data + EPS_M
        cost = d_csr.T @ w
    else:
        d_csr, cost = None, np.zeros(n_site)
    tol = 1e-9 * max(1.0, float(w.sum()))
    uncovered = np.ones(n_dem, dtype=bool)
    available = np.ones(n_site, dtype=bool)
    selected, gains = [], []
    for _ in range(k):  # k steps; each step is vectorised
        g = np.where(available, gain, -np.inf)
        best = g.max()
        if best <= tol and stop_when_no_gain:
            break
        ties = np.flatnonzero(g >= best - tol)
        j = int(ties[np.argmin(cost[ties])])
        rows = a_csc.indices[a_csc.indptr[j]:a_csc.indptr[j + 1]]
        new = rows[uncovered[rows]]
        uncovered[new] = False
        available[j] = False
        selected.append(j)
        gains.append(max(float(best), 0.0))
        if len(new):
            gain = gain - a_csr[new].T @ w[new]
            if d_csr is not None:
                cost = cost - d_csr[new].T @ w[new]
    selected_arr = np.asarray(selected, dtype=np.int64)
    gains_arr = np.asarray(gains, dtype=float)
    return Solution(selected_arr, gains_arr, float(w[~uncovered].sum()), "greedy", False)


def covered_weight(cover, weights: np.ndarray, selected: np.ndarray) -> float:
    """Total weight of demand points covered by at least one of the ``selected`` sites."""
    a = _as_csc(cover)
    if len(selected) == 0:
        return 0.0
    hit = (a[:, np.asarray(selected)] @ np.ones(len(selected))) > 0
    return float(np.asarray(weights, dtype=float)[hit].sum())


def reduce_model(cover, weights: np.ndarray) -> tuple[sparse.csc_array, np.ndarray, np.ndarray]:
    """Exact reductions of a maximal covering model (the optimum is unchanged).

    * demand points covered by no site, or with zero weight, are dropped;
    * demand points covered by the same set of sites are merged (weights summed);
    * a site whose covered set is contained in another site's set is dropped (of equal
      sets the first is kept) — swapping it for the larger one never loses weight;
    * demand points that now share the same sites are merged again.

    Parameters
    ----------
    cover : (n_demand, n_sites) 0/1 matrix.
    weights : (n_demand,) demand weights.

    Returns
    -------
    cover : (m, p) reduced matrix (CSC).
    weights : (m,) merged weights.
    sites : (p,) original column index of each remaining site.
    """
    a = _as_csc(cover)
    a.eliminate_zeros()
    a.data[:] = 1.0
    w = np.asarray(weights, dtype=float)
    n_dem, n_site = a.shape
    a_csr = a.tocsr()
    keep = (np.diff(a_csr.indptr) > 0) & (w > 0)
    if not keep.any():
        return sparse.csc_array((0, 0)), np.empty(0), np.empty(0, np.int64)
    a_c, w_red = _merge_rows(a_csr[np.flatnonzero(keep)], w[keep])
    size = np.diff(a_c.indptr)
    overlap = (a_c.T @ a_c).tocoo()
    i, j, v = overlap.row, overlap.col, np.rint(overlap.data)
    dom = (i != j) & (v == size[j]) & ((size[i] > size[j]) | ((size[i] == size[j]) & (i < j)))
    dominated = np.zeros(n_site, dtype=bool)
    dominated[j[dom]] = True
    sites = np.flatnonzero((size > 0) & ~dominated)
    # without the dominated sites, more demand points share the same sites
    a_red, w_red = _merge_rows(a_c[:, sites].tocsr(), w_red)
    return a_red, w_red, sites


def _merge_rows(a_csr: sparse.csr_array, w: np.ndarray) -> tuple[sparse.csc_array, np.ndarray]:
    """Merge rows with the same set of columns (weights summed); returns CSC and weights."""
    rng = np.random.default_rng(12345)
    _, first, group = np.unique(a_csr @ rng.random((a_csr.shape[1], 2)), axis=0, return_index=True,
                                return_inverse=True)
    w_red = np.bincount(group.reshape(-1), weights=w, minlength=len(first))
    return a_csr[first].tocsc(), w_red


def _milp(a: sparse.csc_array, w: np.ndarray, k: int, time_limit_s: float):
    """Solve the (reduced) MCLP with HiGHS; returns (chosen columns or None, proven optimal)."""
    m, n_site = a.shape
    coupling = sparse.hstack([-a, sparse.eye_array(m, format="csc")], format="csc")
    budget = sparse.hstack([sparse.csc_array(np.ones((1, n_site))), sparse.csc_array((1, m))], format="csc")
    res = milp(
        np.concatenate([np.zeros(n_site), -w]),
        constraints=[LinearConstraint(coupling, -np.inf, 0.0), LinearConstraint(budget, -np.inf, k)],
        integrality=np.concatenate([np.ones(n_site), np.zeros(m)]),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 1e-9, "disp": False},
    )
    if res.x is None:
        return None, False
    return np.flatnonzero(res.x[:n_site] > 0.5), res.status == 0


def solve_mclp(
    cover,
    weights: np.ndarray,
    k: int,
    *,
    method: Method = "auto",
    dist=None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    max_sites: int = EXACT_MAX_CANDIDATES,
    max_nnz: int = EXACT_MAX_NNZ,
) -> Solution:
    """Maximal covering: choose up to ``k`` sites covering the most demand weight.

    ``method="exact"``: mixed-integer program ``max Σ w_i y_i`` subject to
    ``y_i ≤ Σ_j a_ij x_j``, ``Σ_j x_j ≤ k``, ``x_j ∈ {0, 1}``, ``0 ≤ y_i ≤ 1``, on the
    model reduced by :func:`reduce_model`, solved with HiGHS (:func:`scipy.optimize.milp`,
    built from the sparse matrix without Python loops). Same optimum as spopt's ``MCLP``
    (which has ``Σ x_j = k``; extra sites there add nothing). On timeout the better of
    HiGHS' incumbent and the greedy solution is returned with ``optimal=False``.
    ``method="greedy"``: :func:`solve_greedy`. ``method="auto"``: exact when the reduced
    model has at most ``max_sites`` sites and ``max_nnz`` matrix entries, else greedy.

    Parameters
    ----------
    cover, weights, k, dist : as :func:`solve_greedy`.
    method : ``"auto"``, ``"exact"`` or ``"greedy"``.
    time_limit_s : time limit of the exact solver in seconds.
    max_sites, max_nnz : size limits of ``"auto"``.

    Returns
    -------
    Solution
        For the exact method, ``selected`` is in greedy order within the optimal set
        (ties by ``dist``); sites adding nothing are dropped.
    """
    if method not in ("auto", "exact", "greedy"):
        raise ValueError(f"method must be 'auto', 'exact' or 'greedy', not {method!r}")
    a = _as_csc(cover)
    w = np.asarray(weights, dtype=float)
    k = int(min(max(k, 0), a.shape[1]))
    if method == "greedy":
        return solve_greedy(a, w, k, dist=dist)
    a_red, w_red, sites = reduce_model(a, w)
    if method == "auto" and (len(sites) > max_sites or a_red.nnz > max_nnz):
        return solve_greedy(a, w, k, dist=dist)
    optimal = True
    if k == 0 or len(sites) == 0:
        chosen = np.empty(0, np.int64)
    elif k >= len(sites):
        chosen = sites
    else:
        red, optimal = _milp(a_red, w_red, k, time_limit_s)
        chosen = sites[red] if red is not None else None
        if not optimal:
            greedy = solve_greedy(a, w, k, dist=dist)
            if chosen is None or covered_weight(a, w, chosen) < greedy.objective:
                return greedy
    d = None if dist is None else sparse.csc_array(dist, dtype=float)[:, chosen]
    order = solve_greedy(a[:, chosen], w, len(chosen), dist=d)
    return Solution(chosen[order.selected], order.gains, order.objective, "exact", bool(optimal))


def solve_exact(
    cover,
    weights: np.ndarray,
    k: int,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    dist=None,
) -> Solution:
    """Exact maximal covering location problem; :func:`solve_mclp` with ``method="exact"``."""
    return solve_mclp(cover, weights, k, method="exact", dist=dist, time_limit_s=time_limit_s)


def aggregate_demand(
    xy: np.ndarray, weights: np.ndarray, snap_m: float = DEFAULT_SNAP_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate points into demand points on a ``snap_m`` grid (keeps exact models small).

    Points in the same ``snap_m`` × ``snap_m`` cell become one demand point at their
    weighted mean position (at most ``snap_m·√2`` from each member); ``snap_m <= 0`` merges
    identical coordinates only.

    Returns
    -------
    demand_xy : (m, 2) coordinates (metres).
    demand_w : (m,) summed weights.
    label : (n,) demand point of each input point.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    w = np.asarray(weights, dtype=float)
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty(0), np.empty(0, np.int64)
    key = np.floor(xy / snap_m).astype(np.int64) if snap_m > 0 else xy
    _, label = np.unique(key, axis=0, return_inverse=True)
    label = label.reshape(-1)
    m = label.max() + 1
    dw = np.bincount(label, weights=w, minlength=m)
    ww = np.where(dw[label] > 0, w, 1.0)
    denom = np.bincount(label, weights=ww, minlength=m)
    cx = np.bincount(label, weights=ww * xy[:, 0], minlength=m) / denom
    cy = np.bincount(label, weights=ww * xy[:, 1], minlength=m) / denom
    return np.column_stack([cx, cy]), dw, label


def _dedupe_columns(cover: sparse.csc_array, cost: np.ndarray) -> np.ndarray:
    """Indices of one column per distinct coverage set (the one with the smallest cost)."""
    n_dem, n_site = cover.shape
    if n_site == 0:
        return np.empty(0, np.int64)
    rng = np.random.default_rng(12345)
    h = cover.T @ rng.random((n_dem, 2))
    _, group = np.unique(h, axis=0, return_inverse=True)
    group = group.reshape(-1)
    order = np.lexsort((np.arange(n_site), cost, group))
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    return np.sort(order[first])


# --------------------------------------------------------------------------------------
# siting new bins
# --------------------------------------------------------------------------------------


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
    method : ``"exact"``, ``"greedy"`` or ``"auto"`` (exact up to :data:`EXACT_MAX_CANDIDATES`
        sites and :data:`EXACT_MAX_NNZ` matrix entries after :func:`reduce_model`).
    snap_m : demand aggregation cell in metres (0 = exact positions only).
    time_limit_s : time limit of the exact solver in seconds.
    demand_weights : optional weight per find of ``coverage.finds`` replacing ``coverage.weight``,
        e.g. the forecast's expected events at each find
        (:func:`geo.analysis.forecast.demand_weights`): plans for the next period instead of
        the past one. ``None``: syringes or finds as ``coverage.weight`` says.

    Returns
    -------
    SitingResult
    """
    if k < 0:
        raise UserError(f"Zahl neuer Behälter darf nicht negativ sein (angegeben: {k}).")
    if method not in ("auto", "exact", "greedy"):
        raise ValueError(f"method must be 'auto', 'exact' or 'greedy', not {method!r}")
    crs, radius, network = coverage.crs, coverage.radius_m, coverage.network
    min_bins = radius if min_dist_bins_m is None else float(min_dist_bins_m)
    finds = coverage.finds
    f_xy = point_xy(finds.geometry.values)
    syr = finds["count"].to_numpy(dtype=float)
    w_all = syr if coverage.weight == "syringes" else np.ones(len(finds))
    if demand_weights is not None:
        w_all = np.asarray(demand_weights, dtype=float).ravel()
        if w_all.shape != (len(finds),) or not np.isfinite(w_all).all() or (w_all < 0).any():
            raise ValueError("demand_weights needs one finite, non-negative weight per find")
    open_ = ~finds["covered"].to_numpy(dtype=bool)
    b_xy = point_xy(coverage.bins.geometry.values)
    stats = dict.fromkeys(("candidates", "outside_area", "near_bins", "near_sensitive", "useful", "distinct"), 0)
    stats["demand_points"] = 0

    # candidate sites
    cand_attrs = None
    if candidates is not None:
        cand = to_metric(candidates, crs)
        c_xy = point_xy(cand.geometry.values)
        finite = np.isfinite(c_xy).all(axis=1)
        cand, c_xy = cand.loc[finite].reset_index(drop=True), c_xy[finite]
        stats["candidates"] = len(c_xy)
        if area is not None and len(c_xy):
            inside = area.contains(shapely.points(c_xy))
            stats["outside_area"] = int((~inside).sum())
            cand, c_xy = cand.loc[inside].reset_index(drop=True), c_xy[inside]
        cand_attrs = pd.DataFrame(cand.drop(columns=cand.geometry.name))
        grid_used = None
    else:
        if area is not None:
            boundary = area.boundary
        elif len(finds):
            boundary = shapely.box(*shapely.bounds(shapely.multipoints(f_xy))).buffer(radius)
        else:
            boundary = shapely.Polygon()
        c_xy = candidate_grid(boundary, grid_m) if not boundary.is_empty else np.empty((0, 2))
        stats["candidates"] = len(c_xy)
        grid_used = float(grid_m)

    # rules
    near_bins = _too_close(c_xy, shapely.points(b_xy) if len(b_xy) else np.empty(0, object),
                           np.full(len(b_xy), min_bins))
    s_geoms, s_dist, s_places = _sensitive_points(sensitive, crs, sensitive_types, sensitive_distance_m)
    near_sens = _too_close(c_xy, s_geoms, s_dist)
    stats["near_bins"] = int(near_bins.sum())
    stats["near_sensitive"] = int((near_sens & ~near_bins).sum())
    allowed = np.flatnonzero(~near_bins & ~near_sens)

    # demand and model
    d_xy, d_w, _ = aggregate_demand(f_xy[open_], w_all[open_], snap_m)
    stats["demand_points"] = len(d_xy)
    di, cj, dd = pairs_within(d_xy, c_xy[allowed], radius, network)
    useful = np.unique(cj)
    stats["useful"] = len(useful)
    remap = np.full(len(allowed), -1, dtype=np.int64)
    remap[useful] = np.arange(len(useful))
    shape = (len(d_xy), len(useful))
    a = _pair_matrix(di, remap[cj], np.ones(len(di)), shape).tocsc()
    dist = _pair_matrix(di, remap[cj], dd + EPS_M, shape).tocsc()
    cost = dist.T @ d_w
    keep = _dedupe_columns(a, cost)
    stats["distinct"] = len(keep)
    a, dist = a[:, keep], dist[:, keep]
    site_idx = allowed[useful[keep]]  # model column → index into c_xy

    if k == 0 or len(keep) == 0:
        sol = Solution(np.empty(0, np.int64), np.empty(0), 0.0, "greedy", True)
        used_method = "none"
    else:
        sol = solve_mclp(a, d_w, k, method=method, dist=dist, time_limit_s=time_limit_s)
        used_method = sol.method
    chosen = site_idx[sol.selected]
    s_xy = c_xy[chosen]

    # order and curve on the individual finds
    fi, sj, fd = pairs_within(f_xy, s_xy, radius, network)
    n_new = len(s_xy)
    if n_new:
        open_rows = open_[fi]
        raw_a = _pair_matrix(fi[open_rows], sj[open_rows], np.ones(open_rows.sum()), (len(f_xy), n_new))
        raw_d = _pair_matrix(fi[open_rows], sj[open_rows], fd[open_rows] + EPS_M, (len(f_xy), n_new))
        order = solve_greedy(raw_a, w_all, n_new, dist=raw_d, stop_when_no_gain=False).selected
    else:
        order = np.empty(0, np.int64)
    rank_of = np.empty(n_new, dtype=np.int64)
    rank_of[order] = np.arange(n_new)
    s_xy, chosen = s_xy[order], chosen[order]
    sj = rank_of[sj]
    first = np.full(len(f_xy), n_new, dtype=np.int64)
    np.minimum.at(first, fi, sj)
    newly = open_ & (first < n_new)
    gain_f = np.bincount(first[newly], minlength=n_new)
    gain_s = np.bincount(first[newly], weights=syr[newly], minlength=n_new)
    n_f, n_s = len(finds), float(syr.sum())
    cov_f = coverage.covered_finds + np.r_[0, np.cumsum(gain_f)]
    cov_s = coverage.covered_syringes + np.r_[0, np.cumsum(gain_s)]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_f = cov_f / n_f if n_f else np.full(n_new + 1, np.nan)
        share_s = cov_s / n_s if n_s else np.full(n_new + 1, np.nan)
    curve = pd.DataFrame({
        "new_bins": np.arange(n_new + 1),
        "covered_finds": cov_f.astype(np.int64),
        "covered_syringes": np.rint(cov_s).astype(np.int64),
        "share_finds": share_f,
        "share_syringes": share_s,
        "gain_finds": np.r_[0, gain_f].astype(np.int64),
        "gain_syringes": np.rint(np.r_[0, gain_s]).astype(np.int64),
    })

    if n_new:
        streets = network.street_names(s_xy) if network is not None else np.full(n_new, None, dtype=object)
        labels = [f"Vorschlag {i + 1}" + (f" – {s}" if s else "") for i, s in enumerate(streets)]
        sites = gpd.GeoDataFrame(
            {
                "rank": np.arange(1, n_new + 1),
                "x": s_xy[:, 0], "y": s_xy[:, 1],
                "covered_finds": np.bincount(sj, minlength=n_new).astype(np.int64),
                "covered_syringes": np.rint(np.bincount(sj, weights=syr[fi], minlength=n_new)).astype(np.int64),
                "gain_finds": gain_f.astype(np.int64),
                "gain_syringes": np.rint(gain_s).astype(np.int64),
                "share_finds_after": share_f[1:],
                "share_syringes_after": share_s[1:],
                "street": streets,
                "label": labels,
            },
            geometry=shapely.points(s_xy), crs=crs,
        )
        if cand_attrs is not None:
            extra = cand_attrs.iloc[chosen].reset_index(drop=True)
            extra = extra.drop(columns=[c for c in extra.columns if c in sites.columns or c == "geometry"])
            sites = gpd.GeoDataFrame(pd.concat([sites, extra.add_prefix("candidate_")], axis=1),
                                     geometry="geometry", crs=crs)
    else:
        sites = _empty_sites(crs)

    cells = coverage.hot_cells
    if cells is not None:
        ci, _, _ = pairs_within(point_xy(shapely.centroid(cells.geometry.values)), s_xy, radius, network)
        cells = cells.assign(covered_after=cells["covered"].to_numpy() | (np.bincount(ci, minlength=len(cells)) > 0))

    zones = [gpd.GeoDataFrame({"reason": [], "distance_m": [], "name": []}, geometry=[], crs=crs)]
    if len(b_xy) and min_bins > 0:
        zones.append(gpd.GeoDataFrame(
            {"reason": "bin", "distance_m": min_bins,
             "name": coverage.bins.get("label", pd.Series([None] * len(b_xy))).to_numpy(dtype=object)},
            geometry=shapely.buffer(shapely.points(b_xy), min_bins), crs=crs,
        ))
    if s_places is not None and len(s_places):
        zones.append(gpd.GeoDataFrame(
            {"reason": "sensitive", "distance_m": s_dist,
             "name": s_places.get("name", pd.Series([None] * len(s_places))).to_numpy(dtype=object)},
            geometry=shapely.buffer(s_geoms, s_dist), crs=crs,
        ))
    exclusion = gpd.GeoDataFrame(pd.concat(zones, ignore_index=True), geometry="geometry", crs=crs)

    return SitingResult(
        coverage=coverage, sites=sites, curve=curve, hot_cells=cells, exclusion=exclusion,
        method=used_method, optimal=bool(sol.optimal and used_method == "exact"),
        objective=float(sol.objective), k=int(k), stats=stats,
        params={
            "min_dist_bins_m": min_bins, "sensitive_distance_m": sensitive_distance_m,
            "sensitive_types": tuple(sensitive_types), "grid_m": grid_used, "snap_m": float(snap_m),
        },
    )


# --------------------------------------------------------------------------------------
# the plan for the crews
# --------------------------------------------------------------------------------------

#: Columns of :func:`plan_table`, in order.
PLAN_COLUMNS: tuple[str, ...] = (
    "status", "rank", "record_id", "label", "owner", "installed_at",
    "covered_finds", "covered_syringes", "unique_finds", "unique_syringes", "removal_rank",
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
    ``unique_finds`` / ``unique_syringes`` / ``removal_rank`` (existing only),
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
