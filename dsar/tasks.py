from celery import shared_task
from django.utils import timezone

from .services import requests_remind_due


@shared_task(
    autoretry_for=(OSError,), retry_backoff=60, max_retries=5, time_limit=120, soft_time_limit=90
)
def remind_due_requests() -> int:
    """Daily: tell the Datenschutz group which requests fall due within seven days."""
    return requests_remind_due(today=timezone.localdate())
