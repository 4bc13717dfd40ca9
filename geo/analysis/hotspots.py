"""Hot spot statistics: Getis-Ord Gi* on grid cells, FDR classes and the choice of scale.

Gi* (Getis & Ord 1992; Ord & Getis 1995) with **binary distance-band weights, the cell
itself included** (``w_ii = 1``), exactly as ArcGIS "Hot Spot Analysis (Getis-Ord Gi*)":

.. math::

    z_i = \\frac{\\sum_j w_{ij} x_j - \\bar X \\sum_j w_{ij}}
               {S \\sqrt{\\left(n \\sum_j w_{ij}^2 - (\\sum_j w_{ij})^2\\right) / (n - 1)}},
    \\quad \\bar X = \\frac{1}{n}\\sum_j x_j,\\; S = \\sqrt{\\frac{1}{n}\\sum_j x_j^2 - \\bar X^2}

For binary weights :math:`\\sum_j w_{ij}^2 = \\sum_j w_{ij} = k_i` (the number of cells
within the band, itself included). This equals ``esda.G_Local(y, w, star=True,
transform="B").Zs`` with a libpysal ``DistanceBand`` on the cell centres. The p-value is
two-sided from the standard normal and **not** corrected (as in ArcGIS); the
classes (``gi_class``, ArcGIS's ``Gi_Bin``) are corrected with the Benjamini–Hochberg
false discovery rate per confidence level.

Degenerate cases never produce NaN: a cell with no neighbour but itself (``k_i = 1``), a
band that covers every cell (``k_i = n``), all-zero or constant values all give
``z = 0, p = 1, class 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.special import ndtr

from geo.core import fmt
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.grid import (
    SQRT3,
    Grid,
    GridShape,
    aggregate_xy,
    check_metric_crs,
    make_grid,
)
from geo.core.points import point_coordinates, point_weights

#: ArcGIS Gi_Bin confidence levels: class → significance level α.
CONFIDENCE_LEVELS: tuple[tuple[int, float], ...] = ((3, 0.01), (2, 0.05), (1, 0.10))

#: Scale rule limits: the automatic cell size keeps between these many cells in the area.
MIN_AUTO_CELLS = 100
MAX_AUTO_CELLS = 10_000
#: Candidate distance bands for the incremental autocorrelation, in cell sizes.
ISA_STEPS = tuple(k + 0.5 for k in range(1, 21))
#: z-score a Moran's I peak must reach to count (95 % one-sided ~ 1.645, we take 1.96).
ISA_MIN_Z = 1.96


# -- neighbourhoods ----------------------------------------------------------------------


class _Neighbourhood:
    """Binary distance-band neighbourhood (self included) on a grid or on arbitrary points."""

    def __init__(self, grid_or_xy: object, band: float) -> None:
        band = float(band)
        if not (band >= 0 and math.isfinite(band)):
            raise UserError(f"Ungültiges Distanzband {band!r} m; es muss eine positive Zahl sein.")
        self.band = band
        self.grid: Grid | None = None
        self.pairs: np.ndarray | None = None
        if isinstance(grid_or_xy, Grid):
            self.grid = grid_or_xy
            self.n = grid_or_xy.n
        else:
            if isinstance(grid_or_xy, gpd.GeoDataFrame | gpd.GeoSeries):
                crs = grid_or_xy.crs
                if crs is None:
                    raise UserError("Die Geometrien haben kein Koordinatensystem; bitte ein metrisches angeben.")
                check_metric_crs(crs)
                x, y = point_coordinates(grid_or_xy, None)
                xy = np.column_stack([x, y])
            else:
                xy = np.asarray(grid_or_xy, dtype=float)
                if xy.ndim != 2 or xy.shape[1] != 2:
                    raise ValueError("grid_or_xy must be a Grid, a GeoSeries/GeoDataFrame or an (n, 2) array")
            if not np.isfinite(xy).all():
                raise ValueError("coordinates must be finite")
            self.n = len(xy)
            tree = cKDTree(xy)
            self.pairs = tree.query_pairs(band * (1.0 + 1e-9), output_type="ndarray")
        self.k = np.rint(self.window_sum(np.ones(self.n))).astype(np.int64)

    def window_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each cell's band (itself included)."""
        values = np.asarray(values, dtype=np.float64)
        if self.grid is not None:
            return self.grid.window_sum(values, self.band)
        assert self.pairs is not None
        a, b = self.pairs[:, 0], self.pairs[:, 1]
        out = values.copy()
        if values.ndim == 1:
            out += np.bincount(a, weights=values[b], minlength=self.n)
            out += np.bincount(b, weights=values[a], minlength=self.n)
        else:  # pragma: no cover - only 1-D is used internally
            np.add.at(out, a, values[b])
            np.add.at(out, b, values[a])
        return out


# -- statistics --------------------------------------------------------------------------


def fdr_bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (same as ``statsmodels`` ``multipletests(method="fdr_bh")``).

    ``p_adj[i] <= alpha`` exactly for the tests the BH step-up procedure at level ``alpha``
    rejects, so classes from adjusted p-values equal ArcGIS's per-level FDR thresholds.
    """
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    if n == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] / (np.arange(1, n + 1) / n)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(ranked, 1.0)
    return out


def gi_classes(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS Gi_Bin classes ``-3 .. 3`` from z-scores and (adjusted or plain) p-values.

    ``±3`` if ``p <= 0.01``, ``±2`` if ``p <= 0.05``, ``±1`` if ``p <= 0.10``, else 0; the
    sign is that of ``z``.
    """
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(z.shape, dtype=np.int64)
    for cls, alpha in reversed(CONFIDENCE_LEVELS):
        level[p <= alpha] = cls
    return (np.sign(z).astype(np.int64) * level).astype(np.int64)


def gi_star_z(values: np.ndarray, lag: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Gi* z-scores (formula above) from the values, their band sums ``lag`` (self included), band sizes ``k``."""
    n = values.size
    z = np.zeros(n)
    if n < 2:
        return z
    mean = values.mean()
    s = math.sqrt(max(float(np.mean((values - mean) ** 2)), 0.0))
    scale = float(np.max(np.abs(values))) if n else 0.0
    if not (s > 1e-12 * scale) or scale == 0.0:
        return z
    kf = k.astype(np.float64)
    den = s * np.sqrt(np.maximum(n * kf - kf * kf, 0.0) / (n - 1))
    ok = (k >= 2) & (k < n) & (den > 0)
    z[ok] = (lag[ok] - mean * kf[ok]) / den[ok]
    return z


def _permutation_p(
    values: np.ndarray, lag: np.ndarray, k: np.ndarray, permutations: int, seed: int
) -> np.ndarray:
    """Conditional permutation pseudo p-values for Gi* (vectorised over cells).

    For each permutation one random ordering of ``kmax + 1`` distinct cells is drawn
    (shared by all cells, as in esda); cell ``i`` takes the first ``k_i - 1`` of them that
    are not ``i`` itself, so its own value stays fixed and its neighbours are a uniform
    random sample without replacement from the other ``n - 1`` cells. The simulated
    neighbour sum is a prefix sum of the drawn values, corrected where ``i`` was drawn.

    Returns ``(min(#sim >= obs, #sim <= obs) + 1) / (permutations + 1)``: one-sided in
    the direction of the observed deviation, like esda's ``p_sim`` (identical unless
    simulated and observed sums tie; ties count against significance). 1 where there is
    nothing to permute (no neighbours, constant values).
    """
    n = values.size
    out = np.ones(n)
    m = k - 1  # random neighbours per cell
    valid = (m >= 1) & (m <= n - 1)
    if permutations <= 0 or not valid.any() or np.ptp(values) == 0:
        return out
    rng = np.random.default_rng(seed)
    kmax = int(m[valid].max())
    draws = min(kmax + 1, n)
    observed = lag - values  # observed sum over the neighbours without the cell itself
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    m_safe = np.where(valid, m, 0)
    block = int(max(1, min(permutations, 4_000_000 // max(n, 1))))
    done = 0
    while done < permutations:
        b = min(block, permutations - done)
        idx = np.stack([rng.choice(n, size=draws, replace=False) for _ in range(b)])
        prefix = np.zeros((b, draws + 1))
        np.cumsum(values[idx], axis=1, out=prefix[:, 1:])
        rows = np.arange(b)[:, None]
        sim = prefix[rows, m_safe[None, :]]  # (b, n)
        # Cells that were drawn among their own first m_i draws take one more draw instead.
        pr = np.repeat(np.arange(b), draws)
        cells = idx.ravel()
        pos = np.tile(np.arange(draws), b)
        hit = pos < m_safe[cells]
        pr, cells = pr[hit], cells[hit]
        sim[pr, cells] = prefix[pr, m_safe[cells] + 1] - values[cells]
        ge += (sim >= observed[None, :]).sum(axis=0)
        le += (sim <= observed[None, :]).sum(axis=0)
        done += b
    p = (np.minimum(ge, le) + 1.0) / (permutations + 1.0)
    out[valid] = p[valid]
    return out


def gi_star(
    grid_or_xy: Grid | np.ndarray | gpd.GeoSeries | gpd.GeoDataFrame,
    values: np.ndarray,
    band: float,
    *,
    permutations: int = 0,
    seed: int = 0,
    fdr: bool = True,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot spot statistic with binary distance-band weights (self included).

    Parameters
    ----------
    grid_or_xy : a :class:`~geo.core.grid.Grid` (fast lattice stencil), or cell centres as an
        array (n, 2) in metres, or a GeoSeries/GeoDataFrame in a metric CRS (k-d tree).
    values : array (n,) aligned with the cells (e.g. counts per cell; zeros included).
    band : distance band in metres between cell centres; cells at distance ``<= band``
        are neighbours.
    permutations : number of conditional permutations for ``gi_p_sim`` (0: none).
    seed : seed of the permutation random generator (results are reproducible).
    fdr : classes from Benjamini–Hochberg adjusted p-values (ArcGIS "Apply False
        Discovery Rate Correction"); ``False``: from the plain p-values.

    Returns
    -------
    DataFrame with one row per cell (RangeIndex aligned with ``cell_id``):
    ``gi_z`` (z-score), ``gi_p`` (two-sided normal p, uncorrected), ``gi_p_fdr`` (BH
    adjusted), ``gi_class`` (−3..3), ``n_neighbours`` (cells within the band, itself
    included) and, when ``permutations > 0``, ``gi_p_sim`` (pseudo p, see
    :func:`_permutation_p`).
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    hood = _Neighbourhood(grid_or_xy, band)
    if values.size != hood.n:
        raise ValueError(f"values has {values.size} entries, but there are {hood.n} cells")
    if not np.isfinite(values).all():
        raise UserError("Die Werte enthalten fehlende oder unendliche Zahlen.")
    lag = hood.window_sum(values)
    z = gi_star_z(values, lag, hood.k)
    p = 2.0 * ndtr(-np.abs(z))
    p_fdr = fdr_bh(p)
    out = pd.DataFrame(
        {
            "gi_z": z,
            "gi_p": p,
            "gi_p_fdr": p_fdr,
            "gi_class": gi_classes(z, p_fdr if fdr else p),
            "n_neighbours": hood.k,
        }
    )
    if permutations and permutations > 0:
        out["gi_p_sim"] = _permutation_p(values, lag, hood.k, int(permutations), int(seed))
    return out


def moran_i(grid_or_xy: Grid | np.ndarray, values: np.ndarray, band: float) -> tuple[float, float]:
    """Global Moran's I with binary distance-band weights (self excluded) and its z-score.

    The z-score uses the variance under randomisation (as ArcGIS "Spatial Autocorrelation"
    and ``esda.Moran(y, w, transform="B").z_rand``). Returns ``(I, z)``; ``(0, 0)`` when
    it is undefined (constant values, no neighbour pairs, fewer than 4 cells).
    """
    values = np.asarray(values, dtype=np.float64)
    hood = _Neighbourhood(grid_or_xy, band)
    return _moran(values, hood)


def _moran(values: np.ndarray, hood: _Neighbourhood) -> tuple[float, float]:
    n = values.size
    z = values - values.mean()
    z2 = float(z @ z)
    kp = (hood.k - 1).astype(np.float64)
    s0 = float(kp.sum())
    if n < 4 or s0 == 0 or z2 <= 1e-24 * max(1.0, float(np.max(np.abs(values))) ** 2):
        return 0.0, 0.0
    lag = hood.window_sum(z) - z
    i_stat = n / s0 * float(z @ lag) / z2
    ei = -1.0 / (n - 1)
    s1 = 2.0 * s0
    s2 = float(np.sum((2.0 * kp) ** 2))
    b2 = n * float(np.sum(z**4)) / z2**2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    var = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    if not var > 0:
        return i_stat, 0.0
    return i_stat, (i_stat - ei) / math.sqrt(var)


# -- scale -----------------------------------------------------------------------------


#: German metre figure (``1.250 m``, ``37,5 m``): :func:`geo.core.fmt.metres`, kept under this name.
format_metres = fmt.metres


def nice_cell_size(c: float) -> float:
    """Round a cell size to a readable figure (steps of 1, 5, 10, 25 or 100 m)."""
    step = 1.0 if c < 20 else 5.0 if c < 100 else 10.0 if c < 250 else 25.0 if c < 1000 else 100.0
    return max(step, round(c / step) * step)


def _cell_for_count(area: float, n_cells: float, shape: GridShape) -> float:
    """Cell size (m) that gives ``n_cells`` cells of ``shape`` on ``area`` m²."""
    factor = 1.0 if shape == "square" else SQRT3 / 2.0
    return math.sqrt(area / (n_cells * factor))


def boundary_geometry(boundary: object) -> tuple[shapely.Geometry, str | None]:
    """The boundary polygon and its CRS from a StudyArea or a shapely geometry (CRS then unknown)."""
    if hasattr(boundary, "boundary") and hasattr(boundary, "crs") and not isinstance(boundary, shapely.Geometry):
        return boundary.boundary, str(boundary.crs)  # StudyArea
    if not isinstance(boundary, shapely.Geometry):
        raise TypeError("boundary must be a shapely geometry or a StudyArea")
    return boundary, None


def choose_band(
    grid: Grid, counts: np.ndarray, area: float | None = None
) -> tuple[float, str]:
    """Distance band (m) for Gi* on ``grid`` by incremental spatial autocorrelation.

    Global Moran's I (binary weights, z-score under randomisation) of ``counts`` is
    computed for the bands ``1.5, 2.5, … 20.5`` cell sizes (never more than a quarter of the
    square root of the area); the band is the **first peak** of the z-score (a band whose z
    is at least that of both neighbouring bands; the smallest band counts when the curve
    falls from the start) with ``z >= 1.96``. Without such a peak (no clustering, constant
    counts, too few bands) the band is the average distance from a cell to its ``K``
    nearest cells, ``K = 5 %`` of the cells clipped to ``3 .. 30`` (as ArcGIS's fallback),
    and at least 1.5 cell sizes. Returns ``(band, German rule text)``.
    """
    counts = np.asarray(counts, dtype=float)
    area = float(area) if area is not None else grid.n * grid.cell_area
    cell = grid.cell
    limit = max(1.5 * cell, math.sqrt(area) / 4.0)
    bands = [s * cell for s in ISA_STEPS if s * cell <= limit]
    zs: list[float] = []
    if grid.n >= 4 and len(bands) >= 2 and np.ptp(counts) > 0:
        zs = [_moran(counts, _Neighbourhood(grid, b))[1] for b in bands]
    peak = None
    for idx, zv in enumerate(zs):
        left = zs[idx - 1] if idx > 0 else -np.inf
        right = zs[idx + 1] if idx + 1 < len(zs) else None
        if right is None:
            break  # still rising at the last band: no peak
        if zv >= ISA_MIN_Z and zv >= left and zv >= right:
            peak = idx
            break
    if peak is not None:
        band = bands[peak]
        return band, (
            f"Distanzband {format_metres(band)}: erstes Maximum der räumlichen Autokorrelation "
            f"(Moran's I, z = {fmt.number(zs[peak], 1)}) unter {len(bands)} Distanzen von "
            f"{format_metres(bands[0])} bis {format_metres(bands[-1])} (inkrementelle Autokorrelation)."
        )
    k = int(min(30, max(3, round(0.05 * grid.n))))
    k = min(k, max(grid.n - 1, 0))
    if k >= 1:
        dist, _ = cKDTree(grid.xy).query(grid.xy, k=k + 1)
        band = float(np.mean(dist[:, 1:]))
    else:
        band = 1.5 * cell
    band = float(max(round(band), 1.5 * cell))
    varies = counts.size > 0 and np.ptp(counts) > 0
    why = "kein signifikantes Maximum der Autokorrelation" if varies else "keine Variation der Werte"
    return band, (
        f"Distanzband {format_metres(band)}: {why}, daher mittlerer Abstand zu den {k} nächsten Zellen "
        f"(mindestens 1,5 Zellgrößen)."
    )


def choose_scale(
    points_xy: np.ndarray,
    boundary: shapely.Geometry,
    weight: np.ndarray | None = None,
    *,
    shape: GridShape = "hex",
    crs: str = DEFAULT_CRS,
) -> tuple[float, float, str]:
    """Choose cell size and distance band for a hot spot analysis (Optimized-Hot-Spot-like rule).

    Parameters
    ----------
    points_xy : array (n, 2) of event coordinates in metres (metric ``crs``).
    boundary : study area polygon in the same CRS.
    weight : optional weights (n,) per event (e.g. syringes per find); used for the band.
    shape : grid shape the cell size is for.
    crs : metric CRS (only checked).

    Returns
    -------
    ``(cell, band, rule_text)`` – metres, metres, German explanation.

    Rule
    ----
    *Cell size*: the mean distance from each distinct event location inside the area to
    its nearest other location, clipped so that the area holds between 100 and 10 000
    cells, and rounded (steps of 1/5/10/25/100 m). With fewer than two distinct locations
    the area is divided into about 1 000 cells.

    *Band*: see :func:`choose_band` – first peak of the z-score of global Moran's I of the
    cell counts over the bands 1.5, 2.5, … cell sizes (incremental spatial
    autocorrelation), else the mean distance to the ``K`` nearest cells.
    """
    check_metric_crs(crs)
    geom, _ = boundary_geometry(boundary)
    xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    ok = np.isfinite(xy).all(axis=1)
    xy = xy[ok]
    w = None if weight is None else np.asarray(weight, dtype=float)[ok]
    area = float(geom.area)
    if not area > 0:
        raise UserError("Das Gebiet hat keine Fläche; es kann kein Raster erzeugt werden.")
    cmin = _cell_for_count(area, MAX_AUTO_CELLS, shape)
    cmax = _cell_for_count(area, MIN_AUTO_CELLS, shape)
    prepared = shapely.make_valid(geom)
    shapely.prepare(prepared)
    inside = xy[shapely.contains_xy(prepared, xy[:, 0], xy[:, 1])] if len(xy) else xy
    uniq = np.unique(inside, axis=0) if len(inside) else inside
    shape_label = "Sechsecke, Höhe" if shape == "hex" else "Quadrate, Kantenlänge"
    if len(uniq) >= 2:
        d, _ = cKDTree(uniq).query(uniq, k=2)
        dnn = float(np.mean(d[:, 1]))
        cell = nice_cell_size(min(max(dnn, cmin), cmax))
        cell_text = (
            f"Zellgröße {format_metres(cell)} ({shape_label}): mittlerer Abstand zwischen benachbarten "
            f"Ereignisorten {format_metres(dnn)}, begrenzt auf {format_metres(cmin)} bis {format_metres(cmax)} "
            f"(höchstens {MAX_AUTO_CELLS:_} und mindestens {MIN_AUTO_CELLS} Zellen im Gebiet), gerundet."
        ).replace("_", ".")
    else:
        cell = nice_cell_size(_cell_for_count(area, 1000, shape))
        cell_text = (
            f"Zellgröße {format_metres(cell)} ({shape_label}): zu wenige Ereignisorte für eine "
            f"datenabhängige Wahl, daher etwa 1.000 Zellen im Gebiet."
        )
    grid = make_grid(geom, cell, shape, crs)
    counts = aggregate_xy(grid, xy[:, 0], xy[:, 1], w)
    band, band_text = choose_band(grid, counts, area)
    return cell, band, f"{cell_text} {band_text}"


# -- the whole analysis ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """Result of :func:`hotspot_analysis`.

    Attributes
    ----------
    cells : GeoDataFrame (metric CRS) with ``cell_id, count, gi_z, gi_p, gi_p_fdr,
        gi_class, n_neighbours`` (+ ``gi_p_sim`` with permutations) and polygon geometry.
    cell : cell size in metres.
    band : distance band in metres.
    scale_rule : German text: how cell size and band were chosen.
    n_points : number of records counted into cells.
    n_ignored : records outside all cells or without geometry.
    shape : ``"hex"`` or ``"square"``.
    crs : the metric CRS of ``cells``.
    """

    cells: gpd.GeoDataFrame
    cell: float
    band: float
    scale_rule: str
    n_points: int
    n_ignored: int = 0
    shape: GridShape = "hex"
    crs: str = DEFAULT_CRS

    def class_counts(self) -> dict[int, int]:
        """Number of cells per Gi_Bin class ``-3 .. 3`` (all classes present as keys)."""
        vc = self.cells["gi_class"].value_counts()
        return {c: int(vc.get(c, 0)) for c in range(3, -4, -1)}


def _grid_counts_and_band(
    x: np.ndarray, y: np.ndarray, w: np.ndarray | None, geom: shapely.Geometry,
    cell: float | None, band: float | None, shape: GridShape, crs: str,
) -> tuple[Grid, np.ndarray, float, list[str]]:
    """The grid, the (weighted) counts per cell, the distance band and the German rules that chose them.

    A given ``cell`` / ``band`` is used as is; otherwise :func:`choose_scale` picks both (or
    :func:`choose_band` the band for a given cell). Points with non-finite coordinates are left out.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    rules: list[str] = []
    if cell is None:
        cell, auto_band, rule = choose_scale(
            np.column_stack([x[ok], y[ok]]), geom, None if w is None else w[ok], shape=shape, crs=crs
        )
        rules.append(rule)
        grid = make_grid(geom, cell, shape, crs)
        counts = aggregate_xy(grid, x[ok], y[ok], None if w is None else w[ok])
        if band is None:
            band = auto_band
        else:
            rules = [rule.split(" Distanzband ")[0], f"Distanzband {format_metres(float(band))}: vorgegeben."]
    else:
        grid = make_grid(geom, cell, shape, crs)
        counts = aggregate_xy(grid, x[ok], y[ok], None if w is None else w[ok])
        rules.append(f"Zellgröße {format_metres(float(cell))}: vorgegeben.")
        if band is None:
            band, band_rule = choose_band(grid, counts, float(geom.area))
            rules.append(band_rule)
        else:
            rules.append(f"Distanzband {format_metres(float(band))}: vorgegeben.")
    return grid, counts, float(band), rules


def hotspot_analysis(
    points: gpd.GeoDataFrame | np.ndarray,
    boundary: shapely.Geometry,
    *,
    weight: str | None = None,
    shape: GridShape = "hex",
    cell: float | None = None,
    band: float | None = None,
    permutations: int = 0,
    seed: int = 0,
    crs: str = DEFAULT_CRS,
) -> HotspotResult:
    """Aggregate events to a grid over the study area and run Gi* with FDR classes.

    Parameters
    ----------
    points : event records (GeoDataFrame/GeoSeries, reprojected to ``crs`` if their CRS
        differs) or an array (n, 2) of coordinates in ``crs``.
    boundary : study area polygon in ``crs`` (a :class:`~geo.core.area.StudyArea` is accepted;
        its boundary and CRS are used).
    weight : column to sum per cell (``KINDS[kind].weight_field``, e.g. ``"count"``);
        ``None`` counts records.
    shape : ``"hex"`` or ``"square"``.
    cell, band : cell size and distance band in metres; ``None`` chooses them with
        :func:`choose_scale` / :func:`choose_band`.
    permutations, seed : conditional permutations for ``gi_p_sim`` (0: none).
    crs : metric CRS of the analysis; geographic CRS are refused.

    Returns
    -------
    HotspotResult
    """
    geom, area_crs = boundary_geometry(boundary)
    if area_crs is not None:
        crs = area_crs
    crs = check_metric_crs(crs)
    x, y = point_coordinates(points, crs)
    w = point_weights(points, weight, len(x)) if weight is not None else None
    grid, counts, band, rules = _grid_counts_and_band(x, y, w, geom, cell, band, shape, crs)
    if grid.n == 0:
        raise UserError(
            f"Bei einer Zellgröße von {format_metres(grid.cell)} liegt kein Zellmittelpunkt im Gebiet; "
            "bitte eine kleinere Zellgröße wählen."
        )
    if band < grid.cell * 0.999:
        rules.append(
            "Hinweis: Das Distanzband ist kleiner als die Zellgröße; keine Zelle hat Nachbarn, "
            "daher gibt es keine Hotspots."
        )
    ids = grid.cell_ids_at(x, y)
    n_points = int((ids >= 0).sum())
    stats = gi_star(grid, counts, band, permutations=permutations, seed=seed, fdr=True)
    cells = gpd.GeoDataFrame(
        {"cell_id": grid.cells["cell_id"].to_numpy(), "count": counts, **{c: stats[c].to_numpy() for c in stats}},
        geometry=grid.cells.geometry.values,
        crs=grid.crs,
    )
    return HotspotResult(
        cells=cells,
        cell=float(grid.cell),
        band=band,
        scale_rule=" ".join(rules),
        n_points=n_points,
        n_ignored=int(len(x) - n_points),
        shape=shape,
        crs=grid.crs,
    )
