"""How concentrated: the share of events at the top places, Lorenz curve, Gini, ranked repeat places.

Crime analysis knows that a few places carry most events (about half of all crime on 2–6 % of
street segments, Weisburd 2015). This module measures that for any report kind.

Places (units)
--------------
* **grid cells** over the study area (hexagons or squares, default 100 m), every cell counts, also
  the empty ones;
* **street segments** when a street network is given: each line feature of the street layer is a
  segment (as imported, e.g. one per block between crossings); an event belongs to its nearest
  segment within ``max_snap_m`` (default 50 m), events farther away are left out and reported.

Figures
-------
With ``N`` places, counts ``c`` sorted in descending order and ``E = Σ c``:

* **top share** of the top ``p`` of places: ``Σ_{i ≤ k} c_(i) / E`` with ``k = ⌈p · N⌉`` places
  (at least one);
* **places for half**: the smallest share of places ``k / N`` that holds at least half the events;
* **Lorenz curve**: places in *ascending* order, ``x_i = i / N`` (share of places), ``y_i = Σ_{j ≤ i}
  c_(j) / E`` (share of events), from ``(0, 0)`` to ``(1, 1)``;
* **Gini coefficient** ``G = Σ_i Σ_j |c_i − c_j| / (2 N² c̄)`` = 1 − Σ (x_i − x_{i−1})(y_i + y_{i−1})
  (the area between the Lorenz curve and the diagonal, doubled). Equal counts give 0, all events
  at one place ``1 − 1/N``;
* with fewer events than places (``E < N``) even the most even spread leaves places empty and
  inflates ``G``; the **generalised Gini** of Bernasco & Steenbeek (2017) measures against that
  spread (``E`` places with one event each, Gini ``1 − E/N``):
  ``G' = (G − (1 − E/N)) / (E/N)``; it equals ``G`` when ``E ≥ N``.

Repeat places
-------------
Places with at least two events, ranked by count, with the counts in the first and second half
of the period and a trend: *zunehmend* / *abnehmend* when the exact conditional binomial test of
:func:`geo.analysis.compare.poisson_rate_test` gives ``p ≤ 0.05``, else *gleichbleibend*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.compare import poisson_rate_test
from geo.core import fmt
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.grid import GridShape, make_grid
from geo.core.period import Period
from geo.core.points import point_coordinates
from geo.core.quality import spatial_records

#: Shares of places whose share of events is reported.
TOP_SHARES: tuple[float, ...] = (0.01, 0.05, 0.10)
DEFAULT_CELL_M = 100.0
DEFAULT_MAX_SNAP_M = 50.0
#: Smallest number of events that makes a place a repeat place.
MIN_REPEAT = 2
TRENDS: dict[int, str] = {1: "zunehmend", 0: "gleichbleibend", -1: "abnehmend"}


# ---------------------------------------------------------------------------- the figures
def top_share(counts: np.ndarray, share: float) -> float:
    """Share (0–1) of all events at the top ``⌈share · N⌉`` places (at least one)."""
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    total = c.sum()
    if len(c) == 0 or total <= 0:
        return float("nan")
    k = max(1, math.ceil(share * len(c) - 1e-9))
    return float(c[:k].sum() / total)


def places_for_share(counts: np.ndarray, share: float = 0.5) -> float:
    """Smallest share of places (0–1) that holds at least ``share`` of the events."""
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    total = c.sum()
    if len(c) == 0 or total <= 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(c), share * total - 1e-9 * total)) + 1
    return float(min(k, len(c)) / len(c))


def lorenz_curve(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve ``(x, y)``: cumulative share of places (ascending counts) and of events, from (0, 0)."""
    c = np.sort(np.asarray(counts, dtype=float))
    n = len(c)
    total = c.sum()
    x = np.arange(n + 1) / max(n, 1)
    y = np.concatenate([[0.0], np.cumsum(c) / total]) if total > 0 else x.copy()
    return x, y


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of counts per place: 1 − Σ (x_i − x_{i−1})(y_i + y_{i−1}) on the Lorenz curve."""
    c = np.asarray(counts, dtype=float)
    if len(c) == 0 or c.sum() <= 0:
        return float("nan")
    x, y = lorenz_curve(c)
    return float(max(0.0, 1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1]))))


def gini_generalised(counts: np.ndarray) -> float:
    """Generalised Gini (Bernasco & Steenbeek 2017) for fewer events than places; ``= gini`` otherwise."""
    c = np.asarray(counts, dtype=float)
    g = gini(c)
    n, e = len(c), c.sum()
    if not np.isfinite(g) or e >= n:
        return g
    ratio = e / n
    return float(max(0.0, (g - (1.0 - ratio)) / ratio))


# ---------------------------------------------------------------------------- places
def grid_units(area, cell_m: float = DEFAULT_CELL_M, shape: GridShape = "hex") -> gpd.GeoDataFrame:
    """Grid cells over the study area as places: ``unit_id``, ``geometry`` (metric CRS)."""
    boundary = getattr(area, "boundary", area)
    crs = getattr(area, "crs", DEFAULT_CRS)
    grid = make_grid(boundary, cell_m, shape, crs)
    return gpd.GeoDataFrame({"unit_id": grid.cells["cell_id"].to_numpy()}, geometry=grid.cells.geometry.values,
                            crs=grid.crs)


def street_units(streets: gpd.GeoDataFrame | gpd.GeoSeries, crs: str) -> gpd.GeoDataFrame:
    """Street segments as places: each (Multi)LineString feature is one segment; ``name`` when given."""
    series = streets.geometry if isinstance(streets, gpd.GeoDataFrame) else streets
    series = series.set_crs(crs) if series.crs is None else series.to_crs(crs)
    geoms = np.asarray(series.values, dtype=object)
    is_line = np.isin(shapely.get_type_id(geoms), (1, 5)) & ~shapely.is_empty(geoms)
    if not is_line.any():
        raise UserError("Das Straßennetz enthält keine Linien.")
    names = (streets["name"].astype(object).where(streets["name"].notna(), "").to_numpy()[is_line]
             if isinstance(streets, gpd.GeoDataFrame) and "name" in streets else np.full(is_line.sum(), ""))
    return gpd.GeoDataFrame({"unit_id": np.arange(int(is_line.sum())), "name": names},
                            geometry=geoms[is_line], crs=crs)


def assign_units(x: np.ndarray, y: np.ndarray, units: gpd.GeoDataFrame, *, lines: bool,
                 max_snap_m: float = DEFAULT_MAX_SNAP_M) -> np.ndarray:
    """Index of each point's place (−1: none): the cell containing it, or the nearest street within reach."""
    out = np.full(len(x), -1, dtype=np.int64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any() or not len(units):
        return out
    pts = shapely.points(x[ok], y[ok])
    geoms = np.asarray(units.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    if lines:
        src, tgt = tree.query_nearest(pts, max_distance=max_snap_m, all_matches=False)
    else:
        src, tgt = tree.query(pts, predicate="intersects")
        first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.array([], dtype=bool)
        src, tgt = src[first], tgt[first]  # a point on a shared edge belongs to the first cell
    idx = np.flatnonzero(ok)
    out[idx[src]] = tgt
    return out


def label_units(units: gpd.GeoDataFrame, named: gpd.GeoDataFrame | None, max_distance_m: float = 150.0,
                column: str = "name") -> np.ndarray:
    """Name of the nearest named place (e.g. sensitive places) within ``max_distance_m``, else ``""``."""
    # TODO(geography): use the place names of the geography issue when they exist
    out = np.full(len(units), "", dtype=object)
    if named is None or not len(named) or column not in named or not len(units):
        return out
    named = named.to_crs(units.crs) if named.crs is not None and units.crs is not None else named
    tree = shapely.STRtree(np.asarray(named.geometry.values, dtype=object))
    src, tgt = tree.query_nearest(np.asarray(units.geometry.values, dtype=object), max_distance=max_distance_m,
                                  all_matches=False)
    out[src] = named[column].astype(str).to_numpy()[tgt]
    return out


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class Concentration:
    """Result of :func:`concentration_analysis`.

    Attributes
    ----------
    units : the places (GeoDataFrame, metric CRS): ``unit_id``, ``count``, ``count_first``,
        ``count_second`` (+ ``name``) and geometry.
    counts : events per place (float64, aligned with ``units``; empty places are 0).
    unit_type : ``"cell"`` or ``"street"``.
    n_events : events counted at a place; n_left_out : events at no place (outside the grid or
        farther than ``max_snap_m`` from every street, without geometry, or on a geocoding fallback
        point: :func:`geo.core.quality.spatial_records`).
    top_shares : {0.01: share, 0.05: …, 0.10: …} of events at the top 1/5/10 % of places.
    half : smallest share of places holding half the events.
    gini, gini_generalised : see the module docstring.
    lorenz : ``(x, y)`` arrays of the Lorenz curve.
    period : the period (halves give the trend) or ``None``.
    cell_m, max_snap_m : the inputs.
    """

    units: gpd.GeoDataFrame
    counts: np.ndarray
    unit_type: str
    n_events: int
    n_left_out: int
    top_shares: dict[float, float]
    half: float
    gini: float
    gini_generalised: float
    lorenz: tuple[np.ndarray, np.ndarray]
    period: Period | None = None
    cell_m: float | None = None
    max_snap_m: float | None = None

    @property
    def unit_label(self) -> tuple[str, str]:
        """German singular and plural of the places."""
        return ("Zelle", "Zellen") if self.unit_type == "cell" else ("Straßenabschnitt", "Straßenabschnitte")

    def repeat_places(self, min_count: int = MIN_REPEAT) -> gpd.GeoDataFrame:
        """Places with at least ``min_count`` events, ranked (``rank`` 1 = most), with share and trend."""
        u = self.units
        keep = u[u["count"] >= min_count].copy()
        keep = keep.sort_values(["count", "unit_id"], ascending=[False, True], kind="stable")
        keep.insert(0, "rank", np.arange(1, len(keep) + 1))
        total = self.counts.sum()
        keep["share"] = keep["count"] / total if total > 0 else np.nan
        keep["cumulative_share"] = keep["share"].cumsum()
        if self.period is not None and len(keep):
            days_a = (self.period.days + 1) // 2
            p = poisson_rate_test(keep["count_first"].to_numpy(), keep["count_second"].to_numpy(),
                                  days_a, self.period.days - days_a)
            sign = np.sign(keep["count_second"].to_numpy() - keep["count_first"].to_numpy())
            code = np.where(p <= 0.05, sign, 0).astype(int)
            keep["trend_p"] = p
        else:
            code = np.zeros(len(keep), dtype=int)
            keep["trend_p"] = np.nan
        keep["trend"] = [TRENDS[int(c)] for c in code]
        return keep.reset_index(drop=True)

    def summary_lines(self, label: str = "Ereignisse") -> list[str]:
        """German lines: top shares, places for half, Gini."""
        one, many = self.unit_label
        lines = [f"{fmt.number(self.n_events)} {label} auf {fmt.number(len(self.counts))} {many}"
                 + (f" ({self.n_left_out} keinem Ort zugeordnet)" if self.n_left_out else "")]
        for share, value in self.top_shares.items():
            lines.append(f"Top {100 * share:.0f} % der {many}: {fmt.percent(value)} der {label}")
        half = fmt.percent(self.half, 1)
        lines.append(f"Die Hälfte der {label} liegt auf {half} der {many}")
        g = fmt.number(self.gini, 2)
        lines.append(f"Gini-Koeffizient: {g} (0 = gleichmäßig verteilt, 1 = alles an einem Ort)")
        if np.isfinite(self.gini_generalised) and self.gini_generalised != self.gini:
            lines.append(f"Gini für wenige Ereignisse (Bernasco & Steenbeek): {fmt.number(self.gini_generalised, 2)}")
        return lines


def concentration_analysis(
    records: gpd.GeoDataFrame,
    area,
    *,
    date_field: str | None = None,
    period: Period | None = None,
    weight: str | None = None,
    cell_m: float = DEFAULT_CELL_M,
    shape: GridShape = "hex",
    streets: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    named: gpd.GeoDataFrame | None = None,
) -> Concentration:
    """Concentration of events on places (grid cells, or street segments when ``streets`` are given).

    Parameters
    ----------
    records : event records (points) in the area's metric CRS.
    area : :class:`~geo.core.area.StudyArea` (or a polygon in EPSG:25833).
    date_field, period : with both, counts in the first and second half of ``period`` give each
        place's trend (halves of equal length; the middle day goes to the first half when odd).
    weight : column to sum instead of counting records (e.g. ``"count"`` for syringes).
    cell_m, shape : the grid (ignored with ``streets``).
    streets : street lines; each feature is a segment.
    max_snap_m : farthest distance from an event to its street segment.
    named : named places (e.g. sensitive places) to name the places after (nearest within 150 m).
    """
    records, n_unlocated = spatial_records(records)  # fallback points ("Sammelpunkt", "ungenau") are no place
    crs = getattr(area, "crs", DEFAULT_CRS)
    if streets is not None:
        units = street_units(streets, crs)
        unit_type = "street"
    else:
        if not (cell_m and cell_m > 0):
            raise UserError("Die Zellgröße muss größer als 0 sein.")
        units = grid_units(area, cell_m, shape)
        unit_type = "cell"
    x, y = point_coordinates(records, crs) if len(records) else (np.array([]), np.array([]))
    w = (pd.to_numeric(records[weight], errors="coerce").fillna(1.0).to_numpy(dtype=float)
         if weight is not None and weight in records else np.ones(len(x)))
    unit = assign_units(x, y, units, lines=unit_type == "street", max_snap_m=max_snap_m)
    at = unit >= 0
    n = len(units)
    counts = np.bincount(unit[at], weights=w[at], minlength=n).astype(float)
    first = second = np.zeros(n)
    if period is not None and period.days >= 2 and date_field is not None and date_field in records:
        t = pd.to_datetime(records[date_field]).to_numpy(dtype="datetime64[ns]")
        mid = pd.Timestamp(period.start) + pd.Timedelta(days=(period.days + 1) // 2)
        early = t < mid.to_datetime64()
        first = np.bincount(unit[at & early], weights=w[at & early], minlength=n).astype(float)
        second = counts - first
    else:
        period = None
    out = units.copy()
    out["count"] = counts
    out["count_first"] = first
    out["count_second"] = second
    if unit_type == "cell":
        out["name"] = label_units(units, named)
    return Concentration(
        units=out, counts=counts, unit_type=unit_type, n_events=int(at.sum()),
        n_left_out=int((~at).sum()) + n_unlocated,
        top_shares={s: top_share(counts, s) for s in TOP_SHARES}, half=places_for_share(counts, 0.5),
        gini=gini(counts), gini_generalised=gini_generalised(counts), lorenz=lorenz_curve(counts),
        period=period, cell_m=cell_m if unit_type == "cell" else None,
        max_snap_m=max_snap_m if unit_type == "street" else None,
    )
