"""The frame of the ``lagebild`` command (geo/cli/__init__.py, geo/cli/common.py): German argparse, kind names."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo.cli import build_parser, german_message, main
from geo.core.schema import KINDS, REPORT_KINDS, resolve_kind

#: English words of argparse's frame that must never reach a user.
ENGLISH = ("usage:", "error:", "the following arguments", "invalid choice", "unrecognized arguments",
           "positional arguments", "options:", "show this help", "expected one argument", "argument ")


def run(*args: str, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args, expected", [
    (("bins", "--from", "2026-05-01"), "Fehler: Diese Angaben fehlen: --to, --out"),
    (("hotspots", "--grid", "rund", "--out", "x.csv"), "Fehler: Angabe --grid: ungültige Auswahl 'rund'"),
    (("hotspots", "--out"), "Fehler: Angabe --out: ein Wert wird erwartet"),
    (("export", "--kind", "complaint", "--out", "x.csv", "--quatsch"), "Fehler: Unbekannte Angaben: --quatsch"),
    (("gibtsnicht",), "Fehler: Angabe BEFEHL: ungültige Auswahl 'gibtsnicht'"),
    (("hotspots", "--kind", "Ortsteil", "--out", "x.csv"), "Fehler: Angabe --kind: Die Art 'Ortsteil' ist hier"),
    (("export", "--kind", "Spritze", "--out", "x.csv"), "Fehler: Angabe --kind: Unbekannte Art 'Spritze'"),
    (("hotspots", "--from", "2026-13-01", "--to", "2026-06-30", "--out", "x.csv"), "Fehler: Angabe --from: "),
])
def test_argparse_errors_are_one_german_line_with_exit_2(args, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*args, capsys=capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(expected), lines[0]
    assert not any(word in lines[0] for word in ENGLISH), lines[0]
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("args", [("--help",), ("hotspots", "--help"), ("users", "add", "--help")])
def test_help_is_german(args, capsys):
    code, out, err = run(*args, capsys=capsys)
    assert code == 0 and err == ""
    assert out.startswith("Aufruf: lagebild")
    assert "Optionen:" in out and "diese Hilfe zeigen und beenden" in out
    assert not any(word in out for word in ENGLISH), out


def test_help_lists_kinds_with_german_labels(capsys):
    _, out, _ = run("export", "--help", capsys=capsys)
    flat = " ".join(out.split())
    for name, kind in KINDS.items():
        assert f"{name} ({kind.label})" in flat


def test_german_message_translates_argparse_texts():
    assert german_message("the following arguments are required: --to, --out") == "Diese Angaben fehlen: --to, --out"
    assert german_message("unrecognized arguments: --x 1") == "Unbekannte Angaben: --x 1"
    assert german_message("argument --n: invalid int value: 'a'") == "Angabe --n: ungültiger Wert: 'a'"
    assert german_message("argument --n: expected one argument") == "Angabe --n: ein Wert wird erwartet"


@pytest.mark.parametrize("text, kind", [
    ("syringe_find", "syringe_find"), ("spritzenfund", "syringe_find"), ("Spritzenfund", "syringe_find"),
    ("SPRITZENFUNDE", "syringe_find"), ("Beschwerde", "complaint"), ("beschwerden", "complaint"),
    ("Szenebeobachtung", "scene_observation"), ("besonders sensibler Ort", "sensitive_place"),
    ("besonders-sensible-orte", "sensitive_place"), ("Ortsteil", "district"),
    ("Spritzenentsorgungsbehälter", "disposal_bin"), ("spritzenentsorgungsbehaelter", "disposal_bin"),
    ("Grünrückschnitt", "greenery_cut"), ("bauliche Änderung", "structural_change"),
    ("Polizeipräsenz", "police_presence"), ("polizeipraesenz", "police_presence"), ("Streetwork", "streetwork"),
    ("Streetwork-Einsätze", "streetwork"),
])
def test_resolve_kind_accepts_ids_and_german_names(text, kind):
    assert resolve_kind(text) == kind


def test_resolve_kind_refuses_unknown_and_unfitting_names():
    with pytest.raises(ValueError, match="Unbekannte Art 'Spritze'"):
        resolve_kind("Spritze")
    with pytest.raises(ValueError, match="hier nicht möglich.*Spritzenfund \\(syringe_find\\)"):
        resolve_kind("Ortsteil", REPORT_KINDS)


@pytest.mark.parametrize("given", ["complaint", "beschwerde", "Beschwerden"])
def test_kind_option_gives_the_kind_id(given):
    args = build_parser().parse_args(["export", "--kind", given, "--out", "x.csv"])
    assert args.kind == "complaint"
    args = build_parser().parse_args(["purge", "--older-than", "3", "--kind", given])
    assert args.kind == ["complaint"]


def test_export_with_a_german_kind_name_matches_the_id(demo_store, tmp_path, capsys):
    store = tmp_path / "s.gpkg"
    shutil.copyfile(demo_store.path, store)  # export writes the audit log: not into the shared store
    by_id, by_name = tmp_path / "id.csv", tmp_path / "name.csv"
    assert main(["export", "--kind", "complaint", "--out", str(by_id), "--store", str(store)]) == 0
    assert main(["export", "--kind", "Beschwerde", "--out", str(by_name), "--store", str(store)]) == 0
    a = pd.read_csv(by_id, sep=";", decimal=",")
    b = pd.read_csv(by_name, sep=";", decimal=",")
    assert len(a) == demo_store.count("complaint") > 0
    pd.testing.assert_frame_equal(a, b)


def test_console_script_prints_one_german_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "geo", "hotspots", "--kind", "quatsch", "--out", "x.csv"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("Fehler: Angabe --kind: Unbekannte Art 'quatsch'") and proc.stderr.count("\n") == 1
