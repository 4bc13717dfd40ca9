"""Who is using Lagebild: users, roles, the local account file and OpenID Connect claims.

Three ways to run the app (checked in this order by :mod:`app_support.login`):

1. **OpenID Connect** – ``.streamlit/secrets.toml`` has an ``[auth]`` section; Streamlit's
   ``st.login`` does the login. Roles come from the section ``[lagebild]``::

       [lagebild]
       default_role = "oeffentlich"          # optional; without it unknown accounts are refused
       [lagebild.roles]
       "anna.schmidt@leipzig.de" = "analyse"

2. **Local account file** – for small deployments. A TOML (or JSON) file with bcrypt
   password hashes and a role per user, managed with ``lagebild users``::

       [users.anna]
       role = "analyse"
       password = "$2b$12$…"

   Its path is ``$LAGEBILD_ACCOUNTS``, else ``data/accounts.toml`` in the project when
   that file exists. A path given in ``$LAGEBILD_ACCOUNTS`` must exist (a typo must not
   silently open the app to everyone).

3. **Local single-user mode** – neither is configured: one user ``lokal`` with the role
   ``analyse``; the app says so on every page.

Nothing here imports Streamlit.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import getpass
import json
import os
import re
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from geo.core.errors import UserError
from geo.data.access import ROLES, check_role

#: Default account file (used when it exists and ``$LAGEBILD_ACCOUNTS`` is not set).
DEFAULT_ACCOUNTS = Path(__file__).resolve().parents[2] / "data" / "accounts.toml"
ACCOUNTS_ENV = "LAGEBILD_ACCOUNTS"
#: bcrypt work factor (2**12 rounds, about 0.2 s per check).
BCRYPT_ROUNDS = 12
MIN_PASSWORD_CHARS = 10
#: bcrypt uses at most 72 bytes of a password; longer ones are refused, not cut.
MAX_PASSWORD_BYTES = 72
_NAME = re.compile(r"^[\w.@+-]{1,64}$")


@dataclass(frozen=True)
class User:
    """The person using the app.

    Parameters
    ----------
    name : login name (or e-mail address with OpenID Connect).
    role : ``analyse``, ``rapport`` or ``oeffentlich`` (see :mod:`geo.data.access`).
    local_mode : True in local single-user mode (no login configured).
    """

    name: str
    role: str
    local_mode: bool = False


#: The user of local single-user mode.
LOCAL_USER = User("lokal", "analyse", local_mode=True)


@dataclass(frozen=True)
class Account:
    """One entry of the account file."""

    name: str
    role: str
    password_hash: str


# ---------------------------------------------------------------------------- files
def accounts_path(env: Mapping[str, str] | None = None) -> Path | None:
    """The account file to use, or ``None`` for local single-user mode.

    Raises
    ------
    UserError
        ``$LAGEBILD_ACCOUNTS`` names a file that does not exist.
    """
    env = os.environ if env is None else env
    configured = env.get(ACCOUNTS_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise UserError(f"Kontendatei {path} (aus {ACCOUNTS_ENV}) nicht gefunden – Anmeldung nicht möglich.")
        return path
    return DEFAULT_ACCOUNTS if DEFAULT_ACCOUNTS.is_file() else None


def cli_accounts_path(explicit: str | os.PathLike | None = None) -> Path:
    """The account file for ``lagebild users``: ``--file``, ``$LAGEBILD_ACCOUNTS`` or the default."""
    return Path(explicit or os.environ.get(ACCOUNTS_ENV) or DEFAULT_ACCOUNTS)


def load_accounts(path: str | os.PathLike) -> dict[str, Account]:
    """Read the account file (TOML, or JSON for a ``.json`` file); a missing file has no accounts.

    Raises
    ------
    UserError
        The file is unreadable, malformed, or names an unknown role.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Kontendatei {path} nicht lesbar ({exc}).") from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"Kontendatei {path} fehlerhaft: {str(exc).splitlines()[0]}") from None
    users = doc.get("users", {}) if isinstance(doc, dict) else None
    if not isinstance(users, dict):
        raise UserError(f"Kontendatei {path} fehlerhaft: Abschnitt [users] fehlt.")
    out = {}
    for name, entry in users.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            raise UserError(f"Kontendatei {path}: Eintrag '{name}' ohne Passwort-Hash.")
        role = str(entry.get("role", ""))
        if role not in ROLES:
            raise UserError(f"Kontendatei {path}: Benutzer '{name}' hat unbekannte Rolle '{role}'.")
        out[str(name)] = Account(str(name), role, entry["password"])
    return out


def save_accounts(path: str | os.PathLike, accounts: Mapping[str, Account]) -> None:
    """Write the account file atomically (temporary file + rename), readable by the owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    users = {a.name: {"role": a.role, "password": a.password_hash} for a in accounts.values()}
    if path.suffix.lower() == ".json":
        text = json.dumps({"users": users}, ensure_ascii=False, indent=2) + "\n"
    else:
        lines = ["# Lagebild-Konten; bearbeiten mit 'lagebild users'. Passwörter nur als bcrypt-Hash.", ""]
        for name, entry in users.items():
            lines += [f"[users.{json.dumps(name, ensure_ascii=False)}]",
                      f"role = {json.dumps(entry['role'])}", f"password = {json.dumps(entry['password'])}", ""]
        text = "\n".join(lines)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------- passwords
def check_name(name: str) -> str:
    """Return ``name`` if it is a valid login name (letters, digits, ``. _ @ + -``; at most 64)."""
    if not _NAME.match(name or ""):
        raise UserError(f"Ungültiger Benutzername '{name}': erlaubt sind Buchstaben, Ziffern und . _ @ + - "
                        "(höchstens 64 Zeichen).")
    return name


def check_password(password: str) -> str:
    """Return ``password`` if it is long enough and fits bcrypt; raise :class:`UserError` otherwise."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"Passwort zu kurz: mindestens {MIN_PASSWORD_CHARS} Zeichen.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError(f"Passwort zu lang: höchstens {MAX_PASSWORD_BYTES} Bytes.")
    return password


def hash_password(password: str) -> str:
    """bcrypt hash of ``password`` (checked with :func:`check_password`)."""
    return bcrypt.hashpw(check_password(password).encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``; malformed input gives False, never an error."""
    pw = password.encode("utf-8")
    if len(pw) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(pw, password_hash.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False


# ---------------------------------------------------------------------------- account management
def add_user(path: str | os.PathLike, name: str, password: str, role: str) -> Account:
    """Add a user to the account file (created when missing); refuse an existing name."""
    path = Path(path)
    account = Account(check_name(name), check_role(role), hash_password(password))
    with _locked(path):
        accounts = load_accounts(path)
        if name in accounts:
            raise UserError(f"Benutzer '{name}' gibt es schon (Passwort ändern: lagebild users passwd {name}).")
        save_accounts(path, {**accounts, name: account})
    return account


def update_user(path: str | os.PathLike, name: str, *, password: str | None = None,
                role: str | None = None) -> Account:
    """Change a user's password and/or role."""
    path = Path(path)
    new_hash = hash_password(password) if password is not None else None
    with _locked(path):
        accounts = load_accounts(path)
        if name not in accounts:
            raise UserError(f"Benutzer '{name}' nicht gefunden.")
        old = accounts[name]
        account = Account(name, check_role(role) if role else old.role, new_hash or old.password_hash)
        save_accounts(path, {**accounts, name: account})
    return account


def remove_user(path: str | os.PathLike, name: str) -> None:
    """Remove a user from the account file."""
    path = Path(path)
    with _locked(path):
        accounts = load_accounts(path)
        if name not in accounts:
            raise UserError(f"Benutzer '{name}' nicht gefunden.")
        save_accounts(path, {k: v for k, v in accounts.items() if k != name})


# ---------------------------------------------------------------------------- login
@functools.cache
def _dummy_hash() -> str:
    """A valid hash of a random password: unknown names are checked against it, so a login
    takes as long for an unknown name as for a wrong password."""
    return bcrypt.hashpw(os.urandom(16).hex().encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


class LoginRefused(UserError):
    """Too many failed logins from this client (or for this name from this client): try again later."""


class LoginThrottle:
    """Limits password guessing in this process, by client and overall, without locking out a named user.

    Rules within a sliding window (default 15 min):

    - **per client** (IP address or session): each recent failure of that client adds 1 s before its next check
      (at most ``max_delay_s``); after ``client_max`` failures the client is refused until old failures expire —
      many parallel sessions from one client share this budget, and guessing across many names counts too;
    - **per name**: after ``name_max`` failures for one name, only clients that have not failed for that name may
      still try it — the real user at their own computer keeps logging in while the guessers are refused;
    - **overall**: after ``global_max`` failures from all clients, a client that has failed at all is refused, so a
      distributed attack gets one guess per address and window, while clients without failures log in as usual.

    A successful login clears that client's failures for the name.
    """

    def __init__(self, window_s: float = 900.0, max_delay_s: float = 30.0, *, client_max: int = 10,
                 name_max: int = 20, global_max: int = 200) -> None:
        self.window_s = window_s
        self.max_delay_s = max_delay_s
        self.client_max, self.name_max, self.global_max = client_max, name_max, global_max
        self._failures: list[tuple[float, str, str]] = []  # (time, client, name)
        self._lock = threading.Lock()

    def _recent(self, now: float) -> list[tuple[float, str, str]]:
        with self._lock:
            self._failures = [f for f in self._failures if now - f[0] < self.window_s]
            return list(self._failures)

    def delay(self, name: str, client: str = "", now: float | None = None) -> float:
        """Seconds to wait before checking a password for ``name`` from ``client``.

        Raises
        ------
        LoginRefused
            The client may not try now (German message with the minutes to wait).
        """
        now = time.monotonic() if now is None else now
        recent = self._recent(now)
        mine = [t for t, c, _ in recent if c == client]
        mine_for_name = [t for t, c, n in recent if c == client and n == name]
        for_name = sum(1 for _, _, n in recent if n == name)
        refused = (len(mine) >= self.client_max
                   or (for_name >= self.name_max and mine_for_name)
                   or (len(recent) >= self.global_max and mine))
        if refused:
            wait_min = max(1, round((self.window_s - (now - min(mine))) / 60))
            raise LoginRefused(f"Zu viele fehlgeschlagene Anmeldungen – bitte in {wait_min} Minuten erneut versuchen.")
        return min(float(len(mine)), self.max_delay_s)

    def failed(self, name: str, client: str = "", now: float | None = None) -> None:
        with self._lock:
            self._failures.append((time.monotonic() if now is None else now, client, name))

    def succeeded(self, name: str, client: str = "") -> None:
        with self._lock:
            self._failures = [f for f in self._failures if not (f[1] == client and f[2] == name)]


THROTTLE = LoginThrottle()
#: At most two password checks at a time (bcrypt costs ~0.2 s of CPU each): guessing cannot starve the server.
_CHECKS = threading.BoundedSemaphore(2)


def authenticate(accounts: Mapping[str, Account], name: str, password: str, *, client: str = "",
                 throttle: LoginThrottle | None = None) -> User | None:
    """The user if ``name`` and ``password`` match an account, else ``None``.

    An unknown name costs as much time as a wrong password; failures are limited by ``throttle`` (default: the
    process-wide :data:`THROTTLE`) per ``client`` (e.g. the IP address), per name and overall.

    Raises
    ------
    LoginRefused
        Too many failures (German message); no password is checked then.
    """
    throttle = throttle or THROTTLE
    name = (name or "").strip()
    time.sleep(throttle.delay(name, client))
    account = accounts.get(name)
    with _CHECKS:
        ok = verify_password(password or "", account.password_hash if account else _dummy_hash())
    if not (ok and account):
        throttle.failed(name, client)
        return None
    throttle.succeeded(name, client)
    return User(account.name, account.role)


def current_role(accounts: Mapping[str, Account], user: User) -> User | None:
    """``user`` with the role from the current account file, or ``None`` if the account is gone."""
    account = accounts.get(user.name)
    return None if account is None else User(account.name, account.role)


def oidc_user(claims: Mapping[str, object], config: Mapping[str, object] | None) -> User:
    """The user for OpenID Connect ``claims`` (``st.user``), with the role from ``config``.

    ``config`` is the ``[lagebild]`` secrets section: ``roles`` maps e-mail addresses (or
    ``sub`` identifiers) to roles, compared case-insensitively; ``default_role`` applies to
    everyone else. Without a matching entry or default the login is refused.

    Raises
    ------
    UserError
        No role for this account (German message for the login page).
    """
    config = config or {}
    name = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "").strip()
    if not name:
        raise UserError("Die Anmeldung hat keine E-Mail-Adresse geliefert; bitte an die Administration wenden.")
    raw_roles = config.get("roles") or {}
    roles = {str(k).casefold(): str(v) for k, v in dict(raw_roles).items()} if isinstance(raw_roles, Mapping) else {}
    role = roles.get(name.casefold()) or roles.get(str(claims.get("sub", "")).casefold())
    role = role or str(config.get("default_role") or "")
    if not role:
        raise UserError(f"Kein Zugang für {name}: dieses Konto ist für Lagebild nicht freigeschaltet.")
    return User(name, check_role(str(role)))


def system_user() -> str:
    """Name for the audit log of command-line actions: ``$LAGEBILD_USER`` or the login name."""
    try:
        return os.environ.get("LAGEBILD_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unbekannt"
