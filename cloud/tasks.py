"""Celery tasks of the cloud: thin wrappers that load by id and call a service."""

from functools import partial

from celery import shared_task

# A mail a person waits for: retried with backoff through SMTP or broker trouble, acknowledged
# only once done, so a worker that dies mid-send leaves it for the next one.
mail_task = partial(
    shared_task,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=8,
    acks_late=True,
    ignore_result=True,
)


@mail_task
def send_invitation(invitation_id: int) -> None:
    from .services.invitations import invitation_send

    invitation_send(invitation_id=invitation_id)


@mail_task
def send_receipt_decision(receipt_id: int) -> None:
    from .services.receipts import receipt_decision_send

    receipt_decision_send(receipt_id=receipt_id)


@shared_task(
    autoretry_for=(OSError, ConnectionError), retry_backoff=True, max_retries=8, ignore_result=True
)
def send_cancellation_notice(organisation_id: int, cancelled_at: str | None) -> None:
    from .services.organisations import cancellation_notice_send

    cancellation_notice_send(organisation_id=organisation_id, cancelled_at=cancelled_at)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3, ignore_result=True)
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
