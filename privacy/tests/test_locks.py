"""Two deletion runs never overlap: a lease in Redis (REDIS_URL) or in the database."""

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_delete

from privacy.deletion import deletion_run
from privacy.locks import LOCK_NAME, DatabaseRunLock, RedisRunLock, RunLocked, run_lock
from privacy.models import DeletionLock, DeletionRun, DeletionRunStatus
from tests.retention_app.models import Inquiry, Letter

from .factories import NOW, berlin, inquiry, letter, registration, rule

REDIS_KEY = f"optigem:{LOCK_NAME}"


@pytest.fixture(params=["database", "redis"])
def lock_backend(request, settings):
    """Run the test once with the database lease and once with the Redis lease."""
    if request.param == "database":
        settings.REDIS_URL = ""
        yield "database"
        return
    client = request.getfixturevalue("redis_client")
    client.delete(REDIS_KEY)
    yield "redis"
    client.delete(REDIS_KEY)


@pytest.fixture
def steal_lock(request, lock_backend):
    """Another worker takes the lease, as after this run's lease ran out."""
    if lock_backend == "database":
        return lambda: DeletionLock.objects.filter(name=LOCK_NAME).update(token="another-worker")
    client = request.getfixturevalue("redis_client")
    return lambda: client.set(REDIS_KEY, "another-worker", px=60_000)


@pytest.mark.django_db
def test_the_backend_follows_redis_url(settings):
    settings.REDIS_URL = ""
    assert isinstance(run_lock(), DatabaseRunLock)
    settings.REDIS_URL = "redis://127.0.0.1:6379/5"
    assert isinstance(run_lock(), RedisRunLock)


@pytest.mark.django_db
def test_a_second_run_refuses_while_another_holds_the_lock(lock_backend):
    row = inquiry(created_at=berlin(2024, 1, 1, 12, 0))
    other = run_lock()
    other.acquire()

    with pytest.raises(RunLocked):
        deletion_run(now=NOW, rules=[rule("test-inquiries")])

    assert Inquiry.objects.filter(pk=row.pk).exists()
    assert not DeletionRun.objects.exists()
    other.release()
    deletion_run(now=NOW, rules=[rule("test-inquiries")])
    assert not Inquiry.objects.exists()


@pytest.mark.django_db
def test_the_lock_is_free_again_after_a_run_and_after_a_failed_one(lock_backend):
    def broken(rows):
        raise RuntimeError

    deletion_run(now=NOW)
    deletion_run(now=NOW, rules=[replace(rule("test-registrations"), anonymise=broken)])

    probe = run_lock()
    probe.acquire()
    probe.release()


@pytest.mark.django_db
def test_a_redis_lease_has_an_expiry_so_a_dead_worker_frees_it(redis_client):
    redis_client.delete(REDIS_KEY)
    lock = run_lock()
    lock.acquire()
    assert 0 < redis_client.pttl(REDIS_KEY) <= 15 * 60 * 1000
    lock.release()
    assert not redis_client.exists(REDIS_KEY)
    # The database lease's expiry is covered in test_deletion.py.


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_stops(steal_lock, monkeypatch):
    monkeypatch.setattr("privacy.locks.RENEW_EVERY", timedelta(0))
    for day in (1, 2, 3):
        inquiry(created_at=berlin(2024, 1, day, 12, 0))
    letter(sent_at=berlin(2015, 1, 1, 12, 0))

    def steal_after_first_row(sender, **kwargs):
        steal_lock()

    post_delete.connect(steal_after_first_row, sender=Inquiry)
    try:
        result = deletion_run(
            now=NOW, rules=[rule("test-inquiries"), rule("test-letters")], batch_size=1
        )
    finally:
        post_delete.disconnect(steal_after_first_row, sender=Inquiry)

    assert result.errors == [{"rule": "test-inquiries", "error": "LockLost"}]
    assert Inquiry.objects.count() == 2
    assert Letter.objects.count() == 1
    assert result.run.status == DeletionRunStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_two_real_runs_at_the_same_time_do_not_overlap(postgres, lock_backend):
    registration_rule = rule("test-registrations")
    registration(created_at=berlin(2024, 1, 1, 12, 0))
    inside, go_on = threading.Event(), threading.Event()
    outcome = {}

    def slow(rows):
        inside.set()
        go_on.wait(timeout=30)
        return registration_rule.anonymise(rows)

    def first_run():
        try:
            outcome["first"] = deletion_run(
                now=NOW, rules=[replace(registration_rule, anonymise=slow)]
            )
        finally:
            connection.close()

    worker = threading.Thread(target=first_run)
    worker.start()
    try:
        assert inside.wait(timeout=30)
        with pytest.raises(RunLocked):
            deletion_run(now=NOW, rules=[registration_rule])
    finally:
        go_on.set()
        worker.join(timeout=30)

    assert outcome["first"].run.status == DeletionRunStatus.FINISHED
    assert DeletionRun.objects.count() == 1
    assert deletion_run(now=NOW, rules=[registration_rule]).run.status == "finished"
