"""The lock that keeps two deletion runs apart: in Redis when REDIS_URL is set, else a database lease.

Both are leases with a random token and an expiry that the run renews after every batch: a
worker that dies without releasing simply lets the lease run out, and a run that finds its
lease gone (another worker took over after an expiry) stops instead of working alongside it.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import LockError

from .models import DeletionLock

LOCK_NAME = "deletion-run"
LEASE = timedelta(minutes=15)
# A lease is renewed at most this often: a batch takes well under a second, and the lease
# cannot run out (nor be taken by another run) while far more than this is left of it.
RENEW_EVERY = timedelta(seconds=30)


class RunLocked(Exception):
    """Another deletion run holds the lock."""


class LockLost(Exception):
    """The lease ran out and another run may have taken it; this run must stop."""


class _Lease:
    """Spaces renewals out, so a run of many short batches does not write once per batch."""

    renewed_at: float = 0.0

    def renew(self) -> None:
        raise NotImplementedError

    def renew_if_due(self) -> bool:
        """Renew the lease when RENEW_EVERY has passed; raise LockLost if it is gone."""
        if time.monotonic() - self.renewed_at < RENEW_EVERY.total_seconds():
            return False
        self.renew()
        self.renewed_at = time.monotonic()
        return True


class RedisRunLock(_Lease):
    """A lease in Redis (redis-py's token lock: SET NX PX, renewed and released by Lua)."""

    def __init__(self, url: str, *, lease: timedelta = LEASE):
        self.client = redis.Redis.from_url(url, socket_timeout=5)
        self.lock = self.client.lock(
            f"optigem:{LOCK_NAME}", timeout=lease.total_seconds(), blocking=False
        )

    def acquire(self) -> None:
        if not self.lock.acquire(blocking=False):
            self.client.close()
            raise RunLocked
        self.renewed_at = time.monotonic()

    def renew(self) -> None:
        try:
            self.lock.reacquire()
        except LockError as exc:
            raise LockLost from exc

    def release(self) -> None:
        try:
            self.lock.release()
        except LockError:
            pass  # the lease already ran out; nothing of ours is left to release
        finally:
            self.client.close()


class DatabaseRunLock(_Lease):
    """A lease on one row of DeletionLock, taken and renewed by conditional UPDATEs.

    Each statement commits on its own, so the row is never locked for longer than one UPDATE;
    the WHERE clause makes taking the lease atomic on PostgreSQL and SQLite alike.
    """

    def __init__(self, *, lease: timedelta = LEASE):
        self.lease = lease
        self.token = secrets.token_hex(16)

    def acquire(self) -> None:
        now = timezone.now()
        free = DeletionLock.objects.filter(Q(token="") | Q(expires_at__lt=now), name=LOCK_NAME)
        self.renewed_at = time.monotonic()
        if free.update(token=self.token, expires_at=now + self.lease):
            return
        try:
            with transaction.atomic():
                DeletionLock.objects.create(
                    name=LOCK_NAME, token=self.token, expires_at=now + self.lease
                )
        except IntegrityError as exc:
            raise RunLocked from exc

    def renew(self) -> None:
        mine = DeletionLock.objects.filter(name=LOCK_NAME, token=self.token)
        if not mine.update(expires_at=timezone.now() + self.lease):
            raise LockLost

    def release(self) -> None:
        DeletionLock.objects.filter(name=LOCK_NAME, token=self.token).update(
            token="", expires_at=None
        )


def run_lock(*, lease: timedelta = LEASE) -> RedisRunLock | DatabaseRunLock:
    """The lock for this deployment: Redis when REDIS_URL is set, else the database lease."""
    if settings.REDIS_URL:
        return RedisRunLock(settings.REDIS_URL, lease=lease)
    return DatabaseRunLock(lease=lease)
