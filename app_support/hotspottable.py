"""The Top-Hotspots table as the Lagekarte and the Vergleich page show it: the same columns, the same test
per hotspot area (:func:`geo.report.keychanges.hotspot_table`) and the same tooltip saying what is tested."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_support.htmltable import show_table
from geo.report.keychanges import HOTSPOT_TEST_HELP, VERDICT_COLUMN, hotspot_table


def show_hotspots(top: pd.DataFrame, kind: str, days: float, days_previous: float, *, name: str,
                  caption: str) -> None:
    """``caption`` and the German table of ``top`` (:func:`geo.analysis.placenames.top_hotspots`; ``finds`` in
    the period of ``days`` days, ``change`` against the one of ``days_previous``), as HTML table ``name``."""
    if not len(top):
        st.info("Keine signifikanten Hotspots im Zeitraum.")
        return
    shown = hotspot_table(top, kind, days, days_previous)
    st.caption(caption)
    show_table(shown, numeric={c for c in shown.columns if c not in ("Ort", VERDICT_COLUMN)}, name=name,
               titles={VERDICT_COLUMN: HOTSPOT_TEST_HELP})
