"""Kernel density estimation of events on a north-up raster in the metric CRS.

The density at a pixel centre ``c`` is ``f(c) = sum_i w_i K_h(|c - p_i|)`` with a radially
symmetric kernel that integrates to 1 over the plane, reported in **events per km²**
(``w_i`` = weight, e.g. syringes per find). Kernels (``h`` = ``bandwidth`` in metres):

* ``"quartic"`` (default, as ArcGIS "Kernel Density", Silverman 1986 eq. 4.5):
  ``K_h(d) = 3 / (pi h²) * (1 - d²/h²)²`` for ``d < h``, else 0 – ``h`` is the search radius.
* ``"gaussian"``: ``K_h(d) = 1 / (2 pi h²) * exp(-d² / (2 h²))`` – ``h`` is the standard
  deviation.

Default bandwidth (ArcGIS's default search radius, a spatial form of Silverman's rule of
thumb), see :func:`default_bandwidth`::

    h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n ** -0.2

``SD`` = standard distance of the (weighted) points from their (weighted) mean centre,
``Dm`` = (weighted) median distance from the mean centre, ``n`` = number of points or the
sum of the weights.

Methods: ``"fft"`` (default) bins the points linearly (each point's weight split
bilinearly between the four surrounding pixel centres), convolves the binned grid with
the kernel sampled on the pixel offsets by FFT and crops to the raster; points outside
the raster but within reach of the kernel contribute. The sampled kernel is corrected for
the mean bias of linear binning (:func:`_binned_kernel`). When pixels are coarse relative
to the bandwidth (pixel > h / 8 quartic, h / 4 gaussian), binning and convolution run on
a lattice refined by an integer factor whose nodes include the output pixel centres.
``"exact"`` evaluates the sum directly (chunked; for tests and small cases).

Accuracy (``tests/test_density.py``): on realistic point sets the FFT result lies within
1 % of the exact one, measured as the maximum absolute difference relative to the maximum
density (typically 0.02–0.5 %); where the density exceeds 10 % of its maximum the
relative error is below 2 %. Worst case, a single isolated point: about 1 % of its peak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from scipy import fft as sfft

from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.grid import check_metric_crs
from geo.core.points import point_coordinates, point_weights

Kernel = Literal["quartic", "gaussian"]
Method = Literal["fft", "exact"]

#: Pixels per bandwidth at least used internally by the FFT path (finer grid otherwise).
#: With the binning correction (see :func:`_binned_kernel`) the worst error for one
#: isolated point stays at about 1 % of its peak (quartic) / 0.5 % (gaussian); on point
#: sets with many points per kernel it is 5–20 times smaller.
MIN_PIXELS_PER_BANDWIDTH: dict[str, float] = {"quartic": 8.0, "gaussian": 4.0}
#: Gaussian kernels are truncated at this many standard deviations in the FFT path
#: (mass beyond: exp(-8) ≈ 3e-4).
GAUSSIAN_TRUNCATE = 4.0
#: FFT densities below this fraction of the maximum are set to 0 (rounding noise).
FFT_ZERO = 1e-5
#: Largest raster (output or internal) in pixels.
MAX_PIXELS = 25_000_000


@dataclass(frozen=True, eq=False)
class DensityResult:
    """A density raster.

    Attributes
    ----------
    density : float64 array (rows, cols), events per km² (weighted); row 0 is the
        northernmost row.
    transform : affine transform (rasterio convention, north-up): pixel ``(row, col)``
        corner ``(x, y) = transform * (col, row)``.
    bandwidth : kernel bandwidth in metres (quartic: radius; gaussian: standard deviation).
    crs : metric CRS of the raster.
    kernel : ``"quartic"`` or ``"gaussian"``.
    """

    density: np.ndarray
    transform: Affine
    bandwidth: float
    crs: str
    kernel: str = "quartic"

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.density.shape
        return rows, cols

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the raster in metres."""
        rows, cols = self.shape
        left, top = self.transform.c, self.transform.f
        return left, top + rows * self.transform.e, left + cols * self.transform.a, top

    @property
    def x(self) -> np.ndarray:
        """x of the pixel centres of each column (metres)."""
        return self.transform.c + (np.arange(self.shape[1]) + 0.5) * self.transform.a

    @property
    def y(self) -> np.ndarray:
        """y of the pixel centres of each row (metres, decreasing)."""
        return self.transform.f + (np.arange(self.shape[0]) + 0.5) * self.transform.e

    @property
    def pixel_area_km2(self) -> float:
        return abs(self.transform.a * self.transform.e) / 1e6


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    if np.all(weights == weights[0]):
        return float(np.median(values))
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def default_bandwidth(
    points_xy: np.ndarray,
    weights: np.ndarray | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> float:
    """ArcGIS's default search radius (m) for kernel density.

    ``h = 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n ** -0.2`` with ``SD`` the (weighted)
    standard distance ``sqrt(sum w d² / sum w)`` of the points from their (weighted) mean
    centre, ``Dm`` the (weighted) median of those distances and ``n`` the number of points
    (or the sum of the weights). When this is 0 (fewer than two distinct points) the
    fallback is ArcGIS's older default: the shorter side of ``bounds`` divided by 30
    (100 m without bounds).
    """
    xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    x, y = xy[:, 0], xy[:, 1]
    h = 0.0
    if weights is None or np.all(np.asarray(weights) == 1):
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.all():
            x, y = x[ok], y[ok]
        if len(x) >= 2:
            cx, cy = x.mean(), y.mean()
            d2 = (x - cx) ** 2 + (y - cy) ** 2
            sd = math.sqrt(float(d2.mean()))
            dm = math.sqrt(float(np.median(d2)))  # sqrt is monotone: median of d = sqrt(median d²)
            h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * len(x) ** -0.2
    else:
        w = np.asarray(weights, dtype=float).ravel()
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
        x, y, w = x[ok], y[ok], w[ok]
        if len(x) >= 2:
            total = float(w.sum())
            cx, cy = float((w * x).sum()) / total, float((w * y).sum()) / total
            d2 = (x - cx) ** 2 + (y - cy) ** 2
            sd = math.sqrt(float((w * d2).sum()) / total)
            dm = math.sqrt(_weighted_median(d2, w))
            h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * total**-0.2
    if not h > 0:
        if bounds is not None:
            h = min(bounds[2] - bounds[0], bounds[3] - bounds[1]) / 30.0
        h = h if h > 0 else 100.0
    return float(h)


def _kernel_values(d2: np.ndarray, h: float, kernel: Kernel) -> np.ndarray:
    """Kernel (per m²) at squared distances ``d2`` (m²)."""
    if kernel == "quartic":
        u = 1.0 - d2 / (h * h)
        return np.where(u > 0, (3.0 / (math.pi * h * h)) * u * u, 0.0)
    return (1.0 / (2.0 * math.pi * h * h)) * np.exp(-d2 / (2.0 * h * h))


def _raster_geometry(
    bounds: tuple[float, float, float, float], cell: float | None, shape: tuple[int, int] | None
) -> tuple[int, int, float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not (maxx > minx and maxy > miny) or not all(map(math.isfinite, (minx, miny, maxx, maxy))):
        raise UserError("Ungültiger Ausschnitt für die Dichte (leer oder nicht endlich).")
    if (cell is None) == (shape is None):
        raise ValueError("give exactly one of cell (metres) or shape (rows, cols)")
    if cell is not None:
        cell = float(cell)
        if not (cell > 0 and math.isfinite(cell)):
            raise UserError(f"Ungültige Pixelgröße {cell!r} m.")
        cols = max(1, math.ceil((maxx - minx) / cell - 1e-9))
        rows = max(1, math.ceil((maxy - miny) / cell - 1e-9))
        xres = yres = cell
        top = miny + rows * cell
    else:
        rows, cols = (int(v) for v in shape)  # type: ignore[union-attr]
        if rows < 1 or cols < 1:
            raise UserError("Die Rastergröße muss mindestens 1 × 1 sein.")
        xres, yres = (maxx - minx) / cols, (maxy - miny) / rows
        top = maxy
    if rows * cols > MAX_PIXELS:
        raise UserError(f"Das Raster wäre zu groß ({rows} × {cols} Pixel); bitte größere Pixel wählen.")
    return rows, cols, xres, yres, minx, top


def kde(
    points_xy: np.ndarray | gpd.GeoDataFrame | gpd.GeoSeries,
    weights: np.ndarray | str | None = None,
    *,
    bounds: tuple[float, float, float, float],
    cell: float | None = None,
    shape: tuple[int, int] | None = None,
    bandwidth: float | None = None,
    kernel: Kernel = "quartic",
    method: Method = "fft",
    crs: str = DEFAULT_CRS,
) -> DensityResult:
    """Kernel density of (weighted) points on a north-up raster.

    Parameters
    ----------
    points_xy : array (n, 2) of coordinates in metres (``crs``), or a GeoDataFrame /
        GeoSeries (reprojected to ``crs``).
    weights : array (n,), a column name of ``points_xy`` (missing values count 1), or
        ``None`` (each point counts 1).
    bounds : ``(minx, miny, maxx, maxy)`` of the raster in metres.
    cell : pixel size in metres (the raster grows to whole pixels to the east and north),
        or
    shape : ``(rows, cols)`` – pixels then exactly tile ``bounds``.
    bandwidth : metres; ``None``: :func:`default_bandwidth` (ArcGIS default search radius).
    kernel : ``"quartic"`` (radius ``bandwidth``) or ``"gaussian"`` (σ = ``bandwidth``).
    method : ``"fft"`` (linear binning + FFT convolution) or ``"exact"`` (direct sum).
    crs : metric CRS; geographic CRS are refused.

    Returns
    -------
    DensityResult (density in events per km²).
    """
    crs = check_metric_crs(crs)
    if kernel not in ("quartic", "gaussian"):
        raise UserError(f"Unbekannter Kern {kernel!r}; erlaubt sind 'quartic' und 'gaussian'.")
    if method not in ("fft", "exact"):
        raise ValueError(f"unknown method {method!r}")
    x, y = point_coordinates(points_xy, crs)
    if isinstance(weights, str):
        w = point_weights(points_xy, weights, len(x))
    elif weights is None:
        w = np.ones(len(x))
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.size != x.size:
            raise ValueError("weights must have one entry per point")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w)
    x, y, w = x[ok], y[ok], w[ok]
    rows, cols, xres, yres, left, top = _raster_geometry(bounds, cell, shape)
    if bandwidth is None:
        h = default_bandwidth(np.column_stack([x, y]), w, tuple(bounds))  # type: ignore[arg-type]
    else:
        h = float(bandwidth)
        if not (h > 0 and math.isfinite(h)):
            raise UserError(f"Ungültige Bandbreite {bandwidth!r} m; sie muss größer als 0 sein.")
    if method == "exact":
        dens = _kde_exact(x, y, w, rows, cols, xres, yres, left, top, h, kernel)
    else:
        dens = _kde_fft(x, y, w, rows, cols, xres, yres, left, top, h, kernel)
    transform = Affine(xres, 0.0, left, 0.0, -yres, top)
    return DensityResult(density=dens * 1e6, transform=transform, bandwidth=h, crs=crs, kernel=kernel)


def _kde_exact(x, y, w, rows, cols, xres, yres, left, top, h, kernel) -> np.ndarray:
    """Direct sum over all point–pixel pairs, in chunks of points (density per m²)."""
    xc = left + (np.arange(cols) + 0.5) * xres
    yc = top - (np.arange(rows) + 0.5) * yres
    out = np.zeros((rows, cols))
    chunk = max(1, 4_000_000 // max(rows * cols, 1))
    for start in range(0, len(x), chunk):
        sl = slice(start, start + chunk)
        dx2 = (xc[None, :, None] - x[sl][None, None, :]) ** 2
        dy2 = (yc[:, None, None] - y[sl][None, None, :]) ** 2
        out += _kernel_values(dx2 + dy2, h, kernel) @ w[sl]
    return out


def _kde_fft(x, y, w, rows, cols, xres, yres, left, top, h, kernel) -> np.ndarray:
    """Linear binning + FFT convolution (density per m²).

    The points are binned onto a lattice through the output pixel centres, refined by an
    integer factor ``s`` when pixels are coarse relative to the bandwidth (every ``s``-th
    lattice node is an output pixel centre), and padded by the kernel's reach so that
    points outside the raster contribute.
    """
    s = 1
    coarse = max(xres, yres) * MIN_PIXELS_PER_BANDWIDTH[kernel] / h
    if coarse > 1:
        s = math.ceil(coarse)
        while s > 1 and (rows * s) * (cols * s) > MAX_PIXELS:
            s -= 1
    fx, fy = xres / s, yres / s
    support = h if kernel == "quartic" else GAUSSIAN_TRUNCATE * h
    nx, ny = (cols - 1) * s + 1, (rows - 1) * s + 1  # lattice nodes covering the output centres
    # Padding by the kernel's reach (at most the raster itself; more adds nothing).
    px = min(max(1, math.ceil(support / fx)), nx)
    py = min(max(1, math.ceil(support / fy)), ny)
    # One extra node of margin on each side, so that all four binning corners of every
    # kept point fall inside the array (no per-corner masks); cropped away below.
    frows, fcols = ny + 2 * py + 2, nx + 2 * px + 2
    # Linear binning: fractional lattice index of each point (node 0 = first pixel centre).
    u = (x - (left + 0.5 * xres)) * (1.0 / fx) + (px + 1)
    v = ((top - 0.5 * yres) - y) * (1.0 / fy) + (py + 1)
    ok = (u >= 0) & (u < fcols - 1) & (v >= 0) & (v < frows - 1)
    if not ok.all():
        u, v, w = u[ok], v[ok], w[ok]
    u0 = u.astype(np.int64)  # u >= 0: truncation is floor
    v0 = v.astype(np.int64)
    fu = u - u0
    fv = v - v0
    idx = v0 * fcols + u0
    del u, v, u0, v0
    wb = w * fu
    wa = w - wb
    size = frows * fcols
    binned = np.bincount(idx, weights=wa * (1.0 - fv), minlength=size)
    binned += np.bincount(idx + 1, weights=wb * (1.0 - fv), minlength=size)
    binned += np.bincount(idx + fcols, weights=wa * fv, minlength=size)
    binned += np.bincount(idx + (fcols + 1), weights=wb * fv, minlength=size)
    binned = binned.reshape(frows, fcols)[1:-1, 1:-1]
    kern = _binned_kernel(px, py, fx, fy, h, kernel)
    full = _fft_convolve_valid(binned, kern)  # (ny, nx): the lattice nodes of the raster
    out = full[::s, ::s]
    out = np.ascontiguousarray(out)
    if (w >= 0).all():
        # Single-precision FFT rounding (~1e-7 of the maximum) and the binning correction
        # leave tiny non-zero values where no point reaches; clear them so that "no
        # density" is exactly 0.
        top = float(out.max()) if out.size else 0.0
        out[out < FFT_ZERO * top] = 0.0
    return out


def _binned_kernel(px: int, py: int, fx: float, fy: float, h: float, kernel: Kernel) -> np.ndarray:
    """The kernel sampled on pixel offsets ``(-py..py) × (-px..px)``, corrected for linear binning.

    Linear binning evaluates, for each point, the bilinear interpolation of the kernel
    between the four surrounding pixel centres instead of the kernel itself; the error is
    ``t(1 - t) * fx² / 2 * K_xx`` (``t`` = sub-pixel offset) plus the same in y. Its mean
    over uniformly distributed offsets (``E[t(1 - t)] = 1/6``) is removed by sampling
    ``K - fx²/12 * K_xx - fy²/12 * K_yy`` (analytic second derivatives) instead of ``K``.
    This keeps the total mass and leaves only the zero-mean part of the binning error.
    """
    dx = np.arange(-px, px + 1) * fx
    dy = np.arange(-py, py + 1) * fy
    x2 = (dx * dx)[None, :]
    y2 = (dy * dy)[:, None]
    r2 = x2 + y2
    k = _kernel_values(r2, h, kernel)
    h2 = h * h
    if kernel == "gaussian":
        kxx = k * (x2 / h2 - 1.0) / h2
        kyy = k * (y2 / h2 - 1.0) / h2
    else:
        c = 3.0 / (math.pi * h2)
        inside = r2 < h2
        base = 1.0 - r2 / h2
        kxx = np.where(inside, -4.0 * c / h2 * (base - 2.0 * x2 / h2), 0.0)
        kyy = np.where(inside, -4.0 * c / h2 * (base - 2.0 * y2 / h2), 0.0)
    return k - (fx * fx / 12.0) * kxx - (fy * fy / 12.0) * kyy


def _fft_convolve_valid(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``scipy.signal.fftconvolve(a, k, mode="valid")`` for a small kernel ``k``, fast.

    Uses a *circular* convolution of (fast) size ``>= a.shape``: the outputs of the valid
    region only ever reach back ``k.shape - 1`` samples, so the wrap-around touches only
    the discarded border and no extra zero padding to ``a + k - 1`` is needed. Single
    precision real FFTs on all cores (relative rounding ~1e-7 of the maximum, far below the
    binning error).
    """
    shape = [sfft.next_fast_len(a.shape[i], real=True) for i in range(2)]
    fa = sfft.rfft2(a.astype(np.float32), shape, workers=-1)
    fa *= sfft.rfft2(k.astype(np.float32), shape, workers=-1)
    full = sfft.irfft2(fa, shape, workers=-1)
    r0, c0 = k.shape[0] - 1, k.shape[1] - 1
    return full[r0 : a.shape[0], c0 : a.shape[1]].astype(np.float64)


def density_contours(
    result: DensityResult,
    levels: Sequence[float] | int = 5,
    *,
    clip: shapely.Geometry | None = None,
) -> gpd.GeoDataFrame:
    """Threshold polygons of a density raster: for each level the area where density ≥ level.

    Parameters
    ----------
    result : a :class:`DensityResult`.
    levels : density thresholds in events per km², or an int ``k`` for ``k`` levels evenly
        spaced between 0 and the maximum (exclusive: ``max * i / (k + 1)``).
    clip : optional polygon (raster CRS) the polygons are clipped to, e.g. the study area.

    Returns
    -------
    GeoDataFrame in ``result.crs`` with columns ``level`` (float, ascending) and polygon /
    multipolygon ``geometry`` – nested areas, one row per level that is reached anywhere.
    The outlines are marching-squares contours (contourpy) through the pixel centres, so
    they are smooth and topologically valid (holes included).
    """
    import contourpy

    dens = np.asarray(result.density, dtype=float)
    vmax = float(np.nanmax(dens)) if dens.size else 0.0
    if isinstance(levels, int | np.integer):
        lv = [vmax * (i + 1) / (int(levels) + 1) for i in range(int(levels))] if vmax > 0 else []
    else:
        lv = sorted(float(v) for v in levels)
    geoms: list[shapely.Geometry] = []
    kept: list[float] = []
    if dens.size and lv:
        # contourpy wants increasing coordinates: flip the north-up rows.
        gen = contourpy.contour_generator(
            result.x, result.y[::-1], dens[::-1], fill_type="OuterOffset", corner_mask=True
        )
        for level in lv:
            if not level < vmax:
                continue
            filled: Any = gen.filled(level, np.inf)  # OuterOffset: lists of points and offsets per polygon
            points, offsets = filled
            polys = [
                shapely.Polygon(pts[off[0] : off[1]], [pts[a:b] for a, b in zip(off[1:-1], off[2:], strict=True)])
                for pts, off in zip(points, offsets, strict=True)
            ]
            geom = shapely.make_valid(shapely.union_all(polys)) if polys else shapely.Polygon()
            if clip is not None:
                geom = shapely.intersection(geom, clip)
            geom = _polygonal(geom)
            if not geom.is_empty:
                geoms.append(geom)
                kept.append(level)
    return gpd.GeoDataFrame({"level": np.array(kept, dtype=float)}, geometry=geoms, crs=result.crs)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of ``geom`` (make_valid/intersection may add lines)."""
    if geom.geom_type in ("Polygon", "MultiPolygon") or geom.is_empty:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
