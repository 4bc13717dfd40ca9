"""Accounts, passwords, OpenID Connect roles, ``lagebild users`` and the login page."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.cli import main
from geo.core.errors import UserError
from geo.data import auth
from geo.data.auth import LoginThrottle, User

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "korrekt-Pferd-42"
NO_WAIT = LoginThrottle(max_delay_s=0.0)


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    """Four bcrypt rounds instead of twelve: same code, a fraction of the time."""
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(auth, "THROTTLE", LoginThrottle(max_delay_s=0.0))


@pytest.fixture
def accounts(tmp_path) -> Path:
    path = tmp_path / "konten.toml"
    auth.add_user(path, "anna", PASSWORD, "analyse")
    auth.add_user(path, "rita", PASSWORD + "!", "rapport")
    return path


# ---------------------------------------------------------------------------- passwords and the file
def test_hash_and_verify():
    h = auth.hash_password(PASSWORD)
    assert h.startswith("$2b$") and PASSWORD not in h
    assert auth.verify_password(PASSWORD, h)
    assert not auth.verify_password(PASSWORD + "x", h)
    assert not auth.verify_password(PASSWORD, "kein-hash")  # malformed: False, no error
    assert not auth.verify_password("ü" * 40, h)  # 80 bytes: over bcrypt's limit
    with pytest.raises(UserError, match="zu kurz"):
        auth.hash_password("kurz")
    with pytest.raises(UserError, match="zu lang"):
        auth.hash_password("x" * 73)


def test_account_file_round_trip_and_permissions(accounts):
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    text = accounts.read_text()
    assert PASSWORD not in text and '[users."anna"]' in text
    loaded = auth.load_accounts(accounts)
    assert {a.name: a.role for a in loaded.values()} == {"anna": "analyse", "rita": "rapport"}
    with pytest.raises(UserError, match="gibt es schon"):
        auth.add_user(accounts, "anna", PASSWORD, "rapport")
    auth.update_user(accounts, "anna", role="oeffentlich")
    auth.update_user(accounts, "rita", password="neues-Passwort-1")
    loaded = auth.load_accounts(accounts)
    assert loaded["anna"].role == "oeffentlich"
    assert auth.verify_password("neues-Passwort-1", loaded["rita"].password_hash)
    auth.remove_user(accounts, "anna")
    assert list(auth.load_accounts(accounts)) == ["rita"]
    with pytest.raises(UserError, match="nicht gefunden"):
        auth.remove_user(accounts, "anna")
    assert not list(accounts.parent.glob(".konten.toml.tmp-*"))


def test_json_account_file(tmp_path):
    path = tmp_path / "konten.json"
    auth.add_user(path, "otto@leipzig.de", PASSWORD, "oeffentlich")
    doc = json.loads(path.read_text())
    assert doc["users"]["otto@leipzig.de"]["role"] == "oeffentlich"
    assert auth.load_accounts(path)["otto@leipzig.de"].role == "oeffentlich"


@pytest.mark.parametrize(("content", "message"), [
    ("[users\n", "fehlerhaft"),
    ('[users.x]\nrole = "chef"\npassword = "$2b$"\n', "unbekannte Rolle 'chef'"),
    ('[users.x]\nrole = "analyse"\n', "ohne Passwort-Hash"),
    ("users = 3\n", "Abschnitt \\[users\\] fehlt"),
])
def test_broken_account_files_give_one_german_line(tmp_path, content, message):
    path = tmp_path / "k.toml"
    path.write_text(content)
    with pytest.raises(UserError, match=message):
        auth.load_accounts(path)


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "ä/ö", "a\nb", 'a"b'])
def test_invalid_names_are_refused(tmp_path, name):
    with pytest.raises(UserError, match="Ungültiger Benutzername"):
        auth.add_user(tmp_path / "k.toml", name, PASSWORD, "analyse")


def test_accounts_path_modes(tmp_path, monkeypatch):
    monkeypatch.setattr(auth, "DEFAULT_ACCOUNTS", tmp_path / "data" / "accounts.toml")
    assert auth.accounts_path({}) is None  # nothing configured: local single-user mode
    with pytest.raises(UserError, match="nicht gefunden"):
        auth.accounts_path({"LAGEBILD_ACCOUNTS": str(tmp_path / "tippfehler.toml")})  # never silently open
    auth.add_user(auth.DEFAULT_ACCOUNTS, "anna", PASSWORD, "analyse")
    assert auth.accounts_path({}) == auth.DEFAULT_ACCOUNTS


# ---------------------------------------------------------------------------- login
def test_authenticate(accounts):
    loaded = auth.load_accounts(accounts)
    assert auth.authenticate(loaded, " anna ", PASSWORD, throttle=NO_WAIT) == User("anna", "analyse")
    assert auth.authenticate(loaded, "anna", "falsch", throttle=NO_WAIT) is None
    assert auth.authenticate(loaded, "niemand", PASSWORD, throttle=NO_WAIT) is None
    assert auth.authenticate(loaded, "anna", "", throttle=NO_WAIT) is None
    assert auth.current_role(loaded, User("rita", "analyse")) == User("rita", "rapport")
    assert auth.current_role(loaded, User("weg", "analyse")) is None


def test_login_waits_longer_after_each_failure(accounts, monkeypatch):
    slept = []
    monkeypatch.setattr(auth.time, "sleep", slept.append)
    throttle, loaded = LoginThrottle(), auth.load_accounts(accounts)
    for _ in range(3):
        assert auth.authenticate(loaded, "anna", "falsch", throttle=throttle) is None
    assert auth.authenticate(loaded, "anna", PASSWORD, throttle=throttle) is not None
    assert auth.authenticate(loaded, "anna", PASSWORD, throttle=throttle) is not None
    assert slept == [0, 1, 2, 3, 0]  # success resets


def test_throttle_limits_a_client_across_names_and_parallel_sessions():
    t = LoginThrottle(window_s=900, client_max=10)
    for i in range(10):  # one address guessing many names (or 12 sessions sharing it)
        t.delay(f"name{i}", client="10.0.0.9", now=i)
        t.failed(f"name{i}", client="10.0.0.9", now=i)
    with pytest.raises(auth.LoginRefused, match="Minuten"):
        t.delay("anna", client="10.0.0.9", now=20)
    assert t.delay("anna", client="10.0.0.7", now=20) == 0  # another client is not affected
    assert t.delay("anna", client="10.0.0.9", now=20 + 900) == 0  # failures expire


def test_throttle_never_locks_out_the_named_user():
    t = LoginThrottle(window_s=900, client_max=1000, name_max=20)
    for i in range(30):  # many addresses guessing one account
        t.failed("anna", client=f"10.1.0.{i}", now=i)
    with pytest.raises(auth.LoginRefused):
        t.delay("anna", client="10.1.0.3", now=40)  # a guesser may not try anna again
    assert t.delay("anna", client="192.168.5.5", now=40) == 0  # anna at her own computer may


def test_throttle_overall_limit_gives_a_distributed_attack_one_guess_per_address():
    t = LoginThrottle(window_s=900, global_max=50)
    for i in range(50):
        t.failed(f"n{i}", client=f"10.2.0.{i}", now=i)
    with pytest.raises(auth.LoginRefused):
        t.delay("x", client="10.2.0.1", now=60)
    assert t.delay("x", client="10.3.0.1", now=60) == 0  # clients without failures log in as usual


def test_refused_login_checks_no_password(accounts, monkeypatch):
    checked = []
    monkeypatch.setattr(auth, "verify_password", lambda *a: checked.append(a) or False)
    t, loaded = LoginThrottle(max_delay_s=0.0, client_max=2), auth.load_accounts(accounts)
    for _ in range(2):
        assert auth.authenticate(loaded, "anna", "falsch", client="c", throttle=t) is None
    with pytest.raises(auth.LoginRefused):
        auth.authenticate(loaded, "anna", PASSWORD, client="c", throttle=t)
    assert len(checked) == 2


def test_throttle_slows_repeated_failures():
    t = LoginThrottle(window_s=60, max_delay_s=3)
    assert t.delay("anna", now=0) == 0
    for i in range(5):
        t.failed("anna", now=i)
    assert t.delay("anna", now=10) == 3  # capped
    assert t.delay("anna", now=100) == 0  # failures expire
    t.failed("anna", now=100)
    t.succeeded("anna")
    assert t.delay("anna", now=101) == 0


def test_oidc_roles():
    config = {"roles": {"Anna.Schmidt@Leipzig.de": "analyse", "sub-42": "rapport"}}
    assert auth.oidc_user({"email": "anna.schmidt@leipzig.de"}, config) == User("anna.schmidt@leipzig.de", "analyse")
    assert auth.oidc_user({"email": "x@y.de", "sub": "sub-42"}, config).role == "rapport"
    with pytest.raises(UserError, match="nicht freigeschaltet"):
        auth.oidc_user({"email": "fremd@example.org"}, config)
    fallback = {**config, "default_role": "oeffentlich"}
    assert auth.oidc_user({"email": "fremd@example.org"}, fallback).role == "oeffentlich"
    with pytest.raises(UserError, match="keine E-Mail"):
        auth.oidc_user({}, config)
    with pytest.raises(UserError, match="Unbekannte Rolle"):
        auth.oidc_user({"email": "a@b.de"}, {"default_role": "superuser"})


# ---------------------------------------------------------------------------- lagebild users
def test_cli_users(tmp_path, monkeypatch, capsys):
    path = tmp_path / "konten.toml"
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "--file", str(path), "add", "anna", "--role", "rapport"]) == 0
    assert "angelegt" in capsys.readouterr().out
    assert auth.load_accounts(path)["anna"].role == "rapport"
    monkeypatch.setattr(sys, "stdin", io.StringIO("kurz\n"))
    assert main(["users", "--file", str(path), "add", "bert", "--role", "analyse"]) == 2
    assert "zu kurz" in capsys.readouterr().err
    assert main(["users", "--file", str(path), "role", "anna", "analyse"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("ganz-neues-Passwort\n"))
    assert main(["users", "--file", str(path), "passwd", "anna"]) == 0
    capsys.readouterr()
    assert main(["users", "--file", str(path), "list"]) == 0
    assert capsys.readouterr().out == "anna\tanalyse\n"
    assert auth.authenticate(auth.load_accounts(path), "anna", "ganz-neues-Passwort", throttle=NO_WAIT)
    assert main(["users", "--file", str(path), "remove", "anna"]) == 0
    assert auth.load_accounts(path) == {}
    with pytest.raises(SystemExit):
        main(["users", "--file", str(path), "add", "x", "--role", "chef"])


# ---------------------------------------------------------------------------- the login page
def _page():
    import streamlit as st

    from app_support.login import require_login

    user = require_login()
    assert require_login() == user  # the app and its pages each ask; the sidebar is drawn once
    st.markdown(f"INHALT {user.name} {user.role} {user.local_mode}")


def _app(monkeypatch, accounts: Path | None) -> AppTest:
    monkeypatch.syspath_prepend(str(REPO))
    if accounts is None:
        monkeypatch.delenv("LAGEBILD_ACCOUNTS", raising=False)
    else:
        monkeypatch.setenv("LAGEBILD_ACCOUNTS", str(accounts))
    return AppTest.from_function(_page, default_timeout=30)


def _content(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("INHALT")]


def test_login_page_with_account_file(monkeypatch, accounts):
    at = _app(monkeypatch, accounts).run()
    assert not at.exception and _content(at) == []  # nothing before login
    assert at.title[0].value == "Lagebild – Anmeldung"
    at.text_input(key="login-name").input("anna")
    at.text_input(key="login-password").input("falsch")
    at.button[0].click().run()
    assert _content(at) == [] and "falsch" in at.error[0].value
    at.text_input(key="login-password").input(PASSWORD)
    at.button[0].click().run()
    assert _content(at) == ["INHALT anna analyse False"]
    assert len(at.sidebar.caption) == 1
    assert "anna" in at.sidebar.caption[0].value and "Analyse" in at.sidebar.caption[0].value
    auth.update_user(accounts, "anna", role="oeffentlich")  # role changes apply on the next run
    at.run()
    assert _content(at) == ["INHALT anna oeffentlich False"]
    at.sidebar.button(key="lagebild-logout").click().run()
    assert _content(at) == [] and at.title[0].value == "Lagebild – Anmeldung"


def test_removed_account_is_logged_out(monkeypatch, accounts):
    at = _app(monkeypatch, accounts).run()
    at.text_input(key="login-name").input("rita")
    at.text_input(key="login-password").input(PASSWORD + "!")
    at.button[0].click().run()
    assert _content(at) == ["INHALT rita rapport False"]
    auth.remove_user(accounts, "rita")
    at.run()
    assert _content(at) == [] and at.title[0].value == "Lagebild – Anmeldung"


def test_local_single_user_mode_is_announced(monkeypatch, tmp_path):
    monkeypatch.setattr(auth, "DEFAULT_ACCOUNTS", tmp_path / "fehlt.toml")
    at = _app(monkeypatch, None).run()
    assert _content(at) == ["INHALT lokal analyse True"]
    assert len(at.sidebar.warning) == 1 and "Lokaler Einzelplatzmodus" in at.sidebar.warning[0].value


def test_missing_configured_account_file_stops_the_app(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path / "tippfehler.toml").run()
    assert _content(at) == [] and "nicht gefunden" in at.error[0].value


def test_empty_account_file_lets_nobody_in(monkeypatch, tmp_path):
    path = tmp_path / "leer.toml"
    auth.save_accounts(path, {})
    at = _app(monkeypatch, path).run()
    assert _content(at) == [] and "keine Konten" in at.error[0].value


def test_openid_connect(monkeypatch, tmp_path):
    monkeypatch.setattr(auth, "DEFAULT_ACCOUNTS", tmp_path / "fehlt.toml")
    at = _app(monkeypatch, None)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "lagebild", "client_secret": "geheim",
                          "server_metadata_url": "https://login.example/.well-known/openid-configuration"}
    at.secrets["lagebild"] = {"roles": {"anna@leipzig.de": "rapport"}}
    at.user = {"is_logged_in": False}
    at.run()
    assert _content(at) == [] and at.button[0].label == "Anmelden"
    at.user = {"is_logged_in": True, "email": "Anna@Leipzig.de", "name": "Anna"}
    at.run()
    assert _content(at) == ["INHALT Anna@Leipzig.de rapport False"]
    at.user = {"is_logged_in": True, "email": "fremd@example.org"}
    at.run()
    assert _content(at) == [] and "nicht freigeschaltet" in at.error[0].value

