"""Run the benchmarks: every ``bench/bench_*.py`` module's ``main()``, or the named ones.

::

    .venv/bin/python -m bench.run                 # all benchmarks, one after the other
    .venv/bin/python -m bench.run hotspots import # only bench_hotspots and bench_import
    .venv/bin/python bench/run.py --list          # list the benchmarks

Each benchmark module defines ``main(argv: list[str] | None = None)`` and prints its own
results; it is called with an empty argument list (its defaults). The figures of record
are in ``bench/README.md``.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the benchmarks (``bench_NAME.py`` → ``NAME``), sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def machine() -> str:
    """One line: cores, CPU model, Python."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} Kerne, {model}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = available()
    if "--list" in argv or "-l" in argv:
        print("\n".join(names))
        return 0
    wanted = [a.removeprefix("bench_").removesuffix(".py") for a in argv] or names
    unknown = [w for w in wanted if w not in names]
    if unknown:
        print(f"Unbekannte Benchmarks: {', '.join(unknown)}. Vorhanden: {', '.join(names)}", file=sys.stderr)
        return 2
    root = str(BENCH_DIR.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    print(f"# Maschine: {machine()}")
    failed = []
    for name in wanted:
        print(f"\n## bench_{name}", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"bench.bench_{name}").main([])
        except Exception as exc:  # noqa: BLE001 - report and go on with the next benchmark
            failed.append(name)
            print(f"FEHLER in bench_{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"(bench_{name}: {time.perf_counter() - start:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
