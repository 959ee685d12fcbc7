"""Celery tasks of the cloud: thin wrappers that load by id and call a service."""

from celery import shared_task


# Idempotent (claim, send, settle in cloud/services/outbox.py), so acknowledged only once done:
# a worker that dies mid-send leaves the message for the next one. An SMTP failure leaves the
# mail unsent for the sweep instead of retrying here.
@shared_task(ignore_result=True, acks_late=True, time_limit=300, soft_time_limit=240)
def send_mails(mail_ids: list[int]) -> None:
    """Send the mails one request promised (after its commit)."""
    from .services.outbox import outgoing_mails_send

    outgoing_mails_send(mail_ids=mail_ids)


@shared_task(ignore_result=True, acks_late=True, time_limit=600, soft_time_limit=540)
def send_unsent_mails() -> None:
    """The periodic sweep: whatever a broker or SMTP outage left unsent goes out now."""
    from .services.outbox import outgoing_mails_send_unsent

    outgoing_mails_send_unsent()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=240)
def send_erasure_reminders() -> None:
    from .services.organisations import erasure_reminders_send

    erasure_reminders_send()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3, ignore_result=True)
def remove_pending_uploads() -> None:
    from .services.uploads import pending_uploads_remove

    pending_uploads_remove()


@shared_task(ignore_result=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def run_backup() -> None:
    from .backup import backup_create, backups_rotate

    backup_create()
    backups_rotate()
