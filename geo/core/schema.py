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
from typing import Literal

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
    counted (syringes per find); without it each record counts 1.
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
            "syringe_find", "report", "Spritzenfund", "Spritzenfunde", "#7b1fa2", "o", ("Point",),
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
            "complaint", "report", "Beschwerde", "Beschwerden", "#ef6c00", "s", ("Point",),
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
            "scene_observation", "report", "Szenebeobachtung", "Szenebeobachtungen", "#c62828", "^", ("Point",),
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
            "sensitive_place", "place", "besonders sensibler Ort", "besonders sensible Orte", "#2e7d32", "P",
            ("Point", "Polygon"),
            (
                Field("name", "str", "Name", required=True, aliases=("name", "bezeichnung", "ort")),
                Field("place_type", "category", "Art", default="Sonstiges", choices=PLACE_TYPES,
                      aliases=("art", "typ", "type", "ortstyp")),
                Field("buffer_m", "float", "Schutzabstand (m)", default=100.0, minimum=1,
                      aliases=("puffer", "puffer_m", "abstand", "buffer", "schutzabstand")),
            ),
            description="Kitas, Schulen, Spielplätze u. a. mit Schutzabstand.",
        ),
        Kind(
            "district", "place", "Ortsteil", "Ortsteile", "#546e7a", "",
            ("Polygon",),
            (
                Field("name", "str", "Name", required=True, aliases=("name", "ortsteil", "ot_name")),
                Field("number", "str", "Nummer", default="", aliases=("ot", "nummer", "nr", "number", "ot_nr")),
            ),
            description="Ortsteile aus den offenen Daten der Stadt; Grundkarte und Kennzahlen je Ortsteil.",
        ),
        Kind(
            "disposal_bin", "measure", "Spritzenentsorgungsbehälter", "Spritzenentsorgungsbehälter",
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
            "greenery_cut", "measure", "Grünrückschnitt", "Grünrückschnitte", "#558b2f", "v",
            ("Point", "LineString", "Polygon"),
            (
                Field("done_at", "datetime", "Durchgeführt am", required=True,
                      aliases=("datum", "date", "durchgefuehrt", "durchgefuehrt_am")),
                _DESCRIPTION,
            ),
            date_field="done_at",
        ),
        Kind(
            "structural_change", "measure", "bauliche Änderung", "bauliche Änderungen", "#6d4c41", "X",
            ("Point", "LineString", "Polygon"),
            (
                Field("done_at", "datetime", "Durchgeführt am", required=True,
                      aliases=("datum", "date", "durchgefuehrt", "durchgefuehrt_am", "fertig")),
                _DESCRIPTION,
            ),
            date_field="done_at",
        ),
        Kind(
            "police_presence", "measure", "Polizeipräsenz", "Polizeipräsenz", "#283593", "h",
            ("Point", "Polygon"),
            (_START, _END, _DESCRIPTION),
            date_field="start", end_field="end",
        ),
        Kind(
            "streetwork", "measure", "Streetwork", "Streetwork-Einsätze", "#00897b", "*",
            ("Point", "Polygon"),
            (_START, _END, _DESCRIPTION),
            date_field="start", end_field="end",
        ),
    )
}

REPORT_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.family == "report")
PLACE_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.family == "place")
MEASURE_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.family == "measure")

FAMILY_LABELS: dict[str, str] = {"report": "Meldungen", "place": "Orte", "measure": "Maßnahmen"}

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

#: Map symbol of each emerging hot spot pattern (Trend der Hotspots), drawn on the cell besides its colour
#: (as ArcGIS marks its categories by hue and symbol): the same glyph for a hot pattern and its cold twin.
EMERGING_SYMBOLS: dict[str, str] = {
    "new_hot": "★", "consecutive_hot": "»", "intensifying_hot": "▲", "persistent_hot": "■",
    "diminishing_hot": "▼", "sporadic_hot": "◆", "oscillating_hot": "↕", "historical_hot": "○",
    "new_cold": "★", "consecutive_cold": "»", "intensifying_cold": "▲", "persistent_cold": "■",
    "diminishing_cold": "▼", "sporadic_cold": "◆", "oscillating_cold": "↕", "historical_cold": "○",
    "no_pattern": "",
}
