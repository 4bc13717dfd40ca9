"""Roles decide which data leave the server: private fields, points and small cells."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.grid import make_grid
from geo.core.schema import KINDS
from geo.data.access import (
    K_MIN,
    PUBLIC_KINDS,
    ROLES,
    check_role,
    may_see_points,
    may_see_texts,
    private_fields,
    public_cells,
    release,
    restrict,
)
from geo.data.auth import User
from geo.data.store import Store

AREA = leipziger_osten()
ALL_PRIVATE = {f.name for k in KINDS.values() for f in k.fields if f.private}


def test_private_fields_come_from_the_schema():
    assert private_fields("complaint") == ["text", "reporter"]
    assert private_fields("syringe_find") == ["reporter"]
    assert private_fields("scene_observation") == []
    assert ALL_PRIVATE == {"text", "reporter"}


def test_role_helpers():
    assert [may_see_points(r) for r in ROLES] == [True, True, False]
    assert [may_see_texts(r) for r in ROLES] == [True, False, False]
    with pytest.raises(UserError, match="Unbekannte Rolle 'admin'"):
        check_role("admin")


@pytest.mark.parametrize("kind", list(KINDS))
def test_restrict_on_the_demo_data(demo_store, kind):
    records = demo_store.read(kind)
    full = restrict(records, kind, "analyse")
    assert list(full.columns) == list(records.columns) and len(full) == len(records)
    rapport = restrict(records, kind, "rapport")
    assert not set(rapport.columns) & set(private_fields(kind))
    assert len(rapport) == len(records)
    # location_precision is the file's own text (geocoder value): like unknown text columns, analyse only
    assert set(rapport.columns) == set(records.columns) - set(private_fields(kind)) - {"location_precision"}
    assert rapport.geometry.equals(records.geometry)  # exact points for the Rapport
    public = restrict(records, kind, "oeffentlich")
    assert not set(public.columns) & ALL_PRIVATE
    assert len(public) == (len(records) if kind in PUBLIC_KINDS else 0)


def test_complaint_texts_only_for_analyse(demo_store):
    complaints = demo_store.read("complaint")
    assert complaints["text"].str.len().gt(0).all()
    assert "text" in restrict(complaints, "complaint", "analyse")
    for role in ("rapport", "oeffentlich"):
        out = restrict(complaints, "complaint", role)
        assert "text" not in out and "reporter" not in out
        assert not out.astype(str).apply(lambda c: c.str.contains("Spritzen im Gebüsch")).any().any()


def test_unknown_text_columns_are_dropped_numbers_kept():
    gdf = gpd.GeoDataFrame(
        {"record_id": ["a"], "received_at": pd.to_datetime(["2026-10-01"]), "category": ["Lärm"], "text": ["privat"],
         "notiz_kopie": ["auch privat"], "distance_m": [12.5], "in_buffer": [True]},
        geometry=[shapely.Point(0, 0)], crs=AREA.crs)
    out = restrict(gdf, "complaint", "rapport")
    assert list(out.columns) == ["record_id", "received_at", "category", "distance_m", "in_buffer", "geometry"]
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == gdf.crs
    assert restrict(gdf, "complaint", "analyse") is not gdf  # a copy, never the cached frame


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(list(KINDS)), role=st.sampled_from(["rapport", "oeffentlich"]),
       extra=st.lists(st.sampled_from(["text", "reporter", "notiz", "wert", "Text", "reporter_2"]), max_size=4,
                      unique=True), n=st.integers(0, 5))
def test_private_columns_never_leave_for_restricted_roles(kind, role, extra, n):
    k = KINDS[kind]
    cols = {f.name: ["x"] * n for f in k.fields} | {c: ["geheim"] * n for c in extra}
    gdf = gpd.GeoDataFrame(cols, geometry=[shapely.Point(i, i) for i in range(n)], crs=AREA.crs)
    out = restrict(gdf, kind, role)
    # private names never; unknown text columns not when they hold text (an empty column holds nothing)
    assert not set(out.columns) & (ALL_PRIVATE | {"Text", "reporter_2"} | ({"notiz"} if n else set()))
    assert not (out.drop(columns="geometry").astype(str) == "geheim").any().any()
    if role == "oeffentlich" and kind not in PUBLIC_KINDS:
        assert len(out) == 0


# ---------------------------------------------------------------------------- public cells
def _points_at(xy: list[tuple[float, float]], counts: list[int] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"count": counts or [1] * len(xy), "reporter": "Frau X", "text": "privat"},
                            geometry=[shapely.Point(p) for p in xy], crs=AREA.crs)


def test_public_cells_suppress_cells_below_k():
    grid = make_grid(AREA.boundary, 250.0, "hex", AREA.crs)
    a, b = (grid.x[10], grid.y[10]), (grid.x[40], grid.y[40])
    pts = _points_at([a] * 5 + [b] * 4, counts=[2] * 5 + [50] * 4)
    cells = public_cells(pts, AREA.boundary, weight="count", crs=AREA.crs)
    assert list(cells.columns) == ["cell_id", "events", "value", "geometry"]
    assert cells["cell_id"].tolist() == [10]
    assert cells["events"].tolist() == [5] and cells["value"].tolist() == [10.0]
    # one find with many syringes is still one event
    single = public_cells(_points_at([b], counts=[99]), AREA.boundary, weight="count", crs=AREA.crs)
    assert single.empty


def test_public_cells_k_is_inclusive_and_configurable():
    grid = make_grid(AREA.boundary, 250.0, "hex", AREA.crs)
    pts = _points_at([(grid.x[3], grid.y[3])] * 3)
    assert public_cells(pts, AREA.boundary, k=3)["events"].tolist() == [3]
    assert public_cells(pts, AREA.boundary, k=4).empty
    with pytest.raises(UserError, match="mindestens 1"):
        public_cells(pts, AREA.boundary, k=0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 9)), max_size=120), st.integers(1, 8))
def test_no_published_cell_has_fewer_than_k_events(picks, k):
    grid = make_grid(AREA.boundary, 250.0, "hex", AREA.crs)
    rng = np.random.default_rng(len(picks))
    xy = [(grid.x[c] + rng.uniform(-50, 50), grid.y[c] + rng.uniform(-50, 50)) for c, _ in picks]
    pts = _points_at(xy, [w for _, w in picks])
    cells = public_cells(pts, AREA.boundary, k=k, weight="count")
    assert (cells["events"] >= k).all()
    assert not set(cells.columns) & {"reporter", "text", "count"}
    # published numbers are the true numbers of events and syringes in each cell
    for _, cell in cells.iterrows():
        inside = pts[pts.within(cell.geometry)]
        assert cell["events"] == len(inside) and cell["value"] == inside["count"].sum()
    true_counts = pd.Series([c for c, _ in picks]).value_counts()
    assert set(cells["cell_id"]) == set(true_counts[true_counts >= k].index)


def test_public_cells_on_the_demo_data(demo_store):
    finds = demo_store.read("syringe_find")
    cells = public_cells(finds, AREA.boundary, weight="count", crs=AREA.crs)
    assert len(cells) > 10 and cells["events"].min() >= K_MIN
    assert cells["events"].sum() < len(finds)  # sparse cells were left out


def test_release_restricts_and_audits(tmp_path, demo_store):
    store = Store(tmp_path / "s.gpkg", AREA)
    complaints = demo_store.read("complaint")
    out = release(complaints, "complaint", User("rita", "rapport"), store, what="CSV-Download")
    assert "text" not in out and len(out) == len(complaints)
    entry = store.audit_log().iloc[-1]
    assert (entry["action"], entry["user"], entry["kind"], entry["count"]) == ("export", "rita", "complaint",
                                                                                len(complaints))
    assert entry["detail"] == "CSV-Download (Rolle rapport)"
    assert len(release(complaints, "complaint", User("otto", "oeffentlich"), store, what="Karte")) == 0


def test_log_release_records_exports_built_elsewhere(tmp_path):
    from geo.data.access import log_release

    store = Store(tmp_path / "s.gpkg", AREA)
    log_release(store, User("rita", "rapport"), what="Handout 01.09.2026 – 31.10.2026")
    log_release(store, User("anna", "analyse"), what="Behälterplan CSV", kind="disposal_bin", count=7)
    log = store.audit_log()
    assert log["action"].tolist() == ["export", "export"]
    assert log["detail"].tolist() == ["Handout 01.09.2026 – 31.10.2026 (Rolle rapport)",
                                      "Behälterplan CSV (Rolle analyse)"]
    assert log["kind"].tolist()[1] == "disposal_bin" and log["count"].tolist()[1] == 7


def test_app_exports_are_audited_only_through_access():
    """No page writes an export line to the audit log by hand (they call release/log_release)."""
    root = Path(__file__).resolve().parents[1]
    for path in [*root.glob("app_pages/*.py"), *root.glob("app_support/*.py"), root / "app.py",
                 *root.glob("geo/cli/*.py")]:
        assert '.audit("export"' not in path.read_text(encoding="utf-8"), path.name
