"""Backups of the database and the uploaded files, rotated so none outlives the policy's month.

Everything goes through Django's storage API: a backup is the folder ``backup-<UTC time>/`` in
the ``backups`` storage (``STORAGES["backups"]``: a directory by default, an S3-compatible bucket
in production) holding ``database.dump`` (pg_dump custom format) or ``database.sqlite3`` (an
online copy through SQLite's backup API), ``media.tar.gz`` of every uploaded file read through
the ``default`` storage, and ``complete`` written last (a backup without it is refused on
restore and deleted by the rotation like any other). Once a cancelled organisation is erased,
the backups still holding it are gone within ``CLOUD_BACKUP_KEEP_DAYS``; the default keeps that
within the month the policy names.
"""

import logging
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

PREFIX = "backup-"
STAMP = "%Y%m%dT%H%M%SZ"
COMPLETE = "complete"


class BackupError(RuntimeError):
    pass


def backup_storage() -> Storage:
    return storages["backups"]


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


def backup_create(*, now: datetime | None = None) -> str:
    """Write one complete backup into the backups storage and return its name."""
    now = now or timezone.now()
    name = f"{PREFIX}{now.astimezone(UTC).strftime(STAMP)}"
    storage = backup_storage()
    with tempfile.TemporaryDirectory(prefix="optigem-backup-") as scratch:
        work = Path(scratch)
        try:
            dump = _dump_database(work)
            archive_path = work / "media.tar.gz"
            with tarfile.open(archive_path, "w:gz") as archive:
                _archive_storage(archive, default_storage)
            for path in (dump, archive_path):
                with path.open("rb") as handle:
                    _save(storage, f"{name}/{path.name}", File(handle))
            _save(storage, f"{name}/{COMPLETE}", ContentFile(now.isoformat().encode()))
        except BaseException:
            _delete_backup(storage, name)
            raise
    logger.info("cloud.backup.created name=%s", name)
    return name


def _save(storage: Storage, name: str, content: File) -> None:
    saved = storage.save(name, content)
    if saved != name:  # a name already taken: the storage chose another, so this is no backup
        storage.delete(saved)
        raise BackupError(f"{name} exists already")


def _delete_backup(storage: Storage, name: str) -> None:
    for file_name in list(_storage_names(storage, name)):
        storage.delete(file_name)
    storage.delete(name)  # the emptied folder, where the storage has folders


def _taken_at(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.removeprefix(PREFIX), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def backups_list() -> list[str]:
    """The names of the backups in the backups storage, oldest first."""
    try:
        folders, _files = backup_storage().listdir("")
    except FileNotFoundError:
        return []
    return sorted(f for f in folders if f.startswith(PREFIX) and _taken_at(f) is not None)


def backups_rotate(*, now: datetime | None = None) -> list[str]:
    """Delete every backup older than ``CLOUD_BACKUP_KEEP_DAYS``; return what was deleted."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.CLOUD_BACKUP_KEEP_DAYS)
    storage = backup_storage()
    removed = []
    for name in backups_list():
        taken_at = _taken_at(name)
        if taken_at is not None and taken_at < limit:
            _delete_backup(storage, name)
            removed.append(name)
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


def _download(storage: Storage, name: str, target: Path) -> Path:
    with storage.open(name, "rb") as source, target.open("wb") as copy:
        for chunk in source.chunks():
            copy.write(chunk)
    return target


def backup_restore(
    name: str,
    *,
    database_name: str | None = None,
    sqlite_path: Path | None = None,
    media_root: Path | None = None,
) -> None:
    """Restore the backup ``name`` from the backups storage: the database into
    ``database_name`` (PostgreSQL) or ``sqlite_path``, the files into ``media_root``; each
    defaults to the configured one."""
    storage = backup_storage()
    if not storage.exists(f"{name}/{COMPLETE}"):
        raise BackupError(f"{name} is no complete backup")
    with tempfile.TemporaryDirectory(prefix="optigem-restore-") as scratch:
        work = Path(scratch)
        if storage.exists(f"{name}/database.dump"):
            dump = _download(storage, f"{name}/database.dump", work / "database.dump")
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
                    str(dump),
                ],
                env,
            )
        elif storage.exists(f"{name}/database.sqlite3"):
            target = sqlite_path or Path(connection.settings_dict["NAME"])
            _download(storage, f"{name}/database.sqlite3", target)
        else:
            raise BackupError(f"{name} holds no database dump")
    files = FileSystemStorage(location=media_root) if media_root else default_storage
    with (
        storage.open(f"{name}/media.tar.gz", "rb") as handle,
        tarfile.open(fileobj=handle, mode="r|gz") as archive,
    ):
        _restore_storage(archive, files)
    logger.info("cloud.backup.restored name=%s", name)
