"""Synthetic forecast histories shared by the forecast tests: periods, a stable and a drifting scene."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from geo.analysis.forecast import next_period
from geo.core.period import Period


def monthly(n: int, first: date = date(2024, 1, 1)) -> list[Period]:
    out = [Period(first, (pd.Timestamp(first) + pd.DateOffset(months=1)).date() - pd.Timedelta(days=1))]
    while len(out) < n:
        out.append(next_period(out[-1]))
    return out



def stable(grid, n_periods: int, rng) -> np.ndarray:
    rate = np.full(grid.n, 0.15)
    hot = rng.choice(grid.n, 40, replace=False)  # scattered single cells (doorways, corners)
    rate[hot] = rng.uniform(0.8, 2.0, 40)
    return rng.poisson(rate, size=(n_periods, grid.n)).astype(float)


def drifting(grid, n_periods: int, rng) -> np.ndarray:
    """A sparse scene (6 finds a month, spread 150 m) that moves 20 m east every month."""
    out = np.zeros((n_periods, grid.n))
    centre = np.array([1500.0 - 10.0 * n_periods, 1500.0])
    for p in range(n_periods):
        centre = centre + [20.0, rng.normal(0, 10)]
        xy = centre + rng.normal(0, 150, size=(6, 2))
        ids = grid.cell_ids_at(xy[:, 0], xy[:, 1])
        out[p] += np.bincount(ids[ids >= 0], minlength=grid.n)
        out[p] += rng.poisson(0.01, grid.n)
    return out
