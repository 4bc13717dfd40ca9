"""The printable handout for the Drogenrapport: an A4 PDF, written for the room, not for statisticians.

Page 1 (shrunk to fit one page): title with period and comparison period, a notice when the data are
synthetic demo data, what changed in three plain sentences (:mod:`geo.report.whatchanged`), the key
figures with arrows only for significant changes (:mod:`geo.report.keychanges`), the static map
(:mod:`geo.report.staticmap`: base map, hotspots labelled H1, H2 …, sensitive places with protective
distances, disposal bins), the named Top-Hotspots and the method in a footnote. Page 2: the
sensitive-places table, the measures of the period, the agreements (:mod:`geo.report.handout_agreements`)
and ruled room for notes. Then the forecast line, the times at the first hotspot, the figures per
district (when districts are stored) and the method in full.
Every page has a footer with the creation date, the page number and, for demo data,
"synthetische Demodaten".

All text that comes from data (names, descriptions, the title) is escaped for reportlab's
Paragraph markup, so ``<img src=x onerror=alert(1)>`` or ``${alert(1)}`` is printed
literally. Built with reportlab platypus; the font is DejaVu Sans from matplotlib's data,
embedded (German, Turkish, Polish, Cyrillic … names print correctly; right-to-left scripts
are not shaped), with Helvetica as fallback. Nothing here imports streamlit or folium.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import geopandas as gpd
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm, mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepInFrame,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from geo.analysis.placenames import name_hotspots, place_context, top_hotspots
from geo.core import fmt
from geo.core.area import StudyArea
from geo.core.errors import UserError
from geo.core.period import Period, records_in
from geo.core.schema import COMPLAINT, DISPOSAL_BIN, DISTRICT, KINDS, MEASURE_KINDS, SENSITIVE_PLACE, SYRINGE_FIND
from geo.report.figures import (
    DEFAULT_PLACE_THRESHOLD,
    count_hotspots,
    district_summary,
    key_figures,
    measures_list,
    sensitive_place_table,
)
from geo.report.forecast_text import forecast_line
from geo.report.handout_agreements import agreements_section
from geo.report.handout_times import times_section
from geo.report.keychanges import FigureChange, count_change, figure_changes, hotspot_changes
from geo.report.pdfstyle import DOWN, GRID, MARGIN, MUTED, UP, NotesBox, escape, fonts, pdf_table, styles
from geo.report.staticmap import map_png
from geo.report.whatchanged import what_changed

#: Most rows printed in the sensitive-places and measures tables (the rest is summarised).
MAX_PLACE_ROWS = 25
MAX_MEASURE_ROWS = 30
DEMO_NOTICE = "synthetische Demodaten"
_FLAGGED = f'<font color="{UP.hexval()}"><b>ja</b></font>'


def is_demo_data(imports: pd.DataFrame) -> bool:
    """Whether any import came from the demo generator (user ``demo`` or file ``demo-…``)."""
    if imports is None or not len(imports):
        return False
    user = imports["user"].astype(object).fillna("").astype(str) if "user" in imports else pd.Series("")
    name = imports["file_name"].astype(object).fillna("").astype(str) if "file_name" in imports else pd.Series("")
    return bool((user.str.strip().str.lower() == "demo").any() or name.str.startswith("demo-").any())


def _change_markup(change: FigureChange) -> str:
    """The change as text; coloured with an arrow (increase ▲ dark red, decrease ▼ dark green) only
    when it is significant (:mod:`geo.report.keychanges`)."""
    text = escape(change.text)
    if not change.arrow:
        return text
    colour, arrow = (UP, "▲") if change.direction > 0 else (DOWN, "▼")
    return f'<font color="{colour.hexval()}">{arrow} {text}</font>'


# -- the sections -------------------------------------------------------------------------


def _key_figure_table(figures: pd.DataFrame, changes: dict[str, FigureChange], st) -> Table:
    rows = [[escape(r.figure), fmt.number(r.value), fmt.number(r.previous), _change_markup(changes[r.Index]),
             escape(changes[r.Index].explanation or "–")] for r in figures.itertuples()]
    return pdf_table(["Kennzahl", "Zeitraum", "Vorzeitraum", "Veränderung", "Bewertung"], rows,
                  [4.6 * cm, 2.0 * cm, 2.3 * cm, 3.1 * cm, 5.8 * cm], {1, 2, 3}, st)


def _places_section(table: gpd.GeoDataFrame | None, threshold: int, period: Period, st) -> list:
    out = [Paragraph("Sensible Orte", st["h2"])]
    if table is None or not len(table):
        return [*out, Paragraph("Keine sensiblen Orte gespeichert.", st["body"])]
    shown = table.iloc[:MAX_PLACE_ROWS]
    muted = MUTED.hexval()
    rows = [[str(i),
             f'{escape(r.name)}<br/><font size="7" color="{muted}">{escape(r.place_type)} · Schutzabstand '
             f"{fmt.number(r.buffer_m)} m</font>",
             fmt.number(r.finds), fmt.number(r.syringes), fmt.number(r.complaints),
             fmt.number(r.reports_prev),
             _change_markup(count_change(r.reports, r.reports_prev, period.days, period.previous().days)),
             _FLAGGED if r.flagged else "nein"]
            for i, r in enumerate(shown.itertuples(), start=1)]
    out.append(pdf_table(["Nr.", "Ort", "Funde", "Spritzen", "Beschwerden", "Vorzeitraum", "Veränderung", "auffällig"],
                      rows, [0.8 * cm, 5.0 * cm, 1.3 * cm, 1.65 * cm, 2.45 * cm, 2.3 * cm, 2.5 * cm, 1.8 * cm],
                      {0, 2, 3, 4, 5, 6}, st))
    more = len(table) - len(shown)
    note = (f"Gezählt werden Spritzenfunde (Fundstellen) und Beschwerden im Schutzabstand des Ortes (Luftlinie, "
            f"bei Flächen ab dem Rand). Vorzeitraum und Veränderung: Funde + Beschwerden. "
            f"<b>Auffällig</b>: mindestens {threshold} Funde + Beschwerden im Zeitraum. Pfeil: mehr als zufällige "
            f"Veränderung (Test wie bei den Kennzahlen). "
            f"Die Nummern entsprechen der Karte.")
    if more:
        note += f" Weitere {more} Orte mit weniger Meldungen sind nicht aufgeführt."
    out.append(Paragraph(note, st["small"]))
    return out


#: Hotspots listed by name on the handout's first page (and labelled on its map).
MAX_HOTSPOT_ROWS = 6
#: Width of the first page's map as a share of the text width (the page also holds the figures and hotspots).
MAP_SHARE = 0.66
#: Page margins and the text frame (reportlab's frames pad 6 pt on each side); page 1 is shrunk to fit it.
TOP_MARGIN, BOTTOM_MARGIN = 14 * mm, 20 * mm
FRAME_W, FRAME_H = A4[0] - 2 * MARGIN - 12, A4[1] - TOP_MARGIN - BOTTOM_MARGIN - 12


def _hotspots_section(top: pd.DataFrame | None, n_all: int | None, period: Period, st) -> list:
    """The "Top-Hotspots" table: rank (H1, H2, … as on the map), name, finds, syringes, change."""
    out = [Paragraph("Top-Hotspots", st["h2"])]
    if top is None or not len(top):
        return [*out, Paragraph("Keine signifikanten Hotspots im Zeitraum.", st["body"])]
    shown = top.iloc[:MAX_HOTSPOT_ROWS]
    changes = hotspot_changes(shown, period.days, period.previous().days)
    rows = [[f"H{int(r.rank)}", escape(str(r.place)), fmt.number(r.finds), fmt.number(r.syringes),
             _change_markup(replace(ch, text=fmt.number(r.change, sign=True)) if pd.notna(r.change) else ch)]
            for r, ch in zip(shown.itertuples(), changes, strict=True)]
    out.append(pdf_table(["Nr.", "Ort", "Funde", "Spritzen", "Veränderung"], rows,
                      [1.0 * cm, 10.6 * cm, 1.8 * cm, 1.8 * cm, 2.6 * cm], {0, 2, 3, 4}, st))
    more = f"Die ersten {len(shown)} von {n_all} Hotspots. " if n_all and n_all > len(shown) else ""
    out.append(Paragraph(f"{more}Benannt nach Straße (mit Hausnummern), Kreuzung oder berührtem sensiblen Ort; "
                         "Veränderung: Funde gegenüber dem Vorzeitraum in denselben Zellen (Pfeil nur bei mehr als "
                         "zufälliger Veränderung, getestet über die ganze Hotspot-Fläche). Die Nummern entsprechen "
                         "der Karte.", st["small"]))
    return out


def _measures_section(measures: pd.DataFrame, st) -> list:
    out = [Paragraph("Maßnahmen im Zeitraum", st["h2"])]
    if not len(measures):
        return [*out, Paragraph("Keine Maßnahmen im Zeitraum erfasst.", st["body"])]
    shown = measures.iloc[:MAX_MEASURE_ROWS]
    rows = [[escape(r.measure), escape(r.description), escape(r.when), "neu" if r.new_in_period else ""]
            for r in shown.itertuples()]
    out.append(pdf_table(["Maßnahme", "Beschreibung / Standort", "Datum / Zeitraum", ""], rows,
                      [4.7 * cm, 7.7 * cm, 4.2 * cm, 1.2 * cm], set(), st))
    more = len(measures) - len(shown)
    note = ("Behälter, Polizeipräsenz und Streetwork: alle, die im Zeitraum aktiv waren; "
            "„neu“: im Zeitraum begonnen bzw. aufgestellt.")
    if more:
        note += f" Weitere {more} Maßnahmen sind nicht aufgeführt."
    out.append(Paragraph(note, st["small"]))
    return out


def _districts_section(summary: pd.DataFrame, st) -> list:
    rows = [[escape(r.name), escape(r.number), fmt.number(r.area_km2, 2), fmt.number(r.finds),
             fmt.number(r.syringes), fmt.number(r.complaints), fmt.number(r.finds_per_km2, 1),
             fmt.number(r.complaints_per_km2, 1)] for r in summary.itertuples()]
    return [Paragraph("Ortsteile", st["h2"]),
            pdf_table(["Ortsteil", "Nr.", "Fläche (km²)", "Funde", "Spritzen", "Beschwerden", "Funde je km²",
                    "Beschw. je km²"], rows,
                   [4.3 * cm, 0.9 * cm, 2.1 * cm, 1.3 * cm, 1.65 * cm, 2.45 * cm, 2.4 * cm, 2.7 * cm],
                   {1, 2, 3, 4, 5, 6, 7}, st)]


def _forecast_section(forecast, places, districts, st, base=None) -> list:
    """The handout's forecast line (empty without a forecast)."""
    if forecast is None:
        return []
    return [Paragraph("Prognose", st["h2"]),
            Paragraph(escape(forecast_line(forecast, places=places, districts=districts,
                                           context=place_context(base, forecast.cells.crs, places=places,
                                                                 districts=districts))), st["body"]),
            Paragraph(escape(forecast.summary()), st["small"])]


def _hotspot_caption(hotspots, note: str | None) -> str:
    if hotspots is None:
        return escape(note or "Keine Hotspot-Analyse; die Karte zeigt die einzelnen Spritzenfunde.")
    if note:  # records left out of the spatial statistics (Sammelpunkte)
        return escape(note + ". ") + _hotspot_caption(hotspots, None)
    shape = "Sechseck" if hotspots.shape == "hex" else "Quadrat"
    text = (f"Hotspot-Zellen: Getis-Ord Gi* auf {shape}zellen ({fmt.number(hotspots.cell)} m, "
            f"Distanzband {fmt.number(hotspots.band)} m), Spritzen nach Anzahl gewichtet, Klassen "
            f"FDR-korrigiert (Benjamini-Hochberg). ")
    return escape(text + (hotspots.scale_rule or ""))


# -- the document -------------------------------------------------------------------------


def _footer_canvas(footer_left: str, demo: bool):
    """A canvas class that writes the footer and "Seite x von y" on every page."""

    class _FooterCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _ = A4
            y = 10 * mm
            self.setStrokeColor(GRID)
            self.setLineWidth(0.5)
            self.line(MARGIN, y + 4 * mm, width - MARGIN, y + 4 * mm)
            regular, bold = fonts()
            self.setFont(regular, 7.5)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, y, footer_left)
            self.drawRightString(width - MARGIN, y, f"Seite {self._pageNumber} von {total}")
            if demo:
                self.setFont(bold, 7.5)
                self.setFillColor(colors.HexColor("#8a6d00"))
                self.drawString(MARGIN, y - 3.6 * mm, f"Hinweis: {DEMO_NOTICE} – keine echten Vorfälle")

    return _FooterCanvas


def _auto_hotspots(finds: gpd.GeoDataFrame | None, area: StudyArea, **scale):
    """Hot spot analysis of the finds weighted by syringes; (result, note) — never raises."""
    if finds is None or not len(finds):
        return None, "Keine Spritzenfunde im Zeitraum; keine Hotspot-Analyse."
    from geo.core.quality import left_out_line, spatial_records

    left_out = left_out_line(finds, SYRINGE_FIND)
    finds, _ = spatial_records(finds)
    if not len(finds):
        return None, f"{left_out}; keine Hotspot-Analyse."
    try:
        from geo.analysis.hotspots import hotspot_analysis
    except ImportError:  # pragma: no cover - geo.analysis.hotspots is part of the package
        return None, "Hotspot-Analyse nicht verfügbar; die Karte zeigt die einzelnen Spritzenfunde."
    try:
        return hotspot_analysis(finds, area.boundary, weight=KINDS[SYRINGE_FIND].weight_field, crs=area.crs,
                                **scale), left_out
    except UserError as exc:
        return None, f"Hotspot-Analyse nicht möglich: {exc}"


def _named_hotspots(hotspots, base, area: StudyArea, places, districts, finds, finds_prev):
    """``(top table, labelled hotspots for the map)``; ``(None, None)`` without hot spots."""
    cells = getattr(hotspots, "cells", None)
    if cells is None or not len(cells):
        return None, None
    ctx = place_context(base, area.crs, places=places, districts=districts)
    groups, _ = name_hotspots(cells, ctx)
    if not len(groups):
        return None, None
    top = top_hotspots(groups, finds if finds is not None else groups.iloc[0:0], finds_prev,
                       limit=MAX_HOTSPOT_ROWS)
    by_place = {p: f"H{r}" for r, p in zip(top["rank"], top["place"], strict=True)}
    labelled = groups[groups["place"].isin(by_place)].copy()
    labelled["label"] = labelled["place"].map(by_place)
    return top, labelled[["label", "geometry"]]


def build_handout(
    current: Mapping[str, gpd.GeoDataFrame],
    previous: Mapping[str, gpd.GeoDataFrame] | None,
    area: StudyArea,
    period: Period,
    *,
    hotspots=None,
    auto_hotspots: bool = True,
    title: str | None = None,
    threshold: int = DEFAULT_PLACE_THRESHOLD,
    demo: bool = False,
    created: datetime | None = None,
    base: gpd.GeoDataFrame | None = None,
    agreements: gpd.GeoDataFrame | None = None,
    follow_ups: pd.DataFrame | None = None,
    forecast=None,
) -> bytes:
    """Build the Rapport handout as an A4 PDF.

    Parameters
    ----------
    current : records per kind for ``period`` (reports of the period, measures active in
        it, places), metric CRS of ``area`` (EPSG:25833 by default).
    previous : records per kind of the comparison period (``period.previous()``); ``None``
        leaves the comparison empty.
    area : study area (outline of the map, CRS).
    period : the Rapport period (inclusive dates).
    hotspots : a :class:`geo.analysis.hotspots.HotspotResult` for the period's finds. ``None`` with
        ``auto_hotspots``: computed with :func:`geo.analysis.hotspots.hotspot_analysis` on the
        period's finds weighted by ``count``. Hot spot cells of the previous period are
        counted with the same cell size and distance band.
    auto_hotspots : compute missing hot spots (``False``: map without hot spot cells).
    title : heading (default ``"Drogenrapport <area name>"``).
    threshold : minimum finds + complaints that flag a sensitive place
        (:func:`geo.report.figures.sensitive_place_table`).
    demo : the data are synthetic demo data (notice under the title and in every footer).
    created : creation time printed in the footer (default: now).
    base : the offline base map (:meth:`geo.data.store.Store.read_base`): drawn beneath the map and
        used to name the hotspots by street (:mod:`geo.analysis.placenames`).
    agreements : the Drogenrapport's agreements (:meth:`geo.data.store.Store.agreements`, already
        restricted to the reader's role); ``None``: no section "Vereinbarungen". Overdue = open and due
        before ``created``.
    follow_ups : :func:`geo.report.followup.follow_up` of the agreements (their effect).
    forecast : a :class:`geo.analysis.forecast.ForecastResult` for the period after ``period``
        (``None``: no forecast line); see :func:`forecast_line`.

    Returns
    -------
    bytes
        The PDF (starts with ``%PDF``).
    """
    compare = previous is not None
    previous = previous or {}
    created = created or datetime.now()
    title = title or f"Drogenrapport {area.name}"
    st = styles()
    finds, finds_prev = current.get(SYRINGE_FIND), previous.get(SYRINGE_FIND)
    hotspots, note, hot_now, hot_prev = _hotspots_and_counts(hotspots, auto_hotspots, finds, finds_prev, area)
    figures = key_figures(current, previous if compare else None, hot_now, hot_prev)
    places, districts = current.get(SENSITIVE_PLACE), current.get(DISTRICT)
    place_table, measures, bins = _period_tables(current, previous, period, threshold)
    top, labels = _named_hotspots(hotspots, base, area, places, districts, finds, finds_prev if compare else None)
    png = map_png(area, dpi=220, hotspots=hotspots, districts=districts, places=place_table, bins=bins,
                  finds=finds if hotspots is None else None, base=base, hotspot_labels=labels)
    # page 1: what changed, key figures, the map with the named hotspots, the method in a footnote
    first = _title_section(title, period, area, demo, st)
    first += _overview_section(figures, period, top, place_table, threshold, png, st)
    first += _hotspots_section(top, hot_now, period, st) if hotspots is not None else []
    first.append(Paragraph(_method_note(hotspots, note), st["small"]))
    story: list = [KeepInFrame(FRAME_W, FRAME_H, first, mode="shrink"), PageBreak()]
    # page 2: sensitive places, measures, agreements, room for notes
    story += [KeepTogether(_places_section(place_table, threshold, period, st)), *_measures_section(measures, st)]
    story += agreements_section(agreements, follow_ups, period, created.date(), st) if agreements is not None else []
    story.append(NotesBox())
    # further pages: forecast, times at the first hotspot, districts
    story += _forecast_section(forecast, places, districts, st, base)
    story += [KeepTogether(times_section(finds, hotspots, area, st))] if hotspots is not None else []
    story += _districts_part(districts, current, st)
    story += _method_section(hotspots, note, st)
    return _render_pdf(story, title, period, created, demo)


def _period_tables(current: Mapping[str, gpd.GeoDataFrame], previous: Mapping[str, gpd.GeoDataFrame],
                   period: Period, threshold: int):
    """``(sensitive-place table or None, measures list, bins standing in the period)`` of the handout."""
    finds, places = current.get(SYRINGE_FIND), current.get(SENSITIVE_PLACE)
    place_table = None
    if places is not None and len(places):
        place_table = sensitive_place_table(places, finds, current.get(COMPLAINT), previous.get(SYRINGE_FIND),
                                            previous.get(COMPLAINT), threshold=threshold)
    measures = measures_list({k: current[k] for k in MEASURE_KINDS if k in current}, period)
    bins = current.get(DISPOSAL_BIN)
    if bins is not None and len(bins):
        bins = records_in(bins, DISPOSAL_BIN, period)
    return place_table, measures, bins


def _districts_part(districts: gpd.GeoDataFrame | None, current: Mapping[str, gpd.GeoDataFrame], st) -> list:
    """The figures per district (empty without districts)."""
    if districts is None or not len(districts):
        return []
    summary = district_summary(districts, current).sort_values(["finds", "name"], ascending=[False, True])
    return _districts_section(summary, st)


def _hotspots_and_counts(hotspots, auto_hotspots: bool, finds, finds_prev, area: StudyArea):
    """The period's hot spots (computed when missing and ``auto_hotspots``), a German note on
    how, and the number of hot cells now and in the previous period on the same grid scale
    (None when not known)."""
    note = None
    if hotspots is None and auto_hotspots:
        hotspots, note = _auto_hotspots(finds, area)
    hot_prev = None
    if hotspots is not None and finds_prev is not None and len(finds_prev):
        before, _ = _auto_hotspots(finds_prev, area, cell=hotspots.cell, band=hotspots.band, shape=hotspots.shape)
        hot_prev = count_hotspots(before.cells) if before is not None else None
    hot_now = count_hotspots(getattr(hotspots, "cells", None))
    return hotspots, note, hot_now, hot_prev


def _title_section(title: str, period: Period, area: StudyArea, demo: bool, st) -> list:
    """Heading, period and comparison period, area; the demo notice for demo data."""
    story: list = [
        Paragraph(escape(title), st["title"]),
        Paragraph(f"Zeitraum <b>{escape(period.label())}</b> · Vergleich: {escape(period.previous().label())}"
                  f" · Gebiet: {escape(area.name)}", st["subtitle"]),
    ]
    if demo:
        story.append(Paragraph(f"Achtung: {DEMO_NOTICE} – alle Zahlen und Orte der Meldungen sind "
                               "erfunden und dienen nur der Vorführung.", st["notice"]))
    else:
        story.append(Spacer(1, 6))
    return story


def _overview_section(figures, period: Period, top, place_table, threshold: int, png: bytes, st) -> list:
    """"Was sich verändert hat" (:func:`geo.report.whatchanged.what_changed`), the key figures (arrows
    only for significant changes) and the map."""
    days, days_previous = period.days, period.previous().days
    changes = figure_changes(figures, days, days_previous)
    sentences = what_changed(figures, changes, top, place_table, days=days, days_previous=days_previous,
                             threshold=threshold)
    map_w = (A4[0] - 2 * MARGIN) * MAP_SHARE
    return [
        Paragraph("Was sich verändert hat", st["h2"]),
        *(Paragraph(escape(s), st["body"], bulletText="•") for s in sentences),
        Paragraph("Kennzahlen", st["h2"]),
        _key_figure_table(figures, changes, st),
        Spacer(1, 6),
        Image(io.BytesIO(png), width=map_w, height=map_w * 12.5 / 17),
    ]


def _method_note(hotspots, note: str | None) -> str:
    """The footnote of page 1: how hotspots and changes are found, in short (details: :func:`_method_section`)."""
    how = ("Hotspots: zusammenhängende Zellen mit signifikant gehäuften Spritzen (Getis-Ord Gi*, mindestens "
           "90 % Konfidenz). " if hotspots is not None else escape(note or "") + " ")
    return ("Methode: " + how + "Veränderungen: exakter Test zweier Zählungen (Raten je Tag, zweiseitig, 5 %); "
            "Pfeil (▲ rot: Zunahme, ▼ grün: Abnahme) und „deutlich“ nur bei mehr als zufälliger Veränderung, "
            "sonst „im Rahmen des Zufalls“. Einzelheiten am Ende.")


def _method_section(hotspots, note: str | None, st) -> list:
    """The method in full, at the end of the handout."""
    return [Paragraph("Methode", st["h2"]), Paragraph(_hotspot_caption(hotspots, note), st["small"])]


def _render_pdf(story: list, title: str, period: Period, created: datetime, demo: bool) -> bytes:
    """Lay out ``story`` on A4 pages with the footer (title, period, creation time; demo notice)."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP_MARGIN, bottomMargin=BOTTOM_MARGIN,
        title=f"{title} – {period.label()}", author="Lagebild", subject="Lagebild für den Drogenrapport",
        creator="Lagebild",
    )
    footer = f"Lagebild · {title[:60]} · {period.label()} · erstellt am {fmt.date(created)}, {created:%H:%M} Uhr"
    doc.build(story, canvasmaker=_footer_canvas(footer, demo))
    return buf.getvalue()


def read_period(store, period: Period) -> dict[str, gpd.GeoDataFrame]:
    """All kinds from ``store`` for ``period``: reports of the period, active measures, all places."""
    return {kind: store.read(kind, period) for kind in store.layers()}


def store_forecast(store, period: Period, kind: str = SYRINGE_FIND):
    """The forecast (:func:`geo.analysis.forecast.forecast`) of ``kind`` for the period after ``period``
    from the store's records up to ``period.end``; ``None`` when there is too little history."""
    from geo.analysis.forecast import forecast

    try:
        return forecast(store.read(kind), kind, store.area, period)
    except UserError:
        return None


def handout_from_store(store, period: Period, **options) -> bytes:
    """:func:`build_handout` for the records in a :class:`geo.data.store.Store`.

    Reads the period and ``period.previous()``; marks the handout as demo data when any
    import came from the demo generator (:func:`is_demo_data`). ``options`` are passed on
    (``title``, ``threshold``, ``hotspots``, ``created``, …).

    Raises
    ------
    UserError
        The store does not exist or holds no records.
    """
    if not store.exists() or store.is_empty():
        raise UserError(f"Speicher {store.path} ist leer – erst Daten importieren oder 'lagebild demo'.")
    options.setdefault("demo", is_demo_data(store.imports()))
    options.setdefault("base", store.read_base())
    if "agreements" not in options:
        from geo.report.followup import follow_up_from_store

        options["agreements"] = store.agreements()
        options.setdefault("follow_ups", follow_up_from_store(store, options["agreements"], sensitivity=True))
    if "forecast" not in options:
        options["forecast"] = store_forecast(store, period)
    return build_handout(read_period(store, period), read_period(store, period.previous()), store.area, period,
                         **options)
