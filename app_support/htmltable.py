"""Static HTML tables (Lagekarte, Behälter, Vereinbarungen …): they draw at once, without Streamlit's data-grid code.

``st.dataframe`` (and ``st.table``) make a new browser session fetch and parse Streamlit's Arrow and data-grid
code (≈ 1.3 MB) before the map below them is drawn; the three short tables under the Lagekarte cost a new session
≈ 0.4 s of waiting and the server ≈ 0.07 s of CPU (bench/bench_sessions.py). They are sent as plain HTML instead:
every header and cell is escaped (:func:`layers.escape.escape_text`), so text from data stays text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pandas as pd
import streamlit as st

from layers.escape import escape_text

#: The table's look (inline: Streamlit's HTML element keeps no page styles); numbers right-aligned.
_TABLE = ("width:100%;border-collapse:collapse;font-size:0.85rem;font-family:inherit;"
          "font-variant-numeric:tabular-nums")
#: Headings stay in view while a long table scrolls in its box (:func:`show_table`'s ``height_px``); a line break
#: in a cell's text starts a new line.
_HEAD = ("text-align:left;padding:4px 8px;border-bottom:2px solid #cfd8dc;color:#37474f;font-weight:600;"
         "vertical-align:bottom;position:sticky;top:0;background:#fff")
_CELL = "padding:3px 8px;border-bottom:1px solid #eceff1;vertical-align:top;white-space:pre-line"
#: Cells of a ``breakable`` column: a word too long for the column (a file name …) breaks anywhere.
_BREAK = ";overflow-wrap:anywhere"


def html_table(df: pd.DataFrame, *, numeric: Collection[str] = (), name: str = "",
               row_styles: Sequence[str] | None = None, titles: Mapping[str, str] | None = None,
               breakable: Collection[str] = ()) -> str:
    """``df`` (already formatted for people: German numbers as text) as an HTML table; columns in ``numeric``
    right-aligned; ``name`` as ``data-table`` attribute (for tests and styles); ``row_styles`` one inline CSS
    text per row (e.g. a highlight; static text, never data); ``titles`` a tooltip per column heading (the
    method's technical term behind a plain heading); in ``breakable`` columns long words (file names) may break
    anywhere. Missing values print as "–".

    Long texts wrap inside their cells and the table is as wide as the page, so no column is cut off (a data
    grid would need a horizontal scroll bar that people overlook).

    >>> html_table(pd.DataFrame({"Ort": ["<b>x</b>"], "Funde": ["3"]}), numeric={"Funde"})[:40]
    '<table data-table="" style="width:100%;bo'
    >>> "&lt;b&gt;x&lt;/b&gt;" in html_table(pd.DataFrame({"Ort": ["<b>x</b>"]}))
    True
    """
    def cell(col: str, value: object, tag: str, style: str, title: str = "") -> str:
        align = (";text-align:right" if col in numeric else "") + (_BREAK if tag == "td" and col in breakable else "")
        text = "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        tip = f' title="{escape_text(title)}"' if title else ""
        return f'<{tag} style="{style}{align}"{tip}>{escape_text(text)}</{tag}>'

    head = "".join(cell(c, c, "th", _HEAD, (titles or {}).get(c, "")) for c in df.columns)
    styles = list(row_styles) if row_styles is not None else [""] * len(df)
    if len(styles) != len(df):
        raise ValueError(f"{len(styles)} row styles for {len(df)} rows")
    rows = "".join((f'<tr style="{escape_text(style)}">' if style else "<tr>")
                   + "".join(cell(c, v, "td", _CELL) for c, v in zip(df.columns, r, strict=True)) + "</tr>"
                   for r, style in zip(df.itertuples(index=False, name=None), styles, strict=True))
    return (f'<table data-table="{escape_text(name)}" style="{_TABLE}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def show_table(df: pd.DataFrame, *, numeric: Collection[str] = (), name: str = "",
               row_styles: Sequence[str] | None = None, titles: Mapping[str, str] | None = None,
               breakable: Collection[str] = (), height_px: int | None = None) -> None:
    """Draw :func:`html_table` on the page; with ``height_px`` in a box of at most that height that scrolls
    up and down (never sideways)."""
    table = html_table(df, numeric=numeric, name=name, row_styles=row_styles, titles=titles, breakable=breakable)
    if height_px:
        table = f'<div style="max-height:{int(height_px)}px;overflow-y:auto;overflow-x:hidden">{table}</div>'
    st.html(table)


__all__ = ["html_table", "show_table"]
