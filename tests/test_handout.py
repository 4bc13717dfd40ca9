"""Tests for the handout PDF (geo.report.handout, geo.report.staticmap) and the CLI commands handout and export.

Text is extracted with ``pdftotext`` (poppler-utils); tests that read the text skip when it
is not installed.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.core.area import leipziger_osten
from geo.core.errors import UserError
from geo.core.period import Period, records_in
from geo.data.demo import generate_demo
from geo.data.ingest import import_frame
from geo.data.store import Store
from geo.report.figures import count_hotspots, format_number, key_figures
from geo.report.handout import DEMO_NOTICE, build_handout, escape, handout_from_store, is_demo_data
from geo.report.staticmap import map_png

CRS = "EPSG:25833"
X0, Y0 = 319_000.0, 5_691_000.0
PERIOD = Period(date(2026, 5, 1), date(2026, 6, 30))
HOSTILE_PLACE = "<b>Kita & Co</b>"
HOSTILE_MEASURE = "<img src=x onerror=alert(1)> `${alert(1)}`"
HOSTILE_DISTRICT = "Ost $x^2$ <i>&"
NOW = datetime(2026, 11, 1)


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in layout order, whitespace in each line collapsed (skips without pdftotext)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return "\n".join(" ".join(line.split()) for line in out.stdout.decode("utf-8").splitlines())


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page (as :func:`pdf_text`)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return ["\n".join(" ".join(line.split()) for line in page.splitlines())
            for page in out.stdout.decode("utf-8").split("\f") if page.strip()]


def n_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def pts(xy, **cols) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(cols, geometry=shapely.points(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS)


def small_data() -> tuple[dict, dict]:
    """A hand-made period and previous period: 7 finds (17 syringes), 3 complaints, two places."""
    places = pts([[0, 0], [600, 0]], name=[HOSTILE_PLACE, "Spielplatz Süd – Şehitler ≥ Ω"],
                 place_type=["Kita", "Spielplatz"], buffer_m=[100.0, 100.0])
    current = {
        "syringe_find": pts([[10, 0], [20, 0], [-30, 5], [0, 50], [600, 10], [900, 900], [950, 900]],
                            found_at=pd.to_datetime(["2026-05-03"] * 7), count=[1, 2, 3, 4, 5, 1, 1],
                            source="Stadtreinigung", reporter=""),
        "complaint": pts([[0, 20], [5, 5], [1500, 0]], received_at=pd.to_datetime(["2026-06-01"] * 3),
                         category=["Konsum", "Lärm", "Sonstiges"], channel="Telefon", text="geheim", reporter="X"),
        "sensitive_place": places,
        "disposal_bin": pts([[50, 50]], installed_at=pd.to_datetime(["2024-01-01"]), removed_at=pd.NaT,
                            owner="Stadtreinigung", label="Behälter Nord"),
        "greenery_cut": pts([[0, 0]], done_at=pd.to_datetime(["2026-05-20"]), description=[HOSTILE_MEASURE]),
        "district": gpd.GeoDataFrame({"name": [HOSTILE_DISTRICT], "number": ["20"]},
                                     geometry=[shapely.box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500)], crs=CRS),
    }
    previous = {
        "syringe_find": pts([[10, 0], [11, 0], [12, 0], [13, 0]], found_at=pd.to_datetime(["2026-04-03"] * 4), count=1,
                            source="Polizei", reporter=""),
        "complaint": pts([[0, 0]], received_at=pd.to_datetime(["2026-04-01"]), category=["Konsum"],
                         channel="Telefon", text="", reporter=""),
        "sensitive_place": places,
    }
    return current, previous


# -- helpers --------------------------------------------------------------------------------


def test_escape_makes_markup_literal():
    assert escape(HOSTILE_MEASURE) == "&lt;img src=x onerror=alert(1)&gt; `${alert(1)}`"
    assert escape("A & B") == "A &amp; B"
    assert escape(None) == "" and escape(np.nan) == "" and escape(12) == "12"


def test_is_demo_data():
    assert is_demo_data(pd.DataFrame({"user": ["lokal", "demo"], "file_name": ["a.csv", "b.csv"]}))
    assert is_demo_data(pd.DataFrame({"user": ["lokal"], "file_name": ["demo-syringe_find-seed1"]}))
    assert not is_demo_data(pd.DataFrame({"user": ["lokal"], "file_name": ["funde-demographie.csv"]}))
    assert not is_demo_data(pd.DataFrame(columns=["user", "file_name"]))


def test_map_png_is_an_image():
    current, _ = small_data()
    png = map_png(leipziger_osten(), dpi=60, places=current["sensitive_place"], bins=current["disposal_bin"],
                  finds=current["syringe_find"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


def test_map_draws_names_literally():
    """Names with ``$`` are not parsed as mathtext (an unknown command would make rendering fail)."""
    from geo.core.area import StudyArea
    from geo.report.staticmap import render_map

    current, _ = small_data()
    name = r"Ost $\undefinedcmd$ & <b>"
    districts = current["district"].assign(name=[name])
    area = StudyArea(r"Gebiet $\foo$", leipziger_osten().boundary)
    fig = render_map(area, districts=districts, places=current["sensitive_place"], extent="area")
    fig.savefig(io.BytesIO(), format="png", dpi=40)
    shown = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.legends[0].get_texts()]
    assert name in shown and r"Gebiet: Gebiet $\foo$" in shown
    assert {"1", "2"} <= set(shown)  # places numbered like the table


# -- the PDF --------------------------------------------------------------------------------


def test_handout_small_data_contents(tmp_path):
    current, previous = small_data()
    pdf = build_handout(current, previous, leipziger_osten(), PERIOD, auto_hotspots=False,
                        title="Rapport <Test> & Co", threshold=5, created=datetime(2026, 7, 2, 9, 30))
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert 1 <= n_pages(pdf) <= 3
    text = pdf_text(pdf, tmp_path)
    assert "Rapport <Test> & Co" in text
    assert "01.05.2026 – 30.06.2026" in text and "01.03.2026 – 30.04.2026" in text
    assert "erstellt am 02.07.2026, 09:30 Uhr" in text
    # key figures: finds 7 vs 4, syringes 17 vs 4, complaints 3 vs 1
    assert "Spritzenfunde (Fundstellen) 7 4 +3 (+75 %)" in text
    assert "Spritzen 17 4 +13 (+325 %)" in text
    assert "Beschwerden 3 1 +2 (+200 %)" in text
    assert "Hotspot-Zellen 0" not in text  # no hot spot analysis: no row
    # places: the Kita has 4 finds (10 syringes) + 2 complaints = 6 ≥ 5 → flagged; before 4 + 1 = 5
    assert f"1 {HOSTILE_PLACE} 4 10 2 5 +1 (+20 %) ja\nKita · Schutzabstand 100 m" in text
    assert "2 Spielplatz Süd – Şehitler ≥ Ω 1 5 0 0 +1 nein\nSpielplatz · Schutzabstand 100 m" in text
    # measures, hostile text literally; the bin is listed as active
    assert HOSTILE_MEASURE in text
    # districts: 1 km², finds at x ≤ 50 m → 4 finds (10 syringes), 2 complaints
    assert f"{HOSTILE_DISTRICT} 20 1,00 4 10 2 4,0 2,0" in text
    assert "Behälter Nord (Stadtreinigung) seit 01.01.2024" in text
    assert DEMO_NOTICE not in text
    assert "geheim" not in text  # complaint texts are private and never printed


def test_handout_demo_data(tmp_path):
    demo = generate_demo()
    area = leipziger_osten()
    current = {k: records_in(g, k, PERIOD) for k, g in demo.items()}
    previous = {k: records_in(g, k, PERIOD.previous()) for k, g in demo.items()}
    from geo.analysis.hotspots import hotspot_analysis

    hotspots = hotspot_analysis(current["syringe_find"], area.boundary, weight="count")
    pdf = build_handout(current, previous, area, PERIOD, hotspots=hotspots, demo=True, threshold=20)
    assert pdf.startswith(b"%PDF")
    pages = n_pages(pdf)
    assert 2 <= pages <= 4
    page = pdf_pages(pdf, tmp_path)
    # page 1 for the room: what changed, key figures, named hotspots, the method in short
    for heading in ("Was sich verändert hat", "Kennzahlen", "Top-Hotspots", "Methode:"):
        assert heading in page[0], heading
    # page 2: sensitive places and measures, then room for notes
    assert "Sensible Orte" in page[1] and "Maßnahmen im Zeitraum" in page[1]
    assert "Notizen" in page[1] or "Notizen" in page[2]
    text = pdf_text(pdf, tmp_path)
    hot = count_hotspots(hotspots.cells)
    kf = key_figures(current, previous, hot)
    for key in ("finds", "syringes", "complaints", "scene_observations", "hotspots"):
        row = kf.loc[key]
        assert f"{row.figure} {format_number(row.value)} " in text, key
    assert hot > 0
    for name in ("Kita Köhlerplatz", "Spielplatz Rabet", "Dauerpräsenz Polizei am Rabet", "Torgauer Platz"):
        assert name in text
    assert text.count(f"Hinweis: {DEMO_NOTICE}") == pages  # in every footer
    assert "Getis-Ord Gi*" in text and "Distanzband" in text


def test_handout_without_finds_has_no_hotspots(tmp_path):
    current, previous = small_data()
    current["syringe_find"] = current["syringe_find"].iloc[:0]
    pdf = build_handout(current, previous, leipziger_osten(), PERIOD)
    text = pdf_text(pdf, tmp_path)
    assert "Keine Spritzenfunde im Zeitraum; keine Hotspot-Analyse." in text
    assert "Spritzenfunde (Fundstellen) 0 4 -4 (-100 %)" in text


def test_handout_from_store_refuses_empty_store(fresh_store):
    with pytest.raises(UserError, match="leer"):
        handout_from_store(fresh_store, PERIOD)


# -- CLI ------------------------------------------------------------------------------------


def cli(*args) -> int:
    try:
        return main([str(a) for a in args])
    except SystemExit as exc:  # argparse errors
        return int(exc.code)


@pytest.fixture(scope="module")
def store_template(tmp_path_factory) -> Store:
    """A store with the small data set (both periods) and a formula in a measure description."""
    s = Store(tmp_path_factory.mktemp("handout") / "s.gpkg", leipziger_osten())
    current, previous = small_data()
    current["greenery_cut"] = pd.concat([current["greenery_cut"], pts(
        [[5, 5]], done_at=pd.to_datetime(["2026-05-21"]), description=['=HYPERLINK("http://x","klick")'])])
    for kind in ("syringe_find", "complaint"):
        current[kind] = pd.concat([current[kind], previous[kind]], ignore_index=True)
    for kind, frame in current.items():
        import_frame(frame, kind, s, source=f"test-{kind}.csv", now=NOW)
    return s


@pytest.fixture
def store(store_template, tmp_path) -> Store:
    """A private copy of the template store (tests write to it and to its audit log)."""
    path = tmp_path / "store" / "s.gpkg"
    path.parent.mkdir()
    shutil.copyfile(store_template.path, path)
    return Store(path, store_template.area)


def test_cli_handout_ok(store, tmp_path, capsys):
    out = tmp_path / "rapport.pdf"
    assert cli("handout", "--from", "2026-05-01", "--to", "2026-06-30", "--out", out, "--store", store.path) == 0
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "geschrieben" in capsys.readouterr().out
    log = store.audit_log()
    assert log.iloc[-1]["action"] == "handout"
    text = pdf_text(pdf, tmp_path)
    assert "Spritzenfunde (Fundstellen) 7 4" in text and HOSTILE_PLACE in text and DEMO_NOTICE not in text


def test_cli_handout_marks_demo_store(store, tmp_path):
    import_frame(pts([[0, 0]], found_at=pd.to_datetime(["2026-05-09"]), count=[1]), "syringe_find", store,
                 source="demo-syringe_find-seed1", user="demo", now=NOW)
    out = tmp_path / "r.pdf"
    assert cli("handout", "--from", "01.05.2026", "--to", "30.06.2026", "--out", out, "--store", store.path) == 0
    assert f"Hinweis: {DEMO_NOTICE}" in pdf_text(out.read_bytes(), tmp_path)


@pytest.mark.parametrize("args", [
    ("--from", "2026-06-30", "--to", "2026-05-01"),  # end before start
    ("--from", "2026-05-01", "--to", "2026-06-30", "--out", "rapport.txt"),  # not a PDF
    ("--from", "2026-05-01"),  # --to missing (argparse)
])
def test_cli_handout_bad_arguments_exit_2(store, tmp_path, args, capsys):
    if "--out" not in args:
        args = (*args, "--out", tmp_path / "r.pdf")
    assert cli("handout", *args, "--store", store.path) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


def test_cli_handout_unreadable_date_exits_2(store, tmp_path):
    assert cli("handout", "--from", "2026-13-01", "--to", "2026-06-30", "--out", tmp_path / "r.pdf",
               "--store", store.path) == 2


def test_cli_handout_empty_or_missing_store_exits_2(tmp_path, capsys):
    out = tmp_path / "r.pdf"
    assert cli("handout", "--from", "2026-05-01", "--to", "2026-06-30", "--out", out,
               "--store", tmp_path / "missing.gpkg") == 2
    assert "leer" in capsys.readouterr().err
    not_a_store = tmp_path / "x.gpkg"
    not_a_store.write_text("hallo")
    assert cli("handout", "--from", "2026-05-01", "--to", "2026-06-30", "--out", out, "--store", not_a_store) == 2
    assert not out.exists()


def test_cli_export_csv_neutralised_private_fields_dropped(store, tmp_path):
    out = tmp_path / "massnahmen.csv"
    assert cli("export", "--kind", "greenery_cut", "--out", out, "--store", store.path) == 0
    df = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert {"lat", "lon", "wkt", "description", "done_at"} <= set(df.columns)
    assert df["description"].tolist() == [HOSTILE_MEASURE, '\'=HYPERLINK("http://x","klick")']
    assert df["lat"].between(51.3, 51.4).all() and df["lon"].between(12.3, 12.5).all()
    assert df["wkt"].str.startswith("POINT (12.").all()
    entry = store.audit_log().iloc[-1]
    assert (entry["action"], entry["kind"], entry["count"]) == ("export", "greenery_cut", 2)

    out = tmp_path / "beschwerden.csv"
    assert cli("export", "--kind", "complaint", "--from", "2026-05-01", "--to", "2026-06-30",
               "--out", out, "--store", store.path) == 0
    df = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert len(df) == 3 and "text" not in df and "reporter" not in df and "wkt" not in df
    assert cli("export", "--kind", "complaint", "--with-private", "--category", "Lärm", "--out", out,
               "--store", store.path) == 0
    df = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert df["category"].tolist() == ["Lärm"] and df["text"].tolist() == ["geheim"]
    assert "vertraulich" in store.audit_log().iloc[-1]["detail"]


def test_cli_export_geojson_wgs84_and_gpkg(store, tmp_path):
    out = tmp_path / "funde.geojson"
    assert cli("export", "--kind", "syringe_find", "--from", "2026-05-01", "--to", "2026-06-30",
               "--out", out, "--store", store.path) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 7
    lon, lat = np.array([f["geometry"]["coordinates"] for f in data["features"]]).T
    assert (lat > 51.3).all() and (lat < 51.4).all() and (lon > 12.3).all() and (lon < 12.5).all()
    assert sorted(f["properties"]["count"] for f in data["features"]) == [1, 1, 1, 2, 3, 4, 5]
    assert "reporter" not in data["features"][0]["properties"]
    out = tmp_path / "funde.gpkg"
    assert cli("export", "--kind", "syringe_find", "--out", out, "--store", store.path) == 0
    gpkg = gpd.read_file(out)
    assert len(gpkg) == 11 and gpkg.crs.to_epsg() == 25833


@pytest.mark.parametrize("args", [
    ("--kind", "syringe_find", "--category", "Lärm", "--out", "x.csv"),  # finds have no category
    ("--kind", "complaint", "--category", "Unfug", "--out", "x.csv"),  # unknown category
    ("--kind", "complaint", "--out", "x.xlsx"),  # unknown format
    ("--kind", "complaint", "--from", "2026-05-01", "--out", "x.csv"),  # --to missing
])
def test_cli_export_bad_arguments_exit_2(store, tmp_path, args, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("export", *args, "--store", store.path) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()
    assert not (tmp_path / "x.csv").exists()


def test_cli_export_missing_store_exits_2(tmp_path):
    assert cli("export", "--kind", "complaint", "--out", tmp_path / "x.csv", "--store", tmp_path / "no.gpkg") == 2


def test_pdf_page_renders(tmp_path):
    """The first page rasterises (pdftoppm) to a mostly white A4 image with content."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    current, previous = small_data()
    (tmp_path / "h.pdf").write_bytes(build_handout(current, previous, leipziger_osten(), PERIOD,
                                                   auto_hotspots=False))
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(tmp_path / "h.pdf"),
                    str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png")).read_bytes()
    from matplotlib.image import imread

    img = imread(io.BytesIO(png))
    h, w = img.shape[:2]
    assert abs(h / w - 297 / 210) < 0.02  # A4 portrait
    ink = (img[..., :3].mean(axis=2) < 0.9).mean()
    assert 0.02 < ink < 0.5


def test_handout_heat_table_of_the_top_hotspot(tmp_path):
    from geo.analysis.hotspot_areas import hotspot_areas
    from geo.analysis.hotspots import hotspot_analysis
    from geo.analysis.times import records_inside, time_table

    demo = generate_demo()
    area = leipziger_osten()
    current = {k: records_in(g, k, PERIOD) for k, g in demo.items()}
    hotspots = hotspot_analysis(current["syringe_find"], area.boundary, weight="count")
    pdf = build_handout(current, None, area, PERIOD, hotspots=hotspots, demo=True)
    text = pdf_text(pdf, tmp_path)
    assert "Wann am Hotspot 1?" in text
    assert "Mo " in text and "So " in text and "22–24" in text
    flat = " ".join(text.split())
    assert "Vorschlag für Präsenz und Streetwork:" in flat and "der Spritzenfunde im Hotspot 1" in flat
    # the printed Sunday row equals the table of the finds in the top hotspot area (2-hour blocks)
    top = hotspot_areas(hotspots.cells).iloc[0]
    table = time_table(records_inside(current["syringe_find"], top.geometry), "syringe_find")
    blocks = table.table.reshape(7, 12, 2).sum(axis=2)
    sunday = " ".join(format_number(v) if round(v) > 0 else "·" for v in blocks[6])
    assert f"So {sunday}" in text
    assert n_pages(pdf) <= 3


def test_handout_forecast_line_names_the_top_places(tmp_path):
    from geo.analysis.forecast import forecast
    from geo.report.forecast_text import forecast_line, forecast_places

    demo = generate_demo()
    area = leipziger_osten()
    current = {k: records_in(g, k, PERIOD) for k, g in demo.items()}
    result = forecast(demo["syringe_find"], "syringe_find", area, PERIOD)
    names = forecast_places(result, places=demo["sensitive_place"], districts=demo.get("district"))
    assert 1 <= len(names) <= 3 and len(set(names)) == len(names)
    assert all(n.startswith(("bei ", "nahe ")) for n in names), names  # the demo has places everywhere
    line = forecast_line(result, places=demo["sensitive_place"], districts=demo.get("district"))
    assert line.startswith("Prognose 01.07.2026 – 31.08.2026: die meisten Spritzenfunde werden erwartet: ")
    assert names[0] in line and "3 % der Fläche" in line
    # issue 17: the method's spans in months, as the backtest sentence under it says them (not »2 Zeiträume«)
    assert "Zeitr" not in line.split("Karte:")[1] and " Monat" in line.split("Karte:")[1], line
    pdf = build_handout(current, None, area, PERIOD, demo=True, forecast=result)
    text = pdf_text(pdf, tmp_path)
    assert "Prognose 01.07.2026 – 31.08.2026: die meisten Spritzenfunde werden erwartet:" in " ".join(text.split())
    assert "Prognose 01.07.2026" not in pdf_text(build_handout(current, None, area, PERIOD, demo=True), tmp_path)


def test_cli_handout_without_dates_uses_the_current_rapport_period(store, tmp_path, capsys):
    from geo.data.facts import current_rapport_period, latest_report_date

    assert latest_report_date(store) == date(2026, 6, 1)  # the newest report of the small data set
    expected = current_rapport_period(store)
    assert (expected.start, expected.end) == (date(2026, 4, 1), date(2026, 5, 31))  # the two whole months before
    out = tmp_path / "r.pdf"
    assert cli("handout", "--out", out, "--store", store.path) == 0
    assert f"Handout {expected.label()} geschrieben" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"%PDF")
