"""Celery tasks of the newsletter app: thin wrappers that load by id and call a service."""

import smtplib

from celery import shared_task
from django.conf import settings

from . import delivery, services


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def subscription_confirmation_send(subscriber_id: int) -> None:
    services.subscription_confirmation_send(subscriber_id=subscriber_id)


@shared_task(soft_time_limit=240, time_limit=300)
def send_due_confirmations() -> None:
    """Beat: send the confirmation mails a broker outage left owed (each send is idempotent)."""
    for subscriber_id in services.confirmations_due():
        services.subscription_confirmation_send(subscriber_id=subscriber_id)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def mailing_queue(mailing_id: int) -> None:
    """Write the delivery rows (idempotent), then start the parallel senders."""
    delivery.deliveries_create(mailing_id=mailing_id)
    for _ in range(settings.NEWSLETTER_SENDERS):
        deliveries_send.delay(mailing_id)


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    max_retries=10,
    soft_time_limit=240,
    time_limit=300,
)
def deliveries_send(mailing_id: int) -> None:
    """Send batches for a minute, then hand over to a fresh task while work remains.

    Idempotent (a row is sent once whatever runs), so ``acks_late`` is safe: a task lost with
    its worker runs again.
    """
    report = delivery.deliveries_send(mailing_id=mailing_id, budget_seconds=60)
    if report.remaining:
        deliveries_send.delay(mailing_id)


@shared_task(soft_time_limit=60, time_limit=90)
def deliveries_recover() -> None:
    """Beat: free the claims of dead workers and restart mailings whose work has stopped."""
    released = delivery.deliveries_release_stale()
    unqueued, stalled = delivery.mailings_stalled()
    for mailing_id in unqueued:
        mailing_queue.delay(mailing_id)
    for mailing_id in sorted(set(stalled) | set(released)):
        deliveries_send.delay(mailing_id)
