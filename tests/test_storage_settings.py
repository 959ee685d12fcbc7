"""STORAGE_URL / BACKUP_STORAGE_URL: a folder by default, an S3-compatible bucket on request."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

from optigem_site.settings.env import storage_from_url


def _build(entry: dict):
    return import_string(entry["BACKEND"])(**entry.get("OPTIONS", {}))


def test_without_a_url_files_stay_in_the_folder(tmp_path):
    assert _build(storage_from_url("")).__class__ is FileSystemStorage
    backups = _build(storage_from_url("", location=tmp_path / "b"))
    assert Path(backups.location) == tmp_path / "b"
    assert Path(_build(storage_from_url("file:///srv/belege")).location) == Path("/srv/belege")


def test_an_s3_url_gives_a_private_bucket_in_the_named_region(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    storage = _build(
        storage_from_url(
            "s3://optigem-cx/belege?endpoint_url=https://s3.de-fra.example.net"
            "&region_name=de-fra&server_side_encryption=AES256"
        )
    )
    assert (storage.bucket_name, storage.location, storage.region_name) == (
        "optigem-cx",
        "belege",
        "de-fra",
    )
    assert storage.file_overwrite is False
    assert storage.object_parameters == {"ServerSideEncryption": "AES256"}
    # A link to a file is signed and expires: the bucket itself is never public.
    url = storage.url("cloud/1/beleg.pdf")
    assert url.startswith("https://s3.de-fra.example.net/optigem-cx/belege/cloud/1/beleg.pdf?")
    assert "Signature" in url and "Expires" in url


@pytest.mark.parametrize(
    "url", ["ftp://host/x", "s3://", "s3://bucket?acl=public-read", "/srv/belege"]
)
def test_a_url_it_cannot_honour_stops_the_start(url):
    with pytest.raises(ImproperlyConfigured):
        storage_from_url(url)
