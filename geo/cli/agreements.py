"""``lagebild agreements``: the Drogenrapport's agreements (Vereinbarungen) – who does what, where, by when.

::

    lagebild agreements add --title "Behälter Torgauer Platz" --kind Spritzenentsorgungsbehälter \\
        --place "Torgauer Platz" --agreed 09.09.2025 --responsible Stadtreinigung --due 31.10.2025
    lagebild agreements add ... (--lat 51.345 --lon 12.414 | --place NAME | --hotspot 1 | --forecast 1)
    lagebild agreements set 6 --status umgesetzt --done 01.11.2025
    lagebild agreements set 4 --status verworfen --reason "Standort zu nah am Spielplatz"
    lagebild agreements list [--status vereinbart] [--overdue]
    lagebild agreements export --out vereinbarungen.csv

``add`` prints the new agreement's number. KIND and STATUS take the German words
(``Spritzenentsorgungsbehälter``, ``vereinbart``, ``in Umsetzung``, ``umgesetzt``, …) or the schema ids
(``disposal_bin``, ``done``, …). ``--place`` is the name of a stored sensitive place; ``--hotspot N`` the
N-th hot spot cell (highest z first) of the syringe finds in the last Rapport period (or ``--from/--to``);
``--forecast N`` the N-th forecast area (touching forecast cells, most expected finds first) of the syringe
finds for the period after that one (:func:`geo.analysis.forecast.forecast`, method ``auto``, 3 % of the
area; :func:`geo.data.agreements.forecast_places`).
``list`` shows, for agreements carried out long enough ago, the measure evaluation's verdict.
``export`` writes the list for the minutes as CSV for German Excel. Rules: :mod:`geo.data.agreements`.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from geo.cli.common import add_period_options, add_store_options, date_argument, open_store, period_from_args
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import AGREEMENT_KINDS, AGREEMENT_STATUSES, RESPONSIBLE_BODIES, SENSITIVE_PLACE, SYRINGE_FIND


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "agreements",
        help="Vereinbarungen des Drogenrapports: anlegen, Status setzen, auflisten, exportieren",
        description="Vereinbarungen des Drogenrapports: wer macht was, wo, bis wann – und ist es geschehen?",
    )
    cmds = p.add_subparsers(dest="agreements_command", metavar="AKTION")
    kinds = ", ".join(f"{label} ({ident})" for ident, label in AGREEMENT_KINDS.items())
    statuses = ", ".join(f"{label} ({ident})" for ident, label in AGREEMENT_STATUSES.items())

    add = cmds.add_parser("add", help="neue Vereinbarung anlegen (gibt ihre Nummer aus)")
    add.add_argument("--title", required=True, metavar="TITEL", help="Titel der Vereinbarung")
    add.add_argument("--kind", required=True, metavar="ART", help=f"Art der Maßnahme: {kinds}")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--lat", type=float, metavar="BREITE", help="Ort als Punkt: geografische Breite (mit --lon)")
    where.add_argument("--place", metavar="NAME", help="Ort: Name eines gespeicherten sensiblen Ortes")
    where.add_argument("--hotspot", type=int, metavar="N", help="Ort: N-te Hotspot-Zelle (1 = stärkste)")
    where.add_argument("--forecast", type=int, metavar="N",
                       help="Ort: N-te Prognosefläche für den nächsten Zeitraum (1 = meiste erwartete Funde)")
    add.add_argument("--lon", type=float, metavar="LÄNGE", help="geografische Länge (mit --lat)")
    add.add_argument("--agreed", required=True, type=date_argument, metavar="DATUM", help="Datum des Rapports")
    add.add_argument("--responsible", required=True, metavar="STELLE",
                     help="zuständige Stelle: " + ", ".join(RESPONSIBLE_BODIES))
    add.add_argument("--due", required=True, type=date_argument, metavar="DATUM", help="zu erledigen bis")
    add.add_argument("--notes", default="", metavar="TEXT", help="Notizen (nicht öffentlich)")
    add.add_argument("--public", action="store_true", help="öffentlich sichtbar (Rolle oeffentlich)")
    add.add_argument("--user", default=None, metavar="NAME", help="wer die Vereinbarung einträgt (Protokoll)")
    add_period_options(add)
    add_store_options(add)
    add.set_defaults(func=run_add)

    st = cmds.add_parser("set", help="Status einer Vereinbarung ändern")
    st.add_argument("id", metavar="NR", help="Nummer der Vereinbarung")
    st.add_argument("--status", required=True, metavar="STATUS", help=f"neuer Status: {statuses}")
    st.add_argument("--done", type=date_argument, default=None, metavar="DATUM",
                    help="Datum der Umsetzung (umgesetzt) bzw. des Endes (beendet); Standard: heute")
    st.add_argument("--reason", default="", metavar="TEXT", help="Grund (nötig bei verworfen)")
    st.add_argument("--user", default=None, metavar="NAME", help="wer den Status ändert (Protokoll)")
    add_store_options(st)
    st.set_defaults(func=run_set)

    ls = cmds.add_parser("list", help="Vereinbarungen auflisten (überfällige zuerst)")
    ls.add_argument("--status", default=None, metavar="STATUS", help=f"nur dieser Status: {statuses}")
    ls.add_argument("--overdue", action="store_true", help="nur überfällige")
    add_store_options(ls)
    ls.set_defaults(func=run_list)

    ex = cmds.add_parser("export", help="Vereinbarungen als CSV für das Protokoll (Excel)")
    ex.add_argument("--out", required=True, type=Path, metavar="DATEI.csv", help="Ausgabedatei (.csv)")
    add_store_options(ex)
    ex.set_defaults(func=run_export)

    p.set_defaults(func=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def today() -> date:
    """Today, or ``$LAGEBILD_TODAY`` (:func:`geo.data.agreements.today`)."""
    from geo.data.agreements import today as _today

    return _today()


def _user(args: argparse.Namespace) -> str:
    from geo.data.auth import system_user

    return getattr(args, "user", None) or system_user()


def _store(args: argparse.Namespace):
    store = open_store(args)
    if not store.exists():
        raise UserError(f"Speicher {store.path} existiert noch nicht – erst importieren oder 'lagebild demo'.")
    return store


def _analysis_period(store, args: argparse.Namespace):
    """``--from/--to``, else the last Rapport period before the latest find."""
    from geo.core.period import rapport_period

    period = period_from_args(args)
    if period is None:
        latest = store.attributes(SYRINGE_FIND, ["found_at"])["found_at"]
        if not len(latest):
            raise UserError("Keine Spritzenfunde gespeichert; ohne sie gibt es keine Hotspots und keine Prognose.")
        import pandas as pd

        period = rapport_period(pd.to_datetime(latest).max().date() + pd.Timedelta(days=1))
    return period


def _hotspot_place(store, args: argparse.Namespace, number: int):
    from geo.analysis.hotspots import hotspot_analysis
    from geo.data.agreements import place_from_hotspot

    period = _analysis_period(store, args)
    finds = store.read(SYRINGE_FIND, period)
    if len(finds) < 3:
        raise UserError(f"Zu wenige Spritzenfunde im Zeitraum {period.label()} für eine Hotspot-Analyse.")
    result = hotspot_analysis(finds, store.area, weight="count")
    label, geom = place_from_hotspot(result.cells, number)
    return f"{label} ({period.label()})", geom


def _forecast_place(store, args: argparse.Namespace, number: int):
    """The ``number``-th forecast area for the period after :func:`_analysis_period` (label, polygon)."""
    from geo.analysis.forecast import forecast, forecast_areas
    from geo.data.agreements import forecast_places, place_from_forecast

    if number < 1:  # before the forecast's work
        raise UserError(f"Prognosefläche Nr. {number} gibt es nicht; die Zählung beginnt bei 1.")
    period = _analysis_period(store, args)
    result = forecast(store.read(SYRINGE_FIND), SYRINGE_FIND, store.area, period)
    label, geom = place_from_forecast(forecast_places(forecast_areas(result)), number)
    return f"{label} ({result.target.label()})", geom


def run_add(args: argparse.Namespace) -> int:
    from geo.data.agreements import add_agreement, parse_body, parse_kind, place_from_latlon, place_from_name

    store = _store(args)
    parse_kind(args.kind)  # wrong words first, before any analysis
    parse_body(args.responsible)
    if args.lat is not None:
        if args.lon is None:
            raise UserError("Bitte --lat und --lon zusammen angeben.")
        place, geom = "", place_from_latlon(store.area, args.lat, args.lon)
    elif args.lon is not None:
        raise UserError("--lon nur zusammen mit --lat angeben.")
    elif args.place is not None:
        place, geom = place_from_name(store.read(SENSITIVE_PLACE), args.place)
    elif args.hotspot is not None:
        place, geom = _hotspot_place(store, args, args.hotspot)
    else:
        place, geom = _forecast_place(store, args, args.forecast)
    new = add_agreement(store, title=args.title, kind=args.kind, geometry=geom, agreed=args.agreed,
                        responsible=args.responsible, due=args.due, place=place, notes=args.notes,
                        public=args.public, user=_user(args))
    print(new)
    return 0


def run_set(args: argparse.Namespace) -> int:
    from geo.data.agreements import set_status, status_label

    store = _store(args)
    row = set_status(store, args.id, args.status, done=args.done, reason=args.reason, user=_user(args),
                     today=today())
    extra = f", Maßnahme {row['measure_id']} angelegt" if row["status"] == "done" and row["measure_id"] else ""
    print(f"Vereinbarung Nr. {row['agreement_id']}: {status_label(row['status'])}{extra}")
    return 0


def _fmt(d) -> str:
    import pandas as pd

    from geo.core import fmt

    return fmt.date(None if pd.isna(d) else d)


def run_list(args: argparse.Namespace) -> int:
    from geo.data.agreements import agreement_table, parse_status, status_label
    from geo.report.followup import follow_up_from_store

    store = _store(args)
    status = parse_status(args.status) if args.status else None
    agreements = store.agreements()
    table = agreement_table(agreements, today())
    if status:
        table = table[table["status"] == status]
    if args.overdue:
        table = table[table["overdue"]]
    if not len(table):
        print("Keine Vereinbarungen" + (" mit diesen Filtern." if status or args.overdue else "."))
        return 0
    effects = follow_up_from_store(store, agreements[agreements["agreement_id"].isin(table["agreement_id"])])
    effects = effects.set_index("agreement_id")["text"].to_dict() if len(effects) else {}
    print(f"{fmt.number(len(table))} Vereinbarung(en), Stand {today():%d.%m.%Y}:")
    for r in table.itertuples():
        when = f"umgesetzt {_fmt(r.done)}" if r.status in ("done", "ended") else f"fällig {_fmt(r.due)}"
        print(f"  Nr. {r.agreement_id}  [{status_label(r.status, r.overdue)}]  {r.title} – {r.responsible}, "
              f"vereinbart {_fmt(r.agreed)}, {when}" + (f" – Grund: {r.reason}" if r.status == "rejected" else ""))
        if r.agreement_id in effects:
            print(f"      {effects[r.agreement_id]}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from geo.data.access import log_release
    from geo.data.agreements import agreement_table, german_table
    from geo.data.auth import User
    from geo.data.exports import write_table

    if args.out.suffix.lower() != ".csv":
        raise UserError(f"Ausgabedatei {args.out.name}: Endung muss .csv sein.")
    from geo.report.followup import follow_up_from_store

    store = _store(args)
    table = agreement_table(store.agreements(), today())
    effects = follow_up_from_store(store)
    effects = effects.set_index("agreement_id")["text"] if len(effects) else {}
    table = german_table(table)
    table["Wirkung"] = table["Nr."].map(effects).fillna("") if len(effects) else ""
    write_table(table, args.out)
    log_release(store, User(_user(args), "analyse"), what=f"Vereinbarungen als CSV: {args.out.name}",
                count=len(table))
    print(f"{fmt.number(len(table))} Vereinbarung(en) geschrieben: {args.out}")
    return 0
