"""The offline base map inside a GeoPackage store (issue 11): one layer ``lagebild_base`` with every imported base
map's features. Base maps are context, never reports: not counted, exported, purged or audited as personal data.

:class:`BaseMapTables` is part of :class:`geo.data.store.Store`; it uses the store's ``path``, ``area``, ``lock``,
``exists`` and ``transaction``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.core.schema import BASE_COLUMNS

if TYPE_CHECKING:
    from geo.core.area import StudyArea
from geo.data.gpkgtools import ensure_imports_table, gdal_options

#: The layer holding all base maps.
BASE_LAYER = "lagebild_base"


class BaseMapTables:
    """Base map methods of the GeoPackage store."""

    if TYPE_CHECKING:  # provided by geo.data.store.Store
        path: Path
        area: StudyArea

        def exists(self) -> bool: ...
        def lock(self) -> AbstractContextManager[None]: ...
        def transaction(self) -> AbstractContextManager[Path]: ...

    def _has_base(self) -> bool:
        return self.exists() and BASE_LAYER in [str(n) for n in pyogrio.list_layers(self.path)[:, 0]]

    def base_layers(self) -> pd.DataFrame:
        """The imported base maps: ``base_name, theme, features`` (one row per name and theme)."""
        cols = ["base_name", "theme", "features"]
        if not self._has_base():
            return pd.DataFrame(columns=cols)
        table = pyogrio.read_dataframe(self.path, layer=BASE_LAYER, columns=["base_name", "theme"],
                                       read_geometry=False, use_arrow=True)
        if table.empty:
            return pd.DataFrame(columns=cols)
        out = table.groupby(["base_name", "theme"], sort=True).size().rename("features").reset_index()
        return out[cols]

    def read_base(self, themes: list[str] | tuple[str, ...] | None = None) -> gpd.GeoDataFrame:
        """Base map features (columns :data:`geo.core.schema.BASE_COLUMNS`) in the store's CRS."""
        crs = self.area.crs
        if not self._has_base():
            return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in BASE_COLUMNS},
                                    geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        where = None
        if themes is not None:
            where = "theme IN (" + ", ".join("'" + t.replace("'", "''") + "'" for t in themes) + ")"
        gdf = pyogrio.read_dataframe(self.path, layer=BASE_LAYER, where=where, use_arrow=True)
        if gdf.crs is None:
            gdf = gdf.set_crs(crs)
        for c in BASE_COLUMNS:
            gdf[c] = gdf[c].astype(object).where(gdf[c].notna(), "") if c in gdf else ""
        return gpd.GeoDataFrame(gdf[list(BASE_COLUMNS)], geometry=gdf.geometry.values, crs=gdf.crs)

    def write_base(self, name: str, features: gpd.GeoDataFrame) -> int:
        """Store ``features`` (columns ``theme, name, street, housenumber``, metric CRS) as base map
        ``name``, replacing an earlier base map of that name, atomically; return the count. Takes the lock."""
        rows = features[["theme", "name", "street", "housenumber", features.geometry.name]].copy()
        rows.insert(0, "base_name", name)
        for c in BASE_COLUMNS:
            rows[c] = rows[c].astype(object).fillna("").astype(str)
        rows = rows.to_crs(self.area.crs)
        with self.lock(), self.transaction() as tmp:
            exists = tmp.exists() and BASE_LAYER in [str(n) for n in pyogrio.list_layers(tmp)[:, 0]]
            if exists:
                with contextlib.closing(sqlite3.connect(tmp)) as con:
                    con.execute(f'DELETE FROM "{BASE_LAYER}" WHERE base_name = ?', (name,))
                    con.commit()
            with gdal_options(OGR_SQLITE_SYNCHRONOUS="OFF", OGR_SQLITE_JOURNAL="OFF"):
                pyogrio.write_dataframe(rows, tmp, layer=BASE_LAYER, driver="GPKG", append=exists,
                                        geometry_type="Unknown", use_arrow=True)
            if not exists:
                with contextlib.closing(sqlite3.connect(tmp)) as con:
                    ensure_imports_table(con)
                    con.commit()
        return len(rows)

    def remove_base(self, name: str) -> int:
        """Remove base map ``name`` (atomic); return how many features were removed. Takes the lock."""
        if not self._has_base():
            return 0
        with self.lock(), self.transaction() as tmp, contextlib.closing(sqlite3.connect(tmp)) as con:
            deleted = con.execute(f'DELETE FROM "{BASE_LAYER}" WHERE base_name = ?', (name,)).rowcount
            con.commit()
        return deleted
