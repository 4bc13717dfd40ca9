"""Forecast surfaces: candidate maps of the next period's events on one metric grid.

Each surface is a pure function of the *history* ``C[0 .. k-1]`` (events per period and
cell, oldest first; :func:`geo.analysis.forecast.period_counts`); a larger value means more
events expected. The formulas are in each function's docstring and in
:mod:`geo.analysis.forecast`. A :class:`Candidate` names one surface with its parameter;
:func:`default_candidates` lists those the backtest (:mod:`geo.analysis.backtest`) tries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from geo.analysis.density import default_bandwidth
from geo.analysis.hotspots import gi_star
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.grid import Grid

#: Surface families in order of simplicity (a tie in mean PAI goes to the earlier one).
FAMILIES: tuple[str, ...] = ("counts", "decay", "kde", "gistar", "blend")
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
#: Periods whose mean number of events gives the expected total of the next period.
EXPECTED_TOTAL_PERIODS = 3


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

    def label(self, cell_m: float | None = None, period_text: str | None = None) -> str:
        """German description, e.g. ``Zeitgewichtung (Halbwertszeit 2 Zeiträume)``.

        With ``period_text`` (one period, e.g. ``"2 Monate"``) spans are said in months or days as in
        :meth:`phrase`: ``Zeitgewichtung (Halbwertszeit 4 Monate)``, ``Anzahl der letzten 12 Monate``.
        """
        p = self.param

        def window(periods: int) -> str:  # "letzte 6 Zeiträume" / "letzte 12 Monate"
            if period_text:
                return _window_noun(periods, period_text)
            return "letzter Zeitraum" if periods == 1 else f"letzte {periods} Zeiträume"

        if self.family == "counts":
            if period_text:
                return f"Anzahl {_window_text(int(p), period_text)}"
            return "Anzahl im letzten Zeitraum" if int(p) == 1 else f"Anzahl der letzten {int(p)} Zeiträume"
        if self.family == "decay":
            span = _span_text(float(p), period_text) if period_text else (
                f"{_de(p)} {'Zeitraum' if p == 1 else 'Zeiträume'}")
            return f"Zeitgewichtung (Halbwertszeit {span})"
        if self.family == "kde":
            b = "Bandbreite ArcGIS-Standard" if p == "arcgis" else (
                f"Bandbreite {_de(float(p) * cell_m)} m" if cell_m else f"Bandbreite {_de(p)} Zellgrößen")
            return f"Kerndichte ({b}, {window(self.window)})"
        if self.family == "gistar":
            d = f"{_de(float(p) * cell_m)} m" if cell_m else f"{_de(p)} Zellgrößen"
            return f"Hotspots Gi* (Distanzband {d}, {window(1)})"
        return (f"Mischung ({_de(100 * float(p))} % {window(1)}, {_de(100 * (1 - float(p)))} % "
                f"{window(BLEND_LONG)})")

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
    """German number without needless decimals: ``2``, ``0,5``, ``1.500``."""
    v = round(float(v), 6)  # 100 * (1 - 0.7) is 30.000000000000004, shown as 30
    return fmt.number(v, 0 if v.is_integer() else (1 if round(10 * v, 6).is_integer() else 2))


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


def _window_noun(periods: int, period_text: str) -> str:
    """``letzte 12 Monate`` / ``letzter Monat`` for ``periods`` periods of ``period_text``."""
    text = _window_text(periods, period_text)
    if text.startswith("des letzten "):
        return "letzter " + text.removeprefix("des letzten ").removesuffix("s").removesuffix("e")
    return "letzte " + text.removeprefix("der letzten ")


def default_candidates() -> list[Candidate]:
    """All candidates, in the order of :data:`FAMILIES` (simplest first within each family)."""
    out = [Candidate("counts", w, w) for w in COUNT_WINDOWS]
    out += [Candidate("decay", h, 0) for h in HALF_LIVES]
    out += [Candidate("kde", b, w) for w in KDE_WINDOWS for b in KDE_BANDWIDTHS]
    out += [Candidate("gistar", d, 1) for d in GISTAR_BANDS]
    out += [Candidate("blend", a, BLEND_LONG) for a in BLEND_ALPHAS]
    return out


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


__all__ = [
    "BLEND_ALPHAS", "BLEND_LONG", "BLEND_RECENT", "COUNT_WINDOWS", "EXPECTED_TOTAL_PERIODS", "FAMILIES",
    "GISTAR_BANDS", "HALF_LIVES", "KDE_BANDWIDTHS", "KDE_WINDOWS", "Candidate", "arcgis_bandwidth", "blend_surface",
    "counts_surface", "decay_surface", "default_candidates", "expected_events", "gistar_surface", "kde_surface",
    "quartic_kernel", "surface",
]
