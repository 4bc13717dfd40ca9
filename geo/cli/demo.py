"""``lagebild demo``: fill the store with the synthetic demo data of Leipziger Osten."""

from __future__ import annotations

import argparse

from geo.cli.common import add_store_options, open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="Demodaten (synthetisch, fester Seed) in den Speicher laden")
    add_store_options(p)
    p.add_argument("--seed", type=int, default=None, help="Zufallsstartwert (Standard: fester Demo-Seed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from geo.data.demo import DEMO_SEED, load_demo

    store = open_store(args)
    for report in load_demo(store, args.seed if args.seed is not None else DEMO_SEED):
        print(f"{report.kind}: gespeichert: {report.stored}, abgelehnt: {report.rejected}")
    print(f"Speicher: {store if getattr(store, 'backend', '') == 'postgis' else store.path}")
    return 0
