"""Backup and restore of the store, one command each.

A backup is a ZIP file (readable by the owner only) holding

* ``store.gpkg`` – a consistent snapshot of the store. The store is never changed in
  place (writers replace the whole file), so copying from one open file handle gives a
  complete state without blocking imports;
* ``audit.jsonl`` – the audit log at that time;
* ``manifest.json`` – format, version, time, CRS, record counts per kind and the
  SHA-256 of each member.

:func:`restore` validates a backup completely before it touches anything: manifest,
checksums, SQLite integrity, GeoPackage layers, the kinds' columns and the CRS of the study
area. It then keeps a copy of the current store beside the backups
(``…-vor-wiederherstellung-….gpkg``) and replaces the store with one atomic rename under
the writer lock. A crash at any point leaves either the old or the restored store, never a
mixture. A plain ``.gpkg`` (such as that copy) can be restored as well.

A PostGIS store (:mod:`geo.data.pgstore`) is backed up in the same format: its content is
copied into the ZIP's GeoPackage (:func:`geo.data.storecopy.snapshot_to_geopackage`, under
the database's writer lock); a restore replaces the database's content in one transaction.

The current audit log is kept (it is append-only and also records the restore); the log
from the backup is only put in place when there is none.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyogrio
from pyproj import CRS

from geo.core.area import StudyArea
from geo.core.errors import UserError
from geo.core.schema import IMPORT_ID, KINDS, RECORD_ID
from geo.data.private import make_private, private_dir, private_fd
from geo.data.readers import GPKG_APPLICATION_IDS, check_zip_directory, extract_member
from geo.data.store import IMPORTS_TABLE, Store

BACKUP_FORMAT = "lagebild-backup"
BACKUP_VERSION = 1
STORE_MEMBER = "store.gpkg"
AUDIT_MEMBER = "audit.jsonl"
MANIFEST_MEMBER = "manifest.json"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError)


@dataclass
class StoreCheck:
    """Content of a validated store file: records per kind and number of imports."""

    counts: dict[str, int]
    imports: int

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass
class BackupInfo:
    """A written backup."""

    path: Path
    size: int
    check: StoreCheck


@dataclass
class RestoreInfo:
    """A finished restore; ``previous`` is the copy of the replaced store (None if there was none); ``removed``
    the records per kind that the backup still held but that had been deleted since (tombstones)."""

    check: StoreCheck
    previous: Path | None
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """Records in the store after the restore."""
        return self.check.records - sum(self.removed.values())


def backup_dir(store: Store) -> Path:
    """Default folder for backups: ``backups/`` beside the store."""
    return store.path.parent / "backups"


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_file(path: Path) -> int:
    """Create ``path`` (truncated) with mode 0600 and return its descriptor."""
    return private_fd(path)


#: Working files of a backup or restore, named with the writing process's id (``.x.zip.partial-123``).
_WORK_FILE = re.compile(r"^\..+\.(?:partial-(\d+)|snapshot-(\d+)\.gpkg|restore-(\d+)\.gpkg)$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale_work_files(*folders: Path) -> list[Path]:
    """Remove backup/restore working files (full copies of the store!) left by processes that are gone.

    A backup or restore killed with ``kill -9`` cannot clean up after itself; the next one does. Files of
    processes still running are kept. Returns the removed paths.
    """
    removed = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            m = _WORK_FILE.match(path.name)
            if m and path.is_file() and not _alive(int(next(g for g in m.groups() if g))):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


#: Tables a Lagebild store may hold besides the kinds' layers (GeoPackage and SQLite bookkeeping included).
STORE_TABLES = frozenset({IMPORTS_TABLE, "aggregated_counts", "sqlite_sequence"})
STORE_TABLE_PREFIXES = ("gpkg_", "rtree_", "lagebild_")
#: Triggers GDAL writes: R-tree maintenance and feature counts; they may change only those tables.
_OWN_TRIGGER = re.compile(r"^(rtree_\w+_(insert|update\d*|delete)|trigger_(insert|delete)_feature_count_\w+|gpkg_\w+)$")
_WRITES_TO = re.compile(r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
                        r"\s+[\"'`\[]?(\w+)", re.IGNORECASE)
#: What a rejected-rows file that Lagebild wrote is called (in ``<store>.rejects/``).
_REJECTS_NAME = re.compile(r"^import-\d{5,}-[\w.-]*\.csv$")


def rejects_path_ok(value: object) -> bool:
    """True if an import's ``rejects_file`` entry is one Lagebild writes: ``…/<store>.rejects/import-N-….csv``,
    absolute, without ``..`` — anything else (``/etc/passwd``, ``../accounts.toml``) is refused."""
    if value is None or value != value or str(value) == "":
        return True
    path = Path(str(value))
    return (path.is_absolute() and ".." not in path.parts and path.parent.name.endswith(".rejects")
            and bool(_REJECTS_NAME.match(path.name)))


def check_store_contents(con: sqlite3.Connection, name: str) -> None:
    """Refuse what Lagebild never writes: unknown tables, views, foreign triggers, paths outside the store.

    A crafted store could carry a trigger that keeps copies of deleted records, a view, or an import history whose
    ``rejects_file`` points at ``accounts.toml`` or ``/etc/passwd`` (downloadable from the Daten page).

    Raises
    ------
    UserError
        One German line naming the first such object.
    """
    for kind, obj, sql in con.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master"):
        if kind == "view":
            raise UserError(f"{name}: enthält die Sicht '{obj}' – so etwas schreibt Lagebild nicht; abgelehnt.")
        if kind == "table" and obj not in KINDS and obj not in STORE_TABLES \
                and not obj.startswith(STORE_TABLE_PREFIXES):
            raise UserError(f"{name}: enthält die fremde Tabelle '{obj}'; abgelehnt.")
        if kind == "trigger":
            body = re.split(r"\bBEGIN\b", re.sub(r"'(?:[^']|'')*'", "''", sql), maxsplit=1, flags=re.IGNORECASE)[-1]
            targets = {t.lower() for t in _WRITES_TO.findall(body)}
            foreign = {t for t in targets if not (t.startswith("rtree_") or t == "gpkg_ogr_contents")}
            if not _OWN_TRIGGER.match(obj) or foreign:
                raise UserError(f"{name}: enthält den fremden Trigger '{obj}'; abgelehnt.")
    rows = con.execute(f"SELECT rejects_file FROM {IMPORTS_TABLE}").fetchall()
    bad = [r[0] for r in rows if not rejects_path_ok(r[0])]
    if bad:
        raise UserError(f"{name}: Importprotokoll verweist auf eine Datei außerhalb des Speichers "
                        f"({str(bad[0])[:80]}); "
                        "abgelehnt.")


def check_store_file(path: str | os.PathLike, area: StudyArea, *, name: str | None = None) -> StoreCheck:
    """Validate a store file: GeoPackage, intact, known layers with their columns, the area's CRS.

    Raises
    ------
    UserError
        One German line naming the first problem.
    """
    path = Path(path)
    name = name or path.name
    with open(path, "rb") as fh:
        head = fh.read(100)
    if not head.startswith(b"SQLite format 3\x00") or head[68:72] not in GPKG_APPLICATION_IDS:
        raise UserError(f"{name}: keine GeoPackage-Datei – nicht wiederherstellbar.")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
            result = con.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise UserError(f"{name}: Datenbank beschädigt ({str(result[0][0])[:100]}).")
            columns = {r[1] for r in con.execute(f"PRAGMA table_info({IMPORTS_TABLE})")}
            if not {"import_id", "kind", "sha256", "file_name", "rejects_file"} <= columns:
                raise UserError(f"{name}: Importprotokoll ({IMPORTS_TABLE}) fehlt – kein Lagebild-Speicher.")
            imports = con.execute(f"SELECT count(*) FROM {IMPORTS_TABLE}").fetchone()[0]
            check_store_contents(con, name)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{name}: Datenbank nicht lesbar ({exc}).") from None
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - GDAL's reasons become one German line
        raise UserError(f"{name}: GeoPackage nicht lesbar.") from None
    counts = {}
    target = CRS.from_user_input(area.crs)
    for layer in layers:
        if layer not in KINDS:  # the import history, aggregated counts, or a layer of a newer version
            continue
        try:
            info = pyogrio.read_info(path, layer=layer)
        except Exception:  # noqa: BLE001
            raise UserError(f"{name}: Ebene '{layer}' nicht lesbar.") from None
        missing = {RECORD_ID, IMPORT_ID, *(f.name for f in KINDS[layer].fields if f.required)} - set(info["fields"])
        if missing:
            raise UserError(f"{name}: Ebene '{layer}' ohne Spalte(n) {', '.join(sorted(missing))}.")
        if info.get("crs") is None or not CRS.from_user_input(info["crs"]).equals(target):
            raise UserError(f"{name}: Ebene '{layer}' hat das Koordinatensystem {info.get('crs')}, "
                            f"das Gebiet {area.name} aber {area.crs} – falsches Gebiet?")
        counts[layer] = int(info["features"])
    return StoreCheck(counts, int(imports))


def backup(store: Store, out: str | os.PathLike | None = None, *, user: str = "lokal",
           now: datetime | None = None) -> BackupInfo:
    """Write a backup of ``store`` to ``out`` (default: ``backups/<store>-<time>.zip``).

    Raises
    ------
    UserError
        No store, ``out`` exists already or is the store itself, or the snapshot is invalid.
    """
    if not store.exists():
        raise UserError(f"Speicher {store.path} existiert nicht – nichts zu sichern.")
    now = now or datetime.now()
    out = Path(out) if out is not None else backup_dir(store) / f"{store.path.stem}-{now:%Y%m%d-%H%M%S}.zip"
    if out.exists():
        raise UserError(f"{out} existiert bereits; bitte einen anderen Namen wählen.")
    private_dir(out.parent, own=out.parent == backup_dir(store))
    remove_stale_work_files(out.parent, backup_dir(store), store.path.parent)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    snapshot = out.with_name(f".{out.name}.snapshot-{os.getpid()}.gpkg")
    try:
        if _is_pg(store):  # a GeoPackage copy of the database, read under its writer lock
            from geo.data.storecopy import snapshot_to_geopackage

            snapshot_to_geopackage(store, snapshot)
            os.chmod(snapshot, 0o600)
        else:
            with open(store.path, "rb") as src, os.fdopen(_private_file(snapshot), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)  # one open handle: a complete snapshot
        check = check_store_file(snapshot, store.area, name=store.path.name)
        audit = _read_audit(store)
        manifest = {
            "format": BACKUP_FORMAT, "version": BACKUP_VERSION, "created_at": now.isoformat(timespec="seconds"),
            "store": store.path.name, "area": store.area.name, "crs": store.area.crs, "counts": check.counts,
            "imports": check.imports,
            "files": {STORE_MEMBER: _sha256(snapshot), AUDIT_MEMBER: hashlib.sha256(audit).hexdigest()},
        }
        with os.fdopen(_private_file(partial), "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                zf.write(snapshot, STORE_MEMBER)
                zf.writestr(AUDIT_MEMBER, audit)
                zf.writestr(MANIFEST_MEMBER, json.dumps(manifest, ensure_ascii=False, indent=2))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, out)
        _fsync_dir(out.parent)
    except OSError as exc:
        raise UserError(f"Sicherung nach {out} nicht möglich: {exc.strerror or exc}.") from None
    finally:
        snapshot.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    store.audit("backup", user=user, count=check.records, detail=f"Sicherung {out}")
    return BackupInfo(out, out.stat().st_size, check)


def _is_pg(store) -> bool:
    return getattr(store, "backend", "geopackage") == "postgis"


def _audit_jsonl(log) -> bytes:
    """Audit rows (a DataFrame) as JSON lines, like the GeoPackage store's audit file."""
    lines = []
    for r in log.to_dict("records"):
        entry = {c: (None if r.get(c) is None or (isinstance(r.get(c), float) and r.get(c) != r.get(c))
                     else (int(r[c]) if c == "count" else r[c]))
                 for c in ("at", "user", "action", "kind", "count", "detail")}
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    return "".join(lines).encode("utf-8")


def _read_audit(store: Store) -> bytes:
    """The audit log's bytes, read under its lock so no half-written line is copied."""
    if _is_pg(store):
        return _audit_jsonl(store.audit_log())
    if not store.audit_path.is_file():
        return b""
    with open(store.audit_path, "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
        try:
            return fh.read()
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _stage(file: Path, staged: Path) -> bytes | None:
    """Put the store of backup ``file`` at ``staged``; return the backup's audit log (None for a .gpkg)."""
    name = file.name
    with open(file, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3"):
        shutil.copyfile(file, staged)
        return None
    if not head.startswith(b"PK"):
        raise UserError(f"{name}: keine Lagebild-Sicherung (erwartet .zip aus 'lagebild backup' oder .gpkg).")
    check_zip_directory(file, name)
    try:
        zf = zipfile.ZipFile(file)
    except (*_ZIP_ERRORS, ValueError):
        raise UserError(f"{name}: ZIP-Archiv beschädigt.") from None
    with zf:
        infos = zf.infolist()
        members = {i.filename: i for i in infos}
        if set(members) != {STORE_MEMBER, AUDIT_MEMBER, MANIFEST_MEMBER}:
            raise UserError(f"{name}: keine Lagebild-Sicherung (Inhalt: {', '.join(sorted(members))[:200]}).")
        if members[MANIFEST_MEMBER].file_size > 1 << 20 or members[AUDIT_MEMBER].file_size > 1 << 30:
            raise UserError(f"{name}: Sicherung unplausibel groß – abgelehnt.")
        try:
            manifest = json.loads(zf.read(MANIFEST_MEMBER))
            audit = zf.read(AUDIT_MEMBER)
        except (*_ZIP_ERRORS, ValueError):
            raise UserError(f"{name}: Sicherung beschädigt (Manifest oder Audit-Log).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
            raise UserError(f"{name}: keine Lagebild-Sicherung (Manifest fehlt oder fremd).")
        if not isinstance(manifest.get("version"), int) or manifest["version"] > BACKUP_VERSION:
            raise UserError(f"{name}: Sicherung aus einer neueren Lagebild-Version ({manifest.get('version')}).")
        files = manifest.get("files") or {}
        extract_member(zf, members[STORE_MEMBER], staged, name)
    if _sha256(staged) != files.get(STORE_MEMBER) or hashlib.sha256(audit).hexdigest() != files.get(AUDIT_MEMBER):
        raise UserError(f"{name}: Prüfsumme stimmt nicht – Sicherung beschädigt oder verändert.")
    return audit


def restore(store: Store, file: str | os.PathLike, *, user: str = "lokal", now: datetime | None = None) -> RestoreInfo:
    """Replace the store with the validated content of backup ``file`` (atomic).

    Raises
    ------
    UserError
        The file is missing, not a Lagebild backup, damaged, or made for another area;
        the store is unchanged then.
    """
    file = Path(file)
    if not file.is_file():
        raise UserError(f"Sicherung {file} nicht gefunden.")
    now = now or datetime.now()
    if _is_pg(store):
        return _restore_into_database(store, file, user=user, now=now)
    private_dir(store.path.parent, own=False)
    remove_stale_work_files(backup_dir(store), store.path.parent)
    staged = store.path.with_name(f".{store.path.stem}.restore-{os.getpid()}.gpkg")
    previous = None
    removed: dict[str, int] = {}
    try:
        audit = _stage(file, staged)
        make_private(staged)  # it becomes the store
        check = check_store_file(staged, store.area, name=file.name)
        with store.lock():
            # records deleted for data protection since the backup was made stay deleted (their tombstones,
            # read under the lock so no deletion slips in between, are carried over)
            removed = _apply_tombstones(staged, store)
            with open(staged, "rb+") as fh:
                os.fsync(fh.fileno())
            if store.exists():
                previous = backup_dir(store) / f"{store.path.stem}-vor-wiederherstellung-{now:%Y%m%d-%H%M%S}.gpkg"
                private_dir(previous.parent)
                with open(store.path, "rb") as src, os.fdopen(_private_file(previous), "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                    dst.flush()
                    os.fsync(dst.fileno())
            os.replace(staged, store.path)
            _fsync_dir(store.path.parent)
    except OSError as exc:
        raise UserError(f"Wiederherstellung nicht möglich: {exc.strerror or exc}.") from None
    finally:
        staged.unlink(missing_ok=True)
    if audit and not store.audit_path.exists():
        with os.fdopen(_private_file(store.audit_path), "wb") as fh:
            fh.write(audit)
    info = RestoreInfo(check, previous, {k: n for k, n in removed.items() if n})
    store.audit("restore", user=user, count=info.records,
                detail=f"aus {file.name}" + (f"; vorheriger Stand: {previous}" if previous else "")
                + (f"; seither gelöscht und wieder entfernt: {sum(info.removed.values())}" if info.removed else ""))
    return info


def _apply_tombstones(staged: Path, store: Store) -> dict[str, int]:
    """Carry the current store's tombstones into the staged store and delete the records they name."""
    tombstones = store.tombstones()
    if not any(tombstones.values()):
        return {}
    target = Store(staged, store.area)
    try:
        return target.apply_tombstones(tombstones)
    finally:
        target.lock_path.unlink(missing_ok=True)


def _restore_into_database(store, file: Path, *, user: str, now: datetime) -> RestoreInfo:
    """:func:`restore` for a PostGIS store: validate, keep a GeoPackage copy of the current content,
    then replace everything in one transaction."""
    import pandas as pd

    from geo.data.storecopy import is_blank, read_content, read_extras, snapshot_to_geopackage, write_content

    store.path.parent.mkdir(parents=True, exist_ok=True)
    staged = store.path.with_name(f".{store.path.stem}.restore-{os.getpid()}.gpkg")
    previous = None
    removed: dict[str, int] = {}
    try:
        audit = _stage(file, staged)
        check = check_store_file(staged, store.area, name=file.name)
        with store.lock():  # records deleted since the backup stay deleted (tombstones into the staged copy)
            removed = _apply_tombstones(staged, store)
        records, imports, aggregates, _ = read_content(Store(staged, store.area))
        extras = read_extras(Store(staged, store.area))
        backup_audit = (pd.read_json(io.BytesIO(audit), lines=True, dtype=False) if audit
                        else None)
        if not is_blank(store):
            previous = backup_dir(store) / f"{store.path.stem}-vor-wiederherstellung-{now:%Y%m%d-%H%M%S}.gpkg"
            previous.parent.mkdir(parents=True, exist_ok=True)
            snapshot_to_geopackage(store, previous)
            os.chmod(previous, 0o600)
        with store.lock():
            write_content(store, records, imports, aggregates, backup_audit, keep_audit=True, extras=extras)
    except OSError as exc:
        raise UserError(f"Wiederherstellung nicht möglich: {exc.strerror or exc}.") from None
    finally:
        staged.unlink(missing_ok=True)
    info = RestoreInfo(check, previous, {k: n for k, n in removed.items() if n})
    store.audit("restore", user=user, count=info.records,
                detail=f"aus {file.name}" + (f"; vorheriger Stand: {previous}" if previous else ""))
    return info
