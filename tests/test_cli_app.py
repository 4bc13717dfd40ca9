"""``lagebild app`` starts as a service would run it: stdin closed, no terminal, no prompt, no notices."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from geo.cli.app import server_command, server_environment

#: What Streamlit prints on its own (prompt, telemetry, banner, warnings) and must never reach a user.
STREAMLIT_NOISE = ("Email", "usage statistics", "Welcome", "You can now view", "WARNING", "docs.streamlit.io",
                   "Network URL", "External URL", "Stopping", "Uvicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_command_is_headless_quiet_and_local():
    cmd = server_command(8501, "127.0.0.1")
    opts = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert opts["--server.headless"] == "true"
    assert opts["--browser.gatherUsageStats"] == "false"
    assert opts["--logger.hideWelcomeMessage"] == "true"
    assert opts["--server.address"] == "127.0.0.1"


def test_app_listens_on_this_machine_only_by_default_behind_the_side_door_middleware(monkeypatch):
    """Issue 16, finding 8: ``lagebild app`` binds to 127.0.0.1 unless told otherwise, answers only local host
    names, and runs ``app.py`` as an ``st.App`` with ``app_support.side_doors`` in front (``serve.py``)."""
    from pathlib import Path

    from streamlit.web.server.app_discovery import discover_asgi_app

    from geo.cli import build_parser

    monkeypatch.delenv("LAGEBILD_ADDRESS", raising=False)
    monkeypatch.delenv("LAGEBILD_ALLOWED_HOSTS", raising=False)
    args = build_parser().parse_args(["app"])
    assert args.address == "127.0.0.1"
    cmd = server_command(args.port, args.address)
    opts = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert opts["--server.address"] == "127.0.0.1"
    assert [v for k, v in zip(cmd[5::2], cmd[6::2], strict=True) if k == "--server.allowedHosts"] == [
        "localhost", "127.0.0.1", "::1"]
    served = Path(cmd[4])
    assert served.name == "serve.py" and discover_asgi_app(served).is_asgi_app
    assert "SideDoors" in served.read_text(encoding="utf-8")


def test_server_environment_makes_paths_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAGEBILD_AREA", "gebiet.toml")
    env = server_environment("lager.gpkg")
    assert env["LAGEBILD_STORE"] == str(tmp_path / "lager.gpkg")
    assert env["LAGEBILD_AREA"] == str(tmp_path / "gebiet.toml")
    assert server_environment("postgresql://lagebild@/lagebild")["LAGEBILD_STORE"] == "postgresql://lagebild@/lagebild"


@pytest.mark.slow
@pytest.mark.parametrize("headless", [False, True], ids=["default", "headless"])
def test_app_starts_in_background_without_prompts(tmp_path, headless):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(LAGEBILD_STORE=str(tmp_path / "s.gpkg"), LAGEBILD_DEMO="0")
    cmd = [sys.executable, "-m", "geo", "app", "--port", str(port)] + (["--headless"] if headless else [])
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        healthy = False
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    healthy = r.status == 200
            except OSError:
                pass
            if healthy or proc.poll() is not None:
                break
            time.sleep(0.5)
        assert healthy, "server did not come up"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/vergleich", timeout=5) as r:
            page = r.read().decode()  # the German page with preloads (app_support.frontend)
        assert '<html lang="de"' in page and 'rel="modulepreload" crossorigin href="./static/js/Metric.' in page
        time.sleep(1.0)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert f"Lagebild läuft unter http://localhost:{port}" in out
    noise = [w for w in STREAMLIT_NOISE if w in out]
    assert not noise, out
