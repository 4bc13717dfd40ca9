"""Facts about a store's content that the app and the command line both need: the latest report date and the
"today" the Rapport periods are computed from."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from geo.core.period import Period, rapport_period
from geo.core.schema import KINDS, REPORT_KINDS


def latest_report_date(store) -> date | None:
    """The date of the newest report of any report kind (``None`` for a store without reports)."""
    latest: list[pd.Timestamp] = []
    for kind in REPORT_KINDS:
        field = KINDS[kind].date_field
        table = store.attributes(kind, [field])
        if len(table):
            latest.append(pd.to_datetime(table[field]).max())
    latest = [t for t in latest if pd.notna(t)]
    return max(latest).date() if latest else None


def reference_date(latest: date | None, today: date | None = None) -> date:
    """The day after the latest report: data up to 31 October make the Rapport period September–October.
    Without data the real today is used."""
    return latest + timedelta(days=1) if latest else (today or date.today())


def current_rapport_period(store, today: date | None = None) -> Period:
    """The Rapport period (the last two whole months) as the app presets it for the store's data."""
    return rapport_period(reference_date(latest_report_date(store), today))
