"""The domain of Lagebild in one place: record kinds, their fields, German labels and colours.

Every other module (ingest, store, layers, app, CLI) reads the kinds from here. Adding a
field or a kind means editing this file only.

Families
--------
``report``  events that are counted: syringe finds, complaints, scene observations.
``place``   sensitive places (with a protective buffer) and districts (Ortsteile).
``measure`` what the partners did: disposal bins, greenery cuts, structural changes,
            police presence, street work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FieldType = Literal["datetime", "int", "float", "str", "category"]
Family = Literal["report", "place", "measure"]

#: Columns every stored record carries in addition to its kind's fields.
#: ``record_id`` is a content hash (16 hex digits): identical records get the same id.
RECORD_ID = "record_id"
IMPORT_ID = "import_id"
SYSTEM_COLUMNS: tuple[str, ...] = (RECORD_ID, IMPORT_ID)

#: Complaint categories (fixed list; anything else is rejected on import).
COMPLAINT_CATEGORIES: tuple[str, ...] = (
    "Drogenhandel",
    "Konsum",
    "Müll/Spritzen",
    "Lärm",
    "Aggression",
    "Sonstiges",
)
PLACE_TYPES: tuple[str, ...] = ("Kita", "Schule", "Spielplatz", "Park", "Sonstiges")
#: Suggested (not enforced) values for the source of a syringe find.
FIND_SOURCES: tuple[str, ...] = ("Stadtreinigung", "Streetwork", "Polizei", "Bürger", "Sonstige")
COMPLAINT_CHANNELS: tuple[str, ...] = ("Telefon", "E-Mail", "Bürgerbüro", "Online", "Sonstiges")


@dataclass(frozen=True)
class Field:
    """One attribute of a record kind.

    Parameters
    ----------
    name : English identifier, the column name in the store.
    type : ``datetime`` (local time, naive), ``int``, ``float``, ``str`` or ``category``
        (one of ``choices``; other values are rejected).
    label : German label shown to users.
    required : rows without a value are rejected.
    default : value used when the column is absent or the cell is empty.
    choices : allowed values of a ``category`` field.
    minimum : smallest allowed numeric value.
    aliases : further accepted column names in input files (compared case- and
        umlaut-insensitively, see :func:`normalise_name`).
    private : ``"text"`` for free texts, ``"person"`` for who reported it; such fields
        leave the server only for the role ``analyse``.
    """

    name: str
    type: FieldType
    label: str
    required: bool = False
    default: object = None
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    aliases: tuple[str, ...] = ()
    private: Literal["text", "person"] | None = None


@dataclass(frozen=True)
class Kind:
    """A record kind: what it is called, how it looks, which fields and geometries it has.

    ``date_field`` is the date that places a record in a period; ``end_field`` (measures)
    ends its validity (empty = still active). ``weight_field`` is summed when records are
    counted (syringes per find); without it each record counts 1. ``map_symbol`` is how the
    map legend draws it: ``dot``, ``line`` or ``area``.
    """

    name: str
    family: Family
    label: str
    label_plural: str
    colour: str
    marker: str
    geometries: tuple[str, ...]
    fields: tuple[Field, ...]
    date_field: str | None = None
    end_field: str | None = None
    weight_field: str | None = None
    description: str = ""
    map_symbol: Literal["dot", "line", "area"] = "dot"

    def field(self, name: str) -> Field:
        """Return the field called ``name`` (KeyError if the kind has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def columns(self) -> list[str]:
        """All stored attribute columns (system columns first, then the fields)."""
        return [*SYSTEM_COLUMNS, *self.field_names]

    @property
    def is_point_only(self) -> bool:
        return self.geometries == ("Point",)


#: Names (ids) of the record kinds. Code that gives a kind a special role (finds are weighted,
#: bins are sited, places get a protective distance …) names it through these constants; a kind
#: name appears as a string literal only here and where a user types it.
SYRINGE_FIND = "syringe_find"
COMPLAINT = "complaint"
SCENE_OBSERVATION = "scene_observation"
SENSITIVE_PLACE = "sensitive_place"
DISTRICT = "district"
DISPOSAL_BIN = "disposal_bin"
GREENERY_CUT = "greenery_cut"
STRUCTURAL_CHANGE = "structural_change"
POLICE_PRESENCE = "police_presence"
STREETWORK = "streetwork"
#: The report kind analyses start with (CLI default of ``--kind``, the app's first choice).
DEFAULT_REPORT_KIND = SYRINGE_FIND

#: Default distances (metres), each in one place.
#: Protective distance around a sensitive place when the record gives none.
PLACE_BUFFER_M = 100.0
#: Radius of a measure's treated area around points and lines (polygons are used as they are).
MEASURE_RADIUS_M = 150.0
#: Width of the displacement ring around a measure's treated area (evaluation).
EVALUATION_BUFFER_M = 300.0
#: Width of the control ring of an evaluation (``--control ring``).
CONTROL_WIDTH_M = 1000.0

_SOURCE = Field(
    "source", "str", "Quelle", default="Sonstige",
    aliases=("quelle", "herkunft", "gemeldet_von_organisation", "organisation"),
)
_DESCRIPTION = Field(
    "description", "str", "Beschreibung", default="",
    aliases=("beschreibung", "bemerkung", "notiz", "text", "massnahme"),
    private=None,
)
_START = Field("start", "datetime", "Beginn", required=True, aliases=("beginn", "von", "start", "datum", "date"))
_END = Field("end", "datetime", "Ende", aliases=("ende", "bis", "end"))

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            SYRINGE_FIND, "report", "Spritzenfund", "Spritzenfunde", "#7b1fa2", "o", ("Point",),
            (
                Field("found_at", "datetime", "Fundzeit", required=True,
                      aliases=("datum", "date", "fundzeit", "funddatum", "fund_datum", "zeitpunkt", "zeit")),
                Field("count", "int", "Anzahl", default=1, minimum=1,
                      aliases=("anzahl", "menge", "spritzen", "anzahl_spritzen")),
                _SOURCE,
                Field("reporter", "str", "Meldende Person", default="",
                      aliases=("melder", "meldende_person", "gemeldet_von", "reported_by"), private="person"),
            ),
            date_field="found_at", weight_field="count",
            description="Gefundene Spritzen; eine Zeile je Fundstelle, Anzahl = Zahl der Spritzen.",
        ),
        Kind(
            COMPLAINT, "report", "Beschwerde", "Beschwerden", "#ef6c00", "s", ("Point",),
            (
                Field("received_at", "datetime", "Eingang", required=True,
                      aliases=("datum", "date", "eingang", "eingangsdatum", "zeitpunkt", "zeit")),
                Field("category", "category", "Kategorie", required=True, choices=COMPLAINT_CATEGORIES,
                      aliases=("kategorie", "art", "thema")),
                Field("channel", "str", "Eingangskanal", default="Sonstiges",
                      aliases=("kanal", "eingangskanal", "weg")),
                Field("text", "str", "Text", default="",
                      aliases=("beschreibung", "inhalt", "freitext", "bemerkung"), private="text"),
                Field("reporter", "str", "Meldende Person", default="",
                      aliases=("melder", "meldende_person", "gemeldet_von", "reported_by"), private="person"),
            ),
            date_field="received_at",
            description="Beschwerden von Anwohnenden und Gewerbe, mit Kategorie aus fester Liste.",
        ),
        Kind(
            SCENE_OBSERVATION, "report", "Szenebeobachtung", "Szenebeobachtungen", "#c62828", "^", ("Point",),
            (
                Field("observed_at", "datetime", "Beobachtet am", required=True,
                      aliases=("datum", "date", "beobachtet_am", "zeitpunkt", "zeit")),
                Field("persons", "int", "Personen", default=1, minimum=1,
                      aliases=("personen", "anzahl", "anzahl_personen", "count")),
                _SOURCE,
            ),
            date_field="observed_at",
            description="Beobachtete offene Drogenszene (Zahl der Personen).",
        ),
        Kind(
            SENSITIVE_PLACE, "place", "besonders sensibler Ort", "besonders sensible Orte", "#2e7d32", "P",
            ("Point", "Polygon"),
            (
                Field("name", "str", "Name", required=True, aliases=("name", "bezeichnung", "ort")),
                Field("place_type", "category", "Art", default="Sonstiges", choices=PLACE_TYPES,
                      aliases=("art", "typ", "type", "ortstyp")),
                Field("buffer_m", "float", "Schutzabstand (m)", default=PLACE_BUFFER_M, minimum=1,
                      aliases=("puffer", "puffer_m", "abstand", "buffer", "schutzabstand")),
            ),
            description="Kitas, Schulen, Spielplätze u. a. mit Schutzabstand.",
        ),
        Kind(
            DISTRICT, "place", "Ortsteil", "Ortsteile", "#546e7a", "",
            ("Polygon",),
            (
                Field("name", "str", "Name", required=True, aliases=("name", "ortsteil", "ot_name")),
                Field("number", "str", "Nummer", default="", aliases=("ot", "nummer", "nr", "number", "ot_nr")),
            ),
            description="Ortsteile aus den offenen Daten der Stadt; Grundkarte und Kennzahlen je Ortsteil.",
        ),
        Kind(
            DISPOSAL_BIN, "measure", "Spritzenentsorgungsbehälter", "Spritzenentsorgungsbehälter",
            "#1565c0", "D", ("Point",),
            (
                Field("installed_at", "datetime", "Aufgestellt am", required=True,
                      aliases=("aufgestellt", "aufgestellt_am", "installiert", "datum", "date", "seit")),
                Field("removed_at", "datetime", "Entfernt am", aliases=("entfernt", "entfernt_am", "bis")),
                Field("owner", "str", "Eigentümer", default="Stadtreinigung",
                      aliases=("eigentuemer", "betreiber", "owner")),
                Field("label", "str", "Standort", default="", aliases=("standort", "bezeichnung", "name")),
            ),
            date_field="installed_at", end_field="removed_at",
            description="Spritzenentsorgungsbehälter der Stadtreinigung.",
        ),
        Kind(
            GREENERY_CUT, "measure", "Grünrückschnitt", "Grünrückschnitte", "#558b2f", "v",
            ("Point", "LineString", "Polygon"),
            (
                Field("done_at", "datetime", "Durchgeführt am", required=True,
                      aliases=("datum", "date", "durchgefuehrt", "durchgefuehrt_am")),
                _DESCRIPTION,
            ),
            date_field="done_at", map_symbol="area",
        ),
        Kind(
            STRUCTURAL_CHANGE, "measure", "bauliche Änderung", "bauliche Änderungen", "#6d4c41", "X",
            ("Point", "LineString", "Polygon"),
            (
                Field("done_at", "datetime", "Durchgeführt am", required=True,
                      aliases=("datum", "date", "durchgefuehrt", "durchgefuehrt_am", "fertig")),
                _DESCRIPTION,
            ),
            date_field="done_at", map_symbol="area",
        ),
        Kind(
            POLICE_PRESENCE, "measure", "Polizeipräsenz", "Polizeipräsenz", "#283593", "h",
            ("Point", "Polygon"),
            (_START, _END, _DESCRIPTION),
            date_field="start", end_field="end", map_symbol="area",
        ),
        Kind(
            STREETWORK, "measure", "Streetwork", "Streetwork-Einsätze", "#00897b", "*",
            ("Point", "Polygon"),
            (_START, _END, _DESCRIPTION),
            date_field="start", end_field="end", map_symbol="area",
        ),
    )
}

REPORT_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.family == "report")
PLACE_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.family == "place")
MEASURE_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.family == "measure")

FAMILY_LABELS: dict[str, str] = {"report": "Meldungen", "place": "Orte", "measure": "Maßnahmen"}
#: Short German names of the measure kinds (follow-up lines, chart labels; ``other``: an agreement's other measure).
MEASURE_SHORT_LABELS: dict[str, str] = {
    DISPOSAL_BIN: "Behälter", GREENERY_CUT: "Grünrückschnitt", STRUCTURAL_CHANGE: "Umbau",
    POLICE_PRESENCE: "Polizeipräsenz", STREETWORK: "Streetwork", "other": "Maßnahme",
}

#: ArcGIS-style Gi_Bin classes: label and colour (red = hot, blue = cold).
HOTSPOT_CLASSES: dict[int, tuple[str, str]] = {
    3: ("Hotspot, 99 % Konfidenz", "#d62f27"),
    2: ("Hotspot, 95 % Konfidenz", "#ed7551"),
    1: ("Hotspot, 90 % Konfidenz", "#fab984"),
    0: ("nicht signifikant", "#f7f7f2"),
    -1: ("Coldspot, 90 % Konfidenz", "#c0ccbe"),
    -2: ("Coldspot, 95 % Konfidenz", "#849eba"),
    -3: ("Coldspot, 99 % Konfidenz", "#4575b5"),
}

#: Map colours that belong to no kind: the study area's outline, district boundaries, the border of
#: non-significant grid cells and of count cells.
AREA_OUTLINE_COLOUR = "#263238"
DISTRICT_LINE_COLOUR = "#78909c"
NEUTRAL_CELL_COLOUR = "#9e9e9e"
COUNT_CELL_COLOUR = "#795548"
#: Dashed lines and numbers of measure dates in time series charts.
MEASURE_MARK_COLOUR = "#283593"

#: Colours of the density ramp (Kerndichte, low → high), also used for count classes.
DENSITY_COLOURS: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")

#: Forecast cells (Prognose) by rank class – ranks 1–5, 6–10, the rest: label and colour.
FORECAST_CLASSES: dict[int, tuple[str, str]] = {
    0: ("Prognose: Rang 1–5", "#4a148c"),
    1: ("Prognose: Rang 6–10", "#7b1fa2"),
    2: ("Prognose: weitere Zellen", "#ba68c8"),
}

#: Period-change classes (Vergleich): label and colour.
CHANGE_CLASSES: dict[int, tuple[str, str]] = {
    1: ("signifikante Zunahme", "#d73027"),
    0: ("keine signifikante Änderung", "#f0f0f0"),
    -1: ("signifikante Abnahme", "#4575b4"),
}


def get_kind(name: str) -> Kind:
    """Return the kind called ``name``; raise ``ValueError`` with a German message otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(KINDS)
        raise ValueError(f"Unbekannte Art '{name}'. Bekannt sind: {known}.") from None


#: Emerging hot spot patterns (Trend der Hotspots): code → (German label, colour, German definition).
#: Every pattern has its own hue (warm for hot, cool for cold, as ArcGIS), and a symbol (:data:`EMERGING_SYMBOLS`):
#: seven shades of red could not be told apart on the map.
#: Order = legend order (see :mod:`geo.analysis.emerging` for the rules).
EMERGING_PATTERNS: dict[str, tuple[str, str, str]] = {
    "new_hot": ("Neuer Hotspot", "#e31a1c",
                "Im letzten Zeitabschnitt signifikanter Hotspot, vorher nie signifikant."),
    "consecutive_hot": ("Fortlaufender Hotspot", "#ff7f00",
                        "Ununterbrochen Hotspot in den letzten (mindestens 2) Abschnitten, vorher nie; "
                        "in weniger als 90 % der Abschnitte Hotspot."),
    "intensifying_hot": ("Sich verstärkender Hotspot", "#67000d",
                         "In mindestens 90 % der Abschnitte Hotspot, auch im letzten; die Ballung nimmt "
                         "signifikant zu."),
    "persistent_hot": ("Dauerhafter Hotspot", "#c51b7d",
                       "In mindestens 90 % der Abschnitte Hotspot, auch im letzten; ohne erkennbaren Trend."),
    "diminishing_hot": ("Abnehmender Hotspot", "#fb9a99",
                        "In mindestens 90 % der Abschnitte Hotspot, auch im letzten; die Ballung nimmt "
                        "signifikant ab."),
    "sporadic_hot": ("Sporadischer Hotspot", "#ffd92f",
                     "Im letzten Abschnitt Hotspot, vorher mal ja, mal nein; nie Coldspot."),
    "oscillating_hot": ("Wechselnder Hotspot", "#8c510a",
                        "Im letzten Abschnitt Hotspot, in einem früheren Abschnitt Coldspot."),
    "historical_hot": ("Historischer Hotspot", "#984ea3",
                       "Im letzten Abschnitt kein Hotspot, aber in mindestens 90 % der Abschnitte."),
    "new_cold": ("Neuer Coldspot", "#1f78b4",
                 "Im letzten Zeitabschnitt signifikanter Coldspot, vorher nie signifikant."),
    "consecutive_cold": ("Fortlaufender Coldspot", "#33a02c",
                         "Ununterbrochen Coldspot in den letzten (mindestens 2) Abschnitten, vorher nie; "
                         "in weniger als 90 % der Abschnitte Coldspot."),
    "intensifying_cold": ("Sich verstärkender Coldspot", "#08306b",
                          "In mindestens 90 % der Abschnitte Coldspot, auch im letzten; die Ballung niedriger "
                          "Werte nimmt signifikant zu."),
    "persistent_cold": ("Dauerhafter Coldspot", "#6a3d9a",
                        "In mindestens 90 % der Abschnitte Coldspot, auch im letzten; ohne erkennbaren Trend."),
    "diminishing_cold": ("Abnehmender Coldspot", "#a6cee3",
                         "In mindestens 90 % der Abschnitte Coldspot, auch im letzten; die Ballung niedriger "
                         "Werte nimmt signifikant ab."),
    "sporadic_cold": ("Sporadischer Coldspot", "#01665e",
                      "Im letzten Abschnitt Coldspot, vorher mal ja, mal nein; nie Hotspot."),
    "oscillating_cold": ("Wechselnder Coldspot", "#cab2d6",
                         "Im letzten Abschnitt Coldspot, in einem früheren Abschnitt Hotspot."),
    "historical_cold": ("Historischer Coldspot", "#969696",
                        "Im letzten Abschnitt kein Coldspot, aber in mindestens 90 % der Abschnitte."),
    "no_pattern": ("Kein Muster erkannt", "#f7f7f7", "Keines der Muster oben."),
}
EMERGING_NO_PATTERN = "no_pattern"

#: Verdicts of a measure evaluation (Maßnahmen): code → (German label, colour, German explanation).
EVALUATION_VERDICTS: dict[str, tuple[str, str, str]] = {
    "effect": ("Wirkung", "#1a9850",
               "Im Maßnahmengebiet signifikant weniger Ereignisse als nach dem Kontrollgebiet zu erwarten; "
               "im Pufferring keine signifikante Veränderung."),
    "displacement": ("Verdrängung", "#d73027",
                     "Weniger Ereignisse im Maßnahmengebiet, aber signifikant mehr im Pufferring: "
                     "das Geschehen ist vermutlich ausgewichen."),
    "diffusion": ("Ausstrahlung", "#66bd63",
                  "Weniger Ereignisse im Maßnahmengebiet und auch im Pufferring (Ausstrahlung des Nutzens)."),
    "no_effect": ("kein Effekt", "#bdbdbd",
                  "Keine signifikante Abnahme im Maßnahmengebiet gegenüber dem Kontrollgebiet."),
    "not_evaluable": ("nicht auswertbar", "#f0f0f0",
                      "Zu kurze Zeitfenster oder keine Ereignisse vor der Maßnahme."),
}
#: Areas of a measure evaluation: role → (German name, colour on the map).
EVALUATION_AREAS: dict[str, tuple[str, str]] = {
    "treated": ("Maßnahmengebiet", "#283593"),
    "buffer": ("Pufferring", "#ef6c00"),
    "control": ("Kontrollgebiet", "#607d8b"),
}


def resolve_kind(text: str, allowed: tuple[str, ...] | list[str] | None = None) -> str:
    """The kind name a user means: its id, or its German label in singular or plural, any case.

    Umlauts may be spelled out and separators are free (see :func:`normalise_name`). ``allowed``
    limits the answer to some kinds (e.g. :data:`REPORT_KINDS`). Anything else raises
    ``ValueError`` with a German message that lists the accepted names.

    >>> resolve_kind("spritzenfund"), resolve_kind("Beschwerden"), resolve_kind("syringe_find")
    ('syringe_find', 'complaint', 'syringe_find')
    >>> resolve_kind("Grünrückschnitt"), resolve_kind("gruenrueckschnitte"), resolve_kind("Besonders sensible Orte")
    ('greenery_cut', 'greenery_cut', 'sensitive_place')
    >>> resolve_kind("Ortsteil", allowed=REPORT_KINDS)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Die Art 'Ortsteil' ist hier nicht möglich; möglich sind: Spritzenfund (syringe_find), ...
    """
    names = tuple(allowed) if allowed is not None else tuple(KINDS)
    wanted = normalise_name(text)
    hit = next((k.name for k in KINDS.values()
                if wanted in {normalise_name(k.name), normalise_name(k.label), normalise_name(k.label_plural)}), None)
    if hit is not None and hit in names:
        return hit
    listed = ", ".join(f"{KINDS[n].label} ({n})" for n in names)
    if hit is not None:
        raise ValueError(f"Die Art '{text}' ist hier nicht möglich; möglich sind: {listed}.")
    raise ValueError(f"Unbekannte Art '{text}'; möglich sind: {listed}.")


def normalise_name(name: str) -> str:
    """Fold a column name for matching: lower case, umlauts spelled out, separators to ``_``.

    >>> normalise_name(" Länge ")
    'laenge'
    >>> normalise_name("Anzahl Spritzen")
    'anzahl_spritzen'
    """
    s = str(name).strip().lstrip("\ufeff").lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    out = []
    for ch in s:
        out.append(ch if ch.isalnum() else "_")
    return "_".join(p for p in "".join(out).split("_") if p)


#: Accepted column names for coordinates (normalised with :func:`normalise_name`).
LAT_ALIASES: tuple[str, ...] = ("lat", "latitude", "breite", "breitengrad", "geo_breite", "y_wgs84")
LON_ALIASES: tuple[str, ...] = (
    "lon", "lng", "long", "longitude", "laenge", "laengengrad", "geo_laenge", "x_wgs84",
)
X_ALIASES: tuple[str, ...] = ("x", "rechtswert", "easting", "ostwert", "x_coord")
Y_ALIASES: tuple[str, ...] = ("y", "hochwert", "northing", "nordwert", "y_coord")
WKT_ALIASES: tuple[str, ...] = ("wkt", "geometry", "geometrie", "geom")


# ---------------------------------------------------------------------------- agreements (Vereinbarungen)
#: Measure kinds an agreement of the Drogenrapport can have: schema id → German label. All but
#: ``other`` are measure kinds above; a carried-out agreement of such a kind becomes a measure record.
AGREEMENT_KINDS: dict[str, str] = {
    "disposal_bin": KINDS["disposal_bin"].label,
    "greenery_cut": KINDS["greenery_cut"].label,
    "structural_change": KINDS["structural_change"].label,
    "police_presence": KINDS["police_presence"].label,
    "streetwork": KINDS["streetwork"].label,
    "other": "sonstige Maßnahme",
}

#: Bodies that can be responsible for an agreement (kept here, the one list; extend as needed).
RESPONSIBLE_BODIES: tuple[str, ...] = (
    "Stadtreinigung",
    "Amt für Stadtgrün",
    "Polizeidirektion",
    "Ordnungsamt",
    "Streetwork",
    "Drogenhilfe",
    "Jugendamt",
    "Wohnungsbaugesellschaft",
    "Amt für Gebäudemanagement",
    "Gesundheitsamt",
    "Quartiersmanagement",
)

#: Status of an agreement: id → German label, in the order of its life.
AGREEMENT_STATUSES: dict[str, str] = {
    "agreed": "vereinbart",
    "in_progress": "in Umsetzung",
    "done": "umgesetzt",
    "ended": "beendet",
    "rejected": "verworfen",
}
#: Statuses in which an agreement is still open (can be overdue).
OPEN_STATUSES: tuple[str, ...] = ("agreed", "in_progress")
#: Allowed status changes (from → to). ``rejected`` needs a reason.
AGREEMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "agreed": ("in_progress", "done", "rejected"),
    "in_progress": ("done", "rejected"),
    "done": ("ended",),
    "ended": (),
    "rejected": (),
}
#: Colours of the statuses (app list, handout); overdue ones are highlighted with :data:`OVERDUE_COLOUR`.
AGREEMENT_STATUS_COLOURS: dict[str, str] = {
    "agreed": "#1565c0", "in_progress": "#ef6c00", "done": "#2e7d32", "ended": "#607d8b", "rejected": "#9e9e9e",
}
OVERDUE_COLOUR = "#c62828"
OVERDUE_LABEL = "überfällig"

# ---------------------------------------------------------------- quality of time and place (issue 12)
#: Optional columns of report kinds beside their fields: a time window (naive local
#: datetimes, NaT when the source gave none), whether the source gave a date without a time,
#: a flag for windows longer than :data:`MAX_WINDOW_DAYS`, the location flag and how the
#: point was located (the file's precision/geocoder value, kept as text).
TIME_FROM = "time_from"
TIME_TO = "time_to"
DATE_ONLY = "date_only"
TIME_FLAG = "time_flag"
LOCATION_FLAG = "location_flag"
LOCATION_PRECISION = "location_precision"
QUALITY_COLUMNS: dict[str, str] = {
    TIME_FROM: "datetime", TIME_TO: "datetime", DATE_ONLY: "bool", TIME_FLAG: "str",
    LOCATION_FLAG: "str", LOCATION_PRECISION: "str",
}
QUALITY_LABELS: dict[str, str] = {
    TIME_FROM: "Zeitfenster von", TIME_TO: "Zeitfenster bis", DATE_ONLY: "nur Datum", TIME_FLAG: "Zeit-Hinweis",
    LOCATION_FLAG: "Ortsqualität", LOCATION_PRECISION: "Verortung",
}
#: Values of ``location_flag``: "" = fine; records with another value are left out of spatial statistics.
FLAG_STACK = "Sammelpunkt"
FLAG_COARSE = "ungenau"
LOCATION_FLAGS: tuple[str, ...] = ("", FLAG_STACK, FLAG_COARSE)
#: Windows longer than this are stored with ``time_flag`` set.
MAX_WINDOW_DAYS = 14
WINDOW_FLAG = f"Zeitfenster länger als {MAX_WINDOW_DAYS} Tage"
#: Further column names of a report's date (the start of a window) in police and 311 exports.
TIME_FROM_ALIASES: tuple[str, ...] = (
    "time_from", "tatzeit", "tatzeit_von", "tatzeit_beginn", "zeit_von", "datum_von", "von", "beginn",
    "meldedatum", "created_date",
)
#: Column names of a window's end in input files (the start is the kind's date column).
TIME_TO_ALIASES: tuple[str, ...] = (
    "time_to", "bis", "zeit_bis", "datum_bis", "tatzeit_bis", "tatzeit_ende", "tatende", "ende", "endzeit",
    "end", "end_time", "end_date",
)
#: Column names of how a point was located (geocoder, precision in metres or a class).
PRECISION_ALIASES: tuple[str, ...] = (
    "location_precision", "precision", "genauigkeit", "lagegenauigkeit", "geocoder", "geokodierung",
    "geocoding", "accuracy", "location_type", "verortung", "genauigkeit_m", "precision_m",
)
#: Precision classes coarser than a street address (compared after :func:`normalise_name`).
COARSE_PRECISION_WORDS: tuple[str, ...] = (
    "strasse", "street", "strassenmitte", "ortsteil", "stadtteil", "district", "bezirk", "stadt", "city",
    "gemeinde", "plz", "postcode", "postleitzahl", "zip", "zipcode", "approximate", "ungefaehr", "grob",
    "centroid", "zentroid", "geometric_center", "mittelpunkt", "block", "range_interpolated",
)
#: A numeric precision (metres) above this is coarser than the analysis cells.
COARSE_PRECISION_M = 100.0
#: Columns that hold an address or place text (for telling fallback points from real places).
ADDRESS_ALIASES: tuple[str, ...] = (
    "address", "adresse", "anschrift", "strasse", "street", "ort", "fundort", "tatort", "standort",
    "location", "incident_address", "street_address", "lage",
)
#: German labels of the location flags as shown in tables.
DISPLAY_FLAG_LABELS: dict[str, str] = {FLAG_STACK: "Sammelpunkt", FLAG_COARSE: "ungenau verortet"}
#: Short German plural per report kind for one-line notes ("4.548 Funde an einem Sammelpunkt …").
SHORT_PLURALS: dict[str, str] = {SYRINGE_FIND: "Funde", COMPLAINT: "Beschwerden", SCENE_OBSERVATION: "Beobachtungen"}

# ---------------------------------------------------------------------------- base layers (issue 11)
#: Themes of the offline base layers (``lagebild basemap import``): theme → German layer name.
#: Base layers are context, never reports: they are not counted, exported or audited as personal data.
BASE_THEMES: dict[str, str] = {
    "building": "Gebäude",
    "street": "Straßen",
    "green": "Grünflächen",
    "water": "Gewässer",
    "railway": "Bahnstrecken",
}
#: Drawing style of each theme (fill, outline, line width in px) on web and static maps; calm greys
#: so the data stay in front.
BASE_STYLES: dict[str, dict[str, Any]] = {
    "building": {"fill": "#d6d2cc", "line": "#bdb6ad", "width": 0.5},
    "street": {"fill": None, "line": "#ffffff", "width": 3.0, "casing": "#c9c4bc"},
    "green": {"fill": "#dfe8d3", "line": "#c9d8b8", "width": 0.5},
    "water": {"fill": "#cfe0ea", "line": "#a9c6d8", "width": 0.8},
    "railway": {"fill": None, "line": "#9e9e9e", "width": 1.2},
}
#: Columns of a base layer feature besides the geometry.
BASE_COLUMNS: tuple[str, ...] = ("base_name", "theme", "name", "street", "housenumber")

#: Map symbol of each emerging hot spot pattern (Trend der Hotspots), drawn on the cell besides its colour
#: (as ArcGIS marks its categories by hue and symbol): the same glyph for a hot pattern and its cold twin.
EMERGING_SYMBOLS: dict[str, str] = {
    "new_hot": "★", "consecutive_hot": "»", "intensifying_hot": "▲", "persistent_hot": "■",
    "diminishing_hot": "▼", "sporadic_hot": "◆", "oscillating_hot": "↕", "historical_hot": "○",
    "new_cold": "★", "consecutive_cold": "»", "intensifying_cold": "▲", "persistent_cold": "■",
    "diminishing_cold": "▼", "sporadic_cold": "◆", "oscillating_cold": "↕", "historical_cold": "○",
    "no_pattern": "",
}
