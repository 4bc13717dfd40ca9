"""Files in and out of the app: the upload limit and the bytes of a table download."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from geo.core import fmt
from geo.core.errors import UserError
from geo.data.exports import write_table

#: Largest upload in MB (``$LAGEBILD_MAX_UPLOAD_MB``; Streamlit's ``server.maxUploadSize`` is the hard cap).
MAX_UPLOAD_MB = float(os.environ.get("LAGEBILD_MAX_UPLOAD_MB", "50"))


def upload_limit_mb() -> float:
    """The effective upload limit: ours, but never above Streamlit's ``server.maxUploadSize``."""
    return min(MAX_UPLOAD_MB, float(st.get_option("server.maxUploadSize")))


def check_upload_size(size: int, limit_mb: float) -> None:
    """Raise a German :class:`UserError` when ``size`` (bytes) exceeds ``limit_mb``."""
    if size > limit_mb * 1024**2:
        raise UserError(f"Die Datei ist {fmt.number(size / 1024**2, 1)} MB groß; erlaubt sind höchstens "
                        f"{fmt.number(limit_mb)} MB. Bitte die Datei aufteilen oder als ZIP packen.")
    if size == 0:
        raise UserError("Die Datei ist leer.")


def export_bytes(gdf, suffix: str) -> bytes:
    """``gdf`` as ``.csv`` (formula-safe) or ``.geojson`` (WGS84) bytes via :func:`geo.data.exports.write_table`."""
    with tempfile.TemporaryDirectory(prefix="lagebild-export-") as tmp:
        path = write_table(gdf, Path(tmp) / f"export{suffix}")
        return path.read_bytes()
