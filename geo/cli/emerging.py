"""``lagebild emerging``: emerging hot spots (new, intensifying, diminishing, …) over time slices.

::

    lagebild emerging --kind syringe_find --from 2024-11-01 --to 2026-10-31 --slice month --out trends.gpkg

writes one row per cell with ``pattern`` (code), ``pattern_label`` (German), the
Mann–Kendall trend of the Gi* z-scores (``trend_z``, ``trend_p``, ``trend_tau``), the
number of significant hot and cold slices and the counts; see :mod:`geo.analysis.emerging`.
"""

from __future__ import annotations

import argparse

from geo.cli.common import (
    add_grid_options,
    add_input_option,
    add_kind_option,
    add_period_options,
    add_stack_option,
    add_store_options,
    add_table_output,
    check_alpha,
    check_table_output,
    load_area,
    load_records,
    period_from_args,
    spatial,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DEFAULT_REPORT_KIND, REPORT_KINDS


def register(sub: argparse._SubParsersAction) -> None:
    from geo.analysis.emerging import DEFAULT_ALPHA, SLICE_MONTHS

    p = sub.add_parser(
        "emerging",
        help="Neue, sich verstärkende, abnehmende … Hotspots über Zeitabschnitte (Trend)",
        description=(
            "Gi* je Monat (oder Doppelmonat) auf demselben Raster, Mann-Kendall-Trend je Zelle und Einordnung "
            "in die Muster der ArcGIS-Analyse 'Emerging Hot Spots' (neu, fortlaufend, sich verstärkend, "
            "dauerhaft, abnehmend, sporadisch, wechselnd, historisch)."
        ),
    )
    add_kind_option(p, default=DEFAULT_REPORT_KIND, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_input_option(p)
    add_period_options(p)
    p.add_argument("--slice", choices=tuple(SLICE_MONTHS), default="month",
                   help="Länge eines Zeitabschnitts: month (Monat, Standard) oder 2months (Doppelmonat)")
    add_grid_options(p, cell_help="Zellgröße in Metern (Standard: automatisch wie bei der Hotspot-Karte)")
    p.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                   help=f"Signifikanzniveau je Zeitabschnitt nach FDR-Korrektur (Standard {DEFAULT_ALPHA:g})")
    add_stack_option(p)
    add_table_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.analysis.emerging import PATTERNS, SLICE_MONTHS, emerging_hotspots
    from geo.analysis.timeseries import data_period
    from geo.core.schema import KINDS
    from geo.data.exports import write_table

    check_table_output(args.out)
    check_alpha(args.alpha)
    area = load_area(args)
    records = spatial(args, load_records(args, args.kind), args.kind)
    period = period_from_args(args) or data_period(records, args.kind)
    if period is None:
        raise UserError(f"Keine {KINDS[args.kind].label_plural} vorhanden.")
    result = emerging_hotspots(records, args.kind, period, area, slice_months=SLICE_MONTHS[args.slice],
                               shape=args.grid, cell=args.cell, band=args.band, alpha=args.alpha)
    print(f"{KINDS[args.kind].label_plural} {period.label()}: {fmt.number(len(result.slices))} Zeitabschnitte")
    print(result.scale_rule)
    for code, n in result.pattern_counts().items():
        if n:
            print(f"  {PATTERNS[code][0]}: {n} {'Zelle' if n == 1 else 'Zellen'}")
    write_table(result.cells, args.out)
    print(f"Geschrieben: {args.out} ({fmt.number(len(result.cells))} Zellen)")
    return 0
