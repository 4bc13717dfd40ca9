"""Issue 16, finding 2: no uploads before login or for roles that may not import; bounded per session, freed at once.

The guard is tested on Streamlit's own ``MemoryUploadedFileManager`` and, end to end, against a running app
(as ``lagebild app`` starts it, with an account file, so the app requires a login): a session speaks the browser's
websocket protocol, and ``PUT /_stcore/upload_file/<session>/<file>`` is refused until it has logged in with a
role that may import. ``/_stcore/metrics`` (switched on here with ``LAGEBILD_METRICS=1``; off by default, see
``app_support/side_doors.py``) shows how many bytes the server holds in uploads.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from app_support import upload_guard
from geo.cli.app import server_command

APP_DIR = Path(__file__).resolve().parents[1]
MB = 1024**2
SECRET = "Erika Geheimnis"


def _rec(file_id: str, size: int) -> UploadedFileRec:
    return UploadedFileRec(file_id=file_id, name=f"{file_id}.csv", type="text/csv", data=b"x" * size)


@pytest.fixture
def manager() -> MemoryUploadedFileManager:
    mgr = MemoryUploadedFileManager("/_stcore/upload_file")
    upload_guard.guard(mgr)
    upload_guard.guard(mgr)  # idempotent: wrapped once
    return mgr


def test_session_not_allowed_cannot_upload(manager):
    sid = f"anon-{uuid.uuid4()}"
    with pytest.raises(upload_guard.UploadRefused, match="nach Anmeldung") as info:
        manager.add_file(sid, _rec("a", 1000))
    assert info.value.status_code == 403
    assert manager.get_stats() == {} and sid not in manager.file_storage


def test_allowed_session_is_bounded_and_released(manager):
    sid = f"ana-{uuid.uuid4()}"
    upload_guard.allow(sid, 3 * MB)
    manager.add_file(sid, _rec("a", 2 * MB))
    assert upload_guard.held_bytes(manager, sid) == 2 * MB
    manager.add_file(sid, _rec("b", 2 * MB))  # a second file pushes the older one out: never above 3 MB
    assert [f.file_id for f in manager.get_files(sid, ["a", "b"])] == ["b"]
    assert upload_guard.held_bytes(manager, sid) == 2 * MB
    with pytest.raises(upload_guard.UploadRefused, match="größer als die Grenze von 3 MB"):
        manager.add_file(sid, _rec("c", 3 * MB + 1))
    assert upload_guard.held_bytes(manager, sid) == 2 * MB
    upload_guard.release(manager, sid)
    assert upload_guard.held_bytes(manager, sid) == 0 and manager.get_stats() == {}


def test_forbid_drops_what_a_session_holds(manager):
    sid = f"ana-{uuid.uuid4()}"
    upload_guard.allow(sid, MB)
    manager.add_file(sid, _rec("a", 1000))
    upload_guard.forbid(sid, manager)  # logout or role change
    assert upload_guard.held_bytes(manager, sid) == 0
    with pytest.raises(upload_guard.UploadRefused):
        manager.add_file(sid, _rec("b", 10))


def test_runtime_session_check_refuses_before_the_body_is_read(manager):
    class FakeRuntime:  # the two members the upload route uses; the manager is Streamlit's own
        uploaded_file_mgr = manager

        def is_active_session(self, session_id: str) -> bool:
            return True

    rt = FakeRuntime()
    upload_guard.guard_runtime(rt)
    upload_guard.guard_runtime(rt)
    sid = f"x-{uuid.uuid4()}"
    assert not rt.is_active_session(sid)
    upload_guard.allow(sid, MB)
    assert rt.is_active_session(sid)
    upload_guard.forbid(sid)
    assert not rt.is_active_session(sid)


# ---------------------------------------------------------------------------- against the running app
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A minimal Streamlit client: the XSRF cookie, one websocket session, widget values, uploads."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/_stcore/health", timeout=10).read()
        self.xsrf = next(c.value for c in self.jar if c.name == "_streamlit_xsrf")
        from websockets.sync.client import connect

        self.ws = connect(base.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit", self.xsrf],
                          additional_headers={"Cookie": f"_streamlit_xsrf={self.xsrf}", "Origin": base},
                          max_size=None, open_timeout=20).__enter__()  # closed in close()
        self.session_id = ""
        self.widgets: dict[str, str] = {}  # label -> widget id
        self.texts: list[str] = []
        self.raw: list[bytes] = []  # every message the server sent

    def run(self, states=(), page: str = "") -> None:
        """Send a rerun with ``states`` (WidgetState messages) and read until the script finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = page
        msg.rerun_script.widget_states.widgets.extend(states)
        self.ws.send(msg.SerializeToString())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            fwd = ForwardMsg()
            data = self.ws.recv(timeout=120)
            self.raw.append(data)
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id or self.session_id
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                which = el.WhichOneof("type")
                inner = getattr(el, which)
                if hasattr(inner, "label") and hasattr(inner, "id") and inner.id:
                    self.widgets[inner.label] = inner.id
                if hasattr(inner, "body"):
                    self.texts.append(str(inner.body))
            elif kind == "script_finished":
                return
        raise AssertionError("script did not finish")

    def login(self, name: str, password: str) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        name_state = WidgetState(id=self.widgets["Benutzername"], string_value=name)
        pw_state = WidgetState(id=self.widgets["Passwort"], string_value=password)
        submit = WidgetState(id=self.widgets["Anmelden"], trigger_value=True)
        self.run([name_state, pw_state, submit])
        self.run([])  # the app reruns after a login (st.rerun); make sure that run is over

    def upload(self, data: bytes) -> int:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(f"{self.base}/_stcore/upload_file/{self.session_id}/{uuid.uuid4()}",
                                     data=body, method="PUT",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                              "X-Xsrftoken": self.xsrf})
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def close(self) -> None:
        self.ws.close()


_last_metrics = [0.0]
#: Streamlit computes the memory figures of ``/_stcore/metrics`` at most every 5 s (``_METRICS_EXPENSIVE_STATS_TTL``).
METRICS_TTL_S = 5.2


def uploaded_bytes(base: str) -> int:
    """Bytes in the server's upload manager, from ``/_stcore/metrics`` (0 when it holds none); waits until the
    figure is fresh (not the one cached from the previous call)."""
    time.sleep(max(0.0, _last_metrics[0] + METRICS_TTL_S - time.monotonic()))
    _last_metrics[0] = time.monotonic()
    with urllib.request.urlopen(f"{base}/_stcore/metrics", timeout=10) as resp:
        text = resp.read().decode()
    hits = re.findall(r'cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\}\s+(\d+)', text)
    return sum(int(h) for h in hits)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with an account file (login required): ``ana`` (analyse), ``rita`` (rapport), ``gast``
    (oeffentlich); the store holds one import with a rejected row naming :data:`SECRET`."""
    pytest.importorskip("websockets")
    from geo.core.area import leipziger_osten
    from geo.data.auth import add_user
    from geo.data.ingest import import_file
    from geo.data.store import Store

    tmp = tmp_path_factory.mktemp("uploadguard")
    accounts = tmp / "accounts.toml"
    add_user(accounts, "ana", "Geheim-Analyse-2026", "analyse")
    add_user(accounts, "rita", "Geheim-Rapport-2026", "rapport")
    add_user(accounts, "gast", "Geheim-Gast-2026", "oeffentlich")
    src = tmp / "funde.csv"
    src.write_text("Datum;Breite;Länge;Anzahl;Melder\n01.10.2026 10:00;51.3439;12.4033;1;\n"
                   f"kein Datum;51.3439;12.4033;1;{SECRET}\n", encoding="utf-8")
    assert import_file(src, "syringe_find", Store(tmp / "store.gpkg", leipziger_osten())).rejected == 1
    env = dict(os.environ, LAGEBILD_ACCOUNTS=str(accounts), LAGEBILD_STORE=str(tmp / "store.gpkg"),
               LAGEBILD_DEMO="0", LAGEBILD_MAX_UPLOAD_MB="1",  # 1 MB per session
               LAGEBILD_METRICS="1")  # /_stcore/metrics measures the uploads held (off by default)
    port = _free_port()
    proc = subprocess.Popen(server_command(port, "127.0.0.1"), cwd=APP_DIR, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("app did not start")
            time.sleep(0.3)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_upload_refused_before_login_and_for_rapport_accepted_for_analyse(server):
    data = b"Datum;Breite;L\xc3\xa4nge\n" + b"01.10.2026;51.34;12.40\n" * 20_000  # about 0.5 MB
    anon = Browser(server)
    try:
        anon.run()
        assert anon.session_id and "Benutzername" in anon.widgets  # the login page
        assert anon.upload(data) == 400  # refused before the body is read
        assert uploaded_bytes(server) == 0
    finally:
        anon.close()

    rita = Browser(server)
    try:
        rita.run()
        rita.login("rita", "Geheim-Rapport-2026")
        assert any("rita" in t for t in rita.texts)  # logged in
        assert rita.upload(data) == 400  # rapport may not import, so may not upload
        assert uploaded_bytes(server) == 0
    finally:
        rita.close()

    ana = Browser(server)
    try:
        ana.run()
        ana.login("ana", "Geheim-Analyse-2026")
        assert ana.upload(data) == 204  # the control: the same request from an analyst is accepted
        assert uploaded_bytes(server) == len(data)
        assert ana.upload(data) == 204 and ana.upload(data) == 204  # a third file pushes the first out:
        assert uploaded_bytes(server) == 2 * len(data)  # never more than 1 MB held for the session
        assert ana.upload(data * 3) == 403  # one file over the session's limit
        assert uploaded_bytes(server) == 2 * len(data)
    finally:
        ana.close()


@pytest.mark.parametrize("name,password,may", [("gast", "Geheim-Gast-2026", False),
                                               ("rita", "Geheim-Rapport-2026", False),
                                               ("ana", "Geheim-Analyse-2026", True)])
def test_daten_page_over_the_wire_no_media_url_and_reject_download_only_for_analyse(server, name, password, may):
    """What the server sends each role for the Daten page: no ``/media/`` URL at all (every download is deferred),
    the reject download only to ``analyse``, and never the rejected row's content."""
    b = Browser(server)
    try:
        b.run()
        b.login(name, password)
        b.raw.clear()
        for _ in range(3):  # a run still in flight from the login can finish first: ask again
            b.run(page="daten")
            if any("Import-Verlauf" in t for t in b.texts):
                break
        wire = b"".join(b.raw)
        assert any("Import-Verlauf" in t for t in b.texts)  # the Daten page was drawn
        assert b"/media/" not in wire
        assert SECRET.encode() not in wire
        assert (b"history_rejects_download" in wire) == may
        assert (b"Herunterladen" in wire) == may
    finally:
        b.close()


def _upgrade_status(base: str, host: str) -> str:
    """The status line the server answers a websocket upgrade with, sent with the ``Host`` header ``host``."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: streamlit\r\n\r\n".encode())
        return s.recv(4096).split(b"\r\n", 1)[0].decode()


def test_server_answers_only_to_local_host_names(server):
    """DNS rebinding: a page on another name that resolves to 127.0.0.1 gets no session (``server.allowedHosts``)."""
    port = server.rsplit(":", 1)[1]
    assert " 101 " in _upgrade_status(server, f"127.0.0.1:{port}")
    assert " 101 " not in _upgrade_status(server, f"evil.example:{port}")
