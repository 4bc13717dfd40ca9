"""``lagebild agreements``: every subcommand and exit code, German messages, nothing changed on errors."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from geo.cli import main
from geo.data.store import Store


@pytest.fixture
def store(demo_store, tmp_path, monkeypatch) -> Store:
    s = Store(tmp_path / "s.gpkg")
    shutil.copyfile(demo_store.path, s.path)
    monkeypatch.setenv("LAGEBILD_STORE", str(s.path))
    monkeypatch.setenv("LAGEBILD_TODAY", "2026-11-10")
    monkeypatch.setenv("LAGEBILD_USER", "testerin")
    return s


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["agreements", *argv])
    out, err = capsys.readouterr()
    return code, out, err


ADD = ["add", "--title", "Behälter Hermann-Liebmann-Straße", "--kind", "Spritzenentsorgungsbehälter",
       "--agreed", "08.09.2026", "--responsible", "Stadtreinigung", "--due", "2026-10-31"]


def test_add_with_coordinates_prints_the_new_id(store, capsys):
    code, out, err = run(capsys, *ADD, "--lat", "51.3456", "--lon", "12.4062")
    assert (code, err) == (0, "") and out.strip() == "12"
    row = store.agreements().iloc[-1]
    assert row["kind"] == "disposal_bin" and row["status"] == "agreed" and row["geometry"].geom_type == "Point"
    assert store.audit_log().iloc[-1]["user"] == "testerin"


def test_add_at_a_sensitive_place_and_a_hotspot(store, capsys):
    code, out, _ = run(capsys, "add", "--title", "Mauer erhöhen", "--kind", "structural_change", "--place",
                       "kita köhlerplatz", "--agreed", "2026-09-08", "--responsible", "Jugendamt", "--due",
                       "2026-12-31")
    assert code == 0 and out.strip() == "12"
    assert store.agreements().iloc[-1]["place"] == "Kita Köhlerplatz"
    code, out, _ = run(capsys, "add", "--title", "Streetwork verstärken", "--kind", "Streetwork", "--hotspot", "1",
                       "--agreed", "2026-11-10", "--responsible", "Streetwork", "--due", "2026-12-31")
    assert code == 0 and out.strip() == "13"
    row = store.agreements().iloc[-1]
    assert row.geometry.geom_type == "Polygon" and row["place"].startswith("Hotspot Nr. 1 (")


def test_add_at_a_forecast_area(store, capsys):
    from geo.analysis.forecast import forecast, forecast_areas
    from geo.core.period import Period
    from geo.data.agreements import forecast_places

    code, out, err = run(capsys, "add", "--title", "Streetwork dorthin, wo es nächstes Mal brennt", "--kind",
                         "Streetwork", "--forecast", "2", "--agreed", "2026-11-10", "--responsible", "Streetwork",
                         "--due", "2026-12-31")
    assert (code, err, out.strip()) == (0, "", "12")
    row = store.agreements().iloc[-1]
    # the last Rapport period before the latest find (Sep–Oct 2026) → the forecast for Nov–Dec 2026
    assert row["place"] == "Prognosefläche Nr. 2 (01.11.2026 – 31.12.2026)"
    expected = forecast_places(forecast_areas(forecast(store.read("syringe_find"), "syringe_find", store.area,
                                                       Period(date(2026, 9, 1), date(2026, 10, 31)))))
    assert row.geometry.geom_type in ("Polygon", "MultiPolygon")
    assert row.geometry.symmetric_difference(expected.geometry.iloc[1]).area < 1.0
    # --from/--to choose the history period: the forecast is for the period after it
    code, out, _ = run(capsys, "add", "--title", "Früher", "--kind", "Streetwork", "--forecast", "1", "--from",
                       "2026-05-01", "--to", "2026-06-30", "--agreed", "2026-11-10", "--responsible", "Streetwork",
                       "--due", "2026-12-31")
    assert code == 0 and store.agreements().iloc[-1]["place"] == "Prognosefläche Nr. 1 (01.07.2026 – 31.08.2026)"


@pytest.mark.parametrize(("args", "message"), [
    (["--lat", "51.3456", "--lon", "12.4062", "--due", "2026-09-01"], "Frist (01.09.2026) liegt vor"),
    (["--forecast", "999"], "Prognosefläche Nr. 999 gibt es nicht; die Prognose hat"),
    (["--forecast", "0"], "Prognosefläche Nr. 0 gibt es nicht"),
    (["--forecast", "1", "--from", "2024-11-01", "--to", "2024-12-31"], "Zu kurze Vorgeschichte"),
    (["--lat", "51.3456"], "--lat und --lon zusammen"),
    (["--place", "Bahnhof"], "Kein sensibler Ort 'Bahnhof'"),
    (["--hotspot", "9999"], "Hotspot Nr. 9999 gibt es nicht"),
    (["--lat", "51.3456", "--lon", "12.4062", "--responsible", "Feuerwehr"], "Unbekannte zuständige Stelle"),
    (["--lat", "51.3456", "--lon", "12.4062", "--kind", "Rakete"], "Unbekannte Maßnahmenart"),
    (["--lat", "52.52", "--lon", "13.40"], "außerhalb des Untersuchungsgebiets"),
])
def test_add_errors_exit_2_and_change_nothing(store, capsys, args, message):
    before = store.version()
    argv = list(ADD)
    for flag, value in zip(args[::2], args[1::2], strict=False):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    if len(args) % 2:  # a lone flag
        argv.append(args[-1])
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("Fehler: ") and message in err and len(err.strip().splitlines()) == 1
    assert store.version() == before


def test_add_without_a_place_is_an_argparse_error(store, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["agreements", *ADD])
    assert exc.value.code == 2
    assert "--lat" in capsys.readouterr().err


def test_set_moves_through_the_states(store, capsys):
    run(capsys, *ADD, "--lat", "51.3456", "--lon", "12.4062")
    code, out, _ = run(capsys, "set", "12", "--status", "in Umsetzung")
    assert code == 0 and out.strip() == "Vereinbarung Nr. 12: in Umsetzung"
    log = store.audit_log().iloc[-1]
    assert (log["user"], log["action"]) == ("testerin", "agreement_change")
    assert log["detail"].startswith("Vereinbarung Nr. 12: status: agreed → in_progress")
    n = store.count("disposal_bin")
    code, out, _ = run(capsys, "set", "12", "--status", "umgesetzt", "--done", "05.11.2026")
    assert code == 0 and out.startswith("Vereinbarung Nr. 12: umgesetzt, Maßnahme ")
    assert store.count("disposal_bin") == n + 1
    code, out, _ = run(capsys, "set", "12", "--status", "ended", "--done", "2026-11-09")
    assert code == 0 and "beendet" in out
    bins = store.read("disposal_bin")
    assert bins.set_index("record_id").loc[store.agreements().iloc[-1]["measure_id"], "removed_at"] == \
        pd.Timestamp("2026-11-09")


@pytest.mark.parametrize(("args", "message"), [
    (["12", "--status", "verworfen"], "Grund"),
    (["99", "--status", "umgesetzt"], "Keine Vereinbarung mit der Nummer 99"),
    (["abc", "--status", "umgesetzt"], "Ungültige Nummer"),
    (["6", "--status", "vereinbart"], "nicht möglich"),
    (["4", "--status", "umgesetzt"], "Von »verworfen« nach »umgesetzt« ist nicht möglich"),
    (["12", "--status", "erledigt", "--done", "2027-01-01"], "Zukunft"),
    (["12", "--status", "kaputt"], "Unbekannte Status 'kaputt'"),
])
def test_set_errors_exit_2_and_change_nothing(store, capsys, args, message):
    run(capsys, *ADD, "--lat", "51.3456", "--lon", "12.4062")
    before = store.version()
    code, out, err = run(capsys, "set", *args)
    assert code == 2 and out == "" and err.startswith("Fehler: ") and message in err
    assert store.version() == before


def test_set_rejected_with_reason(store, capsys):
    run(capsys, *ADD, "--lat", "51.3456", "--lon", "12.4062")
    code, out, _ = run(capsys, "set", "12", "--status", "rejected", "--reason", "Eigentümer lehnt ab")
    assert code == 0 and out.strip() == "Vereinbarung Nr. 12: verworfen"
    assert store.agreements().iloc[-1]["reason"] == "Eigentümer lehnt ab"


def test_list_shows_overdue_first_and_the_follow_up(store, capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "11 Vereinbarung(en), Stand 10.11.2026:"
    assert "[vereinbart, überfällig]" in lines[1] or "[in Umsetzung, überfällig]" in lines[1]
    assert "Behälter Torgauer Platz: umgesetzt 01.11.2025 — Wirkung: −54 % Funde im Umkreis" in out
    assert "Grund: Standort zu nah am Spielplatz" in out


def test_list_filters(store, capsys):
    code, out, _ = run(capsys, "list", "--overdue")
    assert code == 0 and out.splitlines()[0].startswith("2 Vereinbarung(en)")
    code, out, _ = run(capsys, "list", "--status", "verworfen")
    assert code == 0 and out.splitlines()[0].startswith("1 Vereinbarung(en)") and "Spielplatz Rabet" in out
    code, out, _ = run(capsys, "list", "--status", "beendet", "--overdue")
    assert code == 0 and out.strip() == "Keine Vereinbarungen mit diesen Filtern."
    code, out, err = run(capsys, "list", "--status", "irgendwas")
    assert code == 2 and "Unbekannte Status" in err


def test_export_writes_german_excel_csv(store, capsys, tmp_path):
    out_file = tmp_path / "protokoll.csv"
    code, out, _ = run(capsys, "export", "--out", str(out_file))
    assert code == 0 and out.startswith("11 Vereinbarung(en) geschrieben")
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    table = pd.read_csv(out_file, sep=";", decimal=",", encoding="utf-8-sig")
    assert list(table.columns[:4]) == ["Nr.", "Vereinbarung", "Art", "Ort"]
    assert table["überfällig"].iloc[0] == "ja" and table["Breite"].between(51.3, 51.4).all()
    torgau = table[table["Vereinbarung"].str.contains("Torgauer Platz")].iloc[0]
    assert torgau["Status"] == "umgesetzt" and torgau["umgesetzt am"] == "01.11.2025"
    assert torgau["Wirkung"].endswith("Wirkung: −54 % Funde im Umkreis")
    assert store.audit_log().iloc[-1]["action"] == "export"
    code, _, err = run(capsys, "export", "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "Endung muss .csv sein" in err


def test_missing_store_and_no_action(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LAGEBILD_STORE", str(tmp_path / "none.gpkg"))
    code, _, err = run(capsys, "list")
    assert code == 2 and "existiert noch nicht" in err
    code, out, _ = run(capsys)
    assert code == 2 and "add" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["set", "12"], "Diese Angaben fehlen: --status"),
    (["export"], "Diese Angaben fehlen: --out"),
    ([*ADD, "--place", "Kita Köhlerplatz", "--hotspot", "1"], "--hotspot: nicht zusammen mit --place"),
    ([*ADD, "--forecast", "1", "--lat", "51.3456", "--lon", "12.4062"], "nicht zusammen mit --forecast"),
    ([*ADD, "--forecast", "eins"], "--forecast"),
    ([*ADD, "--lat", "einundfünfzig", "--lon", "12.4"], "--lat"),
    ([*ADD[:-2], "--due", "morgen", "--lat", "51.3456", "--lon", "12.4062"], "--due"),
    (["list", "--bald"], "--bald"),
])
def test_wrong_arguments_give_one_german_line_and_exit_2(store, capsys, argv, message):
    before = store.version()
    with pytest.raises(SystemExit) as exc:
        main(["agreements", *argv])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert err.startswith("Fehler: ") and message in err and len(err.strip().splitlines()) == 1, err
    assert store.version() == before


@pytest.mark.parametrize("argv", [["list"], ["export", "--out", "x.csv"], ["set", "1", "--status", "umgesetzt"],
                                  [*ADD, "--lat", "51.3456", "--lon", "12.4062"]])
def test_a_file_that_is_no_store_exits_2_for_every_command(tmp_path, capsys, monkeypatch, argv):
    bad = tmp_path / "kaputt.gpkg"
    bad.write_text("kein GeoPackage")
    monkeypatch.setenv("LAGEBILD_STORE", str(bad))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.strip() == f"Fehler: {bad} ist keine GeoPackage-Datei."
    assert bad.read_text() == "kein GeoPackage" and not (tmp_path / "x.csv").exists()
