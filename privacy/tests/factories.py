"""Rows of the test holders (tests/retention_app) and helpers for the deletion-run tests."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from privacy.registry import registry
from tests.retention_app.models import Inquiry, InquiryNote, Letter, Order, Registration

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 10, 3, 15, tzinfo=BERLIN)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def rule(key: str):
    return next(r for r in registry.retention_rules if r.key == key)


def inquiry(email="anna@example.com", *, created_at, confirmed=True, notes=0) -> Inquiry:
    row = Inquiry.objects.create(
        email=email, name="Anna Beispiel", created_at=created_at, confirmed=confirmed
    )
    for number in range(notes):
        InquiryNote.objects.create(inquiry=row, text=f"Notiz {number} zu Anna Beispiel")
    return row


def order(email="bernd@example.com", *, closed_at, invoiced_on: date | None) -> Order:
    return Order.objects.create(email=email, closed_at=closed_at, invoiced_on=invoiced_on)


def letter(email="clara@example.com", *, sent_at) -> Letter:
    return Letter.objects.create(email=email, sent_at=sent_at)


def registration(email="dora@example.com", *, created_at) -> Registration:
    return Registration.objects.create(
        email=email, name="Dora Muster", event="Schulung Finanzbuchhaltung", created_at=created_at
    )


def record_of(result, key: str) -> dict:
    """The report entry of rule ``key`` in a RunResult."""
    return next(r.as_record() for r in result.rules if r.rule == key)
