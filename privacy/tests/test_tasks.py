"""The daily beat entry runs the deletion; a run already in progress makes it step aside."""

import pytest
from celery.schedules import crontab
from django.conf import settings

from optigem_site.schedule import beat_schedule
from privacy.locks import run_lock
from privacy.models import DeletionRun
from privacy.tasks import run_deletion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_lock(settings):
    settings.REDIS_URL = ""


def test_one_daily_beat_entry_at_the_configured_time():
    entry = beat_schedule(deletion_hour=4, deletion_minute=30)["privacy-deletion-run"]

    assert entry["task"] == run_deletion.name == "privacy.tasks.run_deletion"
    assert entry["schedule"] == crontab(hour=4, minute=30)
    assert "privacy-deletion-run" in settings.CELERY_BEAT_SCHEDULE


def test_the_task_runs_and_records_the_run():
    outcome = run_deletion.delay().get()

    run = DeletionRun.objects.get()
    assert outcome == {"run": run.pk, "errors": []}
    assert run.started_by == "beat"


def test_the_task_steps_aside_while_another_run_holds_the_lock():
    other = run_lock()
    other.acquire()
    try:
        assert run_deletion.delay().get() == {"skipped": "locked"}
    finally:
        other.release()
    assert not DeletionRun.objects.exists()
