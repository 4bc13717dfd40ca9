"""The handout's section "Vereinbarungen": open agreements (overdue first), those carried out since the
last meeting with their effect, the effect of earlier ones, and the rejected ones.

All text from data is escaped for reportlab's Paragraph markup (:func:`geo.report.pdfstyle.escape`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, Spacer

from geo.core import fmt
from geo.core.period import Period
from geo.core.schema import AGREEMENT_STATUSES, OPEN_STATUSES, OVERDUE_LABEL
from geo.report.pdfstyle import MUTED, UP, escape, pdf_table


def effect_lines(follow_ups: pd.DataFrame) -> pd.Series:
    """agreement_id → the follow-up line; a verdict that flips under other ring widths or report kinds
    (its ``sensitivity_table`` holds more than one evaluable verdict) carries the caution the Vereinbarungen
    page shows: ``… Wirkung: −54 % Funde im Umkreis. Vorsicht: das Ergebnis »Wirkung« (Standard) kippt …``."""
    def line(r) -> str:
        table = r.get("sensitivity_table")
        flips = isinstance(table, pd.DataFrame) and len(table) and \
            table.loc[table["verdict"] != "not_evaluable", "verdict"].nunique() > 1
        return f"{r['text']}. {r['sensitivity']}" if flips and r.get("sensitivity") else str(r["text"])

    return pd.Series([line(r) for _, r in follow_ups.iterrows()], index=follow_ups["agreement_id"].to_numpy())


def agreements_section(agreements: gpd.GeoDataFrame | None, follow_ups: pd.DataFrame | None, period: Period,
                        as_of, st) -> list:
    """Section "Vereinbarungen": open ones (overdue first), then those carried out since the last meeting
    (from the period's start) with their effect, then the effect of earlier ones (follow-up lines)."""
    out = [Paragraph("Vereinbarungen", st["h2"])]
    if agreements is None or not len(agreements):
        return [*out, Paragraph("Keine Vereinbarungen erfasst.", st["body"])]
    a = pd.DataFrame(agreements.drop(columns=agreements.geometry.name, errors="ignore"))
    due = pd.to_datetime(a["due"])
    is_open = a["status"].isin(OPEN_STATUSES)
    late = is_open & (due < pd.Timestamp(as_of))
    effects = {} if follow_ups is None or not len(follow_ups) else effect_lines(follow_ups)
    muted, red = MUTED.hexval(), UP.hexval()

    def what(r) -> str:
        place = f'<br/><font size="7" color="{muted}">{escape(r.place)}</font>' if r.place else ""
        return escape(r.title) + place

    def day(v) -> str:
        return escape(fmt.date(None if pd.isna(v) else v))

    open_rows = a[is_open].assign(late_=late[is_open], due_=due[is_open]).sort_values(
        ["late_", "due_"], ascending=[False, True], kind="stable")
    if len(open_rows):
        rows = [[str(r.agreement_id), what(r), escape(r.responsible), day(r.agreed), day(r.due),
                 f'<font color="{red}"><b>{escape(OVERDUE_LABEL)}</b></font>' if r.late_
                 else escape(AGREEMENT_STATUSES.get(r.status, r.status))] for r in open_rows.itertuples()]
        out.append(Paragraph(f"Offen ({len(open_rows)}, davon {int(late.sum())} überfällig)", st["body"]))
        out.append(pdf_table(["Nr.", "Vereinbarung", "zuständig", "vereinbart", "fällig bis", "Status"], rows,
                          [0.8 * cm, 6.2 * cm, 4.1 * cm, 2.1 * cm, 2.1 * cm, 2.5 * cm], {0}, st))
    else:
        out.append(Paragraph("Keine offenen Vereinbarungen.", st["body"]))
    done = pd.to_datetime(a["done"])
    recent = a[a["status"].isin(["done", "ended"]) & (done >= pd.Timestamp(period.start))].sort_values("done")
    out.append(Spacer(1, 4))
    if len(recent):
        rows = [[str(r.agreement_id), what(r), escape(r.responsible), day(r.done),
                 escape(effects.get(r.agreement_id, "Wirkung noch nicht auswertbar (zu kurz umgesetzt)")
                        if len(effects) else "Wirkung noch nicht auswertbar (zu kurz umgesetzt)")]
                for r in recent.itertuples()]
        out.append(Paragraph(f"Umgesetzt seit {escape(period.start.strftime('%d.%m.%Y'))}", st["body"]))
        out.append(pdf_table(["Nr.", "Vereinbarung", "zuständig", "umgesetzt", "Wirkung"], rows,
                          [0.8 * cm, 5.6 * cm, 4.1 * cm, 2.1 * cm, 5.2 * cm], {0}, st))
    else:
        out.append(Paragraph(f"Seit {escape(period.start.strftime('%d.%m.%Y'))} keine Vereinbarung umgesetzt.",
                             st["body"]))
    earlier = [t for i, t in (effects.items() if len(effects) else []) if i not in set(recent["agreement_id"])]
    if earlier:
        out.append(Paragraph("Wirkung früher umgesetzter Vereinbarungen (Spritzenfunde im Umkreis von 150 m, "
                             "vorher/nachher gegen das übrige Gebiet):", st["body"]))
        out += [Paragraph("• " + escape(t), st["cell"]) for t in earlier]
    rejected = a[a["status"] == "rejected"]
    if len(rejected):
        text = "; ".join(f"Nr. {r.agreement_id} {escape(r.title)} (Grund: {escape(r.reason) or '–'})"
                         for r in rejected.itertuples())
        out.append(Paragraph(f"Verworfen: {text}", st["small"]))
    return out


__all__ = ["agreements_section", "effect_lines"]
