from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from contact.models import Inquiry, Status
from contact.services import inquiry_set_status
from contact.tests.factories import contact_data, make_event, training_data
from privacy.registry import LegalBasis, registry

pytestmark = pytest.mark.django_db


def _rule(key: str):
    return next(rule for rule in registry.retention_rules if rule.key == key)


def test_each_form_is_declared_under_art_6_1_b():
    for key in ("contact-request", "support-request", "training-registration"):
        activity = registry.activities[key]
        assert activity.legal_basis == (LegalBasis.CONTRACT,)
        assert activity.retention_rules


def test_the_system_checks_pass():
    call_command("check", fail_level="ERROR")


def test_closed_requests_expire_six_months_after_closing(client):
    client.post("/kontakt/", contact_data())
    inquiry = Inquiry.objects.get()
    rule = _rule("contact-closed")
    later = timezone.now() + timedelta(days=400)
    assert not rule.expired(now=later).exists()  # never closed: not this rule's
    closed = timezone.now()
    inquiry_set_status(inquiry=inquiry, status=Status.CLOSED, now=closed)
    assert not rule.expired(now=closed + timedelta(days=180)).exists()
    assert list(rule.expired(now=closed + timedelta(days=185))) == [inquiry]
    assert not _rule("support-closed").expired(now=closed + timedelta(days=185)).exists()


def test_training_registrations_expire_a_year_after_the_training(client):
    event = make_event()
    client.post(f"/schulungen/{event.slug}/anmeldung/", training_data())
    rule = _rule("training-registration-after-event")
    assert not rule.expired(now=event.ends_at + timedelta(days=364)).exists()
    assert rule.expired(now=event.ends_at + timedelta(days=366)).count() == 1


def test_a_person_is_found_exported_and_erased_by_email(client):
    client.post("/kontakt/", contact_data(email="Erika@Example.org"))
    holder = registry.holders["contact.Inquiry"]
    rows = holder.rows_for("erika@example.org")
    (exported,) = holder.export(rows)
    assert exported["message"].startswith("Wie viele")
    assert holder.erase_rows(rows) == 1
    assert not Inquiry.objects.exists()


def test_the_guardian_is_found_by_their_address_too(client):
    client.post(
        "/kontakt/", {**contact_data(), "is_minor": "on", "guardian_email": "m@example.org"}
    )
    assert registry.holders["contact.Inquiry"].rows_for("M@example.org").count() == 1
