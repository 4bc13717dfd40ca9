"""Tests for layers/bins.py: the Behälter map's overlays (bins and radius, covered and
uncovered finds, numbered suggestions, exclusion zones, hot cells), escaping, legend and
focus; one browser test renders them offline and opens popups."""

from __future__ import annotations

import json
import re
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.coverage import analyse_coverage
from geo.analysis.siting import suggest_bins
from geo.core.area import leipziger_osten
from geo.core.period import Period
from geo.data.access import restrict
from layers import bins as lb
from layers.map import standalone_html

EVIL = "<img src=x onerror=alert(1)> ${alert(1)} `tick` </script>"
AREA = leipziger_osten()
PERIOD = Period(date(2026, 9, 1), date(2026, 10, 31))
C = AREA.boundary.centroid
X0, Y0 = C.x, C.y


def _finds(xy, counts=None) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    return gpd.GeoDataFrame(
        {"record_id": [f"f{i}" for i in range(n)], "found_at": pd.Timestamp("2026-09-10 10:00"),
         "count": np.ones(n, dtype=int) if counts is None else counts, "source": EVIL, "reporter": "Frau Geheim"},
        geometry=shapely.points(xy + [X0, Y0]), crs=AREA.crs,
    )


@pytest.fixture(scope="module")
def result():
    """Two bins (one idle), a cluster of covered finds, two clusters of uncovered finds, a Kita, hot cells."""
    rng = np.random.default_rng(3)
    covered = rng.normal(0, 30, (40, 2))
    east = rng.normal(0, 25, (30, 2)) + [600, 0]
    north = rng.normal(0, 25, (20, 2)) + [0, 700]
    finds = _finds(np.vstack([covered, east, north]))
    bins = gpd.GeoDataFrame(
        {"record_id": ["b1", "b2"], "installed_at": pd.to_datetime(["2025-01-01", "2025-06-01"]),
         "removed_at": pd.NaT, "owner": "Stadtreinigung", "label": [EVIL, "Leerer Platz"]},
        geometry=shapely.points([[X0, Y0], [X0 - 900, Y0 - 900]]), crs=AREA.crs,
    )
    places = gpd.GeoDataFrame({"name": [EVIL, "Spielplatz"], "place_type": ["Kita", "Spielplatz"], "buffer_m": 100.0},
                              geometry=shapely.points([[X0 + 600, Y0 + 200], [X0, Y0 + 300]]), crs=AREA.crs)
    cells = gpd.GeoDataFrame(
        {"gi_class": [3, 2, 1, 0], "count": [30, 20, 5, 0], "gi_z": [4.1, 2.2, 1.7, 0.1],
         "gi_p_fdr": [0.001, 0.03, 0.08, 0.9]},
        geometry=[shapely.box(X0 + dx - 25, Y0 + dy - 25, X0 + dx + 25, Y0 + dy + 25)
                  for dx, dy in [(600, 0), (0, 700), (0, 0), (300, 300)]],
        crs=AREA.crs,
    )
    cov = analyse_coverage(finds, bins, period=PERIOD, hot_cells=cells, crs=AREA.crs)
    return suggest_bins(cov, 2, area=AREA, sensitive=places, grid_m=50)


def _args(expr: str) -> list:
    """The JSON arguments of a layer expression ``LB.x(json, json)`` or of the rank-marker call."""
    dec = json.JSONDecoder()
    start = expr.index("(", expr.rindex("})(") + 2 if "})(" in expr else 0)
    text, out, i = expr[start + 1:], [], 0
    while True:
        obj, j = dec.raw_decode(text, i)
        out.append(obj)
        i = j
        while i < len(text) and text[i] in ", ":
            i += 1
        if i >= len(text) or text[i] == ")":
            return out


def _overlays(result, role="analyse"):
    return lb.bins_overlays(result.coverage, result, finds=restrict(result.coverage.finds, "syringe_find", role))


def _key(name: str) -> str:
    return re.sub(r"\s*\([\d.\s]+\)\s*$", "", name)


# ---------------------------------------------------------------------------- assembly
def test_overlays_in_drawing_order_with_counts(result):
    cov = result.coverage
    assert cov.covered_finds == 40 and len(result.sites) == 2
    names = [o.name for o in _overlays(result)]
    assert [_key(n) for n in names] == [lb.HOT_LAYER, lb.EXCLUSION_LAYER, lb.COVERED_LAYER, lb.UNCOVERED_LAYER,
                                        lb.BINS_LAYER, lb.SITES_LAYER]
    assert f"{lb.COVERED_LAYER} (40)" in names and f"{lb.UNCOVERED_LAYER} (50)" in names
    assert f"{lb.BINS_LAYER} (2)" in names and f"{lb.SITES_LAYER} (2)" in names
    assert f"{lb.HOT_LAYER} (2)" in names  # the 90 % cell is covered by the bin, class 0 is not hot
    assert f"{lb.EXCLUSION_LAYER} (1)" in names  # only the Kita, not the playground


def test_without_finds_no_points_and_without_siting_no_suggestions(result):
    cov = result.coverage
    keys = [_key(o.name) for o in lb.bins_overlays(cov, result, finds=None)]
    assert lb.COVERED_LAYER not in keys and lb.UNCOVERED_LAYER not in keys
    text = " ".join(s for o in lb.bins_overlays(cov, result, finds=None) for s in o.scripts)
    assert "LB.points" not in text and "Fundzeit" not in text
    keys = [_key(o.name) for o in lb.bins_overlays(cov, None, finds=cov.finds)]
    assert lb.SITES_LAYER not in keys and lb.EXCLUSION_LAYER not in keys and lb.BINS_LAYER in keys


def test_all_data_texts_are_escaped(result):
    for o in _overlays(result):
        for script in o.scripts:
            for bad in ("<img", "${", "`tick", "</script"):
                assert bad not in script, (o.name, bad)
    assert "<" not in "".join(o.name for o in _overlays(result))


def test_finds_popups_follow_the_role(result):
    analyse = " ".join(s for o in _overlays(result, "analyse") for s in o.scripts)
    rapport = " ".join(s for o in _overlays(result, "rapport") for s in o.scripts)
    assert "Frau Geheim" in analyse and "Meldende Person" in analyse
    assert "Frau Geheim" not in rapport and "Meldende Person" not in rapport
    assert "Nächster Behälter (m)" in rapport


# ---------------------------------------------------------------------------- single layers
def test_finds_are_canvas_circle_markers_or_dots(result, monkeypatch):
    finds = result.coverage.finds
    data = _args(lb.finds_js(finds[finds["covered"]], covered=True))[0]
    assert data["mode"] == "plain" and data["n"] == 40 and data["colour"] == lb.COVERED_COLOUR
    labels = [c["l"] for c in data["cols"]]
    assert "Nächster Behälter (m)" in labels and "Behälter im Radius" in labels
    near = next(c for c in data["cols"] if c["l"] == "Nächster Behälter (m)")
    assert all(isinstance(v, int) and v <= 150 for v in near["v"])
    monkeypatch.setattr(lb, "FINDS_PLAIN_MAX", 10)
    data = _args(lb.finds_js(finds[~finds["covered"]], covered=False))[0]
    assert data["mode"] == "dots" and data["colour"] == lb.UNCOVERED_COLOUR


def test_bins_radius_circles_and_idle_style(result):
    bins = result.coverage.bins
    circles, points = lb.bins_js(bins, 150)
    fc, opts = _args(circles)
    assert opts["interactive"] is False and len(fc["features"]) == 2
    ring = shapely.geometry.shape(fc["features"][0]["geometry"])
    metric = gpd.GeoSeries([ring], crs="EPSG:4326").to_crs(AREA.crs).iloc[0]
    assert metric.area == pytest.approx(np.pi * 150**2, rel=0.02)
    fc, opts = _args(points)
    props = [f["properties"] for f in fc["features"]]
    idle = bins["idle"].tolist()
    assert idle == [False, True]
    assert props[1]["_style"]["fillColor"] == "#ffffff" and "kein Fund" in props[1]["_tip"]
    rows = dict(props[0]["_rows"])
    assert rows["Funde im Radius"] == "40" and rows["Versetzen (1 = zuerst)"] == "2"
    assert props[0]["_title"] == EVIL  # set as text by LB.popup, escaped in the JSON


def test_suggestions_are_numbered_in_rank_order(result):
    sites = result.sites
    circles, markers = lb.sites_js(sites, 150)
    assert _args(circles)[1]["interactive"] is False
    items, css = _args(markers)
    assert [it["n"] for it in items] == ["1", "2"]
    assert items[0]["title"] == "Vorschlag 1" and "+" in items[0]["tip"]
    rows = dict(items[0]["rows"])
    assert rows["neu: Funde"] == str(int(sites["gain_finds"].iloc[0]))
    # German decimal comma, as the crew CSV and "Meldung erfassen" write coordinates
    assert re.fullmatch(r"\d{2},\d{6}", rows["Breite (WGS84)"]) and re.fullmatch(r"\d{2},\d{6}", rows["Länge (WGS84)"])
    lat, lon = (float(rows[f"{c} (WGS84)"].replace(",", ".")) for c in ("Breite", "Länge"))
    p = gpd.GeoSeries([sites.geometry.iloc[0]], crs=AREA.crs).to_crs("EPSG:4326").iloc[0]
    assert (lat, lon) == pytest.approx((p.y, p.x), abs=1e-6)
    assert "textContent" not in markers and "innerHTML" not in markers and lb.SITE_COLOUR in css


def test_candidate_columns_in_site_popups(result):
    sites = result.sites.assign(candidate_name=[EVIL, "Ecke"])
    rows = lb.site_rows(sites)
    assert ["Kandidat: name", EVIL] in rows[0]


def test_exclusion_zones(result):
    exprs = lb.exclusion_js(result.exclusion)
    assert len(exprs) == 2
    (bins_fc, bins_opts), (sens_fc, sens_opts) = (_args(e) for e in exprs)
    assert bins_opts["interactive"] is False and len(bins_fc["features"]) == 2
    assert sens_opts["interactive"] is True and len(sens_fc["features"]) == 1
    tip = sens_fc["features"][0]["properties"]["_tip"]
    assert tip.startswith(EVIL) and "100 m" in tip


def test_hot_cells_only_uncovered_marked_when_reached(result):
    cells = result.hot_cells
    expr = lb.hot_cells_js(cells)
    shown = cells[~cells["covered"]]
    data = _args(expr)[0] if expr.startswith("LB.cells") else None
    assert data is not None and len(data["cls"]) == len(shown) == 2
    expected = (shown["gi_class"].to_numpy() + 10 * shown["covered_after"].to_numpy()).tolist()
    assert data["cls"] == expected
    assert any(c >= 10 for c in expected)  # a suggestion reaches a hot cell
    assert "Vorschlag" in data["labels"][str(max(expected))]


# ---------------------------------------------------------------------------- legend and view
def test_legend_sections_match_overlays(result):
    html = lb.bins_legend_html()
    keys = set(re.findall(r'data-key="([^"]+)"', html))
    assert {_key(o.name) for o in _overlays(result)} <= keys
    assert "<details open>" in html and "<details>" in lb.bins_legend_html(open_=False)
    # plain German for street cleaning (issue 17): no statistician's "Gi*" in the legend
    assert "Gi*" not in html and "statistisch gesicherte Häufung" in html


def test_focus_bounds_cover_bins_and_core(result):
    (s, w), (n, e) = lb.focus_bounds(result.coverage)
    bins = result.coverage.bins.to_crs("EPSG:4326")
    assert (w <= bins.geometry.x.min() and e >= bins.geometry.x.max() and s <= bins.geometry.y.min()
            and n >= bins.geometry.y.max())
    minx, miny, maxx, maxy = AREA.boundary_display.bounds
    assert minx - 0.01 < w < e < maxx + 0.01 and miny - 0.01 < s < n < maxy + 0.01
    empty = analyse_coverage(_finds(np.empty((0, 2))), result.coverage.bins.iloc[0:0], crs=AREA.crs)
    assert lb.focus_bounds(empty) is None


# ---------------------------------------------------------------------------- browser
@pytest.mark.browser
def test_map_in_browser_shows_texts_as_text(result, chromium, block_outside, tmp_path):
    html = standalone_html(AREA, _overlays(result), title="Behälter")
    path = tmp_path / "bins.html"
    path.write_text(html, encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1000, "height": 800})
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    blocked = block_outside(page)
    page.goto(path.as_uri())
    page.wait_for_selector(".lb-rank-icon", timeout=20_000)
    assert page.eval_on_selector_all(".lb-rank-icon", "els => els.map(e => e.textContent)") == ["1", "2"]
    page.click(".lb-rank-icon >> nth=0")
    page.wait_for_selector(".leaflet-popup-content")
    assert "Vorschlag 1" in page.inner_text(".leaflet-popup-content")
    # the bin labelled EVIL: open its popup through Leaflet and read it back as text
    text = page.evaluate("""() => {
        const m = window[Object.keys(window).find(k => k.startsWith('map_'))]; let out = null;
        m.closePopup();
        m.eachLayer(l => { if (!out && l.feature && l.feature.properties._radius === 8 && l.getLatLng) {
            l.openPopup(); out = l.getPopup().getElement().innerText; } });
        return out; }""")
    assert "<img src=x onerror=alert(1)>" in text
    labels = page.eval_on_selector_all(".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText)")
    assert any(lb.SITES_LAYER in t for t in labels)
    assert dialogs == [] and errors == [] and blocked == []
    page.close()
