"""Shared cases of the bin tests (test_coverage, test_streets, test_siting): frames in Leipziger Osten."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.core.period import Period

CRS = "EPSG:25833"
X0, Y0 = 319000.0, 5691000.0  # Leipziger Osten, EPSG:25833
JAN = Period(date(2026, 1, 1), date(2026, 1, 31))
TO_METRIC = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def finds_frame(xy, counts=None, found_at="2026-01-10") -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    found = pd.to_datetime(found_at if not isinstance(found_at, str) else [found_at] * n, format="ISO8601")
    return gpd.GeoDataFrame(
        {"record_id": [f"f{i}" for i in range(n)], "found_at": found,
         "count": np.ones(n, dtype=int) if counts is None else np.asarray(counts)},
        geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS,
    )


def bins_frame(xy, installed=None, removed=None, labels=None) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    return gpd.GeoDataFrame(
        {"record_id": [f"B{i}" for i in range(n)],
         "installed_at": pd.to_datetime(installed or ["2025-01-01"] * n),
         "removed_at": pd.to_datetime(removed or [None] * n),
         "owner": "Stadtreinigung",
         "label": labels or [f"Behälter {i}" for i in range(n)]},
        geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS,
    )


def site_offsets(sites: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([sites.geometry.x - X0, sites.geometry.y - Y0])



def hand_case_frames():
    """Five January finds on a line, two active bins, one idle, two inactive.

    f0 (0, 1 syringe)    B0 at 50 (d 50)
    f1 (150, 2)          B0 (100) and B1 at 250 (100)
    f2 (200, 3)          B0 (150, on the radius) and B1 (50)
    f3 (360, 4)          B1 (110)
    f4 (1000, 5)         none: B3 removed before January, B4 installed after it
    f5 (0, 6)            found in December: outside the period
    """
    finds = finds_frame(
        [(0, 0), (150, 0), (200, 0), (360, 0), (1000, 0), (0, 0)], [1, 2, 3, 4, 5, 6],
        found_at=["2026-01-10", "2026-01-31 23:59", "2026-01-01 00:00", "2026-01-15", "2026-01-20", "2025-12-31 23:59"],
    )
    bins = bins_frame(
        [(50, 0), (250, 0), (3000, 0), (1000, 0), (1010, 0)],
        installed=["2025-01-01", "2026-01-31", "2024-01-01", "2024-01-01", "2026-02-01"],
        removed=[None, None, "2026-01-01", "2025-12-31", None],
        labels=["A", "B", "leer", "abgebaut", "künftig"],
    )
    return finds, bins

