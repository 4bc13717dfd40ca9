"""Disposal bins: how well they cover syringe finds, and which bins could be moved.

:func:`analyse_coverage` answers two questions of the street cleaning service (issue 6):
which finds of a period lie within a walking radius of a bin active in that period (shares
of finds and syringes covered, finds per bin, bins that cover nothing, uncovered finds and
uncovered hot spot cells), and which existing bins could be moved with the least loss —
the weight each bin covers alone (``unique_syringes``), ranked (:attr:`CoverageResult.bins`).

Distances are straight-line by default or along streets when a
:class:`geo.analysis.streets.StreetNetwork` is given. All coordinates are metres in the
study area's metric CRS (default EPSG:25833). Period filters use
:meth:`geo.core.period.Period.select` (calendar dates, both inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.analysis.streets import StreetNetwork, pair_matrix, pairs_within
from geo.core import fmt
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.points import find_weights, point_xy, to_metric
from geo.core.schema import DISPOSAL_BIN, SYRINGE_FIND

#: Default walking radius (m).
DEFAULT_RADIUS_M = 150.0
#: Hot spot classes (``gi_class``) from this value upward count as hot.
HOT_MIN_CLASS = 1
#: Verdicts of a bin's own evaluation (:mod:`geo.analysis.evaluate`) that keep it off the removal list: few finds
#: near a bin that demonstrably works mean it works, not that it is dispensable.
KEEP_VERDICTS: tuple[str, ...] = ("effect", "diffusion")

Weight = Literal["syringes", "finds"]
Metric = Literal["straight", "network"]

METRIC_LABELS: dict[str, str] = {"straight": "Luftlinie", "network": "Fußweg entlang der Straßen"}


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """How well the active bins cover the finds of a period.

    Attributes
    ----------
    finds : the period's finds (metric CRS, 0-based index, input columns kept) plus
        ``covered`` (bool), ``n_bins`` (number of bins within the radius) and
        ``nearest_bin_m`` (straight-line distance to the nearest active bin in metres,
        NaN without bins).
    bins : the active bins plus ``covered_finds`` / ``covered_syringes`` (all finds within
        the radius; a find near two bins counts for both), ``unique_finds`` /
        ``unique_syringes`` (covered by this bin alone = coverage lost if it is removed),
        ``idle`` (covers nothing), ``rank`` (1 = largest loss if removed),
        ``removal_rank`` (1 = smallest loss; the first candidate for moving; missing for a bin whose
        evaluation shows it works, see :data:`KEEP_VERDICTS`) and ``removal_reason`` (German: why it is ranked
        there). With ``effects`` also ``effect`` (verdict code), ``effect_label`` and ``effect_change_pct``.
    hot_cells : hot spot cells (``gi_class`` ≥ :data:`HOT_MIN_CLASS`) with ``covered``
        (the cell's centre within the radius of a bin); None if no cells were given.
    radius_m : walking radius in metres.
    metric : ``"straight"`` or ``"network"``.
    weight : ``"syringes"`` or ``"finds"`` — what the ranking (and siting) maximises.
    period : the period, or None for all records.
    crs : metric CRS of all geometries.
    network : the street network used, if any.
    """

    finds: gpd.GeoDataFrame
    bins: gpd.GeoDataFrame
    hot_cells: gpd.GeoDataFrame | None
    radius_m: float
    metric: Metric
    weight: Weight
    period: Period | None
    crs: str
    network: StreetNetwork | None = None

    @property
    def n_finds(self) -> int:
        return len(self.finds)

    @property
    def n_syringes(self) -> int:
        return int(self.finds["count"].sum()) if len(self.finds) else 0

    @property
    def covered_finds(self) -> int:
        return int(self.finds["covered"].sum())

    @property
    def covered_syringes(self) -> int:
        return int(self.finds.loc[self.finds["covered"], "count"].sum())

    @property
    def share_finds(self) -> float:
        """Share of finds covered, 0–1 (NaN without finds)."""
        return self.covered_finds / self.n_finds if self.n_finds else float("nan")

    @property
    def share_syringes(self) -> float:
        """Share of syringes covered, 0–1 (NaN without finds)."""
        return self.covered_syringes / self.n_syringes if self.n_syringes else float("nan")

    @property
    def uncovered_finds(self) -> gpd.GeoDataFrame:
        return self.finds.loc[~self.finds["covered"]]

    @property
    def idle_bins(self) -> gpd.GeoDataFrame:
        """Active bins with no find within the radius."""
        return self.bins.loc[self.bins["idle"]]

    @property
    def removal_ranking(self) -> gpd.GeoDataFrame:
        """Active bins that may be moved, ordered by loss if removed, smallest first."""
        return self.bins.loc[self.bins["removal_rank"].notna()].sort_values("removal_rank")

    @property
    def kept_bins(self) -> gpd.GeoDataFrame:
        """Active bins never offered for moving: their own evaluation shows an effect."""
        return self.bins.loc[self.bins["removal_rank"].isna()]

    @property
    def uncovered_hot_cells(self) -> gpd.GeoDataFrame | None:
        return None if self.hot_cells is None else self.hot_cells.loc[~self.hot_cells["covered"]]

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.metric]

    def summary(self) -> dict[str, float | int]:
        """Key figures as a flat dict (for tables and JSON)."""
        out = {
            "radius_m": self.radius_m,
            "bins": len(self.bins),
            "idle_bins": int(self.bins["idle"].sum()),
            "finds": self.n_finds,
            "syringes": self.n_syringes,
            "covered_finds": self.covered_finds,
            "covered_syringes": self.covered_syringes,
            "share_finds": self.share_finds,
            "share_syringes": self.share_syringes,
        }
        if self.hot_cells is not None:
            out["hot_cells"] = len(self.hot_cells)
            out["uncovered_hot_cells"] = int((~self.hot_cells["covered"]).sum())
        return out


def _rank(primary: np.ndarray, secondary: np.ndarray, descending: bool) -> np.ndarray:
    """1-based ranks by (primary, secondary), ties by position."""
    sign = -1 if descending else 1
    order = np.lexsort((np.arange(len(primary)), sign * secondary, sign * primary))
    rank = np.empty(len(primary), dtype=np.int64)
    rank[order] = np.arange(1, len(primary) + 1)
    return rank


def _bins_with_coverage(
    bins: gpd.GeoDataFrame, cover, fi: np.ndarray, bi: np.ndarray, n_bins: np.ndarray, syr: np.ndarray,
    weight: Weight,
) -> gpd.GeoDataFrame:
    """The bins with what they cover (all finds within the radius; alone) and their ranks.

    ``cover`` is the (finds × bins) 0/1 matrix of the pairs (``fi``, ``bi``), ``n_bins`` the
    number of bins per find and ``syr`` the syringes per find; unique = covered by this bin
    alone (``n_bins == 1``).
    """
    nb = len(bins)
    alone = (n_bins == 1).astype(float)
    covered_finds = np.bincount(bi, minlength=nb)
    covered_syr = np.bincount(bi, weights=syr[fi], minlength=nb)
    unique_finds = cover.T @ alone
    unique_syr = cover.T @ (alone * syr)
    unique_w = unique_syr if weight == "syringes" else unique_finds
    covered_w = covered_syr if weight == "syringes" else covered_finds
    return bins.assign(
        covered_finds=covered_finds.astype(np.int64),
        covered_syringes=np.rint(covered_syr).astype(np.int64),
        unique_finds=np.rint(unique_finds).astype(np.int64),
        unique_syringes=np.rint(unique_syr).astype(np.int64),
        idle=covered_finds == 0,
        rank=_rank(unique_w, covered_w, descending=True),
    )


def _effect_ranks(bins: gpd.GeoDataFrame, effects: pd.DataFrame | None, weight: Weight) -> gpd.GeoDataFrame:
    """Removal ranks that skip bins that demonstrably work, and the German reason for each bin's place."""
    n = len(bins)
    verdict = np.full(n, "", dtype=object)
    label = np.full(n, "", dtype=object)
    flips = np.full(n, "", dtype=object)
    change = np.full(n, np.nan)
    if effects is not None and len(effects) and "record_id" in bins:
        eff = effects.drop_duplicates("record_id").set_index("record_id")
        ids = bins["record_id"].astype(str)
        verdict = ids.map(eff["verdict"]).fillna("").to_numpy(dtype=object)
        label = ids.map(eff["verdict_label"]).fillna("").to_numpy(dtype=object)
        change = ids.map(eff["change_pct"]).astype(float).to_numpy()
        if "flips" in eff:
            flips = ids.map(eff["flips"]).fillna("").to_numpy(dtype=object)
    works = np.isin(verdict, KEEP_VERDICTS)
    unique_w = bins["unique_syringes" if weight == "syringes" else "unique_finds"].to_numpy(dtype=float)
    covered_w = bins["covered_syringes" if weight == "syringes" else "covered_finds"].to_numpy(dtype=float)
    ranks = pd.array([pd.NA] * n, dtype="Int64")
    if (~works).any():
        ranks[~works] = _rank(unique_w[~works], covered_w[~works], descending=False)
    reasons = []
    for i, row in enumerate(bins.itertuples()):
        if works[i]:
            pct = f", {fmt.percent(change[i] / 100, 0)} Funde im Umkreis" if np.isfinite(change[i]) else ""
            if flips[i]:  # the verdict holds only for the default ring: say so
                reasons.append(f"wirkt beim Standard-Ring ({label[i]}{pct}), {flips[i]} – nicht versetzen, "
                               "Wirkung unsicher")
            else:
                reasons.append(f"wirkt nachweislich ({label[i]}{pct}) – nicht versetzen")
        elif row.idle:
            reasons.append("kein Fund im Radius")
        else:
            evaluated = f"; eigene Wirkung: {label[i]}" if label[i] else ""
            reasons.append(f"nur hier abgedeckt: {fmt.number(row.unique_finds)} Funde / "
                           f"{fmt.number(row.unique_syringes)} Spritzen{evaluated}")
    out = bins.assign(removal_rank=ranks, removal_reason=reasons)
    if effects is not None:
        out = out.assign(effect=verdict, effect_label=label, effect_change_pct=change)
    return out


def bin_effects(bins: gpd.GeoDataFrame, finds: gpd.GeoDataFrame, boundary, *, crs: str | None = None
                ) -> pd.DataFrame:
    """Each bin's own evaluation (before/after its installation, :func:`geo.analysis.evaluate.evaluate_measures`
    with the defaults) on all ``finds``: ``record_id``, ``verdict``, ``verdict_label``, ``change_pct``
    (treated area against the control, in %) and ``flips``: where the verdict differs with another ring width of
    :data:`geo.analysis.sensitivity.DEFAULT_BUFFERS_M` (``"bei 500 m Ring: Verdrängung"``; empty when it holds),
    as the Maßnahmen page's sensitivity table shows it."""
    from geo.analysis.evaluate import DEFAULT_BUFFER_M, evaluate_measures
    from geo.analysis.sensitivity import DEFAULT_BUFFERS_M
    from geo.analysis.timeseries import measure_table

    if not len(bins) or not len(finds):
        return pd.DataFrame(columns=["record_id", "verdict", "verdict_label", "change_pct", "flips"])
    measures = measure_table({DISPOSAL_BIN: bins}, crs)
    table = evaluate_measures(measures, finds, SYRINGE_FIND, boundary)
    ratio = table.get("did_ratio", pd.Series(np.nan, index=table.index)).astype(float)
    flips: list[list[str]] = [[] for _ in range(len(table))]
    for ring_m in (b for b in DEFAULT_BUFFERS_M if b != DEFAULT_BUFFER_M):
        other = evaluate_measures(measures, finds, SYRINGE_FIND, boundary, buffer_m=ring_m)
        for i, (v0, v1, lab) in enumerate(zip(table["verdict"], other["verdict"], other["verdict_label"],
                                              strict=True)):
            if v1 != v0 and v1 != "not_evaluable":
                flips[i].append(f"bei {fmt.number(ring_m)} m Ring: {lab}")
    return pd.DataFrame({"record_id": table["record_id"].astype(str), "verdict": table["verdict"],
                         "verdict_label": table["verdict_label"], "change_pct": (ratio - 1.0) * 100.0,
                         "flips": ["; ".join(f) for f in flips]})


def _hot_cells_covered(
    hot_cells: gpd.GeoDataFrame, crs: str, b_xy: np.ndarray, radius_m: float, network: StreetNetwork | None
) -> gpd.GeoDataFrame:
    """The hot cells (``gi_class`` ≥ :data:`HOT_MIN_CLASS`) with ``covered``: centre within reach of a bin."""
    if "gi_class" not in hot_cells:
        raise UserError("Hotspot-Zellen ohne Spalte 'gi_class'.")
    cells = to_metric(hot_cells, crs)
    cells = cells.loc[pd.to_numeric(cells["gi_class"], errors="coerce").fillna(0).to_numpy() >= HOT_MIN_CLASS]
    cells = cells.reset_index(drop=True)
    ci, _, _ = pairs_within(point_xy(shapely.centroid(cells.geometry.values)), b_xy, radius_m, network)
    return cells.assign(covered=np.bincount(ci, minlength=len(cells)) > 0)


def analyse_coverage(
    finds: gpd.GeoDataFrame,
    bins: gpd.GeoDataFrame,
    *,
    period: Period | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    network: StreetNetwork | None = None,
    hot_cells: gpd.GeoDataFrame | None = None,
    weight: Weight = "syringes",
    crs: str | None = None,
    effects: pd.DataFrame | None = None,
) -> CoverageResult:
    """Coverage of a period's syringe finds by the bins active in that period.

    Parameters
    ----------
    finds : ``syringe_find`` records (points; ``found_at``, ``count``).
    bins : ``disposal_bin`` records (points; ``installed_at``, ``removed_at``).
    period : filter finds by ``found_at`` and bins by activity; None = take all as given.
    radius_m : walking radius in metres (> 0).
    network : measure along streets instead of straight-line.
    hot_cells : hot spot cells (polygons) with a column ``gi_class``; the hot ones
        (``gi_class`` ≥ 1) are checked for coverage by their centre.
    weight : ``"syringes"`` (``count``) or ``"finds"`` (each find 1) for rankings.
    crs : metric CRS (default: the network's, else EPSG:25833); inputs are reprojected.
    effects : the bins' own evaluations (:func:`bin_effects`); a bin that demonstrably works is never ranked
        for removal.

    Returns
    -------
    CoverageResult
    """
    if not radius_m or radius_m <= 0 or not np.isfinite(radius_m):
        raise UserError(f"Radius muss größer als 0 m sein (angegeben: {radius_m}).")
    if weight not in ("syringes", "finds"):
        raise ValueError(f"weight must be 'syringes' or 'finds', not {weight!r}")
    crs = crs or (network.crs if network is not None else DEFAULT_CRS)
    if period is not None:  # finds by their date, bins by the time they stood
        finds, bins = period.select(finds, "found_at"), period.select(bins, "installed_at", "removed_at")
    finds = to_metric(finds, crs)
    bins = to_metric(bins, crs)
    finds = finds.assign(count=find_weights(finds).astype(np.int64))
    f_xy, b_xy = point_xy(finds.geometry.values), point_xy(bins.geometry.values)
    nf, nb = len(finds), len(bins)
    fi, bi, _ = pairs_within(f_xy, b_xy, radius_m, network)
    cover = pair_matrix(fi, bi, np.ones(len(fi)), (nf, nb))
    n_bins = np.bincount(fi, minlength=nf)
    syr = finds["count"].to_numpy(dtype=float)
    nearest = np.full(nf, np.nan)
    if nb and nf:
        nearest = cKDTree(b_xy).query(f_xy)[0]
    finds = finds.assign(covered=n_bins > 0, n_bins=n_bins, nearest_bin_m=nearest)

    bins = _effect_ranks(_bins_with_coverage(bins, cover, fi, bi, n_bins, syr, weight), effects, weight)
    cells = None if hot_cells is None else _hot_cells_covered(hot_cells, crs, b_xy, radius_m, network)
    return CoverageResult(
        finds=finds, bins=bins, hot_cells=cells, radius_m=float(radius_m),
        metric="network" if network is not None else "straight", weight=weight, period=period, crs=str(crs),
        network=network,
    )
