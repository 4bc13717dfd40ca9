"""Options and helpers shared by the subcommands (store, area, period, input file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd

from geo.core import fmt
from geo.core.area import DEFAULT_CRS, StudyArea
from geo.core.area import load_area as _load_area
from geo.core.errors import UserError
from geo.core.period import Period, parse_date, records_in
from geo.core.schema import KINDS, get_kind, normalise_name, resolve_kind
from geo.data.store import Store, default_store_location, ensure_user_store, is_store_url
from geo.data.store import open_store as _open_store


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--store PATH|URL`` and ``--area TOML``."""
    parser.add_argument("--store", type=str, default=None, metavar="SPEICHER",
                        help="GeoPackage-Datei oder PostgreSQL-URL postgresql://benutzer@host/datenbank "
                             "(Standard: $LAGEBILD_STORE oder data/lagebild.gpkg)")
    parser.add_argument("--area", type=Path, default=None,
                        help="Gebietsdatei (TOML); Standard: $LAGEBILD_AREA oder Leipziger Osten")


def kind_argument(choices: tuple[str, ...] | list[str] | None = None):
    """argparse type for ``--kind``: an id or a German name (``spritzenfund``, ``Beschwerden``) → the kind id.

    Resolved by :func:`geo.core.schema.resolve_kind`; an unknown or unfitting name becomes
    argparse's error (one German line, exit 2).
    """
    allowed = tuple(choices) if choices is not None else tuple(KINDS)

    def parse(text: str) -> str:
        try:
            return resolve_kind(text, allowed)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "Art"  # argparse names the type in its messages
    return parse


def add_kind_option(parser: argparse.ArgumentParser, *, default: str | None = None, choices=None,
                    **kwargs) -> None:
    """``--kind ART``: one of ``choices`` (default: all kinds), by id or German name."""
    names = tuple(choices) if choices is not None else tuple(KINDS)
    parser.add_argument("--kind", required=default is None, default=default, type=kind_argument(names),
                        metavar="ART", help="Art der Datensätze: "
                        + ", ".join(f"{n} ({KINDS[n].label})" for n in names) + "; auch deutsch, z. B. "
                        + normalise_name(KINDS[names[0]].label), **kwargs)


def date_argument(text: str):
    """argparse type for dates: a wrong date becomes argparse's own error (German text, exit 2)."""
    try:
        return parse_date(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_period_options(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--from DATE --to DATE`` (inclusive; 2026-01-31 or 31.01.2026)."""
    parser.add_argument("--from", dest="date_from", type=date_argument, required=required, metavar="DATUM",
                        help="Beginn des Zeitraums (einschließlich)")
    parser.add_argument("--to", dest="date_to", type=date_argument, required=required, metavar="DATUM",
                        help="Ende des Zeitraums (einschließlich)")


def add_column_options(parser: argparse.ArgumentParser) -> None:
    """Options that tell the importer where fields and coordinates are."""
    parser.add_argument("--layer", help="Ebene einer GeoPackage-Datei")
    parser.add_argument("--crs",
                        help=f"Koordinatensystem von x/y-, WKT- oder Shapefile-Koordinaten, z. B. {DEFAULT_CRS}")
    parser.add_argument("--lat", help="Spalte mit der geografischen Breite")
    parser.add_argument("--lon", help="Spalte mit der geografischen Länge")
    parser.add_argument("--x", help="Spalte mit x/Rechtswert (mit --crs)")
    parser.add_argument("--y", help="Spalte mit y/Hochwert (mit --crs)")
    parser.add_argument("--column", action="append", default=[], metavar="FELD=SPALTE",
                        help="Spalte für ein Feld angeben, z. B. --column found_at=Funddatum (mehrfach möglich; "
                             "auch time_to=Spalte für das Ende eines Zeitfensters)")
    parser.add_argument("--date-format", default=None, metavar="FORMAT",
                        help="Datumsformat vorgeben (strftime), z. B. '%%d/%%m/%%Y %%H:%%M'; sonst automatisch erkannt")
    order = parser.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="date_order", action="store_const", const="dayfirst",
                       help="Daten wie 03/04/2024 als Tag/Monat lesen (3. April)")
    order.add_argument("--monthfirst", dest="date_order", action="store_const", const="monthfirst",
                       help="Daten wie 03/04/2024 als Monat/Tag lesen (4. März)")


def add_input_option(parser: argparse.ArgumentParser) -> None:
    """``--input FILE``: analyse a file directly (validated like an import) instead of the store."""
    parser.add_argument("--input", type=Path, default=None, metavar="DATEI",
                        help="Datei direkt auswerten (statt des Speichers), geprüft wie beim Import")
    add_column_options(parser)


def column_options(args: argparse.Namespace):
    from geo.data.ingest import ColumnOptions

    columns = {}
    for item in getattr(args, "column", []) or []:
        if "=" not in item:
            raise UserError(f"--column '{item}': erwartet FELD=SPALTE.")
        k, v = item.split("=", 1)
        columns[k.strip()] = v.strip()
    date_format = getattr(args, "date_format", None)
    if date_format is not None and "%" not in date_format:
        raise UserError(f"--date-format '{date_format}': erwartet ein strftime-Format, z. B. %d/%m/%Y %H:%M.")
    return ColumnOptions(columns=columns, lat=getattr(args, "lat", None), lon=getattr(args, "lon", None),
                         x=getattr(args, "x", None), y=getattr(args, "y", None), crs=getattr(args, "crs", None),
                         date_format=date_format, date_order=getattr(args, "date_order", None))


def add_grid_options(parser: argparse.ArgumentParser, *, cell_default: float | None = None,
                     cell_help: str = "Zellgröße in Metern (Sechseck: Höhe; Standard: automatisch)",
                     band: bool = True) -> None:
    """``--grid hex|square``, ``--cell METRES`` and (with ``band``) ``--band METRES``."""
    parser.add_argument("--grid", choices=("hex", "square"), default="hex", help="Zellform (Standard: hex)")
    parser.add_argument("--cell", type=float, default=cell_default, metavar="M", help=cell_help)
    if band:
        parser.add_argument("--band", type=float, default=None, metavar="M",
                            help="Distanzband für Gi* in Metern (Standard: automatisch)")


def add_table_output(parser: argparse.ArgumentParser, *, required: bool = True, help: str | None = None) -> None:
    """``--out FILE`` for a table: .csv, .geojson or .gpkg (checked with :func:`check_table_output`)."""
    parser.add_argument("--out", type=Path, required=required, default=None, metavar="DATEI",
                        help=help or "Ausgabedatei: .csv, .geojson oder .gpkg")


def check_table_output(path: Path | None) -> None:
    """Refuse an output file whose extension is not a table format."""
    from geo.data.exports import TABLE_FORMATS

    if path is not None and path.suffix.lower() not in TABLE_FORMATS:
        raise UserError(f"Ausgabedatei {path.name}: Endung muss {', '.join(TABLE_FORMATS)} sein.")


def check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise UserError("--alpha muss zwischen 0 und 1 liegen.")


def load_area(args: argparse.Namespace) -> StudyArea:
    """The study area of ``--area`` (or the default); a bad file is an :class:`AreaConfigError` (a UserError)."""
    return _load_area(getattr(args, "area", None))


def open_store(args: argparse.Namespace) -> Store:
    """The store of ``--store`` (a GeoPackage path or a ``postgresql://`` URL; see :func:`store_location`)."""
    location = store_location(getattr(args, "store", None))
    return _open_store(location, load_area(args))


def store_location(text: str | Path | None) -> str | Path:
    """A ``postgresql://`` URL as it is, anything else as a checked GeoPackage path; ``None``: the default."""
    location = text if text is not None else default_store_location()
    if is_store_url(str(location)):
        return str(location)
    ensure_user_store(Path(location))
    return Path(location)


def period_from_args(args: argparse.Namespace) -> Period | None:
    start, end = getattr(args, "date_from", None), getattr(args, "date_to", None)
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise UserError("Bitte --from und --to zusammen angeben.")
    return Period(start, end)


def load_all_records(args: argparse.Namespace, kind: str) -> gpd.GeoDataFrame:
    """Records of ``kind`` of all dates (ignoring ``--from``/``--to``), e.g. for a measure's before/after."""
    narrowed = argparse.Namespace(**{**vars(args), "date_from": None, "date_to": None})
    return load_records(narrowed, kind)


def load_records(args: argparse.Namespace, kind: str) -> gpd.GeoDataFrame:
    """Records of ``kind`` in the period, from ``--input`` (validated) or from the store.

    Rejected rows of an input file are reported on stderr (count and top reasons).
    """
    kind_obj = get_kind(kind)
    period = period_from_args(args)
    path = getattr(args, "input", None)
    if path is not None:
        from geo.data.ingest import validate
        from geo.data.readers import read_table

        area = load_area(args)
        raw = read_table(path, layer=getattr(args, "layer", None), crs=getattr(args, "crs", None))
        checked = validate(raw, kind_obj, area, options=column_options(args))
        if len(checked.rejects):
            top = "; ".join(f"{r}: {n}" for r, n in checked.reason_counts().head(3).items())
            print(f"{path.name}: {fmt.number(len(checked.rejects))} Zeilen abgelehnt ({top})", file=sys.stderr)
        gdf = checked.valid.drop(columns=["row"])
        return records_in(gdf, kind_obj, period).reset_index(drop=True)
    store = open_store(args)
    if not store.exists():
        raise UserError(f"Speicher {store.path} existiert noch nicht – erst importieren oder 'lagebild demo'.")
    return store.read(kind_obj, period)


def add_stack_option(parser: argparse.ArgumentParser) -> None:
    """``--keep-stacks``: records on a Sammelpunkt (and coarse ones) enter spatial statistics too."""
    parser.add_argument("--keep-stacks", action="store_true",
                        help="Datensätze an Sammelpunkten (Ersatzkoordinaten der Geokodierung) und ungenau "
                             "verortete räumlich mit auswerten (Standard: weggelassen)")


def spatial(args: argparse.Namespace, records: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """The records a spatial statistic uses (see :func:`geo.core.quality.spatial_records`).

    Prints one line on what was left out (``4.548 Funde an einem Sammelpunkt nicht räumlich
    ausgewertet``) or, with ``--keep-stacks``, that they are included.
    """
    from geo.core.quality import left_out_line, spatial_records

    keep = bool(getattr(args, "keep_stacks", False))
    line = left_out_line(records, kind, keep_stacks=keep)
    if line:
        print(line)
    kept, _ = spatial_records(records, keep_stacks=keep)
    return kept.reset_index(drop=True)


def progress_printer(stage: str, fraction: float) -> None:
    """Progress on stderr for long imports."""
    print(f"  {stage} … {fraction:4.0%}", file=sys.stderr, flush=True)
