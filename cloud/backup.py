"""Backups of the database and the uploaded files, rotated so none outlives the policy's month.

A backup is a folder ``backup-<UTC time>`` under ``CLOUD_BACKUP_DIR`` holding
``database.dump`` (pg_dump custom format) or ``database.sqlite3`` (an online copy through
SQLite's backup API), and ``media.tar.gz`` of every uploaded file, read through the storage API (so ``STORAGES`` may
point at object storage). Once a cancelled organisation
is erased, the backups still holding it are gone within ``CLOUD_BACKUP_KEEP_DAYS``; the
default keeps that within the month the policy names.
"""

import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

PREFIX = "backup-"
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    pass


def _pg_env(db: dict) -> tuple[list[str], dict[str, str]]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")


def _dump_database(target: Path) -> Path:
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        args, env = _pg_env(db)
        path = target / "database.dump"
        _run(["pg_dump", *args, "-Fc", "--no-owner", "-f", str(path), db["NAME"]], env)
        return path
    if connection.vendor == "sqlite":
        path = target / "database.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return path
    raise BackupError(f"no backup method for {connection.vendor}")


def backup_create(*, now: datetime | None = None) -> Path:
    """Write one complete backup and return its folder (written under a temporary name first)."""
    now = now or timezone.now()
    root = Path(settings.CLOUD_BACKUP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{PREFIX}{now.astimezone(UTC).strftime(STAMP)}"
    partial = root / f".partial-{final.name}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    try:
        _dump_database(partial)
        with tarfile.open(partial / "media.tar.gz", "w:gz") as archive:
            _archive_storage(archive, default_storage)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info("cloud.backup.created name=%s", final.name)
    return final


def _taken_at(folder: Path) -> datetime | None:
    try:
        return datetime.strptime(folder.name.removeprefix(PREFIX), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def backups_rotate(*, now: datetime | None = None) -> list[Path]:
    """Delete every backup older than ``CLOUD_BACKUP_KEEP_DAYS``; return what was deleted."""
    now = now or timezone.now()
    root = Path(settings.CLOUD_BACKUP_DIR)
    limit = now - timedelta(days=settings.CLOUD_BACKUP_KEEP_DAYS)
    removed = []
    for folder in sorted(root.glob(f"{PREFIX}*")) if root.exists() else []:
        taken = _taken_at(folder)
        if taken is not None and taken < limit:
            shutil.rmtree(folder)
            removed.append(folder)
    logger.info("cloud.backup.rotated removed=%s", len(removed))
    return removed


def _storage_names(storage: Storage, folder: str = ""):
    """Every file name in ``storage`` (walked through ``listdir``, no filesystem path)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _storage_names(storage, f"{folder}/{sub}" if folder else sub)


def _archive_storage(archive: tarfile.TarFile, storage: Storage) -> None:
    """Add each stored file to the archive, read through the storage API, so the uploads may
    live in object storage as well as on a disk."""
    for name in _storage_names(storage):
        with storage.open(name, "rb") as handle:
            info = tarfile.TarInfo(name)
            info.size = storage.size(name)
            info.mode = 0o600
            archive.addfile(info, handle)


def _restore_storage(archive: tarfile.TarFile, storage: Storage) -> None:
    """Write every regular file of the archive back under its own name (links, devices and
    names leaving the storage are skipped)."""
    for member in archive:
        name = PurePosixPath(member.name)
        if not member.isfile() or name.is_absolute() or ".." in name.parts:
            continue
        handle = archive.extractfile(member)
        if handle is None:
            continue
        key = str(name).removeprefix("./")
        if storage.exists(key):
            storage.delete(key)
        storage.save(key, File(handle))


def backup_restore(
    folder: Path,
    *,
    database_name: str | None = None,
    sqlite_path: Path | None = None,
    media_root: Path | None = None,
) -> None:
    """Restore a backup: the database into ``database_name`` (PostgreSQL) or ``sqlite_path``,
    the files into ``media_root``; each defaults to the configured one."""
    folder = Path(folder)
    if (folder / "database.dump").exists():
        db = connection.settings_dict
        args, env = _pg_env(db)
        _run(
            [
                "pg_restore",
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "-d",
                database_name or db["NAME"],
                str(folder / "database.dump"),
            ],
            env,
        )
    elif (folder / "database.sqlite3").exists():
        target = sqlite_path or Path(connection.settings_dict["NAME"])
        shutil.copyfile(folder / "database.sqlite3", target)
    else:
        raise BackupError(f"{folder} holds no database dump")
    storage = FileSystemStorage(location=media_root) if media_root else default_storage
    with tarfile.open(folder / "media.tar.gz", "r:gz") as archive:
        _restore_storage(archive, storage)
    logger.info("cloud.backup.restored name=%s", folder.name)
