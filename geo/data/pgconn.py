"""Connections to a PostGIS store: one pool per process, database URL and role; URLs without passwords.

psycopg 3's :class:`psycopg_pool.ConnectionPool` keeps a few connections open per process;
a pool for a Lagebild role ``SET ROLE``s each new connection, so everything read through it
is checked by the database against that role's grants.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import threading
from typing import Any

from geo.core.errors import UserError
from geo.data.pgschema import db_role

_pools: dict[tuple[str, str | None], Any] = {}
_pools_lock = threading.Lock()


def connect_args() -> dict:
    return {"autocommit": False, "application_name": "lagebild"}


def pool(url: str, role: str | None):
    """The process's connection pool for ``url`` (connections ``SET ROLE``d to ``role``)."""
    from psycopg_pool import ConnectionPool

    key = (url, role)
    with _pools_lock:
        found = _pools.get(key)
        if found is None:
            def configure(conn) -> None:
                if role:
                    conn.execute(f"SET ROLE {db_role(role)}")
                conn.commit()

            found = ConnectionPool(url, min_size=1, max_size=6, kwargs=connect_args(), configure=configure,
                                   open=True, name=f"lagebild-{role or 'owner'}", timeout=60)
            _pools[key] = found
        return found


def close_pools(url: str | None = None) -> None:
    """Close this process's pools (of ``url``, or all)."""
    with _pools_lock:
        for key in [k for k in _pools if url is None or k[0] == url]:
            with contextlib.suppress(Exception):
                _pools.pop(key).close()


atexit.register(close_pools)


def display_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    return re.sub(r"(://[^:/@?]+):[^@/]*@", r"\1:***@", url)


def db_error(exc: Exception, url: str) -> UserError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError(f"Datenbank {display_url(url)} nicht erreichbar oder Fehler: {text}")
