"""Login for the app: OpenID Connect, local account file, or local single-user mode.

Call :func:`require_login` at the top of ``app.py``; it returns the :class:`~geo.data.auth.User`
or shows the login page and stops the run (``st.stop``) until someone is logged in. Which
mode applies is described in :mod:`geo.data.auth`. The sidebar shows who is logged in with
which role, a logout button, or – in local single-user mode – a clear notice that no login
is configured.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo.core.errors import UserError
from geo.data import auth
from geo.data.access import ROLE_LABELS
from geo.data.auth import User

#: session_state key of the logged-in user (local account file).
SESSION_KEY = "lagebild_user"
LOCAL_MODE_NOTICE = (
    "**Lokaler Einzelplatzmodus** – keine Anmeldung eingerichtet: wer diese Seite öffnen kann, sieht alle "
    "Daten. Für mehrere Nutzende Konten anlegen: `lagebild users add NAME --role ROLLE`."
)


def _secrets_section(name: str) -> Mapping | None:
    """A section of ``st.secrets``, or ``None`` when it (or the secrets file) is absent."""
    try:
        return st.secrets[name] if name in st.secrets else None
    except Exception:  # noqa: BLE001 - a missing or broken secrets file means: not configured
        return None


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()


def _escape(text: str) -> str:
    """Text safe inside Markdown (names and e-mail addresses come from outside)."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|~$" else ch for ch in text)


def require_login() -> User:
    """The logged-in user; renders the login page and stops the run until there is one."""
    oidc = _secrets_section("auth")
    if oidc is not None:
        user = _oidc_login(oidc)
    else:
        try:
            path = auth.accounts_path()
        except UserError as exc:
            _stop_with(str(exc))
        user = auth.LOCAL_USER if path is None else _password_login(path)
    _sidebar(user, oidc=oidc is not None)
    return user


def _oidc_login(section: Mapping) -> User:
    if not st.user.is_logged_in:
        st.title("Lagebild – Anmeldung")
        st.write("Bitte mit dem Dienstkonto anmelden.")
        providers = [k for k, v in section.items() if isinstance(v, Mapping)] or [None]
        for provider in providers:
            if st.button("Anmelden" if provider is None else f"Anmelden mit {provider}", key=f"login-{provider}"):
                if importlib.util.find_spec("authlib") is None:
                    _stop_with("Anmeldung nicht möglich: das Paket Authlib fehlt auf dem Server "
                               "(pip install 'Authlib>=1.3.2').")
                st.login(provider) if provider else st.login()
        st.stop()
    try:
        return auth.oidc_user(st.user.to_dict(), _secrets_section("lagebild"))
    except UserError as exc:
        st.error(str(exc))
        st.button("Abmelden", on_click=st.logout, key="logout-refused")
        st.stop()


def _password_login(path) -> User:
    try:
        accounts = auth.load_accounts(path)
    except UserError as exc:
        _stop_with(str(exc))
    current = st.session_state.get(SESSION_KEY)
    if isinstance(current, User):
        refreshed = auth.current_role(accounts, current)  # removed accounts and role changes apply at once
        if refreshed is not None:
            st.session_state[SESSION_KEY] = refreshed
            return refreshed
        del st.session_state[SESSION_KEY]
    if not accounts:
        _stop_with(f"Die Kontendatei {path} enthält keine Konten – bitte anlegen mit "
                   "'lagebild users add NAME --role ROLLE'.")
    st.title("Lagebild – Anmeldung")
    with st.form("lagebild-login"):
        name = st.text_input("Benutzername", key="login-name")
        password = st.text_input("Passwort", type="password", key="login-password")
        submitted = st.form_submit_button("Anmelden")
    if submitted:
        try:
            user = auth.authenticate(accounts, name, password, client=_client())
        except auth.LoginRefused as exc:
            _stop_with(str(exc))
        if user is not None:
            st.session_state[SESSION_KEY] = user
            st.rerun()
        st.error("Benutzername oder Passwort falsch.")
    st.stop()


def _client() -> str:
    """Who is trying to log in: the client's IP address (the session when there is none)."""
    ip = getattr(st.context, "ip_address", None)
    if ip:
        return str(ip)
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id if ctx else ''}"


def logout(*, oidc: bool) -> None:
    """End the session (OpenID Connect: also the login cookie)."""
    st.session_state.pop(SESSION_KEY, None)
    if oidc:
        st.logout()
    else:
        st.rerun()


def _sidebar(user: User, *, oidc: bool) -> None:
    """Who is logged in (or the local-mode notice), drawn once per run however often
    :func:`require_login` is called (the app and its pages each ask for the user)."""
    try:
        box = st.sidebar.container(key="lagebild-user")
    except StreamlitDuplicateElementKey:
        return
    with box:
        if user.local_mode:
            st.warning(LOCAL_MODE_NOTICE)
            return
        st.caption(f"Angemeldet als **{_escape(user.name)}** · {ROLE_LABELS.get(user.role, user.role)}")
        if st.button("Abmelden", key="lagebild-logout"):
            logout(oidc=oidc)
