"""``lagebild compare``: change per grid cell between two periods.

::

    lagebild compare --a 2026-01-01/2026-02-28 --b 2026-03-01/2026-04-30 --kind syringe_find --out change.gpkg

writes one row per cell with ``cell_id``, ``count_a``, ``count_b``, ``rate_a``, ``rate_b``
(per day), ``difference``, ``rate_ratio``, ``p``, ``p_fdr`` and ``change_class`` (−1, 0, +1;
see :mod:`geo.analysis.compare`) and prints the number of cells per class and the change per
sensitive place and district.
"""

from __future__ import annotations

import argparse

from geo.cli.common import (
    add_grid_options,
    add_input_option,
    add_kind_option,
    add_stack_option,
    add_store_options,
    add_table_output,
    check_alpha,
    check_table_output,
    load_area,
    load_records,
    spatial,
)
from geo.core import fmt
from geo.core.period import parse_period, records_in
from geo.core.schema import CHANGE_CLASSES, DEFAULT_REPORT_KIND, DISTRICT, REPORT_KINDS, SENSITIVE_PLACE


def register(sub: argparse._SubParsersAction) -> None:
    from geo.analysis.compare import DEFAULT_ALPHA, DEFAULT_CELL_M

    p = sub.add_parser(
        "compare",
        help="Zwei Zeiträume vergleichen: signifikante Zu- und Abnahmen je Rasterzelle",
        description=(
            "Zählt die Meldungen zweier Zeiträume (beliebige Längen, Raten je Tag) auf demselben Raster und "
            "testet je Zelle exakt, ob sich die Rate geändert hat (bedingter Binomialtest, FDR-korrigiert)."
        ),
    )
    p.add_argument("--a", dest="period_a", type=parse_period, required=True, metavar="VON/BIS",
                   help="Zeitraum A, z. B. 2026-01-01/2026-02-28")
    p.add_argument("--b", dest="period_b", type=parse_period, required=True, metavar="VON/BIS",
                   help="Zeitraum B, z. B. 2026-03-01/2026-04-30")
    add_kind_option(p, default=DEFAULT_REPORT_KIND, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_input_option(p)
    add_grid_options(p, cell_default=DEFAULT_CELL_M, band=False,
                     cell_help=f"Zellgröße in Metern (Standard {DEFAULT_CELL_M:g}; je Zelle werden genug Ereignisse "
                               "für den Test gebraucht)")
    p.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                   help=f"Signifikanzniveau nach FDR-Korrektur (Standard {DEFAULT_ALPHA:g})")
    add_stack_option(p)
    add_table_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.analysis.compare import analysis_grid, change_summary, compare_periods, zone_comparison
    from geo.analysis.timeseries import district_zones, place_zones
    from geo.core.schema import KINDS
    from geo.data.exports import write_table

    check_table_output(args.out)
    check_alpha(args.alpha)
    kind = KINDS[args.kind]
    area = load_area(args)
    records = spatial(args, load_records(args, args.kind), args.kind)
    a, b = args.period_a, args.period_b
    rec_a, rec_b = records_in(records, kind, a), records_in(records, kind, b)
    grid, note = analysis_grid([rec_a, rec_b], area, shape=args.grid, cell=args.cell)
    cells = compare_periods(rec_a, rec_b, a, b, grid, alpha=args.alpha)

    print(f"{kind.label_plural}: A {a.label()} ({a.days} Tage, {fmt.number(len(rec_a))}) – "
          f"B {b.label()} ({b.days} Tage, {fmt.number(len(rec_b))})")
    print(note)
    counts = change_summary(cells)
    print("Zellen: " + ", ".join(f"{CHANGE_CLASSES[c][0]} {counts[c]}" for c in CHANGE_CLASSES))

    zones = [place_zones(load_records(args, SENSITIVE_PLACE), area.crs),
             district_zones(load_records(args, DISTRICT), area)]
    for z in zones:
        if not len(z):
            continue
        table = zone_comparison(z, rec_a, rec_b, a, b, alpha=args.alpha)
        for row in table.itertuples():
            ratio = fmt.number(row.rate_ratio, 2)
            print(f"  {row.zone}: {row.count_a} → {row.count_b}, Verhältnis der Raten {ratio}, "
                  f"p (FDR) {fmt.p_value(row.p_fdr)} – {CHANGE_CLASSES[row.change_class][0]}")
    write_table(cells, args.out)
    print(f"Geschrieben: {args.out} ({fmt.number(len(cells))} Zellen)")
    return 0
