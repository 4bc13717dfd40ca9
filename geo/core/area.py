"""The study area: its name, boundary and the metric CRS all analysis runs in.

The default is Leipziger Osten (Neustadt-Neuschönefeld, Volkmarsdorf and their
surroundings) in ETRS89 / UTM 33N (EPSG:25833). Another city configures its own area in
a TOML file::

    [area]
    name = "Dresden Neustadt"
    boundary = "neustadt.geojson"   # any vector file; relative to the TOML file
    crs = "EPSG:25833"              # metric CRS for computing
    timezone = "Europe/Berlin"      # local time of the records (default Europe/Berlin)

    [[area.fallback_points]]        # known geocoding fallbacks ("Sammelpunkte"), optional
    name = "Rathaus"
    lat = 51.0539
    lon = 13.7415
    tiles = "osm"                   # optional online background: basemapde, osm, off or a URL

and points ``LAGEBILD_AREA`` (or ``--area``) at that file.
"""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.core.errors import UserError

#: The CRS Lagebild shows and exports (WGS84 longitude/latitude) and computes in (metres).
DISPLAY_CRS = "EPSG:4326"
DEFAULT_CRS = "EPSG:25833"
DEFAULT_TIMEZONE = "Europe/Berlin"
#: Web Mercator, the CRS of map tiles and of the density image overlay.
WEB_MERCATOR_CRS = "EPSG:3857"

#: Outline of Leipziger Osten (WGS84 lon/lat), drawn around Neustadt-Neuschönefeld,
#: Volkmarsdorf and the neighbouring parts of Schönefeld, Sellerhausen, Anger-Crottendorf
#: and Reudnitz (lat 51.330–51.360, lon 12.385–12.440).
LEIPZIGER_OSTEN_LONLAT: tuple[tuple[float, float], ...] = (
    (12.385, 51.330),
    (12.440, 51.330),
    (12.440, 51.360),
    (12.385, 51.360),
    (12.385, 51.330),
)


class AreaConfigError(UserError, ValueError):
    """The area configuration cannot be used (German message).

    A user error: the CLI prints ``Fehler: …`` and exits with code 2, the app shows the message.
    """


@dataclass(frozen=True)
class StudyArea:
    """A named study area.

    Parameters
    ----------
    name : shown to users.
    boundary : polygon in ``crs`` (metres).
    crs : metric CRS all computations use, e.g. ``"EPSG:25833"``.
    timezone : IANA zone of the records' local time (naive times are local; offsets are
        converted to it), e.g. ``"Europe/Berlin"``.
    fallback_points : known geocoding fallbacks as ``(name, lon, lat)`` (WGS84); records
        there are flagged as "Sammelpunkt" on import.
    """

    name: str
    boundary: shapely.Polygon | shapely.MultiPolygon
    crs: str = DEFAULT_CRS
    timezone: str = DEFAULT_TIMEZONE
    fallback_points: tuple[tuple[str, float, float], ...] = ()
    #: Online background of this area's maps (``basemapde``, ``osm``, ``off`` or an
    #: XYZ/WMTS/WMS URL; ``None``: the default); ``$LAGEBILD_TILES`` overrides it.
    tiles: str | None = None

    def __post_init__(self) -> None:
        crs = CRS.from_user_input(self.crs)
        if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise AreaConfigError(f"Das Koordinatensystem {self.crs} ist nicht metrisch; bitte z. B. EPSG:25833.")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise AreaConfigError(f"Zeitzone '{self.timezone}' unbekannt; bitte z. B. Europe/Berlin.") from None

    def fallback_xy(self) -> tuple[list[str], np.ndarray]:
        """Names and metric coordinates (n × 2) of the known fallback points."""
        if not self.fallback_points:
            return [], np.empty((0, 2))
        names = [p[0] for p in self.fallback_points]
        x, y = self.to_metric.transform([p[1] for p in self.fallback_points], [p[2] for p in self.fallback_points])
        return names, np.column_stack([x, y])

    @cached_property
    def boundary_display(self) -> shapely.Geometry:
        """The boundary in WGS84 (EPSG:4326) for maps."""
        return gpd.GeoSeries([self.boundary], crs=self.crs).to_crs(DISPLAY_CRS).iloc[0]

    @cached_property
    def prepared(self) -> shapely.Geometry:
        geom = shapely.buffer(self.boundary, 0)
        shapely.prepare(geom)
        return geom

    def frame(self) -> gpd.GeoDataFrame:
        """The boundary as a one-row GeoDataFrame in the metric CRS."""
        return gpd.GeoDataFrame({"name": [self.name]}, geometry=[self.boundary], crs=self.crs)

    def contains(self, geoms: np.ndarray) -> np.ndarray:
        """Boolean mask: which geometries (in ``crs``) lie in the area (polygons: intersect it)."""
        geoms = np.asarray(geoms, dtype=object)
        is_point = shapely.get_type_id(geoms) == 0
        inside = np.zeros(len(geoms), dtype=bool)
        if is_point.any():
            inside[is_point] = shapely.contains_xy(
                self.prepared, shapely.get_x(geoms[is_point]), shapely.get_y(geoms[is_point])
            )
        other = ~is_point & ~shapely.is_missing(geoms)
        if other.any():
            inside[other] = shapely.intersects(self.prepared, geoms[other])
        return inside

    @cached_property
    def to_metric(self) -> Transformer:
        """Transformer WGS84 lon/lat → metric CRS (always_xy)."""
        return Transformer.from_crs(DISPLAY_CRS, self.crs, always_xy=True)

    @property
    def area_km2(self) -> float:
        return float(self.boundary.area) / 1e6


def leipziger_osten() -> StudyArea:
    """The default study area: Leipziger Osten in EPSG:25833."""
    poly = shapely.Polygon(LEIPZIGER_OSTEN_LONLAT)
    metric = gpd.GeoSeries([poly], crs=DISPLAY_CRS).to_crs(DEFAULT_CRS).iloc[0]
    return StudyArea("Leipziger Osten", metric, DEFAULT_CRS)


def load_area(path: str | os.PathLike | None = None) -> StudyArea:
    """Load the study area from a TOML file, or the default (Leipziger Osten).

    ``path`` falls back to the environment variable ``LAGEBILD_AREA``. The boundary file
    may hold several polygons; they are dissolved into one area.
    """
    path = path or os.environ.get("LAGEBILD_AREA")
    if not path:
        return leipziger_osten()
    path = Path(path)
    try:
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AreaConfigError(f"Gebietsdatei {path} nicht gefunden.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AreaConfigError(f"Gebietsdatei {path} ist kein gültiges TOML: {exc}") from None
    section = cfg.get("area", cfg)
    try:
        name = str(section["name"])
        boundary_file = path.parent / str(section["boundary"])
    except KeyError as exc:
        raise AreaConfigError(f"Gebietsdatei {path}: Eintrag {exc.args[0]!r} fehlt.") from None
    crs = str(section.get("crs", DEFAULT_CRS))
    timezone = str(section.get("timezone", DEFAULT_TIMEZONE))
    fallbacks = []
    for i, item in enumerate(section.get("fallback_points", []) or []):
        try:
            fallbacks.append((str(item.get("name", f"Sammelpunkt {i + 1}")), float(item["lon"]), float(item["lat"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise AreaConfigError(f"Gebietsdatei {path}: fallback_points Nr. {i + 1} braucht lat und lon.") from None
    tiles = section.get("tiles")
    try:
        gdf = gpd.read_file(boundary_file)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one German line
        raise AreaConfigError(f"Grenze {boundary_file} nicht lesbar: {exc}") from None
    if gdf.crs is None:
        raise AreaConfigError(f"Grenze {boundary_file} hat kein Koordinatensystem.")
    geom = shapely.union_all(gdf.to_crs(crs).geometry.make_valid().values)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise AreaConfigError(f"Grenze {boundary_file} enthält keine Fläche.")
    return StudyArea(name, geom, crs, timezone, tuple(fallbacks), tiles=str(tiles) if tiles is not None else None)
