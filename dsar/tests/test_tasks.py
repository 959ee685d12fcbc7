from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from dsar.models import Restriction, RestrictionGround
from dsar.tasks import remind_due_requests
from privacy.registry import address_digest

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
    make_request(
        received_on=today - timedelta(days=40), identity_method="", identity_verified_on=None
    )

    assert remind_due_requests.delay().get() == 2

    (message,) = smtp_sink.wait_for(1)
    assert message["To"] == "dpo@optigem.example"  # not Support; the restricted address skipped
    body = message.get_payload(decode=True).decode()
    assert f"Anfrage Nr. {soon.pk} " in body and "fällig am" in body
    assert f"Anfrage Nr. {overdue.pk} " in body and "überfällig seit" in body
    assert "Erika" not in body and "@example.org" not in body


def test_no_mail_when_nothing_is_due(smtp_sink):
    make_staff("dpo", email="dpo@optigem.example")
    assert remind_due_requests.delay().get() == 0
    assert smtp_sink.received == []
