"""Names that tell areas apart: hotspots that would share a name get a direction (pure function).

Two hotspots near the same playground are both "bei Spielplatz Volkmarsdorfer Markt" by the rules of
:mod:`geo.analysis.placenames`; in one list (Top-Hotspots, handout, CLI, hotspot files) the meeting could not
tell them apart. :func:`distinct_names` adds the direction in which each lies from the others.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

#: Compass words for :func:`distinct_names`, 45° sectors counter-clockwise from east.
DIRECTIONS = ("Ost", "Nordost", "Nord", "Nordwest", "West", "Südwest", "Süd", "Südost")


def _direction(dx: float, dy: float, sectors: int) -> str:
    """Compass word of a vector (x east, y north): 4 sectors (N/W/S/O) or 8 (with NO, NW, SW, SO)."""
    step = 360 // sectors
    k = int(round(math.degrees(math.atan2(dy, dx)) / step)) % sectors
    return DIRECTIONS[k * (8 // sectors)]


def distinct_names(names: list[str], geoms) -> list[str]:
    """``names`` made unique: areas (``geoms``, same order, metric CRS) sharing a name get a direction.

    Two areas named alike get the direction of each from the other along the axis they are most apart on
    (``"X (Nord)"``, ``"X (Süd)"``; ``"X (West)"``, ``"X (Ost)"``); three or more the direction from their
    common centre in eight sectors (``"X (Nordost)"``). A name still repeated after that (or equal to
    another name) gets its position among its equals (``"X (2)"``, ``"X (3)"``; the first keeps it).

    >>> pts = [shapely.Point(0, 0), shapely.Point(30, 400), shapely.Point(900, 0)]
    >>> distinct_names(["bei Kita A", "bei Kita A", "Astraße"], pts)
    ['bei Kita A (Süd)', 'bei Kita A (Nord)', 'Astraße']
    """
    names = [str(n) for n in names]
    cent = shapely.centroid(np.asarray(geoms, dtype=object))
    xy = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
    out = list(names)
    for name in {n for n in names if names.count(n) > 1}:
        idx = [i for i, n in enumerate(names) if n == name]
        middle = xy[idx].mean(axis=0)
        for i in idx:
            d = xy[i] - middle
            if len(idx) == 2:  # the main axis only: "Nord"/"Süd" reads better than "Nordnordost"
                d = np.where(np.abs(d) >= np.abs(d).max(), d, 0.0)
            out[i] = f"{name} ({_direction(d[0], d[1], 4 if len(idx) == 2 else 8)})" if np.any(d) else name
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            out[i] = f"{name} ({seen[name]})"
    return out


__all__ = ["DIRECTIONS", "distinct_names"]
