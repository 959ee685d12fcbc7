"""Factories for the newsletter tests."""

from django.utils import timezone

from newsletter.models import ConsentText, Customer, Mailing, MailingKind, Subscriber


def subscriber(
    email: str = "anna@example.org", *, status: str = "subscribed", **fields
) -> Subscriber:
    consent = ConsentText.objects.current("de")
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
    return Customer.objects.create(email=email, **values)


def mailing(kind: str = MailingKind.NEWSLETTER, **fields) -> Mailing:
    values = {
        "subject": "Neues aus dem Quartal",
        "body": "# Hallo\n\nSiehe [unsere Seite](https://www.optigem.com/neu?x=1).",
        **fields,
    }
    return Mailing.objects.create(kind=kind, **values)
