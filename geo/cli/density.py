"""``lagebild density``: kernel density surface of one kind and period.

::

    lagebild density --kind syringe_find --from 2026-01-01 --to 2026-02-28 --out dichte.tif

writes the density (events per km², weighted like the hot spot counts) over the study
area's bounding box as

* ``.tif`` – GeoTIFF (float32, metric CRS of the area, north-up),
* ``.png`` – a picture with colour scale and area outline,
* ``.geojson`` / ``.gpkg`` – threshold polygons (density ≥ level; ``--levels``) clipped to
  the area, GeoJSON in EPSG:4326, GeoPackage in the metric CRS.

See :mod:`geo.analysis.density` for kernel, bandwidth rule and accuracy.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from geo.cli.common import (
    add_input_option,
    add_kind_option,
    add_period_options,
    add_stack_option,
    add_store_options,
    load_area,
    load_records,
    spatial,
)
from geo.core import fmt
from geo.core.errors import UserError
from geo.core.schema import DEFAULT_REPORT_KIND, REPORT_KINDS

FORMATS: tuple[str, ...] = (".tif", ".tiff", ".png", ".geojson", ".gpkg")
#: Default raster: about this many pixels along the longer side of the area.
DEFAULT_PIXELS = 500


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "density",
        help="Kerndichte (Heatmap) für eine Art und einen Zeitraum als GeoTIFF, PNG oder Flächen",
        description=(
            "Kerndichteschätzung (Quartic-Kern wie ArcGIS 'Kerndichte', oder Gauß) in Ereignissen je km²; "
            "bei Spritzenfunden gewichtet mit der Zahl der Spritzen."
        ),
    )
    add_kind_option(p, default=DEFAULT_REPORT_KIND, choices=list(REPORT_KINDS))
    add_store_options(p)
    add_input_option(p)
    add_period_options(p)
    p.add_argument("--cell", type=float, default=None, metavar="M",
                   help=f"Pixelgröße in Metern (Standard: etwa {DEFAULT_PIXELS} Pixel über das Gebiet)")
    p.add_argument("--bandwidth", type=float, default=None, metavar="M",
                   help="Bandbreite in Metern (Quartic: Suchradius; Gauß: Standardabweichung); "
                        "Standard: Regel von ArcGIS")
    add_stack_option(p)
    p.add_argument("--kernel", choices=("quartic", "gaussian"), default="quartic", help="Kern (Standard: quartic)")
    p.add_argument("--levels", default=None, metavar="L1,L2,…",
                   help="Schwellen für Flächen (.geojson/.gpkg) in Ereignissen je km², z. B. 50,100,200; "
                        "Standard: 4 Stufen bei 20/40/60/80 %% des Höchstwerts")
    p.add_argument("--out", type=Path, required=True, metavar="DATEI",
                   help="Ausgabedatei: .tif, .png, .geojson oder .gpkg")
    p.set_defaults(func=run)


def _parse_levels(text: str | None) -> list[float] | int:
    """``"50,100,200"`` → ``[50.0, 100.0, 200.0]``; empty → 4 (levels at 20/40/60/80 % of the maximum)."""
    if not text or not text.strip():
        return 4
    try:
        levels = [float(v) for v in re.split(r"[;,\s]+", text.strip()) if v]
    except ValueError:
        raise UserError(f"--levels '{text}': erwartet Zahlen, z. B. 50,100,200.") from None
    if not levels or any(not v > 0 for v in levels):
        raise UserError("--levels: die Schwellen müssen größer als 0 sein.")
    return levels


def default_pixel(bounds: tuple[float, float, float, float]) -> float:
    """Pixel size (m) for about :data:`DEFAULT_PIXELS` pixels along the longer side, rounded."""
    from geo.analysis.hotspots import nice_cell_size

    return nice_cell_size(max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / DEFAULT_PIXELS)


def write_geotiff(result, path: Path) -> None:
    """GeoTIFF (float32, deflate) with CRS and transform; units in the tags."""
    import numpy as np
    import rasterio

    rows, cols = result.shape
    try:
        with rasterio.open(
            path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype="float32",
            crs=result.crs, transform=result.transform, compress="deflate",
        ) as dst:
            dst.write(result.density.astype(np.float32), 1)
            dst.update_tags(units="Ereignisse je km2", kernel=result.kernel, bandwidth_m=f"{result.bandwidth:.1f}")
            dst.set_band_description(1, "Kerndichte (Ereignisse je km2)")
    except (OSError, rasterio.errors.RasterioError) as exc:
        raise UserError(f"Datei {path} kann nicht geschrieben werden: {exc}.") from None


def write_png(result, path: Path, boundary, title: str, base=None) -> None:
    """A picture of the density with colour bar and the area outline (matplotlib, no pyplot), over the
    store's base map (buildings, streets; :func:`geo.report.staticmap.plot_base`) when there is one."""
    import numpy as np
    import shapely
    from matplotlib.figure import Figure

    from geo.report.staticmap import plot_base

    minx, miny, maxx, maxy = result.bounds
    fig = Figure(figsize=(8, 8 * (maxy - miny) / max(maxx - minx, 1.0) + 0.6), dpi=120)
    ax = fig.add_subplot()
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    has_base = base is not None and len(base)
    if has_base:
        plot_base(ax, base.to_crs(result.crs) if result.crs else base, line_scale=0.3)
    dens = np.ma.masked_less_equal(result.density, 0)
    im = ax.imshow(dens, extent=(minx, maxx, miny, maxy), origin="upper", cmap="YlOrRd", interpolation="nearest",
                   alpha=0.8 if has_base else 1.0, zorder=1)
    for poly in shapely.get_parts(boundary):
        x, y = poly.exterior.xy
        ax.plot(x, y, color="#333333", linewidth=1.0)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, shrink=0.8, label="Ereignisse je km²")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise UserError(f"Datei {path} kann nicht geschrieben werden: {exc.strerror or exc}.") from None


def _store_base(args: argparse.Namespace, area):
    """The store's base map (``None`` without a store)."""
    from geo.data.store import default_store_location, is_store_url, open_store

    location = getattr(args, "store", None) or default_store_location()
    if not is_store_url(location) and not Path(location).is_file():
        return None
    return open_store(location, area).read_base()  # a postgresql:// URL: the PostGIS store's base map


def run(args: argparse.Namespace) -> int:
    from geo.analysis.density import density_contours, kde
    from geo.analysis.hotspots import format_metres
    from geo.core.schema import KINDS
    from geo.data.exports import write_table

    suffix = args.out.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"Ausgabedatei {args.out.name}: Endung muss {', '.join(FORMATS)} sein.")
    if args.cell is not None and not args.cell > 0:
        raise UserError("--cell muss größer als 0 sein.")
    if args.bandwidth is not None and not args.bandwidth > 0:
        raise UserError("--bandwidth muss größer als 0 sein.")
    levels = _parse_levels(args.levels)
    kind = KINDS[args.kind]
    area = load_area(args)
    records = spatial(args, load_records(args, args.kind), args.kind)
    if len(records) == 0:
        raise UserError(f"Keine {kind.label_plural} im gewählten Zeitraum.")
    x0, y0, x1, y1 = (float(v) for v in area.boundary.bounds)
    bounds = (x0, y0, x1, y1)
    cell = args.cell or default_pixel(bounds)
    result = kde(records, kind.weight_field, bounds=bounds, cell=cell, bandwidth=args.bandwidth,
                 kernel=args.kernel, crs=area.crs)
    rows, cols = result.shape
    rule = "vorgegeben" if args.bandwidth else "Standardregel wie ArcGIS: 0,9 · min(SD, √(1/ln 2) · Dm) · n^-0,2"
    print(f"{kind.label_plural}: {fmt.number(len(records))} Datensätze; Kern: {args.kernel}")
    print(f"Bandbreite: {format_metres(result.bandwidth)} ({rule})")
    print(f"Pixelgröße: {format_metres(cell)}, Raster {cols} × {rows} Pixel")
    print(f"Höchste Dichte: {fmt.number(result.density.max())} je km²")
    if suffix in (".tif", ".tiff"):
        write_geotiff(result, args.out)
    elif suffix == ".png":
        write_png(result, args.out, area.boundary, f"{kind.label_plural} – Kerndichte (je km²)",
                  base=_store_base(args, area))
    else:
        contours = density_contours(result, levels, clip=area.boundary)
        if len(contours) == 0:
            raise UserError("Keine der Schwellen wird erreicht; bitte kleinere --levels wählen.")
        print("Schwellen: " + ", ".join(fmt.number(v) for v in contours["level"]) + " je km²")
        write_table(contours, args.out)
    print(f"Geschrieben: {args.out}")
    return 0
