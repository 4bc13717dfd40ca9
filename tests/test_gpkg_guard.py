"""Issue 16, finding 5: a GeoPackage whose layer is a view that never finishes is refused with one German line
before GDAL reads it (the import and the Behälter page's upload would otherwise run at 100 % CPU forever).

The files are made here: a valid layer written by pyogrio, then a recursive view registered as the only layer.
The reading runs in a subprocess with a timeout, so a regression fails instead of hanging the test run.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.core.errors import ImportRefused
from geo.data.gpkg_guard import check_bounded

REPO = Path(__file__).resolve().parents[1]
#: Seconds a refusal may take at most (it takes well under one; reading the view would never end).
LIMIT_S = 60


def _table(path: Path) -> Path:
    gpd.GeoDataFrame({"datum": ["01.10.2026 10:00"], "anzahl": [1]}, geometry=[Point(12.40, 51.344)],
                     crs="EPSG:4326").to_file(path, layer="funde", driver="GPKG")
    return path


def endless_view(path: Path) -> Path:
    """A GeoPackage whose only layer is a recursive view without end."""
    con = sqlite3.connect(_table(path))
    con.executescript("""
        CREATE VIEW endlos AS WITH RECURSIVE r(fid, geom, datum, anzahl) AS
          (SELECT fid, geom, datum, anzahl FROM funde UNION ALL SELECT fid + 1, geom, datum, anzahl FROM r)
          SELECT * FROM r;
        DELETE FROM gpkg_geometry_columns WHERE table_name = 'funde';
        DELETE FROM gpkg_contents WHERE table_name = 'funde';
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
          VALUES ('endlos', 'features', 'endlos', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('endlos', 'geom', 'POINT', 4326, 0, 0);
    """)
    con.commit()
    con.close()
    return path


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=LIMIT_S,
                              env={"PATH": "/usr/bin:/bin", "LAGEBILD_DEMO": "0", "HOME": str(tmp_path)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading the endless view did not end within {LIMIT_S} s")


def test_import_of_an_endless_view_is_refused_with_one_german_line(tmp_path):
    src = endless_view(tmp_path / "endlos.gpkg")
    store = tmp_path / "store.gpkg"
    out = _run(["-m", "geo", "import", str(src), "--kind", "spritzenfund", "--store", str(store)], tmp_path)
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("Fehler:")]
    assert errors == ["Fehler: endlos.gpkg: enthält eine Sicht (View) »endlos« – Lagebild liest nur Tabellen; "
                      "bitte die Daten als Tabelle speichern (z. B. in QGIS exportieren)."], out.stderr
    assert "Traceback" not in out.stderr


def test_behaelter_candidate_file_with_an_endless_view_is_refused(tmp_path):
    src = endless_view(tmp_path / "standorte.gpkg")
    code = ("import sys\nfrom geo.core.errors import UserError\nfrom geo.data.sitefiles import read_candidates\n"
            f"try:\n    read_candidates({str(src)!r})\nexcept UserError as exc:\n    print(exc)\n    sys.exit(2)\n")
    out = _run(["-c", code], tmp_path)
    assert out.returncode == 2 and "Sicht (View)" in out.stdout, (out.stdout, out.stderr)


def test_plain_tables_with_spatial_index_pass_and_other_virtual_tables_are_refused(tmp_path):
    plain = _table(tmp_path / "plain.gpkg")
    con = sqlite3.connect(plain)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE sql LIKE '%USING rtree%'").fetchone()[0] == 1
    con.close()
    check_bounded(plain, "plain.gpkg")  # a spatial index (rtree) is part of the standard
    virtual = _table(tmp_path / "virtual.gpkg")
    con = sqlite3.connect(virtual)
    con.execute("CREATE VIRTUAL TABLE notizen USING fts5(text)")
    con.commit()
    con.close()
    with pytest.raises(ImportRefused, match="virtuelle Tabelle »notizen«"):
        check_bounded(virtual, "virtual.gpkg")
