"""The map legend, built from :mod:`geo.core.schema` (labels, colours, hot-spot classes).

Each section carries ``data-key`` = the name of the overlay it explains (without the count),
so the browser hides a section while its overlay is switched off or absent.
"""

from __future__ import annotations

import numpy as np
import shapely

from geo.core.schema import (
    AREA_OUTLINE_COLOUR,
    DENSITY_COLOURS,
    DISTRICT_LINE_COLOUR,
    FORECAST_CLASSES,
    HOTSPOT_CLASSES,
    KINDS,
    MEASURE_KINDS,
    REPORT_KINDS,
    SENSITIVE_PLACE,
)
from layers.escape import escape_text, safe_colour

#: Overlay names of the analysis layers (the legend and the layer control use the same).
HOTSPOT_LAYER = "Hotspot-Zellen"
DENSITY_LAYER = "Kerndichte"
FORECAST_LAYER = "Prognose nächster Zeitraum"
PLACES_LAYER = KINDS[SENSITIVE_PLACE].label_plural


def legend_row(symbol_class: str, colour: str, label: str, *, extra_style: str = "") -> str:
    c = safe_colour(colour)
    style = f"background:{c};border-color:{c};{extra_style}"
    return (f'<div class="lb-row"><span class="lb-sym {symbol_class}" style="{style}"></span>'
            f"{escape_text(label)}</div>")


def legend_group(key: str, rows: list[str], *, title: str | None = None, optional: bool = True) -> str:
    """Legend rows explaining the overlay ``key`` (hidden with it)."""
    opt = " data-optional" if optional else ""
    head = f"<h4>{escape_text(title)}</h4>" if title else ""
    return f'<div data-key="{escape_text(key)}"{opt}>{head}{"".join(rows)}</div>'


def legend_html(*, open_: bool = True) -> str:
    """The legend's HTML (all texts escaped): a collapsible box (open or closed), one row per overlay."""
    place = KINDS[SENSITIVE_PLACE]
    parts = [legend_group("__area", [legend_row("lb-line", AREA_OUTLINE_COLOUR, "Untersuchungsgebiet"),
                               legend_row("lb-line", DISTRICT_LINE_COLOUR, "Ortsteilgrenze")], optional=False)]
    parts += [legend_group(KINDS[k].label_plural, [legend_row("lb-dot", KINDS[k].colour, KINDS[k].label_plural)])
              for k in REPORT_KINDS]
    parts.append(legend_group(PLACES_LAYER, [
        legend_row("lb-dot", place.colour, "Kita, Schule, Spielplatz …"),
        legend_row("lb-ring", place.colour, "Schutzabstand", extra_style="background:transparent"),
    ]))
    for k in MEASURE_KINDS:
        sym = {"dot": "lb-dot", "line": "lb-line", "area": ""}[KINDS[k].map_symbol]
        parts.append(legend_group(KINDS[k].label_plural, [legend_row(sym, KINDS[k].colour, KINDS[k].label_plural)]))
    parts.append(legend_group(HOTSPOT_LAYER, [
        legend_row("", colour, label if cls else f"{label} (nicht eingefärbt)")
        for cls, (label, colour) in sorted(HOTSPOT_CLASSES.items(), reverse=True)
    ], title="Hotspot-Zellen: mehr Meldungen als zufällig"))
    parts.append(legend_group(FORECAST_LAYER, [legend_row("", c, lab) for lab, c in FORECAST_CLASSES.values()],
                              title="Prognose"))
    ramp = ", ".join(DENSITY_COLOURS)
    parts.append(legend_group(DENSITY_LAYER, [
        f'<div class="lb-row"><span class="lb-ramp" style="background:linear-gradient(to right, {ramp})">'
        '</span></div><div class="lb-note">Kerndichte: niedrig → hoch</div>'
    ], title="Kerndichte"))
    return f'<details{" open" if open_ else ""}><summary>Legende</summary>{"".join(parts)}</details>'


#: Corners a legend may take (top left holds zoom and drawing tools), in order of preference.
LEGEND_CORNERS: tuple[str, ...] = ("bottomright", "bottomleft", "topright")


def legend_corner(bounds: tuple[float, float, float, float], geometries=None, *,
                  corners: tuple[str, ...] = LEGEND_CORNERS) -> str:
    """The map corner where an open legend hides the least data.

    The area's ``bounds`` (minx, miny, maxx, maxy; any CRS) are split into four quadrants; each
    geometry (same CRS; its representative point) counts for its quadrant; the legend goes to
    the allowed corner with the fewest, ties by the order of ``corners``.

    >>> import shapely
    >>> legend_corner((0, 0, 10, 10), shapely.points([[8, 1], [9, 2], [1, 1]]))
    'topright'
    """
    geoms = np.asarray(getattr(geometries, "values", geometries) if geometries is not None else [], dtype=object)
    geoms = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
    if not len(geoms):
        return corners[0]
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    minx, miny, maxx, maxy = bounds
    right = xy[:, 0] >= (minx + maxx) / 2
    top = xy[:, 1] >= (miny + maxy) / 2
    counts = {"bottomright": int((right & ~top).sum()), "bottomleft": int((~right & ~top).sum()),
              "topright": int((right & top).sum()), "topleft": int((~right & top).sum())}
    return min(corners, key=lambda c: (counts[c], corners.index(c)))
