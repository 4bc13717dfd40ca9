"""Which records are fit for spatial statistics.

Records on a geocoding fallback point ("Sammelpunkt") or located more coarsely than the
analysis cells ("ungenau") carry ``location_flag`` (see :mod:`geo.data.stacks`). They stay in
the store and in counts and time series, but every spatial statistic (Gi*, density,
comparison, emerging hot spots, evaluation, bin coverage and siting) leaves them out unless
asked to keep them (``--keep-stacks``, the app's switch), and says so in one line
(:func:`left_out_line`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import fmt
from geo.core.schema import FLAG_COARSE, FLAG_STACK, KINDS, LOCATION_FLAG, RECORD_ID, SHORT_PLURALS


def spatial_records(gdf: gpd.GeoDataFrame, keep_stacks: bool = False) -> tuple[gpd.GeoDataFrame, int]:
    """Records fit for spatial statistics, and how many were left out.

    A record is left out when its ``location_flag`` is not empty (Sammelpunkt, ungenau).
    A frame without the column (older stores, other kinds) is returned unchanged.
    """
    if keep_stacks or LOCATION_FLAG not in gdf.columns or len(gdf) == 0:
        return gdf, 0
    flags = gdf[LOCATION_FLAG].astype(object).where(gdf[LOCATION_FLAG].notna(), "").astype(str)
    fine = (flags == "").to_numpy()
    left_out = int((~fine).sum())
    if not left_out:
        return gdf, 0
    return gdf.loc[fine], left_out


def left_out_counts(gdf: gpd.GeoDataFrame) -> dict[str, int]:
    """How many records carry each location flag (``{"Sammelpunkt": 4548, "ungenau": 12}``)."""
    if LOCATION_FLAG not in gdf.columns or len(gdf) == 0:
        return {}
    flags = gdf[LOCATION_FLAG].astype(object).where(gdf[LOCATION_FLAG].notna(), "").astype(str)
    counts = flags[flags != ""].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def left_out_line(gdf: gpd.GeoDataFrame, kind: str | None = None, keep_stacks: bool = False) -> str | None:
    """One German line about the records a spatial statistic leaves out (None when none).

    ``4.548 Funde an einem Sammelpunkt nicht räumlich ausgewertet`` (plus the ungenau ones);
    with ``keep_stacks`` the line says they are included.
    """
    counts = left_out_counts(gdf)
    if not counts:
        return None
    noun = SHORT_PLURALS.get(kind or "", KINDS[kind].label_plural if kind in KINDS else "Datensätze")
    parts = []
    if counts.get(FLAG_STACK):
        parts.append(f"{fmt.number(counts[FLAG_STACK])} {noun} an einem Sammelpunkt")
    if counts.get(FLAG_COARSE):
        parts.append(f"{fmt.number(counts[FLAG_COARSE])} {noun} ungenau verortet")
    others = sum(v for k, v in counts.items() if k not in (FLAG_STACK, FLAG_COARSE))
    if others:
        parts.append(f"{fmt.number(others)} {noun} mit Ortshinweis")
    text = " und ".join(parts)
    if keep_stacks:
        return f"{text} räumlich mit ausgewertet (--keep-stacks)"
    return f"{text} nicht räumlich ausgewertet"


def flagged_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask of records with a location flag."""
    if LOCATION_FLAG not in gdf.columns:
        return np.zeros(len(gdf), dtype=bool)
    return (gdf[LOCATION_FLAG].astype(object).where(gdf[LOCATION_FLAG].notna(), "").astype(str) != "").to_numpy()



def stack_table(gdf: gpd.GeoDataFrame, *, tolerance_m: float = 1.0) -> pd.DataFrame:
    """Flagged records grouped by position and flag, largest first.

    Columns: ``flag``, ``x``, ``y`` (metric CRS), ``count``, ``first``/``last`` (range of the
    frame's first datetime column, i.e. the kind's date) and
    ``record_ids`` (list). Used by the Daten page to show Sammelpunkte and to confirm or
    clear their flags.
    """
    cols = ["flag", "x", "y", "count", "first", "last", "record_ids"]
    mask = flagged_mask(gdf)
    if not mask.any():
        return pd.DataFrame(columns=cols)
    sub = gdf.loc[mask]
    geoms = np.asarray(sub.geometry.values, dtype=object)
    centre = shapely.centroid(geoms)
    x, y = shapely.get_x(centre), shapely.get_y(centre)
    date_cols = [c for c in sub.columns if str(sub[c].dtype).startswith("datetime64")]
    frame = pd.DataFrame({
        "flag": sub[LOCATION_FLAG].astype(str).to_numpy(),
        "gx": np.round(x / tolerance_m).astype(np.int64), "gy": np.round(y / tolerance_m).astype(np.int64),
        "x": x, "y": y, "record_id": sub[RECORD_ID].astype(str).to_numpy() if RECORD_ID in sub else "",
        "date": sub[date_cols[0]].to_numpy() if date_cols else pd.NaT,
    })
    grouped = frame.groupby(["flag", "gx", "gy"], sort=False).agg(
        x=("x", "mean"), y=("y", "mean"), count=("x", "size"), first=("date", "min"), last=("date", "max"),
        record_ids=("record_id", list),
    ).reset_index()
    return grouped[cols].sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
