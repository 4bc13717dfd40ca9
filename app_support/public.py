"""What the role ``oeffentlich`` sees: aggregated, small-count-suppressed cells and figures, from one place.

On a PostGIS store everything here is read as the database role ``lagebild_oeffentlich``
(:func:`app_support.state.role_store`), which may not select a single report: the cells, totals and counts
come from the database's suppressing functions (:mod:`geo.data.pgpublic`), so a bug in the app cannot publish
what the database refuses. On a GeoPackage store the same numbers are computed here from the records
(:func:`geo.data.access.public_cells`, :func:`geo.data.access.public_figures`); both give identical results
(``tests/test_pgpublic.py``).
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd

from app_support import state
from geo.core.schema import COMPLAINT, KINDS, REPORT_KINDS, SCENE_OBSERVATION, SYRINGE_FIND
from geo.data.access import public_cells, public_figures


def _db():
    """The store as the database role ``oeffentlich`` sees it (PostGIS), else ``None``."""
    store = state.get_store()
    return state.role_store("oeffentlich") if getattr(store, "backend", "") == "postgis" else None


def cells(filters: state.Filters, kind: str = SYRINGE_FIND) -> gpd.GeoDataFrame:
    """Published grid cells of ``kind`` in the (block) period of ``filters``: events ≥ K_MIN only."""
    db = _db()
    area = state.get_store().area
    if db is not None:
        return db.public_grid(kind, filters.period, area.boundary)
    finds = state.spatial(state.apply_filters(state.load_records(kind, filters.period, restricted=False), kind,
                                              filters))  # never Sammelpunkte
    return public_cells(finds, area.boundary, weight=KINDS[kind].weight_field, crs=area.crs)


def key_figures(filters: state.Filters, current, previous) -> pd.DataFrame:
    """The key figures of the public view (:func:`geo.report.figures.key_figures` without hot cells, values
    resting on fewer than K_MIN events suppressed). ``current``/``previous``: callables giving the record frames
    (used on a GeoPackage store only)."""
    from geo.report.figures import figures_from_totals
    from geo.report.figures import key_figures as figures_of_frames

    db = _db()
    if db is None:
        return public_figures(figures_of_frames(current(), previous(), None, None))
    now, before = db.public_totals(filters.period), db.public_totals(filters.previous)

    def totals(found: dict) -> dict[str, float]:
        pick = {k: (found[k] if k in filters.kinds else (0.0, 0.0)) for k in REPORT_KINDS}
        return {"finds": pick[SYRINGE_FIND][0], "syringes": pick[SYRINGE_FIND][1],
                **{key: pick[kind][0] for key, kind in _COUNTED.items()}}

    return public_figures(figures_from_totals(totals(now), totals(before)))


#: Key figures that count the records of a kind (besides the finds and syringes).
_COUNTED = {"complaints": COMPLAINT, "scene_observations": SCENE_OBSERVATION}


def overview() -> pd.DataFrame | None:
    """PostGIS: per kind ``records`` (NaN when 1 … K_MIN−1) and ``latest`` report date, read as ``oeffentlich``;
    ``None`` on a GeoPackage store."""
    db = _db()
    return None if db is None else db.public_overview()


def latest_date() -> date | None:
    """The latest report date as the public role may know it (PostGIS), else ``None``."""
    table = overview()
    if table is None:
        return None
    dates = [d for k, d in table["latest"].items() if k in REPORT_KINDS and d is not None]
    return max(dates) if dates else None
