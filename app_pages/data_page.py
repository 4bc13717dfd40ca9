"""Daten: import files, see what was stored and rejected, import history, exports.

Uploads go through :func:`geo.data.ingest.import_file` on a temporary copy (the same checks as
the command line). Exports follow the sidebar's period and filters and the user's role;
every export is written to the audit log.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support import public as public_view
from app_support import state, upload_guard
from app_support.files import check_upload_size, export_bytes, upload_limit_mb
from app_support.htmltable import show_table
from geo.core import fmt
from geo.core.area import DEFAULT_CRS, DISPLAY_CRS
from geo.core.errors import UserError
from geo.core.schema import KINDS, REPORT_KINDS
from geo.data.access import (
    K_MIN,
    ROLES,
    log_release,
    may_import,
    may_see_rejects,
    rejects_file,
    release,
    release_rejects,
    restrict_history,
)
from geo.data.exports import neutralise_formulas
from geo.data.people import file_name, records_for_people
from geo.report.display import german_table
from geo.report.figures import active_note
from layers.escape import escape_markdown

UPLOAD_TYPES = ["csv", "txt", "tsv", "geojson", "json", "gpkg", "zip"]
REPORT_KEY = "last_import_report"
#: Roles that may import (:func:`geo.data.access.may_import`).
IMPORT_ROLES = tuple(r for r in ROLES if may_import(r))
HISTORY_COLUMNS = {
    "import_id": "Nr.", "imported_at": "Zeitpunkt", "file_name": "Datei", "kind": "Art", "rows_read": "Zeilen",
    "stored": "gespeichert", "rejected": "abgelehnt", "repaired": "repariert", "user": "durch", "notes": "Hinweise",
}


#: German headings of the importer's columns in the rejected rows.
REJECT_COLUMNS = {"row": "Zeile", "reason": "Grund"}


def rejects_csv(rejects: pd.DataFrame) -> bytes:
    """Rejected rows as CSV for Excel (``;``, UTF-8 with BOM), formula-neutralised, German headings."""
    return neutralise_formulas(rejects.rename(columns=REJECT_COLUMNS)).to_csv(sep=";", index=False) \
        .encode("utf-8-sig")


def run_import(data: bytes, file_name: str, kind: str, *, user: str, layer: str | None = None,
               options=None):
    """Store an uploaded file: write it to a private temporary file and import it.

    Returns the :class:`geo.data.ingest.ImportReport`; raises :class:`UserError` (German) when
    the file is refused as a whole (nothing stored then).
    """
    from geo.data.ingest import import_file

    suffix = Path(file_name).suffix.lower()[:10] or ".dat"
    with tempfile.TemporaryDirectory(prefix="lagebild-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        return import_file(path, kind, state.get_store(), layer=layer or None, options=options,
                           display_name=file_name, user=user)


#: Choices for year-last dates like 03/04/2024 (label → ColumnOptions.date_order).
DATE_ORDERS = {"automatisch": None, "Tag zuerst (TT/MM)": "dayfirst", "Monat zuerst (MM/TT)": "monthfirst"}


def _column_options(lat: str, lon: str, crs: str, date_format: str = "", date_order: str | None = None):
    if not (lat or lon or crs or date_format or date_order):
        return None
    from geo.data.ingest import ColumnOptions

    return ColumnOptions(lat=lat or None, lon=lon or None, crs=crs or None, date_format=date_format or None,
                         date_order=date_order)


def _import_section(user) -> None:
    st.subheader("Datei importieren")
    if user.role not in IMPORT_ROLES:
        st.info("Importieren dürfen nur Nutzerinnen und Nutzer mit der Rolle »analyse«.")
        return
    limit = upload_limit_mb()
    c1, c2 = st.columns([1, 2])
    kind = c1.selectbox("Art der Datensätze", list(KINDS), format_func=lambda k: KINDS[k].label_plural,
                        key="import_kind")
    c1.caption(KINDS[kind].description)
    upload = c2.file_uploader(
        f"Datei (CSV, GeoJSON, GeoPackage oder gezipptes Shapefile; höchstens {fmt.number(limit)} MB)",
        type=UPLOAD_TYPES, key="import_file",
    )
    with st.expander("Weitere Angaben (nur falls nötig)"):
        e1, e2, e3, e4 = st.columns(4)
        layer = e1.text_input("Ebene (GeoPackage)", key="import_layer")
        lat = e2.text_input("Spalte Breite", key="import_lat")
        lon = e3.text_input("Spalte Länge", key="import_lon")
        crs = e4.text_input("Koordinatensystem", placeholder=f"z. B. {DEFAULT_CRS}", key="import_crs")
        d1, d2 = st.columns(2)
        order = d1.radio("Daten wie 03/04/2024", list(DATE_ORDERS), horizontal=True, key="import_date_order",
                         help="Nur nötig, wenn die Datei es nicht selbst entscheidet (kein Tag über 12).")
        date_format = d2.text_input("Datumsformat (strftime)", placeholder="z. B. %d/%m/%Y %H:%M",
                                    key="import_date_format", help="Nur für seltene Formate; sonst automatisch.")
    if st.button("Importieren", type="primary", disabled=upload is None, key="import_go"):
        try:
            check_upload_size(upload.size, limit)
            with st.spinner("Datei wird geprüft und gespeichert …"):
                data, name = upload.getvalue(), upload.name
                upload_guard.release_current(upload.file_id)  # the server's copy is freed at once
                report = run_import(data, name, kind, user=user.name, layer=layer,
                                    options=_column_options(lat, lon, crs, date_format.strip(),
                                                            DATE_ORDERS[order]))
        except UserError as exc:
            st.session_state[REPORT_KEY] = None
            st.error(str(exc))
        else:
            st.session_state[REPORT_KEY] = report
    report = st.session_state.get(REPORT_KEY)
    if report is not None:
        _show_report(report)


def _show_report(report) -> None:
    kind = KINDS[report.kind]
    msg = (f"**{escape_markdown(report.file_name)}** ({kind.label_plural}): "
           f"{fmt.number(report.rows_read)} Zeilen gelesen, **{fmt.number(report.stored)} gespeichert**, "
           f"**{fmt.number(report.rejected)} abgelehnt**")
    (st.success if not report.rejected else st.warning)(msg)
    for line in getattr(report, "lines", []):
        (st.warning if line.startswith(("Sammelpunkt:", "Ungenau")) else st.caption)(line)
    for note in report.notes:
        st.caption(f"Hinweis: {note}")
    if report.earlier_import:
        st.caption(f"Hinweis: Diese Datei wurde bereits am {fmt.datetime_(report.earlier_import)} importiert.")
    if report.rejected and may_see_rejects(state.current_user().role):
        st.markdown("**Abgelehnte Zeilen**")
        reasons = report.reasons.rename_axis("Grund").reset_index(name="Anzahl")
        st.dataframe(german_table(reasons), hide_index=True, width="stretch")
        # the file's own columns may be many: row number and reason stay in view while they scroll sideways
        st.dataframe(german_table(report.rejects.rename(columns=REJECT_COLUMNS)), hide_index=True, width="stretch",
                     height=min(300, 36 * (len(report.rejects) + 1) + 3),
                     column_config={c: st.column_config.Column(pinned=True) for c in REJECT_COLUMNS.values()})
        if len(report.rejects.columns) > len(REJECT_COLUMNS):
            st.caption("Rechts daneben die Zeile, wie sie in der Datei stand – bei vielen Spalten seitlich "
                       "blättern (Zeile und Grund bleiben stehen).")
        user, store, rejects = state.current_user(), state.get_store(), report.rejects

        def make() -> bytes:  # on click only: nothing reaches Streamlit's media store before that
            if not may_see_rejects(user.role):
                raise UserError("Abgelehnte Zeilen erhält nur die Rolle »analyse«.")
            log_release(store, user, what=f"Abgelehnte Zeilen des Imports {report.import_id}", count=len(rejects))
            return rejects_csv(rejects)

        st.download_button("Abgelehnte Zeilen als CSV", data=make,
                           file_name=f"abgelehnt_{Path(report.file_name).stem}.csv", mime="text/csv",
                           key="rejects_download", on_click="ignore")


def _stored_section() -> None:
    st.subheader("Gespeicherte Daten")
    stored = state.store_counts()  # PostGIS: counted as the user's database role
    public = state.current_user().role == "oeffentlich"  # totals below k are not published either
    overview = public_view.overview() if public else None  # PostGIS: the database's suppressed counts
    counts = pd.DataFrame({
        "Art": [KINDS[k].label_plural for k in KINDS],
        "gespeichert": [_shown_count(stored[k], public) if overview is None else
                        _shown_count(overview.loc[k, "records"], public) for k in KINDS],
    })
    if not public:  # what the maps and key figures count: the one rule of geo.core.period.records_in
        period = state.current_filters().period
        counts[STORED_IN_PERIOD] = [fmt.number(len(_in_period(k))) for k in KINDS]
    show_table(german_table(counts), numeric=set(counts.columns[1:]), name="stored")
    if not public:
        st.caption(f"»{STORED_IN_PERIOD}« ({period.label()}, mit den Filtern der Seitenleiste): so viele zeigen "
                   "Karten und Kennzahlen – Meldungen und einmalige Maßnahmen mit Datum im Zeitraum, Behälter und "
                   "andere dauerhafte Maßnahmen, die im Zeitraum aktiv waren; Orte immer alle.")
        for kind in (k for k in KINDS if KINDS[k].end_field):  # lasting measures: few records
            note = active_note(state.load_records(kind, None, restricted=False), kind, period)
            if note:
                st.caption(note)
    latest = state.latest_data_date()
    if latest:
        st.caption(f"Letzte Meldung: {fmt.date(latest)}. Die Zeiträume in der Seitenleiste beziehen sich darauf.")


#: Column of the stored-data table: records that belong to the sidebar's period.
STORED_IN_PERIOD = "im Zeitraum"


def _in_period(kind: str):
    """Records of ``kind`` in the sidebar's period after its filters, as the maps count them (aggregate only)."""
    filters = state.current_filters()
    return state.apply_filters(state.load_records(kind, filters.period, restricted=False), kind, filters)


def _shown_count(n: float, public: bool) -> str:
    """A record count as shown: for the public role below :data:`geo.data.access.K_MIN` (or suppressed by the
    database: NaN) as "unter 5"."""
    return f"unter {K_MIN}" if public and (n != n or 0 < n < K_MIN) else fmt.number(int(n))


#: Roles that may confirm or clear a location flag.
FLAG_ROLES = ("analyse",)


def _stacks_section(user) -> None:
    """Sammelpunkte and coarse points per report kind; ``analyse`` may confirm or clear a flag (audited)."""
    from geo.core.quality import stack_table
    from geo.core.schema import DISPLAY_FLAG_LABELS

    store = state.get_store()
    tables = {}
    for kind in REPORT_KINDS:
        records = state.load_records(kind, None, restricted=False)
        table = stack_table(records)
        if len(table):
            tables[kind] = table
    if not tables:
        return
    st.subheader("Sammelpunkte und ungenaue Orte")
    st.caption("Diese Datensätze sind gespeichert und werden gezählt, aber in Hotspots, Dichte, Vergleich und "
               "Behälterplanung nicht räumlich ausgewertet (Schalter in der Seitenleiste).")
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(store.area.crs, DISPLAY_CRS, always_xy=True)
    rows = []
    for kind, table in tables.items():
        lon, lat = to_wgs.transform(table["x"].to_numpy(), table["y"].to_numpy())
        for i, r in enumerate(table.itertuples()):
            rows.append({"Art": KINDS[kind].label_plural, "Hinweis": DISPLAY_FLAG_LABELS.get(r.flag, r.flag),
                         "Breite": round(float(lat[i]), 5), "Länge": round(float(lon[i]), 5),
                         "Datensätze": int(r.count),
                         "von": pd.Timestamp(r.first).strftime("%d.%m.%Y") if pd.notna(r.first) else "",
                         "bis": pd.Timestamp(r.last).strftime("%d.%m.%Y") if pd.notna(r.last) else "",
                         "_kind": kind, "_ids": r.record_ids})
    shown = pd.DataFrame(rows)
    st.dataframe(shown.drop(columns=["_kind", "_ids"]), hide_index=True, width="stretch")
    if user.role not in FLAG_ROLES:
        return
    c1, c2, c3 = st.columns([3, 1, 1])
    choice = c1.selectbox("Ort", list(range(len(shown))), key="stack_choice",
                          format_func=lambda i: f"{shown.loc[i, 'Art']}: {shown.loc[i, 'Hinweis']} bei "
                                                f"{shown.loc[i, 'Breite']}, {shown.loc[i, 'Länge']} "
                                                f"({shown.loc[i, 'Datensätze']} Datensätze)")
    row = shown.loc[choice]
    if c2.button("Bestätigen", key="stack_confirm", help="Der Ort ist ein Sammelpunkt; Markierung bleibt."):
        store.confirm_location_flag(row["_kind"], row["_ids"], user=user.name)
        st.success("Bestätigt und protokolliert.")
    if c3.button("Markierung aufheben", key="stack_clear",
                 help="Der Ort ist echt (z. B. ein Treffpunkt): Datensätze werden wieder räumlich ausgewertet."):
        n = store.set_location_flag(row["_kind"], row["_ids"], "", user=user.name)
        st.success(f"Markierung von {n} Datensätzen aufgehoben und protokolliert.")


def _history_section(user) -> None:
    st.subheader("Import-Verlauf")
    store = state.user_store()  # PostGIS: oeffentlich may read only number, time and kind (column grants)
    hist = store.imports()
    if not len(hist):
        st.info("Noch keine Importe.")
        return
    shown = restrict_history(hist, user.role)
    shown["kind"] = shown["kind"].map(lambda k: KINDS[k].label_plural if k in KINDS else k)
    table = german_table(shown, datetimes=("imported_at",)).rename(columns=HISTORY_COLUMNS)
    show_table(table, numeric={"Nr.", "Zeilen", "gespeichert", "abgelehnt", "repariert"}, name="history",
               breakable={"Datei", "Hinweise"}, height_px=320)
    if not may_see_rejects(user.role):  # rejected rows are raw rows: texts, persons, exact points
        return
    with_rejects = hist[hist["rejects_file"].map(lambda p: _is_rejects_file(store, p))]
    if len(with_rejects):
        c1, c2 = st.columns([2, 1])
        by_id = with_rejects.set_index("import_id")
        choice = c1.selectbox(
            "Abgelehnte Zeilen eines früheren Imports", with_rejects["import_id"].tolist(),
            format_func=lambda i: f"Nr. {i}: {by_id.loc[i, 'file_name']}", key="history_rejects",
        )
        value = by_id.loc[choice, "rejects_file"]
        c2.download_button("Herunterladen", data=lambda: release_rejects(store, user, value),
                           file_name=Path(str(value)).name, mime="text/csv", key="history_rejects_download",
                           on_click="ignore")


def _is_rejects_file(store, value) -> bool:
    """True if ``value`` (an import's ``rejects_file``) is a reject file inside the store's folder."""
    try:
        rejects_file(store, value)
    except UserError:
        return False
    return True


def _export_section(user) -> None:
    st.subheader("Export")
    filters = state.current_filters()
    store = state.get_store()
    st.caption(f"Zeitraum {filters.period.label()} und Filter aus der Seitenleiste; "
               f"Inhalt nach Rolle »{user.role}«. Jeder Export wird protokolliert.")
    c1, c2, c3 = st.columns([2, 1, 1])
    kinds = [k for k in KINDS if k not in REPORT_KINDS or k in filters.kinds]
    kind = c1.selectbox("Daten", kinds, format_func=lambda k: KINDS[k].label_plural, key="export_kind")
    file_format = c2.radio("Format", ["CSV", "GeoJSON"], horizontal=True, key="export_format")
    gdf = state.filtered_records(kind)
    suffix = ".csv" if file_format == "CSV" else ".geojson"

    def make() -> bytes:  # runs on click, in a separate thread: no Streamlit calls here
        released = release(gdf, kind, user, store, what=f"{file_format}-Download {filters.period.label()}")
        return export_bytes(records_for_people(released, kind, suffix), suffix)  # German headings, Breite/Länge

    c3.download_button(f"{len(gdf)} Datensätze herunterladen", data=make, disabled=not len(gdf),
                       file_name=file_name(kind, filters.period, suffix),
                       mime="text/csv" if file_format == "CSV" else "application/geo+json", key="export_download",
                       on_click="ignore")

    from app_support.mapdata import map_overlays_for_export  # the map's layers: imported when needed

    area, overlays, districts, subtitle, base = map_overlays_for_export()

    def make_html() -> bytes:
        from layers.map import standalone_html

        log_release(store, user, what=f"Karte als HTML {filters.period.label()}")
        return standalone_html(area, overlays, districts=districts, title="Lagebild", subtitle=subtitle,
                               base=base).encode()

    st.download_button("Aktuelle Karte als HTML-Datei", data=make_html, mime="text/html",
                       file_name=f"lagekarte_{filters.period.start:%Y%m%d}-{filters.period.end:%Y%m%d}.html",
                       key="export_html", help="Eine Datei mit Karte, Ebenen und Legende; öffnet ohne Internet.",
                       on_click="ignore")


def render() -> None:
    """Draw the Daten page."""
    user = state.current_user()
    st.title("Daten")
    _import_section(user)
    st.divider()
    _stored_section()
    _history_section(user)  # the page's full width: ten columns readable on a 1400 px wide window
    if user.role != "oeffentlich":
        _stacks_section(user)
    st.divider()
    _export_section(user)
