"""Period comparison: change per grid cell and zone, and how well a hot spot map predicts.

Two periods A and B (any lengths ``t_A``, ``t_B`` in days, not overlapping) are counted on
the same grid (metric CRS, EPSG:25833). For each cell with ``a`` events in A and ``b`` in
B the question is whether the Poisson *rate* changed. Under the null hypothesis of equal
rates, conditional on ``n = a + b``::

    a ~ Binomial(n, t_A / (t_A + t_B))

:func:`poisson_rate_test` computes the exact two-sided p-value of this conditional
binomial test (the same as ``scipy.stats.binomtest(a, n, t_A / (t_A + t_B)).pvalue``),
vectorised over all cells. The p-values of the cells with at least one event are then
corrected for multiple testing with the Benjamini–Hochberg false discovery rate
(``statsmodels`` ``multipletests(method="fdr_bh")``); cells without events have
``p = p_fdr = 1``. A cell is a significant increase (``+1``) or decrease (``-1``) when
``p_fdr <= alpha`` (default 0.05), else ``0`` (:data:`geo.core.schema.CHANGE_CLASSES`).

Events are counted as records (finds, complaints, observations), not weighted by
syringes or persons: the test needs event counts.

Predictive accuracy (:func:`prediction_accuracy`): the cells selected from period A
(its Gi* hot spots, or the top share of cells by count) are checked against period B:
*hit rate* = share of B's events in the selected cells, *PAI* (Predictive Accuracy Index,
Chainey et al. 2008) = hit rate / share of the area the selected cells cover.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.stats import binom

from geo.analysis.hotspots import boundary_geometry, choose_band, choose_scale, fdr_bh, format_metres, gi_star
from geo.analysis.timeseries import zone_counts
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.grid import Grid, GridShape, aggregate_xy, make_grid
from geo.core.period import Period
from geo.core.points import point_coordinates
from geo.core.schema import CHANGE_CLASSES

#: Significance level of the change classes (on FDR-adjusted p-values).
DEFAULT_ALPHA = 0.05
#: Relative tolerance when comparing binomial probabilities (as scipy's ``binomtest``).
_RERR = 1.0 + 1e-7
#: Default cell size (m) of a comparison: a per-cell test needs several events per cell, so
#: the cells are larger than the hot spot map's (whose Gi* pools neighbours). 150 m hexagons
#: show the demo's moved scene (Rabet → Neustädter Markt) in a 6-month comparison.
DEFAULT_CELL_M = 150.0
#: Share of cells selected by the "top cells" rule of :func:`prediction_accuracy`.
DEFAULT_TOP_SHARE = 0.05


# ---------------------------------------------------------------------------- tests
def poisson_rate_test(a: np.ndarray, b: np.ndarray, t_a: float | np.ndarray = 1.0,
                      t_b: float | np.ndarray = 1.0) -> np.ndarray:
    """Exact two-sided test for a change of a Poisson rate between two periods (vectorised).

    Parameters
    ----------
    a, b : event counts (non-negative integers) in period A and B, broadcastable.
    t_a, t_b : lengths of the periods (any unit, e.g. days), broadcastable, > 0.

    Returns
    -------
    float64 array of two-sided p-values: conditional on ``n = a + b``, ``a`` is
    ``Binomial(n, t_a / (t_a + t_b))``; the p-value sums the probabilities of all outcomes
    no more likely than ``a`` (relative tolerance 1e-7), exactly like
    ``scipy.stats.binomtest(a, n, p).pvalue``. ``n = 0`` gives 1.

    Notes
    -----
    The binomial distribution is unimodal, so the outcomes "no more likely than ``a``" on
    the other side of the mean form a tail; its end is found by a bisection run on all
    cells at once (``log2(max n)`` steps, no loop over cells).
    """
    a, b, t_a, t_b = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, t_a, t_b)))
    if (a < 0).any() or (b < 0).any():
        raise ValueError("counts must be non-negative")
    if not ((t_a > 0).all() and (t_b > 0).all()):
        raise UserError("Die Zeiträume müssen eine positive Länge haben.")
    n = a + b
    p0 = t_a / (t_a + t_b)
    mean = n * p0
    thr = binom.pmf(a, n, p0) * _RERR
    out = np.ones(a.shape, dtype=np.float64)

    low = a < mean  # other tail: smallest x in [ceil(mean), n] with pmf(x) <= thr
    if low.any():
        nn, pp, tt = n[low], p0[low], thr[low]
        x = _bisect(np.ceil(mean[low]), nn + 1, lambda m: binom.pmf(m, nn, pp) <= tt)
        out[low] = binom.cdf(a[low], nn, pp) + binom.sf(x - 1, nn, pp)
    high = a > mean  # other tail: x <= y - 1 where y is the smallest x in [0, floor(mean)] with pmf(x) > thr
    if high.any():
        nn, pp, tt = n[high], p0[high], thr[high]
        y = _bisect(np.zeros(nn.shape), np.floor(mean[high]) + 1, lambda m: binom.pmf(m, nn, pp) > tt)
        out[high] = binom.cdf(y - 1, nn, pp) + binom.sf(a[high] - 1, nn, pp)
    return np.minimum(out, 1.0)


def _bisect(lo: np.ndarray, hi: np.ndarray, pred) -> np.ndarray:
    """Smallest integer ``m`` in ``[lo, hi)`` with ``pred(m)`` true (``hi`` if none), elementwise.

    ``pred`` must be monotone (false … false true … true) on the interval and is called
    with an array of candidates aligned with ``lo``.
    """
    lo = lo.astype(np.float64).copy()
    hi = hi.astype(np.float64).copy()
    steps = int(math.ceil(math.log2(float(np.max(hi - lo, initial=1.0)) + 1.0))) + 1
    for _ in range(steps):
        active = lo < hi
        if not active.any():
            break
        mid = np.floor((lo + hi) / 2.0)
        ok = pred(mid)
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid + 1.0, lo)
    return lo


def change_classes(rate_a: np.ndarray, rate_b: np.ndarray, p_fdr: np.ndarray,
                   alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """``+1`` significant increase, ``-1`` significant decrease, ``0`` otherwise (int64)."""
    sign = np.sign(np.asarray(rate_b, dtype=float) - np.asarray(rate_a, dtype=float)).astype(np.int64)
    return np.where(np.asarray(p_fdr) <= alpha, sign, 0).astype(np.int64)


def rate_comparison(count_a: np.ndarray, count_b: np.ndarray, days_a: float, days_b: float,
                    alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
    """Counts of two periods compared unit by unit (cells, zones, …).

    Parameters
    ----------
    count_a, count_b : event counts per unit in period A and B.
    days_a, days_b : period lengths in days.
    alpha : significance level on the FDR-adjusted p-values.

    Returns
    -------
    DataFrame (one row per unit): ``count_a``, ``count_b`` (int), ``rate_a``, ``rate_b``
    (events per day), ``difference`` (``count_b - count_a * days_b / days_a``: B minus A
    scaled to B's length; the plain difference for equal lengths), ``rate_ratio``
    (``rate_b / rate_a``; NaN where ``count_a = 0``), ``p`` (exact two-sided test,
    :func:`poisson_rate_test`), ``p_fdr`` (Benjamini–Hochberg over the units with at least
    one event; 1 for the others) and ``change_class`` (−1, 0, +1).
    """
    a = np.asarray(count_a, dtype=np.float64)
    b = np.asarray(count_b, dtype=np.float64)
    if days_a <= 0 or days_b <= 0:
        raise UserError("Die Zeiträume müssen eine positive Länge haben.")
    rate_a, rate_b = a / days_a, b / days_b
    p = poisson_rate_test(a, b, days_a, days_b)
    tested = (a + b) > 0
    p_fdr = np.ones_like(p)
    p_fdr[tested] = fdr_bh(p[tested])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a > 0, rate_b / np.where(a > 0, rate_a, 1.0), np.nan)
    return pd.DataFrame({
        "count_a": np.rint(a).astype(np.int64),
        "count_b": np.rint(b).astype(np.int64),
        "rate_a": rate_a,
        "rate_b": rate_b,
        "difference": b - a * days_b / days_a,
        "rate_ratio": ratio,
        "p": p,
        "p_fdr": p_fdr,
        "change_class": change_classes(rate_a, rate_b, p_fdr, alpha),
    })


def _check_periods(period_a: Period, period_b: Period) -> None:
    if period_a.start <= period_b.end and period_b.start <= period_a.end:
        raise UserError(
            f"Die Zeiträume {period_a.label()} und {period_b.label()} überschneiden sich; "
            "für den Vergleich müssen sie getrennt sein."
        )


# ---------------------------------------------------------------------------- cells
def analysis_grid(points: list[gpd.GeoDataFrame], boundary, *, shape: GridShape = "hex",
                  cell: float | None = DEFAULT_CELL_M, crs: str = DEFAULT_CRS) -> tuple[Grid, str]:
    """The common grid of a comparison and a German note on its cell size.

    Parameters
    ----------
    points : the record frames of all periods (pooled for the automatic cell size).
    boundary : study area polygon in ``crs`` or a :class:`~geo.core.area.StudyArea`.
    shape : ``"hex"`` or ``"square"``.
    cell : cell size in metres (default :data:`DEFAULT_CELL_M`); ``None`` chooses it like the hot spot map
        (:func:`geo.analysis.hotspots.choose_scale`) from the pooled events.
    crs : metric CRS (a StudyArea's CRS wins).
    """
    geom, area_crs = boundary_geometry(boundary)
    crs = area_crs or crs
    if cell is None:
        xy = np.concatenate([np.zeros((0, 2)), *(np.column_stack(point_coordinates(p, crs)) for p in points)])
        cell, _, rule = choose_scale(xy[np.isfinite(xy).all(axis=1)], geom, shape=shape, crs=crs)
        note = rule.partition(" Distanzband ")[0]
    else:
        note = f"Zellgröße {format_metres(float(cell))}: vorgegeben."
    return make_grid(geom, float(cell), shape, crs), note


def compare_periods(
    records_a: gpd.GeoDataFrame,
    records_b: gpd.GeoDataFrame,
    period_a: Period,
    period_b: Period,
    grid: Grid,
    *,
    date_field: str | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> gpd.GeoDataFrame:
    """Change per grid cell between two periods.

    Parameters
    ----------
    records_a, records_b : event records of period A and B (point GeoDataFrames; reprojected
        to the grid's metric CRS). The same frame may be passed twice together with
        ``date_field``: then each is cut to its period.
    period_a, period_b : the two periods (inclusive dates; must not overlap). Their lengths
        in days (``Period.days``) scale the rates.
    grid : the common grid (:func:`geo.core.grid.make_grid`), metric CRS.
    date_field : if given, records outside their period are dropped first.
    alpha : significance level of the classes on FDR-adjusted p-values.

    Returns
    -------
    GeoDataFrame in the grid's CRS (metres), one row per cell: ``cell_id`` and the columns
    of :func:`rate_comparison` (``count_a``, ``count_b``, ``rate_a``, ``rate_b``,
    ``difference``, ``rate_ratio``, ``p``, ``p_fdr``, ``change_class``) and the cell polygon.
    """
    _check_periods(period_a, period_b)
    counts = []
    for records, period in ((records_a, period_a), (records_b, period_b)):
        x, y = point_coordinates(period.select(records, date_field), grid.crs)
        counts.append(aggregate_xy(grid, x, y))
    table = rate_comparison(counts[0], counts[1], period_a.days, period_b.days, alpha)
    table.insert(0, "cell_id", grid.cells["cell_id"].to_numpy())
    return gpd.GeoDataFrame(table, geometry=grid.cells.geometry.values, crs=grid.crs)


def change_summary(cells: pd.DataFrame) -> dict[int, int]:
    """Number of cells per change class (+1, 0, −1; all keys present)."""
    vc = cells["change_class"].value_counts()
    return {c: int(vc.get(c, 0)) for c in CHANGE_CLASSES}


# ---------------------------------------------------------------------------- zones
def zone_comparison(
    zones: gpd.GeoDataFrame,
    records_a: gpd.GeoDataFrame,
    records_b: gpd.GeoDataFrame,
    period_a: Period,
    period_b: Period,
    *,
    date_field: str | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> pd.DataFrame:
    """Change per zone (sensitive place buffer, district, measure radius) between two periods.

    Parameters
    ----------
    zones : zone table (:mod:`geo.analysis.timeseries`), metric CRS.
    records_a, records_b, period_a, period_b, date_field, alpha : as in :func:`compare_periods`.

    Returns
    -------
    DataFrame with ``zone``, ``zone_type`` and the columns of :func:`rate_comparison`; the
    FDR correction runs over the zones.
    """
    _check_periods(period_a, period_b)
    counts = []
    for records, period in ((records_a, period_a), (records_b, period_b)):
        x, y = point_coordinates(period.select(records, date_field), str(zones.crs))
        counts.append(zone_counts(zones, x, y))
    table = rate_comparison(counts[0], counts[1], period_a.days, period_b.days, alpha)
    table.insert(0, "zone_type", zones["zone_type"].to_numpy())
    table.insert(0, "zone", zones["zone"].to_numpy())
    return table


# ---------------------------------------------------------------------------- prediction
def select_top_cells(counts: np.ndarray, share: float = DEFAULT_TOP_SHARE, *, grid: Grid | None = None) -> np.ndarray:
    """Boolean mask of the ``ceil(share * n)`` cells with the highest counts.

    Ties are broken by the neighbourhood sum within 1.5 cell sizes (when ``grid`` is given),
    then by ``cell_id``; cells without events are never selected.
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.size
    if not 0 < share <= 1:
        raise UserError(f"Anteil {share!r} ungültig; erwartet eine Zahl über 0 und höchstens 1.")
    k = min(int(math.ceil(share * n)), int((counts > 0).sum()))
    tie = grid.window_sum(counts, 1.5 * grid.cell) if grid is not None else np.zeros(n)
    order = np.lexsort((np.arange(n), -tie, -counts))
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask


def hit_rate_pai(selected: np.ndarray, counts_next: np.ndarray) -> tuple[float, float, float]:
    """``(area share, hit rate, PAI)`` of the selected cells for the next period's counts.

    Hit rate = events of the next period in the selected cells / all its events; area
    share = selected cells / all cells (equal cells); PAI = hit rate / area share. NaN
    where undefined (no events, nothing selected).
    """
    selected = np.asarray(selected, dtype=bool)
    counts_next = np.asarray(counts_next, dtype=float)
    total = counts_next.sum()
    area = selected.mean() if selected.size else math.nan
    hit = counts_next[selected].sum() / total if total > 0 else math.nan
    pai = hit / area if area and area > 0 and not math.isnan(hit) else math.nan
    return float(area), float(hit), float(pai)


def prediction_accuracy(grid: Grid, counts_prev: np.ndarray, counts_next: np.ndarray, *,
                        band: float | None = None, top_share: float = DEFAULT_TOP_SHARE) -> dict[str, float]:
    """How well the previous period's map predicts the next period's events.

    Parameters
    ----------
    grid : the common grid (metric CRS).
    counts_prev, counts_next : events per cell in the earlier and the later period.
    band : Gi* distance band in metres (default: :func:`geo.analysis.hotspots.choose_band` on
        ``counts_prev``).
    top_share : share of cells for the "top cells" selection.

    Returns
    -------
    dict with ``hotspot_cells``, ``hotspot_area_share``, ``hotspot_hit_rate``,
    ``hotspot_pai`` for the Gi* hot spots (class ≥ 2, 95 % confidence, FDR) of the earlier
    period, and ``top_cells``, ``top_area_share``, ``top_hit_rate``, ``top_pai`` for the
    top ``top_share`` cells by count, plus ``events_next``.
    """
    counts_prev = np.asarray(counts_prev, dtype=float)
    counts_next = np.asarray(counts_next, dtype=float)
    if band is None:
        band, _ = choose_band(grid, counts_prev)
    hot = gi_star(grid, counts_prev, band)["gi_class"].to_numpy() >= 2
    top = select_top_cells(counts_prev, top_share, grid=grid)
    out: dict[str, float] = {"events_next": float(counts_next.sum())}
    for name, mask in (("hotspot", hot), ("top", top)):
        area, hit, pai = hit_rate_pai(mask, counts_next)
        out |= {f"{name}_cells": int(mask.sum()), f"{name}_area_share": area, f"{name}_hit_rate": hit,
                f"{name}_pai": pai}
    return out


def prediction_series(records: gpd.GeoDataFrame, date_field: str, periods: list[Period], grid: Grid, *,
                      band: float | None = None, top_share: float = DEFAULT_TOP_SHARE) -> pd.DataFrame:
    """Hit rate and PAI for each pair of consecutive periods (the earlier predicts the later).

    Parameters
    ----------
    records : event records covering all periods (metric CRS).
    date_field : the kind's date field.
    periods : consecutive periods, e.g. the two-month Rapport periods
        (:func:`geo.analysis.timeseries.slice_periods` with ``months=2``).
    grid, band, top_share : as in :func:`prediction_accuracy` (``band=None``: chosen per
        earlier period).

    Returns
    -------
    DataFrame, one row per pair: ``period_prev``, ``period_next`` (``"2026-01-01/2026-02-28"``),
    ``label`` (German, e.g. ``Jan–Feb 2026 → Mär–Apr 2026``) and the values of
    :func:`prediction_accuracy`.
    """
    if len(periods) < 2:
        return pd.DataFrame(columns=["period_prev", "period_next", "label"])
    x, y = point_coordinates(records, grid.crs)
    t = pd.to_datetime(records[date_field]) if len(records) else pd.Series([], dtype="datetime64[ns]")
    counts = [aggregate_xy(grid, x[m], y[m]) for m in (p.contains(t) for p in periods)]
    rows = []
    for i in range(len(periods) - 1):
        acc = prediction_accuracy(grid, counts[i], counts[i + 1], band=band, top_share=top_share)
        rows.append({"period_prev": str(periods[i]), "period_next": str(periods[i + 1]),
                     "label": f"{periods[i].label()} → {periods[i + 1].label()}", **acc})
    return pd.DataFrame(rows)


__all__ = [
    "DEFAULT_ALPHA", "DEFAULT_CELL_M", "DEFAULT_TOP_SHARE", "analysis_grid", "change_classes", "change_summary",
    "compare_periods", "hit_rate_pai", "poisson_rate_test", "prediction_accuracy", "prediction_series",
    "rate_comparison", "select_top_cells", "zone_comparison",
]
