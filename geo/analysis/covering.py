"""Maximal covering location problem (MCLP, Church & ReVelle 1974): pure solvers.

Given a 0/1 matrix ``cover`` (demand points × sites; 1 = the site covers the point),
demand ``weights`` and a number ``k``, choose up to ``k`` sites covering the most weight.
:func:`solve_mclp` solves it exactly (mixed-integer programming with HiGHS via
:func:`scipy.optimize.milp` on a model shrunk by the exact reductions of
:func:`reduce_model`) where it is small enough, greedily otherwise (:func:`solve_greedy`:
vectorised, sparse; guaranteed ≥ 1 − 1/e of the optimum). :func:`aggregate_demand` merges
nearby points into demand points; :func:`dedupe_columns` keeps one site per distinct
covered set. Everything works on arrays and sparse matrices only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.analysis.streets import EPS_M

#: Default cell size for aggregating points into demand points (m).
DEFAULT_SNAP_M = 10.0
#: ``method="auto"`` solves exactly up to this many candidate sites (after :func:`reduce_model`) …
EXACT_MAX_CANDIDATES = 2_500
#: … and this many non-zero entries of the coverage matrix; beyond, greedily.
EXACT_MAX_NNZ = 100_000
#: Default time limit (s) of the exact solver; on timeout the better of the solver's
#: incumbent and the greedy solution is used (``optimal=False``). HiGHS checks the limit
#: between its phases, so the root LP of a model far above the "auto" limits can overrun it.
DEFAULT_TIME_LIMIT_S = 30.0

Method = Literal["auto", "exact", "greedy"]


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
    chosen: np.ndarray | None
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
    assert chosen is not None  # an optimal MILP always returns a selection
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


def dedupe_columns(cover: sparse.csc_array, cost: np.ndarray) -> np.ndarray:
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
