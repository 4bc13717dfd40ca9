"""Writing result tables to files: CSV (safe for spreadsheets), GeoJSON and GeoPackage.

Kept small and generic; any module that hands a table to users writes it with
:func:`write_table`.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyogrio.errors import DataSourceError

from geo.core.area import DISPLAY_CRS
from geo.core.errors import UserError

#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Plain numbers (also with a German decimal comma) are left alone, e.g. ``-12.5``, ``-3,2``, ``+1e3``.
_NUMERIC = r"^\s*[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?\s*$"

#: How Lagebild writes CSV: as German Excel reads it (semicolon, decimal comma, UTF-8 with BOM).
#: Read back with ``pandas.read_csv(path, sep=";", decimal=",")``.
CSV_OPTIONS: dict = {"sep": ";", "decimal": ",", "index": False, "encoding": "utf-8-sig"}

#: Output formats by file extension.
TABLE_FORMATS: tuple[str, ...] = (".csv", ".geojson", ".gpkg")


def _neutralise_series(s: pd.Series) -> pd.Series:
    text = s.astype("string")
    risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False) & ~text.str.match(_NUMERIC).fillna(False)
    if not risky.any():
        return s
    values = s.to_numpy(dtype=object, copy=True)
    mask = risky.to_numpy(dtype=bool)
    values[mask] = ("'" + text[mask].astype(str)).to_numpy(dtype=object)
    out = pd.Series(values, index=s.index, name=s.name, dtype=object)
    return out if isinstance(s.dtype, pd.CategoricalDtype) else out.astype(s.dtype)


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Make text cells harmless for spreadsheets (formula/CSV injection).

    Text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading
    apostrophe, unless the cell is a plain number such as ``-12.5`` or ``-3,2``. Numeric,
    datetime and geometry columns are returned unchanged. Column names (the header row, which
    rejected-row files copy from the uploaded file) are neutralised the same way.

    Parameters
    ----------
    df : any table; not modified.

    Returns
    -------
    DataFrame
        A copy with neutralised text columns (object, string or category dtype; category
        columns become object columns when a value had to change).

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "-5", "ok", "@x"]}))["a"].tolist()
    ["'=1+1", '-5', 'ok', "'@x"]
    """
    out = df.copy()
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) and "geometry" in out else None
    for col in out.columns:
        if col == geometry:
            continue
        s = out[col]
        if (
            pd.api.types.is_object_dtype(s.dtype)
            or pd.api.types.is_string_dtype(s.dtype)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            new = _neutralise_series(s)
            if new is not s:
                out[col] = new
    names = pd.Series([str(c) for c in out.columns], dtype=object)
    safe = _neutralise_series(names)
    if safe is not names:
        out.columns = [c if c == geometry else n for c, n in zip(out.columns, safe, strict=True)]
    return out


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table by file extension: ``.csv``, ``.geojson`` or ``.gpkg``.

    * ``.csv``: UTF-8 with BOM (Excel opens umlauts correctly), comma separated, decimal
      point; text cells go through :func:`neutralise_formulas`. A geometry column is
      dropped when the table already has ``lat`` and ``lon`` columns, otherwise written as
      WKT in WGS84 (EPSG:4326) in a column ``wkt``.
    * ``.geojson``: WGS84 (EPSG:4326), as RFC 7946 requires.
    * ``.gpkg``: the table's own CRS; the layer is named after the file.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame (GeoJSON/GeoPackage need a GeoDataFrame with a CRS).
    path : output file; an existing file is replaced.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    UserError
        Unknown extension, no geometry for a geodata format, or the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise UserError(
            f"Unbekanntes Ausgabeformat '{path.suffix or path.name}'; möglich sind {', '.join(TABLE_FORMATS)}."
        )
    is_geo = isinstance(df, gpd.GeoDataFrame) and df._geometry_column_name in df
    try:
        if suffix == ".csv":
            table = pd.DataFrame(df)
            if is_geo:
                geom_col = df.geometry.name
                if not {"lat", "lon"} <= set(df.columns):
                    geoms = df.geometry.to_crs(DISPLAY_CRS) if df.crs is not None else df.geometry
                    table = table.assign(wkt=geoms.to_wkt().to_numpy())
                table = table.drop(columns=[geom_col])
            neutralise_formulas(table).to_csv(path, **CSV_OPTIONS)
        else:
            if not is_geo:
                raise UserError(f"Für {suffix} werden Geodaten gebraucht; bitte als .csv speichern.")
            gdf = df
            if suffix == ".geojson":
                if gdf.crs is None:
                    raise UserError("Die Geodaten haben kein Koordinatensystem; GeoJSON braucht WGS84.")
                gdf = gdf.to_crs(DISPLAY_CRS)
                if path.exists():
                    path.unlink()
                gdf.to_file(path, driver="GeoJSON")
            else:
                if path.exists():
                    path.unlink()
                gdf.to_file(path, driver="GPKG", layer=path.stem or "lagebild")
    except (OSError, DataSourceError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UserError(f"Datei {path} kann nicht geschrieben werden: {reason}.") from None
    return path
