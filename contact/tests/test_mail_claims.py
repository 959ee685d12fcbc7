"""Claim, send, settle: no transaction waits on the mail server, and a crash sends no extra copy
beyond the one the design states (contact/services.py, ``inquiry_send_mails``)."""

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from contact.models import Inquiry, Kind, MailState
from contact.services import MAIL_CLAIM_LEASE, inquiry_send_unsent_mails
from contact.tests.factories import contact_data
from tests.instances import worker_env


def other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_and_no_row_locked_while_the_server_talks(
    postgres, client, smtp_sink
):
    sender = connections["default"]  # this thread's connection: the one that sends the mails
    seen = []

    def check(envelope):
        """From another connection: could anyone else take the request's row right now?"""
        with other_connection() as other:
            try:
                with other.transaction():
                    other.execute("SELECT id FROM contact_inquiry FOR UPDATE NOWAIT")
                locked = False
            except psycopg.errors.LockNotAvailable:
                locked = True
        seen.append((envelope.rcpt_tos[0], locked, sender.in_atomic_block))

    smtp_sink.on_message = check
    response = client.post("/kontakt/", contact_data())
    assert response.status_code == 302
    smtp_sink.wait_for(2)
    assert sorted(seen) == [
        ("erika@example.org", False, False),
        ("support@optigem.com", False, False),
    ]
    inquiry = Inquiry.objects.get()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.SENT, MailState.SENT)
    assert (inquiry.mail_claim, inquiry.mail_claimed_at) == ("", None)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_after_the_server_took_a_mail_sends_that_one_again_and_no_other(
    postgres, smtp_sink
):
    data = contact_data()
    inquiry = Inquiry.objects.create(
        kind=Kind.CONTACT,
        **data,
        receipt_mail=MailState.UNSENT,
        staff_mail=MailState.UNSENT,
        guardian_mail=MailState.NOT_NEEDED,
    )
    process: subprocess.Popen | None = None

    def crash(envelope):
        # The server has the message; the sender dies before it reads the reply or settles.
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)

    smtp_sink.on_message = crash
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            f"from contact.services import inquiry_send_mails as s; s(inquiry_id={inquiry.pk})",
        ],
        cwd=settings.BASE_DIR,
        env=worker_env(smtp_port=smtp_sink.port),
    )
    assert process.wait(timeout=60) == -signal.SIGKILL
    inquiry.refresh_from_db()
    assert inquiry.receipt_mail == MailState.UNSENT
    assert inquiry.mail_claim  # the dead sender's claim is left behind

    # While its claim is fresh, the sweep leaves the request alone.
    assert inquiry_send_unsent_mails() == 0
    assert len(smtp_sink.received) == 1
    # Once the claim has run out, the unsettled receipt goes again and the rest once.
    later = timezone.now() + MAIL_CLAIM_LEASE + timedelta(seconds=1)
    assert inquiry_send_unsent_mails(now=later) == 2
    assert inquiry_send_unsent_mails(now=later + timedelta(minutes=10)) == 0
    per_address = Counter(rcpt for _sender, rcpts, _data in smtp_sink.received for rcpt in rcpts)
    assert per_address == {"erika@example.org": 2, "support@optigem.com": 1}
    inquiry.refresh_from_db()
    assert (inquiry.receipt_mail, inquiry.staff_mail) == (MailState.SENT, MailState.SENT)
