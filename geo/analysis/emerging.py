"""Emerging hot spots: how hot and cold spots develop over time (space-time pattern mining).

Method (after ArcGIS Pro "Emerging Hot Spot Analysis")
------------------------------------------------------
1. The period is cut into time slices of one or two calendar months
   (:func:`geo.analysis.timeseries.slice_periods`); events (records, not weighted) are counted per
   grid cell and slice on one grid (metric CRS, EPSG:25833).
2. Gi* (:func:`geo.analysis.hotspots.gi_star`, binary distance band, cell itself included) runs on
   every slice; a bin (cell × slice) is a *significant hot spot* when its
   Benjamini–Hochberg adjusted p-value (per slice) is ``<= alpha`` (default 0.05, i.e.
   95 % confidence) and ``z > 0``, a *significant cold spot* when ``z < 0``.
3. The Mann–Kendall trend test (:func:`mann_kendall`) runs on each cell's series of Gi*
   z-scores: a significant upward trend (``p <= trend_alpha``, default 0.05) means the
   clustering of high counts gets stronger.
4. Each cell gets one pattern (:func:`classify_patterns`), ``T`` = number of slices,
   "90 %" = at least 90 % of the slices:

   ================  =====================================================================
   new               hot in the final slice and never significant (hot or cold) before
   consecutive       a single uninterrupted run of ≥ 2 hot slices at the end, never hot
                     before the run, hot in < 90 % of the slices
   intensifying      hot in ≥ 90 % of the slices including the final one, and the z-scores
                     rise significantly (Mann–Kendall)
   persistent        hot in ≥ 90 % of the slices including the final one, no significant trend
   diminishing       hot in ≥ 90 % of the slices including the final one, and the z-scores
                     fall significantly
   sporadic          hot in the final slice, on-and-off hot before, hot in < 90 % of the
                     slices, never a significant cold spot
   oscillating       hot in the final slice, a significant cold spot in some earlier slice,
                     hot in < 90 % of the slices
   historical        not hot in the final slice, but hot in ≥ 90 % of the slices
   no pattern        none of the above
   ================  =====================================================================

   Cold-spot twins mirror the rules (intensifying cold = z-scores fall significantly).
   Where two definitions of ArcGIS overlap, the order of the table decides, with the
   "≥ 90 %" patterns first, then the final-slice patterns (hot before cold), historical
   last.

ArcGIS can add neighbouring *time* slices to the Gi* neighbourhood ("neighbourhood time
step"); here each slice is analysed on its own (time step 1). ArcGIS recommends at least
10 slices; with fewer, the "90 %" rule means "all slices".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.special import ndtr

from geo.analysis.hotspots import boundary_geometry, choose_band, choose_scale, format_metres, gi_star
from geo.analysis.timeseries import event_arrays, slice_periods
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.grid import Grid, GridShape, aggregate_xy, make_grid
from geo.core.period import Period
from geo.core.schema import EMERGING_NO_PATTERN, EMERGING_PATTERNS

#: Significance of a Gi* bin (FDR-adjusted p-value) and of the Mann–Kendall trend.
DEFAULT_ALPHA = 0.05
DEFAULT_TREND_ALPHA = 0.05
#: Fewest slices the analysis accepts (the trend test needs a series).
MIN_SLICES = 4
#: Fewest slices ArcGIS recommends; fewer give a note.
RECOMMENDED_SLICES = 10
#: Slice lengths by name (calendar months).
SLICE_MONTHS: dict[str, int] = {"month": 1, "2months": 2}

#: Pattern code → (German label, colour, German definition), from the schema. Order = legend order.
PATTERNS = EMERGING_PATTERNS
NO_PATTERN = EMERGING_NO_PATTERN


# ---------------------------------------------------------------------------- trend
def mann_kendall(series: np.ndarray, *, chunk: int = 4096) -> pd.DataFrame:
    """Mann–Kendall trend test for each row of ``series`` (vectorised).

    Parameters
    ----------
    series : array (n, T): n series of T values in time order (e.g. Gi* z-scores per slice).
    chunk : rows processed at once (bounds the memory of the (chunk, T, T) comparison).

    Returns
    -------
    DataFrame (n rows): ``s`` = Σ_{i<j} sign(x_j − x_i); ``var_s`` =
    [T(T−1)(2T+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18 with ``t_g`` the sizes of groups of tied
    values; ``z`` = (s − sign(s)) / sqrt(var_s) (continuity correction; 0 if ``var_s = 0``);
    ``p`` two-sided from the standard normal; ``tau`` = s / (T(T−1)/2).

    Notes
    -----
    The tie term is computed without finding the groups: every value counts the values
    equal to it (``t_e``); Σ_e (t_e − 1)(2t_e + 5) over the values equals
    Σ_g t_g (t_g − 1)(2t_g + 5) over the groups.
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    n, t = x.shape
    s = np.zeros(n)
    ties = np.zeros(n)
    upper = np.triu(np.ones((t, t), dtype=bool), k=1)
    for lo in range(0, n, chunk):
        xs = x[lo:lo + chunk]
        diff = xs[:, None, :] - xs[:, :, None]  # diff[r, i, j] = x_j - x_i
        s[lo:lo + chunk] = np.sign(diff[:, upper]).sum(axis=1)
        te = (diff == 0).sum(axis=2).astype(np.float64)
        ties[lo:lo + chunk] = ((te - 1.0) * (2.0 * te + 5.0)).sum(axis=1)
    var = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    pairs = t * (t - 1) / 2.0
    return pd.DataFrame({"s": s, "var_s": var, "z": z, "p": 2.0 * ndtr(-np.abs(z)),
                         "tau": s / pairs if pairs else np.zeros(n)})


# ---------------------------------------------------------------------------- patterns
def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each row."""
    return np.cumprod(flags[:, ::-1], axis=1).sum(axis=1)


def classify_patterns(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray,
                      trend_alpha: float = DEFAULT_TREND_ALPHA) -> np.ndarray:
    """Emerging hot spot pattern codes (:data:`PATTERNS`) per cell; rules in the module docstring.

    Parameters
    ----------
    hot, cold : boolean arrays (n, T): significant hot / cold spot per cell and slice.
    trend_z, trend_p : Mann–Kendall z and p of each cell's Gi* z-scores (n,).
    trend_alpha : significance level of the trend.

    Returns
    -------
    object array (n,) of pattern codes.
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    t = hot.shape[1]
    need = math.ceil(0.9 * t - 1e-9)  # slices that make "at least 90 %"
    up = (np.asarray(trend_p) <= trend_alpha) & (np.asarray(trend_z) > 0)
    down = (np.asarray(trend_p) <= trend_alpha) & (np.asarray(trend_z) < 0)
    rules: list[tuple[np.ndarray, str]] = []
    final: dict[str, list[tuple[np.ndarray, str]]] = {}
    historical: list[tuple[np.ndarray, str]] = []
    for name, this, other, stronger, weaker in (("hot", hot, cold, up, down), ("cold", cold, hot, down, up)):
        count = this.sum(axis=1)
        run = _trailing_run(this)
        last = this[:, -1]
        often = count >= need
        rules += [
            (often & last & stronger, f"intensifying_{name}"),
            (often & last & weaker, f"diminishing_{name}"),
            (often & last, f"persistent_{name}"),
        ]
        final[name] = [
            (last & other.any(axis=1), f"oscillating_{name}"),
            (last & (count == 1) & ~other.any(axis=1), f"new_{name}"),
            (last & (count == run) & (run >= 2), f"consecutive_{name}"),
            (last, f"sporadic_{name}"),
        ]
        historical.append((often & ~last, f"historical_{name}"))
    rules += final["hot"] + final["cold"] + historical
    return np.select([c for c, _ in rules], [code for _, code in rules], default=NO_PATTERN).astype(object)


def pattern_labels(codes: np.ndarray) -> np.ndarray:
    """German labels of pattern codes (object array)."""
    lookup = {k: v[0] for k, v in PATTERNS.items()}
    return np.array([lookup[c] for c in np.asarray(codes, dtype=object)], dtype=object)


# ---------------------------------------------------------------------------- analysis
def space_time_counts(grid: Grid, x: np.ndarray, y: np.ndarray, t: np.ndarray, slices: list[Period]) -> np.ndarray:
    """Events per cell and slice: float64 array (n_cells, n_slices).

    ``x, y`` in metres (grid CRS), ``t`` ``datetime64``; events outside every slice or
    every cell are ignored.
    """
    ids = grid.cell_ids_at(x, y)
    edges = np.array([pd.Timestamp(p.start).to_datetime64() for p in slices]
                     + [slices[-1].end_exclusive.to_datetime64()], dtype="datetime64[ns]")
    si = np.searchsorted(edges, np.asarray(t, dtype="datetime64[ns]"), side="right") - 1
    ok = (ids >= 0) & (si >= 0) & (si < len(slices))
    flat = ids[ok] * len(slices) + si[ok]
    return np.bincount(flat, minlength=grid.n * len(slices)).reshape(grid.n, len(slices)).astype(np.float64)


def slice_gi(grid: Grid, counts: np.ndarray, band: float) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and FDR-adjusted p-values per cell and slice (arrays (n, T)).

    Gi* runs on each slice separately (:func:`geo.analysis.hotspots.gi_star`); the loop is over the
    slices, each one vectorised over the cells.
    """
    z = np.zeros(counts.shape)
    p = np.ones(counts.shape)
    for k in range(counts.shape[1]):
        stats = gi_star(grid, counts[:, k], band)
        z[:, k] = stats["gi_z"].to_numpy()
        p[:, k] = stats["gi_p_fdr"].to_numpy()
    return z, p


@dataclass(frozen=True, eq=False)
class EmergingResult:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    cells : GeoDataFrame (metric CRS), one row per cell: ``cell_id``, ``pattern`` (code),
        ``pattern_label`` (German), ``trend_z``, ``trend_p``, ``trend_tau`` (Mann–Kendall on
        the Gi* z-scores), ``n_hot``, ``n_cold`` (significant slices), ``last_z`` (Gi* z of
        the final slice), ``count_total``, ``count_last`` and the cell polygon.
    slices : the time slices.
    counts, z, p_fdr : arrays (n_cells, n_slices): events, Gi* z and adjusted p per bin.
    cell, band : cell size and Gi* distance band in metres.
    scale_rule : German text: how cell size and band were chosen, and notes.
    shape, crs : grid shape and metric CRS.
    """

    cells: gpd.GeoDataFrame
    slices: list[Period]
    counts: np.ndarray
    z: np.ndarray
    p_fdr: np.ndarray
    cell: float
    band: float
    scale_rule: str
    shape: GridShape = "hex"
    crs: str = DEFAULT_CRS

    def pattern_counts(self) -> dict[str, int]:
        """Number of cells per pattern code (all codes present as keys, legend order)."""
        vc = self.cells["pattern"].value_counts()
        return {code: int(vc.get(code, 0)) for code in PATTERNS}


def emerging_from_counts(grid: Grid, counts: np.ndarray, band: float, *, alpha: float = DEFAULT_ALPHA,
                         trend_alpha: float = DEFAULT_TREND_ALPHA) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Patterns from a space-time cube of counts (n_cells, n_slices) on ``grid``.

    Returns ``(table, z, p_fdr)``: a DataFrame aligned with ``cell_id`` with the attribute
    columns of :attr:`EmergingResult.cells` (no geometry), and the Gi* z-scores and
    adjusted p-values per bin (arrays (n_cells, n_slices)).
    """
    z, p = slice_gi(grid, counts, band)
    sig = p <= alpha
    hot, cold = sig & (z > 0), sig & (z < 0)
    trend = mann_kendall(z)
    codes = classify_patterns(hot, cold, trend["z"].to_numpy(), trend["p"].to_numpy(), trend_alpha)
    table = pd.DataFrame({
        "cell_id": grid.cells["cell_id"].to_numpy(),
        "pattern": pd.array(codes, dtype="string"),
        "pattern_label": pd.array(pattern_labels(codes), dtype="string"),
        "trend_z": trend["z"].to_numpy(),
        "trend_p": trend["p"].to_numpy(),
        "trend_tau": trend["tau"].to_numpy(),
        "n_hot": hot.sum(axis=1).astype(np.int64),
        "n_cold": cold.sum(axis=1).astype(np.int64),
        "last_z": z[:, -1],
        "count_total": counts.sum(axis=1).astype(np.int64),
        "count_last": counts[:, -1].astype(np.int64),
    })
    return table, z, p


def emerging_hotspots(
    records: gpd.GeoDataFrame,
    kind: str,
    period: Period,
    boundary,
    *,
    slice_months: int = 1,
    shape: GridShape = "hex",
    cell: float | None = None,
    band: float | None = None,
    alpha: float = DEFAULT_ALPHA,
    trend_alpha: float = DEFAULT_TREND_ALPHA,
    crs: str = DEFAULT_CRS,
) -> EmergingResult:
    """Emerging hot spot analysis of one report kind over ``period``.

    Parameters
    ----------
    records : records of ``kind`` (point GeoDataFrame; reprojected to the metric CRS).
    kind : report kind; events are counted as records.
    period : analysed period, cut into slices of ``slice_months`` months
        (:func:`geo.analysis.timeseries.slice_periods`).
    boundary : study area polygon in ``crs`` or a :class:`~geo.core.area.StudyArea`.
    slice_months : 1 (months) or 2 (two-month Rapport periods).
    shape : ``"hex"`` or ``"square"``.
    cell, band : cell size and Gi* distance band in metres; ``None`` chooses them like the
        hot spot map (:func:`geo.analysis.hotspots.choose_scale`) from all events of the period.
    alpha : FDR-adjusted p-value at or below which a bin is a significant hot/cold spot.
    trend_alpha : Mann–Kendall significance level.
    crs : metric CRS (a StudyArea's CRS wins).

    Returns
    -------
    EmergingResult

    Raises
    ------
    UserError
        Fewer than :data:`MIN_SLICES` slices.
    """
    geom, area_crs = boundary_geometry(boundary)
    crs = area_crs or crs
    slices = slice_periods(period, slice_months)
    if len(slices) < MIN_SLICES:
        raise UserError(
            f"Der Zeitraum {period.label()} ergibt nur {len(slices)} Zeitabschnitte; für einen Trend werden "
            f"mindestens {MIN_SLICES} gebraucht (besser {RECOMMENDED_SLICES} oder mehr)."
        )
    x, y, t, _ = event_arrays(records, kind, crs)
    inside = period.contains(t) if len(t) else np.zeros(0, dtype=bool)
    x, y, t = x[inside], y[inside], t[inside]
    ok = np.isfinite(x) & np.isfinite(y)
    notes: list[str] = []
    band_given = band is not None
    if cell is None:
        cell, auto_band, rule = choose_scale(np.column_stack([x[ok], y[ok]]), geom, shape=shape, crs=crs)
        cell_rule, _, band_rule = rule.partition(" Distanzband ")
        notes.append(cell_rule)
        if not band_given:
            band = auto_band
            notes.append("Distanzband " + band_rule)
    else:
        notes.append(f"Zellgröße {format_metres(float(cell))}: vorgegeben.")
    grid = make_grid(geom, float(cell), shape, crs)
    if band is None:
        band, band_rule = choose_band(grid, aggregate_xy(grid, x[ok], y[ok]), float(geom.area))
        notes.append(band_rule)
    elif band_given:
        notes.append(f"Distanzband {format_metres(float(band))}: vorgegeben.")
    if len(slices) < RECOMMENDED_SLICES:
        notes.append(f"Hinweis: nur {len(slices)} Zeitabschnitte; empfohlen sind mindestens {RECOMMENDED_SLICES}.")
    counts = space_time_counts(grid, x, y, t, slices)
    table, z, p_fdr = emerging_from_counts(grid, counts, float(band), alpha=alpha, trend_alpha=trend_alpha)
    cells = gpd.GeoDataFrame(table, geometry=grid.cells.geometry.values, crs=grid.crs)
    return EmergingResult(cells=cells, slices=slices, counts=counts, z=z, p_fdr=p_fdr,
                          cell=float(grid.cell), band=float(band), scale_rule=" ".join(notes), shape=shape,
                          crs=grid.crs)


__all__ = [
    "DEFAULT_ALPHA", "DEFAULT_TREND_ALPHA", "EmergingResult", "MIN_SLICES", "NO_PATTERN", "PATTERNS",
    "SLICE_MONTHS", "classify_patterns", "emerging_from_counts", "emerging_hotspots", "mann_kendall",
    "pattern_labels", "slice_gi", "space_time_counts",
]
