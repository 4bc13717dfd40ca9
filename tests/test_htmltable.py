"""The static HTML tables of the app (app_support.htmltable): row styles, heading tooltips, breakable columns."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from app_support.htmltable import html_table


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html.split("<tbody>", 1)[1])


def test_row_styles_mark_only_their_rows():
    df = pd.DataFrame({"Nr.": ["1", "2", "3"], "Titel": ["a", "b", "c"]})
    html = html_table(df, row_styles=["", "background-color:#ffebee", ""])
    rows = _rows(html)
    assert [r.startswith('<tr style="background-color:#ffebee">') for r in rows] == [False, True, False]
    with pytest.raises(ValueError, match="2 row styles for 3 rows"):
        html_table(df, row_styles=["", ""])


def test_heading_tooltips_are_escaped_and_only_where_given():
    df = pd.DataFrame({"Faktor": ["0,5"], "Ort": ["x"]})
    html = html_table(df, titles={"Faktor": 'DiD "Verhältnis" <b>'})
    assert 'title="DiD &quot;Verhältnis&quot; &lt;b&gt;"' in html
    assert html.count("title=") == 1


def test_breakable_columns_break_long_words_and_text_keeps_its_line_breaks():
    df = pd.DataFrame({"Datei": ["sehr_lange_datei_ohne_trennstelle.csv"], "Art": ["Spritzenfunde"]})
    html = html_table(df, breakable={"Datei"})
    cells = re.findall(r"<td style=\"([^\"]*)\">", html)
    assert "overflow-wrap:anywhere" in cells[0] and "overflow-wrap:anywhere" not in cells[1]
    assert "anywhere" not in html.split("<tbody>")[0]  # headings keep their words whole
    assert all("white-space:pre-line" in c for c in cells)  # "Titel\nArt · Ort" reads as two lines
    two_lines = html_table(pd.DataFrame({"Vereinbarung": ["Rückschnitt\nGrünrückschnitt · Rabet"]}))
    assert "Rückschnitt\nGrünrückschnitt · Rabet" in two_lines
