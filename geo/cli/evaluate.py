"""``lagebild evaluate``: did a measure work? Before/after against a control, with displacement check.

::

    lagebild evaluate                      # list all measures with their ID and verdict
    lagebild evaluate --measure 3f2a       # one measure (record_id or a unique prefix)
    lagebild evaluate --measure 3f2a --buffer 500 --window-days 120 --out rabet.gpkg

prints the counts before/after in the treated area, the buffer ring and the control
area, the difference-in-differences with its confidence interval, WDQ, WDD and the
verdict (Wirkung / Verdrängung / Ausstrahlung / kein Effekt); ``--out`` writes the three
areas with their counts. Rules: :mod:`geo.analysis.evaluate`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from geo.cli.common import (
    add_input_option,
    add_kind_option,
    add_stack_option,
    add_store_options,
    check_table_output,
    load_area,
    load_records,
    spatial,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DEFAULT_REPORT_KIND, MEASURE_KINDS, MEASURE_RADIUS_M, REPORT_KINDS


def register(sub: argparse._SubParsersAction) -> None:
    from geo.analysis.evaluate import CONTROLS, DEFAULT_BUFFER_M, DEFAULT_CONTROL_WIDTH_M, DEFAULT_WINDOW_DAYS

    p = sub.add_parser(
        "evaluate",
        help="Wirkung einer Maßnahme: vorher/nachher gegen ein Kontrollgebiet, mit Verdrängungsprüfung",
        description=(
            "Vergleicht die Meldungen vor und nach einer Maßnahme in gleich langen Zeitfenstern im "
            "Maßnahmengebiet, in einem Pufferring und im Kontrollgebiet (Differenz-in-Differenzen, WDQ, WDD). "
            "Ohne --measure werden alle Maßnahmen mit ID und Ergebnis aufgelistet."
        ),
    )
    p.add_argument("--measure", metavar="ID", default=None,
                   help="ID der Maßnahme (record_id oder eindeutiger Anfang davon) oder ihr Name")
    add_kind_option(p, default=DEFAULT_REPORT_KIND, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_input_option(p)
    p.add_argument("--radius", type=float, default=None, metavar="M",
                   help=f"Radius des Maßnahmengebiets in Metern (Standard: {MEASURE_RADIUS_M:g} um Punkte/Linien, "
                        "Flächen wie sie sind)")
    p.add_argument("--buffer", type=float, default=DEFAULT_BUFFER_M, metavar="M",
                   help=f"Breite des Pufferrings in Metern (Standard {DEFAULT_BUFFER_M:g})")
    p.add_argument("--window-days", type=int, default=DEFAULT_WINDOW_DAYS, metavar="TAGE",
                   help=f"Länge der Zeitfenster vorher und nachher in Tagen (Standard {DEFAULT_WINDOW_DAYS})")
    p.add_argument("--control", choices=tuple(CONTROLS), default="rest",
                   help="Kontrollgebiet: rest (übriges Gebiet, Standard) oder ring (Ring um den Pufferring)")
    p.add_argument("--control-width", type=float, default=DEFAULT_CONTROL_WIDTH_M, metavar="M",
                   help=f"Breite des Kontrollrings bei --control ring (Standard {DEFAULT_CONTROL_WIDTH_M:g})")
    add_stack_option(p)
    p.add_argument("--out", type=Path, default=None, metavar="DATEI",
                   help="Gebiete mit Zählungen (eine Maßnahme) bzw. die Liste (ohne --measure) als .csv/.geojson/.gpkg")
    p.set_defaults(func=run)


def _num(v: float, digits: int = 2) -> str:
    """German number with ``digits`` decimals (``–`` when missing)."""
    return fmt.number(v, digits)


def _measures(args: argparse.Namespace):
    import geopandas as gpd

    from geo.analysis.timeseries import measure_table

    area = load_area(args)
    frames: dict[str, gpd.GeoDataFrame] = {}
    saved = getattr(args, "input", None)
    args.input = None  # --input holds reports; measures always come from the store
    try:
        for kind in MEASURE_KINDS:
            frames[kind] = load_records(args, kind)
    finally:
        args.input = saved
    return measure_table(frames, area.crs)


def _print_sensitivity(args: argparse.Namespace, measure, area, options: dict) -> None:
    """The verdict across ring widths and report kinds, and whether it holds."""
    from geo.analysis.sensitivity import verdict_sensitivity

    options = {k: v for k, v in options.items() if k != "buffer_m"}
    from geo.core.quality import spatial_records

    keep = bool(getattr(args, "keep_stacks", False))  # Sammelpunkte as in the main evaluation (line printed there)
    records = {k: spatial_records(load_records(args, k), keep_stacks=keep)[0] for k in REPORT_KINDS}
    sens = verdict_sensitivity(measure, records, area, kind=args.kind, buffer_m=args.buffer, **options)
    print("Wie sicher ist das Ergebnis? (Meldungsart × Breite des Pufferrings; * = gewählt)")
    for row in sens.table.itertuples():
        mark = "*" if row.default else " "
        detail = f"Verhältnis {_num(row.did_ratio)}" if math.isfinite(row.did_ratio) else f"– ({row.reason})"
        print(f" {mark} {row.kind_label}, Ring {row.buffer_m:.0f} m: {row.verdict_label}, {detail}")
    print(sens.sentence())


def run(args: argparse.Namespace) -> int:
    from geo.analysis.evaluate import VERDICTS, evaluate_measure, evaluate_measures, find_measure
    from geo.core.schema import KINDS
    from geo.data.exports import write_table

    check_table_output(args.out)
    area = load_area(args)
    measures = _measures(args)
    if not len(measures):
        raise UserError("Im Speicher sind keine Maßnahmen.")
    records = spatial(args, load_records(args, args.kind), args.kind)
    options = dict(radius_m=args.radius, buffer_m=args.buffer, window_days=args.window_days,
                   control=args.control, control_width_m=args.control_width)
    label = KINDS[args.kind].label_plural

    if args.measure is None:
        table = evaluate_measures(measures, records, args.kind, area, **options)
        print(f"Maßnahmen und ihre Wirkung auf {label} (ID, Beginn, Ergebnis):")
        for row in table.itertuples():
            ratio = getattr(row, "did_ratio", math.nan)
            extra = f", Verhältnis {_num(ratio)}" if not math.isnan(ratio) else ""
            print(f"  {row.record_id[:8]}  {row.measure}: {row.verdict_label}{extra}")
        if args.out is not None:
            write_table(table, args.out)
            print(f"Geschrieben: {args.out}")
        return 0

    measure = find_measure(measures, args.measure)
    ev = evaluate_measure(measure, records, args.kind, area, **options)
    print(f"{measure['title']} – ID {measure['record_id']}")
    if ev.before is None or ev.after is None:
        raise UserError("Nicht auswertbar: " + " ".join(ev.notes))
    print(f"{label}, je {ev.window_days} Tage: vorher {ev.before.label()}, nachher {ev.after.label()}")
    for row in ev.counts.to_dict("records"):
        print(f"  {row['name']} ({_num(row['area_km2'], 3)} km²): {row['before']} → {row['after']}")
    d, b = ev.did, ev.buffer_did
    if d:
        print(f"Differenz-in-Differenzen (Maßnahmengebiet gegen Kontrollgebiet): Verhältnis {_num(d['ratio'])} "
              f"(95-%-Intervall {_num(d['ci_low'])} bis {_num(d['ci_high'])}), {_num(d['change_pct'], 0)} %")
        print(f"Pufferring gegen Kontrollgebiet: Verhältnis {_num(b['ratio'])} "
              f"({_num(b['ci_low'])} bis {_num(b['ci_high'])})")
        print(f"WDQ {_num(ev.wdq)}; WDD {_num(ev.wdd_local['est_total'], 1)} (z {_num(ev.wdd_local['z'])}), "
              f"mit Pufferring {_num(ev.wdd_net['est_total'], 1)} (z {_num(ev.wdd_net['z'])})")
    print(f"Ergebnis: {ev.verdict_label} – {VERDICTS[ev.verdict][2]}")
    for note in ev.notes:
        print(f"Hinweis: {note}")
    _print_sensitivity(args, measure, area, options)
    if args.out is not None:
        areas = ev.areas.merge(ev.counts[["before", "after", "change"]], left_on="role", right_index=True)
        write_table(areas, args.out)
        print(f"Geschrieben: {args.out}")
    return 0
