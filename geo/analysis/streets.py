"""Distances between point sets in metres: straight line or along a street network.

:func:`pairs_within` finds all pairs of two point sets at most a radius apart, in a straight
line (k-d tree) or along streets when a :class:`StreetNetwork` is given (snap to the nearest
street segment + shortest path; scipy.sparse.csgraph). All coordinates are metres in a
metric CRS (default EPSG:25833, ETRS89 / UTM 33N). Nothing here reads files: build the
network from lines read by :func:`geo.data.sitefiles.read_street_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError

#: Distance tolerance (m) when comparing with the radius (floating point noise).
EPS_M = 1e-6


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



def pair_matrix(ia, ib, values, shape) -> sparse.csr_array:
    """Sparse (CSR) matrix of ``shape`` with ``values`` at the pairs (``ia``, ``ib``)."""
    return sparse.csr_array((values, (ia, ib)), shape=shape)


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
