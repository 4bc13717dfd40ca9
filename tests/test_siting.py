"""Tests for geo.analysis.siting: siting of new bins, the plan export, the demo and the ``bins`` command."""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bins_cases import CRS, JAN, TO_METRIC, X0, Y0, bins_frame, finds_frame, hand_case_frames, site_offsets  # noqa: E402

from geo.analysis.coverage import analyse_coverage  # noqa: E402
from geo.analysis.siting import candidate_grid, plan_table, suggest_bins  # noqa: E402
from geo.core.area import leipziger_osten  # noqa: E402
from geo.core.errors import UserError  # noqa: E402
from geo.core.period import Period  # noqa: E402
from geo.data.exports import write_table  # noqa: E402
from geo.data.sitefiles import read_candidates  # noqa: E402


@pytest.fixture
def hand_case():
    """See :func:`bins_cases.hand_case_frames`."""
    return hand_case_frames()


def test_candidate_grid_inside_boundary():
    poly = shapely.Polygon([(0, 0), (100, 0), (0, 100)])
    xy = candidate_grid(poly, 25)
    assert len(xy) == 6  # 12.5/37.5/62.5 … below the diagonal
    assert shapely.contains_xy(poly, xy[:, 0], xy[:, 1]).all()
    assert set(np.unique(xy[:, 0])) == {12.5, 37.5, 62.5}
    with pytest.raises(UserError):
        candidate_grid(poly, 0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), method=st.sampled_from(["exact", "greedy"]))
def test_curve_grows_and_matches_direct_coverage(seed, k, method):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    centres = rng.uniform(0, 800, (3, 2))
    xy = centres[rng.integers(0, 3, n)] + rng.normal(0, 80, (n, 2))
    finds = finds_frame(xy, rng.integers(1, 6, n))
    bins = bins_frame(rng.uniform(0, 800, (int(rng.integers(0, 3)), 2)))
    cov = analyse_coverage(finds, bins, period=JAN)
    res = suggest_bins(cov, k, grid_m=40, method=method, snap_m=float(rng.choice([0.0, 10.0])))
    c = res.curve
    assert len(res.sites) <= k and len(c) == len(res.sites) + 1
    assert c["covered_finds"].iloc[0] == cov.covered_finds
    assert c["covered_syringes"].iloc[0] == cov.covered_syringes
    assert np.all(np.diff(c["covered_finds"]) >= 0) and np.all(np.diff(c["covered_syringes"]) >= 0)
    assert np.all(np.diff(c["gain_syringes"].iloc[1:]) <= 0)  # each further bin adds no more
    assert c["covered_finds"].iloc[-1] <= cov.n_finds
    assert c["covered_syringes"].iloc[-1] <= cov.n_syringes
    assert (c["share_syringes"] <= 1).all()
    # the curve's end equals the coverage of old and new bins together
    together = pd.concat([bins[["geometry"]], res.sites[["geometry"]]], ignore_index=True)
    direct = analyse_coverage(finds, gpd.GeoDataFrame(together, geometry="geometry", crs=CRS))
    assert direct.covered_syringes == c["covered_syringes"].iloc[-1]
    assert direct.covered_finds == c["covered_finds"].iloc[-1]
    assert res.sites["gain_syringes"].sum() == c["covered_syringes"].iloc[-1] - cov.covered_syringes


def test_single_cluster_gets_its_centre():
    rng = np.random.default_rng(7)
    xy = rng.normal(0, 30, (80, 2)) + [400, 400]
    cov = analyse_coverage(finds_frame(xy), bins_frame(np.empty((0, 2))), period=JAN)
    res = suggest_bins(cov, 1, grid_m=10, snap_m=0)
    assert res.method == "exact" and res.optimal
    assert res.curve["covered_finds"].tolist() == [0, 80]
    assert np.hypot(*(site_offsets(res.sites)[0] - [400, 400])) < 20
    assert res.sites["label"].tolist() == ["Vorschlag 1"]


def test_min_distance_rules():
    rng = np.random.default_rng(11)
    xy = rng.normal(0, 25, (60, 2))  # one cluster at the origin
    finds = finds_frame(xy, rng.integers(1, 4, 60))
    bins = bins_frame([(-260, 0)])  # covers nothing of the cluster
    kita = (30, 0)
    schule = shapely.box(X0 - 20, Y0 + 40, X0 + 20, Y0 + 80)
    sensitive = gpd.GeoDataFrame(
        {"name": ["Kita", "Schule", "Spielplatz"], "place_type": ["Kita", "Schule", "Spielplatz"],
         "buffer_m": [100.0, 60.0, 500.0]},
        geometry=[shapely.Point(X0 + kita[0], Y0 + kita[1]), schule, shapely.Point(X0, Y0)], crs=CRS,
    )
    cov = analyse_coverage(finds, bins, period=JAN)
    free = suggest_bins(cov, 1, grid_m=10)
    free_xy = site_offsets(free.sites)[0]
    assert np.hypot(*(free_xy - kita)) < 100  # without the rules the site sits next to the Kita

    res = suggest_bins(cov, 2, grid_m=10, sensitive=sensitive, min_dist_bins_m=300)
    sites = res.sites.geometry.values
    assert len(sites) >= 1
    assert shapely.distance(sites, shapely.Point(X0 - 260, Y0)).min() >= 300
    assert shapely.distance(sites, shapely.Point(X0 + kita[0], Y0 + kita[1])).min() >= 100  # own buffer_m
    assert shapely.distance(sites, schule).min() >= 60
    assert res.stats["near_bins"] > 0 and res.stats["near_sensitive"] > 0
    assert res.params["min_dist_bins_m"] == 300 and res.params["sensitive_distance_m"] is None
    # the playground's 500 m are ignored (not a Kita or school); the site still covers most of the cluster
    assert res.curve["covered_finds"].iloc[-1] >= 40
    assert set(res.exclusion["reason"]) == {"bin", "sensitive"}
    assert len(res.exclusion) == 3  # the bin, the Kita and the school

    fixed = suggest_bins(cov, 1, grid_m=10, sensitive=sensitive, sensitive_distance_m=150)
    assert shapely.distance(fixed.sites.geometry.values, schule).min() >= 150
    assert shapely.distance(fixed.sites.geometry.values, shapely.Point(X0 + 30, Y0)).min() >= 150

    default = suggest_bins(cov, 1, grid_m=10)  # default distance to bins = the radius
    assert default.params["min_dist_bins_m"] == 150


def test_candidate_file_and_area(tmp_path):
    area = leipziger_osten()
    lat, lon = 51.3450, 12.4100
    cx, cy = TO_METRIC.transform(lon, lat)
    rng = np.random.default_rng(5)
    xy = rng.normal(0, 20, (30, 2)) + [cx - X0, cy - Y0]
    cov = analyse_coverage(finds_frame(xy), bins_frame(np.empty((0, 2))), period=JAN)
    path = tmp_path / "ecken.csv"
    path.write_text(
        "Name;Breite;Länge\n"
        "Ecke weit;51,3480;12,4100\n"
        "=Ecke nah;51,3451;12,4101\n"
        "außerhalb;51,2000;12,4100\n",
        encoding="utf-8",
    )
    cand = read_candidates(path, CRS)
    assert len(cand) == 3 and cand.crs == CRS
    res = suggest_bins(cov, 2, candidates=cand, area=area)
    assert res.stats["candidates"] == 3 and res.stats["outside_area"] == 1
    assert res.params["grid_m"] is None
    assert res.sites["candidate_Name"].tolist() == ["=Ecke nah"]  # the far corner adds nothing
    assert res.curve["covered_finds"].tolist() == [0, 30]
    table = plan_table(res)
    assert table["status"].tolist() == ["suggested"]
    assert table["lat"].iloc[0] == pytest.approx(51.3451, abs=2e-6)
    assert table["lon"].iloc[0] == pytest.approx(12.4101, abs=2e-6)
    bad = tmp_path / "leer.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(UserError):
        read_candidates(bad, CRS)


def test_plan_table_and_exports(hand_case, tmp_path):
    finds, bins = hand_case
    bins.loc[0, "label"] = "=HYPERLINK(\"http://x\")"
    cov = analyse_coverage(finds, bins, period=JAN)
    res = suggest_bins(cov, 2, grid_m=10)
    table = plan_table(res)
    assert table.crs == CRS
    assert table["status"].tolist() == ["suggested", "existing", "existing", "existing"]
    assert table["rank"].tolist() == [1, 1, 2, 3]
    assert table["record_id"].tolist()[1:] == ["B1", "B0", "B2"]
    assert table["covered_finds"].tolist() == [1, 3, 3, 0]
    assert table["covered_syringes"].tolist() == [5, 9, 6, 0]
    assert table["gain_syringes"].iloc[0] == 5 and pd.isna(table["gain_syringes"].iloc[1])
    assert table["unique_syringes"].tolist()[1:] == [4, 1, 0]
    assert table["removal_rank"].tolist()[1:] == [3, 2, 1]
    assert table["share_syringes_after"].iloc[0] == pytest.approx(1.0)
    np.testing.assert_allclose(table["x"], table.geometry.x, atol=0.05)
    assert plan_table(cov)["status"].tolist() == ["existing"] * 3

    csv = write_table(table, tmp_path / "plan.csv")
    text = csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    back = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig")
    assert "geometry" not in back and {"x", "y", "lat", "lon", "status", "rank"} <= set(back.columns)
    assert back["covered_syringes"].tolist() == [5, 9, 6, 0]

    gj = write_table(table, tmp_path / "plan.geojson")
    data = json.loads(gj.read_text(encoding="utf-8"))
    lon, lat = data["features"][1]["geometry"]["coordinates"]
    assert lat == pytest.approx(table["lat"].iloc[1], abs=1e-6)
    assert lon == pytest.approx(table["lon"].iloc[1], abs=1e-6)
    assert data["features"][2]["properties"]["label"].startswith("=HYPERLINK")  # only CSV is neutralised

    gp = write_table(table, tmp_path / "plan.gpkg")
    back = gpd.read_file(gp)
    assert back.crs == CRS and len(back) == 4
    with pytest.raises(UserError):
        write_table(table, tmp_path / "plan.xlsx")
    with pytest.raises(UserError):
        write_table(table, tmp_path / "fehlt" / "plan.gpkg")



# --------------------------------------------------------------------------------------
# demo data and CLI
# --------------------------------------------------------------------------------------

LAST_HALF_YEAR = Period(date(2026, 5, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def demo():
    from geo.data.demo import generate_demo

    return generate_demo(20241101)


def test_demo_suggestions_fall_at_the_scene_places(demo):
    from geo.data.demo import SCENE_PLACES

    cov = analyse_coverage(demo["syringe_find"], demo["disposal_bin"], period=LAST_HALF_YEAR)
    assert sorted(cov.bins["label"]) == ["Otto-Runki-Platz", "Rabet Nord", "Torgauer Platz"]
    res = suggest_bins(cov, 3, area=leipziger_osten(), sensitive=demo["sensitive_place"])
    names = list(SCENE_PLACES)
    lat, lon = np.array(list(SCENE_PLACES.values())).T
    scene = shapely.points(np.column_stack(TO_METRIC.transform(lon, lat)))
    sites = np.asarray(res.sites.geometry.values, dtype=object)
    d = shapely.distance(sites[:, None], scene[None, :])
    assert (d.min(axis=1) <= 150).all()
    nearest = [names[i] for i in d.argmin(axis=1)]
    # the three scene places without a bin: the emerging crossing, the displaced scene, Köhlerstraße
    assert nearest == ["Hermann-Liebmann-/Eisenbahnstraße", "Neustädter Markt", "Köhlerstraße"]
    assert res.curve["share_syringes"].iloc[-1] > cov.share_syringes + 0.25
    greedy = suggest_bins(cov, 3, area=leipziger_osten(), sensitive=demo["sensitive_place"], method="greedy")
    assert greedy.objective >= (1 - 1 / math.e) * res.objective
    kitas = np.asarray(demo["sensitive_place"].query("place_type in ['Kita', 'Schule']").geometry.values)
    assert len(kitas) == 4
    assert shapely.distance(sites[:, None], kitas[None, :]).min() >= 100


def test_bin_that_works_is_not_offered_for_removal(demo_store):
    from geo.analysis.coverage import bin_effects
    from geo.analysis.evaluate import evaluate_measure
    from geo.analysis.timeseries import measure_table

    area = leipziger_osten()
    bins, finds = demo_store.read("disposal_bin"), demo_store.read("syringe_find")
    effects = bin_effects(bins, finds, area, crs=area.crs)
    label = dict(zip(bins["record_id"], bins["label"], strict=True))
    verdicts = {label[r]: v for r, v in zip(effects["record_id"], effects["verdict"], strict=True)}
    assert verdicts["Torgauer Platz"] == "effect" and verdicts["Rabet Nord"] == "not_evaluable"
    table = measure_table({"disposal_bin": bins})
    direct = evaluate_measure(table[table["title"].str.contains("Torgauer")].iloc[0], finds, "syringe_find", area)
    torgau = effects.set_index("record_id").loc[bins.loc[bins["label"] == "Torgauer Platz", "record_id"].iloc[0]]
    assert math.isclose(torgau["change_pct"], (direct.did["ratio"] - 1) * 100)
    wide = evaluate_measure(table[table["title"].str.contains("Torgauer")].iloc[0], finds, "syringe_find", area,
                            buffer_m=500.0)
    assert torgau["flips"] == f"bei 500 m Ring: {wide.verdict_label}" and wide.verdict == "displacement"
    robust = analyse_coverage(finds, bins, period=Period(date(2026, 9, 1), date(2026, 10, 31)),
                              effects=effects.assign(flips=""))  # a verdict that holds at every ring width
    assert robust.kept_bins["removal_reason"].iloc[0] == "wirkt nachweislich (Wirkung, -54 % Funde im Umkreis) – " \
                                                          "nicht versetzen"

    rapport = Period(date(2026, 9, 1), date(2026, 10, 31))  # the last meeting's period
    plain = analyse_coverage(finds, bins, period=rapport)
    assert plain.removal_ranking["label"].iloc[0] == "Torgauer Platz"  # fewest finds left: would go first
    cov = analyse_coverage(finds, bins, period=rapport, effects=effects)
    assert cov.kept_bins["label"].tolist() == ["Torgauer Platz"]
    assert set(cov.removal_ranking["label"]) == {"Rabet Nord", "Otto-Runki-Platz"}
    assert cov.removal_ranking["removal_rank"].tolist() == [1, 2]
    # the planted effect holds with the 300 m ring, the growing scene nearby makes it displacement at 500 m: kept,
    # and the reason says how sure the verdict is, as the Maßnahmen page's sensitivity table does
    assert cov.kept_bins["removal_reason"].iloc[0] == (
        "wirkt beim Standard-Ring (Wirkung, -54 % Funde im Umkreis), bei 500 m Ring: Verdrängung – nicht versetzen, "
        "Wirkung unsicher")
    plan = plan_table(cov)
    assert plan.loc[plan["label"] == "Torgauer Platz", "removal_rank"].isna().all()


def test_cli_bins(demo_store, tmp_path, capsys):
    """``demo_store`` (conftest): the full demo data in a session-wide store."""
    from geo.cli import main

    store = str(demo_store.path)
    capsys.readouterr()
    out = tmp_path / "plan.csv"
    rc = main(["bins", "--store", store, "--from", "2026-05-01", "--to", "31.10.2026",
               "--add", "2", "--method", "greedy", "--out", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "Abdeckungskurve" in printed and "Radius 150 m (Luftlinie)" in printed
    assert "Aktive Behälter: 3" in printed
    # the bin that demonstrably works is never offered for moving (issue 17)
    assert ("nicht zum Versetzen: Torgauer Platz: wirkt beim Standard-Ring (Wirkung, -54 % Funde im Umkreis), "
            "bei 500 m Ring: Verdrängung") in printed
    assert "1. Torgauer Platz" not in printed
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert table["status"].tolist() == ["suggested"] * 2 + ["existing"] * 3
    assert table["rank"].tolist() == [1, 2, 1, 2, 3]
    assert table["record_id"].iloc[2:].notna().all()
    assert table["lat"].between(51.33, 51.36).all() and table["lon"].between(12.385, 12.44).all()
    assert table["x"].between(318000, 323000).all()

    rc = main(["bins", "--store", store, "--from", "2026-05-01", "--to", "2026-10-31",
               "--radius", "100", "--out", str(tmp_path / "plan.geojson")])
    assert rc == 0
    assert "Radius 100 m" in capsys.readouterr().out
    assert len(gpd.read_file(tmp_path / "plan.geojson")) == 3

    rc = main(["bins", "--store", store, "--from", "2026-05-01", "--to", "2026-10-31",
               "--out", str(tmp_path / "plan.txt")])
    assert rc == 2
    assert capsys.readouterr().err.startswith("Fehler:")

