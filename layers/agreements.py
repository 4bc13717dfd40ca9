"""Map layer of the Drogenrapport's agreements: places coloured by status, overdue ones in red.

Popups show title, kind, responsible body, dates and status as plain text (``LB.geojson`` never
interprets them as HTML); notes are left out, so the layer can go to every role that may see the
agreements at all.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import shapely

from geo.core.schema import AGREEMENT_KINDS, AGREEMENT_STATUS_COLOURS, AGREEMENT_STATUSES, OVERDUE_COLOUR
from geo.data.agreements import overdue, status_label
from layers.escape import safe_colour
from layers.features import feature_collection, format_values, geojson_js

#: Name of the overlay in the layer control.
AGREEMENTS_LAYER = "Vereinbarungen"


def agreements_js(agreements: gpd.GeoDataFrame, today: date, *, order: int = 38) -> str:
    """JavaScript expression for the agreements' places (points, lines, areas)."""
    late = overdue(agreements, today)
    agreed = format_values(agreements["agreed"], "datetime")
    due = format_values(agreements["due"], "datetime")
    types = shapely.get_type_id(agreements.geometry.values) if len(agreements) else np.zeros(0, dtype=int)
    props = []
    for i, r in enumerate(agreements.itertuples()):
        colour = safe_colour(OVERDUE_COLOUR if late[i] else AGREEMENT_STATUS_COLOURS.get(r.status, "#777777"))
        style = {"color": colour, "weight": 3, "fillColor": colour, "fillOpacity": 0.18}
        if int(types[i]) in (0, 4):
            style = {"color": "#ffffff", "weight": 2, "fillColor": colour, "fillOpacity": 1.0}
        rows = [["Art", AGREEMENT_KINDS.get(r.kind, r.kind)], ["Ort", r.place], ["zuständig", r.responsible],
                ["vereinbart am", agreed[i]], ["fällig bis", due[i]], ["Status", status_label(r.status, late[i])]]
        props.append({"_style": style, "_radius": 8, "_title": f"Vereinbarung Nr. {r.agreement_id}: {r.title}",
                      "_rows": [row for row in rows if row[1]],
                      "_tip": f"Nr. {r.agreement_id}: {r.title} ({AGREEMENT_STATUSES.get(r.status, r.status)})"})
    return geojson_js(feature_collection(agreements.geometry, props), order=order)
