"""``lagebild forecast``: where the most events are expected in the next period, backtested on the history.

::

    lagebild forecast --kind syringe_find --from 2026-09-01 --to 2026-10-31 [--share 0.03] \\
        [--method auto|counts|decay|kde|gistar|blend] --out prognose.geojson

Uses only records up to ``--to`` (whatever else the store holds). The history is cut into
periods of the length of ``--from``/``--to``; every candidate map (:mod:`geo.analysis.forecast`)
is backtested on them (rolling origin), the one with the best mean PAI is chosen (``auto``,
the default, or the best of one family) and its cells covering ``--share`` of the area are
written, ranked: ``rank``, ``expected`` (events expected in the next period of equal
length), ``method``, ``place`` (:func:`place_column`),
``cell_id``, ``value`` and the cell polygon. The backtest table is printed
(method, PAI, hit rate, periods).
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np

from geo.cli.common import (
    add_grid_options,
    add_input_option,
    add_kind_option,
    add_period_options,
    add_store_options,
    add_table_output,
    check_table_output,
    load_all_records,
    load_area,
    open_store,
    period_from_args,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import REPORT_KINDS


def register(sub: argparse._SubParsersAction) -> None:
    from geo.analysis.forecast import DEFAULT_CELL_M, DEFAULT_SHARE, METHODS

    p = sub.add_parser(
        "forecast",
        help="Prognose: wo im nächsten Zeitraum die meisten Meldungen zu erwarten sind (mit Rückschau)",
        description=(
            "Prüft verschiedene Karten (Anzahl, Zeitgewichtung, Kerndichte, Gi*-Hotspots, Mischung) rückblickend "
            "an den eigenen Daten: Für jeden vergangenen Zeitraum gleicher Länge wird nur mit den Daten davor "
            "vorhergesagt und gezählt, wie viele Meldungen in die vorhergesagten Zellen fielen (Trefferquote, PAI). "
            "Die beste Karte liefert die Zellen für den nächsten Zeitraum."
        ),
    )
    add_kind_option(p, default=None, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_input_option(p)
    add_period_options(p, required=True)
    p.add_argument("--share", type=float, default=DEFAULT_SHARE, metavar="ANTEIL",
                   help=f"Flächenanteil der Prognose (Standard {DEFAULT_SHARE:g} = {100 * DEFAULT_SHARE:g} %%)")
    p.add_argument("--method", choices=METHODS, default="auto",
                   help="Karte: auto (beste in der Rückschau, Standard) oder eine Art: " + ", ".join(METHODS[1:]))
    add_grid_options(p, cell_default=DEFAULT_CELL_M, band=False,
                     cell_help=f"Zellgröße in Metern (Standard {DEFAULT_CELL_M:g})")
    add_table_output(p)
    p.set_defaults(func=run)


def place_column(cells: gpd.GeoDataFrame, args: argparse.Namespace, area) -> list[str]:
    """The place name of every forecast cell (:func:`geo.analysis.placenames.place_names`) from the store's base
    map, sensitive places and districts; without a store, the nearest district or the coordinates."""
    from geo.analysis.placenames import place_names
    from geo.report.places import store_place_context

    store = open_store(args) if getattr(args, "input", None) is None else None
    ctx = store_place_context(store if store is not None and store.exists() else None, area.crs)
    return place_names(cells, ctx)


def _de(v: float, digits: int = 1) -> str:
    return fmt.number(v, digits)


def format_backtest(table, chosen: str) -> list[str]:
    """The backtest table as text lines (German headings: Methode, PAI, Trefferquote, Zeiträume)."""
    width = max(len("Methode"), *(len(str(m)) for m in table["method"])) + 2
    lines = [f"  {'Methode':<{width}}{'PAI':>7}{'± Streuung':>12}{'Trefferquote':>14}{'Zeiträume':>11}"]
    for row in table.itertuples():
        mark = "→ " if row.method == chosen else "  "
        hit = fmt.percent(row.hit_rate)
        lines.append(f"{mark}{row.method:<{width}}{_de(row.pai):>7}{_de(row.pai_sd):>12}{hit:>14}{row.periods:>11}")
    return lines


def run(args: argparse.Namespace) -> int:
    from geo.analysis.forecast import forecast, share_text
    from geo.core.schema import KINDS
    from geo.data.exports import write_table

    check_table_output(args.out)
    if not 0 < args.share <= 1:
        raise UserError("--share muss größer als 0 und höchstens 1 sein (z. B. 0.03 für 3 %).")
    if args.cell is not None and not args.cell > 0:
        raise UserError("--cell muss größer als 0 sein.")
    period = period_from_args(args)
    if period is None:  # --from/--to are required; kept for the type checker
        raise UserError("Bitte --from und --to angeben.")
    kind = KINDS[args.kind]
    if kind.date_field is None:
        raise UserError(f"{kind.label_plural} haben kein Datum; eine Prognose braucht Meldungen mit Datum.")
    area = load_area(args)
    records = load_all_records(args, args.kind)  # all dates; forecast() keeps those up to --to
    result = forecast(records, args.kind, area, period, share=args.share, method=args.method,
                      cell=args.cell, shape=args.grid)
    bt = result.backtest
    print(f"{kind.label_plural}: {fmt.number(result.n_records)} Datensätze bis {period.end:%d.%m.%Y}, "
          f"{fmt.number(len(bt.periods))} Zeiträume von {bt.periods[0].start:%d.%m.%Y} bis {period.end:%d.%m.%Y}, "
          f"{fmt.number(result.grid.n)} Zellen ({'Sechsecke' if result.grid.shape == 'hex' else 'Quadrate'}, "
          f"{_de(result.grid.cell, 0)} m)")
    print(f"Rückschau (jeder Zeitraum nur aus den Zeiträumen davor vorhergesagt), {share_text(args.share)} "
          "der Fläche:")
    for line in format_backtest(bt.table, result.method.name):
        print(line)
    print(f"Gewählt: {result.method.name} – {result.method.label(result.grid.cell)}")
    print(result.summary().replace("Funde", kind.label_plural))
    cells = result.cells
    places = place_column(cells, args, area)
    out = cells[["rank", "expected", "method", "cell_id", "value", "geometry"]].copy()
    out["expected"] = np.round(out["expected"].to_numpy(), 3)
    out.insert(3, "place", places)
    print(f"Prognose für {result.target.label()}: {fmt.number(len(out))} Zellen, zusammen "
          f"{_de(float(out['expected'].sum()))} erwartete {kind.label_plural}")
    write_table(out, args.out)
    print(f"Geschrieben: {args.out} ({fmt.number(len(out))} Zellen)")
    return 0
