"""``lagebild app``: start the Streamlit app (on the demo data when the store is empty).

Starts without any prompt or notice from Streamlit, in a terminal, in the background and as a service: the
server always runs headless (Streamlit's first-start e-mail prompt only appears without it), its welcome banner,
telemetry and static-folder notices are off, and this command prints one German line with the address instead.
A browser is opened only where one exists (a desktop session) and ``--headless`` is not given.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Mapping
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
#: What the server runs: ``app.py`` as an ``st.App`` behind Lagebild's side-door middleware (``app_support/serve.py``:
#: Host check on every HTTP request, no ``/_stcore/metrics``, a download's URL only for the browser that clicked).
SERVE = APP.parent / "app_support" / "serve.py"
#: Environment variables holding paths: made absolute, because the server runs in the app's folder.
PATH_VARIABLES = ("LAGEBILD_STORE", "LAGEBILD_AREA", "LAGEBILD_ACCOUNTS")
#: Seconds to wait for the server's health check before saying it did not start.
START_TIMEOUT_S = 120.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="Die Lagebild-App im Browser starten")
    p.add_argument("--store", default=None, metavar="SPEICHER",
                   help="Speicher: GeoPackage-Datei oder PostgreSQL-URL postgresql://benutzer@host/datenbank")
    p.add_argument("--port", type=int, default=8501, help="Port (Standard 8501)")
    p.add_argument("--address", default=os.environ.get("LAGEBILD_ADDRESS", "127.0.0.1"),
                   help="Adresse, an der der Server lauscht (Standard 127.0.0.1, nur dieser Rechner; "
                        "0.0.0.0 für alle Netzwerke, nur hinter einem Proxy mit Anmeldung)")
    p.add_argument("--headless", action="store_true", help="keinen Browser öffnen")
    p.set_defaults(func=run)


#: Host names the app answers to when it listens on this machine only (DNS rebinding protection).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(address: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Host names the server accepts (Streamlit's ``server.allowedHosts``, checked on the websocket):
    ``$LAGEBILD_ALLOWED_HOSTS`` (comma-separated) if set, else the local names for a local address, else none
    (any Host: behind a proxy the names are not known here)."""
    variables: Mapping[str, str] = os.environ if env is None else env
    configured = [h.strip() for h in variables.get("LAGEBILD_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if configured:
        return configured
    return list(LOCAL_HOSTS) if address in LOCAL_HOSTS else []


def server_command(port: int, address: str) -> list[str]:
    """The ``streamlit run`` command line: headless, quiet, no telemetry, only the allowed Host names."""
    hosts = [arg for host in allowed_hosts(address) for arg in ("--server.allowedHosts", host)]
    return [
        sys.executable, "-m", "streamlit", "run", str(SERVE),
        "--server.port", str(port), "--server.address", address, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--logger.hideWelcomeMessage", "true",
        "--logger.level", "warning", *hosts,
    ]


def server_environment(store: str | None) -> dict[str, str]:
    """This process's environment with every Lagebild path made absolute (the server runs elsewhere)."""
    env = dict(os.environ)
    if store:
        env["LAGEBILD_STORE"] = store
    for name in PATH_VARIABLES:
        value = env.get(name)
        if value and "://" not in value:
            env[name] = str(Path(value).expanduser().resolve())
    return env


def browser_available() -> bool:
    """True where opening a browser makes sense: a desktop session with a registered browser."""
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    desktop = sys.platform in ("darwin", "win32") or bool(display)
    if not desktop:
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:  # noqa: S310 - own server
            return resp.status == 200
    except OSError:
        return False


#: Streamlit's own chatter that says nothing to a user (this command says it in German instead).
_CHATTER = ("Stopping...",)


def _forward_output(proc: subprocess.Popen) -> None:
    """Pass the server's own output (warnings, page errors with tracebacks) through to our stderr."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() in _CHATTER:
            continue
        sys.stderr.write(line)
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    (APP.parent / "static").mkdir(exist_ok=True)  # filled by the app at start; avoids Streamlit's warning
    host = "localhost" if args.address in ("127.0.0.1", "::1", "localhost") else args.address
    url = f"http://{host}:{args.port}"
    proc = subprocess.Popen(server_command(args.port, args.address), cwd=APP.parent,
                            env=server_environment(args.store), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threading.Thread(target=_forward_output, args=(proc,), daemon=True).start()

    def stop(signum, _frame):
        proc.send_signal(signum)
        print("Lagebild wird beendet.", flush=True)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while proc.poll() is None and not _healthy(url):
            if time.monotonic() > deadline:
                print(f"Fehler: die App antwortet nach {START_TIMEOUT_S:.0f} s nicht unter {url}.", file=sys.stderr)
                proc.terminate()
                return 1
            time.sleep(0.3)
        if proc.poll() is not None:
            print(f"Fehler: die App wurde beendet (Code {proc.returncode}); Meldungen stehen darüber.",
                  file=sys.stderr)
            return 1
        print(f"Lagebild läuft unter {url} – beenden mit Strg+C.", flush=True)
        if not args.headless and browser_available():
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("Lagebild beendet.")
        return 0
