"""The handout's heat table "Wann am Hotspot 1?": the top hotspot's finds by weekday and 2-hour block (aoristic)."""

from __future__ import annotations

import geopandas as gpd
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from geo.core import fmt
from geo.core.area import StudyArea
from geo.core.schema import SYRINGE_FIND
from geo.report.pdfstyle import GRID, HEADER_BG, escape, fonts

#: Hours per column of the handout's heat table (12 columns of 2 hours fit the A4 width).
TIMES_BLOCK_HOURS = 2
_HEAT = colors.HexColor("#c62828")


def times_section(finds: gpd.GeoDataFrame | None, hotspots, area: StudyArea, st) -> list:
    """"When at the top hotspot": weekday × 2-hour table of its finds (aoristic) and the suggested slots.

    The top hotspot is the hot spot area (connected hot cells, :mod:`geo.analysis.hotspot_areas`)
    with the most syringes; finds with a time window are spread over it, finds with a date only are
    left out and counted in the note. Empty list when there is no hotspot or no find with a time.
    """
    from geo.analysis.hotspot_areas import hotspot_areas
    from geo.analysis.times import WEEKDAYS, records_inside, suggest_slots, time_table, timezone_of

    if hotspots is None or finds is None or not len(finds):
        return []
    areas = hotspot_areas(hotspots.cells)
    if not len(areas):
        return []
    top = areas.iloc[0]
    table = time_table(records_inside(finds, top.geometry), SYRINGE_FIND, timezone=timezone_of(area))
    if table.total <= 0:
        return []
    blocks = table.table.reshape(7, 24 // TIMES_BLOCK_HOURS, TIMES_BLOCK_HOURS).sum(axis=2)
    peak = float(blocks.max())
    regular, bold = fonts()
    head = ["", *(f"{h}–{h + TIMES_BLOCK_HOURS}" for h in range(0, 24, TIMES_BLOCK_HOURS))]
    rows = [[WEEKDAYS[d], *(fmt.number(v) if round(v) > 0 else "·" for v in blocks[d])] for d in range(7)]
    t = Table([head, *rows], colWidths=[1.0 * cm] + [1.3 * cm] * blocks.shape[1], hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), regular, 7.5),
        ("FONT", (0, 0), (-1, 0), bold, 7.5),
        ("FONT", (0, 1), (0, -1), bold, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
        ("GRID", (0, 0), (-1, -1), 0.35, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for d in range(7):
        for b in range(blocks.shape[1]):
            f = blocks[d, b] / peak if peak > 0 else 0.0
            if f > 0:  # white → dark red by the cell's share of the largest cell
                style.append(("BACKGROUND", (b + 1, d + 1), (b + 1, d + 1),
                              colors.Color(1 - f * (1 - _HEAT.red), 1 - f * (1 - _HEAT.green),
                                           1 - f * (1 - _HEAT.blue))))
                if f > 0.6:
                    style.append(("TEXTCOLOR", (b + 1, d + 1), (b + 1, d + 1), colors.white))
    t.setStyle(TableStyle(style))
    slots = suggest_slots(table, k=6, block_hours=TIMES_BLOCK_HOURS, where="im Hotspot 1")
    note = (f"Spritzenfunde im Hotspot 1 (die zusammenhängenden Hotspot-Zellen mit den meisten Spritzen, "
            f"{int(top['n_cells'])} Zellen) nach Wochentag und Uhrzeit. Funde mit Zeitfenster (z. B. morgens "
            f"gefunden, möglich seit dem Vorabend) sind anteilig auf die Stunden verteilt.")
    if table.n_date_only:
        note += f" {fmt.number(table.n_date_only)} Funde nur mit Datum sind nicht enthalten."
    return [Paragraph("Wann am Hotspot 1?", st["h2"]), t, Spacer(1, 3),
            Paragraph(f"<b>Vorschlag für Präsenz und Streetwork:</b> {escape(slots.sentence)}", st["body"]),
            Paragraph(escape(note), st["small"])]


