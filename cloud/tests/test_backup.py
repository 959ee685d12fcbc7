"""Backups: database and files, rotation within the policy's month, and a restore that works."""

import datetime
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cloud.backup import PREFIX, STAMP, backup_create, backup_storage, backups_list, backups_rotate

from .factories import PDF_BYTES, make_member, make_organisation, make_receipt


@pytest.fixture
def backup_dir(settings, tmp_path):
    """The backups storage, a folder here (S3 in production), reached through the same API."""
    folder = tmp_path / "backups"
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


def _stamp(moment: datetime.datetime) -> str:
    return PREFIX + moment.astimezone(datetime.UTC).strftime(STAMP)


def test_rotation_keeps_no_backup_older_than_the_configured_period(backup_dir, settings):
    settings.CLOUD_BACKUP_KEEP_DAYS = 28
    now = timezone.now()
    ages = {3: True, 27: True, 29: False, 90: False}
    for days in ages:
        (backup_dir / _stamp(now - datetime.timedelta(days=days))).mkdir(parents=True)
    (backup_dir / "notizen").mkdir()
    removed = backups_rotate(now=now)
    assert len(removed) == 2
    for days, kept in ages.items():
        assert (backup_dir / _stamp(now - datetime.timedelta(days=days))).exists() is kept
    assert (backup_dir / "notizen").exists()


def test_the_default_period_is_within_the_month_of_the_policy():
    assert django_settings.CLOUD_BACKUP_KEEP_DAYS <= 28


def test_the_backup_runs_daily_from_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["cloud-backup"]
    assert entry["task"] == "cloud.tasks.run_backup"
    assert entry["schedule"].hour == {2}


def _world():
    member = make_member(organisation=make_organisation(slug="gesichert"))
    return make_receipt(membership=member, amount="77.70")


def _restored_amounts_postgres(folder: Path) -> list:
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        call_command("cloud_restore", str(folder), database=name, media_root=folder.parent / "m")
        db = connection.settings_dict
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=name
        ) as restored:
            return [row[0] for row in restored.execute("SELECT amount FROM cloud_receipt")]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _restored_amounts_sqlite(folder: Path) -> list:
    target = folder.parent / "restored.sqlite3"
    call_command("cloud_restore", str(folder), sqlite_path=target, media_root=folder.parent / "m")
    with sqlite3.connect(target) as restored:
        rows = [row[0] for row in restored.execute("SELECT amount FROM cloud_receipt")]
    restored.close()
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_the_database_and_the_files(backup_dir):
    receipt = _world()
    call_command("cloud_backup")
    (folder,) = backup_dir.glob(f"{PREFIX}*")
    if connection.vendor == "postgresql":
        amounts = _restored_amounts_postgres(folder)
    else:
        amounts = _restored_amounts_sqlite(folder)
    assert [str(a) for a in amounts] in (["77.70"], ["77.7"])
    restored_file = backup_dir / "m" / receipt.file.name
    assert restored_file.read_bytes() == PDF_BYTES


@pytest.mark.django_db(transaction=True)
def test_a_failed_backup_leaves_nothing_behind(backup_dir, monkeypatch):
    """The dump and the files are stored; then writing the completion mark fails."""

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("cloud.backup.ContentFile", disk_full)
    with pytest.raises(OSError, match="No space"):
        backup_create()
    assert list(backup_dir.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_an_incomplete_backup_is_refused_on_restore(backup_dir):
    from django.core.management.base import CommandError

    _world()
    name = backup_create()
    backup_storage().delete(f"{name}/complete")
    with pytest.raises(CommandError, match="no complete backup"):
        call_command("cloud_restore", name, media_root=backup_dir.parent / "m")


@pytest.mark.django_db(transaction=True)
def test_backups_go_through_the_storage_api_into_a_storage_without_a_disk(settings):
    """The backups storage is Django's in-memory storage: no path, only the storage API (as
    with an S3 bucket), for writing, listing and the rotation's deletes."""
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    _world()
    now = timezone.now()
    old = backup_create(now=now - datetime.timedelta(days=40))
    fresh = backup_create(now=now)
    storage = backup_storage()
    assert backups_list() == [old, fresh]
    assert set(storage.listdir(fresh)[1]) >= {"media.tar.gz", "complete"}
    assert storage.size(f"{fresh}/media.tar.gz") > 0
    assert backups_rotate(now=now) == [old]
    assert backups_list() == [fresh]
    assert not storage.exists(old)
    backups_rotate(now=now + datetime.timedelta(days=60))
    assert backups_list() == []


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_backs_up_and_rotates(backup_dir):
    from cloud.tasks import run_backup

    old = backup_dir / _stamp(timezone.now() - datetime.timedelta(days=60))
    old.mkdir(parents=True)
    run_backup.delay()
    (fresh,) = backup_dir.glob(f"{PREFIX}*")
    assert fresh != old and (fresh / "media.tar.gz").exists()
