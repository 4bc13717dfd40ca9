"""A quote that is never closed in a CSV file: found, named by its line, and kept from swallowing the rest.

Left alone, a CSV parser reads everything after an opening ``"`` without its partner as one
field, so the rest of the file silently disappears into one cell. :func:`close_open_quote`
finds such a quote and removes it from its line, so that row is rejected with the line
number and every following row is read as usual (issue 16).
"""

from __future__ import annotations

import csv
import io


def close_open_quote(text: str, delimiter: str) -> tuple[str, tuple[int, str] | None]:
    """Find a quote that is never closed (it would swallow the rest of the file into one field).

    Returns the text with that line's quote characters removed (so the following lines are
    read as rows again) and ``(data row index, German reason naming the file's line)``, or the
    text unchanged and None. Only files with an odd number of ``"`` are scanned line by line.
    """
    if text.count('"') % 2 == 0:
        return text, None
    lines = text.split("\n")
    inside, start = False, None
    for i, line in enumerate(lines):
        if line.count('"') % 2:
            inside = not inside
            if inside:
                start = i
    if not inside or start is None or start == 0:
        return text, None
    before = sum(1 for r in csv.reader(io.StringIO("\n".join(lines[:start]), newline=""), delimiter=delimiter)
                 if r)
    lines[start] = lines[start].replace('"', "")
    reason = f"Anführungszeichen in Zeile {start + 1} der Datei nicht geschlossen"
    return "\n".join(lines), (before - 1, reason)
