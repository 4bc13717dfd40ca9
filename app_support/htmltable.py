"""Static HTML tables for the Lagekarte: they draw at once, without Streamlit's data-grid code.

``st.dataframe`` (and ``st.table``) make a new browser session fetch and parse Streamlit's Arrow and data-grid
code (≈ 1.3 MB) before the map below them is drawn; the three short tables under the Lagekarte cost a new session
≈ 0.4 s of waiting and the server ≈ 0.07 s of CPU (bench/bench_sessions.py). They are sent as plain HTML instead:
every header and cell is escaped (:func:`layers.escape.escape_text`), so text from data stays text.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import streamlit as st

from layers.escape import escape_text

#: The table's look (inline: Streamlit's HTML element keeps no page styles); numbers right-aligned.
_TABLE = ("width:100%;border-collapse:collapse;font-size:0.85rem;font-family:inherit;"
          "font-variant-numeric:tabular-nums")
_HEAD = "text-align:left;padding:4px 8px;border-bottom:2px solid #cfd8dc;color:#37474f;font-weight:600"
_CELL = "padding:3px 8px;border-bottom:1px solid #eceff1;vertical-align:top"


def html_table(df: pd.DataFrame, *, numeric: Collection[str] = (), name: str = "") -> str:
    """``df`` (already formatted for people: German numbers as text) as an HTML table; columns in ``numeric``
    right-aligned; ``name`` as ``data-table`` attribute (for tests and styles). Missing values print as "–".

    >>> html_table(pd.DataFrame({"Ort": ["<b>x</b>"], "Funde": ["3"]}), numeric={"Funde"})[:40]
    '<table data-table="" style="width:100%;bo'
    >>> "&lt;b&gt;x&lt;/b&gt;" in html_table(pd.DataFrame({"Ort": ["<b>x</b>"]}))
    True
    """
    def cell(col: str, value: object, tag: str, style: str) -> str:
        align = ";text-align:right" if col in numeric else ""
        text = "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        return f'<{tag} style="{style}{align}">{escape_text(text)}</{tag}>'

    head = "".join(cell(c, c, "th", _HEAD) for c in df.columns)
    rows = "".join("<tr>" + "".join(cell(c, v, "td", _CELL) for c, v in zip(df.columns, r, strict=True)) + "</tr>"
                   for r in df.itertuples(index=False, name=None))
    return (f'<table data-table="{escape_text(name)}" style="{_TABLE}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def show_table(df: pd.DataFrame, *, numeric: Collection[str] = (), name: str = "") -> None:
    """Draw :func:`html_table` on the page."""
    st.html(html_table(df, numeric=numeric, name=name))


__all__ = ["html_table", "show_table"]
