"""``lagebild app``: start the Streamlit app (on the demo data when the store is empty)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="Die Lagebild-App im Browser starten")
    p.add_argument("--store", type=str, default=None, metavar="SPEICHER",
                   help="GeoPackage-Datei oder PostgreSQL-URL postgresql://benutzer@host/datenbank")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--headless", action="store_true", help="keinen Browser öffnen")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.store:
        from geo.cli.common import store_location

        location = store_location(args.store)
        os.environ["LAGEBILD_STORE"] = str(location.resolve() if isinstance(location, Path) else location)
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(args.port),
           "--browser.gatherUsageStats", "false", "--server.headless", "true" if args.headless else "false"]
    os.execv(sys.executable, cmd)
    return 0  # pragma: no cover
