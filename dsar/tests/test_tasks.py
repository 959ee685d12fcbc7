from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.conf import settings
from django.utils import timezone

from dsar.models import Restriction, RestrictionGround
from dsar.tasks import remind_due_requests
from privacy.digests import address_digest

from .factories import make_request, make_staff

pytestmark = pytest.mark.django_db


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

    assert remind_due_requests.delay().get() == 3

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
    assert remind_due_requests.delay().get() == 1
    smtp_sink.wait_for(1)
    assert remind_due_requests.delay().get() == 0  # a retry or a second beat: nothing new
    later = make_request(received_on=today - timedelta(days=12), identity_verified_on=None)
    assert remind_due_requests.delay().get() == 1  # only the request not named yet today
    messages = smtp_sink.wait_for(2)
    assert f"Anfrage Nr. {later.pk} " in messages[1].get_payload(decode=True).decode()


def test_no_mail_when_nothing_is_due(smtp_sink):
    make_staff("dpo", email="dpo@optigem.example")
    assert remind_due_requests.delay().get() == 0
    assert smtp_sink.received == []
