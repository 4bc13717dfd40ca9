"""Where next: forecast surfaces of the next period's events, chosen by a rolling-origin backtest.

The history is cut into consecutive periods of the user's length (``--from/--to``: whole
calendar months compare with months, any other range with the same number of days, see
:meth:`geo.core.period.Period.previous`) and counted on one metric grid
(:mod:`geo.core.grid`): ``C[p, i]`` = events of period ``p`` in cell ``i`` (records, not
syringes: PAI and hit rate are about events). Periods are numbered oldest first; a surface
*at origin* ``k`` only sees ``C[0 .. k-1]`` (the *history*) and forecasts period ``k``.

Candidate surfaces (pure functions of the history; larger = more events expected)
------------------------------------------------------------------------------------
* **counts** (:func:`counts_surface`), window ``w`` periods: ``S_i = sum_{a < w} C[k-1-a, i]``.
* **decay** (:func:`decay_surface`), half-life ``h`` periods, all history:
  ``S_i = sum_a 2^(-a / h) C[k-1-a, i]`` (the last period has age ``a = 0``).
* **kde** (:func:`kde_surface`), bandwidth ``b`` metres, window ``w``: the quartic kernel
  density (as ArcGIS "Kernel Density", :mod:`geo.analysis.density`) of the window's events
  at the cell centres, ``S_i = sum_j N_j K_b(|c_i - c_j|)`` with
  ``K_b(d) = 3 / (pi b²) (1 - d²/b²)²`` for ``d < b``. Events are binned to their cells
  first (error at most half a cell), which turns the sum into one FFT convolution on the
  grid's lattice. ``b`` is a multiple of the cell size or ArcGIS's default search radius
  (:func:`geo.analysis.density.default_bandwidth` of the window's events, again cell-binned).
* **gistar** (:func:`gistar_surface`), distance band ``d``: the Getis-Ord Gi* z-score
  (:func:`geo.analysis.hotspots.gi_star`) of the last period's counts – the usual hot spot map.
* **blend** (:func:`blend_surface`), weight ``alpha``: per-period rates of a recent and a
  longer window, ``S_i = alpha * mean_{a < r} C[k-1-a, i] + (1 - alpha) * mean_{a < L} C[k-1-a, i]``
  (``r = 1``, ``L = 6`` periods).

Selection and scores
--------------------
The forecast area of a surface is the ``ceil(share * n)`` cells with the largest values
(only cells with a value above 0; ties by the neighbourhood sum within 1.5 cell sizes, then
``cell_id``) – exactly :func:`geo.analysis.compare.select_top_cells` with the grid,
computed in ``O(n)`` by :func:`top_cells`. For a scored period with ``N`` events of which
``n`` fall into the ``k`` selected cells (of ``n_cells``):

* hit rate ``H = n / N``; PAI ``= H / (k / n_cells)`` (Chainey, Tompson & Uhlig 2008), both
  by :func:`geo.analysis.compare.hit_rate_pai`;
* recapture-rate index ``RRI = (n / n_prev) / (N / N_prev)`` (Levine 2008), where ``n_prev``,
  ``N_prev`` are the events of the period before in the same cells and in total: about 1
  when the forecast cells keep their share of events from one period to the next.

Rolling-origin backtest (:func:`backtest`): every period with at least ``min_history``
periods before it is scored with surfaces fitted only on the periods before it. The method
(surface and parameter) with the best mean PAI is chosen (ties: the simpler one, in the
order of :data:`FAMILIES`); the spread is the standard deviation of its PAI over the scored
periods. The row ``auto`` scores the choice itself honestly: for each scored period the
method is chosen on the backtest periods *before* it only (the first one uses
``counts w=1``), so the choice never sees the period it is scored on.

Records enter through :func:`forecast` (stacks: see ``TODO(stacks)`` there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.signal import fftconvolve

from geo.analysis.compare import hit_rate_pai
from geo.analysis.density import default_bandwidth
from geo.analysis.hotspots import gi_star, gi_star_z
from geo.analysis.timeseries import event_arrays
from geo.core.errors import UserError
from geo.core.grid import Grid, GridShape, make_grid
from geo.core.period import Period

#: Surface families in order of simplicity (a tie in mean PAI goes to the earlier one).
FAMILIES: tuple[str, ...] = ("counts", "decay", "kde", "gistar", "blend")
#: ``--method`` values: ``auto`` (all families) or one family.
METHODS: tuple[str, ...] = ("auto", *FAMILIES)
#: Default share of the study area the forecast covers (what a patrol or crew can cover).
DEFAULT_SHARE = 0.03
#: Default cell size (m) of the forecast grid.
DEFAULT_CELL_M = 100.0
#: Windows (periods) of the counts surfaces.
COUNT_WINDOWS: tuple[int, ...] = (1, 3, 6, 12)
#: Half-lives (periods) of the decay surfaces.
HALF_LIVES: tuple[float, ...] = (0.5, 1.0, 2.0)
#: Bandwidths of the kde surfaces in cell sizes; ``"arcgis"`` = ArcGIS's default search radius.
KDE_BANDWIDTHS: tuple[float | str, ...] = ("arcgis", 2.0, 4.0)
#: Windows (periods) of the kde surfaces.
KDE_WINDOWS: tuple[int, ...] = (1, 3)
#: Distance bands of the Gi* surfaces in cell sizes.
GISTAR_BANDS: tuple[float, ...] = (1.5, 3.0)
#: Weights of the recent window in the blend surfaces.
BLEND_ALPHAS: tuple[float, ...] = (0.3, 0.5, 0.7)
#: Recent and long window (periods) of the blend.
BLEND_RECENT, BLEND_LONG = 1, 6
#: Periods of history needed before a period is scored.
MIN_HISTORY = 1
#: Most periods read back from ``--to`` (the oldest are dropped beyond).
MAX_PERIODS = 36
#: Periods whose mean number of events gives the expected total of the next period.
EXPECTED_TOTAL_PERIODS = 3
#: Tie-break neighbourhood of :func:`top_cells` in cell sizes (as ``select_top_cells``).
TIE_BAND_CELLS = 1.5


# ---------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class Candidate:
    """One surface and its parameter.

    Attributes
    ----------
    family : one of :data:`FAMILIES`.
    param : window (counts), half-life (decay), bandwidth in cell sizes or ``"arcgis"``
        (kde), band in cell sizes (gistar), weight of the recent window (blend).
    window : periods of history the surface reads (kde; counts: equal to ``param``).
    """

    family: str
    param: float | str
    window: int = 1

    @property
    def name(self) -> str:
        """Short name, e.g. ``counts w=3``, ``decay h=2``, ``kde b=ArcGIS w=1``, ``gistar d=1.5``."""
        p = self.param
        if self.family == "counts":
            return f"counts w={int(p)}"
        if self.family == "decay":
            return f"decay h={_num(p)}"
        if self.family == "kde":
            b = "ArcGIS" if p == "arcgis" else f"{_num(p)}c"
            return f"kde b={b} w={self.window}"
        if self.family == "gistar":
            return f"gistar d={_num(p)}c"
        return f"blend a={_num(p)}"

    def label(self, cell_m: float | None = None) -> str:
        """German description, e.g. ``Zeitgewichtung (Halbwertszeit 2 Zeiträume)``."""
        p = self.param
        if self.family == "counts":
            return "Anzahl im letzten Zeitraum" if int(p) == 1 else f"Anzahl der letzten {int(p)} Zeiträume"
        if self.family == "decay":
            return f"Zeitgewichtung (Halbwertszeit {_de(p)} {'Zeitraum' if p == 1 else 'Zeiträume'})"
        if self.family == "kde":
            w = "letzter Zeitraum" if self.window == 1 else f"letzte {self.window} Zeiträume"
            b = "Bandbreite ArcGIS-Standard" if p == "arcgis" else (
                f"Bandbreite {_de(float(p) * cell_m)} m" if cell_m else f"Bandbreite {_de(p)} Zellgrößen")
            return f"Kerndichte ({b}, {w})"
        if self.family == "gistar":
            d = f"{_de(float(p) * cell_m)} m" if cell_m else f"{_de(p)} Zellgrößen"
            return f"Hotspots Gi* (Distanzband {d}, letzter Zeitraum)"
        return (f"Mischung ({_de(100 * float(p))} % letzter Zeitraum, {_de(100 * (1 - float(p)))} % "
                f"letzte {BLEND_LONG} Zeiträume)")

    def phrase(self, period_text: str, cell_m: float | None = None) -> str:
        """German phrase for a sentence: ``aus den Funden der letzten 12 Monate mit Zeitgewichtung``.

        ``period_text`` names one period, e.g. ``"2 Monate"`` or ``"30 Tage"``.
        """
        p = self.param
        if self.family == "counts":
            return f"aus den Funden {_window_text(int(p), period_text)}"
        if self.family == "decay":
            return f"aus allen bisherigen Funden mit Zeitgewichtung (Halbwertszeit {_span_text(float(p), period_text)})"
        if self.family == "kde":
            return f"aus der Kerndichte der Funde {_window_text(self.window, period_text)}"
        if self.family == "gistar":
            return f"aus den Gi*-Hotspots {_window_text(1, period_text)}"
        return (f"aus einer Mischung der Funde {_window_text(BLEND_RECENT, period_text)} und "
                f"{_window_text(BLEND_LONG, period_text)}")


def _num(v: float | str) -> str:
    return f"{float(v):g}"


def _de(v: float | str) -> str:
    # TODO(fmt): replace by geo.core.fmt.number once it exists in this branch
    return f"{float(v):g}".replace(".", ",")


def _span_text(periods: float, period_text: str) -> str:
    """``4 Monate`` for 2 periods of ``"2 Monate"``; ``1,5 × 30 Tage`` when not a whole number."""
    num, _, unit = period_text.partition(" ")
    try:
        total = float(num) * periods
    except ValueError:
        return f"{_de(periods)} × {period_text}"
    if total != int(total):
        return f"{_de(periods)} × {period_text}"
    total = int(total)
    if unit.startswith("Monat"):
        return f"{total} {'Monat' if total == 1 else 'Monate'}"
    return f"{total} {'Tag' if total == 1 else 'Tage'}"


def _window_text(periods: int, period_text: str) -> str:
    """``der letzten 12 Monate`` for ``periods`` periods of ``period_text`` (``"2 Monate"``)."""
    num, _, unit = period_text.partition(" ")
    try:
        total = int(num) * periods
    except ValueError:
        return f"der letzten {periods} × {period_text}"
    if unit.startswith("Monat"):
        return "des letzten Monats" if total == 1 else f"der letzten {total} Monate"
    return "des letzten Tages" if total == 1 else f"der letzten {total} Tage"


def default_candidates() -> list[Candidate]:
    """All candidates, in the order of :data:`FAMILIES` (simplest first within each family)."""
    out = [Candidate("counts", w, w) for w in COUNT_WINDOWS]
    out += [Candidate("decay", h, 0) for h in HALF_LIVES]
    out += [Candidate("kde", b, w) for w in KDE_WINDOWS for b in KDE_BANDWIDTHS]
    out += [Candidate("gistar", d, 1) for d in GISTAR_BANDS]
    out += [Candidate("blend", a, BLEND_LONG) for a in BLEND_ALPHAS]
    return out


# ---------------------------------------------------------------------------- periods
def next_period(period: Period) -> Period:
    """The period of equal length directly after ``period`` (whole months → months, else days)."""
    months = period.whole_months
    start = period.end + timedelta(days=1)
    if months:
        end = (pd.Timestamp(start) + pd.DateOffset(months=months)).date() - timedelta(days=1)
        return Period(start, end)
    return Period(start, start + timedelta(days=period.days - 1))


def history_periods(period: Period, first: object | None, max_periods: int = MAX_PERIODS) -> list[Period]:
    """Consecutive periods of ``period``'s length ending with ``period``, oldest first.

    Goes back with :meth:`Period.previous` until the period holding ``first`` (the first
    event's date; ``None``: only ``period``) or ``max_periods`` periods.
    """
    out = [period]
    if first is None:
        return out
    first = pd.Timestamp(first).date()
    while len(out) < max_periods and out[0].start > first:
        out.insert(0, out[0].previous())
    return out


def period_text(period: Period) -> str:
    """German length of one period: ``2 Monate``, ``1 Monat``, ``30 Tage``."""
    m = period.whole_months
    if m:
        return f"{m} {'Monat' if m == 1 else 'Monate'}"
    return f"{period.days} {'Tag' if period.days == 1 else 'Tage'}"


def period_counts(grid: Grid, x: np.ndarray, y: np.ndarray, t: np.ndarray, periods: Sequence[Period]) -> np.ndarray:
    """Events per period and cell: ``C[p, i]`` (float64, ``(len(periods), grid.n)``).

    ``periods`` must be consecutive (as from :func:`history_periods`); events before the
    first or after the last period, outside all cells or without time are not counted.
    """
    n_p = len(periods)
    if n_p == 0:
        return np.zeros((0, grid.n))
    t = np.asarray(t, dtype="datetime64[ns]")
    starts = np.array([p.start_ts.to_datetime64() for p in periods], dtype="datetime64[ns]")
    end = periods[-1].end_exclusive.to_datetime64()
    pi = np.searchsorted(starts, t, side="right") - 1
    ids = grid.cell_ids_at(x, y)
    ok = (pi >= 0) & (t < end) & ~np.isnat(t) & (ids >= 0)
    flat = pi[ok] * grid.n + ids[ok]
    return np.bincount(flat, minlength=n_p * grid.n).reshape(n_p, grid.n).astype(np.float64)


# ---------------------------------------------------------------------------- surfaces
def counts_surface(history: np.ndarray, window: int = 1) -> np.ndarray:
    """Events of the last ``window`` periods per cell: ``S_i = sum_{a < w} C[k-1-a, i]``.

    ``history`` is ``(k, n)``, oldest period first; a window longer than the history takes
    all of it.
    """
    history = np.atleast_2d(np.asarray(history, dtype=float))
    return history[-max(1, int(window)):].sum(axis=0)


def decay_surface(history: np.ndarray, half_life: float) -> np.ndarray:
    """Exponentially time-weighted events: ``S_i = sum_a 2^(-a / h) C[k-1-a, i]``, ``a`` = age in periods.

    The last period has weight 1, the one before ``2^(-1/h)``, and so on.
    """
    history = np.atleast_2d(np.asarray(history, dtype=float))
    if not half_life > 0:
        raise UserError(f"Ungültige Halbwertszeit {half_life!r}; sie muss größer als 0 sein.")
    ages = np.arange(history.shape[0])[::-1]
    return np.exp2(-ages / float(half_life)) @ history


def blend_surface(history: np.ndarray, alpha: float, recent: int = BLEND_RECENT, long: int = BLEND_LONG
                  ) -> np.ndarray:
    """Blend of per-period rates: ``alpha * mean(last recent) + (1 - alpha) * mean(last long)``."""
    history = np.atleast_2d(np.asarray(history, dtype=float))
    r = min(max(1, recent), history.shape[0])
    g = min(max(1, long), history.shape[0])
    return alpha * history[-r:].mean(axis=0) + (1.0 - alpha) * history[-g:].mean(axis=0)


def quartic_kernel(d2: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Quartic kernel per m² at squared distances ``d2``: ``3 / (pi b²) (1 - d²/b²)²`` for ``d < b``."""
    u = 1.0 - np.asarray(d2, dtype=float) / (bandwidth_m * bandwidth_m)
    return np.where(u > 0, 3.0 / (math.pi * bandwidth_m**2) * u * u, 0.0)


def kde_surface(grid: Grid, counts: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Quartic kernel density at the cell centres of events binned to cells (events per m²).

    ``S_i = sum_j counts_j * K_b(|c_i - c_j|)`` over all cells ``j`` (``c`` = centres). The
    counts are placed on the grid's lattice (:mod:`geo.core.grid`; hexagons use doubled
    coordinates whose other points stay 0) and convolved by FFT with the kernel sampled on
    the lattice offsets. ``counts`` may be ``(n,)`` or ``(n, m)`` (``m`` surfaces at once).
    """
    counts = np.asarray(counts, dtype=float)
    if not (bandwidth_m > 0 and math.isfinite(bandwidth_m)):
        raise UserError(f"Ungültige Bandbreite {bandwidth_m!r} m; sie muss größer als 0 sein.")
    if grid.n == 0:
        return counts.copy()
    one = counts.ndim == 1
    vals = counts[:, None] if one else counts
    i0, j0 = int(grid.i.min()), int(grid.j.min())
    ii, jj = grid.i - i0, grid.j - j0
    na, nb = int(ii.max()) + 1, int(jj.max()) + 1
    dx, dy = grid.spacing
    ri, rj = int(bandwidth_m // dx), int(bandwidth_m // dy)
    di = np.arange(-ri, ri + 1)[:, None] * dx
    dj = np.arange(-rj, rj + 1)[None, :] * dy
    kern = quartic_kernel(di * di + dj * dj, float(bandwidth_m))
    lattice = np.zeros((na, nb, vals.shape[1]))
    lattice[ii, jj] = vals
    if kern.size == 1:
        out = vals * kern[0, 0]
    else:
        out = fftconvolve(lattice, kern[:, :, None], mode="same", axes=(0, 1))[ii, jj]
        top = np.abs(out).max(axis=0, keepdims=True) if out.size else 0.0
        out[np.abs(out) < 1e-10 * top] = 0.0  # FFT rounding where no event reaches
    return out[:, 0] if one else out


def arcgis_bandwidth(grid: Grid, counts: np.ndarray) -> float:
    """ArcGIS's default search radius (:func:`geo.analysis.density.default_bandwidth`) of
    events binned to cell centres (``counts`` per cell as weights), at least half a cell."""
    counts = np.asarray(counts, dtype=float)
    nz = counts > 0
    if nz.sum() < 2:
        return float(2 * grid.cell)
    h = default_bandwidth(grid.xy[nz], counts[nz])
    return float(max(h, 0.5 * grid.cell))


def gistar_surface(grid: Grid, counts: np.ndarray, band_m: float) -> np.ndarray:
    """Gi* z-scores (:func:`geo.analysis.hotspots.gi_star`, binary band ``band_m``, self included)."""
    return gi_star(grid, counts, band_m, fdr=False)["gi_z"].to_numpy()


def surface(candidate: Candidate, grid: Grid, history: np.ndarray) -> np.ndarray:
    """The surface of ``candidate`` at the origin after ``history`` (``(k, n)``, oldest first)."""
    history = np.atleast_2d(np.asarray(history, dtype=float))
    f, p = candidate.family, candidate.param
    if f == "counts":
        return counts_surface(history, int(p))
    if f == "decay":
        return decay_surface(history, float(p))
    if f == "kde":
        c = counts_surface(history, candidate.window)
        b = arcgis_bandwidth(grid, c) if p == "arcgis" else float(p) * grid.cell
        return kde_surface(grid, c, b)
    if f == "gistar":
        return gistar_surface(grid, history[-1], float(p) * grid.cell)
    if f == "blend":
        return blend_surface(history, float(p))
    raise ValueError(f"unknown family {f!r}")


def expected_events(candidate: Candidate, grid: Grid, history: np.ndarray, values: np.ndarray | None = None,
                    total: float | None = None) -> np.ndarray:
    """Expected events per cell in the next period: the surface scaled to the expected total.

    ``E_i = N * S_i / sum_j S_j`` with ``N`` = mean events per period of the last
    :data:`EXPECTED_TOTAL_PERIODS` periods (or ``total``). For Gi* (z-scores are no event
    counts) ``S`` is the mean count of the cells within the band instead.
    """
    history = np.atleast_2d(np.asarray(history, dtype=float))
    if total is None:
        total = float(history[-EXPECTED_TOTAL_PERIODS:].sum(axis=1).mean()) if history.size else 0.0
    if candidate.family == "gistar":
        band = float(candidate.param) * grid.cell
        s = grid.window_sum(history[-1], band) / np.maximum(grid.neighbour_counts(band), 1)
    else:
        s = surface(candidate, grid, history) if values is None else np.asarray(values, dtype=float)
    s = np.clip(s, 0.0, None)
    tot = float(s.sum())
    return s * (total / tot) if tot > 0 else np.zeros_like(s)


# ---------------------------------------------------------------------------- selection and scores
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


# ---------------------------------------------------------------------------- backtest
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


def backtest(grid: Grid, counts: np.ndarray, periods: Sequence[Period], *, share: float = DEFAULT_SHARE,
             candidates: Sequence[Candidate] | None = None, allowed: Sequence[str] = FAMILIES,
             min_history: int = MIN_HISTORY) -> BacktestResult:
    """Rolling-origin backtest of the candidate surfaces.

    Parameters
    ----------
    grid : the forecast grid.
    counts : ``(len(periods), grid.n)`` events per period and cell (:func:`period_counts`).
    periods : consecutive periods, oldest first.
    share : area share of the forecast cells (0 < share ≤ 1).
    candidates : surfaces to score (default :func:`default_candidates`).
    allowed : families the choice is made from (``auto``: all).
    min_history : periods of history before the first scored period (≥ 1).

    For each target period ``k >= min_history`` every candidate is fitted on
    ``counts[:k]`` only and scored on ``counts[k]`` (see the module docstring).

    Notes
    -----
    The surfaces equal :func:`surface` on ``counts[:k]`` (tested) but are computed without
    repeating work from origin to origin: window sums (counts, blend, kde windows) from
    prefix sums over the periods; decay recursively, ``S_k = 2^(-1/h) S_{k-1} + C[k-1]``;
    fixed-bandwidth kernel densities once per period (the convolution is linear); Gi* from
    the band sums of all periods computed in one lattice pass
    (:func:`geo.analysis.hotspots.gi_star_z`). Only the ArcGIS-default kde, whose bandwidth
    depends on the window's events, is convolved per origin. ``bench/bench_forecast.py``
    measures this against a straightforward reference.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.shape != (len(periods), grid.n):
        raise ValueError(f"counts has shape {counts.shape}, expected {(len(periods), grid.n)}")
    if not 0 < share <= 1:
        raise UserError(f"Flächenanteil {share!r} ungültig; erwartet eine Zahl über 0 und höchstens 1.")
    cands = tuple(candidates) if candidates is not None else tuple(default_candidates())
    allowed = tuple(allowed)
    allowed_idx = np.array([i for i, c in enumerate(cands) if c.family in allowed], dtype=int)
    if not len(allowed_idx):
        raise UserError(f"Keine Methode der Art {', '.join(allowed)} unter den Kandidaten.")
    min_history = max(1, int(min_history))
    targets = list(range(min_history, len(periods)))
    n_t, n_c = len(targets), len(cands)
    area = np.full((n_c, n_t), np.nan)
    hit, pai, rri = area.copy(), area.copy(), area.copy()
    smooth: dict[float, np.ndarray] = {}  # fixed-bandwidth kde of every period (linearity)
    cum = np.zeros((len(periods) + 1, grid.n))  # cum[k] = events of periods 0 .. k-1
    np.cumsum(counts, axis=0, out=cum[1:])
    lags: dict[float, tuple[np.ndarray, np.ndarray]] = {}  # Gi* band sums of every period, band sizes
    decayed: dict[int, np.ndarray] = {}  # decay surfaces, updated recursively from origin to origin
    for ti, k in enumerate(targets):
        history, target = counts[:k], counts[k]
        for ci, c in enumerate(cands):
            if c.family == "kde" and c.param != "arcgis":
                b = float(c.param) * grid.cell
                if b not in smooth:
                    smooth[b] = kde_surface(grid, counts.T, b).T
                values = smooth[b][max(0, k - c.window):k].sum(axis=0)
            elif c.family == "counts":  # counts_surface(history, w) from prefix sums over the periods
                values = cum[k] - cum[max(0, k - int(c.param))]
            elif c.family == "blend":  # blend_surface(history, alpha) from prefix sums
                r, g = min(BLEND_RECENT, k), min(BLEND_LONG, k)
                a = float(c.param)
                values = a * (cum[k] - cum[k - r]) / r + (1.0 - a) * (cum[k] - cum[k - g]) / g
            elif c.family == "kde" and c.param == "arcgis":
                wc = cum[k] - cum[max(0, k - c.window)]
                values = kde_surface(grid, wc, arcgis_bandwidth(grid, wc))
            elif c.family == "gistar":
                # gistar_surface(grid, history[-1], band), with the band sums of all periods computed at once
                band = float(c.param) * grid.cell
                if band not in lags:
                    lags[band] = (grid.window_sum(counts.T, band), grid.neighbour_counts(band))
                lag, kk = lags[band]
                values = gi_star_z(history[-1], lag[:, k - 1], kk)
            elif c.family == "decay":
                # decay_surface(history, h) = 2^(-1/h) * decay_surface(history[:-1], h) + history[-1]
                h = float(c.param)
                prev = decayed.get(ci)
                values = decay_surface(history, h) if prev is None else np.exp2(-1.0 / h) * prev + history[-1]
                decayed[ci] = values
            else:
                values = surface(c, grid, history)
            mask = top_cells(values, share, grid=grid)
            area[ci, ti], hit[ci, ti], pai[ci, ti] = hit_rate_pai(mask, target)
            if not mask.any():
                area[ci, ti] = 0.0
                hit[ci, ti] = 0.0 if target.sum() > 0 else math.nan
                pai[ci, ti] = 0.0 if target.sum() > 0 else math.nan
            rri[ci, ti] = recapture_rate_index(mask, history[-1], target)
    # auto, nested: the choice for target ti uses the scores of the targets before it only
    default = next((i for i in allowed_idx if cands[i].family == "counts"), int(allowed_idx[0]))
    picked = np.zeros(n_t, dtype=int)
    for ti in range(n_t):
        if ti == 0 or np.all(np.isnan(pai[:, :ti])):
            picked[ti] = default
        else:
            with np.errstate(all="ignore"):
                means = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in pai[:, :ti]])
            picked[ti] = _choose(means, allowed_idx)
    cols = np.arange(n_t)
    auto = {k: v[picked, cols] if n_t else np.zeros(0) for k, v in
            (("area", area), ("hit", hit), ("pai", pai), ("rri", rri))}

    with np.errstate(all="ignore"):
        def _mean(a: np.ndarray) -> float:
            return float(np.nanmean(a)) if np.isfinite(a).any() else math.nan

        def _sd(a: np.ndarray) -> float:
            a = a[np.isfinite(a)]
            return float(np.std(a, ddof=1)) if len(a) > 1 else (0.0 if len(a) else math.nan)

        means = np.array([_mean(r) for r in pai]) if n_c else np.zeros(0)
        chosen_i = _choose(means, allowed_idx)
        rows = []
        for ci, c in enumerate(cands):
            rows.append({"method": c.name, "family": c.family, "label": c.label(grid.cell), "pai": means[ci],
                         "pai_sd": _sd(pai[ci]), "hit_rate": _mean(hit[ci]), "area_share": _mean(area[ci]),
                         "rri": _mean(rri[ci]), "periods": int(np.isfinite(pai[ci]).sum()),
                         "chosen": ci == chosen_i})
        table = pd.DataFrame(rows).sort_values("pai", ascending=False, kind="stable", na_position="last")
        auto_row = {"method": "auto", "family": "auto",
                    "label": "automatische Wahl (nur mit den Zeiträumen davor gewählt)", "pai": _mean(auto["pai"]),
                    "pai_sd": _sd(auto["pai"]), "hit_rate": _mean(auto["hit"]), "area_share": _mean(auto["area"]),
                    "rri": _mean(auto["rri"]), "periods": int(np.isfinite(auto["pai"]).sum()), "chosen": False}
        table = pd.concat([table, pd.DataFrame([auto_row])], ignore_index=True)
    events = counts[targets].sum(axis=1) if n_t else np.zeros(0)
    long = [pd.DataFrame({"method": c.name, "period": [str(periods[k]) for k in targets], "target": targets,
                          "area_share": area[ci], "hit_rate": hit[ci], "pai": pai[ci], "rri": rri[ci],
                          "events": events}) for ci, c in enumerate(cands)]
    long.append(pd.DataFrame({"method": "auto", "period": [str(periods[k]) for k in targets], "target": targets,
                              "area_share": auto["area"], "hit_rate": auto["hit"], "pai": auto["pai"],
                              "rri": auto["rri"], "events": events,
                              "picked": [cands[i].name for i in picked]}))
    scores = pd.concat(long, ignore_index=True)
    return BacktestResult(table=table, scores=scores, chosen=cands[chosen_i], candidates=cands,
                          periods=tuple(periods), counts=counts, grid=grid, share=float(share),
                          min_history=min_history, allowed=allowed)


# ---------------------------------------------------------------------------- forecast
@dataclass(frozen=True, eq=False)
class ForecastResult:
    """Result of :func:`forecast` (carries its inputs).

    Attributes
    ----------
    cells : GeoDataFrame (metric CRS) of the forecast cells, best first: ``rank`` (1 …),
        ``cell_id``, ``expected`` (events expected in ``target``), ``method`` (short name),
        ``value`` (the surface), polygon geometry.
    expected : expected events per cell for all grid cells (aligned with ``cell_id``).
    method : the chosen candidate.
    backtest : the :class:`BacktestResult` it was chosen by.
    period : the last period of the history (``--from``/``--to``).
    target : the forecast period (the next one of equal length).
    grid, share, kind : inputs; ``n_records`` records used (up to ``period.end``),
    ``n_left_out`` records left out before the analysis (stacks, see issue 12).
    """

    cells: gpd.GeoDataFrame
    expected: np.ndarray
    method: Candidate
    backtest: BacktestResult
    period: Period
    target: Period
    grid: Grid
    share: float
    kind: str
    n_records: int = 0
    n_left_out: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """German sentence about the chosen map's backtest (see :func:`backtest_sentence`)."""
        return backtest_sentence(self.backtest, self.method, self.period)


def forecast_from_counts(grid: Grid, counts: np.ndarray, periods: Sequence[Period], *,
                         share: float = DEFAULT_SHARE, method: str = "auto",
                         candidates: Sequence[Candidate] | None = None, kind: str = "",
                         min_history: int = MIN_HISTORY) -> ForecastResult:
    """Backtest on ``counts`` (``(len(periods), n)``) and forecast the period after ``periods[-1]``."""
    if method not in METHODS:
        raise UserError(f"Unbekannte Methode {method!r}; erlaubt: {', '.join(METHODS)}.")
    allowed = FAMILIES if method == "auto" else (method,)
    bt = backtest(grid, counts, periods, share=share, candidates=candidates, allowed=allowed,
                  min_history=min_history)
    c = bt.chosen
    values = surface(c, grid, counts)
    expected = expected_events(c, grid, counts, values)
    mask = top_cells(values, share, grid=grid)
    ids = np.flatnonzero(mask)
    tie = grid.window_sum(values, TIE_BAND_CELLS * grid.cell)[ids]
    ids = ids[np.lexsort((ids, -tie, -values[ids]))]
    cells = gpd.GeoDataFrame({
        "rank": np.arange(1, len(ids) + 1, dtype=np.int64), "cell_id": ids.astype(np.int64),
        "expected": expected[ids], "method": c.name, "value": values[ids],
    }, geometry=grid.cells.geometry.values[ids], crs=grid.crs)
    return ForecastResult(cells=cells, expected=expected, method=c, backtest=bt, period=periods[-1],
                          target=next_period(periods[-1]), grid=grid, share=float(share), kind=kind)


def forecast(records: gpd.GeoDataFrame, kind: str, area: object, period: Period, *,
             share: float = DEFAULT_SHARE, method: str = "auto", cell: float = DEFAULT_CELL_M,
             shape: GridShape = "hex", max_periods: int = MAX_PERIODS) -> ForecastResult:
    """Forecast where the most events of ``kind`` are expected in the period after ``period``.

    Parameters
    ----------
    records : records of ``kind`` (any dates; only those up to ``period.end`` are used).
    kind : report kind (its date field times the events).
    area : :class:`~geo.core.area.StudyArea` (boundary and metric CRS of the grid).
    period : the last period of the history (``--from``/``--to``); its length is the
        length of every backtest period and of the forecast period.
    share : area share of the forecast (default 3 %).
    method : ``auto`` or one of :data:`FAMILIES` (the best parameter of that family).
    cell, shape : grid cell size (m) and shape.
    max_periods : most history periods (the oldest are dropped).
    """
    if not 0 < share <= 1:
        raise UserError(f"Flächenanteil {share!r} ungültig; erwartet eine Zahl über 0 und höchstens 1 "
                        "(z. B. 0.03 für 3 %).")
    # TODO(stacks): records should pass geo.core.quality.spatial_records(records) here (issue 12: stacked
    # fallback points left out of spatial statistics); it does not exist in this branch yet.
    n_left_out = 0
    grid = make_grid(area.boundary, cell, shape, area.crs)
    if grid.n == 0:
        raise UserError(f"Bei einer Zellgröße von {cell:g} m liegt kein Zellmittelpunkt im Gebiet.")
    x, y, t, _ = event_arrays(records, kind, area.crs)
    keep = ~np.isnat(t) & (t < period.end_exclusive.to_datetime64())
    x, y, t = x[keep], y[keep], t[keep]
    if not len(t):
        raise UserError(f"Keine Datensätze bis {period.end:%d.%m.%Y}; keine Prognose möglich.")
    periods = history_periods(period, np.min(t), max_periods)
    if len(periods) < MIN_HISTORY + 1:
        raise UserError("Zu kurze Vorgeschichte: Für die Rückschau braucht es mindestens zwei Zeiträume "
                        f"von {period_text(period)} mit Daten.")
    counts = period_counts(grid, x, y, t, periods)
    result = forecast_from_counts(grid, counts, periods, share=share, method=method, kind=kind)
    return ForecastResult(**{**result.__dict__, "n_records": int(len(t)), "n_left_out": n_left_out})


# ---------------------------------------------------------------------------- outputs
def backtest_sentence(bt: BacktestResult, method: Candidate | None = None, period: Period | None = None,
                      noun: str = "Funde") -> str:
    """Plain German sentence about a method's backtest, e.g. "Die Karte aus den Funden der letzten
    12 Monate mit Zeitgewichtung hätte in den letzten 6 Zeiträumen im Mittel 64 % der Funde auf 3 % der
    Fläche vorhergesagt (PAI 21, Streuung ± 4)."""
    method = method or bt.chosen
    row = bt.row(method.name)
    ptext = period_text(period or bt.periods[-1])
    phrase = method.phrase(ptext, bt.grid.cell).replace("Funde", noun)
    n = int(row["periods"])
    # TODO(fmt): geo.core.fmt.percent / number
    hit = f"{100 * row['hit_rate']:.0f}" if np.isfinite(row["hit_rate"]) else "–"
    share = f"{100 * bt.share:g}".replace(".", ",")
    pai = f"{row['pai']:.1f}".replace(".", ",") if np.isfinite(row["pai"]) else "–"
    sd = f"{row['pai_sd']:.1f}".replace(".", ",") if np.isfinite(row["pai_sd"]) else "–"
    when = "im letzten Zeitraum" if n == 1 else f"in den letzten {n} Zeiträumen im Mittel"
    return (f"Die Karte {phrase} hätte {when} {hit} % der {noun} auf {share} % der Fläche vorhergesagt "
            f"(PAI {pai}, Streuung ± {sd}).")


def forecast_areas(result: ForecastResult, *, dissolve: bool = False) -> gpd.GeoDataFrame:
    """The forecast cells as polygons (metric CRS), e.g. for an agreement's place.

    Columns ``rank``, ``expected``, ``method``, ``period`` (the forecast period, German label)
    and geometry; with ``dissolve`` one row (all cells united, ``expected`` summed).
    """
    cells = result.cells[["rank", "expected", "method", "geometry"]].copy()
    cells["period"] = result.target.label()
    if dissolve and len(cells):
        geom = cells.geometry.union_all()
        return gpd.GeoDataFrame({"rank": [1], "expected": [float(cells["expected"].sum())],
                                 "method": [result.method.name], "period": [result.target.label()]},
                                geometry=[geom], crs=cells.crs)
    return gpd.GeoDataFrame(cells, geometry="geometry", crs=result.grid.crs)


def demand_weights(result: ForecastResult, x: np.ndarray, y: np.ndarray, *, share_cell: bool = True) -> np.ndarray:
    """Forecast demand at points ``(x, y)`` (metres), for bin siting that plans for the next period.

    Each point gets the expected events ``E_c`` of its cell ``c`` (0 outside the grid); with
    ``share_cell`` (default) divided by the number ``m_c`` of the points in that cell, so the
    demand of a cell sums to its forecast ``E_c`` whatever its number of past finds.
    Cells without any point carry no demand (siting covers points).
    """
    ids = result.grid.cell_ids_at(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    ok = ids >= 0
    w = np.where(ok, result.expected[np.clip(ids, 0, None)], 0.0)
    if share_cell and ok.any():
        m = np.bincount(ids[ok], minlength=result.grid.n)
        w[ok] = w[ok] / m[ids[ok]]
    return w


__all__ = [
    "BLEND_ALPHAS", "COUNT_WINDOWS", "DEFAULT_CELL_M", "DEFAULT_SHARE", "FAMILIES", "GISTAR_BANDS", "HALF_LIVES",
    "KDE_BANDWIDTHS", "KDE_WINDOWS", "METHODS", "BacktestResult", "Candidate", "ForecastResult", "arcgis_bandwidth",
    "backtest", "backtest_sentence", "blend_surface", "counts_surface", "decay_surface", "default_candidates",
    "demand_weights", "expected_events", "forecast", "forecast_areas", "forecast_from_counts", "gistar_surface",
    "history_periods", "kde_surface", "next_period", "period_counts", "period_text", "quartic_kernel",
    "neighbour_sums", "recapture_rate_index", "surface", "top_cells",
]
