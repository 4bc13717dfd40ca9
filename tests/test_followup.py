"""Follow-up of carried-out agreements (verdict lines) and the handout section "Vereinbarungen"."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime

import numpy as np
import pytest

from geo.core.period import Period
from geo.data import agreements as ag
from geo.data.store import Store
from geo.report.followup import due_for_follow_up, follow_up_from_store, follow_up_line

RAPPORT = Period(date(2026, 9, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def lines(demo_store):
    return follow_up_from_store(demo_store)


def test_bin_torgauer_platz_shows_its_planted_effect(lines):
    texts = lines.set_index("label")["text"]
    assert texts["Behälter Torgauer Platz"] == \
        "Behälter Torgauer Platz: umgesetzt 01.11.2025 — Wirkung: −54 % Funde im Umkreis"
    row = lines.set_index("label").loc["Behälter Torgauer Platz"]
    assert row["verdict"] == "effect" and row["window_days"] == 180 and -70 < row["change_pct"] < -30


def test_only_carried_out_and_long_enough_ago(demo_store, lines):
    table = demo_store.agreements()
    assert set(lines["agreement_id"]) == set(table.loc[table["measure_id"] != "", "agreement_id"])
    # 01.11.2025 + 56 days: due from 27.12.2025, not before
    torgau = table["title"].str.contains("Torgauer Platz").to_numpy()
    assert due_for_follow_up(table, date(2025, 12, 27))[torgau].all()
    assert not due_for_follow_up(table, date(2025, 12, 26))[torgau].any()
    assert not due_for_follow_up(table[table["status"] == "rejected"], date(2030, 1, 1)).any()


def test_caution_reads_the_same_on_vereinbarungen_and_vergleich(demo_store):
    """Issue 17: for the same bin the Vereinbarungen page cautioned »Spritzenfunde, Ring 500 m: Verdrängung« and the
    Vergleich page (Maßnahmen) listed Beschwerden and Szenebeobachtungen too. Both sentences come from
    VerdictSensitivity.sentence with the same settings; the follow-up checks the finds its effect is measured in,
    the Vergleich page every report kind – the finds' part reads the same and each says what it checked."""
    from geo.analysis.evaluate import DEFAULT_BUFFER_M, DEFAULT_CONTROL_WIDTH_M, DEFAULT_WINDOW_DAYS
    from geo.analysis.sensitivity import verdict_sensitivity
    from geo.analysis.timeseries import measure_table
    from geo.core.quality import spatial_records
    from geo.core.schema import MEASURE_KINDS, RECORD_ID, REPORT_KINDS, SYRINGE_FIND

    ours = follow_up_from_store(demo_store, sensitivity=True).set_index("label").loc["Behälter Torgauer Platz",
                                                                                     "sensitivity"]
    assert ours.startswith("Vorsicht: das Ergebnis »Wirkung« (Standard) kippt je nach Annahme – Spritzenfunde, "), ours
    assert ours.endswith(". Geprüft: nur Spritzenfunde, Ring 200, 300 und 500 m."), ours
    # the Vergleich page's check of the same measure (app_pages/compare.py::sensitivity with its default settings)
    table = demo_store.agreements()
    (measure_id,) = table.loc[table["title"].str.contains("Torgauer Platz") & (table["measure_id"] != ""),
                              "measure_id"]
    measures = measure_table({k: demo_store.read(k) for k in MEASURE_KINDS}, demo_store.area.crs)
    measure = measures[measures[RECORD_ID].astype(str) == measure_id].iloc[0]
    frames = {k: spatial_records(demo_store.read(k))[0] for k in REPORT_KINDS}
    theirs = verdict_sensitivity(measure, frames, demo_store.area, kind=SYRINGE_FIND, buffer_m=DEFAULT_BUFFER_M,
                                 radius_m=None, window_days=DEFAULT_WINDOW_DAYS, control="rest",
                                 control_width_m=DEFAULT_CONTROL_WIDTH_M).sentence()
    head = ours.removesuffix(". Geprüft: nur Spritzenfunde, Ring 200, 300 und 500 m.")
    assert theirs.startswith(head) and theirs[len(head)] in ";.", (ours, theirs)
    assert theirs.endswith(". Geprüft: Spritzenfunde, Beschwerden und Szenebeobachtungen, je Ring 200, 300 und "
                           "500 m."), theirs


def test_line_formats():
    assert follow_up_line("Umbau X", date(2025, 6, 20), "no_effect", "kein Effekt", 12.4) == \
        "Umbau X: umgesetzt 20.06.2025 — kein Effekt: +12 % Funde im Umkreis"
    assert follow_up_line("Umbau X", date(2025, 6, 20), "not_evaluable", "nicht auswertbar", np.nan) == \
        "Umbau X: umgesetzt 20.06.2025 — Wirkung: nicht auswertbar"


def _pdftotext(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "h.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_handout_section_lists_open_overdue_and_effects(demo_store, tmp_path):
    from geo.report.handout import handout_from_store

    store = Store(tmp_path / "s.gpkg")
    shutil.copyfile(demo_store.path, store.path)
    point = ag.place_from_latlon(store.area, 51.3452, 12.4050)
    new = ag.add_agreement(store, title="<img src=x onerror=alert(1)> Behälter ${x}", kind="disposal_bin",
                           geometry=point, agreed="2026-09-08", responsible="Stadtreinigung", due="2026-10-01",
                           place="Eisenbahnstraße 100")
    ag.set_status(store, new, "umgesetzt", done="2026-10-02", today=date(2026, 11, 10))
    pdf = handout_from_store(store, RAPPORT, created=datetime(2026, 11, 10, 9, 0))
    text = _pdftotext(pdf, tmp_path)
    section = text[text.index("Vereinbarungen"):]
    assert "Offen (4, davon 2 überfällig)" in section
    first_open = section.index("Stellenerweiterung")
    assert first_open < section.index("Weitere Spritzenentsorgungsbehälter")  # overdue first
    assert "Umgesetzt seit 01.09.2026" in section
    flat = " ".join(section.split())
    assert "<img src=x onerror=alert(1)>" in flat and "Behälter ${x}" in flat  # printed literally
    assert "Wirkung noch nicht auswertbar" in section
    assert "Behälter Torgauer Platz: umgesetzt 01.11.2025 — Wirkung: −54 % Funde im Umkreis" in section
    # issue 17: the caution the Vereinbarungen page shows under a verdict that flips is in the handout too
    assert ("Behälter Torgauer Platz: umgesetzt 01.11.2025 — Wirkung: −54 % Funde im Umkreis. Vorsicht: das Ergebnis "
            "»Wirkung« (Standard) kippt je nach Annahme – Spritzenfunde, Ring 500 m: Verdrängung. Geprüft: nur "
            "Spritzenfunde, Ring 200, 300 und 500 m.") in flat
    assert re.search(r"Umbau Kita Köhlerplatz: umgesetzt 20\.06\.2025 — kein Effekt: \+60 % Funde im Umkreis"
                     r"(?!\. Vorsicht)", flat)  # a verdict that holds: no caution
    assert "Verworfen: Nr. 4 Spritzenentsorgungsbehälter am Spielplatz Rabet" in " ".join(section.split())


def test_handout_without_agreements_says_so(demo_store, tmp_path):
    from geo.report.handout import build_handout, read_period

    empty = demo_store.agreements().iloc[0:0]
    pdf = build_handout(read_period(demo_store, RAPPORT), None, demo_store.area, RAPPORT, auto_hotspots=False,
                        agreements=empty)
    assert "Keine Vereinbarungen erfasst." in _pdftotext(pdf, tmp_path)


def test_sensitivity_of_the_verdict_across_ring_widths(demo_store):
    table = demo_store.agreements()
    torgau = table[table["title"].str.contains("Torgauer Platz")]
    lines = follow_up_from_store(demo_store, torgau, sensitivity=True)
    row = lines.iloc[0]
    assert row["verdict"] == "effect"
    sens = row["sensitivity_table"]
    assert sorted(sens["buffer_m"]) == [200.0, 300.0, 500.0] and sens["default"].sum() == 1
    assert sens.loc[sens["default"], "verdict"].iloc[0] == "effect"
    assert row["sensitivity"].startswith(("Das Ergebnis »Wirkung«", "Vorsicht: das Ergebnis »Wirkung«"))


def test_a_line_place_is_evaluated_with_a_150_m_corridor_and_its_buffer_ring(demo_store, tmp_path):
    """A greenery cut drawn as a line along Eisenbahnstraße: the follow-up counts finds within 150 m of the
    line (treated), 150–450 m (buffer ring) and beyond (control); the DiD equals a direct computation."""
    import pandas as pd
    import shapely

    from geo.analysis.evaluate import evaluate_measure
    from geo.analysis.timeseries import measure_table
    from geo.core.quality import spatial_records

    store = Store(tmp_path / "s.gpkg")
    shutil.copyfile(demo_store.path, store.path)
    a, b = (ag.place_from_latlon(store.area, lat, lon) for lat, lon in ((51.3452, 12.4050), (51.3457, 12.4095)))
    line = shapely.LineString([a.coords[0], b.coords[0]])
    new = ag.add_agreement(store, title="Rückschnitt entlang der Straße", kind="greenery_cut", geometry=line,
                           agreed="2026-01-13", responsible="Amt für Stadtgrün", due="2026-03-31",
                           place="Eisenbahnstr.")
    done = ag.set_status(store, new, "umgesetzt", done="2026-03-02", today=date(2026, 11, 10))
    lines = follow_up_from_store(store, store.agreements().query("agreement_id == @new"))
    assert len(lines) == 1
    row = lines.iloc[0]
    assert row["verdict"] != "not_evaluable" and row["window_days"] == 180
    assert row["text"].startswith("Grünrückschnitt Eisenbahnstr.: umgesetzt 02.03.2026 — ")

    measure = measure_table({"greenery_cut": store.read("greenery_cut")}, store.area.crs)
    measure = measure[measure["record_id"] == done["measure_id"]].iloc[0]
    assert measure.geometry.geom_type == "LineString" and measure.geometry.hausdorff_distance(line) < 0.5
    line = measure.geometry  # as stored (coordinates rounded)
    finds, _ = spatial_records(store.read("syringe_find"))
    ev = evaluate_measure(measure, finds, "syringe_find", store.area)
    areas = ev.areas.set_index("role")
    boundary = store.area.boundary
    corridor = shapely.buffer(line, 150.0)
    assert areas.geometry["treated"].area == pytest.approx(corridor.intersection(boundary).area, rel=1e-6)
    ring = shapely.buffer(corridor, 300.0).difference(corridor).intersection(boundary)
    assert areas.geometry["buffer"].area == pytest.approx(ring.area, rel=1e-6)
    assert ev.before.start == date(2025, 9, 3) and ev.after.start == date(2026, 3, 2)

    when = pd.to_datetime(finds["found_at"])
    x, y = finds.geometry.x.to_numpy(), finds.geometry.y.to_numpy()
    zones = {"treated": corridor, "buffer": shapely.buffer(corridor, 300.0).difference(corridor),
             "control": boundary.difference(shapely.buffer(corridor, 300.0))}

    def count(window, zone):
        w = (when >= pd.Timestamp(window.start)) & (when < pd.Timestamp(window.end) + pd.Timedelta(days=1))
        return int((w.to_numpy() & shapely.contains_xy(zones[zone], x, y)).sum())

    (t0, t1), (d0, d1), (c0, c1) = ((count(ev.before, z), count(ev.after, z)) for z in zones)
    assert tuple(ev.counts["before"]) == (t0, d0, c0) and tuple(ev.counts["after"]) == (t1, d1, c1)
    assert t0 > 20  # a real corridor along the street, not the line itself
    assert row["change_pct"] == pytest.approx(100 * ((t1 / t0) / (c1 / c0) - 1), abs=1e-9)
