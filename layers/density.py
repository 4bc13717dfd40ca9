"""The kernel density surface as a semi-transparent image overlay (PNG data URL).

The raster computed in the metric CRS is resampled to Web Mercator (EPSG:3857, the map's
display projection) so the image lies exactly where its pixels belong; Leaflet places it by
its WGS84 corner coordinates.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image
from pyproj import Transformer
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo.core.area import DISPLAY_CRS, WEB_MERCATOR_CRS
from geo.core.schema import DENSITY_COLOURS
from layers.escape import js_json

WEB_MERCATOR = WEB_MERCATOR_CRS  # kept for importers
#: Densities below this share of the maximum stay transparent.
MIN_SHARE = 0.04
#: Largest side of the image in pixels.
MAX_SIDE = 1200


def _ramp(values: np.ndarray) -> np.ndarray:
    """RGBA (uint8) for values in [0, 1] along :data:`DENSITY_COLOURS`; 0 → transparent."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in DENSITY_COLOURS], dtype=float)
    pos = np.linspace(0.0, 1.0, len(stops))
    v = np.clip(values, 0.0, 1.0)
    rgb = np.stack([np.interp(v, pos, stops[:, k]) for k in range(3)], axis=-1)
    alpha = np.where(v > 0, 110 + 120 * v, 0)
    return np.concatenate([rgb, alpha[..., None]], axis=-1).round().astype(np.uint8)


def density_image(density: np.ndarray, transform, crs: str) -> tuple[str, list[list[float]], float]:
    """Colour a density raster and return ``(png_data_url, [[south, west], [north, east]], max)``.

    Parameters
    ----------
    density : array (rows, cols), north-up, events per km².
    transform : affine transform of ``density`` in ``crs`` (rasterio convention).
    crs : metric CRS of the raster.

    Returns
    -------
    The PNG as ``data:image/png;base64,…``, its bounds in EPSG:4326 (lat/lon) and the
    maximum density (events per km²).
    """
    dens = np.nan_to_num(np.asarray(density, dtype="float64"), nan=0.0)
    rows, cols = dens.shape
    left, top = transform.c, transform.f
    right, bottom = left + cols * transform.a, top + rows * transform.e
    dst_transform, width, height = calculate_default_transform(crs, WEB_MERCATOR, cols, rows, left, bottom, right,
                                                               top)
    scale = max(width, height) / MAX_SIDE
    if scale > 1:
        dst_transform, width, height = calculate_default_transform(
            crs, WEB_MERCATOR, cols, rows, left, bottom, right, top,
            dst_width=int(width / scale), dst_height=int(height / scale))
    out = np.zeros((height, width), dtype="float64")
    reproject(dens, out, src_transform=transform, src_crs=crs, dst_transform=dst_transform, dst_crs=WEB_MERCATOR,
              resampling=Resampling.bilinear, src_nodata=None, dst_nodata=0.0)
    vmax = float(out.max()) if out.size else 0.0
    share = out / vmax if vmax > 0 else out
    share = np.where(share >= MIN_SHARE, share, 0.0)
    buf = io.BytesIO()
    Image.fromarray(_ramp(share), mode="RGBA").save(buf, format="PNG", optimize=True)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    x0, y0 = dst_transform.c, dst_transform.f
    x1, y1 = x0 + width * dst_transform.a, y0 + height * dst_transform.e
    to_ll = Transformer.from_crs(WEB_MERCATOR, DISPLAY_CRS, always_xy=True)
    (w, e), (n, s) = to_ll.transform([x0, x1], [y0, y1])
    return url, [[float(s), float(w)], [float(n), float(e)]], float(dens.max()) if dens.size else 0.0


def density_js(density: np.ndarray, transform, crs: str, *, opacity: float = 0.85) -> str:
    """JavaScript expression for the density image overlay (below all vector layers)."""
    url, bounds, _ = density_image(density, transform, crs)
    opts = {"opacity": opacity, "pane": "lbDensity", "interactive": False}
    return f"L.imageOverlay({js_json(url)}, {js_json(bounds)}, {js_json(opts)})"
