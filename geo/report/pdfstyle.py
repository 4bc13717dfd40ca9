"""The look of Lagebild's PDFs: fonts, colours, paragraph styles, tables, and escaping of data text.

Text that comes from data is escaped for reportlab's Paragraph markup (:func:`escape`), so
``<img src=x onerror=alert(1)>`` or ``${alert(1)}`` is printed literally. The font is DejaVu Sans from
matplotlib's data, embedded (German, Turkish, Polish, Cyrillic … names print correctly), with Helvetica as
fallback.
"""

from __future__ import annotations

import functools
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

import matplotlib
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

MARGIN = 16 * mm
HEADER_BG = colors.HexColor("#37474f")
ZEBRA = colors.HexColor("#f3f5f6")
GRID = colors.HexColor("#cfd8dc")
UP = colors.HexColor("#b71c1c")
DOWN = colors.HexColor("#1b5e20")
MUTED = colors.HexColor("#607d8b")


def escape(text: object) -> str:
    """Text for reportlab Paragraph markup: ``&``, ``<`` and ``>`` escaped, ``None`` → ``""``."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return _xml_escape(str(text))


# -- styles -------------------------------------------------------------------------------


@functools.cache
def fonts() -> tuple[str, str]:
    """Regular and bold font names: DejaVu Sans from matplotlib's data (covers ş, ğ, ≥, −, Cyrillic …)
    embedded in the PDF and matching the map; Helvetica (Latin-1 only) if it cannot be loaded."""
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("LagebildSans", str(ttf / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("LagebildSans-Bold", str(ttf / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily("LagebildSans", normal="LagebildSans", bold="LagebildSans-Bold",
                           italic="LagebildSans", boldItalic="LagebildSans-Bold")
    except Exception:  # noqa: BLE001 - any font problem: fall back to the built-in font
        return "Helvetica", "Helvetica-Bold"
    return "LagebildSans", "LagebildSans-Bold"


def styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=17, leading=21,
                                spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=9.5, leading=12.5, textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=body, fontName=bold, fontSize=11.5, leading=14,
                             spaceBefore=9, spaceAfter=4, textColor=HEADER_BG, keepWithNext=1),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=9.8),
        "num": ParagraphStyle("num", parent=body, fontSize=8, leading=9.8, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=body, fontName=bold, fontSize=8, leading=9.8,
                               textColor=colors.white),
        "headnum": ParagraphStyle("headnum", parent=body, fontName=bold, fontSize=8, leading=9.8,
                                  textColor=colors.white, alignment=TA_RIGHT),
        "notice": ParagraphStyle("notice", parent=body, fontName=bold, fontSize=9,
                                 textColor=colors.HexColor("#6d4c00"), backColor=colors.HexColor("#fff3cd"),
                                 borderColor=colors.HexColor("#e0b84c"), borderWidth=0.6, borderPadding=5,
                                 spaceBefore=6, spaceAfter=8),
    }


def pdf_table(header: list[str], rows: list[list], widths: list[float], numeric: set[int], st) -> Table:
    """A styled table: dark header, zebra rows; ``rows`` hold escaped markup strings."""
    head = [Paragraph(escape(h), st["headnum" if i in numeric else "head"]) for i, h in enumerate(header)]
    body = [[Paragraph(c, st["num" if i in numeric else "cell"]) for i, c in enumerate(r)] for r in rows]
    t = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.35, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(2, len(rows) + 1, 2)]
    t.setStyle(TableStyle(style))
    return t


class NotesBox(Flowable):
    """Ruled lines for handwritten notes that fill the rest of the page (at least ``min_height``
    points; where less is left, the box starts on the next page)."""

    def __init__(self, title: str = "Notizen", min_height: float = 40 * mm, line_gap: float = 8 * mm) -> None:
        super().__init__()
        self.title, self.min_height, self.line_gap = title, min_height, line_gap
        self.width = self.height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:  # noqa: D102 - reportlab API
        self.width = avail_width
        self.height = max(self.min_height, avail_height - 1)
        return self.width, self.height

    def draw(self) -> None:  # noqa: D102 - reportlab API
        c = self.canv
        regular, bold = fonts()
        c.setFont(bold, 11.5)
        c.setFillColor(HEADER_BG)
        c.drawString(0, self.height - 12, self.title)
        c.setStrokeColor(GRID)
        c.setLineWidth(0.5)
        y = self.height - 12 - self.line_gap
        while y > 2:
            c.line(0, y, self.width, y)
            y -= self.line_gap

