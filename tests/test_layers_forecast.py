"""The forecast layer (layers/forecast.py): compact cells, ranks in classes, off by default, in the legend."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pytest

from geo.analysis.forecast import forecast
from geo.core.area import leipziger_osten
from geo.core.period import Period
from geo.data.demo import generate_demo
from layers.forecast import FORECAST_LAYER, forecast_js, rank_classes
from layers.legend import legend_html
from layers.map import MapContent, overlay_groups, overlay_scripts


@pytest.fixture(scope="module")
def result():
    return forecast(generate_demo()["syringe_find"], "syringe_find", leipziger_osten(),
                    Period(date(2026, 9, 1), date(2026, 10, 31)))


def test_rank_classes():
    assert rank_classes(np.array([1, 5, 6, 10, 11, 40])).tolist() == [0, 0, 1, 1, 2, 2]


def test_forecast_js_sends_every_cell_compactly(result):
    js = forecast_js(result.cells)
    assert js.startswith("LB.cells(")
    data = json.loads(re.match(r"LB\.cells\((.*), \{\"order\"", js).group(1))
    assert len(data["x"]) == len(result.cells) and data["cls"][:5] == [0] * 5
    assert [c["l"] for c in data["cols"]] == ["Rang", "erwartete Ereignisse"]
    assert "<" not in js.replace("\\u003c", "")


def test_overlay_is_switched_off_by_default_and_explained(result):
    overlays = overlay_scripts(MapContent(forecast_cells=result.cells))
    assert [o.name for o in overlays] == [f"{FORECAST_LAYER} ({len(result.cells)})"]
    assert overlays[0].show is False
    group = overlay_groups(overlays)[0]
    assert group.show is False
    assert FORECAST_LAYER in legend_html()
