"""``lagebild handout``: the printable Rapport handout (A4 PDF) for a period.

::

    lagebild handout --from 2026-05-01 --to 2026-06-30 --out rapport.pdf [--store PATH]
    lagebild handout --out rapport.pdf     # the current Rapport period, as the app presets it

Key figures with the change against the previous period of equal length, a map of the
hot spots with sensitive places and disposal bins, the sensitive-places table and the
measures of the period (see :func:`geo.report.handout.build_handout`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from geo.cli.common import add_period_options, add_store_options, open_store, period_from_args
from geo.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    from geo.report.figures import DEFAULT_PLACE_THRESHOLD

    p = sub.add_parser(
        "handout",
        help="Handout für den Drogenrapport als PDF (Kennzahlen, Karte, sensible Orte, Maßnahmen)",
        description="Erstellt das Handout (A4-PDF) für einen Zeitraum, mit Vergleich zum gleich langen Vorzeitraum.",
    )
    add_store_options(p)
    add_period_options(p)
    p.add_argument("--out", type=Path, required=True, metavar="DATEI", help="Ausgabedatei (.pdf)")
    p.add_argument("--title", default=None, metavar="TEXT", help="Überschrift (Standard: Drogenrapport <Gebiet>)")
    p.add_argument("--threshold", type=int, default=DEFAULT_PLACE_THRESHOLD, metavar="N",
                   help="sensibler Ort auffällig ab N Funden + Beschwerden im Schutzabstand "
                        f"(Standard {DEFAULT_PLACE_THRESHOLD})")
    p.set_defaults(func=run)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename); German error on failure."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"Datei {path} kann nicht geschrieben werden: {exc.strerror or exc}.") from None


def run(args: argparse.Namespace) -> int:
    from geo.report.handout import handout_from_store

    if args.out.suffix.lower() != ".pdf":
        raise UserError(f"Ausgabedatei {args.out.name}: Endung muss .pdf sein.")
    if args.threshold < 1:
        raise UserError("--threshold muss mindestens 1 sein.")
    from geo.data.facts import current_rapport_period

    period = period_from_args(args)
    store = open_store(args)
    if period is None:  # as the app: the current Rapport period of the store's data
        if not store.exists():
            raise UserError(f"Speicher {store.path} existiert noch nicht – erst importieren oder 'lagebild demo'.")
        period = current_rapport_period(store)
    pdf = handout_from_store(store, period, title=args.title, threshold=args.threshold)
    write_bytes(args.out, pdf)
    store.audit("handout", detail=f"{args.out.name}: Zeitraum {period}")
    print(f"Handout {period.label()} geschrieben: {args.out} ({len(pdf) // 1024} KB)")
    return 0
