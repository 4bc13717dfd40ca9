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

Records enter through :func:`forecast`, which leaves out stacked and coarse locations
(:func:`geo.core.quality.spatial_records`); ``ForecastResult.n_left_out`` counts them.

Modules: :mod:`geo.analysis.forecast_surfaces` (the candidate surfaces),
:mod:`geo.analysis.backtest` (selection, scores, the backtest), this one (periods, the
forecast from records, its result and outputs; it re-exports the other two's names).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.backtest import (
    DEFAULT_SHARE,
    MIN_HISTORY,
    TIE_BAND_CELLS,
    BacktestResult,
    backtest,
    neighbour_sums,
    recapture_rate_index,
    top_cells,
)
from geo.analysis.forecast_surfaces import (
    BLEND_ALPHAS,
    BLEND_LONG,
    BLEND_RECENT,
    COUNT_WINDOWS,
    FAMILIES,
    GISTAR_BANDS,
    HALF_LIVES,
    KDE_BANDWIDTHS,
    KDE_WINDOWS,
    Candidate,
    arcgis_bandwidth,
    blend_surface,
    counts_surface,
    decay_surface,
    default_candidates,
    expected_events,
    gistar_surface,
    kde_surface,
    quartic_kernel,
    surface,
)
from geo.analysis.timeseries import event_arrays
from geo.core import fmt
from geo.core.area import StudyArea
from geo.core.errors import UserError
from geo.core.grid import Grid, GridShape, make_grid
from geo.core.period import Period
from geo.core.quality import spatial_records

#: ``--method`` values: ``auto`` (all families) or one family.
METHODS: tuple[str, ...] = ("auto", *FAMILIES)
#: Default cell size (m) of the forecast grid.
DEFAULT_CELL_M = 100.0
#: Most periods read back from ``--to`` (the oldest are dropped beyond).
MAX_PERIODS = 36


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
    first_day = pd.Timestamp(first).date()
    while len(out) < max_periods and out[0].start > first_day:
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


def forecast(records: gpd.GeoDataFrame, kind: str, area: StudyArea, period: Period, *,
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
    records, n_left_out = spatial_records(records)  # stacked fallback points and coarse locations (issue 12)
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
    hit = fmt.percent(row["hit_rate"])
    share = share_text(bt.share)
    pai, sd = fmt.number(row["pai"], 1), fmt.number(row["pai_sd"], 1)
    when = "im letzten Zeitraum" if n == 1 else f"in den letzten {n} Zeiträumen im Mittel"
    return (f"Die Karte {phrase} hätte {when} {hit} der {noun} auf {share} der Fläche vorhergesagt "
            f"(PAI {pai}, Streuung ± {sd}).")


def share_text(share: float) -> str:
    """An area share as a German percentage without needless decimals: ``3 %``, ``2,5 %``."""
    return fmt.percent(share, 0 if round(100 * share, 6).is_integer() else 1)


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
    # this module
    "DEFAULT_CELL_M", "MAX_PERIODS", "METHODS", "ForecastResult", "backtest_sentence", "demand_weights", "forecast",
    "forecast_areas", "forecast_from_counts", "history_periods", "next_period", "period_counts", "period_text",
    "share_text",
    # re-exported: the surfaces (geo.analysis.forecast_surfaces) and the backtest (geo.analysis.backtest)
    "BLEND_ALPHAS", "BLEND_LONG", "BLEND_RECENT", "COUNT_WINDOWS", "DEFAULT_SHARE", "FAMILIES", "GISTAR_BANDS",
    "HALF_LIVES", "KDE_BANDWIDTHS", "KDE_WINDOWS", "MIN_HISTORY", "TIE_BAND_CELLS", "BacktestResult", "Candidate",
    "arcgis_bandwidth", "backtest", "blend_surface", "counts_surface", "decay_surface", "default_candidates",
    "expected_events", "gistar_surface", "kde_surface", "neighbour_sums", "quartic_kernel", "recapture_rate_index",
    "surface", "top_cells",
]
