"""Escaping of data texts before they reach HTML or JavaScript.

Folium popups and tooltips insert their text as HTML, and some of folium's templates put it
into JavaScript template literals (backticks), where ``${…}`` is evaluated. Every text that
comes from data (names, descriptions, sources, file names) therefore goes through
:func:`escape_text` before it is placed into HTML, and every value embedded into a
``<script>`` goes through :func:`js_json`.
"""

from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import pandas as pd

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")


def escape_text(value: object) -> str:
    """Make any value safe as HTML text or attribute value.

    ``html.escape`` (``& < > " '``) plus the characters that matter inside JavaScript
    template literals: the backtick becomes ``&#96;`` and ``$`` becomes ``&#36;`` (so
    ``${alert(1)}`` cannot be interpolated). Missing values give an empty string.

    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text("${alert(1)} `x`")
    '&#36;{alert(1)} &#96;x&#96;'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    return html.escape(str(value), quote=True).replace("`", "&#96;").replace("$", "&#36;")


#: Characters with a meaning in (Streamlit's) Markdown: emphasis, links, code, HTML, LaTeX, ``:emoji:``/``:red[…]``.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:=&")


def escape_markdown(value: object) -> str:
    """Make a data text (e.g. an uploaded file's name) literal inside Markdown: every special character is
    backslash-escaped and line breaks become spaces, so nothing is rendered as a link, heading, image or colour.

    >>> print(escape_markdown("**fett** [x](http://e.de)"))
    \\*\\*fett\\*\\* \\[x\\]\\(http\\://e\\.de\\)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = " ".join(str(value).splitlines())
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def js_json(value: object) -> str:
    """JSON text that can be placed inside ``<script>`` or a JavaScript template literal.

    ``<``, ``>``, ``&``, the backtick, ``$`` and the line separators U+2028/U+2029 are
    written as ``\\uXXXX`` escapes, so no data text can close the script element, open a
    comment, or be interpolated; the parsed value is unchanged. NumPy scalars and arrays are
    converted; NaN becomes ``null``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default, allow_nan=False)
    # a regular expression finds the few characters to escape ~20x faster than str.translate
    # walks megabytes of layer data
    return _JS_UNSAFE.sub(_js_escape, text)


_JS_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&`$\u2028\u2029"}
_JS_UNSAFE = re.compile("[<>&`$\u2028\u2029]")


def _js_escape(match: re.Match) -> str:
    return _JS_ESCAPES[ord(match.group())]


def _json_default(obj: object) -> object:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def safe_colour(colour: str, default: str = "#777777") -> str:
    """``colour`` if it is a hex colour such as ``#d62f27``, otherwise ``default``."""
    return colour if isinstance(colour, str) and _HEX_COLOUR.match(colour) else default
