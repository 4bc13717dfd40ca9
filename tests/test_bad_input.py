"""Broken and hostile files against the importer, and formula-safe exports.

Every file of the corpus (``tests/bad_files.py``) is either refused with one German line –
and then the store is byte-for-byte unchanged – or imported with the expected numbers of
stored and rejected rows. Nothing else is raised, on the Python API and on the command line.
"""

from __future__ import annotations

import builtins
import csv
import hashlib
import io
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bad_files import AREA, CASES, build, csv_text, ok_row, sparse  # noqa: E402

from geo.cli import main  # noqa: E402
from geo.core.errors import ImportRefused  # noqa: E402
from geo.data.exports import FORMULA_TRIGGERS, neutralise_formulas, write_table  # noqa: E402
from geo.data.ingest import ColumnOptions, import_file  # noqa: E402
from geo.data.store import Store  # noqa: E402

NOW = datetime(2026, 11, 22, 12, 0)
REFUSED = [c for c in CASES if c.refused]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A store file holding five valid finds (built once; tests get copies)."""
    folder = tmp_path_factory.mktemp("seed")
    s = Store(folder / "lagebild.gpkg", AREA)
    seed = folder / "seed.csv"
    seed.write_text(csv_text(*[ok_row(i, day=3) for i in range(5)]), encoding="utf-8")
    assert import_file(seed, "syringe_find", s, now=NOW).stored == 5
    return s.path


@pytest.fixture
def store(tmp_path: Path, seeded: Path) -> Store:
    """A store holding five valid finds already."""
    path = tmp_path / "store" / "lagebild.gpkg"
    path.parent.mkdir()
    shutil.copyfile(seeded, path)
    return Store(path, AREA)


def snapshot(store: Store) -> tuple:
    """Everything that must not change when a file is refused."""
    digest = hashlib.sha256(store.path.read_bytes()).hexdigest()
    rejects = sorted(p.name for p in store.rejects_dir.glob("*")) if store.rejects_dir.exists() else []
    return store.version(), digest, rejects, len(store.imports())


def _case_dir(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    return d


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corpus_file_is_refused_or_rejected_row_by_row(tmp_path, store, case):
    path = build(case, _case_dir(tmp_path))
    before = snapshot(store)
    try:
        report = import_file(path, case.kind, store, options=ColumnOptions(**case.options), now=NOW)
    except ImportRefused as exc:
        message = str(exc)
        assert case.refused, f"refused unexpectedly: {message}"
        assert re.search(case.refused, message), message
        assert "\n" not in message and "\r" not in message and len(message) < 400
        assert "Traceback" not in message and "Error" not in message
        assert snapshot(store) == before, "a refused file changed the store"
        return
    assert not case.refused, f"expected a refusal ({case.refused}), got: {report.summary()}"
    assert (report.stored, report.rejected) == (case.stored, case.rejected), list(report.rejects["reason"])
    assert report.stored + report.rejected == report.rows_read
    for pattern in case.reasons:
        assert any(re.search(pattern, r) for r in report.rejects["reason"]), (pattern, list(report.rejects["reason"]))
    assert store.count(case.kind) == (5 if case.kind == "syringe_find" else 0) + case.stored


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_cli_prints_one_german_line_and_exits_2(tmp_path, store, case, capsys):
    path = build(case, _case_dir(tmp_path))
    before = snapshot(store)
    code = main(["import", str(path), "--kind", case.kind, "--store", str(store.path)])
    out, err = capsys.readouterr()
    assert code == 2
    lines = [line for line in err.splitlines() if line and not line.startswith("  ")]  # progress is indented
    assert len(lines) == 1 and lines[0].startswith("Fehler: "), err
    assert re.search(case.refused, lines[0])
    assert snapshot(store) == before


def test_size_limit_refuses_before_reading_a_byte(tmp_path, store, monkeypatch):
    big = tmp_path / "riesig.csv"
    sparse(1024**3)(big)
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, str | Path) and Path(file) == big:
            raise AssertionError("the oversized file was opened")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(AssertionError("read_bytes")))
    with pytest.raises(ImportRefused, match=r"zu groß \(1\.024 MB; höchstens 256 MB\)"):
        import_file(big, "syringe_find", store, now=NOW)


def test_missing_file_is_refused_not_crashed(tmp_path, store):
    with pytest.raises(ImportRefused, match="nicht gefunden"):
        import_file(tmp_path / "gibt-es-nicht.csv", "syringe_find", store, now=NOW)
    with pytest.raises(ImportRefused, match="keine gewöhnliche Datei"):
        import_file(tmp_path, "syringe_find", store, now=NOW)


def test_quotes_and_newlines_survive_into_the_store(tmp_path, store):
    case = next(c for c in CASES if c.id == "quotes_newlines")
    import_file(build(case, _case_dir(tmp_path)), "complaint", store, now=NOW)
    texts = sorted(store.read("complaint")["text"])
    assert texts == ['Er sagte "Hallo";\nund ging; dann weg', "mehrzeilig\r\nmit CRLF"]


# ------------------------------------------------------------------ formula injection in outputs
def _cells(path: Path, sep: str) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) for cell in row]


def _dangerous(cell: str) -> bool:
    return cell.startswith(FORMULA_TRIGGERS) and not re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", cell.strip())


def test_rejects_file_and_exports_neutralise_formulas(tmp_path, store):
    case = next(c for c in CASES if c.id == "formulas")
    report = import_file(build(case, _case_dir(tmp_path)), "complaint", store, now=NOW)
    assert report.rejected == 1
    cells = _cells(report.rejects_file, ";")
    assert "'=1+1" in cells and "'-cmd|calc" in cells and "'+49 341 000" in cells
    assert not [c for c in cells if _dangerous(c)]
    stored = store.read("complaint")
    assert stored["text"].iloc[0].startswith("=HYPERLINK")  # the store keeps the original text
    out = write_table(stored, tmp_path / "export.csv")
    cells = _cells(out, ";")
    assert "'=HYPERLINK(\"http://evil.example\",\"klick\")" in cells and "'@SUMME(A1)" in cells
    assert not [c for c in cells if _dangerous(c)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.sampled_from(["=1+1", "-5", "+1e3", "@x", "\t=x", "-3,5",
                                                                   " =x", "=", "-", "\r\n=x"])), max_size=20))
def test_neutralise_formulas_property(values):
    df = pd.DataFrame({"a": pd.Series(values, dtype=object), "n": range(len(values))})
    out = neutralise_formulas(df)
    assert list(out["n"]) == list(range(len(values)))  # numbers untouched
    for before, after in zip(values, out["a"], strict=True):
        assert after in (before, "'" + before)  # only ever a leading apostrophe
        if before.startswith(FORMULA_TRIGGERS) and after == before:
            assert re.fullmatch(r"\s*[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?\s*", before), before
        if not before.startswith(FORMULA_TRIGGERS):
            assert after == before
    assert df["a"].tolist() == values  # input not modified


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_html_and_script_escaping_property(text):
    """Data texts reach maps and handouts only through these two functions (layers.escape)."""
    import html
    import json

    from layers.escape import escape_text, js_json

    escaped = escape_text(text)
    assert not set(escaped) & set("<>\"'`$")
    assert html.unescape(escaped) == text
    embedded = js_json({"text": text})
    assert not set(embedded) & set("<>&`$\u2028\u2029")
    assert json.loads(embedded) == {"text": text}


# ------------------------------------------------------------------ the upload page
UPLOADED = ["binary_csv", "header_only", "truncated_geojson", "shapefile_no_prj", "zip_traversal", "zip_bomb",
            "csv_named_gpkg", "mixed_delimiters"]


def _data_page():
    from app_pages import data_page

    data_page.render()


def test_upload_page_shows_german_messages_and_keeps_the_store(tmp_path, store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geo.data import auth

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    monkeypatch.setenv("LAGEBILD_STORE", str(store.path))
    monkeypatch.setenv("LAGEBILD_DEMO", "0")
    monkeypatch.delenv("LAGEBILD_ACCOUNTS", raising=False)
    monkeypatch.setattr(auth, "DEFAULT_ACCOUNTS", tmp_path / "keine-konten.toml")  # local mode: may import
    at = AppTest.from_function(_data_page, default_timeout=60).run()
    assert not at.exception
    for case in (c for c in CASES if c.id in UPLOADED):
        folder = tmp_path / case.id
        folder.mkdir()
        path = build(case, folder)
        before = snapshot(store)
        at.get("file_uploader")[0].set_value((case.filename, path.read_bytes(), "application/octet-stream"))
        at.run()
        at.button(key="import_go").click().run()
        assert not at.exception, case.id
        if case.refused:
            assert len(at.error) == 1 and re.search(case.refused, at.error[0].value), (case.id, at.error)
            assert snapshot(store) == before, case.id
        else:
            shown = at.warning[0].value if case.rejected else at.success[0].value
            assert f"**{case.stored} gespeichert**, **{case.rejected} abgelehnt**" in shown, (case.id, shown)
