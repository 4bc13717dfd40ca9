"""A throwaway PostgreSQL/PostGIS cluster for the tests.

:func:`start_cluster` runs Debian's ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/<major>/bin``
as an unprivileged user (PostgreSQL refuses to run as root: when the tests run as root the data
directory is handed to ``nobody`` and the server started with ``runuser``). The server listens on
a Unix socket in a temporary folder only (no TCP port), with ``fsync`` off: the tests kill clients,
never the server. A template database holds the PostGIS extension; every test gets a fresh copy.

When no PostgreSQL binaries or no PostGIS extension are installed (``scripts/setup.sh test``
installs them), :class:`ClusterUnavailable` says why and the tests using it are skipped.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

SUPERUSER = "lagebild"
TEMPLATE = "lagebild_template"
_db_counter = count(1)


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<major>/bin`` that has ``initdb`` and the PostGIS extension
    (or ``$LAGEBILD_PG_BINDIR``, e.g. for a server built elsewhere)."""
    own = os.environ.get("LAGEBILD_PG_BINDIR")
    if own:
        if not (Path(own) / "initdb").is_file():
            raise ClusterUnavailable(f"LAGEBILD_PG_BINDIR={own}: kein initdb dort")
        return Path(own)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]),
                        reverse=True)
    if not candidates:
        raise ClusterUnavailable("keine PostgreSQL-Programme unter /usr/lib/postgresql/*/bin "
                                 "(scripts/setup.sh test installiert postgresql und postgis)")
    for initdb in candidates:
        major = initdb.split("/")[4]
        if glob.glob(f"/usr/share/postgresql/{major}/extension/postgis.control"):
            return Path(initdb).parent
    raise ClusterUnavailable("PostgreSQL ohne PostGIS-Erweiterung (Debian-Paket postgresql-<version>-postgis-3 fehlt)")


@dataclass
class Cluster:
    """A running throwaway cluster."""

    bindir: Path
    root: Path
    run_as: str | None
    databases: list[str] = field(default_factory=list)

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str, user: str = SUPERUSER) -> str:
        """``postgresql://`` URL of a database over the Unix socket."""
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        out = subprocess.run([str(self.bindir / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                              "-h", str(self.socket_dir), "-U", SUPERUSER, "-d", dbname, "-c", sql],
                             capture_output=True, text=True, timeout=120)
        if out.returncode:
            raise RuntimeError(out.stderr.strip())
        return out.stdout

    def new_database(self) -> str:
        """A fresh database (copy of the PostGIS template); its URL via :meth:`url`."""
        name = f"lagebild_test_{os.getpid()}_{next(_db_counter)}"
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        self.databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
                  check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=self.root)
        if check and out.returncode:
            raise ClusterUnavailable(f"{Path(cmd[-1]).name if not self.run_as else Path(cmd[4]).name}: "
                                     f"{(out.stderr or out.stdout).strip()[-500:]}")
        return out


def start_cluster() -> Cluster:
    """initdb + start a server on a Unix socket in a new temporary folder; create the PostGIS template."""
    bindir = find_bindir()
    run_as = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise ClusterUnavailable("als root gestartet, aber runuser fehlt (PostgreSQL läuft nicht als root)")
        run_as = os.environ.get("LAGEBILD_PG_USER", "nobody")
    root = Path(tempfile.mkdtemp(prefix="lagebild-pg-"))
    if run_as:
        shutil.chown(root, user=run_as)
    cluster = Cluster(bindir, root, run_as)
    try:
        cluster._run([str(bindir / "initdb"), "-D", str(cluster.data_dir), "-U", SUPERUSER, "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        options = (f"-c listen_addresses='' -c unix_socket_directories='{root}' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 "
                   "-c shared_buffers=64MB")
        cluster._run([str(bindir / "pg_ctl"), "-D", str(cluster.data_dir), "-l", str(root / "server.log"),
                      "-o", options, "-w", "-t", "60", "start"])
        cluster.psql(f"CREATE DATABASE {TEMPLATE}")
        cluster.psql("CREATE EXTENSION postgis", TEMPLATE)
    except BaseException:
        cluster.stop()
        raise
    return cluster
