"""Single reports entered by hand (a find in the field, a complaint on the phone, an observation).

A single report goes through the same checks as a file import (:func:`geo.data.ingest.import_frame`:
date not in the future, count at least 1, category from the list, point inside the study area, no
duplicate of a stored record) and is stored in one atomic write with an import record and an audit
line. A correction stores the corrected record first and then deletes the old one with the reason
"Korrektur" (:func:`geo.data.retention.delete_records`, the existing deletion rule: a reason is
mandatory and logged); if the corrected record is refused, nothing changes. Fields a role may not
see (complaint texts, reporting persons) are carried over from the stored record unless given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from geo.core.errors import UserError
from geo.core.schema import RECORD_ID, REPORT_KINDS, get_kind
from geo.data.ingest import ColumnOptions, import_frame
from geo.data.retention import delete_records
from geo.data.store import Store


@dataclass(frozen=True)
class SingleResult:
    """What happened to one hand-entered report: ``record_id`` of the stored record (``""`` if refused)."""

    kind: str
    record_id: str
    message: str


def _check_kind(kind: str) -> str:
    k = get_kind(kind)
    if k.name not in REPORT_KINDS:
        raise UserError(f"Einzeln erfassen lassen sich nur Meldungen ({', '.join(REPORT_KINDS)}), nicht {k.label}.")
    return k.name


def add_report(store: Store, kind: str, values: dict, lat: float, lon: float, *, user: str,
               now: datetime | None = None) -> SingleResult:
    """Store one report of ``kind`` with field ``values`` at WGS84 ``lat``/``lon``.

    Raises
    ------
    UserError
        The report is refused (German reason from the import checks); nothing is stored.
    """
    kind = _check_kind(kind)
    try:
        lat, lon = float(str(lat).replace(",", ".")), float(str(lon).replace(",", "."))
    except ValueError:
        raise UserError(f"Koordinaten '{lat}', '{lon}' nicht lesbar.") from None
    row = {k: v for k, v in values.items() if k in get_kind(kind).field_names} | {"lat": lat, "lon": lon}
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
    report = import_frame(pd.DataFrame([row]), kind, store, source=f"Einzelmeldung {user} {stamp}",
                          options=ColumnOptions(lat="lat", lon="lon"), user=user, now=now)
    if report.stored != 1:
        reason = report.rejects["reason"].iloc[0] if len(report.rejects) else "unbekannter Grund"
        raise UserError(f"Meldung nicht gespeichert: {reason}.")
    stored = store.read(kind)
    new_id = _newest_id(stored, report.import_id)
    return SingleResult(kind, new_id, f"{get_kind(kind).label} gespeichert (ID {new_id}).")


def _newest_id(stored, import_id: int) -> str:
    hit = stored[stored["import_id"] == import_id]
    return str(hit[RECORD_ID].iloc[-1]) if len(hit) else ""


def get_report(store: Store, kind: str, record_id: str) -> pd.Series:
    """One stored report by its ``record_id``; German error if there is none."""
    kind = _check_kind(kind)
    stored = store.read(kind)
    hit = stored[stored[RECORD_ID] == str(record_id).strip().lower()]
    if not len(hit):
        raise UserError(f"Keine {get_kind(kind).label}-Meldung mit der ID '{record_id}'.")
    return hit.iloc[0]


def correct_report(store: Store, kind: str, record_id: str, values: dict, lat: float, lon: float, *, user: str,
                   now: datetime | None = None) -> SingleResult:
    """Replace a stored report by a corrected one (new record first, then the old one deleted, audited)."""
    kind = _check_kind(kind)
    old = get_report(store, kind, record_id)
    merged = {f: old[f] for f in get_kind(kind).field_names if f in old} | dict(values)
    try:
        new = add_report(store, kind, merged, lat, lon, user=user, now=now)
    except UserError as exc:
        if "bereits gespeichert" in str(exc) or "Duplikat" in str(exc):
            raise UserError("Die Korrektur ändert nichts an der Meldung; nichts gespeichert.") from None
        raise
    delete_records(store, kind, [old[RECORD_ID]], reason=f"Korrektur, ersetzt durch {new.record_id}", user=user)
    return SingleResult(kind, new.record_id, f"{get_kind(kind).label} korrigiert (neue ID {new.record_id}).")


def delete_report(store: Store, kind: str, record_id: str, *, reason: str, user: str) -> SingleResult:
    """Delete one report with a mandatory reason (audited; :func:`geo.data.retention.delete_records`)."""
    kind = _check_kind(kind)
    get_report(store, kind, record_id)
    delete_records(store, kind, [record_id], reason=reason, user=user)
    return SingleResult(kind, "", f"{get_kind(kind).label} gelöscht.")


__all__ = ["SingleResult", "add_report", "correct_report", "delete_report", "get_report"]
