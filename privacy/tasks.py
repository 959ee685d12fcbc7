"""Celery tasks of the privacy app: the daily deletion run (scheduled in optigem_site/schedule.py)."""

import logging

from celery import shared_task

from .deletion import deletion_run
from .locks import RunLocked

logger = logging.getLogger(__name__)


@shared_task(time_limit=2 * 60 * 60, soft_time_limit=2 * 60 * 60 - 60, acks_late=True)
def run_deletion(started_by: str = "beat") -> dict:
    """Run every retention rule; a run already in progress makes this one step aside.

    ``acks_late`` is safe because the run is idempotent: a redelivered task finds the deleted
    rows gone and finishes what is left. The time limits are far above the default of the
    other tasks, since a run walks whole tables in batches.
    """
    try:
        result = deletion_run(started_by=started_by)
    except RunLocked:
        logger.info("Deletion run skipped: another run holds the lock")
        return {"skipped": "locked"}
    assert result.run is not None  # a real run is recorded
    return {"run": result.run.pk, "errors": result.errors}
