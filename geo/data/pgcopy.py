"""Records into a PostGIS table with ``COPY``: the CSV stream, made fast (a helper of :mod:`geo.data.pgstore`).

Where the time of a large PostGIS import goes (200,000 rows, ``bench/README.md``): the server's ``COPY``
with its three indexes, and on the client the CSV text of the rows. This module makes the client side cheap
and lets it run *while* the server works:

* the rows are written as CSV by Arrow's C++ writer (:func:`pyarrow.csv.write_csv`) instead of
  :meth:`pandas.DataFrame.to_csv` (about 8× faster); geometries as hex EWKB with the SRID;
* chunks go through psycopg's :class:`~psycopg.copy.QueuedLibpqWriter`: a thread sends chunk *k* while
  the next one is formatted, so client and server overlap;
* rows are sent **sorted by** ``record_id`` with their ``fid`` given explicitly in file order: the unique
  B-tree index on ``record_id`` (content hashes, i.e. random) then grows at its right edge instead of at random
  leaves, and reading ``ORDER BY fid`` still returns the file's order. The caller holds the writer lock, so the
  ``fid`` block reserved here cannot be taken by another writer; the sequence is moved past it.

The text is the same as before for every value: ``NULL`` for missing values except in text columns
(empty string there, as the GeoPackage stores them), timestamps with microseconds, ``true``/``false``.
It is still one ``COPY`` in the caller's transaction: all rows or none.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import shapely

#: Rows per chunk of the ``COPY`` stream (formatted while the previous chunk is sent).
CHUNK_ROWS = 25_000


def ewkb_hex(geoms: np.ndarray, srid: int) -> np.ndarray:
    """Hex EWKB with ``srid`` (``None`` for missing geometries)."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    if present.any():
        out[present] = shapely.to_wkb(shapely.set_srid(geoms[present], srid), hex=True, include_srid=True)
    return out


def _plain_frame(frame: pd.DataFrame, texts: set[str]) -> pd.DataFrame:
    """Columns as Arrow can write them: naive datetimes, objects with ``None``; text columns without nulls."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_localize(None)  # wall time, as written before
            out[c] = s.astype("datetime64[us]")
        elif isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            s = s.astype(object).where(s.notna(), None)
            out[c] = s.where(s.notna(), "") if c in texts else s
        else:
            out[c] = s
    return pd.DataFrame(out)


def csv_chunk(frame: pd.DataFrame) -> bytes:
    """CSV text of ``frame`` for ``COPY … (FORMAT csv)``: nulls unquoted-empty, strings quoted."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False))
        return buf.getvalue()
    except (pa.ArrowException, TypeError, ValueError):  # mixed objects: the slower, general writer
        text = frame.to_csv(header=False, index=False, na_rep="", quoting=2, lineterminator="\n")
        return text.encode()


def copy_records(conn, table: str, frame: pd.DataFrame, geoms: np.ndarray, *, srid: int, texts: set[str],
                 force_null: list[str], order_by: str | None = None, fid_sequence: str | None = None) -> None:
    """``COPY`` ``frame`` (column names are the table's) plus ``geom`` into ``table`` (quoted name).

    ``texts``: columns whose missing values are empty strings; ``force_null``: columns where an empty quoted
    value is ``NULL``. With ``order_by`` and ``fid_sequence`` the rows are sent sorted by that column and
    carry explicit ``fid`` values in their original order (see the module docstring; caller holds the lock).
    """
    from psycopg.copy import QueuedLibpqWriter

    if not len(frame):
        return
    data = _plain_frame(frame.reset_index(drop=True), texts)
    data["geom"] = ewkb_hex(geoms, srid)
    if order_by is not None and fid_sequence is not None:
        first = int(conn.execute("SELECT nextval(%s)", (fid_sequence,)).fetchone()[0])
        conn.execute("SELECT setval(%s, %s)", (fid_sequence, first + len(data) - 1))
        data.insert(0, "fid", np.arange(first, first + len(data), dtype=np.int64))
        data = data.iloc[np.argsort(data[order_by].to_numpy(dtype=object).astype(str), kind="stable")]
    cols = ", ".join('"' + str(c).replace('"', '""') + '"' for c in data.columns)
    nulls = ", ".join('"' + str(c).replace('"', '""') + '"' for c in force_null)
    sql = f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv{f', FORCE_NULL ({nulls})' if nulls else ''})"
    with conn.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as cp:
        for start in range(0, len(data), CHUNK_ROWS):
            cp.write(csv_chunk(data.iloc[start:start + CHUNK_ROWS]))
