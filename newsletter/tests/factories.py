"""Factories for the newsletter tests."""

import datetime
from importlib import import_module

from django.apps import apps
from django.utils import timezone

from newsletter.models import ConsentText, Customer, Mailing, MailingKind, Subscriber


def consent_text(language: str = "de") -> ConsentText:
    """The published consent text; re-published from migration 0002 when a transactional test
    before this one flushed the tables (data migrations do not run again after a flush)."""
    current = ConsentText.objects.current(language)
    if current is None:
        import_module("newsletter.migrations.0002_consent_text_v1").publish(apps, None)
        current = ConsentText.objects.current(language)
    assert current is not None, "the migration publishes version 1"
    return current


def subscriber(
    email: str = "anna@example.org", *, status: str = "subscribed", **fields
) -> Subscriber:
    consent = consent_text()
    now = timezone.now()
    values = {
        "email": email,
        "status": status,
        "language": "de",
        "consent_text": consent,
        "consent_version": consent.version,
        "consent_hash": consent.sha256,
        "form": "test",
        "requested_at": now,
        "confirmed_at": now if status == "subscribed" else None,
        **fields,
    }
    return Subscriber.objects.create(**values)


def customer(email: str = "kunde@example.org", **fields) -> Customer:
    values = {"name": "Kunde", "organisation": "Verein e. V.", "source": "Test", **fields}
    if values.get("relationship") == "prospect":  # a prospect is mailed only with consent
        values.setdefault("consent_on", datetime.date(2026, 1, 15))
        values.setdefault("consent_evidence", "Test")
    return Customer.objects.create(email=email, **values)


def mailing(kind: str = MailingKind.NEWSLETTER, **fields) -> Mailing:
    values = {
        "subject": "Neues aus dem Quartal",
        "body": "# Hallo\n\nSiehe [unsere Seite](https://www.optigem.com/neu?x=1).",
        **fields,
    }
    return Mailing.objects.create(kind=kind, **values)
