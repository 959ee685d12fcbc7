import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.db import connection
from django.utils import timezone

from dsar import services
from dsar.models import Restriction, RestrictionGround, SubjectRequest
from dsar.tasks import remind_due_requests
from privacy.digests import address_digest
from privacy.models import AuditEntry
from tests.instances import worker_env

from .factories import make_request, make_staff

pytestmark = pytest.mark.django_db


def _remind() -> int:
    """Run the daily reminder as beat would (eagerly here). A test earlier in the run may have
    started an in-process worker, which marks the process as one where joining a task blocks."""
    return remind_due_requests.apply().get(disable_sync_subtasks=False)


def test_daily_reminder_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["dsar-due-reminders"]
    assert entry["task"] == remind_due_requests.name


def test_reminder_mails_the_datenschutz_group_about_requests_due_within_seven_days(smtp_sink):
    today = timezone.localdate()
    make_staff("dpo", email="dpo@optigem.example")
    make_staff("helper", email="helper@optigem.example")
    make_staff("support", group="Support", email="support@optigem.example")
    Restriction.objects.create(
        email_digest=address_digest("helper@optigem.example"), ground=RestrictionGround.OBJECTION
    )
    soon = make_request(
        received_on=today - timedelta(days=25), identity_verified_on=today - timedelta(days=25)
    )
    overdue = make_request(
        received_on=today - timedelta(days=40), identity_verified_on=today - timedelta(days=40)
    )
    make_request(received_on=today, identity_verified_on=today)  # due in a month
    unstarted = make_request(
        received_on=today - timedelta(days=40), identity_method="", identity_verified_on=None
    )
    make_request(  # the check has started: its clock waits for the answer, no flag
        received_on=today - timedelta(days=40),
        identity_check_started_on=today - timedelta(days=39),
        identity_verified_on=None,
    )
    make_request(received_on=today - timedelta(days=3), identity_verified_on=None)  # too new

    assert _remind() == 3

    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "dpo@optigem.example"  # not Support; the restricted address skipped
    body = message.get_payload(decode=True).decode()
    assert f"Anfrage Nr. {soon.pk} " in body and "fällig am" in body
    assert f"Anfrage Nr. {overdue.pk} " in body and "überfällig seit" in body
    assert "Erika" not in body and "@example.org" not in body
    assert "Identitätsprüfung auch 7 Tage nach Eingang nicht begonnen" in body
    assert f"Anfrage Nr. {unstarted.pk} " in body
    subject = str(make_header(decode_header(message["Subject"])))
    assert "1 ohne begonnene Identitätsprüfung" in subject


def test_the_reminder_names_a_request_once_a_day(smtp_sink):
    today = timezone.localdate()
    make_staff("dpo", email="dpo@optigem.example")
    make_request(received_on=today - timedelta(days=10), identity_verified_on=None)
    assert _remind() == 1
    smtp_sink.wait_for(1)
    assert _remind() == 0  # a retry or a second beat: nothing new
    later = make_request(received_on=today - timedelta(days=12), identity_verified_on=None)
    assert _remind() == 1  # only the request not named yet today
    messages = smtp_sink.wait_for(2)
    assert f"Anfrage Nr. {later.pk} " in messages[1].get_payload(decode=True).decode()


def test_no_mail_when_nothing_is_due(smtp_sink):
    make_staff("dpo", email="dpo@optigem.example")
    assert _remind() == 0
    assert smtp_sink.received == []


def _one_request_to_name():
    make_staff("dpo", email="dpo@optigem.example")
    today = timezone.localdate()
    return make_request(received_on=today - timedelta(days=10), identity_verified_on=None)


def test_two_runs_on_one_day_send_one_mail(smtp_sink):
    request = _one_request_to_name()
    assert _remind() == 1
    assert _remind() == 0
    assert len(smtp_sink.received) == 1  # send() returns once the sink has kept the mail
    request.refresh_from_db()
    assert (request.reminded_on, request.reminder_claim) == (timezone.localdate(), "")
    assert AuditEntry.objects.filter(note=services.REMINDER_NOTE, object_id=request.pk).count() == 1


def test_a_refused_hand_off_gives_the_claim_back_and_the_retry_sends_one_mail(smtp_sink):
    request = _one_request_to_name()
    smtp_sink.refusals.append("451 4.3.0 Bitte später")
    with pytest.raises(Retry):  # autoretry_for=(OSError,): SMTPDataError is one
        remind_due_requests.delay()
    assert smtp_sink.received == []
    request.refresh_from_db()
    assert (request.reminded_on, request.reminder_claim) == (None, "")
    assert _remind() == 1  # the retry
    assert _remind() == 0
    assert len(smtp_sink.received) == 1


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_committed_before_the_hand_off(smtp_sink):
    request = _one_request_to_name()
    seen = []

    def look_from_another_connection(envelope):
        def read():  # a thread of its own: its own database connection, outside the sink's loop
            try:
                claims = SubjectRequest.objects.values_list("reminder_claim", flat=True)
                seen.append(claims.get(pk=request.pk))
            finally:
                connection.close()

        reader = threading.Thread(target=read)
        reader.start()
        reader.join()

    smtp_sink.on_message = look_from_another_connection
    assert _remind() == 1
    assert len(seen) == 1 and seen[0] != ""
    request.refresh_from_db()
    assert request.reminder_claim == ""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_run_killed_after_the_hand_off_sends_no_second_mail_within_the_lease(postgres, smtp_sink):
    request = _one_request_to_name()
    process: subprocess.Popen | None = None

    def crash(envelope):
        # The server has the message; the sender dies before it reads the reply or settles.
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)

    smtp_sink.on_message = crash
    code = "from dsar.tasks import remind_due_requests as r; r()"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR,
        env=worker_env(smtp_port=smtp_sink.port),
    )
    assert process.wait(timeout=60) == -signal.SIGKILL
    smtp_sink.on_message = None
    request.refresh_from_db()
    assert (request.reminded_on, bool(request.reminder_claim)) == (None, True)
    today, now = timezone.localdate(), timezone.now()
    assert services.requests_remind_due(today=today, now=now) == 0  # a retry within the lease
    assert len(smtp_sink.received) == 1
    # Past the lease the claim counts as a dead worker's: one second copy, not a lost reminder.
    later = now + services.REMINDER_CLAIM_LEASE + timedelta(seconds=1)
    assert services.requests_remind_due(today=today, now=later) == 1
    assert services.requests_remind_due(today=today, now=later) == 0
    assert len(smtp_sink.received) == 2
