"""Follow-up of the Drogenrapport's agreements: did what was carried out work?

For every agreement that was carried out (status umgesetzt or beendet), is linked to a measure
record and was carried out at least :data:`FOLLOW_UP_MIN_DAYS` days before the latest data, the
measure evaluation (:func:`geo.analysis.evaluate.evaluate_measure`: before/after windows of equal
length, treated area = 150 m around points and lines, control = rest of the study area) runs on the
syringe finds, and its verdict becomes one German line::

    Behälter Torgauer Platz: umgesetzt 01.11.2025 — Wirkung: −54 % Funde im Umkreis

The percentage is the difference-in-differences change ``100 · (R − 1)`` with
``R = (T1/T0) / (C1/C0)``: the change of finds in the treated area relative to the control.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.evaluate import DEFAULT_BUFFER_M
from geo.core import fmt
from geo.core.area import StudyArea
from geo.core.errors import UserError
from geo.core.quality import spatial_records
from geo.core.schema import (
    KINDS,
    MEASURE_KINDS,
    MEASURE_SHORT_LABELS,
    RECORD_ID,
    SYRINGE_FIND,
)

#: Least number of days between carrying out and the latest data before the effect is evaluated.
FOLLOW_UP_MIN_DAYS = 56
#: Report kind whose change is evaluated.
FOLLOW_UP_KIND = SYRINGE_FIND
#: Short German names of the measure kinds for the follow-up line (the schema's).
SHORT_LABELS: dict[str, str] = MEASURE_SHORT_LABELS
#: Why the follow-up's caution (:attr:`geo.analysis.sensitivity.VerdictSensitivity.sentence`) may name fewer cases
#: than the Vergleich page's for the same measure: the same check, on the finds the effect is measured in only.
SENSITIVITY_SCOPE_NOTE = ("»Vorsicht« und die Tabelle darunter: dieselbe Prüfung über Ringbreiten wie auf der Seite "
                          "»Vergleich« → Maßnahmen, hier nur mit den Spritzenfunden, an denen die Wirkung gemessen "
                          "wird; dort auch mit Beschwerden und Szenebeobachtungen, darum kann sie dort mehr nennen.")
FOLLOW_UP_COLUMNS: tuple[str, ...] = ("agreement_id", "label", "done", "verdict", "verdict_label", "change_pct",
                                      "window_days", "text", "sensitivity", "sensitivity_table")


def _percent(value: float) -> str:
    """``−54 %`` / ``+12 %`` with the typographic minus of the issue's wording; ``–`` when missing."""
    return fmt.percent(value / 100.0 if value is not None else None, sign=True).replace("-", "−")


def _date(value) -> str:
    return fmt.date(value)


def short_label(agreement: Mapping) -> str:
    """``Behälter Torgauer Platz``: short kind name and place (the title when there is no place)."""
    place = str(agreement.get("place") or "").strip()
    if not place:
        return str(agreement.get("title", ""))
    return f"{SHORT_LABELS.get(str(agreement.get('kind')), 'Maßnahme')} {place}"


def follow_up_line(label: str, done, verdict: str, verdict_label: str, change_pct: float) -> str:
    """The German line for one agreement (see the module docstring)."""
    head = f"{label}: umgesetzt {_date(done)}"
    if verdict == "not_evaluable":
        return f"{head} — Wirkung: nicht auswertbar"
    return f"{head} — {verdict_label}: {_percent(change_pct)} Funde im Umkreis"


def due_for_follow_up(agreements: pd.DataFrame, data_end: date, min_days: int = FOLLOW_UP_MIN_DAYS) -> np.ndarray:
    """Carried-out agreements with a measure record, done at least ``min_days`` before ``data_end``."""
    if not len(agreements):
        return np.zeros(0, dtype=bool)
    done = pd.to_datetime(agreements["done"])
    return (agreements["status"].isin(["done", "ended"]) & (agreements["measure_id"].astype(str) != "")
            & done.notna() & ((pd.Timestamp(data_end) - done).dt.days >= int(min_days))).to_numpy()


def follow_up(
    agreements: gpd.GeoDataFrame,
    measures: Mapping[str, gpd.GeoDataFrame],
    finds: gpd.GeoDataFrame,
    area: StudyArea,
    *,
    data_end: date | None = None,
    min_days: int = FOLLOW_UP_MIN_DAYS,
    sensitivity: bool = False,
    **options,
) -> pd.DataFrame:
    """The evaluation of every carried-out agreement due for follow-up (:func:`due_for_follow_up`).

    Parameters
    ----------
    agreements : :meth:`geo.data.store.Store.agreements`.
    measures : measure kind → all its records (with ``record_id``).
    finds : all syringe finds (every date; the windows are cut from them).
    area : study area.
    data_end : latest date of the data (default: the latest find).
    min_days : see :data:`FOLLOW_UP_MIN_DAYS`.
    sensitivity : also run :func:`geo.analysis.sensitivity.verdict_sensitivity` (ring widths 200, 300,
        500 m): ``sensitivity`` is its German sentence, ``sensitivity_table`` its table (else empty).
    options : passed to :func:`geo.analysis.evaluate.evaluate_measure` (``radius_m``, ``buffer_m``, …).

    Returns
    -------
    DataFrame with :data:`FOLLOW_UP_COLUMNS`, one row per evaluated agreement (``verdict`` codes of
    :data:`geo.analysis.evaluate.VERDICTS`, ``change_pct`` the DiD change in %, ``text`` the German line).
    """
    from geo.analysis.evaluate import VERDICTS
    from geo.analysis.timeseries import measure_table

    if data_end is None:
        data_end = pd.to_datetime(finds[KINDS[FOLLOW_UP_KIND].date_field]).max().date() if len(finds) else None
    if data_end is None or not len(agreements):
        return pd.DataFrame(columns=list(FOLLOW_UP_COLUMNS))
    due = agreements[due_for_follow_up(agreements, data_end, min_days)]
    finds, _stacked = spatial_records(finds)  # no geocoding fallback point counts as a find at a place
    table = measure_table({k: v for k, v in measures.items() if k in MEASURE_KINDS}, area.crs)
    by_id = table.set_index(table[RECORD_ID].astype(str))
    rows = []
    for _, a in due.iterrows():  # a handful per meeting
        label = short_label(a)
        measure = None
        if a["measure_id"] in by_id.index:
            measure = by_id.loc[a["measure_id"]]
            measure = (measure.iloc[0] if isinstance(measure, pd.DataFrame) else measure).copy()
            measure[RECORD_ID] = a["measure_id"]
        result = _evaluate(measure, finds, area, sensitivity, options)
        code = result["verdict"]
        rows.append({"agreement_id": int(a["agreement_id"]), "label": label, "done": a["done"], **result,
                     "verdict_label": VERDICTS[code][0],
                     "text": follow_up_line(label, a["done"], code, VERDICTS[code][0], result["change_pct"])})
    return pd.DataFrame(rows, columns=list(FOLLOW_UP_COLUMNS))


def _evaluate(measure: pd.Series | None, finds: gpd.GeoDataFrame, area: StudyArea, sensitivity: bool,
              options: dict) -> dict:
    """Verdict, DiD change and window of one measure (and its sensitivity); ``not_evaluable`` when it fails."""
    from geo.analysis.evaluate import evaluate_measure
    from geo.analysis.sensitivity import verdict_sensitivity

    out = {"verdict": "not_evaluable", "change_pct": np.nan, "window_days": 0, "sensitivity": "",
           "sensitivity_table": None}
    if measure is None:
        return out
    try:
        ev = evaluate_measure(measure, finds, FOLLOW_UP_KIND, area, **options)
    except UserError:
        return out
    out |= {"verdict": ev.verdict, "change_pct": ev.did.get("change_pct", np.nan), "window_days": ev.window_days}
    if sensitivity:
        extra = {k: v for k, v in options.items() if k != "buffer_m"}
        sens = verdict_sensitivity(measure, {FOLLOW_UP_KIND: finds}, area, kind=FOLLOW_UP_KIND,
                                   buffer_m=options.get("buffer_m", DEFAULT_BUFFER_M), **extra)
        out |= {"sensitivity": sens.sentence(), "sensitivity_table": sens.table}
    return out


def follow_up_from_store(store, agreements: gpd.GeoDataFrame | None = None, **options) -> pd.DataFrame:
    """:func:`follow_up` on the agreements, measures and finds of a :class:`geo.data.store.Store`."""
    agreements = store.agreements() if agreements is None else agreements
    if not len(agreements) or not due_for_follow_up(agreements, date(2200, 1, 1), 0).any():
        return pd.DataFrame(columns=list(FOLLOW_UP_COLUMNS))
    kinds = set(agreements["kind"]) & set(MEASURE_KINDS)
    measures = {k: store.read(k) for k in kinds}
    return follow_up(agreements, measures, store.read(FOLLOW_UP_KIND), store.area, **options)


__all__ = ["FOLLOW_UP_COLUMNS", "FOLLOW_UP_MIN_DAYS", "SENSITIVITY_SCOPE_NOTE", "follow_up", "follow_up_from_store",
           "follow_up_line", "short_label"]
