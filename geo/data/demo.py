"""Synthetic demo data for Leipziger Osten, generated reproducibly from a fixed seed.

Nothing here is real data: finds, complaints, observations and measures are drawn at
random around real public landmarks (WGS84 coordinates of streets, squares, Kitas,
schools and playgrounds). 24 months, November 2024 to October 2026.

Planted effects (what the analyses must find)
---------------------------------------------
1. **Bin effect** – a disposal bin is installed at Torgauer Platz at the start of month 12
   (``BIN_INSTALLED`` = 2025-11-01). From then on each find within 150 m of it is kept
   with probability 0.6, i.e. finds there drop by about 40 %.
2. **Displacement** – in the last 6 months (from ``DISPLACEMENT_START`` = 2026-05-01,
   when police presence at the Rabet begins) half of the Rabet scene moves to
   Neustädter Markt, about 450 m to the north.
3. **Emerging hotspot** – the scene at the Hermann-Liebmann-/Eisenbahnstraße crossing
   grows steadily, from about 2 to 50 finds a month.
4. **Time of day** (:func:`_plant_times`) – at the scene places finds and observations happen in the
   evening and at night (peak 19–23 h, :data:`SCENE_HOURS`; Thursday to Saturday evenings 2.5 times as
   busy), elsewhere by day
   (:data:`DAY_HOURS`). Street cleaning reports its finds in the morning round (6–10 h) with a
   window back to 18 h of the previous evening (``time_from``/``time_to``); a third of the citizens'
   finds come with a date only (``date_only``). Only the time of day changes – dates, places and
   the other planted effects stay exactly as they were (a separate random stream).

The other scene places (Otto-Runki-Platz, Köhlerstraße) are stable; a background of
finds is spread over the area and along Eisenbahnstraße.
"""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.core.area import DEFAULT_CRS, DISPLAY_CRS, StudyArea, leipziger_osten
from geo.core.schema import (
    COMPLAINT,
    COMPLAINT_CATEGORIES,
    DATE_ONLY,
    DISPOSAL_BIN,
    GREENERY_CUT,
    POLICE_PRESENCE,
    SCENE_OBSERVATION,
    SENSITIVE_PLACE,
    STREETWORK,
    STRUCTURAL_CHANGE,
    SYRINGE_FIND,
    TIME_FROM,
    TIME_TO,
)

DEMO_SEED = 20241101
DEMO_START = date(2024, 11, 1)
DEMO_MONTHS = 24
DEMO_END = date(2026, 10, 31)

#: Public landmarks of Leipziger Osten (lat, lon), WGS84.
LANDMARKS: dict[str, tuple[float, float]] = {
    "Eisenbahnstraße West": (51.34590, 12.39390),
    "Eisenbahnstraße Mitte": (51.34535, 12.41000),
    "Eisenbahnstraße Ost": (51.34440, 12.42650),
    "Hermann-Liebmann-/Eisenbahnstraße": (51.34560, 12.40621),
    "Otto-Runki-Platz": (51.34548, 12.39947),
    "Rabet": (51.34390, 12.40330),
    "Torgauer Platz": (51.34506, 12.41421),
    "Neustädter Markt": (51.34793, 12.40344),
    "Kita Köhlerplatz": (51.33960, 12.40365),
    "Kita Eisenbahnstraße 52": (51.34580, 12.40240),
    "Schule am Rabet": (51.34480, 12.40250),
    "Felix-Bloch-Schule": (51.34476, 12.39959),
    "Spielplatz Rabet": (51.34344, 12.40299),
    "Spielplatz Volkmarsdorfer Markt": (51.34343, 12.40982),
}

#: Scene places where finds cluster (lat, lon).
SCENE_PLACES: dict[str, tuple[float, float]] = {
    name: LANDMARKS[name]
    for name in ("Rabet", "Otto-Runki-Platz", "Torgauer Platz", "Hermann-Liebmann-/Eisenbahnstraße",
                 "Neustädter Markt")
} | {"Köhlerstraße": (51.33985, 12.40330)}

BIN_PLACE = "Torgauer Platz"
BIN_INSTALLED = date(2025, 11, 1)
BIN_EFFECT_RADIUS_M = 150.0
BIN_KEEP_PROBABILITY = 0.6
DISPLACEMENT_FROM = "Rabet"
DISPLACEMENT_TO = "Neustädter Markt"
DISPLACEMENT_START = date(2026, 5, 1)
DISPLACED_SHARE = 0.5
EMERGING_PLACE = "Hermann-Liebmann-/Eisenbahnstraße"

# finds (records) per month and spread (m) of each scene place before any effect
_SCENES = {
    "Rabet": (60.0, 55.0),
    "Otto-Runki-Platz": (30.0, 40.0),
    "Torgauer Platz": (45.0, 45.0),
    "Köhlerstraße": (12.0, 40.0),
}
_BACKGROUND_PER_MONTH = 70.0
_STREET_PER_MONTH = 50.0

_SENSITIVE = (
    ("Kita Köhlerplatz", "Kita", 100.0),
    ("Kita Eisenbahnstraße 52", "Kita", 100.0),
    ("Schule am Rabet", "Schule", 100.0),
    ("Felix-Bloch-Schule", "Schule", 100.0),
    ("Spielplatz Rabet", "Spielplatz", 100.0),
    ("Spielplatz Volkmarsdorfer Markt", "Spielplatz", 100.0),
)

_TEXTS = {
    "Drogenhandel": ("Mehrere Personen verkaufen offenbar Drogen am Eingang.", "Übergaben beobachtet, abends."),
    "Konsum": ("Personen konsumieren im Hauseingang.", "Konsum auf der Parkbank neben dem Spielplatz."),
    "Müll/Spritzen": ("Spritzen im Gebüsch gefunden.", "Benutzte Spritzen auf dem Gehweg."),
    "Lärm": ("Lautstarke Gruppe bis nach Mitternacht.", "Lärm und Geschrei am Platz."),
    "Aggression": ("Passanten wurden angepöbelt.", "Streit zwischen mehreren Personen."),
    "Sonstiges": ("Bitte mehr Beleuchtung.", "Allgemeine Beschwerde über die Situation."),
}


def _months() -> pd.DatetimeIndex:
    return pd.date_range(DEMO_START, periods=DEMO_MONTHS + 1, freq="MS")


class _Gen:
    def __init__(self, seed: int, area: StudyArea) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.area = area
        self.tr = Transformer.from_crs(DISPLAY_CRS, area.crs, always_xy=True)
        self.months = _months()

    def xy(self, name: str) -> np.ndarray:
        lat, lon = LANDMARKS.get(name) or SCENE_PLACES[name]
        return np.array(self.tr.transform(lon, lat))

    def around(self, name: str, n: int, sigma: float) -> np.ndarray:
        return self.xy(name) + self.rng.normal(0.0, sigma, size=(n, 2))

    def times(self, month: int, n: int) -> np.ndarray:
        start = self.months[month].value
        span = self.months[month + 1].value - start
        # minutes resolution; daytime-weighted hours
        t = start + (self.rng.random(n) * span).astype(np.int64)
        return pd.to_datetime(t).floor("min").to_numpy()

    def uniform(self, n: int) -> np.ndarray:
        minx, miny, maxx, maxy = self.area.boundary.bounds
        pts = np.column_stack([self.rng.uniform(minx, maxx, 3 * n + 10), self.rng.uniform(miny, maxy, 3 * n + 10)])
        inside = shapely.contains_xy(self.area.prepared, pts[:, 0], pts[:, 1])
        return pts[inside][:n]

    def street(self, n: int, jitter: float = 20.0) -> np.ndarray:
        line = shapely.LineString([self.xy("Eisenbahnstraße West"), self.xy("Eisenbahnstraße Mitte"),
                                   self.xy("Eisenbahnstraße Ost")])
        pos = self.rng.random(n) * line.length
        pts = shapely.line_interpolate_point(line, pos)
        return shapely.get_coordinates(pts) + self.rng.normal(0, jitter, size=(n, 2))


def _events(g: _Gen, per_month_scale: float = 1.0) -> pd.DataFrame:
    """Event locations and times of the scene with all planted effects (before thinning by kind)."""
    rows = []
    for m in range(DEMO_MONTHS):
        month_start = g.months[m].date()
        season = 1.0 + 0.15 * np.sin(2 * np.pi * (g.months[m].month - 4) / 12)
        for name, (rate, sigma) in _SCENES.items():
            lam = rate * season * per_month_scale
            moved = 0.0
            if name == DISPLACEMENT_FROM and month_start >= DISPLACEMENT_START:
                moved = lam * DISPLACED_SHARE
                lam -= moved
            n = g.rng.poisson(lam)
            rows.append((g.around(name, n, sigma), g.times(m, n), name))
            if moved:
                k = g.rng.poisson(moved)
                rows.append((g.around(DISPLACEMENT_TO, k, 50.0), g.times(m, k), DISPLACEMENT_TO))
        grow = (2.0 + 48.0 * m / (DEMO_MONTHS - 1)) * season * per_month_scale
        n = g.rng.poisson(grow)
        rows.append((g.around(EMERGING_PLACE, n, 40.0), g.times(m, n), EMERGING_PLACE))
        n = g.rng.poisson(_BACKGROUND_PER_MONTH * per_month_scale)
        pts = g.uniform(n)
        rows.append((pts, g.times(m, len(pts)), "Hintergrund"))
        n = g.rng.poisson(_STREET_PER_MONTH * per_month_scale)
        rows.append((g.street(n), g.times(m, n), "Eisenbahnstraße"))
    xy = np.concatenate([r[0] for r in rows])
    t = np.concatenate([r[1] for r in rows])
    place = np.concatenate([np.full(len(r[0]), r[2], dtype=object) for r in rows])
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "time": t, "place": place})
    # planted bin effect: after installation, keep each event within 150 m with probability 0.6
    bx, by = g.xy(BIN_PLACE)
    near = np.hypot(df.x - bx, df.y - by) <= BIN_EFFECT_RADIUS_M
    after = df.time >= pd.Timestamp(BIN_INSTALLED)
    drop = near & after & (g.rng.random(len(df)) > BIN_KEEP_PROBABILITY)
    df = df.loc[~drop]
    inside = shapely.contains_xy(g.area.prepared, df.x.to_numpy(), df.y.to_numpy())
    return df.loc[inside].sort_values("time", kind="stable").reset_index(drop=True)


def _points(df: pd.DataFrame, crs: str) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(df.x.to_numpy(), df.y.to_numpy()), crs=crs)


def generate_demo(seed: int = DEMO_SEED, area: StudyArea | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Generate the demo data set.

    Parameters
    ----------
    seed : random seed; the same seed gives identical data.
    area : study area (default Leipziger Osten); geometries are in its metric CRS.

    Returns
    -------
    dict
        kind name → GeoDataFrame (EPSG:25833 for the default area) with the kind's fields.
    """
    area = area or leipziger_osten()
    g = _Gen(seed, area)
    crs = area.crs
    out: dict[str, gpd.GeoDataFrame] = {}
    out.update(_demo_reports(g, crs))  # the only part drawing random numbers: keep it first
    out[SENSITIVE_PLACE] = _demo_places(g, crs)
    out.update(_demo_measures(g, crs))
    return out


def _demo_reports(g: _Gen, crs: str) -> dict[str, gpd.GeoDataFrame]:
    """Syringe finds, complaints and scene observations (random, in this order: the seed's stream)."""
    out: dict[str, gpd.GeoDataFrame] = {}
    finds = _events(g)
    scene = finds.place != "Hintergrund"
    counts = 1 + g.rng.poisson(np.where(scene, 1.0, 0.4))
    sources = g.rng.choice(["Stadtreinigung", "Streetwork", "Polizei", "Bürger"], size=len(finds),
                           p=[0.55, 0.2, 0.1, 0.15])
    out[SYRINGE_FIND] = gpd.GeoDataFrame(
        {"found_at": finds.time, "count": counts, "source": sources, "reporter": ""},
        geometry=_points(finds, crs).values, crs=crs,
    )
    out[SYRINGE_FIND] = _plant_find_times(out[SYRINGE_FIND], finds.place.to_numpy(), g.seed)

    comp = _events(g, per_month_scale=0.25)
    cats = g.rng.choice(COMPLAINT_CATEGORIES, size=len(comp), p=[0.22, 0.22, 0.28, 0.12, 0.08, 0.08])
    pick = g.rng.integers(0, 2, size=len(comp))
    texts = np.array([_TEXTS[c][i] for c, i in zip(cats, pick, strict=True)], dtype=object)
    out[COMPLAINT] = gpd.GeoDataFrame(
        {"received_at": comp.time, "category": cats,
         "channel": g.rng.choice(["Telefon", "E-Mail", "Bürgerbüro", "Online"], size=len(comp)),
         "text": texts, "reporter": "anonym"},
        geometry=_points(comp, crs).values, crs=crs,
    )

    obs = _events(g, per_month_scale=0.15)
    obs = obs.loc[~obs.place.isin(["Hintergrund", "Eisenbahnstraße"])].reset_index(drop=True)
    out[SCENE_OBSERVATION] = gpd.GeoDataFrame(
        {"observed_at": obs.time, "persons": 2 + g.rng.poisson(5, size=len(obs)),
         "source": g.rng.choice(["Polizei", "Streetwork"], size=len(obs))},
        geometry=_points(obs, crs).values, crs=crs,
    )
    out[SCENE_OBSERVATION]["observed_at"] = _plant_times(obs.time.to_numpy(), obs.place.to_numpy(),
                                                           np.random.default_rng([g.seed, 15, 2]))
    return out


def _demo_places(g: _Gen, crs: str) -> gpd.GeoDataFrame:
    """The sensitive places (Kitas, schools, playgrounds …) and the Rabet park as a polygon."""
    names = [s[0] for s in _SENSITIVE]
    places = gpd.GeoDataFrame(
        {"name": names, "place_type": [s[1] for s in _SENSITIVE], "buffer_m": [s[2] for s in _SENSITIVE]},
        geometry=[shapely.Point(g.xy(n)) for n in names], crs=crs,
    )
    rabet = shapely.box(-215, -60, 215, 60)
    rabet = shapely.affinity.translate(rabet, *g.xy("Rabet"))
    park = gpd.GeoDataFrame({"name": ["Stadtteilpark Rabet"], "place_type": ["Park"], "buffer_m": [50.0]},
                            geometry=[rabet], crs=crs)
    return pd.concat([places, park], ignore_index=True)


def _at(g: _Gen, name: str, dx: float = 0.0, dy: float = 0.0) -> shapely.Point:
    """A point ``dx``/``dy`` metres from the named place."""
    x, y = g.xy(name)
    return shapely.Point(x + dx, y + dy)


def _demo_measures(g: _Gen, crs: str) -> dict[str, gpd.GeoDataFrame]:
    """Bins, greenery cuts, a structural change, police presence and street work (fixed, no randomness)."""
    out: dict[str, gpd.GeoDataFrame] = {}
    out[DISPOSAL_BIN] = gpd.GeoDataFrame(
        {"installed_at": pd.to_datetime(["2023-05-15", "2024-02-01", BIN_INSTALLED.isoformat(), "2022-04-01"]),
         "removed_at": pd.to_datetime([None, None, None, "2025-06-30"]),
         "owner": "Stadtreinigung",
         "label": ["Rabet Nord", "Otto-Runki-Platz", "Torgauer Platz", "Lene-Voigt-Park"]},
        geometry=[_at(g, "Rabet", 0, 35), _at(g, "Otto-Runki-Platz", 10, -15), _at(g, BIN_PLACE),
                  _lonlat(g, 12.39878, 51.33433)],
        crs=crs,
    )
    out[GREENERY_CUT] = gpd.GeoDataFrame(
        {"done_at": pd.to_datetime(["2025-03-10", "2025-09-15"]),
         "description": ["Rückschnitt Gebüsch am Rabet (Südseite)", "Hecke am Otto-Runki-Platz zurückgeschnitten"]},
        geometry=[shapely.affinity.translate(shapely.box(-120, -60, 60, -20), *g.xy("Rabet")),
                  shapely.LineString([_at(g, "Otto-Runki-Platz", -40, -20), _at(g, "Otto-Runki-Platz", 40, -25)])],
        crs=crs,
    )
    out[STRUCTURAL_CHANGE] = gpd.GeoDataFrame(
        {"done_at": pd.to_datetime(["2025-06-20"]),
         "description": ["Mauer an der Kita Köhlerplatz erhöht, Nische geschlossen"]},
        geometry=[shapely.LineString([_at(g, "Kita Köhlerplatz", -30, 20), _at(g, "Kita Köhlerplatz", 30, 20)])],
        crs=crs,
    )
    out[POLICE_PRESENCE] = gpd.GeoDataFrame(
        {"start": pd.to_datetime([DISPLACEMENT_START.isoformat(), "2025-04-01"]),
         "end": pd.to_datetime([DEMO_END.isoformat(), "2025-04-30"]),
         "description": ["Dauerpräsenz Polizei am Rabet", "Schwerpunkteinsatz Eisenbahnstraße"]},
        geometry=[shapely.affinity.translate(shapely.box(-250, -100, 250, 100), *g.xy("Rabet")),
                  shapely.buffer(shapely.LineString([g.xy("Eisenbahnstraße West"), g.xy("Eisenbahnstraße Mitte")]),
                                 40)],
        crs=crs,
    )
    starts = pd.date_range(DEMO_START, periods=12, freq="2MS")
    out[STREETWORK] = gpd.GeoDataFrame(
        {"start": starts, "end": starts + pd.offsets.MonthEnd(2),
         "description": "Aufsuchende Sozialarbeit, zwei Termine pro Woche"},
        geometry=[_at(g, "Rabet") if i % 2 == 0 else _at(g, "Otto-Runki-Platz") for i in range(12)],
        crs=crs,
    )
    return out


# -- planted time of day (issue 15) --------------------------------------------------------------
#: Relative frequency per hour (0 … 23 h) at the scene places: evening and night.
SCENE_HOURS = np.array([6, 4, 3, 1.5, 1, 0.8, 0.8, 1, 1.2, 1.5, 2, 2.5,
                        3, 3, 3.5, 4, 5, 6, 8, 10, 11, 11, 10, 8], dtype=float)
#: Relative frequency per hour elsewhere (background, along the street): by day.
DAY_HOURS = np.array([0.5, 0.3, 0.2, 0.2, 0.2, 0.4, 1, 2, 4, 5, 6, 6,
                      6, 6, 6, 6, 6, 5, 4, 3, 2, 1.5, 1, 0.7], dtype=float)
#: Weekdays (0 = Monday) whose scene evenings (18–24 h) are busier (× BUSY_FACTOR): Thursday to Saturday.
BUSY_EVENINGS = (3, 4, 5)
BUSY_FACTOR = 2.5
#: Street cleaning's morning round (reported between 6 and 10 h) and its window back to 18 h.
CLEANING_SOURCE = "Stadtreinigung"
CLEANING_ROUND_H = (6, 10)
CLEANING_WINDOW_FROM_H = 18
#: Share of the citizens' finds reported with a date only.
DATE_ONLY_SHARE = 1 / 3


def _plant_times(times: np.ndarray, places: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keep each event's date, draw its time of day: scene places by :data:`SCENE_HOURS`, others by day."""
    day = np.asarray(times, dtype="datetime64[D]").astype("datetime64[ns]")
    weekday = (np.asarray(times, dtype="datetime64[D]").astype(np.int64) + 3) % 7
    scene = ~np.isin(places.astype(str), ["Hintergrund", "Eisenbahnstraße"])
    profiles = np.tile(SCENE_HOURS, (8, 1))  # rows 0–6: scene per weekday, row 7: elsewhere
    profiles[list(BUSY_EVENINGS), 18:] *= BUSY_FACTOR
    profiles[7] = DAY_HOURS
    cdf = np.cumsum(profiles, axis=1)
    cdf /= cdf[:, -1:]
    row = np.where(scene, weekday, 7)
    hour = np.minimum((rng.random(len(day))[:, None] > cdf[row]).sum(axis=1), 23)
    minute = rng.integers(0, 60, size=len(day))
    return day + hour.astype("timedelta64[h]") + minute.astype("timedelta64[m]")


def _plant_find_times(finds: gpd.GeoDataFrame, places: np.ndarray, seed: int) -> gpd.GeoDataFrame:
    """Times of day of the finds, with street cleaning's windows and citizens' date-only reports.

    Street cleaning finds (``source == "Stadtreinigung"``): ``found_at`` = the morning round of the
    event's date (6–10 h), ``time_from`` = 18 h of the evening before, ``time_to`` = ``found_at``.
    Other finds: ``found_at`` = the event time (:func:`_plant_times`), no window. A third of the
    citizens' finds: date only (``found_at`` at 00:00, ``date_only`` true).
    """
    rng = np.random.default_rng([seed, 15, 1])
    out = finds.copy()
    t = _plant_times(finds["found_at"].to_numpy(), places, rng)
    day = np.asarray(t, dtype="datetime64[D]").astype("datetime64[ns]")
    cleaning = finds["source"].to_numpy() == CLEANING_SOURCE
    lo, hi = CLEANING_ROUND_H
    round_at = day + (rng.integers(lo * 60, hi * 60, size=len(day))).astype("timedelta64[m]")
    found = np.where(cleaning, round_at, t)
    date_only = (finds["source"].to_numpy() == "Bürger") & (rng.random(len(day)) < DATE_ONLY_SHARE)
    found = np.where(date_only, day, found)
    nat = np.datetime64("NaT", "ns")
    out["found_at"] = found
    out[TIME_FROM] = np.where(cleaning, day - np.timedelta64(24 - CLEANING_WINDOW_FROM_H, "h"), nat)
    out[TIME_TO] = np.where(cleaning, round_at, nat)
    out[DATE_ONLY] = date_only
    return out


def _lonlat(g: _Gen, lon: float, lat: float) -> shapely.Point:
    return shapely.Point(g.tr.transform(lon, lat))


def load_demo(store, seed: int = DEMO_SEED, *, now: datetime | None = None) -> list:
    """Generate the demo data and import it into ``store`` through the normal validation.

    Returns the :class:`~geo.data.ingest.ImportReport` of each kind.
    """
    from geo.data.ingest import import_frame

    data = generate_demo(seed, store.area)
    reports = [import_frame(frame, kind, store, source=f"demo-{kind}-seed{seed}", now=now, user="demo")
               for kind, frame in data.items()]
    load_demo_agreements(store)
    return reports


#: Meetings of the Drogenrapport in the demo: every two months, second Tuesday.
DEMO_MEETINGS: tuple[date, ...] = (
    date(2025, 1, 14), date(2025, 3, 11), date(2025, 5, 13), date(2025, 7, 8), date(2025, 9, 9), date(2025, 11, 11),
    date(2026, 1, 13), date(2026, 3, 10), date(2026, 5, 12), date(2026, 7, 14), date(2026, 9, 8),
)


def demo_agreements() -> list[dict]:
    """The demo's agreements of past meetings, consistent with the planted measures.

    Each dict: ``title, kind, place`` (a landmark or sensitive place name), optional ``shape``
    (``"area"``, ``"line"``; default point), ``agreed, responsible, due, status``, optional
    ``done``, ``ended``, ``reason``, ``notes``, ``public`` and ``measure`` (kind, date of the
    planted measure record the agreement became). Carried out: the greenery cuts, the wall at
    Kita Köhlerplatz, the bin at Torgauer Platz, police presence (one ended); overdue: street work
    positions, a greenery cut at Neustädter Markt; rejected: a bin at Spielplatz Rabet.
    """
    m = DEMO_MEETINGS
    return [
        dict(title="Rückschnitt von Grün am Rabet (Südseite)", kind=GREENERY_CUT, place="Rabet", shape="rabet_south",
             agreed=m[0], responsible="Amt für Stadtgrün", due=date(2025, 3, 31), status="done",
             done=date(2025, 3, 10), public=True, measure=(GREENERY_CUT, date(2025, 3, 10)),
             notes="Sichtachsen zur Schule am Rabet freihalten."),
        dict(title="Schwerpunkteinsatz Polizei Eisenbahnstraße", kind=POLICE_PRESENCE,
             place="Eisenbahnstraße West", shape="street", agreed=m[1], responsible="Polizeidirektion",
             due=date(2025, 4, 1), status="ended", done=date(2025, 4, 1), ended=date(2025, 4, 30), public=True,
             measure=(POLICE_PRESENCE, date(2025, 4, 1)), notes="Einsatz auf vier Wochen befristet."),
        dict(title="Bauliche Änderungen an der Mauer Kita Köhlerplatz (höher und angeschrägt)",
             kind=STRUCTURAL_CHANGE, place="Kita Köhlerplatz", shape="wall", agreed=m[1],
             responsible="Amt für Gebäudemanagement", due=date(2025, 6, 30), status="done", done=date(2025, 6, 20),
             public=True, measure=(STRUCTURAL_CHANGE, date(2025, 6, 20)),
             notes="Nische hinter der Mauer wurde als Konsumort genutzt."),
        dict(title="Spritzenentsorgungsbehälter am Spielplatz Rabet", kind=DISPOSAL_BIN, place="Spielplatz Rabet",
             agreed=m[2], responsible="Stadtreinigung", due=date(2025, 7, 31), status="rejected",
             reason="Standort zu nah am Spielplatz; Jugendamt und Eltern dagegen.", public=False,
             notes="Alternative am Rabet Nord prüfen."),
        dict(title="Rückschnitt der Hecke am Otto-Runki-Platz", kind=GREENERY_CUT, place="Otto-Runki-Platz",
             shape="hedge", agreed=m[3], responsible="Amt für Stadtgrün", due=date(2025, 9, 30), status="done",
             done=date(2025, 9, 15), public=True, measure=(GREENERY_CUT, date(2025, 9, 15))),
        dict(title="Aufstellung Spritzenentsorgungsbehälter Torgauer Platz und Übernahme in das Eigentum des EB "
                   "Stadtreinigung", kind=DISPOSAL_BIN, place=BIN_PLACE, agreed=m[4],
             responsible="Stadtreinigung", due=date(2025, 10, 31), status="done", done=BIN_INSTALLED, public=True,
             measure=(DISPOSAL_BIN, BIN_INSTALLED), notes="Leerung zweimal wöchentlich."),
        dict(title="Höhere Polizeipräsenz an besonders sensiblen Orten (Rabet)", kind=POLICE_PRESENCE,
             place="Rabet", shape="rabet", agreed=m[7], responsible="Polizeidirektion", due=date(2026, 5, 1),
             status="done", done=DISPLACEMENT_START, public=True, measure=(POLICE_PRESENCE, DISPLACEMENT_START),
             notes="Verdrängung zum Neustädter Markt beobachten."),
        dict(title="Stellenerweiterung im Bereich Streetwork", kind=STREETWORK, place="Rabet", agreed=m[8],
             responsible="Streetwork", due=date(2026, 9, 30), status="in_progress", public=True,
             notes="Finanzierung im Jugendhilfeausschuss beantragt."),
        dict(title="Rückschnitt Gebüsch am Neustädter Markt", kind=GREENERY_CUT, place=DISPLACEMENT_TO,
             agreed=m[9], responsible="Amt für Stadtgrün", due=date(2026, 10, 15), status="agreed", public=True),
        dict(title="Weitere Spritzenentsorgungsbehälter an der Hermann-Liebmann-Straße", kind=DISPOSAL_BIN,
             place=EMERGING_PLACE, agreed=m[10], responsible="Stadtreinigung", due=date(2026, 12, 31),
             status="agreed", public=True, notes="Standortvorschläge aus der Behälterplanung nutzen."),
        dict(title="Beleuchtung im Durchgang Hermann-Liebmann-/Eisenbahnstraße prüfen", kind="other",
             place=EMERGING_PLACE, agreed=m[10], responsible="Wohnungsbaugesellschaft", due=date(2027, 1, 31),
             status="in_progress", public=False, notes="Eigentümerin angeschrieben."),
    ]


def _demo_shape(g: _Gen, spec: dict) -> shapely.Geometry:
    x, y = g.xy(spec["place"])
    shape = spec.get("shape")
    if shape == "rabet_south":
        return shapely.affinity.translate(shapely.box(-120, -60, 60, -20), x, y)
    if shape == "rabet":
        return shapely.affinity.translate(shapely.box(-250, -100, 250, 100), x, y)
    if shape == "street":
        return shapely.LineString([g.xy("Eisenbahnstraße West"), g.xy("Eisenbahnstraße Mitte")])
    if shape == "wall":
        return shapely.LineString([(x - 30, y + 20), (x + 30, y + 20)])
    if shape == "hedge":
        return shapely.LineString([(x - 40, y - 20), (x + 40, y - 25)])
    return shapely.Point(x, y)


def load_demo_agreements(store, *, user: str = "demo") -> int:
    """Store :func:`demo_agreements` (linked to the planted measure records); return how many were stored."""
    from geo.core.schema import KINDS

    g = _Gen(DEMO_SEED, store.area)
    stored = 0
    for spec in demo_agreements():
        measure_id = ""
        if spec.get("measure"):
            kind, when = spec["measure"]
            table = store.attributes(kind, ["record_id", KINDS[kind].date_field])
            hit = table[pd.to_datetime(table[KINDS[kind].date_field]).dt.date == when]
            measure_id = str(hit["record_id"].iloc[0]) if len(hit) else ""
        row = {k: v for k, v in spec.items() if k not in ("shape", "measure")}
        row |= {"agreement_id": None, "geometry": _demo_shape(g, spec), "measure_id": measure_id}
        store.save_agreement(row, user=user)
        stored += 1
    return stored


__all__ = ["generate_demo", "load_demo", "SCENE_PLACES", "LANDMARKS", "DEMO_SEED", "DEFAULT_CRS"]
