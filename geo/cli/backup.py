"""``lagebild backup [--out FILE]``: write a backup of the store (one ZIP file)."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli.common import add_store_options, open_store
from geo.core import fmt


def add_user_option(parser: argparse.ArgumentParser) -> None:
    """``--user NAME`` for the audit log (default: ``$LAGEBILD_USER`` or the login name)."""
    parser.add_argument("--user", default=None, help="Name für das Audit-Log (Standard: $LAGEBILD_USER oder Login)")


def audit_user(args: argparse.Namespace) -> str:
    from geo.data.auth import system_user

    return args.user or system_user()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="Sicherung des Speichers schreiben (eine ZIP-Datei)",
                       description="Schreibt eine vollständige Sicherung (Speicher, Audit-Log, Prüfsummen). "
                                   "Die Datei enthält alle Daten: sicher aufbewahren.")
    p.add_argument("--out", type=Path, default=None, metavar="DATEI",
                   help="Zieldatei (Standard: backups/<speicher>-<zeit>.zip neben dem Speicher)")
    add_store_options(p)
    add_user_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.backup import backup

    info = backup(open_store(args), args.out, user=audit_user(args))
    print(f"Sicherung geschrieben: {info.path} ({fmt.number(info.size / 1024**2, 1)} MB, "
          f"{info.check.records} Datensätze, {info.check.imports} Importe)")
    return 0
