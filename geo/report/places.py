"""Place names from the store: the naming context of :mod:`geo.analysis.placenames` read from a store.

The store gives the base map (buildings with addresses, streets, squares), the sensitive places
and the districts; without a base map, names fall back to sensitive places, districts and coordinates.
"""

from __future__ import annotations

from geo.analysis.placenames import PlaceContext, place_context
from geo.core.area import DEFAULT_CRS
from geo.core.schema import DISTRICT, SENSITIVE_PLACE
from geo.data.store import Store


def store_place_context(store: Store | None, crs: str | None = None) -> PlaceContext:
    """The naming context of ``store`` (an empty one, in ``crs``, without a store)."""
    if store is None or not store.exists():
        return place_context(None, crs or DEFAULT_CRS)
    return place_context(store.read_base(), store.area.crs, places=store.read(SENSITIVE_PLACE),
                         districts=store.read(DISTRICT))
