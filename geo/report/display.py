"""Tables as people read them: German numbers, dates and yes/no, ``–`` for a missing value.

The app shows tables with :func:`german_table` instead of handing raw frames to the browser, where
``None``, ``nan``, ``0.5907``, ``3320`` or ``2026-10-31T14:05:00`` would appear. Every cell becomes
text (decimal comma, thousands dot, ``31.10.2026 14:05``); column order and names are kept.

>>> import pandas as pd
>>> t = german_table(pd.DataFrame({"n": [3320, None], "r": [0.5907, 1.11], "ok": [True, False]}),
...                  decimals={"r": 2})
>>> t.to_dict("list")
{'n': ['3.320', '–'], 'r': ['0,59', '1,11'], 'ok': ['ja', 'nein']}
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.core import fmt

format_number = fmt.number

#: The text of a missing value.
MISSING = fmt.MISSING
#: Decimals of a float column without an entry in ``decimals``.
DEFAULT_DECIMALS = 2


def _datetime_text(values: pd.Series) -> pd.Series:
    """Dates as ``31.10.2026``, or ``31.10.2026 14:05`` when any value has a time of day."""
    t = pd.to_datetime(values, errors="coerce")
    with_time = bool((t.notna() & ((t.dt.hour != 0) | (t.dt.minute != 0))).any())
    text = t.dt.strftime(fmt.DATETIME_FORMAT if with_time else fmt.DATE_FORMAT)
    return text.where(t.notna(), MISSING)


#: A p-value as ``< 0,001`` or ``0,049`` (:func:`geo.core.fmt.p_value`).
p_value_text = fmt.p_value


def german_column(values: pd.Series, decimals: int | None = None) -> pd.Series:
    """One column as German text (see :func:`german_table`); ``decimals`` for numbers (default:
    0 for whole numbers, also with gaps, :data:`DEFAULT_DECIMALS` otherwise)."""
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.map({True: "ja", False: "nein"}).astype(object)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _datetime_text(s)
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = s.to_numpy(dtype=float)
        whole = pd.api.types.is_integer_dtype(s.dtype) or bool(np.all(np.isnan(values) | (values == np.round(values))))
        digits = decimals if decimals is not None else (0 if whole else DEFAULT_DECIMALS)
        return pd.Series([format_number(v, digits) for v in s.to_numpy(dtype=float)], index=s.index, dtype=object)
    digits = DEFAULT_DECIMALS if decimals is None else decimals
    return s.astype(object).map(lambda v: _cell(v, digits))


def _cell(v: object, digits: int) -> str:
    """One cell of a mixed (object) column as German text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return MISSING
    if isinstance(v, bool | np.bool_):
        return "ja" if v else "nein"
    if isinstance(v, int | np.integer):
        return format_number(float(v), 0)
    if isinstance(v, float | np.floating):
        return MISSING if np.isnan(v) else format_number(float(v), 0 if float(v).is_integer() else digits)
    if isinstance(v, pd.Timestamp):
        return _datetime_text(pd.Series([v])).iloc[0]
    text = str(v)
    return MISSING if text in ("None", "nan", "NaN", "NaT", "<NA>") else text


def german_table(df: pd.DataFrame, decimals: Mapping[str, int] | None = None,
                 datetimes: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``df`` with every cell as German text; geometry columns are dropped.

    Parameters
    ----------
    df : any table (not modified).
    decimals : decimals per numeric column (others: 0 for integers, 2 for floats).
    datetimes : text columns holding ISO timestamps (e.g. from the import history) to show as
        ``31.10.2026 14:05``.
    """
    decimals = dict(decimals or {})
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if getattr(s.dtype, "name", "") == "geometry":
            continue
        if col in datetimes:
            s = pd.to_datetime(s, errors="coerce", format="mixed")
        out[col] = german_column(s, decimals.get(col))
    return out


__all__ = ["MISSING", "german_column", "german_table", "p_value_text"]
