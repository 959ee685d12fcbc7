"""The cloud's mails are rows first: a service that promises a mail queues an ``OutgoingMail``
in its own transaction, and the mail is sent after commit (``cloud/services/outbox.py``).

A row holds what the mail is about, never a secret: the link, the token and the text are made
when it is sent. The task is published once, without retries (``privacy/publish.py``), so a
broker outage neither fails nor delays the request; the periodic sweep sends what was never
published.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from privacy.publish import publish_once

from ..models import OutgoingMail


@dataclass(frozen=True)
class Letter:
    """A mail rendered at send time: subject, and the template and context of its body."""

    subject: str
    template: str
    context: dict

    def message(self, *, to: str) -> EmailMessage:
        return EmailMessage(self.subject, render_to_string(self.template, self.context), to=[to])


def _publish(mail_ids: list[int]) -> None:
    from ..tasks import send_mails

    publish_once(send_mails, mail_ids, event=f"cloud.mail.enqueue_failed mails={mail_ids}")


def outgoing_mails_queue(*, mails: Iterable[OutgoingMail]) -> list[OutgoingMail]:
    """Write the mails in the caller's transaction; one task sends them after it commits."""
    written = OutgoingMail.objects.bulk_create(list(mails))
    if written:
        transaction.on_commit(partial(_publish, [mail.pk for mail in written]), robust=True)
    return written
