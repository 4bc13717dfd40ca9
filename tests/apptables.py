"""Read the Lagekarte's HTML tables (:mod:`app_support.htmltable`) back from an AppTest run."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("data-table") or "", [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(at) -> dict[str, pd.DataFrame]:
    """``data-table`` name → the table as text cells (header row as columns)."""
    parser = _Tables()
    for element in at.get("html"):
        parser.feed(element.proto.body)
    return {name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in parser.tables.items() if rows}
