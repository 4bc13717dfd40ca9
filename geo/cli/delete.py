"""``lagebild delete --kind KIND --id ID [--id …] --reason TEXT``: delete records (e.g. on request)."""

from __future__ import annotations

import argparse

from geo.cli.backup import add_user_option, audit_user
from geo.cli.common import add_kind_option, add_store_options, open_store
from geo.core import fmt


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("delete", help="Datensätze löschen (z. B. Löschersuchen), mit Grund im Audit-Log",
                       description="Löscht Datensätze anhand ihrer ID (Spalte record_id). Der Grund wird mit "
                                   "Name, Zeit und IDs im Audit-Log festgehalten.")
    add_kind_option(p)
    p.add_argument("--id", dest="ids", action="append", required=True, metavar="ID",
                   help="Datensatz-ID (16 Hexadezimalziffern); mehrfach möglich")
    p.add_argument("--reason", required=True, metavar="TEXT", help="Grund, z. B. 'Löschersuchen Art. 17 DSGVO, Az. …'")
    add_store_options(p)
    add_user_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.retention import delete_records

    result = delete_records(open_store(args), args.kind, args.ids, reason=args.reason, user=audit_user(args))
    print(f"gelöscht: {len(result.deleted)}")  # a summary word scripts read: plain digits
    if result.missing:
        print(f"nicht gefunden: {', '.join(result.missing)}")
    print(f"aus Dateien abgelehnter Zeilen entfernt: {result.scrubbed_rows} Zeile(n) in {result.scrubbed_files} "
          "Datei(en)")
    print("Löschvermerk gespeichert: ein erneuter Import derselben Daten wird abgelehnt, eine Wiederherstellung "
          "entfernt sie wieder.")
    if result.backups:
        print(f"Achtung: {fmt.number(len(result.backups))} ältere Sicherung(en) enthalten die Datensätze weiterhin:")
        for path in result.backups:
            print(f"  {path}")
    else:
        print("Keine älteren Sicherungen im Sicherungsordner; Kopien außerhalb (z. B. exportierte Dateien) "
              "bitte selbst prüfen.")
    return 0
