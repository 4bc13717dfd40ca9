"""``lagebild users``: manage the local account file (bcrypt-hashed passwords, one role per user)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from geo.core import fmt
from geo.core.errors import UserError
from geo.data.access import ROLE_LABELS, ROLES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="Konten für die Anmeldung verwalten (lokale Kontendatei)",
                       description="Verwaltet die Kontendatei ($LAGEBILD_ACCOUNTS oder data/accounts.toml). "
                                   "Passwörter werden von der Standardeingabe gelesen oder abgefragt.")
    p.add_argument("--file", type=Path, default=None, metavar="DATEI",
                   help="Kontendatei (.toml oder .json; Standard: $LAGEBILD_ACCOUNTS oder data/accounts.toml)")
    users = p.add_subparsers(dest="action", metavar="AKTION", required=True)
    roles = "; ".join(f"{r}: {ROLE_LABELS[r]}" for r in ROLES)
    add = users.add_parser("add", help="Konto anlegen")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES, metavar="ROLLE", help=roles)
    passwd = users.add_parser("passwd", help="Passwort ändern")
    passwd.add_argument("name", metavar="NAME")
    role = users.add_parser("role", help="Rolle ändern")
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", choices=ROLES, metavar="ROLLE", help=roles)
    remove = users.add_parser("remove", help="Konto löschen")
    remove.add_argument("name", metavar="NAME")
    users.add_parser("list", help="Konten auflisten")
    p.set_defaults(func=run)


def read_password(stdin=None) -> str:
    """The new password: first line of stdin when it is not a terminal, else asked twice."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Neues Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        raise UserError("Die Passwörter stimmen nicht überein.")
    return first


def run(args: argparse.Namespace) -> int:
    from geo.data import auth

    path = auth.cli_accounts_path(args.file)
    if args.action == "list":
        accounts = auth.load_accounts(path)
        for account in accounts.values():
            print(f"{account.name}\t{account.role}")
        print(f"{fmt.number(len(accounts))} Konto/Konten in {path}", file=sys.stderr)
        return 0
    if args.action == "add":
        auth.check_name(args.name)
        auth.add_user(path, args.name, read_password(), args.role)
        print(f"Konto '{args.name}' ({args.role}) angelegt in {path}.")
        print("Die App verlangt jetzt eine Anmeldung.", file=sys.stderr)
    elif args.action == "passwd":
        auth.update_user(path, args.name, password=read_password())
        print(f"Passwort von '{args.name}' geändert.")
    elif args.action == "role":
        auth.update_user(path, args.name, role=args.role)
        print(f"Rolle von '{args.name}' ist jetzt {args.role}.")
    else:
        auth.remove_user(path, args.name)
        print(f"Konto '{args.name}' gelöscht.")
    return 0
