"""The ``lagebild`` command line.

Each subcommand lives in its own module in this package and defines
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``run(args) -> int``. Modules are discovered automatically.

Errors meant for the user (:class:`geo.core.errors.UserError`) print one German line and exit
with code 2; no traceback ever reaches the user. argparse speaks German too
(:class:`GermanArgumentParser`): ``Aufruf:`` instead of ``usage:``, German headings, and a wrong
or missing argument ends in one ``Fehler: …`` line with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from typing import Any, NoReturn

from geo.core.errors import UserError

#: argparse's English messages (Python 3.11–3.13) → German; applied in order to the message text.
_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: ", "Diese Angaben fehlen: "),
    (r"one of the arguments (.*) is required", r"Eine dieser Angaben ist nötig: \1"),
    (r"unrecognized arguments: ", "Unbekannte Angaben: "),
    (r"invalid choice: (.*?) \(choose from (.*)\)", r"ungültige Auswahl \1 (möglich: \2)"),
    (r"invalid (\w+) value: ", "ungültiger Wert: "),
    (r"expected one argument", "ein Wert wird erwartet"),
    (r"expected at least one argument", "mindestens ein Wert wird erwartet"),
    (r"expected at most one argument", "höchstens ein Wert wird erwartet"),
    (r"expected (\d+) arguments?", r"\1 Werte werden erwartet"),
    (r"ambiguous option: (\S+) could match (.*)", r"mehrdeutige Angabe \1 (passt auf \2)"),
    (r"not allowed with argument ", "nicht zusammen mit "),
    (r"ignored explicit argument ", "überzähliger Wert "),
    (r"^argument ", "Angabe "),
)
#: argparse's section headings → German.
_HEADINGS = {"positional arguments": "Positionsargumente", "options": "Optionen",
             "optional arguments": "Optionen"}


def german_message(message: str) -> str:
    """argparse's English error text in German.

    >>> german_message("the following arguments are required: --to")
    'Diese Angaben fehlen: --to'
    >>> german_message("argument --grid: invalid choice: 'x' (choose from 'hex', 'square')")
    "Angabe --grid: ungültige Auswahl 'x' (möglich: 'hex', 'square')"
    """
    for pattern, german in _MESSAGES:
        message = re.sub(pattern, german, message)
    return message


class GermanHelpFormatter(argparse.HelpFormatter):
    """Help text with ``Aufruf:`` instead of ``usage:``."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, "Aufruf: " if prefix is None else prefix)


class GermanArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose frame is German and whose errors are one ``Fehler: …`` line (exit 2).

    Subcommand parsers are of the same class (argparse creates them with ``type(self)``).
    """

    def __init__(self, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", GermanHelpFormatter)
        super().__init__(add_help=False, **kwargs)
        for group in self._action_groups:
            group.title = _HEADINGS.get(group.title or "", group.title)
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="diese Hilfe zeigen und beenden")

    def error(self, message: str) -> NoReturn:
        """Print one German line ``Fehler: …`` (with a hint to ``--help``) and exit with code 2."""
        self.exit(2, f"Fehler: {german_message(message)} (Hilfe: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = GermanArgumentParser(
        prog="lagebild",
        description="Lagebild: Hotspot-Karten und Auswertungen für den Drogenrapport im Leipziger Osten.",
    )
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL", title="Befehle")
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
