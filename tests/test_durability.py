"""A store that never loses data: kill -9 in the middle of an import, and several processes
importing while another reads.

The worker processes are this file run as a script (``python tests/test_durability.py
writer|reader …``), so the tests exercise real processes, real locks and real renames.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.core.area import leipziger_osten
from geo.data.ingest import import_file
from geo.data.store import Store

AREA = leipziger_osten()
NOW = datetime(2026, 11, 22, 12, 0)
HERE = Path(__file__).resolve()
REPO = HERE.parents[1]


def write_finds(path: Path, n: int, *, lat0: float = 51.335, step: float = 1e-6, source: str = "Test") -> Path:
    """``n`` distinct valid syringe finds as a semicolon CSV."""
    lat = pd.Series(np.round(lat0 + np.arange(n) * step, 7)).astype(str)
    lines = "01.10.2026 10:00;" + lat + f";12.41;1;{source}"
    path.write_text("Datum;Breite;Länge;Anzahl;Quelle\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _state(store: Store) -> tuple:
    return (store.version(), sorted(store.ids("syringe_find")), store.imports()["import_id"].tolist(),
            store.count("syringe_find"))


def _tmp_files(store: Store) -> list[Path]:
    return sorted(store.path.parent.glob(f"{store.path.stem}.tmp-*.gpkg"))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


# ---------------------------------------------------------------------------- kill -9
@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """120 000 finds: the import's write phase takes about a second, long enough to be killed in."""
    return write_finds(tmp_path_factory.mktemp("big") / "gross.csv", 120_000, lat0=51.331, step=2e-7)


@pytest.mark.parametrize("phase", ["copy", pytest.param("append", marks=pytest.mark.slow)])
def test_kill_9_during_import_keeps_all_earlier_data_and_nothing_of_the_killed_import(tmp_path, big_csv, phase):
    """Killed while the store is copied (``copy``) or while the new rows are appended (``append``)."""
    store = Store(tmp_path / "lagebild.gpkg", AREA)
    for i in range(2):  # earlier data: two imports
        assert import_file(write_finds(tmp_path / f"a{i}.csv", 50, lat0=51.345 + i * 0.001), "syringe_find",
                           store, now=NOW).stored == 50
    before = _state(store)
    size = store.path.stat().st_size
    proc = subprocess.Popen(
        [sys.executable, "-m", "geo", "import", str(big_csv), "--kind", "syringe_find", "--store", str(store.path)],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120

    def reached() -> bool:  # the temporary copy appears when the write begins and grows with the new rows
        tmp = _tmp_files(store)
        try:
            return bool(tmp) and (phase == "copy" or tmp[0].stat().st_size > size + 100_000)
        except FileNotFoundError:  # renamed just now: the write is over (the assertion below says so)
            return True

    while not reached():
        assert proc.poll() is None, "the import ended before the phase was reached"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    killed_mid_write = bool(_tmp_files(store)) and proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    assert killed_mid_write, "the write finished before the kill; make the file bigger"
    assert _state(store) == before  # readable, all earlier data, none of the killed import
    assert len(store.read("syringe_find")) == 100
    # the next writer removes the stale temporary file and works normally
    report = import_file(write_finds(tmp_path / "b.csv", 10, lat0=51.350), "syringe_find", store, now=NOW)
    assert report.stored == 10 and store.count("syringe_find") == 110
    assert _tmp_files(store) == []


def test_first_import_with_only_rejected_rows_leaves_a_usable_store(tmp_path):
    store = Store(tmp_path / "lagebild.gpkg", AREA)
    bad = tmp_path / "bad.csv"
    bad.write_text("Datum;Breite;Länge;Anzahl\n01.10.2026;51.3439;12.4033;0\n", encoding="utf-8")
    assert import_file(bad, "syringe_find", store, now=NOW).stored == 0
    assert store.layers() == ["syringe_find"] and store.count("syringe_find") == 0
    assert import_file(bad, "syringe_find", store, now=NOW).rejected == 1  # used to crash here
    assert import_file(write_finds(tmp_path / "ok.csv", 3), "syringe_find", store, now=NOW).stored == 3
    assert len(store.imports()) == 3


def test_kill_9_during_restore_leaves_the_old_or_the_new_store(tmp_path, demo_store):
    from geo.data.backup import backup

    source = Store(tmp_path / "quelle" / "lagebild.gpkg", AREA)
    source.path.parent.mkdir()
    shutil.copyfile(demo_store.path, source.path)
    archive = backup(source, tmp_path / "demo.zip").path
    store = Store(tmp_path / "ziel" / "lagebild.gpkg", AREA)
    import_file(write_finds(tmp_path / "a.csv", 50), "syringe_find", store, now=NOW)
    old = _state(store)
    proc = subprocess.Popen([sys.executable, "-m", "geo", "restore", str(archive), "--store", str(store.path)],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(store.path.parent.glob(".*.restore-*")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    killed_mid_restore = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert killed_mid_restore, "the restore finished before the kill"
    state = _state(store)
    assert state == old or (state[3], len(store.imports())) == (demo_store.count("syringe_find"),
                                                                len(demo_store.imports()))
    assert len(store.read("syringe_find")) == state[3]  # readable either way


# ---------------------------------------------------------------------------- concurrency
def _writer(store_path: str, seed: int, seconds: float, out: str) -> None:
    store = Store(store_path, AREA)
    folder = Path(out).parent
    batches, deadline, i = [], time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        source = f"w{seed}-{i}"
        path = write_finds(folder / f"{source}.csv", 20, lat0=51.335 + seed * 0.004 + i * 20e-6, source=source)
        report = import_file(path, "syringe_find", store, now=NOW, user=source)
        batches.append([source, report.stored, report.rejected])
        i += 1
    Path(out).write_text(json.dumps(batches))


def _reader(store_path: str, seconds: float, out: str) -> None:
    store = Store(store_path, AREA)
    counts, imports, errors = [], [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = store.read("syringe_find")
            counts.append(len(frame))
            imports.append(len(store.imports()))
            if not frame["record_id"].is_unique:
                errors.append("duplicate record_id")
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    Path(out).write_text(json.dumps({"counts": counts, "imports": imports, "errors": errors}))


def _run_concurrently(tmp_path: Path, writers: int, seconds: float) -> None:
    store = Store(tmp_path / "lagebild.gpkg", AREA)
    import_file(write_finds(tmp_path / "start.csv", 5, lat0=51.355), "syringe_find", store, now=NOW)
    procs = []
    for w in range(writers):
        d = tmp_path / f"w{w}"
        d.mkdir()
        procs.append(subprocess.Popen([sys.executable, str(HERE), "writer", str(store.path), str(w), str(seconds),
                                       str(d / "out.json")], env=_env()))
    procs.append(subprocess.Popen([sys.executable, str(HERE), "reader", str(store.path), str(seconds),
                                   str(tmp_path / "reader.json")], env=_env()))
    assert [p.wait(seconds + 240) for p in procs] == [0] * len(procs)

    batches = [b for w in range(writers) for b in json.loads((tmp_path / f"w{w}" / "out.json").read_text())]
    assert len(batches) >= writers * 2, "the writers hardly got to write"
    assert all(stored == 20 and rejected == 0 for _, stored, rejected in batches)
    frame = store.read("syringe_find")
    assert frame["record_id"].is_unique  # none twice
    per_source = frame["source"].value_counts()
    assert len(frame) == 5 + 20 * len(batches)  # every stored row is there
    assert all(per_source.get(source) == 20 for source, _, _ in batches)
    assert len(store.imports()) == 1 + len(batches)
    assert store.imports()["import_id"].is_unique
    audit = store.audit_log()
    assert (audit["action"] == "import").sum() == 1 + len(batches)

    seen = json.loads((tmp_path / "reader.json").read_text())
    assert seen["errors"] == []
    assert len(seen["counts"]) > 10
    assert seen["counts"] == sorted(seen["counts"]) and seen["imports"] == sorted(seen["imports"])  # never back
    assert all(c % 20 == 5 for c in seen["counts"])  # only whole imports are ever visible
    assert _tmp_files(store) == []


def test_backups_taken_during_imports_hold_whole_imports(tmp_path):
    from geo.data.backup import backup, restore

    store = Store(tmp_path / "lagebild.gpkg", AREA)
    import_file(write_finds(tmp_path / "start.csv", 5, lat0=51.355), "syringe_find", store, now=NOW)
    (tmp_path / "w").mkdir()
    writer = subprocess.Popen([sys.executable, str(HERE), "writer", str(store.path), "0", "5",
                               str(tmp_path / "w" / "out.json")], env=_env())
    infos = []
    while writer.poll() is None:
        infos.append(backup(store, tmp_path / f"b{len(infos)}.zip"))  # validates the snapshot itself
        time.sleep(0.1)
    assert writer.wait() == 0
    counts = [i.check.counts.get("syringe_find", 0) for i in infos]
    assert len(infos) >= 5 and all(c % 20 == 5 for c in counts) and counts == sorted(counts)
    assert counts[-1] > counts[0]  # the backups really ran while data arrived
    fresh = Store(tmp_path / "neu" / "lagebild.gpkg", AREA)
    restore(fresh, infos[len(infos) // 2].path)
    assert fresh.count("syringe_find") == counts[len(infos) // 2]
    assert fresh.ids("syringe_find").is_unique


def test_two_writers_and_a_reader_for_a_few_seconds(tmp_path):
    _run_concurrently(tmp_path, writers=2, seconds=6)


@pytest.mark.slow
def test_four_writers_and_a_reader_for_a_minute(tmp_path):
    _run_concurrently(tmp_path, writers=4, seconds=60)


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "writer":
        _writer(args[0], int(args[1]), float(args[2]), args[3])
    else:
        _reader(args[0], float(args[1]), args[2])
