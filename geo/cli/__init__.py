"""The ``lagebild`` command line.

Each subcommand lives in its own module in this package and defines
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``run(args) -> int``. Modules are discovered automatically.

Errors meant for the user (:class:`geo.core.errors.UserError`) print one German line and exit
with code 2; no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from geo.core.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lagebild",
        description="Lagebild: Hotspot-Karten und Auswertungen für den Drogenrapport im Leipziger Osten.",
    )
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Abgebrochen.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        print(f"Fehler: unerwarteter Fehler ({type(exc).__name__}: {exc}).", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
