"""Soak test of the PostGIS store (issue 14): 4 concurrent importer processes and 2 app processes on one
database for a minute (``$LAGEBILD_SOAK_S``, default 60 s).

The importers import small files of their own rows and, every third round, the same shared file as the
others (so the same rows are offered concurrently). The app processes run a Streamlit page script
(AppTest: the app's real ``app_support.state`` and its caches keyed on :meth:`PgStore.version`) over and
over. At the end no row is lost or doubled, every import is in the history, and each app process has seen
the imports of every importer while they ran, with one cached frame per store version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from geo.core.area import leipziger_osten  # noqa: E402
from geo.data.pgstore import PgStore  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOAK_S = float(os.environ.get("LAGEBILD_SOAK_S", "60"))
WRITERS, READERS, ROWS, SHARED_ROWS = 4, 2, 150, 60

IMPORTER = r'''
import json, sys, time
from datetime import datetime
from pathlib import Path
import numpy as np, pandas as pd
from geo.core.area import leipziger_osten
from geo.data.ingest import import_file
from geo.data.pgstore import PgStore

url, w, folder, seconds, rows, shared_rows = (sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]),
                                              int(sys.argv[5]), int(sys.argv[6]))
store = PgStore(url, leipziger_osten(), local_dir=folder)


def csv(path, times, seed, source):
    rng = np.random.default_rng(seed)
    pd.DataFrame({"Datum": times.strftime("%d.%m.%Y %H:%M:%S"),
                  "Breite": np.round(51.3439 + rng.uniform(-0.002, 0.002, len(times)), 6),
                  "Länge": np.round(12.4033 + rng.uniform(-0.002, 0.002, len(times)), 6),
                  "Anzahl": rng.integers(1, 5, len(times)), "Quelle": source}).to_csv(path, sep=";", index=False)
    return path


end, it = time.monotonic() + seconds, 0
while time.monotonic() < end:
    own = pd.Timestamp("2025-01-01") + pd.to_timedelta(w * 3_000_000 + it * rows + np.arange(rows), unit="s")
    files = [(csv(folder / f"w{w}-{it}.csv", own, 1000 * w + it, f"w{w}"), rows)]
    if it % 3 == 0:  # the same content in every importer: offered concurrently, stored once
        r = it // 3
        shared = pd.Timestamp("2026-06-01") + pd.to_timedelta(r * shared_rows + np.arange(shared_rows), unit="s")
        files.append((csv(folder / f"shared-{r}.csv", shared, 10_000 + r, "gemeinsam"), shared_rows))
    for path, n in files[::(1 if w % 2 else -1)]:
        rep = import_file(str(path), "syringe_find", store, now=datetime(2026, 11, 22, 12, 0))
        print(json.dumps({"file": path.name, "rows": n, "stored": rep.stored, "rejected": rep.rejected}), flush=True)
    it += 1
'''

APP = r'''
import json, os, sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest

stop, out = Path(sys.argv[1]), Path(sys.argv[2])


def page():
    import streamlit as st
    from app_support import state
    from geo.core.schema import SYRINGE_FIND

    store = state.get_store()
    token = store.version()
    frame = state._cached_records(state._location(), token, SYRINGE_FIND, None, state.current_user().role)
    st.write("|".join([token, str(len(frame)), str(id(frame)), ",".join(sorted(set(frame["source"].astype(str))))]))


at = AppTest.from_function(page, default_timeout=180)
seen, done = [], False
while True:
    last = stop.exists()
    at.run()
    assert not at.exception, at.exception
    token, n, ident, sources = at.markdown[0].value.split("|")
    seen.append({"t": time.time(), "token": token, "n": int(n), "id": ident, "sources": sources.split(",")})
    if last:
        break
    time.sleep(0.2)
out.write_text(json.dumps(seen))
'''


def _env(tmp_path: Path, url: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "LAGEBILD_STORE": url, "LAGEBILD_DEMO": "0", "LAGEBILD_STORE_FILES": str(tmp_path)}


@pytest.mark.slow
def test_four_writers_and_two_app_processes_for_a_minute(pg_url, tmp_path):
    owner = PgStore(pg_url, leipziger_osten(), local_dir=tmp_path)
    owner.migrate()
    (tmp_path / "importer.py").write_text(IMPORTER)
    (tmp_path / "app.py").write_text(APP)
    stop = tmp_path / "stop"
    env = _env(tmp_path, pg_url)
    apps = [subprocess.Popen([sys.executable, str(tmp_path / "app.py"), str(stop), str(tmp_path / f"app{a}.json")],
                             env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for a in range(READERS)]
    folders = [tmp_path / f"w{w}" for w in range(WRITERS)]
    for f in folders:
        f.mkdir()
    started = time.time()
    writers = [subprocess.Popen([sys.executable, str(tmp_path / "importer.py"), pg_url, str(w), str(folders[w]),
                                 str(SOAK_S), str(ROWS), str(SHARED_ROWS)],
                                env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for w in range(WRITERS)]
    try:
        outputs = [p.communicate(timeout=SOAK_S * 10 + 300) for p in writers]
        ended = time.time()
        stop.touch()
        app_out = [p.communicate(timeout=600) for p in apps]
    finally:
        for p in [*writers, *apps]:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in writers), [o[1][-800:] for o in outputs]
    assert all(p.returncode == 0 for p in apps), [o[1][-800:] for o in app_out]

    # -- no row lost or doubled
    imports = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    own = [r for r in imports if r["file"].startswith("w")]
    shared: dict[str, list[int]] = {}
    for r in imports:
        if r["file"].startswith("shared"):
            shared.setdefault(r["file"], []).append(r["stored"])
    assert all(r["stored"] == r["rows"] and r["rejected"] == 0 for r in own)
    assert len(own) >= 3 * WRITERS, "too few rounds to call it a soak"
    assert all(sorted(v)[-1] == SHARED_ROWS and sum(v) == SHARED_ROWS for v in shared.values()), shared
    assert sum(len(v) for v in shared.values()) > len(shared), "no shared file was offered twice"
    expected = len(own) * ROWS + len(shared) * SHARED_ROWS
    assert owner.count("syringe_find") == expected
    assert owner.ids("syringe_find").is_unique
    hist = owner.imports()
    assert hist["stored"].sum() == expected
    assert len(hist) == len(imports)

    # -- each app process saw the others' imports while they ran, one cached frame per store version
    final = owner.version()
    for a in range(READERS):
        seen = json.loads((tmp_path / f"app{a}.json").read_text())
        during = [s for s in seen if s["t"] < ended]
        print(f"app {a}: {len(seen)} runs, {len({s['token'] for s in during})} store versions seen during "
              f"{ended - started:.0f} s of {len(imports)} imports ({expected} rows)")
        assert len({s["token"] for s in during}) >= 3, f"app {a} saw the store change only {len(during)} times"
        assert any(s["t"] > started + SOAK_S / 3 and 0 < s["n"] < expected for s in during)
        counts = [s["n"] for s in seen]
        assert counts == sorted(counts), "an app process saw rows disappear"
        by_token: dict[str, set] = {}
        for s in seen:
            by_token.setdefault(s["token"], set()).add((s["n"], s["id"]))
        assert all(len(v) == 1 for v in by_token.values()), "one store version, several frames"
        assert seen[-1]["token"] == final and seen[-1]["n"] == expected
        assert set(seen[-1]["sources"]) == {f"w{w}" for w in range(WRITERS)} | {"gemeinsam"}
