"""Celery tasks of the request forms: thin wrappers around the services."""

from celery import shared_task


@shared_task(ignore_result=True, acks_late=True, time_limit=120, soft_time_limit=90)
def send_inquiry_mails(inquiry_id: int) -> None:
    """Send one request's unsent mails (idempotent: the mail states say what is done)."""
    from .services import inquiry_send_mails

    inquiry_send_mails(inquiry_id=inquiry_id)


@shared_task(ignore_result=True, acks_late=True, time_limit=600, soft_time_limit=540)
def send_unsent_inquiry_mails() -> None:
    """The periodic sweep: whatever a broker or SMTP outage left unsent goes out now."""
    from .services import inquiry_send_unsent_mails

    inquiry_send_unsent_mails()
