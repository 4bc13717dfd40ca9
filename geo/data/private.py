"""Files only their owner can read: the store, its audit log, reject files, backups (0600; folders 0700).

The store holds complaint texts and reporting persons; nobody else on the machine may read it, its copies or its
side files. Every writer in ``geo/data`` creates its files through these helpers instead of ``open``:

* :func:`private_dir` – a folder of Lagebild's own (rejects, backups) with mode 0700; a folder that already
  exists and is not Lagebild's (the store's parent chosen by the user) is created 0700 only when it is new;
* :func:`private_fd` / :func:`open_private` – a file created (or truncated) with mode 0600, whatever the umask;
* :func:`make_private` – set 0600 on a file another library wrote (GDAL writes the store's temporary copy).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike, *, own: bool = True) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; with ``own`` an existing folder is set to 0700 too."""
    path = Path(path)
    existed = path.is_dir()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if own or not existed:
        os.chmod(path, DIR_MODE)
    return path


def private_fd(path: str | os.PathLike, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """Open ``path`` with ``flags``, creating it with mode 0600 (an existing file is set to 0600 as well)."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def open_private(path: str | os.PathLike, mode: str = "wb", **kwargs: Any) -> IO:
    """Like :func:`open` for writing (``"w"``, ``"wb"``, ``"a"``, ``"ab"``, ``"a+"``), the file created 0600."""
    flags = os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    flags |= os.O_RDWR if "+" in mode else os.O_WRONLY
    return os.fdopen(private_fd(path, flags), mode, **kwargs)


def make_private(path: str | os.PathLike) -> None:
    """Set mode 0600 on an existing file (written by another library)."""
    os.chmod(path, FILE_MODE)


def is_private(path: str | os.PathLike) -> bool:
    """True if neither group nor others have any permission on ``path``."""
    return not stat.S_IMODE(os.stat(path).st_mode) & 0o077
