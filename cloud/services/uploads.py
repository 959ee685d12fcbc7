"""Uploads kept while the rest of the receipt form has errors, so a checked file is not lost."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.core import signing
from django.core.files.storage import default_storage
from django.utils import timezone

from ..models import Membership
from ..validators import Kind

PENDING_SALT = "cloud.pending-upload"
PENDING_DIR = "cloud/pending"
PENDING_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class PendingUpload:
    """A checked upload waiting in storage for the corrected form; ``token`` names it, signed."""

    name: str
    original: str
    token: str


def pending_upload_keep(*, upload, kind: Kind, membership: Membership) -> PendingUpload:
    """Store an upload that passed its checks while another field failed, so it is not lost.

    The storage name is random; the token binds it to this member and expires after a day
    (``pending_uploads_remove`` deletes what is left after that).
    """
    name = default_storage.save(f"{PENDING_DIR}/{secrets.token_hex(16)}{kind.extension}", upload)
    original = Path(upload.name).name[:200]
    token = signing.dumps(
        {"n": name, "o": original, "m": membership.pk}, salt=PENDING_SALT, compress=True
    )
    return PendingUpload(name=name, original=original, token=token)


def pending_upload_find(*, token: str, membership: Membership) -> PendingUpload | None:
    """The kept upload ``token`` names, if it is this member's, fresh and still stored."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=PENDING_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:
        return None
    if value.get("m") != membership.pk or not default_storage.exists(value["n"]):
        return None
    return PendingUpload(name=value["n"], original=value["o"], token=token)


def pending_upload_discard(*, pending: PendingUpload | None) -> None:
    if pending is not None:
        default_storage.delete(pending.name)


def pending_uploads_remove(*, now: datetime | None = None) -> int:
    """Delete kept uploads older than a day (their tokens have expired); safe to run twice."""
    now = now or timezone.now()
    try:
        _dirs, names = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return 0
    removed = 0
    for base in names:
        name = f"{PENDING_DIR}/{base}"
        try:
            stale = default_storage.get_modified_time(name) <= now - PENDING_MAX_AGE
        except FileNotFoundError:
            continue
        if stale:
            default_storage.delete(name)
            removed += 1
    return removed
