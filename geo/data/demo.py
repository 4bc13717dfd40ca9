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
    DISPOSAL_BIN,
    GREENERY_CUT,
    POLICE_PRESENCE,
    SCENE_OBSERVATION,
    SENSITIVE_PLACE,
    STREETWORK,
    STRUCTURAL_CHANGE,
    SYRINGE_FIND,
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


def _lonlat(g: _Gen, lon: float, lat: float) -> shapely.Point:
    return shapely.Point(g.tr.transform(lon, lat))


def load_demo(store, seed: int = DEMO_SEED, *, now: datetime | None = None) -> list:
    """Generate the demo data and import it into ``store`` through the normal validation.

    Returns the :class:`~geo.data.ingest.ImportReport` of each kind.
    """
    from geo.data.ingest import import_frame

    data = generate_demo(seed, store.area)
    return [import_frame(frame, kind, store, source=f"demo-{kind}-seed{seed}", now=now, user="demo")
            for kind, frame in data.items()]


__all__ = ["generate_demo", "load_demo", "SCENE_PLACES", "LANDMARKS", "DEMO_SEED", "DEFAULT_CRS"]
