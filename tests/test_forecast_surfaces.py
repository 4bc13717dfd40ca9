"""Tests of geo.analysis.forecast_surfaces: each surface follows its formula."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.analysis.forecast_surfaces import (
    blend_surface,
    counts_surface,
    decay_surface,
    kde_surface,
    quartic_kernel,
)
from geo.core.errors import UserError
from geo.core.grid import make_grid


# ---------------------------------------------------------------------------- surfaces
def test_surfaces_follow_their_formulas():
    h = np.array([[1.0, 0, 2], [0, 3, 1], [4, 0, 0]])  # oldest first
    assert counts_surface(h, 1).tolist() == [4, 0, 0]
    assert counts_surface(h, 2).tolist() == [4, 3, 1]
    assert counts_surface(h, 99).tolist() == [5, 3, 3]
    assert decay_surface(h, 1.0) == pytest.approx([4 + 0 + 0.25, 0.5 * 3, 0.5 + 0.25 * 2])
    assert decay_surface(h, 2.0)[0] == pytest.approx(4 + 2 ** -1 * 1)
    assert blend_surface(h, 0.5, 1, 3) == pytest.approx(0.5 * np.array([4, 0, 0]) + 0.5 * np.array([5, 3, 3]) / 3)
    with pytest.raises(UserError):
        decay_surface(h, 0)


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_kde_surface_equals_direct_kernel_sum(shape):
    grid = make_grid(shapely.box(0, 0, 1500, 1200), 60, shape)
    rng = np.random.default_rng(3)
    counts = np.zeros(grid.n)
    counts[rng.integers(0, grid.n, 40)] += rng.integers(1, 5, 40)
    for b in (45.0, 150.0, 333.0):
        got = kde_surface(grid, counts, b)
        d2 = (grid.x[:, None] - grid.x[None, :]) ** 2 + (grid.y[:, None] - grid.y[None, :]) ** 2
        want = quartic_kernel(d2, b) @ counts
        assert np.allclose(got, want, rtol=1e-9, atol=1e-12 * want.max())
        assert (got[want == 0] == 0).all()
    both = kde_surface(grid, np.column_stack([counts, 2 * counts]), 150.0)
    assert np.allclose(both[:, 1], 2 * kde_surface(grid, counts, 150.0))


def test_labels_say_spans_in_months_like_the_sentence_and_whole_percentages():
    from geo.analysis.forecast_surfaces import Candidate

    blend = Candidate("blend", 0.7, 6)
    assert blend.label() == "Mischung (70 % letzter Zeitraum, 30 % letzte 6 Zeiträume)"  # not "30,00 %"
    assert blend.label(None, "2 Monate") == "Mischung (70 % letzte 2 Monate, 30 % letzte 12 Monate)"
    decay = Candidate("decay", 2, 0)
    assert decay.label(None, "2 Monate") == "Zeitgewichtung (Halbwertszeit 4 Monate)"
    assert "Halbwertszeit 4 Monate" in decay.phrase("2 Monate")  # the same words as the headline
    assert Candidate("counts", 1, 1).label(None, "1 Monat") == "Anzahl des letzten Monats"
    assert (Candidate("kde", "arcgis", 3).label(None, "30 Tage")
            == "Kerndichte (Bandbreite ArcGIS-Standard, letzte 90 Tage)")
    assert (Candidate("gistar", 1.5, 1).label(None, "1 Monat")
            == "Hotspots Gi* (Distanzband 1,5 Zellgrößen, letzter Monat)")
