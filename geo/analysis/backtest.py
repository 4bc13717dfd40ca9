"""Rolling-origin backtest of the forecast surfaces: selection, hit rate, PAI, recapture-rate index.

For every period with enough history, each candidate surface (:mod:`geo.analysis.forecast_surfaces`)
is fitted on the periods before it only and scored on it; see :mod:`geo.analysis.forecast`
for the formulas and :func:`backtest` for how the work is shared between origins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.compare import hit_rate_pai
from geo.analysis.forecast_surfaces import (
    BLEND_LONG,
    BLEND_RECENT,
    FAMILIES,
    Candidate,
    arcgis_bandwidth,
    decay_surface,
    default_candidates,
    kde_surface,
    surface,
)
from geo.analysis.hotspots import gi_star_z
from geo.core.errors import UserError
from geo.core.grid import Grid
from geo.core.period import Period

#: Default share of the study area the forecast covers (what a patrol or crew can cover).
DEFAULT_SHARE = 0.03
#: Periods of history needed before a period is scored.
MIN_HISTORY = 1
#: Tie-break neighbourhood of :func:`top_cells` in cell sizes (as ``select_top_cells``).
TIE_BAND_CELLS = 1.5


def top_cells(values: np.ndarray, share: float = DEFAULT_SHARE, *, grid: Grid | None = None) -> np.ndarray:
    """Boolean mask of the ``ceil(share * n)`` cells with the largest ``values`` (only values > 0).

    Same result as :func:`geo.analysis.compare.select_top_cells` (ties by the neighbourhood
    sum within 1.5 cell sizes when ``grid`` is given, then ``cell_id``), in ``O(n)``: the
    threshold comes from a partial sort of the positive values, and neighbourhood sums are
    computed only for the cells tied at the threshold (:func:`neighbour_sums`).
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    if not 0 < share <= 1:
        raise UserError(f"Anteil {share!r} ungültig; erwartet eine Zahl über 0 und höchstens 1.")
    positive = v > 0
    pos = v[positive]
    k = min(int(math.ceil(share * n)), len(pos))
    if k == len(pos):
        return positive
    thr = np.partition(pos, len(pos) - k)[len(pos) - k]
    mask = v > thr
    need = k - int(mask.sum())
    if need > 0:
        tied = np.flatnonzero(v == thr)
        if grid is not None and len(tied) > need:
            tie = neighbour_sums(grid, v, tied, TIE_BAND_CELLS * grid.cell)
            tied = tied[np.lexsort((tied, -tie))]
        mask[tied[:need]] = True
    return mask


def neighbour_sums(grid: Grid, values: np.ndarray, ids: np.ndarray, band_m: float) -> np.ndarray:
    """``grid.window_sum(values, band_m)[ids]``, computed for the cells ``ids`` only.

    The neighbours are the grid's stencil offsets (:meth:`Grid.stencil`) looked up in a
    lattice → cell table (built once per grid); exact for integer-valued ``values``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    i0, j0, table = _lattice(grid)
    out = np.zeros(len(ids))
    ii, jj = grid.i[ids] - i0, grid.j[ids] - j0
    for di, dj in grid.stencil(band_m):
        a, b = ii + di, jj + dj
        ok = (a >= 0) & (a < table.shape[0]) & (b >= 0) & (b < table.shape[1])
        nb = np.full(len(ids), -1, dtype=np.int64)
        nb[ok] = table[a[ok], b[ok]]
        ok = nb >= 0
        out[ok] += values[nb[ok]]
    return out


_LATTICES: dict[int, tuple[Grid, tuple[int, int, np.ndarray]]] = {}


def _lattice(grid: Grid) -> tuple[int, int, np.ndarray]:
    """``(i_min, j_min, table)``: lattice coordinates → ``cell_id`` (-1: no cell), cached for the last grids."""
    hit = _LATTICES.get(id(grid))
    if hit is not None and hit[0] is grid:
        return hit[1]
    i0, j0 = (int(grid.i.min()), int(grid.j.min())) if grid.n else (0, 0)
    shape = (int(grid.i.max()) - i0 + 1, int(grid.j.max()) - j0 + 1) if grid.n else (0, 0)
    table = np.full(shape, -1, dtype=np.int64)
    table[grid.i - i0, grid.j - j0] = np.arange(grid.n)
    if len(_LATTICES) > 8:
        _LATTICES.clear()
    _LATTICES[id(grid)] = (grid, (i0, j0, table))
    return i0, j0, table


def recapture_rate_index(selected: np.ndarray, counts_prev: np.ndarray, counts_next: np.ndarray) -> float:
    """``RRI = (n_next / n_prev) / (N_next / N_prev)`` for the events in the selected cells (``n``)
    and in all cells (``N``) of two consecutive periods (Levine 2008); NaN where undefined."""
    sel = np.asarray(selected, dtype=bool)
    n_prev, n_next = float(np.asarray(counts_prev)[sel].sum()), float(np.asarray(counts_next)[sel].sum())
    t_prev, t_next = float(np.sum(counts_prev)), float(np.sum(counts_next))
    if n_prev <= 0 or t_prev <= 0 or t_next <= 0:
        return math.nan
    return (n_next / n_prev) / (t_next / t_prev)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Result of :func:`backtest` (carries its inputs).

    Attributes
    ----------
    table : one row per method plus ``auto``: ``method`` (short name), ``family``, ``label``
        (German), ``pai`` (mean over the scored periods), ``pai_sd`` (standard deviation, the
        spread), ``hit_rate`` (mean), ``area_share``, ``rri`` (mean), ``periods`` (scored
        periods with events), ``chosen`` (bool). Sorted by ``pai`` (best first), ``auto`` last.
    scores : long table, one row per method and scored period: ``method``, ``period``
        (``"2026-01-01/2026-01-31"``), ``target`` (index into ``periods``), ``area_share``,
        ``hit_rate``, ``pai``, ``rri``, ``events``; for ``auto`` also ``picked``.
    chosen : the candidate with the best mean PAI among ``allowed``.
    candidates : all candidates scored.
    periods : the history periods (oldest first); ``counts`` their events per cell.
    grid, share, min_history, allowed : the inputs.
    """

    table: pd.DataFrame
    scores: pd.DataFrame
    chosen: Candidate
    candidates: tuple[Candidate, ...]
    periods: tuple[Period, ...]
    counts: np.ndarray
    grid: Grid
    share: float
    min_history: int
    allowed: tuple[str, ...]

    def row(self, method: str = "auto") -> pd.Series:
        """The table row of a method (short name) or ``auto``."""
        return self.table.set_index("method").loc[method]

    @property
    def chosen_row(self) -> pd.Series:
        return self.row(self.chosen.name)


def _choose(means: np.ndarray, allowed_idx: np.ndarray) -> int:
    """Index of the best mean PAI among ``allowed_idx`` (NaN = worst; ties: the first)."""
    vals = np.where(np.isnan(means[allowed_idx]), -np.inf, means[allowed_idx])
    return int(allowed_idx[int(np.argmax(vals))])


class _Origins:
    """Surfaces of the candidates origin after origin, sharing the work between origins.

    Each value equals :func:`geo.analysis.forecast_surfaces.surface` on ``counts[:k]``
    (tested): window sums (counts, blend, kde windows) from prefix sums over the periods;
    decay recursively, ``S_k = 2^(-1/h) S_{k-1} + C[k-1]``; fixed-bandwidth kernel densities
    once per period (the convolution is linear); Gi* from the band sums of all periods in one
    lattice pass (:func:`geo.analysis.hotspots.gi_star_z`). Only the ArcGIS-default kde,
    whose bandwidth depends on the window's events, is convolved per origin. Origins must
    be visited in increasing order.
    """

    def __init__(self, grid: Grid, counts: np.ndarray) -> None:
        self.grid, self.counts = grid, counts
        self.cum = np.zeros((counts.shape[0] + 1, grid.n))  # cum[k] = events of periods 0 .. k-1
        np.cumsum(counts, axis=0, out=self.cum[1:])
        self.smooth: dict[float, np.ndarray] = {}
        self.lags: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self.decayed: dict[int, np.ndarray] = {}

    def window(self, k: int, w: int) -> np.ndarray:
        """Events of the ``w`` periods before origin ``k`` per cell."""
        return self.cum[k] - self.cum[max(0, k - int(w))]

    def values(self, ci: int, c: Candidate, k: int) -> np.ndarray:
        grid, counts, p = self.grid, self.counts, c.param
        if c.family == "counts":
            return self.window(k, int(p))
        if c.family == "blend":
            r, g = min(BLEND_RECENT, k), min(BLEND_LONG, k)
            return float(p) * self.window(k, r) / r + (1.0 - float(p)) * self.window(k, g) / g
        if c.family == "kde" and p == "arcgis":
            wc = self.window(k, c.window)
            return kde_surface(grid, wc, arcgis_bandwidth(grid, wc))
        if c.family == "kde":
            b = float(p) * grid.cell
            if b not in self.smooth:
                self.smooth[b] = kde_surface(grid, counts.T, b).T
            return self.smooth[b][max(0, k - c.window):k].sum(axis=0)
        if c.family == "gistar":
            band = float(p) * grid.cell
            if band not in self.lags:
                self.lags[band] = (grid.window_sum(counts.T, band), grid.neighbour_counts(band))
            lag, kk = self.lags[band]
            return gi_star_z(counts[k - 1], lag[:, k - 1], kk)
        if c.family == "decay":
            prev = self.decayed.get(ci)
            h = float(p)
            out = decay_surface(counts[:k], h) if prev is None else np.exp2(-1.0 / h) * prev + counts[k - 1]
            self.decayed[ci] = out
            return out
        return surface(c, grid, counts[:k])


def _score(mask: np.ndarray, prev: np.ndarray, target: np.ndarray) -> tuple[float, float, float, float]:
    """``(area share, hit rate, PAI, RRI)`` of the selected cells; nothing selected scores 0."""
    area, hit, pai = hit_rate_pai(mask, target)
    if not mask.any():
        area = 0.0
        hit = pai = 0.0 if target.sum() > 0 else math.nan
    return area, hit, pai, recapture_rate_index(mask, prev, target)


def _nanmean(a: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.nanmean(a)) if np.isfinite(a).any() else math.nan


def _sd(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(np.std(a, ddof=1)) if len(a) > 1 else (0.0 if len(a) else math.nan)


def _nested_auto(pai: np.ndarray, cands: Sequence[Candidate], allowed_idx: np.ndarray) -> np.ndarray:
    """Candidate picked for each scored period from the periods scored before it only
    (the first one, or while nothing was scored: the first allowed ``counts``)."""
    default = next((i for i in allowed_idx if cands[i].family == "counts"), int(allowed_idx[0]))
    picked = np.full(pai.shape[1], default, dtype=int)
    for ti in range(1, pai.shape[1]):
        if np.isfinite(pai[:, :ti]).any():
            picked[ti] = _choose(np.array([_nanmean(r) for r in pai[:, :ti]]), allowed_idx)
    return picked


def _row(method: str, family: str, label: str, s: dict[str, np.ndarray], chosen: bool) -> dict:
    return {"method": method, "family": family, "label": label, "pai": _nanmean(s["pai"]), "pai_sd": _sd(s["pai"]),
            "hit_rate": _nanmean(s["hit"]), "area_share": _nanmean(s["area"]), "rri": _nanmean(s["rri"]),
            "periods": int(np.isfinite(s["pai"]).sum()), "chosen": chosen}


def _tables(scores: dict[str, np.ndarray], auto: dict[str, np.ndarray], picked: np.ndarray,
            cands: Sequence[Candidate], chosen_i: int, grid: Grid, periods: Sequence[Period],
            targets: list[int], events: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary table (best mean PAI first, ``auto`` last) and the long table of scores."""
    rows = [_row(c.name, c.family, c.label(grid.cell), {k: v[ci] for k, v in scores.items()}, ci == chosen_i)
            for ci, c in enumerate(cands)]
    table = pd.DataFrame(rows).sort_values("pai", ascending=False, kind="stable", na_position="last")
    auto_row = _row("auto", "auto", "automatische Wahl (nur mit den Zeiträumen davor gewählt)", auto, False)
    table = pd.concat([table, pd.DataFrame([auto_row])], ignore_index=True)
    names = [str(periods[k]) for k in targets]
    long = [pd.DataFrame({"method": c.name, "period": names, "target": targets, "area_share": scores["area"][ci],
                          "hit_rate": scores["hit"][ci], "pai": scores["pai"][ci], "rri": scores["rri"][ci],
                          "events": events}) for ci, c in enumerate(cands)]
    long.append(pd.DataFrame({"method": "auto", "period": names, "target": targets, "area_share": auto["area"],
                              "hit_rate": auto["hit"], "pai": auto["pai"], "rri": auto["rri"], "events": events,
                              "picked": [cands[i].name for i in picked]}))
    return table, pd.concat(long, ignore_index=True)


def backtest(grid: Grid, counts: np.ndarray, periods: Sequence[Period], *, share: float = DEFAULT_SHARE,
             candidates: Sequence[Candidate] | None = None, allowed: Sequence[str] = FAMILIES,
             min_history: int = MIN_HISTORY) -> BacktestResult:
    """Rolling-origin backtest of the candidate surfaces.

    Parameters
    ----------
    grid : the forecast grid.
    counts : ``(len(periods), grid.n)`` events per period and cell
        (:func:`geo.analysis.forecast.period_counts`).
    periods : consecutive periods, oldest first.
    share : area share of the forecast cells (0 < share ≤ 1).
    candidates : surfaces to score (default :func:`default_candidates`).
    allowed : families the choice is made from (``auto``: all).
    min_history : periods of history before the first scored period (≥ 1).

    For each target period ``k >= min_history`` every candidate is fitted on ``counts[:k]``
    only (computed as in :class:`_Origins`) and scored on ``counts[k]``.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.shape != (len(periods), grid.n):
        raise ValueError(f"counts has shape {counts.shape}, expected {(len(periods), grid.n)}")
    if not 0 < share <= 1:
        raise UserError(f"Flächenanteil {share!r} ungültig; erwartet eine Zahl über 0 und höchstens 1.")
    cands = tuple(candidates) if candidates is not None else tuple(default_candidates())
    allowed_idx = np.array([i for i, c in enumerate(cands) if c.family in tuple(allowed)], dtype=int)
    if not len(allowed_idx):
        raise UserError(f"Keine Methode der Art {', '.join(allowed)} unter den Kandidaten.")
    min_history = max(1, int(min_history))
    targets = list(range(min_history, len(periods)))
    scores = {key: np.full((len(cands), len(targets)), np.nan) for key in ("area", "hit", "pai", "rri")}
    origins = _Origins(grid, counts)
    for ti, k in enumerate(targets):
        for ci, c in enumerate(cands):
            mask = top_cells(origins.values(ci, c, k), share, grid=grid)
            for key, v in zip(("area", "hit", "pai", "rri"), _score(mask, counts[k - 1], counts[k]), strict=True):
                scores[key][ci, ti] = v
    picked = _nested_auto(scores["pai"], cands, allowed_idx)
    cols = np.arange(len(targets))
    auto = {key: v[picked, cols] for key, v in scores.items()}
    chosen_i = _choose(np.array([_nanmean(r) for r in scores["pai"]]), allowed_idx)
    events = counts[targets].sum(axis=1) if targets else np.zeros(0)
    table, long = _tables(scores, auto, picked, cands, chosen_i, grid, periods, targets, events)
    return BacktestResult(table=table, scores=long, chosen=cands[chosen_i], candidates=cands,
                          periods=tuple(periods), counts=counts, grid=grid, share=float(share),
                          min_history=min_history, allowed=tuple(allowed))


__all__ = [
    "DEFAULT_SHARE", "MIN_HISTORY", "TIE_BAND_CELLS", "BacktestResult", "backtest", "neighbour_sums",
    "recapture_rate_index", "top_cells",
]
