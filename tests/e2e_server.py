"""The app as a real server for the browser tests: one way to start it, wait for its health check and stop it.

Each browser-test module keeps its own store and environment (tiles, accounts …) and passes them here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def demo_copy(demo_store, tmp: Path):
    """A copy of the session's demo store in ``tmp`` (the browser tests write to it)."""
    from geo.data.store import Store

    store = Store(tmp / "e2e.gpkg")
    shutil.copyfile(demo_store.path, store.path)
    return store


def offline_env(store, **extra: str) -> dict[str, str]:
    """This environment with the app on ``store``, no online tiles, no demo data loaded by the app."""
    return {**os.environ, "LAGEBILD_STORE": str(store.path), "LAGEBILD_TILES": "", "LAGEBILD_DEMO": "0", **extra}


def free_port() -> int:
    """A free TCP port on this machine."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """``streamlit run app.py`` on ``port`` (headless, local only, no telemetry)."""
    return [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]


@contextlib.contextmanager
def running_app(tmp: Path, env: dict[str, str], command: Callable[[int], list[str]] = streamlit_command,
                timeout_s: float = 120.0) -> Iterator[str]:
    """Start ``command(port)`` in its own process group with ``env``, wait for ``/_stcore/health``, yield the URL;
    stop the whole group afterwards. The server's output goes to ``tmp/streamlit.log`` (shown when it does not
    start)."""
    port = free_port()
    log_path = tmp / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command(port), cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + timeout_s
            while True:
                with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("Streamlit did not start: " + log_path.read_text(errors="replace"))
                time.sleep(0.3)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
